"""RAG pipelines from RagPipeline artifacts: corpus -> chunks -> index -> retrieval -> grounded answer."""
