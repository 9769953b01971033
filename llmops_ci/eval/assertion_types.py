"""The assertion types a suite may use (promptfoo's names where one exists), and which need a grader.

Lint validates ``type:`` against this table; the eval engine registers an implementation per entry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AssertionType:
    name: str
    summary: str
    model_graded: bool = False
    needs_embeddings: bool = False


_DETERMINISTIC = {
    "equals": "output equals value (JSON-aware)",
    "contains": "output contains value",
    "icontains": "output contains value, ignoring case",
    "contains-any": "output contains at least one of the values",
    "contains-all": "output contains every value",
    "starts-with": "output starts with value",
    "regex": "output matches the regular expression",
    "is-json": "output parses as JSON (optionally matching schema)",
    "json-schema": "parsed output validates against schema",
    "json-path": "value at path equals / contains value",
    "word-count": "number of words within min..max",
    "length": "number of characters within min..max",
    "levenshtein": "edit distance to value at most threshold",
    "rouge-l": "ROUGE-L F1 against value at least threshold",
    "bleu": "BLEU against value at least threshold",
    "latency": "latency at most max milliseconds",
    "cost": "cost at most max USD",
    "tokens": "output tokens within min..max",
    "is-refusal": "output is a refusal",
    "python": "a Python function module:function decides",
    "guardrail": "output passes the GuardrailPolicy named by policy",
}
_MODEL_GRADED = {
    "llm-rubric": "a grader model scores the output against a rubric",
    "factuality": "a grader model checks the output against a reference answer",
    "answer-relevance": "a grader model scores how well the output answers the input",
    "context-faithfulness": "a grader model checks the output is grounded in the retrieved context",
    "g-eval": "G-Eval style chain-of-thought score on criteria",
}

ASSERTION_TYPES: dict[str, AssertionType] = {
    **{name: AssertionType(name, summary) for name, summary in _DETERMINISTIC.items()},
    **{name: AssertionType(name, summary, model_graded=True) for name, summary in _MODEL_GRADED.items()},
    "similar": AssertionType(
        "similar", "embedding cosine similarity to value at least threshold", needs_embeddings=True
    ),
}


def base_type(type_name: str) -> str:
    """``not-contains`` -> ``contains``."""
    return type_name[4:] if type_name.startswith("not-") else type_name
