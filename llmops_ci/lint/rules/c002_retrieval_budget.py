"""## What it does
Estimates the largest prompt a RAG pipeline's answer step can send and reports `retrieval.top_k` when
that exceeds the answer model's context window. The estimate adds:

- `top_k` chunks at the full `chunking.size`, in tokens: a `tokens` size as is, `words` x 4/3,
  `chars` / 4 (rounded up);
- the answer Prompt's fixed template text (as rule M002 counts it);
- its other string inputs (the question among them) at their `maxLength`; the context variable
  (`answer.context_var`, default `context`) is the chunks themselves, so its own `maxLength` is ignored;
- the Prompt's `max_tokens`.

The model is the answer Prompt's, else the project default; `local/` models and models of unknown
window (neither in litellm's bundled table nor given as `model.context_window`) are skipped. The
finding gives the numbers and the largest `top_k`, or chunk size, that fits.

## Why is this bad?
Retrieval fills the prompt with the longest chunks exactly on the questions that match many long
passages: the provider rejects or truncates those requests, in production, and offline evaluations
with short chunks never show it.

## Example
```yaml
chunking: {size: 2000, unit: tokens}
retrieval: {top_k: 10}          # 20,000 tokens of context
answer: {prompt: qa}            # on a model with a 16,385-token window
```

## Use instead
```yaml
chunking: {size: 2000, unit: tokens}
retrieval: {top_k: 6}
```
or smaller chunks, a smaller `max_tokens`, or a model with a larger window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from llmops_ci.artifacts.model import Artifact
from llmops_ci.artifacts.modelref import model_id, params_of
from llmops_ci.artifacts.templates import prompt_templates
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit
from llmops_ci.lint.rules.m002_context_window import SMALLEST_WINDOW, worst_case_chars
from llmops_ci.providers.catalog import count_tokens, is_local, model_info

CODE = "C002"
NAME = "retrieval-budget"
SEVERITY = Severity.ERROR
SUMMARY = "Retrieved top_k chunks plus the answer prompt exceed the answer model's context window"

DEFAULT_CONTEXT_VAR = "context"


def chunk_tokens(size: int, unit: str) -> int:
    """Tokens in a chunk of ``size`` units: tokens as is, words x 4/3, chars / 4 (rounded up)."""
    if unit == "words":
        return -(-size * 4 // 3)
    if unit == "chars":
        return -(-size // 4)
    return size


def units_in(tokens: int, unit: str) -> int:
    """The largest size in ``unit`` whose chunks take at most ``tokens`` tokens."""
    if unit == "words":
        return tokens * 3 // 4
    if unit == "chars":
        return tokens * 4
    return tokens


@dataclass(frozen=True)
class Budget:
    """The answer prompt's tokens apart from the chunks, and the window they share."""

    model: str
    window: int
    template_tokens: int
    input_tokens: int
    max_tokens: int
    approximate: bool

    @property
    def rest(self) -> int:
        return self.template_tokens + self.input_tokens + self.max_tokens


def _input_chars(prompt: Artifact, context_var: str) -> tuple[str, int]:
    """(fixed text, characters of string inputs at maxLength other than the context variable)."""
    fixed, variable = worst_case_chars(prompt)
    used = {name for _, template in prompt_templates(prompt) for name in template.variables}
    schema = prompt.spec.get("inputs", {}).get("properties", {}).get(context_var)
    if context_var in used and isinstance(schema, dict):
        variable -= int(schema.get("maxLength", 0))
    return fixed, variable


def _budget(prompt: Artifact, model_ref: Any, context_var: str, chunk_total: int) -> Budget | None:
    """The budget when the worst case may overflow the window, else None (also for unknown windows)."""
    model = model_id(model_ref)
    if model is None or is_local(model):
        return None
    params = params_of(model_ref)
    max_tokens = int(params.get("max_tokens") or params.get("max_completion_tokens") or 0)
    fixed, variable_chars = _input_chars(prompt, context_var)
    input_tokens = (variable_chars + 3) // 4
    # As in M002: len(fixed) bounds its tokens, so tiktoken and the model table load only when needed.
    upper_bound = chunk_total + len(fixed) + input_tokens + max_tokens
    declared = model_ref.get("context_window") if isinstance(model_ref, dict) else None
    if upper_bound <= (declared or SMALLEST_WINDOW):
        return None
    info = model_info(model)
    window = declared or info.context_window
    if window is None or upper_bound <= window:
        return None
    template_tokens, approximate = count_tokens(fixed)
    approximate = approximate or (info.approximate and not declared)
    return Budget(model, window, template_tokens, input_tokens, max_tokens, approximate)


def _fitting(budget: Budget, per_chunk: int) -> str:
    fits = max(budget.window - budget.rest, 0) // per_chunk
    return f"top_k {fits} fits" if fits else "not even one chunk fits"


def _fix(budget: Budget, top_k: int, unit: str, per_chunk: int) -> str:
    room = budget.window - budget.rest
    if room <= 0:
        return "even without chunks the prompt does not fit: lower maxLength or max_tokens"
    if room < per_chunk:
        return f"not even one chunk fits: use chunks of at most {units_in(room, unit):,} {unit}"
    fix = f"lower top_k to {room // per_chunk}"
    smaller = units_in(room // top_k, unit)
    if smaller >= 1:
        fix += f", or keep top_k {top_k} with chunks of at most {smaller:,} {unit}"
    return fix


def _finding(pipeline: Artifact, prompt: Artifact, model_ref: Any) -> Hit | None:
    spec = pipeline.spec
    top_k = int(spec["retrieval"]["top_k"])
    size, unit = int(spec["chunking"]["size"]), spec["chunking"].get("unit", "tokens")
    per_chunk = chunk_tokens(size, unit)
    context_var = spec["answer"].get("context_var", DEFAULT_CONTEXT_VAR)
    budget = _budget(prompt, model_ref, context_var, top_k * per_chunk)
    if budget is None:
        return None
    needed = top_k * per_chunk + budget.rest
    if needed <= budget.window:
        return None
    note = " (approximate: chars/4 and a built-in table)" if budget.approximate else ""
    return hit(
        pipeline,
        ("spec", "retrieval", "top_k"),
        f"answer prompt may need {needed:,} tokens (top_k {top_k} x {per_chunk:,}-token chunks "
        f"{top_k * per_chunk:,} + templates {budget.template_tokens:,} + inputs up to "
        f"{budget.input_tokens:,} + max_tokens {budget.max_tokens:,}), over the {budget.window:,}-token "
        f"context window of {budget.model}{note}; {_fitting(budget, per_chunk)}",
        _fix(budget, top_k, unit, per_chunk),
    )


def check(context: LintContext) -> Iterator[Hit]:
    for pipeline in context.graph.of_kind("RagPipeline"):
        answer = pipeline.spec.get("answer")
        prompt = context.graph.get("Prompt", answer["prompt"]) if answer else None
        if prompt is None or not prompt.valid:
            continue
        model_ref = prompt.spec.get("model", context.default("model"))
        found = _finding(pipeline, prompt, model_ref)
        if found is not None:
            yield found
