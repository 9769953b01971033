"""Offline baselines: classic IR/ML models served as ``local/<name>`` through litellm.

The seed paper's "MLOps baseline" (§5.2): what a classic document pipeline computes without a language
model, run through exactly the code path of a real model (cache, retries, assertions, metrics), so the same
eval suites measure both and the gap an LLM has to close is a number in the results file. No baseline
knows an eval case: each learns only from the files its options name (training examples, a pattern file).

===========================  =========================================================  =====================
name                         what it does                                                options needed
===========================  =========================================================  =====================
``knn-classifier``           label of the k nearest labelled examples (TF-IDF or BM25)    ``train``
``pattern-extractor``        JSON of fields found by patterns, normalised; clause flags  ``fields``
``extractive-qa``            the context sentence that best matches the question (BM25)  none
``extractive-summarizer``    the most central sentences, in document order               none
===========================  =========================================================  =====================

Every baseline reads the last user message and takes the text of its ``<document>``, ``<question>`` or
``<context>`` tag when present (see ``_common``). Configure one in llmops.yaml::

    spec:
      providers:
        local:
          doc-classifier: {use: knn-classifier, options: {train: data/train/classification.jsonl, k: 5}}
          field-extractor: {use: pattern-extractor, options: {fields: baseline/extraction.yaml}}

and name it in a prompt: ``model: {id: local/doc-classifier}``. Baselines that need no options also answer
under their own name with no llmops.yaml entry (``local/extractive-qa``, ``local/extractive-summarizer``).
Each module's docstring documents its algorithm and options.
"""

from __future__ import annotations

#: built-in baseline name -> "module:Class" (constructed as ``Class(options, base_dir)``)
BASELINES: dict[str, str] = {
    "knn-classifier": "llmops_ci.baselines.knn:KnnClassifier",
    "pattern-extractor": "llmops_ci.baselines.patterns:PatternExtractor",
    "extractive-qa": "llmops_ci.baselines.qa:ExtractiveQA",
    "extractive-summarizer": "llmops_ci.baselines.summarize:ExtractiveSummarizer",
}
