"""## What it does
Estimates the largest prompt a Prompt can render (message templates, few-shot examples when the
template uses them, and each string input at its `maxLength`) plus `max_tokens`, and reports it when
that exceeds the model's context window. Windows come from litellm's bundled model table (read as a
data file, litellm is not imported) or `model.context_window`; without litellm a small built-in table
and a chars/4 estimate are used and the finding says it is approximate.

## Why is this bad?
The provider rejects the request, or silently truncates it, only for the largest inputs: the
failure shows up in production on the long documents.

## Example
```yaml
model: {id: openai/gpt-3.5-turbo-0125, params: {max_tokens: 4000}}
inputs: {properties: {document: {type: string, maxLength: 60000}}}
```

## Use instead
Lower `maxLength` (chunk long documents), lower `max_tokens`, or pick a model with a larger window.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from llmops_ci.artifacts.model import Artifact
from llmops_ci.artifacts.modelref import model_id, params_of
from llmops_ci.artifacts.templates import prompt_templates
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit
from llmops_ci.providers.catalog import count_tokens, is_local, model_info

CODE = "M002"
NAME = "context-window"
SEVERITY = Severity.ERROR
SUMMARY = "Rendered prompt plus max_tokens exceeds the model's context window"

SMALLEST_WINDOW = 4096  # no current chat model has a smaller context window


def worst_case_chars(artifact: Artifact) -> tuple[str, int]:
    """(fixed text, variable characters at most) of the rendered messages."""
    templates = [template for _, template in prompt_templates(artifact)]
    fixed = "\n".join(template.source for template in templates)
    used = {name for template in templates for name in template.variables}
    properties = artifact.spec.get("inputs", {}).get("properties", {})
    variable = sum(
        int(schema.get("maxLength", 0))
        for name, schema in properties.items()
        if name in used and isinstance(schema, dict)
    )
    if "examples" in used:
        fixed += json.dumps(artifact.spec.get("examples", []), ensure_ascii=False)
    return fixed, variable


def check(context: LintContext) -> Iterator[Hit]:
    for artifact in context.graph.of_kind("Prompt"):
        ref = artifact.spec.get("model", context.default("model"))
        model = model_id(ref)
        if model is None or is_local(model):
            continue
        params = params_of(ref)
        max_tokens = int(params.get("max_tokens") or params.get("max_completion_tokens") or 0)
        fixed, variable_chars = worst_case_chars(artifact)
        variable_tokens = (variable_chars + 3) // 4
        # A token is at least one character, so len(fixed) bounds the fixed part: only when that bound
        # could overflow a window is the model table read and are tokens counted (tiktoken loads slowly).
        upper_bound = len(fixed) + variable_tokens + max_tokens
        declared = ref.get("context_window") if isinstance(ref, dict) else None
        if upper_bound <= (declared or SMALLEST_WINDOW):
            continue
        info = model_info(model)
        window = declared or info.context_window
        if window is None or upper_bound <= window:
            continue
        fixed_tokens, approximate = count_tokens(fixed)
        needed = fixed_tokens + variable_tokens + max_tokens
        if needed <= window:
            continue
        approximate = approximate or (info.approximate and not declared)
        note = (
            " (approximate: chars/4 and a built-in table; install llmops-ci[eval] for exact counts)"
            if approximate
            else ""
        )
        yield hit(
            artifact,
            ("spec", "model"),
            f"prompt may need {needed:,} tokens (templates {fixed_tokens:,} + inputs up to "
            f"{variable_tokens:,} + max_tokens {max_tokens:,}), over the {window:,}-token context "
            f"window of {model}{note}",
            "lower maxLength of the inputs or max_tokens, or use a model with a larger window",
        )
