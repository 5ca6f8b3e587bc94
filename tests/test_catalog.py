"""Built-in catalogs (aiceiling/catalog): required ids, aliases, provenance, published values.

Reference values are those compiled in ``shared/reference/facts.md``; each row names the
primary source facts.md gives for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aiceiling.catalog import Catalog, Figure, Source, figure, figure_value
from aiceiling.errors import InputError

SECTIONS = ("accelerators", "models", "countries", "regions", "blocs", "access_networks",
            "cooling")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


def _figures(node: Any, where: str) -> Iterator[tuple[str, Figure]]:
    if isinstance(node, Figure):
        yield where, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _figures(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _figures(value, f"{where}[{i}]")


def _all_figures(catalog: Catalog) -> list[tuple[str, Figure]]:
    return [item for section in SECTIONS for key, entry in catalog.section(section).items()
            for item in _figures(entry, f"{section}:{key}")]


# ----------------------------------------------------------------------------- loading, ids
@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_loads(catalog: Catalog, section: str) -> None:
    entries = catalog.section(section)
    assert entries
    for key, entry in entries.items():
        assert entry["id"] == key


@pytest.mark.parametrize("section", ["accelerators", "models", "regions", "access_networks",
                                     "cooling"])
def test_ids_are_lowercase_and_hyphenated(catalog: Catalog, section: str) -> None:
    for key in catalog.section(section):
        assert re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", key), key


def test_country_and_bloc_ids_are_iso_style(catalog: Catalog) -> None:
    for key in catalog.section("countries"):
        assert re.fullmatch(r"[A-Z]{2}", key), key
    assert set(catalog.section("blocs")) >= {"EU", "EEA"}


SPEC_ACCELERATORS = ["a100-80gb-sxm", "h100-sxm", "h100-pcie", "h200-sxm", "b200", "gb200",
                     "l4", "l40s", "mi300x", "mi325x", "gaudi3", "tpu-v5e",
                     "jetson-agx-orin-64gb", "jetson-orin-nano", "hailo-8", "loihi-2"]
SPEC_MODELS = ["llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3.1-8b", "llama-3.1-70b",
               "llama-3.1-405b", "mistral-7b", "mixtral-8x7b", "deepseek-v3", "qwen2.5-7b",
               "qwen2.5-72b", "phi-3-mini", "gemma-2-9b", "resnet-50", "yolov8n"]
# facts.md §d.1, OWID/Ember country table.
FACTS_COUNTRIES = ["US", "CN", "IN", "JP", "AU", "SG", "DE", "PL", "IE", "GB", "FR", "DK",
                   "FI", "SE", "NO"]


@pytest.mark.parametrize("entry_id", SPEC_ACCELERATORS)
def test_spec_accelerators_present(catalog: Catalog, entry_id: str) -> None:
    assert entry_id in catalog.section("accelerators")


@pytest.mark.parametrize("entry_id", SPEC_MODELS)
def test_spec_models_present(catalog: Catalog, entry_id: str) -> None:
    assert entry_id in catalog.section("models")


def test_non_llm_models_for_kind_inference(catalog: Catalog) -> None:
    kinds = {entry.get("kind") for entry in catalog.section("models").values()}
    assert {"llm", "vision", "speech"} <= kinds
    for entry_id in ("resnet-50", "yolov8n"):
        assert isinstance(catalog.section("models")[entry_id]["flops_per_request"], Figure)


@pytest.mark.parametrize("code", FACTS_COUNTRIES)
def test_facts_countries_present(catalog: Catalog, code: str) -> None:
    assert code in catalog.section("countries")


@pytest.mark.parametrize("provider", ["aws", "azure", "gcp"])
def test_cloud_regions_have_a_known_country(catalog: Catalog, provider: str) -> None:
    regions = {k: v for k, v in catalog.section("regions").items() if k.startswith(provider)}
    assert len(regions) >= 10
    countries = catalog.section("countries")
    for key, region in regions.items():
        assert region["country"] in countries, key


@pytest.mark.parametrize(
    ("section", "name", "canonical"),
    [
        ("accelerators", "H100", "h100-sxm"),
        ("accelerators", "h100", "h100-sxm"),
        ("accelerators", "nvidia-h100-sxm5", "h100-sxm"),
        ("accelerators", "NVIDIA-H100-SXM5", "h100-sxm"),
        ("accelerators", "A100", "a100-80gb-sxm"),
        ("accelerators", "L40S", "l40s"),
        ("accelerators", "MI300X", "mi300x"),
        ("accelerators", "Gaudi 3", "gaudi3"),
        ("models", "meta-llama/Llama-3.1-8B", "llama-3.1-8b"),
        ("models", "META-LLAMA/LLAMA-3.1-8B-INSTRUCT", "llama-3.1-8b"),
        ("models", "mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b"),
        ("models", "Qwen/Qwen2.5-7B-Instruct", "qwen2.5-7b"),
        ("regions", "us-east-1", "aws-us-east-1"),
        ("countries", "de", "DE"),
        ("blocs", "eu", "EU"),
    ],
)
def test_aliases_resolve(catalog: Catalog, section: str, name: str, canonical: str) -> None:
    assert catalog.resolve(section, name) == canonical
    entry = catalog.get(section, name)
    assert entry is not None and entry["id"] == canonical


@pytest.mark.parametrize(("section", "name"), [("accelerators", "h100-sxn"),
                                               ("models", "llama-4"), ("countries", "XX")])
def test_unknown_ids_resolve_to_none(catalog: Catalog, section: str, name: str) -> None:
    assert catalog.resolve(section, name) is None
    assert catalog.get(section, name) is None


def test_aliases_are_unambiguous(catalog: Catalog) -> None:
    for section in SECTIONS:
        owner: dict[str, str] = {}
        for key, entry in catalog.section(section).items():
            for name in [key, *(entry.get("aliases") or [])]:
                previous = owner.setdefault(str(name).lower(), key)
                assert previous == key, f"{section}: {name!r} names {previous} and {key}"


# -------------------------------------------------------------------------------- provenance
def test_every_figure_has_source_title_and_as_of(catalog: Catalog) -> None:
    figures = _all_figures(catalog)
    assert len(figures) > 250
    for where, fig in figures:
        assert isinstance(fig.source, Source), where
        assert fig.source.title.strip(), where
        assert fig.as_of.strip(), where
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", fig.as_of), (where, fig.as_of)


def test_every_figure_source_is_traceable(catalog: Catalog) -> None:
    # STYLE: a source is a URL (or repo + path); arithmetic names its formula instead.
    for where, fig in _all_figures(catalog):
        if fig.source.key == "derived":
            assert fig.formula.strip(), where
        else:
            assert fig.source.url.startswith("https://") or \
                fig.source.url.startswith("http://"), where


def test_figure_reference_cites_source_and_date(catalog: Catalog) -> None:
    fig = figure(catalog.get("accelerators", "h100-sxm"), "bandwidth")
    assert fig is not None
    assert fig.reference() == (
        'Glenn K. Lockwood, "H100" (digital garden; cites NVIDIA H100 whitepaper/datasheet) '
        "— https://glennklockwood.com/garden/processors/h100; as of 2022-03")


@pytest.mark.parametrize("entry_id", SPEC_MODELS)
def test_models_have_config_source_and_date(catalog: Catalog, entry_id: str) -> None:
    entry = catalog.section("models")[entry_id]
    assert isinstance(entry["source"], Source)
    assert entry["source"].url
    assert str(entry["as_of"])


# -------------------------------------------------------------------------- published values
H100_SXM = "glennklockwood.com/garden/processors/h100 (NVIDIA H100 datasheet), facts.md §a.1"
A100 = "glennklockwood.com/garden/processors/A100 (NVIDIA A100 datasheet), facts.md §a.1"
B200 = "glennklockwood.com/garden/processors/B200 (HGX B200 @1,000 W), facts.md §a.1"
L40S = "mullet.se copy of the NVIDIA L40/L40S sheet, facts.md §a.1"
MI300X = "MLPerf v4.1 8xMI300X system JSON; jaredwatkins.com MI300 notes, facts.md §a.1"
MLPERF_B200 = "MLPerf Inference v4.1 B200-SXM-180GB listing (180 GB usable), facts.md §a.1"


@pytest.mark.parametrize(
    ("entry_id", "path", "expected", "source"),
    [
        ("h100-sxm", ("memory",), 80e9, H100_SXM),
        ("h100-sxm", ("bandwidth",), 3.35e12, H100_SXM),
        ("h100-sxm", ("peak", "bf16"), 989.4e12, H100_SXM),
        ("h100-sxm", ("peak", "fp8"), 1978.9e12, H100_SXM),
        ("h100-sxm", ("tdp",), 700.0, H100_SXM),
        ("h100-sxm", ("interconnect",), 900e9, H100_SXM),
        ("a100-80gb-sxm", ("memory",), 80e9, A100),
        ("a100-80gb-sxm", ("bandwidth",), 2.039e12, A100),
        ("a100-80gb-sxm", ("peak", "bf16"), 312e12, A100),
        ("a100-80gb-sxm", ("tdp",), 400.0, A100),
        ("h100-pcie", ("tdp",), 350.0, "NVIDIA H100 PCIe product brief PB-11133-001_v02"),
        ("h200-sxm", ("memory",), 141e9, "MLPerf v4.1 H200-SXM-141GBx8 system JSON"),
        ("h200-sxm", ("bandwidth",), 4.8e12, "lzwjava.github.io nvidia-h200-gpu-specs"),
        ("h200-sxm", ("tdp",), 700.0, "MLPerf v4.1 H200 system JSON ('H200 TGP 700W')"),
        ("b200", ("memory",), 180e9, MLPERF_B200),
        ("b200", ("bandwidth",), 8e12, B200),
        ("b200", ("peak", "bf16"), 2250e12, B200),
        ("b200", ("tdp",), 1000.0, "MLPerf v4.1 B200 system JSON ('B200 TGP 1000W')"),
        ("gb200", ("memory",), 186e9, "MLPerf v6.1 Crusoe GB200-NVL72 (GB200-186GB)"),
        ("gb200", ("peak", "bf16"), 2500e12, B200),
        ("l4", ("memory",), 24e9, "grokipedia NVIDIA L4 vs L40S, facts.md §a.1"),
        ("l4", ("bandwidth",), 0.300e12, "grokipedia NVIDIA L4 vs L40S, facts.md §a.1"),
        ("l4", ("tdp",), 72.0, "grokipedia NVIDIA L4 vs L40S, facts.md §a.1"),
        ("l40s", ("memory",), 48e9, L40S),
        ("l40s", ("bandwidth",), 0.864e12, L40S),
        ("l40s", ("peak", "bf16"), 362e12, L40S),
        ("l40s", ("peak", "fp8"), 733e12, L40S),
        ("l40s", ("tdp",), 350.0, L40S),
        ("mi300x", ("memory",), 192e9, MI300X),
        ("mi300x", ("bandwidth",), 5.3e12, MI300X),
        ("mi300x", ("peak", "bf16"), 1307.4e12, "awesomeagents.ai AMD MI325X (same CDNA3)"),
        ("mi300x", ("tdp",), 750.0, MI300X),
        ("mi325x", ("memory",), 256e9, "awesomeagents.ai AMD MI325X, facts.md §a.1"),
        ("mi325x", ("bandwidth",), 6.0e12, "awesomeagents.ai AMD MI325X, facts.md §a.1"),
        ("gaudi3", ("memory",), 128e9, "Intel Hot Chips 2024 Gaudi 3 deck, facts.md §a.1"),
        ("gaudi3", ("bandwidth",), 3.67e12, "Intel Hot Chips 2024 Gaudi 3 deck, facts.md §a.1"),
        ("gaudi3", ("peak", "bf16"), 1835e12, "Intel Hot Chips 2024 Gaudi 3 deck"),
        ("gaudi3", ("tdp",), 900.0, "Intel Hot Chips 2024 Gaudi 3 deck (air-cooled OAM)"),
        ("tpu-v5e", ("memory",), 16e9, "Google Cloud TPU v5e documentation"),
        ("tpu-v5e", ("peak", "bf16"), 197e12, "Google Cloud TPU v5e documentation"),
        ("jetson-agx-orin-64gb", ("memory",), 64e9, "MLPerf v4.1 Orin_TRT system JSON"),
        ("hailo-8", ("peak", "int8"), 26e12, "CNX Software Hailo-8 article (2020-10-07)"),
    ],
)
def test_accelerator_datasheet_values(catalog: Catalog, entry_id: str, path: tuple[str, ...],
                                      expected: float, source: str) -> None:
    value = figure_value(catalog.get("accelerators", entry_id), *path)
    assert value == pytest.approx(expected, rel=2e-4)


@pytest.mark.parametrize("entry_id", ["h100-sxm", "a100-80gb-sxm", "b200", "l40s", "mi300x",
                                      "h200-sxm", "l4"])
def test_peak_is_dense_not_sparse(catalog: Catalog, entry_id: str) -> None:
    # facts.md: vendor headline figures are with 2:4 sparsity; the catalog keeps dense ones,
    # so fp8 is twice bf16 on these parts, not four times.
    entry = catalog.get("accelerators", entry_id)
    assert entry is not None
    peak = entry["peak"]
    if "fp8" in peak:
        assert peak["fp8"].value == pytest.approx(2 * peak["bf16"].value, rel=0.025)
    assert "dense" in peak["bf16"].note or peak["bf16"].formula.endswith("/ 2")


OWID = ("OWID/Ember 2023 via mlco2/codecarbon codecarbon/data/private_infra/"
        "global_energy_mix.json, facts.md §d.1")


@pytest.mark.parametrize(
    ("code", "g_per_kwh", "source"),
    [
        ("US", 369.5, OWID),
        ("CN", 582.3, OWID),
        ("IN", 713.4, OWID),
        ("JP", 485.4, OWID),
        ("AU", 548.7, OWID),
        ("SG", 470.8, OWID),
        ("DE", 381.0, OWID),
        ("PL", 661.9, OWID),
        ("IE", 290.8, OWID),
        ("GB", 237.6, OWID),
        ("FR", 56.0, OWID),
        ("DK", 151.7, OWID),
        ("FI", 79.2, OWID),
        ("SE", 40.7, OWID),
        ("NO", 30.1, OWID),
    ],
)
def test_country_carbon_intensity(catalog: Catalog, code: str, g_per_kwh: float,
                                  source: str) -> None:
    fig = figure(catalog.get("countries", code), "carbon_intensity")
    assert fig is not None
    assert fig.value == pytest.approx(g_per_kwh * 1e-3 / 3.6e6, abs=0.05e-3 / 3.6e6)
    assert fig.source.key == "owid-codecarbon-2023"


@pytest.mark.parametrize(
    ("region", "g_per_kwh", "source"),
    [
        ("gcp-us-east4", 323.05, "GoogleCloudPlatform/region-carbon-info data/yearly/2024.csv"),
        ("gcp-europe-west9", 16.30, "GoogleCloudPlatform/region-carbon-info 2024.csv"),
        ("gcp-europe-north2", 2.73, "GoogleCloudPlatform/region-carbon-info 2024.csv"),
        ("gcp-asia-south1", 678.76, "GoogleCloudPlatform/region-carbon-info 2024.csv"),
    ],
)
def test_gcp_region_carbon_intensity(catalog: Catalog, region: str, g_per_kwh: float,
                                     source: str) -> None:
    value = figure_value(catalog.get("regions", region), "carbon_intensity")
    assert value == pytest.approx(g_per_kwh * 1e-3 / 3.6e6, rel=1e-6)


def test_eu_bloc_has_27_members(catalog: Catalog) -> None:
    # Source: european-union.europa.eu "EU countries" (27 member states since 2020-02-01).
    members = catalog.section("blocs")["EU"]["members"]
    assert len(members) == len(set(members)) == 27
    eea = catalog.section("blocs")["EEA"]["members"]
    assert set(eea) == set(members) | {"IS", "LI", "NO"}


@pytest.mark.parametrize(
    ("entry_id", "rack_limit_w"),
    [("air", 15e3), ("rear-door", 80e3), ("direct-liquid", 120e3), ("immersion", 125e3)],
)
def test_cooling_rack_limits_increase(catalog: Catalog, entry_id: str,
                                      rack_limit_w: float) -> None:
    assert figure_value(catalog.get("cooling", entry_id), "rack_limit") == rack_limit_w


# ------------------------------------------------------------------------------- did-you-mean
@pytest.mark.parametrize(
    ("section", "typo", "first"),
    [
        ("accelerators", "h100-sxn", "h100-sxm"),
        ("accelerators", "l40", "l40s"),
        ("accelerators", "mi300", "mi300x"),
        ("accelerators", "a100-80gb-sxm4", "a100-80gb-sxm"),
        ("models", "lama-3.1-8b", "llama-3.1-8b"),
        ("models", "llama3-8b", "llama-3.1-8b"),
        ("models", "mistral7b", "mistral-7b"),
        ("models", "qwen-2.5-7b", "qwen2.5-7b"),
        ("cooling", "liquid", "direct-liquid"),
        ("regions", "aws-us-east-9", "aws-us-east-2"),
    ],
)
def test_suggest(catalog: Catalog, section: str, typo: str, first: str) -> None:
    suggestions = catalog.suggest(section, typo)
    assert suggestions[0] == first
    assert 1 <= len(suggestions) <= 3
    assert len(set(suggestions)) == len(suggestions)
    assert set(suggestions) <= set(catalog.section(section))


def test_suggest_nothing_close(catalog: Catalog) -> None:
    assert catalog.suggest("accelerators", "zzzzqqq") == []


def test_suggest_returns_ids_not_aliases(catalog: Catalog) -> None:
    # The typo is closest to aliases (meta-llama/Llama-3.1-8B, …); the ids come back.
    suggestions = catalog.suggest("models", "meta-llama/Llama-3.1-8")
    assert suggestions[0] == "llama-3.1-8b"
    assert all("/" not in s for s in suggestions)


# -------------------------------------------------------------------------------- overlays
OVERLAY = """\
sources:
  acme-datasheet: {title: "Acme X1 datasheet", url: "https://example.com/x1.pdf", kind: vendor}
accelerators:
  acme-x1:
    name: Acme X1
    aliases: [X1]
    memory: "96 GB"
    bandwidth: {value: "4 TB/s", source: acme-datasheet, as_of: "2025-01"}
    peak:
      bf16: "1000 TFLOP/s"
    tdp: "600 W"
  l40s:
    name: NVIDIA L40S (measured in our lab)
    memory: "48 GB"
    bandwidth: "0.8 TB/s"
"""


@pytest.fixture
def overlay_file(tmp_path: Path) -> Path:
    path = tmp_path / "my-catalog.yaml"
    path.write_text(OVERLAY, encoding="utf-8")
    return path


def test_overlay_adds_accelerator(overlay_file: Path) -> None:
    catalog = Catalog((str(overlay_file),))
    entry = catalog.get("accelerators", "x1")
    assert entry is not None and entry["id"] == "acme-x1"
    assert figure_value(entry, "memory") == 96e9
    assert figure_value(entry, "peak", "bf16") == 1e15
    assert figure_value(entry, "tdp") == 600.0
    # Built-ins stay.
    assert figure_value(catalog.get("accelerators", "h100-sxm"), "bandwidth") == 3.35e12


def test_overlay_plain_values_attributed_to_overlay_file(overlay_file: Path) -> None:
    entry = Catalog((str(overlay_file),)).get("accelerators", "acme-x1")
    memory = figure(entry, "memory")
    assert memory is not None
    assert memory.text == "96 GB"
    assert memory.source.title == f"user catalog {overlay_file}"
    assert memory.source.kind == "user"
    assert memory.as_of == "user-supplied"
    # A figure that names one of the overlay's own sources keeps it.
    bandwidth = figure(entry, "bandwidth")
    assert bandwidth is not None
    assert (bandwidth.source.title, bandwidth.source.url, bandwidth.as_of) == (
        "Acme X1 datasheet", "https://example.com/x1.pdf", "2025-01")


def test_overlay_overrides_builtin_entry(overlay_file: Path) -> None:
    catalog = Catalog((str(overlay_file),))
    entry = catalog.get("accelerators", "L40S")
    assert entry is not None
    assert entry["name"] == "NVIDIA L40S (measured in our lab)"
    bandwidth = figure(entry, "bandwidth")
    assert bandwidth is not None
    assert bandwidth.value == 0.8e12
    assert bandwidth.source.title == f"user catalog {overlay_file}"
    # Figures the overlay does not give keep their built-in value and source.
    assert figure_value(entry, "peak", "bf16") == figure_value(
        Catalog().get("accelerators", "l40s"), "peak", "bf16")
    assert figure(entry, "tdp") == figure(Catalog().get("accelerators", "l40s"), "tdp")
    # The built-in catalog is untouched.
    assert figure_value(Catalog().get("accelerators", "l40s"), "bandwidth") == 0.864e12


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("accelerators:\n  x1: 5\n", "{path}:2:3: accelerators.x1: an entry must be a mapping"),
        ("accelerators:\n  x1:\n    memory: '96 ms'\n",
         "{path}:2:3: accelerators.x1: '96 ms' is a time, expected a data such as '80 GB'"),
        ("accelerators:\n  x1:\n    tdp: 700\n",
         '{path}:2:3: accelerators.x1: 700 has no unit: give one, e.g. "700 W" or "700 kW" '
         "(a bare number is only allowed for zero)"),
        ("accelerators:\n  x1:\n    tdp: {as_of: '2025'}\n",
         "{path}:2:3: accelerators.x1: {path}:x1.tdp: figure without value"),
    ],
)
def test_overlay_errors(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(InputError) as info:
        Catalog((str(path),)).section("accelerators")
    assert str(info.value) == expected.format(path=path)


def test_overlay_unknown_source_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("accelerators:\n  x1:\n    memory: {value: 96 GB, source: nope, "
                    "as_of: '2025'}\n")
    with pytest.raises(InputError, match="unknown source 'nope'"):
        Catalog((str(path),)).section("accelerators")


def test_overlay_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(InputError, match="no such file"):
        Catalog((str(path),)).section("accelerators")


@pytest.mark.parametrize(("name", "expected"), [
    ("Germany", "DE"), ("germany", "DE"), ("DE", "DE"), ("United States", "US")])
def test_country_names_resolve(name: str, expected: str) -> None:
    """ISO 3166 codes are the ids; display names are accepted too."""
    assert Catalog().resolve("countries", name) == expected
