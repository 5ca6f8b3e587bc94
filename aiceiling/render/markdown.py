"""Markdown for a pull-request comment or ``$GITHUB_STEP_SUMMARY``: the verdict of each
profile, the checks that fail the run, the binding constraint, the top augmentation paths,
waivers, and every check in a collapsed table.

Text from a profile or a catalog is escaped: it can neither break a table cell nor open an
HTML tag (a ``</details>`` in a description stays text).
"""

from __future__ import annotations

import re

from aiceiling import gate
from aiceiling.api import Report
from aiceiling.checks import Result
from aiceiling.errors import Diagnostic
from aiceiling.render import line

ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌", "unknown": "❔", "skip": "➖",
        "waived": "🔕"}
VERDICT_ICON = {"feasible": "✅", "at-risk": "⚠️", "undetermined": "❔", "infeasible": "❌"}
TOP_PATHS = 3
# GitHub refuses a pull-request comment longer than this ("Body is too long (maximum is
# 65536 characters)"); past it the collapsed tables of every check are left out.
COMMENT_LIMIT = 65_536
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!])")


def md(text: str) -> str:
    """Profile or catalog text as inert Markdown on one line."""
    return _SPECIAL.sub(r"\\\1", line(text))


def _figures(result: Result) -> str:
    from aiceiling.render.table import value_limit

    return md(value_limit(result))


def _used(result: Result) -> str:
    if result.used is None or result.status == "skip":
        return ""
    return f"{result.used * 100:.0f} %" if result.used < 10 else ">999 %"


def _status(result: Result) -> str:
    status = f"{ICON.get(result.status, '')} {result.status}"
    return f"{status} ({result.waived_status})" if result.waived_status else status


def _message(result: Result) -> str:
    if result.waiver:
        return "waived: " + md(result.waiver)
    return md(result.message)


def _where(report: Report, result: Result) -> str:
    return f"{md(report.file)}:{result.line}" if result.line else ""


def _profile(report: Report, run: gate.Run, full: bool) -> list[str]:
    failing = gate.failing(report, run)
    verdict = report.verdict
    out = [f"### {VERDICT_ICON.get(verdict, '')} {md(report.name)}: {verdict.upper()}", ""]
    outcome = (f"**fails the gate**: {len(failing)} check(s) at or above "
               f"`--fail-on {run.fail_on}`" + (", new or worse than the baseline"
                                               if run.baseline else "")
               if failing else f"passes the gate (`--fail-on {run.fail_on}`)")
    out += [f"{md(report.file)} · {outcome}", ""]
    baseline = run.baseline is not None
    if failing:
        head = "| check | status | value / limit | message | line |" + \
            (" baseline |" if baseline else "")
        out += [head, "|---|---|---|---|---|" + ("---|" if baseline else "")]
        for result in failing:
            row = (f"| `{result.id}` | {_status(result)} | {_figures(result)} | "
                   f"{_message(result)} | {_where(report, result)} |")
            out.append(row + (f" {result.baseline} |" if baseline else ""))
        out.append("")
    if report.binding is not None:
        out += [f"**Binding constraint:** `{report.binding.id}`: {md(report.binding.message)}",
                ""]
    plan = report.plan
    if plan is not None and plan.augmentations:
        out += ["**Top paths**", ""]
        for index, aug in enumerate(plan.augmentations[:TOP_PATHS], 1):
            flips = ", ".join(f"`{c}`" for c in aug.flips) or "no check fully"
            worse = f"; worse: {md(', '.join(aug.regressions))}" if aug.regressions else ""
            trade = f"; {md(aug.tradeoffs[0])}" if aug.tradeoffs else ""
            out.append(f"{index}. **{md(aug.path)}**: {md(aug.summary)} → flips {flips} → "
                       f"{aug.verdict_after}{worse}{trade}")
        out.append("")
    elif plan is not None and verdict != "feasible":
        blocker = f"; `{plan.blocked_by}` blocks all of them" if plan.blocked_by else ""
        out += [f"**Top paths:** no verified catalogued path gets under the ceiling "
                f"({plan.evaluated} tried){blocker}", ""]
    waivers = gate.waivers(report, run)
    if waivers:
        out += ["**Waivers**", ""]
        for waiver in waivers:
            hides = f", hides {waiver.hides}" if waiver.hides else ""
            when = "expired" if waiver.state == "expired" else "expires"
            out.append(f"- {md(waiver.check)}: **{waiver.state}**{hides} ({when} "
                       f"{waiver.expires}): {md(waiver.reason)}")
        out.append("")
    for note in report.notes:
        out += [f"> {md(note)}", ""]
    resolved = [r.id for r in report.results if r.baseline == "resolved"]
    if resolved:
        out += ["**Resolved since the baseline:** " + ", ".join(f"`{i}`" for i in resolved),
                ""]
    if not full:
        return out
    out += [f"<details><summary>All {len(report.results)} checks</summary>", "",
            "| check | status | value / limit | used | message |" +
            (" baseline |" if baseline else ""),
            "|---|---|---|---|---|" + ("---|" if baseline else "")]
    for result in report.results:
        row = (f"| `{result.id}` | {_status(result)} | {_figures(result)} | {_used(result)} | "
               f"{_message(result)} |")
        out.append(row + (f" {result.baseline} |" if baseline else ""))
    out += ["", "</details>", ""]
    return out


def render(reports: list[Report], errors: list[Diagnostic] | None = None,
           run: gate.Run | None = None) -> str:
    """The Markdown report of a run; without the tables of every check when it would not
    fit in a pull-request comment."""
    run = run or gate.Run()
    text = _render(reports, errors or [], run, full=True)
    if len(text) <= COMMENT_LIMIT:
        return text
    text = _render(reports, errors or [], run, full=False)
    if len(text) <= COMMENT_LIMIT:
        return text
    return _render(reports, errors or [], run, full=False, limit=COMMENT_LIMIT)


# Room kept for the closing lines (what was left out, the settings) under a limit. [chars]
_TAIL_ROOM = 2_000


def _render(reports: list[Report], errors: list[Diagnostic], run: gate.Run,
            full: bool, limit: int | None = None) -> str:
    failed = sum(1 for r in reports if gate.failing(r, run))
    total = len(reports) + len({d.file for d in errors})
    if errors:
        headline = f"❌ {len({d.file for d in errors})} of {total} profile(s) could not be " \
                   "evaluated"
    elif failed:
        headline = f"❌ {failed} of {total} profile(s) fail the gate"
    else:
        headline = f"✅ {total} profile(s) pass the gate"
    out = [f"## aiceiling: {headline}", ""]
    if reports:
        out += ["| profile | verdict | failing checks | binding constraint |",
                "|---|---|---|---|"]
        for report in reports:
            binding = f"`{report.binding.id}`" if report.binding else ""
            out.append(f"| {md(report.name)} | {VERDICT_ICON.get(report.verdict, '')} "
                       f"{report.verdict} | {len(gate.failing(report, run))} | {binding} |")
        out.append("")
    if errors:
        out += ["### Could not evaluate", ""]
        out += [f"- {md(str(d))}" for d in errors]
        out.append("")
    if not full:
        out += ["The tables of every check are left out: the report would not fit in a pull "
                "request comment. The JSON, SARIF and JUnit reports have them.", ""]
    size = sum(len(line) + 1 for line in out)
    shown = 0
    for report in reports:
        block = _profile(report, run, full)
        length = sum(len(line) + 1 for line in block)
        if limit is not None and size + length + _TAIL_ROOM > limit:
            break
        out += block
        size += length
        shown += 1
    if shown < len(reports):
        out += [f"The sections of {len(reports) - shown} more profile(s) are left out to fit "
                "a pull request comment; the summary table above lists them all.", ""]
    settings = [f"fail-on {run.fail_on}", f"warn at {run.warn_at * 100:g} %"]
    if run.baseline:
        settings.append(f"baseline {md(run.baseline)}")
    if run.config:
        settings.append(f"config {md(run.config)}")
    if run.checks:
        settings.append("checks " + ", ".join(md(c) for c in run.checks))
    if run.skip_checks:
        settings.append("skipping " + ", ".join(md(c) for c in run.skip_checks))
    if not run.waivers:
        settings.append("waivers ignored (audit view)")
    out.append("<sub>aiceiling · " + " · ".join(settings) + "</sub>")
    return "\n".join(out) + "\n"
