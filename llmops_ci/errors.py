"""Exceptions that carry an exit code; the CLI turns them into a message, never a traceback."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class LlmopsError(Exception):
    """A user-facing error: printed as one message, exit code as given."""

    exit_code = EXIT_FINDINGS


class UsageError(LlmopsError):
    """Command-line misuse (a bad option value, an unknown rule code...)."""

    exit_code = EXIT_USAGE


class ProjectConfigError(LlmopsError):
    """llmops.yaml cannot be read or is not a valid Project."""

    exit_code = EXIT_USAGE
