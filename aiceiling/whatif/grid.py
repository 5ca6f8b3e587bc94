"""Sweep axes: ``--vary PATH=VALUES`` parsed into the values of one profile field.

VALUES is a comma-separated list of items; each item is one YAML value (``8``, ``"40 kW"``,
``h100-sxm``, ``[DE, AT]``) or a range ``START..STOP[:STEP]``:

- ``1..64:x2`` multiplies (1, 2, 4, … 64); ``x1.5`` works too;
- ``0.5..4:0.5`` adds (0.5, 1.0, … 4.0); an integer range without a step adds 1;
- ``"10 kW".."60 kW":"10 kW"`` adds a quantity; the values keep the unit of START.

Items mix freely (``1,2,4..16:x2``) and keep their order. A range includes STOP when a step
lands on it. The grid of several axes is their product, the last axis varying fastest.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import NamedTuple

from aiceiling.errors import Diagnostic, InputError
from aiceiling.profile.yamlsource import Path

MAX_VALUES = 1_000_000  # per axis: a typo such as 1..1e9 is not a grid anyone meant


class Axis(NamedTuple):
    """One varied field: its dotted path and its values as ``--set`` texts, in order."""

    path: str
    values: tuple[str, ...]

    @property
    def parts(self) -> Path:
        return split_path(self.path)


def split_path(path: str) -> Path:
    """``deployment.accelerators`` → ("deployment", "accelerators"); ASCII digits index lists."""
    return tuple(int(p) if p.isascii() and p.isdigit() else p for p in path.strip().split("."))


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside quotes and brackets."""
    parts: list[str] = []
    depth, quote, start, i = 0, "", 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


def _quantity(text: str) -> tuple[float, str]:
    """``"10 kW"`` → (10.0, "kW"); ``8`` → (8.0, "")."""
    from aiceiling.units import UnitError, _split

    try:
        return _split(text)
    except (UnitError, ValueError):
        raise ValueError(f"{text!r} is not a number or a quantity such as '10 kW'") from None


def _format(number: float, unit: str, integral: bool) -> str:
    clean = float(f"{number:.12g}")
    shown = str(int(clean)) if integral or (clean.is_integer() and abs(clean) < 1e15) \
        else repr(clean)
    return f"{shown} {unit}" if unit else shown


def _range(item: str) -> list[str]:
    """Values of one ``START..STOP[:STEP]`` item, as texts."""
    from aiceiling.units import unit_dimension

    start_text, _, rest = item.partition("..")
    pieces = _split_top(rest, ":")
    stop_text = pieces[0]
    step_text = ":".join(pieces[1:]) if len(pieces) > 1 else None
    start, unit = _quantity(_unquote(start_text))
    stop, stop_unit = _quantity(_unquote(stop_text))
    factor = 1.0
    if unit or stop_unit:
        if not unit or not stop_unit:
            raise ValueError("START and STOP need a unit both, or neither")
        dim, factor = unit_dimension(unit)
        stop_dim, stop_factor = unit_dimension(stop_unit)
        if dim != stop_dim:
            raise ValueError(f"START is a {dim}, STOP a {stop_dim}")
        stop = stop * stop_factor / factor
    integral = not unit and float(start).is_integer() and float(stop).is_integer() and \
        "." not in start_text and "." not in stop_text and "e" not in start_text.lower()
    values: list[float] = []
    if step_text is None:
        if not integral:
            raise ValueError("a range of non-integers needs a step, e.g. 0.5..4:0.5")
        step, multiply = 1.0, False
    elif step_text.strip().lower().startswith(("x", "*")):
        multiply = True
        step, _ = _quantity(step_text.strip()[1:].strip())
        if step <= 1:
            raise ValueError(f"a multiplying step must be above 1, not {step:g}")
        if start <= 0:
            raise ValueError("a multiplying range must start above 0")
    else:
        multiply = False
        step, step_unit = _quantity(_unquote(step_text))
        if step_unit:
            if not unit:
                raise ValueError("STEP has a unit but START has none")
            step_dim, step_factor = unit_dimension(step_unit)
            if step_dim != unit_dimension(unit)[0]:
                raise ValueError(f"STEP is a {step_dim}, START a {unit_dimension(unit)[0]}")
            step = step * step_factor / factor
        if step <= 0:
            raise ValueError("STEP must be above 0 (write START..STOP with START below STOP "
                             "to count up, or STOP..START to count down)")
        integral = integral and float(step).is_integer() and "." not in step_text
    descending = stop < start
    count = 0
    value = start
    tolerance = 1e-9 * max(abs(start), abs(stop), 1e-300)
    while (value >= stop - tolerance) if descending else (value <= stop + tolerance):
        values.append(value)
        count += 1
        if count > MAX_VALUES:
            raise ValueError(f"more than {MAX_VALUES:,} values")
        if multiply:
            value = start * step ** count if not descending else start / step ** count
        else:
            value = start + count * step if not descending else start - count * step
    return [_format(v, unit, integral) for v in values]


def parse_axis(spec: str, origin: str = "--vary") -> Axis:
    """Parse ``PATH=VALUES``. Raises InputError pointing at the argument."""
    where = f"{origin} {spec}"
    path, eq, values_text = spec.partition("=")
    path = path.strip()
    if not eq or not path or not values_text.strip():
        raise InputError([Diagnostic(where, None, None, "", "expected PATH=VALUES, e.g. "
                                     "deployment.accelerators=1,2,4,8")])
    values: list[str] = []
    for item in _split_top(values_text, ","):
        item = item.strip()
        if not item:
            raise InputError([Diagnostic(where, None, None, path, "an empty value in the list")])
        if ".." in item and len(_split_top(item, "..")) == 2:
            try:
                values.extend(_range(item))
            except ValueError as exc:
                raise InputError([Diagnostic(where, None, None, path,
                                             f"range {item!r}: {exc}")]) from None
        else:
            values.append(item)
    if len(values) > MAX_VALUES:
        raise InputError([Diagnostic(where, None, None, path,
                                     f"more than {MAX_VALUES:,} values")])
    return Axis(path, tuple(values))


def size(axes: list[Axis] | tuple[Axis, ...]) -> int:
    """Number of scenarios in the grid of ``axes``."""
    return math.prod(len(a.values) for a in axes)


def indexes(axes: list[Axis] | tuple[Axis, ...], start: int = 0,
            stop: int | None = None) -> Iterator[tuple[int, ...]]:
    """Value indexes of grid rows ``start`` to ``stop``, the last axis fastest."""
    radices = [len(a.values) for a in axes]
    stop = size(axes) if stop is None else stop
    for flat in range(start, stop):
        out = [0] * len(radices)
        for i in range(len(radices) - 1, -1, -1):
            flat, out[i] = divmod(flat, radices[i])
        yield tuple(out)
