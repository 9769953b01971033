"""``llmops-ci finetune validate NAME``: everything that can be checked about a fine-tune before paying
for it, each problem as ``file:line``.

- **Format**: every line of the training and validation files parses and is a chat example
  (:mod:`llmops_ci.finetune.data`). Error.
- **Tokens**: per example and per file (count, total, mean, max), estimated offline.
- **Context window**: an example longer than ``spec.context_window`` (default 16,384 tokens) is
  truncated or rejected by the provider. Error.
- **Duplicates**: an example whose messages repeat an earlier one (in the same file or across
  training and validation). Warning.
- **PII and secrets**: every message goes through the guardrail engine, with the FineTune's
  ``guardrails`` policies (input scope), or by default the ``pii`` and ``secrets`` checks. A finding
  whose action is ``block`` is an error, others are warnings; the matched text is shown masked.
- **Leakage**: the gating suite's cases (``gate.suite``, inline and from cases files) must not appear in
  the training data: a case variable of 20 characters or more that occurs in an example's messages
  (case, space and punctuation differences ignored) is an error; the model would be graded on what
  it memorised.
- **Cost**: training tokens x epochs (``hyperparameters.epochs``, default 3) x
  ``price_per_million_tokens`` when given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.finetune.data import Example, Problem, read_examples

DEFAULT_CONTEXT_WINDOW = 16_384
DEFAULT_EPOCHS = 3
LEAK_MIN_CHARS = 20
_DEFAULT_SCAN: dict[str, Any] = {
    "checks": [
        {"id": "pii", "type": "pii", "scopes": {"input": "block"}},
        {"id": "secrets", "type": "secrets", "scopes": {"input": "block"}},
    ]
}


@dataclass
class FileStats:
    role: str  # training / validation
    file: str
    examples: int = 0
    tokens: int = 0
    max_tokens: int = 0

    @property
    def mean_tokens(self) -> float:
        return self.tokens / self.examples if self.examples else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "file": self.file,
            "examples": self.examples,
            "tokens": self.tokens,
            "mean_tokens": round(self.mean_tokens, 1),
            "max_tokens": self.max_tokens,
        }


@dataclass
class Validation:
    name: str
    files: list[FileStats] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    epochs: int = DEFAULT_EPOCHS
    price_per_million: float | None = None

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "warning"]

    @property
    def training_tokens(self) -> int:
        return sum(stats.tokens for stats in self.files if stats.role == "training")

    @property
    def trained_tokens(self) -> int:
        return self.training_tokens * self.epochs

    @property
    def cost_usd(self) -> float | None:
        if self.price_per_million is None:
            return None
        return self.trained_tokens * self.price_per_million / 1_000_000

    def to_dict(self) -> dict[str, Any]:
        return {
            "finetune": self.name,
            "files": [stats.to_dict() for stats in self.files],
            "training_tokens": self.training_tokens,
            "epochs": self.epochs,
            "trained_tokens": self.trained_tokens,
            "cost_usd": self.cost_usd,
            "errors": [str(problem) for problem in self.errors],
            "warnings": [str(problem) for problem in self.warnings],
        }


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _data_files(finetune: Artifact, root: Path) -> Iterator[tuple[str, Path, str]]:
    data = finetune.spec["data"]
    for role in ("training", "validation"):
        if role in data:
            path = (finetune.path.parent / data[role]).resolve()
            try:
                shown = path.relative_to(root).as_posix()
            except ValueError:
                shown = path.as_posix()
            yield role, path, shown


def _duplicates(examples: list[Example]) -> Iterator[Problem]:
    first: dict[str, Example] = {}
    for example in examples:
        earlier = first.setdefault(example.key, example)
        if earlier is not example:
            yield Problem(
                example.file,
                example.line,
                f"duplicate of {earlier.file}:{earlier.line}",
                "warning",
            )


def _policies(finetune: Artifact, graph: Graph) -> list[Any]:
    from llmops_ci.guardrails.library import PolicyLibrary
    from llmops_ci.guardrails.policy import policy_from_spec

    names = finetune.spec.get("guardrails")
    if names:
        library = PolicyLibrary(graph)
        return [library.get(name) for name in names]
    return [policy_from_spec("training-data", _DEFAULT_SCAN, root=finetune.path.parent, parents=[])]


def _scan(examples: list[Example], policies: list[Any]) -> Iterator[Problem]:
    from llmops_ci.guardrails.policy import mask

    for example in examples:
        for index, role, text in example.texts():
            for policy in policies:
                for finding in policy.check(text, "input").findings:
                    severity = "error" if finding.action == "block" else "warning"
                    shown = mask(finding.text, 4)
                    yield Problem(
                        example.file,
                        example.line,
                        f"{finding.check} {finding.entity} in messages[{index}] ({role}): {shown!r} "
                        f"(policy {finding.policy}, {finding.action})",
                        severity,
                    )


def _suite_texts(suite: Artifact) -> list[tuple[str, str]]:
    """(case id, normalised text) of every string case variable long enough to be telling."""
    from llmops_ci.eval.cases import suite_cases

    texts = []
    for case in suite_cases(suite, {}):
        for value in case.vars.values():
            if isinstance(value, str) and len(value.strip()) >= LEAK_MIN_CHARS:
                texts.append((case.id, _normal(value)))
    return texts


def _leakage(examples: list[Example], finetune: Artifact, graph: Graph) -> Iterator[Problem]:
    gate = finetune.spec.get("gate")
    suite = graph.get("EvalSuite", gate["suite"]) if gate else None
    if suite is None or not suite.valid:
        return
    texts = _suite_texts(suite)
    if not texts:
        return
    for example in examples:
        joined = " ".join(_normal(text) for _, _, text in example.texts())
        for case_id, text in texts:
            if text and text in joined:
                yield Problem(
                    example.file,
                    example.line,
                    f"leakage: holds case {case_id!r} of the gating suite {suite.name!r} ({suite.rel})",
                )
                break


def validate(finetune: Artifact, graph: Graph) -> Validation:
    """Check a schema-valid FineTune's data (see the module docs)."""
    spec = finetune.spec
    result = Validation(
        str(finetune.name),
        epochs=int(spec.get("hyperparameters", {}).get("epochs", DEFAULT_EPOCHS)),
        price_per_million=spec.get("price_per_million_tokens"),
    )
    window = int(spec.get("context_window", DEFAULT_CONTEXT_WINDOW))
    everything: list[Example] = []
    for role, path, shown in _data_files(finetune, graph.root):
        examples, problems = read_examples(path, shown)
        result.problems += problems
        stats = FileStats(role, shown, len(examples), sum(e.tokens for e in examples))
        stats.max_tokens = max((e.tokens for e in examples), default=0)
        result.files.append(stats)
        if not examples and not problems:
            result.problems.append(Problem(shown, 1, f"the {role} file holds no example"))
        for example in examples:
            if example.tokens > window:
                result.problems.append(
                    Problem(
                        shown, example.line, f"{example.tokens} tokens, over the context window of {window}"
                    )
                )
        everything += examples
    result.problems += _duplicates(everything)
    result.problems += _scan(everything, _policies(finetune, graph))
    result.problems += _leakage(everything, finetune, graph)
    result.problems.sort(key=lambda p: (p.file, p.line))
    return result
