"""## What it does
Compiles every guardrail check and reports a configuration its type cannot use: a regular expression
that RE2 refuses (look-around, back-references, syntax errors), a denylist without terms, an unreadable
`terms_file`, a length check without bounds, a json_schema check whose schema is invalid, an unknown
phone region. (Options a check type does not read are G004.)

## Why is this bad?
A check that cannot compile fails the application at start-up and the eval at run time, far from the
line that broke it.

## Example
```yaml
checks:
  - {id: ids, type: regex, patterns: ["(?<=id=)\\d+"], scopes: {output: redact}}
  - {id: names, type: denylist, scopes: {output: block}}
```

## Use instead
```yaml
  - {id: ids, type: regex, patterns: ["id=\\d+"], scopes: {output: redact}}
  - {id: names, type: denylist, terms: [Globex], scopes: {output: block}}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.guardrails.checks import CHECKS, BuildContext
from llmops_ci.guardrails.policy import PolicyError, compile_check
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "G003"
NAME = "check-config"
SEVERITY = Severity.ERROR
SUMMARY = "Guardrail check configuration cannot compile"


def check(context: LintContext) -> Iterator[Hit]:
    for policy in context.graph.of_kind("GuardrailPolicy"):
        build_context = BuildContext(policy.path.parent)
        for index, spec in enumerate(policy.spec["checks"]):
            if spec["type"] not in CHECKS:
                continue  # G001
            path = ("spec", "checks", index)
            try:
                compile_check(str(policy.name), spec, build_context, index)
            except PolicyError as error:
                if error.key == ("terms_file",) and "No such file" in error.message:
                    continue  # R001 reports the missing file
                yield hit(policy, (*path, *error.key), error.message.partition(": ")[2] or error.message)
