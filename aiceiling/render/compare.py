"""The comparison table: one column per design, a row per check and key estimate.

Rows whose cells differ are marked ``≠`` (and bold on a terminal). Laid out by hand, with
plain ANSI styles when colour is on: no rich needed for a grid of short cells.
"""

from __future__ import annotations

from aiceiling.whatif.compare import Comparison

MAX_CELL = 28
_STATUS = {"pass": "32", "warn": "33", "fail": "1;31", "waived": "36", "skip": "2",
           "unknown": "35", "feasible": "1;32", "at-risk": "1;33", "undetermined": "1;35",
           "infeasible": "1;31"}


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render(comparison: Comparison, *, color: bool = False) -> str:
    """The comparison as text, 1 + N columns."""
    lines = comparison.lines
    keys = [line.key + (f" [{line.unit}]" if line.kind == "estimate" and line.unit else "")
            for line in lines]
    key_width = max([len("check"), *(len(k) for k in keys)]) + 2
    widths = []
    for i, label in enumerate(comparison.labels):
        cells = [line.cells[i].text for line in lines]
        widths.append(min(MAX_CELL, max(len(label), *(len(c) for c in cells))))

    def style(text: str, code: str | None) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color and code else text

    out = ["  " + "".ljust(key_width) + "  ".join(
        style(_fit(label, w).ljust(w), "1") for label, w in zip(comparison.labels, widths,
                                                                strict=True)).rstrip()]
    section = ""
    for line, key in zip(lines, keys, strict=True):
        title = {"check": "checks", "estimate": "estimates"}.get(line.kind, "")
        if title and title != section:
            out.append("")
            out.append(style(title, "2") if color else title)
            section = title
        mark = "≠ " if line.differs else "  "
        cells = []
        for cell, width in zip(line.cells, widths, strict=True):
            text = _fit(cell.text, width).ljust(width)
            cells.append(style(text, _STATUS.get(cell.status)))
        key = key.ljust(key_width)
        out.append(mark + (style(key, "1") if line.differs else key) + "  ".join(cells))
    differing = sum(1 for line in lines if line.differs)
    out.append("")
    out.append(f"{differing} of {len(lines)} rows differ (≠)")
    return "\n".join(text.rstrip() for text in out) + "\n"
