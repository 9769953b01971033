"""## What it does
Looks for personal data in few-shot examples: e-mail addresses, phone numbers, payment card numbers
(Luhn-checked), IBANs (checksum-validated) and US social security numbers.

## Why is this bad?
Examples are sent with every call and committed to git. Real customer data in them is a privacy
incident (GDPR, the EU AI Act's data governance duties); use synthetic values.

## Example
```yaml
examples:
  - {inputs: {document: "Contact jane.doe@acme-corp.com, card 4111 1111 1111 1111"}, output: invoice}
```

## Use instead
```yaml
  - {inputs: {document: "Contact <EMAIL>, card <CARD>"}, output: invoice}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.guardrails.checks import load_check
from llmops_ci.lint.rule import Hit, LintContext, Severity
from llmops_ci.lint.rules._strings import redact, strings_in

CODE = "P003"
NAME = "pii-in-examples"
SEVERITY = Severity.WARNING
SUMMARY = "Personal data (e-mail, phone, card, IBAN, SSN) in few-shot examples"


def check(context: LintContext) -> Iterator[Hit]:
    prompts = [a for a in context.graph.of_kind("Prompt") if a.spec.get("examples")]
    if not prompts:
        return
    pii = load_check("pii")
    for artifact in prompts:
        for path, text in strings_in(artifact.spec["examples"], ("spec", "examples")):
            for detection in pii.find(text):
                yield Hit(
                    artifact,
                    artifact.position_in_string(path, detection.start),
                    f"{detection.entity} in a few-shot example ({redact(detection.text, 3)})",
                    "replace it with a synthetic or placeholder value",
                )
