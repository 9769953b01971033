"""Precision and recall of the ``pii`` guardrail check per entity, on public test corpora; and its speed.

    .venv/bin/python bench/pii_accuracy.py [--oracles DIR] [--verbose] [--speed [MB]]

DIR defaults to ``../shared/oracles`` next to the repository (read ``DIR/SOURCES.md`` for where each file
comes from; nothing of them is copied here). The corpora:

- ``presidio-recognizer-cases/*.cases.json``: the parametrised cases of Microsoft Presidio's pattern
  recognizer tests for e-mail, phone, credit card, IBAN, IP, URL and US SSN (the crypto-wallet file has no
  counterpart entity and is skipped). Each case has a text, the expected number of detections and, mostly,
  their positions.
- ``schwifty-iban/iban_cases.json``: IBANs of the ``schwifty`` library's tests, each scanned on its own.
  ``valid`` and ``experimental`` (countries outside the SWIFT registry whose banks issue IBANs; the check
  recognises them) must be detected, ``invalid`` must not (wrong length, check digits, country, checksum or
  BBAN structure).
- ``test-cards/stripe-test-cards.json``: public payment test card numbers, each scanned on its own; the
  Luhn-valid ones must be detected, the others not.
- ``detect-secrets-plugin-cases/ip_public_test.cases.json``: the lines of detect-secrets' public-IP plugin
  tests; flagged addresses must be detected, the rest (``1.2.3``, ``1.2.3.4.5.6``, ``1.2.3.04``,
  ``256.256.256.256``, an e-mail address, a domain) must not.
- ``squad-v2-sample/sample.json``: the paragraphs of the SQuAD 2.0 sample (Wikipedia prose full of years
  and numbers, no personal data): every detection there is a false positive of its entity.

Scoring, per case and entity: a true positive is an expected span overlapped by a detection of the entity
(each detection counts for one span at most); a false positive is a detection of the entity that overlaps
no expected span; a false negative an expected span no detection overlaps. Detections of other entities are
not scored (they are counted and shown with ``--verbose``). Cases that give a count but no positions are
scored by count. Phone cases run with the regions Presidio's tests configure: its default regions
(US, DE, FR, IL, IN, CA, BR; its "UK" is not a region code and matches nothing) plus JP and CN where the
test adds them; every other case uses the check's defaults.

Policy choices: some cases record a choice of Presidio's rather than a fact, and the ``pii`` check chooses
otherwise. They are left out of the score, and counted (with whether the check happens to agree) under
these reasons:

1. ``ssn-unformatted``: nine digits not written AAA-GG-SSSS (``078051121``, ``078-051121``,
   ``07805-1121``). Presidio reports them with a score of 0.05-0.4, i.e. as a weak guess; the check, which
   has no scores, does not report them, since most nine-digit numbers are something else.
2. ``ip-unspecified``: the IPv6 unspecified address ``::`` (alone or as ``::/0``, ``::/128``). Presidio
   gives it a score of 0.05-0.15; it identifies no host, and ``::`` is common in code.
3. ``ip-dotted-tail``: ``192.168.1.1.1``. Presidio reports the first four numbers; the check reads five or
   more dotted numbers as an OID or a version, not an address.
4. ``url-bare-domain``: domains without ``scheme://`` or ``www.`` (``microsoft.com``). Presidio scores them
   0.5; the check does not report bare domains (see its documentation).
5. ``phone-leniency``: cases run with a phonenumbers leniency other than Presidio's default VALID (1):
   POSSIBLE (0), STRICT_GROUPING (2), EXACT_GROUPING (3). The check has one behaviour, close to VALID.
6. ``ip-private``: private, loopback and link-local IPv4 addresses in the detect-secrets cases, which that
   plugin does not flag because it looks for public addresses only; the check reports every address
   (as Presidio's cases expect: ``127.0.0.1``, ``10.0.0.0``, ``169.254.1.1``).

Exit status: 0 when every entity reaches ``--goal`` (0.95) in precision and recall, 1 otherwise, 2 when
the corpora are missing.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from llmops_ci.guardrails.checks import Detection  # noqa: E402
from llmops_ci.guardrails.checks._pii_phone import is_phone_number  # noqa: E402
from llmops_ci.guardrails.checks.pii import ENTITIES, PiiDetector  # noqa: E402

DEFAULT_ORACLES = REPO.parent / "shared" / "oracles"
GOAL = 0.95

PRESIDIO_FILES = {
    "test_email_recognizer": "EMAIL_ADDRESS",
    "test_phone_recognizer": "PHONE_NUMBER",
    "test_credit_card_recognizer": "CREDIT_CARD",
    "test_iban_recognizer": "IBAN_CODE",
    "test_ip_recognizer": "IP_ADDRESS",
    "test_url_recognizer": "URL",
    "test_us_ssn_recognizer": "US_SSN",
}
PRESIDIO_REGIONS = ("US", "DE", "FR", "IL", "IN", "CA", "BR")
PRESIDIO_REGIONS_BY_TEST = {"test_when_all_phones_then_succeed": (*PRESIDIO_REGIONS, "JP", "CN")}

POLICIES = {
    "ssn-unformatted": "nine digits not written AAA-GG-SSSS (Presidio: weak, score <= 0.4)",
    "ip-unspecified": "the unspecified IPv6 address :: (Presidio: score 0.05-0.15)",
    "ip-dotted-tail": "an address followed by more dotted numbers (read as an OID or version)",
    "url-bare-domain": "a bare domain without scheme:// or www.",
    "phone-leniency": "a phonenumbers leniency other than Presidio's default VALID",
    "ip-private": "a private, loopback or link-local IPv4 address (detect-secrets flags public ones only)",
}
_POLICIES_EXPECTING_NOTHING = frozenset({"ip-private"})  # the corpus expects no detection there
_IPV4_LIKE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_SSN_FORMATTED = re.compile(r"[0-9]{3}([-. ])[0-9]{2}\1[0-9]{4}")


@dataclass
class Case:
    corpus: str
    entity: str
    text: str
    spans: list[tuple[int, int]] | None  # None: only the count is known
    count: int
    regions: tuple[str, ...] | None = None
    excluded: list[tuple[tuple[int, int], str]] = field(default_factory=list)  # (span, policy)
    excluded_case: str = ""  # the whole case is left out for this policy


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, other: Tally) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


@dataclass
class Report:
    entities: dict[str, Tally] = field(default_factory=dict)
    corpora: dict[tuple[str, str], Tally] = field(default_factory=dict)
    excluded: Counter[tuple[str, str]] = field(default_factory=Counter)  # (policy, agrees or not)
    other_entities: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)
    cases: int = 0

    def passed(self, goal: float) -> bool:
        return all(t.precision >= goal and t.recall >= goal for t in self.entities.values())


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def presidio_cases(directory: Path) -> Iterator[Case]:
    for stem, entity in PRESIDIO_FILES.items():
        path = directory / f"{stem}.cases.json"
        if not path.exists():
            continue
        for raw in json.loads(path.read_text(encoding="utf-8")):
            args = raw["args"]
            text = args.get("text", args.get("iban"))
            positions = args.get("expected_positions", args.get("expected_res")) or []
            count = int(args["expected_len"])
            spans = [(int(start), int(end)) for start, end in positions] if len(positions) == count else None
            regions = None
            if entity == "PHONE_NUMBER":
                regions = PRESIDIO_REGIONS_BY_TEST.get(raw["test"], PRESIDIO_REGIONS)
            case = Case(f"presidio/{entity}", entity, text, spans, count, regions)
            _apply_policies(case, args)
            yield case


def _apply_policies(case: Case, args: dict[str, object]) -> None:
    if case.entity == "PHONE_NUMBER" and args.get("leniency", 1) != 1:
        case.excluded_case = "phone-leniency"
    for span in case.spans or []:
        value = case.text[span[0] : span[1]]
        policy = ""
        if case.entity == "US_SSN" and not _SSN_FORMATTED.fullmatch(value):
            policy = "ssn-unformatted"
        elif case.entity == "IP_ADDRESS" and value.split("/")[0] == "::":
            policy = "ip-unspecified"
        elif case.entity == "IP_ADDRESS" and re.match(r"\.[0-9]", case.text[span[1] :]):
            policy = "ip-dotted-tail"
        elif (
            case.entity == "URL" and "://" not in value and not value.lower().lstrip("\"'").startswith("www.")
        ):
            policy = "url-bare-domain"
        if policy:
            case.excluded.append((span, policy))
    if case.spans is not None and case.excluded:
        excluded_spans = {span for span, _ in case.excluded}
        case.spans = [span for span in case.spans if span not in excluded_spans]
        case.count = len(case.spans)


def schwifty_cases(path: Path) -> Iterator[Case]:
    if not path.exists():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    for group in ("valid", "experimental", "invalid"):
        for item in data.get(group, []):
            iban = item["iban"]
            spans = [] if group == "invalid" else [(0, len(iban))]
            yield Case(f"schwifty/{group}", "IBAN_CODE", iban, spans, len(spans))


def stripe_cases(path: Path) -> Iterator[Case]:
    if not path.exists():
        return
    for card in json.loads(path.read_text(encoding="utf-8"))["cards"]:
        number = card["number"]
        spans = [(0, len(number))] if card["luhn_valid"] else []
        yield Case("stripe-test-cards", "CREDIT_CARD", number, spans, len(spans))


def detect_secrets_ip_cases(path: Path) -> Iterator[Case]:
    if not path.exists():
        return
    for raw in json.loads(path.read_text(encoding="utf-8")):
        payload, flag = raw["args"]["payload"], raw["args"]["should_flag"]
        address = _IPV4_LIKE.search(payload)
        case = Case("detect-secrets/ip_public", "IP_ADDRESS", payload, [], 0)
        if flag and address:
            case.spans, case.count = [address.span()], 1
        elif address and _private(address.group()):
            case.excluded.append((address.span(), "ip-private"))
        yield case


def _private(address: str) -> bool:
    try:
        return not ipaddress.IPv4Address(address).is_global
    except ValueError:
        return False


def prose_cases(oracles: Path) -> Iterator[Case]:
    """Paragraphs of Wikipedia prose without personal data: any detection is a false positive."""
    path = oracles / "squad-v2-sample" / "sample.json"
    if not path.exists():
        return
    for context in dict.fromkeys(
        item["context"] for item in json.loads(path.read_text(encoding="utf-8"))["data"]
    ):
        yield Case("squad-v2-sample (no PII)", "", context, [], 0)


def all_cases(oracles: Path) -> list[Case]:
    return [
        *presidio_cases(oracles / "presidio-recognizer-cases"),
        *schwifty_cases(oracles / "schwifty-iban" / "iban_cases.json"),
        *stripe_cases(oracles / "test-cards" / "stripe-test-cards.json"),
        *detect_secrets_ip_cases(oracles / "detect-secrets-plugin-cases" / "ip_public_test.cases.json"),
        *prose_cases(oracles),
    ]


def score_case(case: Case, detections: list[Detection]) -> Tally:
    """TP/FP/FN of ``detections`` (of the case's entity, outside excluded spans) against the case."""
    found = [(d.start, d.end) for d in detections if d.entity == case.entity]
    found = [span for span in found if not any(_overlaps(span, ex) for ex, _ in case.excluded)]
    if case.spans is None:
        return Tally(
            min(len(found), case.count), max(0, len(found) - case.count), max(0, case.count - len(found))
        )
    tally = Tally()
    used: set[int] = set()
    for expected in case.spans:
        match = next((i for i, span in enumerate(found) if i not in used and _overlaps(span, expected)), None)
        if match is None:
            tally.fn += 1
        else:
            used.add(match)
            tally.tp += 1
    tally.fp = sum(
        1 for i, span in enumerate(found) if i not in used and not any(_overlaps(span, e) for e in case.spans)
    )
    return tally


def measure(oracles: Path) -> Report:
    report = Report(entities={entity: Tally() for entity in ENTITIES if entity in PRESIDIO_FILES.values()})
    detectors: dict[tuple[str, ...] | None, PiiDetector] = {}
    for case in all_cases(oracles):
        detector = detectors.get(case.regions)
        if detector is None:
            detector = detectors[case.regions] = PiiDetector(regions=case.regions or ("US",))
        detections = detector.scan(case.text)
        report.cases += 1
        if not case.entity:  # no personal data of any kind
            for detection in detections:
                report.entities.setdefault(detection.entity, Tally()).fp += 1
                report.corpora.setdefault((case.corpus, detection.entity), Tally()).fp += 1
                report.misses.append(f"{case.corpus}: {detection.entity} {detection.text!r} (FP)")
            report.corpora.setdefault((case.corpus, "any"), Tally())
            continue
        if case.excluded_case:
            agrees = score_case(case, detections)
            report.excluded[(case.excluded_case, "agrees" if agrees.fp == agrees.fn == 0 else "differs")] += 1
            continue
        for span, policy in case.excluded:
            hit = any(d.entity == case.entity and _overlaps((d.start, d.end), span) for d in detections)
            expected = policy not in _POLICIES_EXPECTING_NOTHING
            report.excluded[(policy, "agrees" if hit == expected else "differs")] += 1
        tally = score_case(case, detections)
        report.entities.setdefault(case.entity, Tally()).add(tally)
        report.corpora.setdefault((case.corpus, case.entity), Tally()).add(tally)
        for detection in detections:
            if detection.entity != case.entity:
                report.other_entities[detection.entity] += 1
        if tally.fp or tally.fn:
            shown = ", ".join(f"{d.entity} {d.text!r}" for d in detections) or "nothing"
            report.misses.append(f"{case.corpus}: {case.text!r} -> {shown} (FP {tally.fp}, FN {tally.fn})")
    return report


def _table(title: str, rows: dict[str, Tally]) -> str:
    width = max(20, *(len(name) for name in rows))
    lines = [title, f"  {'':<{width}} {'TP':>5} {'FP':>5} {'FN':>5} {'precision':>10} {'recall':>8}"]
    for name, t in rows.items():
        lines.append(f"  {name:<{width}} {t.tp:>5} {t.fp:>5} {t.fn:>5} {t.precision:>10.3f} {t.recall:>8.3f}")
    return "\n".join(lines)


def print_report(report: Report, verbose: bool) -> None:
    print(f"{report.cases} cases")
    print(_table("Per entity (all corpora):", report.entities))
    print(_table("Per corpus:", {f"{corpus} {entity}": t for (corpus, entity), t in report.corpora.items()}))
    print("Left out as policy choices (see the docstring), and whether the check agrees anyway:")
    for policy, reason in POLICIES.items():
        agrees, differs = report.excluded[(policy, "agrees")], report.excluded[(policy, "differs")]
        if agrees or differs:
            print(f"  {policy:<16} {agrees + differs:>3} ({agrees} agree, {differs} differ): {reason}")
    if report.other_entities:
        others = ", ".join(f"{entity} {count}" for entity, count in report.other_entities.most_common())
        print(f"Detections of other entities in these cases (not scored): {others}")
    if verbose and report.misses:
        print("Cases with a false positive or negative:")
        for line in report.misses:
            print("  " + line)


# -- speed -------------------------------------------------------------------------------------------

_SENTENCES = [
    "The committee met on Tuesday to review the quarterly results and agreed to postpone the vote.",
    "Customers who reported the issue were asked to clear their cache and try again after a few minutes.",
    "In 1066 the Normans crossed the Channel, and within a decade most of England was under their rule.",
    "Please summarise the attached document in three bullet points for a non-technical audience.",
    "The model answered correctly in 87 of 100 cases, up from 79 in the previous release.",
    "Shipping takes 3 to 5 business days; express delivery is available for an extra $12.50.",
    "She moved to the city in 2019 and has worked at the library ever since, mostly in the archives.",
    "Version 2.4.1 fixes a crash on start-up and improves the speed of search by about 30%.",
    "The meeting is at 10:30 on 2024-03-15 in room 4B; bring the draft and your questions.",
    "Order 88213 was refunded on 12/03/2024 after the parcel was returned damaged.",
    "Translate the following paragraph into French, keeping the tone formal and the names unchanged.",
    "Request id 550e8400-e29b-41d4-a716-446655440000 failed with status 503 after 2.5 seconds.",
]


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        candidate = body + check
        total = sum(
            (int(c) * 2 - 9 if int(c) > 4 else int(c) * 2) if i % 2 else int(c)
            for i, c in enumerate(reversed(candidate))
        )
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def _iban(rng: random.Random) -> str:
    bban = "".join(rng.choice(string.digits) for _ in range(18))
    check = 98 - int("".join(str(int(c, 36)) for c in bban + "DE00")) % 97
    value = f"DE{check:02d}{bban}"
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def _pii_value(rng: random.Random) -> str:
    kind = rng.randrange(8)
    name = rng.choice(["jane.doe", "j.smith", "mario_rossi", "li.wei", "a.kowalska"])
    if kind == 0:
        domain = rng.choice(["example.com", "mail.example.org", "corp.example.co.uk"])
        return f"{name}{rng.randrange(100)}@{domain}"
    if kind == 1:
        return f"({rng.randrange(201, 990)}) {rng.randrange(200, 999)}-{rng.randrange(10000):04d}"
    if kind == 2:
        number = _luhn_complete(rng.choice(["4", "51", "37", "6011"]), 16, rng)
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    if kind == 3:
        return _iban(rng)
    if kind == 4:
        return f"{rng.randrange(1, 665):03d}-{rng.randrange(1, 99):02d}-{rng.randrange(1, 9999):04d}"
    if kind == 5:
        return ".".join(str(rng.randrange(256)) for _ in range(4))
    if kind == 6:
        return f"https://www.example.com/users/{rng.randrange(10**6)}?ref=mail"
    return f"+44 20 {rng.randrange(7000, 8000)} {rng.randrange(10000):04d}"


def mixed_text(
    megabytes: float, sentences: list[str] | None = None, seed: int = 7, pii_every: int = 2000
) -> str:
    """Sentences (by default a set rich in numbers, dates, versions and ids) with a PII value inserted
    about every ``pii_every`` characters."""
    pool = sentences or _SENTENCES
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    next_pii = pii_every
    while size < megabytes * 1_000_000:
        sentence = rng.choice(pool)
        if size >= next_pii:
            words = sentence.split(" ")
            words.insert(rng.randrange(len(words)), _pii_value(rng))
            sentence = " ".join(words)
            next_pii += rng.randrange(pii_every // 2, pii_every * 3 // 2)
        parts.append(sentence)
        size += len(sentence) + 1
        if rng.random() < 0.15:
            parts.append("\n\n")
            size += 2
    return " ".join(parts)


def squad_sentences(oracles: Path) -> list[str]:
    """The sentences of the SQuAD 2.0 sample's paragraphs (Wikipedia prose), if the corpus is there."""
    path = oracles / "squad-v2-sample" / "sample.json"
    if not path.exists():
        return []
    contexts = dict.fromkeys(item["context"] for item in json.loads(path.read_text(encoding="utf-8"))["data"])
    return [sentence for context in contexts for sentence in re.split(r"(?<=[.!?]) ", context) if sentence]


def speed(megabytes: float, oracles: Path, repeats: int = 5) -> None:
    detector = PiiDetector()
    detector.scan("warm up: call (415) 555-0132")
    texts = {"number-dense sentences (dates, versions, ids in most)": mixed_text(megabytes)}
    prose = squad_sentences(oracles)
    if prose:
        texts["Wikipedia prose (SQuAD 2.0 sample paragraphs)"] = mixed_text(megabytes, prose)
    for label, text in texts.items():
        best = float("inf")
        found: list[Detection] = []
        for _ in range(repeats):
            is_phone_number.cache_clear()  # every repeat parses its phone numbers afresh
            start = time.perf_counter()
            found = detector.scan(text)
            best = min(best, time.perf_counter() - start)
        counts = Counter(d.entity for d in found)
        print(
            f"speed, {label}, a PII value about every 2,000 characters: {len(text) / 1e6:.1f} MB, best of "
            f"{repeats} {best:.3f} s = {len(text) / best / 1e6:.1f} MB/s; {len(found)} detections "
            f"({', '.join(f'{entity} {count}' for entity, count in counts.most_common())})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--oracles", type=Path, default=DEFAULT_ORACLES, help="directory of the corpora")
    parser.add_argument(
        "--goal", type=float, default=GOAL, help="precision and recall every entity must reach"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="list the cases with a false positive or negative"
    )
    parser.add_argument("--speed", type=float, nargs="?", const=10.0, metavar="MB", help="also measure MB/s")
    args = parser.parse_args(argv)
    if not (args.oracles / "presidio-recognizer-cases").is_dir():
        print(f"no corpora under {args.oracles}", file=sys.stderr)
        return 2
    report = measure(args.oracles)
    print_report(report, args.verbose)
    if args.speed:
        speed(args.speed, args.oracles)
    ok = report.passed(args.goal)
    print(f"goal {args.goal}: {'met' if ok else 'missed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
