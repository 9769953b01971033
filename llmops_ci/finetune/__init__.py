"""Fine-tuning as an artifact: a ``FineTune`` names a base model, a method (lora / qlora / full), its
hyperparameters, chat JSONL training and validation data and the eval suite that gates the result.
:mod:`.data` reads the data, :mod:`.validate` checks it, :mod:`.jobs` submits and follows the job
through litellm's fine-tuning API, and :mod:`.state` keeps the job's id in the repository."""
