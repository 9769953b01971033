"""Benchmark the guardrail engine's default PII + secrets policy against detect-secrets and Presidio.

Goal (issue): scan throughput (MB/s) of a default PII + secrets policy at least 10x that of the fastest
comparator, with precision and recall >= 0.95 against planted ground truth, and every regex safe on
adversarial input.

Sections:

corpus       ~10 MB (``--size-mb``) of deterministic mixed text (``--seed``): prose (support tickets,
             e-mails, chat), Python code, .env and YAML config, log lines and JSON records, cut into
             documents of 0.5-8 KB. PII (e-mail, phone, payment card, IBAN, US SSN, IPv4 in logs and URLs)
             and synthetic secrets (AWS, GitHub, Slack, Stripe, OpenAI, Anthropic, Google, SendGrid, npm,
             PyPI, JWT, PEM private keys, passwords in config and database URLs) are planted at known
             offsets, about one per 2 KB, among look-alikes that are neither (UUIDs, commit and sha256
             digests, order and ticket numbers, dates, versions, ``${VAR}`` placeholders, numbers failing
             Luhn).
throughput   every engine scans the same documents one call per document, as a guardrail would:
             - llmops-ci: ``policy_from_spec`` with a ``pii`` check (all entities, input: redact) and a
               ``secrets`` check (input: block), ``Policy.check(doc, "input")``; also each check alone;
             - detect-secrets: all default plugins and filters (``default_settings()``), the line loop
               ``scan_file`` runs (``detect_secrets.core.scan._process_line_based_plugins``) on the
               document's lines, with a file name matching the document kind, no temporary files;
             - presidio: ``AnalyzerEngine`` with ``NoOpNlpEngine`` (no spaCy model is loaded) and only
               the predefined recognizers of the PII entities llmops-ci detects (Email, Phone,
               CreditCard, Iban, UsSsn, Ip, Url; the phone recognizer gets the pii check's default
               regions, US, in place of its eight), default score threshold 0; accuracy is also shown at
               threshold 0.5, and detect-secrets' without its two high-entropy plugins (same scans).
             The comparators scan the first ``--comparator-mb`` MB (default 1; 0 = everything) and their
             MB/s is extrapolated from that slice (the output says so). llmops-ci rows are the best of
             ``--repeat`` rounds over the whole corpus, its three configurations taking turns.
accuracy     precision and recall per entity group against the planted truth: a detection is correct
             when it overlaps a planted span of its group; a planted span is found when a detection of
             its group overlaps it (a detection inside a planted span of another group is wrong). Only
             groups an engine claims are scored for it; its detections of other kinds (URL, which is not
             planted) are counted as "other". Secret recall is also shown per kind.
redos        a user-supplied ``regex`` check with catastrophic-backtracking patterns (``(a+)+$`` ...) on
             100 KB of adversarial input: llmops-ci (RE2) next to Python ``re`` run in a subprocess
             killed after ``--redos-timeout`` seconds.
adversarial  the default policy on 100 KB (``--adversarial-kb``) adversarial inputs built against
             its own patterns (digit runs, separators, ``a.a.a@``, token prefixes followed by long runs
             ...) and on 4x that, each in a subprocess with a time limit: the growth column tells linear
             (4x) from superlinear (16x for quadratic) work.

Usage (comparators live in a separate virtual environment so that the project's ``.venv`` and ``.ci/run``
never get them):

    python3 -m venv .venv-bench && .venv-bench/bin/pip install -e ".[bench]"
    .venv-bench/bin/python bench/guard_bench.py [--size-mb 10] [--seed 7] [--comparator-mb 1]
        [--engines llmops-ci,detect-secrets,presidio] [--sections throughput,redos,adversarial]
        [--repeat 3] [--keep-text corpus.txt] [--show-errors 5]

Under ``.venv/bin/python`` (no comparators) it still runs; the comparator rows say "not installed".
Exit status 0 (the goal lines are informational); 2 on a usage error.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import io
import json
import os
import platform
import random
import string
import subprocess
import sys
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Presidio's e-mail recognizer validates domains with tldextract, which would try to download the public
# suffix list; its bundled snapshot is enough (and this benchmark runs offline).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

ENGINES = ("llmops-ci", "detect-secrets", "presidio")
SECTIONS = ("throughput", "redos", "adversarial")
PII_GROUPS = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS")
SECRET = "SECRET"
GROUPS = (*PII_GROUPS, SECRET)
GOAL_SPEEDUP = 10.0
GOAL_SCORE = 0.95
MB = 1_000_000

# The pii check's default ``regions`` (national phone formats; +CC numbers are recognised anyway): Presidio's
# PhoneRecognizer gets the same, in place of its default eight regions.
OUR_PHONE_REGIONS = ("US",)
OUR_SPEC_CHECKS: dict[str, dict[str, Any]] = {
    "pii": {"id": "pii", "type": "pii", "scopes": {"input": "redact", "output": "block"}},
    "secrets": {"id": "secrets", "type": "secrets", "scopes": {"input": "block", "output": "block"}},
}


# ---------------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    group: str
    kind: str
    start: int
    end: int


@dataclass
class Doc:
    kind: str  # prose, code, env, yaml, log, json
    filename: str  # what detect-secrets is told the document is called
    text: str = ""
    spans: list[Span] = field(default_factory=list)


class DocBuilder:
    def __init__(self, kind: str, filename: str) -> None:
        self.kind = kind
        self.filename = filename
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[Span] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def entity(self, group: str, kind: str, value: str) -> None:
        self.spans.append(Span(group, kind, self.length, self.length + len(value)))
        self.add(value)

    def build(self) -> Doc:
        return Doc(self.kind, self.filename, "".join(self.parts), self.spans)


Piece = tuple[str, str, str] | str  # (group, kind, value) for a planted entity, else plain text


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Priya Wei Ahmed Fatima Lukas Sofia Mateo Chloe Hiroshi Olga Kwame Ana "
    "Noah Emma Liam Olivia Ethan Ava Lucas Mia Amara Ravi"
)
FIRST_ACCENTED = ("José", "Zoë", "Björn", "Amélie", "Łukasz", "Søren", "Inés", "François")
LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Patel Nguyen Kim Schmidt Rossi Dubois Kowalski "
    "Okafor Tanaka Silva Novak Jensen Haddad Cohen Murphy Walsh Ivanova Fischer Costa"
)
LAST_ACCENTED = ("Müller", "García", "Núñez", "Sørensen", "Žižek", "Gonçalves")
DOMAINS = _words(
    "gmail.com yahoo.com outlook.com proton.me acme-corp.io example.org mail.contoso.com "
    "globex.co.uk initech.de umbrella-health.org uni-heidelberg.de fastmail.fm stark.industries.com "
    "northwind.io"
)
WORDS = _words(
    "the a an of to and in for on with at by from about after before during between into through over "
    "under again further then once here there when where why how all any both each few more most other "
    "some such only own same so than too very can will just should now account order invoice payment "
    "refund shipment delivery customer support team issue ticket request update change release version "
    "deploy build test review merge branch config service server database query cache latency error "
    "timeout retry queue worker job schedule report dashboard metric alert incident outage recovery "
    "backup restore migration schema table index user admin role permission access token session login "
    "password reset email phone address contact billing plan subscription trial upgrade downgrade "
    "cancel renew price discount coupon tax total amount balance statement card bank transfer wire "
    "transaction receipt confirm verify approve reject pending complete failed success status week "
    "month today tomorrow yesterday morning afternoon evening please thanks hello regards sorry "
    "unfortunately however also still already soon quickly carefully happy frustrated noticed checked "
    "sent received attached forwarded escalated resolved reopened waiting expected charged twice "
    "missing wrong correct new old last next first second third product feature bug fix prompt model "
    "evaluation guardrail policy dataset prompt template response answer question context document"
)
PATHS = ("/api/v1/orders", "/api/v1/users", "/api/v2/invoices", "/healthz", "/login", "/api/v1/search")
SERVICES = ("api", "worker", "billing", "auth", "gateway", "scheduler", "notifier")
EVENT_TYPES = ("customer.updated", "invoice.paid", "user.created", "order.shipped")
LEVELS = ("INFO", "INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR")
PUBLIC_FIRST_OCTETS = (
    3, 13, 18, 23, 31, 34, 35, 44, 52, 54, 62, 64, 66, 72, 81, 88, 91, 104, 141, 142, 151, 157, 185, 188
)  # fmt: skip
AREA_CODES = _words(
    "201 202 206 212 213 214 303 305 312 313 323 404 408 410 415 469 503 512 602 609 614 617 646 650 "
    "702 713 718 720 773 786 801 808 818 858 904 917 919 925 949 971"
)
PHONE_REGIONS = ("GB", "DE", "FR", "IN", "BR", "CA", "AU", "ES", "IT", "NL")
# IBAN: country -> BBAN layout ("n" digit, "a" upper-case letter)
IBAN_LAYOUTS = {
    "DE": "n" * 18,
    "GB": "aaaa" + "n" * 14,
    "FR": "n" * 23,
    "NL": "aaaa" + "n" * 10,
    "ES": "n" * 20,
    "IT": "a" + "n" * 22,
    "CH": "n" * 17,
    "BE": "n" * 12,
    "AT": "n" * 16,
    "PL": "n" * 24,
}
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


class Gen:
    """Seeded generators of values, planted entities and look-alikes."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        import phonenumbers  # a dependency of llmops-ci, so present in every environment

        self.phonenumbers = phonenumbers

    # plain values ----------------------------------------------------------------------------------
    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choices(alphabet, k=n))

    def name(self) -> str:
        r = self.r
        first = r.choice(FIRST_ACCENTED) if r.random() < 0.08 else r.choice(FIRST)
        last = r.choice(LAST_ACCENTED) if r.random() < 0.08 else r.choice(LAST)
        return f"{first} {last}"

    def sentence(self, low: int = 7, high: int = 18) -> str:
        words = self.r.choices(WORDS, k=self.r.randint(low, high))
        return " ".join(words).capitalize() + self.r.choice((".", ".", ".", "?", "!"))

    def date(self) -> str:
        return f"2024-{self.r.randint(1, 12):02d}-{self.r.randint(1, 28):02d}"

    def timestamp(self) -> str:
        r = self.r
        clock = f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        return f"{self.date()}T{clock}.{r.randint(0, 999):03d}Z"

    def uuid(self) -> str:
        h = self.chars(HEX, 32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.r.choice('89ab')}{h[17:20]}-{h[20:]}"

    def version(self) -> str:
        return f"{self.r.randint(0, 4)}.{self.r.randint(0, 30)}.{self.r.randint(0, 12)}"

    def amount(self) -> str:
        return f"{self.r.randint(1, 9999):,}.{self.r.randint(0, 99):02d}"

    def order_id(self) -> str:
        return self.r.choice(
            (
                f"A-{self.r.randint(10_000_000, 99_999_999)}",
                f"#{self.r.randint(100_000, 9_999_999)}",
                f"INV-2024-{self.r.randint(1, 99_999):05d}",
                f"ORD{self.r.randint(1000, 9999)}-{self.r.randint(1000, 9999)}",
            )
        )

    def bad_luhn_reference(self) -> str:
        while True:
            digits = "".join(self.r.choices(string.digits, k=16))
            if not luhn_ok(digits):
                return " ".join(digits[i : i + 4] for i in range(0, 16, 4))

    def decoy(self) -> str:
        """A look-alike that is neither PII nor a secret, in a short sentence."""
        r = self.r
        options: list[Callable[[], str]] = [
            lambda: f"Order {self.order_id()} shipped on {self.date()}.",
            lambda: (
                f"Ticket {r.randint(10_000, 999_999)} escalated at {r.randint(8, 18)}:{r.randint(0, 59):02d}."
            ),
            lambda: f"We upgraded to version {self.version()} last week.",
            lambda: f"The total came to ${self.amount()} including tax.",
            lambda: f"Build {self.uuid()} finished in {r.randint(1, 9)}m {r.randint(0, 59)}s.",
            lambda: f"Fixed in commit {self.chars(HEX, 40)}.",
            lambda: f"Reference number {self.bad_luhn_reference()}.",
            lambda: (
                f"Call window {r.randint(8, 11)}:00-{r.randint(12, 18)}:30, extension {r.randint(100, 999)}."
            ),
            lambda: f"Checksum sha256:{self.chars(HEX, 64)}.",
            lambda: (
                f"Room {r.randint(100, 999)}, building {r.randint(1, 12)}, zip {r.randint(10_000, 99_999)}."
            ),
            lambda: f"See https://docs.{r.choice(DOMAINS)}/guide/{r.choice(WORDS)}#intro for details.",
        ]
        return r.choice(options)()

    # PII -------------------------------------------------------------------------------------------
    def email(self) -> str:
        r = self.r
        first, last = r.choice(FIRST).lower(), r.choice(LAST).lower()
        local = r.choice(
            (f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}{r.randint(1, 99)}", f"{first}+news")
        )
        return f"{local}@{r.choice(DOMAINS)}"

    def phone(self) -> str:
        r = self.r
        pn = self.phonenumbers
        if r.random() < 0.65:
            while True:
                area, exchange, line = r.choice(AREA_CODES), r.randint(200, 999), r.randint(0, 9999)
                number = pn.parse(f"+1{area}{exchange}{line:04d}")
                if pn.is_valid_number(number):
                    break
            return r.choice(
                (
                    f"({area}) {exchange}-{line:04d}",
                    f"{area}-{exchange}-{line:04d}",
                    f"{area}.{exchange}.{line:04d}",
                    f"+1 {area} {exchange} {line:04d}",
                    f"+1-{area}-{exchange}-{line:04d}",
                )
            )
        region = r.choice(PHONE_REGIONS)
        kind = r.choice((pn.PhoneNumberType.MOBILE, pn.PhoneNumberType.FIXED_LINE))
        example = pn.example_number_for_type(region, kind)
        e164: str = pn.format_number(example, pn.PhoneNumberFormat.E164)  # keeps Italy's leading zero
        number = example
        for _ in range(200):  # the example itself if no valid variant turns up
            candidate = e164[:-5] + "".join(r.choices(string.digits, k=5))
            parsed = pn.parse(candidate)
            if pn.is_valid_number(parsed):
                number = parsed
                break
        formatted: str = pn.format_number(number, pn.PhoneNumberFormat.INTERNATIONAL)
        return formatted

    def card(self) -> str:
        r = self.r
        prefix, length = r.choice((("4", 16), ("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15)))
        body = prefix + "".join(r.choices(string.digits, k=length - len(prefix) - 1))
        digits = body + luhn_digit(body)
        style = r.random()
        if length == 15:
            groups = [digits[:4], digits[4:10], digits[10:]]
        else:
            groups = [digits[i : i + 4] for i in range(0, 16, 4)]
        if style < 0.45:
            return " ".join(groups)
        if style < 0.7:
            return "-".join(groups)
        return digits

    def iban(self) -> str:
        r = self.r
        country = r.choice(tuple(IBAN_LAYOUTS))
        bban = "".join(
            r.choice(string.ascii_uppercase) if c == "a" else r.choice(string.digits)
            for c in IBAN_LAYOUTS[country]
        )
        numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
        iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
        if r.random() < 0.6:
            return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        return iban

    def ssn(self) -> str:
        r = self.r
        while True:
            area = r.randint(1, 899)
            if area != 666:
                break
        return f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"

    def ip(self) -> str:
        r = self.r
        return f"{r.choice(PUBLIC_FIRST_OCTETS)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def pii(self) -> tuple[str, str, str]:
        group = self.r.choices(
            ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN"), (30, 28, 16, 12, 14)
        )[0]
        value = {
            "EMAIL_ADDRESS": self.email,
            "PHONE_NUMBER": self.phone,
            "CREDIT_CARD": self.card,
            "IBAN_CODE": self.iban,
            "US_SSN": self.ssn,
        }[group]()
        return group, group, value

    # secrets ---------------------------------------------------------------------------------------
    def password(self) -> str:
        return self.chars(ALNUM + "!#%*_-", self.r.randint(14, 24))

    def jwt(self) -> str:
        def b64(data: dict[str, Any]) -> str:
            raw = json.dumps(data, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        header = {"alg": self.r.choice(("HS256", "RS256")), "typ": "JWT"}
        payload = {"sub": str(self.r.randint(10**6, 10**9)), "name": self.name(), "iat": 1710000000}
        return f"{b64(header)}.{b64(payload)}.{self.chars(B64URL, 43)}"

    def pem(self) -> str:
        label = self.r.choice(("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"))
        lines = [self.chars(B64, 64) for _ in range(self.r.randint(6, 14))]
        return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"

    SECRET_KINDS = (
        ("aws_key_id", 8),
        ("aws_secret", 6),
        ("github", 9),
        ("slack", 6),
        ("stripe", 6),
        ("openai", 10),
        ("anthropic", 8),
        ("google", 6),
        ("sendgrid", 3),
        ("npm", 3),
        ("pypi", 3),
        ("jwt", 8),
        ("private_key", 5),
        ("password", 12),
        ("db_url_password", 7),
    )

    def secret_value(self, kind: str) -> str:
        c, r = self.chars, self.r
        if kind == "aws_key_id":
            return r.choice(("AKIA", "AKIA", "ASIA")) + c(string.ascii_uppercase + "234567", 16)
        if kind == "aws_secret":
            return c(ALNUM + "/+", 40)
        if kind == "github":
            return r.choice(("ghp_", "gho_", "ghs_")) + c(ALNUM, 36)
        if kind == "slack":
            return (
                f"xox{r.choice('bp')}-{r.randint(10**10, 10**12)}-{r.randint(10**10, 10**12)}-{c(ALNUM, 24)}"
            )
        if kind == "stripe":
            return r.choice(("sk_live_", "rk_live_")) + c(ALNUM, r.choice((24, 99)))
        if kind == "openai":
            if r.random() < 0.3:
                return f"sk-{c(ALNUM, 20)}T3BlbkFJ{c(ALNUM, 20)}"
            return f"sk-proj-{c(B64URL, 74)}T3BlbkFJ{c(B64URL, 74)}"
        if kind == "anthropic":
            return f"sk-ant-api03-{c(B64URL, 93)}AA"
        if kind == "google":
            return "AIza" + c(B64URL, 35)
        if kind == "sendgrid":
            return f"SG.{c(B64URL, 22)}.{c(B64URL, 43)}"
        if kind == "npm":
            return "npm_" + c(ALNUM, 36)
        if kind == "pypi":
            return "pypi-AgEIcHlwaS5vcmc" + c(B64URL, 120)
        if kind == "jwt":
            return self.jwt()
        if kind == "private_key":
            return self.pem()
        return self.password()  # password, db_url_password

    def secret_kind(self) -> str:
        kinds, weights = zip(*self.SECRET_KINDS, strict=True)
        kind: str = self.r.choices(kinds, weights)[0]
        return kind


def luhn_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def luhn_ok(digits: str) -> bool:
    return luhn_digit(digits[:-1]) == digits[-1]


class CorpusWriter:
    def __init__(self, gen: Gen) -> None:
        self.g = gen
        self.r = gen.r

    def secret_line(self, kind: str, style: str) -> list[Piece]:
        """A line that assigns or leaks a secret of ``kind``, in the syntax of ``style``."""
        g, r = self.g, self.r
        value = g.secret_value(kind)
        planted = (SECRET, kind, value)
        names = {
            "aws_key_id": "AWS_ACCESS_KEY_ID",
            "aws_secret": "AWS_SECRET_ACCESS_KEY",
            "github": "GITHUB_TOKEN",
            "slack": "SLACK_BOT_TOKEN",
            "stripe": "STRIPE_SECRET_KEY",
            "openai": "OPENAI_API_KEY",
            "anthropic": "ANTHROPIC_API_KEY",
            "google": "GOOGLE_MAPS_API_KEY",
            "sendgrid": "SENDGRID_API_KEY",
            "npm": "NPM_TOKEN",
            "pypi": "PYPI_TOKEN",
            "jwt": "SERVICE_JWT",
            "password": r.choice(("DB_PASSWORD", "SMTP_PASSWORD", "ADMIN_PASSWORD", "REDIS_PASSWORD")),
        }
        if kind == "db_url_password":
            user = r.choice(("app", "postgres", "svc_billing", "admin"))
            host: Piece = r.choice(("db.internal", "prod-db-1.acme-corp.io", "localhost", "ip"))
            if host == "ip":  # a private address is still an IP address
                host = (
                    "IP_ADDRESS",
                    "IP_ADDRESS",
                    f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                )
            # passwords in URLs use characters that need no percent-encoding
            planted = (SECRET, kind, g.chars(ALNUM + "-_.~", r.randint(14, 24)))
            scheme = r.choice(("postgres", "postgresql", "mysql", "mongodb"))
            prefix = {
                "env": "DATABASE_URL=",
                "yaml": "    url: ",
                "code": 'DATABASE_URL = "',
                "log": "connecting to ",
                "json": '"database_url": "',
                "prose": "the connection string is ",
            }[style]
            suffix = {"code": '"\n', "json": '"'}.get(style, "\n" if style in ("env", "yaml", "log") else "")
            return [f"{prefix}{scheme}://{user}:", planted, "@", host, f":5432/app{suffix}"]
        if kind == "private_key":
            if style == "yaml":
                return ["    private_key: |\n", planted, "\n"]
            if style == "json":
                return ['"private_key": "', (SECRET, kind, value.replace("\n", "\\n")), '"']
            if style == "code":
                return ['PRIVATE_KEY = """', planted, '"""\n']
            return ["\n", planted, "\n"]
        name = names[kind]
        if style == "env":
            return [f"{name}=", planted, "\n"]
        if style == "yaml":
            return (
                [f"    {name.lower()}: ", planted, "\n"]
                if r.random() < 0.5
                else [
                    f'    {name.lower()}: "',
                    planted,
                    '"\n',
                ]
            )
        if style == "code":
            if kind == "jwt":
                return ['headers = {"Authorization": "Bearer ', planted, '"}\n']
            if kind == "openai" and r.random() < 0.5:
                return ['client = OpenAI(api_key="', planted, '")\n']
            if kind == "anthropic" and r.random() < 0.5:
                return ['client = anthropic.Anthropic(api_key="', planted, '")\n']
            return [f'{name} = "', planted, '"\n']
        if style == "json":
            return [f'"{name.lower()}": "', planted, '"']
        if style == "log":
            if kind == "jwt":
                return ["request headers: Authorization: Bearer ", planted, "\n"]
            return [f"loaded {name}=", planted, " from environment\n"]
        # prose: a value of a recognisable format may come without a name; a bare random string only
        # is a secret when the sentence names it
        named = f"The {name.lower().replace('_', ' ')} is "
        lead = (
            named
            if kind in ("password", "aws_secret")
            else r.choice(
                (
                    "Here is the key I used: ",
                    "I think I accidentally pasted our token ",
                    "Can you rotate this one? ",
                    named,
                )
            )
        )
        return [lead, planted, r.choice((" — it stopped working this morning.", ". Thanks!", "\n"))]

    def pii_sentence(self) -> list[Piece]:
        group, kind, value = self.g.pii()
        r = self.r
        planted = (group, kind, value)
        name = self.g.name()
        templates = {
            "EMAIL_ADDRESS": (
                ("You can reach me at ", "."),
                ("Please send the invoice to ", " by Friday."),
                (f"cc {name} <", ">"),
                ("The account e-mail was changed to ", " yesterday."),
            ),
            "PHONE_NUMBER": (
                ("My number is ", "."),
                (f"Call {name} on ", " after 3pm."),
                ("Phone: ", ""),
                ("They called me from ", " twice."),
            ),
            "CREDIT_CARD": (
                ("The card ", " was charged twice."),
                ("I paid with my card ", ", expiry 08/27."),
                ("Card number: ", ""),
            ),
            "IBAN_CODE": (
                ("Please refund to IBAN ", "."),
                (f"Bank details: {name}, IBAN ", ", BIC DEUTDEFFXXX."),
                ("Wire it to ", " please."),
            ),
            "US_SSN": (
                ("For the background check, my SSN is ", "."),
                ("SSN: ", ""),
                ("Social security number ", " on file."),
            ),
        }
        before, after = r.choice(templates[group])
        return [before, planted, after]

    # document kinds --------------------------------------------------------------------------------
    def prose(self, budget: int, p: float) -> DocBuilder:
        g, r = self.g, self.r
        doc = DocBuilder("prose", r.choice(("ticket.txt", "email.txt", "chat.md", "notes.md")))
        doc.add(
            r.choice(("Hi team,\n\n", f"Hello {g.name()},\n\n", "Subject: " + g.sentence(3, 7) + "\n\n", ""))
        )
        while doc.length < budget:
            sentences: list[list[Piece]] = []
            for _ in range(r.randint(3, 7)):
                roll = r.random()
                if roll < p * 0.85:
                    sentences.append(self.pii_sentence())
                elif roll < p:
                    sentences.append(self.secret_line(g.secret_kind(), "prose"))
                elif roll < p + 0.12:
                    sentences.append([g.decoy()])
                else:
                    sentences.append([g.sentence()])
            for index, sentence in enumerate(sentences):
                if index:
                    doc.add(" ")
                emit(doc, sentence)
            doc.add("\n\n")
        doc.add(r.choice(("Thanks,\n" + g.name() + "\n", "Best regards\n", "")))
        return doc

    def code(self, budget: int, p: float) -> DocBuilder:
        g, r = self.g, self.r
        doc = DocBuilder("code", r.choice(("client.py", "settings.py", "tasks.py", "test_api.py")))
        doc.add("import os\nimport json\nimport requests\n\n")
        while doc.length < budget:
            func = "_".join(
                r.choices(("fetch", "sync", "load", "update", "orders", "users", "cache", "report"), k=2)
            )
            lines: list[list[Piece]] = [
                [f"def {func}(session, since, limit={r.randint(10, 500)}):\n"],
                [f'    """{g.sentence(5, 10)}"""\n'],
                [f'    url = f"{{BASE_URL}}{r.choice(PATHS)}?since={{since}}&limit={{limit}}"\n'],
                [f"    response = session.get(url, timeout={r.randint(5, 60)})\n"],
                ["    response.raise_for_status()\n"],
                ['    return response.json()["items"]\n\n\n'],
            ]
            roll = r.random()
            if roll < p * 0.6:
                lines.insert(0, self.secret_line(g.secret_kind(), "code"))
            elif roll < p:
                group, kind, value = g.pii()
                lines.append(
                    ["def test_", func, "():\n    user = User(name=", json.dumps(g.name()), ', contact="']
                )
                lines.append([(group, kind, value), '")\n    assert user.is_valid()\n\n\n'])
            elif roll < p + 0.35:
                lines.insert(
                    0,
                    [
                        r.choice(
                            (
                                'API_KEY = os.environ["API_KEY"]\n',
                                "password = getpass.getpass()\n",
                                'token = request.headers.get("Authorization")\n',
                                f'CACHE_KEY = "{g.uuid()}"\n',
                                f'EXPECTED_SHA256 = "{g.chars(HEX, 64)}"\n',
                                f'VERSION = "{g.version()}"\n',
                                f"TIMEOUT_SECONDS = {r.randint(5, 120)}\n",
                                'SECRET_KEY = os.getenv("SECRET_KEY", "")\n',
                            )
                        )
                    ],
                )
            for line in lines:
                emit(doc, line)
        return doc

    def env(self, budget: int, p: float) -> DocBuilder:
        g, r = self.g, self.r
        doc = DocBuilder("env", ".env")
        while doc.length < budget:
            roll = r.random()
            if roll < p:
                emit(doc, self.secret_line(g.secret_kind(), "env"))
            elif roll < p + 0.1:
                group, kind, value = g.pii()
                emit(
                    doc,
                    [
                        "SUPPORT_CONTACT=" if group != "IBAN_CODE" else "PAYOUT_IBAN=",
                        (group, kind, value),
                        "\n",
                    ],
                )
            else:
                doc.add(
                    r.choice(
                        (
                            f"LOG_LEVEL={r.choice(('info', 'debug', 'warning'))}\n",
                            f"PORT={r.randint(3000, 9000)}\n",
                            f"REDIS_URL=redis://localhost:6379/{r.randint(0, 15)}\n",
                            f"WORKERS={r.randint(1, 16)}\n",
                            f"FEATURE_FLAGS={','.join(r.choices(WORDS, k=3))}\n",
                            "DB_PASSWORD=${DB_PASSWORD}\n",
                            f"APP_VERSION={g.version()}\n",
                            f"REQUEST_TIMEOUT_MS={r.randint(100, 30000)}\n",
                            "# " + g.sentence(4, 9) + "\n",
                            f"TENANT_ID={g.uuid()}\n",
                        )
                    )
                )
        return doc

    def yaml(self, budget: int, p: float) -> DocBuilder:
        g, r = self.g, self.r
        doc = DocBuilder("yaml", r.choice(("docker-compose.yml", "values.yaml", "config.yaml")))
        while doc.length < budget:
            service = r.choice(SERVICES)
            doc.add(
                f"{service}:\n  image: ghcr.io/acme/{service}:{g.version()}\n  replicas: {r.randint(1, 6)}\n"
            )
            doc.add(
                f"  resources:\n    cpu: {r.randint(1, 4) * 250}m\n    memory: {r.randint(1, 8) * 256}Mi\n"
            )
            doc.add("  settings:\n")
            for _ in range(r.randint(3, 8)):
                roll = r.random()
                if roll < p:
                    emit(doc, self.secret_line(g.secret_kind(), "yaml"))
                elif roll < p + 0.06:
                    group, kind, value = g.pii()
                    emit(doc, ["    owner_contact: ", (group, kind, value), "\n"])
                else:
                    doc.add(
                        r.choice(
                            (
                                f"    timeout: {r.randint(1, 60)}s\n",
                                '    password: "${DB_PASSWORD}"\n',
                                "    api_key: <YOUR_API_KEY>\n",
                                f"    digest: sha256:{g.chars(HEX, 64)}\n",
                                f"    region: {r.choice(('eu-west-1', 'us-east-1', 'ap-south-1'))}\n",
                                f"    retries: {r.randint(0, 5)}\n",
                                f"    log_level: {r.choice(('info', 'debug'))}\n",
                                f"    bucket: acme-{r.choice(WORDS)}-{r.randint(1, 99)}\n",
                            )
                        )
                    )
        return doc

    def log(self, budget: int, p: float) -> DocBuilder:
        g, r = self.g, self.r
        doc = DocBuilder("log", r.choice(("app.log", "access.log", "worker.log")))
        while doc.length < budget:
            head = f"{g.timestamp()} {r.choice(LEVELS):5s} [{r.choice(SERVICES)}] req={g.chars(HEX, 12)} "
            roll = r.random()
            doc.add(head)
            if roll < 0.1:
                path = r.choice(PATHS)
                emit(
                    doc,
                    [
                        "client=",
                        ("IP_ADDRESS", "IP_ADDRESS", g.ip()),
                        f' "GET {path}/{r.randint(1, 99999)} HTTP/1.1" '
                        f"{r.choice((200, 200, 201, 304, 404, 500))} {r.randint(1, 900)}ms\n",
                    ],
                )
            elif roll < 0.1 + p * 0.7:
                group, kind, value = g.pii()
                message = {
                    "EMAIL_ADDRESS": "password reset sent to ",
                    "PHONE_NUMBER": "sms verification code sent to ",
                    "CREDIT_CARD": "payment declined card=",
                    "IBAN_CODE": "payout scheduled iban=",
                    "US_SSN": "kyc check submitted ssn=",
                }[group]
                emit(doc, [message, (group, kind, value), f" user_id={r.randint(1, 10**6)}\n"])
            elif roll < 0.1 + p:
                emit(
                    doc,
                    self.secret_line(
                        r.choice(("jwt", "github", "slack", "db_url_password", "stripe")), "log"
                    ),
                )
            else:
                doc.add(
                    r.choice(
                        (
                            f"job {r.choice(('sync', 'report'))} finished in {r.randint(1, 9999)}ms\n",
                            f"cache miss key=user:{r.randint(1, 10**6)} ttl={r.randint(60, 3600)}s\n",
                            f"deployed commit {g.chars(HEX, 40)} version {g.version()}\n",
                            f"trace_id={g.chars(HEX, 32)} span_id={g.chars(HEX, 16)} status=ok\n",
                            f"retrying request attempt={r.randint(1, 5)} backoff={r.randint(100, 5000)}ms\n",
                            f"webhook delivered to https://hooks.{r.choice(DOMAINS)}/v1/{r.choice(WORDS)}\n",
                            f"order {g.order_id()} state=shipped amount={g.amount()} currency=EUR\n",
                            g.sentence(5, 12) + "\n",
                        )
                    )
                )
        return doc

    def json(self, budget: int, p: float) -> DocBuilder:
        g, r = self.g, self.r
        doc = DocBuilder("json", r.choice(("events.jsonl", "export.json", "response.json")))
        while doc.length < budget:
            fields: list[list[Piece]] = [
                [f'"id": "{g.uuid()}"'],
                [f'"type": "{r.choice(EVENT_TYPES)}"'],
                [f'"created": {r.randint(1_700_000_000, 1_720_000_000)}'],
                [f'"name": {json.dumps(g.name(), ensure_ascii=r.random() < 0.5)}'],
                [f'"plan": "{r.choice(("free", "pro", "team", "enterprise"))}"'],
                [f'"amount": {g.amount().replace(",", "")}'],
            ]
            if r.random() < 0.3:
                fields.append([f'"etag": "{g.chars(HEX, 32)}"'])
            if r.random() < 0.15:
                fields.append([f'"commit": "{g.chars(HEX, 40)}"'])
            roll = r.random()
            if roll < p * 0.85:
                group, kind, value = g.pii()
                key = {
                    "EMAIL_ADDRESS": "email",
                    "PHONE_NUMBER": "phone",
                    "CREDIT_CARD": "card_number",
                    "IBAN_CODE": "iban",
                    "US_SSN": "ssn",
                }[group]
                fields.insert(4, [f'"{key}": "', (group, kind, value), '"'])
            elif roll < p:
                fields.append(self.secret_line(g.secret_kind(), "json"))
            doc.add("{")
            for index, piece in enumerate(fields):
                if index:
                    doc.add(", ")
                emit(doc, piece)
            doc.add("}\n")
        return doc


def emit(doc: DocBuilder, pieces: Iterable[Piece]) -> None:
    for piece in pieces:
        if isinstance(piece, str):
            doc.add(piece)
        else:
            doc.entity(*piece)


# kind -> (share of the corpus in bytes, chance per line/sentence of a planted entity)
KIND_MIX: dict[str, tuple[float, float]] = {
    "prose": (0.34, 0.045),
    "code": (0.16, 0.065),
    "env": (0.06, 0.025),
    "yaml": (0.08, 0.014),
    "log": (0.22, 0.008),
    "json": (0.14, 0.04),
}


def generate(size_mb: float, seed: int) -> list[Doc]:
    gen = Gen(seed)
    writer = CorpusWriter(gen)
    kinds = tuple(KIND_MIX)
    shares = [KIND_MIX[kind][0] for kind in kinds]
    builders: dict[str, Callable[[int, float], DocBuilder]] = {
        "prose": writer.prose,
        "code": writer.code,
        "env": writer.env,
        "yaml": writer.yaml,
        "log": writer.log,
        "json": writer.json,
    }
    docs: list[Doc] = []
    total = 0
    target = int(size_mb * MB)
    while total < target:
        kind = gen.r.choices(kinds, shares)[0]
        budget = int(gen.r.triangular(500, 8000, 2500))
        doc = builders[kind](budget, KIND_MIX[kind][1]).build()
        docs.append(doc)
        total += len(doc.text.encode())
    return docs


# ---------------------------------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    group: str  # an entry of GROUPS, or "other:<native type>"
    start: int
    end: int
    score: float = 1.0
    native: str = ""  # the engine's own name for what it found


class Unavailable(Exception):
    """An engine that cannot run here (not installed, or its checks are not there yet)."""


class Engine:
    name = ""
    groups: frozenset[str] = frozenset()
    note = ""

    def setup(self) -> None: ...

    def scan(self, doc: Doc) -> Any: ...

    def hits(self, doc: Doc, raw: Any) -> list[Hit]:
        raise NotImplementedError


class OurEngine(Engine):
    def __init__(self, checks: Sequence[str], name: str) -> None:
        self.name = name
        self.check_ids = tuple(checks)
        self.policy: Any = None
        self.pii_entities: tuple[str, ...] = ()

    def setup(self) -> None:
        from llmops_ci.guardrails import policy_from_spec
        from llmops_ci.guardrails.checks import load_check

        groups: set[str] = set()
        specs = []
        for check in self.check_ids:
            spec = dict(OUR_SPEC_CHECKS[check])
            if check == "pii":
                entities = list(getattr(load_check("pii"), "ENTITIES", ()))
                spec["entities"] = entities  # "all entities"
                self.pii_entities = tuple(entities)
                groups |= set(entities) & set(PII_GROUPS)
            else:
                groups.add(SECRET)
            specs.append(spec)
        try:
            self.policy = policy_from_spec("bench-default", {"checks": specs})
        except AttributeError as exc:  # a check module without build(): its rewrite has not landed
            raise Unavailable(f"check not buildable yet ({exc})") from None
        self.groups = frozenset(groups)

    def scan(self, doc: Doc) -> Any:
        return self.policy.check(doc.text, "input")

    def hits(self, doc: Doc, raw: Any) -> list[Hit]:
        result = []
        for finding in raw.findings:
            if finding.check == "secrets":
                group = SECRET
            elif finding.entity in self.groups:
                group = finding.entity
            else:
                group = f"other:{finding.entity}"
            result.append(Hit(group, finding.start, finding.end, native=finding.entity))
        return result


class DetectSecretsEngine(Engine):
    name = "detect-secrets"
    note = "all default plugins + filters"

    def setup(self) -> None:
        try:
            from detect_secrets.core import scan
            from detect_secrets.settings import default_settings
        except ImportError:
            raise Unavailable("not installed") from None
        self.scan_module = scan
        self.settings = default_settings()
        self.settings.__enter__()
        self.groups = frozenset({SECRET})

    def close(self) -> None:
        self.settings.__exit__(None, None, None)

    def scan(self, doc: Doc) -> Any:
        lines = doc.text.splitlines(keepends=True)
        return list(
            self.scan_module._process_line_based_plugins(
                list(enumerate(lines, start=1)), filename=doc.filename
            )
        )

    def hits(self, doc: Doc, raw: Any) -> list[Hit]:
        starts = [0]
        for line in doc.text.splitlines(keepends=True):
            starts.append(starts[-1] + len(line))
        result = []
        for secret in raw:
            line_start = starts[secret.line_number - 1]
            line_end = starts[secret.line_number]
            line = doc.text[line_start:line_end]
            value = secret.secret_value or ""
            offset = line.find(value) if value else -1
            start, end = (
                (line_start + offset, line_start + offset + len(value))
                if offset >= 0
                else (line_start, line_end)
            )
            group = SECRET if secret.type != "Public IP (ipv4)" else "other:" + secret.type
            result.append(Hit(group, start, end, native=secret.type))
        return result


DETECT_SECRETS_ENTROPY = ("Hex High Entropy String", "Base64 High Entropy String")
PRESIDIO_RECOGNIZERS = {
    "EMAIL_ADDRESS": "EmailRecognizer",
    "PHONE_NUMBER": "PhoneRecognizer",
    "CREDIT_CARD": "CreditCardRecognizer",
    "IBAN_CODE": "IbanRecognizer",
    "US_SSN": "UsSsnRecognizer",
    "IP_ADDRESS": "IpRecognizer",
    "URL": "UrlRecognizer",  # not scored (no planted URLs), run for equal work when llmops-ci detects URLs
}


class PresidioEngine(Engine):
    name = "presidio"

    def __init__(self, groups: Iterable[str]) -> None:
        self.wanted = [entity for entity in PRESIDIO_RECOGNIZERS if entity in set(groups)]

    def setup(self) -> None:
        try:
            import presidio_analyzer
            from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, predefined_recognizers
        except ImportError:
            raise Unavailable("not installed") from None
        recognizers = []
        for entity in self.wanted:
            recognizer = getattr(predefined_recognizers, PRESIDIO_RECOGNIZERS[entity])
            if entity == "PHONE_NUMBER":  # the regions llmops-ci's pii check reads by default
                recognizers.append(recognizer(supported_regions=OUR_PHONE_REGIONS))
            else:
                recognizers.append(recognizer())
        self.recognizers = recognizers
        self.analyzer: Any = None
        try:
            from presidio_analyzer.nlp_engine import NoOpNlpEngine
        except ImportError:  # an older presidio-analyzer: the recognizers are called directly
            self.remove_duplicates = presidio_analyzer.EntityRecognizer.remove_duplicates
            path = "recognizers called directly (no NoOpNlpEngine in this version)"
        else:
            registry = RecognizerRegistry(supported_languages=["en"])
            for recognizer in recognizers:
                registry.add_recognizer(recognizer)
            nlp = NoOpNlpEngine([{"lang_code": "en", "model_name": "none"}])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.analyzer = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])
            path = "AnalyzerEngine + NoOpNlpEngine"
        self.groups = frozenset(self.wanted) & frozenset(GROUPS)
        self.note = (
            f"{getattr(presidio_analyzer, '__version__', '')} {path}: "
            + ", ".join(PRESIDIO_RECOGNIZERS[entity].removesuffix("Recognizer") for entity in self.wanted)
            + f"; phone regions {','.join(OUR_PHONE_REGIONS)}"
        ).strip()

    def scan(self, doc: Doc) -> Any:
        if self.analyzer is not None:
            return self.analyzer.analyze(text=doc.text, language="en", entities=self.wanted)
        results: list[Any] = []
        for recognizer in self.recognizers:
            results.extend(recognizer.analyze(doc.text, self.wanted, None) or [])
        return self.remove_duplicates(results)

    def hits(self, doc: Doc, raw: Any) -> list[Hit]:
        return [
            Hit(
                r.entity_type if r.entity_type in self.groups else f"other:{r.entity_type}",
                r.start,
                r.end,
                r.score,
            )
            for r in raw
        ]


# ---------------------------------------------------------------------------------------------------
# Measuring and scoring
# ---------------------------------------------------------------------------------------------------


@dataclass
class Run:
    engine: Engine
    docs: int
    mb: float
    seconds: float
    setup_seconds: float
    hits: list[list[Hit]]
    runs: int = 1

    @property
    def mb_per_s(self) -> float:
        return self.mb / self.seconds if self.seconds else float("inf")


def measure(engines: Sequence[Engine], docs: Sequence[Doc], repeat: int) -> dict[str, Run | Unavailable]:
    """Set up each engine, then time ``repeat`` rounds in which every engine scans ``docs`` in turn (so
    that a busy moment of the machine does not fall on one engine only); the best round counts."""
    results: dict[str, Run | Unavailable] = {}
    ready: list[tuple[Engine, float]] = []
    for engine in engines:
        started = time.perf_counter()
        try:
            engine.setup()
        except Unavailable as exc:
            results[engine.name] = exc
            continue
        for doc in docs[:20]:  # warm-up: lazy loading, regex compilation
            engine.scan(doc)
        ready.append((engine, time.perf_counter() - started))
    best = {engine.name: float("inf") for engine, _ in ready}
    raws: dict[str, list[Any]] = {}
    for _ in range(max(1, repeat)):
        for engine, _setup in ready:
            scan = engine.scan
            out = []
            t0 = time.perf_counter()
            for doc in docs:
                out.append(scan(doc))
            best[engine.name] = min(best[engine.name], time.perf_counter() - t0)
            raws[engine.name] = out
    mb = sum(len(doc.text.encode()) for doc in docs) / MB
    for engine, setup_seconds in ready:
        hits = [engine.hits(doc, raw) for doc, raw in zip(docs, raws[engine.name], strict=True)]
        results[engine.name] = Run(
            engine, len(docs), mb, best[engine.name], setup_seconds, hits, max(1, repeat)
        )
    return results


def time_scan(engine: Engine, docs: Sequence[Doc]) -> float:
    scan = engine.scan
    t0 = time.perf_counter()
    for doc in docs:
        scan(doc)
    return time.perf_counter() - t0


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    found: int = 0
    truth: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.found / self.truth if self.truth else None

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.found += other.found
        self.truth += other.truth


@dataclass
class Scores:
    groups: dict[str, Score]
    kinds: dict[str, Score]  # secrets recall per kind
    other: Counter[str]
    false_positives: list[tuple[int, Hit]]
    misses: list[tuple[int, Span]]

    def total(self) -> Score:
        total = Score()
        for score in self.groups.values():
            total.add(score)
        return total


def score(run: Run, docs: Sequence[Doc], min_score: float = 0.0, skip_native: Iterable[str] = ()) -> Scores:
    """Precision and recall of ``run``; hits under ``min_score`` or of a ``skip_native`` type are left out
    (the same scan seen with a stricter configuration)."""
    skipped = frozenset(skip_native)
    groups = {group: Score() for group in GROUPS if group in run.engine.groups}
    kinds: dict[str, Score] = defaultdict(Score)
    other: Counter[str] = Counter()
    false_positives: list[tuple[int, Hit]] = []
    misses: list[tuple[int, Span]] = []
    for index, (doc, hits) in enumerate(zip(docs, run.hits, strict=True)):
        spans = sorted(doc.spans, key=lambda span: span.start)
        ends = [span.end for span in spans]
        found = [False] * len(spans)
        for hit in hits:
            if hit.score < min_score or hit.native in skipped:
                continue
            if hit.group not in groups:
                other[hit.group.removeprefix("other:")] += 1
                continue
            correct = False
            position = bisect.bisect_right(ends, hit.start)
            while position < len(spans) and spans[position].start < hit.end:
                if spans[position].group == hit.group:
                    correct = True
                    found[position] = True
                position += 1
            if correct:
                groups[hit.group].tp += 1
            else:
                groups[hit.group].fp += 1
                false_positives.append((index, hit))
        for span, was_found in zip(spans, found, strict=True):
            if span.group not in groups:
                continue
            groups[span.group].truth += 1
            groups[span.group].found += was_found
            if span.group == SECRET:
                kinds[span.kind].truth += 1
                kinds[span.kind].found += was_found
            if not was_found:
                misses.append((index, span))
    return Scores(groups, dict(kinds), other, false_positives, misses)


# ---------------------------------------------------------------------------------------------------
# ReDoS and adversarial inputs
# ---------------------------------------------------------------------------------------------------

REDOS_CASES = (
    ("(a+)+$", "a", "b"),
    ("(a|aa)+$", "a", "b"),
    (r"^(\w+\s?)*$", "word ", "!"),
    (r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}[a-z]{2,3}$", "a", "!"),
)  # fmt: skip

_RE_CHILD = (
    "import re, sys, time\n"
    "pattern, unit, tail, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])\n"
    "text = unit * (n // len(unit)) + tail\n"
    "compiled = re.compile(pattern)\n"
    "t = time.perf_counter()\n"
    "compiled.search(text)\n"
    "print(time.perf_counter() - t)\n"
)


def python_re_seconds(pattern: str, unit: str, tail: str, n: int, timeout: float) -> float | None:
    """Python ``re`` on the adversarial text in a child process; None when it had to be killed."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _RE_CHILD, pattern, unit, tail, str(n)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout.strip())


def redos_section(size: int, timeout: float) -> None:
    from llmops_ci.guardrails import policy_from_spec

    print(
        f"\n== User-supplied regex check on adversarial input ({size // 1000} KB; re killed at {timeout:g} s)"
    )
    rows: list[tuple[str, ...]] = [("pattern", "input", "llmops-ci (RE2)", "Python re", "re, 30 chars")]
    for pattern, unit, tail in REDOS_CASES:
        spec = {
            "checks": [{"id": "user", "type": "regex", "patterns": [pattern], "scopes": {"input": "block"}}]
        }
        policy = policy_from_spec("redos", spec)
        text = unit * (size // len(unit)) + tail
        policy.check(unit, "input")  # warm-up
        ours = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            policy.check(text, "input")
            ours = min(ours, time.perf_counter() - t0)
        theirs = python_re_seconds(pattern, unit, tail, size, timeout)
        small = python_re_seconds(pattern, unit, tail, 30, timeout)
        rows.append(
            (
                pattern if len(pattern) <= 24 else pattern[:21] + "...",
                f"{unit!r}*{size // len(unit)}+{tail!r}",
                f"{ours * 1000:.2f} ms",
                f"> {timeout:g} s (catastrophic)" if theirs is None else f"{theirs * 1000:.2f} ms",
                f"> {timeout:g} s" if small is None else f"{small * 1000:.1f} ms",
            )
        )
    print_table(rows)


def adversarial_inputs(size: int) -> dict[str, str]:
    r = random.Random(1)
    half = size // 2
    return {
        "a*N": "a" * size,
        "digits": "1" * size,
        "digit-space": "1 " * half,
        "digit-dash": "1-" * half,
        "+digits": "+1 " * (size // 3),
        "paren-digits": "(12) " * (size // 5),
        "a@": "a@" * half,
        "a.a@": "a." * half + "@",
        "@a.": "@" + "a." * half,
        "upper-digits": "DE89" * (size // 4),
        "AKIA": "AKIA" * (size // 4),
        "ghp_a*N": "ghp_" + "a" * size,
        "sk-a*N": "sk-" + "a-" * half,
        "eyJ": ("eyJ" + "a" * 50 + ".") * (size // 54),
        "-----BEGIN": "-----BEGIN " * (size // 11),
        "key=": "key=" * (size // 4),
        "password: x": "password: " + "x" * size,
        "xox-": "xoxb-1-" * (size // 7),
        "random": "".join(r.choices(string.printable, k=size)),
    }


_ADVERSARIAL_CHILD = (
    "import json, sys, time\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from bench.guard_bench import adversarial_inputs, OUR_SPEC_CHECKS\n"
    "from llmops_ci.guardrails import policy_from_spec\n"
    "from llmops_ci.guardrails.checks import load_check\n"
    "pii = dict(OUR_SPEC_CHECKS['pii'], entities=list(load_check('pii').ENTITIES))\n"
    "specs = [pii, OUR_SPEC_CHECKS['secrets']]\n"
    "policy = policy_from_spec('adversarial', {'checks': specs})\n"
    "policy.check('warm up', 'input')\n"
    "out = []\n"
    "for size in (int(sys.argv[3]), 4 * int(sys.argv[3])):\n"
    "    text = adversarial_inputs(size)[sys.argv[2]]\n"
    "    best = float('inf')\n"
    "    for _ in range(2):\n"
    "        t = time.perf_counter()\n"
    "        verdict = policy.check(text, 'input')\n"
    "        best = min(best, time.perf_counter() - t)\n"
    "    out += [best, len(verdict.findings)]\n"
    "    print(json.dumps(out), flush=True)\n"
)


def adversarial_section(size: int, timeout: float) -> None:
    """Each input at ``size`` and at 4x that (best of 2 each): a time growing more than 6x for 4x the
    text flags superlinear work."""
    print(
        f"\n== Default PII + secrets policy on adversarial input ({size // 1000} KB and 4x, ≤ {timeout:g} s)"
    )
    rows: list[tuple[str, ...]] = [("input", "time", "MB/s", "findings", "time at 4x", "growth", "status")]
    for name in adversarial_inputs(size):
        try:
            done = subprocess.run(
                [sys.executable, "-c", _ADVERSARIAL_CHILD, str(REPO), name, str(size)],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=REPO,
            )
            output, error, code = done.stdout, done.stderr, done.returncode
        except subprocess.TimeoutExpired as exc:
            partial = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            output, error, code = partial, "", -1
        lines = output.strip().splitlines()
        if not lines:
            status = "TIMEOUT" if code == -1 else "error: " + ((error.strip().splitlines() or ["?"])[-1])[:70]
            rows.append((name, "-", "-", "-", "-", "-", status))
            continue
        measured = json.loads(lines[-1])
        seconds, findings = measured[0], measured[1]
        rate = size / MB / seconds if seconds else float("inf")
        if len(measured) < 4:
            rows.append(
                (name, f"{seconds * 1000:.1f} ms", f"{rate:.1f}", str(findings), "-", "-", "TIMEOUT at 4x")
            )
            continue
        growth = measured[2] / seconds if seconds else 0.0
        # 8x is halfway (geometrically) between linear (4x) and quadratic (16x); short times are too noisy
        superlinear = growth > 8.0 and measured[2] > 0.2
        status = "SUPERLINEAR" if superlinear else "slow" if rate < 1 else "ok"
        rows.append(
            (
                name,
                f"{seconds * 1000:.1f} ms",
                f"{rate:.1f}",
                str(findings),
                f"{measured[2] * 1000:.1f} ms",
                f"{growth:.1f}x",
                status,
            )
        )
    print_table(rows)
    print("  growth: time at 4x the size over time at the size (4x is linear, 16x quadratic)")


# ---------------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------------


def print_table(rows: Sequence[Sequence[str]], indent: str = "  ") -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print(indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print(indent + "  ".join("-" * width for width in widths))


def pr(score: Score | None) -> str:
    if score is None:
        return "-"
    p, r = score.precision, score.recall
    return f"{'-' if p is None else f'{p:.3f}'} / {'-' if r is None else f'{r:.3f}'}"


def corpus_summary(docs: Sequence[Doc]) -> None:
    size = sum(len(doc.text.encode()) for doc in docs)
    by_kind = Counter(doc.kind for doc in docs)
    spans = Counter(span.group for doc in docs for span in doc.spans)
    entity_count = sum(count for group, count in spans.items() if group != "IP_ADDRESS")
    print(
        f"corpus: {size / MB:.2f} MB, {len(docs)} documents ("
        + ", ".join(f"{kind} {count}" for kind, count in sorted(by_kind.items()))
        + f"), {sum(spans.values())} planted spans, "
        + f"one PII/secret per {size / max(entity_count, 1) / 1000:.1f} KB"
    )
    print("  planted: " + ", ".join(f"{group} {spans[group]}" for group in GROUPS))


def keep_text(docs: Sequence[Doc], path: Path) -> None:
    offset = 0
    truth = path.with_name(path.name + ".truth.jsonl")
    with path.open("w", encoding="utf-8") as text_out, truth.open("w", encoding="utf-8") as truth_out:
        for index, doc in enumerate(docs):
            text_out.write(doc.text)
            for span in doc.spans:
                record = {
                    "doc": index,
                    "group": span.group,
                    "kind": span.kind,
                    "start": offset + span.start,
                    "end": offset + span.end,
                    "text": doc.text[span.start : span.end],
                }
                truth_out.write(json.dumps(record, ensure_ascii=False) + "\n")
            offset += len(doc.text)
    print(f"kept the corpus in {path} and its planted spans in {truth} (character offsets)")


def show_errors(name: str, scores: Scores, docs: Sequence[Doc], count: int) -> None:
    if count <= 0:
        return

    def context(doc: Doc, start: int, end: int) -> str:
        left = doc.text[max(0, start - 30) : start]
        right = doc.text[end : end + 30]
        return repr(left + "[[" + doc.text[start:end][:120] + "]]" + right)

    print(f"\n  {name}: first {count} false positives and misses")
    for index, hit in scores.false_positives[:count]:
        print(f"    FP {hit.group:14s} {context(docs[index], hit.start, hit.end)}")
    for index, span in scores.misses[:count]:
        print(f"    FN {span.group}/{span.kind:10s} {context(docs[index], span.start, span.end)}")


def throughput_section(args: argparse.Namespace, docs: list[Doc]) -> None:
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    comparator_docs = docs
    if args.comparator_mb > 0:
        limit, size = int(args.comparator_mb * MB), 0
        comparator_docs = []
        for doc in docs:
            if size >= limit:
                break
            comparator_docs.append(doc)
            size += len(doc.text.encode())
    runs: dict[str, Run] = {}
    unavailable: dict[str, str] = {}
    ours = [("llmops-ci", ("pii", "secrets")), ("  pii only", ("pii",)), ("  secrets only", ("secrets",))]
    pii_entities: set[str] = set(PII_GROUPS)  # what presidio is asked for: the PII llmops-ci detects
    if "llmops-ci" in engines:
        print(
            f"running llmops-ci (policy, pii only, secrets only) over {len(docs)} documents, "
            f"{args.repeat} rounds..."
        )
        our_engines = [OurEngine(checks, label) for label, checks in ours]
        for label, result in measure(our_engines, docs, args.repeat).items():
            if isinstance(result, Unavailable):
                unavailable[label] = str(result)
            else:
                runs[label] = result
        if "llmops-ci" in runs:
            pii_entities = set(our_engines[0].pii_entities)
    comparators: list[Engine] = []
    if "detect-secrets" in engines:
        comparators.append(DetectSecretsEngine())
    if "presidio" in engines:
        comparators.append(PresidioEngine(pii_entities))
    # The machine may be busy with other work: llmops-ci scans the comparator's slice right before and
    # right after it, and that pair gives a second, back-to-back ratio.
    paired: dict[str, float] = {}  # comparator -> llmops-ci seconds on the same slice (best of 2)
    ours_on_slice = OurEngine(("pii", "secrets"), "llmops-ci")
    if "llmops-ci" in runs:
        ours_on_slice.setup()
    for engine in comparators:
        print(f"running {engine.name} over {len(comparator_docs)} documents...", flush=True)
        before = time_scan(ours_on_slice, comparator_docs) if "llmops-ci" in runs else 0.0
        result = measure([engine], comparator_docs, 1)[engine.name]
        if isinstance(result, Unavailable):
            unavailable[engine.name] = str(result)
            continue
        runs[engine.name] = result
        if "llmops-ci" in runs:
            paired[engine.name] = min(before, time_scan(ours_on_slice, comparator_docs))
        close = getattr(engine, "close", None)
        if close is not None:
            close()
    comparator_rates = [runs[n].mb_per_s for n in ("detect-secrets", "presidio") if n in runs]
    fastest = max(comparator_rates) if comparator_rates else None
    print("\n== Throughput (one call per document; MB = 10^6 bytes of UTF-8)")
    rows: list[tuple[str, ...]] = [
        ("engine", "scanned", "seconds", "MB/s", "x fastest comparator", "set-up", "notes")
    ]
    for label in [label for label, _ in ours] + ["detect-secrets", "presidio"]:
        if label.strip() not in engines and label not in ("  pii only", "  secrets only"):
            continue
        if label in ("  pii only", "  secrets only") and "llmops-ci" not in engines:
            continue
        if label in unavailable:
            rows.append((label, "-", "-", "-", "-", "-", unavailable[label]))
            continue
        if label not in runs:
            continue
        run = runs[label]
        extrapolated = run.docs < len(docs)
        notes = [run.engine.note] if run.engine.note else []
        if extrapolated:
            notes.append(f"first {run.mb:.2f} MB only, MB/s extrapolated")
        if run.runs > 1:
            notes.append(f"best of {run.runs}")
        ratio = (
            f"{run.mb_per_s / fastest:.1f}x"
            if fastest and label not in ("detect-secrets", "presidio")
            else "-"
        )
        rows.append(
            (
                label,
                f"{run.mb:.2f} MB",
                f"{run.seconds:.2f}",
                f"{run.mb_per_s:.2f}",
                ratio,
                f"{run.setup_seconds:.2f} s",
                "; ".join(notes),
            )
        )
    print_table(rows)
    if "llmops-ci" in runs and fastest:
        speedup = runs["llmops-ci"].mb_per_s / fastest
        print(
            f"  goal >= {GOAL_SPEEDUP:g}x the fastest comparator: {speedup:.1f}x -> "
            + ("met" if speedup >= GOAL_SPEEDUP else "MISSED")
        )
        for theirs, ours_seconds in paired.items():
            print(
                f"  back to back on the same {runs[theirs].mb:.2f} MB: llmops-ci {ours_seconds:.2f} s vs "
                f"{theirs} {runs[theirs].seconds:.2f} s = {runs[theirs].seconds / ours_seconds:.1f}x"
            )
        pairs = (("  pii only", "presidio"), ("  secrets only", "detect-secrets"))
        for ours_label, theirs in pairs:
            if ours_label in runs and theirs in runs:
                print(
                    f"  like for like: {ours_label.strip()} {runs[ours_label].mb_per_s:.2f} MB/s vs "
                    f"{theirs} {runs[theirs].mb_per_s:.2f} MB/s = "
                    f"{runs[ours_label].mb_per_s / runs[theirs].mb_per_s:.1f}x"
                )

    # accuracy
    scored: list[tuple[str, Scores]] = []
    for label in ("llmops-ci", "detect-secrets", "presidio"):
        if label in runs:
            run = runs[label]
            scored.append((label, score(run, docs[: run.docs])))
            if label == "detect-secrets":
                scored.append(
                    ("d-s w/o entropy", score(run, docs[: run.docs], skip_native=DETECT_SECRETS_ENTROPY))
                )
            if label == "presidio":
                scored.append(("presidio @0.5", score(run, docs[: run.docs], min_score=0.5)))
    if not scored:
        return
    print("\n== Precision / recall against the planted truth (- = group not claimed by the engine)")
    header = ("group", *(label for label, _ in scored))
    rows = [header]
    for group in GROUPS:
        rows.append((group, *(pr(scores.groups.get(group)) for _, scores in scored)))
    rows.append(("all claimed groups", *(pr(scores.total()) for _, scores in scored)))
    rows.append(
        (
            "detections of other kinds",
            *(", ".join(f"{k} {v}" for k, v in scores.other.most_common(3)) or "0" for _, scores in scored),
        )
    )
    print_table(rows)
    if "llmops-ci" in runs:
        total = dict(scored)["llmops-ci"].total()
        p, r = total.precision or 0.0, total.recall or 0.0
        ok = p >= GOAL_SCORE and r >= GOAL_SCORE
        worst = [
            group
            for group, s in dict(scored)["llmops-ci"].groups.items()
            if (s.precision or 0) < GOAL_SCORE or (s.recall or 0) < GOAL_SCORE
        ]
        print(
            f"  goal precision and recall >= {GOAL_SCORE:g}: llmops-ci {p:.3f} / {r:.3f} -> "
            + ("met" if ok else "MISSED")
            + (f" (groups below: {', '.join(worst)})" if worst else "")
        )
    secret_engines = [(label, s) for label, s in scored if SECRET in s.groups]
    if secret_engines:
        print("\n== Secret recall per kind (found / planted)")
        kinds = [kind for kind, _ in Gen.SECRET_KINDS]
        rows = [("kind", *(label for label, _ in secret_engines))]
        for kind in kinds:
            cells = []
            for _, s in secret_engines:
                k = s.kinds.get(kind)
                cells.append(f"{k.found}/{k.truth}" if k else "-")
            rows.append((kind, *cells))
        print_table(rows)
    for label, s in scored:
        show_errors(label, s, docs, args.show_errors)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=float, default=10.0, help="corpus size in MB (default 10)")
    parser.add_argument("--seed", type=int, default=7, help="corpus seed (default 7)")
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help="comma-separated: " + ", ".join(ENGINES) + " (default all)",
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help="comma-separated: " + ", ".join(SECTIONS) + " (default all)",
    )
    parser.add_argument(
        "--comparator-mb",
        type=float,
        default=1.0,
        help="MB of the corpus the comparators scan, MB/s extrapolated (default 1; 0 = all)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="llmops-ci runs over the corpus, best kept (default 3)"
    )
    parser.add_argument(
        "--keep-text", type=Path, metavar="PATH", help="write the corpus and PATH.truth.jsonl"
    )
    parser.add_argument(
        "--show-errors", type=int, default=0, metavar="N", help="print N false positives and misses"
    )
    parser.add_argument("--redos-timeout", type=float, default=5.0, help="seconds before Python re is killed")
    parser.add_argument("--adversarial-kb", type=int, default=100, help="size of each adversarial input (KB)")
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    for given, known, what in ((sections, SECTIONS, "section"), (engines, ENGINES, "engine")):
        unknown = sorted(set(given) - set(known))
        if unknown:
            parser.error(f"unknown {what}(s): {', '.join(unknown)}")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"llmops-ci guardrail benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load {load}, seed {args.seed}"
    )
    started = time.perf_counter()
    if "throughput" in sections or args.keep_text:
        t0 = time.perf_counter()
        docs = generate(args.size_mb, args.seed)
        print(f"generated in {time.perf_counter() - t0:.1f} s")
        corpus_summary(docs)
        if args.keep_text:
            keep_text(docs, args.keep_text)
        if "throughput" in sections:
            throughput_section(args, docs)
    if "redos" in sections:
        redos_section(100_000, args.redos_timeout)
    if "adversarial" in sections:
        adversarial_section(args.adversarial_kb * 1000, 60.0)
    print(f"\ndone in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
