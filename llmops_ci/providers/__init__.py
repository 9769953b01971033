"""Model providers: the litellm adapter and offline baselines. Nothing here imports litellm at import time."""
