"""Quantity parsing (aiceiling/units.py): published unit definitions, one row each.

Every row names where its conversion factor comes from. SI prefixes and the units accepted
for use with the SI are from the BIPM SI Brochure, 9th edition (2019), Tables 7 and 8.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiceiling.units import (
    MAX_MAGNITUDE,
    Money,
    Rate,
    UnitError,
    parse_count,
    parse_money,
    parse_quantity,
    parse_rate,
)

BIPM_PREFIXES = "BIPM SI Brochure 9th ed. (2019), Table 7 (SI prefixes)"
BIPM_NON_SI = "BIPM SI Brochure 9th ed. (2019), Table 8 (non-SI units accepted: h, d, L, t)"
KWH = "1 kWh = 1000 W × 3600 s = 3.6 MJ (BIPM SI Brochure Table 8: 1 h = 3600 s)"
GREGORIAN_YEAR = "Gregorian calendar year = 365.2425 d (ISO 8601); month = year / 12"
SECONDS_PER_DAY = 86_400.0
SECONDS_PER_YEAR = 365.2425 * SECONDS_PER_DAY


# --------------------------------------------------------------------------------- by dimension
@pytest.mark.parametrize(
    ("text", "dimension", "expected_si", "source"),
    [
        ("40 kW", "power", 40_000.0, BIPM_PREFIXES),
        ("0.2 MW", "power", 200_000.0, BIPM_PREFIXES),
        ("1.2 GW", "power", 1.2e9, BIPM_PREFIXES),
        ("10 kWh", "energy", 3.6e7, KWH),
        ("15 Wh", "energy", 54_000.0, "1 Wh = 3600 J (BIPM SI Brochure Table 8: 1 h = 3600 s)"),
        ("20 ms", "time", 0.02, BIPM_PREFIXES),
        ("4.9 us", "time", 4.9e-6, BIPM_PREFIXES),
        ("1 h", "time", 3600.0, BIPM_NON_SI),
        ("60 days", "time", 60 * SECONDS_PER_DAY, BIPM_NON_SI),
        ("12 weeks", "time", 12 * 7 * SECONDS_PER_DAY, "1 week = 7 d (ISO 8601)"),
        ("30 months", "time", 30 * SECONDS_PER_YEAR / 12, GREGORIAN_YEAR),
        ("1 year", "time", 31_556_952.0, GREGORIAN_YEAR),
        ("80 GB", "data", 80e9, "IEC 80000-13:2008 (decimal prefixes for bytes)"),
        ("128 KiB", "data", 131_072.0, "IEC 80000-13:2008 (binary prefixes: Ki = 2^10)"),
        ("3.35 TB/s", "data/time", 3.35e12, "NVIDIA H100 SXM datasheet notation (facts.md §a.1)"),
        ("100 Gbps", "data/time", 1.25e10, "IEC 80000-13:2008 (1 B = 8 bit)"),
        ("8.2 GFLOP", "ops", 8.2e9, BIPM_PREFIXES),
        ("989.4 TFLOPS", "ops/time", 989.4e12, "NVIDIA H100 SXM BF16 dense (facts.md §a.1)"),
        ("362 TFLOP/s", "ops/time", 362e12, BIPM_PREFIXES),
        ("26 TOPS", "ops/time", 26e12, "Hailo-8 headline INT8 (facts.md §a.3)"),
        ("0.5 km", "length", 500.0, BIPM_PREFIXES),
        ("5 m3", "volume", 5.0, "SI derived unit m³"),
        ("5 m3/day", "volume/time", 5.0 / SECONDS_PER_DAY, BIPM_NON_SI),
        ("0.4 L/kWh", "volume/energy", 0.4e-3 / 3.6e6, f"{BIPM_NON_SI}; {KWH}"),
        ("381 g/kWh", "mass/energy", 0.381 / 3.6e6, KWH),
        ("381 gCO2e/kWh", "mass/energy", 0.381 / 3.6e6, KWH),
        ("20 t/year", "mass/time", 20_000.0 / SECONDS_PER_YEAR, f"{BIPM_NON_SI}; {GREGORIAN_YEAR}"),
        ("4.897 us/km", "time/length", 4.897e-9, "fiber propagation, 1550 nm (networks.yaml)"),
    ],
)
def test_parse_quantity_to_si(text: str, dimension: str, expected_si: float, source: str) -> None:
    assert parse_quantity(text, dimension) == pytest.approx(expected_si, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "expected_si", "source"),
    [
        ("40kW", 40_000.0, "no space between number and unit"),
        ("  40 kW  ", 40_000.0, "surrounding whitespace"),
        ("1,000 kW", 1e6, "thousands separator"),
        ("1_000 kW", 1e6, "underscore separator (Python/YAML style)"),
        ("+40 kW", 40_000.0, "explicit sign"),
        (".5 MW", 500_000.0, "leading decimal point"),
        ("4e1 kW", 40_000.0, "exponent notation"),
    ],
)
def test_parse_quantity_spellings(text: str, expected_si: float, source: str) -> None:
    assert parse_quantity(text, "power") == pytest.approx(expected_si)


@pytest.mark.parametrize(
    ("value", "dimension", "expected"),
    [
        (40_000, "power", 40_000.0),
        (0.02, "time", 0.02),
        ("0.02", "time", 0.02),
        (3.35e12, "data/time", 3.35e12),
        ("381e-9", "mass/energy", 381e-9),
    ],
)
def test_bare_number_is_si(value: object, dimension: str, expected: float) -> None:
    result = parse_quantity(value, dimension)
    assert isinstance(result, float)
    assert result == expected


# ----------------------------------------------------------------------------------- rejections
@pytest.mark.parametrize(
    ("text", "dimension", "got", "example"),
    [
        ("20 ms", "power", "time", "40 kW"),
        ("40 kW", "time", "power", "20 ms"),
        ("80 GB", "data/time", "data", "3.35 TB/s"),
        ("3.35 TB/s", "data", "data/time", "80 GB"),
        ("10 kWh", "power", "energy", "40 kW"),
        ("0.4 L/kWh", "mass/energy", "volume/energy", "381 g/kWh"),
        ("989 TFLOP", "ops/time", "ops", "989 TFLOP/s"),
    ],
)
def test_wrong_dimension_names_expected_dimension(text: str, dimension: str, got: str,
                                                  example: str) -> None:
    with pytest.raises(UnitError) as info:
        parse_quantity(text, dimension)
    assert str(info.value) == f"{text!r} is a {got}, expected a {dimension} such as {example!r}"


@pytest.mark.parametrize("unit", ["foo", "kw", "KW", "Watt", "mph", "parsec"])
def test_unknown_unit(unit: str) -> None:
    with pytest.raises(UnitError, match=rf"unknown unit '{unit}'"):
        parse_quantity(f"40 {unit}", "power")


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), float("-inf"), ".nan", ".inf", "nan", "inf kW", "nan kW",
     "1e999 kW", "-1e999 W"],
)
def test_non_finite_rejected(value: object) -> None:
    with pytest.raises(UnitError):
        parse_quantity(value, "power")


@pytest.mark.parametrize("value", [True, False])
def test_booleans_rejected(value: bool) -> None:
    with pytest.raises(UnitError, match="boolean"):
        parse_quantity(value, "power")
    with pytest.raises(UnitError, match="boolean"):
        parse_count(value)


@pytest.mark.parametrize("value", [None, [40, "kW"], {"value": 40}, b"40 kW"])
def test_non_scalar_rejected_with_example(value: object) -> None:
    with pytest.raises(UnitError, match=r"expected a power quantity such as '40 kW'"):
        parse_quantity(value, "power")


@pytest.mark.parametrize("value", ["", "   ", "kW", "forty kW", "40 k W", "4 0 kW"])
def test_malformed_rejected(value: str) -> None:
    with pytest.raises(UnitError):
        parse_quantity(value, "power")


@pytest.mark.parametrize("value", [1e31, -1e31, "1e31", "1e31 W", 10**31])
def test_absurdly_large_rejected(value: object) -> None:
    assert MAX_MAGNITUDE == 1e30
    with pytest.raises(UnitError, match="absurdly large"):
        parse_quantity(value, "power")


def test_largest_accepted_magnitude() -> None:
    assert parse_quantity("1e30", "power") == 1e30
    assert parse_quantity(-1e30, "power") == -1e30


def test_absurdly_large_after_unit_factor_rejected() -> None:
    # The bound is in SI units: 1e25 GW is 1e34 W.
    with pytest.raises(UnitError, match="absurdly large"):
        parse_quantity("1e25 GW", "power")


def test_huge_integer_is_unit_error() -> None:
    with pytest.raises(UnitError):
        parse_quantity(10**400, "power")


def test_negative_number_parses() -> None:
    # Sign checks belong to the profile fields (Field(gt=0)), not to the parser.
    assert parse_quantity("-5 kW", "power") == -5000.0


# ------------------------------------------------------------------------------------- money
@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("12000 EUR", 12_000.0, "EUR"),
        ("9000 USD", 9_000.0, "USD"),
        ("1,250.50 GBP", 1_250.5, "GBP"),
        ("  3e6 JPY ", 3e6, "JPY"),
    ],
)
def test_parse_money(text: str, amount: float, currency: str) -> None:
    assert parse_money(text) == Money(amount, currency)


def test_money_str() -> None:
    assert str(parse_money("12000 EUR")) == "12,000.00 EUR"


@pytest.mark.parametrize("value", [12000, 12000.0, "12000", None, True])
def test_money_without_currency_rejected(value: object) -> None:
    with pytest.raises(UnitError, match=r"money needs a currency, e.g. '12000 EUR'"):
        parse_money(value)


@pytest.mark.parametrize("code", ["XYZ", "eur", "EURO", "$", "kW"])
def test_money_unknown_currency_rejected(code: str) -> None:
    with pytest.raises(UnitError, match=r"is not a currency code \(ISO 4217"):
        parse_money(f"12000 {code}")


# ------------------------------------------------------------------------------------- rates
@pytest.mark.parametrize(
    ("text", "dimension", "per_si", "currency", "source"),
    [
        ("0.22 EUR/kWh", "energy", 0.22 / 3.6e6, "EUR", KWH),
        ("0.0806 USD/kWh", "energy", 0.0806 / 3.6e6, "USD", KWH),
        ("0.22 EUR/MWh", "energy", 0.22 / 3.6e9, "EUR", KWH),
        ("2.50 USD/h", "time", 2.5 / 3600.0, "USD", BIPM_NON_SI),
    ],
)
def test_parse_rate(text: str, dimension: str, per_si: float, currency: str,
                    source: str) -> None:
    rate = parse_rate(text, dimension)
    assert isinstance(rate, Rate)
    assert rate.amount_per_unit == pytest.approx(per_si, rel=1e-12)
    assert (rate.currency, rate.dimension) == (currency, dimension)


def test_rate_wrong_dimension() -> None:
    with pytest.raises(UnitError) as info:
        parse_rate("0.22 EUR/ms", "energy")
    assert str(info.value) == "'0.22 EUR/ms' is a price per time, expected per energy"


@pytest.mark.parametrize("value", ["0.22 EUR", "0.22", 0.22, "0.22 XYZ/kWh", "0.22 kWh/EUR"])
def test_rate_needs_currency_per_unit(value: object) -> None:
    with pytest.raises(UnitError, match=r"expected a price per energy with a currency, e.g. "
                                        r"'0.22 EUR/kWh'"):
        parse_rate(value, "energy")


def test_rate_unknown_denominator() -> None:
    with pytest.raises(UnitError, match="unknown unit 'kwh'"):
        parse_rate("0.22 EUR/kwh", "energy")


# ------------------------------------------------------------------------------------- counts
@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.4e12", 1.4e12), (1.4e12, 1.4e12), (8_030_261_248, 8_030_261_248.0),
     ("8,030,261,248", 8_030_261_248.0), ("5e11", 5e11)],
)
def test_parse_count(value: object, expected: float) -> None:
    assert parse_count(value) == expected


@pytest.mark.parametrize("value", ["5 GB", "1.4e12 tokens", "8 B"])
def test_count_with_unit_rejected(value: str) -> None:
    with pytest.raises(UnitError, match="expected a plain number, got unit"):
        parse_count(value)


@pytest.mark.parametrize("value", [None, [1], float("nan"), "inf", 1e31])
def test_count_invalid(value: object) -> None:
    with pytest.raises(UnitError):
        parse_count(value)


# --------------------------------------------------------------------------------- properties
@given(st.floats(min_value=1e-6, max_value=1e24, allow_nan=False, allow_infinity=False))
def test_kilo_prefix_scales_by_1000(x: float) -> None:
    assert parse_quantity(f"{x} kW", "power") == pytest.approx(
        parse_quantity(f"{x * 1000} W", "power"), rel=1e-12)


@given(st.floats(min_value=1e-6, max_value=1e20, allow_nan=False, allow_infinity=False),
       st.sampled_from(["W", "kW", "MW", "GW"]))
def test_quantity_and_bare_number_agree(x: float, unit: str) -> None:
    si = parse_quantity(f"{x} {unit}", "power")
    assert math.isfinite(si)
    assert parse_quantity(si, "power") == si
    assert parse_quantity(repr(si), "power") == pytest.approx(si, rel=1e-15)
