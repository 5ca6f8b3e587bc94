"""Every bundled example profile: its verdict, binding constraint and estimates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from aiceiling import api
from aiceiling.render import json_report

PROFILES = Path(__file__).resolve().parents[1] / "profiles"
TODAY = dt.date(2026, 11, 22)

LLM_KEYS = {"weights_gb", "kv_cache_gb", "memory_required_gb", "memory_available_gb",
            "prefill_ms", "ttft_ms", "tpot_ms", "tokens_per_s", "max_tokens_per_s",
            "max_requests_per_s", "latency_e2e_ms"}
VISION_KEYS = {"weights_gb", "memory_required_gb", "memory_available_gb", "latency_e2e_ms",
               "max_requests_per_s", "network_rtt_ms"}
TRAINING_KEYS = {"memory_required_gb", "memory_available_gb", "training_days"}
POWER_KEYS = {"accelerator_power_kw", "it_power_kw", "facility_power_kw", "energy_per_token_j",
              "accelerator_energy_per_token_j", "energy_per_request_wh", "annual_energy_mwh",
              "annual_co2_t", "annual_water_m3"}

# Each seed industry fails on the constraint the seeds name first for it.
EXPECTED = [
    # file, verdict, binding constraint, estimate keys that must be present
    ("healthcare-radiology.yaml", "infeasible", "data.boundary",
     LLM_KEYS | {"network_rtt_ms"} | POWER_KEYS),
    ("finance-fraud-scoring.yaml", "infeasible", "governance.controls",
     LLM_KEYS | {"network_rtt_ms"} | POWER_KEYS),
    ("manufacturing-vision-qc.yaml", "infeasible", "compute.latency_e2e",
     VISION_KEYS | {"accelerator_power_kw", "energy_per_request_wh"}),
    ("erp-copilot.yaml", "infeasible", "governance.controls", LLM_KEYS | POWER_KEYS),
    # Overloaded: one 150-token answer takes ~10 s on the module, one is asked every 5 s;
    # an unstable queue has no latency figures and binds on throughput.
    ("mobile-assistant.yaml", "infeasible", "compute.throughput",
     (LLM_KEYS - {"ttft_ms", "tpot_ms", "tokens_per_s", "latency_e2e_ms"})
     | {"device_runtime_h", "accelerator_power_kw", "energy_per_token_j"}),
    ("hyperscale-ai-facility.yaml", "infeasible", "physical.grid_capacity",
     LLM_KEYS | POWER_KEYS | {"rack_kw", "racks_needed", "monthly_cost"}),
    ("training-llama-70b.yaml", "infeasible", "data.sufficiency",
     TRAINING_KEYS | {"accelerator_power_kw", "it_power_kw", "annual_energy_mwh", "rack_kw"}),
    # Examples built for the planner's data, export and provider paths.
    ("healthcare-federated-finetune.yaml", "infeasible", "data.boundary",
     TRAINING_KEYS | {"accelerator_power_kw", "annual_energy_mwh"}),
    ("export-controlled-inference.yaml", "infeasible", "physical.export_control",
     LLM_KEYS | {"network_rtt_ms"}),
    ("provider-dependency-support.yaml", "infeasible", "governance.provider_dependency",
     set()),
]


def test_every_bundled_profile_is_covered() -> None:
    assert sorted(p.name for p in PROFILES.glob("*.yaml")) == sorted(e[0] for e in EXPECTED)


@pytest.mark.parametrize(("name", "verdict", "binding", "keys"), EXPECTED,
                         ids=[e[0] for e in EXPECTED])
def test_profile_verdict(name: str, verdict: str, binding: str, keys: set[str]) -> None:
    report = api.check_file(str(PROFILES / name), on=TODAY)
    assert report.verdict == verdict
    assert report.binding is not None and report.binding.id == binding
    assert keys <= set(report.estimates.values), keys - set(report.estimates.values)
    for result in report.results:
        if result.status != "skip":
            assert result.line is not None, f"{result.id} has no profile line"
        else:
            assert result.message, f"{result.id} skipped without a reason"


def test_manufacturing_fails_on_the_cloud_round_trip() -> None:
    """The seeds' manufacturing ceiling: a 10-20 ms cycle cannot wait for a cloud RTT."""
    report = api.check_file(str(PROFILES / "manufacturing-vision-qc.yaml"), on=TODAY)
    network = report.estimates.get("network_rtt_ms")
    e2e = report.estimates.get("latency_e2e_ms")
    assert network is not None and e2e is not None
    assert network / e2e > 0.9  # the network, not the model, is the latency


def test_json_is_byte_identical_across_runs() -> None:
    paths = sorted(str(p) for p in PROFILES.glob("*.yaml"))
    first = json_report.render([api.check_file(p, on=TODAY) for p in paths])
    second = json_report.render([api.check_file(p, on=TODAY) for p in paths])
    assert first == second
