"""SARIF 2.1.0 for GitHub code scanning: one rule per check id (title, why and fix as help),
one result per check that is a problem (fail, unknown, warn), waived (suppressed), or
resolved against the baseline, located at the profile line the check concerns.

Level: ``fail`` → error; ``unknown`` and ``warn`` → warning, or error when the check fails
the run (``--fail-on``); a waived check keeps its level under an in-source suppression.
Against a baseline each result carries ``baselineState`` (new, unchanged, updated for
worse, absent for resolved).
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from typing import Any

from aiceiling import __version__, gate
from aiceiling.api import Report
from aiceiling.checks import Result
from aiceiling.errors import Diagnostic
from aiceiling.profile.yamlsource import STDIN
from aiceiling.render import line, relative, sig

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_BASELINE_STATE = {"new": "new", "unchanged": "unchanged", "worse": "updated",
                   "resolved": "absent"}


def _rules() -> list[dict[str, Any]]:
    from aiceiling import api

    rules = []
    for spec in api.registry():
        help_text = spec.why + (f"\n\nHow to fix: {spec.fix}" if spec.fix else "")
        help_md = (f"**Why it matters:** {spec.why}" if spec.why else "") + \
            (f"\n\n**How to fix:** {spec.fix}" if spec.fix else "")
        rules.append({
            "id": spec.id,
            "name": "".join(p.capitalize() for p in spec.id.replace(".", "_").split("_")),
            "shortDescription": {"text": spec.title},
            "fullDescription": {"text": spec.why or spec.title},
            "help": {"text": help_text or spec.title, "markdown": help_md or spec.title},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["aiceiling", spec.id.partition(".")[0]],
                           "reads": list(spec.reads)},
        })
    return rules


def uri(file: str) -> str:
    """A profile path as the relative URI code scanning matches against the repository
    (an absolute file URI outside the working directory)."""
    path = relative(file)
    if os.path.isabs(path):
        return "file://" + urllib.parse.quote(path.replace(os.sep, "/"))
    return urllib.parse.quote(path.replace(os.sep, "/"))


def _location(file: str, line_no: int | None, column: int | None) -> list[dict[str, Any]]:
    if file == STDIN or file.startswith("--set "):
        return []
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri(file)}}
    if line_no:
        physical["region"] = {"startLine": line_no, "startColumn": column or 1}
    return [{"physicalLocation": physical}]


def _level(result: Result, gating: bool) -> str:
    status = result.waived_status or result.status
    if status == "fail" or gating:
        return "error"
    return "warning"


def _text(report: Report, result: Result, lapsed: gate.WaiverState | None) -> str:
    from aiceiling.render.table import value_limit

    figures = value_limit(result)
    status = f"{result.waived_status}, waived" if result.waived_status else result.status
    text = f"{report.name}: {result.id} {status}" + (f": {figures}" if figures else "")
    text += f" — {result.message}"
    if result.waiver:
        text += f" (waiver: {result.waiver})"
    if lapsed is not None:
        text += f" ({gate.waiver_note(lapsed)})"
    if result.baseline and result.baseline != "unchanged":
        text += f" [{result.baseline} since the baseline]"
    return line(text)


def _result(report: Report, result: Result, index: dict[str, int],
            gating: bool, lapsed: gate.WaiverState | None) -> dict[str, Any]:
    fingerprint = hashlib.sha256(f"{report.file}\0{result.id}".encode()).hexdigest()[:32]
    out: dict[str, Any] = {
        "ruleId": result.id, "ruleIndex": index[result.id],
        "level": _level(result, gating),
        "message": {"text": _text(report, result, lapsed)},
        "locations": _location(report.file, result.line, result.column),
        "partialFingerprints": {"aiceilingCheck/v1": fingerprint},
        "properties": {"profile": line(report.name), "status": result.status,
                       "value": sig(result.value) if isinstance(result.value, float)
                       else result.value,
                       "limit": sig(result.limit) if isinstance(result.limit, float)
                       else result.limit,
                       "unit": result.unit,
                       "used": sig(result.used) if result.used is not None else None,
                       "failsTheRun": gating},
    }
    if result.status == "waived":
        out["suppressions"] = [{"kind": "inSource", "status": "accepted",
                                "justification": line(result.waiver or "")}]
    if result.status in ("pass", "skip"):
        out["kind"], out["level"] = "pass", "none"
    if result.baseline:
        out["baselineState"] = _BASELINE_STATE[result.baseline]
    return out


def _notification(diagnostic: Diagnostic) -> dict[str, Any]:
    out: dict[str, Any] = {"level": "error", "message": {"text": str(diagnostic)}}
    locations = _location(diagnostic.file, diagnostic.line, diagnostic.column)
    if locations:
        out["locations"] = locations
    return out


def render(reports: list[Report], errors: list[Diagnostic] | None = None,
           run: gate.Run | None = None) -> str:
    """The SARIF log of a run."""
    run = run or gate.Run()
    errors = errors or []
    rules = _rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    waivers: list[dict[str, Any]] = []
    for report in reports:
        failing = {r.id for r in gate.failing(report, run)}
        lapsed = gate.lapsed(report, run)
        for result in report.results:
            if result.status in ("pass", "skip") and result.baseline != "resolved":
                continue
            results.append(_result(report, result, index, result.id in failing,
                                   lapsed.get(result.id)))
        waivers += [{"level": "warning",
                     "message": {"text": line(f"{report.name}: {gate.waiver_note(w)}")},
                     "locations": _location(report.file, None, None)}
                    for w in gate.waivers(report, run) if w.state in ("expired", "unmatched")]
    failed = any(gate.failing(r, run) for r in reports)
    invocation: dict[str, Any] = {
        "executionSuccessful": not errors,
        "exitCode": 2 if errors else 1 if failed else 0,
        "properties": {"failOn": run.fail_on, "warnAt": sig(run.warn_at * 100),
                       "baseline": run.baseline, "config": run.config,
                       "waivers": run.waivers,
                       "verdicts": {line(r.file): r.verdict for r in reports}},
    }
    if errors:
        invocation["toolExecutionNotifications"] = [_notification(d) for d in errors]
    if waivers:
        invocation["toolConfigurationNotifications"] = waivers
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "aiceiling", "version": __version__,
                                "semanticVersion": __version__, "rules": rules}},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
