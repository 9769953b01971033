"""The hooks of ``.pre-commit-hooks.yaml``, tested the way python-jsonschema/check-jsonschema tests its own.

Hook-entry tests run each hook's ``entry`` (the installed ``llmops-ci`` script, split with shlex) the way
pre-commit does: from the root of a copy of ``tests/fixtures/hooks/repo``, with the hook's ``args`` and then
the changed files as paths relative to that root. Fixtures:

- ``repo/``: a small clean artifact repository (Project, Prompt, GuardrailPolicy, EvalSuite);
- ``positive/``: YAML files that every hook accepts when they are added to that repository;
- ``negative/``: artifacts that a hook rejects, with the finding it prints listed in ``NEGATIVE`` below;
- ``changed/<case>/``: a changed version of a file of ``repo/``.

The end-to-end tests run the real ``pre-commit run --all-files`` with this repository as the hook repo,
installed offline from the wheelhouse that ``.ci/run`` builds (``LLMOPS_CI_WHEELHOUSE``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hooks"
BASE_REPO = FIXTURES / "repo"

LINT = "llmops-ci-lint"
SCHEMA = "llmops-ci-schema"

#: ``path:line:col: CODE``, the start of every finding line of the text reporter.
FINDING_LINE = re.compile(r"^(\S+?:\d+:\d+: [A-Z]\d{3})\b", re.MULTILINE)

#: Negative fixture -> hook id -> the one finding the hook prints (``None``: the hook accepts the file).
NEGATIVE: dict[str, dict[str, str | None]] = {
    "prompts/unknown-key.yaml": {
        LINT: "prompts/unknown-key.yaml:12:3: S001",
        SCHEMA: "prompts/unknown-key.yaml:12:3: S001",
    },
    "prompts/bad-syntax.yaml": {
        LINT: "prompts/bad-syntax.yaml:7:11: Y001",
        SCHEMA: "prompts/bad-syntax.yaml:7:11: Y001",
    },
    "evals/missing-prompt.yaml": {
        LINT: "evals/missing-prompt.yaml:6:20: R001",
        SCHEMA: None,  # --select Y,S: reference rules stay out of the schema hook
    },
}


def _load_hook_entries() -> dict[str, list[str]]:
    hooks: list[dict[str, Any]] = yaml.safe_load(
        (PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    )
    return {hook["id"]: shlex.split(hook["entry"]) for hook in hooks}


def _fixture_files(category: str) -> list[str]:
    base = FIXTURES / category
    return sorted(path.relative_to(base).as_posix() for path in base.rglob("*") if path.is_file())


HOOKS = _load_hook_entries()
REPO_FILES = _fixture_files("repo")
POSITIVE_FILES = _fixture_files("positive")
NEGATIVE_FILES = _fixture_files("negative")


def _positive_params() -> list[Any]:
    return [
        pytest.param(hook_id, relative, id=f"{hook_id}:{relative}")
        for hook_id in HOOKS
        for relative in POSITIVE_FILES
    ]


def _negative_params() -> list[Any]:
    return [
        pytest.param(hook_id, relative, id=f"{hook_id}:{relative}")
        for hook_id in HOOKS
        for relative in NEGATIVE_FILES
    ]


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str

    @property
    def findings(self) -> list[str]:
        return FINDING_LINE.findall(self.output)


def _installed_script(name: str) -> str:
    """The console script next to the running interpreter (the venv's bin), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e . into the test environment")
    return found


def _hook_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}
    env["NO_COLOR"] = "1"
    return env


def run_hook(hook_id: str, files: Sequence[str], cwd: Path, args: Sequence[str] = ()) -> Run:
    """What pre-commit runs: ``entry + args + files``, from the repository root."""
    executable, *entry_args = HOOKS[hook_id]
    command = [_installed_script(executable), *entry_args, *args, *files]
    done = subprocess.run(
        command, cwd=cwd, env=_hook_env(), capture_output=True, text=True, timeout=60, check=False
    )
    return Run(done.returncode, done.stdout + done.stderr)


def add_fixture(repo: Path, category: str, relative: str, *, target: str | None = None) -> str:
    """Copy ``tests/fixtures/hooks/<category>/<relative>`` into ``repo`` (at ``target``); return its path."""
    destination = repo / (target or relative)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / category / relative, destination)
    return target or relative


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh copy of the clean artifact repository."""
    root = tmp_path / "repo"
    shutil.copytree(BASE_REPO, root)
    return root


# --- the hook definitions and the fixtures agree -------------------------------------------------------


def test_every_hook_runs_the_llmops_ci_lint_command() -> None:
    assert set(HOOKS) == {LINT, SCHEMA}
    assert all(entry[:2] == ["llmops-ci", "lint"] for entry in HOOKS.values()), HOOKS


def test_every_negative_fixture_has_an_expectation_for_every_hook() -> None:
    assert sorted(NEGATIVE) == NEGATIVE_FILES
    assert all(set(expected) == set(HOOKS) for expected in NEGATIVE.values()), NEGATIVE


# --- positive files: exit 0 ----------------------------------------------------------------------------


@pytest.mark.parametrize("hook_id", list(HOOKS))
def test_hook_passes_on_the_whole_clean_repository(hook_id: str, repo: Path) -> None:
    result = run_hook(hook_id, REPO_FILES, repo)
    assert (result.returncode, result.findings) == (0, []), result.output
    assert "All checks passed" in result.output


@pytest.mark.parametrize("relative", REPO_FILES)
@pytest.mark.parametrize("hook_id", list(HOOKS))
def test_hook_passes_on_each_changed_artifact_alone(hook_id: str, relative: str, repo: Path) -> None:
    result = run_hook(hook_id, [relative], repo)
    assert (result.returncode, result.findings) == (0, []), result.output


@pytest.mark.parametrize(("hook_id", "relative"), _positive_params())
def test_hook_ignores_yaml_that_is_not_an_artifact(hook_id: str, relative: str, repo: Path) -> None:
    changed = add_fixture(repo, "positive", relative)
    result = run_hook(hook_id, [changed], repo)
    assert (result.returncode, result.findings) == (0, []), result.output


# --- negative files: exit 1 and `path:line:col: CODE` ------------------------------------------------


@pytest.mark.parametrize(("hook_id", "relative"), _negative_params())
def test_hook_on_a_negative_file(hook_id: str, relative: str, repo: Path) -> None:
    changed = add_fixture(repo, "negative", relative)
    expected = NEGATIVE[relative][hook_id]
    result = run_hook(hook_id, [changed], repo)
    if expected is None:
        assert (result.returncode, result.findings) == (0, []), result.output
    else:
        assert (result.returncode, result.findings) == (1, [expected]), result.output


@pytest.mark.parametrize("hook_id", list(HOOKS))
def test_hook_on_every_yaml_file_reports_each_negative_file(hook_id: str, repo: Path) -> None:
    """``pre-commit run --all-files`` passes every YAML file at once: artifacts, other YAML, broken files."""
    others = [add_fixture(repo, "positive", name) for name in POSITIVE_FILES]
    broken = [add_fixture(repo, "negative", name) for name in NEGATIVE_FILES]
    result = run_hook(hook_id, sorted([*REPO_FILES, *others, *broken]), repo)
    expected = sorted(found for found in (NEGATIVE[name][hook_id] for name in broken) if found)
    assert (result.returncode, sorted(result.findings)) == (1, expected), result.output


def test_schema_hook_never_reports_reference_rules(repo: Path) -> None:
    changed = [add_fixture(repo, "negative", "evals/missing-prompt.yaml")]
    changed.append(
        add_fixture(
            repo, "changed", "renamed/prompts/ticket-classifier.yaml", target="prompts/ticket-classifier.yaml"
        )
    )
    schema, lint = run_hook(SCHEMA, changed, repo), run_hook(LINT, [], repo)
    assert (schema.returncode, schema.findings) == (0, []), schema.output
    assert any(" R001" in finding for finding in lint.findings), lint.output


# --- a changed file is linted with what references it ---------------------------------------------------


def test_lint_hook_reports_the_suite_of_a_changed_prompt(repo: Path) -> None:
    prompt = add_fixture(
        repo, "changed", "sampling/prompts/ticket-classifier.yaml", target="prompts/ticket-classifier.yaml"
    )
    result = run_hook(LINT, [prompt], repo)
    assert (result.returncode, result.findings) == (0, ["evals/ticket-classifier.yaml:6:11: E002"]), (
        result.output
    )


def test_lint_hook_with_strict_args_fails_on_the_suite_of_a_changed_prompt(repo: Path) -> None:
    prompt = add_fixture(
        repo, "changed", "sampling/prompts/ticket-classifier.yaml", target="prompts/ticket-classifier.yaml"
    )
    result = run_hook(LINT, [prompt], repo, args=["--strict"])
    assert (result.returncode, result.findings) == (1, ["evals/ticket-classifier.yaml:6:11: E002"]), (
        result.output
    )


def test_schema_hook_does_not_run_rules_on_the_suite_of_a_changed_prompt(repo: Path) -> None:
    prompt = add_fixture(
        repo, "changed", "sampling/prompts/ticket-classifier.yaml", target="prompts/ticket-classifier.yaml"
    )
    result = run_hook(SCHEMA, [prompt], repo, args=["--strict"])
    assert (result.returncode, result.findings) == (0, []), result.output


def test_lint_hook_reports_the_suite_broken_by_a_renamed_prompt(repo: Path) -> None:
    prompt = add_fixture(
        repo, "changed", "renamed/prompts/ticket-classifier.yaml", target="prompts/ticket-classifier.yaml"
    )
    result = run_hook(LINT, [prompt], repo)
    assert result.returncode == 1, result.output
    assert "evals/ticket-classifier.yaml:6:20: R001" in result.findings, result.output


# --- the project is the one holding the files ------------------------------------------------------------


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """A repository whose artifacts live in ``llm/``, whose llmops.yaml ignores R001."""
    root = tmp_path / "monorepo"
    shutil.copytree(BASE_REPO, root / "llm")
    with (root / "llm" / "llmops.yaml").open("a", encoding="utf-8") as project:
        project.write("  lint: {ignore: [R001]}\n")
    add_fixture(root, "positive", ".pre-commit-config.yaml")
    add_fixture(root, "negative", "evals/missing-prompt.yaml", target="llm/evals/missing-prompt.yaml")
    return root


@pytest.mark.parametrize(
    "first",
    [
        pytest.param("llm/evals/missing-prompt.yaml", id="artifact-first"),
        pytest.param(".pre-commit-config.yaml", id="other-yaml-first"),
    ],
)
def test_lint_hook_uses_the_llmops_yaml_above_the_files(first: str, monorepo: Path) -> None:
    files = [first, *sorted({".pre-commit-config.yaml", "llm/evals/missing-prompt.yaml"} - {first})]
    result = run_hook(LINT, files, monorepo)
    assert (result.returncode, result.findings) == (0, []), result.output


# --- end to end: the real pre-commit, this repository as the hook repo ----------------------------------

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "llmops-ci tests",
    "GIT_AUTHOR_EMAIL": "tests@llmops-ci.invalid",
    "GIT_COMMITTER_NAME": "llmops-ci tests",
    "GIT_COMMITTER_EMAIL": "tests@llmops-ci.invalid",
}
#: Never copied into the hook repo even if a .gitignore forgets them.
SKIPPED_PARTS = frozenset({".git", ".venv", "venv", ".llmops", "__pycache__", ".mypy_cache", ".ruff_cache"})


@dataclass(frozen=True)
class HookRepo:
    path: Path
    rev: str
    env: dict[str, str]
    pre_commit: str
    home: Path


def _offline_env(scratch: Path, wheelhouse: Path) -> dict[str, str]:
    """A clean machine: no pip.conf, no index, only the wheelhouse; virtualenv never updates its seeds."""
    inherited = ("PIP_", "VIRTUALENV_", "PRE_COMMIT", "GIT_", "GITHUB_ACTIONS")
    env = {key: value for key, value in os.environ.items() if not key.startswith(inherited)}
    env.update(GIT_IDENTITY)
    env.update(
        PRE_COMMIT_HOME=str(scratch / "pre-commit-home"),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
        PIP_CONFIG_FILE=os.devnull,
        PIP_CACHE_DIR=str(scratch / "pip-cache"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        VIRTUALENV_OVERRIDE_APP_DATA=str(scratch / "virtualenv-app-data"),
        VIRTUALENV_NO_PERIODIC_UPDATE="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        NO_COLOR="1",
    )
    return env


def _run(command: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float = 60) -> Run:
    done = subprocess.run(
        command, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    return Run(done.returncode, done.stdout + done.stderr)


def _git(cwd: Path, env: Mapping[str, str], *args: str) -> str:
    """Run git; its standard output, stripped."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def _project_files() -> list[str]:
    listed = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip(f"{PROJECT_ROOT} is not a git checkout: cannot list the files of the hook repo")
    return [name for name in listed.stdout.split("\0") if name and not SKIPPED_PARTS & set(name.split("/"))]


def _commit_hook_repo(destination: Path, env: Mapping[str, str]) -> str:
    """This project's files, committed in a fresh repository: pre-commit clones hook repos at a rev."""
    for relative in _project_files():
        source = PROJECT_ROOT / relative
        if source.is_file():
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / relative)
    _git(destination, env, "init", "--quiet")
    _git(destination, env, "add", "--all")
    _git(destination, env, "commit", "--quiet", "--no-verify", "--message", "hook repo under test")
    return _git(destination, env, "rev-parse", "HEAD")


def _pre_commit_config(hook_repo: HookRepo) -> str:
    return yaml.safe_dump(
        {
            "repos": [
                {
                    "repo": str(hook_repo.path),
                    "rev": hook_repo.rev,
                    "hooks": [{"id": LINT}, {"id": SCHEMA}],
                }
            ]
        },
        sort_keys=False,
    )


def _artifact_repo(root: Path, hook_repo: HookRepo) -> Path:
    shutil.copytree(BASE_REPO, root)
    (root / ".pre-commit-config.yaml").write_text(_pre_commit_config(hook_repo), encoding="utf-8")
    _git(root, hook_repo.env, "init", "--quiet")
    _git(root, hook_repo.env, "add", "--all")
    return root


def _pre_commit(hook_repo: HookRepo, cwd: Path, *args: str) -> Run:
    return _run([hook_repo.pre_commit, *args], cwd, hook_repo.env, timeout=110)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookRepo]:
    """This repository committed as a hook repo, with its pre-commit environments installed offline."""
    wheelhouse = os.environ.get("LLMOPS_CI_WHEELHOUSE")
    if not wheelhouse:
        pytest.skip("LLMOPS_CI_WHEELHOUSE is unset: build the offline wheelhouse as .ci/run does")
    pre_commit = str(Path(sys.executable).parent / "pre-commit")
    if not Path(pre_commit).is_file():
        pre_commit = shutil.which("pre-commit") or ""
    if not pre_commit:
        pytest.skip("the pre-commit executable is missing: pip install -e '.[dev]'")
    scratch = tmp_path_factory.mktemp("pre-commit")
    env = _offline_env(scratch, Path(wheelhouse).resolve())
    (scratch / "hook-repo").mkdir()
    rev = _commit_hook_repo(scratch / "hook-repo", env)
    installed = HookRepo(scratch / "hook-repo", rev, env, pre_commit, scratch / "pre-commit-home")
    bootstrap = _artifact_repo(scratch / "bootstrap", installed)
    install = _pre_commit(installed, bootstrap, "install-hooks")
    assert install.returncode == 0, install.output
    yield installed


@pytest.mark.timeout(120)
def test_pre_commit_passes_on_a_clean_artifact_repository(hook_repo: HookRepo, tmp_path: Path) -> None:
    work = _artifact_repo(tmp_path / "work", hook_repo)
    result = _pre_commit(hook_repo, work, "run", "--all-files")
    assert result.returncode == 0, result.output
    assert re.search(r"^llmops-ci lint\.+Passed$", result.output, re.MULTILINE), result.output
    assert re.search(r"^llmops-ci schema check\.+Passed$", result.output, re.MULTILINE), result.output


@pytest.mark.timeout(120)
def test_pre_commit_fails_on_a_broken_artifact(hook_repo: HookRepo, tmp_path: Path) -> None:
    work = _artifact_repo(tmp_path / "work", hook_repo)
    broken = add_fixture(work, "negative", "evals/missing-prompt.yaml")
    _git(work, hook_repo.env, "add", broken)
    result = _pre_commit(hook_repo, work, "run", "--all-files")
    assert result.returncode == 1, result.output
    assert result.findings == [NEGATIVE[broken][LINT]], result.output
    assert re.search(r"^llmops-ci schema check\.+Passed$", result.output, re.MULTILINE), result.output


@pytest.mark.timeout(120)
def test_pre_commit_hook_environment_has_no_litellm(hook_repo: HookRepo) -> None:
    site_packages = [
        *hook_repo.home.glob("repo*/py_env-*/lib/python*/site-packages"),
        *hook_repo.home.glob("repo*/py_env-*/Lib/site-packages"),
    ]
    assert len(site_packages) == 1, site_packages
    installed = {entry.name.lower() for entry in site_packages[0].iterdir()}
    assert any(name.startswith("llmops_ci-") for name in installed), sorted(installed)
    assert not any(name.startswith("litellm") for name in installed), sorted(installed)
