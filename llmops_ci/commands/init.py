"""``llmops-ci init``: scaffold a minimal repository (llmops.yaml, a prompt, a policy, a suite, an
environment) that lints clean. Existing files are never overwritten."""

from __future__ import annotations

import sys
from pathlib import Path

from llmops_ci.errors import EXIT_OK, UsageError

SCAFFOLD = Path(__file__).resolve().parent.parent / "scaffold"
GITIGNORE_LINES = ("/.llmops/*", "!/.llmops/cassettes/")


def _scaffold_files() -> list[Path]:
    return sorted(path for path in SCAFFOLD.rglob("*.yaml") if path.is_file())


def _update_gitignore(target: Path) -> bool:
    gitignore = target / ".gitignore"
    existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    missing = [line for line in GITIGNORE_LINES if line not in existing.splitlines()]
    if not missing:
        return False
    prefix = "" if not existing or existing.endswith("\n") else "\n"
    with gitignore.open("a", encoding="utf-8") as handle:
        handle.write(prefix + "# llmops-ci state (cache, runs); cassettes are meant to be committed\n")
        handle.write("\n".join(missing) + "\n")
    return True


def run(directory: Path) -> int:
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    for source in _scaffold_files():
        relative = source.relative_to(SCAFFOLD)
        destination = directory / relative
        if destination.exists():
            skipped.append(relative.as_posix())
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
        written.append(relative.as_posix())
    if _update_gitignore(directory):
        written.append(".gitignore")
    for name in written:
        sys.stdout.write(f"created {directory / name}\n")
    for name in skipped:
        sys.stdout.write(f"kept    {directory / name} (already exists)\n")
    sys.stdout.write(f"\nNext: cd {directory} && llmops-ci lint\n")
    return EXIT_OK
