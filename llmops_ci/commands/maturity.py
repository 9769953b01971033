"""``llmops-ci maturity [REPO]``: the repository scored on the seed's six maturity dimensions, with the
evidence and next steps (text, Markdown or JSON), or ``--rubric``. See :mod:`llmops_ci.governance.maturity`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK
from llmops_ci.governance.maturity import (
    LEVEL_NAMES,
    RUBRIC,
    Assessment,
    Scored,
    assess,
    rubric_markdown,
    rubric_text,
)


def _rubric_json() -> str:
    document = [
        {
            "id": d.id,
            "title": d.title,
            "steps": list(d.steps),
            "criteria": [
                {"id": c.id, "level": c.level, "text": c.text, "next_step": c.next_step} for c in d.criteria
            ],
        }
        for d in RUBRIC
    ]
    return json.dumps({"levels": list(LEVEL_NAMES), "dimensions": document}, indent=2)


def _text_dimension(scored: Scored) -> list[str]:
    dimension = scored.dimension
    lines = [f"{dimension.title}: Level {scored.level} ({dimension.steps[scored.level]})"]
    for criterion, check in scored.results:
        mark = "x" if check.met else " "
        lines.append(
            f"  [{mark}] L{criterion.level} {criterion.id.split('.', 1)[1]}: {'; '.join(check.evidence)}"
        )
    lines += [f"  next: {step}" for step in scored.next_steps]
    return lines


def text(assessment: Assessment) -> str:
    lines = [
        f"LLMOps maturity of {assessment.root}: Level {assessment.level} ({LEVEL_NAMES[assessment.level]})"
    ]
    for scored in assessment.dimensions:
        lines += ["", *_text_dimension(scored)]
    return "\n".join(lines)


def markdown(assessment: Assessment) -> str:
    lines = [
        "## LLMOps maturity",
        "",
        f"Overall: **Level {assessment.level}** ({LEVEL_NAMES[assessment.level]}), the lowest dimension.",
        "",
        "| Dimension | Level | Next step |",
        "|---|---|---|",
    ]
    for scored in assessment.dimensions:
        step = scored.next_steps[0] if scored.next_steps else "—"
        level = f"{scored.level} ({scored.dimension.steps[scored.level]})"
        lines.append(f"| {scored.dimension.title} | {level} | {step} |")
    for scored in assessment.dimensions:
        lines += ["", f"### {scored.dimension.title}: Level {scored.level}", ""]
        for criterion, check in scored.results:
            mark = "x" if check.met else " "
            lines.append(f"- [{mark}] **L{criterion.level}** {criterion.text}  ")
            lines.append(f"  _{'; '.join(check.evidence)}_")
        if scored.next_steps:
            lines += ["", "Next: " + " ".join(scored.next_steps)]
    return "\n".join(lines)


def run(
    repo: Path | None, *, output_format: str = "text", rubric: bool = False, fail_under: int | None = None
) -> int:
    if rubric:
        click.echo({"json": _rubric_json, "markdown": rubric_markdown}.get(output_format, rubric_text)())
        return EXIT_OK
    assessment = assess(repo if repo is not None else Path.cwd())
    if output_format == "json":
        click.echo(json.dumps(assessment.to_dict(), indent=2))
    elif output_format == "markdown":
        click.echo(markdown(assessment))
    else:
        click.echo(text(assessment))
    if fail_under is not None and assessment.level < fail_under:
        return EXIT_FINDINGS
    return EXIT_OK
