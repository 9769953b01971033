"""Promises about the project itself: README and CI agree, the wheel ships the schemas, the lint path
never imports litellm, every schema is valid and the example repository lints clean."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from llmops_ci.artifacts.schemas import KIND_SCHEMAS, SHARED_SCHEMAS, schema_dir
from llmops_ci.commands.rule import rules_table_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _setup_commands() -> list[str]:
    block = re.search(r"## Set-up: two commands\n\n```bash\n(.*?)```", README, re.S)
    assert block is not None, "README lost its set-up block"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_them() -> None:
    commands = _setup_commands()
    assert len(commands) == 2
    ci_lines = (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()
    for command in commands:
        assert command in ci_lines, f".ci/run does not run the README command: {command}"


def test_readme_rule_table_is_generated_from_the_code() -> None:
    table = re.search(r"<!-- rules:start -->\n(.*?)<!-- rules:end -->", README, re.S)
    assert table is not None
    assert table.group(1) == rules_table_markdown(), (
        "README rule table is stale: regenerate it with `llmops-ci rule --list --markdown`"
    )


@pytest.mark.parametrize("file_name", [*SHARED_SCHEMAS, *KIND_SCHEMAS.values()])
def test_every_schema_is_valid_draft_2020_12(file_name: str) -> None:
    schema = json.loads((schema_dir() / file_name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_example_repository_lints_clean() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "llmops_ci.cli",
            "lint",
            str(ROOT / "example-repo"),
            "--strict",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["findings"] == []


def test_wheel_ships_schemas_and_scaffold(tmp_path: Path) -> None:
    if shutil.which("pip", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("pip is not next to the interpreter")
    pytest.importorskip("hatchling")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("llmops_ci-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for file_name in (*SHARED_SCHEMAS, *KIND_SCHEMAS.values()):
        assert f"llmops_ci/schemas/{file_name}" in names
        packaged = zipfile.ZipFile(wheel).read(f"llmops_ci/schemas/{file_name}")
        assert packaged == (ROOT / "schemas" / file_name).read_bytes()
    assert "llmops_ci/scaffold/prompts/ticket-classifier.yaml" in names
    metadata = next(n for n in names if n.endswith("METADATA"))
    requirements = zipfile.ZipFile(wheel).read(metadata).decode()
    core = [
        line
        for line in requirements.splitlines()
        if line.startswith("Requires-Dist") and "extra ==" not in line
    ]
    assert not any("litellm" in line for line in core), core


_PROBE = """
import sys
from llmops_ci.cli import main
code = main(["lint", sys.argv[1], "--format", "json"])
heavy = sorted(m for m in ("litellm", "openai", "tiktoken", "httpx", "aiohttp") if m in sys.modules)
print("IMPORTED:" + ",".join(heavy), file=sys.stderr)
"""


def test_lint_never_imports_litellm(tmp_path: Path) -> None:
    """Even when the context-window rule reads litellm's model table (a data file) and counts tokens."""
    from tests.conftest import PROJECT, write_files

    prompt = """\
        apiVersion: llmops-ci/v1
        kind: Prompt
        metadata: {name: p}
        spec:
          model: {id: openai/gpt-3.5-turbo-0125, params: {max_tokens: 4000}}
          inputs: {type: object, properties: {document: {type: string, maxLength: 60000}}}
          messages: [{role: user, content: "Summarise: {{ document }}"}]
        """
    write_files(tmp_path, {"llmops.yaml": PROJECT, "prompts/p.yaml": prompt})
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert "M002" in result.stdout, result.stdout + result.stderr
    imported = result.stderr.rsplit("IMPORTED:", 1)[1].strip()
    assert "litellm" not in imported and "openai" not in imported, imported


def test_context_window_without_litellm_is_marked_approximate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops_ci.providers import catalog
    from tests.conftest import PROJECT, lint_repo, write_files

    monkeypatch.setattr(catalog, "litellm_table_path", lambda: None)
    catalog._litellm_table.cache_clear()
    prompt = """\
        apiVersion: llmops-ci/v1
        kind: Prompt
        metadata: {name: p}
        spec:
          model: {id: openai/gpt-4-0613, params: {max_tokens: 2000}}
          inputs: {type: object, properties: {document: {type: string, maxLength: 30000}}}
          messages: [{role: user, content: "{{ document }}"}]
        """
    write_files(tmp_path, {"llmops.yaml": PROJECT, "prompts/p.yaml": prompt})
    try:
        findings = [f for f in lint_repo(tmp_path) if f.code == "M002"]
    finally:
        catalog._litellm_table.cache_clear()
    assert len(findings) == 1
    assert "8,192-token context window" in findings[0].message and "approximate" in findings[0].message
