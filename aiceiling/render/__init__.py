"""Renderers: the only place rich is imported, and only when a table is drawn.

Every format renders ``(reports, errors, run)`` to text: the reports of the profiles that
could be evaluated, the diagnostics of those that could not, and the gate's settings.
"""

from __future__ import annotations

import enum

from aiceiling.errors import printable

WIDTH = 100
MIN_WIDTH = 60


def terminal_width() -> int:
    """The width to lay text out in: ``COLUMNS`` if set, else the terminal's when standard
    output is one, else 100; clamped to 60–100."""
    import os

    columns = os.environ.get("COLUMNS", "").strip()
    width = int(columns) if columns.isdigit() else 0
    if not width:
        try:
            width = os.get_terminal_size(1).columns if os.isatty(1) else WIDTH
        except OSError:
            width = WIDTH
    return max(MIN_WIDTH, min(WIDTH, width))


class Format(str, enum.Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    junit = "junit"
    github = "github"


def relative(file: str) -> str:
    """A profile's path relative to the working directory (the repository root in CI) when
    it is under it, as code scanning and workflow annotations expect; else as given."""
    import os

    path = os.path.abspath(file)
    inside = os.path.relpath(path, os.getcwd())
    return file if inside.startswith(os.pardir) else inside


def line(text: str) -> str:
    """Text from a profile or a catalog made safe for one line of a terminal or CI log:
    control characters escaped, line breaks and tabs as spaces."""
    return printable(text, newlines=False)


def number(value: float) -> str:
    """A figure rounded for reading: 3 significant digits, thousands separated."""
    if value != value or value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "-∞" if value < 0 else "n/a"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    if magnitude == 0:
        return "0"
    return f"{value:.3g}"


def sig(value: float, digits: int = 6) -> float | None:
    """Round to ``digits`` significant digits for stable JSON; None for inf/NaN."""
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return float(f"{value:.{digits}g}")
