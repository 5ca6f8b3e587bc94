"""JUnit XML (for GitLab's ``artifacts:reports:junit``, Jenkins, Azure): one test suite per
profile, one test case per check.

A check that fails the run (at or above ``--fail-on``; against a baseline, new or worse) is
a ``failure``; a skipped check, a waived one, and a problem the baseline already had are
``skipped`` with the reason; a profile that could not be evaluated is an ``error``. Every
case carries its status, figures and baseline mark in ``system-out``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from aiceiling import gate
from aiceiling.api import Report
from aiceiling.checks import Result
from aiceiling.errors import Diagnostic
from aiceiling.render import line, relative


def _detail(result: Result, lapsed: gate.WaiverState | None) -> str:
    from aiceiling.render.table import value_limit

    parts = [f"status: {result.status}" +
             (f" (waived {result.waived_status})" if result.waived_status else "")]
    figures = value_limit(result)
    if figures:
        parts.append(f"value / limit: {figures}" +
                     (f" ({result.used * 100:.0f} % used)" if result.used is not None
                      and result.status != "skip" else ""))
    parts.append(f"message: {result.message}")
    if result.waiver:
        parts.append(f"waiver: {result.waiver}")
    if lapsed is not None:
        parts.append(gate.waiver_note(lapsed))
    if result.baseline:
        parts.append(f"baseline: {result.baseline}")
    return "\n".join(line(p) for p in parts)


def _case(suite: ET.Element, report: Report, result: Result, gating: bool,
          run: gate.Run, lapsed: gate.WaiverState | None) -> str:
    """Add one check's test case; return its outcome: failure, skipped or passed."""
    case = ET.SubElement(suite, "testcase", name=result.id,
                         classname=f"{line(report.name)}.{result.family}",
                         file=line(relative(report.file)))
    if result.line:
        case.set("line", str(result.line))
    summary = line(result.message)
    outcome = "passed"
    if gating:
        failure = ET.SubElement(case, "failure", type=result.status,
                                message=f"{result.status}: {summary}")
        failure.text = _detail(result, lapsed)
        outcome = "failure"
    elif result.status == "skip":
        ET.SubElement(case, "skipped", message=summary)
        outcome = "skipped"
    elif result.status == "waived":
        ET.SubElement(case, "skipped",
                      message=f"waived ({result.waived_status}): {line(result.waiver or '')}")
        outcome = "skipped"
    elif gate.at_level(result.status, run.fail_on):
        ET.SubElement(case, "skipped", message=f"{result.status}, {result.baseline} since the "
                                               f"baseline: {summary}")
        outcome = "skipped"
    ET.SubElement(case, "system-out").text = _detail(result, lapsed)
    return outcome


def render(reports: list[Report], errors: list[Diagnostic] | None = None,
           run: gate.Run | None = None) -> str:
    """The JUnit XML of a run."""
    run = run or gate.Run()
    errors = errors or []
    root = ET.Element("testsuites", name="aiceiling")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=line(report.name),
                              file=line(relative(report.file)))
        properties = ET.SubElement(suite, "properties")
        settings = {"verdict": report.verdict,
                    "binding_constraint": report.binding.id if report.binding else "",
                    "fail_on": run.fail_on, "baseline": run.baseline or "",
                    "config": run.config or ""}
        for waiver in gate.waivers(report, run):
            settings[f"waiver.{line(waiver.check)}"] = \
                f"{waiver.state} (expires {waiver.expires}): {line(waiver.reason)}"
        for note in report.notes:
            settings[f"note.{len(settings)}"] = line(note)
        for name, text in settings.items():
            ET.SubElement(properties, "property", name=name, value=text)
        failing = {r.id for r in gate.failing(report, run)}
        lapsed = gate.lapsed(report, run)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for result in report.results:
            outcome = _case(suite, report, result, result.id in failing, run,
                            lapsed.get(result.id))
            counts["tests"] += 1
            if outcome != "passed":
                counts[outcome if outcome == "skipped" else "failures"] += 1
        for key, count in counts.items():
            suite.set(key, str(count))
            totals[key] += count
    by_file: dict[str, list[Diagnostic]] = {}
    for diagnostic in errors:
        by_file.setdefault(diagnostic.file, []).append(diagnostic)
    for file, diagnostics in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=line(file), file=line(file), tests="1",
                              failures="0", errors="1", skipped="0")
        case = ET.SubElement(suite, "testcase", name="profile is valid", classname=line(file),
                             file=line(file))
        error = ET.SubElement(case, "error", type="invalid-profile",
                              message=f"{len(diagnostics)} problem(s) in {line(file)}")
        error.text = "\n".join(str(d) for d in diagnostics)
        totals["tests"] += 1
        totals["errors"] += 1
    for key, total in totals.items():
        root.set(key, str(total))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
