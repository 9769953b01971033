"""``llmops-ci report RESULTS [--compare BASE] -o report.html``: a run as one self-contained HTML file.

The file holds its CSS, its few lines of JavaScript and its charts (inline SVG) and refers to nothing on
the network, so it opens offline, from a CI artifact or an e-mail attachment. It shows:

- the verdict and the run's facts (run id, commit, records);
- with ``--compare BASE``: the verdict of ``diff`` per suite x model (pass rate base → head, the paired
  delta with its confidence interval and p-value, the metric deltas) and the cases that flipped, each
  with the reason its assertions gave;
- charts: pass rate per suite and model, and pass rate, total cost and latency (p50, p95) per model; when
  comparing, base against head per suite x model for pass rate, total cost and p95 latency;
- a table per suite x model: cases, passed, failed, errored, pass rate, score, latency, tokens, cost,
  every gate with its value, and the guardrail checks that fired; for agent suites, their agent metrics;
- the drill-down, one collapsed ``<details>`` per record: the rendered prompt (the messages sent, read from
  the response cache; the vars when the cache does not hold them), the output (and the model's own text
  when an output guardrail changed it), each assertion (type, pass, score, reason), the guardrail findings,
  the retrieved chunks (rank, id, document, score, text), an agent case's tool-calling transcript (each
  call's tool, arguments, validity and result, how the task stopped, the final answer; at most 100 calls
  listed) and the error. Flips come first, then errors,
  failures and passes, up to ``--max-cases`` records (500 by default); the ones left out are counted.
- buttons that filter the drill-down to failures, flips or errors and a text search (JavaScript); without
  JavaScript everything is simply shown.

Extra sections (the monitoring summary, say) are passed to :func:`render_report` as
``sections=[render_section(title, html)]``: each appears as its own part of the page, after the
per-suite tables, with its title in the table of contents. Its HTML must already be escaped.
"""

from __future__ import annotations

from llmops_ci.report.html.render import render_report
from llmops_ci.report.html.view import MAX_CASES, Section, render_section

__all__ = ["MAX_CASES", "Section", "render_report", "render_section"]
