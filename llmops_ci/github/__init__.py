"""GitHub: the pull-request event payload, a small REST client (issue comments), and the workflow files
of GitHub Actions (step outputs, the step summary).

- :mod:`~llmops_ci.github.event` reads ``GITHUB_EVENT_PATH`` (a ``pull_request`` payload);
- :mod:`~llmops_ci.github.rest` talks to ``GITHUB_API_URL`` (retries, pagination, clear errors) and upserts
  the one sticky comment of a pull request;
- :mod:`~llmops_ci.github.comment` builds that comment: marker first, secrets redacted, under GitHub's limit;
- :mod:`~llmops_ci.github.outputs` writes ``$GITHUB_OUTPUT`` and ``$GITHUB_STEP_SUMMARY``.

Standard library only (urllib): the Action installs nothing more than the toolkit.
"""
