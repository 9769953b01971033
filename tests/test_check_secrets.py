"""The ``secrets`` guardrail check: positives and hard negatives per entity, options, adversarial inputs,
and the accuracy measurement of bench/secrets_accuracy.py on the oracle corpora (skipped when
``../shared/oracles`` is absent, as in CI, which clones this repository alone).

Every secret here is synthetic: drawn from a seeded random generator in this file, or an obvious fake.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import random
import string
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.guardrails.checks import BuildContext, CheckError, build_detector, load_check, secrets
from llmops_ci.guardrails.checks._secrets_scan import random_looking, scanner
from llmops_ci.guardrails.checks.secrets import ENTITIES, build, find, shannon_entropy

REPO = Path(__file__).resolve().parent.parent
ORACLES = REPO.parent / "shared" / "oracles"

RNG = random.Random(20251129)
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"
BASE64 = ALNUM + "+/"
BASE32 = string.ascii_uppercase + "234567"


def rand(length: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(length))


def b64url_json(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def make_jwt(header: Any = None, payload: Any = None, signature: bool = True) -> str:
    parts = [
        b64url_json(header if header is not None else {"alg": "HS256", "typ": "JWT"}),
        b64url_json(payload if payload is not None else {"sub": "user-1", "iat": 1700000000}),
    ]
    if signature:
        parts.append(rand(43, URLSAFE))
    return ".".join(parts)


def pem_body(lines: int = 6) -> list[str]:
    return [base64.b64encode(bytes(RNG.randrange(256) for _ in range(48))).decode() for _ in range(lines)]


def make_pem(kind: str = "RSA PRIVATE KEY", *, newline: str = "\n", end: bool = True) -> str:
    lines = [f"-----BEGIN {kind}-----", *pem_body()]
    if end:
        lines.append(f"-----END {kind}-----")
    return newline.join(lines)


# --------------------------------------------------------------------------------------------------
# positives: (entity, text, the detection's text)

AWS_ID = "AKIA" + rand(16, BASE32)
AWS_SECRET = rand(40, BASE64)
GH_CLASSIC = "ghp_" + rand(36)
GH_FINE = f"github_pat_{rand(22)}_{rand(59)}"
SLACK_BOT = f"xoxb-{rand(12, string.digits)}-{rand(13, string.digits)}-{rand(24)}"
SLACK_USER = (
    "xoxp-" + "-".join(rand(12, string.digits) for _ in range(3)) + "-" + rand(32, "0123456789abcdef")
)
SLACK_HOOK = f"https://hooks.slack.com/services/T{rand(8, BASE32)}/B{rand(10, BASE32)}/{rand(24)}"
OPENAI_PROJECT = f"sk-proj-{rand(74, URLSAFE)}T3BlbkFJ{rand(74, URLSAFE)}"
OPENAI_LEGACY = f"sk-{rand(20)}T3BlbkFJ{rand(20)}"
ANTHROPIC = f"sk-ant-api03-{rand(93, URLSAFE)}AA"
JWT = make_jwt()
PEM = make_pem()
AZURE_ACCOUNT_KEY = rand(86, BASE64) + "=="
NPM_UUID = str(uuid.UUID(int=RNG.getrandbits(128), version=4))
PASSWORD = rand(14, ALNUM + "!#%^")

# The cases added for prose, SendGrid and sigils draw from their own generator, leaving RNG's sequence
# (and so every value above and below) as it was.
RNG_PROSE = random.Random(20260101)


def rand_prose(length: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG_PROSE.choice(alphabet) for _ in range(length))


SENDGRID = f"SG.{rand_prose(22, URLSAFE)}.{rand_prose(43, URLSAFE)}"
PROSE_AWS = rand_prose(40, BASE64)
GENERATED = ALNUM + "!#%*_-"  # the alphabet of a password manager's generated passwords

POSITIVES: list[tuple[str, str, str]] = [
    ("AWS_ACCESS_KEY", f"Use {AWS_ID} for the bucket.", AWS_ID),
    ("AWS_ACCESS_KEY", f"ASIA{rand(16, BASE32)}", ""),
    ("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),  # AWS's documentation key
    ("AWS_SECRET_KEY", f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    ("AWS_SECRET_KEY", f'{{"SecretAccessKey": "{AWS_SECRET}"}}', AWS_SECRET),
    ("AWS_SECRET_KEY", f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET),
    ("AWS_BEDROCK_KEY", f"ABSKQmVkcm9ja0FQSUtleS{rand(110, BASE64)}", ""),
    ("AWS_BEDROCK_KEY", f"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t{rand(300, BASE64)}", ""),
    ("GOOGLE_API_KEY", f"https://maps.example/api?key=AIza{rand(35, URLSAFE)}&q=x", ""),
    (
        "AZURE_STORAGE_KEY",
        "DefaultEndpointsProtocol=https;AccountName=acct;"
        f"AccountKey={AZURE_ACCOUNT_KEY};EndpointSuffix=core.windows.net",
        AZURE_ACCOUNT_KEY,
    ),
    (
        "AZURE_STORAGE_KEY",
        f"Endpoint=sb://ns/;SharedAccessKeyName=Root;SharedAccessKey={rand(43, BASE64)}=",
        "",
    ),
    ("AZURE_CLIENT_SECRET", f'"CLIENT_SECRET": "{rand(3)}8Q~{rand(34, URLSAFE + "~.")}"', ""),
    ("GITHUB_TOKEN", f"token {GH_CLASSIC}", GH_CLASSIC),
    ("GITHUB_TOKEN", f"gho_{rand(36)} ghu_{rand(36)} ghs_{rand(36)} ghr_{rand(36)}", ""),
    ("GITHUB_TOKEN", GH_FINE, GH_FINE),
    ("SLACK_TOKEN", SLACK_BOT, SLACK_BOT),
    ("SLACK_TOKEN", f"SLACK={SLACK_USER};", SLACK_USER),
    ("SLACK_TOKEN", f"xoxa-2-{rand(9, string.digits)}-{rand(11, string.digits)}-{rand(18)}", ""),
    ("SLACK_TOKEN", f"xoxe.xoxp-1-{rand(164)}", ""),
    ("SLACK_WEBHOOK_URL", f"post to {SLACK_HOOK} now", SLACK_HOOK),
    ("STRIPE_KEY", f"sk_live_{rand(24)}", ""),
    ("STRIPE_KEY", f"rk_test_{rand(99)}", ""),
    ("STRIPE_KEY", f"whsec_{rand(32)}", ""),
    ("OPENAI_KEY", f"OPENAI_API_KEY={OPENAI_PROJECT}", OPENAI_PROJECT),
    ("OPENAI_KEY", OPENAI_LEGACY, OPENAI_LEGACY),
    ("OPENAI_KEY", f"sk-{rand(48)}", ""),  # legacy length, no marker
    ("OPENAI_KEY", f"sk-svcacct-{rand(120, URLSAFE)}", ""),  # current length, no marker
    ("ANTHROPIC_KEY", f'client = Anthropic(api_key="{ANTHROPIC}")', ANTHROPIC),
    ("ANTHROPIC_KEY", f"sk-ant-admin01-{rand(93, URLSAFE)}AA", ""),
    ("HUGGINGFACE_TOKEN", f"HF_TOKEN=hf_{rand(34, string.ascii_letters)}", ""),
    ("HUGGINGFACE_TOKEN", f"api_org_{rand(34, string.ascii_letters)}", ""),
    ("NPM_TOKEN", f"npm_{rand(36)}", ""),
    ("NPM_TOKEN", f"//registry.npmjs.org/:_authToken={NPM_UUID}", NPM_UUID),
    ("NPM_TOKEN", f"//npm.corp.example/api/npm/:_authToken= npm_{rand(36)}", ""),
    ("PYPI_TOKEN", f"password = pypi-AgEIcHlwaS5vcmc{rand(150, URLSAFE)}", ""),
    ("PYPI_TOKEN", f"pypi-AgENdGVzdC5weXBpLm9yZw{rand(150, URLSAFE)}", ""),
    ("PRIVATE_KEY", f"key file:\n{PEM}\nend", PEM),
    ("PRIVATE_KEY", make_pem("OPENSSH PRIVATE KEY"), ""),
    ("PRIVATE_KEY", make_pem("PGP PRIVATE KEY BLOCK"), ""),
    ("PRIVATE_KEY", make_pem("EC PRIVATE KEY", end=False), ""),  # truncated output
    ("PRIVATE_KEY", '{"private_key": "' + make_pem("PRIVATE KEY", newline="\\n") + '\\n"}', ""),
    (
        "PRIVATE_KEY",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
        + rand(32, "0123456789ABCDEF")
        + "\n\n"
        + "\n".join(pem_body())
        + "\n-----END RSA PRIVATE KEY-----",
        "",
    ),
    ("JWT", f"Authorization: Bearer {JWT}", JWT),
    ("JWT", make_jwt(signature=False), ""),  # header.payload, both JSON
    ("JWT", make_jwt({"alg": "none"}, signature=False) + ".", ""),  # unsecured
    ("URL_PASSWORD", f"postgres://app:{PASSWORD}@db.internal:5432/app", PASSWORD),
    ("URL_PASSWORD", f"redis://:{PASSWORD}@cache:6379/0", PASSWORD),
    ("GENERIC_SECRET", f'password = "{PASSWORD}"', PASSWORD),
    ("GENERIC_SECRET", f"DB_PASSWORD={PASSWORD.replace('!', '')}9", ""),
    ("GENERIC_SECRET", f"spring.datasource.password: {rand(12)}7", ""),
    ("GENERIC_SECRET", f'{{"client_secret": "{rand(32)}"}}', ""),
    ("GENERIC_SECRET", f'apiKey: "{rand(32)}"', ""),
    ("GENERIC_SECRET", f"  api_key: '{rand(32, '0123456789abcdef')}'", ""),
    ("GENERIC_SECRET", f'config["auth_token"] = "{rand(40)}"', ""),
    ("GENERIC_SECRET", f"--password={rand(12)}7 --user admin", ""),
    ("GENERIC_SECRET", f"Authorization: Bearer {rand(40)}", ""),
    ("GENERIC_SECRET", f"$db_pass = '{rand(10)}42';", ""),
    ("GENERIC_SECRET", f'token := "{rand(30)}"', ""),
    ("GENERIC_SECRET", f"secret => '{rand(24)}'", ""),
    ("GENERIC_SECRET", f'registry_auth = "{NPM_UUID}"', NPM_UUID),  # a UUID as a credential
    # model outputs: prose names, Markdown, JSON-encoded tool-call arguments, HTTP headers
    ("GENERIC_SECRET", f"Your API key: {rand(32, '0123456789abcdef')}", ""),
    ("GENERIC_SECRET", f"Here is the admin password: {PASSWORD}", PASSWORD),
    ("GENERIC_SECRET", f"**Password:** {PASSWORD}", PASSWORD),
    ("GENERIC_SECRET", '{"arguments": "{\\"db_password\\": \\"' + PASSWORD + '\\"}"}', PASSWORD),
    ("GENERIC_SECRET", "Authorization: Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode(), ""),
    # SendGrid: bare in .env (a dotted value is no attribute path here), quoted, in prose
    ("SENDGRID_KEY", f"SENDGRID_API_KEY={SENDGRID}\nLOG_LEVEL=info", SENDGRID),
    ("SENDGRID_KEY", f'sendgrid_api_key: "{SENDGRID}"', SENDGRID),
    ("SENDGRID_KEY", f"Can you rotate this one? {SENDGRID}. Thanks!", SENDGRID),
    # named in prose: "<name> is <value>", sentence punctuation is not part of the value
    ("AWS_SECRET_KEY", f"The aws secret access key is {PROSE_AWS}. Thanks!", PROSE_AWS),
    ("AWS_SECRET_KEY", f"The AWS secret access key was {PROSE_AWS}\n", PROSE_AWS),
    ("GENERIC_SECRET", "The smtp password is h3*lbLN5wP653cMiAl\n\nModel both", "h3*lbLN5wP653cMiAl"),
    (
        "GENERIC_SECRET",
        "The db password is o2Sj5g6CUS4HonCxrOK5fdt — it stopped working",
        "o2Sj5g6CUS4HonCxrOK5fdt",
    ),
    ("GENERIC_SECRET", "The admin password is gd_qsd6JV#yHP3VdD_j%Y. Thanks!", "gd_qsd6JV#yHP3VdD_j%Y"),
    ("GENERIC_SECRET", "The redis password is DW5GeBcFOxHpMKIHOyLi, rotated.", "DW5GeBcFOxHpMKIHOyLi"),
    ("GENERIC_SECRET", "The old API key was 'Tr0ub4dor&3xQ'.", "Tr0ub4dor&3xQ"),
    ("GENERIC_SECRET", "**Password** is: Nc52Cg#Wmv84fqjr46ZT", "Nc52Cg#Wmv84fqjr46ZT"),
    # values opening with % ! * # (not a YAML tag or alias, a selector or a variable)
    ("GENERIC_SECRET", "SMTP_PASSWORD=#*P2#xzJ3HZQWm6F\nAPP_VERSION=3.22.9", "#*P2#xzJ3HZQWm6F"),
    ("GENERIC_SECRET", "REDIS_PASSWORD=H%#1AJEhuij8nfWW55JE\n", "H%#1AJEhuij8nfWW55JE"),
    ("GENERIC_SECRET", "REDIS_PASSWORD=OZ#YYyI72rY6UmQMGO8\n", "OZ#YYyI72rY6UmQMGO8"),
    ("GENERIC_SECRET", '    redis_password: "%bQKy257KiA!hj8K"', "%bQKy257KiA!hj8K"),
    ("GENERIC_SECRET", 'REDIS_PASSWORD = "!qSFKrks_t63jig"', "!qSFKrks_t63jig"),
    ("GENERIC_SECRET", 'DB_PASSWORD = "*QIJyyj97XQ3QaO!AmCAJ7gX"', "*QIJyyj97XQ3QaO!AmCAJ7gX"),
    ("GENERIC_SECRET", "    smtp_password: #4Trpm0DJ6c_5jse\n", "#4Trpm0DJ6c_5jse"),
    # no digit, but drawn at random: .env and YAML literals, quoted strings
    ("GENERIC_SECRET", "SMTP_PASSWORD=XXTKni%BsoWB%BF\n", "XXTKni%BsoWB%BF"),
    ("GENERIC_SECRET", "    smtp_password: QUpSctDp*o-HDytWs\n", "QUpSctDp*o-HDytWs"),
    ("GENERIC_SECRET", "DB_PASSWORD=noZNigOHhnDezw\nDB_HOST=db", "noZNigOHhnDezw"),
    ("GENERIC_SECRET", 'client_secret = "JfjteVEGbdLdGJBFpyQw"', "JfjteVEGbdLdGJBFpyQw"),
]


@pytest.mark.parametrize(
    ("entity", "text", "expected"),
    [pytest.param(*case, id=f"{case[0]}-{index}") for index, case in enumerate(POSITIVES)],
)
def test_positive(entity: str, text: str, expected: str) -> None:
    detections = [d for d in find(text) if d.entity == entity]
    assert detections, f"{entity} not found in {text!r}: {find(text)}"
    for detection in detections:
        assert text[detection.start : detection.end] == detection.text
    if expected:
        assert [d.text for d in detections] == [expected]


def test_every_entity_has_a_positive_case() -> None:
    assert {entity for entity, _, _ in POSITIVES} == set(ENTITIES)


# --------------------------------------------------------------------------------------------------
# hard negatives: (entity that must not fire, or "*" for no detection at all, text)

NEGATIVES: list[tuple[str, str]] = [
    # placeholders and look-alikes
    ("*", "sk-xxxxxxxx"),
    ("*", 'OPENAI_API_KEY="sk-your-api-key-here"'),
    ("*", 'api_key = "your-api-key-here"'),
    ("*", 'api_key = "<YOUR_API_KEY>"'),
    ("*", "Keys look like sk-... and AKIA...; never print them."),
    ("*", "ghp_" + "x" * 36),
    ("*", "AKIAXXXXXXXXXXXXXXXX"),
    ("*", "AIza" + "a" * 35),
    ("*", "token = 'xxxxxxxxxxxxxxxxxxxxxxxx'"),
    ("*", 'password = "********"'),
    ("*", "client_secret=bP88Q~" + "x" * 34),
    ("*", "https://hooks.slack.com/services/Txxxxxxxx/Bxxxxxxxx/xxxxxxxxxxxxxxxxxxxxxxxx"),
    # ids, hashes, encodings without a secret-ish name
    ("*", f"Order {uuid.UUID(int=RNG.getrandbits(128), version=4)} shipped."),
    ("*", f"commit {rand(40, '0123456789abcdef')}"),
    ("*", f'sha = "{rand(40, "0123456789abcdef")}"'),
    ("*", f'"etag": "{rand(32, "0123456789abcdef")}"'),
    ("*", "SGVsbG8gd29ybGQsIHRoaXMgaXMgYSB0ZXN0IG9mIGJhc2U2NA=="),  # "Hello world, this is a test of base64"
    ("*", f'data = "{base64.b64encode(b"the quick brown fox jumps over the lazy dog").decode()}"'),
    ("*", f"'{rand(60, BASE64)}'"),  # a bare quoted high-entropy string (detect-secrets would flag it)
    # names that are not secrets, values that are code or templates
    ("*", "password: ${DB_PASSWORD}"),
    ("*", 'token: "{{ secrets.GITHUB_TOKEN }}"'),
    ("*", "password: %(db_password)s"),
    ("*", 'password = os.environ["PASSWORD"]'),
    ("*", "password = get_password(user)"),
    ("*", "token = self.token2"),
    ("*", "auth = v4auth_header"),
    ("*", 'secret_name = "prod-db-password-2"'),
    ("*", 'public_key = "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"'),
    ("*", 'csrf_token = "Mj2qykJO5rELyHgezQ69nzUX0i3OH67V7"'),
    ("*", "max_tokens: 4096"),
    ("*", 'password_hash = "$2b$12$' + rand(53, BASE64.replace("+", ".")) + '"'),
    ("*", "credentialsId: '29f63271-dc2f-4734-8221-5b31b5169bac'"),
    ("*", 'cache_key = "user:1234:profile:v2"'),
    ("*", 'password: "Mot de passe oublié ?"'),
    ("*", 'password = "hunter22"'),  # 2.75 bits per character
    ("*", 'password = "P@ssw0rd!"'),
    ("*", "The password: please choose a strong one."),
    ("*", "PASSWORD=\nAPI_KEY="),
    ("*", "PWD=/home/user/projects/app2"),
    ("*", 'notes = "Maven - io.jsonwebtoken:jjwt-jackson-0.11.2"'),
    ("*", 'API_KEY = "API_KEY_GOES_HERE"'),
    ("*", "the key: 9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"),
    ("*", "public key: 9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"),
    ("*", "Token: the next step is to rotate it."),
    # prose that names a secret without giving one
    ("*", "the password is incorrect"),
    ("*", "The password is incorrect. Please try again."),
    ("*", "the key is to be patient"),
    ("*", "The API key is RS256-signed."),
    ("*", "The password is Password123!"),
    ("*", "The password is Welcome@2024 for every new hire."),
    ("*", "The secret key is SHA256-based."),
    ("*", "The encryption key is AES-256-GCM."),
    ("*", "The signing key is PBKDF2-HMAC-SHA512 derived."),
    ("*", "The session token is 3600s long."),
    ("*", "the access token is valid for 3600 seconds"),
    ("*", "Your password is case-sensitive."),
    ("*", "The token is MyServiceToken."),
    ("*", "The auth is OAuth2-based."),
    ("*", "The password was reset yesterday."),
    ("*", "The password is 2024-05-01."),
    ("*", "The password is abc123"),  # shorter than 10
    ("*", "The token was gpt-4o-mini-2024-07-18."),
    ("*", "The secret was 2019-05-15T15:20:21Z."),
    ("*", "The API key is MyEnum1.book."),
    ("*", "if token is None:\n    return"),
    ("*", "The token is ********."),
    ("*", "The password is <redacted>."),
    # sigils: YAML tags and aliases, selectors, variables, templates
    ("*", "password: !Ref DbPasswordParameter"),
    ("*", "api_key: *default_api_key"),
    ("*", "password: %APPDATA%"),
    ("*", 'password: "%DB_PASSWORD%"'),
    ("*", "secret: #password_field"),
    ("*", 'token: "#{secret_token_value}"'),
    # no digit and not random: names and words
    ("*", "TOKEN=MyServiceTokenValue"),
    ("*", "password = noZNigOHhnDezw"),  # code: a variable
    ("*", "password: ChangeMeLater"),
    ("*", "key=" * 10),
    ("*", '{"key": "Xy7#kq9Lm2vR4wPz"}'),  # a bare "key" names nothing
    # per-entity near misses
    ("AWS_ACCESS_KEY", "akia" + rand(16, string.ascii_lowercase)),
    ("AWS_ACCESS_KEY", "TODAYINASIAASACKOFRICEFELLOVER"),
    ("AWS_ACCESS_KEY", "AKIA" + rand(16, BASE32) + "Q"),  # too long
    ("STRIPE_KEY", f"pk_live_{rand(24)}"),  # publishable keys are meant to be public
    ("STRIPE_KEY", f"pk_test_{rand(24)}"),
    ("STRIPE_KEY", "sk_live_"),
    ("SLACK_TOKEN", "xoxb-12345-abcd234"),
    ("SLACK_TOKEN", "xoxb-xoxb-my-bot-token"),
    ("SLACK_TOKEN", "xoxp-1234-1234-1234-" + rand(32, "0123456789abcdef")),
    ("OPENAI_KEY", f"sk-proj-{rand(20)}T4BlbkFJ{rand(20)}"),  # not the marker, too short without it
    ("OPENAI_KEY", f"sk-{rand(32, '0123456789abcdef')}"),  # another provider's shape
    ("ANTHROPIC_KEY", f"sk-ant-api03-{rand(93, URLSAFE)}BB"),
    ("ANTHROPIC_KEY", f"sk-ant-api03-{rand(60, URLSAFE)}AA"),
    ("HUGGINGFACE_TOKEN", "- (id)hf_requiredCharacteristicTypesForDisplayMetadata;"),
    (
        "HUGGINGFACE_TOKEN",
        "hf_" + "abcdefghijklmnopqrstuvwxyzabcdefgh",
    ),  # all lower case: a word, not a token
    ("NPM_TOKEN", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}"),
    ("NPM_TOKEN", f"registry.npmjs.org/:_authToken={NPM_UUID}"),
    ("NPM_TOKEN", f"//registry.npmjs.org:_authToken={NPM_UUID}"),
    ("PYPI_TOKEN", f"pypi-AgEIcHlwaS5vcmc{rand(60, URLSAFE)}"),
    ("PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----"),
    (
        "PRIVATE_KEY",
        "-----BEGIN RSA PRIVATE KEY-----\nsuper secret private key here\n-----END RSA PRIVATE KEY-----",
    ),
    ("PRIVATE_KEY", make_pem("PUBLIC KEY")),
    ("PRIVATE_KEY", make_pem("CERTIFICATE")),
    ("JWT", make_jwt({"typ": "JWT"})),  # no alg
    ("JWT", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"),  # a header alone
    ("JWT", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + rand(43, URLSAFE)),
    ("JWT", b64url_json({"alg": "HS256"}) + "." + rand(30, URLSAFE)),  # no signature and no JSON payload
    ("URL_PASSWORD", "https://user:password@example.com"),
    ("URL_PASSWORD", "postgres://app:${DB_PASSWORD}@db:5432/app"),
    ("URL_PASSWORD", "redis://:changeme@localhost:6379"),
    ("URL_PASSWORD", "http://localhost:5000/<%= @variable %>"),
    ("URL_PASSWORD", "https://url:8000 @something else"),
    ("URL_PASSWORD", '"https://url:8000";@something else'),
    ("URL_PASSWORD", "s3://aws_access_key_id:aws_secret_access_key@bucket/key"),
    ("AZURE_CLIENT_SECRET", "~" * 40),
    ("AZURE_STORAGE_KEY", "AccountKey=" + rand(40, BASE64) + "=="),
    ("SENDGRID_KEY", "SG." + "x" * 22 + "." + "x" * 43),
    ("SENDGRID_KEY", "MSG." + SENDGRID[3:]),  # glued to a word
    ("SENDGRID_KEY", SENDGRID[:-1]),  # 42 characters after the second dot
    ("SENDGRID_KEY", SENDGRID + "x"),
    ("SENDGRID_KEY", "SG.a.b and SG.main.py"),
]


@pytest.mark.parametrize(
    ("entity", "text"),
    [pytest.param(entity, text, id=f"{entity}-{index}") for index, (entity, text) in enumerate(NEGATIVES)],
)
def test_negative(entity: str, text: str) -> None:
    detections = find(text)
    if entity == "*":
        assert detections == []
    else:
        assert [d for d in detections if d.entity == entity] == []


# --------------------------------------------------------------------------------------------------
# behaviour


def test_random_looking() -> None:
    for value in ("h3*lbLN5wP653cMiAl", "noZNigOHhnDezw", "2miItugky8LUQnF3TW5Jl5cmwSP0UzEEI2NUb5M/"):
        assert random_looking(value), value
    for value in (
        "Password123!",
        "SHA256-based",
        "MyServiceToken",
        "AES-256-GCM",
        "gpt-4o-mini-2024-07-18",
        "2019-05-15T15:20:21Z",
        "incorrect",
        "x",
        "",
    ):
        assert not random_looking(value), value


def test_prose_finds_generated_passwords_and_aws_keys() -> None:
    """Named in prose, 95% of generated 14-24 character passwords and all AWS secret keys are found (the
    rest are letters only, or happen to read as words)."""
    passwords = [rand_prose(RNG_PROSE.randint(14, 24), GENERATED) for _ in range(300)]
    text = " ".join(f"The smtp password is {value}. Thanks!" for value in passwords)
    assert {d.text for d in find(text)} <= set(passwords)
    assert len(find(text)) >= 0.95 * len(passwords)
    keys = [rand_prose(40, BASE64) for _ in range(100)]
    text = "\n".join(f"The aws secret access key is {value}" for value in keys)
    assert [(d.entity, d.text) for d in find(text)] == [("AWS_SECRET_KEY", value) for value in keys]


def test_a_bare_key_starts_no_match_attempt() -> None:
    """A bare "key" is a secret-ish name only after a qualifier: without one the combined pattern does not
    stop there, so "key=" repeated costs no Python work per occurrence."""
    pattern = scanner(frozenset(ENTITIES)).pattern
    assert pattern is not None
    assert pattern.search("key=" * 1000 + '{"key": "x"}\nKey: y\tKEY=z') is None
    assert pattern.search("api_key=") is not None and pattern.search("API key: ") is not None


def test_specific_entity_wins_over_generic_secret() -> None:
    text = f'OPENAI_API_KEY = "{OPENAI_PROJECT}"\njwt_token: {JWT}'
    assert [d.entity for d in find(text)] == ["OPENAI_KEY", "JWT"]


def test_a_token_used_as_url_password_is_reported_as_the_token() -> None:
    text = f"git clone https://x-access-token:{GH_CLASSIC}@github.com/org/repo.git"
    assert [(d.entity, d.text) for d in find(text)] == [("GITHUB_TOKEN", GH_CLASSIC)]
    assert [d.entity for d in find(text, ["URL_PASSWORD"])] == ["URL_PASSWORD"]


def test_generic_only_reports_the_value_of_a_specific_key() -> None:
    text = f'api_key = "{OPENAI_PROJECT}"'
    assert [(d.entity, d.text) for d in find(text, ["GENERIC_SECRET"])] == [
        ("GENERIC_SECRET", OPENAI_PROJECT)
    ]


def test_several_secrets_in_order() -> None:
    text = f"first {GH_CLASSIC}\nthen {AWS_ID} and {SLACK_BOT}\n{PEM}\n"
    assert [d.entity for d in find(text)] == ["GITHUB_TOKEN", "AWS_ACCESS_KEY", "SLACK_TOKEN", "PRIVATE_KEY"]


def test_find_restricted_to_entities() -> None:
    text = f"{GH_CLASSIC} {AWS_ID}"
    assert [d.entity for d in find(text, ["AWS_ACCESS_KEY"])] == ["AWS_ACCESS_KEY"]
    assert [d.entity for d in find(text, iter(["GITHUB_TOKEN"]))] == ["GITHUB_TOKEN"]
    assert find(text, []) == []


def test_shannon_entropy() -> None:
    assert shannon_entropy("") == 0
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("abcd") == pytest.approx(2.0)
    assert shannon_entropy("0123456789abcdef") == pytest.approx(4.0)
    assert shannon_entropy("hunter22") < secrets.DEFAULT_MIN_ENTROPY


def test_module_interface() -> None:
    module = load_check("secrets")
    assert module is secrets
    assert frozenset({"entities", "min_entropy", "mask_keep"}) == secrets.PARAMS
    assert secrets.MODEL_BASED is False
    assert isinstance(ENTITIES, tuple) and len(set(ENTITIES)) == len(ENTITIES)
    assert all(entity.isupper() and " " not in entity for entity in ENTITIES)
    assert secrets.__doc__ is not None
    for entity in ENTITIES:
        assert f"`{entity}`" in secrets.__doc__, f"{entity} is not documented"
    for option in ("entities", "min_entropy", "mask_keep"):
        assert f"`{option}`" in secrets.__doc__


# --------------------------------------------------------------------------------------------------
# build()


def _spec(**options: Any) -> dict[str, Any]:
    return {"id": "keys", "type": "secrets", "scopes": {"output": "block"}, **options}


def test_build_defaults_to_every_entity() -> None:
    detector = build(_spec(), BuildContext())
    text = f"{GH_CLASSIC} {AWS_ID} password = '{PASSWORD}'"
    assert [d.entity for d in detector.scan(text)] == ["GITHUB_TOKEN", "AWS_ACCESS_KEY", "GENERIC_SECRET"]
    assert detector.scan(text) == find(text)


def test_build_through_the_registry() -> None:
    detector = build_detector(_spec(entities=["JWT"]))
    assert [d.entity for d in detector.scan(f"{GH_CLASSIC} {JWT}")] == ["JWT"]


def test_build_min_entropy() -> None:
    value = "kettle-Brown-42"  # 3.64 bits per character
    text = f'password = "{value}"'
    assert [d.text for d in build(_spec(), BuildContext()).scan(text)] == [value]
    assert build(_spec(min_entropy=4.0), BuildContext()).scan(text) == []
    weak = 'password = "hunter22"'  # 2.75
    assert [d.text for d in build(_spec(min_entropy=2.5), BuildContext()).scan(weak)] == ["hunter22"]
    assert build(_spec(min_entropy=2), BuildContext()).scan(weak) != []  # an integer is a number too


def test_min_entropy_only_gates_generic_secrets() -> None:
    detector = build(_spec(min_entropy=8), BuildContext())
    assert [d.entity for d in detector.scan(f"{AWS_ID} password='{PASSWORD}'")] == ["AWS_ACCESS_KEY"]


@pytest.mark.parametrize(
    ("options", "key", "message"),
    [
        ({"entities": ["AWS_KEY"]}, ("entities", 0), "unknown secrets entity 'AWS_KEY'"),
        ({"entities": ["JWT", "EMAIL_ADDRESS"]}, ("entities", 1), "unknown secrets entity"),
        ({"entities": []}, ("entities",), "non-empty list"),
        ({"entities": "JWT"}, ("entities",), "non-empty list"),
        ({"min_entropy": -1}, ("min_entropy",), "between 0 and 8"),
        ({"min_entropy": 15}, ("min_entropy",), "between 0 and 8"),
        ({"min_entropy": "high"}, ("min_entropy",), "must be a number"),
        ({"min_entropy": True}, ("min_entropy",), "must be a number"),
    ],
)
def test_build_rejects(options: dict[str, Any], key: tuple[str | int, ...], message: str) -> None:
    with pytest.raises(CheckError) as caught:
        build(_spec(**options), BuildContext())
    assert caught.value.key == key
    assert message in caught.value.message


# --------------------------------------------------------------------------------------------------
# adversarial inputs: every pattern is anchored, bounded and free of nested quantifiers, so these stay
# linear; the timeout catches a regression to super-linear matching.

MB = 1_000_000
ADVERSARIAL: dict[str, str] = {
    "sk-repeated": "sk-" * 50_000,
    "eyJ-then-letters": "eyJ" + "a" * 200_000,
    "jwt-like-chunks": ("eyJ" + "a" * 20 + ".e") * 40_000,
    "jwt-headers-repeated": "eyJhbGciOiJub25lIn0." * 50_000,
    "base64-1MB": base64.b64encode(bytes(RNG.randrange(256) for _ in range(750_000))).decode(),
    "letters-1MB": "a" * MB,
    "equals-1MB": "=" * MB,
    "colons-1MB": ":" * MB,
    "dashes-1MB": "-" * MB,
    "underscores-1MB": "_" * MB,
    "azure-anchor": "Q~" * (MB // 2),
    "assignments": "password=" * (MB // 9),
    "open-quotes": 'token="' * (MB // 7),
    "long-values": ("api_key: '" + "a1" * 300) * 1600,
    "url-separators": "://" * (MB // 3),
    "url-userinfo": ("://" + "u" * 127 + ":" + "p" * 255) * 2500,
    "url-credentials": "a://b:c@" * (MB // 8),
    "pem-headers": "-----BEGIN PRIVATE KEY-----" * (MB // 27),
    "pem-long-bodies": ("-----BEGIN PRIVATE KEY-----" + "A" * 70_000) * 15,
    "aws-prefixes": "AKIA" * (MB // 4),
    "slack-digits": "xoxb-" + "1-" * (MB // 2),
    "github-prefixes": "ghp_" * (MB // 4),
    "npmrc-lines": "//a/:_authToken=" * (MB // 16),
    "bearer-headers": "Authorization: Bearer " * (MB // 22),
    "nouns": "password secret token key auth credential " * (MB // 43),
    "printable-noise": "".join(RNG.choice(ALNUM + "=:_-'\"~/.@ \n") for _ in range(MB)),
    "key-equals": "key=" * (MB // 4),
    "prose-names": "password is " * (MB // 12),
    "prose-values": ("The password is " + "aB1#" * 120 + " ") * (MB // 500),
    "sigil-values": "password=#" * (MB // 10),
    "sendgrid-prefixes": "SG." * (MB // 3),
    "sendgrid-bodies": ("SG." + "a" * 22 + ".") * (MB // 26),
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_input_is_linear(name: str) -> None:
    text = ADVERSARIAL[name]
    started = time.perf_counter()
    detections = find(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 15, f"{name}: {elapsed:.1f} s for {len(text)} characters"
    for detection in detections[:100]:
        assert text[detection.start : detection.end] == detection.text


@pytest.mark.timeout(20)
def test_adversarial_inputs_find_nothing_where_nothing_is() -> None:
    for name in (
        "sk-repeated",
        "eyJ-then-letters",
        "base64-1MB",
        "pem-headers",
        "aws-prefixes",
        "nouns",
        "key-equals",
        "prose-names",
        "sendgrid-prefixes",
    ):
        assert find(ADVERSARIAL[name]) == [], name


# --------------------------------------------------------------------------------------------------
# accuracy on the oracle corpora (bench/secrets_accuracy.py)


def _bench_module() -> Any:
    spec = importlib.util.spec_from_file_location("secrets_accuracy", REPO / "bench" / "secrets_accuracy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("secrets_accuracy", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not ORACLES.is_dir(), reason=f"oracle corpora not present at {ORACLES} (CI clones alone)")
@pytest.mark.skipif(sys.version_info < (3, 11), reason="the measurement reads gitleaks.toml with tomllib")
def test_accuracy_on_oracle_corpora() -> None:
    bench = _bench_module()
    report = bench.measure(ORACLES)
    below = {
        entity: (counts.precision, counts.recall)
        for entity, counts in report.counts.items()
        if not counts.meets(0.95)
    }
    assert below == {}, [(case.source, kind, case.text[:80]) for case, kind in report.errors]
    assert all(passed for _, passed in report.option_cases)
    scored_positives = sum(counts.tp + counts.fn for counts in report.counts.values())
    assert scored_positives >= 50  # the measurement is not vacuous
    assert set(report.counts) <= set(ENTITIES)
