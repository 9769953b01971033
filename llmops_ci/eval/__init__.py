"""The eval engine: planning, running, caching, assertions and metrics. litellm is imported lazily."""
