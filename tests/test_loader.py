"""The YAML loader (profile/yamlsource.py) and profile validation (api.py).

Every mistake in a profile must come back as ``FILE:LINE:COL: field.path: message`` inside
one InputError (SPEC §3), never as a traceback, and never by constructing arbitrary objects.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aiceiling import api
from aiceiling.catalog import Catalog
from aiceiling.errors import Diagnostic, InputError
from aiceiling.profile.yamlsource import MAX_DEPTH, MAX_NODES, Document, load_text, read_file

CATALOG = Catalog()

# A small valid profile; line numbers below refer to it.
BASE = """\
aiceiling: 1
name: loader-test
workload:
  kind: llm-inference
  model: llama-3.1-8b
  prompt_tokens: 2048
  output_tokens: 300
deployment:
  placement: on-prem
  hardware: l40s
site:
  power_budget: 15 kW
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def load(text: str, overrides: list[str] | None = None,
         file: str = "p.yaml") -> api.LoadedProfile:
    return api.load_document(load_text(text, file), overrides, CATALOG)


def rendered(text: str, overrides: list[str] | None = None, file: str = "p.yaml") -> list[str]:
    """Every diagnostic of loading ``text``, as the user sees it."""
    with pytest.raises(InputError) as info:
        load(text, overrides, file)
    assert str(info.value) == "\n".join(str(d) for d in info.value.diagnostics)
    return [str(d) for d in info.value.diagnostics]


def load_errors(text: str) -> list[Diagnostic]:
    with pytest.raises(InputError) as info:
        load_text(text, "p.yaml")
    return info.value.diagnostics


# =============================================================================== yamlsource
def test_positions_are_one_based_line_and_column() -> None:
    doc = load_text(textwrap.dedent("""\
        workload:
          traffic:
            peak_factor: 3
          latency: {ttft: 1 s, tpot: 60 ms}
        governance:
          requires:
            - audit-trail
            - identity
        """), "p.yaml")
    assert doc.positions[()] == (1, 1)
    assert doc.positions[("workload",)] == (1, 1)
    assert doc.positions[("workload", "traffic")] == (2, 3)
    assert doc.positions[("workload", "traffic", "peak_factor")] == (3, 5)
    assert doc.positions[("workload", "latency")] == (4, 3)
    assert doc.positions[("workload", "latency", "ttft")] == (4, 13)
    assert doc.positions[("workload", "latency", "tpot")] == (4, 24)
    assert doc.positions[("governance", "requires", 0)] == (7, 7)
    assert doc.positions[("governance", "requires", 1)] == (8, 7)
    # A path that is not in the file points at its nearest ancestor.
    assert doc.where(("workload", "traffic", "concurrency")) == (2, 3)
    assert doc.locate(("workload", "latency", "e2e")) == ("p.yaml", 4, 3)
    assert doc.data["workload"]["latency"] == {"ttft": "1 s", "tpot": "60 ms"}


def test_scalar_types_follow_yaml_core_schema() -> None:
    data = load_text("a: 1\nb: 1.5\nc: true\nd: ~\ne: 2027-06-01\nf: 40 kW\ng: '1'\n",
                     "p.yaml").data
    assert data["a"] == 1 and isinstance(data["a"], int)
    assert data["b"] == 1.5
    assert data["c"] is True
    assert data["d"] is None
    assert str(data["e"]) == "2027-06-01"
    assert data["f"] == "40 kW"
    assert data["g"] == "1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: 2\na: 3\n",
         "p.yaml:3:1: a: duplicate key (first given at line 1); remove one of them"),
        ("site:\n  pue: 1.2\n  cooling: air\n  pue: 1.5\n",
         "p.yaml:4:3: site.pue: duplicate key (first given at line 2); remove one of them"),
        ("waivers:\n  - check: x\n    check: y\n",
         "p.yaml:3:5: waivers[0].check: duplicate key (first given at line 2); "
         "remove one of them"),
    ],
)
def test_duplicate_keys_name_both_lines(text: str, expected: str) -> None:
    assert [str(d) for d in load_errors(text)] == [expected]


def test_every_duplicate_reported_at_once() -> None:
    diagnostics = load_errors("a: 1\na: 2\nb:\n  c: 1\n  c: 2\n")
    assert [(d.line, d.field) for d in diagnostics] == [(2, "a"), (5, "b.c")]


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("x: !!python/object/apply:os.system ['true']",
         "tag:yaml.org,2002:python/object/apply:os.system"),
        ("x: !!python/object/new:builtins.dict {}",
         "tag:yaml.org,2002:python/object/new:builtins.dict"),
        ("x: !!python/name:os.system ''", "tag:yaml.org,2002:python/name:os.system"),
        ("x: !!binary aGVsbG8=", "tag:yaml.org,2002:binary"),
        ("x: !!set {a, b}", "tag:yaml.org,2002:set"),
        ("x: !!omap [a: 1]", "tag:yaml.org,2002:omap"),
        ("x: !custom 5", "!custom"),
    ],
)
def test_disallowed_tags(text: str, tag: str) -> None:
    assert [str(d) for d in load_errors(text)] == [
        f"p.yaml:1:4: x: YAML tag {tag!r} is not allowed"]


def test_python_tags_are_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    text = (f"a: !!python/object/apply:os.system ['touch {marker}']\n"
            f"b: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path "
            f"['{marker}']]\n")
    profile = tmp_path / "evil.yaml"
    profile.write_text(text)
    with pytest.raises(InputError):
        read_file(str(profile))
    with pytest.raises(InputError):
        api.load_profile(str(profile), catalog=CATALOG)
    assert not marker.exists()


def test_merge_keys_and_complex_keys_rejected() -> None:
    assert [str(d) for d in load_errors("base: &b {pue: 1.2}\nsite:\n  <<: *b\n")] == [
        "p.yaml:3:3: site: YAML merge keys ('<<') are not supported"]
    assert [str(d) for d in load_errors("? [a, b]\n: 1\n")] == [
        "p.yaml:1:3: mapping keys must be plain strings"]


def test_plain_aliases_are_expanded() -> None:
    assert load_text("a: &x 40 kW\nb: *x\n", "p.yaml").data == {"a": "40 kW", "b": "40 kW"}


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: [1, 2\nb: 3\n", 2, 2),
        ("a: {b: 1\n", 1, 4),            # unclosed at the end: where it opened
        ("a: b: c\n", 1, 5),
        ("a: 'unterminated\n", 1, 4),
        ("a:\n  b: 1\n c: 2\n", 3, 2),
        ("a: 1\n b: 2\n", 2, 3),
        ("b: *undefined\n", 1, 4),
        ("---\na: 1\n---\nb: 2\n", 3, 1),
    ],
)
def test_yaml_syntax_errors_have_line_and_column(text: str, line: int, column: int) -> None:
    [diagnostic] = load_errors(text)
    assert (diagnostic.file, diagnostic.line, diagnostic.column) == ("p.yaml", line, column)
    assert diagnostic.field == ""
    assert diagnostic.message.startswith("YAML syntax error: ")


def test_yaml_syntax_error_rendered() -> None:
    assert [str(d) for d in load_errors("a: [1, 2\nb: 3\n")] == [
        "p.yaml:2:2: YAML syntax error: did not find expected ',' or ']'"]


def test_tab_after_indentation_explained() -> None:
    assert [str(d) for d in load_errors("a: 1\n\tb: 2\n")] == [
        "p.yaml:2:1: YAML syntax error: tab characters are not allowed for indentation in "
        "YAML; use spaces"]


def test_tab_indented_mapping_explained() -> None:
    [diagnostic] = load_errors("site:\n\tpue: 1.2\n")
    assert (diagnostic.line, diagnostic.column) == (2, 1)
    assert "tab" in diagnostic.message


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here\n", "   \n# still nothing\n"])
def test_empty_document(text: str) -> None:
    assert [str(d) for d in load_errors(text)] == ["p.yaml:1:1: the file is empty"]


@pytest.mark.parametrize(
    ("text", "invalid"),
    [
        ("x: !!int abc", "p.yaml:1:4: x: invalid value 'abc': invalid literal for int() "
                         "with base 10: 'abc'"),
        ("x: !!float abc", "p.yaml:1:4: x: invalid value 'abc': could not convert string to "
                           "float: 'abc'"),
        ("x: 2027-02-30", "p.yaml:1:4: x: invalid value '2027-02-30': day is out of range "
                          "for month"),
    ],
)
def test_invalid_tagged_scalars(text: str, invalid: str) -> None:
    assert [str(d) for d in load_errors(text)] == [invalid]


@pytest.mark.parametrize("text", ["x: !!timestamp foo", "x: !!bool maybe"])
def test_invalid_explicit_core_tags_are_input_errors(text: str) -> None:
    [diagnostic] = load_errors(text)
    assert (diagnostic.line, diagnostic.column, diagnostic.field) == (1, 4, "x")


# ---------------------------------------------------------------------------- files on disk
def test_read_file_valid(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE, encoding="utf-8")
    doc = read_file(str(path))
    assert doc.file == str(path)
    assert doc.data["site"]["power_budget"] == "15 kW"
    assert doc.positions[("site", "power_budget")] == (12, 3)


def test_utf8_bom_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert read_file(str(path)).data["name"] == "loader-test"


def _read_error(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        read_file(str(path))
    return [str(d) for d in info.value.diagnostics]


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"aiceiling: 1\n\x00\x01\x02\xff")
    assert _read_error(path) == [f"{path}: binary file, not YAML text"]


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("aiceiling: 1\nname: café\n".encode("latin-1"))
    assert _read_error(path) == [f"{path}:2:1: not UTF-8 text (byte 0xe9 at offset 22)"]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert _read_error(path) == [f"{path}: no such file"]
    with pytest.raises(InputError, match="no such file"):
        api.load_profile(str(path), catalog=CATALOG)


def test_directory(tmp_path: Path) -> None:
    assert _read_error(tmp_path) == [f"{tmp_path}: is a directory, not a profile"]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    assert _read_error(path) == [f"{path}:1:1: the file is empty"]


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"aiceiling: 1\n" + b"#" * 1_000_000)
    assert _read_error(path) == [f"{path}: file is larger than 1,000,000 bytes"]


# --------------------------------------------------------------------------- hostile shapes
def _billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_fails_fast() -> None:
    text = _billion_laughs()  # 9**9 ≈ 387 million leaves once expanded
    start = time.perf_counter()
    diagnostics = load_errors(text)
    elapsed = time.perf_counter() - start
    assert [str(d) for d in diagnostics] == [
        f"p.yaml: document too large: more than {MAX_NODES:,} values after expanding aliases"]
    assert elapsed < 5.0


@pytest.mark.parametrize(
    "text",
    ["[" * 200 + "]" * 200, "{a: " * 200 + "1" + "}" * 200,
     "".join(f"{'  ' * i}k:\n" for i in range(200)) + "  " * 200 + "v: 1\n"],
    ids=["flow-sequences", "flow-mappings", "block-mappings"],
)
def test_deep_nesting_rejected(text: str) -> None:
    start = time.perf_counter()
    assert [str(d) for d in load_errors(text)] == [
        f"p.yaml: document too large: nested deeper than {MAX_DEPTH} levels"]
    assert time.perf_counter() - start < 5.0


def test_very_deep_nesting_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 100_000 + "]" * 100_000)
    script = textwrap.dedent(f"""\
        from aiceiling.errors import InputError
        from aiceiling.profile.yamlsource import read_file
        try:
            read_file({str(path)!r})
        except InputError as exc:
            print(exc)
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.returncode
    assert "nested deeper than" in result.stdout


# ====================================================================== validation (api.py)
def test_base_profile_loads() -> None:
    loaded = load(BASE)
    assert loaded.profile.workload.model == "llama-3.1-8b"
    assert loaded.profile.site is not None
    assert loaded.profile.site.power_budget == 15_000.0
    assert loaded.resolved.model.id == "llama-3.1-8b"
    assert loaded.resolved.hardware is not None
    assert loaded.resolved.hardware.id == "l40s"


def test_quantities_are_si_after_validation() -> None:
    text = BASE + textwrap.dedent("""\
          wue: 0.4 L/kWh
          water_budget: 2 m3/day
          grid_upgrade_lead_time: 30 months
        energy:
          price: 0.22 EUR/kWh
          carbon_intensity: 381 g/kWh
          carbon_budget: 20 t/year
        budget:
          monthly: 12000 EUR
        """)
    profile = load(text).profile
    assert profile.site is not None and profile.energy is not None
    assert profile.site.wue == pytest.approx(0.4e-3 / 3.6e6)
    assert profile.site.water_budget == pytest.approx(2 / 86_400)
    assert profile.site.grid_upgrade_lead_time == pytest.approx(30 * 365.2425 * 86_400 / 12)
    assert profile.energy.price is not None
    assert profile.energy.price.amount_per_unit == pytest.approx(0.22 / 3.6e6)
    assert profile.energy.carbon_intensity == pytest.approx(0.381 / 3.6e6)
    assert profile.energy.carbon_budget == pytest.approx(20_000 / (365.2425 * 86_400))
    assert profile.budget is not None and profile.budget.monthly is not None
    assert (profile.budget.monthly.amount, profile.budget.monthly.currency) == (12_000.0, "EUR")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            edit("  model: llama-3.1-8b\n", "  modle: llama-3.1-8b\n"),
            ["p.yaml:3:1: workload.model: required field is missing",
             "p.yaml:5:3: workload.modle: unknown key 'modle'; did you mean 'model'?"],
            id="nested-unknown-key"),
        pytest.param(
            edit("site:\n", "sight:\n"),
            ["p.yaml:11:1: sight: unknown key 'sight'; did you mean 'site'?"],
            id="top-level-unknown-key"),
        pytest.param(
            edit("  power_budget: 15 kW\n", "  power_budgt: 15 kW\n"),
            ["p.yaml:12:3: site.power_budgt: unknown key 'power_budgt'; "
             "did you mean 'power_budget'?"],
            id="site-unknown-key"),
        pytest.param(
            edit("  power_budget: 15 kW\n", "  power_budget: 20 ms\n"),
            ["p.yaml:12:3: site.power_budget: '20 ms' is a time, expected a power such as "
             "'40 kW'"],
            id="wrong-dimension"),
        pytest.param(
            edit("  power_budget: 15 kW\n", "  power_budget: -5 kW\n"),
            ["p.yaml:12:3: site.power_budget: must be greater than 0"],
            id="negative"),
        pytest.param(
            edit("  power_budget: 15 kW\n", "  power_budget: .nan\n"),
            ["p.yaml:12:3: site.power_budget: not a finite number"],
            id="nan"),
        pytest.param(
            edit("  hardware: l40s\n", "  hardware: h100-sxn\n"),
            ["p.yaml:10:3: deployment.hardware: unknown hardware id 'h100-sxn'; did you mean "
             "'h100-sxm', 'h200-sxm', 'h100-nvl'?"],
            id="unknown-hardware"),
        pytest.param(
            edit("  hardware: l40s\n", "  hardware: zzzzqqq\n"),
            ["p.yaml:10:3: deployment.hardware: unknown hardware id 'zzzzqqq'; "
             "see `aiceiling catalog hardware`"],
            id="unknown-hardware-no-match"),
        pytest.param(
            edit("aiceiling: 1\n", "aiceiling: 2\n"),
            ["p.yaml:1:1: aiceiling: unsupported schema version 2; this aiceiling reads "
             "version 1"],
            id="schema-version"),
        pytest.param(
            edit("  placement: on-prem\n", "  placement: moon\n"),
            ["p.yaml:9:3: deployment.placement: must be one of 'cloud', 'on-prem', 'edge', "
             "'device' or 'hybrid'; got 'moon'"],
            id="bad-literal"),
        pytest.param(
            edit("site:\n  power_budget: 15 kW\n", "site: 15 kW\n"),
            ["p.yaml:11:1: site: must be a mapping"],
            id="section-not-mapping"),
        pytest.param(
            edit("  kind: llm-inference\n", ""),
            ["p.yaml:3:1: workload.kind: required field is missing"],
            id="missing-field"),
        pytest.param(
            "- aiceiling: 1\n- workload: {}\n",
            ["p.yaml:1:1: a profile is a mapping of sections (workload:, deployment:, …), "
             "not a list"],
            id="list-document"),
    ],
)
def test_rendered_diagnostics(text: str, expected: list[str]) -> None:
    assert rendered(text) == expected


# SPEC §3: a bare number on a field with a unit is an error showing the form to use; a silent
# 1000× (20 W for a 20 kW budget) is the worst mistake a calculator can make.
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  power_budget: 15 kW\n", "  power_budget: 20\n",
         'p.yaml:12:3: site.power_budget: 20 has no unit: give one, e.g. "20 W" or "20 kW" '
         "(a bare number is only allowed for zero)"),
        ("  power_budget: 15 kW\n", "  power_budget: '20'\n",
         'p.yaml:12:3: site.power_budget: 20 has no unit: give one, e.g. "20 W" or "20 kW" '
         "(a bare number is only allowed for zero)"),
        ("  hardware: l40s\n", "  hardware: l40s\n  distance: 5\n",
         'p.yaml:11:3: deployment.distance: 5 has no unit: give one, e.g. "5 m" or "5 km" '
         "(a bare number is only allowed for zero)"),
        ("  output_tokens: 300\n", "  output_tokens: 300\n  latency:\n    tpot: 0.06\n",
         'p.yaml:9:5: workload.latency.tpot: 0.06 has no unit: give one, e.g. "0.06 ms" or '
         '"0.06 s" '
         "(a bare number is only allowed for zero)"),
    ],
    ids=["power", "power-quoted", "length", "time"],
)
def test_bare_number_on_unit_field_is_an_error(old: str, new: str, expected: str) -> None:
    assert rendered(edit(old, new)) == [expected]


def test_bare_numbers_all_reported_at_once() -> None:
    text = edit("  power_budget: 15 kW\n", "  power_budget: 20\n  water_budget: 5\n")
    messages = rendered(text)
    assert [m.split(": ")[1] for m in messages] == ["site.power_budget", "site.water_budget"]


@pytest.mark.parametrize("zero", ["0", "0.0", "'0'"])
def test_bare_zero_is_zero(zero: str) -> None:
    loaded = load(edit("  hardware: l40s\n", f"  hardware: l40s\n  distance: {zero}\n"))
    assert loaded.profile.deployment.distance == 0.0


def test_bare_number_in_set_is_an_error_blamed_on_the_flag() -> None:
    [message] = rendered(BASE, ["site.power_budget=60000"])
    assert 'site.power_budget: 60000 has no unit: give one, e.g. "60000 W" or "60000 kW"' \
        in message
    assert message.startswith("--set")


def test_plain_counts_stay_bare() -> None:
    """Fields without a unit (tokens, rates, counts, fractions) take bare numbers."""
    loaded = load(BASE, ["workload.traffic.requests_per_s=2.5", "deployment.accelerators=4",
                         "site.pue=1.3"])
    assert loaded.profile.deployment.accelerators == 4


def test_unknown_key_without_close_match_lists_fields() -> None:
    [message] = rendered(edit("  power_budget: 15 kW\n", "  zzz: 1\n"))
    assert message.startswith("p.yaml:12:3: site.zzz: unknown key 'zzz'; expected one of: ")
    for name in ("power_budget", "pue", "rack_power_limit", "cooling", "water_budget"):
        assert name in message


@pytest.mark.parametrize(
    ("old", "new", "field", "line"),
    [
        ("  power_budget: 15 kW\n", "  power_budget: 0 W\n", "site.power_budget", 12),
        ("  prompt_tokens: 2048\n", "  prompt_tokens: -1\n", "workload.prompt_tokens", 6),
        ("  output_tokens: 300\n", "  output_tokens: 0\n", "workload.output_tokens", 7),
        ("  hardware: l40s\n", "  hardware: l40s\n  accelerators: -2\n",
         "deployment.accelerators", 11),
        ("  hardware: l40s\n", "  hardware: l40s\n  distance: -1 km\n", "deployment.distance", 11),
        ("  power_budget: 15 kW\n", "  power_budget: 15 kW\n  pue: 0.5\n", "site.pue", 13),
        ("  power_budget: 15 kW\n", "  power_budget: 15 kW\n  racks_available: -1\n",
         "site.racks_available", 13),
        ("  output_tokens: 300\n", "  output_tokens: 300\n  traffic:\n    requests_per_s: -2\n",
         "workload.traffic.requests_per_s", 9),
    ],
)
def test_negative_or_zero_numbers_rejected(old: str, new: str, field: str, line: int) -> None:
    with pytest.raises(InputError) as info:
        load(edit(old, new))
    [diagnostic] = info.value.diagnostics
    assert (diagnostic.file, diagnostic.line, diagnostic.field) == ("p.yaml", line, field)
    assert diagnostic.message.startswith(("must be greater than", "must be at least"))


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", ".NaN", "1e999 W"])
def test_non_finite_power_rejected(value: str) -> None:
    [message] = rendered(edit("  power_budget: 15 kW\n", f"  power_budget: {value}\n"))
    assert message.startswith("p.yaml:12:3: site.power_budget: ")
    assert "finite" in message


@pytest.mark.parametrize("value", ["yes", "true", "off"])
def test_boolean_quantity_rejected(value: str) -> None:
    assert rendered(edit("  power_budget: 15 kW\n", f"  power_budget: {value}\n")) == [
        "p.yaml:12:3: site.power_budget: expected a power quantity, got a boolean"]


@pytest.mark.parametrize("section", [
    "budget:\n  monthly: -5 EUR\n",
    "budget:\n  hardware_price: -5 EUR\n",
    "energy:\n  price: -0.22 EUR/kWh\n",
], ids=["monthly", "hardware_price", "price"])
def test_negative_money_rejected(section: str) -> None:
    with pytest.raises(InputError):
        load(BASE + section)


@pytest.mark.parametrize("field", ["requests_per_s: .inf",
                                   "requests_per_s: 1\n    peak_factor: .inf"])
def test_infinite_traffic_rejected(field: str) -> None:
    with pytest.raises(InputError):
        load(edit("  output_tokens: 300\n", f"  output_tokens: 300\n  traffic:\n    {field}\n"))


def test_boolean_count_rejected() -> None:
    with pytest.raises(InputError):
        load(edit("  hardware: l40s\n", "  hardware: l40s\n  accelerators: true\n"))


def test_huge_integer_is_input_error() -> None:
    with pytest.raises(InputError):
        load(edit("  power_budget: 15 kW\n", "  power_budget: " + "9" * 400 + "\n"))


@pytest.mark.parametrize(
    ("text", "kind"),
    [("hello\n", "a single value ('hello')"), ("5\n", "a single value (5)"),
     ("~\n", "empty")],
)
def test_scalar_document(text: str, kind: str) -> None:
    [message] = rendered(text)
    assert message == ("p.yaml:1:1: a profile is a mapping of sections (workload:, "
                       f"deployment:, …), not {kind}")


@pytest.mark.parametrize("text", ["5\n", "~\n"])
def test_scalar_document_message_grammar(text: str) -> None:
    [message] = rendered(text)
    assert "not a int" not in message and "not a empty" not in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  model: llama-3.1-8b\n", "  model: lama-3.1-8b\n",
         "p.yaml:5:3: workload.model: unknown model id 'lama-3.1-8b'; did you mean "
         "'llama-3.1-8b', 'llama-3.1-70b', 'llama-3.1-405b'?"),
        ("  placement: on-prem\n", "  placement: on-prem\n  region: aws-us-east-9\n",
         "p.yaml:10:3: deployment.region: unknown region id 'aws-us-east-9'; did you mean "
         "'aws-us-east-2', 'aws-us-east-1', 'aws-us-west-2'?"),
        ("  placement: on-prem\n", "  placement: on-prem\n  country: XX\n",
         "p.yaml:10:3: deployment.country: unknown country 'XX'; use an ISO 3166 alpha-2 "
         "code such as 'DE' (did you mean MX?)"),
        ("  placement: on-prem\n", "  placement: on-prem\n  region: aws-us-east-1\n"
                                   "  country: DE\n",
         "p.yaml:11:3: deployment.country: region 'aws-us-east-1' is in US, not DE"),
    ],
)
def test_unknown_catalog_ids(old: str, new: str, expected: str) -> None:
    assert rendered(edit(old, new)) == [expected]


def test_catalog_ids_are_case_insensitive_and_aliased() -> None:
    loaded = load(edit("  hardware: l40s\n", "  hardware: H100\n")
                  .replace("llama-3.1-8b", "meta-llama/Llama-3.1-8B-Instruct"))
    assert loaded.resolved.hardware is not None
    assert loaded.resolved.hardware.id == "h100-sxm"
    assert loaded.resolved.model.id == "llama-3.1-8b"


def test_several_errors_in_one_input_error_sorted_by_line() -> None:
    # `site` comes first in the file but after `workload` in the model: the errors must still
    # come out in file order.
    text = textwrap.dedent("""\
        aiceiling: 1
        site:
          power_budget: 20 ms
          pue: 0.5
        workload:
          kind: llm-inference
          model: llama-3.1-8b
          prompt_tokens: -1
          output_tokens: 300
          colour: blue
        deployment:
          placement: moon
          hardware: l40s
        """)
    messages = rendered(text)
    assert [m.split(": ")[0] for m in messages] == [
        "p.yaml:3:3", "p.yaml:4:3", "p.yaml:8:3", "p.yaml:10:3", "p.yaml:12:3"]
    assert messages[0] == ("p.yaml:3:3: site.power_budget: '20 ms' is a time, expected a "
                           "power such as '40 kW'")
    assert messages[3] == ("p.yaml:10:3: workload.colour: unknown key 'colour'; expected one "
                           "of: " + messages[3].split("expected one of: ")[1])


def test_several_unknown_ids_at_once() -> None:
    text = edit("  model: llama-3.1-8b\n", "  model: lama-3.1-8b\n",
                edit("  hardware: l40s\n", "  hardware: h100-sxn\n"))
    assert [m.split(": ")[1] for m in rendered(text)] == ["workload.model",
                                                          "deployment.hardware"]


def test_validation_and_catalog_errors_together() -> None:
    text = edit("  hardware: l40s\n", "  hardware: h100-sxn\n",
                edit("  power_budget: 15 kW\n", "  power_budget: 20 ms\n"))
    assert [m.split(": ")[1] for m in rendered(text)] == ["deployment.hardware",
                                                          "site.power_budget"]


def test_load_profile_from_file(tmp_path: Path) -> None:
    path = tmp_path / "radiology.yaml"
    path.write_text(BASE, encoding="utf-8")
    loaded = api.load_profile(str(path), ['site.power_budget="60 kW"'], CATALOG)
    assert loaded.file == str(path)
    assert loaded.profile.site is not None
    assert loaded.profile.site.power_budget == 60_000.0


def test_load_profile_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(edit("  power_budget: 15 kW\n", "  power_budget: 20 ms\n"))
    with pytest.raises(InputError) as info:
        api.load_profile(str(path), catalog=CATALOG)
    assert str(info.value) == (f"{path}:12:3: site.power_budget: '20 ms' is a time, expected a "
                               "power such as '40 kW'")


# ================================================================================ overrides
def _document(text: str = BASE) -> Document:
    return load_text(text, "p.yaml")


@pytest.mark.parametrize(
    ("override", "expected_w"),
    [('site.power_budget="60 kW"', 60_000.0), ("site.power_budget=60 kW", 60_000.0),
     ("site.power_budget=60000 W", 60_000.0), ("site.power_budget=0.06 MW", 60_000.0)],
)
def test_set_changes_value(override: str, expected_w: float) -> None:
    loaded = load(BASE, [override])
    assert loaded.profile.site is not None
    assert loaded.profile.site.power_budget == expected_w


def test_set_creates_missing_section_and_records_origin() -> None:
    document = _document()
    api.apply_overrides(document, ["energy.carbon_intensity=56 g/kWh",
                                   "deployment.accelerators=4"])
    assert document.data["energy"] == {"carbon_intensity": "56 g/kWh"}
    assert document.data["deployment"]["accelerators"] == 4
    assert document.overrides == {
        ("energy", "carbon_intensity"): "--set energy.carbon_intensity=56 g/kWh",
        ("deployment", "accelerators"): "--set deployment.accelerators=4"}
    profile = api.validate(document)
    assert profile.deployment.accelerators == 4
    assert profile.energy is not None
    assert profile.energy.carbon_intensity == pytest.approx(0.056 / 3.6e6)


def test_set_list_item() -> None:
    text = BASE + "waivers:\n  - check: compute.memory\n    reason: old\n    expires: 2027-01-31\n"
    loaded = load(text, ["waivers.0.reason=approved by CAB"])
    assert loaded.profile.waivers[0].reason == "approved by CAB"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("site.power_budget=20 ms",
         "--set site.power_budget=20 ms: site.power_budget: '20 ms' is a time, expected a "
         "power such as '40 kW'"),
        ("workload.prompt_tokens=lots",
         "--set workload.prompt_tokens=lots: workload.prompt_tokens: must be a whole number; "
         "got 'lots'"),
        ("site.power_budge=60 kW",
         "--set site.power_budge=60 kW: site.power_budge: unknown key 'power_budge'; did you "
         "mean 'power_budget'?"),
        ("deployment.hardware=h100-sxn",
         "--set deployment.hardware=h100-sxn: deployment.hardware: unknown hardware id "
         "'h100-sxn'; did you mean 'h100-sxm', 'h200-sxm', 'h100-nvl'?"),
        ("site.power_budget=[60 kW",
         "--set site.power_budget=[60 kW: site.power_budget: YAML syntax error: did not find "
         "expected ',' or ']' (while parsing a flow sequence that starts here)"),
        ("site.power_budget.value=60 kW",
         "--set site.power_budget.value=60 kW: site.power_budget: is not a section that can "
         "hold fields"),
        ("workload.kind",
         "--set workload.kind: expected PATH=VALUE, e.g. site.power_budget=\"60 kW\""),
        ("=60 kW",
         "--set =60 kW: expected PATH=VALUE, e.g. site.power_budget=\"60 kW\""),
    ],
)
def test_set_errors_point_at_the_argument(override: str, expected: str) -> None:
    assert rendered(BASE, [override]) == [expected]


def test_set_errors_all_reported() -> None:
    messages = rendered(BASE, ["nonsense", "site.power_budget.x=1", 'site.pue="1.3"'])
    assert messages == [
        "--set nonsense: expected PATH=VALUE, e.g. site.power_budget=\"60 kW\"",
        "--set site.power_budget.x=1: site.power_budget: is not a section that can hold "
        "fields"]


def test_set_unknown_nested_path_is_an_error() -> None:
    [message] = rendered(BASE, ["site.nope.value=1"])
    assert "site.nope: unknown key 'nope'" in message


def test_set_unknown_nested_path_points_at_argument() -> None:
    [message] = rendered(BASE, ["site.nope.value=1"])
    assert message.startswith("--set site.nope.value=1: site.nope: ")


def test_set_path_with_a_non_ascii_digit() -> None:
    """Found by the fuzz target: '¹'.isdigit() is true but int('¹') raises."""
    with pytest.raises(InputError) as info:
        load(BASE, ["¹=- "])
    assert "¹" in str(info.value)
