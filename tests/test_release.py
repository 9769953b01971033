"""`llmops-ci release plan` / `release tag` and `ci release` in real temporary git repositories: tag names
git accepts, the bump rules over a table of artifact diffs, evidence for an exact digest, refusals,
atomic writes under two concurrent runs, and tag verification in CI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.cli import main
from llmops_ci.release.bump import classify
from llmops_ci.release.git import Git, NewTag
from llmops_ci.release.ledger import Repository
from llmops_ci.release.tags import PROMOTION_TAG, RELEASE_TAG, ArtifactKey, data_of
from llmops_ci.release.versions import Version
from tests.conftest import write_files

ROOT = Path(__file__).resolve().parent.parent

PROJECT = """\
apiVersion: llmops-ci/v1
kind: Project
metadata: {name: release-tests}
spec: {}
"""
PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: classifier, description: Classify a document}
spec:
  model: {id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0, max_tokens: 20}}
  inputs:
    type: object
    required: [document]
    properties:
      document: {type: string, maxLength: 8000}
  messages:
    - {role: system, content: "Classify the document: invoice, contract or nda."}
    - {role: user, content: "{{ document }}"}
  guardrails: [pii-default]
"""
POLICY = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: pii-default}
spec:
  checks:
    - {id: pii, type: pii, entities: [EMAIL_ADDRESS], scopes: {input: redact, output: block}}
"""
SUITE = """\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {name: classifier-regression}
spec:
  target: {prompt: classifier}
  cases:
    - {id: inv-1, vars: {document: "INVOICE 1"}, assert: [{type: equals, value: invoice}]}
  thresholds: {pass_rate: {min: 0.9}}
"""
STAGING = """\
apiVersion: llmops-ci/v1
kind: Environment
metadata: {name: staging}
spec:
  gate: {pass_rate: {min: 0.9}}
  releases: {}
"""
PROD = """\
# Production: what customers get.
apiVersion: llmops-ci/v1
kind: Environment
metadata: {name: prod}
spec:
  gate:
    pass_rate: {min: 0.97}   # stricter than staging
  requires: [staging]
  releases:
    other-prompt: {version: 2.0.0}  # kept as written
"""
MODEL = "openai/gpt-4o-mini-2024-07-18"


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only the test repository's own git config counts (no global identity, signing or hooks)."""
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GITHUB_STEP_SUMMARY", "GITHUB_ACTOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def make_repo(root: Path, files: dict[str, str] | None = None) -> Path:
    write_files(
        root,
        files
        or {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "guardrails/pii.yaml": POLICY,
            "evals/classifier.yaml": SUITE,
            "environments/staging.yaml": STAGING,
            "environments/prod.yaml": PROD,
            ".gitignore": ".llmops/\n",
        },
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    commit_all(root, "artifacts")
    return root


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def digest_of(root: Path, kind: str = "Prompt", name: str = "classifier") -> str:
    repository = Repository(root)
    artifact = repository.graph.get(kind, name)
    assert artifact is not None
    return repository.digest(artifact)


def record(
    digest: str, case: str, passed: bool, *, suite: str = "classifier-regression", **extra: Any
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "run_id": "r",
        "case_id": case,
        "suite": suite,
        "case": case,
        "target": {"kind": "Prompt", "name": "classifier", "digest": digest, "version": None},
        "model": MODEL,
        "repeat": 0,
        "min_passes": 1,
        "thresholds": {"pass_rate": {"min": 0.9}},
        "assertions": [],
        "passed": passed,
        "error": None,
        "metrics": {"latency_ms": 100.0, "cost_usd": 0.001},
        **extra,
    }


def write_run(
    directory: Path,
    digest: str,
    passed: int,
    failed: int = 0,
    *,
    complete: bool = True,
    finished: str = "2024-05-01T10:00:00Z",
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    records = [record(digest, f"ok-{i}", True) for i in range(passed)]
    records += [record(digest, f"bad-{i}", False) for i in range(failed)]
    (directory / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    summary = {"schema_version": 1, "run_id": directory.name, "complete": complete, "finished_at": finished}
    (directory / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return directory


def tags(root: Path, pattern: str = "*") -> list[str]:
    return git(root, "tag", "-l", pattern).split()


def tag_data(root: Path, name: str) -> dict[str, Any]:
    found = [t for t in Git(root).tags(name) if t.name == name]
    assert found, name
    data = data_of(found[0])
    assert data is not None
    return data


# --- tag names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Prompt", "GuardrailPolicy", "RagPipeline", "EvalSuite"])
@pytest.mark.parametrize("name", ["a", "invoice-classifier", "x9-2", "a" * 64])
@pytest.mark.parametrize("version", ["1.0.0", "10.20.30", "2.0.0-rc.1"])
def test_tag_names_are_accepted_by_git_check_ref_format(kind: str, name: str, version: str) -> None:
    key = ArtifactKey(kind, name)
    release = key.release_tag(Version.parse(version))
    promotion = key.promotion_tag("prod", 7)
    for tag in (release, promotion):
        done = subprocess.run(
            ["git", "check-ref-format", f"refs/tags/{tag}"], capture_output=True, check=False
        )
        assert done.returncode == 0, tag
    assert RELEASE_TAG.match(release) and PROMOTION_TAG.match(promotion)
    assert promotion.endswith("/0007") and release.startswith(f"{key.prefix}/{name}@")


def test_versions_order_and_bump() -> None:
    assert Version.parse("1.4.0").bump("major") == Version(2, 0, 0)
    assert Version.parse("1.4.3").bump("minor") == Version(1, 5, 0)
    assert Version.parse("1.4.3").bump("patch") == Version(1, 4, 4)
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0"]
    assert sorted(ordered, key=lambda v: Version.parse(v)._key()) == ordered
    with pytest.raises(ValueError, match="not a semantic version"):
        Version.parse("1.4")


# --- bump rules -----------------------------------------------------------------------------------------


def _doc(kind: str, spec: str, metadata: str = "{name: x}") -> dict[str, Any]:
    import yaml

    body = textwrap.indent(textwrap.dedent(spec), "  ")
    data = yaml.safe_load(f"apiVersion: llmops-ci/v1\nkind: {kind}\nmetadata: {metadata}\nspec:\n{body}")
    assert isinstance(data, dict)
    return data


P_BASE = """\
model: {id: m-1, params: {temperature: 0}}
inputs:
  type: object
  required: [document]
  properties:
    document: {type: string, maxLength: 100}
    lang: {type: [string, "null"], enum: [en, de, null]}
messages: [{role: user, content: "{{ document }}"}]
output:
  format: json
  schema:
    type: object
    required: [label]
    properties: {label: {type: string, enum: [a, b]}, score: {type: number}}
"""


def _p(old: str, new: str) -> str:
    assert old in P_BASE, old
    return P_BASE.replace(old, new)


G_BASE = """\
extends: [base]
checks:
  - {id: pii, type: pii, entities: [EMAIL_ADDRESS, PHONE_NUMBER], scopes: {input: redact, output: block}}
  - {id: inj, type: prompt_injection, threshold: 0.5, scopes: {input: block}}
fixtures:
  - {check: pii, scope: output, text: "a@b.co", expect: block}
"""


def _g(old: str, new: str) -> str:
    assert old in G_BASE, old
    return G_BASE.replace(old, new)


R_BASE = """\
corpus: {path: docs}
chunking: {strategy: fixed, size: 500, overlap: 50}
embedding: {model: openai/text-embedding-3-small, batch_size: 64}
retrieval: {top_k: 4}
answer: {prompt: qa}
"""
S_BASE = """\
target: {prompt: classifier}
cases:
  - {id: c1, vars: {document: a}, assert: [{type: equals, value: invoice}], tags: [smoke]}
  - {id: c2, vars: {document: b}}
thresholds: {pass_rate: {min: 0.9}, latency_p95_ms: {max: 4000}}
max_cost_usd: 1
"""

BUMP_TABLE: list[tuple[str, str, str, str, str]] = [
    # kind, old spec, new spec, expected bump, a reason that must be given
    ("Prompt", P_BASE, _p("    lang:", "    language:"), "major", "input 'lang' renamed to 'language'"),
    (
        "Prompt",
        P_BASE,
        _p('    lang: {type: [string, "null"], enum: [en, de, null]}\n', ""),
        "major",
        "input 'lang' removed",
    ),
    (
        "Prompt",
        P_BASE,
        _p("required: [document]", "required: [document, lang]"),
        "major",
        "input 'lang' made required",
    ),
    (
        "Prompt",
        P_BASE,
        _p(
            "    document: {type: string, maxLength: 100}",
            "    document: {type: string, maxLength: 100}\n    tone: {type: string}",
        ).replace("required: [document]", "required: [document, tone]"),
        "major",
        "required input 'tone' added",
    ),
    (
        "Prompt",
        P_BASE,
        _p("maxLength: 100", "maxLength: 50"),
        "major",
        "input 'document': maxLength 100 -> 50 (narrowed)",
    ),
    ("Prompt", P_BASE, _p('type: [string, "null"]', "type: string"), "major", "input 'lang': type narrowed"),
    ("Prompt", P_BASE, _p("enum: [en, de, null]", "enum: [en, null]"), "major", 'enum values removed ("de")'),
    (
        "Prompt",
        P_BASE,
        _p("{type: string, maxLength: 100}", "{type: integer}"),
        "major",
        "input 'document': type changed",
    ),
    (
        "Prompt",
        P_BASE,
        _p("{type: string, maxLength: 100}", "{type: string, maxLength: 100, pattern: '^[A-Z]'}"),
        "major",
        "pattern set",
    ),
    (
        "Prompt",
        P_BASE,
        _p("{type: string, maxLength: 100}", "{anyOf: [{type: string}, {type: number}]}"),
        "major",
        "anyOf changed (not analysed)",
    ),
    ("Prompt", P_BASE, _p("format: json", "format: text"), "major", "output format changed (json -> text)"),
    ("Prompt", P_BASE, _p("    required: [label]\n", ""), "major", "output 'label' made optional"),
    (
        "Prompt",
        P_BASE,
        _p("enum: [a, b]", "enum: [a, b, c]"),
        "major",
        "output 'label': enum values added (\"c\") (widened)",
    ),
    ("Prompt", P_BASE, _p(", score: {type: number}", ""), "major", "output 'score' removed"),
    (
        "Prompt",
        P_BASE,
        _p("    lang:", "    tone: {type: string}\n    lang:"),
        "minor",
        "optional input 'tone' added",
    ),
    ("Prompt", P_BASE, _p("maxLength: 100", "maxLength: 200"), "minor", "maxLength 100 -> 200 (widened)"),
    ("Prompt", P_BASE, _p("enum: [en, de, null]", "enum: [en, de, fr, null]"), "minor", "enum values added"),
    ("Prompt", P_BASE, _p("required: [document]", "required: []"), "minor", "input 'document' made optional"),
    (
        "Prompt",
        P_BASE,
        _p('content: "{{ document }}"', 'content: "Classify: {{ document }}"'),
        "minor",
        "template changed (messages 0)",
    ),
    (
        "Prompt",
        P_BASE,
        _p("messages: [", "messages: [{role: system, content: Be brief.}, "),
        "minor",
        "template changed",
    ),
    ("Prompt", P_BASE, _p("id: m-1", "id: m-2"), "minor", "model changed (m-1 -> m-2)"),
    ("Prompt", P_BASE, _p("temperature: 0", "temperature: 0.3"), "minor", "params changed (temperature)"),
    (
        "Prompt",
        P_BASE,
        _p(
            "model: {id: m-1, params: {temperature: 0}}",
            "model: {id: m-1, params: {temperature: 0}, fallbacks: [m-2]}",
        ),
        "minor",
        "model fallbacks changed",
    ),
    (
        "Prompt",
        P_BASE,
        P_BASE + "examples: [{inputs: {document: x}, output: {label: a}}]\n",
        "minor",
        "few-shot examples changed",
    ),
    ("Prompt", P_BASE, P_BASE + "guardrails: [pii-default]\n", "minor", "guardrails changed"),
    (
        "Prompt",
        P_BASE,
        _p("score: {type: number}", "score: {type: number}, reason: {type: string}"),
        "minor",
        "optional output 'reason' added",
    ),
    (
        "Prompt",
        P_BASE,
        _p("{type: string, maxLength: 100}", "{type: string, maxLength: 100, description: The text}"),
        "patch",
        "input 'document': description changed",
    ),
    (
        "Prompt",
        P_BASE,
        _p("model: {id: m-1,", "model: {label: small, id: m-1,"),
        "patch",
        "model label changed",
    ),
    ("Prompt", P_BASE, P_BASE + "x-owner-team: docs\n", "patch", "extension key spec.x-owner-team changed"),
    # GuardrailPolicy
    (
        "GuardrailPolicy",
        G_BASE,
        _g("  - {id: inj, type: prompt_injection, threshold: 0.5, scopes: {input: block}}\n", ""),
        "major",
        "check 'inj' removed",
    ),
    (
        "GuardrailPolicy",
        G_BASE,
        _g("output: block", "output: warn"),
        "major",
        "check 'pii' output action block -> warn (weakened)",
    ),
    (
        "GuardrailPolicy",
        G_BASE,
        _g("{input: redact, output: block}", "{output: block}"),
        "major",
        "check 'pii' no longer runs on input",
    ),
    (
        "GuardrailPolicy",
        G_BASE,
        _g("EMAIL_ADDRESS, PHONE_NUMBER", "EMAIL_ADDRESS"),
        "major",
        "check 'pii' entities removed",
    ),
    (
        "GuardrailPolicy",
        G_BASE,
        _g("threshold: 0.5", "threshold: 0.8"),
        "major",
        "check 'inj' threshold 0.5 -> 0.8",
    ),
    ("GuardrailPolicy", G_BASE, _g("extends: [base]", "extends: []"), "major", "no longer extends base"),
    ("GuardrailPolicy", G_BASE, _g("type: pii,", "type: regex,"), "major", "check 'pii' type changed"),
    (
        "GuardrailPolicy",
        G_BASE,
        _g("input: redact", "input: block"),
        "minor",
        "check 'pii' input action redact -> block (strengthened)",
    ),
    (
        "GuardrailPolicy",
        G_BASE,
        _g("checks:\n", "checks:\n  - {id: sec, type: secrets, scopes: {output: block}}\n"),
        "minor",
        "check 'sec' added",
    ),
    (
        "GuardrailPolicy",
        G_BASE,
        _g("PHONE_NUMBER]", "PHONE_NUMBER, CREDIT_CARD]"),
        "minor",
        "check 'pii' entities added",
    ),
    (
        "GuardrailPolicy",
        G_BASE,
        _g("threshold: 0.5", "threshold: 0.4"),
        "minor",
        "check 'inj' threshold 0.5 -> 0.4",
    ),
    ("GuardrailPolicy", G_BASE, _g('text: "a@b.co"', 'text: "c@d.co"'), "patch", "fixtures changed"),
    # RagPipeline
    (
        "RagPipeline",
        R_BASE,
        R_BASE.replace("text-embedding-3-small", "text-embedding-3-large"),
        "major",
        "embedding.model changed",
    ),
    ("RagPipeline", R_BASE, R_BASE.replace("path: docs", "path: docs-v2"), "major", "corpus.path changed"),
    ("RagPipeline", R_BASE, R_BASE.replace("prompt: qa", "prompt: qa-2"), "major", "answer.prompt changed"),
    ("RagPipeline", R_BASE, R_BASE.replace("size: 500", "size: 800"), "minor", "chunking.size changed"),
    ("RagPipeline", R_BASE, R_BASE.replace("top_k: 4", "top_k: 8"), "minor", "retrieval.top_k changed"),
    (
        "RagPipeline",
        R_BASE,
        R_BASE.replace("batch_size: 64", "batch_size: 128"),
        "patch",
        "embedding.batch_size changed",
    ),
    # EvalSuite
    ("EvalSuite", S_BASE, S_BASE.replace("prompt: classifier", "prompt: other"), "major", "target changed"),
    (
        "EvalSuite",
        S_BASE,
        S_BASE.replace("  - {id: c2, vars: {document: b}}\n", ""),
        "major",
        "cases removed (c2)",
    ),
    (
        "EvalSuite",
        S_BASE,
        S_BASE.replace("min: 0.9", "min: 0.8"),
        "major",
        "threshold pass_rate min 0.9 -> 0.8 (gate weakened)",
    ),
    (
        "EvalSuite",
        S_BASE,
        S_BASE.replace(", latency_p95_ms: {max: 4000}", ""),
        "major",
        "threshold latency_p95_ms max 4000 removed",
    ),
    (
        "EvalSuite",
        S_BASE,
        S_BASE.replace("min: 0.9", "min: 0.95"),
        "minor",
        "threshold pass_rate min 0.9 -> 0.95",
    ),
    (
        "EvalSuite",
        S_BASE,
        S_BASE.replace("max: 4000", "max: 3000"),
        "minor",
        "threshold latency_p95_ms max 4000 -> 3000",
    ),
    (
        "EvalSuite",
        S_BASE,
        S_BASE.replace("cases:\n", "cases:\n  - {id: c3, vars: {document: c}}\n"),
        "minor",
        "cases added (c3)",
    ),
    (
        "EvalSuite",
        S_BASE,
        S_BASE.replace("value: invoice", "value: nda"),
        "minor",
        "case 'c1' changed (assert)",
    ),
    ("EvalSuite", S_BASE, S_BASE + "models: [m-1, m-2]\n", "minor", "spec.models changed"),
    (
        "EvalSuite",
        S_BASE,
        S_BASE.replace("tags: [smoke]", "tags: [smoke, fast]"),
        "patch",
        "case 'c1' tags changed",
    ),
    (
        "EvalSuite",
        S_BASE,
        S_BASE.replace("max_cost_usd: 1", "max_cost_usd: 2"),
        "patch",
        "max_cost_usd changed",
    ),
]


@pytest.mark.parametrize(
    ("kind", "old", "new", "expected", "reason"),
    BUMP_TABLE,
    ids=[f"{row[0]}-{row[3]}-{i}" for i, row in enumerate(BUMP_TABLE)],
)
def test_bump_rules(kind: str, old: str, new: str, expected: str, reason: str) -> None:
    changes = classify(kind, _doc(kind, old), _doc(kind, new))
    assert changes, "a change must be found"
    assert changes[0].level == expected, changes
    assert any(reason in change.reason for change in changes), [c.reason for c in changes]


def test_metadata_only_is_patch_and_equal_content_has_no_change() -> None:
    old = _doc("Prompt", P_BASE, "{name: x, description: a}")
    new = _doc("Prompt", P_BASE, "{name: x, description: b, owner: team}")
    changes = classify("Prompt", old, new)
    assert [(c.level, c.reason) for c in changes] == [("patch", "metadata changed (description, owner)")]
    assert classify("Prompt", old, old) == []
    same_model = _doc("Prompt", P_BASE.replace("model: {id: m-1, params: {temperature: 0}}", "model: m-1"))
    assert (
        classify(
            "Prompt",
            same_model,
            _doc("Prompt", P_BASE.replace("model: {id: m-1, params: {temperature: 0}}", "model: {id: m-1}")),
        )[0].level
        == "patch"
    )


# --- release plan / release tag in a git repository -------------------------------------------------------


def test_first_release_tags_commits_the_changelog_and_leaves_a_clean_tree(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "release", "plan", "-C", repo)
    assert code == 0, err
    assert "prompts/classifier: new -> 1.0.0 (first release)" in out
    assert "evidence: none (no eval results for this digest)" in out
    head_before = git(repo, "rev-parse", "HEAD").strip()
    code, out, err = cli(capsys, "release", "tag", "-C", repo)
    assert code == 0, err
    assert sorted(tags(repo)) == [
        "policies/pii-default@1.0.0",
        "prompts/classifier@1.0.0",
        "suites/classifier-regression@1.0.0",
    ]
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-parse", "HEAD~1").strip() == head_before
    assert git(repo, "log", "-1", "--format=%s").startswith("release: policies/pii-default 1.0.0")
    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.count("## ") == 3 and "## prompts/classifier 1.0.0 (" in changelog
    for tag in tags(repo):
        assert git(repo, "cat-file", "-t", tag).strip() == "tag"  # annotated
        assert git(repo, "rev-list", "-n1", tag).strip() == git(repo, "rev-parse", "HEAD").strip()
    data = tag_data(repo, "prompts/classifier@1.0.0")
    assert data["digest"] == digest_of(repo) and data["bump"] == "first"
    assert data["path"] == "prompts/classifier.yaml"
    assert data["references"] == {
        "GuardrailPolicy/pii-default": digest_of(repo, "GuardrailPolicy", "pii-default")
    }
    message = git(repo, "tag", "-l", "--format=%(contents)", "prompts/classifier@1.0.0")
    assert message.startswith("Release prompts/classifier 1.0.0") and f"Digest: {data['digest']}" in message
    code, out, _ = cli(capsys, "release", "tag", "-C", repo)
    assert code == 0 and "Nothing to release" in out
    code, out, _ = cli(capsys, "release", "plan", "-C", repo, "--all")
    assert "prompts/classifier: 1.0.0, unchanged" in out and "0 to release, 3 unchanged" in out


def test_plan_proposes_the_bump_from_the_diff_at_the_last_tag_with_evidence(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "release", "tag", "-C", repo)[0] == 0
    prompt = repo / "prompts/classifier.yaml"
    prompt.write_text(
        PROMPT.replace("maxLength: 8000}", "maxLength: 8000}\n      tone: {type: string}").replace(
            "invoice, contract or nda", "invoice, contract, nda or order"
        ),
        encoding="utf-8",
    )
    (repo / "prompts/moved").mkdir()
    git(
        repo, "mv", "prompts/classifier.yaml", "prompts/moved/classifier.yaml"
    )  # found again by kind and name
    commit_all(repo, "edit the prompt")
    digest = digest_of(repo)
    write_run(repo / ".llmops/runs/20240501T100000Z-aaaaaa", digest, passed=19, failed=1)
    write_run(
        repo / ".llmops/runs/20240502T100000Z-bbbbbb", "sha256:000000000000", passed=1
    )  # another digest
    write_run(
        repo / ".llmops/runs/20240503T100000Z-cccccc", digest, passed=0, failed=5, complete=False
    )  # killed
    code, out, err = cli(capsys, "release", "plan", "-C", repo)
    assert code == 0, err
    assert "prompts/classifier: 1.0.0 -> 1.1.0 (minor)" in out
    assert "minor  optional input 'tone' added" in out and "minor  template changed (messages 0)" in out
    assert "suites/classifier-regression: 1.0.0 -> 1.1.0 (minor)" in out
    assert "referenced Prompt/classifier changed" in out
    assert "policies/pii-default" not in out  # unchanged
    assert f"digest {digest}; evidence:" in out
    assert (
        f"classifier-regression x {MODEL}: pass rate 95.0% (19/20), cost $0.0200, suite gates passed" in out
    )
    assert "(run 20240501T100000Z-aaaaaa)" in out
    code, out, _ = cli(capsys, "release", "plan", "-C", repo, "--format", "json", "classifier")
    [item] = json.loads(out)["artifacts"]
    assert item["version"] == "1.1.0" and item["evidence_passed"] is True
    assert item["evidence"][0]["metrics"]["pass_rate"] == pytest.approx(0.95)


def test_a_referenced_policy_change_is_a_minor_bump_of_the_prompt(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "release", "tag", "-C", repo)[0] == 0
    (repo / "guardrails/pii.yaml").write_text(
        POLICY.replace("output: block", "output: warn"), encoding="utf-8"
    )
    commit_all(repo, "weaken")
    code, out, _ = cli(capsys, "release", "plan", "-C", repo)
    assert code == 0
    assert "policies/pii-default: 1.0.0 -> 2.0.0 (major)" in out
    assert "check 'pii' output action block -> warn (weakened)" in out
    assert (
        "prompts/classifier: 1.0.0 -> 1.1.0 (minor)" in out
        and "referenced GuardrailPolicy/pii-default changed" in out
    )


def test_release_tag_refusals(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(capsys, "release", "tag", "-C", repo, "classifier")[0] == 0
    assert tags(repo) == ["prompts/classifier@1.0.0"]  # only what was named
    # a named artifact that did not change
    code, _, err = cli(capsys, "release", "tag", "-C", repo, "prompts/classifier")
    assert code == 1 and "prompts/classifier: unchanged since prompts/classifier@1.0.0" in err
    # a dirty tree
    (repo / "prompts/classifier.yaml").write_text(
        PROMPT.replace("Classify a document", "Classify"), encoding="utf-8"
    )
    code, _, err = cli(capsys, "release", "tag", "-C", repo)
    assert code == 1 and "the working tree is not clean (prompts/classifier.yaml)" in err
    commit_all(repo, "describe")
    (repo / "notes.txt").write_text("untracked\n", encoding="utf-8")
    code, _, err = cli(capsys, "release", "tag", "-C", repo)
    assert code == 1 and "not clean (notes.txt)" in err
    (repo / "notes.txt").unlink()
    # an existing tag: one created after the tags were read (a concurrent run) is refused, never moved
    real_releases = Repository.releases
    with monkeypatch.context() as patch:
        patch.setattr(Repository, "releases", lambda self, key=None: [])
        code, _, err = cli(capsys, "release", "tag", "-C", repo, "classifier")
    assert code == 1 and "tag prompts/classifier@1.0.0 already exists (tags are never moved)" in err
    assert Repository.releases is real_releases
    # --require-eval without results, then with failing results, then with passing ones
    code, _, err = cli(capsys, "release", "tag", "-C", repo, "classifier", "--require-eval")
    assert code == 1 and f"--require-eval: no eval results for digest {digest_of(repo)}" in err
    failing = write_run(repo.parent / "results" / "run-1", digest_of(repo), passed=5, failed=5)
    code, _, err = cli(
        capsys, "release", "tag", "-C", repo, "classifier", "--require-eval", "--results", failing
    )
    assert code == 1 and "failed its suite thresholds (pass_rate 50.0% < min 0.9)" in err
    assert tags(repo) == ["prompts/classifier@1.0.0"] and git(repo, "status", "--porcelain") == ""
    (repo / "guardrails/pii.yaml").write_text(POLICY.replace("redact", "mask"), encoding="utf-8")
    commit_all(repo, "a policy change too: policies and suites need no evidence")
    passing = write_run(
        repo.parent / "results" / "run-2", digest_of(repo), passed=10, finished="2024-06-01T00:00:00Z"
    )
    code, out, err = cli(capsys, "release", "tag", "-C", repo, "--require-eval", "--results", passing.parent)
    assert code == 0, err
    assert (
        "Tagged prompts/classifier@1.1.0 (minor: referenced GuardrailPolicy/pii-default changed; "
        "metadata changed (description))" in out
    )
    assert "Tagged policies/pii-default@1.0.0 (first release)" in out
    assert (
        "evidence: not applicable (eval results target prompts and RAG pipelines, not a GuardrailPolicy)"
        in out
    )
    data = tag_data(repo, "prompts/classifier@1.1.0")
    assert data["evidence_passed"] is True and data["evidence"][0]["run_id"] == "run-2"
    assert data["previous"] == "1.0.0" and data["reasons"] == [
        {"level": "minor", "reason": "referenced GuardrailPolicy/pii-default changed"},
        {"level": "patch", "reason": "metadata changed (description)"},
    ]


def test_release_tag_misuse_exits_2(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "release", "tag", "-C", repo, "clasifier")
    assert code == 2 and "no artifact prompts/clasifier (did you mean 'prompts/classifier'?)" in err
    code, _, err = cli(capsys, "release", "plan", "-C", repo, "widgets/x")
    assert code == 2 and "unknown artifact prefix 'widgets'" in err
    assert cli(capsys, "release", "tag", "-C", repo)[0] == 0
    (repo / "prompts/classifier.yaml").write_text(
        PROMPT.replace("temperature: 0", "temperature: 0.5"), encoding="utf-8"
    )
    commit_all(repo, "params")
    code, _, err = cli(capsys, "release", "tag", "-C", repo, "classifier", "--bump", "patch")
    assert code == 2 and "--bump patch: prompts/classifier needs at least a minor bump" in err
    code, _, err = cli(capsys, "release", "tag", "-C", repo, "classifier", "--version", "1.0.5")
    assert code == 2 and "--version 1.0.5: prompts/classifier needs at least 1.1.0" in err
    code, _, err = cli(capsys, "release", "tag", "-C", repo, "--version", "3.0.0")
    assert code == 2 and "--version needs exactly one NAME" in err
    code, _, err = cli(capsys, "release", "tag", "-C", repo, "classifier", "--version", "3.0")
    assert code == 2 and "--version: '3.0' is not a semantic version" in err
    code, out, err = cli(capsys, "release", "tag", "-C", repo, "classifier", "--bump", "major")
    assert code == 0, err
    assert "prompts/classifier@2.0.0" in out
    (repo / "prompts/classifier.yaml").write_text(
        PROMPT.replace("temperature: 0", "temperature: 0.7"), encoding="utf-8"
    )
    commit_all(repo, "params")
    code, out, err = cli(capsys, "release", "tag", "-C", repo, "classifier", "--version", "4.0.0")
    assert code == 0 and "prompts/classifier@4.0.0" in out, err
    assert (
        "version set to 4.0.0 by --version"
        in tag_data(repo, "prompts/classifier@4.0.0")["reasons"][-1]["reason"]
    )
    plain = make_repo(tmp_path / "plain-dir", {"llmops.yaml": PROJECT})
    subprocess.run(["rm", "-rf", str(plain / ".git")], check=True)
    code, _, err = cli(capsys, "release", "plan", "-C", plain)
    assert code == 2 and "is not inside a git repository" in err


def test_no_git_identity_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "config", "--unset", "user.email")
    git(repo, "config", "user.useConfigOnly", "true")
    code, _, err = cli(capsys, "release", "tag", "-C", repo)
    assert code == 1 and "no git identity: set it with git config user.name" in err
    assert tags(repo) == []


def test_an_invalid_artifact_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "prompts/classifier.yaml").write_text(PROMPT.replace("messages:", "mesages:"), encoding="utf-8")
    commit_all(repo, "break")
    code, out, _ = cli(capsys, "release", "plan", "-C", repo)
    assert code == 0 and "prompts/classifier: cannot release:" in out and "S001" in out
    code, _, err = cli(capsys, "release", "tag", "-C", repo)
    assert code == 1 and "prompts/classifier: not valid" in err and tags(repo) == []


def test_the_ref_transaction_is_all_or_nothing(repo: Path) -> None:
    g = Git(repo)
    head = g.head()
    commit = g.commit_files(head, {"CHANGELOG.md": "# x\n"}, "release: test\n")
    git(repo, "tag", "prompts/classifier@1.0.0", head)  # taken by someone else
    with pytest.raises(Exception, match=r"prompts/classifier@1\.0\.0 already exists"):
        g.transaction(
            branch=("refs/heads/main", commit, head),
            tags=[
                NewTag("policies/pii-default@1.0.0", commit, "m"),
                NewTag("prompts/classifier@1.0.0", commit, "m"),
            ],
        )
    assert g.head() == head and tags(repo) == ["prompts/classifier@1.0.0"]
    git(repo, "commit", "-q", "--allow-empty", "-m", "moved on")
    with pytest.raises(Exception, match="main moved while releasing"):
        g.transaction(
            branch=("refs/heads/main", commit, head), tags=[NewTag("policies/pii-default@1.0.0", commit, "m")]
        )
    assert tags(repo) == ["prompts/classifier@1.0.0"]


def _release_process(repo: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "llmops_ci.cli", "release", "tag", "-C", str(repo)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_two_concurrent_release_tag_runs_leave_no_half_written_state(repo: Path) -> None:
    for round_number, edit in enumerate([None, "Classify a business document"]):
        if edit:
            (repo / "prompts/classifier.yaml").write_text(
                PROMPT.replace("Classify a document", edit), encoding="utf-8"
            )
            commit_all(repo, "edit")
        commits_before = int(git(repo, "rev-list", "--count", "HEAD"))
        first, second = _release_process(repo), _release_process(repo)
        results = [
            (p.wait(timeout=60), p.stdout.read() if p.stdout else "", p.stderr.read() if p.stderr else "")
            for p in (first, second)
        ]
        codes = sorted(code for code, _, _ in results)
        assert codes[0] == 0, results
        assert codes[1] in (0, 1), results
        winners = [r for r in results if r[0] == 0 and "Tagged" in r[1]]
        assert len(winners) == 1, results  # exactly one run released
        loser = next(r for r in results if r is not winners[0])
        refused = loser[0] == 1 and any(
            reason in loser[2] for reason in ("nothing was written", "not clean", "already exists")
        )
        assert refused or (loser[0] == 0 and "Nothing to release" in loser[1]), loser
        assert int(git(repo, "rev-list", "--count", "HEAD")) == commits_before + 1
        assert git(repo, "status", "--porcelain") == "", "the working tree must be clean"
        changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
        assert changelog == git(repo, "show", "HEAD:CHANGELOG.md")
        expected_tags = 3 if round_number == 0 else 5  # then the prompt and its suite again
        assert len(tags(repo)) == expected_tags and changelog.count("\n## ") == expected_tags
        assert all(git(repo, "cat-file", "-t", t).strip() == "tag" for t in tags(repo))


# --- ci release: tag push ---------------------------------------------------------------------------------


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    paths = {"event": tmp_path / "event.json", "summary": tmp_path / "step-summary.md"}
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(paths["event"]))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(paths["summary"]))
    yield paths


def push_event(monkeypatch: pytest.MonkeyPatch, paths: dict[str, Path], ref: str) -> None:
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_REF", ref)
    paths["event"].write_text(json.dumps({"ref": ref, "repository": {"full_name": "o/r"}}), encoding="utf-8")


def test_ci_release_verifies_a_release_tag_on_push(
    repo: Path, github: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(repo / ".llmops/runs/r1", digest_of(repo), passed=10)
    assert cli(capsys, "release", "tag", "-C", repo)[0] == 0
    push_event(monkeypatch, github, "refs/tags/prompts/classifier@1.0.0")
    (repo / "prompts/classifier.yaml").write_text(
        PROMPT.replace("temperature: 0", "temperature: 1"), encoding="utf-8"
    )
    commit_all(repo, "later work: the checkout need not be at the tag")
    code, out, err = cli(capsys, "ci", "release", "-C", repo, "--require-eval")
    assert code == 0, out + err
    assert "## Release prompts/classifier@1.0.0" in out and "**Verified**" in out
    assert f"content digest `{tag_data(repo, 'prompts/classifier@1.0.0')['digest']}` matches" in out
    summary = github["summary"].read_text(encoding="utf-8")
    assert "**Verified**" in summary and "pass rate 100.0% (10/10)" in summary
    # a suite is not an eval target: no evidence needed
    push_event(monkeypatch, github, "refs/tags/suites/classifier-regression@1.0.0")
    code, out, _ = cli(capsys, "ci", "release", "-C", repo, "--require-eval")
    assert code == 0 and "evidence: none recorded" in out
    # a prompt released without evidence fails --require-eval
    assert cli(capsys, "release", "tag", "-C", repo, "classifier")[0] == 0
    push_event(monkeypatch, github, "refs/tags/prompts/classifier@1.1.0")
    code, out, _ = cli(capsys, "ci", "release", "-C", repo, "--require-eval")
    assert code == 1 and "--require-eval: the tag records no eval evidence" in out
    assert cli(capsys, "ci", "release", "-C", repo)[0] == 0
    # a hand-made tag whose data lies about the digest
    lie = tag_data(repo, "prompts/classifier@1.0.0") | {"digest": "sha256:0123456789ab"}
    message = (
        "Release prompts/classifier 1.0.1\n\n--- llmops-ci data (read by llmops-ci; do not edit) ---\n"
        + json.dumps(lie)
    )
    git(repo, "tag", "-a", "prompts/classifier@1.0.1", "-m", message)
    push_event(monkeypatch, github, "refs/tags/prompts/classifier@1.0.1")
    code, out, _ = cli(capsys, "ci", "release", "-C", repo)
    assert code == 1 and "digest mismatch: the tag records sha256:0123456789ab" in out
    git(repo, "tag", "prompts/classifier@1.0.2")  # lightweight, made by hand
    push_event(monkeypatch, github, "refs/tags/prompts/classifier@1.0.2")
    code, out, _ = cli(capsys, "ci", "release", "-C", repo)
    assert code == 1 and "not made by llmops-ci release tag" in out
    push_event(monkeypatch, github, "refs/tags/v1.0.0")
    code, out, _ = cli(capsys, "ci", "release", "-C", repo)
    assert code == 0 and "not an llmops-ci release or promotion tag" in out
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    code, out, _ = cli(capsys, "ci", "release", "-C", repo)
    assert code == 0 and "nothing to do for event pull_request" in out


def test_help_lists_the_release_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--help")
    assert code == 0
    for command in ("release", "promote", "rollback", "history", "ci"):
        assert f"  {command} " in out
    code, out, _ = cli(capsys, "release", "--help")
    assert code == 0 and "plan" in out and "tag" in out
    code, out, _ = cli(capsys, "ci", "--help")
    assert code == 0 and "release" in out
    code, out, _ = cli(capsys, "promote", "--help")
    assert code == 0 and "--to ENV" in out and "--weight" in out and "--update-env-file" in out
