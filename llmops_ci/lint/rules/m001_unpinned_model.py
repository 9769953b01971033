"""## What it does
Warns when a generation model id is not pinned to a dated snapshot: prompts' models and fallbacks,
suites' model matrices and the Project's default model. `local/...` offline models are exempt; graders
are checked by E001.

## Why is this bad?
An alias such as `gpt-4o` or `claude-3-5-sonnet-latest` moves when the provider ships a new snapshot:
outputs change with no commit, and yesterday's eval no longer describes today's behaviour.

## Example
```yaml
model: {id: openai/gpt-4o-mini}
```

## Use instead
```yaml
model: {id: openai/gpt-4o-mini-2024-07-18}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.lint.models import generation_models
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit
from llmops_ci.providers.catalog import is_pinned

CODE = "M001"
NAME = "unpinned-model"
SEVERITY = Severity.WARNING
SUMMARY = "Model id is not pinned to a dated snapshot"


def check(context: LintContext) -> Iterator[Hit]:
    for artifact in context.graph.scoped():
        if not artifact.valid:
            continue
        for path, model in generation_models(artifact):
            if not is_pinned(model):
                yield hit(
                    artifact,
                    path,
                    f"model {model!r} is not pinned to a dated snapshot",
                    "use a dated id such as openai/gpt-4o-mini-2024-07-18 so outputs do not drift",
                )
