"""Model-graded assertions: a pinned grader model judges the output (llm-rubric, factuality,
answer-relevance, context-faithfulness, g-eval), or an embedding model measures similarity (similar).

Each check is ``async check(output, spec, grading) -> Verdict``; ``grading`` makes the calls (cached and
retried by the runner) so that a cached rerun makes no request of any kind. A grader answer that cannot
be read raises :class:`GradingError`: the case is then an error, not a failure.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from llmops_ci.eval.assertions.base import Output, Verdict

DEFAULT_THRESHOLDS = {
    "llm-rubric": 0.5,
    "factuality": 0.5,
    "answer-relevance": 0.7,
    "context-faithfulness": 0.8,
    "g-eval": 0.5,
    "similar": 0.8,
}
_JSON_OBJECT = re.compile(r"\{.*\}", re.S)


class GradingError(Exception):
    """The grader could not be asked, or its answer could not be read."""


class Grading(Protocol):
    def describe(self, spec: dict[str, Any]) -> dict[str, Any]: ...

    async def ask(self, spec: dict[str, Any], messages: list[dict[str, str]]) -> str: ...

    async def embed(self, spec: dict[str, Any], texts: list[str]) -> list[list[float]]: ...


GradedCheck = Callable[[Output, dict[str, Any], Grading], Awaitable[Verdict]]


def _answer(text: str) -> dict[str, Any]:
    match = _JSON_OBJECT.search(text)
    if match is None:
        raise GradingError(f"the grader did not answer in JSON: {text[:200]!r}")
    try:
        parsed = json.loads(match.group())
    except json.JSONDecodeError as error:
        raise GradingError(f"the grader's JSON does not parse ({error.msg}): {text[:200]!r}") from None
    if not isinstance(parsed, dict):
        raise GradingError("the grader's answer is not a JSON object")
    return parsed


async def ask_json(grading: Grading, spec: dict[str, Any], system: str, user: str) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return _answer(await grading.ask(spec, messages))


def score_of(answer: dict[str, Any], key: str = "score", scale: tuple[float, float] = (0.0, 1.0)) -> float:
    value = answer.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GradingError(f"the grader's answer has no numeric {key!r}: {answer}")
    low, high = scale
    return min(max((float(value) - low) / (high - low), 0.0), 1.0)


def _threshold(spec: dict[str, Any], kind: str) -> float:
    return float(spec.get("threshold", DEFAULT_THRESHOLDS[kind]))


def _question(output: Output) -> str:
    for name in ("question", "query", "input"):
        if isinstance(output.vars.get(name), str):
            return str(output.vars[name])
    return json.dumps(output.vars, ensure_ascii=False)


def _context_text(output: Output) -> str:
    chunks: list[Any] = list(output.context) or list(output.vars.get("context") or [])
    if isinstance(output.vars.get("context"), str):
        chunks = [output.vars["context"]]
    texts = [chunk.get("text", "") if isinstance(chunk, dict) else str(chunk) for chunk in chunks]
    if not any(texts):
        raise GradingError("context-faithfulness needs context: retrieved chunks, or a 'context' var")
    return "\n---\n".join(texts)


_JSON_REPLY = 'Reply with one JSON object and nothing else: {"reason": "<one sentence>", "score": <number>}.'


async def check_llm_rubric(output: Output, spec: dict[str, Any], grading: Grading) -> Verdict:
    system = (
        "You grade an AI system's output against a rubric. Score 1 when the output fully meets the "
        "rubric, 0 when it does not meet it at all, and in between for partial fulfilment. " + _JSON_REPLY
    )
    user = f"<rubric>\n{spec['value']}\n</rubric>\n<output>\n{output.text}\n</output>"
    answer = await ask_json(grading, spec, system, user)
    score = score_of(answer)
    threshold = _threshold(spec, "llm-rubric")
    return Verdict(score >= threshold, score, f"rubric score {score:.2f}: {answer.get('reason', '')}")


_FACT_CHOICES = {
    "A": (1.0, "the output is a subset of the reference and consistent with it"),
    "B": (1.0, "the output is a superset of the reference and consistent with it"),
    "C": (1.0, "the output has the same details as the reference"),
    "D": (0.0, "the output disagrees with the reference"),
    "E": (1.0, "the outputs differ, but not in a way that matters for factuality"),
}


async def check_factuality(output: Output, spec: dict[str, Any], grading: Grading) -> Verdict:
    options = "\n".join(f"({letter}) {text}" for letter, (_, text) in _FACT_CHOICES.items())
    system = (
        "You compare a submitted answer with an expert reference answer for factual consistency. "
        "Ignore style, grammar and punctuation. Choose one option:\n"
        + options
        + '\nReply with one JSON object and nothing else: {"reason": "<one sentence>", "choice": "<letter>"}.'
    )
    user = (
        f"<question>\n{_question(output)}\n</question>\n<reference>\n{spec['value']}\n</reference>\n"
        f"<submission>\n{output.text}\n</submission>"
    )
    answer = await ask_json(grading, spec, system, user)
    choice = str(answer.get("choice", "")).strip().strip("()").upper()[:1]
    if choice not in _FACT_CHOICES:
        raise GradingError(f"the grader chose {answer.get('choice')!r}, not one of A-E")
    score, meaning = _FACT_CHOICES[choice]
    return Verdict(
        score >= _threshold(spec, "factuality"), score, f"({choice}) {meaning}: {answer.get('reason', '')}"
    )


async def check_answer_relevance(output: Output, spec: dict[str, Any], grading: Grading) -> Verdict:
    system = (
        "You judge how directly and completely an answer addresses a question, regardless of whether "
        "it is correct. Score 1 for a fully relevant answer, 0 for an unrelated one. " + _JSON_REPLY
    )
    user = f"<question>\n{_question(output)}\n</question>\n<answer>\n{output.text}\n</answer>"
    answer = await ask_json(grading, spec, system, user)
    score = score_of(answer)
    return Verdict(
        score >= _threshold(spec, "answer-relevance"),
        score,
        f"relevance {score:.2f}: {answer.get('reason', '')}",
    )


async def check_context_faithfulness(output: Output, spec: dict[str, Any], grading: Grading) -> Verdict:
    system = (
        "You check whether every claim in an answer is supported by the given context. Count the "
        "claims and how many the context supports. Reply with one JSON object and nothing else: "
        '{"reason": "<one sentence>", "claims": <int>, "supported": <int>}.'
    )
    user = f"<context>\n{_context_text(output)}\n</context>\n<answer>\n{output.text}\n</answer>"
    answer = await ask_json(grading, spec, system, user)
    claims, supported = answer.get("claims"), answer.get("supported")
    if not isinstance(claims, int) or not isinstance(supported, int) or claims < 0 or supported < 0:
        raise GradingError(f"the grader's answer lacks whole numbers 'claims' and 'supported': {answer}")
    score = 1.0 if claims == 0 else min(supported / claims, 1.0)
    return Verdict(
        score >= _threshold(spec, "context-faithfulness"),
        score,
        f"{supported} of {claims} claims supported by the context: {answer.get('reason', '')}",
    )


async def check_g_eval(output: Output, spec: dict[str, Any], grading: Grading) -> Verdict:
    criteria = spec["value"] if isinstance(spec["value"], str) else "\n".join(f"- {c}" for c in spec["value"])
    system = (
        "You evaluate a text on the given criteria. First write the evaluation steps you follow, then "
        "apply them, then give a score from 1 (poor) to 5 (excellent). Reply with one JSON object and "
        'nothing else: {"steps": ["..."], "reason": "<one sentence>", "score": <1-5>}.'
    )
    user = (
        f"<criteria>\n{criteria}\n</criteria>\n<input>\n{_question(output)}\n</input>\n"
        f"<text>\n{output.text}\n</text>"
    )
    answer = await ask_json(grading, spec, system, user)
    score = score_of(answer, scale=(1.0, 5.0))
    return Verdict(
        score >= _threshold(spec, "g-eval"),
        score,
        f"G-Eval {answer.get('score')}/5: {answer.get('reason', '')}",
    )


def cosine(left: list[float], right: list[float]) -> float:
    dot = sum(a * b for a, b in zip(left, right, strict=True))
    norms = math.sqrt(sum(a * a for a in left)) * math.sqrt(sum(b * b for b in right))
    return dot / norms if norms else 0.0


async def check_similar(output: Output, spec: dict[str, Any], grading: Grading) -> Verdict:
    references = [spec["value"]] if isinstance(spec["value"], str) else list(spec["value"])
    vectors = await grading.embed(spec, [output.text, *references])
    try:
        best = max(cosine(vectors[0], vector) for vector in vectors[1:])
    except ValueError as error:
        raise GradingError(f"embedding vectors of different sizes: {error}") from None
    score = max(best, 0.0)
    threshold = _threshold(spec, "similar")
    return Verdict(score >= threshold, score, f"cosine similarity {best:.3f} (needed {threshold:g})")


GRADED: dict[str, GradedCheck] = {
    "llm-rubric": check_llm_rubric,
    "factuality": check_factuality,
    "answer-relevance": check_answer_relevance,
    "context-faithfulness": check_context_faithfulness,
    "g-eval": check_g_eval,
    "similar": check_similar,
}
