"""## secrets
Fires on credentials: cloud and SaaS API keys, tokens, private key blocks, JWTs, passwords in URLs, and
high-entropy values assigned to secret-ish names.

## Entities
- `AWS_ACCESS_KEY`: AWS access key ids, `AKIA`/`ASIA`/`ABIA`/`ACCA`/`A3T?` + 16 base32 characters
  (`A-Z2-7`), Shannon entropy >= 3.
- `AWS_SECRET_KEY`: 40 base64 characters assigned to a name holding `aws` and `secret`, or ending
  `secret_access_key` (`aws_secret_access_key = …`, `"SecretAccessKey": "…"`), or named so in prose
  (`The AWS secret access key is …`).
- `AWS_BEDROCK_KEY`: Amazon Bedrock API keys, long-lived `ABSKQmVkcm9ja0FQSUtleS…` (base64 of
  `BedrockAPIKey-`) and short-lived `bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t…`.
- `GOOGLE_API_KEY`: `AIza` + 35 characters of `A-Za-z0-9_-`, entropy >= 3.5.
- `AZURE_STORAGE_KEY`: storage account keys in connection strings (`AccountKey=` + 86 base64 + `==`) and
  Service Bus / Event Hubs keys (`SharedAccessKey=` + 43 base64 + `=`).
- `AZURE_CLIENT_SECRET`: Entra ID (Azure AD) client secrets: 3 characters, a digit, `Q~`, 31-34
  characters; entropy >= 3.
- `GITHUB_TOKEN`: `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36 or more letters and digits; fine-grained
  `github_pat_` + 82.
- `SLACK_TOKEN`: `xoxb-`/`xoxp-`/`xoxa-`/`xoxo-`/`xoxs-`/`xoxr-` + one to three groups of 5-14 digits
  (after an optional version such as `2-`) + 10-64 letters and digits; `xoxe` configuration tokens;
  `xapp-` app-level tokens.
- `SLACK_WEBHOOK_URL`: `https://hooks.slack.com/services/…` (also `workflows/`, `triggers/`) with a path of
  43-56 characters; the detection is the whole URL.
- `STRIPE_KEY`: secret and restricted keys `sk_live_`/`sk_test_`/`rk_live_`/`rk_test_` + 20 or more
  letters and digits; webhook signing secrets `whsec_` + 24 or more.
- `OPENAI_KEY`: `sk-…T3BlbkFJ…` (the marker is base64 of "OpenAI"; 20+ characters each side, optional
  `proj-`/`svcacct-`/`admin-`); without the marker, `sk-proj-`/`sk-svcacct-`/`sk-admin-` + 80 or more
  characters, or legacy `sk-` + exactly 48 letters and digits (entropy >= 3.5).
- `ANTHROPIC_KEY`: `sk-ant-api03-`, `sk-ant-admin01-` (any `sk-ant-<word><2 digits>-`) + 93 characters
  + `AA`.
- `HUGGINGFACE_TOKEN`: `hf_` or `api_org_` + 34 letters, mixed case (identifiers such as
  `hf_generatedKey` are not).
- `SENDGRID_KEY`: `SG.` + 22 + `.` + 43 characters of `A-Za-z0-9_-` (entropy >= 3.5).
- `NPM_TOKEN`: `npm_` + 36 letters and digits; any `_authToken` value on an `.npmrc` line
  (`//registry.npmjs.org/:_authToken=…`, where older tokens are UUIDs).
- `PYPI_TOKEN`: `pypi-AgEIcHlwaS5vcmc` (pypi.org) or `pypi-AgENdGVzdC5weXBpLm9yZw` (test.pypi.org) + 70
  or more characters.
- `PRIVATE_KEY`: `-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED |PGP …]PRIVATE KEY[ BLOCK]-----`, optional
  armour headers, then 64 or more base64 characters (escaped `\n` of JSON strings allowed); the END line
  is included when present, and a truncated block still fires.
- `JWT`: `eyJ<header>.e<payload>[.<signature>]` whose header decodes (base64url) to a JSON object with
  `alg`; a token without signature needs a payload that decodes to a JSON object.
- `URL_PASSWORD`: the password of `scheme://user:password@host` (the detection is the password only).
- `GENERIC_SECRET`: a credential-looking value assigned to a secret-ish name (below).

Every token entity rejects a body holding six identical characters in a row (`ghp_xxxx…`, `AKIAZZZZ…`):
placeholders are not secrets. Stripe publishable keys (`pk_live_…`, `pk_test_…`) are **not** reported:
Stripe designs them to be embedded in web pages and apps, where they grant no access on their own. When
detections overlap, a format-specific entity wins over `URL_PASSWORD` (a GitHub token used as the password
of a clone URL is a `GITHUB_TOKEN`), which wins over `GENERIC_SECRET`; then the longer one.

### Generic secrets
`GENERIC_SECRET` fires on a value assigned with `=`, `:`, `:=` or `=>` on the same line (quoted, bare, or
in escaped quotes `\"…\"` inside a JSON string such as tool-call arguments), or named in prose with `is` /
`was` (`The SMTP password is …`, below), to a name whose last word is
`password`, `passwd`, `passphrase`, `pass`, `pwd`, `secret`, `token`, `credential`, `auth` or
`authorization`, or `key` after a qualifier (`api_key`, `access_key`, `secret_key`, `private_key`,
`client_key`, `AccountKey`, `apikey`…). Names are read in code and config (`DB_PASSWORD=`,
`"client_secret":`, `config["api_key"] =`, `spring.datasource.password:`, `--password=`) and in prose and
Markdown (`Your API key: …`, `**Password:** …`). Names marked public or as counters are skipped
(`public_key`, `csrf_token`, `max_tokens`, `page_token`, `credentialsId`, `secret_name`). After
`Authorization: Bearer` / `Basic` the value is the credential. The value must:

- be at least 8 characters long, without whitespace, not only digits;
- reach `min_entropy` bits of Shannon entropy per character (default **3.0**);
- not be made only of letters and `_ . -` unless they look drawn at random (below) (words and names:
  `API_KEY_GOES_HERE`, `IAmSensitive`; gitleaks skips these too), nor be a template, variable or mask
  (`${X}`, `{{ x }}`, `$X`, `<x>`, `%s`, `***`, `xxxx`), a placeholder (`your-api-key-here`, `changeme`,
  `example`, `dummy`, `redacted`), a path, a URL, or code (brackets, backslashes);
- when bare (unquoted), not be an attribute path (`self.token2`), not be an identifier on the right of a
  spaced `=` (`auth = v4auth_header` is code; `PASSWORD=s3cr3tPw9` in an `.env` file is a literal), and
  contain a digit unless its characters look drawn at random (below) in `.env` or YAML
  (`REDIS_PASSWORD=XXTKni%BsoWB%BF`); a bare value may start with `%`, `!`, `*` or `#` unless the rest is
  a name (`!Ref`, `*defaults`, `#field`, `%APPDATA%`).

Why 3.0: detect-secrets flags *any* quoted string from 4.5 bits (base64 alphabet) or 3.0 (hex alphabet),
because it has no name to go by. Here the name already says "credential", so the value only has to look
chosen rather than typed: 3.0 keeps random hex (3.7-4.0 for 32+ characters), UUIDs (3.7), base64 (4.5+)
and generated passwords (12 random characters: about 3.5), and drops repetitive or short values
(`hunter22` 2.75, `P@ssw0rd!` 2.9, `password1` 2.9). A value of n distinct characters reaches at most
log2(n) bits: 3.0 needs at least 8 distinct characters.

Only letters and `_ . -` make a word or a name unless the characters look drawn at random: the kind of
character (lower case, upper case, digit, other) changes between at least 40% of neighbouring characters
(the separators `- _ . : /` left out) and the runs of letters and of digits average under 3 characters
(`noZNigOHhnDezw` is random; `MyServiceToken`, `Password123!`, `SHA256-based`, `gpt-4o-mini-2024-07-18`
are not). 97.5% of random 14-24 character passwords and 99.5% of AWS secret keys pass.

In prose (`<name> is <value>`, `<name> was <value>`, e.g. `The SMTP password is h3*lbLN5wP653cMiAl.`)
the value must in addition be at least 10 characters long and look drawn at random, with or without a
digit: "the password is incorrect", "the key is to be patient", "the API key is RS256-signed", "the
password is Password123!" are sentences, not leaks. A `.`, `,`, `;` or `:` after a bare value ends the
sentence, not the value (`!` and `?` may be part of a password and stay).

## Options
- `entities`: the entities to report (default: all).
- `min_entropy`: bits per character a `GENERIC_SECRET` value must reach (default 3.0, between 0 and 8); the
  other entities have fixed rules.
- `mask_keep`: for the `mask` action, characters kept at the end (default 4).

## Limits
- One pass of a single combined regular expression (Python `re`) whose alternatives each start with a
  literal character, so the engine skips every other position in C; left boundaries are look-behinds, all
  repetitions are bounded and apply to single character classes, nothing repeats a group: the scan is
  linear in the text (tested on 1 MB adversarial inputs). Candidates are validated in Python: the JSON
  header of a JWT, the digit groups of a Slack token, entropy. About 20-50 MB/s on mixed prose and code;
  `bench/secrets_accuracy.py --speed` measures it.
- Formats only: no key is verified with its provider, so a well-formed revoked or example key (AWS's
  `AKIAIOSFODNN7EXAMPLE`) is reported. Checksums of GitHub and npm tokens are not verified.
- Not reported: passwords shorter than 8 characters (10 in prose) or made only of letters that do not
  look random, passphrases with spaces,
  values split across lines, credentials under names without a secret-ish word (`DATABASE_URL` holding a
  URL without password, `x = "…"`), and bare high-entropy strings without a name (detect-secrets' base64
  and hex plugins report those, and with them hashes, IDs and encoded data).
- Not covered: other providers' formats (Twilio, GitLab, Datadog, …), base64-wrapped JWTs, PuTTY
  `.ppk` files and `---- BEGIN SSH2 …` blocks, and JWTs whose header does not start with `{"`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from llmops_ci.guardrails.checks import BuildContext, CheckError, Detection
from llmops_ci.guardrails.checks._secrets_scan import (
    DEFAULT_MIN_ENTROPY,
    ENTITIES,
    GENERIC,
    MIN_GENERIC_LENGTH,
    Options,
    scan,
    shannon_entropy,
)

__all__ = [
    "DEFAULT_MIN_ENTROPY",
    "ENTITIES",
    "GENERIC",
    "MIN_GENERIC_LENGTH",
    "MODEL_BASED",
    "PARAMS",
    "SecretsDetector",
    "build",
    "find",
    "shannon_entropy",
]

PARAMS = frozenset({"entities", "min_entropy", "mask_keep"})
MODEL_BASED = False
MAX_MIN_ENTROPY = 8.0  # bits per character; more than any text value can reach


class SecretsDetector:
    """The ``secrets`` check compiled from a policy entry."""

    def __init__(
        self, entities: Iterable[str] | None = None, min_entropy: float = DEFAULT_MIN_ENTROPY
    ) -> None:
        self.entities = frozenset(ENTITIES if entities is None else entities)
        self.options = Options(min_entropy=min_entropy)

    def scan(self, text: str) -> list[Detection]:
        return scan(text, self.entities, self.options)


def find(text: str, entities: Iterable[str] | None = None) -> list[Detection]:
    """Every secret in ``text`` with the default options, restricted to ``entities`` if given."""
    return scan(text, entities)


def build(spec: Mapping[str, Any], context: BuildContext) -> SecretsDetector:
    entities = spec.get("entities")
    if entities is not None:
        if not isinstance(entities, list) or not entities:
            raise CheckError("entities must be a non-empty list of entity names", "entities")
        for index, entity in enumerate(entities):
            if entity not in ENTITIES:
                raise CheckError(
                    f"unknown secrets entity {entity!r}; known: {', '.join(ENTITIES)}", ("entities", index)
                )
    min_entropy = spec.get("min_entropy", DEFAULT_MIN_ENTROPY)
    if isinstance(min_entropy, bool) or not isinstance(min_entropy, (int, float)):
        raise CheckError("min_entropy must be a number of bits per character", "min_entropy")
    if not 0 <= min_entropy <= MAX_MIN_ENTROPY:
        raise CheckError(
            f"min_entropy must be between 0 and {MAX_MIN_ENTROPY:g} bits per character "
            f"(got {min_entropy:g}; a value of n distinct characters reaches at most log2(n))",
            "min_entropy",
        )
    return SecretsDetector(entities, float(min_entropy))
