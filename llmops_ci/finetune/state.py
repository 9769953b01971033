"""The state file of a submitted fine-tune, kept in the repository next to its artifact:
``finetune/support-bot.yaml`` -> ``finetune/support-bot.state.json``. Commit it: it is how a teammate (or
CI) finds the job, and the model it produced, from the checkout.

Contents (JSON, written atomically): ``schema_version`` (1), ``finetune`` (the name), ``digest`` (of the
FineTune artifact and its data files at submission: a changed config shows as a different digest),
``provider``, ``api_base``, ``base_model``, ``job_id``, ``training_file_id``, ``validation_file_id``,
``submitted_at``, and what the last ``status`` call saw: ``status``, ``fine_tuned_model``, ``model``
(the litellm model id to evaluate, ``openai/<fine_tuned_model>``), ``trained_tokens``, ``error``,
``updated_at``. The file is not YAML, so artifact discovery never reads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.model import Artifact
from llmops_ci.atomic import write_atomically
from llmops_ci.errors import LlmopsError

STATE_VERSION = 1
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


class StateError(LlmopsError):
    """A state file that is missing or unreadable; the message names it."""


def state_path(finetune: Artifact) -> Path:
    return finetune.path.with_name(f"{finetune.path.stem}.state.json")


def read_state(finetune: Artifact) -> dict[str, Any] | None:
    path = state_path(finetune)
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise StateError(f"{path}: not a readable state file ({error})") from None
    if not isinstance(state, dict) or state.get("schema_version") != STATE_VERSION:
        raise StateError(f"{path}: not a llmops-ci fine-tune state file (schema_version {STATE_VERSION})")
    return state


def write_state(finetune: Artifact, state: dict[str, Any]) -> Path:
    path = state_path(finetune)
    write_atomically(
        path, json.dumps({"schema_version": STATE_VERSION, **state}, indent=2, sort_keys=True) + "\n"
    )
    return path
