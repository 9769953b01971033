"""The runtime: ``load_prompt`` from the promotion tags (real temporary git repositories) and from
``llmops.lock`` (a deploy directory without .git, and without git on PATH), sticky weighted rollouts,
``complete``/``acomplete`` with guardrails, fallbacks, the response cache and the audit log (over real HTTP
to the fake OpenAI server, and through an in-process ``local/`` model), audit rotation, retention and
concurrent writers, lint rule V001 against real tags, and the lazy ``import llmops_ci``."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import multiprocessing
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from llmops_ci import load_prompt
from llmops_ci.lint.rules import RULES
from llmops_ci.runtime import (
    AuditLog,
    GuardrailBlocked,
    ModelCallError,
    PromptInputError,
    PromptLoadError,
    clear,
    lockfile,
    rollout,
)
from llmops_ci.runtime.audit import audit_files, redact
from tests.conftest import lint_repo, write_files
from tests.fakes.openai_server import OpenAIServer
from tests.test_release import (
    POLICY,
    PROJECT,
    PROMPT,
    STAGING,
    SUITE,
    _isolated_git,
    cli,
    commit_all,
    digest_of,
    git,
    make_repo,
    tag_data,
    write_run,
)

__all__ = ["_isolated_git"]  # the autouse fixture applies here too

ROOT = Path(__file__).resolve().parent.parent
MODEL = "openai/gpt-4o-mini-2024-07-18"
LOCAL_PROJECT = PROJECT.replace(
    "spec: {}", 'spec:\n  providers: {local: {keywords: "tests.local_models:KeywordClassifier"}}'
)
STAGED_PROMPT = PROMPT.replace(
    "{id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0, max_tokens: 20}}",
    "{id: local/keywords, params: {temperature: 0}}",
)
V1_SYSTEM = "Classify the document: invoice, contract or nda."
V2_SYSTEM = "Classify the document: invoice, contract, nda or order."
GITHUB_TOKEN = "ghp_1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ12"
AUDIT_SCHEMA = Draft202012Validator(
    json.loads((ROOT / "schemas/audit-record.schema.json").read_text(encoding="utf-8"))
)
LOCK_SCHEMA = Draft202012Validator(
    json.loads((ROOT / "schemas/lock.schema.json").read_text(encoding="utf-8"))
)


@pytest.fixture(autouse=True)
def _fresh_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("LLMOPS_LOCK", "LLMOPS_AUDIT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    clear()
    yield
    clear()


@pytest.fixture
def staged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """classifier 1.0.0 fully live in staging, then 1.1.0 promoted as a 10% canary; a third version is
    committed but not released, and the working tree holds a fourth, uncommitted."""
    repo = make_repo(
        tmp_path / "repo",
        {
            "llmops.yaml": LOCAL_PROJECT,
            "prompts/classifier.yaml": STAGED_PROMPT,
            "guardrails/pii.yaml": POLICY,
            "evals/classifier.yaml": SUITE,
            "environments/staging.yaml": STAGING,
            ".gitignore": ".llmops/\n",
        },
    )
    write_run(repo / ".llmops/runs/run-1", digest_of(repo), passed=20)
    assert cli(capsys, "release", "tag", "-C", repo, "classifier")[0] == 0
    assert cli(capsys, "promote", "classifier@1.0.0", "--to", "staging", "-C", repo)[0] == 0
    prompt = repo / "prompts/classifier.yaml"
    prompt.write_text(STAGED_PROMPT.replace(V1_SYSTEM, V2_SYSTEM), encoding="utf-8")
    commit_all(repo, "v2")
    write_run(repo / ".llmops/runs/run-2", digest_of(repo), passed=20)
    assert cli(capsys, "release", "tag", "-C", repo, "classifier")[0] == 0
    code, _, err = cli(capsys, "promote", "classifier@1.1.0", "--to", "staging", "--weight", "10", "-C", repo)
    assert code == 0, err
    prompt.write_text(STAGED_PROMPT.replace(V1_SYSTEM, "Committed, never released."), encoding="utf-8")
    commit_all(repo, "v3")
    prompt.write_text(STAGED_PROMPT.replace(V1_SYSTEM, "Working tree."), encoding="utf-8")
    return repo


def keys_for(version: str, weight_from: int = 90) -> str:
    """A sticky key that lands on the canary (bucket >= 90) or the stable version (below)."""
    for number in range(10_000):
        key = f"user-{number}"
        if (rollout.bucket("classifier", key) >= weight_from) == (version == "1.1.0"):
            return key
    raise AssertionError("no key found")  # pragma: no cover


# --- resolution from the tags ------------------------------------------------------------------------------


def test_load_prompt_serves_the_released_content_of_the_live_split(staged: Path) -> None:
    stable, canary = keys_for("1.0.0"), keys_for("1.1.0")
    prompt = load_prompt("classifier", env="staging", project=staged, key=stable)
    assert (prompt.version, prompt.source, prompt.env) == ("1.0.0", "git", "staging")
    assert prompt.digest == tag_data(staged, "prompts/classifier@1.0.0")["digest"]
    assert prompt.promotion == "promotions/staging/prompts/classifier/0002"
    assert prompt.release_tag == "prompts/classifier@1.0.0" and prompt.bucket is not None
    assert prompt.render(document="INVOICE 7") == [
        {"role": "system", "content": V1_SYSTEM},
        {"role": "user", "content": "INVOICE 7"},
    ]
    assert [policy.name for policy in prompt.policies] == ["pii-default"]
    canary_prompt = load_prompt("prompts/classifier", env="staging", project=staged, key=canary)
    assert canary_prompt.version == "1.1.0"
    assert canary_prompt.digest == tag_data(staged, "prompts/classifier@1.1.0")["digest"]
    assert canary_prompt.render(document="x")[0]["content"] == V2_SYSTEM
    # sticky: the same key, the same version; about 10% of keys on the canary
    assert all(
        load_prompt("classifier", env="staging", project=staged, key=canary).version == "1.1.0"
        for _ in range(5)
    )
    versions = [
        load_prompt("classifier", "staging", project=staged, key=f"k{i}").version for i in range(2000)
    ]
    assert 0.07 < versions.count("1.1.0") / len(versions) < 0.13
    # without env: the working tree, for development
    dev = load_prompt("classifier", project=staged)
    assert (dev.version, dev.source, dev.env) == ("dev", "working-tree", None)
    assert dev.digest == digest_of(staged) and dev.render(document="x")[0]["content"] == "Working tree."


def test_promotions_are_read_again_on_reload_and_errors_are_clear(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = keys_for("1.0.0")
    assert load_prompt("classifier", env="staging", project=staged, key=canary).version == "1.0.0"
    assert cli(capsys, "promote", "classifier@1.1.0", "--to", "staging", "-C", staged)[0] == 0
    assert load_prompt("classifier", env="staging", project=staged, key=canary).version == "1.0.0"
    fresh = load_prompt("classifier", env="staging", project=staged, key=canary, reload=True)
    assert (fresh.version, fresh.bucket) == ("1.1.0", rollout.bucket("classifier", canary))
    with pytest.raises(PromptLoadError, match=r"prompt 'classifier' is not promoted to 'prod'"):
        load_prompt("classifier", env="prod", project=staged)
    with pytest.raises(PromptLoadError, match="load_prompt loads prompts, not a GuardrailPolicy"):
        load_prompt("policies/pii-default", env="staging", project=staged)
    with pytest.raises(PromptLoadError, match="no Prompt named 'nope'"):
        load_prompt("nope", project=staged)


def test_rollout_buckets_are_stable_and_monotonic() -> None:
    assert rollout.bucket("classifier", "user-123") == rollout.bucket("classifier", "user-123")
    assert rollout.point("classifier", "user-123") == 65.35  # sha256: the same on every machine
    split = [{"version": "1.0.0", "weight": 90}, {"version": "1.1.0", "weight": 10}]
    wider = [{"version": "1.0.0", "weight": 80}, {"version": "1.1.0", "weight": 20}]
    keys = [f"k{i}" for i in range(500)]
    before = {k: rollout.choose(split, rollout.point("p", k)) for k in keys}
    after = {k: rollout.choose(wider, rollout.point("p", k)) for k in keys}
    assert all(after[k] == "1.1.0" for k in keys if before[k] == "1.1.0"), "a canary key never moves back"
    assert rollout.choose([{"version": "2.0.0", "weight": 100}], 99.99) == "2.0.0"


# --- the lock --------------------------------------------------------------------------------------------


def test_lock_round_trip(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "release", "lock", "--env", "staging", "-C", staged)
    assert code == 0, err
    assert "staging: prompts/classifier 1.0.0 (90%) / 1.1.0 (10%)" in out
    path = staged / "llmops.lock"
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(LOCK_SCHEMA.iter_errors(data)) == []
    entry = data["environments"]["staging"]["artifacts"]["prompts/classifier"]
    assert entry["live"] == [{"version": "1.0.0", "weight": 90}, {"version": "1.1.0", "weight": 10}]
    locked = entry["versions"]["1.1.0"]
    assert locked["digest"] == tag_data(staged, "prompts/classifier@1.1.0")["digest"]
    assert sorted(locked["files"]) == ["guardrails/pii.yaml", "llmops.yaml", "prompts/classifier.yaml"]
    assert V2_SYSTEM in data["blobs"][locked["files"]["prompts/classifier.yaml"]]
    # rebuilt from the same tags: byte-identical; --check agrees
    assert (
        cli(capsys, "release", "lock", "--env", "staging", "-C", staged, "-o", staged / "again.lock")[0] == 0
    )
    assert (staged / "again.lock").read_text(encoding="utf-8") == text
    assert cli(capsys, "release", "lock", "--env", "staging", "-C", staged, "--check")[0] == 0
    # read back, the lock gives what the tags give
    lock = lockfile.read(path)
    for version in ("1.0.0", "1.1.0"):
        key = keys_for(version)
        from_git = load_prompt("classifier", env="staging", project=staged, key=key, source="git")
        from_lock = load_prompt("classifier", env="staging", lock=path, key=key)
        assert from_lock.source == "lock" and from_git.source == "git"
        assert (
            (from_lock.version, from_lock.digest)
            == (from_git.version, from_git.digest)
            == (
                version,
                lock.data["environments"]["staging"]["artifacts"]["prompts/classifier"]["versions"][version][
                    "digest"
                ],
            )
        )
        assert from_lock.render(document="d") == from_git.render(document="d")
    # a new promotion makes it stale
    assert cli(capsys, "promote", "classifier@1.1.0", "--to", "staging", "-C", staged)[0] == 0
    code, _, err = cli(capsys, "release", "lock", "--env", "staging", "-C", staged, "--check")
    assert code == 1 and "is out of date: run llmops-ci release lock --env staging" in err
    code, _, err = cli(capsys, "release", "lock", "--env", "nowhere", "-C", staged)
    assert code == 2 and "no Environment named 'nowhere'" in err


def test_loader_with_no_git_reads_the_lock_and_verifies_it(
    staged: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(capsys, "release", "lock", "--env", "staging", "-C", staged)[0] == 0
    deploy = tmp_path / "deploy" / "app"
    deploy.mkdir(parents=True)
    shutil.copy(staged / "llmops.lock", deploy.parent / "llmops.lock")  # found above the working dir
    monkeypatch.chdir(deploy)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no git at all
    assert not any((d / ".git").exists() for d in (deploy, *deploy.parents))
    prompt = load_prompt("classifier", env="staging", key=keys_for("1.1.0"))
    assert (prompt.version, prompt.source) == ("1.1.0", "lock")
    assert prompt.render(document="x")[0]["content"] == V2_SYSTEM
    assert [policy.name for policy in prompt.policies] == ["pii-default"]
    # the locked policy guards, the locked project registers the local model, the audit goes next to the lock
    result = prompt.complete(document="INVOICE from jane@example.com")
    assert (result.text, result.model, result.version) == ("invoice", "local/keywords", "1.1.0")
    assert result.guardrails["input"]["modified"] is True
    records = list(AuditLog(deploy.parent / ".llmops/audit").records())
    assert [r["source"] for r in records] == ["lock"] and "jane@" not in json.dumps(records)
    assert records[0]["input"][1]["content"] == "INVOICE from [EMAIL_ADDRESS]"
    with pytest.raises(PromptLoadError, match="does not lock environment 'prod'"):
        load_prompt("classifier", env="prod")
    with pytest.raises(PromptLoadError, match="a lock pins environments: pass env="):
        load_prompt("classifier", lock=deploy.parent / "llmops.lock")

    def tampered(change: Any) -> Path:
        data = json.loads((staged / "llmops.lock").read_text(encoding="utf-8"))
        change(data)
        target = tmp_path / f"tampered-{len(list(tmp_path.glob('tampered-*')))}.lock"
        target.write_text(json.dumps(data), encoding="utf-8")
        return target

    def edit_blob(data: dict[str, Any], consistent: bool) -> None:
        versions = data["environments"]["staging"]["artifacts"]["prompts/classifier"]["versions"]
        for locked in versions.values():
            old = locked["files"]["prompts/classifier.yaml"]
            text = data["blobs"][old].replace("Classify the document", "Ignore the document")
            if not consistent:
                data["blobs"][old] = text
                continue
            from llmops_ci.artifacts.digest import sha256_hex

            new = sha256_hex(text.encode("utf-8"))
            data["blobs"][new] = text
            locked["files"]["prompts/classifier.yaml"] = new

    with pytest.raises(PromptLoadError, match="does not match its sha256"):
        load_prompt("classifier", env="staging", lock=tampered(lambda d: edit_blob(d, False)))
    with pytest.raises(PromptLoadError, match=r"has digest sha256:\w+, but its release recorded sha256:"):
        load_prompt("classifier", env="staging", lock=tampered(lambda d: edit_blob(d, True)))
    with pytest.raises(PromptLoadError, match="lock_version 2 was written by a newer llmops-ci"):
        load_prompt("classifier", env="staging", lock=tampered(lambda d: d.update(lock_version=2)))
    with pytest.raises(PromptLoadError, match="not a valid lock: environments/staging: 'artifacts'"):
        load_prompt(
            "classifier", env="staging", lock=tampered(lambda d: d["environments"]["staging"].clear())
        )
    monkeypatch.chdir(tmp_path)
    (deploy.parent / "llmops.lock").unlink()
    with pytest.raises(PromptLoadError, match=r"no git repository with promotion tags and no llmops\.lock"):
        load_prompt("classifier", env="staging", project=deploy)


def test_lock_refuses_an_environment_with_nothing_promoted(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (staged / "environments/prod.yaml").write_text(
        STAGING.replace("name: staging", "name: prod"), encoding="utf-8"
    )
    code, _, err = cli(capsys, "release", "lock", "--env", "prod", "-C", staged)
    assert code == 1 and "nothing is promoted to prod yet" in err
    assert not (staged / "llmops.lock").exists()


# --- calling ---------------------------------------------------------------------------------------------

GUARDED_POLICY = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: pii-default}
spec:
  checks:
    - id: pii
      type: pii
      entities: [EMAIL_ADDRESS]
      scopes: {input: redact, output: block, retrieval: redact}
    - {id: secrets, type: secrets, scopes: {input: block, output: block}}
    - {id: internal, type: denylist, terms: [CONFIDENTIAL], scopes: {retrieval: block}}
"""


def guarded_project(root: Path, api_base: str) -> Path:
    model = f'{{id: {MODEL}, api_base: "{api_base}", params: {{temperature: 0, max_tokens: 50}}'
    classifier = PROMPT.replace(
        "{id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0, max_tokens: 20}}",
        model + ", fallbacks: [local/keywords]}",
    )
    strict = classifier.replace("name: classifier", "name: strict").replace(
        "fallbacks: [local/keywords]",
        f'fallbacks: [{{id: openai/gpt-4.1-mini-2025-04-14, api_base: "{api_base}"}}]',
    )
    answer = f"""\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {{name: answer}}
spec:
  model: {model}}}
  inputs:
    type: object
    required: [question]
    properties: {{question: {{type: string}}}}
  messages:
    - role: user
      content: |
        {{% for chunk in context %}}[{{{{ chunk.id }}}}] {{{{ chunk.text }}}}
        {{% endfor %}}Question: {{{{ question }}}}
  guardrails: [pii-default]
"""
    return write_files(
        root,
        {
            "llmops.yaml": LOCAL_PROJECT,
            "prompts/classifier.yaml": classifier,
            "prompts/strict.yaml": strict,
            "prompts/answer.yaml": answer,
            "guardrails/pii.yaml": GUARDED_POLICY,
        },
    )


def test_complete_applies_guardrails_falls_back_and_audits_every_call(
    openai_server: OpenAIServer, tmp_path: Path
) -> None:
    openai_server.reply(r"INVOICE", "invoice")
    openai_server.reply(r"LEAK", "write to bob@example.com")
    root = guarded_project(tmp_path / "proj", openai_server.base_url)
    audit_dir = tmp_path / "audit"
    prompt = load_prompt("classifier", project=root, audit=audit_dir)
    assert prompt.model == MODEL and prompt.fallbacks == ["local/keywords"]

    result = prompt.complete(document="INVOICE 1 from jane@example.com")
    assert (result.text, result.model, result.fallback, result.cache_hit) == ("invoice", MODEL, False, False)
    sent = openai_server.requests[-1].body["messages"]
    assert sent[-1]["content"] == "INVOICE 1 from [EMAIL_ADDRESS]"
    assert result.input_tokens and result.output_tokens and result.cost_usd and result.cost_usd > 0
    assert result.guardrails["input"]["verdict"] == "pass" and result.guardrails["input"]["modified"]

    openai_server.fail_next(1, status=500)
    fell_back = prompt.complete(document="INVOICE 2")
    assert (fell_back.text, fell_back.model, fell_back.fallback) == ("invoice", "local/keywords", True)
    assert [e["kind"] for e in fell_back.errors] == ["provider"] and fell_back.cost_usd == 0

    with pytest.raises(GuardrailBlocked) as blocked_output:
        prompt.complete(document="LEAK please")
    assert blocked_output.value.scope == "output" and blocked_output.value.verdict.blocked
    assert "output blocked by guardrail pii-default/pii (EMAIL_ADDRESS)" in str(blocked_output.value)

    calls = openai_server.request_count
    with pytest.raises(GuardrailBlocked, match="input blocked by guardrail pii-default/secrets") as blocked:
        prompt.complete(document=f"INVOICE with token {GITHUB_TOKEN}")
    assert openai_server.request_count == calls, "a blocked input never reaches the model"

    strict = load_prompt("strict", project=root, audit=audit_dir)
    openai_server.fail_next(2, status=503)
    with pytest.raises(ModelCallError) as failed:
        strict.complete(document="INVOICE 3")
    assert [e["model"] for e in failed.value.errors] == [MODEL, "openai/gpt-4.1-mini-2025-04-14"]

    with pytest.raises(PromptInputError, match="inputs of classifier@dev: inputs: 'document' is a required"):
        prompt.complete(text="no document")

    records = list(AuditLog(audit_dir).records())
    for record in records:
        assert list(AUDIT_SCHEMA.iter_errors(record)) == [], record
    assert [(r["outcome"], r["blocked"]) for r in records] == [
        ("ok", None),
        ("ok", None),
        ("blocked", "output"),
        ("blocked", "input"),
        ("error", None),
    ]
    assert [r["id"] for r in records[2:4]] == [blocked_output.value.audit_id, blocked.value.audit_id]
    assert records[0]["id"] == result.audit_id and records[4]["id"] == failed.value.audit_id
    assert records[0]["artifact"] == "classifier@dev" and records[0]["source"] == "working-tree"
    assert records[1]["model"] == "local/keywords" and records[1]["fallback"] is True
    assert records[1]["models_tried"] == [MODEL, "local/keywords"]
    assert records[2]["output"] is None and records[2]["guardrails"]["output"]["verdict"] == "block"
    assert records[4]["models_tried"] == [MODEL, "openai/gpt-4.1-mini-2025-04-14"]
    raw = "".join(path.read_text(encoding="utf-8") for _, _, path in audit_files(audit_dir))
    for secret in ("jane@example.com", "bob@example.com", GITHUB_TOKEN):
        assert secret not in raw
    assert "[GITHUB_TOKEN]" in raw and "[EMAIL_ADDRESS]" in raw


def test_retrieved_chunks_pass_the_retrieval_checks(openai_server: OpenAIServer, tmp_path: Path) -> None:
    root = guarded_project(tmp_path / "proj", openai_server.base_url)
    prompt = load_prompt("answer", project=root, audit=tmp_path / "audit")
    chunks = [
        {"id": "a", "text": "Invoices are due in 30 days.", "source": "faq.md", "score": 0.9},
        {"id": "b", "text": "CONFIDENTIAL: margins", "source": "plan.md", "score": 0.8},
        {"id": "c", "text": "Ask jane@example.com", "source": "team.md", "score": 0.7},
    ]
    result = prompt.complete(question="When are invoices due?", context=chunks)
    sent = openai_server.requests[-1].body["messages"][-1]["content"]
    assert (
        sent
        == "[a] Invoices are due in 30 days.\n[c] Ask [EMAIL_ADDRESS]\nQuestion: When are invoices due?\n"
    )
    assert result.guardrails["retrieval"]["verdict"] == "block"
    (record,) = AuditLog(tmp_path / "audit").records()
    assert record["rag"] == {"chunk_ids": ["a", "b", "c"], "dropped_chunk_ids": ["b"]}


def test_response_cache_serves_repeated_requests(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.reply(r"INVOICE", "invoice")
    root = guarded_project(tmp_path / "proj", openai_server.base_url)
    first = load_prompt("classifier", project=root, cache=True, audit=tmp_path / "audit")
    assert first.complete(document="INVOICE 9").cache_hit is False
    again = load_prompt("classifier", project=root, cache=True, audit=tmp_path / "audit")
    hit = again.complete(document="INVOICE 9")
    assert (hit.cache_hit, hit.text, hit.cost_usd, openai_server.request_count) == (True, "invoice", 0.0, 1)
    assert again.complete(document="INVOICE 10").cache_hit is False and openai_server.request_count == 2
    assert list((root / ".llmops/cache/packs").glob("*/*.jsonl")), "entries go to the project's cache"
    records = list(AuditLog(tmp_path / "audit").records())
    assert [r["cache_hit"] for r in records] == [False, True, False] and records[1]["cost_usd"] == 0
    # the key is the one eval uses (model, params, messages, repeat 0): eval's cached answers serve too
    from llmops_ci.eval.plan import ModelSpec, request_key

    sent = openai_server.requests[0].body["messages"]
    key = request_key(ModelSpec(MODEL, {"temperature": 0, "max_tokens": 50}), sent, 0)
    lines = [json.loads(line) for p in (root / ".llmops/cache/packs").glob("*/*.jsonl") for line in p.open()]
    assert key in {line["key"] for line in lines}


def test_async_and_sync_calls_with_and_without_a_running_loop(
    openai_server: OpenAIServer, tmp_path: Path
) -> None:
    openai_server.reply(r"INVOICE", "invoice")
    root = guarded_project(tmp_path / "proj", openai_server.base_url)
    prompt = load_prompt("classifier", project=root, audit=False)

    async def main() -> list[str]:
        results = await asyncio.gather(*(prompt.acomplete(document=f"INVOICE {i}") for i in range(5)))
        inside = prompt.complete(document="INVOICE sync inside a running loop")
        return [r.text for r in results] + [inside.text]

    assert asyncio.run(main()) == ["invoice"] * 6
    assert prompt.complete(document="INVOICE again").text == "invoice"
    threads = [
        threading.Thread(target=prompt.complete, kwargs={"document": f"INVOICE t{i}"}) for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert openai_server.request_count == 11


def test_render_checks_inputs_and_locates_template_errors(tmp_path: Path) -> None:
    broken = PROMPT.replace(
        '    - {role: user, content: "{{ document }}"}\n',
        "    - role: user\n      content: |\n        Document:\n        {{ document.missing }}\n",
    )
    root = write_files(
        tmp_path / "proj", {"llmops.yaml": PROJECT, "prompts/c.yaml": broken, "guardrails/p.yaml": POLICY}
    )
    prompt = load_prompt("classifier", project=root, audit=False)
    with pytest.raises(PromptInputError) as invalid:
        prompt.render(document="x" * 8001, lang=3)
    assert len(invalid.value.problems) == 1 and invalid.value.problems[0].endswith("is too long")
    with pytest.raises(PromptInputError, match="'document' is a required property"):
        prompt.render(context=[])
    with pytest.raises(
        PromptInputError, match=r"^prompts/c.yaml:16:9: classifier@dev, message 2: .*'missing'"
    ):
        prompt.render(document="fine")


# --- audit log -------------------------------------------------------------------------------------------


def record_of(number: int, size: int = 0) -> dict[str, Any]:
    return {"id": f"{number:032x}", "n": number, "pad": "x" * size}


def test_audit_rotates_by_size_and_day_and_keeps_what_retention_says(tmp_path: Path) -> None:
    directory = tmp_path / "audit"
    log = AuditLog(directory, max_bytes=300, keep_days=2)
    day1 = dt.datetime(2025, 1, 30, 23, 0, tzinfo=dt.timezone.utc)
    paths = [log.write(record_of(i, 40), now=day1) for i in range(5)]  # 97 bytes each
    assert [p.name for p in paths] == [
        "audit-2025-01-30.jsonl",
        "audit-2025-01-30.jsonl",
        "audit-2025-01-30.jsonl",
        "audit-2025-01-30.1.jsonl",
        "audit-2025-01-30.1.jsonl",
    ]
    big = log.write(record_of(99, 1000), now=day1)
    assert big.name == "audit-2025-01-30.2.jsonl"  # alone in its file, whole
    assert log.write(record_of(100), now=day1).name == "audit-2025-01-30.3.jsonl"
    assert all(p.stat().st_size <= 300 for _, _, p in audit_files(directory) if p != big)
    assert stat.S_IMODE(big.stat().st_mode) == 0o600 and stat.S_IMODE(directory.stat().st_mode) == 0o700
    day2, day3 = day1 + dt.timedelta(days=1), day1 + dt.timedelta(days=2)
    assert log.write(record_of(200), now=day2).name == "audit-2025-01-31.jsonl"
    assert len(audit_files(directory)) == 5
    log.write(record_of(300), now=day3)
    assert [p.name for _, _, p in audit_files(directory)] == [
        "audit-2025-01-31.jsonl",
        "audit-2025-02-01.jsonl",
    ]
    # a second writer (another process) continues the newest file of the day
    other = AuditLog(directory, max_bytes=300, keep_days=2, keep_files=1)
    assert other.write(record_of(301), now=day3).name == "audit-2025-02-01.jsonl"
    other.write(record_of(302, 400), now=day3)
    assert [p.name for _, _, p in audit_files(directory)] == ["audit-2025-02-01.1.jsonl"]
    assert log.write(record_of(303), now=day3).name == "audit-2025-02-01.2.jsonl"  # the full one is skipped
    assert [r["n"] for r in AuditLog(directory).records()] == [302, 303]


def _write_many(directory: str, start: int, count: int) -> None:
    log = AuditLog(directory, max_bytes=4096)
    for number in range(start, start + count):
        log.write(record_of(number, 100 + number % 50))


def test_audit_writers_in_threads_and_processes_never_interleave(tmp_path: Path) -> None:
    directory = tmp_path / "audit"
    log = AuditLog(directory, max_bytes=4096)
    threads = [
        threading.Thread(target=lambda s=s: [log.write(record_of(n, 100)) for n in range(s, s + 60)])
        for s in range(0, 240, 60)
    ]
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_write_many, args=(str(directory), s, 60)) for s in (1000, 2000)]
    for process in processes:
        process.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    numbers = []
    for _, _, path in audit_files(directory):
        data = path.read_bytes()
        assert len(data) <= 4096 and data.endswith(b"\n")
        numbers += [json.loads(line)["n"] for line in data.splitlines()]
    expected = [*range(240), *range(1000, 1060), *range(2000, 2060)]
    assert sorted(numbers) == expected


def test_audit_redaction_covers_pii_and_secrets() -> None:
    text = f"mail jane@example.com, call +1 415 555 0132, card 4111 1111 1111 1111, token {GITHUB_TOKEN}"
    assert (
        redact(text) == "mail [EMAIL_ADDRESS], call [PHONE_NUMBER], card [CREDIT_CARD], token [GITHUB_TOKEN]"
    )
    with pytest.raises(ValueError, match="max_bytes"):
        AuditLog(Path("x"), max_bytes=0)


# --- lint rule V001 against real tags --------------------------------------------------------------------


def test_v001_compares_the_environment_file_with_the_promotion_tags(
    staged: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting(args: Any, *rest: Any, **options: Any) -> Any:
        calls.append([str(a) for a in args])
        return real_run(args, *rest, **options)

    monkeypatch.setattr(subprocess, "run", counting)
    findings = [f for f in lint_repo(staged) if f.code == "V001"]
    assert [(f.path.endswith("environments/staging.yaml"), f.line, f.col) for f in findings] == [(True, 6, 3)]
    assert "prompts/classifier is live in staging as 1.0.0 (90%) / 1.1.0 (10%)" in findings[0].message
    assert [call[call.index("-C") + 2] for call in calls if call[0] == "git"] == ["for-each-ref"]
    monkeypatch.setattr(subprocess, "run", real_run)
    # promote with --update-env-file: the file follows the tags
    git(staged, "checkout", "-q", "--", "prompts/classifier.yaml")
    code, _, err = cli(
        capsys, "promote", "classifier@1.1.0", "--to", "staging", "--update-env-file", "-C", staged
    )
    assert code == 0, err
    assert [f for f in lint_repo(staged) if f.code == "V001"] == []
    env = staged / "environments/staging.yaml"
    env.write_text(env.read_text(encoding="utf-8").replace("1.1.0", "1.0.0"), encoding="utf-8")
    (finding,) = [f for f in lint_repo(staged) if f.code == "V001"]
    assert finding.message == (
        "releases says classifier 1.0.0, but the promotion tags make 1.1.0 live in staging "
        "(promotions/staging/prompts/classifier/0003)"
    )
    assert RULES["V001"].info.severity.label == "warning"


# --- imports ---------------------------------------------------------------------------------------------


def test_import_llmops_ci_stays_cheap_and_render_never_imports_litellm(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "proj", {"llmops.yaml": PROJECT, "prompts/c.yaml": PROMPT, "guardrails/p.yaml": POLICY}
    )
    probe = f"""
import sys
import llmops_ci
assert "llmops_ci.runtime" not in sys.modules and "jinja2" not in sys.modules
from llmops_ci import load_prompt
prompt = load_prompt("classifier", project={str(root)!r})
assert prompt.render(document="x")[1]["content"] == "x"
assert "litellm" not in sys.modules
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=ROOT, env=os.environ
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        import llmops_ci

        _ = llmops_ci.nothing


@pytest.mark.parametrize("name", ["lock.schema.json", "audit-record.schema.json"])
def test_runtime_schemas_are_valid_draft_2020_12(name: str) -> None:
    schema = json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_working_tree_load_outside_a_repository_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops_ci.runtime import PromptLoadError, load_prompt

    monkeypatch.chdir(tmp_path)
    with pytest.raises(PromptLoadError, match=r"no llmops\.yaml in .* or above"):
        load_prompt("classifier")


def test_the_audit_log_goes_where_governance_declares_it(tmp_path: Path) -> None:
    project = LOCAL_PROJECT.replace(
        "spec:\n", "spec:\n  governance: {audit: {dir: logs/audit, keep_days: 90}}\n", 1
    )
    files = {"llmops.yaml": project, "prompts/classifier.yaml": STAGED_PROMPT, "guardrails/pii.yaml": POLICY}
    root = write_files(tmp_path / "proj", files)
    prompt = load_prompt("classifier", project=root)
    assert prompt.complete(document="INVOICE 7").text == "invoice"
    (written,) = [file for _, _, file in audit_files(root / "logs/audit")]
    AUDIT_SCHEMA.validate(json.loads(written.read_text(encoding="utf-8").splitlines()[0]))
    assert not (root / ".llmops/audit").exists()
    assert prompt.options.audit is not None and prompt.options.audit.keep_days == 90
