"""The JSON Schema of the report that ``check --format json`` writes (``aiceiling schema
--report``). Fields are a public interface (SPEC §8); new fields may be added within a
``schema_version``, so objects accept properties the schema does not name."""

from __future__ import annotations

from typing import Any

STATUSES = ["pass", "warn", "fail", "unknown", "skip", "waived"]
VERDICTS = ["feasible", "at-risk", "undetermined", "infeasible"]

_TEXT = {"type": "string"}
_TEXTS = {"type": "array", "items": _TEXT}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_LINE = {"type": ["integer", "null"], "minimum": 1}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None,
            description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "required": list(required),
                           "properties": {**required, **(optional or {})}}
    if description:
        out["description"] = description
    return out


_CHECK = _object(
    {"id": {"type": "string", "pattern": "^[a-z_]+\\.[a-z0-9_]+$",
            "description": "stable check id, family.name (SPEC §4)"},
     "family": _TEXT,
     "status": {"enum": STATUSES},
     "value": {"type": ["number", "string", "null"],
               "description": "the estimate compared; text for categorical checks"},
     "limit": {"type": ["number", "string", "null"]},
     "unit": _TEXT,
     "used": {**_NUMBER_OR_NULL, "description": "share of the limit used (1 = at the limit)"},
     "message": _TEXT,
     "location": _object({"line": _LINE, "column": _LINE},
                         description="where in the profile the check's input is"),
     "references": _TEXTS},
    {"waiver": _object({"reason": _TEXT, "status": {"enum": ["warn", "fail", "unknown"]}},
                       description="present when a waiver applied: the status it hides"),
     "baseline": {"enum": ["new", "unchanged", "worse", "resolved"],
                  "description": "against --baseline: new (a problem only now, or a check "
                                 "absent there), worse, resolved (better now), unchanged"}})

_AUGMENTATION = _object(
    {"path": _TEXT, "summary": _TEXT,
     "changes": {"type": "array", "items": _object({"field": _TEXT, "from": {}, "to": {}})},
     "flips": _TEXTS, "eased": _TEXTS, "regressions": _TEXTS,
     "verdict_after": {"enum": VERDICTS}, "binding_after": {"type": ["string", "null"]},
     "tradeoffs": _TEXTS, "complexity": {"type": "integer"}})

_WAIVER = _object(
    {"check": _TEXT, "reason": _TEXT, "expires": {"type": "string", "format": "date"},
     "state": {"enum": ["applied", "expired", "unused", "unmatched", "deselected", "ignored"],
               "description": "applied; expired (no longer applies); unused (the check is "
                              "within its limit); unmatched (no such check); deselected "
                              "(--skip-check); ignored (--no-waivers)"},
     "hides": {"type": "string", "description": "the status an applied waiver hides"}})

_PROFILE = _object(
    {"file": _TEXT, "name": _TEXT, "verdict": {"enum": VERDICTS},
     "binding_constraint": {"type": ["string", "null"]},
     "checks": {"type": "array", "items": _CHECK},
     "estimates": {"type": "object", "additionalProperties": _NUMBER_OR_NULL,
                   "description": "SPEC §5 estimate keys; the unit is in the key"},
     "derivations": {"type": "object", "additionalProperties": _object(
         {"unit": _TEXT, "formula": _TEXT, "inputs": {"type": "object"},
          "references": _TEXTS})},
     "assumptions": {"type": "array",
                     "items": _object({"field": _TEXT, "value": _TEXT, "source": _TEXT})},
     "unknown": {"type": "object", "additionalProperties": _TEXT,
                 "description": "estimates that could not be made, with the reason"},
     "notes": _TEXTS,
     "augmentations": {"type": "array", "items": _AUGMENTATION},
     "waivers": {"type": "array", "items": _WAIVER},
     "failing": {**_TEXTS, "description": "ids of the checks that fail the run"}},
    {"augmentation_blocked_by": _TEXT,
     "layout": _object(
         {"label": _TEXT, "tensor_parallel": {"type": "integer", "minimum": 1},
          "pipeline_parallel": {"type": "integer", "minimum": 1},
          "expert_parallel": {"type": "integer", "minimum": 1},
          "data_parallel": {"type": "integer", "minimum": 1},
          "attention_data_parallel": {"type": "boolean"}},
         description="an LLM's replica layout: TP × PP × EP × DP"),
     "coverage": _object({"evaluated": {"type": "integer", "minimum": 0},
                          "limits_set": {"type": "integer", "minimum": 0}},
                         description="checks evaluated (pass, warn, fail, waived) / checks "
                                     "whose limit the profile sets (all but skip)"),
     "run": _object({"tool_version": _TEXT,
                     "catalog_version": {"type": "string", "description": "first 12 hex "
                                         "digits of the SHA-256 of the compiled catalog"},
                     "overrides": {**_TEXTS, "description": "--set PATH=VALUE, in order"},
                     "today": {"type": "string", "format": "date"},
                     "catalogs": {"type": "array", "items": _object(
                         {"path": _TEXT, "sha256": _TEXT})}},
                    description="what the report was computed from, to reproduce it")})

_GATE = _object(
    {"fail_on": {"enum": ["fail", "unknown", "warn", "never"]},
     "warn_at": {"type": "number", "description": "warning margin [% of the limit used]"},
     "baseline": {"type": ["string", "null"]},
     "config": {"type": ["string", "null"], "description": "the config file applied"},
     "checks": _TEXTS, "skip_checks": _TEXTS,
     "waivers": {"type": "boolean", "description": "false with --no-waivers"},
     "exit_code": {"enum": [0, 1, 2]}})

_ERROR = _object({"file": _TEXT, "line": _LINE, "column": _LINE, "field": _TEXT,
                  "message": _TEXT})

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "aiceiling check report",
    "description": "Written by `aiceiling check --format json`; schema_version 1.",
    **_object(
        {"schema_version": {"const": 1},
         "tool": _object({"name": {"const": "aiceiling"}, "version": _TEXT}),
         "gate": _GATE,
         "profiles": {"type": "array", "items": _PROFILE},
         "errors": {"type": "array", "items": _ERROR,
                    "description": "profiles that could not be evaluated (exit 2)"}},
        {"run": {"type": "object"}}),
}
