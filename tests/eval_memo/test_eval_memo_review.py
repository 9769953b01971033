"""A review of the replay of an unchanged run (llmops_ci.eval.memo): every way a replay could show other
results than a full run would at that moment, or happen when it should not, or crash.

Every hole found (at 82dadc2 and after) is fixed: its test now guards the fix (each says what it found);
the others guard tricky cases that work. "A full run" means a run planned in full with the same cache."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.cli import main
from llmops_ci.eval import memo
from tests.conftest import PROJECT, write_files
from tests.eval_memo.test_eval_memo import CASES, MODEL, REPLAYED, Runs, records_of, suite, warm
from tests.fakes.openai_server import OpenAIServer

GROUP = "classifier-regression"  # the suite of the fixture repository, as a pack directory

POLICY = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: words}
spec:
  checks:
    - {id: banned, type: denylist, scopes: {output: block}, terms_file: banned.txt}
"""


def outputs(directory: Path) -> list[Any]:
    """The outputs in case order (records are written as calls finish, in any order)."""
    order = {"inv-1": 0, "con-1": 1, "nda-1": 2}
    ranked = sorted(records_of(directory), key=lambda record: order.get(record["case"], 3))
    return [record["output"] for record in ranked]


def packs(repo: Path, group: str = GROUP) -> list[Path]:
    return sorted((repo / ".llmops/cache/packs" / group).glob("*.jsonl"))


def pack_with_answer(repo: Path, old: str, new: str, group: str = GROUP) -> bytes:
    """The suite's cache entries, with the answer ``old`` replaced by ``new`` (what ``--record`` or a
    hand-edited cassette would hold)."""
    data = b"".join(path.read_bytes() for path in packs(repo, group))
    edited = data.replace(f'"response":{{"text":"{old}"'.encode(), f'"response":{{"text":"{new}"'.encode())
    assert edited != data
    return edited


def newer_pack(repo: Path, content: bytes, group: str = GROUP) -> Path:
    """A finished pack that sorts after every existing one (the newest pack wins a key)."""
    path = repo / ".llmops/cache/packs" / group / f"{time.time_ns() + 10**12:020d}-feedf00d.jsonl"
    path.write_bytes(content)
    return path


def forget_memos(repo: Path) -> None:
    shutil.rmtree(repo / ".llmops/memo", ignore_errors=True)


def memo_files(repo: Path) -> list[Path]:
    return sorted((repo / ".llmops/memo").glob("*.jsonl"))


# --- the response cache ---------------------------------------------------------------------------------


def test_a_full_run_reads_a_pack_edited_in_place(runs: Runs, openai_server: OpenAIServer, repo: Path) -> None:
    """The premise of the next test: the cache's answer, edited in its pack file, is what a run shows."""
    warm(runs, openai_server)
    [pack] = packs(repo)
    pack.write_bytes(pack_with_answer(repo, "invoice", "receipt"))
    forget_memos(repo)
    code, directory, err = runs()
    assert code == 1 and REPLAYED not in err
    assert outputs(directory) == ["receipt", "contract", "nda"]


def test_a_pack_edited_in_place_is_not_replayed(runs: Runs, openai_server: OpenAIServer, repo: Path) -> None:
    """Found at 82dadc2 (fixed since): the manifest lists a pack directory by file names only: a pack
    rewritten in place (a hand-fixed cassette, a checkout of a branch that changed it) keeps its name, and the
    replay shows the old answers."""
    warm(runs, openai_server)
    [pack] = packs(repo)
    pack.write_bytes(pack_with_answer(repo, "invoice", "receipt"))  # the same size: "invoice" -> "receipt"
    code, directory, err = runs()
    assert REPLAYED not in err
    assert code == 1 and outputs(directory) == ["receipt", "contract", "nda"]


def test_a_pack_finished_during_the_memoized_run_is_not_hidden(
    runs: Runs, openai_server: OpenAIServer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found at 82dadc2 (fixed since): the cache listings are taken when the memo is stored, after the run: a
    pack that a concurrent --record finished while the run read the older one is taken for one the results
    came from, and the next invocation replays the older answers."""
    from llmops_ci.eval.cache import ResponseCache

    runs()  # the model answers: the cache is filled
    refreshed = pack_with_answer(repo, "invoice", "receipt")
    close = ResponseCache.close

    def close_while_another_run_records(self: ResponseCache) -> None:
        close(self)
        newer_pack(repo, refreshed)  # another process's --record, finished just now

    monkeypatch.setattr(ResponseCache, "close", close_while_another_run_records)
    code, directory, err = runs()  # served from the older pack: leaves the memo
    monkeypatch.setattr(ResponseCache, "close", close)
    assert code == 0 and outputs(directory) == ["invoice", "contract", "nda"]
    code, directory, err = runs()  # a full run reads the newest pack
    assert REPLAYED not in err
    assert outputs(directory) == ["receipt", "contract", "nda"]


def test_entries_appended_to_an_open_pack_after_the_memo_are_seen(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    """Found at 82dadc2 (fixed since): an open pack (<time>-<random>.open.jsonl, a concurrent --record still
    writing) is read by a full run as it grows, but the manifest knows it by name only: entries appended after
    the memo was stored are not seen by the replay."""
    runs()  # the model answers: the cache is filled
    refreshed = pack_with_answer(repo, "invoice", "receipt")
    name = f"{time.time_ns() + 10**12:020d}-0pen0000.open.jsonl"
    open_pack = repo / ".llmops/cache/packs" / GROUP / name
    open_pack.write_bytes(b"")  # another process's --record has just opened its pack
    code, directory, err = runs()  # served from the finished pack: leaves the memo
    assert code == 0 and outputs(directory) == ["invoice", "contract", "nda"]
    open_pack.write_bytes(refreshed)  # ... and appends its answers
    code, directory, err = runs()  # a full run reads them (the newest pack wins)
    assert REPLAYED not in err
    assert outputs(directory) == ["receipt", "contract", "nda"]


def test_a_relative_cache_dir_is_listed_where_it_was_resolved(
    runs: Runs, openai_server: OpenAIServer, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found at 82dadc2 (fixed since): the manifest stores the cache directories as given: a relative --cache-
    dir keys the memo by its resolved path but is listed again relative to the new working directory, here a
    stale copy."""
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    (repo / ".llmops").mkdir()  # else the first memo's directory changes the root's listing (a miss)
    monkeypatch.chdir(first)
    warm(runs, openai_server, "--cache-dir", "cache")
    shutil.copytree(first / "cache", second / "cache")  # a backup, say
    openai_server.reset()
    openai_server.reply(r"INVOICE", "receipt")
    openai_server.reply(r".", "contract")
    assert runs("--cache-dir", "cache", "--record")[0] == 1  # refreshed answers in a/cache
    monkeypatch.chdir(second)
    code, directory, err = runs("--cache-dir", "../a/cache")  # the same cache, the same key
    assert REPLAYED not in err
    assert code == 1 and outputs(directory)[0] == "receipt"


def test_another_suites_record_changes_neither_a_full_run_nor_the_replay(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    """Two suites asking the same requests: ``--record`` of one refreshes its own packs, and the other
    still reads its own (older) packs first, replayed or not."""
    (repo / "evals/second.yaml").write_text(suite(openai_server.base_url, "second"), encoding="utf-8")
    warm(runs, openai_server, GROUP)
    runs("second")  # served from the first suite's packs, copied into its own
    openai_server.reset()
    openai_server.reply(r".", "contract")
    assert runs("second", "--record")[0] == 1
    code, replayed, err = runs(GROUP)
    assert code == 0 and REPLAYED in err
    forget_memos(repo)
    code, full, err = runs(GROUP)
    assert code == 0 and REPLAYED not in err
    assert outputs(replayed) == outputs(full) == ["invoice", "contract", "nda"]


def test_a_loose_entry_in_a_legacy_cache_directory_is_seen_through_the_suites_pack(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    """Entries of earlier versions (``<cache>/<ab>/<key>.json``) are copied into the suite's pack by the
    run that reads them, so the memo lists the pack the next full run reads first."""
    warm(runs, openai_server)
    cache = repo / ".llmops/cache"
    for line in b"".join(path.read_bytes() for path in packs(repo)).splitlines():
        key = json.loads(line)["key"]
        (cache / key[:2]).mkdir(exist_ok=True)
        (cache / key[:2] / f"{key}.json").write_bytes(line)
    shutil.rmtree(cache / "packs")
    code, copied, err = runs()
    assert code == 0 and REPLAYED not in err and len(packs(repo)) == 1
    code, again, err = runs()  # the run that wrote the pack leaves no memo (its cache changed meanwhile)
    code, replayed, err = runs() if REPLAYED not in err else (code, again, err)
    assert code == 0 and REPLAYED in err
    assert outputs(copied) == outputs(replayed) == ["invoice", "contract", "nda"]


# --- files the run reads ---------------------------------------------------------------------------------


def test_a_terms_file_edited_during_the_memoized_run_is_not_trusted(
    runs: Runs, openai_server: OpenAIServer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found at 82dadc2 (fixed since): terms_file (like cases files and litellm's table) is digested when the
    memo is stored, after the run compiled the policy: an edit during the run is taken for what the verdicts
    came from."""
    from llmops_ci.eval.cache import ResponseCache

    write_files(repo, {"guardrails/words.yaml": POLICY, "guardrails/banned.txt": "forbidden\n"})
    extra = "  guardrails: [words]\n"
    (repo / "evals/classifier.yaml").write_text(suite(openai_server.base_url, extra=extra), "utf-8")
    runs()
    close = ResponseCache.close

    def close_after_an_edit(self: ResponseCache) -> None:
        close(self)
        (repo / "guardrails/banned.txt").write_text("invoice\n", encoding="utf-8")  # saved meanwhile

    monkeypatch.setattr(ResponseCache, "close", close_after_an_edit)
    code, directory, err = runs()  # compiled with "forbidden": nothing blocked; leaves the memo
    monkeypatch.setattr(ResponseCache, "close", close)
    assert code == 0 and all(record["blocked"] is None for record in records_of(directory))
    code, directory, err = runs()  # a full run blocks "invoice" now
    assert REPLAYED not in err
    assert code == 1 and records_of(directory)[0]["blocked"] == "output"


def test_a_cases_file_edited_during_the_memoized_run_within_the_timestamp_is_not_trusted(
    runs: Runs, openai_server: OpenAIServer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found at 82dadc2 (fixed since): a cases file edited during the memoized run is caught by (size,
    mtime_ns) only, then digested after the run: with a coarse timestamp (1-2 s filesystems, a copy that keeps
    times) the new content is recorded as what the verdicts came from."""
    from llmops_ci.eval.cache import ResponseCache

    runs()
    cases = repo / "evals/cases/classifier.jsonl"
    close = ResponseCache.close

    def close_after_an_edit(self: ResponseCache) -> None:
        close(self)
        stat = cases.stat()
        cases.write_text(CASES.replace('"value": "nda"', '"value": "xyz"'), encoding="utf-8")  # same size
        os.utime(cases, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # within the timestamp's granularity

    monkeypatch.setattr(ResponseCache, "close", close_after_an_edit)
    code, directory, err = runs()  # planned with "nda": all pass; leaves the memo
    monkeypatch.setattr(ResponseCache, "close", close)
    assert code == 0 and all(record["passed"] for record in records_of(directory))
    code, directory, err = runs()  # a full run reads "xyz": nda-1 fails
    assert REPLAYED not in err
    assert code == 1 and [r["passed"] for r in records_of(directory)] == [True, True, False]


def test_llmops_yaml_edited_before_the_snapshot_is_not_trusted(
    runs: Runs, openai_server: OpenAIServer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found at 82dadc2 (fixed since): llmops.yaml is read (load_project) before the snapshot digests it: an
    edit in between is recorded as what the run used; the snapshot should digest the bytes load_project
    parsed."""
    runs()
    snapshot = memo.snapshot

    def snapshot_after_an_edit(*args: Any, **kwargs: Any) -> memo.Snapshot:
        project = PROJECT.replace("spec: {}", "spec: {cache: {dir: .llmops/other-cache}}")
        (repo / "llmops.yaml").write_text(project, encoding="utf-8")
        return snapshot(*args, **kwargs)

    monkeypatch.setattr(memo, "snapshot", snapshot_after_an_edit)
    assert runs()[0] == 0  # read the old llmops.yaml (the old cache): leaves the memo
    monkeypatch.setattr(memo, "snapshot", snapshot)
    requests = openai_server.request_count
    code, _, err = runs()  # a full run reads the new llmops.yaml: an empty cache, the calls are made
    assert REPLAYED not in err
    assert code == 0 and openai_server.request_count == requests + 3


@pytest.mark.parametrize("layout", ["jsonl outside the root", "csv", "yaml", "symlink retargeted"])
def test_cases_files_anywhere_are_checked_by_content(
    runs: Runs, openai_server: OpenAIServer, repo: Path, tmp_path: Path, layout: str
) -> None:
    shared = tmp_path / "shared"
    lines = CASES.splitlines(keepends=True)
    first, second = lines[0] + lines[2], lines[0] + lines[1]  # the second ends with a contract: fails
    if layout == "jsonl outside the root":
        name = "../../shared/cases.jsonl"
        target = shared / "cases.jsonl"
    elif layout == "csv":
        name = "cases/classifier.csv"
        first = "id,document\ninv-1,INVOICE #1 total 10 EUR\nnda-1,NDA: mutual\n"
        second = first.replace("NDA: mutual", "CONTRACT between A and B")
        target = repo / "evals" / name
    elif layout == "yaml":
        name = "cases/classifier.cases.yml"
        first = "- {id: inv-1, vars: {document: 'INVOICE #1'}}\n- {id: nda-1, vars: {document: 'NDA: x'}}\n"
        second = first.replace("NDA: x", "CONTRACT: x")
        target = repo / "evals" / name
    else:
        name = "cases/linked.jsonl"
        write_files(shared, {"a.jsonl": first, "b.jsonl": second})
        target = repo / "evals" / name
        target.symlink_to(shared / "a.jsonl")
    if layout != "symlink retargeted":
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(first, encoding="utf-8")
    extra = "  defaults:\n    assert: [{type: not-contains, value: contract}]\n"
    (repo / "evals/classifier.yaml").write_text(
        suite(openai_server.base_url, extra=extra).replace("cases/classifier.jsonl", name), "utf-8"
    )
    warm(runs, openai_server)
    assert REPLAYED in runs()[2]
    if layout == "symlink retargeted":
        target.unlink()
        target.symlink_to(shared / "b.jsonl")
    else:
        target.write_text(second, encoding="utf-8")
    code, directory, err = runs()
    assert REPLAYED not in err and code == 1
    assert [record["passed"] for record in records_of(directory)][-1] is False


def test_an_extended_policys_terms_file_is_checked(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    child = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: strict-words}
spec:
  extends: [words]
  checks:
    - {id: length, type: length, scopes: {output: block}, max: 1000}
"""
    write_files(
        repo,
        {
            "guardrails/base/words.yaml": POLICY,
            "guardrails/base/banned.txt": "forbidden\n",
            "guardrails/strict.yaml": child,
        },
    )
    extra = "  guardrails: [strict-words]\n"
    (repo / "evals/classifier.yaml").write_text(suite(openai_server.base_url, extra=extra), "utf-8")
    warm(runs, openai_server)
    assert REPLAYED in runs()[2]
    (repo / "guardrails/base/banned.txt").write_text("# words\ninvoice\n", encoding="utf-8")
    code, directory, err = runs()
    assert REPLAYED not in err and code == 1
    assert records_of(directory)[0]["blocked"] == "output"


def test_a_yaml_file_that_becomes_readable_is_seen(
    runs: Runs, openai_server: OpenAIServer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found at 82dadc2 (fixed since): snapshot() drops a YAML file it cannot read (_file_entry returns None)
    instead of recording it as unreadable: once readable again, a full run loads it, the replay does not look.
    """
    second = repo / "evals/second.yaml"
    second.write_text(suite(openai_server.base_url, "second"), encoding="utf-8")
    read_bytes = Path.read_bytes

    def unreadable(path: Path) -> bytes:  # chmod 000 (which root, running these tests, ignores)
        if path.resolve() == second.resolve():
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    warm(runs, openai_server)  # the second suite is not loaded: a Y002 problem, not a suite
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, directory, err = runs()  # a full run loads and runs the second suite
    assert REPLAYED not in err and code == 0
    assert {r["suite"] for r in records_of(directory)} == {GROUP, "second"}


def test_yaml_in_an_excluded_directory_is_ignored_by_both(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    """llmops.yaml excludes drafts/: a suite there is neither loaded by a full run nor a reason to miss."""
    project = PROJECT.replace("spec: {}", "spec: {paths: {exclude: ['drafts/**']}}")
    (repo / "llmops.yaml").write_text(project, encoding="utf-8")
    (repo / "drafts").mkdir()
    warm(runs, openai_server)
    (repo / "drafts/second.yaml").write_text(suite(openai_server.base_url, "second"), "utf-8")
    code, replayed, err = runs()
    assert code == 0 and REPLAYED in err
    forget_memos(repo)
    code, full, err = runs()
    assert code == 0 and REPLAYED not in err
    assert {r["suite"] for r in records_of(full)} == {r["suite"] for r in records_of(replayed)} == {GROUP}


def test_a_new_yaml_file_in_a_directory_the_include_globs_skip_still_misses(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    """A directory walked but not selected by ``include``: a miss (the manifest does not apply the
    include globs), which costs a full run but is never wrong."""
    project = PROJECT.replace("spec: {}", "spec: {paths: {include: ['prompts/**', 'evals/**']}}")
    (repo / "llmops.yaml").write_text(project, encoding="utf-8")
    (repo / "notes").mkdir()
    warm(runs, openai_server)
    (repo / "notes/todo.yaml").write_text("todo: []\n", encoding="utf-8")
    code, _, err = runs()
    assert code == 0 and REPLAYED not in err


def test_the_key_stamps_the_schemas_the_loader_validates_with() -> None:
    """Found at 82dadc2 (fixed since): in a source checkout the JSON Schemas live in the top-level
    schemas/, outside the package the key stamped, so an edited schema replayed the older verdicts. White
    box (the checkout's schemas are not edited here): the stamped directories hold ``schema_dir()``."""
    from llmops_ci.artifacts import schemas

    directory = schemas.schema_dir().resolve()
    assert any(directory == top or top in directory.parents for top in memo._stamped_dirs())


# --- what is not a file of the project ----------------------------------------------------------------


def test_a_price_table_that_appears_is_seen(
    runs: Runs, openai_server: OpenAIServer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found at 82dadc2 (fixed since): a memo made where litellm's price table was not found records no table;
    once the table is there (litellm installed, another venv on the same checkout) a full run prices the
    calls, the replay keeps cost null."""
    from llmops_ci.providers import catalog

    monkeypatch.setattr(catalog, "litellm_table_path", lambda: None)
    catalog._litellm_table.cache_clear()
    try:
        cached = warm(runs, openai_server)
    finally:
        monkeypatch.undo()
        catalog._litellm_table.cache_clear()
    assert {r["metrics"]["cost_usd"] for r in records_of(cached)} == {None}
    code, directory, err = runs()
    assert REPLAYED not in err and code == 0
    assert all(r["metrics"]["cost_usd"] is not None for r in records_of(directory))


def local_model_project(repo: Path, openai_server: OpenAIServer, labels: tuple[str, str, str]) -> None:
    """The suite on ``local/doc-classifier``, a knn-classifier (k=1) trained on data/train.jsonl, whose
    three examples (invoice, contract and NDA texts) carry ``labels``."""
    project = PROJECT.replace(
        "spec: {}",
        "spec:\n  providers:\n    local:\n"
        "      doc-classifier: {use: knn-classifier, options: {train: data/train.jsonl, k: 1}}",
    )
    texts = ("INVOICE total EUR", "CONTRACT between", "NDA mutual")
    train = "".join(
        json.dumps({"text": t, "label": label}) + "\n" for t, label in zip(texts, labels, strict=True)
    )
    write_files(repo, {"llmops.yaml": project, "data/train.jsonl": train})
    local_suite = suite(openai_server.base_url).replace(
        f'{{id: {MODEL}, api_base: "{openai_server.base_url}"}}', "local/doc-classifier"
    )
    (repo / "evals/classifier.yaml").write_text(local_suite, encoding="utf-8")


def test_a_missing_local_model_file_fails_as_a_full_run_would(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    """Found at 82dadc2 (fixed since): local models' files (llmops.yaml providers.local options such as a
    knn-classifier's train file) were not in the manifest: a full run stops when one is missing, the replay
    exited 0."""
    local_model_project(repo, openai_server, ("invoice", "contract", "nda"))
    warm(runs, openai_server)
    assert openai_server.request_count == 0
    (repo / "data/train.jsonl").unlink()
    code, _, err = runs()
    assert REPLAYED not in err and code == 2 and "train" in err


def test_a_local_models_new_training_data_is_not_answered_from_the_cache(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    local_model_project(repo, openai_server, ("invoice", "contract", "nda"))
    warm(runs, openai_server)
    local_model_project(repo, openai_server, ("receipt", "contract", "nda"))  # relabelled training data
    code, directory, err = runs("--no-cache")
    assert code == 1 and outputs(directory)[0] == "receipt"  # what the model answers now
    code, directory, err = runs()
    assert REPLAYED not in err
    assert outputs(directory)[0] == "receipt" and code == 1


def test_a_library_upgraded_during_the_memoized_run_does_not_key_its_results(
    runs: Runs, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops_ci.eval.cache import ResponseCache

    runs()
    close = ResponseCache.close
    libraries = memo._distributions

    def close_while_pip_upgrades(self: ResponseCache) -> None:
        close(self)
        monkeypatch.setattr(memo, "_distributions", lambda: [*libraries(), "somelib-2.0.dist-info"])

    monkeypatch.setattr(ResponseCache, "close", close_while_pip_upgrades)
    assert runs()[0] == 0  # ran with the old libraries: leaves a memo
    monkeypatch.setattr(ResponseCache, "close", close)
    code, _, err = runs()  # the new libraries: no run made with them yet
    assert code == 0 and REPLAYED not in err


def fake_distribution(site: Path, name: str, version: str) -> Path:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", "utf-8")
    (info / "RECORD").write_text(f"{name}/__init__.py,,\n", encoding="utf-8")
    return info


def test_a_library_upgrade_changes_the_key(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found at 82dadc2 (fixed since): the key stamped llmops_ci's own files and sys.version only, so `pip
    install -U` of a library the verdicts come from (jinja2, jsonschema, PyYAML...) replayed."""
    site = tmp_path / "site-packages"
    info = fake_distribution(site, "somelib", "1.0")
    monkeypatch.syspath_prepend(str(site))
    invocation = memo.Invocation(repo.resolve(), (), None, None, None)
    before = invocation.key()
    shutil.rmtree(info)
    fake_distribution(site, "somelib", "2.0")
    assert memo.Invocation(repo.resolve(), (), None, None, None).key() != before  # a new invocation


def test_a_library_reinstalled_at_the_same_version_changes_the_key(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site-packages"
    info = fake_distribution(site, "somelib", "1.0")
    monkeypatch.syspath_prepend(str(site))
    invocation = memo.Invocation(repo.resolve(), (), None, None, None)
    before = invocation.key()
    record = info / "RECORD"
    record.write_text("somelib/__init__.py,sha256=patched,1234\nsomelib/extra.py,,\n", encoding="utf-8")
    later = time.time_ns() + 10**9
    os.utime(record, ns=(later, later))
    assert memo.Invocation(repo.resolve(), (), None, None, None).key() != before  # a new invocation


def test_llmops_ci_model_from_the_environment_keys_the_memo(
    runs: Runs, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    warm(runs, openai_server)
    monkeypatch.setenv("LLMOPS_CI_MODEL", "openai/gpt-4o-mini")
    code, directory, err = runs()
    assert code == 0 and REPLAYED not in err
    assert {r["model_id"] for r in records_of(directory)} == {"openai/gpt-4o-mini"}


# --- options ------------------------------------------------------------------------------------------


def test_shards_keep_their_own_memos_and_an_empty_shard_replays_its_exit(
    runs: Runs, openai_server: OpenAIServer
) -> None:
    warm(runs, openai_server)
    counts = {}
    for index in (1, 2, 3, 4, 5):
        shard = f"{index}/5"
        code, _, err = runs("--shard", shard)  # served from the cache: leaves this shard's memo
        assert code == 0 and REPLAYED not in err, err
        code, directory, err = runs("--shard", shard)
        assert code == 0 and REPLAYED in err, err
        counts[shard] = len(records_of(directory))
        summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
        assert summary["shard"] == {"index": index, "count": 5}
    assert sum(counts.values()) == 3 and 0 in counts.values()  # some shard holds no case: still exit 0


def test_the_cache_dir_option_keys_the_memo(runs: Runs, openai_server: OpenAIServer, tmp_path: Path) -> None:
    warm(runs, openai_server)
    other = tmp_path / "cassettes"
    code, _, err = runs("--cache-dir", str(other), "--replay")
    assert code == 1 and REPLAYED not in err  # another cache: every request a --replay miss
    warm(runs, openai_server, "--cache-dir", str(other))
    assert REPLAYED in runs("--cache-dir", str(other), "--replay")[2]


def test_the_first_memo_of_a_project_without_llmops_dir_is_replayed(
    runs: Runs, openai_server: OpenAIServer, repo: Path, tmp_path: Path
) -> None:
    """Found at 82dadc2 (fixed since): performance, not correctness: with the cache outside the project (ci
    pr, --cache-dir) the first memo creates .llmops/ in the root, which changes the root's listing: the next
    run misses."""
    cache = str(tmp_path / "cache")
    warm(runs, openai_server, "--cache-dir", cache)
    assert REPLAYED in runs("--cache-dir", cache)[2]


# --- the memo itself ------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["[]", "null", '"text"'])
def test_a_memo_with_a_header_that_is_not_an_object_is_a_miss(
    runs: Runs, openai_server: OpenAIServer, repo: Path, header: str
) -> None:
    """Was an AttributeError (exit 3) at 82dadc2; 44edf86 made it a miss."""
    warm(runs, openai_server)
    for path in memo_files(repo):
        lines = path.read_bytes().split(b"\n", 1)
        path.write_bytes(header.encode() + b"\n" + lines[1])
    code, _, err = runs()
    assert code == 0 and REPLAYED not in err


@pytest.mark.parametrize("summary", ["[]", "{}", '{"suites": []}'])
def test_a_memo_with_a_summary_that_is_not_a_summary_is_a_miss(
    runs: Runs, openai_server: OpenAIServer, repo: Path, summary: str
) -> None:
    """Found at 82dadc2 (fixed since): the memo's summary line is trusted as it is: one that is not a run's
    summary (no 'passed', 'suites') crashes the replay in _conclude (KeyError, exit 3) instead of being a
    miss."""
    warm(runs, openai_server)
    for path in memo_files(repo):
        manifest, _summary, records = path.read_bytes().split(b"\n", 2)
        path.write_bytes(manifest + b"\n" + summary.encode() + b"\n" + records)
    code, _, err = runs()
    assert code == 0 and REPLAYED not in err


def test_a_memo_replaced_between_lookup_and_replay_is_not_mixed(
    runs: Runs, openai_server: OpenAIServer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found at 82dadc2 (fixed since): lookup() validates and reads the header of one memo file, replay()
    opens the path again: a memo stored meanwhile under the same key (another process's full run after an
    edit; a header of the same length is the norm) gives its records under the first memo's summary."""
    from llmops_ci.eval.results import load_run

    warm(runs, openai_server)
    [path] = memo_files(repo)
    manifest, summary, records = path.read_bytes().split(b"\n", 2)
    first, rest = records.split(b"\n", 1)
    newer = (
        manifest
        + b"\n"
        + summary
        + b"\n"
        + first.replace(b'"passed": true', b'"passed": false')
        + b"\n"
        + rest
    )
    replay = memo.replay

    def stored_meanwhile(*args: Any, **kwargs: Any) -> Any:
        temporary = path.with_name(".newer.tmp")
        temporary.write_bytes(newer)
        os.replace(temporary, path)  # how store() writes a memo
        return replay(*args, **kwargs)

    monkeypatch.setattr(memo, "replay", stored_meanwhile)
    code, directory, _ = runs()
    written = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    recomputed = load_run(directory)
    assert (code == 0) is written["passed"]
    assert [s["passed"] for s in written["suites"]] == [s["passed"] for s in recomputed["suites"]]
    assert written["passed"] == recomputed["passed"]


def test_a_memo_pruned_between_lookup_and_replay_runs_in_full(
    runs: Runs, openai_server: OpenAIServer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found at 82dadc2 (fixed since): replay() opens the memo again after lookup(): a memo removed meanwhile
    (another process's _prune keeps the newest 8) raises FileNotFoundError, an internal error (exit 3), not a
    full run."""
    warm(runs, openai_server)
    [path] = memo_files(repo)
    replay = memo.replay

    def pruned_meanwhile(*args: Any, **kwargs: Any) -> Any:
        path.unlink()
        return replay(*args, **kwargs)

    monkeypatch.setattr(memo, "replay", pruned_meanwhile)
    code, directory, err = runs()
    assert code == 0, err
    assert outputs(directory) == ["invoice", "contract", "nda"]


def test_a_memo_copied_to_another_invocations_name_is_a_miss(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    """The manifest names its key: a memo renamed to another invocation's key is not read."""
    warm(runs, openai_server)
    [made] = memo_files(repo)
    other = memo.Invocation(repo.resolve(), (GROUP,), None, None, None).key()
    shutil.copy(made, memo.memo_path(repo.resolve(), other))
    code, _, err = runs(GROUP)
    assert code == 0 and REPLAYED not in err


def test_a_memo_with_records_that_do_not_match_its_count_is_a_miss(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    warm(runs, openai_server)
    for path in memo_files(repo):
        path.write_bytes(path.read_bytes() + path.read_bytes().splitlines(keepends=True)[-1])
    code, directory, err = runs()
    assert code == 0 and REPLAYED not in err and len(records_of(directory)) == 3


# --- readers of a replayed run ------------------------------------------------------------------------


def test_show_recomputes_the_replayed_summary(
    runs: Runs, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from llmops_ci.eval.results import load_run

    warm(runs, openai_server)
    code, directory, err = runs()
    assert code == 0 and REPLAYED in err
    written = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    recomputed = load_run(directory)
    facts = ("results_dir", "model_calls")  # facts show does not recompute
    assert {k: v for k, v in written.items() if k not in facts} == {
        k: v for k, v in recomputed.items() if k not in facts
    }
    assert main(["show", str(directory), "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["run_id"] == written["run_id"] and shown["passed"] is True


def test_diff_of_a_full_and_a_replayed_run_finds_no_change(
    runs: Runs, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    full = warm(runs, openai_server)
    code, replayed, err = runs()
    assert code == 0 and REPLAYED in err
    code = main(["diff", str(full), str(replayed), "--fail-on", "regression", "--format", "json"])
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)


def _lines(path: Path) -> Iterator[str]:
    yield from path.read_text(encoding="utf-8").splitlines()


def test_concurrent_memo_writers_leave_one_readable_memo(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    """Memos are written atomically: a second identical run storing over the first leaves one whole
    memo that still replays."""
    warm(runs, openai_server)
    [made] = memo_files(repo)
    before = made.read_bytes()
    forget_memos(repo)
    assert runs()[0] == 0  # a full run stores the memo again
    [again] = memo_files(repo)
    assert again.name == made.name and len(list(_lines(again))) == len(before.splitlines())
    assert os.path.getsize(again) > 0 and REPLAYED in runs()[2]
