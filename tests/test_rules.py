"""Every rule against its YAML case file in tests/rule_cases/<CODE>.yaml (one file per rule, as sqlfluff).

A case lists files to write and the findings the rule must produce, as ``path:line:col``; an empty
``expect`` means the rule must stay silent on those files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from llmops_ci.lint.rules import RULES
from tests.conftest import lint_repo, write_files

CASES_DIR = Path(__file__).parent / "rule_cases"


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        code = path.stem
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            params.append(pytest.param(code, case, id=f"{code}-{case['name']}"))
    return params


@pytest.mark.parametrize(("code", "case"), _load_cases())
def test_rule_case(code: str, case: dict[str, Any], tmp_path: Path) -> None:
    files = dict(case["files"])
    files.setdefault(
        "llmops.yaml", "apiVersion: llmops-ci/v1\nkind: Project\nmetadata: {name: t}\nspec: {}\n"
    )
    root = write_files(tmp_path, files)
    findings = [f for f in lint_repo(root) if f.code == code]
    got = sorted(_relative(f.path, root) + f":{f.line}:{f.col}" for f in findings)
    assert got == sorted(case.get("expect", [])), [f.message for f in findings]
    for fragment in case.get("message_contains", []):
        assert any(fragment in f.message for f in findings), (fragment, [f.message for f in findings])


def _relative(path: str, root: Path) -> str:
    """Findings show paths relative to the working directory when below it, else to the root."""
    candidate = Path(path)
    if (Path.cwd() / candidate).exists() and root.resolve() in (Path.cwd() / candidate).resolve().parents:
        return (Path.cwd() / candidate).resolve().relative_to(root.resolve()).as_posix()
    return candidate.as_posix()


def test_every_rule_has_a_triggering_and_a_clean_case() -> None:
    for code in RULES:
        path = CASES_DIR / f"{code}.yaml"
        assert path.is_file(), f"missing tests/rule_cases/{code}.yaml"
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert any(case.get("expect") for case in cases), f"{code}: no case where the rule fires"
        assert any(not case.get("expect") for case in cases), f"{code}: no case where the rule is silent"


@pytest.mark.parametrize("code", list(RULES))
def test_rule_documentation_has_ruff_sections(code: str) -> None:
    doc = RULES[code].info.doc
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert section in doc, f"{code} docstring lacks {section!r}"
