"""The engine of the ``secrets`` check: one combined regular expression, then cheap validation.

How it stays fast and linear (the check's documentation is in ``secrets.py``):

- Every alternative of the combined pattern starts with a literal character and no alternative is a group,
  so ``re`` computes the set of possible first characters and skips everything else in C. Prefixes whose
  first character is frequent in prose (``eyJ``, ``sk-``, ``ghp_``, ``hooks.slack.com``) are anchored on a
  rarer character of the prefix (``J``, ``-``, ``_``, ``k``) and check the rest with a fixed-width
  look-behind.
- Each alternative checks its left boundary with a negative look-behind right after its literal prefix,
  so inside a long run of token characters (``"sk-" * 50000``) only the first position can start a match.
- Every repetition is bounded and applies to a single character class; nothing repeats a group. The
  structure of a candidate (Slack's digit segments, JWT's JSON header, a PEM body) is checked in Python on
  the bounded candidate.
- Alternatives end with an empty marker group ``()``; ``match.lastindex`` names the alternative without
  the cost of named groups around each one (which would disable the first-character optimisation).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from math import log2
from urllib.parse import unquote

from llmops_ci.guardrails.checks import Detection

GENERIC = "GENERIC_SECRET"
MIN_GENERIC_LENGTH = 8
MAX_VALUE_LENGTH = 512
DEFAULT_MIN_ENTROPY = 3.0


def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character (0 for a repeated character, at most
    log2(len(value)))."""
    size = len(value)
    if not size:
        return 0.0
    return -sum(count / size * log2(count / size) for count in Counter(value).values())


_RUN = re.compile(r"(.)\1{5}")  # six identical characters in a row: xxxxxx, ZZZZZZ, 000000, ******


def placeholder_run(value: str) -> bool:
    """A run of six identical characters: a placeholder body (``ghp_xxxx…``, ``AKIAZZZZ…``). A random
    base62 token of 100 characters has one with probability ~1e-7."""
    return _RUN.search(value) is not None


@dataclass(frozen=True)
class Options:
    min_entropy: float = DEFAULT_MIN_ENTROPY


Handler = Callable[[str, "re.Match[str]", Options], "Detection | None"]


@dataclass(frozen=True)
class Alternative:
    name: str
    pattern: str  # starts with a literal character; contains no capturing group
    entities: frozenset[str]  # entities its handler may report
    handler: Handler


# --------------------------------------------------------------------------------------------------
# handlers of fixed-prefix tokens


def _token(
    entity: str, back: int, check: Callable[[str], bool] | None = None, *, runs: bool = True
) -> Handler:
    """A token whose prefix begins ``back`` characters before the anchor character the match starts on;
    ``runs``: reject a token with a placeholder run (else ``check`` looks at the random part itself)."""

    def handle(text: str, match: re.Match[str], options: Options) -> Detection | None:
        start, end = match.start() - back, match.end()
        token = text[start:end]
        if (runs and placeholder_run(token)) or (check is not None and not check(token)):
            return None
        return Detection(entity, start, end, token)

    return handle


def _min_entropy(limit: float) -> Callable[[str], bool]:
    return lambda token: shannon_entropy(token) >= limit


def _mixed_case(token: str) -> bool:
    """Hugging Face tokens are 34 random letters: about half are capitals. Identifiers that happen to
    start with ``hf_`` are words (few capitals, or all capitals)."""
    body = token[token.rindex("_") + 1 :]
    upper = sum(char.isupper() for char in body)
    return 0.2 <= upper / len(body) <= 0.8


_SLACK_LAST = re.compile(r"[A-Za-z0-9]{10,64}")


def _slack_structure(token: str) -> bool:
    """``xox?-`` then one to three groups of 5-14 digits (after an optional 1-3 digit version) and a
    final random part of 10-64 letters and digits (the digit groups are ids: ``511111111`` is fine)."""
    parts = token[5:].split("-")
    digits, last = parts[:-1], parts[-1]
    if len(digits) > 1 and len(digits[0]) <= 3 and digits[0].isdigit():
        digits = digits[1:]
    return (
        1 <= len(digits) <= 3
        and all(part.isdigit() and 5 <= len(part) <= 14 for part in digits)
        and _SLACK_LAST.fullmatch(last) is not None
        and not placeholder_run(last)
    )


def _slack_webhook(text: str, match: re.Match[str], options: Options) -> Detection | None:
    start, end = match.start() - 3, match.end()  # the match starts on the k of "hooks"
    if placeholder_run(text[start:end]):
        return None
    for scheme in ("https://", "http://"):
        if text.startswith(scheme, start - len(scheme)):
            start -= len(scheme)
            break
    return Detection("SLACK_WEBHOOK_URL", start, end, text[start:end])


_ANTHROPIC = re.compile(r"ant-[a-z]{3,6}\d\d-[A-Za-z0-9_-]{93}AA")
_OPENAI_MARKER = "T3BlbkFJ"  # base64 of "OpenAI"
_OPENAI_PROJECT = re.compile(r"(?:proj|svcacct|admin)-[A-Za-z0-9_-]{80,}")
_OPENAI_LEGACY = re.compile(r"[A-Za-z0-9]{48}")
_OPENAI_SIDE = re.compile(r"(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,}")


def _sk_dash(text: str, match: re.Match[str], options: Options) -> Detection | None:
    """``sk-…``: Anthropic (``sk-ant-api03-`` + 93 + ``AA``) or OpenAI (marker ``T3BlbkFJ`` with 20+
    characters on each side; ``sk-proj-``/``sk-svcacct-``/``sk-admin-`` with 80+ characters; legacy
    ``sk-`` + 48 letters and digits). Other ``sk-`` strings (other providers, placeholders) are left to
    the generic rule."""
    start, end = match.start() - 2, match.end()
    body = text[match.start() + 1 : end]
    if placeholder_run(body):
        return None
    if body.startswith("ant-"):
        return Detection("ANTHROPIC_KEY", start, end, text[start:end]) if _ANTHROPIC.fullmatch(body) else None
    left, marker, right = body.partition(_OPENAI_MARKER)
    if marker:
        ok = _OPENAI_SIDE.fullmatch(left) is not None and len(right) >= 20
    else:
        ok = (
            _OPENAI_PROJECT.fullmatch(body) is not None or _OPENAI_LEGACY.fullmatch(body) is not None
        ) and shannon_entropy(body) >= 3.5
    return Detection("OPENAI_KEY", start, end, text[start:end]) if ok else None


# --------------------------------------------------------------------------------------------------
# private key blocks

_PEM_HEADER_LINE = re.compile(r"\s{0,4}[A-Za-z][A-Za-z-]{0,39}:[^\n]{0,300}\n")
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=\s\\]{0,65536}")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/]")
MIN_KEY_BODY = 64


def _private_key(text: str, match: re.Match[str], options: Options) -> Detection | None:
    """The BEGIN line, then optional armour headers (``Proc-Type:``, ``Comment:``), then at least
    ``MIN_KEY_BODY`` base64 characters (newlines and escaped ``\\n`` allowed); the END line when present
    (a truncated block is reported to where its body stops)."""
    position = match.end()
    for _ in range(6):
        header = _PEM_HEADER_LINE.match(text, position)
        if header is None:
            break
        position = header.end()
    body = _PEM_BODY.match(text, position)
    assert body is not None  # the body pattern accepts the empty string
    if len(_BASE64_CHARS.findall(body.group())) < MIN_KEY_BODY:
        return None
    end = body.end()
    closing = _PEM_END.match(text, end)
    end = closing.end() if closing is not None else match.end() + len(text[match.end() : end].rstrip())
    return Detection("PRIVATE_KEY", match.start(), end, text[match.start() : end])


# --------------------------------------------------------------------------------------------------
# JWT


def _b64url_json(part: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None


def _jwt(text: str, match: re.Match[str], options: Options) -> Detection | None:
    """Header (``{"`` in base64url: ``eyJ``) that decodes to a JSON object with ``alg``; then the payload,
    which must decode to a JSON object when no signature follows; then the signature if present."""
    start, end = match.start() - 2, match.end()
    token = text[start:end]
    header, _, rest = token.partition(".")
    payload, _, signature = rest.partition(".")
    decoded = _b64url_json(header)
    if not isinstance(decoded, dict) or "alg" not in decoded:
        return None
    if len(payload) % 4 == 1 or (not signature and not isinstance(_b64url_json(payload), dict)):
        return None
    return Detection("JWT", start, end, text[start:end])


# --------------------------------------------------------------------------------------------------
# credentials in URLs

_URL_PASSWORD_CHARS = re.compile(r"[^\s/?#@\"'<>\[\]{}\\|^`]{1,256}")
_URL_SCHEME = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}$")
_TEMPLATE = re.compile(
    r"\$\{|\$\(|\{\{|\}\}|%\(|%[sd]\b|<[^>]{0,80}>|^\$[A-Za-z_]|^:[A-Za-z_]|\*{3}|\.{3}|…|(?i:x{4})"
    r"|^%[A-Za-z_][A-Za-z0-9_]{0,64}%$|#\{"
)
_PLACEHOLDER_WORDS = re.compile(
    r"(?i)example|sample|placeholder|dummy|change[-_]?me|replace[-_]?(?:me|with|this)|redacted|"
    r"\bfake\b|(?:^|[^a-z])(?:your|my|the)[-_ ]?(?:[a-z]{0,12}[-_ ]?)?"
    r"(?:key|token|secret|password|passwd|pass|pwd|credential)"
)
# a password that names itself: secret_access_key, mypassword, "a secret"
_DESCRIPTIVE_PASSWORD = re.compile(r"(?i)[a-z_. -]{0,40}(?:pass|pwd|secret|key|token)[a-z_. -]{0,40}")
_PLACEHOLDER_PASSWORDS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "changeme", "pw", "token", "apikey", "api_key"}
)


def _url_password(text: str, match: re.Match[str], options: Options) -> Detection | None:
    """``scheme://user:password@host``: reports the password. Templates (``${DB_PASSWORD}``, ``<pass>``),
    masks (``***``) and placeholder words (``password``, ``changeme``) are not credentials."""
    if _URL_SCHEME.search(text, max(0, match.start() - 32), match.start()) is None:
        return None
    start = match.end()  # the match stops at the colon, so that a token used as the password matches too
    password_match = _URL_PASSWORD_CHARS.match(text, start)
    if password_match is None:
        return None
    end = password_match.end()
    password = text[start:end]
    if (
        password.lower() in _PLACEHOLDER_PASSWORDS
        or _DESCRIPTIVE_PASSWORD.fullmatch(unquote(password))
        or _TEMPLATE.search(password)
        or _PLACEHOLDER_WORDS.search(password)
        or placeholder_run(password)
    ):
        return None
    return Detection("URL_PASSWORD", start, end, password)


# --------------------------------------------------------------------------------------------------
# assignments: name = value, name: value, "name": "value", name => value

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_NOUN = re.compile(r"[A-Za-z]{1,13}")
_PROSE_QUALIFIER = re.compile(r"(?<![A-Za-z])([A-Za-z]{2,14}) $")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.$-")
# fmt: off
_KEY_QUALIFIERS = frozenset({
    "api", "access", "secret", "private", "auth", "client", "signing", "sign", "encryption", "encrypt",
    "master", "app", "application", "account", "service", "subscription", "consumer", "admin", "license",
    "licence", "session", "shared", "storage", "webhook", "deploy", "ingest", "ingestion", "write",
    "bearer", "hmac", "jwt", "dev", "prod", "live", "test", "rest", "management", "mgmt",
})
# fmt: on
_COMPOUND_QUALIFIERS = _KEY_QUALIFIERS | {"refresh", "bearer", "id", "oauth", "bot", "user", "root", "jwt"}
# fmt: off
_NOT_SECRET_WORDS = frozenset({
    "public", "pub", "csrf", "xsrf", "next", "page", "pagination", "continuation", "cancellation",
    "cancel", "sync", "max", "min", "num", "count", "total", "input", "output", "prompt", "completion",
    "eos", "bos", "pad", "unk", "sep", "cls", "mask", "special", "start", "end", "stop", "lexer", "parser",
    "sample", "example", "dummy", "fake", "placeholder",
})
_NOUNS = frozenset({
    "password", "passwd", "passphrase", "pass", "pwd", "secret", "token", "credential", "auth",
    "authorization",
})
# fmt: on


def secret_name(identifier: str) -> bool:
    """Whether an assigned name designates a credential: its last word is a secret noun (``password``,
    ``secret``, ``token``, ``credential``, ``auth``…) or ``key`` after a qualifier (``api``, ``access``,
    ``secret``, ``private``, ``client``…), and no word marks it as public or as a counter
    (``public_key``, ``csrf_token``, ``max_token``, ``page_token``)."""
    words = [word.lower() for word in _WORDS.findall(identifier)]
    if not words or any(word in _NOT_SECRET_WORDS for word in words):
        return False
    last = words[-1]
    if last in _NOUNS:
        return True
    if last == "key":
        return len(words) > 1 and words[-2] in _KEY_QUALIFIERS
    if last.endswith("key"):  # run-together: apikey, secretkey, accesskey
        return last[:-3] in _KEY_QUALIFIERS
    if last.endswith(("password", "passwd")):  # dbpassword, pgpassword, adminpasswd
        return len(last) <= 20
    for noun in ("secret", "token"):  # clientsecret, accesstoken; not jsonwebtoken
        if last.endswith(noun):
            return last[: -len(noun)] in _COMPOUND_QUALIFIERS
    return False


_QUOTED = re.compile(
    r"""[bBrRuU]?(?:"([^"\n]{0,512})"|'([^'\n]{0,512})'|`([^`\n]{0,512})`)"""
    r'|\\"([^"\\\n]{0,512})\\"'  # \"…\" inside a JSON string (tool-call arguments)
)
_BARE = re.compile(r"""[^\s"'`,;(){}\[\]<>]{1,512}""")
_BARE_END = frozenset(" \t\r\n,;\"')}]<*\\")
_AUTH_SCHEME = re.compile(r"(?:Bearer|Basic|Token|token|bearer|basic)[ \t]{1,4}")
_DOTTED_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[\w$]+)+")
_WORDLIKE = re.compile(r"[A-Za-z_.-]+")  # gitleaks' generic rule allowlists these too
_SIGIL_NAME = re.compile(r"[%!*#][A-Za-z_][A-Za-z0-9_.-]{0,511}%?|[%!*#][0-9]{1,511}")
_KIND = {
    **dict.fromkeys("abcdefghijklmnopqrstuvwxyz", 0),
    **dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1),
    **dict.fromkeys("0123456789", 2),
}
_SEPARATORS = frozenset("-_.:/")
_PROSE_OPERATOR = re.compile(r"[ \t](?:is|was)\b")
_SENTENCE_END = ".,;:"  # ends a sentence, not a value; "!" and "?" may belong to a password
MIN_PROSE_LENGTH = 10
_CODE_LIKE = re.compile(r"\(.*\)|\[.*\]|\{.*\}|\\")
_DIGIT = re.compile(r"[0-9]")
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_SNAKE_WORDS = re.compile(r"[a-z]{2,}_[a-z]{2,}|[A-Z]{2,}_[A-Z]{2,}")
_SPACE_URL_OR_PATH = re.compile(r"\s|://|^\.\.?/|^[A-Za-z]:\\")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_AWS_SECRET = re.compile(r"[A-Za-z0-9/+]{40}")
_AZURE_ACCOUNT_KEY = re.compile(r"[A-Za-z0-9+/]{86}==")
_AZURE_SHARED_KEY = re.compile(r"[A-Za-z0-9+/]{43}=")
_NPMRC_PREFIX = re.compile(r"[ \t]{0,8}//[^\s/][^\s]{0,300}/:$")
_NPM_VALUE = re.compile(r"npm_[A-Za-z0-9]{36}|[A-Za-z0-9_+/=.-]{20,}")


def _value(text: str, position: int) -> tuple[int, int, bool] | None:
    """Span of the value that starts at ``position`` and whether it was quoted."""
    scheme = _AUTH_SCHEME.match(text, position)
    if scheme is not None:
        position = scheme.end()
    quoted = _QUOTED.match(text, position)
    if quoted is not None:
        group = quoted.lastindex or 1
        return quoted.start(group), quoted.end(group), True
    bare = _BARE.match(text, position)
    if bare is None or (bare.end() < len(text) and text[bare.end()] not in _BARE_END):
        return None  # an expression: call, index, concatenation
    return bare.start(), bare.end(), scheme is not None  # after "Bearer " a bare value is a literal


def random_looking(value: str) -> bool:
    """Whether ``value`` reads as characters drawn at random rather than words and numbers: the kind of
    character (lower case, upper case, digit, other) changes between at least 40% of neighbours (the
    separators ``- _ . : /`` of names, versions, dates and addresses left out), and its runs of letters
    and of digits average under 3 characters. ``Password123!`` (runs of 8 and 3, 3 changes in 11),
    ``SHA256-based``, ``MyServiceToken``, ``AES-256-GCM``, ``gpt-4o-mini-2024-07-18`` and
    ``2019-05-15T15:20:21Z`` are not; a generated password (``h3*lbLN5wP653cMiAl``) or key almost always
    is (97.5% of 14-24 random characters, 99.5% of AWS secret keys)."""
    kinds = [_KIND.get(char, 3) for char in value if char not in _SEPARATORS]
    if len(kinds) < 2:
        return False
    changes = sum(1 for left, right in pairwise(kinds) if left != right)
    if changes < 0.4 * (len(kinds) - 1):
        return False
    runs = _WORDS.findall(value)
    return not runs or sum(map(len, runs)) < 3 * len(runs)


def _plausible_value(value: str, quoted: bool, code_assignment: bool, options: Options) -> bool:
    """Whether an assigned value (at least MIN_GENERIC_LENGTH long) looks like a credential rather than a
    word, a name, code or a placeholder."""
    if value.isdigit() or value[0] in "=$@&/~.\\":
        return False
    if value[0] in "%!*#" and not quoted and _SIGIL_NAME.fullmatch(value) and not random_looking(value[1:]):
        return False  # a YAML tag or alias (!Ref, *defaults), a selector or variable (#field, %VAR)
    if not quoted:
        # unquoted, a value without a digit is a word or an identifier (unless its characters look drawn
        # at random, as in .env and YAML literals); an identifier on the right of a spaced `=` is a
        # variable in code (token = v4auth_header), a literal in .env and YAML files
        if _DOTTED_NAME.fullmatch(value):
            return False
        if _DIGIT.search(value) is None and (code_assignment or not random_looking(value)):
            return False
        if _IDENTIFIER.fullmatch(value) and (code_assignment or _SNAKE_WORDS.search(value)):
            return False
    if _WORDLIKE.fullmatch(value) and not random_looking(value):
        return False  # words and names (API_KEY_GOES_HERE, IAmSensitive)
    if _SPACE_URL_OR_PATH.search(value) or _CODE_LIKE.search(value):
        return False  # phrases, URLs, paths, patterns and calls
    if _TEMPLATE.search(value) or _PLACEHOLDER_WORDS.search(value) or placeholder_run(value):
        return False
    return shannon_entropy(value) >= options.min_entropy


def _assignment(text: str, match: re.Match[str], options: Options) -> Detection | None:
    """A secret-ish name assigned a value, or named in prose (``The SMTP password is …``). The match starts
    inside the noun that ends the name; the value is parsed after the operator. Gives AZURE_STORAGE_KEY,
    AWS_SECRET_KEY and NPM_TOKEN their precise shapes, GENERIC_SECRET otherwise."""
    span = _value(text, match.end())
    if span is None:
        return None
    start, end, quoted = span
    noun = _NOUN.match(text, match.start())
    noun_end = noun.end() if noun is not None else match.start()
    between = text[noun_end : match.end()]  # quotes, spaces and the operator
    prose = _PROSE_OPERATOR.search(between) is not None
    if prose and not quoted:
        while end > start and text[end - 1] in _SENTENCE_END:
            end -= 1  # "The password is X7#kq9Lm2vR4. Thanks!"
    if end - start < (MIN_PROSE_LENGTH if prose else MIN_GENERIC_LENGTH):  # every specific shape is longer
        return None
    value = text[start:end]
    name_start, floor = match.start(), max(0, noun_end - 80)
    while name_start > floor and text[name_start - 1] in _NAME_CHARS:
        name_start -= 1
    name = text[name_start:noun_end].lstrip("-.$")
    prose_words: list[str] = []  # up to three words before a name in prose: "the AWS secret access key"
    if name.isalpha():
        position = name_start
        for _ in range(3):
            qualifier = _PROSE_QUALIFIER.search(text, max(0, position - 16), position)
            if qualifier is None:
                break
            prose_words.insert(0, qualifier.group(1))
            position = qualifier.start(1)
        if prose_words:  # "API key: …", "your access token: …"
            name = f"{prose_words[-1]}_{name}"
    if not name or not secret_name(name):  # every specific shape below has a secret-ish name too
        return None
    words = [word.lower() for word in _WORDS.findall(name)]
    if words[-2:] == ["account", "key"] and _AZURE_ACCOUNT_KEY.fullmatch(value):
        return Detection("AZURE_STORAGE_KEY", start, end, value)
    if words[-3:] == ["shared", "access", "key"] and _AZURE_SHARED_KEY.fullmatch(value):
        return Detection("AZURE_STORAGE_KEY", start, end, value)
    if name == "_authToken":
        window = max(0, noun_end - 320)  # bounded: an .npmrc line is short
        line_start = max(text.rfind("\n", window, noun_end) + 1, window)
        if _NPMRC_PREFIX.fullmatch(text, line_start, noun_end - len(name)):
            npm_ok = (_UUID.fullmatch(value) or _NPM_VALUE.fullmatch(value)) and not (
                placeholder_run(value) or _TEMPLATE.search(value)
            )
            return Detection("NPM_TOKEN", start, end, value) if npm_ok else None
    named = [word.lower() for word in prose_words[:-1]] + words
    aws = ("aws" in named and "secret" in named) or named[-3:] == ["secret", "access", "key"]
    if aws and _AWS_SECRET.fullmatch(value) and shannon_entropy(value) >= 3.5 and not placeholder_run(value):
        return Detection("AWS_SECRET_KEY", start, end, value)
    lowered = value.lower()
    if lowered == name.lower() or lowered in _PLACEHOLDER_PASSWORDS:
        return None
    if prose:
        # a sentence ("the password is incorrect", "the API key is RS256-signed"): only a value whose
        # characters look drawn at random, and no attribute path (MyEnum1.book)
        plausible = (
            random_looking(value)
            and (quoted or not _DOTTED_NAME.fullmatch(value))
            and _plausible_value(value, True, False, options)
        )
    else:
        code_assignment = between.strip(" \t\"'*\\]") != ":" and (" " in between or "\t" in between)
        plausible = _plausible_value(value, quoted, code_assignment, options)
    return Detection(GENERIC, start, end, value) if plausible else None


# --------------------------------------------------------------------------------------------------
# the alternatives

# Nouns that end a secret-ish name, as literal-first alternatives (no IGNORECASE: it would disable the
# first-character optimisation). Each is anchored on its rarest letter in English text (the k of
# token, the c of secret, the u of auth) with a look-behind for the letters before it, so that the
# frequent s, t and a do not start a match attempt. The handler reads the whole name backwards from the
# end of the noun.
_NOUN_SPELLINGS = tuple(
    spelling for noun in (*_NOUNS, "key") for spelling in (noun, noun.capitalize(), noun.upper())
)
_ANCHOR_PREFERENCE = "kKuUcCpPwW"
_ASSIGNMENT_TAIL = (
    r"""(?![A-Za-z0-9_])["'\]\\*]{0,3}[ \t]{0,8}"""
    r"(?:=>|:=|=|:|(?<=[ \t])(?:is|was)(?![A-Za-z0-9_]):?)\*{0,2}[ \t]{0,8}"
)
# "key" is a secret-ish name only after a qualifier (api_key, apiKey, "API key"): the character before
# it must be able to end one, so that "key=" repeated or {"key": …} starts no match attempt
_KEY_BEHIND = r"(?<=[A-Za-z0-9_. -]{0})"


def _noun_alternatives() -> list[str]:
    by_anchor: dict[str, list[str]] = {}
    for spelling in sorted(_NOUN_SPELLINGS, key=len, reverse=True):
        ranks = [_ANCHOR_PREFERENCE.find(char) % 99 for char in spelling]  # absent (-1) ranks last
        at = ranks.index(min(ranks)) if min(ranks) < 99 else 0
        behind = f"(?<={re.escape(spelling[: at + 1])})" if at else ""
        if spelling.lower() == "key":
            behind = _KEY_BEHIND.format(re.escape(spelling[: at + 1])) + behind
        by_anchor.setdefault(spelling[at], []).append(behind + re.escape(spelling[at + 1 :]))
    return [f"{re.escape(anchor)}(?:{'|'.join(rests)})" for anchor, rests in by_anchor.items()]


_ALTERNATIVES: list[Alternative] = [
    Alternative(
        "aws_access_key",
        r"A(?:KIA|SIA|BIA|CCA|3T[A-Z0-9])(?<![A-Za-z0-9]....)[A-Z2-7]{16}(?![A-Za-z0-9])",
        frozenset({"AWS_ACCESS_KEY"}),
        _token("AWS_ACCESS_KEY", 0, _min_entropy(3.0)),
    ),
    Alternative(
        "google_api_key",
        r"AIza(?<![A-Za-z0-9_-]AIza)[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])",
        frozenset({"GOOGLE_API_KEY"}),
        _token("GOOGLE_API_KEY", 0, _min_entropy(3.5)),
    ),
    Alternative(
        "bedrock_long",
        r"ABSKQmVkcm9ja0FQSUtleS(?<![A-Za-z0-9+/]ABSKQmVkcm9ja0FQSUtleS)[A-Za-z0-9+/]{86,246}={0,2}"
        r"(?![A-Za-z0-9+/=])",
        frozenset({"AWS_BEDROCK_KEY"}),
        _token("AWS_BEDROCK_KEY", 0),
    ),
    Alternative(
        "bedrock_short",
        r"-(?<=bedrock-api-key-)(?<![A-Za-z0-9_-]bedrock-api-key-)YmVkcm9jay5hbWF6b25hd3MuY29t"
        r"[A-Za-z0-9+/=_-]{20,8192}",
        frozenset({"AWS_BEDROCK_KEY"}),
        _token("AWS_BEDROCK_KEY", 15),
    ),
    Alternative(
        "github_classic",
        r"_(?<=gh[pousr]_)(?<![A-Za-z0-9_]..._)[A-Za-z0-9]{36,251}(?![A-Za-z0-9_])",
        frozenset({"GITHUB_TOKEN"}),
        _token("GITHUB_TOKEN", 3),
    ),
    Alternative(
        "github_fine_grained",
        r"_(?<=github_)pat_(?<![A-Za-z0-9_]github_pat_)[A-Za-z0-9_]{82}(?![A-Za-z0-9_])",
        frozenset({"GITHUB_TOKEN"}),
        _token("GITHUB_TOKEN", 6),
    ),
    Alternative(
        "slack_token",
        r"xox[abposr]-(?<![A-Za-z0-9]xox.-)[A-Za-z0-9-]{16,120}(?![A-Za-z0-9-])",
        frozenset({"SLACK_TOKEN"}),
        _token("SLACK_TOKEN", 0, _slack_structure, runs=False),
    ),
    Alternative(
        "slack_config_token",
        r"xoxe(?<![A-Za-z0-9]xoxe)(?:\.xox[bp])?-\d-[A-Za-z0-9]{146,166}(?![A-Za-z0-9])",
        frozenset({"SLACK_TOKEN"}),
        _token("SLACK_TOKEN", 0),
    ),
    Alternative(
        "slack_app_token",
        r"xapp-(?<![A-Za-z0-9]xapp-)\d-[A-Z0-9]{9,12}-\d{10,14}-[a-f0-9]{64}(?![A-Za-z0-9])",
        frozenset({"SLACK_TOKEN"}),
        _token("SLACK_TOKEN", 0),
    ),
    Alternative(
        "slack_webhook",
        r"k(?<=hook)(?<![A-Za-z0-9.-]hook)s\.slack\.com/(?:services|workflows|triggers)/"
        r"[A-Za-z0-9+/_]{43,56}(?![A-Za-z0-9+/_])",
        frozenset({"SLACK_WEBHOOK_URL"}),
        _slack_webhook,
    ),
    Alternative(
        "stripe_secret",
        r"_(?<=[sr]k_)(?<![A-Za-z0-9_].k_)(?:live|test|prod)_[A-Za-z0-9]{20,247}(?![A-Za-z0-9])",
        frozenset({"STRIPE_KEY"}),
        _token("STRIPE_KEY", 2),
    ),
    Alternative(
        "stripe_webhook_secret",
        r"_(?<=whsec_)(?<![A-Za-z0-9_]whsec_)[A-Za-z0-9+/=]{24,100}(?![A-Za-z0-9+/=])",
        frozenset({"STRIPE_KEY"}),
        _token("STRIPE_KEY", 5),
    ),
    Alternative(
        "sk_dash",
        r"-(?<=sk-)(?<![A-Za-z0-9_-]sk-)[A-Za-z0-9_-]{20,300}(?![A-Za-z0-9_-])",
        frozenset({"OPENAI_KEY", "ANTHROPIC_KEY"}),
        _sk_dash,
    ),
    Alternative(
        "sendgrid_key",
        r"G\.(?<=SG\.)(?<![A-Za-z0-9_-]SG\.)[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])",
        frozenset({"SENDGRID_KEY"}),
        _token("SENDGRID_KEY", 1, _min_entropy(3.5)),
    ),
    Alternative(
        "npm_token",
        r"_(?<=npm_)(?<![A-Za-z0-9_]npm_)[A-Za-z0-9]{36}(?![A-Za-z0-9_])",
        frozenset({"NPM_TOKEN"}),
        _token("NPM_TOKEN", 3),
    ),
    Alternative(
        "pypi_token",
        r"-(?<=pypi-)(?<![A-Za-z0-9_-]pypi-)AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{70,4000}"
        r"(?![A-Za-z0-9_-])",
        frozenset({"PYPI_TOKEN"}),
        _token("PYPI_TOKEN", 4),
    ),
    Alternative(
        "huggingface_token",
        r"_(?<=hf_)(?<![A-Za-z0-9_]hf_)[A-Za-z]{34}(?![A-Za-z0-9_])",
        frozenset({"HUGGINGFACE_TOKEN"}),
        _token("HUGGINGFACE_TOKEN", 2, _mixed_case),
    ),
    Alternative(
        "huggingface_org_token",
        r"_(?<=api_)org_(?<![A-Za-z0-9_]api_org_)[A-Za-z]{34}(?![A-Za-z0-9_])",
        frozenset({"HUGGINGFACE_TOKEN"}),
        _token("HUGGINGFACE_TOKEN", 3, _mixed_case),
    ),
    Alternative(
        "azure_client_secret",
        r"Q~(?<=[A-Za-z0-9_~.]{3}\dQ~)(?<![A-Za-z0-9_~.+/-]....Q~)[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
        frozenset({"AZURE_CLIENT_SECRET"}),
        _token("AZURE_CLIENT_SECRET", 4, _min_entropy(3.0)),
    ),
    Alternative(
        "private_key",
        r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----",
        frozenset({"PRIVATE_KEY"}),
        _private_key,
    ),
    Alternative(
        "jwt",
        r"J(?<=eyJ)(?<![A-Za-z0-9_.-]eyJ)[A-Za-z0-9_-]{8,4096}\.e[A-Za-z0-9_-]{4,65536}\.?[A-Za-z0-9_-]{0,8192}",
        frozenset({"JWT"}),
        _jwt,
    ),
    Alternative(
        "url_password",
        r"://[^\s:/?#@\"'<>\[\]{}\\|^`]{0,128}:(?=[^\s/?#@\"'<>\[\]{}\\|^`]{1,256}@[A-Za-z0-9\[])",
        frozenset({"URL_PASSWORD"}),
        _url_password,
    ),
    *(
        Alternative(
            f"assignment_{index}",
            noun + _ASSIGNMENT_TAIL,
            frozenset({GENERIC, "AWS_SECRET_KEY", "AZURE_STORAGE_KEY", "NPM_TOKEN"}),
            _assignment,
        )
        for index, noun in enumerate(_noun_alternatives())
    ),
]

ENTITIES: tuple[str, ...] = (
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "AWS_BEDROCK_KEY",
    "GOOGLE_API_KEY",
    "AZURE_STORAGE_KEY",
    "AZURE_CLIENT_SECRET",
    "GITHUB_TOKEN",
    "SLACK_TOKEN",
    "SLACK_WEBHOOK_URL",
    "STRIPE_KEY",
    "OPENAI_KEY",
    "ANTHROPIC_KEY",
    "HUGGINGFACE_TOKEN",
    "SENDGRID_KEY",
    "NPM_TOKEN",
    "PYPI_TOKEN",
    "PRIVATE_KEY",
    "JWT",
    "URL_PASSWORD",
    GENERIC,
)


class Scanner:
    """The combined pattern of the alternatives that can report one of ``entities``."""

    def __init__(self, entities: frozenset[str]) -> None:
        self.entities = entities
        chosen = [alternative for alternative in _ALTERNATIVES if alternative.entities & entities]
        sources: list[str] = []
        self.handlers: dict[int, Handler] = {}
        group = 0
        for alternative in chosen:
            inner = re.compile(alternative.pattern).groups
            group += inner + 1
            self.handlers[group] = alternative.handler
            sources.append(alternative.pattern + "()")
        self.pattern = re.compile("|".join(sources)) if sources else None

    def scan(self, text: str, options: Options) -> list[Detection]:
        if self.pattern is None:
            return []
        handlers, entities = self.handlers, self.entities
        found: list[Detection] = []
        for match in self.pattern.finditer(text):
            detection = handlers[match.lastindex or 0](text, match, options)
            if detection is not None and detection.entity in entities:
                found.append(detection)
        return _resolve_overlaps(found)


def _resolve_overlaps(found: list[Detection]) -> list[Detection]:
    """Of overlapping detections a format-specific one wins over URL_PASSWORD, which wins over
    GENERIC_SECRET; then the longer one. One sweep in order of start: a detection can only overlap the last
    one kept."""
    if len(found) < 2:
        return found
    found.sort(key=lambda d: (d.start, -d.end))
    kept: list[Detection] = [found[0]]
    for detection in found[1:]:
        last = kept[-1]
        if detection.start >= last.end:
            kept.append(detection)
        elif _rank(detection) < _rank(last):
            kept[-1] = detection
    return kept


_GENERAL = {GENERIC: 2, "URL_PASSWORD": 1}  # a format-specific entity (a token in a URL) wins


def _rank(detection: Detection) -> tuple[int, int]:
    return _GENERAL.get(detection.entity, 0), detection.start - detection.end


@lru_cache(maxsize=64)
def scanner(entities: frozenset[str]) -> Scanner:
    return Scanner(entities)


def scan(text: str, entities: Iterable[str] | None = None, options: Options | None = None) -> list[Detection]:
    wanted = frozenset(ENTITIES if entities is None else entities)
    return scanner(wanted).scan(text, options or Options())
