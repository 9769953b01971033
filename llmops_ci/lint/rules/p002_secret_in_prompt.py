"""## What it does
Looks for secret-looking strings in prompts (messages, examples, every string of the file): cloud and
SaaS API keys (AWS, GitHub, Slack, Stripe, OpenAI, Anthropic, Google), private key blocks and JWTs.

## Why is this bad?
A prompt is sent to a model provider on every call, stored in results and caches, and committed to
git: a key in it is leaked many times over. Credentials belong in the environment.

## Example
```yaml
messages:
  - {role: system, content: "Use the API with key sk-proj-abc...xyz to fetch prices."}
```

## Use instead
Keep the key in an environment variable read by your application or tool, never in the prompt text.
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.guardrails.checks import load_check
from llmops_ci.lint.rule import Hit, LintContext, Severity
from llmops_ci.lint.rules._strings import redact, strings_in

CODE = "P002"
NAME = "secret-in-prompt"
SEVERITY = Severity.ERROR
SUMMARY = "Secret-looking string (API key, token, private key) in a prompt"


def check(context: LintContext) -> Iterator[Hit]:
    prompts = list(context.graph.of_kind("Prompt"))
    if not prompts:
        return
    secrets = load_check("secrets")
    for artifact in prompts:
        for path, text in strings_in(artifact.spec, ("spec",)):
            for detection in secrets.find(text):
                yield Hit(
                    artifact,
                    artifact.position_in_string(path, detection.start),
                    f"{detection.entity} found in the prompt ({redact(detection.text)})",
                    "remove the credential and rotate it; read secrets from the environment",
                )
