"""Augmentation paths: each seed industry gets the seeds' path, and it flips the first
constraint; feasible profiles get none; the input is never changed."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from aiceiling import api
from aiceiling.augment import plan
from aiceiling.catalog import Catalog

PROFILES = Path(__file__).resolve().parents[1] / "profiles"
TODAY = dt.date(2026, 11, 22)
CATALOG = Catalog()


def planned(name: str) -> api.Report:
    return api.check_file(str(PROFILES / name), catalog=CATALOG, on=TODAY)


@pytest.mark.parametrize(("name", "paths", "constraint", "why"), [
    ("healthcare-radiology.yaml", ("edge-", "federated", "hybrid"), "data.boundary",
     "edge AI keeps PHI on site"),
    ("manufacturing-vision-qc.yaml", ("edge-",), "compute.latency_e2e",
     "edge AI meets the 15 ms cycle"),
    ("finance-fraud-scoring.yaml", ("dedicated-accelerators", "deterministic-core"),
     "governance.determinism", "dedicated accelerators or a deterministic core"),
    ("erp-copilot.yaml", ("add-controls",), "governance.controls",
     "the controls, or a trust fabric that provides them"),
])
def test_seed_paths_flip_the_first_constraint(name: str, paths: tuple[str, ...],
                                              constraint: str, why: str) -> None:
    report = planned(name)
    assert report.plan is not None
    offered = [a for a in report.plan.augmentations
               if any(a.path.startswith(p) or f"+{p}" in a.path for p in paths)]
    assert offered, f"{why}: offered {[a.path for a in report.plan.augmentations]}"
    assert any(constraint in a.flips and a.verdict_after in ("feasible", "at-risk",
                                                             "undetermined")
               for a in offered), why


def test_best_path_for_healthcare_is_on_site() -> None:
    best = planned("healthcare-radiology.yaml").plan.augmentations[0]
    assert best.path.startswith("edge-")
    assert best.verdict_after in ("feasible", "undetermined")
    assert not best.regressions
    fields = {c.field: c.after for c in best.changes}
    assert fields["deployment.placement"] == "edge"


def test_every_infeasible_profile_gets_a_path_or_a_named_blocker() -> None:
    for path in sorted(PROFILES.glob("*.yaml")):
        report = api.check_file(str(path), catalog=CATALOG, on=TODAY)
        if report.verdict == "feasible":
            continue
        assert report.plan is not None
        gets_under = any(a.verdict_after in ("feasible", "at-risk", "undetermined")
                         and not a.regressions
                         for a in report.plan.augmentations)
        assert gets_under or report.plan.blocked_by, path.name


def test_mobile_smaller_model_clears_the_overload() -> None:
    """The seeds' mobile path: a smaller model answers within the arrival interval (Phi-3
    mini takes ~10 s per answer, one is asked every 5 s: an unstable queue) and spends less
    energy per answer. The module is then busy most of the shift at batch 1, so the battery
    binds next. int4 on a part whose only sourced peak is INT8 is offered but cannot be
    verified."""
    report = planned("mobile-assistant.yaml")
    smaller = [a for a in report.plan.augmentations if a.path.startswith("model-")]
    assert smaller
    assert {"compute.throughput", "compute.ttft", "compute.tpot"} <= set(smaller[0].flips)
    assert smaller[0].binding_after == "energy.battery_life"
    quantized = [a for a in report.plan.augmentations if a.path.startswith("quantize-")]
    assert quantized and all(any(r.startswith("unverified") for r in a.regressions)
                             for a in quantized)


def test_hyperscale_grid_needs_a_smaller_draw() -> None:
    """The grid binds: a path either cuts the draw below the headroom, or nothing does."""
    report = planned("hyperscale-ai-facility.yaml")
    fixes = [a for a in report.plan.augmentations
             if "physical.grid_capacity" in (*a.flips, *a.eased)]
    # Installed power does not follow the model: every rack stays (SPEC §5), so a smaller
    # model no longer "eases" the grid; a path that fixes the grid must cut what is installed.
    assert fixes or report.plan.blocked_by == "physical.grid_capacity" or \
        not report.plan.augmentations


def test_feasible_profile_gets_no_paths() -> None:
    report = api.check_file(str(PROFILES / "erp-copilot.yaml"), catalog=CATALOG, on=TODAY,
                            overrides=["governance.provides=[identity, audit-trail, permissions, "
                                       "sox, segregation-of-duties]",
                                       "budget.rental=8 USD/h"])
    assert report.verdict == "feasible"
    assert report.plan is None


def test_paths_never_mutate_the_input() -> None:
    path = PROFILES / "finance-fraud-scoring.yaml"
    before_bytes = path.read_bytes()
    loaded = api.load_profile(str(path), catalog=CATALOG)
    data = copy.deepcopy(loaded.document.data)
    report = api.evaluate(loaded, on=TODAY)
    result = plan(loaded, report, on=TODAY)
    assert result.augmentations
    assert loaded.document.data == data
    assert path.read_bytes() == before_bytes


def test_quantization_tradeoff_is_sourced() -> None:
    aug = next(a for a in planned("mobile-assistant.yaml").plan.augmentations
               if a.path == "quantize-int4")
    assert "perplexity" in aug.tradeoffs[0] and "AWQ" in aug.tradeoffs[0]


def test_augmentations_in_json() -> None:
    import json

    from aiceiling.render import json_report

    document = json.loads(json_report.render([planned("manufacturing-vision-qc.yaml")]))
    augmentations = document["profiles"][0]["augmentations"]
    assert augmentations
    first = augmentations[0]
    assert set(first) >= {"path", "changes", "flips", "verdict_after", "tradeoffs"}
    assert "compute.latency_e2e" in first["flips"]


def test_power_cap_is_a_positive_power() -> None:
    from aiceiling.errors import InputError

    path = str(PROFILES / "hyperscale-ai-facility.yaml")
    loaded = api.load_profile(path, ["deployment.power_cap=500 W"], catalog=CATALOG)
    assert loaded.profile.deployment.power_cap == 500.0
    for bad, message in (("0 W", "greater than 0"), ("5 ms", "is a time")):
        with pytest.raises(InputError) as caught:
            api.load_profile(path, [f"deployment.power_cap={bad}"], catalog=CATALOG)
        assert "deployment.power_cap" in str(caught.value) and message in str(caught.value)
