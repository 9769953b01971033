"""`llmops-ci promote`, `rollback`, `history` and `ci release` (workflow_dispatch) in real temporary git
repositories: gates, evidence, approvers, requires, immutable sequenced tags, weighted rollouts, the
environment file edit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from llmops_ci.artifacts import schemas
from llmops_ci.release.environments import update_releases
from llmops_ci.release.tags import ArtifactKey
from tests.test_release import (
    PROMPT,
    _isolated_git,
    cli,
    commit_all,
    digest_of,
    git,
    make_repo,
    tag_data,
    tags,
    write_run,
)

__all__ = ["_isolated_git"]  # the autouse fixture applies here too

PROMPT_V2 = PROMPT.replace("invoice, contract or nda", "invoice, contract, nda or order")


@pytest.fixture
def released(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """prompts/classifier 1.0.0 and 1.1.0 released, each with passing results (pass rate 0.95, then 1.0)
    under the runs directory."""
    repo = make_repo(tmp_path / "repo")
    write_run(
        repo / ".llmops/runs/run-1", digest_of(repo), passed=19, failed=1, finished="2024-05-01T00:00:00Z"
    )
    assert cli(capsys, "release", "tag", "-C", repo, "classifier")[0] == 0
    (repo / "prompts/classifier.yaml").write_text(PROMPT_V2, encoding="utf-8")
    commit_all(repo, "v2")
    write_run(repo / ".llmops/runs/run-2", digest_of(repo), passed=20, finished="2024-05-02T00:00:00Z")
    assert cli(capsys, "release", "tag", "-C", repo, "classifier")[0] == 0
    assert tags(repo) == ["prompts/classifier@1.0.0", "prompts/classifier@1.1.0"]
    return repo


def promote(capsys: pytest.CaptureFixture[str], repo: Path, *args: str | Path) -> tuple[int, str, str]:
    return cli(capsys, "promote", *args, "-C", repo)


def live(repo: Path, env: str) -> list[dict[str, Any]]:
    found = tags(repo, f"promotions/{env}/prompts/classifier/*")
    assert found
    latest: list[dict[str, Any]] = tag_data(repo, found[-1])["live"]
    return latest


def test_promotion_is_refused_without_evidence_and_below_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "repo")
    assert cli(capsys, "release", "tag", "-C", repo, "classifier")[0] == 0  # released without results
    code, _, err = promote(capsys, repo, "classifier@1.0.0", "--to", "staging")
    assert code == 1 and "no eval evidence for prompts/classifier@1.0.0 (digest sha256:" in err
    assert tags(repo, "promotions/*") == []
    # results for the digest appear later (for example from CI): they are the evidence
    results = write_run(tmp_path / "ci-results" / "run-9", digest_of(repo), passed=19, failed=1)
    code, out, err = promote(
        capsys, repo, "classifier@1.0.0", "--to", "staging", "--results", results, "-m", "ok"
    )
    assert code == 0, err
    assert "Promoted prompts/classifier 1.0.0 to staging: promotions/staging/prompts/classifier/0001" in out
    assert "evidence (results):" in out and "pass rate 95.0% (19/20)" in out
    # prod's gate (0.97) is stricter than staging's (0.9)
    code, _, err = promote(capsys, repo, "classifier@1.0.0", "--to", "prod", "--results", results)
    assert code == 1 and "the gate (pass_rate min 0.97) is not met" in err
    assert "classifier-regression x openai/gpt-4o-mini-2024-07-18: pass_rate 95.0% < min 97.0%" in err
    assert tags(repo, "promotions/prod/*") == []


def test_gate_metric_not_measured_and_evidence_from_the_release_tag(
    released: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = released / "environments/staging.yaml"
    env.write_text(
        env.read_text().replace(
            "gate: {pass_rate: {min: 0.9}}", "gate: {pass_rate: {min: 0.9}, latency_p95_ms: {max: 50}}"
        ),
        encoding="utf-8",
    )
    commit_all(released, "latency gate")
    code, _, err = promote(capsys, released, "classifier@1.1.0", "--to", "staging")
    assert code == 1 and "latency_p95_ms 100 > max 50 (lower is better)" in err
    env.write_text(
        env.read_text().replace("latency_p95_ms: {max: 50}", "ttft_p95_ms: {max: 50}"), encoding="utf-8"
    )
    commit_all(released, "ttft gate")
    code, _, err = promote(capsys, released, "classifier@1.1.0", "--to", "staging")
    assert code == 1 and "ttft_p95_ms was not measured (the gate needs it)" in err
    env.write_text(env.read_text().replace("ttft_p95_ms: {max: 50}", "pass_rat: {max: 50}"), encoding="utf-8")
    commit_all(released, "typo")
    code, _, err = promote(capsys, released, "classifier@1.1.0", "--to", "staging")
    assert code == 2 and "gate names unknown metric 'pass_rat' (did you mean 'pass_rate'?)" in err
    env.write_text(env.read_text().replace(", pass_rat: {max: 50}", ""), encoding="utf-8")
    commit_all(released, "fixed")
    # no results on disk (a fresh clone): the evidence recorded in the release tag is used
    for run in (released / ".llmops/runs").iterdir():
        for file in run.iterdir():
            file.unlink()
        run.rmdir()
    code, out, err = promote(capsys, released, "classifier@1.1.0", "--to", "staging")
    assert code == 0, err
    assert "evidence (release tag):" in out and "pass rate 100.0% (20/20)" in out
    assert (
        tag_data(released, "promotions/staging/prompts/classifier/0001")["evidence_source"] == "release tag"
    )


def test_requires_approvers_and_misuse(
    released: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = promote(capsys, released, "classifier@1.1.0", "--to", "prod")
    assert code == 1 and "prompts/classifier@1.1.0 must be live in staging before prod" in err
    assert "staging runs nothing" in err
    prod = released / "environments/prod.yaml"
    prod.write_text(
        prod.read_text().replace(
            "  requires: [staging]\n", "  requires: [staging]\n  approvers: [lead@example.com, '@octocat']\n"
        ),
        encoding="utf-8",
    )
    commit_all(released, "approvers")
    assert promote(capsys, released, "classifier@1.1.0", "--to", "staging")[0] == 0
    code, _, err = promote(capsys, released, "classifier@1.1.0", "--to", "prod")
    assert (
        code == 1
        and "dev@example.com may not promote to prod: its approvers are lead@example.com, @octocat" in err
    )
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "Lead@Example.com")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Lead")
    code, _, err = promote(capsys, released, "classifier@1.1.0", "--to", "prod", "-m", "ship it")
    assert code == 0, err
    data = tag_data(released, "promotions/prod/prompts/classifier/0001")
    assert data["who"] == {"name": "Lead", "email": "Lead@Example.com", "github": None}
    assert (
        data["reason"] == "ship it" and data["version"] == "1.1.0" and data["digest"] == digest_of(released)
    )
    assert data["live"] == [{"version": "1.1.0", "weight": 100}] and data["previous"] == []
    code, _, err = promote(capsys, released, "classifier@1.1.0", "--to", "prod")
    assert code == 1 and "prompts/classifier 1.1.0 is already live in prod" in err
    # misuse and refusals with a reason
    code, _, err = promote(capsys, released, "classifier", "--to", "prod")
    assert code == 2 and "expected NAME@VERSION" in err
    code, _, err = promote(capsys, released, "classifier@1.9.0", "--to", "staging")
    assert code == 1 and "no release tag prompts/classifier@1.9.0 (released: 1.0.0, 1.1.0)" in err
    code, _, err = promote(capsys, released, "classifier@1.1.0", "--to", "prd")
    assert code == 2 and "no Environment named 'prd' (did you mean 'prod'?)" in err
    code, _, err = promote(capsys, released, "classifier@1.1.0", "--to", "staging", "--weight", "0")
    assert code == 2
    bad = released / "environments/prod.yaml"
    bad.write_text(bad.read_text().replace("lead@example.com", "not an email"), encoding="utf-8")
    commit_all(released, "bad approvers")
    code, _, err = promote(capsys, released, "classifier@1.0.0", "--to", "prod")
    assert code == 2 and "environments/prod.yaml" in err and "S001" in err


def test_history_after_promote_promote_rollback(released: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert promote(capsys, released, "classifier@1.0.0", "--to", "staging", "-m", "first")[0] == 0
    assert promote(capsys, released, "classifier@1.1.0", "--to", "staging", "-m", "better")[0] == 0
    first_tag_object = git(released, "rev-parse", "promotions/staging/prompts/classifier/0001")
    code, out, err = cli(
        capsys,
        "rollback",
        "classifier",
        "--env",
        "staging",
        "-C",
        released,
        "-m",
        "regression in prod traffic",
    )
    assert code == 0, err
    assert "Rolled back prompts/classifier in staging: promotions/staging/prompts/classifier/0003" in out
    assert "live: 1.0.0 (was 1.1.0)" in out
    assert tags(released, "promotions/*") == [
        f"promotions/staging/prompts/classifier/000{i}" for i in (1, 2, 3)
    ]
    assert (
        git(released, "rev-parse", "promotions/staging/prompts/classifier/0001") == first_tag_object
    )  # never moved
    rollback = tag_data(released, "promotions/staging/prompts/classifier/0003")
    assert (
        rollback["type"] == "rollback"
        and rollback["rollback_of"] == 2
        and rollback["live"][0]["version"] == "1.0.0"
    )
    assert git(released, "rev-list", "-n1", "promotions/staging/prompts/classifier/0003") == git(
        released, "rev-list", "-n1", "prompts/classifier@1.0.0"
    )
    # nothing earlier than 1.0.0 in the stack
    code, _, err = cli(capsys, "rollback", "classifier", "--env", "staging", "-C", released)
    assert code == 1 and "no earlier version of prompts/classifier to roll back to in staging" in err
    code, _, err = cli(capsys, "rollback", "classifier", "--env", "prod", "-C", released)
    assert code == 1 and "was never promoted to prod" in err

    code, out, err = cli(capsys, "history", "classifier", "-C", released)
    assert code == 0, err
    lines = [line for line in out.splitlines() if not line.startswith("    ")]
    assert lines[0] == "prompts/classifier"
    kinds = [line.split()[2] for line in lines[1:-1]]
    assert kinds == ["release", "release", "promotion", "promotion", "rollback"]
    assert "staging #0003: 1.0.0  by Dev <dev@example.com>" in out
    assert "was 1.1.0; why: regression in prod traffic" in out
    assert "evidence: classifier-regression x openai/gpt-4o-mini-2024-07-18: pass rate 95.0% (19/20)" in out
    assert lines[-1] == "Live: staging 1.0.0"
    code, out, _ = cli(
        capsys, "history", "prompts/classifier", "--env", "staging", "-C", released, "--format", "json"
    )
    result = json.loads(out)
    events = result["events"]
    assert [e["event"] for e in events] == ["release", "release", "promotion", "promotion", "rollback"]
    assert all(e["who"]["email"] == "dev@example.com" and e["date"] for e in events)
    assert [e.get("sequence") for e in events[2:]] == [1, 2, 3]
    assert events[1]["bump"] == "minor" and events[1]["reasons"] == ["template changed (messages 0)"]
    assert result["live"]["staging"]["live"] == [{"version": "1.0.0", "weight": 100}]
    code, out, _ = cli(capsys, "history", "policies/pii-default", "-C", released)
    assert code == 0 and "policies/pii-default: no releases or promotions yet." in out


def test_weighted_rollout_and_the_environment_file(
    released: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prod = released / "environments/prod.yaml"
    prod.write_text(prod.read_text().replace("{min: 0.97}", "{min: 0.95}"), encoding="utf-8")
    commit_all(released, "1.0.0 (0.95) may run in prod")
    for env in ("staging", "prod"):
        assert promote(capsys, released, "classifier@1.0.0", "--to", env)[0] == 0
    assert promote(capsys, released, "classifier@1.1.0", "--to", "staging")[0] == 0
    code, _, err = promote(capsys, released, "classifier@1.0.0", "--to", "prod", "--weight", "10")
    assert code == 2 and "1.0.0 is the stable version already" in err
    code, out, err = promote(
        capsys,
        released,
        "classifier@1.1.0",
        "--to",
        "prod",
        "--weight",
        "10",
        "--update-env-file",
        "-m",
        "canary",
    )
    assert code == 0, err
    assert (
        "live: 1.0.0 (90%) / 1.1.0 (10%) (was 1.0.0)" in out
        and "updated and committed environments/prod.yaml" in out
    )
    assert live(released, "prod") == [{"version": "1.0.0", "weight": 90}, {"version": "1.1.0", "weight": 10}]
    assert git(released, "status", "--porcelain") == ""
    text = (released / "environments/prod.yaml").read_text(encoding="utf-8")
    assert (
        "# Production: what customers get." in text
        and "# stricter than staging" in text
        and "# kept as written" in text
    )
    assert "  classifier: {rollout: [{version: 1.0.0, weight: 90}, {version: 1.1.0, weight: 10}]}\n" in text
    data = yaml.safe_load(text)
    assert not list(schemas.validate("Environment", data))
    assert data["spec"]["releases"]["other-prompt"] == {"version": "2.0.0"}
    assert (
        git(released, "log", "-1", "--format=%s").strip()
        == "prod: prompts/classifier 1.0.0 (90%) / 1.1.0 (10%)"
    )
    # widen the canary, then finish the rollout
    assert (
        promote(capsys, released, "classifier@1.1.0", "--to", "prod", "--weight", "50", "--update-env-file")[
            0
        ]
        == 0
    )
    assert live(released, "prod") == [{"version": "1.0.0", "weight": 50}, {"version": "1.1.0", "weight": 50}]
    assert promote(capsys, released, "classifier@1.1.0", "--to", "prod", "--update-env-file")[0] == 0
    assert live(released, "prod") == [{"version": "1.1.0", "weight": 100}]
    assert "  classifier: {version: 1.1.0}\n" in (released / "environments/prod.yaml").read_text(
        encoding="utf-8"
    )
    # roll back to the 50/50 split
    code, out, _ = cli(capsys, "rollback", "classifier", "--env", "prod", "-C", released, "--update-env-file")
    assert code == 0 and "live: 1.0.0 (50%) / 1.1.0 (50%) (was 1.1.0)" in out
    assert (
        "{version: 1.0.0, weight: 50}, {version: 1.1.0, weight: 50}"
        in (released / "environments/prod.yaml").read_text()
    )
    # the env file must be committed state: uncommitted edits are refused
    (released / "environments/prod.yaml").write_text(text + "# local edit\n", encoding="utf-8")
    code, _, err = promote(capsys, released, "classifier@1.1.0", "--to", "prod", "--update-env-file")
    assert code == 1 and "environments/prod.yaml has uncommitted changes" in err
    git(released, "checkout", "--", "environments/prod.yaml")
    code, out, _ = cli(capsys, "history", "classifier", "-C", released)
    assert "Live: prod 1.0.0 (50%) / 1.1.0 (50%); staging 1.1.0" in out and "note:" not in out
    assert promote(capsys, released, "classifier@1.1.0", "--to", "prod")[0] == 0  # tags only: the file lags
    code, out, _ = cli(capsys, "history", "classifier", "-C", released, "--env", "prod")
    assert "Live: prod 1.1.0" in out
    assert (
        "note: environments/prod.yaml says 1.0.0 (50%) / 1.1.0 (50%) for prod (the promotion tags decide"
        in out
    )


KEY = ArtifactKey("Prompt", "classifier")
ENV_HEAD = "apiVersion: llmops-ci/v1\nkind: Environment\nmetadata: {name: prod}\n"


@pytest.mark.parametrize(
    ("spec", "expected_line"),
    [
        ("spec:\n  releases: {}\n", "  releases:\n    classifier: {version: 1.2.0}\n"),
        ("spec:\n  gate: {pass_rate: {min: 0.9}}\n", "  releases:\n    classifier: {version: 1.2.0}\n"),
        (
            "spec:\n  releases: {other: {version: 1.0.0}}  # flow\n",
            "  releases: {other: {version: 1.0.0}, classifier: {version: 1.2.0}}  # flow\n",
        ),
        (
            "spec:\n    releases:\n        other: {version: 1.0.0}\n        # a comment\n"
            "        classifier:\n            version: 1.0.0   # old\n    gate: {pass_rate: {min: 0.9}}\n",
            "        other: {version: 1.0.0}\n        # a comment\n"
            "        classifier: {version: 1.2.0}\n    gate:",
        ),
        (
            "spec:\n  releases:\n    prompts/classifier: {version: 1.0.0}  # live\n",
            "    prompts/classifier: {version: 1.2.0}  # live\n",
        ),
        (
            'spec:\n  releases:\n    "classifier":\n'
            "      {rollout: [{version: 1.0.0, weight: 50}, {version: 1.1.0, weight: 50}]}\n",
            '    "classifier": {version: 1.2.0}\n',
        ),
    ],
)
def test_environment_file_edit_keeps_the_rest_of_the_file(spec: str, expected_line: str) -> None:
    text = "# header comment\n" + ENV_HEAD + spec
    result = update_releases(text, KEY, [{"version": "1.2.0", "weight": 100}])
    assert result.startswith("# header comment\n" + ENV_HEAD)
    assert expected_line in result, result
    data = yaml.safe_load(result)
    releases = data["spec"]["releases"]
    assert {"version": "1.2.0"} in releases.values()
    assert not list(schemas.validate("Environment", data))


def test_ci_release_workflow_dispatch_promotes_as_the_github_actor(
    released: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(released, "remote", "add", "origin", str(remote))
    staging = released / "environments/staging.yaml"
    staging.write_text(
        staging.read_text().replace("  releases: {}\n", "  releases: {}\n  approvers: ['@octocat']\n"),
        encoding="utf-8",
    )
    commit_all(released, "approvers")
    event = tmp_path / "event.json"
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_EVENT_NAME", "workflow_dispatch")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    event.write_text(
        json.dumps({"inputs": {"name": "classifier", "version": "1.1.0"}, "sender": {"login": "octocat"}}),
        encoding="utf-8",
    )
    code, _, err = cli(capsys, "ci", "release", "-C", released)
    assert code == 2 and "missing input(s) env" in err
    inputs = {
        "name": "classifier",
        "version": "1.1.0",
        "env": "staging",
        "weight": "",
        "update_env_file": "true",
    }
    event.write_text(json.dumps({"inputs": inputs, "sender": {"login": "someone-else"}}), encoding="utf-8")
    code, _, err = cli(capsys, "ci", "release", "-C", released, "--push", "origin")
    assert code == 1 and "dev@example.com / @someone-else may not promote to staging" in err
    event.write_text(json.dumps({"inputs": inputs, "sender": {"login": "OctoCat"}}), encoding="utf-8")
    code, out, err = cli(capsys, "ci", "release", "-C", released, "--push", "origin")
    assert code == 0, err
    assert "promotions/staging/prompts/classifier/0001" in out and "pushed the tag" in out
    assert git(remote, "tag", "-l").split() == ["promotions/staging/prompts/classifier/0001"]
    data = tag_data(released, "promotions/staging/prompts/classifier/0001")
    assert data["who"]["github"] == "OctoCat" and data["reason"] == "workflow_dispatch by @OctoCat"
    assert "classifier: {version: 1.1.0}" in staging.read_text(encoding="utf-8")
    # the push of that promotion tag, seen by the next workflow run
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_REF", "refs/tags/promotions/staging/prompts/classifier/0001")
    event.write_text(
        json.dumps({"ref": "refs/tags/promotions/staging/prompts/classifier/0001"}), encoding="utf-8"
    )
    code, out, _ = cli(capsys, "ci", "release", "-C", released)
    assert code == 0 and "- live in staging: 1.1.0 (was nothing)" in out
    assert "Promotion promotions/staging/prompts/classifier/0001" in summary.read_text(encoding="utf-8")


def test_a_concurrent_promotion_that_took_the_sequence_is_refused(
    released: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops_ci.release.ledger import Repository

    assert promote(capsys, released, "classifier@1.0.0", "--to", "staging")[0] == 0
    real = Repository.promotions
    monkeypatch.setattr(Repository, "promotions", lambda self, key, env=None: [])  # a stale view
    code, _, err = promote(capsys, released, "classifier@1.1.0", "--to", "staging")
    assert code == 1 and "tag promotions/staging/prompts/classifier/0001 already exists" in err
    monkeypatch.setattr(Repository, "promotions", real)
    assert live(released, "staging") == [{"version": "1.0.0", "weight": 100}]


def test_eval_results_are_the_evidence_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A real `llmops-ci eval` (an in-process local model) writes the records whose target digest
    `release tag --require-eval` and `promote` look for."""
    project = (
        "apiVersion: llmops-ci/v1\nkind: Project\nmetadata: {name: e2e}\n"
        'spec:\n  providers: {local: {keywords: "tests.local_models:KeywordClassifier"}}\n'
    )
    prompt = PROMPT.replace("openai/gpt-4o-mini-2024-07-18", "local/keywords").replace(
        "  guardrails: [pii-default]\n", ""
    )
    suite = (
        "apiVersion: llmops-ci/v1\nkind: EvalSuite\nmetadata: {name: classifier-regression}\nspec:\n"
        "  target: {prompt: classifier}\n  cases:\n"
        '    - {id: inv, vars: {document: "an invoice"}, assert: [{type: equals, value: invoice}]}\n'
        '    - {id: nda, vars: {document: "an nda"}, assert: [{type: equals, value: nda}]}\n'
    )
    staging = ENV_HEAD.replace("prod", "staging") + "spec:\n  gate: {pass_rate: {min: 1}}\n"
    repo = make_repo(
        tmp_path / "repo",
        {
            "llmops.yaml": project,
            "prompts/classifier.yaml": prompt,
            "evals/classifier.yaml": suite,
            "environments/staging.yaml": staging,
            ".gitignore": ".llmops/\n",
        },
    )
    code, _, err = cli(capsys, "release", "tag", "-C", repo, "classifier", "--require-eval")
    assert code == 1 and "no eval results" in err
    code, out, err = cli(capsys, "eval", "--project", repo)
    assert code == 0, out + err
    code, out, err = cli(capsys, "release", "tag", "-C", repo, "classifier", "--require-eval")
    assert code == 0, err
    assert "evidence: classifier-regression x local/keywords: pass rate 100.0% (2/2), cost $0.0000" in out
    code, out, err = promote(capsys, repo, "classifier@1.0.0", "--to", "staging")
    assert code == 0, err
    assert live(repo, "staging") == [{"version": "1.0.0", "weight": 100}]


def test_a_policy_is_promoted_without_evidence(released: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "release", "tag", "-C", released, "policies/pii-default")[0] == 0
    code, out, err = promote(
        capsys, released, "policies/pii-default@1.0.0", "--to", "staging", "--update-env-file"
    )
    assert code == 0, err
    assert "promotions/staging/policies/pii-default/0001" in out
    message = git(
        released, "tag", "-l", "--format=%(contents)", "promotions/staging/policies/pii-default/0001"
    )
    assert "Gate: not applicable (eval results do not target a GuardrailPolicy)" in message
    assert (
        "    policies/pii-default: {version: 1.0.0}\n" in (released / "environments/staging.yaml").read_text()
    )
    code, out, _ = cli(capsys, "history", "policies/pii-default", "-C", released)
    assert code == 0 and "Live: staging 1.0.0" in out and "note:" not in out
