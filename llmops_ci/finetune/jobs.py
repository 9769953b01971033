"""Submitting a fine-tune and following its job through litellm's files and fine-tuning API
(``acreate_file``, ``acreate_fine_tuning_job``, ``aretrieve_fine_tuning_job``), provider ``openai``
(any OpenAI-compatible endpoint: ``spec.api_base``, else ``OPENAI_BASE_URL``/``OPENAI_API_BASE``).

The base model is sent without its ``openai/`` prefix. Hyperparameters map to OpenAI's: ``epochs`` ->
``n_epochs``, ``batch_size`` -> ``batch_size``, ``learning_rate`` -> ``learning_rate_multiplier`` (OpenAI
takes a multiplier of its own default). LoRA's ``rank``, ``alpha`` and ``dropout`` are not part of
OpenAI's API: they stay in the artifact (and its digest, in the state file) for trainers that read them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.model import Artifact
from llmops_ci.errors import LlmopsError

PROVIDER = "openai"


class JobError(LlmopsError):
    """The provider refused or failed a files / fine-tuning request."""


@dataclass
class Submitted:
    job_id: str
    training_file_id: str
    validation_file_id: str | None
    status: str


def api_base(finetune: Artifact) -> str | None:
    base = (
        finetune.spec.get("api_base")
        or os.environ.get("OPENAI_BASE_URL")
        or os.environ.get("OPENAI_API_BASE")
    )
    return str(base) if base else None


def provider_hyperparameters(finetune: Artifact) -> dict[str, Any]:
    given = finetune.spec.get("hyperparameters", {})
    names = {"epochs": "n_epochs", "batch_size": "batch_size", "learning_rate": "learning_rate_multiplier"}
    return {names[key]: value for key, value in given.items() if key in names}


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _base(finetune: Artifact) -> dict[str, Any]:
    base = api_base(finetune)
    return {"custom_llm_provider": PROVIDER, **({"api_base": base} if base else {})}


async def _upload(litellm: Any, path: Path, base: dict[str, Any]) -> str:
    try:
        with path.open("rb") as handle:
            uploaded = await litellm.acreate_file(
                file=(path.name, handle.read()), purpose="fine-tune", **base
            )
    except Exception as error:  # litellm raises its own hierarchy plus httpx/openai ones
        raise JobError(f"{path}: upload failed: {str(error).splitlines()[0][:300]}") from None
    return str(_field(uploaded, "id"))


async def submit(finetune: Artifact, files: dict[str, Path]) -> Submitted:
    """Upload the data files and create the job; raises :class:`JobError`."""
    from llmops_ci.providers.litellm_provider import litellm_module

    litellm = litellm_module()
    base = _base(finetune)
    training = await _upload(litellm, files["training"], base)
    validation = await _upload(litellm, files["validation"], base) if "validation" in files else None
    model = str(finetune.spec["base_model"]).removeprefix(f"{PROVIDER}/")
    try:
        job = await litellm.acreate_fine_tuning_job(
            model=model,
            training_file=training,
            validation_file=validation,
            hyperparameters=provider_hyperparameters(finetune),
            suffix=str(finetune.name)[:18],
            **base,
        )
    except Exception as error:
        raise JobError(f"creating the fine-tuning job failed: {str(error).splitlines()[0][:300]}") from None
    return Submitted(str(_field(job, "id")), training, validation, str(_field(job, "status")))


async def retrieve(finetune: Artifact, job_id: str) -> dict[str, Any]:
    """The job's status, fine_tuned_model, trained_tokens and error; raises :class:`JobError`."""
    from llmops_ci.providers.litellm_provider import litellm_module

    litellm = litellm_module()
    try:
        job = await litellm.aretrieve_fine_tuning_job(fine_tuning_job_id=job_id, **_base(finetune))
    except Exception as error:
        raise JobError(f"reading job {job_id} failed: {str(error).splitlines()[0][:300]}") from None
    failure = _field(job, "error")
    message = _field(failure, "message") if failure else None
    model = _field(job, "fine_tuned_model")
    return {
        "status": str(_field(job, "status")),
        "fine_tuned_model": model,
        "model": f"{PROVIDER}/{model}" if model else None,
        "trained_tokens": _field(job, "trained_tokens"),
        "error": message,
    }
