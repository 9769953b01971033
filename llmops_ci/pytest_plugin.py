"""The pytest plugin (entry point ``pytest11``): ``pytest --llmops`` collects EvalSuite files as test items,
one per case and model, so teams that live in pytest get their evals in the normal run.

Usage::

    pytest --llmops evals/                 # the suites under evals/ (or list them in testpaths)
    pytest --llmops evals/qa.yaml -k refund
    pytest --llmops --llmops-model local/my-baseline --llmops-output .llmops/runs/pytest evals/

Every YAML file pytest visits that the project (the nearest llmops.yaml above pytest's rootdir, or
``--llmops-project``) loads as an EvalSuite becomes a collector; its items are named
``<case id>[<model>]`` and point at the case's file and line. The suites are planned once per session
with the planner of ``llmops-ci eval`` (a suite the planner rejects is a collection error listing its
problems); when the first item runs, the calls of every *selected* item are made at once, through the
runner of ``llmops-ci eval``: the same response cache (``spec.cache``; ``--llmops-no-cache``,
``--llmops-replay``), concurrency, retries, guardrails and assertions, so a rerun is served from the cache
and agrees with ``llmops-ci eval``. An item passes when at least ``min_passes`` of its repeats pass; a
failure lists each failed assertion with its reason, and the output. A call that errored (every attempt
failed, a replay miss) fails its item with the error. Suite thresholds (pass rate, cost, latency) gate
``llmops-ci eval``, not single items.

Without ``--llmops`` the plugin does nothing and imports nothing beyond this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from llmops_ci.artifacts.loader import ProjectConfig
    from llmops_ci.artifacts.model import Graph
    from llmops_ci.eval.plan import Call

ItemKey = tuple[str, str, str]  # suite, case id, model name


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("llmops", "llmops-ci evals as test items")
    group.addoption("--llmops", action="store_true", help="Collect EvalSuite YAML files as test items.")
    group.addoption("--llmops-project", metavar="DIR", help="Repository root holding llmops.yaml.")
    group.addoption("--llmops-model", metavar="MODEL", help="Run every suite on this model.")
    group.addoption("--llmops-no-cache", action="store_true", help="Neither read nor write the cache.")
    group.addoption("--llmops-replay", action="store_true", help="Only cached responses; a miss fails.")
    group.addoption("--llmops-output", metavar="DIR", help="Also write the results directory here.")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("llmops"):
        config.addinivalue_line("markers", "llmops: a case of an llmops-ci EvalSuite on one model")
        state = config.stash[_STATE] = _Session(config)
        state.load()  # a missing or broken llmops.yaml is a usage error before collection


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml") or _STATE not in parent.config.stash:
        return None
    state = parent.config.stash[_STATE]
    name = state.suite_at(file_path)
    if name is None:
        return None
    return SuiteFile.from_parent(parent, path=file_path, suite=name)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.finish()


class LlmopsPlanError(Exception):
    """The planner rejected a suite (shown as the collection error)."""


class LlmopsCaseFailure(Exception):
    """A case failed or errored (shown by :meth:`CaseItem.repr_failure`)."""


class _Session:
    """The project, its plan and the records of one pytest session."""

    def __init__(self, config: pytest.Config) -> None:
        self.pytest_config = config
        self._loaded: tuple[ProjectConfig, Graph] | None = None
        self._calls: dict[ItemKey, list[Call]] | None = None
        self.problems: dict[str, list[str]] = {}
        self.records: dict[ItemKey, list[dict[str, Any]]] = {}
        self._ran = False
        self._writer: Any = None
        self._summarizer: Any = None

    # -- the project ------
    def load(self) -> None:
        from llmops_ci.errors import LlmopsError

        try:
            self._project()
        except LlmopsError as error:
            raise pytest.UsageError(f"--llmops: {error}") from None

    def _project(self) -> tuple[ProjectConfig, Graph]:
        if self._loaded is None:
            import sys

            from llmops_ci.artifacts.loader import find_root, load_graph, load_project
            from llmops_ci.commands.eval import override_models
            from llmops_ci.providers.local import register_project

            given = self.pytest_config.getoption("llmops_project")
            root = Path(given).resolve() if given else self._find_root(find_root)
            if root is None or not (root / "llmops.yaml").is_file():
                where = f"in {root}" if given else f"at or above {self.pytest_config.rootpath}"
                raise pytest.UsageError(f"--llmops: no llmops.yaml {where}")
            config = load_project(root)
            if str(config.root) not in sys.path:
                sys.path.insert(0, str(config.root))  # local models and python assertions name repo modules
            register_project(config)
            graph = load_graph(config)
            model = self.pytest_config.getoption("llmops_model")
            if model:
                override_models(graph, model)
            self._loaded = (config, graph)
        return self._loaded

    def _find_root(self, find_root: Any) -> Path | None:
        """llmops.yaml at or above the rootdir, else at or above the first path given on the command line
        (``pytest --llmops example-repo/evals`` from the repository holding it)."""
        found: Path | None = find_root(self.pytest_config.rootpath)
        for argument in self.pytest_config.args:
            if found is not None:
                break
            candidate = Path(str(argument).split("::", 1)[0])
            if candidate.exists():
                found = find_root(candidate)
        return found

    def suite_at(self, path: Path) -> str | None:
        _, graph = self._project()
        resolved = path.resolve()
        for suite in graph.of_kind("EvalSuite", valid_only=False, everywhere=True):
            if suite.path.resolve() == resolved and suite.name:
                return str(suite.name)
        return None

    # -- planning, once ------
    def calls(self) -> dict[ItemKey, list[Call]]:
        if self._calls is None:
            from llmops_ci.eval.plan import PlanError, plan_run

            config, graph = self._project()
            try:
                plans = [plan_run(graph, config, [])]
            except PlanError:  # plan each suite alone, so each file shows its own problems
                plans = []
                for suite in graph.of_kind("EvalSuite", valid_only=False, everywhere=True):
                    try:
                        plans.append(plan_run(graph, config, [str(suite.name)]))
                    except PlanError as error:
                        self.problems[str(suite.name)] = error.problems
            grouped: dict[ItemKey, list[Call]] = {}
            for plan in plans:
                for call in plan.calls():
                    grouped.setdefault((call.plan.name, call.case.id, call.model.name), []).append(call)
            self._calls = grouped
        return self._calls

    # -- running, once ------
    def run(self, keys: list[ItemKey]) -> None:
        """Make the calls of ``keys`` (the selected items) through the eval runner, cached."""
        if self._ran:
            return
        self._ran = True
        import asyncio
        import itertools

        from llmops_ci.eval.guarding import EvalGuards, suite_policy_names
        from llmops_ci.eval.runner import Runner

        config, graph = self._project()
        calls = self.calls()
        chosen = [call for key in keys for call in calls.get(key, [])]
        guards = EvalGuards(graph)
        problems: list[str] = []
        for plan in {id(c.plan): c.plan for c in chosen}.values():
            names = suite_policy_names(plan.suite.spec, plan.target.spec)
            problems += guards.prepare(names, f"suite {plan.name!r} ({plan.suite.rel})")
        if problems:
            raise LlmopsCaseFailure("\n".join(problems))
        cache = self._cache(config)
        runner = Runner(self._run_options(config, chosen), cache, self._on_record)
        runner.guards = guards
        try:
            rest = runner.serve_cached(chosen)
            first = next(rest, None)
            if first is not None:
                asyncio.run(runner.run(itertools.chain((first,), rest)))
        finally:
            cache.close()

    def _on_record(self, record: dict[str, Any]) -> None:
        key = (str(record["suite"]), str(record["case"]), str(record["model"]))
        self.records.setdefault(key, []).append(record)
        output = self.pytest_config.getoption("llmops_output")
        if output:
            if self._writer is None:
                from llmops_ci.eval.results import RecordWriter, Summarizer

                self._writer, self._summarizer = RecordWriter(Path(output)), Summarizer()
            self._writer.write(record, flush=True)
            self._summarizer.add(record)

    def _options(self) -> Any:
        from llmops_ci.commands.eval import EvalOptions

        return EvalOptions(
            no_cache=bool(self.pytest_config.getoption("llmops_no_cache")),
            replay=bool(self.pytest_config.getoption("llmops_replay")),
        )

    def _cache(self, config: ProjectConfig) -> Any:
        from llmops_ci.commands.eval import response_cache
        from llmops_ci.errors import UsageError

        try:
            return response_cache(config, self._options())
        except UsageError:
            raise pytest.UsageError(
                "--llmops-replay reads the cache: it cannot be combined with --llmops-no-cache"
            ) from None

    def _run_options(self, config: ProjectConfig, calls: list[Call]) -> Any:
        import datetime as dt
        import secrets

        from llmops_ci.commands.eval import make_run_options

        run_id = (
            dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-pytest-" + secrets.token_hex(3)
        )
        plans = list({id(call.plan): call.plan for call in calls}.values())
        return make_run_options(config, self._options(), run_id, plans)

    def finish(self) -> None:
        if self._writer is None:
            return
        import datetime as dt

        from llmops_ci import __version__
        from llmops_ci.eval.results import write_summary

        self._writer.close()
        output = Path(self.pytest_config.getoption("llmops_output"))
        first = next(iter(self.records.values()))[0]
        summary = self._summarizer.summary(
            {
                "run_id": first["run_id"],
                "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "toolkit_version": __version__,
                "complete": True,
                "results_dir": str(output),
            }
        )
        write_summary(output, summary)


_STATE = pytest.StashKey[_Session]()


class SuiteFile(pytest.File):
    """An EvalSuite file: one item per case and model."""

    def __init__(self, *, suite: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite

    def collect(self) -> Iterator[pytest.Item]:
        state = self.config.stash[_STATE]
        calls = state.calls()
        if self.suite in state.problems:
            raise LlmopsPlanError("\n".join(state.problems[self.suite]))
        for key, group in calls.items():
            if key[0] == self.suite:
                yield CaseItem.from_parent(self, name=f"{key[1]}[{key[2]}]", key=key, case=group[0].case)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, LlmopsPlanError):
            return f"llmops-ci: suite {self.suite!r} cannot be planned:\n{excinfo.value}"
        return super().repr_failure(excinfo)


class CaseItem(pytest.Item):
    """One case of a suite on one model (all its repeats)."""

    def __init__(self, *, key: ItemKey, case: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.key = key
        self.case = case
        self.add_marker(pytest.mark.llmops)

    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        selected = [item.key for item in self.session.items if isinstance(item, CaseItem)]
        state.run(selected)
        records = state.records.get(self.key, [])
        if not records:
            raise LlmopsCaseFailure("no result: the run stopped before this case (over the cost budget?)")
        errors = [r for r in records if r.get("error")]
        judged = [r for r in records if not r.get("error")]
        passes = sum(1 for r in judged if r.get("passed"))
        needed = min(int(records[0].get("min_passes", 1)), len(records))
        if errors or passes < needed:
            raise LlmopsCaseFailure(_explain(records, passes, needed))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, LlmopsCaseFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the case is written: the suite, or its cases file (``Case.path`` is relative to the root)."""
        config, _ = self.config.stash[_STATE]._project()
        where = config.root / self.case.path
        line = self.case.position.line - 1 if self.case.position else 0
        return where if where.is_file() else self.path, line, f"{self.key[0]}::{self.key[1]}[{self.key[2]}]"


def _explain(records: list[dict[str, Any]], passes: int, needed: int) -> str:
    first = records[0]
    lines = [
        f"{first['case_id']} on {first['model']}: "
        f"{passes} of {len(records)} repeat(s) passed, {needed} needed"
    ]
    for record in records:
        prefix = f"  repeat {record.get('repeat', 0)}: "
        error = record.get("error")
        if error:
            lines.append(f"{prefix}error ({error.get('kind')}): {error.get('message')}")
            continue
        failed = [a for a in record.get("assertions", []) if not a.get("passed")]
        for assertion in failed:
            lines.append(f"{prefix}{assertion.get('type')} failed: {assertion.get('reason')}")
        if failed or not record.get("passed"):
            output = record.get("output")
            shown = output if output is None or len(output) <= 500 else output[:500] + "..."
            lines.append(f"{prefix}output: {shown!r}")
    return "\n".join(lines)
