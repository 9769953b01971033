"""The pytest plugin, run with ``pytester`` against an in-process ``local/`` model (offline): EvalSuite files
collected as one item per case and model, failures with their assertion reasons, the eval cache shared,
only the selected items' calls made, results written like ``llmops-ci eval``, and an inert plugin without
``--llmops``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmops_ci.eval.results import load_run

pytest_plugins = ["pytester"]

MODELS = """\
from pathlib import Path

LABELS = ("invoice", "contract", "nda")


class Keywords:
    \"\"\"Answers the first label the document names; every call is logged to calls.log.\"\"\"

    def complete(self, messages, params):
        text = messages[-1]["content"]
        with open(Path(__file__).parent / "calls.log", "a", encoding="utf-8") as log:
            log.write(text + "\\n")
        if "BROKEN" in text:
            raise RuntimeError("the model is down")
        return next((label for label in LABELS if label in text.lower()), "unknown")


class Shouting(Keywords):
    def complete(self, messages, params):
        return super().complete(messages, params).upper()
"""

PROJECT = """\
apiVersion: llmops-ci/v1
kind: Project
metadata: {name: plugin-test}
spec:
  defaults: {max_retries: 0}
  providers: {local: {keywords: "plugin_models:Keywords", shouting: "plugin_models:Shouting"}}
"""

PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: classifier}
spec:
  model: {id: local/keywords}
  inputs: {type: object, required: [document], properties: {document: {type: string}}}
  messages:
    - {role: user, content: "{{ document }}"}
"""

SUITE = """\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {name: classifier-regression}
spec:
  target: {prompt: classifier}
  models: [local/keywords, local/shouting]
  cases:
    - {id: inv-1, vars: {document: "an invoice for 10 EUR"}, assert: [{type: equals, value: invoice}]}
    - {id: nda-1, vars: {document: "a mutual nda"}, assert: [{type: icontains, value: NDA}]}
"""


@pytest.fixture(autouse=True, scope="module")
def _litellm_imported_outside_the_runs() -> None:
    """litellm's import pulls in the ``importlib_metadata`` backport, which removes the standard library's
    distribution finder and installs its own on ``sys.meta_path``. pytester restores ``sys.meta_path``
    after an in-process run, so an import *inside* a run would leave the process with no finder at all and
    later runs without entry-point plugins (this one included). Imported here, before any run, the
    backport's finder is part of what pytester restores."""
    from llmops_ci.providers.litellm_provider import litellm_module

    litellm_module()


@pytest.fixture
def repo(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", llmops=PROJECT)
    (pytester.path / "plugin_models.py").write_text(MODELS, encoding="utf-8")
    (pytester.path / "prompts").mkdir()
    (pytester.path / "prompts/classifier.yaml").write_text(PROMPT, encoding="utf-8")
    (pytester.path / "evals").mkdir()
    (pytester.path / "evals/classifier.yaml").write_text(SUITE, encoding="utf-8")
    return pytester


def calls_made(pytester: pytest.Pytester) -> int:
    log = pytester.path / "calls.log"
    return len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0


def test_one_item_per_case_and_model(repo: pytest.Pytester) -> None:
    result = repo.runpytest("--llmops", "--collect-only", "-q", "evals")
    result.stdout.fnmatch_lines(
        [
            "evals/classifier.yaml::inv-1[[]local/keywords[]]",
            "evals/classifier.yaml::inv-1[[]local/shouting[]]",
            "evals/classifier.yaml::nda-1[[]local/keywords[]]",
            "evals/classifier.yaml::nda-1[[]local/shouting[]]",
            "4 tests collected*",
        ]
    )
    assert calls_made(repo) == 0  # collecting plans, it calls nothing


def test_failures_show_the_assertion_reasons_and_the_cache_serves_a_rerun(repo: pytest.Pytester) -> None:
    result = repo.runpytest("--llmops", "evals")
    result.assert_outcomes(passed=3, failed=1)
    # "INVOICE" is not "invoice": the shouting model fails inv-1, and says why
    result.stdout.fnmatch_lines(
        [
            "*classifier-regression/inv-1 on local/shouting: 0 of 1 repeat(s) passed, 1 needed",
            "*repeat 0: equals failed: *",
            "*repeat 0: output: 'INVOICE'",
            "FAILED evals/classifier.yaml::inv-1[[]local/shouting[]]*",
        ]
    )
    assert calls_made(repo) == 4
    again = repo.runpytest("--llmops", "evals")
    again.assert_outcomes(passed=3, failed=1)
    assert calls_made(repo) == 4  # every response from the eval cache
    fresh = repo.runpytest("--llmops", "--llmops-no-cache", "evals")
    fresh.assert_outcomes(passed=3, failed=1)
    assert calls_made(repo) == 8


def test_cases_files_and_where_each_case_is_written(repo: pytest.Pytester) -> None:
    suite = SUITE.replace("models: [local/keywords, local/shouting]", "cases_file: cases.jsonl")
    (repo.path / "evals/classifier.yaml").write_text(suite, encoding="utf-8")
    case = {"id": "con-1", "vars": {"document": "a contract"}, "assert": [{"type": "equals", "value": "nda"}]}
    (repo.path / "evals/cases.jsonl").write_text(json.dumps(case) + "\n", encoding="utf-8")
    result = repo.runpytest("--llmops", "evals", "-rf")
    result.assert_outcomes(passed=2, failed=1)
    # the failure header names the case's own file and line (pytest shows reportinfo's line + 1)
    items, _ = repo.inline_genitems("--llmops", "evals")
    assert [item.reportinfo()[1] for item in items] == [7, 8, 0]  # 0-based: lines 8 and 9, line 1
    assert [Path(str(item.reportinfo()[0])).name for item in items] == ["classifier.yaml"] * 2 + [
        "cases.jsonl"
    ]


def test_only_the_selected_items_are_called(repo: pytest.Pytester) -> None:
    result = repo.runpytest("--llmops", "evals", "-k", "nda and keywords")
    result.assert_outcomes(passed=1, deselected=3)
    assert calls_made(repo) == 1


def test_model_override_replay_and_results_directory(repo: pytest.Pytester) -> None:
    out = repo.path / "run"
    result = repo.runpytest(
        "--llmops", "--llmops-model", "local/keywords", "--llmops-output", str(out), "evals"
    )
    result.assert_outcomes(passed=2)
    assert json.loads((out / "summary.json").read_text())["complete"] is True
    summary = load_run(out)
    assert summary["suites"][0]["model"] == "local/keywords"
    assert summary["suites"][0]["metrics"]["pass_rate"] == 1.0
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert sorted(r["case"] for r in records) == ["inv-1", "nda-1"]
    replay = repo.runpytest("--llmops", "--llmops-replay", "evals")
    replay.assert_outcomes(passed=2, failed=2)  # the shouting model's responses were never cached
    replay.stdout.fnmatch_lines(["*error (replay_miss): no cached response for this request (--replay)"])


def test_a_model_error_fails_its_item_with_the_error(repo: pytest.Pytester) -> None:
    suite = SUITE.replace('"a mutual nda"', '"BROKEN nda"')
    (repo.path / "evals/classifier.yaml").write_text(suite, encoding="utf-8")
    result = repo.runpytest("--llmops", "evals", "-k", "nda and keywords")
    result.assert_outcomes(failed=1, deselected=3)
    result.stdout.fnmatch_lines(["*repeat 0: error (*): *the model is down*"])


def test_a_suite_the_planner_rejects_is_a_collection_error(repo: pytest.Pytester) -> None:
    (repo.path / "evals/broken.yaml").write_text(
        SUITE.replace("classifier-regression", "broken").replace("prompt: classifier", "prompt: missing"),
        encoding="utf-8",
    )
    result = repo.runpytest("--llmops", "evals")
    result.stdout.fnmatch_lines(
        ["*suite 'broken' cannot be planned:", "evals/broken.yaml:5:20: no Prompt named 'missing'"]
    )
    result.assert_outcomes(errors=1)
    assert calls_made(repo) == 0  # pytest stops at a collection error, before any call
    result = repo.runpytest("--llmops", "--continue-on-collection-errors", "evals")
    result.assert_outcomes(passed=3, failed=1, errors=1)  # the other suite is planned on its own


def test_without_the_flag_the_plugin_is_inert(repo: pytest.Pytester) -> None:
    repo.makepyfile(
        test_modules="""
        import sys

        def test_nothing_of_llmops_ci_loaded():
            loaded = sorted(m for m in sys.modules if m.startswith("llmops_ci"))
            assert loaded == ["llmops_ci", "llmops_ci.pytest_plugin"], loaded
        """
    )
    result = repo.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)  # the suite YAML is not collected
    assert calls_made(repo) == 0
    assert "llmops" in repo.runpytest_subprocess("--help").stdout.str()


def test_no_project_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", suite="kind: EvalSuite\n")
    result = pytester.runpytest("--llmops", "--llmops-project", str(pytester.path / "nowhere"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --llmops: no llmops.yaml in */nowhere"])
    pytester.makefile(
        ".yaml", llmops=PROJECT.replace('"plugin_models:Keywords"', '{use: "plugin_models:Gone"}')
    )
    result = pytester.runpytest("--llmops")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --llmops: llmops.yaml*"])


def test_the_project_is_found_from_the_paths_given(pytester: pytest.Pytester) -> None:
    """From a repository that holds the project in a sub-directory (`pytest --llmops example-repo/evals`)."""
    project = pytester.path / "sub"
    for relative, text in {
        "llmops.yaml": PROJECT,
        "plugin_models.py": MODELS,
        "prompts/classifier.yaml": PROMPT,
        "evals/classifier.yaml": SUITE,
    }.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(text, encoding="utf-8")
    result = pytester.runpytest("--llmops", "--collect-only", "-q", "sub/evals")
    expected = ["sub/evals/classifier.yaml::inv-1[[]local/keywords[]]", "4 tests collected*"]
    result.stdout.fnmatch_lines(expected)
