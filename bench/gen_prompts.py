"""Generate a realistic, schema-valid llmops-ci repository of N Prompt files for benchmarks.

The output is deterministic for a given ``--count`` and ``--seed``: an ``llmops.yaml`` Project, a few
GuardrailPolicy files the prompts reference, N prompts under ``prompts/<team>/`` (dated model snapshots,
typed inputs, multi-line Jinja2 messages that use every declared input, few-shot examples valid against
the inputs schema, text or JSON output with a schema, budgets) and one EvalSuite per prompt under
``evals/<team>/`` so that ``llmops-ci lint`` reports no findings at all.

    python bench/gen_prompts.py OUT_DIR --count 1000 --seed 1
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Json = dict[str, Any]

API_VERSION = "llmops-ci/v1"
PROJECT_MODEL = "openai/gpt-4o-mini-2024-07-18"
GRADER = {"id": "openai/gpt-4o-2024-08-06", "params": {"temperature": 0}}

#: (model id, OpenAI-compatible response_format support) - every id is a dated snapshot.
MODELS: tuple[tuple[str, bool], ...] = (
    ("openai/gpt-4o-mini-2024-07-18", True),
    ("openai/gpt-4o-2024-08-06", True),
    ("openai/gpt-4.1-mini-2025-04-14", True),
    ("openai/gpt-4.1-2025-04-14", True),
    ("anthropic/claude-3-5-haiku-20241022", False),
    ("anthropic/claude-3-5-sonnet-20241022", False),
    ("anthropic/claude-sonnet-4-20250514", False),
    ("gemini/gemini-1.5-flash-002", False),
    ("gemini/gemini-1.5-pro-002", False),
    ("mistral/mistral-large-2407", False),
    ("cohere/command-r-08-2024", False),
)
LANGUAGES = ("English", "German", "French", "Spanish", "Italian", "Dutch", "Portuguese", "Japanese")
CURRENCIES = ("EUR", "USD", "GBP", "CHF")


@dataclass(frozen=True)
class Domain:
    key: str
    team: str
    company: str
    reference_prefix: str
    #: (customer message, routing label)
    messages: tuple[tuple[str, str], ...]

    @property
    def labels(self) -> list[str]:
        return sorted({label for _, label in self.messages} | {"other"})


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "billing",
        "payments",
        "Northwind Bank",
        "INV",
        (
            ("I was charged twice for my subscription this month.", "refund"),
            ("Please send me a copy of last quarter's invoice for our accountant.", "invoice"),
            ("My card payment keeps failing at the last step of checkout.", "payment-failure"),
            ("Is there a discount if we switch the whole team to yearly billing?", "pricing"),
            ("The refund you promised two weeks ago has still not arrived.", "refund"),
            ("Why does the invoice show a different VAT rate than last year?", "invoice"),
            ("The bank transfer was rejected although the account details are right.", "payment-failure"),
        ),
    ),
    Domain(
        "support",
        "support-platform",
        "Contoso Cloud",
        "TCK",
        (
            ("The export button returns a server error since this morning.", "technical"),
            ("How do I change the login name on my account?", "account"),
            ("It would be great if the dashboard had a dark mode.", "feature-request"),
            ("The mobile app crashes when I open the reports tab.", "technical"),
            ("I cannot reset my password, the link in the message has expired.", "account"),
            ("Could you add an option to schedule reports every Monday?", "feature-request"),
        ),
    ),
    Domain(
        "insurance",
        "claims",
        "Fabrikam Insurance",
        "CLM",
        (
            ("A tree fell on my car during the storm last night.", "new-claim"),
            ("What is the status of the water damage claim I filed in March?", "claim-status"),
            ("I moved to a new flat and want to update my home policy.", "policy-change"),
            ("Please cancel my travel insurance at the end of the month.", "cancellation"),
            ("My bike was stolen from the station, how do I report it?", "new-claim"),
            ("The assessor visited two weeks ago and I have heard nothing since.", "claim-status"),
        ),
    ),
    Domain(
        "travel",
        "bookings",
        "Tailspin Travel",
        "BKG",
        (
            ("Can I move my flight to Lisbon from Friday to Sunday?", "booking-change"),
            ("We need to cancel the hotel in Rome because of a family emergency.", "cancellation"),
            ("My suitcase did not arrive on the flight from Oslo.", "baggage"),
            ("The miles from my last three trips are missing from my account.", "loyalty"),
            ("Please add a second passenger to the booking for the Madrid trip.", "booking-change"),
            ("The airline damaged the wheels of my bag, who pays for the repair?", "baggage"),
        ),
    ),
    Domain(
        "hr",
        "people-ops",
        "Woodgrove Group",
        "HR",
        (
            ("I would like to take three days of annual leave next week.", "leave"),
            ("My payslip for October shows the wrong number of overtime hours.", "payroll"),
            ("Does the dental plan also cover my partner?", "benefits"),
            ("When will the new starter in my team receive a laptop?", "onboarding"),
            ("How many days of parental leave am I entitled to?", "leave"),
            ("The bonus was not included in this month's salary.", "payroll"),
        ),
    ),
    Domain(
        "logistics",
        "fulfilment",
        "Litware Logistics",
        "SHP",
        (
            ("My parcel was due on Tuesday and the tracking has not moved since.", "delivery-delay"),
            ("The glass vase arrived broken into pieces.", "damaged-item"),
            ("Please deliver the order to my office instead of my home.", "address-change"),
            ("How do I send back the shoes, they are one size too small?", "returns"),
            ("The courier left a note but never rang the bell.", "delivery-delay"),
            ("The box was crushed and the printer inside does not turn on.", "damaged-item"),
        ),
    ),
)


@dataclass
class Plan:
    """What a task contributes to one prompt and its eval suite."""

    description: str
    inputs: Json
    messages: list[Json]
    output: Json
    examples: list[Json] = field(default_factory=list)
    cases: list[Json] = field(default_factory=list)
    temperature: float = 0
    max_tokens: int = 256


@dataclass
class Generated:
    root: Path
    prompts: list[Path] = field(default_factory=list)
    suites: list[Path] = field(default_factory=list)
    policies: list[Path] = field(default_factory=list)

    @property
    def all_files(self) -> list[Path]:
        return [self.root / "llmops.yaml", *self.policies, *self.prompts, *self.suites]


def _string(rng: random.Random, lengths: tuple[int, ...], description: str) -> Json:
    return {"type": "string", "minLength": 1, "maxLength": rng.choice(lengths), "description": description}


def _object(properties: Json, required: list[str]) -> Json:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


def _split(rng: random.Random, pool: list[Any], examples: int) -> tuple[list[Any], list[Any]]:
    """Disjoint few-shot examples and eval cases drawn from ``pool``."""
    shuffled = list(pool)
    rng.shuffle(shuffled)
    return shuffled[:examples], shuffled[examples:]


def _case(index: int, variables: Json, asserts: list[Json]) -> Json:
    return {"id": f"case-{index + 1:02d}", "vars": variables, "assert": asserts}


def classify(rng: random.Random, domain: Domain) -> Plan:
    with_channel = rng.random() < 0.5
    properties: Json = {"message": _string(rng, (2000, 4000, 8000), "The customer's message, verbatim.")}
    if with_channel:
        properties["channel"] = {"enum": ["email", "chat", "phone", "web-form"]}
    labels = domain.labels
    system = (
        f"You triage incoming {domain.key} requests for {domain.company}.\n"
        f"Answer with exactly one label from this list and nothing else:\n"
        + "".join(f"- {label}\n" for label in labels)
        + "Use 'other' when no label fits.\n"
        "{% if examples %}\nExamples:\n{% for example in examples %}\n"
        "Message: {{ example.inputs.message }}\nLabel: {{ example.output }}\n{% endfor %}\n{% endif %}\n"
    )
    user = "Message: {{ message }}"
    if with_channel:
        user = "Channel: {{ channel | default('web-form') }}\n" + user
    shots, rest = _split(rng, list(domain.messages), rng.choice((2, 3)))

    def variables(text: str) -> Json:
        return {"message": text, **({"channel": rng.choice(["email", "chat"])} if with_channel else {})}

    return Plan(
        description=f"Route a {domain.key} request to the queue that handles it",
        inputs=_object(properties, ["message"]),
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        output={"format": "text"},
        examples=[{"inputs": variables(text), "output": label} for text, label in shots],
        cases=[
            _case(i, variables(text), [{"type": "equals", "value": label}])
            for i, (text, label) in enumerate(rest)
        ],
        max_tokens=8,
    )


def summarize(rng: random.Random, domain: Domain) -> Plan:
    languages = sorted(rng.sample(LANGUAGES, rng.randint(2, 5)))
    properties: Json = {
        "document": _string(rng, (6000, 12000, 20000), f"The {domain.key} conversation to summarise."),
        "max_words": {"type": "integer", "minimum": 20, "maximum": 300},
        "language": {"enum": languages},
    }
    with_audience = rng.random() < 0.5
    if with_audience:
        properties["audience"] = {"enum": ["agent", "manager", "customer"]}
    system = (
        f"You summarise {domain.key} conversations for {domain.company}.\n"
        "Write at most {{ max_words }} words in {{ language }}.\n"
        "Keep every amount, date and reference number exactly as written.\n"
        "Never add facts that are not in the document.\n"
    )
    if with_audience:
        system += (
            "{% if audience == 'customer' %}\nAddress the customer directly and politely.\n"
            "{% else %}\nWrite for a {{ audience }}: lead with the open action items.\n{% endif %}\n"
        )
    threads = [_thread(rng, domain) for _ in range(3)]
    language = languages[0]

    def variables(document: str) -> Json:
        chosen: Json = {"document": document, "max_words": rng.choice([40, 60, 80]), "language": language}
        return {**chosen, **({"audience": "agent"} if with_audience else {})}

    asserts: list[Json] = [
        {"type": "word-count", "max": 120},
        {"type": "llm-rubric", "value": "Mentions every reference number of the document"},
    ]
    return Plan(
        description=f"Summarise a {domain.key} conversation for the next person who picks it up",
        inputs=_object(properties, ["document", "max_words", "language"]),
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": "Document:\n<<<\n{{ document }}\n>>>\n"},
        ],
        output={"format": "text"},
        cases=[_case(i, variables(thread), asserts) for i, thread in enumerate(threads)],
        temperature=rng.choice((0.2, 0.3)),
        max_tokens=rng.choice((400, 600)),
    )


def _thread(rng: random.Random, domain: Domain) -> str:
    picked = rng.sample(list(domain.messages), 2)
    reference = f"{domain.reference_prefix}-{rng.randint(10000, 99999)}"
    return (
        f"Customer: {picked[0][0]} My reference is {reference}.\n"
        f"Agent: Thank you, I have opened {reference} and forwarded it to the {domain.team} team.\n"
        f"Customer: {picked[1][0]}\n"
    )


def _record(rng: random.Random, domain: Domain) -> tuple[str, Json]:
    reference = f"{domain.reference_prefix}-{rng.randint(10000, 99999)}"
    amount = round(rng.uniform(20, 4000), 2)
    currency = rng.choice(CURRENCIES)
    date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    urgent = rng.random() < 0.3
    text = (
        f"{rng.choice(domain.messages)[0]} The reference is {reference}, the amount {amount:.2f} {currency}, "
        f"and it concerns {date}.{' Please treat this as urgent!' if urgent else ''}"
    )
    record = {
        "reference": reference,
        "amount": amount,
        "currency": currency,
        "date": date,
        "urgent": urgent,
    }
    return text, record


RECORD_SCHEMA: Json = {
    "type": "object",
    "required": ["reference", "amount", "currency", "date", "urgent"],
    "properties": {
        "reference": {"type": "string", "pattern": "^[A-Z]{2,3}-[0-9]{5}$"},
        "amount": {"type": ["number", "null"], "minimum": 0},
        "currency": {"enum": list(CURRENCIES)},
        "date": {"type": "string", "format": "date"},
        "urgent": {"type": "boolean"},
    },
    "additionalProperties": False,
}


def extract(rng: random.Random, domain: Domain) -> Plan:
    properties: Json = {"text": _string(rng, (3000, 6000), f"A {domain.key} message or e-mail body.")}
    system = (
        f"You extract structured facts from {domain.key} messages sent to {domain.company}.\n"
        "Reply with one JSON object with the keys reference, amount, currency, date (YYYY-MM-DD) "
        "and urgent.\n"
        "Use null for an amount that is not stated. Do not wrap the JSON in code fences.\n"
        "{% for example in examples %}\n"
        "Text: {{ example.inputs.text }}\nJSON: {{ example.output | tojson }}\n{% endfor %}\n"
    )
    records = [_record(rng, domain) for _ in range(5)]
    shots, rest = _split(rng, records, 2)
    return Plan(
        description=f"Extract reference, amount, currency and date from a {domain.key} message",
        inputs=_object(properties, ["text"]),
        messages=[{"role": "system", "content": system}, {"role": "user", "content": "Text: {{ text }}"}],
        output={"format": "json", "schema": RECORD_SCHEMA},
        examples=[{"inputs": {"text": text}, "output": record} for text, record in shots],
        cases=[
            _case(
                i,
                {"text": text},
                [
                    {"type": "is-json"},
                    {"type": "json-path", "path": "$.reference", "value": record["reference"]},
                    {"type": "json-path", "path": "$.currency", "value": record["currency"]},
                ],
            )
            for i, (text, record) in enumerate(rest)
        ],
        max_tokens=200,
    )


SENTIMENT_SCHEMA: Json = {
    "type": "object",
    "required": ["sentiment", "confidence"],
    "properties": {
        "sentiment": {"enum": ["positive", "neutral", "negative"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "aspects": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
    },
    "additionalProperties": False,
}
REVIEWS: tuple[tuple[str, str, list[str]], ...] = (
    ("Quick answer and the agent really understood the problem.", "positive", ["speed", "competence"]),
    ("It took four calls to get anyone to listen to me.", "negative", ["waiting time"]),
    ("Fine overall, nothing special.", "neutral", []),
    ("The app is great but the fees went up again.", "neutral", ["app", "price"]),
    ("Worst service I have had this year, nobody called back.", "negative", ["follow-up"]),
    ("Friendly staff and the issue was solved the same day.", "positive", ["staff", "speed"]),
)


def sentiment(rng: random.Random, domain: Domain) -> Plan:
    properties: Json = {
        "review": _string(rng, (1000, 3000), "The customer's review text."),
        "product": {"type": "string", "maxLength": 120, "description": "Product or service reviewed."},
    }
    system = (
        f"You analyse customer reviews of {domain.company} ({domain.key}).\n"
        'Return JSON: {"sentiment": "positive" | "neutral" | "negative", "confidence": 0..1, '
        '"aspects": [up to 5 short phrases]}.\n'
    )
    user = "Product: {{ product }}\nReview:\n{{ review }}\n"
    product = f"{domain.company} {domain.key} service"
    items = [({"review": text, "product": product}, mood, aspects) for text, mood, aspects in REVIEWS]
    shots, rest = _split(rng, items, 2)
    return Plan(
        description=f"Classify the sentiment of a {domain.key} review, with the aspects mentioned",
        inputs=_object(properties, ["review", "product"]),
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        output={"format": "json", "schema": SENTIMENT_SCHEMA},
        examples=[
            {"inputs": variables, "output": {"sentiment": mood, "confidence": 0.9, "aspects": aspects}}
            for variables, mood, aspects in shots
        ],
        cases=[
            _case(
                i,
                variables,
                [
                    {"type": "json-schema", "schema": SENTIMENT_SCHEMA},
                    {"type": "json-path", "path": "$.sentiment", "value": mood},
                ],
            )
            for i, (variables, mood, _) in enumerate(rest[:3])
        ],
        max_tokens=120,
    )


def translate(rng: random.Random, domain: Domain) -> Plan:
    targets = sorted(rng.sample(LANGUAGES[1:], rng.randint(2, 6)))
    properties: Json = {
        "text": _string(rng, (2000, 5000), "Text to translate."),
        "target_language": {"enum": targets},
        "formal": {"type": "boolean", "default": True},
    }
    system = (
        f"You translate {domain.key} messages written by {domain.company} agents.\n"
        "Translate into {{ target_language }}.\n"
        "{% if formal %}Use the formal form of address.{% else %}Use the informal form of address."
        "{% endif %}\n"
        "Keep reference numbers, amounts and product names unchanged. Output only the translation.\n"
    )
    replies = [f"We have received your request about: {text.lower()}" for text, _ in domain.messages]
    cases = [
        _case(
            i,
            {"text": text, "target_language": targets[i % len(targets)], "formal": i % 2 == 0},
            [{"type": "not-contains", "value": "I cannot"}, {"type": "length", "min": 10}],
        )
        for i, text in enumerate(replies[:3])
    ]
    return Plan(
        description=f"Translate an agent's {domain.key} reply into the customer's language",
        inputs=_object(properties, ["text", "target_language"]),
        messages=[{"role": "system", "content": system}, {"role": "user", "content": "{{ text }}"}],
        output={"format": "text"},
        cases=cases,
        max_tokens=rng.choice((500, 1000)),
    )


def reply(rng: random.Random, domain: Domain) -> Plan:
    properties: Json = {
        "customer_name": {"type": "string", "minLength": 1, "maxLength": 80},
        "message": _string(rng, (2000, 4000), "The customer's latest message."),
        "tone": {"enum": ["friendly", "neutral", "apologetic"]},
    }
    with_signature = rng.random() < 0.5
    if with_signature:
        properties["agent_name"] = {"type": "string", "maxLength": 80}
    system = (
        f"You draft replies for the {domain.team} team of {domain.company}.\n"
        "Write in a {{ tone }} tone, in at most 120 words.\n"
        "Never promise refunds, dates or compensation: say that a colleague will confirm.\n"
        "Do not ask for passwords, card numbers or other credentials.\n"
    )
    user = "Customer {{ customer_name }} wrote:\n{{ message }}\n\nDraft the reply."
    if with_signature:
        user += f"\nSign it as {{{{ agent_name }}}}, {domain.company}."
    names = ["Alex", "Sam", "Robin", "Kim", "Jordan", "Taylor"]

    def variables(text: str, index: int) -> Json:
        chosen: Json = {"customer_name": names[index % len(names)], "message": text, "tone": "friendly"}
        return {**chosen, **({"agent_name": "Chris"} if with_signature else {})}

    picked = rng.sample(list(domain.messages), 3)
    asserts: list[Json] = [
        {"type": "not-icontains", "value": "password"},
        {"type": "word-count", "max": 140},
        {"type": "llm-rubric", "value": "Polite, does not promise a refund or a date"},
    ]
    return Plan(
        description=f"Draft a reply to a {domain.key} customer for an agent to review",
        inputs=_object(properties, ["customer_name", "message", "tone"]),
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        output={"format": "text"},
        cases=[_case(i, variables(text, i), asserts) for i, (text, _) in enumerate(picked)],
        temperature=0.7,
        max_tokens=300,
    )


def answer(rng: random.Random, domain: Domain) -> Plan:
    properties: Json = {
        "question": _string(rng, (500, 1000), "The user's question."),
        "locale": {"type": "string", "pattern": "^[a-z]{2}-[A-Z]{2}$"},
    }
    system = (
        f"You answer questions about {domain.company}'s {domain.key} policies.\n"
        "Use only the numbered passages below. Cite passages as [n].\n"
        "If the passages do not contain the answer, say that you do not know.\n"
        "Answer in the language of the locale {{ locale }}.\n\n"
        "{% for chunk in context %}[{{ loop.index }}] {{ chunk.text }}\n{% endfor %}\n"
    )
    questions = [f"What happens when: {text[0].lower()}{text[1:]}" for text, _ in domain.messages]
    cases = [
        _case(
            i,
            {"question": question, "locale": rng.choice(["en-GB", "en-US", "de-DE"])},
            [{"type": "regex", "value": "\\[\\d+\\]"}, {"type": "not-contains", "value": "As an AI"}],
        )
        for i, question in enumerate(rng.sample(questions, 3))
    ]
    return Plan(
        description=f"Answer a {domain.key} policy question from retrieved passages, with citations",
        inputs=_object(properties, ["question", "locale"]),
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": "Question: {{ question }}"},
        ],
        output={"format": "text"},
        cases=cases,
        max_tokens=rng.choice((300, 500)),
    )


TASKS: dict[str, Callable[[random.Random, Domain], Plan]] = {
    "classify": classify,
    "summarize": summarize,
    "extract": extract,
    "sentiment": sentiment,
    "translate": translate,
    "reply": reply,
    "answer": answer,
}


def _model(rng: random.Random, plan: Plan, json_output: bool) -> Any:
    """A dated model id, as a plain string or a mapping with params and pinned fallbacks."""
    model_id, has_response_format = rng.choice(MODELS)
    if rng.random() < 0.2 and plan.temperature == 0:
        return model_id
    params: Json = {"temperature": plan.temperature, "max_tokens": plan.max_tokens}
    if rng.random() < 0.3:
        params["seed"] = rng.randint(1, 9999)
    if json_output and has_response_format:
        params["response_format"] = {"type": "json_object"}
    model: Json = {"id": model_id, "params": params}
    if rng.random() < 0.3:
        fallback = rng.choice([m for m, _ in MODELS if m != model_id])
        model["fallbacks"] = [fallback]
    if rng.random() < 0.1:
        model["label"] = model_id.split("/", 1)[1].split("-20")[0]
    return model


def _budget(rng: random.Random, plan: Plan) -> Json:
    budget: Json = {
        "max_input_tokens": rng.choice((2000, 4000, 8000, 16000)),
        "max_output_tokens": plan.max_tokens,
        "max_cost_usd": rng.choice((0.001, 0.005, 0.02)),
    }
    if rng.random() < 0.5:
        budget["max_latency_ms"] = rng.choice((1500, 3000, 8000))
    return budget


def _artifact(kind: str, metadata: Json, spec: Json) -> Json:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def prompt_document(rng: random.Random, name: str, domain: Domain, plan: Plan) -> Json:
    json_output = plan.output["format"] == "json"
    spec: Json = {
        "model": _model(rng, plan, json_output),
        "inputs": plan.inputs,
        "messages": plan.messages,
    }
    if plan.examples:
        spec["examples"] = plan.examples
    spec["output"] = plan.output
    spec["guardrails"] = sorted(
        {"pii-default", *rng.sample(["secrets-strict", "contact-masking", "payment-data"], rng.randint(0, 2))}
    )
    spec["budget"] = _budget(rng, plan)
    metadata: Json = {"name": name, "description": plan.description, "owner": domain.team}
    if rng.random() < 0.4:
        metadata["labels"] = {"domain": domain.key, "tier": rng.choice(["gold", "silver", "bronze"])}
    return _artifact("Prompt", metadata, spec)


def suite_document(rng: random.Random, name: str, plan: Plan) -> Json:
    spec: Json = {"target": {"prompt": name}}
    if plan.temperature > 0:
        spec["repeat"] = 3
        spec["min_passes"] = 2
    spec["defaults"] = {"assert": [{"type": "not-contains", "value": "As an AI language model"}]}
    spec["cases"] = plan.cases
    thresholds: Json = {"pass_rate": {"min": rng.choice((0.8, 0.9, 0.95))}}
    if rng.random() < 0.6:
        thresholds["latency_p95_ms"] = {"max": rng.choice((3000, 5000, 8000))}
    if rng.random() < 0.4:
        thresholds["cost_usd_total"] = {"max": rng.choice((0.05, 0.1, 0.5))}
    spec["thresholds"] = thresholds
    return _artifact("EvalSuite", {"name": f"{name}-regression", "owner": "quality"}, spec)


def project_document() -> Json:
    spec: Json = {
        "paths": {"include": ["prompts/**/*.yaml", "guardrails/**/*.yaml", "evals/**/*.yaml"]},
        "defaults": {"model": PROJECT_MODEL, "grader": GRADER, "concurrency": 8},
        "cache": {"dir": ".llmops/cache"},
        "budgets": {"max_cost_usd": 25},
        "lint": {"ignore": []},
    }
    return _artifact("Project", {"name": "bench-prompts", "description": "Generated by gen_prompts"}, spec)


def _fixture(check: str, scope: str, text: str, expect: str) -> Json:
    return {"check": check, "scope": scope, "text": text, "expect": expect}


def policy_documents() -> dict[str, Json]:
    pii = {
        "checks": [
            {
                "id": "pii",
                "type": "pii",
                "entities": ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN"],
                "scopes": {"input": "redact", "output": "block"},
            }
        ],
        "fixtures": [
            _fixture("pii", "output", "card 4111 1111 1111 1111", "block"),
            _fixture("pii", "input", "write to jane@example.com", "redact"),
            _fixture("pii", "output", "order SHP-48213 is on its way", "pass"),
        ],
    }
    secrets = {
        "checks": [{"id": "secrets", "type": "secrets", "scopes": {"input": "block", "output": "block"}}],
        "fixtures": [_fixture("secrets", "output", "no keys in here", "pass")],
    }
    contact = {
        "checks": [
            {
                "id": "contact-data",
                "type": "pii",
                "entities": ["EMAIL_ADDRESS", "PHONE_NUMBER"],
                "mask_keep": 2,
                "scopes": {"output": "mask", "retrieval": "redact"},
            }
        ],
        "fixtures": [_fixture("contact-data", "output", "call us on the number above", "pass")],
    }
    payment = {
        "extends": ["secrets-strict"],
        "checks": [
            {
                "id": "payment-data",
                "type": "pii",
                "entities": ["CREDIT_CARD", "IBAN_CODE"],
                "scopes": {"input": "block", "output": "block"},
            }
        ],
        "fixtures": [_fixture("payment-data", "input", "IBAN DE89 3704 0044 0532 0130 00", "block")],
    }
    specs: dict[str, Json] = {
        "pii-default": pii,
        "secrets-strict": secrets,
        "contact-masking": contact,
        "payment-data": payment,
    }
    return {name: _artifact("GuardrailPolicy", {"name": name}, spec) for name, spec in specs.items()}


_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Hand-written-looking YAML: block scalars for multi-line templates, short lists and mappings of
    scalars in flow style (``required: [a, b]``, ``params: {temperature: 0}``), no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_SCALARS = (str, int, float, bool)
_FLOW_LIMIT = 90


def _is_short_scalar(value: Any) -> bool:
    return isinstance(value, _SCALARS) and not (isinstance(value, str) and "\n" in value)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flow = all(_is_short_scalar(item) for item in value) and len(repr(value)) < _FLOW_LIMIT
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, value: Json) -> yaml.MappingNode:
    flow = len(value) <= 4 and all(_is_short_scalar(item) for item in value.values())
    flow = flow and len(repr(value)) < _FLOW_LIMIT
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def write_yaml(path: Path, document: Json) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(text, encoding="utf-8")
    return path


def generate(
    root: Path, count: int, seed: int, *, suites: bool = True, tasks: Sequence[str] = ()
) -> Generated:
    """Write the repository into ``root`` (which must be empty or absent); ``tasks`` limits the kinds of
    prompt (default: all of TASKS)."""
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty")
    unknown = set(tasks) - set(TASKS)
    if unknown:
        raise ValueError(f"unknown task {sorted(unknown)[0]!r}; tasks: {', '.join(sorted(TASKS))}")
    chosen_tasks = sorted(tasks or TASKS)
    rng = random.Random(seed)
    result = Generated(root=root)
    write_yaml(root / "llmops.yaml", project_document())
    for name, document in policy_documents().items():
        result.policies.append(write_yaml(root / "guardrails" / f"{name}.yaml", document))
    for index in range(count):
        domain = rng.choice(DOMAINS)
        task = rng.choice(chosen_tasks)
        name = f"{domain.key}-{task}-{index + 1:04d}"
        plan = TASKS[task](rng, domain)
        prompt = prompt_document(rng, name, domain, plan)
        result.prompts.append(write_yaml(root / "prompts" / domain.team / f"{name}.yaml", prompt))
        if suites:
            suite = suite_document(rng, name, plan)
            result.suites.append(write_yaml(root / "evals" / domain.team / f"{name}.yaml", suite))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path, help="directory to create (must be empty or absent)")
    parser.add_argument("--count", type=int, default=1000, help="number of Prompt files (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--no-suites", action="store_true", help="omit the EvalSuite per prompt")
    parser.add_argument(
        "--tasks", default="", help=f"comma-separated subset of: {', '.join(sorted(TASKS))} (default all)"
    )
    args = parser.parse_args(argv)
    tasks = [task.strip() for task in args.tasks.split(",") if task.strip()]
    try:
        result = generate(args.out_dir, args.count, args.seed, suites=not args.no_suites, tasks=tasks)
    except (FileExistsError, ValueError) as error:
        print(f"gen_prompts: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote {len(result.prompts)} prompts, {len(result.suites)} eval suites, "
        f"{len(result.policies)} guardrail policies and llmops.yaml to {result.root}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
