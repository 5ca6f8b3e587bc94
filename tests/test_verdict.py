"""Verdicts a gate can rely on (issue #10): unknown is never a pass, coverage, installed
power, the binding rule, waivers and overlays that match nothing, figures in the unit a
person reads, and a report that records what it was run from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aiceiling import api
from aiceiling.checks import FAIL, PASS, UNKNOWN, WARN, Result
from aiceiling.render.table import compact, quantity, value_limit
from aiceiling.verdict import binding_of, coverage_of, verdict_of

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ROOT / "profiles"
ENV = {**os.environ, "AICEILING_TODAY": "2026-11-22", "COLUMNS": "100", "NO_COLOR": "1"}


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aiceiling", *args], capture_output=True,
                          text=True, env=ENV, timeout=60, cwd=cwd)


# ------------------------------------------------------------------------ verdict rules
@pytest.mark.parametrize(("statuses", "verdict"), [
    ((PASS, PASS), "feasible"),
    ((PASS, WARN), "at-risk"),
    ((WARN, UNKNOWN), "undetermined"),
    ((UNKNOWN, FAIL, WARN), "infeasible"),
    (("skip", "waived", PASS), "feasible"),
])
def test_verdict_order(statuses: tuple[str, ...], verdict: str) -> None:
    results = [Result(f"x.c{i}", s, "") for i, s in enumerate(statuses)]
    assert verdict_of(results) == verdict


def test_binding_is_always_a_worst_status_check() -> None:
    """A hosted API that warns binds, not the passing check nearest its limit."""
    results = [Result("compute.ttft", PASS, "", 0.7, 1.0, "s", 0.7),
               Result("governance.provider_dependency", WARN, "one hosted API")]
    assert binding_of(results, set()).id == "governance.provider_dependency"  # type: ignore[union-attr]
    results.append(Result("energy.cost_budget", UNKNOWN, "no price"))
    assert binding_of(results, set()).id == "energy.cost_budget"  # type: ignore[union-attr]
    results += [Result("compute.throughput", FAIL, "", 3.0, 2.0, "req/s", 1.5),
                Result("compute.tpot", FAIL, "", 2.5, 1.0, "ms", 2.5)]
    assert binding_of(results, set()).id == "compute.tpot"  # type: ignore[union-attr]
    results.append(Result("data.boundary", FAIL, "PHI off site"))
    assert binding_of(results, {"data.boundary"}).id == "data.boundary"  # type: ignore[union-attr]


def test_coverage_counts_limits_set_and_evaluated() -> None:
    results = [Result("a.a", PASS, ""), Result("a.b", UNKNOWN, ""), Result("a.c", "skip", ""),
               Result("a.d", "waived", "")]
    assert tuple(coverage_of(results)) == (2, 3)


# ------------------------------------------------------------- unknown is never a pass
def test_loihi2_mobile_variant_is_undetermined_and_exits_1() -> None:
    result = cli("check", str(PROFILES / "mobile-assistant.yaml"), "--set",
                 "deployment.hardware=loihi-2", "-f", "json")
    assert result.returncode == 1
    [profile] = json.loads(result.stdout)["profiles"]
    assert profile["verdict"] == "undetermined"
    unknown = {c["id"] for c in profile["checks"] if c["status"] == "unknown"}
    assert {"compute.memory_fit", "compute.tpot", "energy.battery_life"} <= unknown
    assert profile["coverage"]["evaluated"] < profile["coverage"]["limits_set"]
    assert profile["binding_constraint"] in unknown


def test_three_line_profile_does_not_pass(tmp_path: Path) -> None:
    profile = tmp_path / "three.yaml"
    profile.write_text("aiceiling: 1\nworkload: {kind: llm-inference, model: llama-3.1-8b}\n"
                       "deployment: {placement: on-prem, hardware: l40s}\n", encoding="utf-8")
    result = cli("check", str(profile), "-f", "json")
    [report] = json.loads(result.stdout)["profiles"]
    assert report["verdict"] == "undetermined"
    assert result.returncode == 1
    table = cli("check", str(profile)).stdout
    assert "coverage: 1 of 3 checks whose limit the profile sets were evaluated" in \
        " ".join(table.split())


# ------------------------------------------------------------------- installed power
def test_hyperscale_site_provisions_its_racks() -> None:
    """576 GB200 NVL72 racks at their 120 kW rating (Introl; NVIDIA) × PUE 1.2 ≈ 83 MW,
    whatever the traffic; energy accrues on the average draw, which is lower."""
    report = api.check_file(str(PROFILES / "hyperscale-ai-facility.yaml"), augment=False)
    est = report.estimates
    assert est.get("installed_it_power_kw") == pytest.approx(576 * 120, rel=1e-9)
    assert est.get("facility_power_kw") == pytest.approx(576 * 120 * 1.2, rel=1e-9)
    average = est.get("average_it_power_kw")
    assert average is not None and average < 576 * 120
    grid = {r.id: r for r in report.results}["physical.grid_capacity"]
    assert grid.value == pytest.approx(82.944, rel=1e-9) and grid.status == FAIL


def test_hyperscale_table_shows_megawatts() -> None:
    result = cli("check", str(PROFILES / "hyperscale-ai-facility.yaml"))
    assert "82.9 / 100 MW" in result.stdout
    assert "k kW" not in result.stdout and "∞" not in result.stdout


def test_on_prem_l40s_gets_power_and_rack_checks() -> None:
    """No published L40S server power: accelerators + the generic DGX-derived host ratio
    0.82 × TDP (stated under defaults) — 2 × 350 W × 1.82 = 1.274 kW installed."""
    report = api.check_file(str(ROOT / "tests" / "data" / "radiology-l40s.yaml"),
                            ["site.power_budget=5 kW", "site.rack_power_limit=10 kW"],
                            augment=False)
    assert report.estimates.get("installed_it_power_kw") == pytest.approx(1.274, rel=1e-9)
    statuses = {r.id: r.status for r in report.results}
    assert statuses["energy.power_budget"] == PASS
    assert statuses["physical.rack_density"] == PASS
    assert any(a.field == "host nameplate per W of TDP" for a in report.estimates.assumptions)


def test_cloud_region_uses_provider_pue_and_rental() -> None:
    """A GCP region takes Google's published fleet PUE 1.10 (2024 Environmental Report);
    H100 in an AWS region rents at the p5.48xlarge list 98.32 USD/h / 8."""
    gcp = api.check_file(str(PROFILES / "finance-fraud-scoring.yaml"),
                         ["deployment.region=gcp-europe-west4"], augment=False)
    assert any(a.field == "site.pue" and a.value == "1.1" for a in gcp.estimates.assumptions)
    aws = api.check_file(str(PROFILES / "finance-fraud-scoring.yaml"), augment=False)
    cost = aws.estimates.get("monthly_cost")
    assert cost == pytest.approx(8 * 12.29 * 8766 / 12, rel=1e-9)


# ------------------------------------------------------------- inputs that match nothing
def test_catalog_overlay_section_that_matches_nothing_exits_2(tmp_path: Path) -> None:
    overlay = tmp_path / "mine.yaml"
    overlay.write_text("accelerator:\n  my-npu: {memory: 16 GB}\n", encoding="utf-8")
    result = cli("check", str(ROOT / "tests" / "data" / "radiology-l40s.yaml"), "--catalog",
                 str(overlay))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"{overlay}:1:1: accelerator: no catalog section "
                                     "'accelerator'; did you mean 'accelerators'?")


# ------------------------------------------------------------------------------ display
@pytest.mark.parametrize(("value", "unit", "shown"), [
    (100_000.0, "kW", "100 MW"),
    (117_224.0, "t/year", "117,224 t/year"),
    (0.00631, "GB", "6.31 MB"),
    (7.93e-5, "ms", "79.3 ns"),
    (0.0793, "ms", "79.3 µs"),
    (120.0, "kW/rack", "120 kW/rack"),
    (38.2e6, "USD/month", "38.2 M USD/month"),
    (float("inf"), "ms", "unbounded ms"),
])
def test_figures_in_the_unit_a_person_reads(value: float, unit: str, shown: str) -> None:
    assert quantity(value, unit) == shown


def test_value_and_limit_share_the_limits_unit() -> None:
    result = Result("energy.power_budget", PASS, "", 47_865.0, 100_000.0, "kW", 0.48)
    assert value_limit(result) == "47.9 / 100 MW"
    assert compact(999_999.0) == "999,999"


# --------------------------------------------------------------------- reproducibility
def test_report_records_what_it_was_run_from(tmp_path: Path) -> None:
    overlay = tmp_path / "prices.yaml"
    overlay.write_text("accelerators:\n  l40s:\n    price: 8000 USD\n", encoding="utf-8")
    result = cli("check", str(ROOT / "tests" / "data" / "radiology-l40s.yaml"), "-f", "json",
                 "--set", "deployment.accelerators=3", "--catalog", str(overlay),
                 "--today", "2026-11-22")
    [profile] = json.loads(result.stdout)["profiles"]
    run = profile["run"]
    import hashlib

    assert run["overrides"] == ["deployment.accelerators=3"]
    assert run["today"] == "2026-11-22"
    assert run["catalogs"] == [{"path": str(overlay), "sha256": hashlib.sha256(
        overlay.read_bytes()).hexdigest()}]
    assert len(run["catalog_version"]) == 12 and run["tool_version"]
    table = cli("check", str(ROOT / "tests" / "data" / "radiology-l40s.yaml"), "--set",
                "deployment.accelerators=3").stdout
    assert "--set deployment.accelerators=3" in table.splitlines()[1]
