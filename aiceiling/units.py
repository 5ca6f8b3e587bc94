"""Quantities with units: parsed once, at the edge, to SI floats.

A quantity is written ``"<number> <unit>"`` (``"40 kW"``, ``"3.35 TB/s"``, ``"0.22 EUR/kWh"``).
Units are products of one numerator and at most one denominator symbol from the tables
below; each symbol belongs to one *dimension*, so ``"20 ms"`` given where a power is expected
is rejected with the dimension that was expected. Money carries its ISO 4217 currency and
is never converted: ``Money`` keeps the code beside the amount.

Canonical (SI) units per dimension (internal figures are held in these; a person writes a
unit: a bare number other than zero is an error where a unit is expected):

==================  =============  ========================================
dimension           SI unit        examples accepted
==================  =============  ========================================
power               W              W, kW, MW, GW
energy              J              J, kJ, MJ, Wh, kWh, MWh, GWh
time                s              ns, us, µs, ms, s, min, h, days, weeks, months, years
data                B              B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, bit, Gbit
data/time           B/s            GB/s, TB/s, Mbit/s, Gbps
ops                 FLOP           FLOP, GFLOP, TFLOP, OP, GOP, TOP
ops/time            FLOP/s         TFLOP/s, TFLOPS, TOP/s, TOPS
length              m              m, km
volume              m3             L, m3
volume/time         m3/s           m3/day, L/h
volume/energy       m3/J           L/kWh
mass/energy         kg/J           g/kWh, kg/kWh
mass/time           kg/s           t/year, kg/day
time/length         s/m            us/km
==================  =============  ========================================

A month is 1/12 of a Gregorian year (30.436875 days); a year is 365.2425 days.
"""

from __future__ import annotations

import math
from typing import NamedTuple

SECONDS_PER_DAY = 86_400.0
SECONDS_PER_YEAR = 365.2425 * SECONDS_PER_DAY
SECONDS_PER_MONTH = SECONDS_PER_YEAR / 12.0
JOULES_PER_KWH = 3.6e6

# symbol -> (dimension, factor to SI)
_SYMBOLS: dict[str, tuple[str, float]] = {}


def _add(dimension: str, table: dict[str, float]) -> None:
    for symbol, factor in table.items():
        _SYMBOLS[symbol] = (dimension, factor)


_add("power", {"W": 1.0, "kW": 1e3, "MW": 1e6, "GW": 1e9, "mW": 1e-3})
_add("energy", {"J": 1.0, "kJ": 1e3, "MJ": 1e6, "GJ": 1e9, "mWh": 3.6, "Wh": 3600.0,
                "kWh": JOULES_PER_KWH, "MWh": 3.6e9, "GWh": 3.6e12, "TWh": 3.6e15})
_add("time", {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0,
              "min": 60.0, "h": 3600.0, "hr": 3600.0, "hour": 3600.0, "hours": 3600.0,
              "day": SECONDS_PER_DAY, "days": SECONDS_PER_DAY, "d": SECONDS_PER_DAY,
              "week": 7 * SECONDS_PER_DAY, "weeks": 7 * SECONDS_PER_DAY,
              "month": SECONDS_PER_MONTH, "months": SECONDS_PER_MONTH,
              "year": SECONDS_PER_YEAR, "years": SECONDS_PER_YEAR, "yr": SECONDS_PER_YEAR})
_add("data", {"B": 1.0, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15,
              "KiB": 2.0**10, "MiB": 2.0**20, "GiB": 2.0**30, "TiB": 2.0**40,
              "bit": 0.125, "kbit": 125.0, "Mbit": 1.25e5, "Gbit": 1.25e8, "Tbit": 1.25e11})
_add("ops", {"FLOP": 1.0, "kFLOP": 1e3, "MFLOP": 1e6, "GFLOP": 1e9, "TFLOP": 1e12,
             "PFLOP": 1e15, "EFLOP": 1e18, "OP": 1.0, "GOP": 1e9, "TOP": 1e12, "POP": 1e15})
_add("length", {"m": 1.0, "km": 1e3, "mi": 1609.344})
_add("volume", {"L": 1e-3, "l": 1e-3, "m3": 1.0, "kL": 1.0, "ML": 1e3})
_add("mass", {"g": 1e-3, "kg": 1.0, "t": 1e3, "kt": 1e6, "Mt": 1e9})

# One-word rate spellings that vendors use.
_ALIASES: dict[str, str] = {
    "FLOPS": "FLOP/s", "GFLOPS": "GFLOP/s", "TFLOPS": "TFLOP/s", "PFLOPS": "PFLOP/s",
    "EFLOPS": "EFLOP/s", "TOPS": "TOP/s", "GOPS": "GOP/s", "POPS": "POP/s",
    "bps": "bit/s", "kbps": "kbit/s", "Mbps": "Mbit/s", "Gbps": "Gbit/s", "Tbps": "Tbit/s",
    "gCO2/kWh": "g/kWh", "gCO2e/kWh": "g/kWh",
}

# ISO 4217 codes accepted for money. Amounts are never converted between them.
CURRENCIES = frozenset({"USD", "EUR", "GBP", "JPY", "CNY", "CHF", "INR", "CAD", "AUD",
                        "SGD", "SEK", "NOK", "DKK", "PLN", "KRW", "BRL", "HKD", "TWD"})

_NUMBER_CHARS = frozenset("0123456789+-.eE_,")

# Largest magnitude accepted, in SI units: beyond any physical deployment, and keeps
# arithmetic far from float overflow.
MAX_MAGNITUDE = 1e30


class UnitError(ValueError):
    """A quantity that cannot be parsed, or has the wrong dimension."""


class Money(NamedTuple):
    """An amount of money in one currency. [currency units]"""

    amount: float
    currency: str

    def __str__(self) -> str:
        return f"{self.amount:,.2f} {self.currency}"


class Rate(NamedTuple):
    """Money per SI unit of something else (``0.22 EUR/kWh`` → 6.1e-8 EUR per J)."""

    amount_per_unit: float
    currency: str
    dimension: str


def _number(text: str) -> float:
    if "," in text:
        # Only thousands separators: "1,000" but never a decimal comma such as "1,5".
        whole = text.lstrip("+-").split(".")[0].split("e")[0].split("E")[0]
        groups = whole.split(",")
        if not all(len(g) == 3 and g.isdigit() for g in groups[1:]) or \
                not groups[0].isdigit():
            raise UnitError(f"{text!r}: use '.' for decimals; ',' only groups thousands")
    value = float(text.replace("_", "").replace(",", ""))
    if not math.isfinite(value):
        raise UnitError(f"{text!r} is not a finite number")
    if abs(value) > MAX_MAGNITUDE:
        raise UnitError(f"{text} is absurdly large")
    return value


def _split(text: str) -> tuple[float, str]:
    """``"3.35 TB/s"`` → (3.35, "TB/s"): the longest numeric prefix, then the unit."""
    stripped = text.strip()
    end = 0
    while end < len(stripped) and stripped[end] in _NUMBER_CHARS:
        end += 1
    # An exponent marker or sign belongs to the unit when no digit follows it ("5 E" is not
    # a number); back off until the prefix parses.
    while end > 0:
        try:
            number = _number(stripped[:end])
            break
        except UnitError:
            raise
        except ValueError:
            end -= 1
    else:
        raise UnitError(f"{text!r} is not a quantity; write a number and a unit, e.g. '40 kW'")
    unit = stripped[end:].strip()
    return number, _ALIASES.get(unit, unit)


def _symbol(symbol: str) -> tuple[str, float]:
    try:
        return _SYMBOLS[symbol]
    except KeyError:
        raise UnitError(f"unknown unit {symbol!r}") from None


def unit_dimension(unit: str) -> tuple[str, float]:
    """Dimension name and SI factor of a unit expression such as ``TB/s`` or ``L/kWh``."""
    unit = _ALIASES.get(unit, unit)
    if "/" in unit:
        num, _, den = unit.partition("/")
        num_dim, num_factor = _symbol(num.strip())
        den_dim, den_factor = _symbol(den.strip())
        return f"{num_dim}/{den_dim}", num_factor / den_factor
    return _symbol(unit)


def parse_quantity(value: object, dimension: str, *, bare: bool = True) -> float:
    """Parse ``value`` as a quantity of ``dimension`` and return it in SI units.

    With ``bare=True`` a bare number (int, float, or numeric string) is taken in the
    dimension's SI unit (internal figures already in SI). With ``bare=False`` (what a person
    writes: profiles, catalog files, ``--set``) a bare number other than zero is rejected with
    the form to use (SPEC §3): ``power_budget: 20`` could be 20 W or 20 kW, and a silent
    1000× is the worst mistake a calculator can make. Zero means zero in any unit.
    Raises UnitError naming what was expected.
    """
    if isinstance(value, bool):
        raise UnitError(f"expected a {dimension} quantity, got a boolean")
    if isinstance(value, (int, float)):
        number = _bounded(_as_float(value), value)
        if not bare and number != 0.0:
            raise UnitError(_bare_message(value, dimension))
        return number
    if not isinstance(value, str):
        raise UnitError(f"expected a {dimension} quantity such as {EXAMPLES[dimension]!r}")
    number, unit = _split(value)
    if not unit:
        if not bare and number != 0.0:
            raise UnitError(_bare_message(value.strip(), dimension))
        return number
    got, factor = unit_dimension(unit)
    if got != dimension:
        raise UnitError(
            f"{value.strip()!r} is a {got}, expected a {dimension} "
            f"such as {EXAMPLES[dimension]!r}"
        )
    return _bounded(number * factor, value.strip())


def _bare_message(shown: object, dimension: str) -> str:
    """The error for a bare number where a unit is needed, showing the form to use with the
    number the user wrote (``20`` → ``"20 kW"``)."""
    first, second = BARE_CHOICES.get(dimension, (EXAMPLES[dimension].split(" ", 1)[1], ""))
    form = f'"{shown} {first}" or "{shown} {second}"' if second else f'"{shown} {first}"'
    return f"{shown} has no unit: give one, e.g. {form} (a bare number is only allowed for zero)"


def _as_float(value: int | float) -> float:
    try:
        number = float(value)
    except OverflowError:
        raise UnitError(f"a {len(str(abs(int(value))))}-digit number is absurdly large") \
            from None
    if not math.isfinite(number):
        raise UnitError("not a finite number")
    return number


def _bounded(si_value: float, shown: object) -> float:
    """Reject magnitudes beyond MAX_MAGNITUDE in SI units (after the unit's factor)."""
    if abs(si_value) > MAX_MAGNITUDE:
        raise UnitError(f"{shown} is absurdly large")
    return si_value


def parse_money(value: object) -> Money:
    """Parse ``"12000 EUR"`` into Money. A bare number has no currency and is rejected."""
    if isinstance(value, str):
        number, unit = _split(value)
        if unit in CURRENCIES:
            if number < 0:
                raise UnitError(f"{value.strip()!r}: money cannot be negative")
            return Money(number, unit)
        if unit:
            raise UnitError(f"{unit!r} is not a currency code (ISO 4217, e.g. USD, EUR)")
    raise UnitError("money needs a currency, e.g. '12000 EUR'")


def parse_rate(value: object, dimension: str) -> Rate:
    """Parse a price per unit (``"0.22 EUR/kWh"``, ``"2.5 USD/h"``) into currency per SI unit."""
    if isinstance(value, str):
        number, unit = _split(value)
        currency, slash, per = unit.partition("/")
        if slash and currency.strip() in CURRENCIES:
            dim, factor = _symbol(per.strip())
            if dim != dimension:
                raise UnitError(f"{value.strip()!r} is a price per {dim}, expected per {dimension}")
            if number < 0:
                raise UnitError(f"{value.strip()!r}: a price cannot be negative")
            return Rate(number / factor, currency.strip(), dimension)
    raise UnitError(f"expected a price per {dimension} with a currency, e.g. "
                    f"{RATE_EXAMPLES.get(dimension, '0.22 EUR/kWh')!r}")


EXAMPLES: dict[str, str] = {
    "power": "40 kW", "energy": "10 kWh", "time": "20 ms", "data": "80 GB",
    "data/time": "3.35 TB/s", "ops": "8.2 GFLOP", "ops/time": "989 TFLOP/s",
    "length": "0.5 km", "volume": "5 m3", "volume/time": "5 m3/day",
    "volume/energy": "0.4 L/kWh", "mass/energy": "381 g/kWh", "mass/time": "20 t/year",
    "time/length": "4.9 us/km", "count": "1.4e12", "mass": "10 t",
}
# Two units a person might have meant by a bare number, shown side by side so the error
# makes the ambiguity plain instead of guessing one.
BARE_CHOICES: dict[str, tuple[str, str]] = {
    "power": ("W", "kW"), "energy": ("kWh", "MWh"), "time": ("ms", "s"), "data": ("GB", "TB"),
    "data/time": ("GB/s", "Gbit/s"), "ops": ("GFLOP", "TFLOP"),
    "ops/time": ("TFLOP/s", "TOPS"), "length": ("m", "km"), "volume": ("L", "m3"),
    "volume/time": ("m3/day", "L/h"), "volume/energy": ("L/kWh", "m3/MWh"),
    "mass/energy": ("g/kWh", "kg/kWh"), "mass/time": ("t/year", "kg/day"),
    "time/length": ("us/km", "ms/km"), "mass": ("kg", "t"),
}
RATE_EXAMPLES = {"energy": "0.22 EUR/kWh", "time": "2.50 USD/h"}


def parse_count(value: object) -> float:
    """Parse a plain count such as ``1.4e12`` (YAML may hand it over as a string)."""
    if isinstance(value, bool):
        raise UnitError("expected a number, got a boolean")
    if isinstance(value, (int, float)):
        return parse_quantity(value, "count")
    if isinstance(value, str):
        number, unit = _split(value)
        if unit:
            raise UnitError(f"expected a plain number, got unit {unit!r}")
        return number
    raise UnitError("expected a number")


# Units a person reads a figure in, smallest first, per dimension: a figure is shown in the
# largest of them in which it is at least 1 (100,000 kW → 100 MW; 0.00631 GB → 6.31 MB).
# Time scales down only (ns, µs, ms): a latency of 9,868 ms stays in the budget's unit.
_LADDERS: tuple[tuple[tuple[str, float], ...], ...] = (
    (("W", 1.0), ("kW", 1e3), ("MW", 1e6), ("GW", 1e9)),
    (("Wh", 1.0), ("kWh", 1e3), ("MWh", 1e6), ("GWh", 1e9), ("TWh", 1e12)),
    (("B", 1.0), ("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("PB", 1e15)),
    (("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3)),
)


def readable_unit(reference: float, unit: str) -> tuple[float, str]:
    """The factor to multiply figures in ``unit`` by, and the unit to show them in, so that
    ``reference`` reads as a number of at least 1 in the largest unit of its ladder
    (``kW`` → ``MW`` for 100,000 kW; the part after a ``/`` is kept: ``kW/rack``)."""
    head, slash, tail = unit.partition("/")
    for ladder in _LADDERS:
        factors = dict(ladder)
        if head not in factors:
            continue
        base = factors[head]
        magnitude = abs(reference) * base
        chosen = ladder[0]
        for name, factor in ladder:
            if magnitude >= factor:
                chosen = (name, factor)
        if magnitude == 0 or reference != reference or abs(reference) == float("inf"):
            chosen = (head, base)
        return base / chosen[1], chosen[0] + slash + tail
    return 1.0, unit
