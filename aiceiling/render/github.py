"""GitHub Actions workflow commands: an annotation per check that is a problem, at the
profile line it concerns (``::error file=…,line=…,col=…,title=…::message``).

A check that fails the run is an ``error``; other fail, unknown and warn checks are
``warning``s; waived checks, waivers that expired or match no check, and checks resolved
since the baseline are ``notice``s. Text is encoded as the runner requires (``%``, CR and
LF in the message; also ``:`` and ``,`` in properties) and stripped of control characters,
so nothing from a profile can end the annotation and start another workflow command.
"""

from __future__ import annotations

from aiceiling import gate
from aiceiling.api import Report
from aiceiling.checks import Result
from aiceiling.errors import Diagnostic, printable
from aiceiling.profile.yamlsource import STDIN
from aiceiling.render import relative


def escape_data(text: str) -> str:
    """A workflow command's message, encoded as the runner decodes it."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """A workflow command's property value (file, title), encoded as the runner decodes it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, *, file: str | None = None, line: int | None = None,
            col: int | None = None, title: str | None = None) -> str:
    """One ``::error``/``::warning``/``::notice`` workflow command."""
    properties = []
    if file and file != STDIN and not file.startswith("--set "):
        properties.append(f"file={escape_property(relative(file))}")
        if line:
            properties.append(f"line={line}")
            if col:
                properties.append(f"col={col}")
    if title:
        properties.append(f"title={escape_property(title)}")
    head = f"::{kind} {','.join(properties)}" if properties else f"::{kind}"
    return f"{head}::{escape_data(message)}"


def _annotation(report: Report, result: Result, gating: bool) -> str | None:
    from aiceiling.render.table import value_limit

    if gating:
        kind = "error"
    elif result.status in ("fail", "unknown", "warn"):
        kind = "warning"
    elif result.status == "waived" or result.baseline == "resolved":
        kind = "notice"
    else:
        return None
    figures = value_limit(result)
    message = (f"{figures}: " if figures else "") + result.message
    status = result.status
    if result.status == "waived":
        status = f"waived {result.waived_status}"
        message = f"waived: {result.waiver}; {message}"
    if result.baseline and result.baseline != "unchanged":
        status += f", {result.baseline}"
    title = f"{result.id} {status} ({report.name})"
    return command(kind, message, file=report.file, line=result.line, col=result.column,
                   title=title)


def render(reports: list[Report], errors: list[Diagnostic] | None = None,
           run: gate.Run | None = None) -> str:
    """The workflow commands of a run, then a one-line summary per profile."""
    run = run or gate.Run()
    out = [command("error", d.message if not d.field else f"{d.field}: {d.message}",
                   file=d.file, line=d.line, col=d.column, title="invalid profile")
           for d in errors or []]
    for report in reports:
        failing = {r.id for r in gate.failing(report, run)}
        for result in report.results:
            annotation = _annotation(report, result, result.id in failing)
            if annotation:
                out.append(annotation)
        for waiver in gate.waivers(report, run):
            if waiver.state in ("expired", "unmatched"):
                out.append(command("warning", gate.waiver_note(waiver), file=report.file,
                                   title=f"waiver {waiver.state} ({report.name})"))
    settings = f"--fail-on {run.fail_on}" + (f", config {run.config}" if run.config else "") \
        + (f", baseline {run.baseline}" if run.baseline else "")
    for report in reports:
        count = len(gate.failing(report, run))
        out.append(printable(f"aiceiling: {report.name}: {report.verdict}, {count} check(s) "
                             f"fail the run ({settings})", newlines=False))
    return "\n".join(out) + "\n" if out else ""
