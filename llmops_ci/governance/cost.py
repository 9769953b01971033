"""Cost allocation (chargeback): token and cost totals of eval runs and runtime calls, attributed to owners
and labels, checked against per-owner budgets.

Inputs
  - an eval **results** directory (``records.jsonl``; ``schemas/results.schema.json``): each record is one
    model call of a suite, timed by its run's ``started_at`` (``summary.json``), else by the file's
    modification time;
  - a runtime **audit** directory (``audit-YYYY-MM-DD.jsonl`` files; ``schemas/audit-record.schema.json``),
    or one audit file: each record is one production call, timed by its own ``time``;
  - a directory holding run directories (``.llmops/runs``) reads every run in it.

Attribution
  - **owner**: ``metadata.owner`` of the called artifact, looked up in the repository's *current* artifacts
    by kind and name (a results record's ``target``; an audit record's ``prompt``). Unknown artifacts and
    artifacts without an owner count as ``(unowned)``.
  - **labels**: ``metadata.labels`` of the same artifact. ``--by label`` puts a call under every
    ``key=value`` it carries, so label rows may add up to more than the total; ``--label KEY`` groups by one
    key only (``(none)`` without it) and the rows add up.
  - **cost-center**: the owner's ``cost_center`` in ``spec.governance.owners`` (``(none)`` without one).
  - **suite**: the EvalSuite for eval records, ``(runtime)`` for audit records. **model**: the model that
    answered. **artifact**: ``kind/name``.
  - A call whose model has no known price (``cost_usd`` null) adds its tokens but no cost and is counted
    as *unpriced*: a total with unpriced calls is a lower bound. Cache hits cost 0.

Budgets (``llmops.yaml``: ``spec.budgets.owners: {OWNER: {daily_usd, monthly_usd}}``)
  Each owner's spend is summed per UTC calendar day (``--period day``) or month (``--period month``, the
  default) and compared with the budget for that period; an owner with only the other budget gets it
  prorated (``daily_usd`` x days in the month, ``monthly_usd`` / days in the month). Spend above the
  budget is **over budget** (exit 1); at 80 % or more it is a warning.

Time window: ``--since`` and ``--until`` take a date (``2025-01-31``, a whole UTC day, both ends
inclusive) or an ISO date-time (UTC unless it says otherwise; ``--until`` exclusive).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops_ci.auditlog import AUDIT_SCHEMA_VERSION, audit_files, read_audit
from llmops_ci.errors import LlmopsError, UsageError
from llmops_ci.eval.results import RECORDS_FILE, read_records

GROUPINGS = ("owner", "cost-center", "suite", "model", "label", "artifact")
PERIODS = ("day", "month")
UNOWNED = "(unowned)"
NO_LABEL = "(none)"
RUNTIME = "(runtime)"
WARN_SHARE = 0.8


class CostError(LlmopsError):
    """An input cannot be read as results or audit records."""


@dataclass(frozen=True)
class Usage:
    """One model call: where it came from, when, what it called and what it cost."""

    source: str  # "eval" or "runtime"
    time: dt.datetime
    kind: str
    name: str
    suite: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


@dataclass
class Owners:
    """Owner and labels per artifact (``kind/name``), from the repository's artifacts."""

    owner: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    cost_centers: dict[str, str] = field(
        default_factory=dict
    )  # owner -> governance.owners.<owner>.cost_center

    def owner_of(self, usage: Usage) -> str:
        return self.owner.get(f"{usage.kind}/{usage.name}", UNOWNED)

    def labels_of(self, usage: Usage) -> dict[str, str]:
        return self.labels.get(f"{usage.kind}/{usage.name}", {})


@dataclass(frozen=True)
class Budget:
    daily_usd: float | None
    monthly_usd: float | None

    def for_period(self, period: str, bucket: str) -> float | None:
        """The budget of one ``bucket`` (``YYYY-MM-DD`` or ``YYYY-MM``), prorated from the other one."""
        year, month = int(bucket[:4]), int(bucket[5:7])
        days = calendar.monthrange(year, month)[1]
        if period == "day":
            if self.daily_usd is not None:
                return self.daily_usd
            return self.monthly_usd / days if self.monthly_usd is not None else None
        if self.monthly_usd is not None:
            return self.monthly_usd
        return self.daily_usd * days if self.daily_usd is not None else None


@dataclass
class Row:
    key: str
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unpriced: int = 0

    def add(self, usage: Usage) -> None:
        self.calls += 1
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        if usage.cost_usd is None:
            self.unpriced += 1
        else:
            self.cost_usd += usage.cost_usd

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "unpriced_calls": self.unpriced,
        }


@dataclass(frozen=True)
class BudgetCheck:
    owner: str
    bucket: str
    spent_usd: float
    budget_usd: float

    @property
    def share(self) -> float:
        return (
            self.spent_usd / self.budget_usd if self.budget_usd else float("inf") if self.spent_usd else 0.0
        )

    @property
    def status(self) -> str:
        if self.spent_usd > self.budget_usd:
            return "over"
        return "warn" if self.share >= WARN_SHARE else "ok"

    def to_dict(self) -> dict[str, Any]:
        share = self.share
        return {
            "owner": self.owner,
            "period": self.bucket,
            "spent_usd": round(self.spent_usd, 6),
            "budget_usd": round(self.budget_usd, 6),
            "share": round(share, 4) if share != float("inf") else None,
            "status": self.status,
        }


# --- reading -------------------------------------------------------------------------------------------


def parse_time(text: str, *, end: bool = False) -> dt.datetime:
    """``YYYY-MM-DD`` (its start, or with ``end`` the start of the next day) or an ISO date-time, in UTC."""
    try:
        if len(text) == 10:
            day = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.timezone.utc)
            return day + dt.timedelta(days=1) if end else day
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{text!r}: expected a date (2025-01-31) or an ISO date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _cost(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _run_time(directory: Path) -> dt.datetime:
    summary = directory / "summary.json"
    try:
        started = json.loads(summary.read_text(encoding="utf-8")).get("started_at")
        if isinstance(started, str):
            return parse_time(started)
    except (OSError, ValueError, AttributeError, UsageError):
        pass
    stamp = (directory / RECORDS_FILE).stat().st_mtime
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc)


def read_results(directory: Path) -> Iterator[Usage]:
    """The calls of one eval run directory (errored calls included: they may have cost tokens)."""
    when = _run_time(directory)
    for record in read_records(directory):
        target = record.get("target") or {}
        metrics = record.get("metrics") or {}
        yield Usage(
            source="eval",
            time=when,
            kind=str(target.get("kind", "Prompt")),
            name=str(target.get("name", "")),
            suite=str(record.get("suite", "")),
            model=str(record.get("model", "")),
            input_tokens=_int(metrics.get("input_tokens")),
            output_tokens=_int(metrics.get("output_tokens")),
            cost_usd=_cost(metrics.get("cost_usd")),
        )


def _audit_usage(record: dict[str, Any], where: str) -> Usage:
    version = record.get("schema_version")
    if not isinstance(version, int) or version > AUDIT_SCHEMA_VERSION:
        raise CostError(f"{where}: audit schema version {version!r} is newer than this llmops-ci reads")
    try:
        moment = parse_time(str(record["time"]))
    except (KeyError, UsageError):
        raise CostError(f"{where}: an audit record needs a 'time' (ISO date-time)") from None
    tokens = record.get("tokens") or {}
    return Usage(
        source="runtime",
        time=moment,
        kind="Prompt",
        name=str(record.get("prompt") or str(record.get("artifact", "")).partition("@")[0]),
        suite=RUNTIME,
        model=str(record.get("model") or "(none)"),
        input_tokens=_int(tokens.get("input")),
        output_tokens=_int(tokens.get("output")),
        cost_usd=_cost(record.get("cost_usd")),
    )


def read_audit_file(path: Path) -> Iterator[Usage]:
    """One audit JSONL file (:func:`llmops_ci.runtime.audit.read_audit`: a last line cut short by a crash is
    skipped, any other bad line is an error naming file:line)."""
    for number, record in read_audit(path):
        yield _audit_usage(record, f"{path}:{number}")


def read_inputs(paths: Iterable[Path]) -> Iterator[Usage]:
    """Every call in ``paths``: results directories, audit directories or files, or directories of runs."""
    for path in paths:
        if path.is_file():
            if path.name == RECORDS_FILE:
                yield from read_results(path.parent)
            else:
                yield from read_audit_file(path)
        elif (path / RECORDS_FILE).is_file():
            yield from read_results(path)
        elif path.is_dir():
            yield from _read_directory(path)
        else:
            raise UsageError(f"{path}: no such file or directory")


def _read_directory(path: Path) -> Iterator[Usage]:
    audits = audit_files(path)
    runs = sorted(child for child in path.iterdir() if (child / RECORDS_FILE).is_file())
    if not audits and not runs:
        raise CostError(f"{path}: neither a results directory, a directory of runs, nor audit logs")
    for _, _, file in audits:
        yield from read_audit_file(file)
    for run in runs:
        yield from read_results(run)


def default_inputs(root: Path, project_spec: dict[str, Any]) -> list[Path]:
    """With no paths: the audit directory (``governance.audit.dir``, ``monitoring.audit_dir``,
    ``$LLMOPS_AUDIT_DIR`` or ``.llmops/audit``): what production spent."""
    governance = project_spec.get("governance")
    audit = governance.get("audit") if isinstance(governance, dict) else None
    monitoring = project_spec.get("monitoring")
    configured = (audit.get("dir") if isinstance(audit, dict) else None) or (
        monitoring.get("audit_dir") if isinstance(monitoring, dict) else None
    )
    directory = (
        root / configured
        if configured
        else Path(os.environ.get("LLMOPS_AUDIT_DIR") or root / ".llmops/audit")
    )
    if not audit_files(directory):
        raise UsageError(
            f"no audit logs in {directory}: pass results or audit paths (llmops-ci cost PATH...)"
        )
    return [directory]


# --- attribution and totals ----------------------------------------------------------------------------


def within(usages: Iterable[Usage], since: dt.datetime | None, until: dt.datetime | None) -> list[Usage]:
    return [u for u in usages if (since is None or u.time >= since) and (until is None or u.time < until)]


def keys_of(usage: Usage, by: str, owners: Owners, label_key: str | None) -> list[str]:
    """The row(s) a call counts in."""
    if by == "owner":
        return [owners.owner_of(usage)]
    if by == "cost-center":
        return [owners.cost_centers.get(owners.owner_of(usage), NO_LABEL)]
    if by == "suite":
        return [usage.suite]
    if by == "model":
        return [usage.model]
    if by == "artifact":
        return [f"{usage.kind}/{usage.name}"]
    labels = owners.labels_of(usage)
    if label_key is not None:
        return [f"{label_key}={labels[label_key]}" if label_key in labels else NO_LABEL]
    return [f"{key}={value}" for key, value in sorted(labels.items())] or [NO_LABEL]


def totals(usages: Iterable[Usage], by: str, owners: Owners, label_key: str | None = None) -> list[Row]:
    """Rows by cost (highest first), then name."""
    rows: dict[str, Row] = {}
    for usage in usages:
        for key in keys_of(usage, by, owners, label_key):
            rows.setdefault(key, Row(key)).add(usage)
    return sorted(rows.values(), key=lambda row: (-row.cost_usd, row.key))


def total(usages: Iterable[Usage]) -> Row:
    row = Row("total")
    for usage in usages:
        row.add(usage)
    return row


def bucket_of(moment: dt.datetime, period: str) -> str:
    utc = moment.astimezone(dt.timezone.utc)
    return utc.strftime("%Y-%m-%d" if period == "day" else "%Y-%m")


def parse_budgets(project_spec: dict[str, Any]) -> dict[str, Budget]:
    budgets = project_spec.get("budgets")
    owners = budgets.get("owners") if isinstance(budgets, dict) else None
    if not isinstance(owners, dict):
        return {}
    return {
        str(owner): Budget(_cost(limits.get("daily_usd")), _cost(limits.get("monthly_usd")))
        for owner, limits in owners.items()
        if isinstance(limits, dict)
    }


def check_budgets(
    usages: Iterable[Usage], owners: Owners, budgets: dict[str, Budget], period: str
) -> list[BudgetCheck]:
    """Each budgeted owner's spend per period bucket that has calls, worst share first."""
    spent: dict[tuple[str, str], float] = defaultdict(float)
    for usage in usages:
        owner = owners.owner_of(usage)
        if owner in budgets:
            spent[(owner, bucket_of(usage.time, period))] += usage.cost_usd or 0.0
    checks = []
    for (owner, bucket), amount in spent.items():
        limit = budgets[owner].for_period(period, bucket)
        if limit is not None:
            checks.append(BudgetCheck(owner, bucket, amount, limit))
    return sorted(checks, key=lambda c: (-c.share, c.owner, c.bucket))
