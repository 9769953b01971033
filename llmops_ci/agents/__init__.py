"""Agents as artifacts: an ``Agent`` is a model, a system prompt (a Prompt), tools with JSON Schema
parameters, a step limit and stop conditions. This package reads them (:mod:`.tools`), turns an agent
suite's cases into tasks with fixture tool results (:mod:`.task`) and runs the tool-calling loop through
litellm (:mod:`.loop`, :mod:`.calls`)."""
