"""``llmops-ci report RESULTS [--compare BASE] [-o report.html]``: write a run as one self-contained HTML
file (see :mod:`llmops_ci.report.html` for what it shows).

RESULTS and BASE are results directories (or their ``records.jsonl``), or a runs directory, whose latest
run is taken. The rendered prompts are read from the response cache: ``--cache-dir``, else the
``.llmops/cache`` next to the runs directory RESULTS sits in. Exit 0 when the file is written (the run's
own verdict is in the page; ``show`` and ``diff`` gate on it), 2 for unusable input.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from llmops_ci.errors import EXIT_OK, UsageError
from llmops_ci.eval.results import RECORDS_FILE, ResultsError
from llmops_ci.report.html.view import MAX_CASES, Section


def resolve(path: Path, role: str) -> Path:
    """A results directory given as itself, its records.jsonl, or a runs directory (its latest run)."""
    if not path.exists():
        raise UsageError(f"{role} {path}: no such results directory")
    directory = path.parent if path.is_file() else path
    if (directory / RECORDS_FILE).is_file():
        return directory
    runs = sorted(p for p in directory.iterdir() if (p / RECORDS_FILE).is_file())
    if not runs:
        raise UsageError(f"{role} {path}: no {RECORDS_FILE} here, nor runs holding one")
    return runs[-1]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def monitoring_sections(audit: Sequence[Path], *, since: str | None, project: Path | None) -> list[Section]:
    """The ``llmops-ci monitor`` summary of ``audit`` as a report section."""
    from llmops_ci.commands.monitor import MonitorOptions, build_report
    from llmops_ci.monitoring.report import render_html
    from llmops_ci.report.html import render_section

    found = build_report(MonitorOptions(audit=tuple(audit), since=since, project=project))
    return [render_section("Production monitoring", render_html(found))]


def run(
    results: Path,
    *,
    output: Path,
    compare: Path | None = None,
    cache_dir: Path | None = None,
    max_cases: int = MAX_CASES,
    sections: Sequence[Section] = (),
) -> int:
    from llmops_ci.atomic import write_atomically
    from llmops_ci.report.html import render_report
    from llmops_ci.report.html.prompts import default_cache_dir

    head = resolve(results, "RESULTS")
    base = resolve(compare, "--compare") if compare is not None else None
    if cache_dir is not None and not cache_dir.is_dir():
        raise UsageError(f"--cache-dir {cache_dir}: no such directory")
    if max_cases < 0:
        raise UsageError("--max-cases must be 0 or more")
    if output.is_dir():
        raise UsageError(f"-o {output}: is a directory; give a file name such as report.html")
    if not output.parent.is_dir():
        raise UsageError(f"-o {output}: no such directory {output.parent}")
    try:
        html = render_report(
            head,
            compare=base,
            cache_dir=cache_dir if cache_dir is not None else default_cache_dir(head),
            max_cases=max_cases,
            sections=sections,
        )
    except ResultsError as error:  # a corrupt or newer records file: unusable input, as for diff
        raise UsageError(str(error)) from None
    write_atomically(output, html)
    output.chmod(0o666 & ~_umask())  # a report is for sharing: the temporary file's 0600 is not kept
    sys.stderr.write(f"wrote {output} ({len(html.encode('utf-8')) / 1024:,.0f} KiB)\n")
    return EXIT_OK
