"""Benchmark ``llmops-ci eval`` against the issue's performance goals, measured side by side in one run.

Sections (``--sections``, default all):

overhead  3,000 cases against the local fake OpenAI server at 100 ms latency, concurrency 50, next to
          promptfoo (``--no-cache``, same server, concurrency and suite; the column is skipped when
          promptfoo is not installed) and a bare ``litellm.acompletion`` + Semaphore loop for reference.
          Goal: llmops-ci wall <= 0.8 x promptfoo's.
limit     3,000 cases at 1,000 ms latency, concurrency 100: no client can beat N x L / C = 30 s.
          Goal: wall, start-up included, <= 1.15 x that bound.
cached    the same suite again, every case in the cache: zero requests to the server, litellm not
          imported, and its wall next to ``llmops-ci lint`` on the same repository. Goal: <= 1.5 x lint.
          Two kinds of rerun are timed: planned in full (the first rerun: the graph loaded, every case
          planned and served from the cache; it leaves a memo) and replayed (the next ones: nothing
          changed, so the memo's results are written again); the goal is judged on the replay.
rss       10,000 and 100,000 cases (latency 0, concurrency 200): records streamed to disk, peak RSS flat
          and under 300 MB.

Every case has its own vars, so nothing comes from a cache unless the section wants it. The fake server
runs in its own process (its threads must not take the GIL from the client being measured) and notes
when the first and the last request arrived, so a wall splits into start-up (process start to first
request), the requests, and the tail (last request to exit). Every contender is a subprocess whose wall
time, CPU time (user + system) and peak RSS (``wait4``) are measured; contenders run interleaved and
medians are compared. Python contenders get cached bytecode, as after a pip install. Run it with the
project's virtual environment (about 10 minutes for everything on a 2-CPU machine; the 100k run is most
of it):

    .venv/bin/python bench/eval_bench.py [--sections overhead,limit,cached,rss] [--reps 2]
        [--rss-counts 10000,100000] [--cli "python -c '...'"] [--promptfoo PATH [--promptfoo-arg=--no-write]]

promptfoo is looked up as ``--promptfoo PATH`` (its executable, or a directory it was installed into with
``npm install --prefix DIR promptfoo``), ``$PROMPTFOO``, ``promptfoo`` on PATH, then ``npx --no-install
promptfoo`` (never downloaded). ``--cli`` measures another llmops-ci command line (e.g. an older checkout)
in place of the installed one. Exit status: 0 when every measured goal is met, 1 when one is missed, 2
when a set-up check fails.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODEL = "gpt-4o-mini-2024-07-18"
SECTIONS = ("overhead", "limit", "cached", "rss")
OVERHEAD_GOAL = 0.8
LIMIT_GOAL = 1.15
CACHED_GOAL = 1.5
RSS_GOAL_MB = 300.0
RSS_FLAT = 1.25  # the larger run may peak at most this much above the smaller one
SYSTEM = "Classify the document: invoice, contract or nda."
REPLAYED = "nothing changed since run"  # what `eval` says on stderr when it replays a memo

#: The fake server in its own process. It prints its base URL, then answers one command per stdin line
#: (``latency SECONDS``, ``reset``, ``stats``) and stops when stdin closes. It counts requests instead of
#: keeping them (100,000 request bodies would cost the server's memory and time, not the client's).
SERVER_SCRIPT = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from tests.fakes.openai_server import OpenAIServer

server = OpenAIServer().start()
seen = {"count": 0, "first": None, "last": None}

def record(request):
    now = time.time()
    seen["count"] += 1
    seen["first"] = seen["first"] or now
    seen["last"] = now

server._record = record
print(server.base_url, flush=True)
for line in sys.stdin:
    command, _, argument = line.strip().partition(" ")
    if command == "latency":
        server.latency = float(argument)
    elif command == "reset":
        seen.update(count=0, first=None, last=None)
    print(json.dumps(seen), flush=True)
server.stop()
"""

#: The reference floor: a plain asyncio program calling litellm under a semaphore.
BARE_LITELLM_SCRIPT = r"""
import asyncio, os, sys
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
import litellm
litellm.suppress_debug_info = True
base, count, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
system = sys.argv[4]

async def main():
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i):
        async with semaphore:
            response = await litellm.acompletion(
                model="openai/gpt-4o-mini-2024-07-18", api_base=base, max_retries=0, timeout=60,
                temperature=0, max_tokens=20,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": f"bare document {i}: INVOICE #{i} total {i % 997} EUR"},
                ],
            )
            assert "echo" in response.choices[0].message.content

    await asyncio.gather(*(one(i) for i in range(count)))

asyncio.run(main())
"""


class SetupError(Exception):
    """The benchmark would measure the wrong thing (a failed run, requests that should not happen)."""


@dataclass
class Measured:
    wall: float
    cpu: float
    max_rss_mb: float
    started: float  # time.time() at start, to line up with the server's request times
    ended: float
    returncode: int
    stdout: str
    stderr: str


def measure(argv: Sequence[str], *, cwd: Path, env: dict[str, str]) -> Measured:
    """Run ``argv`` to the end: wall time, CPU time (user + system) and peak RSS of that process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started_at = time.time()
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,
            started_at,
            started_at + wall,
            process.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


@dataclass
class Seen:
    count: int
    first: float | None
    last: float | None


class Server:
    """The fake OpenAI server, in a subprocess."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER_SCRIPT, str(REPO)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url = self._line()

    def _line(self) -> str:
        line = self.process.stdout.readline().strip() if self.process.stdout else ""
        if not line:
            raise SetupError("the fake server did not start or stopped")
        return line

    def command(self, command: str) -> Seen:
        if self.process.stdin is None:
            raise SetupError("the fake server has no stdin")
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        seen = json.loads(self._line())
        return Seen(int(seen["count"]), seen["first"], seen["last"])

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def fake_server() -> Iterator[Server]:
    server = Server()
    try:
        yield server
    finally:
        server.close()


def document(tag: str, index: int) -> str:
    return f"{tag} document {index}: INVOICE #{index} total {index % 997} EUR"


def write_repo(root: Path, count: int, base_url: str, *, tag: str) -> Path:
    """One Prompt and one EvalSuite of ``count`` cases (a JSONL cases file, unique vars per case)."""
    (root / "prompts").mkdir(parents=True, exist_ok=True)
    (root / "evals" / "cases").mkdir(parents=True, exist_ok=True)
    (root / "llmops.yaml").write_text(
        "apiVersion: llmops-ci/v1\nkind: Project\nmetadata: {name: eval-bench}\nspec: {}\n", encoding="utf-8"
    )
    (root / "prompts" / "classifier.yaml").write_text(
        f"""\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {{name: classifier}}
spec:
  model: {{id: openai/{MODEL}, params: {{temperature: 0, max_tokens: 20}}}}
  inputs: {{type: object, required: [document], properties: {{document: {{type: string}}}}}}
  messages:
    - {{role: system, content: "{SYSTEM}"}}
    - {{role: user, content: "{{{{ document }}}}"}}
""",
        encoding="utf-8",
    )
    (root / "evals" / "classifier.yaml").write_text(
        f"""\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {{name: bench}}
spec:
  target: {{prompt: classifier}}
  models: [{{id: openai/{MODEL}, api_base: "{base_url}"}}]
  defaults: {{assert: [{{type: icontains, value: echo}}]}}
  cases_file: cases/bench.jsonl
""",
        encoding="utf-8",
    )
    with (root / "evals" / "cases" / "bench.jsonl").open("w", encoding="utf-8") as handle:
        for index in range(count):
            handle.write(
                json.dumps({"id": f"c{index:06d}", "vars": {"document": document(tag, index)}}) + "\n"
            )
    return root


def write_promptfoo(root: Path, count: int, base_url: str, *, tag: str) -> Path:
    """The same suite for promptfoo: the same chat messages, a CSV of the vars, the same assertion."""
    root.mkdir(parents=True, exist_ok=True)
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "{{ document }}"}]
    (root / "prompt.json").write_text(json.dumps(messages), encoding="utf-8")
    with (root / "tests.csv").open("w", encoding="utf-8") as handle:
        handle.write("document\n" + "".join(f'"{document(tag, index)}"\n' for index in range(count)))
    config = {
        "description": "eval-bench",
        "prompts": ["file://prompt.json"],
        "providers": [
            {
                "id": f"openai:chat:{MODEL}",
                "config": {"apiBaseUrl": base_url, "temperature": 0, "max_tokens": 20},
            }
        ],
        "defaultTest": {"assert": [{"type": "icontains", "value": "echo"}]},
        "tests": "file://tests.csv",
    }
    (root / "promptfooconfig.yaml").write_text(json.dumps(config, indent=1), encoding="utf-8")
    return root


def llmops_ci_command(override: str | None) -> list[str]:
    if override:
        return shlex.split(override)
    found = shutil.which("llmops-ci", path=str(Path(sys.executable).parent)) or shutil.which("llmops-ci")
    if not found:
        raise SetupError("llmops-ci is not installed in this environment")
    return [found]


def promptfoo_command(given: str | None = None) -> tuple[list[str], str] | None:
    """promptfoo's argv and version, or None when it is not installed (never downloads it)."""
    candidates: list[list[str]] = []
    if given:
        path = Path(given)
        installed = path / "node_modules" / ".bin" / "promptfoo"
        candidates.append([str(installed if path.is_dir() and installed.exists() else path)])
    if os.environ.get("PROMPTFOO"):
        candidates.append([os.environ["PROMPTFOO"]])
    if shutil.which("promptfoo"):
        candidates.append([str(shutil.which("promptfoo"))])
    if shutil.which("npx"):
        candidates.append([str(shutil.which("npx")), "--no-install", "promptfoo"])
    for argv in candidates:
        try:
            probe = subprocess.run(
                [*argv, "--version"], capture_output=True, text=True, timeout=120, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0 and probe.stdout.strip():
            return argv, probe.stdout.strip().splitlines()[0][:40]
    return None


def child_env(work: Path) -> dict[str, str]:
    """Python contenders get cached bytecode, as after a pip install (PYTHONDONTWRITEBYTECODE with an
    empty PYTHONPYCACHEPREFIX would compile litellm from source on every run); promptfoo keeps its state
    in the work directory and does not phone home."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {
        **env,
        "OPENAI_API_KEY": "sk-bench-not-a-real-key",
        "NO_COLOR": "1",
        "PYTHONPYCACHEPREFIX": str(work / "pycache"),
        "PROMPTFOO_CONFIG_DIR": str(work / "promptfoo-home"),
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_DISABLE_REDTEAM_REMOTE_GENERATION": "1",
    }


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def describe(label: str, runs: Sequence[Measured], count: int | None) -> str:
    walls = [m.wall for m in runs]
    cpu = median([m.cpu for m in runs])
    per_call = f" ({cpu / count * 1000:.2f} ms/case)" if count else ""
    spread = f" [{min(walls):.2f}-{max(walls):.2f}]" if len(runs) > 1 else ""
    return (
        f"  {label:<27} wall {median(walls):7.2f} s{spread}  cpu {cpu:6.2f} s{per_call}  "
        f"peak RSS {median([m.max_rss_mb for m in runs]):4.0f} MB  n={len(runs)}"
    )


class Bench:
    def __init__(
        self,
        work: Path,
        server: Server,
        reps: int,
        cli: list[str],
        promptfoo: str | None = None,
        promptfoo_args: Sequence[str] = (),
    ) -> None:
        self.work = work
        self.server = server
        self.reps = reps
        self.cli = cli
        self.promptfoo_path = promptfoo
        self.promptfoo_args = list(promptfoo_args)
        self.env = child_env(work)
        self.runs = 0
        self.verdicts: list[tuple[str, bool]] = []

    def fresh_repo(self, count: int, tag: str) -> Path:
        self.runs += 1
        return write_repo(self.work / f"repo-{self.runs}-{tag}", count, self.server.base_url, tag=tag)

    def eval_argv(self, repo: Path, concurrency: int, *extra: str) -> list[str]:
        self.runs += 1
        output = self.work / f"out-{self.runs}"
        options = ["-j", str(concurrency), "--output", str(output), "--format", "json", *extra]
        return [*self.cli, "eval", "--project", str(repo), *options]

    def run_eval(self, repo: Path, concurrency: int, count: int, *extra: str) -> tuple[Measured, Seen]:
        self.server.command("reset")
        measured = measure(self.eval_argv(repo, concurrency, *extra), cwd=repo, env=self.env)
        seen = self.server.command("stats")
        if measured.returncode != 0:
            raise SetupError(f"llmops-ci eval exited {measured.returncode}:\n{measured.stderr[-3000:]}")
        summary = json.loads(measured.stdout)
        cases = sum(group["cases"] for group in summary["suites"])
        passed = sum(group["passed"] for group in summary["suites"])
        if cases != count or passed != count or not summary["complete"]:
            raise SetupError(f"llmops-ci eval: {passed} of {count} cases passed")
        return measured, seen

    def verdict(self, name: str, ok: bool) -> str:
        self.verdicts.append((name, ok))
        return "met" if ok else "MISSED"

    def warm_up(self) -> None:
        """A small run of the Python contenders before any section: bytecode caches written (else the first
        measured run compiles litellm from source), files in the page cache."""
        self.server.command("latency 0")
        self.run_eval(self.fresh_repo(20, "warmup"), 10, 20, "--no-cache")
        self.bare(20, 10)

    def bare(self, count: int, concurrency: int) -> Measured:
        self.server.command("reset")
        argv = [sys.executable, "-c", BARE_LITELLM_SCRIPT, self.server.base_url, str(count), str(concurrency)]
        measured = measure([*argv, SYSTEM], cwd=self.work, env=self.env)
        if measured.returncode != 0 or self.server.command("stats").count != count:
            raise SetupError(f"the bare litellm loop failed:\n{measured.stderr[-3000:]}")
        return measured

    def promptfoo(self, argv: list[str], count: int, concurrency: int) -> Measured:
        self.runs += 1
        root = write_promptfoo(
            self.work / f"promptfoo-{self.runs}", count, self.server.base_url, tag=f"pf{self.runs}"
        )
        self.server.command("reset")
        command = [*argv, "eval", "-c", "promptfooconfig.yaml", "--no-cache", "-j", str(concurrency)]
        command += ["--no-table", "--no-progress-bar", *self.promptfoo_args]
        measured = measure(command, cwd=root, env=self.env)
        requests = self.server.command("stats").count
        if requests != count:
            raise SetupError(
                f"promptfoo made {requests} requests for {count} cases:\n{measured.stderr[-3000:]}"
            )
        return measured

    # --- sections

    def overhead(self, count: int, latency: float = 0.1, concurrency: int = 50) -> None:
        bound = count * latency / concurrency
        print(
            f"\n== per-call overhead: {count:,} cases, {latency * 1000:.0f} ms latency, concurrency "
            f"{concurrency} (bound N*L/C = {bound:.1f} s), {self.reps} rep(s) interleaved, medians"
        )
        found = promptfoo_command(self.promptfoo_path)
        promptfoo = found[0] if found else None
        where = f"{found[1]} ({' '.join(found[0])})" if found else "not installed: column skipped"
        print(
            f"  promptfoo: {where}"
            + (f", with {' '.join(self.promptfoo_args)}" if found and self.promptfoo_args else "")
        )
        if promptfoo:
            self.server.command("latency 0")
            self.promptfoo(promptfoo, 20, 10)  # warm-up: its files in the page cache
        self.server.command(f"latency {latency}")
        ours: list[Measured] = []
        bare: list[Measured] = []
        theirs: list[Measured] = []
        for rep in range(self.reps):
            ours.append(
                self.run_eval(self.fresh_repo(count, f"overhead{rep}"), concurrency, count, "--no-cache")[0]
            )
            bare.append(self.bare(count, concurrency))
            if promptfoo:
                theirs.append(self.promptfoo(promptfoo, count, concurrency))
        print(describe("llmops-ci eval --no-cache", ours, count))
        print(describe("bare litellm loop", bare, count))
        if theirs:
            print(describe("promptfoo eval --no-cache", theirs, count))
        mine = median([m.wall for m in ours])
        print(f"  llmops-ci / bare litellm loop = {mine / median([m.wall for m in bare]):.2f}")
        if theirs:
            ratio = mine / median([m.wall for m in theirs])
            ok = ratio <= OVERHEAD_GOAL
            verdict = self.verdict("overhead", ok)
            print(f"  llmops-ci / promptfoo = {ratio:.2f} (goal <= {OVERHEAD_GOAL}): {verdict}")

    def limit(self, count: int, latency: float = 1.0, concurrency: int = 100) -> None:
        bound = count * latency / concurrency
        print(
            f"\n== closeness to the limit: {count:,} cases, {latency * 1000:.0f} ms latency, concurrency "
            f"{concurrency}, bound N*L/C = {bound:.1f} s"
        )
        self.server.command(f"latency {latency}")
        measured, seen = self.run_eval(self.fresh_repo(count, "limit"), concurrency, count, "--no-cache")
        print(describe("llmops-ci eval --no-cache", [measured], count))
        if seen.first is not None and seen.last is not None:
            print(
                f"  start-up (start to first request) {seen.first - measured.started:.2f} s, requests "
                f"{seen.last - seen.first:.2f} s, last answer {latency:.1f} s, then exit "
                f"{measured.ended - seen.last - latency:.2f} s"
            )
        ratio = measured.wall / bound
        ok = ratio <= LIMIT_GOAL
        verdict = self.verdict("limit", ok)
        print(f"  wall / bound = {ratio:.3f} (goal <= {LIMIT_GOAL}, start-up included): {verdict}")
        imports = [self.litellm_import() for _ in range(3)]
        alone = median(imports)
        print(
            f"  for scale: litellm's import as the eval pays it (litellm_module(), after the eval's own "
            f"modules) takes {alone:.2f} s [{min(imports):.2f}-{max(imports):.2f}] here, {alone / bound:.1%} "
            f"of the bound; the rest of the wall is {(measured.wall - alone) / bound:.3f} x the bound"
        )

    def litellm_import(self) -> float:
        """Seconds ``litellm_module()`` takes in a process that has imported what ``eval`` imports first."""
        code = (
            "import time; from llmops_ci.commands import eval; from llmops_ci.eval import plan, runner; "
            "from llmops_ci.providers import litellm_provider; import asyncio; "
            "started = time.perf_counter(); litellm_provider.litellm_module(); "
            "print(time.perf_counter() - started)"
        )
        measured = measure([sys.executable, "-c", code], cwd=self.work, env=self.env)
        if measured.returncode != 0:
            raise SetupError(f"import litellm failed:\n{measured.stderr[-3000:]}")
        return float(measured.stdout.strip())

    def cached(self, count: int, concurrency: int = 50) -> None:
        print(
            f"\n== cached rerun: {count:,} cases, all in the cache, next to llmops-ci lint on that repository"
        )
        self.server.command("latency 0")
        repo = self.fresh_repo(count, "cached")
        self.run_eval(repo, concurrency, count)  # fills the cache
        probe = (
            "import sys; from llmops_ci.cli import main; code = main(sys.argv[1:]); "
            "print('LITELLM-IMPORTED', 'litellm' in sys.modules, file=sys.stderr); sys.exit(code)"
        )
        self.server.command("reset")
        checks = []
        for _ in range(2):  # planned in full (leaves the memo), then replayed from it
            checks.append(
                measure(
                    [sys.executable, "-c", probe, *self.eval_argv(repo, concurrency)[len(self.cli) :]],
                    cwd=repo,
                    env=self.env,
                )
            )
        requests = self.server.command("stats").count
        if any(c.returncode != 0 or "LITELLM-IMPORTED" not in c.stderr for c in checks):
            raise SetupError(f"the cached rerun failed:\n{checks[-1].stderr[-3000:]}")
        if REPLAYED in checks[0].stderr or REPLAYED not in checks[1].stderr:
            raise SetupError(f"expected a full cached run, then a replay:\n{checks[1].stderr[-3000:]}")
        imported = any("LITELLM-IMPORTED True" in c.stderr for c in checks)
        print(f"  requests to the server: {requests}; litellm imported: {imported}")
        planned: list[Measured] = []
        replayed: list[Measured] = []
        lint_runs: list[Measured] = []
        for _ in range(max(3, 2 * self.reps)):
            shutil.rmtree(repo / ".llmops" / "memo", ignore_errors=True)
            measured, seen = self.run_eval(repo, concurrency, count)  # plans, serves, leaves the memo
            requests += seen.count
            planned.append(measured)
            measured, seen = self.run_eval(repo, concurrency, count)  # nothing changed: replayed
            requests += seen.count
            if REPLAYED not in measured.stderr:
                raise SetupError(f"the second cached run was not replayed:\n{measured.stderr[-3000:]}")
            replayed.append(measured)
            lint = measure([*self.cli, "lint", "--project", str(repo)], cwd=repo, env=self.env)
            if lint.returncode != 0:
                raise SetupError(f"llmops-ci lint failed:\n{lint.stdout[-3000:]}{lint.stderr[-3000:]}")
            lint_runs.append(lint)
        print(describe("llmops-ci eval, planned in full", planned, count))
        print(describe("llmops-ci eval, replayed (memo)", replayed, count))
        print(describe("llmops-ci lint", lint_runs, None))
        lint_wall = median([m.wall for m in lint_runs])
        full = median([m.wall for m in planned]) / lint_wall
        print(f"  planned in full / lint = {full:.2f} (for reference)")
        ratio = median([m.wall for m in replayed]) / lint_wall
        ok = ratio <= CACHED_GOAL and requests == 0 and not imported
        print(
            f"  cached rerun (replayed) / lint = {ratio:.2f}, {requests} requests (goal <= {CACHED_GOAL}, "
            f"0 requests, no litellm): {self.verdict('cached', ok)}"
        )

    def rss(self, counts: Sequence[int], concurrency: int = 200) -> None:
        print(f"\n== peak RSS: latency 0, concurrency {concurrency}, --no-cache")
        self.server.command("latency 0")
        peaks: list[float] = []
        rate: float | None = None
        for count in counts:
            if rate:
                print(f"  ({count:,} cases next: about {count / rate / 60:.0f} min at the last rate)")
            repo = self.fresh_repo(count, f"rss{count}")
            # planning alone (no model call, no litellm): what the run holds before the first request
            plan = measure(
                [*self.eval_argv(repo, concurrency, "--no-cache"), "--dry-run"], cwd=repo, env=self.env
            )
            measured, _ = self.run_eval(repo, concurrency, count, "--no-cache")
            peaks.append(measured.max_rss_mb)
            rate = count / measured.wall
            print(
                describe(f"{count:,} cases", [measured], count)
                + f"  {rate:.0f} cases/s; planning alone (--dry-run) {plan.wall:.1f} s, "
                f"peak RSS {plan.max_rss_mb:.0f} MB"
            )
        flat = len(peaks) < 2 or peaks[-1] <= peaks[0] * RSS_FLAT
        ok = flat and max(peaks) <= RSS_GOAL_MB
        print(
            "  peak RSS "
            + " -> ".join(f"{peak:.0f} MB" for peak in peaks)
            + f" (goal: flat, under {RSS_GOAL_MB:.0f} MB): {self.verdict('rss', ok)}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help="comma-separated: " + ", ".join(SECTIONS)
    )
    parser.add_argument(
        "--reps", type=int, default=2, help="repetitions of the overhead contenders (default 2)"
    )
    parser.add_argument(
        "--cases", type=int, default=3000, help="cases of the overhead, limit and cached suites"
    )
    parser.add_argument("--rss-counts", default="10000,100000", help="suite sizes of the rss section")
    parser.add_argument("--cli", help="the llmops-ci command line to measure (default: the installed one)")
    parser.add_argument(
        "--promptfoo", help="promptfoo's executable, or the directory of an npm install --prefix of it"
    )
    parser.add_argument(
        "--promptfoo-arg",
        action="append",
        default=[],
        help="one more argument for promptfoo eval, e.g. --promptfoo-arg=--no-write (repeatable)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens, also into a file
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    work = Path(tempfile.mkdtemp(prefix="llmops-eval-bench-"))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"llmops-ci eval benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs, load {load}, "
        f"work dir {work}"
    )
    started = time.perf_counter()
    verdicts: list[tuple[str, bool]] = []
    try:
        cli = llmops_ci_command(args.cli)
        with fake_server() as server:
            bench = Bench(work, server, args.reps, cli, args.promptfoo, args.promptfoo_arg)
            bench.warm_up()
            if "overhead" in sections:
                bench.overhead(args.cases)
            if "limit" in sections:
                bench.limit(args.cases)
            if "cached" in sections:
                bench.cached(args.cases)
            if "rss" in sections:
                bench.rss([int(n) for n in args.rss_counts.split(",") if n.strip()])
            verdicts = bench.verdicts
    except SetupError as error:
        print(f"set-up check failed: {error}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    missed = [name for name, ok in verdicts if not ok]
    print(
        f"\n{len(verdicts) - len(missed)} of {len(verdicts)} goals met"
        + (f"; missed: {', '.join(missed)}" if missed else "")
        + f" ({time.perf_counter() - started:.0f} s)"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
