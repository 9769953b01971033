"""``llmops-ci ci pr``: the one command the GitHub Action runs on a pull request.

1. Read the ``pull_request`` event (``GITHUB_EVENT_PATH``): the PR number, and base and head commits from
   the payload (never ``GITHUB_SHA``, the merge commit).
2. Find the suites the PR affects: the files changed between base and head (``git diff base...head``),
   the artifacts among them or whose files (a suite's ``cases_file``, a policy's ``terms_file``) are
   among them, and every suite that references those, transitively, through the reference graph.
   A changed llmops.yaml affects every suite; ``--suites`` names them instead (``all``: every suite).
3. Lint what changed (and what references it) with annotations (``--format github`` in Actions).
4. Evaluate the affected suites at head (the working tree), then at base in a separate git worktree
   (its own process, so the base commit's python modules are the ones it runs), both with one cache
   directory: a case unchanged between base and head is answered from the cache on the second run.
5. Diff base vs head (``llmops-ci diff``'s comparison, with the artifact changes above the numbers).
6. Upsert ONE comment on the PR (a hidden marker: find and PATCH, else POST), redacted by the
   guardrails' secrets check, under GitHub's size limit; write the step summary and the step outputs
   (``verdict``, ``pass-rate``, ``cost-delta``, ``comment-url``, ``results-dir``).
7. Exit per ``--fail-on``: ``regression`` (default) fails on a significant pass-rate regression (or an
   exceeded ``--max-regression`` limit), on lint errors, and when head cannot be evaluated;
   ``threshold`` also fails when head misses a suite's thresholds; ``never`` reports only (exit 0).

An API error (403 on a fork's read-only token, 404, 422, 5xx after retries) is explained in the log and
as a warning annotation, and the report still lands in the step summary; it does not change the exit
code. A base commit missing from the clone (a shallow checkout) is a usage error (exit 2).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from llmops_ci import __version__
from llmops_ci.artifacts.loader import PROJECT_FILE, ProjectConfig, find_root, load_graph, load_project
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.errors import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, LlmopsError, UsageError
from llmops_ci.eval.results import SUMMARY_FILE
from llmops_ci.findings import Finding, Severity
from llmops_ci.github import comment as sticky
from llmops_ci.github.event import PullRequestEvent, load_event
from llmops_ci.github.outputs import annotate, append_summary, set_outputs

FAIL_ON = ("regression", "threshold", "never")
#: Output ``verdict`` values.
VERDICTS = ("regressed", "improved", "unchanged", "not-comparable", "skipped", "error")
_VERDICT_SLUGS = {
    "regressed": "regressed",
    "improved": "improved",
    "no significant change": "unchanged",
    "not comparable": "not-comparable",
}
_YAML_SUFFIXES = (".yaml", ".yml")
_ERROR_LINES = 20


@dataclass
class PrOptions:
    project: Path | None = None
    event: Path | None = None
    #: suite names separated by commas or spaces; "all" for every suite; empty: the affected ones
    suites: str = ""
    model: str | None = None
    fail_on: str = "regression"
    comment: bool = True
    cache_dir: Path | None = None
    output: Path | None = None
    alpha: float = 0.05
    limits: tuple[str, ...] = ()


# --- git -------------------------------------------------------------------------------------------


class _Git:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        top = self.run("rev-parse", "--show-toplevel", what="find the git repository")
        self.top = Path(top.strip()).resolve()

    def run(self, *args: str, what: str) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", str(self.directory), *args],
                capture_output=True,
                text=True,
                errors="surrogateescape",
                check=False,
            )
        except FileNotFoundError:
            raise UsageError("`llmops-ci ci pr` needs git on PATH") from None
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines()
            raise UsageError(f"cannot {what}: git {args[0]}: {lines[-1] if lines else 'failed'}")
        return done.stdout

    def has_commit(self, sha: str) -> bool:
        done = subprocess.run(
            ["git", "-C", str(self.top), "cat-file", "-e", f"{sha}^{{commit}}"],
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def changes(self, base: str, head: str) -> list[tuple[str, Path]]:
        """(status letter, absolute path) of the files changed on the way from base to head (from
        their merge base: what the pull request itself changes); renames as a deletion and an addition."""
        out = self.run(
            "diff", "--name-status", "-z", "--no-renames", f"{base}...{head}", "--", what="list changed files"
        )
        fields = out.split("\0")
        return [
            (fields[i][:1], (self.top / fields[i + 1]).resolve())
            for i in range(0, len(fields) - 1, 2)
            if fields[i]
        ]


# --- what the pull request affects ----------------------------------------------------------------


@dataclass
class Affected:
    suites: list[Artifact]
    #: artifact files to lint (with what references them); None: the whole project
    lint_paths: list[Path] | None
    changed: int
    reason: str


def affected(graph: Graph, config: ProjectConfig, changes: Sequence[tuple[str, Path]]) -> Affected:
    """The suites that the changed files reach through the reference graph (see the module docstring)."""
    root = config.root
    inside = [(status, path) for status, path in changes if path == root or root in path.parents]
    changed = {path for _, path in inside}
    suites_everywhere = list(graph.of_kind("EvalSuite", valid_only=False, everywhere=True))
    if (root / PROJECT_FILE).resolve() in changed:
        return Affected(suites_everywhere, None, len(inside), f"{PROJECT_FILE} changed: every suite")
    seeds = {artifact for artifact in graph.artifacts if artifact.path in changed}
    seeds |= {ref.source for ref in graph.references if ref.is_file and ref.file in changed}
    reached: set[Artifact] = set()
    pending = list(seeds)
    while pending:
        current = pending.pop()
        if current in reached:
            continue
        reached.add(current)
        pending.extend(graph.referrers_of(current))
    suites = [suite for suite in suites_everywhere if suite in reached]
    deleted_yaml = any(status == "D" and path.suffix in _YAML_SUFFIXES for status, path in inside)
    lint_paths = None if deleted_yaml else sorted({artifact.path for artifact in seeds | set(suites)})
    reason = (
        f"{len(inside)} changed file(s) in the project reach {len(suites)} suite(s)"
        if inside
        else "no file of the project changed"
    )
    return Affected(suites, lint_paths, len(inside), reason)


def _named_suites(graph: Graph, text: str) -> list[Artifact]:
    from llmops_ci.artifacts.schemas import did_you_mean

    suites = list(graph.of_kind("EvalSuite", valid_only=False, everywhere=True))
    names = [name for name in re.split(r"[\s,]+", text.strip()) if name]
    if names == ["all"]:
        return suites
    by_name = {str(suite.name): suite for suite in suites}
    missing = [name for name in names if name not in by_name]
    if missing:
        raise UsageError(
            f"--suites: no EvalSuite named {missing[0]!r}{did_you_mean(missing[0], by_name)}; "
            f"suites: {', '.join(sorted(by_name)) or 'none'}"
        )
    return [by_name[name] for name in dict.fromkeys(names)]


# --- lint ------------------------------------------------------------------------------------------


@dataclass
class LintOutcome:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    failed: bool = False
    ran: bool = True

    @property
    def line(self) -> str:
        from llmops_ci.report._counts import summary_line

        if not self.ran:
            return "**Lint:** no artifact changed."
        icon = "❌" if self.failed else ("⚠️" if self.findings else "✅")
        where = " (annotations on the changed lines)" if self.findings else ""
        return f"**Lint:** {icon} {summary_line(self.findings, self.files)}{where}"


def _lint(graph: Graph, config: ProjectConfig, paths: list[Path] | None) -> LintOutcome:
    from llmops_ci.commands.lint import resolve_format
    from llmops_ci.lint.engine import Selection, run_rules, scope_for
    from llmops_ci.lint.rules import RULES
    from llmops_ci.report import lint_reporter

    if paths is not None and not paths:
        return LintOutcome(ran=False)
    scope = None if paths is None else scope_for(graph, paths)
    findings = run_rules(graph, config, Selection.build(config, (), ()), scope)
    files = sum(1 for artifact in graph.artifacts if scope is None or artifact.path in scope)
    graph.scope = None
    failing = Severity.WARNING if config.lint.get("strict", False) else Severity.ERROR
    rules = [rule.info for rule in RULES.values()]
    sys.stdout.write(lint_reporter(resolve_format("auto"))(findings, rules, files))
    sys.stdout.flush()
    return LintOutcome(findings, files, any(finding.severity >= failing for finding in findings))


# --- eval ------------------------------------------------------------------------------------------


@dataclass
class EvalOutcome:
    side: str
    directory: Path
    code: int
    summary: dict[str, Any] | None
    problem: str | None = None

    @property
    def ran(self) -> bool:
        return self.summary is not None


class _Tee(io.StringIO):
    """Writes go to ``stream`` and are kept (the problems of a run that could not start)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(text)
        return super().write(text)

    def flush(self) -> None:
        self.stream.flush()


def _eval_options(
    suites: Sequence[str], project: Path, output: Path, cache_dir: Path, model: str | None
) -> dict[str, Any]:
    return {
        "suites": list(suites),
        "project": str(project),
        "output": str(output),
        "cache_dir": str(cache_dir),
        "model": model,
    }


def _outcome(side: str, directory: Path, code: int, errors: str) -> EvalOutcome:
    summary_path = directory / SUMMARY_FILE
    summary = None
    if summary_path.is_file():
        with contextlib.suppress(OSError, json.JSONDecodeError):
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
    problem = None
    if summary is None:
        lines = [line for line in errors.strip().splitlines() if line.strip()]
        shown = lines[:_ERROR_LINES] + (
            [f"… and {len(lines) - _ERROR_LINES} more"] if len(lines) > _ERROR_LINES else []
        )
        problem = "\n".join(shown) or f"eval exited {code} without results"
    return EvalOutcome(side, directory, code, summary, problem)


def _eval_head(options: dict[str, Any]) -> EvalOutcome:
    """Head: in this process (the working tree is the code that runs anyway)."""
    from llmops_ci.commands import eval as eval_command

    tee = _Tee(sys.stderr)
    with contextlib.redirect_stderr(tee):
        try:
            code = eval_command.run(_to_eval_options(options))
        except LlmopsError as error:
            sys.stderr.write(f"llmops-ci: {error}\n")
            code = error.exit_code
    return _outcome("head", Path(options["output"]), code, tee.getvalue())


def _eval_base(options: dict[str, Any], env: Mapping[str, str]) -> EvalOutcome:
    """Base: in a child process, so the base commit's own python modules (local models, ``python``
    assertions) are imported, not head's."""
    command = [sys.executable, "-m", "llmops_ci.commands.ci_pr", json.dumps(options)]
    sys.stdout.flush()
    done = subprocess.run(
        command, cwd=options["project"], env=dict(env), stderr=subprocess.PIPE, text=True, check=False
    )
    sys.stderr.write(done.stderr)
    return _outcome("base", Path(options["output"]), done.returncode, done.stderr)


def _to_eval_options(options: dict[str, Any]) -> Any:
    from llmops_ci.commands.eval import EvalOptions

    return EvalOptions(
        suites=tuple(options["suites"]),
        project=Path(options["project"]),
        output=Path(options["output"]),
        cache_dir=Path(options["cache_dir"]),
        model=options.get("model"),
    )


@contextlib.contextmanager
def _worktree(git: _Git, sha: str, env: Mapping[str, str]) -> Iterator[Path]:
    """A detached worktree of ``sha``, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="llmops-ci-base-", dir=env.get("RUNNER_TEMP") or None))
    path = parent / "base"
    try:
        git.run("worktree", "add", "--detach", "--force", str(path), sha, what=f"check out base {sha[:12]}")
        yield path
    finally:
        subprocess.run(
            ["git", "-C", str(git.top), "worktree", "remove", "--force", str(path)],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(parent, ignore_errors=True)
        subprocess.run(["git", "-C", str(git.top), "worktree", "prune"], capture_output=True, check=False)


def _base_suites(base_root: Path, names: Sequence[str]) -> tuple[list[str], str | None]:
    """The suites of ``names`` that exist at base, or a reason why base cannot be evaluated."""
    if not (base_root / PROJECT_FILE).is_file():
        return [], f"no {PROJECT_FILE} at base: the project is new"
    try:
        config = load_project(base_root)
    except LlmopsError as error:
        return [], f"base {PROJECT_FILE} cannot be read: {error}"
    known = {str(s.name) for s in load_graph(config).of_kind("EvalSuite", valid_only=False, everywhere=True)}
    return [name for name in names if name in known], None


# --- diff and report -------------------------------------------------------------------------------


@dataclass
class Report:
    event: PullRequestEvent
    options: PrOptions
    head_commit: str
    project_key: str | None
    affected: Affected
    suites: list[str]
    lint: LintOutcome
    head: EvalOutcome | None = None
    base: EvalOutcome | None = None
    base_note: str | None = None
    comparison: dict[str, Any] | None = None
    diff_note: str | None = None
    artifacts: dict[str, Any] | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if not self.suites:
            return "skipped"
        if self.head is None or not self.head.ran:
            return "error"
        if self.comparison is None:
            return "not-comparable"
        return _VERDICT_SLUGS.get(str(self.comparison["verdict"]), "not-comparable")

    @property
    def pass_rate(self) -> float | None:
        if self.head is None or self.head.summary is None:
            return None
        groups = self.head.summary.get("suites") or []
        passed = sum(int(g.get("passed") or 0) for g in groups)
        judged = passed + sum(int(g.get("failed") or 0) for g in groups)
        return passed / judged if judged else None

    @property
    def cost_delta(self) -> float | None:
        if self.comparison is None:
            return None
        deltas = [
            metric["delta"]
            for entry in self.comparison["comparisons"]
            for metric in entry["metrics"]
            if metric["name"] == "cost_usd_total" and metric.get("delta") is not None
        ]
        return float(sum(deltas)) if deltas else None


def _compare(report: Report) -> None:
    from llmops_ci.commands.diff import parse_limits
    from llmops_ci.compare import DiffInputError

    head, base = report.head, report.base
    if head is None or not head.ran or base is None or not base.ran:
        return
    try:
        from llmops_ci.compare.runs import read_runs

        base_run, head_run = read_runs(base.directory, head.directory)
        from llmops_ci.compare.align import compare_runs

        report.comparison = compare_runs(
            base_run, head_run, alpha=report.options.alpha, limits=parse_limits(report.options.limits)
        )
    except DiffInputError as error:
        report.diff_note = f"base and head could not be compared: {error}"


def _artifact_changes(root: Path, base_sha: str, head_commit: str) -> dict[str, Any] | None:
    from llmops_ci.compare import DiffInputError
    from llmops_ci.compare.artifacts import diff_artifacts

    try:
        return diff_artifacts(root, base_sha[:12], head_commit[:12])
    except (DiffInputError, LlmopsError) as error:
        sys.stderr.write(f"llmops-ci: artifact changes not shown: {error}\n")
        return None


def _main_markdown(report: Report, max_chars: int) -> str:
    from llmops_ci.report.diff_markdown import render

    if report.comparison is not None:
        return render({**report.comparison, "artifacts": report.artifacts}, max_chars=max_chars)
    title = {
        "skipped": "### ⚪ llmops-ci: no eval suite affected",
        "error": "### ❌ llmops-ci: head could not be evaluated",
        "not-comparable": "### ⚫ llmops-ci: nothing to compare with base",
    }[report.verdict]
    text = title + "\n\n" + sticky.inline(report.affected.reason) + ".\n"
    if report.suites:
        text += "\nSuites: " + ", ".join(f"`{sticky.inline(name)}`" for name in report.suites[:50])
        text += f" … and {len(report.suites) - 50:,} more\n" if len(report.suites) > 50 else "\n"
    if report.artifacts is not None:
        artifacts_only = render(
            {"base": None, "artifacts": report.artifacts}, max_chars=max(1_000, max_chars - len(text))
        )
        text += "\n" + artifacts_only.split("\n", 2)[-1]
    return text[:max_chars]


def _head_only(report: Report) -> str:
    """Suites x models evaluated at head that the diff did not compare (new, or base could not run)."""
    if report.head is None or report.head.summary is None:
        return ""
    compared = {(c["suite"], c["head_model"]) for c in (report.comparison or {}).get("comparisons", [])}
    from llmops_ci.report.diff_text import fmt_value

    rows = [
        f"| `{sticky.inline(g['suite'])}` | `{sticky.inline(g['model'])}` | {int(g.get('cases') or 0):,} | "
        f"{fmt_value((g.get('metrics') or {}).get('pass_rate'), 'ratio')} | "
        f"{'✅ pass' if g.get('passed_gates') else '❌ fail'} |"
        for g in report.head.summary.get("suites") or []
        if (g.get("suite"), g.get("model")) not in compared
    ]
    if not rows:
        return ""
    return "\n".join(
        [
            "#### Head only (no base to compare with)",
            "",
            "| suite | model | cases | pass rate | thresholds |",
            "| --- | --- | --- | --- | --- |",
            *rows,
        ]
    )


def _notes(report: Report) -> str:
    notes = []
    for outcome in (report.head, report.base):
        if outcome is not None and outcome.problem:
            notes.append(f"**{outcome.side} eval did not run:**\n\n{sticky.code_block(outcome.problem)}")
    if report.base_note:
        notes.append(f"Base: {sticky.inline(report.base_note)}.")
    if report.diff_note:
        notes.append(sticky.inline(report.diff_note) + ".")
    return "\n\n".join(notes)


def _footer(report: Report, env: Mapping[str, str]) -> str:
    gate = f"fail-on `{report.options.fail_on}`: " + (
        "❌ " + "; ".join(report.failures) if report.failures else "✅ passed"
    )
    parts = [
        f"llmops-ci {__version__}",
        f"base `{report.event.base_sha[:7]}` → head `{report.head_commit[:7]}`",
        gate,
    ]
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repository = env.get("GITHUB_REPOSITORY") or report.event.repository
    run_id = env.get("GITHUB_RUN_ID")
    if run_id and run_id.isdigit():
        parts.append(f"[workflow run]({server}/{repository}/actions/runs/{run_id})")
    return "---\n<sub>" + " · ".join(parts) + "</sub>"


def _gate(report: Report) -> list[str]:
    failures: list[str] = []
    if report.options.fail_on == "never":
        return failures
    if report.lint.failed:
        failures.append("lint found errors")
    if report.suites and (report.head is None or not report.head.ran):
        failures.append("head could not be evaluated")
    if report.comparison is not None:
        counts = report.comparison["counts"]
        if counts["regressed"]:
            failures.append(f"{counts['regressed']} suite x model regressed")
        if counts["breaches"]:
            failures.append(f"{counts['breaches']} --max-regression limit(s) exceeded")
    summary = report.head.summary if report.head is not None else None
    if report.options.fail_on == "threshold" and summary is not None and not summary.get("passed"):
        failing = [
            f"{g['suite']} x {g['model']}" for g in summary.get("suites") or [] if not g.get("passed_gates")
        ]
        failures.append("thresholds missed: " + (", ".join(failing[:5]) or "incomplete run"))
    return failures


# --- posting ---------------------------------------------------------------------------------------


def _post(report: Report, body: str, env: Mapping[str, str]) -> tuple[str, str | None]:
    """(comment URL or '', a problem to tell) after upserting the sticky comment."""
    from llmops_ci.github.rest import DEFAULT_API_URL, GitHubApiError, GitHubClient, upsert_comment

    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
    if not token:
        return (
            "",
            "no GITHUB_TOKEN in the environment: the comment was not posted (the Action's `token` input)",
        )
    try:
        client = GitHubClient(token, env.get("GITHUB_API_URL") or DEFAULT_API_URL)
        result = upsert_comment(
            client, report.event.repository, report.event.number, body, sticky.matcher(report.project_key)
        )
    except GitHubApiError as error:
        text = str(error)
        if error.status == 403 and report.event.from_fork:
            text += f" (this pull request comes from the fork {report.event.head_repository})"
        return "", f"the pull-request comment was not posted: {text}"
    except LlmopsError as error:
        return "", f"the pull-request comment was not posted: {error}"
    sys.stderr.write(f"llmops-ci: comment {result.action}: {result.html_url or result.id}\n")
    return result.html_url, None


# --- the command -----------------------------------------------------------------------------------


def _project_root(options: PrOptions) -> Path:
    if options.project is not None:
        if not options.project.is_dir():
            raise UsageError(f"--project {options.project}: no such directory")
        return options.project.resolve()
    return find_root(Path.cwd()) or Path.cwd().resolve()


def _stop_if_interrupted(outcome: EvalOutcome) -> None:
    """A run stopped by Ctrl-C or SIGTERM (a cancelled job) stops ``ci pr`` too: exit 130, no comment."""
    if outcome.code == EXIT_INTERRUPTED:
        raise KeyboardInterrupt


def _run_directory(options: PrOptions, root: Path, number: int) -> Path:
    if options.output is not None:
        directory = options.output.resolve()
    else:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        directory = root / ".llmops" / "runs" / f"pr-{number}-{stamp}-{secrets.token_hex(3)}"
    for side in ("head", "base"):
        if (directory / side).exists():
            raise UsageError(f"{directory / side} already exists: choose another --output (runs never mix)")
    return directory


def _cache_directory(options: PrOptions, config: ProjectConfig) -> Path:
    if options.cache_dir is not None:
        return options.cache_dir.resolve()
    cache_spec = config.spec.get("cache")
    relative = cache_spec.get("dir", ".llmops/cache") if isinstance(cache_spec, dict) else ".llmops/cache"
    return (config.root / str(relative)).resolve()


def run(options: PrOptions, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    if options.fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on {options.fail_on!r}: one of {', '.join(FAIL_ON)}")
    if options.limits:
        from llmops_ci.commands.diff import parse_limits

        parse_limits(options.limits)  # a bad value is a usage error before anything runs
    event = load_event(options.event, env)
    root = _project_root(options)
    config = load_project(root)
    git = _Git(root)
    if not git.has_commit(event.base_sha):
        raise UsageError(
            f"the base commit {event.base_sha[:12]} of pull request #{event.number} is not in this clone: "
            "check out with full history (actions/checkout with `fetch-depth: 0`)"
        )
    head_commit = git.run("rev-parse", "HEAD", what="read HEAD").strip()
    head_sha = event.head_sha if git.has_commit(event.head_sha) else head_commit
    key = root.relative_to(git.top).as_posix() if root != git.top else None
    graph = load_graph(config)
    changes = git.changes(event.base_sha, head_sha)
    found = affected(graph, config, changes)
    if options.suites.strip():
        found.suites = _named_suites(graph, options.suites)
        found.reason = f"suites named by --suites: {len(found.suites)}"
        if found.lint_paths is not None:
            found.lint_paths = sorted(set(found.lint_paths) | {suite.path for suite in found.suites})
    names = [str(suite.name) for suite in found.suites]
    sys.stderr.write(f"llmops-ci: PR #{event.number}: {found.reason}\n")
    sys.stderr.flush()
    report = Report(event, options, head_commit, key, found, names, _lint(graph, config, found.lint_paths))

    directory = _run_directory(options, root, event.number)
    cache_dir = _cache_directory(options, config)
    if names:
        report.head = _eval_head(_eval_options(names, root, directory / "head", cache_dir, options.model))
        _stop_if_interrupted(report.head)
    if report.head is not None and report.head.ran:
        with _worktree(git, event.base_sha, env) as tree:
            base_root = tree / key if key else tree
            base_names, report.base_note = _base_suites(base_root, names)
            if base_names:
                base_options = _eval_options(
                    base_names, base_root, directory / "base", cache_dir, options.model
                )
                report.base = _eval_base(base_options, env)
                _stop_if_interrupted(report.base)
            elif report.base_note is None:
                report.base_note = "none of the affected suites exists at base (new suites)"
    _compare(report)
    report.artifacts = _artifact_changes(root, event.base_sha, head_commit)
    report.failures = _gate(report)
    return _finish(report, directory, env)


def _finish(report: Report, directory: Path, env: Mapping[str, str]) -> int:
    sections = [_head_only(report), _notes(report), report.lint.line, _footer(report, env)]
    body = sticky.build(
        lambda chars: _main_markdown(report, chars), sections, key=report.project_key, env=env
    )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "comment.md").write_text(body, encoding="utf-8")
    url, problem = "", None
    if report.options.comment:
        url, problem = _post(report, body, env)
        if problem:
            annotate("warning", problem + "; the report is in the step summary", env=env)
    summary = body.split("\n", 1)[1] if body.startswith(sticky.MARKER) else body
    if url:
        summary += f"\n[The pull-request comment]({url})\n"
    elif problem:
        summary = f"> [!WARNING]\n> {problem}\n\n" + summary
    append_summary(summary, env)
    pass_rate, cost_delta = report.pass_rate, report.cost_delta
    set_outputs(
        {
            "verdict": report.verdict,
            "pass-rate": f"{pass_rate:.4f}" if pass_rate is not None else "",
            "cost-delta": f"{cost_delta:.6f}" if cost_delta is not None else "",
            "comment-url": url,
            "results-dir": str(directory),
        },
        env,
    )
    sys.stderr.write(
        f"llmops-ci: verdict {report.verdict}; report in {directory / 'comment.md'}"
        + (f"; failing: {'; '.join(report.failures)}" if report.failures else "")
        + "\n"
    )
    return EXIT_FINDINGS if report.failures else EXIT_OK


# --- the base run's process ------------------------------------------------------------------------


def _child(argv: Sequence[str]) -> int:
    """``python -m llmops_ci.commands.ci_pr OPTIONS_JSON``: one eval run (the base side)."""
    import gc

    from llmops_ci.commands import eval as eval_command

    gc.enable()
    try:
        return eval_command.run(_to_eval_options(json.loads(argv[0])))
    except LlmopsError as error:
        sys.stderr.write(f"llmops-ci: {error}\n")
        return error.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
