"""Ceilings: how far one numeric input can move before the design stops working.

The search runs the real evaluation. From the profile's value it steps by factors of two in
the chosen direction (at most 2^30 of them) until a check fails (``strict``: fails or
warns), then bisects between the last good and the first bad value: integers exactly,
other numbers to a relative 2e-4 (finer than the 4 significant digits reported). The check
that fails just past the ceiling binds there. The next constraints are found the same way
with the ones already found set aside: the value at which each would bind on its own as
the input keeps moving.

If the profile's own value already fails, the search first steps back until it finds a
value that works; if none does, a check blocks every value (``value`` is None).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from aiceiling.checks import FAIL, WARN, Result
from aiceiling.errors import Diagnostic, InputError
from aiceiling.evaluation import Report
from aiceiling.profile.load import LoadedProfile, model_at
from aiceiling.whatif.grid import Axis, split_path
from aiceiling.whatif.scenario import Scenarios

MAX_STEPS = 30          # factors of two tried in one direction (2^30 ≈ 1e9)
RELATIVE_TOLERANCE = 2e-4  # finer than the 4 significant digits reported
NEXT = 2                # constraints reported after the binding one


class Constraint(NamedTuple):
    """A check that binds at ``value`` of the axis (the last value before it fails)."""

    check: str
    value: float
    limit: float | str | None
    unit: str


class Ceiling(NamedTuple):
    """The answer of a ceiling search. ``value`` is None when no value works."""

    axis: str
    direction: str                  # up | down
    strict: bool
    unit: str                       # SI unit of the axis values ("" for plain numbers)
    base_value: float
    value: float | None
    binding: Constraint | None      # None: nothing binds within the searched range
    next: tuple[Constraint, ...]
    verdict: str | None             # the verdict at ``value``
    evaluations: int
    ends: str = "check"             # check binds | range searched | valid values | blocked
    blocked_by: tuple[str, ...] = ()  # when no value works: what fails (low end, high end)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: {"axis", "value", "binding_constraint", "next": [...], …}."""
        return {
            "axis": self.axis, "direction": self.direction, "strict": self.strict,
            "unit": self.unit, "base_value": self.base_value, "value": self.value,
            "binding_constraint": self.binding.check if self.binding else None,
            "binding_limit": _jsonable(self.binding.limit) if self.binding else None,
            "binding_unit": self.binding.unit if self.binding else None,
            "next": [{"constraint": c.check, "value": c.value} for c in self.next],
            "verdict_at_value": self.verdict, "ends": self.ends,
            "blocked_by": list(self.blocked_by),
            "evaluations": self.evaluations,
            "sentence": self.sentence(),
        }

    def sentence(self) -> str:
        """The answer in words."""
        shown = _shown_unit(self.unit)
        verb = "go up to" if self.direction == "up" else "come down to"
        ok = "from at-risk" if self.strict else "from infeasible"
        if self.value is None:
            if len(self.blocked_by) == 2:
                low, high = self.blocked_by
                return (f"no value of {self.axis} keeps the design {ok}: lower values fail "
                        f"{low}, higher ones {high}, and no value passes both.")
            blocker = self.blocked_by[0] if self.blocked_by else "a check"
            return (f"no value of {self.axis} keeps the design {ok}: {blocker} fails at every "
                    f"value tried, so changing this input alone cannot fix it (--ignore "
                    f"{blocker} sets it aside to find the ceiling of the rest).")
        value = shown(self.value)
        if self.binding is None:
            end = "the lowest" if self.direction == "down" else "the highest"
            where = f"{end} valid value" if self.ends == "valid" else \
                "the end of the searched range"
            return (f"{self.axis} can {verb} {value} ({where}) without a check "
                    f"{'warning or failing' if self.strict else 'failing'}.")
        limit = ""
        if self.binding.limit is not None and self.binding.limit != "":
            from aiceiling.render import number

            lim = self.binding.limit
            text = number(lim) if isinstance(lim, float) else str(lim)
            limit = f" (limit {text}{' ' + self.binding.unit if self.binding.unit else ''})"
        past = (self.direction == "up") == (self.value < self.base_value) and \
            self.value != self.base_value
        base = shown(self.base_value)
        if not past:
            text = f"{self.axis} can {verb} {value} before {self.binding.check} binds{limit}"
        elif self.direction == "up":
            text = (f"{self.axis} must come down to {value} (the profile has {base}): past it "
                    f"{self.binding.check} binds{limit}")
        else:
            text = (f"{self.axis} must be at least {value} (the profile has {base}): below it "
                    f"{self.binding.check} binds{limit}")
        for c in self.next:
            text += f"; then {c.check} at {shown(c.value)}"
        return text + "."


def _jsonable(value: object) -> object:
    return value if isinstance(value, (int, float, str)) or value is None else str(value)


_PREFIXES = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def _shown_unit(unit: str) -> Callable[[float], str]:
    """A formatter of axis values in ``unit`` with an SI prefix (40000 W → '40 kW')."""
    def show(value: float) -> str:
        if not unit:
            return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:.6g}"
        if unit == "s":
            if value < 1:
                return f"{value * 1e3:.6g} ms"
            return f"{value:.6g} s"
        if unit in ("W", "J", "B", "B/s", "FLOP", "FLOP/s", "m"):
            for factor, prefix in _PREFIXES:
                if abs(value) >= factor:
                    return f"{value / factor:.6g} {prefix}{unit}"
        return f"{value:.6g} {unit}"
    return show


def _dimension(parts: tuple[str | int, ...]) -> str:
    """SI unit of the field at ``parts`` ('' for counts and plain numbers)."""
    from aiceiling.profile.model import SI_UNITS

    cls = model_at(parts[:-1])
    leaf = parts[-1]
    if cls is None or not isinstance(leaf, str) or leaf not in cls.model_fields:
        return ""
    info = cls.model_fields[leaf]
    found = _quantity_dimension([*info.metadata, info.annotation])
    return SI_UNITS.get(found, "") if found else ""


def _quantity_dimension(items: list[Any]) -> str | None:
    """The dimension of the first quantity annotation among ``items`` (through unions)."""
    from typing import get_args

    for item in items:
        dimension = getattr(item, "dimension", None)
        if isinstance(dimension, str):
            return dimension
        inner = _quantity_dimension([*getattr(item, "__metadata__", ()), *get_args(item)])
        if inner:
            return inner
    return None


def _value_at(obj: Any, parts: tuple[str | int, ...]) -> Any:
    for part in parts:
        if obj is None:
            return None
        if isinstance(part, int):
            obj = obj[part] if isinstance(obj, list) and 0 <= part < len(obj) else None
        elif isinstance(obj, dict):
            obj = obj.get(part)
        else:
            obj = getattr(obj, part, None)
    return obj


def _bad(report: Report, strict: bool) -> list[Result]:
    levels = (FAIL, WARN) if strict else (FAIL,)
    return [r for r in report.results if r.status in levels]


class _Search:
    def __init__(self, loaded: LoadedProfile, path: str, integer: bool, *, on: dt.date,
                 use_waivers: bool, strict: bool, ignore: frozenset[str],
                 unit: str = "") -> None:
        self.loaded, self.path, self.integer, self.ignore = loaded, path, integer, ignore
        self.unit = unit  # SI unit the axis values are in: written out, never bare
        self.on, self.use_waivers, self.strict = on, use_waivers, strict
        self.evaluations = 0
        self._memo: dict[float, list[Result] | None] = {}
        # Integers are searched on the lattice of valid values offset + k × quantum
        # (accelerators in multiples of the tensor-parallel group); other numbers directly.
        self.offset, self.quantum = 0, 1

    def value(self, u: float) -> float:
        """The axis value at search coordinate ``u``."""
        return self.offset + u * self.quantum if self.integer else u

    def text(self, value: float) -> str:
        """The axis value as a profile would write it, with its SI unit (SPEC §3)."""
        shown = str(int(value)) if self.integer else repr(float(value))
        return f"{shown} {self.unit}" if self.unit else shown

    def valid(self, value: float) -> bool:
        """Whether the profile validates with the axis at ``value`` (nothing evaluated)."""
        axis = Axis(self.path, (self.text(value),))
        try:
            Scenarios(self.loaded, (axis,), on=self.on, validate=False).loaded_at((0,))
        except InputError:
            return False
        return True

    def lattice(self, x0: int) -> None:
        """Find the spacing of valid integers around ``x0`` (at most 64)."""
        for quantum in range(1, 65):
            if self.valid(x0 + quantum):
                self.quantum, self.offset = quantum, x0 % quantum
                return

    def bad(self, u: float) -> list[Result] | None:
        """Checks failing at coordinate ``u`` (None: the value is not valid for the field)."""
        if u in self._memo:
            return self._memo[u]
        value = self.value(u)
        axis = Axis(self.path, (self.text(value),))
        try:
            scenarios = Scenarios(self.loaded, (axis,), on=self.on,
                                  use_waivers=self.use_waivers, validate=False)
            report = scenarios.report((0,))
            out: list[Result] | None = [r for r in _bad(report, self.strict)
                                        if r.id not in self.ignore]
        except InputError:
            out = None
        self.evaluations += 1
        self._memo[u] = out
        return out

    def verdict(self, value: float) -> str:
        axis = Axis(self.path, (self.text(value),))
        scenarios = Scenarios(self.loaded, (axis,), on=self.on, use_waivers=self.use_waivers,
                              validate=False)
        self.evaluations += 1
        return scenarios.report((0,)).verdict


def ceiling(loaded: LoadedProfile, axis: str, *, direction: str = "up", strict: bool = False,
            on: dt.date, use_waivers: bool = True,
            ignore: tuple[str, ...] = ()) -> Ceiling:
    """Search the largest (``up``) or smallest (``down``) value of the numeric field
    ``axis`` that keeps the design from being infeasible (``strict``: from at-risk too).

    ``ignore``: checks set aside (e.g. a categorical failure no number can fix).
    Raises InputError when the axis is not a number set in the profile.
    """
    if direction not in ("up", "down"):
        raise InputError([Diagnostic("--direction", None, None, "",
                                     f"must be up or down, not {direction!r}")])
    parts = split_path(axis)
    base = _value_at(loaded.profile, parts)
    where = f"--axis {axis}"
    if base is None:
        raise InputError([Diagnostic(where, None, None, axis,
                                     "is not set in the profile; give a starting value "
                                     f"with --set {axis}=VALUE")])
    if isinstance(base, bool) or not isinstance(base, (int, float)):
        raise InputError([Diagnostic(where, None, None, axis,
                                     f"is not a number ({base!r}); a ceiling needs a numeric "
                                     "input such as deployment.accelerators")])
    integer = isinstance(base, int)
    unit = _dimension(parts)
    search = _Search(loaded, axis, integer, on=on, use_waivers=use_waivers, strict=strict,
                     ignore=frozenset(ignore), unit=unit)
    sign = 1 if direction == "up" else -1

    def further(x: float, s: int) -> float:
        """One step from ``x``: doubling in direction ``s`` (+1 up, -1 down)."""
        if s > 0:
            return max(x + 1, x * 2) if integer else (x * 2 if x > 0 else 1.0)
        return x // 2 if integer else x / 2

    def bisect(good: float, bad: float,
               predicate: Callable[[float], bool]) -> tuple[float, float]:
        """The last value from ``good`` towards ``bad`` at which ``predicate`` (is bad) is
        false, and the first at which it is true."""
        while True:
            if integer:
                if abs(bad - good) <= 1:
                    return good, bad
                mid = float((good + bad) // 2)
            else:
                if abs(bad - good) <= RELATIVE_TOLERANCE * max(abs(good), abs(bad)):
                    return good, bad
                mid = (good + bad) / 2
            if predicate(mid):
                bad = mid
            else:
                good = mid

    def is_bad(ignored: set[str]) -> Callable[[float], bool]:
        def predicate(x: float) -> bool:
            found = search.bad(x)
            return found is None or any(r.id not in ignored for r in found)
        return predicate

    if isinstance(base, int):
        search.lattice(base)
    x0 = float((base - search.offset) // search.quantum) if integer else float(base)
    first = search.bad(x0)
    if first is None:
        raise InputError([Diagnostic(where, None, None, axis, "the profile's value is invalid")])
    good: float | None = None
    bad_at: float | None = None
    if not first:
        good = x0
    else:
        # The profile's value fails: step back until a value works, else onwards.
        previous = x0
        for step in (-sign, sign):
            x = previous = x0
            for _ in range(MAX_STEPS):
                x = further(x, step)
                if x == previous or abs(x) > 1e18 or search.bad(x) is None:
                    break
                if not search.bad(x):
                    good = x
                    bad_at = previous if step == -sign else None
                    break
                previous = x
            if good is not None:
                break
        if good is None:
            tried = sorted((u, found) for u, found in search._memo.items() if found)
            everywhere = set.intersection(*({r.id for r in found} for _, found in tried))
            blockers = [r for r in first if r.id in everywhere]
            if blockers:
                blocked_by: tuple[str, ...] = (_top(blockers).id,)
            else:  # one check fails at the low end, another at the high end
                blocked_by = tuple(dict.fromkeys((_top(tried[0][1]).id,
                                                  _top(tried[-1][1]).id)))
            return Ceiling(axis, direction, strict, unit, base, None,
                           _constraint(blockers or first, search.value(previous)), (), None,
                           search.evaluations, "blocked", blocked_by)
    assert good is not None
    found: list[Constraint] = []
    ignored: set[str] = set()
    last_good = good
    value: float | None = None
    bounded_by = "range"
    while len(found) < 1 + NEXT:
        predicate = is_bad(ignored)
        if bad_at is None:
            # Step on from the last good value until something (not set aside) fails.
            x = last_good
            for _ in range(MAX_STEPS):
                nxt = further(x, sign)
                if nxt == x or abs(nxt) > 1e18:
                    break
                if search.bad(nxt) is None:
                    # The field's own bound (e.g. must be above 0): the range ends here.
                    bad_at, bounded_by = nxt, "valid"
                    break
                if predicate(nxt):
                    bad_at = nxt
                    break
                last_good = x = nxt
            if bad_at is None:
                break  # nothing more binds within the searched range
        edge, past = bisect(last_good, bad_at, predicate)
        failing = [r for r in (search.bad(past) or []) if r.id not in ignored]
        if value is None:
            value = edge
        if not failing:
            break
        failing.sort(key=lambda r: -(r.used or 0.0))
        for r in failing:
            if len(found) < 1 + NEXT:
                found.append(Constraint(r.id, edge, r.limit, r.unit))
            ignored.add(r.id)
        last_good, bad_at = edge, None
    if value is None:
        value = last_good
    value = _tidy(value, integer, sign, search)
    binding = found[0] if found else None
    rest = tuple(c._replace(value=_round(search.value(c.value), integer, sign))
                 for c in found[1:])
    if integer:
        value = int(search.value(value))
        rest = tuple(c._replace(value=int(c.value)) for c in rest)
    if binding is not None:
        binding = binding._replace(value=value)
    return Ceiling(axis, direction, strict, unit, base, value, binding, rest,
                   search.verdict(value), search.evaluations,
                   bounded_by if binding is None else "check")


def _constraint(results: list[Result], at: float) -> Constraint | None:
    if not results:
        return None
    top = _top(results)
    return Constraint(top.id, at, top.limit, top.unit)


def _top(results: list[Result]) -> Result:
    """The check furthest past its limit."""
    return max(results, key=lambda r: r.used or 0.0)


def _round(value: float, integer: bool, sign: int, digits: int = 4) -> float:
    """``value`` to ``digits`` significant digits, towards the good side."""
    if integer or value == 0:
        return value
    scale = 10 ** (math.floor(math.log10(abs(value))) - digits + 1)
    steps = value / scale
    steps = math.floor(steps + 1e-9) if sign > 0 else math.ceil(steps - 1e-9)
    return float(f"{steps * scale:.{digits}g}")


def _tidy(value: float, integer: bool, sign: int, search: _Search) -> float:
    """A readable value still on the good side (checked), else the exact one."""
    if integer:
        return float(int(value))
    tidy = _round(value, integer, sign)
    if tidy != value and search.bad(tidy):
        return value
    return tidy
