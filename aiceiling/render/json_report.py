"""Versioned JSON report (SPEC §8): deterministic, same input → same bytes."""

from __future__ import annotations

import json
import re
from typing import Any

from aiceiling import __version__, gate
from aiceiling.api import Report
from aiceiling.checks import Result
from aiceiling.errors import Diagnostic
from aiceiling.render import sig
from aiceiling.verdict import coverage_of

REPORT_SCHEMA_VERSION = 1


def _value(value: float | str | None) -> float | str | None:
    return sig(value) if isinstance(value, float) else value


def check_dict(result: Result) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": result.id, "family": result.family, "status": result.status,
        "value": _value(result.value), "limit": _value(result.limit), "unit": result.unit,
        "used": sig(result.used) if result.used is not None else None,
        "message": result.message,
        "location": {"line": result.line, "column": result.column},
        "references": list(result.references),
    }
    if result.waiver:
        out["waiver"] = {"reason": result.waiver, "status": result.waived_status}
    if result.baseline:
        out["baseline"] = result.baseline
    return out


def report_dict(report: Report, run: gate.Run | None = None) -> dict[str, Any]:
    run = run or gate.Run()
    est = report.estimates
    return {
        "file": report.file,
        "name": report.name,
        "verdict": report.verdict,
        "binding_constraint": report.binding.id if report.binding else None,
        "coverage": coverage_of(report.results)._asdict(),
        **({"run": report.provenance.as_dict()} if report.provenance is not None else {}),
        "checks": [check_dict(r) for r in report.results],
        "estimates": {k: sig(v.value) for k, v in est.values.items()},
        "derivations": {k: {"unit": v.unit, "formula": v.formula, "inputs": dict(v.inputs),
                            "references": list(v.references)}
                        for k, v in est.values.items()},
        "assumptions": [{"field": a.field, "value": a.value, "source": a.source}
                        for a in est.assumptions],
        "unknown": dict(sorted(est.unknown.items())),
        **({"layout": layout_dict(est.facts["layout"])} if "layout" in est.facts else {}),
        "notes": list(report.notes),
        "augmentations": [augmentation_dict(a) for a in
                          (report.plan.augmentations if report.plan else ())],
        **({"augmentation_blocked_by": report.plan.blocked_by}
           if report.plan and report.plan.blocked_by else {}),
        "waivers": [w._asdict() for w in gate.waivers(report, run)],
        "failing": [r.id for r in gate.failing(report, run)],
    }


def layout_dict(layout: Any) -> dict[str, Any]:
    """The LLM replica layout: TP × PP × EP × DP, attention data-parallel or not."""
    return {"label": layout.label, "tensor_parallel": layout.tp,
            "pipeline_parallel": layout.pp, "expert_parallel": layout.ep,
            "data_parallel": layout.dp, "attention_data_parallel": layout.attention_dp}


def augmentation_dict(aug: Any) -> dict[str, Any]:
    return {"path": aug.path, "summary": aug.summary,
            "changes": [{"field": c.field, "from": c.before, "to": c.after}
                        for c in aug.changes],
            "flips": list(aug.flips), "eased": list(aug.eased),
            "regressions": list(aug.regressions),
            "verdict_after": aug.verdict_after, "binding_after": aug.binding_after,
            "tradeoffs": list(aug.tradeoffs), "complexity": aug.complexity}


def gate_dict(reports: list[Report], errors: list[Diagnostic], run: gate.Run) -> dict[str, Any]:
    """The gate's settings and its outcome: what the exit code was decided on."""
    failed = any(gate.failing(r, run) for r in reports)
    return {"fail_on": run.fail_on, "warn_at": sig(run.warn_at * 100),
            "baseline": run.baseline, "config": run.config, "checks": list(run.checks),
            "skip_checks": list(run.skip_checks), "waivers": run.waivers,
            "exit_code": 2 if errors else 1 if failed else 0}


def render(reports: list[Report], errors: list[Diagnostic] | None = None,
           run: gate.Run | None = None) -> str:
    """The report as JSON; a run that could not evaluate a profile lists it under errors."""
    run = run or gate.Run()
    errors = errors or []
    document: dict[str, Any] = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": "aiceiling", "version": __version__},
        "gate": gate_dict(reports, errors, run),
        "profiles": [report_dict(r, run) for r in reports],
        "errors": [{"file": d.file, "line": d.line, "column": d.column,
                    "field": d.field, "message": d.message} for d in errors],
    }
    return _INERT.sub(_u_escape, json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


# JSON escapes C0 controls itself; DEL, C1 controls, line separators and bidirectional
# overrides (say, in a file name) would reach a terminal that prints the report raw.
_INERT = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _u_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"
