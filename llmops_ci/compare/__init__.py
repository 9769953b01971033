"""Base vs head: ``llmops-ci diff``.

- :mod:`~llmops_ci.compare.runs` reads a results directory once, keeping per case only a few tallies;
- :mod:`~llmops_ci.compare.align` lines the cases of two runs up by case id and model (or two models
  with ``--pair-models``) and builds the comparison, a plain JSON-able dict the reporters render;
- :mod:`~llmops_ci.compare.stats` holds the statistics (the paired test, the intervals, the verdict rule);
- :mod:`~llmops_ci.compare.artifacts` says which fields of which artifacts changed between two git refs.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmops_ci.errors import UsageError


class DiffInputError(UsageError):
    """An input ``diff`` cannot use: a missing or unreadable results directory, a newer results schema,
    runs that share no case, an unknown git ref (exit 2)."""


@dataclass(frozen=True)
class Limit:
    """``--max-regression METRIC=LIMIT``: the metric may move in its worse direction by at most ``amount``
    (in its unit; ``relative``: as a fraction of base's value)."""

    metric: str
    amount: float
    relative: bool = False

    @property
    def text(self) -> str:
        return f"{self.metric}={self.amount * 100:g}%" if self.relative else f"{self.metric}={self.amount:g}"
