"""The verdict table: one row per check, a bar of the share used, the binding constraint.

The layout is computed here (fixed columns, the message wrapped to what is left of 100
columns); rich only styles the text and drops the colour when it is off. Laying the table
out by hand is ten times faster than rich's table measurement and keeps the output stable.
"""

from __future__ import annotations

import io
import textwrap

from rich.console import Console
from rich.text import Text

from aiceiling.api import Report
from aiceiling.checks import Result
from aiceiling.render import line as one_line
from aiceiling.render import number

WIDTH = 100
BAR_CELLS = 10
_PARTIAL = " ▏▎▍▌▋▊▉"
_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim",
          "waived": "cyan"}
_VERDICT_STYLE = {"feasible": "bold green", "at-risk": "bold yellow",
                  "infeasible": "bold red"}
_HEADERS = ("check", "status", "value / limit", "used", "message")


def bar(used: float) -> str:
    """Ten cells filled in eighths for the share of the limit used (capped at full)."""
    eighths = round(max(0.0, min(used, 1.0)) * BAR_CELLS * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_PARTIAL[part] if part else "")
    return text + "░" * (BAR_CELLS - len(text))


def compact(value: float) -> str:
    """A figure for the narrow value column: 3 digits, with k/M/G beyond 100,000."""
    for scale, unit, suffix in ((1e9, 1e9, " G"), (1e6, 1e6, " M"), (1e5, 1e3, " k")):
        if abs(value) >= scale:
            return f"{number(value / unit)}{suffix}"
    return number(value)


def value_limit(result: Result) -> str:
    if isinstance(result.value, float) and isinstance(result.limit, float):
        return f"{compact(result.value)} / {compact(result.limit)} {result.unit}".strip()
    if result.value is None and result.limit is None:
        return ""
    if result.limit in (None, ""):
        return str(result.value)
    return f"{result.value} / {result.limit}"


def _cells(result: Result) -> tuple[str, str, str, str, str]:
    status = result.status.upper() if result.status == "fail" else result.status
    used = ""
    if result.used is not None and result.status != "skip":
        share = result.used * 100
        used = f"{bar(result.used)} {share:>3.0f} %" if share < 1000 else \
            f"{bar(result.used)} >999 %"
    message = result.message
    if result.waiver:
        message = f"waived ({result.waived_status}): {result.waiver}"
    if result.baseline and (result.status not in ("pass", "skip") or
                            result.baseline == "resolved"):
        message = f"[{result.baseline}] {message}"
    if result.line:
        message += f"  :{result.line}"
    return f"  {result.name}", status, value_limit(result), used, one_line(message)


def _grid(report: Report, verbose: bool, width: int) -> tuple[list[Text], list[Result]]:
    shown = [r for r in report.results if verbose or r.status != "skip"]
    skipped = [r for r in report.results if not verbose and r.status == "skip"]
    rows = [(r, _cells(r)) for r in shown]
    widths = [max([len(_HEADERS[i])] + [len(cells[i]) for _, cells in rows])
              for i in range(4)]
    message_width = max(20, width - sum(widths) - 4)
    indent = " " * (sum(widths) + 4)
    lines = [Text(" ".join(h.ljust(w) for h, w in zip(_HEADERS[:4], widths, strict=True))
                  + " " + _HEADERS[4], style="bold")]
    family = ""
    for result, cells in rows:
        if result.family != family:
            family = result.family
            lines.append(Text(family, style="bold"))
        style = _STYLE.get(result.status, "")
        wrapped = textwrap.wrap(cells[4], message_width, break_on_hyphens=False) or [""]
        line = Text(cells[0].ljust(widths[0]) + " ")
        line.append(cells[1].ljust(widths[1]), style=style)
        line.append(" " + cells[2].ljust(widths[2]) + " ")
        line.append(cells[3].ljust(widths[3]), style=style if result.status != "pass" else "")
        line.append(" " + wrapped[0])
        lines.append(line)
        lines.extend(Text(indent + more) for more in wrapped[1:])
    return lines, skipped


def table(report: Report, verbose: bool = False, width: int = WIDTH) -> list[Text]:
    """The lines of one profile's report."""
    title = one_line(f"{report.name}  {report.file}")  # a file name may hold control characters
    verdict = report.verdict.upper()
    header = Text(title, style="bold")
    header.append(" " * max(2, width - len(title) - len(verdict)))
    header.append(verdict, style=_VERDICT_STYLE[report.verdict])
    grid, skipped = _grid(report, verbose, width)
    lines = [header, *grid]

    def wrapped(text: str, style: str = "") -> None:
        lines.extend(Text(part, style=style) for part in textwrap.wrap(
            text, width, break_on_hyphens=False, subsequent_indent=""))

    if skipped:
        wrapped(f"skipped ({len(skipped)}, -v for why): "
                + ", ".join(r.id for r in skipped), "dim")
    binding = report.binding
    if binding is not None:
        figures = value_limit(binding) if binding.used is not None else ""
        wrapped(f"binding: {binding.id} — " + (f"{figures}: " if figures else "")
                + binding.message)
    plan = report.plan
    if plan is not None and plan.augmentations:
        for index, aug in enumerate(plan.augmentations[:3]):
            unverified = [r for r in aug.regressions if r.startswith("unverified")]
            if unverified:
                outcome = f"cannot be verified: {unverified[0][len('unverified ('):-1]}"
            else:
                flips = ", ".join(aug.flips) if aug.flips else "no check fully"
                if aug.eased:
                    flips += f" (eases {', '.join(aug.eased)} to warn)"
                worse = f"; worse: {', '.join(aug.regressions)}" if aug.regressions else ""
                trade = f"; {aug.tradeoffs[0]}" if aug.tradeoffs else ""
                outcome = f"flips {flips} → {aug.verdict_after}{worse}{trade}"
            wrapped(("paths:   " if index == 0 else "         ")
                    + f"{aug.path}: {aug.summary} → {outcome}")
    if plan is not None and report.verdict != "feasible" and (
            plan.blocked_by or not plan.augmentations):
        blocker = f"; {plan.blocked_by} blocks all of them" if plan.blocked_by else ""
        wrapped(("         " if plan.augmentations else "paths:   ")
                + f"no verified catalogued path gets under the ceiling ({plan.evaluated} "
                f"tried){blocker}")
    for note in report.notes:
        wrapped(f"note: {note}", "yellow")
    defaults = [f"{a.field}={a.value}" for a in report.estimates.assumptions]
    if defaults:
        wrapped("defaults: " + "; ".join(defaults), "dim")
    wrapped(_verdict_line(report), _VERDICT_STYLE[report.verdict])
    return lines


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
           verbose: bool = False, footer: tuple[str, ...] = ()) -> str:
    """The tables of ``reports``; ``footer`` lines (the run's settings) close the output."""
    width = min(width or WIDTH, WIDTH)
    if not color:
        blocks = ["\n".join(line.plain.rstrip() for line in table(r, verbose, width))
                  for r in reports]
        return "\n\n".join(blocks) + "\n" + "".join(f"{line}\n" for line in footer)
    console = Console(width=width, record=True, color_system="standard", force_terminal=True,
                      file=io.StringIO(), highlight=False, emoji=False, soft_wrap=True)
    for index, report in enumerate(reports):
        if index:
            console.print()
        for line in table(report, verbose, width):
            console.print(line)
    for text in footer:
        console.print(Text(text, style="dim"))
    return console.export_text(styles=True)
