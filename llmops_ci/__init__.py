"""llmops-ci: prompts, guardrails, RAG configs and eval suites treated as code."""

__version__ = "0.1.0"
