"""Which defaults a figure used: each default the estimates took is set explicitly to a
nearby different value and the profile evaluated again; the figures (and check values) that
move depend on it.

This asks the real evaluation instead of keeping a hand-written map of which estimate reads
which field, so it stays true as the estimators change.
"""

from __future__ import annotations

import datetime as dt

from aiceiling.errors import InputError
from aiceiling.evaluation import Report, evaluate
from aiceiling.profile.load import LoadedProfile, with_overrides

_PRECISIONS = ("bf16", "fp16", "fp8", "int8", "fp4", "int4", "fp32")


def nudged(value: str) -> str | None:
    """A nearby value different from ``value`` (a default as text), or None if none is known:
    numbers × 0.9 (whole numbers minus one), a precision swapped for another."""
    from aiceiling.units import UnitError, _split

    text = value.strip()
    if text in _PRECISIONS:
        return "fp8" if text != "fp8" else "bf16"
    try:
        number, unit = _split(text)
    except (UnitError, ValueError):
        return None
    if number.is_integer() and "." not in text.split()[0]:
        changed = str(int(number) - 1 if number > 1 else int(number) + 1)
    else:
        changed = f"{number * 0.9:.6g}" if number else "1"
    return f"{changed} {unit}".strip()


def _figures(report: Report, keys: list[str], checks: list[str]) -> dict[str, object]:
    by_id = {r.id: r for r in report.results}
    out: dict[str, object] = {k: report.estimates.get(k) for k in keys}
    out.update({c: (by_id[c].value, by_id[c].status) for c in checks if c in by_id})
    return out


def defaults_used(loaded: LoadedProfile, report: Report, keys: list[str],
                  checks: list[str], *, on: dt.date | None = None) -> dict[str, list[str]]:
    """For each default the report's estimates assumed: the figures among ``keys`` and the
    checks among ``checks`` whose value changes when that default is changed."""
    base = _figures(report, keys, checks)
    used: dict[str, list[str]] = {}
    for assumption in report.estimates.assumptions:
        other = nudged(assumption.value)
        if other is None:
            used[assumption.field] = list(base)  # cannot tell: shown with every figure
            continue
        try:
            again = evaluate(with_overrides(loaded, [f"{assumption.field}={other}"]), on=on)
        except InputError:
            used[assumption.field] = list(base)
            continue
        after = _figures(again, keys, checks)
        used[assumption.field] = [k for k in base if not _same(base[k], after.get(k))]
    return used


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b
