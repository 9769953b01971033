"""``llmops-ci schema KIND`` prints a kind's JSON Schema; ``--output-dir`` writes all of them for editors."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from llmops_ci.artifacts.schemas import KIND_SCHEMAS, SHARED_SCHEMAS, did_you_mean, kind_schema, schema_dir
from llmops_ci.errors import EXIT_OK, UsageError


def _kind(name: str) -> str:
    by_lower = {kind.lower(): kind for kind in KIND_SCHEMAS}
    by_file = {file.split(".")[0]: kind for kind, file in KIND_SCHEMAS.items()}
    found = by_lower.get(name.lower()) or by_file.get(name.lower())
    if found is None:
        raise UsageError(
            f"unknown kind {name!r}{did_you_mean(name, KIND_SCHEMAS)}; kinds: {', '.join(KIND_SCHEMAS)}"
        )
    return found


def run(kind: str | None, *, output_dir: Path | None = None) -> int:
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        for file_name in (*SHARED_SCHEMAS, *KIND_SCHEMAS.values()):
            shutil.copyfile(schema_dir() / file_name, output_dir / file_name)
        sys.stdout.write(f"wrote {len(KIND_SCHEMAS) + len(SHARED_SCHEMAS)} schemas to {output_dir}\n")
        return EXIT_OK
    if kind is None:
        for name, file_name in KIND_SCHEMAS.items():
            sys.stdout.write(f"{name:<16} {file_name}\n")
        return EXIT_OK
    sys.stdout.write(json.dumps(kind_schema(_kind(kind)), indent=2) + "\n")
    return EXIT_OK
