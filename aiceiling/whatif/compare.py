"""Comparisons: several designs evaluated side by side, one column each.

A design is a profile file, or one profile with a group of overrides (a *variant*):
``"8 GPUs: deployment.accelerators=8, site.power_budget=60 kW"``. Rows are the verdict, the
binding constraint, every check and the key estimates; a row whose cells differ between the
designs is marked.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from aiceiling.checks import SKIP, Result
from aiceiling.errors import Diagnostic, InputError
from aiceiling.evaluation import Report
from aiceiling.whatif.scenario import KEY_ESTIMATES

# Estimates that differ by less than this share are shown as equal (the figures carry three
# significant digits on screen).
SAME_WITHIN = 0.005

_NEXT_OVERRIDE = re.compile(r",\s*(?=[A-Za-z_][\w.]*\s*=)")


class Variant(NamedTuple):
    """A labelled group of ``--set`` overrides applied to one profile."""

    label: str
    overrides: tuple[str, ...]


def parse_variant(text: str) -> Variant:
    """Parse ``"LABEL: PATH=VALUE, PATH=VALUE"`` (the label is optional).

    Overrides are separated by a comma followed by the next ``PATH=``; a comma inside a
    value (``data.residency=[DE, AT]``) stays in the value.
    """
    head, colon, rest = text.partition(":")
    if colon and "=" not in head:
        label, body = head.strip(), rest
    else:
        label, body = "", text
    overrides = tuple(part.strip() for part in _NEXT_OVERRIDE.split(body) if part.strip())
    if not overrides or any("=" not in o for o in overrides):
        raise InputError([Diagnostic(f"--variant {text}", None, None, "",
                                     "expected 'LABEL: PATH=VALUE, PATH=VALUE', e.g. "
                                     "'8 GPUs: deployment.accelerators=8'")])
    return Variant(label or ", ".join(overrides), overrides)


class Cell(NamedTuple):
    """One design's entry in a row: its status (checks) and the figure shown."""

    status: str
    text: str
    value: float | str | None


class Line(NamedTuple):
    """A row of the comparison: a check, an estimate, or the verdict and binding."""

    key: str
    kind: str                       # verdict | binding | check | estimate
    unit: str
    cells: tuple[Cell, ...]
    differs: bool


class Comparison(NamedTuple):
    labels: tuple[str, ...]
    files: tuple[str, ...]
    reports: tuple[Report, ...]
    lines: tuple[Line, ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: designs, then rows with one cell per design."""
        return {
            "designs": [{"label": label, "file": file, "verdict": r.verdict,
                         "binding": r.binding.id if r.binding else None}
                        for label, file, r in zip(self.labels, self.files, self.reports,
                                                  strict=True)],
            "rows": [{"key": line.key, "kind": line.kind, "unit": line.unit,
                      "differs": line.differs,
                      "cells": [{"status": c.status, "value": _json(c.value), "text": c.text}
                                for c in line.cells]}
                     for line in self.lines],
        }


def _json(value: float | str | None) -> float | str | None:
    if isinstance(value, float):
        from aiceiling.render import sig

        return sig(value)
    return value


def _figure(value: float | str | None) -> str:
    from aiceiling.render import number

    return number(value) if isinstance(value, float) else "" if value is None else str(value)


def _check_cell(result: Result | None) -> Cell:
    if result is None:
        return Cell("", "—", None)
    if result.value is None:
        return Cell(result.status, result.status, None)
    shown = _figure(result.value)
    if result.limit not in (None, ""):
        shown += f" / {_figure(result.limit)}"
    if result.unit:
        shown += f" {result.unit}"
    return Cell(result.status, f"{result.status} {shown}", result.value)


def _close(a: float | str | None, b: float | str | None) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= SAME_WITHIN * max(abs(a), abs(b))
    return a == b


def _differs(cells: tuple[Cell, ...], by_value: bool) -> bool:
    first = cells[0]
    return any(c.status != first.status or
               (by_value and not _close(c.value, first.value)) for c in cells[1:])


def compare(labels: list[str], reports: list[Report]) -> Comparison:
    """Lay out evaluated designs side by side. ``labels`` name the columns."""
    verdicts = tuple(Cell(r.verdict, r.verdict, r.verdict) for r in reports)
    bindings = tuple(Cell("", r.binding.id if r.binding else "—",
                          r.binding.id if r.binding else None) for r in reports)
    lines = [Line("verdict", "verdict", "", verdicts, _differs(verdicts, True)),
             Line("binding", "binding", "", bindings, _differs(bindings, True))]
    order = list(dict.fromkeys(r.id for report in reports for r in report.results))
    by_id = [{r.id: r for r in report.results} for report in reports]
    for check_id in order:
        results = [ids.get(check_id) for ids in by_id]
        if all(r is None or r.status == SKIP for r in results):
            continue  # applies to none of the designs
        cells = tuple(_check_cell(r) for r in results)
        unit = next((r.unit for r in results if r is not None and r.unit), "")
        lines.append(Line(check_id, "check", unit, cells, _differs(cells, True)))
    for key in KEY_ESTIMATES:
        estimates = [r.estimates.values.get(key) for r in reports]
        if all(e is None for e in estimates):
            continue
        unit = next(e.unit for e in estimates if e is not None)
        cells = tuple(Cell("", _figure(e.value) if e is not None else "—",
                           e.value if e is not None else None) for e in estimates)
        lines.append(Line(key, "estimate", unit, cells, _differs(cells, True)))
    return Comparison(tuple(labels), tuple(r.file for r in reports), tuple(reports),
                      tuple(lines))


def unique_labels(names: list[str], files: list[str]) -> list[str]:
    """Profile names as column labels; the file path where two designs share a name."""
    return [name if names.count(name) == 1 else file for name, file in
            zip(names, files, strict=True)]
