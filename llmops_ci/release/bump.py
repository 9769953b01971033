"""The semantic diff of two versions of one artifact, and the semver bump it calls for.

``classify(kind, old, new)`` returns every change with its level; the bump is the highest level.
The rules (the README's table is generated from the same words):

Prompt
- major: an input removed or renamed; a required input added (or an optional one made required); an
  input narrowed (type set shrunk, enum values removed, const set, bounds tightened, pattern or format
  set or changed, additionalProperties closed, an unanalysed keyword such as anyOf changed); the output
  format changed; the output schema broken (a property removed or no longer required, a type widened,
  enum values added, bounds loosened, the schema dropped).
- minor: messages (the template), examples, model, params, fallbacks, guardrails, rag or budget changed;
  an optional input added or an input widened; an input's default changed; the output schema narrowed
  (a property added or made required, a type narrowed).
- patch: metadata (description, owner, labels, annotations), descriptions/titles/examples inside the
  schemas, ``x-`` keys, the model's display label.

GuardrailPolicy
- major: a check removed; a check's type changed; an action weakened (block > redact > mask > warn >
  log) or a scope dropped; entities, terms, patterns, keywords or custom entities removed; a score
  threshold or min_entropy raised, or mask_keep raised (fires less, or reveals more); a policy dropped
  from extends.
- minor: a check added; an action strengthened or a scope added; detections added; any other option
  changed; a policy added to extends.
- patch: metadata, descriptions, fixtures (tests of the policy, not its behaviour), ``x-`` keys.

RagPipeline
- major: the embedding model or dimensions changed (stored vectors no longer match: re-index), the
  corpus path changed, the answer prompt replaced.
- minor: chunking, index, retrieval, corpus include/exclude, guardrails changed.
- patch: metadata, embedding batch_size, ``x-`` keys.

EvalSuite
- major: the target changed; a case removed (results no longer line up by case id); a threshold loosened
  or removed (the gate got weaker).
- minor: cases added or changed, assertions, defaults, models, grader, repeat, min_passes, guardrails,
  cases_file changed; a threshold added or tightened.
- patch: metadata, case descriptions and tags, max_cost_usd, concurrency, ``x-`` keys.

Every kind: a change only in what the artifact references (a policy of a prompt, a suite's cases file)
is minor; a change of form only (``model: x`` written as ``model: {id: x}``) is patch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from llmops_ci.release.versions import Level, highest

ANNOTATIONS = frozenset(
    {"description", "title", "examples", "$comment", "deprecated", "readOnly", "writeOnly"}
)
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains")
_HANDLED = frozenset(
    {
        "type",
        "properties",
        "required",
        "enum",
        "const",
        "items",
        "additionalProperties",
        "uniqueItems",
        "pattern",
        "format",
        "default",
        *_LOWER_BOUNDS,
        *_UPPER_BOUNDS,
        *ANNOTATIONS,
    }
)
_STRENGTH = {"block": 4, "redact": 3, "mask": 2, "warn": 1, "log": 0}
_DETECTIONS = ("entities", "terms", "patterns", "keywords", "regions")


@dataclass(frozen=True)
class Change:
    level: Level
    reason: str


def bump_level(changes: list[Change]) -> Level | None:
    return highest([change.level for change in changes])


def classify(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every semantic change from ``old`` to ``new`` (parsed artifacts of ``kind``), most severe first,
    without duplicates; empty when they are equivalent."""
    changes: list[Change] = []
    changes += _metadata(old.get("metadata"), new.get("metadata"))
    old_spec, new_spec = _dict(old.get("spec")), _dict(new.get("spec"))
    handler = _KINDS.get(kind, _generic)
    changes += handler(old_spec, new_spec)
    unique: dict[tuple[str, str], Change] = {}
    for change in changes:
        unique.setdefault((change.level, change.reason), change)
    order = {"major": 0, "minor": 1, "patch": 2}
    return sorted(unique.values(), key=lambda c: order[c.level])


# --- helpers --------------------------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _strip_extensions(value: Any) -> Any:
    """``x-`` keys removed everywhere: llmops-ci ignores them, so they are patch-level."""
    if isinstance(value, dict):
        return {k: _strip_extensions(v) for k, v in value.items() if not str(k).startswith("x-")}
    if isinstance(value, list):
        return [_strip_extensions(v) for v in value]
    return value


def _extensions_changed(old: Any, new: Any) -> bool:
    return _canon(old) != _canon(new) and _canon(_strip_extensions(old)) == _canon(_strip_extensions(new))


def _changed_keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(old) | set(new) if _canon(old.get(k)) != _canon(new.get(k)))


def _metadata(old: Any, new: Any) -> list[Change]:
    keys = [k for k in _changed_keys(_dict(old), _dict(new)) if k != "name"]
    return [Change("patch", f"metadata changed ({', '.join(keys)})")] if keys else []


def _spec_keys(
    old: dict[str, Any], new: dict[str, Any], rules: dict[str, Callable[[Any, Any], list[Change]]]
) -> list[Change]:
    """Per changed spec key: its rule, else minor (an ``x-`` key: patch)."""
    changes: list[Change] = []
    for key in _changed_keys(old, new):
        if key.startswith("x-"):
            changes.append(Change("patch", f"extension key spec.{key} changed"))
            continue
        rule = rules.get(key)
        if rule is not None:
            changes += rule(old.get(key), new.get(key))
        elif _extensions_changed(old.get(key), new.get(key)):
            changes.append(Change("patch", f"x- keys under spec.{key} changed"))
        else:
            changes.append(Change("minor", f"spec.{key} changed"))
    return changes


def _minor(what: str) -> Callable[[Any, Any], list[Change]]:
    def rule(old: Any, new: Any) -> list[Change]:
        if _extensions_changed(old, new):
            return [Change("patch", f"x- keys under {what} changed")]
        return [Change("minor", f"{what} changed")]

    return rule


def _generic(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    return _spec_keys(old, new, {})


# --- JSON Schema comparison -------------------------------------------------------------------------------

# What a schema change does to the set of values the schema accepts.
NARROWER, WIDER, INCOMPATIBLE, ANNOTATION, DEFAULT, REMOVED = (
    "narrower",
    "wider",
    "incompatible",
    "annotation",
    "default",
    "removed",
)
ADDED_OPTIONAL, ADDED_REQUIRED = "added-optional", "added-required"
# Inputs are what callers send: narrowing breaks them. Outputs are what callers read: widening breaks them.
_INPUT_LEVELS: dict[str, Level] = {
    NARROWER: "major",
    WIDER: "minor",
    INCOMPATIBLE: "major",
    REMOVED: "major",
    ANNOTATION: "patch",
    DEFAULT: "minor",
    ADDED_OPTIONAL: "minor",
    ADDED_REQUIRED: "major",
}
_OUTPUT_LEVELS: dict[str, Level] = {
    NARROWER: "minor",
    WIDER: "major",
    INCOMPATIBLE: "major",
    REMOVED: "major",
    ANNOTATION: "patch",
    DEFAULT: "patch",
    ADDED_OPTIONAL: "minor",
    ADDED_REQUIRED: "minor",
}


def _types(schema: dict[str, Any]) -> set[str] | None:
    value = schema.get("type")
    if value is None:
        return None
    types = (
        {value} if isinstance(value, str) else {str(t) for t in value} if isinstance(value, list) else set()
    )
    if "number" in types:
        types.add("integer")
    return types


def compare_schema(old: Any, new: Any, where: str) -> Iterator[tuple[str, str]]:
    """(effect, description) for each difference between two JSON Schemas at ``where``."""
    if old is True or old is None:
        old = {}
    if new is True or new is None:
        new = {}
    if not isinstance(old, dict) or not isinstance(new, dict):
        if _canon(old) != _canon(new):
            yield INCOMPATIBLE, f"{where} schema replaced"
        return
    yield from _compare_types(old, new, where)
    yield from _compare_values(old, new, where)
    yield from _compare_bounds(old, new, where)
    yield from _compare_object(old, new, where)
    if "items" in old or "items" in new:
        yield from compare_schema(old.get("items"), new.get("items"), f"{where}[]")
    for key in sorted(set(old) | set(new)):
        if key in _HANDLED or _canon(old.get(key)) == _canon(new.get(key)):
            continue
        if key.startswith("x-"):
            yield ANNOTATION, f"{where}: {key} changed"
        else:
            yield INCOMPATIBLE, f"{where}: {key} changed (not analysed)"
    changed_notes = [k for k in sorted(ANNOTATIONS) if _canon(old.get(k)) != _canon(new.get(k))]
    if changed_notes:
        yield ANNOTATION, f"{where}: {', '.join(changed_notes)} changed"
    if _canon(old.get("default")) != _canon(new.get("default")):
        yield DEFAULT, f"{where}: default changed"


def _compare_types(old: dict[str, Any], new: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    before, after = _types(old), _types(new)
    if before == after:
        return
    shown_before = old.get("type", "any")
    shown_after = new.get("type", "any")
    if after is not None and (before is None or after < before):
        yield NARROWER, f"{where}: type narrowed ({_canon(shown_before)} -> {_canon(shown_after)})"
    elif before is not None and (after is None or after > before):
        yield WIDER, f"{where}: type widened ({_canon(shown_before)} -> {_canon(shown_after)})"
    else:
        yield INCOMPATIBLE, f"{where}: type changed ({_canon(shown_before)} -> {_canon(shown_after)})"


def _compare_values(old: dict[str, Any], new: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    if _canon(old.get("enum")) != _canon(new.get("enum")):
        before = {_canon(v) for v in old["enum"]} if isinstance(old.get("enum"), list) else None
        after = {_canon(v) for v in new["enum"]} if isinstance(new.get("enum"), list) else None
        if before is None and after is not None:
            yield NARROWER, f"{where}: enum set"
        elif after is None and before is not None:
            yield WIDER, f"{where}: enum removed"
        elif before is not None and after is not None:
            if before - after:
                yield NARROWER, f"{where}: enum values removed ({', '.join(sorted(before - after))})"
            if after - before:
                yield WIDER, f"{where}: enum values added ({', '.join(sorted(after - before))})"
    if _canon(old.get("const")) != _canon(new.get("const")):
        if "const" not in old:
            yield NARROWER, f"{where}: const set"
        elif "const" not in new:
            yield WIDER, f"{where}: const removed"
        else:
            yield INCOMPATIBLE, f"{where}: const changed"
    for key in ("pattern", "format"):
        if _canon(old.get(key)) == _canon(new.get(key)):
            continue
        if key not in old:
            yield NARROWER, f"{where}: {key} set"
        elif key not in new:
            yield WIDER, f"{where}: {key} removed"
        else:
            yield INCOMPATIBLE, f"{where}: {key} changed"
    if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
        yield (NARROWER if new.get("uniqueItems") else WIDER), f"{where}: uniqueItems changed"


def _tighter(key: str, before: float, after: float) -> bool:
    return after > before if key in _LOWER_BOUNDS else after < before


def _compare_bounds(old: dict[str, Any], new: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    for key in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
        before, after = old.get(key), new.get(key)
        if _canon(before) == _canon(after):
            continue
        if before is None:
            yield NARROWER, f"{where}: {key} {after} set"
        elif after is None:
            yield WIDER, f"{where}: {key} {before} removed"
        elif isinstance(before, (int, float)) and isinstance(after, (int, float)):
            effect = NARROWER if _tighter(key, before, after) else WIDER
            yield effect, f"{where}: {key} {before} -> {after}"
        else:
            yield INCOMPATIBLE, f"{where}: {key} changed"


def _child(where: str, name: str) -> str:
    """``input 'address'`` + ``city`` = ``input 'address.city'``."""
    return f"{where[:-1]}.{name}'" if where.endswith("'") else f"{where} '{name}'"


def _compare_object(old: dict[str, Any], new: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    old_props, new_props = _dict(old.get("properties")), _dict(new.get("properties"))
    old_required = {str(r) for r in old.get("required", []) if isinstance(r, str)}
    new_required = {str(r) for r in new.get("required", []) if isinstance(r, str)}
    removed = sorted(set(old_props) - set(new_props))
    added = sorted(set(new_props) - set(old_props))
    renamed: dict[str, str] = {}
    for name in removed:
        twin = next(
            (
                a
                for a in added
                if a not in renamed.values() and _canon(new_props[a]) == _canon(old_props[name])
            ),
            None,
        )
        if twin is not None:
            renamed[name] = twin
    for name in removed:
        label = _child(where, name)
        if name in renamed:
            yield REMOVED, f"{label} renamed to '{renamed[name]}'"
        else:
            yield REMOVED, f"{label} removed"
    for name in added:
        label = _child(where, name)
        if name in renamed.values():
            continue
        if name in new_required:
            yield ADDED_REQUIRED, f"required {label} added"
        else:
            yield ADDED_OPTIONAL, f"optional {label} added"
    for name in sorted(set(old_props) & set(new_props)):
        label = _child(where, name)
        if name in new_required and name not in old_required:
            yield NARROWER, f"{label} made required"
        elif name in old_required and name not in new_required:
            yield WIDER, f"{label} made optional"
        yield from compare_schema(old_props[name], new_props[name], label)
    for name in sorted((new_required - old_required) - set(new_props)):
        yield NARROWER, f"{where}: '{name}' required"
    for name in sorted((old_required - new_required) - set(old_props)):
        yield WIDER, f"{where}: '{name}' no longer required"
    before, after = old.get("additionalProperties"), new.get("additionalProperties")
    if _canon(before) != _canon(after):
        if isinstance(before, dict) and isinstance(after, dict):
            yield from compare_schema(before, after, f"{where}{{additional}}")
        elif after is False:
            yield NARROWER, f"{where}: additionalProperties closed"
        elif before is False:
            yield WIDER, f"{where}: additionalProperties opened"
        else:
            yield INCOMPATIBLE, f"{where}: additionalProperties changed"


_EFFECT_WORDS = {NARROWER: "narrowed", WIDER: "widened", INCOMPATIBLE: "changed incompatibly"}


def _schema_changes(old: Any, new: Any, where: str, levels: dict[str, Level]) -> list[Change]:
    changes = []
    for effect, text in compare_schema(old, new, where):
        word = _EFFECT_WORDS.get(effect)
        if word and ": " in text and word not in text:
            text = f"{text} ({word})"
        changes.append(Change(levels[effect], text))
    return changes


# --- Prompt -----------------------------------------------------------------------------------------------


def _model(value: Any) -> dict[str, Any]:
    return {"id": value} if isinstance(value, str) else _dict(value)


def _prompt_model(old: Any, new: Any) -> list[Change]:
    before, after = _model(old), _model(new)
    changes: list[Change] = []
    for key in _changed_keys(before, after):
        if key.startswith("x-") or key == "label":
            changes.append(Change("patch", f"model {key} changed"))
        elif key == "id":
            changes.append(Change("minor", f"model changed ({before.get('id')} -> {after.get('id')})"))
        elif key == "params":
            params = _changed_keys(_dict(before.get("params")), _dict(after.get("params")))
            changes.append(Change("minor", f"params changed ({', '.join(params)})"))
        else:
            changes.append(Change("minor", f"model {key} changed"))
    if not changes and _canon(old) != _canon(new):
        changes.append(Change("patch", "model written in another form (same model)"))
    return changes


def _output(value: Any) -> dict[str, Any]:
    output = _dict(value)
    return {"format": output.get("format", "text"), **{k: v for k, v in output.items() if k != "format"}}


def _prompt_output(old: Any, new: Any) -> list[Change]:
    before, after = _output(old), _output(new)
    if before["format"] != after["format"]:
        return [Change("major", f"output format changed ({before['format']} -> {after['format']})")]
    changes: list[Change] = []
    if "schema" in before and "schema" not in after:
        changes.append(Change("major", "output schema removed"))
    elif "schema" not in before and "schema" in after:
        changes.append(Change("minor", "output schema set"))
    else:
        changes += _schema_changes(before.get("schema"), after.get("schema"), "output", _OUTPUT_LEVELS)
    for key in _changed_keys(before, after):
        if key not in ("format", "schema"):
            changes.append(Change("patch" if key.startswith("x-") else "minor", f"output {key} changed"))
    if not changes and _canon(old) != _canon(new):
        changes.append(Change("patch", "output written in another form (same format)"))
    return changes


def _prompt_inputs(old: Any, new: Any) -> list[Change]:
    return _schema_changes(old, new, "input", _INPUT_LEVELS) or (
        [Change("patch", "inputs written in another form")] if _canon(old) != _canon(new) else []
    )


def _messages(old: Any, new: Any) -> list[Change]:
    before = old if isinstance(old, list) else []
    after = new if isinstance(new, list) else []
    if _extensions_changed(before, after):
        return [Change("patch", "x- keys in messages changed")]
    changed = [
        str(i)
        for i in range(max(len(before), len(after)))
        if i >= len(before) or i >= len(after) or _canon(before[i]) != _canon(after[i])
    ]
    return [Change("minor", f"template changed (messages {', '.join(changed)})")]


def _prompt(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    return _spec_keys(
        old,
        new,
        {
            "inputs": _prompt_inputs,
            "output": _prompt_output,
            "model": _prompt_model,
            "messages": _messages,
            "examples": _minor("few-shot examples"),
            "guardrails": _minor("guardrails"),
            "rag": _minor("rag pipeline"),
            "budget": _minor("budget"),
        },
    )


# --- GuardrailPolicy --------------------------------------------------------------------------------------


def _by_id(value: Any) -> dict[str, dict[str, Any]]:
    items = value if isinstance(value, list) else []
    return {str(item.get("id")): item for item in items if isinstance(item, dict)}


def _set(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {_canon([k, v]) for k, v in value.items()}
    return {_canon(v) for v in value} if isinstance(value, list) else set()


def _check(check_id: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    label = f"check '{check_id}'"
    changes: list[Change] = []
    if old.get("type") != new.get("type"):
        return [Change("major", f"{label} type changed ({old.get('type')} -> {new.get('type')})")]
    old_scopes, new_scopes = _dict(old.get("scopes")), _dict(new.get("scopes"))
    for scope in sorted(set(old_scopes) | set(new_scopes)):
        before, after = old_scopes.get(scope), new_scopes.get(scope)
        if before == after:
            continue
        strength_before = _STRENGTH.get(str(before), -1)
        strength_after = _STRENGTH.get(str(after), -1)
        text = f"{label} {scope} action {before or 'none'} -> {after or 'none'}"
        if after is None:
            changes.append(Change("major", f"{label} no longer runs on {scope} (was {before})"))
        elif strength_after < strength_before:
            changes.append(Change("major", f"{text} (weakened)"))
        else:
            changes.append(
                Change("minor", f"{text} (strengthened)" if before else f"{label} now runs on {scope}")
            )
    for key in (*_DETECTIONS, "custom_entities"):
        before_set, after_set = _set(old.get(key)), _set(new.get(key))
        if before_set - after_set:
            changes.append(Change("major", f"{label} {key} removed"))
        if after_set - before_set:
            changes.append(Change("minor", f"{label} {key} added"))
    for key in ("threshold", "min_entropy", "mask_keep"):  # higher: fires less, or reveals more
        before, after = old.get(key), new.get(key)
        if _canon(before) == _canon(after):
            continue
        if isinstance(before, (int, float)) and isinstance(after, (int, float)):
            level: Level = "major" if after > before else "minor"
            changes.append(Change(level, f"{label} {key} {before} -> {after}"))
        else:
            changes.append(Change("minor", f"{label} {key} changed"))
    handled = {
        "id",
        "type",
        "scopes",
        "threshold",
        "min_entropy",
        "mask_keep",
        "custom_entities",
        *_DETECTIONS,
    }
    for key in _changed_keys(old, new):
        if key in handled:
            continue
        if key == "description" or key.startswith("x-"):
            changes.append(Change("patch", f"{label} {key} changed"))
        else:
            changes.append(Change("minor", f"{label} {key} changed"))
    return changes


def _checks(old: Any, new: Any) -> list[Change]:
    before, after = _by_id(old), _by_id(new)
    changes = [Change("major", f"check '{i}' removed") for i in sorted(set(before) - set(after))]
    changes += [Change("minor", f"check '{i}' added") for i in sorted(set(after) - set(before))]
    for check_id in sorted(set(before) & set(after)):
        changes += _check(check_id, before[check_id], after[check_id])
    if not changes and _canon(old) != _canon(new):
        changes.append(Change("patch", "checks reordered"))
    return changes


def _extends(old: Any, new: Any) -> list[Change]:
    before, after = _set(old), _set(new)
    changes = [Change("major", f"no longer extends {json.loads(n)}") for n in sorted(before - after)]
    changes += [Change("minor", f"now extends {json.loads(n)}") for n in sorted(after - before)]
    return changes or [Change("patch", "extends reordered")]


def _policy(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    return _spec_keys(
        old,
        new,
        {
            "checks": _checks,
            "extends": _extends,
            "fixtures": lambda a, b: [Change("patch", "fixtures changed (tests of the policy)")],
        },
    )


# --- RagPipeline ------------------------------------------------------------------------------------------


def _rag_section(
    section: str, majors: tuple[str, ...], patches: tuple[str, ...] = ()
) -> Callable[[Any, Any], list[Change]]:
    def rule(old: Any, new: Any) -> list[Change]:
        before, after = _dict(old), _dict(new)
        changes: list[Change] = []
        for key in _changed_keys(before, after):
            where = f"{section}.{key}"
            if key in majors:
                changes.append(Change("major", f"{where} changed ({before.get(key)} -> {after.get(key)})"))
            elif key in patches or key.startswith("x-"):
                changes.append(Change("patch", f"{where} changed"))
            else:
                changes.append(Change("minor", f"{where} changed"))
        return changes

    return rule


def _rag(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    return _spec_keys(
        old,
        new,
        {
            "embedding": _rag_section("embedding", ("model", "dimensions"), ("batch_size",)),
            "corpus": _rag_section("corpus", ("path",)),
            "answer": _rag_section("answer", ("prompt",)),
            "chunking": _rag_section("chunking", ()),
            "index": _rag_section("index", ()),
            "retrieval": _rag_section("retrieval", ()),
        },
    )


# --- EvalSuite --------------------------------------------------------------------------------------------


def _cases(old: Any, new: Any) -> list[Change]:
    before, after = _by_id(old), _by_id(new)
    changes: list[Change] = []
    removed, added = sorted(set(before) - set(after)), sorted(set(after) - set(before))
    if removed:
        changes.append(Change("major", f"cases removed ({', '.join(removed)})"))
    if added:
        changes.append(Change("minor", f"cases added ({', '.join(added)})"))
    for case_id in sorted(set(before) & set(after)):
        keys = _changed_keys(before[case_id], after[case_id])
        behaviour = [k for k in keys if k not in ("description", "tags") and not k.startswith("x-")]
        if behaviour:
            changes.append(Change("minor", f"case '{case_id}' changed ({', '.join(behaviour)})"))
        elif keys:
            changes.append(Change("patch", f"case '{case_id}' {', '.join(keys)} changed"))
    if not changes and _canon(old) != _canon(new):
        changes.append(Change("patch", "cases reordered"))
    return changes


def _thresholds(old: Any, new: Any) -> list[Change]:
    before, after = _dict(old), _dict(new)
    changes: list[Change] = []
    for metric in sorted(set(before) | set(after)):
        old_bound, new_bound = _dict(before.get(metric)), _dict(after.get(metric))
        for side in ("min", "max"):
            a, b = old_bound.get(side), new_bound.get(side)
            if _canon(a) == _canon(b):
                continue
            where = f"threshold {metric} {side}"
            if a is None:
                changes.append(Change("minor", f"{where} {b} added"))
            elif b is None:
                changes.append(Change("major", f"{where} {a} removed (gate weakened)"))
            else:
                looser = b < a if side == "min" else b > a
                level: Level = "major" if looser else "minor"
                changes.append(Change(level, f"{where} {a} -> {b}" + (" (gate weakened)" if looser else "")))
    return changes


def _suite(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    patch = _patch_rule
    return _spec_keys(
        old,
        new,
        {
            "target": lambda a, b: [Change("major", f"target changed ({_canon(a)} -> {_canon(b)})")],
            "cases": _cases,
            "thresholds": _thresholds,
            "max_cost_usd": patch("max_cost_usd"),
            "concurrency": patch("concurrency"),
        },
    )


def _patch_rule(what: str) -> Callable[[Any, Any], list[Change]]:
    return lambda a, b: [Change("patch", f"{what} changed")]


_KINDS: dict[str, Callable[[dict[str, Any], dict[str, Any]], list[Change]]] = {
    "Prompt": _prompt,
    "GuardrailPolicy": _policy,
    "RagPipeline": _rag,
    "EvalSuite": _suite,
}
