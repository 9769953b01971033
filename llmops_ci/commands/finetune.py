"""``llmops-ci finetune validate | submit | status``: a FineTune's training data checked before it costs
anything, the job submitted through litellm's fine-tuning API with its id kept in the repository (a state
file next to the artifact), and the job followed until the model exists and its gating suite can run.

Exit codes: ``validate`` 1 when the data has errors (warnings alone: 0, or 1 with ``--strict``);
``submit`` 1 when validation fails or a job for this FineTune is already running or done (``--force``
submits anyway); ``status`` 1 when the job failed or was cancelled, or ``--wait`` timed out; with
``--gate``, the exit code of the gating suite's eval on the fine-tuned model (1 when there is no model yet).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.digest import artifact_digest, short
from llmops_ci.artifacts.loader import load_graph, load_project
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.commands._project import named_artifact, project_root
from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from llmops_ci.finetune.state import TERMINAL, read_state, state_path, write_state
from llmops_ci.finetune.validate import Validation, validate

FORMATS = ("text", "json")


def _open(name: str, project: Path | None) -> tuple[Artifact, Graph]:
    graph = load_graph(load_project(project_root(project)))
    return named_artifact(graph, "FineTune", name), graph


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text_report(finetune: Artifact, result: Validation) -> str:
    spec = finetune.spec
    lines = [f"{finetune.rel}: FineTune {result.name} ({spec['method']} on {spec['base_model']})"]
    for stats in result.files:
        lines.append(
            f"  {stats.role}: {stats.file}: {stats.examples} examples, {stats.tokens:,} tokens "
            f"(mean {stats.mean_tokens:,.0f}, max {stats.max_tokens:,})"
        )
    cost = result.cost_usd
    price = (
        f" x ${result.price_per_million:g}/M = ${cost:,.4f}"
        if cost is not None and result.price_per_million is not None
        else " (set spec.price_per_million_tokens for a cost estimate)"
    )
    lines.append(
        f"  cost estimate: {result.training_tokens:,} tokens x {result.epochs} epochs = "
        f"{result.trained_tokens:,} trained tokens{price}"
    )
    lines += [str(problem) for problem in result.problems]
    lines.append(f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)")
    return "\n".join(lines) + "\n"


def validate_command(
    name: str, *, project: Path | None, output_format: str = "text", strict: bool = False
) -> int:
    if output_format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    finetune, graph = _open(name, project)
    result = validate(finetune, graph)
    if output_format == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(_text_report(finetune, result))
    failed = bool(result.errors) or (strict and bool(result.warnings))
    return EXIT_FINDINGS if failed else EXIT_OK


def _data_paths(finetune: Artifact) -> dict[str, Path]:
    data = finetune.spec["data"]
    return {
        role: (finetune.path.parent / data[role]).resolve()
        for role in ("training", "validation")
        if role in data
    }


def submit_command(name: str, *, project: Path | None, force: bool = False) -> int:
    from llmops_ci.finetune.jobs import PROVIDER, api_base, submit

    finetune, graph = _open(name, project)
    previous = read_state(finetune)
    if previous is not None and not force and previous.get("status") not in ("failed", "cancelled"):
        sys.stderr.write(
            f"llmops-ci: {state_path(finetune).name} already records job {previous.get('job_id')} "
            f"({previous.get('status')}); `llmops-ci finetune status {name}` follows it, "
            "--force submits again\n"
        )
        return EXIT_FINDINGS
    result = validate(finetune, graph)
    if result.errors:
        sys.stderr.write(_text_report(finetune, result))
        sys.stderr.write("llmops-ci: the data has errors; nothing was submitted\n")
        return EXIT_FINDINGS
    submitted = asyncio.run(submit(finetune, _data_paths(finetune)))
    state = {
        "finetune": name,
        "digest": short(artifact_digest(finetune, graph)),
        "provider": PROVIDER,
        "api_base": api_base(finetune),
        "base_model": finetune.spec["base_model"],
        "job_id": submitted.job_id,
        "training_file_id": submitted.training_file_id,
        "validation_file_id": submitted.validation_file_id,
        "submitted_at": _now(),
        "status": submitted.status,
        "fine_tuned_model": None,
        "model": None,
        "trained_tokens": None,
        "error": None,
        "updated_at": _now(),
    }
    path = write_state(finetune, state)
    sys.stdout.write(f"submitted {name}: job {submitted.job_id} ({submitted.status}); state in {path.name}\n")
    return EXIT_OK


def _gate_hint(finetune: Artifact, state: dict[str, Any]) -> str:
    gate = finetune.spec.get("gate")
    if not gate or not state.get("model"):
        return ""
    return f"gate it: llmops-ci eval {gate['suite']} --model {state['model']}\n"


def status_command(
    name: str,
    *,
    project: Path | None,
    wait: bool = False,
    interval_s: float = 30.0,
    timeout_s: float = 24 * 3600.0,
    output_format: str = "text",
    gate: bool = False,
) -> int:
    from llmops_ci.finetune.jobs import retrieve

    if output_format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    finetune, _ = _open(name, project)
    state = read_state(finetune)
    if state is None:
        raise UsageError(
            f"{name}: no {state_path(finetune).name}: submit first (llmops-ci finetune submit {name})"
        )
    deadline = time.monotonic() + timeout_s
    while True:
        state.update(asyncio.run(retrieve(finetune, str(state["job_id"]))), updated_at=_now())
        write_state(finetune, {k: v for k, v in state.items() if k != "schema_version"})
        if not wait or state["status"] in TERMINAL or time.monotonic() >= deadline:
            break
        time.sleep(max(0.0, min(interval_s, deadline - time.monotonic())))
    if output_format == "json":
        sys.stdout.write(json.dumps(state, indent=2, sort_keys=True) + "\n")
    else:
        model = f", model {state['model']}" if state.get("model") else ""
        error = f": {state['error']}" if state.get("error") else ""
        sys.stdout.write(f"{name}: job {state['job_id']} {state['status']}{model}{error}\n")
        sys.stdout.write(_gate_hint(finetune, state))
    if state["status"] in ("failed", "cancelled"):
        return EXIT_FINDINGS
    if wait and state["status"] not in TERMINAL:
        sys.stderr.write(f"llmops-ci: still {state['status']} after {timeout_s:g} s\n")
        return EXIT_FINDINGS
    if gate:
        return _run_gate(finetune, state, project)
    return EXIT_OK


def _run_gate(finetune: Artifact, state: dict[str, Any], project: Path | None) -> int:
    """``--gate``: the gating suite on the fine-tuned model, as ``llmops-ci eval SUITE --model MODEL``."""
    from llmops_ci.commands.eval import EvalOptions, run

    suite = finetune.spec.get("gate", {}).get("suite")
    if suite is None:
        raise UsageError(f"{finetune.rel}: no gate.suite to run")
    if state.get("status") != "succeeded" or not state.get("model"):
        sys.stderr.write(f"llmops-ci: job {state['status']}: no model to gate yet\n")
        return EXIT_FINDINGS
    return run(EvalOptions(suites=[str(suite)], project=project, model=str(state["model"])))
