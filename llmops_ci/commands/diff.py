"""``llmops-ci diff BASE HEAD``: compare two runs (results directories) per suite x model, and with
``--artifacts BASE_REF HEAD_REF`` say which artifacts changed between two git refs.

Exit 0, or 1 with ``--fail-on regression`` when a suite x model regressed or a ``--max-regression`` limit
was exceeded; 2 for unusable input (a missing or newer-schema results directory, runs sharing no case,
an unknown git ref, a bad option value).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK, UsageError

FORMATS = ("text", "markdown", "json")
FAIL_ON = ("never", "regression")


@dataclass
class DiffOptions:
    base: Path | None = None
    head: Path | None = None
    artifacts: tuple[str, str] | None = None
    project: Path | None = None
    pairs: tuple[str, ...] = ()
    limits: tuple[str, ...] = ()
    alpha: float = 0.05
    output_format: str = "text"
    fail_on: str = "never"


def parse_pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for value in values:
        base, sep, head = value.partition("=")
        if not sep or not base.strip() or not head.strip():
            raise UsageError(f"--pair-models {value!r}: expected BASE_MODEL=HEAD_MODEL")
        pairs.append((base.strip(), head.strip()))
    return pairs


def parse_limits(values: tuple[str, ...]) -> list[Any]:
    from llmops_ci.artifacts.schemas import did_you_mean
    from llmops_ci.compare import Limit
    from llmops_ci.eval.metrics import METRICS

    limits: list[Limit] = []
    for value in values:
        name, sep, amount = value.partition("=")
        name, amount = name.strip(), amount.strip()
        if not sep or not name or not amount:
            raise UsageError(
                f"--max-regression {value!r}: expected METRIC=LIMIT "
                "(e.g. latency_p95_ms=500 or cost_usd_total=10%)"
            )
        if name not in METRICS:
            raise UsageError(
                f"--max-regression: unknown metric {name!r}{did_you_mean(name, METRICS)} "
                "(llmops-ci metrics lists them)"
            )
        relative = amount.endswith("%")
        try:
            number = float(amount[:-1] if relative else amount)
        except ValueError:
            raise UsageError(
                f"--max-regression {value!r}: {amount!r} is not a number (or a percentage)"
            ) from None
        if not number >= 0:
            raise UsageError(f"--max-regression {value!r}: the limit must be 0 or more")
        limits.append(Limit(name, number / 100 if relative else number, relative))
    return limits


def run(options: DiffOptions) -> int:
    if (options.base is None) != (options.head is None):
        raise UsageError("give two results directories, BASE and HEAD")
    if options.base is None and options.artifacts is None:
        raise UsageError(
            "nothing to compare: give BASE and HEAD results directories, "
            "--artifacts BASE_REF HEAD_REF, or both"
        )
    if options.output_format not in FORMATS:
        raise UsageError(f"--format {options.output_format!r}: one of {', '.join(FORMATS)}")
    pairs = parse_pairs(options.pairs)
    limits = parse_limits(options.limits)
    if options.base is not None and options.head is not None:
        from llmops_ci.compare.runs import read_runs

        base_run, head_run = read_runs(options.base, options.head)  # before numpy is imported

        from llmops_ci.compare.align import compare_runs

        comparison = compare_runs(
            base_run,
            head_run,
            pairs=pairs,
            alpha=options.alpha,
            limits=limits,
        )
    else:
        if pairs or limits:
            raise UsageError("--pair-models and --max-regression need BASE and HEAD results directories")
        comparison = _artifacts_only(options.alpha)
    if options.artifacts is not None:
        from llmops_ci.compare.artifacts import diff_artifacts

        directory = options.project if options.project is not None else Path.cwd()
        if not directory.is_dir():
            raise UsageError(f"--project {directory}: no such directory")
        comparison["artifacts"] = diff_artifacts(directory, *options.artifacts)
    sys.stdout.write(_render(comparison, options.output_format))
    sys.stdout.flush()
    failed = comparison["counts"]["regressed"] or comparison["counts"]["breaches"]
    return EXIT_FINDINGS if options.fail_on == "regression" and failed else EXIT_OK


def _artifacts_only(alpha: float) -> dict[str, Any]:
    from llmops_ci.compare import stats
    from llmops_ci.compare.align import DIFF_VERSION

    return {
        "diff_version": DIFF_VERSION,
        "base": None,
        "head": None,
        "alpha": alpha,
        "rule": stats.rule_text(alpha),
        "limits": [],
        "verdict": stats.UNCHANGED,
        "counts": {
            stats.REGRESSED: 0,
            stats.IMPROVED: 0,
            stats.UNCHANGED: 0,
            stats.NOT_COMPARABLE: 0,
            "breaches": 0,
        },
        "comparisons": [],
        "only_in_base": [],
        "only_in_head": [],
        "artifacts": None,
    }


def _render(comparison: dict[str, Any], output_format: str) -> str:
    if output_format == "json":
        from llmops_ci.report.diff_text import render_json

        return render_json(comparison)
    if output_format == "markdown":
        from llmops_ci.report.diff_markdown import render

        return render(comparison)
    from llmops_ci.report.diff_text import render_text

    return render_text(comparison)
