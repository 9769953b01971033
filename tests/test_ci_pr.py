"""`llmops-ci ci pr` end to end: a real git repository with a base and a head commit, a pull_request
payload shaped like GitHub's (octokit/webhooks' examples in ../shared/oracles, with this repository's
commits), the fake OpenAI server for the models, and the fake GitHub API (tests/fakes/github_server.py),
which checks every request against the REST API description.

Model calls cost a litellm import (seconds) in the base run's own process, so most tests warm the cache
with the base commit's answers first, the way a cache restored from the default branch would: the base
run is then served from the cache.
"""

from __future__ import annotations

import json
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from llmops_ci.cli import main
from llmops_ci.github import rest
from llmops_ci.github.comment import MARKER, build, matcher, project_marker, redact
from llmops_ci.github.event import EventError, load_event, parse_event
from llmops_ci.github.outputs import append_summary, format_outputs, set_outputs
from llmops_ci.github.rest import GitHubApiError, GitHubClient, upsert_comment
from tests.conftest import PROJECT
from tests.fakes.github_server import BOT, ORACLES, ApiDescription, GitHubServer
from tests.fakes.openai_server import OpenAIServer, last_user_message

ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = ORACLES / "octokit-webhooks" / "payload-examples" / "api.github.com" / "pull_request"
PAYLOAD_SCHEMAS = ORACLES / "octokit-webhooks" / "payload-schemas" / "api.github.com"
REPOSITORY = "Codertocat/Hello-World"
TOKEN = "test-token-5f2b9c1d"
NUMBER = 2
MODEL = "openai/gpt-4o-mini-2024-07-18"
LABELS = ("invoice", "contract", "nda")

PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: classifier}
spec:
  model: {id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0, max_tokens: 20}}
  inputs: {type: object, required: [document], properties: {document: {type: string}}}
  messages:
    - {role: system, content: "Classify the document: invoice, contract or nda."}
    - {role: user, content: "{{ document }}"}
"""

SUMMARY_PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: summarizer}
spec:
  model: {id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0}}
  inputs: {type: object, required: [text], properties: {text: {type: string}}}
  messages:
    - {role: user, content: "Summarize: {{ text }}"}
"""


def suite_yaml(name: str, prompt: str, api_base: str, extra: str = "") -> str:
    return f"""\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {{name: {name}}}
spec:
  target: {{prompt: {prompt}}}
  models: [{{id: {MODEL}, api_base: "{api_base}"}}]
{extra}"""


def case_lines(count: int, start: int = 0) -> str:
    lines = []
    for index in range(start, start + count):
        label = LABELS[index % len(LABELS)]
        document = f"{label.upper()} document number {index}"
        lines.append(
            json.dumps(
                {
                    "id": f"case-{index}",
                    "vars": {"document": document},
                    "assert": [{"type": "equals", "value": label}],
                }
            )
        )
    return "\n".join(lines) + "\n"


def classify(body: dict[str, Any]) -> str:
    """The fake model: right on every document, unless the system prompt says BROKEN (then it answers
    'unknown': a regression), or the document asks for a token (then it leaks one)."""
    system = " ".join(str(m.get("content")) for m in body.get("messages", []) if m.get("role") == "system")
    text = last_user_message(body).lower()
    if text.startswith("summarize:"):
        return text
    if "leak" in text:
        return "here you go: ghp_" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA1b2"
    if "BROKEN" in system:
        return "unknown"
    return next((label for label in LABELS if label in text), "unknown")


# --- git and the event --------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def write(repo: Path, files: dict[str, str]) -> None:
    for relative, content in files.items():
        path = repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def pull_request_payload(
    base_sha: str, head_sha: str, *, number: int = NUMBER, fork: bool = False
) -> dict[str, Any]:
    """octokit/webhooks' pull_request.opened example with this repository's commits (a minimal payload of
    the same shape when the oracles are not there)."""
    example = PAYLOADS / "opened.payload.json"
    if example.is_file():
        payload: dict[str, Any] = json.loads(example.read_text(encoding="utf-8"))
    else:
        repo = {"full_name": REPOSITORY, "name": "Hello-World", "owner": {"login": "Codertocat"}}
        payload = {
            "action": "opened",
            "number": number,
            "pull_request": {
                "number": number,
                "base": {"ref": "master", "repo": repo},
                "head": {"ref": "changes", "repo": repo},
            },
            "repository": repo,
        }
    pull = payload["pull_request"]
    payload["number"] = pull["number"] = number
    pull["base"]["sha"], pull["head"]["sha"] = base_sha, head_sha
    if fork:
        pull["head"]["repo"] = {**pull["head"]["repo"], "full_name": "forker/Hello-World", "fork": True}
    return payload


@dataclass
class Pr:
    """A pull request in the making: a repository with its base commit, then a head commit."""

    repo: Path
    base: str
    tmp: Path
    head: str = ""

    def push(self, files: dict[str, str], delete: tuple[str, ...] = ()) -> str:
        write(self.repo, files)
        for relative in delete:
            (self.repo / relative).unlink()
        self.head = commit(self.repo, "head")
        return self.head

    def event(self, *, fork: bool = False, number: int = NUMBER) -> Path:
        path = self.tmp / f"event-{number}-{'fork' if fork else 'same'}.json"
        path.write_text(
            json.dumps(pull_request_payload(self.base, self.head, number=number, fork=fork)), encoding="utf-8"
        )
        return path


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    outputs: dict[str, str]
    summary: str


def read_outputs(path: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it: name=value lines and name<<DELIMITER blocks; later wins."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            values[name] = "\n".join(lines[index + 1 : end])
            index = end + 1
        else:
            name, _, value = line.partition("=")
            values[name] = value
            index += 1
    return values


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer(TOKEN) as server:
        yield server
    if server.errors:
        pytest.fail(
            "fake GitHub API: requests GitHub would refuse:\n" + "\n".join(server.errors), pytrace=False
        )


@pytest.fixture
def actions_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, github: GitHubServer) -> dict[str, Path]:
    """A GitHub Actions step's environment (../shared/oracles/github-actions-env), pointed at the fakes."""
    files = {"output": tmp_path / "github_output", "summary": tmp_path / "step_summary"}
    for path in files.values():
        path.write_text("", encoding="utf-8")
    settings = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": github.url,
        "GITHUB_RUN_ID": "1658821493",
        "GITHUB_SHA": "0" * 40,  # the merge commit: ci pr must not use it
        "GITHUB_OUTPUT": str(files["output"]),
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
        "GITHUB_TOKEN": TOKEN,
        "OPENAI_API_KEY": "sk-test-not-a-real-key-1234",
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
    }
    (tmp_path / "runner-temp").mkdir()
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setattr(rest, "BACKOFF_S", 0.0)
    return files


def project_files(api_base: str, prefix: str = "") -> dict[str, str]:
    files = {
        "llmops.yaml": PROJECT,
        "prompts/classifier.yaml": PROMPT,
        "prompts/summarizer.yaml": SUMMARY_PROMPT,
        "evals/classifier.yaml": suite_yaml(
            "classifier-regression", "classifier", api_base, "  cases_file: cases/classifier.jsonl\n"
        ),
        "evals/cases/classifier.jsonl": case_lines(8),
        "evals/summarizer.yaml": suite_yaml(
            "summarizer-smoke",
            "summarizer",
            api_base,
            '  cases:\n    - {id: s-1, vars: {text: "hello"}, assert: [{type: contains, value: hello}]}\n',
        ),
    }
    return {prefix + relative: content for relative, content in files.items()}


@pytest.fixture
def pr(tmp_path: Path, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> Pr:
    """A repository at its base commit: two prompts, the classifier suite reading a cases file, and an
    unrelated summarizer suite."""
    openai_server.responder = classify
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(
        repo,
        {".gitignore": ".llmops/\n", "README.md": "# prompts\n", **project_files(openai_server.base_url)},
    )
    monkeypatch.chdir(repo)
    return Pr(repo, commit(repo, "base"), tmp_path)


def warm_cache(pr: Pr, capsys: pytest.CaptureFixture[str], *suites: str, code: int = 0) -> None:
    """Evaluate the base commit into the repository's cache (a cache restored from the default branch)."""
    out = pr.tmp / f"warm-{len(list(pr.tmp.glob('warm-*')))}"
    names = suites or ("classifier-regression",)
    assert main(["eval", "--project", str(pr.repo), "--output", str(out), *names]) == code
    capsys.readouterr()


def ci_pr(capsys: pytest.CaptureFixture[str], env: dict[str, Path], event: Path, *args: str) -> Outcome:
    code = main(["ci", "pr", "--event", str(event), *args])
    captured = capsys.readouterr()
    return Outcome(
        code,
        captured.out,
        captured.err,
        read_outputs(env["output"]),
        env["summary"].read_text(encoding="utf-8"),
    )


def records(directory: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in (directory / "records.jsonl").read_text(encoding="utf-8").splitlines()
    ]


# --- ci pr end to end --------------------------------------------------------------------------------


def test_a_regression_is_commented_summarised_and_fails_the_gate(
    pr: Pr,
    github: GitHubServer,
    actions_env: dict[str, Path],
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    warm_cache(pr, capsys)
    calls_before = openai_server.request_count
    pr.push(
        {"prompts/classifier.yaml": PROMPT.replace("Classify the document", "BROKEN: classify the document")}
    )
    result = ci_pr(capsys, actions_env, pr.event())

    assert result.code == 1, result.out + result.err
    outputs = result.outputs
    assert outputs["verdict"] == "regressed" and outputs["pass-rate"] == "0.0000"
    results_dir = Path(outputs["results-dir"])
    head, base = records(results_dir / "head"), records(results_dir / "base")
    # only the suite the changed prompt reaches; base entirely from the cache; head called the model
    assert {r["suite"] for r in head} == {"classifier-regression"} and len(head) == 8
    assert all(r["cache_hit"] for r in base) and len(base) == 8
    assert openai_server.request_count - calls_before == 8
    assert {r["lineage"]["git_sha"] for r in base} == {pr.base}

    bodies = github.bodies(REPOSITORY, NUMBER)
    assert len(bodies) == 1 and bodies[0].startswith(MARKER + "\n")
    body = bodies[0]
    assert "regressed" in body and "classifier-regression" in body and "pass → fail" in body
    assert "Artifact changes" in body and "BROKEN" in body  # the template diff, above the numbers
    assert "**Lint:** ✅" in body and "fail-on `regression`: ❌" in body
    assert f"base `{pr.base[:7]}` → head `{pr.head[:7]}`" in body
    assert "actions/runs/1658821493" in body and len(body) < 65_536
    comment = github.comments(REPOSITORY, NUMBER)[0]
    assert outputs["comment-url"] == comment["html_url"]
    assert "llmops-ci diff: regressed" in result.summary and MARKER not in result.summary
    assert (results_dir / "comment.md").read_text(encoding="utf-8") == body
    assert [r.method for r in github.requests] == ["GET", "POST"]


def test_unchanged_cases_are_answered_from_the_shared_cache(
    pr: Pr,
    github: GitHubServer,
    actions_env: dict[str, Path],
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Nothing warmed: head calls the model for every case; the base run (a git worktree, its own
    process) finds every one of its cases in the cache head filled, and makes no call."""
    pr.push({"evals/cases/classifier.jsonl": case_lines(8) + case_lines(2, start=8)})
    result = ci_pr(capsys, actions_env, pr.event(), "--no-comment")

    assert result.code == 0, result.out + result.err
    assert openai_server.request_count == 10  # head's 10 cases; base's 8 were all in the cache
    results_dir = Path(result.outputs["results-dir"])
    base = records(results_dir / "base")
    assert len(base) == 8 and all(r["cache_hit"] for r in base)
    assert result.outputs["verdict"] == "unchanged" and result.outputs["pass-rate"] == "1.0000"
    assert "New cases" in result.summary and github.requests == []
    assert not list(Path(actions_env["output"]).parent.glob("runner-temp/llmops-ci-base-*")), "worktree kept"
    assert len(git(pr.repo, "worktree", "list").splitlines()) == 1


def test_five_reruns_leave_exactly_one_comment(
    pr: Pr,
    github: GitHubServer,
    actions_env: dict[str, Path],
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Other comments around it (two pages of them): the sticky one is found on page 2 and updated."""
    warm_cache(pr, capsys)
    for index in range(120):
        github.add_comment(REPOSITORY, NUMBER, f"review note {index}")
    github.add_comment(REPOSITORY, NUMBER, f"> {MARKER}\nquoting the bot is not the bot")
    pr.push({"evals/cases/classifier.jsonl": case_lines(9)})
    event = pr.event()
    urls = set()
    for _ in range(5):
        result = ci_pr(capsys, actions_env, event)
        assert result.code == 0, result.out + result.err
        urls.add(result.outputs["comment-url"])
    sticky = [c for c in github.comments(REPOSITORY, NUMBER) if c["body"].startswith(MARKER)]
    assert len(sticky) == 1 and len(github.comments(REPOSITORY, NUMBER)) == 122
    assert urls == {sticky[0]["html_url"]} and sticky[0]["user"] == BOT
    methods = [r.method for r in github.requests if r.method != "GET"]
    assert methods == ["POST", "PATCH", "PATCH", "PATCH", "PATCH"]
    pages = [r.query.get("page") for r in github.requests if r.method == "GET"]
    assert pages[:2] == [None, ["2"]]  # page 1, then the Link header's next page
    assert openai_server.request_count == 8 + 1  # the warm-up, then head's new case once: reruns are cached


@pytest.mark.parametrize(
    ("status", "fork", "expected"),
    [
        pytest.param(403, True, "forker/Hello-World", id="403-fork"),
        pytest.param(404, False, "Not found", id="404"),
        pytest.param(422, False, "65,536 characters", id="422-too-long"),
        pytest.param(503, False, "after 4 attempts", id="503-every-time"),
    ],
)
def test_api_errors_are_explained_and_the_report_goes_to_the_step_summary(
    pr: Pr,
    github: GitHubServer,
    actions_env: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    status: int,
    fork: bool,
    expected: str,
) -> None:
    pr.push({"README.md": "# prompts, now documented\n"})
    if status == 422:
        github.fail_next(
            422,
            method="POST",
            errors=[
                {
                    "resource": "IssueComment",
                    "code": "custom",
                    "field": "body",
                    "message": "body is too long (maximum is 65536 characters)",
                }
            ],
        )
    elif status == 503:
        github.fail_next(503, 4)
    else:
        github.fail_next(status)
    result = ci_pr(capsys, actions_env, pr.event(fork=fork), "--fail-on", "never")

    assert result.code == 0, result.err
    assert result.outputs["comment-url"] == "" and result.outputs["verdict"] == "skipped"
    warning = next(line for line in result.out.splitlines() if line.startswith("::warning"))
    assert f"GitHub API {status}" in warning or f"error {status}" in warning
    assert expected in warning and "step summary" in warning
    assert result.summary.startswith("> [!WARNING]") and "no eval suite affected" in result.summary
    assert github.bodies(REPOSITORY, NUMBER) == []


def test_a_server_error_then_success_posts_the_comment(
    pr: Pr, github: GitHubServer, actions_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pr.push({"README.md": "# prompts v2\n"})
    github.fail_next(500, method="GET")
    github.fail_next(502, method="POST")
    result = ci_pr(capsys, actions_env, pr.event())
    assert result.code == 0 and result.outputs["comment-url"]
    assert len(github.bodies(REPOSITORY, NUMBER)) == 1
    assert [f"{r.method} {r.status}" for r in github.requests] == [
        "GET 500",
        "GET 200",
        "POST 502",
        "GET 200",
        "POST 201",
    ]


def test_secrets_never_reach_the_comment(
    pr: Pr, github: GitHubServer, actions_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A model output holding a GitHub token, and the API key of the environment in a case: both are
    redacted before the comment is posted (and in the step summary)."""
    warm_cache(pr, capsys)
    leaky = json.dumps(
        {
            "id": "leak-1",
            "vars": {"document": "INVOICE leak sk-test-not-a-real-key-1234"},
            "assert": [{"type": "equals", "value": "invoice"}],
        }
    )
    pr.push({"evals/cases/classifier.jsonl": case_lines(8) + leaky + "\n"})
    result = ci_pr(capsys, actions_env, pr.event())
    body = github.bodies(REPOSITORY, NUMBER)[0]
    assert "leak-1" in body  # the new case is listed
    for text in (body, result.summary):
        assert "ghp_Zx9Y" not in text and "sk-test-not-a-real-key-1234" not in text and TOKEN not in text


def test_lint_findings_are_annotated_and_fail_the_gate(
    pr: Pr, github: GitHubServer, actions_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    broken = PROMPT.replace("{{ document }}", "{{ documnet }}")
    pr.push({"prompts/summarizer.yaml": SUMMARY_PROMPT + "  # touched\n", "prompts/classifier.yaml": broken})
    result = ci_pr(capsys, actions_env, pr.event(), "--no-comment")
    assert result.code == 1
    assert "::error file=prompts/classifier.yaml,line=9" in result.out and "T002" in result.out
    assert "**Lint:** ❌" in result.summary and "lint found errors" in result.summary
    assert result.outputs["verdict"] == "error"  # the suite cannot be planned with an undeclared variable
    assert "head eval did not run" in result.summary and "documnet" in result.summary


def test_fail_on_threshold_also_gates_on_head_thresholds(
    pr: Pr, github: GitHubServer, actions_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A case that fails at base and head alike: no regression, but the suite misses pass_rate 1."""
    bad = json.dumps(
        {"id": "bad-1", "vars": {"document": "INVOICE 7"}, "assert": [{"type": "equals", "value": "nda"}]}
    )
    write(pr.repo, {"evals/cases/classifier.jsonl": case_lines(8) + bad + "\n"})
    pr.base = commit(pr.repo, "base with a failing case")
    warm_cache(pr, capsys, code=1)
    pr.push({"evals/cases/classifier.jsonl": case_lines(9) + bad + "\n"})
    event = pr.event()
    regression = ci_pr(capsys, actions_env, event, "--no-comment")
    assert regression.code == 0 and regression.outputs["verdict"] == "unchanged", regression.err
    threshold = ci_pr(capsys, actions_env, event, "--no-comment", "--fail-on", "threshold")
    assert threshold.code == 1 and "thresholds missed: classifier-regression" in threshold.err


def test_a_new_suite_is_reported_for_head_only(
    pr: Pr,
    github: GitHubServer,
    actions_env: dict[str, Path],
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    suite = suite_yaml(
        "classifier-smoke",
        "classifier",
        openai_server.base_url,
        "  cases:\n"
        '    - {id: nda-1, vars: {document: "NDA between us"}, assert: [{type: equals, value: nda}]}\n',
    )
    pr.push({"evals/smoke.yaml": suite})
    result = ci_pr(capsys, actions_env, pr.event())
    assert result.code == 0, result.err
    assert result.outputs["verdict"] == "not-comparable"
    body = github.bodies(REPOSITORY, NUMBER)[0]
    assert "Head only" in body and "classifier-smoke" in body and "new suites" in body
    assert "Added: EvalSuite/classifier-smoke" in body


def test_suites_and_model_override(
    pr: Pr,
    github: GitHubServer,
    actions_env: dict[str, Path],
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--suites picks the suites (here an unaffected one too) and --model runs them on an in-process
    model, at head and at base."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the base run's process imports tests.local_models
    project = PROJECT.replace(
        "spec: {}", 'spec:\n  providers:\n    local: {keyword: "tests.local_models:KeywordClassifier"}'
    )
    write(pr.repo, {"llmops.yaml": project})
    pr.base = commit(pr.repo, "local model")
    from llmops_ci.commands import eval as eval_command

    warm = eval_command.EvalOptions(
        suites=("classifier-regression",), project=pr.repo, output=pr.tmp / "warm", model="local/keyword"
    )
    assert eval_command.run(warm) == 0
    capsys.readouterr()
    pr.push({"README.md": "# no artifact changed\n"})
    before = openai_server.request_count
    result = ci_pr(
        capsys, actions_env, pr.event(), "--suites", "classifier-regression", "--model", "local/keyword"
    )
    assert result.code == 0, result.err
    head = records(Path(result.outputs["results-dir"]) / "head")
    assert {r["model"] for r in head} == {"local/keyword"} and openai_server.request_count == before
    assert all(r["cache_hit"] for r in records(Path(result.outputs["results-dir"]) / "base"))
    assert result.outputs["verdict"] == "unchanged"


def test_a_project_below_the_repository_root_keeps_its_own_comment(
    pr: Pr,
    github: GitHubServer,
    actions_env: dict[str, Path],
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A monorepo: the project lives in llm/; annotations name repository paths, the base run uses
    llm/ of the base worktree, and the comment of the root project is left alone."""
    write(pr.repo, project_files(openai_server.base_url, prefix="llm/"))
    pr.base = commit(pr.repo, "a second project in llm/")
    assert main(["eval", "--project", "llm", "--output", str(pr.tmp / "warm"), "classifier-regression"]) == 0
    root_comment = github.add_comment(REPOSITORY, NUMBER, f"{MARKER}\nthe root project's report", BOT)
    unused = PROMPT.replace(
        "properties: {document: {type: string}}",
        "properties: {document: {type: string}, tone: {type: string}}",
    )
    pr.push({"llm/prompts/classifier.yaml": unused})
    capsys.readouterr()
    result = ci_pr(capsys, actions_env, pr.event(), "--project", "llm")
    assert result.code == 0, result.err
    assert "::warning file=llm/prompts/classifier.yaml,line=6" in result.out and "T003" in result.out
    assert result.outputs["verdict"] == "unchanged" and Path(result.outputs["results-dir"]).is_relative_to(
        pr.repo / "llm"
    )
    assert all(r["cache_hit"] for r in records(Path(result.outputs["results-dir"]) / "base"))
    comments = github.comments(REPOSITORY, NUMBER)
    assert len(comments) == 2 and comments[0] == root_comment
    assert comments[1]["body"].startswith(f"{MARKER}\n{project_marker('llm')}\n")
    again = ci_pr(capsys, actions_env, pr.event(), "--project", "llm")
    assert again.code == 0 and len(github.comments(REPOSITORY, NUMBER)) == 2


def test_a_cancelled_job_stops_without_commenting(
    pr: Pr,
    github: GitHubServer,
    actions_env: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pr.push({"evals/cases/classifier.jsonl": case_lines(9)})
    monkeypatch.setattr("llmops_ci.commands.eval.run", lambda options: 130)  # SIGTERM mid-run
    assert ci_pr(capsys, actions_env, pr.event()).code == 130
    assert github.requests == []


def test_without_a_token_the_report_is_only_in_the_summary(
    pr: Pr,
    github: GitHubServer,
    actions_env: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    pr.push({"README.md": "# docs only\n"})
    result = ci_pr(capsys, actions_env, pr.event())
    assert result.code == 0 and "no GITHUB_TOKEN" in result.out and "no eval suite affected" in result.summary
    assert github.requests == []


def test_usage_errors_exit_2(
    pr: Pr,
    github: GitHubServer,
    actions_env: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pr.push({"README.md": "x\n"})
    missing = pr.tmp / "missing.json"
    missing.write_text(json.dumps(pull_request_payload("f" * 40, pr.head)), encoding="utf-8")
    code = main(["ci", "pr", "--event", str(missing)])
    assert code == 2 and "fetch-depth: 0" in capsys.readouterr().err
    push = pr.tmp / "push.json"
    push.write_text(json.dumps({"ref": "refs/heads/main", "after": pr.head}), encoding="utf-8")
    assert main(["ci", "pr", "--event", str(push)]) == 2
    assert "not a pull_request event" in capsys.readouterr().err
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    assert main(["ci", "pr"]) == 2 and "runs on pull_request events" in capsys.readouterr().err
    assert main(["ci", "pr", "--event", str(pr.event()), "--suites", "classifer-regression"]) == 2
    assert "did you mean 'classifier-regression'" in capsys.readouterr().err
    assert github.requests == []


# --- the event payload ------------------------------------------------------------------------------------


@pytest.mark.skipif(not PAYLOADS.is_dir(), reason="../shared/oracles/octokit-webhooks is not there")
@pytest.mark.parametrize(
    "name",
    [
        "opened.payload.json",
        "synchronize.payload.json",
        "reopened.payload.json",
        "closed.payload.json",
        "opened.with-null-body.json",
    ],
)
def test_octokit_pull_request_examples_parse(name: str, tmp_path: Path) -> None:
    payload = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
    event = parse_event(payload)
    pull = payload["pull_request"]
    assert (event.number, event.base_sha, event.head_sha) == (
        pull["number"],
        pull["base"]["sha"],
        pull["head"]["sha"],
    )
    assert event.repository == REPOSITORY and event.owner == "Codertocat" and event.repo == "Hello-World"
    assert not event.from_fork


@pytest.mark.skipif(not PAYLOAD_SCHEMAS.is_dir(), reason="../shared/oracles/octokit-webhooks is not there")
def test_the_test_payloads_match_the_webhook_schema() -> None:
    """octokit/webhooks' pull_request.opened schema accepts the payloads these tests send."""
    base = "https://octokit.invalid/"
    registry: Registry[Any] = Registry()
    for path in PAYLOAD_SCHEMAS.rglob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        schema["$id"] = urllib.parse.urljoin(base, schema["$id"])  # absolute, so relative $refs resolve
        registry = registry.with_resource(schema["$id"], DRAFT7.create_resource(schema))
    validator = Draft7Validator({"$ref": base + "pull_request$opened"}, registry=registry)
    for fork in (False, True):
        payload = pull_request_payload("a" * 40, "b" * 40, number=7, fork=fork)
        errors = list(validator.iter_errors(payload))
        assert not errors, errors[0].message


def test_events_without_what_ci_pr_needs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(EventError, match=r"pull_request\.base\.sha"):
        parse_event({"pull_request": {"number": 1, "head": {"sha": "b"}}, "repository": {"full_name": "o/r"}})
    with pytest.raises(EventError, match="GITHUB_EVENT_PATH is not set"):
        load_event(None, {})
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(EventError, match="not JSON"):
        load_event(bad, {})
    fork = parse_event(pull_request_payload("a" * 40, "b" * 40, fork=True))
    assert fork.from_fork and fork.head_repository == "forker/Hello-World"


# --- outputs, summary, comment ---------------------------------------------------------------------------


def test_outputs_are_single_lines_or_heredocs(tmp_path: Path) -> None:
    text = format_outputs({"verdict": "regressed", "notes": "line 1\nline 2\nverdict=injected"})
    assert text.startswith("verdict=regressed\nnotes<<ghadelimiter_")
    path = tmp_path / "out"
    set_outputs(
        {"verdict": "regressed", "notes": "line 1\nline 2\nverdict=injected"}, {"GITHUB_OUTPUT": str(path)}
    )
    assert read_outputs(path) == {"verdict": "regressed", "notes": "line 1\nline 2\nverdict=injected"}
    assert set_outputs({"a": "b"}, {}) is None
    with pytest.raises(ValueError):
        format_outputs({"bad name": "x"})


def test_the_step_summary_stays_under_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "summary"
    append_summary("é" * 700_000, {"GITHUB_STEP_SUMMARY": str(path)})
    data = path.read_bytes()
    assert len(data) <= 1_000_001 and data.decode("utf-8").rstrip().endswith("limited to 1 MiB)")


def test_the_comment_fits_and_is_redacted() -> None:
    huge = "| row |\n" * 20_000
    body = build(lambda chars: huge[:chars], ["**Lint:** ok", "---\nfooter"], env={})
    assert len(body) <= 65_000 and body.startswith(MARKER + "\n") and body.endswith("footer\n")
    secret = "ghp_" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA1b2"
    assert secret not in redact(f"output: {secret}", {})
    assert redact("key sk-proj-abcdefgh12", {"MY_API_KEY": "sk-proj-abcdefgh12"}) == "key [REDACTED]"
    assert redact("sha256:0123456789ab at 93.0% and p=0.03", {}) == "sha256:0123456789ab at 93.0% and p=0.03"


def test_monorepo_projects_keep_their_own_comments() -> None:
    root, sub = matcher(None), matcher("example-repo")
    sub_body = f"{MARKER}\n{project_marker('example-repo')}\nreport"
    assert root(f"{MARKER}\nreport") and not root(sub_body) and not root(f"> {MARKER}")
    assert (
        sub(sub_body) and not sub(f"{MARKER}\nreport") and not sub(f"{MARKER}\n{project_marker('other')}\nx")
    )


# --- the REST client against the fake API -----------------------------------------------------------------


def test_the_client_pages_retries_and_explains(github: GitHubServer) -> None:
    client = GitHubClient(TOKEN, github.url, backoff=0)
    for index in range(230):
        github.add_comment("o/r", 5, f"c{index}")
    assert [c["body"] for c in client.list_issue_comments("o/r", 5)] == [f"c{i}" for i in range(230)]
    assert [r.query.get("page") for r in github.requests] == [None, ["2"], ["3"]]
    github.fail_next(500, 2, method="GET")
    assert len(list(client.list_issue_comments("o/r", 5))) == 230
    github.fail_next(401)
    with pytest.raises(GitHubApiError, match="token was refused") as refused:
        list(client.list_issue_comments("o/r", 5))
    assert refused.value.status == 401 and refused.value.attempts == 1
    assert all(r.authorization == f"Bearer {TOKEN}" for r in github.requests)
    wrong = GitHubClient("not-the-token", github.url)
    with pytest.raises(GitHubApiError, match="Bad credentials"):
        wrong.create_issue_comment("o/r", 5, "x")


def test_a_created_comment_whose_answer_was_lost_is_not_made_twice(github: GitHubServer) -> None:
    """The POST reached GitHub but the answer was an error: the retry finds the comment and updates it."""
    client = GitHubClient(TOKEN, github.url, backoff=0)
    original = github.handle

    def lose_first_post(
        method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        status, extra, payload = original(method, path, headers, body)
        if method == "POST" and not getattr(lose_first_post, "done", False):
            lose_first_post.done = True  # type: ignore[attr-defined]
            github.requests[-1].status = 502
            return 502, {}, {"message": "Bad Gateway"}
        return status, extra, payload

    github.handle = lose_first_post  # type: ignore[method-assign]
    result = upsert_comment(client, "o/r", 9, f"{MARKER}\nreport", matcher(None))
    assert result.action == "updated" and len(github.bodies("o/r", 9)) == 1
    assert [f"{r.method} {r.status}" for r in github.requests] == [
        "GET 200",
        "POST 502",
        "GET 200",
        "PATCH 200",
    ]


def test_the_token_goes_only_to_the_api_host(github: GitHubServer) -> None:
    client = GitHubClient(TOKEN, github.url, backoff=0)
    with pytest.raises(GitHubApiError, match="another host"):
        client.request("GET", "http://127.0.0.2:1/repos/o/r/issues/1/comments")
    with pytest.raises(GitHubApiError, match="unreachable after 2 attempts"):
        GitHubClient(TOKEN, "http://127.0.0.1:9", backoff=0, retries=1).request("GET", "/x")


def test_the_fake_api_answers_like_the_description(github: GitHubServer) -> None:
    """Its answers validate against the response schemas; requests of the wrong shape are refused."""
    description = ApiDescription.load()
    if description.source == "built-in":
        pytest.skip("../shared/oracles/github-rest-openapi-subset is not there")
    client = GitHubClient(TOKEN, github.url)
    created = client.create_issue_comment("o/r", 3, "hello")
    listed = client.request("GET", "/repos/o/r/issues/3/comments").data
    updated = client.update_issue_comment("o/r", created["id"], "hello again")
    for template, method, status, data in (
        ("/repos/{owner}/{repo}/issues/{issue_number}/comments", "post", 201, created),
        ("/repos/{owner}/{repo}/issues/{issue_number}/comments", "get", 200, listed),
        ("/repos/{owner}/{repo}/issues/comments/{comment_id}", "patch", 200, updated),
    ):
        schema = description.response_schema(description.operations[(method, template)], status)
        assert schema is not None
        errors = list(description.validator(schema).iter_errors(data))
        assert not errors, errors[0].message
    bad = client.request  # the wrong shapes, sent on purpose
    for kwargs, expected in (
        ({"body": {"text": "no body key"}}, 422),
        ({"params": {"per_page": "many"}}, 422),
    ):
        method = "POST" if "body" in kwargs else "GET"
        with pytest.raises(GitHubApiError) as refused:
            bad(method, "/repos/o/r/issues/3/comments", retry=False, **kwargs)
        assert refused.value.status == expected
    with pytest.raises(GitHubApiError) as unknown:
        bad("GET", "/repos/o/r/pulls/3/reviews", retry=False)
    assert unknown.value.status == 404
    assert len(github.errors) == 3
    github.errors.clear()
    too_long = "x" * 65_537
    with pytest.raises(GitHubApiError, match="65,536"):
        client.create_issue_comment("o/r", 3, too_long)
    assert not github.errors
