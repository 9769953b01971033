"""Production monitoring from the runtime audit logs: ``llmops-ci monitor [AUDIT...]`` (seed §4.2.2
Monitor, §4.3.2 monitoring architecture).

``AUDIT`` is audit files or directories (``schemas/audit-record.schema.json``; default
``spec.monitoring.audit_dir`` of llmops.yaml, else ``.llmops/audit``). The *window* is the calls with
``--since <= time < --until`` (both optional: a date, a date-time or a duration back from now such as
``7d``). The report has:

Usage
    Calls, input and output tokens and cost per UTC day, and by artifact version (``name@version``),
    model and owner (the prompt's ``metadata.owner`` in the repository). Answered calls without a known
    price are counted as *unpriced*, never as free.
Guardrail triggers
    Per ``policy/check``: the calls with at least one finding of it, their share of the window's calls,
    the actions and scopes, the share per day, and the *trend*: the share in the second half of the
    window's calls minus the first half, in percentage points.
Groundedness
    Up to ``--sample`` (default 200, ``spec.monitoring.sample``) answered calls that were given chunks,
    drawn with a fixed seed, are scored with the lexical :func:`llmops_ci.rag.measures.groundedness`
    (share of answer sentences one chunk supports; ``groundedness_threshold`` default 0.6). The audit log
    keeps chunk *ids* only: their texts are looked up in the RagPipeline indexes as built now
    (``llmops-ci rag build``); answers whose chunks are not found are listed as not scored, with the reason.
    With a grader (``--grader`` or ``spec.monitoring.grader``), each scored answer is also judged by that
    model (context faithfulness: supported claims / claims), one call per answer.
Drift
    The window's queries (the last user message, or its ``<question>``) against a baseline's: ``term_jsd``,
    ``vocabulary_new_fraction``, ``query_length_shift`` and, for the queries asked in both, the changes of
    the retrieved chunk ids (:mod:`llmops_ci.rag.drift`). The baseline is ``--baseline PATH`` (other
    logs), ``--baseline FROM..TO`` (a window of the same logs), or, with ``--since`` and no
    ``--baseline``, every call before ``--since``.
Rollouts
    A prompt served in several versions through a weighted rollout (records with a ``bucket``) in one
    environment: the versions side by side (answered, blocked and error shares, mean latency, cost per
    call, groundedness; the weights the Environment declares), the base being the stable version: the
    first of the split the repository's Environment declares, else the version with the most calls. Each
    other version is tested against it with the conditional test of ``llmops-ci diff``
    (:mod:`llmops_ci.compare.stats`) on the share of answered calls, each UTC day being a stratum: rollout
    traffic is not paired call by call, so the day plays the part of the case, and a mix of traffic that
    changes over the days does not pass for a difference between the versions.
Alerts
    The rules of ``spec.monitoring.alerts`` (:mod:`llmops_ci.monitoring.alerts`); exit 1 when one fires.

Output: ``--format text`` (default), ``markdown`` (for a scheduled workflow to post) or ``json``.
"""
