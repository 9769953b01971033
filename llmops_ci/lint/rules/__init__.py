"""The rule registry: code -> rule, one module per rule (its docstring is the rule's documentation)."""

from __future__ import annotations

from llmops_ci.lint.rule import Rule
from llmops_ci.lint.rules import (
    c001_chunk_overlap,
    e001_unpinned_grader,
    e002_sampling_without_repeat,
    e003_unknown_metric,
    e004_unknown_assertion,
    e005_threshold_direction,
    e006_uncovered_prompt,
    e007_assertion_params,
    g001_unknown_check,
    m001_unpinned_model,
    m002_context_window,
    p001_example_schema,
    p002_secret_in_prompt,
    p003_pii_in_examples,
    r001_missing_reference,
    r002_duplicate_name,
    r003_reference_cycle,
    s001_schema,
    s002_invalid_json_schema,
    t001_template_syntax,
    t002_undeclared_variable,
    t003_unused_input,
    y001_yaml_syntax,
    y002_file_shape,
)

_MODULES = (
    y001_yaml_syntax,
    y002_file_shape,
    s001_schema,
    s002_invalid_json_schema,
    r001_missing_reference,
    r002_duplicate_name,
    r003_reference_cycle,
    t001_template_syntax,
    t002_undeclared_variable,
    t003_unused_input,
    p001_example_schema,
    p002_secret_in_prompt,
    p003_pii_in_examples,
    m001_unpinned_model,
    m002_context_window,
    e001_unpinned_grader,
    e002_sampling_without_repeat,
    e003_unknown_metric,
    e004_unknown_assertion,
    e005_threshold_direction,
    e006_uncovered_prompt,
    e007_assertion_params,
    g001_unknown_check,
    c001_chunk_overlap,
)

RULES: dict[str, Rule] = {module.CODE: Rule.from_module(module) for module in _MODULES}
