"""The verdict table: one row per check, a bar of the share used, the binding constraint.

The layout is computed here (fixed columns, the message wrapped to what is left of the
width); rich only styles the text and drops the colour when it is off. Laying the table
out by hand is ten times faster than rich's table measurement and keeps the output stable.

The width is the terminal's (``COLUMNS`` honoured), at most 100 and at least 60; piped
output without ``COLUMNS`` is 100 columns. Below 100 columns the bar shrinks to five cells,
and where the message column would be too narrow to read, each message goes on its own line
under its check.
"""

from __future__ import annotations

import io
import textwrap

from rich.console import Console
from rich.text import Text

from aiceiling.api import Report
from aiceiling.checks import Result
from aiceiling.render import MIN_WIDTH, WIDTH, number, terminal_width
from aiceiling.render import line as one_line
from aiceiling.units import readable_unit
from aiceiling.verdict import coverage_of

BAR_CELLS = 10
_MIN_MESSAGE = 28          # narrower than this, the message goes on its own line
_PARTIAL = " ▏▎▍▌▋▊▉"
_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "unknown": "magenta",
          "skip": "dim", "waived": "cyan"}
_VERDICT_STYLE = {"feasible": "bold green", "at-risk": "bold yellow",
                  "undetermined": "bold magenta", "infeasible": "bold red"}
_HEADERS = ("check", "status", "value / limit", "used", "message")


def bar(used: float, cells: int = BAR_CELLS) -> str:
    """``cells`` cells filled in eighths for the share of the limit used (capped at full)."""
    eighths = round(max(0.0, min(used, 1.0)) * cells * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_PARTIAL[part] if part else "")
    return text + "░" * (cells - len(text))


def compact(value: float) -> str:
    """A figure for the narrow value column: 3 significant digits, thousands separated up to
    999,999, then M and G (millions, billions); never an infinity."""
    if value != value:
        return "n/a"
    if abs(value) == float("inf"):
        return "unbounded"
    for scale, suffix in ((1e9, " G"), (1e6, " M")):
        if abs(value) >= scale:
            return f"{number(value / scale)}{suffix}"
    return number(value)


def quantity(value: float, unit: str) -> str:
    """A figure in the unit a person reads it in: ``100 MW``, ``6.31 MB``, ``79.3 ns``."""
    factor, shown = readable_unit(value, unit)
    return f"{compact(value * factor)} {shown}".strip()


def value_limit(result: Result) -> str:
    """``value / limit unit``, both in the unit that suits the limit."""
    if isinstance(result.value, float) and isinstance(result.limit, float):
        reference = result.limit if result.limit else result.value
        factor, unit = readable_unit(reference, result.unit)
        return f"{compact(result.value * factor)} / {compact(result.limit * factor)} " \
               f"{unit}".strip()
    if result.value is None and result.limit is None:
        return ""
    if result.limit in (None, ""):
        return str(result.value)
    return f"{result.value} / {result.limit}"


def _used(result: Result, cells: int) -> str:
    if result.used is None or result.status in ("skip", "unknown"):
        return ""
    share = result.used * 100
    return f"{bar(result.used, cells)} {share:>3.0f} %" if share < 999.5 else \
        f"{bar(result.used, cells)} >999 %"


def _cells(result: Result, cells: int) -> tuple[str, str, str, str, str]:
    status = result.status.upper() if result.status == "fail" else result.status
    message = result.message
    if result.waiver:
        message = f"waived ({result.waived_status}): {result.waiver}"
    if result.baseline and (result.status not in ("pass", "skip") or
                            result.baseline == "resolved"):
        message = f"[{result.baseline}] {message}"
    if result.line:
        message += f"  :{result.line}"
    return f"  {result.name}", status, value_limit(result), _used(result, cells), \
        one_line(message)


def _grid(report: Report, verbose: bool, width: int) -> tuple[list[Text], list[Result]]:
    shown = [r for r in report.results if verbose or r.status != "skip"]
    skipped = [r for r in report.results if not verbose and r.status == "skip"]
    cells = BAR_CELLS if width >= WIDTH else 5
    rows = [(r, _cells(r, cells)) for r in shown]
    widths = [max([len(_HEADERS[i])] + [len(c[i]) for _, c in rows]) for i in range(4)]
    message_width = width - sum(widths) - 4
    below = message_width < _MIN_MESSAGE  # messages on their own lines, under the check
    indent = " " * (4 if below else sum(widths) + 4)
    if below:
        message_width = width - len(indent)
    head = " ".join(h.ljust(w) for h, w in zip(_HEADERS[:4], widths, strict=True))
    lines = [Text(head if below else head + " " + _HEADERS[4], style="bold")]
    family = ""
    for result, cell in rows:
        if result.family != family:
            family = result.family
            lines.append(Text(family, style="bold"))
        style = _STYLE.get(result.status, "")
        wrapped = textwrap.wrap(cell[4], message_width, break_on_hyphens=False) or [""]
        line = Text(cell[0].ljust(widths[0]) + " ")
        line.append(cell[1].ljust(widths[1]), style=style)
        line.append(" " + cell[2].ljust(widths[2]) + " ")
        line.append(cell[3].ljust(widths[3]), style=style if result.status != "pass" else "")
        if below:
            lines.append(line)
            lines.extend(Text(indent + part, style="dim") for part in wrapped)
            continue
        line.append(" " + wrapped[0])
        lines.append(line)
        lines.extend(Text(indent + more) for more in wrapped[1:])
    return lines, skipped


def needs(report: Report) -> str:
    """What the design needs, whatever limits the profile sets: TTFT and TPOT p99,
    capacity, installed and average power, monthly cost, carbon."""
    est = report.estimates
    parts: list[str] = []
    for keys, label in ((("ttft_p99_ms", "ttft_ms"), "TTFT"), (("tpot_p99_ms", "tpot_ms"), "TPOT"),
                        (("latency_e2e_ms",), "latency")):
        key = next((k for k in keys if k in est.values), None)
        if key is not None and (label != "latency" or not parts):
            p99 = " p99" if key.endswith("_p99_ms") else ""
            parts.append(f"{label}{p99} {quantity(est.values[key].value, 'ms')}")
    capacity = est.get("max_requests_per_s")
    if capacity is not None:
        parts.append(f"capacity {compact(capacity)} req/s")
    installed, average = est.get("installed_it_power_kw"), est.get("average_it_power_kw")
    if installed is not None:
        parts.append(f"IT power {quantity(installed, 'kW')} installed"
                     + (f", {quantity(average, 'kW')} average" if average is not None else ""))
    facility = est.get("facility_power_kw")
    if facility is not None and facility != installed:
        parts.append(f"site {quantity(facility, 'kW')}")
    cost = est.values.get("monthly_cost")
    if cost is not None:
        parts.append(f"{compact(cost.value)} {cost.unit}/month")
    co2 = est.get("annual_co2_t")
    if co2 is not None:
        training = "training_days" in est.values
        parts.append(f"{compact(co2)} t CO2e{' for the run' if training else '/year'}")
    runtime = est.get("device_runtime_h")
    if runtime is not None:
        parts.append(f"battery {compact(runtime)} h")
    return "needs: " + " · ".join(parts) if parts else ""


def pack(items: list[str], width: int, indent: int, sep: str = " · ") -> list[str]:
    """``items`` joined by ``sep`` in lines of at most ``width``, broken only between items
    (a figure never parted from its unit), continuation lines indented by ``indent``; an item
    longer than a whole line is wrapped on its own."""
    out: list[str] = []
    current = ""
    for item in items:
        candidate = f"{current}{sep}{item}" if current else item
        if len(candidate) <= width or not current:
            current = candidate
            continue
        out.append(current + sep.rstrip())
        current = " " * indent + item
    if current:
        out.append(current)
    return [piece for line in out for piece in (textwrap.wrap(
        line, width, break_on_hyphens=False, subsequent_indent=" " * indent)
        if len(line) > width else [line])]


def _coverage(report: Report) -> str:
    cov = coverage_of(report.results)
    unknown = [r.id for r in report.results if r.status == "unknown"]
    text = f"coverage: {cov.evaluated} of {cov.limits_set} checks whose limit the profile " \
           "sets were evaluated"
    return text + (f"; unknown: {', '.join(unknown)}" if unknown else "")


def table(report: Report, verbose: bool = False, width: int = WIDTH) -> list[Text]:
    """The lines of one profile's report."""
    title = one_line(f"{report.name}  {report.file}")  # a file name may hold control characters
    verdict = report.verdict.upper()
    # Too wide for one line: the file goes on a line of its own under the name.
    file_line = None
    if len(title) + 2 + len(verdict) > width:
        title, file_line = one_line(report.name), one_line(report.file)
    header = Text(title, style="bold")
    header.append(" " * max(2, width - len(title) - len(verdict)))
    header.append(verdict, style=_VERDICT_STYLE[report.verdict])
    lines = [header]
    if file_line is not None:
        lines.append(Text(file_line))

    def wrapped(text: str, style: str = "", indent: int = 0) -> None:
        lines.extend(Text(part, style=style) for part in textwrap.wrap(
            text, width, break_on_hyphens=False, subsequent_indent=" " * indent))

    if report.provenance is not None:
        wrapped(one_line(report.provenance.line()), "dim", 5)
    what = needs(report)
    if what:
        lines.extend(Text(part) for part in pack(what.split(" · "), width, 7))
    grid, skipped = _grid(report, verbose, width)
    lines.extend(grid)
    if skipped:
        wrapped(f"skipped ({len(skipped)}, -v for why): "
                + ", ".join(r.id for r in skipped), "dim", 2)
    wrapped(_coverage(report), "magenta" if any(r.status == "unknown"
                                                 for r in report.results) else "dim", 10)
    binding = report.binding
    if binding is not None:
        figures = value_limit(binding) if binding.used is not None else ""
        wrapped(f"binding: {binding.id} ({binding.status}) — "
                + (f"{figures}: " if figures else "") + one_line(binding.message), "", 9)
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
                    + one_line(f"{aug.path}: {aug.summary} → {outcome}"), "", 11)
    if plan is not None and report.verdict != "feasible" and (
            plan.blocked_by or not plan.augmentations):
        blocker = f"; {plan.blocked_by} blocks all of them" if plan.blocked_by else ""
        wrapped(("         " if plan.augmentations else "paths:   ")
                + f"no verified catalogued path gets under the ceiling ({plan.evaluated} "
                f"tried){blocker}", "", 11)
    for note in report.notes:
        wrapped(one_line(f"note: {note}"), "yellow", 6)
    defaults = [f"{a.field}={a.value}" for a in report.estimates.assumptions]
    if defaults:
        wrapped(one_line("defaults: " + "; ".join(defaults)), "dim", 10)
    wrapped(_verdict_line(report), _VERDICT_STYLE[report.verdict], 9)
    return lines


def _verdict_line(report: Report) -> str:
    failing = [r.id for r in report.results if r.status == "fail"]
    unknown = [r.id for r in report.results if r.status == "unknown"]
    warning = [r.id for r in report.results if r.status == "warn"]
    cov = coverage_of(report.results)
    if report.verdict == "infeasible":
        return f"verdict: INFEASIBLE — {len(failing)} failing: {', '.join(failing)}"
    if report.verdict == "undetermined":
        return (f"verdict: UNDETERMINED — {len(unknown)} limit(s) could not be evaluated: "
                f"{', '.join(unknown)}")
    if report.verdict == "at-risk":
        return f"verdict: AT RISK — within the warning margin: {', '.join(warning)}"
    return f"verdict: FEASIBLE — {cov.evaluated} of {cov.limits_set} checks within their limits"


def render(reports: list[Report], *, color: bool, width: int | None = None,
           verbose: bool = False, footer: tuple[str, ...] = ()) -> str:
    """Every report's table, one after the other; ``footer`` lines close the output."""
    width = max(MIN_WIDTH, min(width or terminal_width(), WIDTH))

    def lines_of(report: Report) -> list[Text]:
        return table(report, verbose, width)

    tail = [Text(text, style="dim") for text in footer]
    if not color:
        blocks = ["\n".join(line.plain.rstrip() for line in lines_of(r)) for r in reports]
        out = "\n\n".join(blocks) + "\n"
        return out + "".join(t.plain + "\n" for t in tail)
    console = Console(width=width, record=True, color_system="standard", force_terminal=True,
                      file=io.StringIO(), highlight=False, emoji=False, soft_wrap=True)
    for index, report in enumerate(reports):
        if index:
            console.print()
        for line in lines_of(report):
            console.print(line)
    for line in tail:
        console.print(line)
    return console.export_text(styles=True)
