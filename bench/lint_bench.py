"""Benchmark ``llmops-ci lint`` against the issue's two goals, measured side by side in one run.

1. Throughput: ``llmops-ci lint`` over a generated repository of 1,000 Prompt files (plus the eval suites
   and guardrail policies that make it lint clean) against ``check-jsonschema --schemafile`` with the
   Prompt schema over the same 1,000 prompt files. Goal: ratio lint / check-jsonschema <= 1.0.
2. Cold start: ``llmops-ci lint`` on one prompt file of a small repository against
   ``python -c "import yaml, jsonschema, click"``. Goal: ratio <= 1.5.

The contenders run interleaved (AB, BA, AB, ...) and the medians are compared, so a noisy machine hurts
both alike. Every contender gets cached bytecode (PYTHONPYCACHEPREFIX in the temporary directory), as
after a pip install, even where PYTHONDONTWRITEBYTECODE is set. Run it with the project's virtual
environment (about 3 minutes):

    .venv/bin/python bench/lint_bench.py [--count 1000] [--reps 5] [--cold-reps 10]

Exit status: 0 when both goals are met, 1 when one is missed, 2 when the set-up checks fail.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gen_prompts import Generated, generate

REPO = Path(__file__).resolve().parent.parent
PROMPT_SCHEMA = REPO / "schemas" / "prompt.schema.json"
THROUGHPUT_GOAL = 1.0
COLD_START_GOAL = 1.5
IMPORT_BASELINE = "import yaml, jsonschema, click"
#: The cold-start prompt: a classifier with a few-shot {% for %} loop, an optional input and a pinned model.
COLD_START_TASK = "classify"


class SetupError(Exception):
    """The benchmark would measure the wrong thing: a dirty repository, a validator validating nothing."""


@dataclass
class Contender:
    label: str
    argv: list[str]
    cwd: Path
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    def reset(self) -> None:
        self.walls.clear()
        self.cpus.clear()

    def describe(self) -> str:
        spread = f"{min(self.walls):.3f}-{max(self.walls):.3f}"
        cpu = statistics.median(self.cpus)
        return f"{self.median:7.3f} s  (min-max {spread} s, cpu {cpu:.3f} s, n={len(self.walls)})"


@dataclass
class Result:
    name: str
    goal: float
    ratio: float | None = None
    measured: str = ""

    @classmethod
    def of(cls, name: str, goal: float, subject: Contender, baseline: Contender) -> Result:
        measured = f"{subject.median:.3f} s / {baseline.median:.3f} s"
        return cls(name, goal, subject.median / baseline.median, measured)

    @property
    def failed(self) -> bool:
        return self.ratio is not None and self.ratio > self.goal

    def row(self) -> str:
        if self.ratio is None:
            return f"  {self.name:<12} {'-':>6}   <= {self.goal:<4}  SKIP"
        verdict = "FAIL" if self.failed else "PASS"
        return f"  {self.name:<12} {self.ratio:6.2f}   <= {self.goal:<4}  {verdict}    {self.measured}"


def venv_tool(name: str) -> str | None:
    """A console script next to this interpreter (the venv's), else on PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.is_file() else shutil.which(name)


#: The environment of every measured command; GITHUB_ACTIONS would switch lint to workflow commands.
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}


def cache_bytecode(directory: Path) -> None:
    """Give every contender cached bytecode, as after a pip install: with PYTHONDONTWRITEBYTECODE set,
    llmops_ci (an editable install) would be compiled from source on every run while the libraries of the
    baseline load the .pyc files pip wrote. The cache goes to ``directory``, not into the source tree."""
    CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(directory)


def run(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, env=CHILD_ENV, capture_output=True, text=True, check=False)


def timed(contender: Contender) -> None:
    """One run: wall time and the CPU time (user + system) of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(
        contender.argv,
        cwd=contender.cwd,
        env=CHILD_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise SetupError(f"{contender.label} exited {completed.returncode} during timing")
    contender.walls.append(wall)
    contender.cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def interleave(contenders: Sequence[Contender], reps: int, budget_s: float, min_reps: int = 3) -> None:
    """Run the contenders in turn, the order reversed every round (AB, BA, AB, ...); stop after
    ``min_reps`` rounds once the next round would go over ``budget_s`` seconds."""
    started = time.perf_counter()
    for round_index in range(reps):
        round_start = time.perf_counter()
        for contender in contenders if round_index % 2 == 0 else reversed(contenders):
            timed(contender)
        now = time.perf_counter()
        if round_index + 1 >= min_reps and (now - started) + (now - round_start) > budget_s:
            break


def check_lint_clean(llmops_ci: str, root: Path, extra: Sequence[str] = ()) -> str:
    completed = run([llmops_ci, "lint", *extra, str(root)], root)
    output = completed.stdout.strip()
    if completed.returncode != 0 or not output.startswith("All checks passed"):
        raise SetupError(
            f"llmops-ci lint {root} is not clean (exit {completed.returncode}):\n"
            + "\n".join((output + completed.stderr).splitlines()[:20])
        )
    return output


def _broken_copy(source: Path, target: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    if old not in text:
        raise SetupError(f"cannot break {source}: {old!r} not found")
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def verify_check_jsonschema(tool: str, prompt: Path, scratch: Path) -> None:
    """check-jsonschema must accept a valid prompt, reject a local violation (messages[].role) and reject
    a violation only the relative $ref to common.schema.json can see (metadata.name's pattern)."""
    scratch.mkdir(parents=True, exist_ok=True)
    name = prompt.stem
    cases = [
        ("a valid prompt", prompt, 0, ""),
        (
            "a bad role",
            _broken_copy(prompt, scratch / "bad-role.yaml", "role: system", "role: robot"),
            1,
            "robot",
        ),
        (
            "a bad metadata.name (via $ref to common.schema.json)",
            _broken_copy(prompt, scratch / "bad-name.yaml", f"name: {name}", "name: Not_A_Name"),
            1,
            "Not_A_Name",
        ),
    ]
    for what, path, expected_rc, expected_text in cases:
        completed = run([tool, "--schemafile", str(PROMPT_SCHEMA), str(path)], scratch)
        output = completed.stdout + completed.stderr
        if completed.returncode != expected_rc or expected_text not in output:
            raise SetupError(
                f"check-jsonschema on {what}: exit {completed.returncode}, expected {expected_rc}"
                f"{f' mentioning {expected_text!r}' if expected_text else ''}:\n{output.strip()[:2000]}"
            )


def version_of(tool: str) -> str:
    completed = run([tool, "--version"], Path.cwd())
    return completed.stdout.strip().rsplit(" ", 1)[-1] if completed.returncode == 0 else "?"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def describe_repo(generated: Generated) -> str:
    return (
        f"{plural(len(generated.prompts), 'prompt')} + {plural(len(generated.suites), 'eval suite')} + "
        f"{plural(len(generated.policies), 'guardrail policy')} + llmops.yaml".replace("policys", "policies")
    )


def ratios(subject: Contender, baseline: Contender) -> str:
    """The ratio of the medians (judged), with the ratio of the fastest runs (less sensitive to noise)."""
    fastest = min(subject.walls) / min(baseline.walls)
    return f"{subject.median / baseline.median:.2f} of medians ({fastest:.2f} of the fastest runs)"


def print_rows(contenders: Sequence[Contender]) -> None:
    width = max(len(contender.label) for contender in contenders)
    for contender in contenders:
        print(f"  {contender.label:<{width}}  {contender.describe()}")


def throughput(args: argparse.Namespace, big: Generated, llmops_ci: str, cjs: str | None) -> Result:
    lint_extra = ["--ignore", "E006"] if args.no_suites else []
    files = len(big.all_files)
    print(f"\n[1/2] throughput over {describe_repo(big)}")
    lint = Contender(
        f"llmops-ci lint {' '.join(lint_extra)}<repo> ({files} files, all rules)".replace("  ", " "),
        [llmops_ci, "lint", *lint_extra, str(big.root)],
        big.root,
    )
    if cjs is None:
        print("  check-jsonschema is not installed (pip install -e '.[bench]'): column skipped")
        interleave([lint], args.reps, args.budget)
        print_rows([lint])
        return Result("throughput", THROUGHPUT_GOAL)
    schema = PROMPT_SCHEMA.relative_to(REPO)
    relative = [str(path.relative_to(big.root)) for path in big.prompts]
    baseline = Contender(
        f"check-jsonschema --schemafile {schema} ({len(relative)} prompts)",
        [cjs, "--schemafile", str(PROMPT_SCHEMA), *relative],
        big.root,
    )
    interleave([baseline, lint], args.reps, args.budget)
    print_rows([baseline, lint])
    result = Result.of("throughput", THROUGHPUT_GOAL, lint, baseline)
    print(f"  ratio lint / check-jsonschema: {ratios(lint, baseline)}   goal <= {THROUGHPUT_GOAL}")
    return result


def cold_start(args: argparse.Namespace, small: Generated, llmops_ci: str) -> Result:
    prompt = small.prompts[0].relative_to(small.root)
    print(f"\n[2/2] cold start on one prompt file of a small repository ({describe_repo(small)})")
    baseline = Contender(
        f'python -c "{IMPORT_BASELINE}"', [sys.executable, "-c", IMPORT_BASELINE], small.root
    )
    lint = Contender(f"llmops-ci lint {prompt}", [llmops_ci, "lint", str(prompt)], small.root)
    interleave([baseline, lint], 1, 0, min_reps=1)  # warm-up: page cache, .pyc files
    baseline.reset()
    lint.reset()
    interleave([baseline, lint], args.cold_reps, float("inf"))
    print_rows([baseline, lint])
    result = Result.of("cold start", COLD_START_GOAL, lint, baseline)
    print(f"  ratio lint / imports: {ratios(lint, baseline)}   goal <= {COLD_START_GOAL}")
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark llmops-ci lint (throughput and cold start).")
    parser.add_argument("--count", type=int, default=1000, help="prompt files to generate (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--reps", type=int, default=5, help="throughput runs per contender (default 5)")
    parser.add_argument(
        "--budget", type=float, default=120, help="seconds for the throughput runs; at least 3 rounds (120)"
    )
    parser.add_argument("--cold-reps", type=int, default=10, help="cold-start runs per contender (10)")
    parser.add_argument(
        "--no-suites",
        action="store_true",
        help="no eval suites in the repository; lint runs with --ignore E006",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep the environment's PYTHONDONTWRITEBYTECODE (llmops_ci then compiles from source each run)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated repositories")
    return parser.parse_args(argv)


def header(llmops_ci: str, cjs: str | None) -> None:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    tools = f"llmops-ci {version_of(llmops_ci)}, check-jsonschema {version_of(cjs) if cjs else 'absent'}"
    print(
        f"llmops-ci lint benchmark: Python {platform.python_version()}, {tools}, "
        f"{os.cpu_count()} CPUs, load {load}"
    )


def prepare(
    args: argparse.Namespace, workdir: Path, llmops_ci: str, cjs: str | None
) -> tuple[Generated, Generated]:
    started = time.perf_counter()
    big = generate(workdir / "repo", args.count, args.seed, suites=not args.no_suites)
    small = generate(workdir / "small", 1, args.seed, tasks=[COLD_START_TASK])
    print(f"generated in {time.perf_counter() - started:.1f} s under {workdir} (seed {args.seed})")
    if "PYTHONPYCACHEPREFIX" in CHILD_ENV:
        print(f"bytecode: cached for every contender under {CHILD_ENV['PYTHONPYCACHEPREFIX']}")
    lint_extra = ["--ignore", "E006"] if args.no_suites else []
    print(f"check: llmops-ci lint on the repository: {check_lint_clean(llmops_ci, big.root, lint_extra)}")
    check_lint_clean(llmops_ci, small.root)
    if cjs is not None:
        verify_check_jsonschema(cjs, big.prompts[0], workdir / "broken")
        print(
            "check: check-jsonschema accepts a valid prompt, rejects a bad role and a bad metadata.name "
            "(so it resolves the relative $ref to common.schema.json)"
        )
    return big, small


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    llmops_ci, cjs = venv_tool("llmops-ci"), venv_tool("check-jsonschema")
    if llmops_ci is None:
        print("llmops-ci is not installed: pip install -e . first", file=sys.stderr)
        return 2
    header(llmops_ci, cjs)
    workdir = Path(tempfile.mkdtemp(prefix="llmops-bench-"))
    if not args.no_bytecode_cache:
        cache_bytecode(workdir / "pycache")
    try:
        big, small = prepare(args, workdir, llmops_ci, cjs)
        results = [throughput(args, big, llmops_ci, cjs), cold_start(args, small, llmops_ci)]
    except SetupError as error:
        print(f"\nset-up check failed: {error}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nsummary{' (repositories kept in ' + str(workdir) + ')' if args.keep else ''}")
    print(f"  {'benchmark':<12} {'ratio':>6}   {'goal':<7}  result  lint / baseline (medians)")
    for result in results:
        print(result.row())
    return 1 if any(result.failed for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
