"""The planner against every ceiling: each failing check family has a path that flips it on
an example built to fail it; ranking is monotone in the verdict; nothing is proposed that
cannot serve the request; each bundled example's binding check and first path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from aiceiling import api
from aiceiling.augment import compute, infra
from aiceiling.augment.paths import Situation
from aiceiling.catalog import Catalog, figure

PROFILES = Path(__file__).resolve().parents[1] / "profiles"
TODAY = dt.date(2026, 11, 22)
CATALOG = Catalog()
RANK = {"feasible": 0, "at-risk": 1, "undetermined": 2, "infeasible": 3}
CONTROLS_OK = "governance.provides=[identity, permissions, audit-trail, sox, " \
    "segregation-of-duties]"


def checked(name: str, *overrides: str) -> api.Report:
    return api.check_file(str(PROFILES / name), list(overrides), catalog=CATALOG, on=TODAY)


def situation(name: str, *overrides: str) -> Situation:
    loaded = api.load_profile(str(PROFILES / name), list(overrides), catalog=CATALOG)
    report = api.evaluate(loaded, on=TODAY)
    return Situation(loaded.document.data, loaded.profile, loaded.resolved,
                     {r.id: r for r in report.results}, CATALOG, report.estimates.facts,
                     {k: v.value for k, v in report.estimates.values.items()}, TODAY)


def _verified(aug: object) -> bool:
    return not any(r.startswith("unverified") for r in aug.regressions)  # type: ignore[attr-defined]


# family, check id, example (profile + overrides that make it fail that check), the path
# (or one of the paths) expected to flip it, why.
FAMILIES = [
    ("grid", "physical.grid_capacity", ("hyperscale-ai-facility.yaml",), ("phase-to-headroom",),
     "the seeds' hyperscale case: build what the 40 MW carries now"),
    ("water", "physical.water", ("hyperscale-ai-facility.yaml", "site.water_budget=100 m3/day"),
     ("water-closed-loop-dry", "water-reclaimed"), "no evaporated water for cooling"),
    ("lead time", "compute.availability", ("training-llama-70b.yaml", "deployment.hardware=b200"),
     ("accelerator-in-time",), "Blackwell is booked out 12 months; H100 servers ship in 10 "
     "weeks"),
    ("lead time (rent)", "compute.availability",
     ("training-llama-70b.yaml", "schedule.hardware_lead_time=52 weeks",
      "budget.rental=2.5 USD/h"), ("rent-the-gap",),
     "rent capacity until the hardware arrives"),
    ("rack space", "physical.rack_space", ("training-llama-70b.yaml", "site.racks_available=100"),
     ("more-racks", "cooling-", "denser-"), "more positions or denser racks"),
    # At one question every 20 s (not the example's 5 s, which overloads the module) the
    # battery is what fails.
    ("battery", "energy.battery_life",
     ("mobile-assistant.yaml", "workload.traffic.requests_per_s=0.05"), ("model-",),
     "the seeds' mobile path: a smaller model"),
    ("tpot", "compute.tpot",
     ("erp-copilot.yaml", "deployment.accelerators=4", "deployment.tensor_parallel=4",
      "workload.latency.tpot=30 ms", CONTROLS_OK),
     ("more-accelerators", "scale-out-node", "accelerator-"), "more or faster accelerators"),
    ("memory", "compute.memory_fit",
     ("erp-copilot.yaml", "deployment.accelerators=1", "deployment.tensor_parallel=null",
      CONTROLS_OK), ("scale-out-node",), "70B in bf16 does not fit one H100: one HGX node"),
    ("boundary", "data.boundary", ("healthcare-radiology.yaml",), ("edge-",),
     "the seeds' healthcare path: edge AI"),
    ("boundary (training)", "data.boundary", ("healthcare-federated-finetune.yaml",),
     ("federated",), "the seeds' healthcare path: federated learning"),
    ("residency", "data.residency", ("erp-copilot.yaml", "data.residency=[DE]",
                                      "data.origin_country=DE", CONTROLS_OK),
     ("region-",), "a region in the allowed jurisdiction"),
    ("export", "physical.export_control", ("export-controlled-inference.yaml",), ("region-",),
     "a region where no licence is needed"),
    ("controls", "governance.controls", ("erp-copilot.yaml",),
     ("add-controls", "hybrid-governed-core"), "the seeds' ERP path: trust fabric or core"),
    ("determinism", "governance.determinism", ("finance-fraud-scoring.yaml",),
     ("dedicated-accelerators", "hybrid-deterministic-core", "deterministic-core"),
     "the seeds' finance path: accelerators or a hybrid deterministic core"),
    ("provider", "governance.provider_dependency", ("provider-dependency-support.yaml",),
     ("second-provider",), "a second provider or a local model"),
]


@pytest.mark.parametrize(("family", "check", "example", "paths", "why"), FAMILIES,
                         ids=[f[0] for f in FAMILIES])
def test_every_failing_family_has_a_path_that_flips_it(
        family: str, check: str, example: tuple[str, ...], paths: tuple[str, ...],
        why: str) -> None:
    report = checked(*example)
    status = {r.id: r.status for r in report.results}
    assert status[check] == "fail", f"the {family} example must fail {check}"
    assert report.plan is not None
    fixing = [a for a in report.plan.augmentations
              if check in (*a.flips, *a.eased) and _verified(a) and
              any(part.startswith(paths) for part in a.path.split("+"))]
    assert fixing, f"{why}: offered {[a.path for a in report.plan.augmentations]}"


def _all_reports() -> list[api.Report]:
    reports = [checked(p.name) for p in sorted(PROFILES.glob("*.yaml"))]
    return reports + [checked(*f[2]) for f in FAMILIES if len(f[2]) > 1]


def test_ranking_is_monotone_in_the_verdict() -> None:
    """A path never ranks above one with a better verdict; unverified paths are never
    better than undetermined."""
    seen = 0
    for report in _all_reports():
        if report.plan is None:
            continue
        ranks = [RANK[a.verdict_after] for a in report.plan.augmentations]
        assert ranks == sorted(ranks), (report.name, [(a.path, a.verdict_after)
                                                      for a in report.plan.augmentations])
        for aug in report.plan.augmentations:
            if not _verified(aug):
                assert aug.verdict_after in ("undetermined", "infeasible"), aug.path
        seen += len(ranks)
    assert seen > 30


# Every bundled example: its binding check and the path the planner puts first.
FIRST = [
    # add-controls leaves the cost unknown (no sourced Azure H100 rental): undetermined after,
    # so the governed core, feasible after, ranks first.
    ("erp-copilot.yaml", "governance.controls", ("add-controls", "hybrid-governed-core")),
    ("export-controlled-inference.yaml", "physical.export_control", "region-"),
    # Dedicated batch-1 accelerators need headroom for their queueing spread (M/G/c): the
    # extra accelerators cost carbon, so the smaller model ranks first.
    ("finance-fraud-scoring.yaml", "governance.controls", "model-llama-3.2-1b+add-controls"),
    ("healthcare-federated-finetune.yaml", "data.boundary", "federated"),
    ("healthcare-radiology.yaml", "data.boundary", "edge-l40s"),
    ("hyperscale-ai-facility.yaml", "physical.grid_capacity", "phase-to-headroom"),
    ("manufacturing-vision-qc.yaml", "compute.latency_e2e", "edge-"),
    # Overloaded (one 10-s answer asked every 5 s): throughput binds, and no catalogued
    # path both keeps up and lasts the shift on the battery.
    ("mobile-assistant.yaml", "compute.throughput", None),
    ("provider-dependency-support.yaml", "governance.provider_dependency", "second-provider"),
    ("training-llama-70b.yaml", "data.sufficiency", "smaller-model-"),
]


def test_every_bundled_example_has_an_expected_first_path() -> None:
    assert sorted(p.name for p in PROFILES.glob("*.yaml")) == [f[0] for f in FIRST]


@pytest.mark.parametrize(("name", "binding", "first"), FIRST, ids=[f[0] for f in FIRST])
def test_binding_check_and_first_path(name: str, binding: str,
                                      first: str | tuple[str, ...] | None) -> None:
    report = checked(name)
    assert report.binding is not None and report.binding.id == binding
    assert report.plan is not None and report.plan.augmentations
    if first is None:
        assert report.plan.blocked_by == "energy.battery_life"
        return
    best = report.plan.augmentations[0]
    assert best.path.startswith(first), [a.path for a in report.plan.augmentations]
    # undetermined: the path fixes what failed, a limit nobody could evaluate remains
    # (healthcare on site: no sourced L40S price in the budget's EUR).
    assert best.verdict_after in ("feasible", "at-risk", "undetermined") and _verified(best)


def test_no_path_offers_a_model_that_cannot_hold_the_request() -> None:
    """A 12k-token prompt is never offered a 4k-context model (Llama 2, Phi-3 mini 4k)."""
    report = checked("erp-copilot.yaml", "workload.prompt_tokens=12000",
                     "deployment.accelerators=2", "deployment.tensor_parallel=null")
    assert report.plan is not None
    offered = [c.after for a in report.plan.augmentations for c in a.changes
               if c.field == "workload.model" and isinstance(c.after, str)]
    for model in offered:
        context = CATALOG.get("models", model).get("max_context")  # type: ignore[union-attr]
        assert context is None or context >= 12400, model
    # and the candidates a path would have offered were filtered before re-evaluation
    from aiceiling.augment.paths import smaller_model

    s = situation("erp-copilot.yaml", "workload.prompt_tokens=12000")
    assert all("llama-2" not in c.path and "phi-3" not in c.path for c in smaller_model(s))


def test_a_70b_model_that_does_not_fit_two_h100s_is_offered_one_node() -> None:
    report = checked("erp-copilot.yaml", "deployment.accelerators=2",
                     "deployment.tensor_parallel=null", CONTROLS_OK)
    assert report.plan is not None
    node = next(a for a in report.plan.augmentations if a.path.startswith("scale-out-node"))
    changes = {c.field: c.after for c in node.changes}
    assert changes["deployment.accelerators"] == 8
    assert changes["deployment.tensor_parallel"] == 8   # 64 heads / 8 ranks; one NVLink node
    assert "compute.memory_fit" in node.flips


@pytest.mark.parametrize(("heads", "accelerators", "limit", "tp"), [
    (64, 8, 8, 8),     # Llama 3.1 70B on one HGX node
    (28, 8, 8, 4),     # Qwen2.5 7B: 28 heads do not split 8 ways
    (32, 12, 8, 4),    # 12 accelerators: the widest divisor of both within the node
    (None, 6, 8, 6),
])
def test_tensor_parallel_divides_heads_and_accelerators(heads: int | None, accelerators: int,
                                                        limit: int, tp: int) -> None:
    assert compute._tensor_parallel(heads, accelerators, limit) == tp


@pytest.mark.parametrize(("cap", "u_compute", "u_memory", "factor"), [
    (700, 0.5, 0.3, 1.0),                 # no cap below the rated power
    (490, 0.5, 0.3, (0.7 - 0.42) / (1 - 0.42)),       # saturated: P/TDP = 1
    (560, 0.1, 0.6, (0.8 - 0.42) / (0.105 + 0.30)),   # demand 0.825 of TDP
    (600, 0.05, 0.2, 1.0),                # demand 0.6725 < cap 0.857: no cost
])
def test_power_cap_throughput_from_the_power_model(cap: float, u_compute: float,
                                                   u_memory: float, factor: float) -> None:
    """factor = (cap/TDP − idle) / (min(1, idle + a·u_c + b·u_m) − idle), with the calibrated
    idle 0.42, a 1.05, b 0.50 (ML.ENERGY fit) on a 700 W H100."""
    assert compute.capped_throughput(cap, 700.0, u_compute, u_memory) == \
        pytest.approx(factor, rel=1e-9)


def test_power_cap_path_pays_in_throughput() -> None:
    s = situation("hyperscale-ai-facility.yaml")
    (cap,) = compute.power_cap(s)
    changes = {c.field: c.after for c in cap.changes}
    watts = float(changes["deployment.power_cap"].split()[0])
    assert 600 <= watts < 1200   # GB200 rated 1,200 W; never below half of it
    assert "throughput ×" in cap.tradeoffs[0]


def test_sparsity_keeps_half_the_block_weights_plus_metadata() -> None:
    s = situation("erp-copilot.yaml", "deployment.accelerators=4",
                  "deployment.tensor_parallel=4", "workload.latency.tpot=30 ms", CONTROLS_OK)
    (sparse,) = compute.sparsify(s)
    model = s.resolved.model
    assert model.counts is not None
    inline = {c.field: c.after for c in sparse.changes}["workload.model"]
    expected = 2 * model.counts.embedding + model.counts.blocks * 0.5 * (1 + 2 / 16)
    assert float(inline["params"]) == pytest.approx(expected, rel=1e-5)
    assert "1.6%" in sparse.tradeoffs[0]      # Sparse Llama 3.1 8B: 98.37 % recovery
    assert not sparse.unverified               # H100 has a sourced 2:4 sparse bf16 peak
    assert "sparse peak 1978.9 TFLOP/s = 2× dense" in sparse.summary


def test_moe_swaps_keep_their_label() -> None:
    report = checked("erp-copilot.yaml", "deployment.accelerators=4",
                     "deployment.tensor_parallel=4", "workload.latency.tpot=30 ms", CONTROLS_OK)
    assert report.plan is not None
    moe = [a for a in report.plan.augmentations if a.path == "model-mixtral-8x7b"]
    assert moe and moe[0].summary.startswith("sparse MoE model")


def test_neuromorphic_is_listed_never_as_a_fix() -> None:
    report = checked("manufacturing-vision-qc.yaml")
    assert report.plan is not None
    loihi = [a for a in report.plan.augmentations if a.path.startswith("neuromorphic-")]
    assert loihi, [a.path for a in report.plan.augmentations]
    assert loihi[0].verdict_after == "undetermined"
    assert any("no sourced throughput" in r for r in loihi[0].regressions)
    assert report.plan.augmentations.index(loihi[0]) > 0


@pytest.mark.parametrize(("name", "check", "path"), [
    ("erp-copilot.yaml", "governance.controls", "hybrid-governed-core"),
    ("finance-fraud-scoring.yaml", "governance.determinism", "hybrid-deterministic-core"),
    ("finance-fraud-scoring.yaml", "governance.controls", "hybrid-deterministic-core"),
])
def test_hybrid_paths_reachable_from_the_checks_they_relieve(name: str, check: str,
                                                             path: str) -> None:
    report = checked(name)
    assert report.plan is not None
    assert any(a.path == path and check in a.flips for a in report.plan.augmentations)


def test_hybrid_latency_split_for_a_cloud_round_trip() -> None:
    report = checked("manufacturing-vision-qc.yaml")
    assert report.plan is not None
    assert any(a.path == "hybrid-local-latency" and "compute.latency_e2e" in a.flips
               for a in report.plan.augmentations)


def test_phasing_states_what_goes_live_when() -> None:
    report = checked("hyperscale-ai-facility.yaml")
    assert report.plan is not None
    phase = report.plan.augmentations[0]
    assert "phase 2" in phase.summary and "2028-05-01" in phase.summary  # order + 18 months
    changes = {c.field: c.after for c in phase.changes}
    assert changes["deployment.accelerators"] % 72 == 0   # whole NVL72 racks


def test_every_path_states_its_costs() -> None:
    report = checked("hyperscale-ai-facility.yaml", "site.water_budget=100 m3/day")
    assert report.plan is not None
    for aug in report.plan.augmentations:
        assert aug.tradeoffs, aug.path
    water = next(a for a in report.plan.augmentations if "water-" in a.path)
    assert any(t.startswith("water −") for t in water.tradeoffs)


def test_onsite_generation_too_late_for_go_live_is_an_upgrade() -> None:
    """Reciprocating engines (12-18 months, sourced) cannot be built in the 11 months to
    go-live: the path models them as a capacity addition with that lead time."""
    s = situation("hyperscale-ai-facility.yaml")
    engines = next(c for c in infra.onsite_generation(s)
                   if c.path == "onsite-reciprocating-engines")
    assert {c.field: c.after for c in engines.changes} == \
        {"site.grid_upgrade_lead_time": "15 months"}


@pytest.mark.parametrize(("accelerator", "lead", "as_of"), [
    ("b200", "12 months", "2024-10"),
    ("gb200", "12 months", "2024-10"),
    ("mi300x", "26 weeks", "2024-07"),
    ("h100-sxm", "10 weeks", "2024-04"),
])
def test_lead_times_are_sourced_and_dated(accelerator: str, lead: str, as_of: str) -> None:
    fig = figure(CATALOG.get("accelerators", accelerator), "lead_time")
    assert fig is not None and fig.text == lead and fig.as_of == as_of and fig.source.url


def test_rack_packing_respects_rack_units_and_power() -> None:
    """DGX H100: 10.2 kW and 8U. A 100 kW rack holds 9 by power but 5 by height (42U)."""
    report = checked("training-llama-70b.yaml", "site.rack_power_limit=100 kW",
                     "site.cooling=direct-liquid")
    assert report.estimates.get("rack_kw") == pytest.approx(5 * 10.2)
    assert report.estimates.get("racks_needed") == 103   # 512 systems / 5


def test_renting_the_gap_states_its_cost() -> None:
    """52 weeks of lead time against 3.94 months to go-live: 8.02 months of rental."""
    report = checked("training-llama-70b.yaml", "schedule.hardware_lead_time=52 weeks",
                     "budget.rental=2.5 USD/h")
    assert report.plan is not None
    rent = next(a for a in report.plan.augmentations if "rent-the-gap" in a.path)
    gap_hours = (52 * 7 / 30.436875 - (dt.date(2027, 3, 1) - dt.date(2026, 11, 1)).days
                 / 30.436875) * 30.436875 * 24
    cost = f"{2.5 * gap_hours * 4096:,.0f} USD"
    assert any(t.startswith("rent 4096× h100-sxm") and t.endswith(cost)
               for t in rent.tradeoffs), rent.tradeoffs


def test_neuromorphic_candidates_carry_their_sourced_figures() -> None:
    s = situation("manufacturing-vision-qc.yaml")
    offered = {c.path: c for c in compute.neuromorphic(s)}
    assert set(offered) == {"neuromorphic-loihi-2", "neuromorphic-akida-akd1000"}
    assert any("Hala Point" in t and "2600 W" in t
               for t in offered["neuromorphic-loihi-2"].tradeoffs)
    assert "typical power 30 mW (2022-01)" in offered["neuromorphic-akida-akd1000"].tradeoffs
    assert all(c.unverified for c in offered.values())


def test_flexible_interconnection_for_training_pays_in_time() -> None:
    """Training can pause at grid peaks: 0.5 % of the year (Duke 2025) curtailed, MFU
    scaled by 0.995; serving with latency budgets is never offered it."""
    report = checked("training-llama-70b.yaml", "site.grid_headroom=3 MW")
    assert report.plan is not None
    flex = next(a for a in report.plan.augmentations if "flexible-interconnection" in a.path)
    changes = {c.field: c.after for c in flex.changes}
    assert changes["workload.efficiency.training"] == pytest.approx(0.40 * 0.995)
    assert "physical.grid_capacity" in (*flex.flips, *flex.eased)
    assert not list(infra.flexible_load(situation("hyperscale-ai-facility.yaml")))
    assert not [c for c in infra.onsite_generation(situation("training-llama-70b.yaml",
                                                             "site.grid_headroom=3 MW"))
                if c.path == "onsite-batteries"]   # no peak to shave in a steady load


def test_onsite_generation_in_time_raises_the_headroom() -> None:
    """With go-live 19 months out, reciprocating engines (15 months) are built in time and
    the headroom covers the facility; their carbon is not sourced, so with a carbon budget
    set the path is listed as unverifiable, never as a fix."""
    s = situation("hyperscale-ai-facility.yaml", "schedule.go_live=2028-06-01")
    engines = next(c for c in infra.onsite_generation(s)
                   if c.path == "onsite-reciprocating-engines")
    changes = {c.field: c.after for c in engines.changes}
    facility_mw = s.values["facility_power_kw"] / 1e3
    assert float(changes["site.grid_headroom"].split()[0]) == pytest.approx(facility_mw,
                                                                             rel=1e-3)
    assert "no sourced carbon intensity" in engines.unverified


def test_fuel_cells_blend_their_sourced_carbon_into_the_grid_mix() -> None:
    s = situation("hyperscale-ai-facility.yaml")
    cells = next(c for c in infra.onsite_generation(s) if c.path == "onsite-fuel-cells")
    changes = {c.field: c.after for c in cells.changes}
    facility = s.values["facility_power_kw"]
    share = (facility - 40_000) / facility
    grid = s.values["annual_co2_t"] / s.values["annual_energy_mwh"] * 1e3
    blended = grid * (1 - share) + 350.6 * share      # 773 lb/MWh, Bloom's published figure
    assert float(changes["energy.carbon_intensity"].split()[0]) == pytest.approx(blended,
                                                                                 rel=1e-3)
    assert "no sourced lead time" in cells.unverified


@pytest.mark.parametrize(("water_budget", "expected"), [
    ("750 m3/day", "relocate-aws-me-central-1"),  # grid binds: a UAE region, stress stated
    ("100 m3/day", None),                        # water binds: never to 'extremely high' stress
])
def test_relocation_reads_the_countrys_water_stress(water_budget: str,
                                                    expected: str | None) -> None:
    """WRI Aqueduct 2023: the UAE scores 5/5 baseline water stress."""
    s = situation("hyperscale-ai-facility.yaml", "deployment.country=AE",
                  "data.residency=[AE]", f"site.water_budget={water_budget}")
    offered = list(infra.relocate(s))
    if expected is None:
        assert offered == []
    else:
        assert [c.path for c in offered] == [expected]
        assert "country water stress 5/5" in " ".join(offered[0].tradeoffs)


def test_denser_systems_bring_their_cooling_and_rack_power() -> None:
    """4,096 H100 in 512 DGX (8U, 10.2 kW) need 103 racks; 57 GB200 NVL72 racks hold 4,104
    GPUs, liquid-cooled at ~120 kW a rack."""
    s = situation("training-llama-70b.yaml", "site.racks_available=100")
    (denser,) = infra.denser_systems(s)
    changes = {c.field: c.after for c in denser.changes}
    assert changes == {"deployment.hardware": "gb200", "deployment.accelerators": 4104,
                       "site.cooling": "direct-liquid", "site.rack_power_limit": "120 kW"}
    assert "lead time 12 months (2024-10)" in denser.tradeoffs
