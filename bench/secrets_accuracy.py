"""Precision and recall of the ``secrets`` guardrail check, per entity, on two public oracle corpora.

Run it with the project's virtual environment (Python 3.11+, for ``tomllib``)::

    .venv/bin/python bench/secrets_accuracy.py [--oracles DIR] [--verbose] [--speed [--megabytes N]]

``--oracles`` defaults to ``../shared/oracles`` next to the repository root. The corpora are read from
there and never copied into this repository:

- ``detect-secrets-plugin-cases/*.cases.json``: the pytest parametrize tables of Yelp/detect-secrets'
  plugin tests. A case is ``{"test": ..., "args": {...}}``; the text is ``line``, ``payload`` or
  ``file_content``; the expectation is ``should_flag`` / ``should_be_caught``, and a case without one
  comes from a test that asserts a finding (Slack, private keys). ``high_entropy_strings`` cases are
  format strings with ``{secret}`` / ``{non_secret}``.
- ``gitleaks/gitleaks-rule-samples.json``: literal true/false positive samples of gitleaks' rules (each
  ``rule_id``, ``expect`` match / no-match, ``text``, the rule's ``regex``), with ``gitleaks.toml`` for the
  rules' allowlists.

Scoring: every case is mapped to one entity of the check (table ``DETECT_SECRETS_PLUGINS`` /
``GITLEAKS_RULES``). A case is predicted positive when the check reports that entity anywhere in the text.
Detections of *other* entities are listed (``--verbose``) but not scored: a gitleaks no-match for the npm
rule says "not an npm token", not "no secret at all". Rules of services the check does not cover are
reported as "not covered", not counted. Exit status 0 when every entity with cases reaches the goal
(0.95 precision and recall where defined), 1 otherwise.

``--speed`` also measures the throughput of the check on mixed text: the repository's Python sources,
YAML and Markdown interleaved with English prose (the SQuAD contexts of the oracles when present), repeated
to ``--megabytes`` (default 8). When ``detect-secrets`` is importable (``pip install detect-secrets``, or
``PYTHONPATH`` pointing at an install), it scans a 256 kB slice of the same text through
``SecretsCollection.scan_file`` with its default plugins and filters, for comparison.

Decisions on cases that encode a policy rather than a fact (each excluded case is printed with its
reason):

1. ``ip_public`` (detect-secrets flags public IP addresses): an address is not a credential. Not covered.
2. ``high_entropy_strings``: detect-secrets flags any quoted high-entropy string. ``GENERIC_SECRET``
   requires a secret-ish *name* (``password = "…"``), so the cases expecting a bare quoted string to be
   caught, and the count-per-line cases, are excluded; the cases expecting no finding are scored as
   negatives. The values of ``{secret}`` / ``{non_secret}`` live in a class-level parametrize the
   extraction did not keep, so this script substitutes synthetic ones of the same kind (a random base64
   string, a short word). ``test_entropy_limit`` (limits -1 and 15 must be refused) is not a text case: it
   is checked against ``build()``'s ``min_entropy`` validation and reported separately.
3. Placeholders are not secrets. detect-secrets' regex-shape fixtures use placeholder bodies
   (``AKIAZZZZZZZZZZZZZZZZ``, ``hooks.slack.com/services/Txxxxxxxx/…``, ``_authToken=npm_xxxxxxxxxxx``),
   which gitleaks' own samples say must not match (``AKIAXXXXXXXXXXXXXXXX``, ``ghp_xxxx…``,
   ``xoxb-xxxxxxxxx-…``). The check follows gitleaks; detect-secrets positives whose text holds six
   identical letters in a row are excluded. Likewise its basic-auth fixture
   ``https://username:password@yelp.com`` (the password is the word "password") and its private-key
   fixtures whose body is prose (``super secret private key here``): the check wants key material (64+
   base64 characters), as gitleaks' ``-----BEGIN PRIVATE KEY-----\\nanything\\n-----END …`` no-match does.
4. Lists of specific literal keys: gitleaks suppresses 15 well-formed Google API keys it knows to be
   published on purpose and AWS's documentation key ``AKIAIOSFODNN7EXAMPLE`` by rule allowlists. Which
   literal keys are public is knowledge, not a property of the text; the check reports them (the lint rule
   P002 tests use the AWS example key as the canonical key shape). Samples whose text matches such an
   allowlist are excluded, unless they are placeholders by rule 3 (then they are scored negatives).
5. Sibling rules: gitleaks' Anthropic API-key and admin-key rules each list the other's key as a no-match.
   Both map to ``ANTHROPIC_KEY``, so a no-match of one rule that the sibling rule's regex matches is
   relabelled a positive (printed).
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from llmops_ci.guardrails.checks import BuildContext, CheckError  # noqa: E402
from llmops_ci.guardrails.checks import secrets as check  # noqa: E402

DEFAULT_ORACLES = REPO.parent / "shared" / "oracles"
GOAL = 0.95
NOT_COVERED = "not covered"

# detect-secrets plugin (file stem without "_test") -> entity, or NOT_COVERED
DETECT_SECRETS_PLUGINS: dict[str, str] = {
    "aws_key": "AWS_ACCESS_KEY",
    "basic_auth": "URL_PASSWORD",
    "github_token": "GITHUB_TOKEN",
    "high_entropy_strings": "GENERIC_SECRET",
    "ip_public": NOT_COVERED,
    "jwt": "JWT",
    "npm": "NPM_TOKEN",
    "openai": "OPENAI_KEY",
    "private_key": "PRIVATE_KEY",
    "pypi_token": "PYPI_TOKEN",
    "slack": "SLACK_TOKEN",  # the hooks.slack.com case is SLACK_WEBHOOK_URL
    "stripe_key": "STRIPE_KEY",
}
NOT_COVERED_REASONS = {
    "ip_public": "public IP addresses are not credentials (policy, decision 1)",
    "gcp-service-account": 'the `"type": "service_account"` field alone is not a secret; a key file is '
    "reported by its private_key block (PRIVATE_KEY)",
    "jwt-base64": "base64-wrapped JWTs (ZXlK…) are not decoded",
}

# gitleaks rule id -> entity (rules not listed, and prefixes not matched, are "not covered")
GITLEAKS_RULES: dict[str, str] = {
    "anthropic-api-key": "ANTHROPIC_KEY",
    "anthropic-admin-api-key": "ANTHROPIC_KEY",
    "aws-access-token": "AWS_ACCESS_KEY",
    "aws-amazon-bedrock-api-key-long-lived": "AWS_BEDROCK_KEY",
    "aws-amazon-bedrock-api-key-short-lived": "AWS_BEDROCK_KEY",
    "azure-ad-client-secret": "AZURE_CLIENT_SECRET",
    "gcp-api-key": "GOOGLE_API_KEY",
    "gcp-service-account": NOT_COVERED,
    "generic-api-key": "GENERIC_SECRET",
    "github-app-token": "GITHUB_TOKEN",
    "github-fine-grained-pat": "GITHUB_TOKEN",
    "github-oauth": "GITHUB_TOKEN",
    "github-pat": "GITHUB_TOKEN",
    "github-refresh-token": "GITHUB_TOKEN",
    "huggingface-access-token": "HUGGINGFACE_TOKEN",
    "huggingface-organization-api-token": "HUGGINGFACE_TOKEN",
    "jwt": "JWT",
    "jwt-base64": NOT_COVERED,
    "npm-access-token": "NPM_TOKEN",
    "openai-api-key": "OPENAI_KEY",
    "private-key": "PRIVATE_KEY",
    "pypi-upload-token": "PYPI_TOKEN",
    "slack-app-token": "SLACK_TOKEN",
    "slack-bot-token": "SLACK_TOKEN",
    "slack-config-access-token": "SLACK_TOKEN",
    "slack-config-refresh-token": "SLACK_TOKEN",
    "slack-legacy-bot-token": "SLACK_TOKEN",
    "slack-legacy-token": "SLACK_TOKEN",
    "slack-legacy-workspace-token": "SLACK_TOKEN",
    "slack-user-token": "SLACK_TOKEN",
    "slack-webhook-url": "SLACK_WEBHOOK_URL",
    "stripe-access-token": "STRIPE_KEY",
}
# rules whose allowlists are lists of specific literal keys (decision 4)
LITERAL_KEY_ALLOWLISTS = frozenset({"gcp-api-key", "aws-access-token"})

_LETTER_RUN = re.compile(r"([A-Za-z])\1{5}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]")
_PLACEHOLDER_PASSWORDS = frozenset({"password", "passwd", "pass", "secret", "changeme"})


@dataclass(frozen=True)
class Case:
    source: str  # "detect-secrets:<plugin>" or "gitleaks:<rule>"
    label: str
    text: str
    entity: str
    expected: bool
    note: str = ""


@dataclass
class Excluded:
    case: Case
    reason: str


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def meets(self, goal: float) -> bool:
        return all(value is None or value >= goal for value in (self.precision, self.recall))


@dataclass
class Report:
    counts: dict[str, Counts] = field(default_factory=dict)
    errors: list[tuple[Case, str]] = field(default_factory=list)  # FP and FN, for review
    excluded: list[Excluded] = field(default_factory=list)
    not_covered: dict[str, int] = field(default_factory=dict)  # source -> number of cases
    not_covered_detections: list[tuple[str, str, str]] = field(default_factory=list)
    other_detections: list[tuple[Case, str]] = field(default_factory=list)
    relabelled: list[Case] = field(default_factory=list)
    option_cases: list[tuple[str, bool]] = field(default_factory=list)  # description, passed

    def failing(self, goal: float = GOAL) -> list[str]:
        failed = [entity for entity, counts in self.counts.items() if not counts.meets(goal)]
        failed += [f"option case: {name}" for name, passed in self.option_cases if not passed]
        return failed


# --------------------------------------------------------------------------------------------------
# detect-secrets


def _synthetic_values() -> dict[str, str]:
    """Stand-ins for the test class's ``secret`` / ``non_secret`` (decision 2): a random base64 string of
    the length of detect-secrets' own example, and a short low-entropy word."""
    rng = random.Random(20240501)
    secret = base64.b64encode(bytes(rng.randrange(256) for _ in range(45))).decode()
    return {"secret": secret, "non_secret": "aaaaaa"}


def detect_secrets_cases(directory: Path, report: Report) -> Iterator[Case]:
    values = _synthetic_values()
    for path in sorted(directory.glob("*.cases.json")):
        plugin = path.name.removesuffix(".cases.json").removesuffix("_test")
        entity = DETECT_SECRETS_PLUGINS.get(plugin, NOT_COVERED)
        source = f"detect-secrets:{plugin}"
        for index, raw in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            test, args = raw["test"], raw["args"]
            label = f"{path.name}#{index} {test}"
            if plugin == "high_entropy_strings":
                yield from _high_entropy_case(source, label, test, args, values, report)
                continue
            text = args.get("line", args.get("payload", args.get("file_content")))
            if not isinstance(text, str):
                raise SystemExit(f"{label}: no text field in {sorted(args)}")
            expected = bool(args.get("should_flag", args.get("should_be_caught", True)))
            if entity == NOT_COVERED:
                report.not_covered[source] = report.not_covered.get(source, 0) + 1
                _record_not_covered(source, text, report)
                continue
            case_entity = "SLACK_WEBHOOK_URL" if "hooks.slack.com" in text else entity
            case = Case(source, label, text, case_entity, expected)
            reason = _detect_secrets_exclusion(plugin, case)
            if reason:
                report.excluded.append(Excluded(case, reason))
                continue
            yield case


def _high_entropy_case(
    source: str, label: str, test: str, args: dict[str, Any], values: dict[str, str], report: Report
) -> Iterator[Case]:
    if test == "test_entropy_limit":
        limit = args["limit"]
        try:
            check.build({"type": "secrets", "min_entropy": limit}, BuildContext())
        except CheckError:
            report.option_cases.append((f"min_entropy={limit} is refused", True))
        else:
            report.option_cases.append((f"min_entropy={limit} is refused", False))
        return
    text = args["format"].format(**values)
    if test == "test_basic" and not args["should_be_caught"]:
        yield Case(source, label, text, "GENERIC_SECRET", False, "synthetic values")
        return
    case = Case(source, label, text, "GENERIC_SECRET", True, "synthetic values")
    report.excluded.append(
        Excluded(case, "a bare quoted string without a secret-ish name: out of GENERIC_SECRET's scope (2)")
    )


def _detect_secrets_exclusion(plugin: str, case: Case) -> str:
    if not case.expected:
        return ""
    if _LETTER_RUN.search(case.text):
        return "placeholder body (six identical letters); gitleaks' samples say placeholders do not match (3)"
    if plugin == "basic_auth":
        password = case.text.split("://", 1)[-1].split("@", 1)[0].partition(":")[2]
        if password.lower() in _PLACEHOLDER_PASSWORDS:
            return f"placeholder password {password!r} (3)"
    if plugin == "private_key":
        body = case.text.split("-----", 3)[-1]
        if len(_BASE64.findall(body.replace("END", ""))) < 64 or " " in body.strip().splitlines()[0]:
            return "the block holds prose, not key material (3)"
    return ""


# --------------------------------------------------------------------------------------------------
# gitleaks


def gitleaks_cases(directory: Path, report: Report) -> Iterator[Case]:
    samples = json.loads((directory / "gitleaks-rule-samples.json").read_text(encoding="utf-8"))
    allowlists = _literal_allowlists(directory / "gitleaks.toml")
    regex_of = {sample["rule_id"]: sample["regex"] for sample in samples if sample.get("regex")}
    no_match_texts = {(s["rule_id"], s["text"]) for s in samples if s["expect"] == "no-match"}
    for index, sample in enumerate(samples):
        rule, text = sample["rule_id"], sample["text"]
        entity = GITLEAKS_RULES.get(rule, NOT_COVERED)
        source = f"gitleaks:{rule}"
        if entity == NOT_COVERED:
            report.not_covered[source] = report.not_covered.get(source, 0) + 1
            _record_not_covered(source, text, report)
            continue
        label = f"samples#{index} {rule} {sample['expect']}"
        expected = sample["expect"] == "match"
        case = Case(source, label, text, entity, expected)
        if not expected:
            siblings = [r for r, e in GITLEAKS_RULES.items() if e == entity and r != rule and r in regex_of]
            if any(re.search(regex_of[r], text) and (r, text) not in no_match_texts for r in siblings):
                case = Case(source, label, text, entity, True, "relabelled: a sibling rule's key (5)")
                report.relabelled.append(case)
            elif (
                rule in LITERAL_KEY_ALLOWLISTS
                and any(p.search(text) for p in allowlists.get(rule, ()))
                and not _LETTER_RUN.search(text)
            ):
                report.excluded.append(
                    Excluded(case, "a well-formed key on gitleaks' list of known literal keys (4)")
                )
                continue
        yield case


def _literal_allowlists(path: Path) -> dict[str, list[re.Pattern[str]]]:
    try:
        tomllib = importlib.import_module("tomllib")
    except ImportError:
        raise SystemExit("bench/secrets_accuracy.py needs Python 3.11+ (tomllib)") from None
    config: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    found: dict[str, list[re.Pattern[str]]] = {}
    for rule in config.get("rules", []):
        if rule.get("id") in LITERAL_KEY_ALLOWLISTS:
            for allowlist in rule.get("allowlists", []):
                found.setdefault(rule["id"], []).extend(re.compile(r) for r in allowlist.get("regexes", []))
    return found


# --------------------------------------------------------------------------------------------------
# scoring


def _record_not_covered(source: str, text: str, report: Report) -> None:
    for detection in check.find(text):
        report.not_covered_detections.append((source, detection.entity, detection.text))


def score(cases: Iterable[Case], report: Report) -> None:
    for case in cases:
        detections = check.find(case.text)
        predicted = any(d.entity == case.entity for d in detections)
        counts = report.counts.setdefault(case.entity, Counts())
        if predicted and case.expected:
            counts.tp += 1
        elif predicted:
            counts.fp += 1
            report.errors.append((case, "FP"))
        elif case.expected:
            counts.fn += 1
            report.errors.append((case, "FN"))
        else:
            counts.tn += 1
        for detection in detections:
            if detection.entity != case.entity:
                report.other_detections.append((case, f"{detection.entity} {detection.text[:60]!r}"))


def measure(oracles: Path) -> Report:
    """Score the check on both corpora under ``oracles``."""
    report = Report()
    score(detect_secrets_cases(oracles / "detect-secrets-plugin-cases", report), report)
    score(gitleaks_cases(oracles / "gitleaks", report), report)
    return report


# --------------------------------------------------------------------------------------------------
# output


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.3f}"


def _short(text: str, width: int = 90) -> str:
    flat = text.replace("\n", "\\n")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_report(report: Report, verbose: bool) -> None:
    print(f"{'entity':<22}{'TP':>5}{'FP':>5}{'FN':>5}{'TN':>5}  precision  recall")
    for entity in check.ENTITIES:
        counts = report.counts.get(entity)
        if counts is None:
            print(f"{entity:<22}{'(no corpus cases)':>20}")
            continue
        flag = "" if counts.meets(GOAL) else "   < goal"
        print(
            f"{entity:<22}{counts.tp:>5}{counts.fp:>5}{counts.fn:>5}{counts.tn:>5}"
            f"      {_fmt(counts.precision)}   {_fmt(counts.recall)}{flag}"
        )
    total = Counts()
    for counts in report.counts.values():
        total.tp, total.fp, total.fn, total.tn = (
            total.tp + counts.tp,
            total.fp + counts.fp,
            total.fn + counts.fn,
            total.tn + counts.tn,
        )
    print(
        f"{'all':<22}{total.tp:>5}{total.fp:>5}{total.fn:>5}{total.tn:>5}"
        f"      {_fmt(total.precision)}   {_fmt(total.recall)}"
    )
    print("(n/a: no case of that kind — precision needs a detection, recall a positive case)")

    if report.option_cases:
        print("\nOption cases (detect-secrets test_entropy_limit against build()):")
        for name, passed in report.option_cases:
            print(f"  {'ok  ' if passed else 'FAIL'} {name}")

    print("\nNot covered (not counted):")
    for source, number in sorted(report.not_covered.items()):
        key = source.split(":", 1)[1]
        print(f"  {source}: {number} case(s) — {NOT_COVERED_REASONS.get(key, 'service not covered')}")
    for source, entity, text in report.not_covered_detections:
        print(f"    detection in {source}: {entity} {_short(text, 60)!r}")

    print(f"\nExcluded as policy cases ({len(report.excluded)}):")
    reasons = Counter(item.reason for item in report.excluded)
    for reason, number in reasons.most_common():
        print(f"  {number:>3} x {reason}")
        for item in report.excluded:
            if item.reason == reason:
                print(f"        {item.case.source}: {_short(item.case.text, 80)!r}")

    if report.relabelled:
        print(f"\nRelabelled ({len(report.relabelled)}):")
        for case in report.relabelled:
            print(f"  {case.source}: {_short(case.text, 80)!r} -> positive {case.entity} ({case.note})")

    if report.errors:
        print(f"\nErrors ({len(report.errors)}):")
        for case, kind in report.errors:
            print(f"  {kind} {case.entity} {case.source}: {_short(case.text)!r}")

    if verbose and report.other_detections:
        print(f"\nDetections of other entities (not scored, {len(report.other_detections)}):")
        for case, what in report.other_detections:
            print(f"  in {case.source} ({case.entity} case): {what}")


# --------------------------------------------------------------------------------------------------
# throughput


def mixed_text(oracles: Path, size: int) -> tuple[str, float]:
    """Code and prose interleaved, repeated to ``size`` characters; returns the text and its prose share."""
    code = [
        path.read_text(encoding="utf-8")
        for pattern in ("llmops_ci/**/*.py", "tests/**/*.py", "example-repo/**/*.yaml")
        for path in sorted(REPO.glob(pattern))
    ]
    prose = [path.read_text(encoding="utf-8") for path in sorted(REPO.glob("*.md"))]
    squad = oracles / "squad-v2-sample" / "sample.json"
    if squad.is_file():
        records = json.loads(squad.read_text(encoding="utf-8"))["data"]
        prose += list(dict.fromkeys(record["context"] for record in records))
    blocks: list[str] = []
    code_size = prose_size = 0
    paragraphs = iter(prose * (sum(map(len, code)) // max(1, sum(map(len, prose))) + 2))
    for source in code:  # after each file, prose until there is as much prose as code so far
        blocks.append(source)
        code_size += len(source)
        while prose_size < code_size:
            paragraph = next(paragraphs)
            blocks.append(paragraph)
            prose_size += len(paragraph)
    unit = "\n\n".join(blocks)
    text = (unit * (size // len(unit) + 1))[:size]
    prose_share = prose_size / (prose_size + code_size)
    return text, prose_share


def best_time(function: Any, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def detect_secrets_seconds(text: str) -> tuple[str, float] | None:
    """Seconds detect-secrets takes on ``text`` (default plugins and filters, one file), or None."""
    try:
        detect_secrets = importlib.import_module("detect_secrets")
        settings = importlib.import_module("detect_secrets.settings")
    except ImportError:
        return None
    version = getattr(importlib.import_module("detect_secrets.__version__"), "VERSION", "?")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "mixed.txt"
        path.write_text(text, encoding="utf-8")
        with settings.default_settings():
            collection = detect_secrets.SecretsCollection()
            seconds = best_time(lambda: collection.scan_file(str(path)), 1)
    return str(version), seconds


def print_speed(oracles: Path, megabytes: float) -> None:
    text, prose_share = mixed_text(oracles, int(megabytes * 1_000_000))
    check.find(text[:10_000])  # compile the pattern outside the measurement
    seconds = best_time(lambda: check.find(text), 3)
    ours = len(text) / seconds / 1e6
    print(
        f"\nThroughput: {ours:.1f} MB/s — secrets check, all entities, best of 3 on {len(text) / 1e6:.1f} MB "
        f"of mixed text ({prose_share:.0%} prose, the rest Python/YAML/Markdown), {len(check.find(text))} "
        "detections"
    )
    sample = text[:256_000]
    measured = detect_secrets_seconds(sample)
    if measured is None:
        print("detect-secrets not importable: comparison skipped (pip install detect-secrets)")
        return
    version, theirs_seconds = measured
    theirs = len(sample) / theirs_seconds / 1e6
    print(
        f"detect-secrets {version} (default plugins and filters, scan_file on a 256 kB slice): "
        f"{theirs:.2f} MB/s; ratio {ours / theirs:.0f}x"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--oracles", type=Path, default=DEFAULT_ORACLES, help="default: %(default)s")
    parser.add_argument("--verbose", action="store_true", help="also list detections of other entities")
    parser.add_argument("--speed", action="store_true", help="also measure throughput on mixed text")
    parser.add_argument("--megabytes", type=float, default=8.0, help="size of the speed text (default 8)")
    args = parser.parse_args(argv)
    if not args.oracles.is_dir():
        print(f"no oracle corpora at {args.oracles}", file=sys.stderr)
        return 2
    report = measure(args.oracles)
    print_report(report, args.verbose)
    failing = report.failing()
    print(
        f"\nGoal: precision and recall >= {GOAL} per entity: "
        + ("met" if not failing else f"missed: {failing}")
    )
    if args.speed:
        print_speed(args.oracles, args.megabytes)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
