"""The verdict table: one row per check, a bar of the share used, the binding constraint."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from aiceiling.api import Report
from aiceiling.checks import Result
from aiceiling.render import number

WIDTH = 100
BAR_CELLS = 10
_PARTIAL = " ▏▎▍▌▋▊▉"
_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim",
          "waived": "cyan"}
_VERDICT_STYLE = {"feasible": "bold green", "at-risk": "bold yellow",
                  "infeasible": "bold red"}


def bar(used: float) -> str:
    """Ten cells filled in eighths for the share of the limit used (capped at full)."""
    eighths = round(max(0.0, min(used, 1.0)) * BAR_CELLS * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_PARTIAL[part] if part else "")
    return text + "░" * (BAR_CELLS - len(text))


def compact(value: float) -> str:
    """A figure for the narrow value column: 3 digits, with k/M/G beyond 100,000."""
    for scale, suffix in ((1e9, " G"), (1e6, " M"), (1e5, " k")):
        if abs(value) >= scale:
            return f"{number(value / scale)}{suffix}"
    return number(value)


def value_limit(result: Result) -> str:
    if isinstance(result.value, float) and isinstance(result.limit, float):
        return f"{compact(result.value)} / {compact(result.limit)} {result.unit}".strip()
    if result.value is None and result.limit is None:
        return ""
    if result.limit in (None, ""):
        return str(result.value)
    return f"{result.value} / {result.limit}"


def _row(result: Result) -> list[Text]:
    status = result.status.upper() if result.status == "fail" else result.status
    used = ""
    if result.used is not None and result.status != "skip":
        share = result.used * 100
        used = f"{bar(result.used)} {share:>3.0f} %" if share < 1000 else \
            f"{bar(result.used)} >999 %"
    message = result.message
    if result.waiver:
        message = f"waived ({result.waived_status}): {result.waiver}"
    if result.line:
        message += f"  :{result.line}"
    style = _STYLE.get(result.status, "")
    return [Text(f"  {result.name}"), Text(status, style=style),
            Text(value_limit(result)), Text(used, style=style if result.status != "pass"
                                            else ""), Text(message)]


def table(report: Report, verbose: bool = False) -> Group:
    header = Table.grid(expand=True)
    header.add_column(ratio=1)
    header.add_column(justify="right")
    header.add_row(Text(f"{report.name}  {report.file}", style="bold"),
                   Text(report.verdict.upper(), style=_VERDICT_STYLE[report.verdict]))
    grid = Table(box=None, pad_edge=False, show_edge=False, expand=False, padding=(0, 1),
                 header_style="bold")
    grid.add_column("check", no_wrap=True)
    grid.add_column("status", no_wrap=True)
    grid.add_column("value / limit", no_wrap=True)
    grid.add_column("used", no_wrap=True)
    grid.add_column("message", overflow="fold", ratio=1)
    family = ""
    skipped: list[Result] = []
    for result in report.results:
        if result.status == "skip" and not verbose:
            skipped.append(result)
            continue
        if result.family != family:
            family = result.family
            grid.add_row(Text(family, style="bold"), *[Text("")] * 4)
        grid.add_row(*_row(result))
    lines: list[Text | Table] = [header, grid]
    if skipped:
        # Skipped checks in one line; --verbose shows each with its reason.
        names = ", ".join(r.id for r in skipped)
        lines.append(Text(f"skipped ({len(skipped)}, -v for why): {names}", style="dim"))
    binding = report.binding
    if binding is not None:
        figures = value_limit(binding) if binding.used is not None else ""
        lines.append(Text(f"binding: {binding.id} — "
                          + (f"{figures}: " if figures else "") + binding.message))
    for note in report.notes:
        lines.append(Text(f"note: {note}", style="yellow"))
    defaults = [f"{a.field}={a.value}" for a in report.estimates.assumptions]
    if defaults:
        lines.append(Text("defaults: " + "; ".join(defaults), style="dim"))
    lines.append(Text(_verdict_line(report), style=_VERDICT_STYLE[report.verdict]))
    return Group(*lines)


def _verdict_line(report: Report) -> str:
    failing = [r.id for r in report.results if r.status == "fail"]
    warning = [r.id for r in report.results if r.status == "warn"]
    evaluated = sum(1 for r in report.results if r.status != "skip")
    if report.verdict == "infeasible":
        return f"verdict: INFEASIBLE — {len(failing)} failing: {', '.join(failing)}"
    if report.verdict == "at-risk":
        return f"verdict: AT RISK — within the warning margin: {', '.join(warning)}"
    return f"verdict: FEASIBLE — {evaluated} checks within their limits"


def render(reports: list[Report], *, color: bool, width: int | None = None,
           verbose: bool = False) -> str:
    console = Console(width=min(width or WIDTH, WIDTH), record=True, no_color=not color,
                      color_system="standard" if color else None, force_terminal=color,
                      file=io.StringIO(), highlight=False, emoji=False, soft_wrap=False)
    for index, report in enumerate(reports):
        if index:
            console.print()
        console.print(table(report, verbose))
    text = console.export_text(styles=color)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
