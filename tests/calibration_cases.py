"""Re-run published serving measurements through aiceiling's own profile → estimate path.

Each measurement in ``tests/data/calibration.yaml`` becomes a profile (model, hardware,
accelerators, tensor parallelism, precisions, batch, token lengths as measured); the
estimate it is compared with depends on the kind of measurement:

* decode  — ``tpot_ms`` at the measured batch vs the measured median inter-token latency;
* prefill — ``prefill_ms`` of one prompt vs the measured time to first token;
* offline — ``max_tokens_per_s`` (largest batch that fits) vs measured generated tokens/s,
            or ``tokens_per_s`` at the measured batch where the source states one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aiceiling import api
from aiceiling.catalog import Catalog
from aiceiling.profile.yamlsource import Document

DATA = Path(__file__).parent / "data" / "calibration.yaml"
# Every calibration file: calibration.yaml and the per-topic ones (calibration-moe.yaml).
FILES = sorted(DATA.parent.glob("calibration*.yaml"))


# Measurements the model is known not to explain, kept out of the fit and the tolerance
# test, each with the reason; they stay in the data and in benchmarks/calibrate.py output.
OUTLIERS = {
    "mlenergy-b200x8-deepseek-v31-bs3072": "the step does not slow from 2,042 to 3,008 "
    "sequences (187 vs 185 ms): a scheduler cap, not a kernel cost; held out of the MLA-MoE "
    "fit and 1.48x off it",
    "mlenergy-b200x1-llama31-8b-bs2048": "2043 sequences of 634+396 tokens need 266 GB of "
    "bf16 KV cache on a 180 GB B200: the prompt length (low confidence) cannot be right",
}


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    estimate_key: str
    measured: float
    profile: dict[str, Any]
    source: str
    confidence: str


def _measured(row: dict[str, Any]) -> tuple[str, float] | None:
    m = row.get("measured") or {}
    kind = row["kind"]
    accelerators = row.get("accelerators") or 1
    if kind == "decode":
        value = m.get("itl_ms_median", m.get("itl_ms"))
        return ("tpot_ms", float(value)) if value else None
    if kind == "prefill" and row.get("batch") == 1 and m.get("ttft_ms"):
        return "prefill_ms", float(m["ttft_ms"])
    if kind in ("offline", "prefill"):
        if m.get("tokens_per_s_per_gpu"):
            return ("tokens_per_s" if row.get("batch") else "max_tokens_per_s",
                    float(m["tokens_per_s_per_gpu"]) * accelerators)
        if m.get("tokens_per_s"):
            return ("tokens_per_s" if row.get("batch") else "max_tokens_per_s",
                    float(m["tokens_per_s"]))
    return None


def cases(include_outliers: bool = False) -> list[Case]:
    rows = [row for path in FILES
            for row in yaml.safe_load(path.read_text(encoding="utf-8"))["measurements"]]
    out = []
    for row in rows:
        if row["kind"] not in ("decode", "prefill", "offline") or not row.get("model"):
            continue
        if row["id"] in OUTLIERS and not include_outliers:
            continue
        target = _measured(row)
        if target is None:
            continue
        key, value = target
        n = int(row.get("accelerators") or 1)
        tp = int(row.get("tensor_parallel") or 1)
        parallel = (row.get("setup") or {}).get("parallelization") or {}
        layout = {key: row[key] for key in ("pipeline_parallel", "expert_parallel",
                                            "attention_data_parallel") if key in row}
        if int(parallel.get("expert_parallel") or 1) > 1:
            tp = n  # expert parallelism over all accelerators: one replica spans them all
        kv = row.get("kv_precision")
        kv = kv if kv in ("fp32", "bf16", "fp16", "fp8", "int8") else None
        batch = row.get("batch")
        replicas = max(1, n // tp)
        workload: dict[str, Any] = {
            "kind": "llm-inference", "model": row["model"], "precision": row["precision"],
            "prompt_tokens": max(1, round(float(row["prompt_tokens"]))),
            "output_tokens": max(1, round(float(row["output_tokens"]))),
        }
        if kv:
            workload["kv_precision"] = kv
        if batch:
            workload["traffic"] = {"requests_per_s": 0,
                                   "concurrency": max(1, round(float(batch))) * replicas}
        profile = {"aiceiling": 1, "workload": workload,
                   "deployment": {"placement": "cloud", "hardware": row["hardware"],
                                  "accelerators": n, "tensor_parallel": tp, **layout}}
        out.append(Case(row["id"], row["kind"], key, value, profile, str(row.get("source")),
                        str(row.get("confidence", ""))))
    return out


def predict(case: Case, catalog: Catalog, efficiency: dict[str, float] | None = None) -> float:
    profile = dict(case.profile)
    if efficiency:
        profile = {**profile, "workload": {**profile["workload"], "efficiency": efficiency}}
    loaded = api.load_document(Document(case.id, profile, {}), catalog=catalog)
    report = api.evaluate(loaded)
    value = report.estimates.get(case.estimate_key)
    if value is None:
        raise AssertionError(f"{case.id}: no {case.estimate_key}: {report.estimates.unknown}")
    return value


def log_error(predicted: float, measured: float) -> float:
    return math.log(predicted / measured)


@dataclass(frozen=True)
class PowerCase:
    id: str
    case: Case
    measured_w_per_gpu: float
    tdp_w: float


def power_cases() -> list[PowerCase]:
    """Decode measurements with measured GPU power (ML.ENERGY: summed over the GPUs)."""
    rows = {r["id"]: r for path in FILES for r in
            yaml.safe_load(path.read_text(encoding="utf-8"))["measurements"]}
    catalog = Catalog()
    out = []
    for case in cases():
        row = rows[case.id]
        measured = (row.get("measured") or {}).get("gpu_power_w_total")
        # The power model is fitted on dense models; the MoE runs of calibration-moe.yaml
        # keep the GPUs busy at a few % of FLOP utilization (slow kernels), outside its fit.
        if not measured or row["model"] == "deepseek-v3":
            continue
        hardware = catalog.get("accelerators", row["hardware"])
        assert hardware is not None
        out.append(PowerCase(case.id, case, float(measured) / int(row["accelerators"]),
                             float(hardware["tdp"].value)))
    return out


def predict_power(pc: PowerCase, catalog: Catalog) -> float:
    """Modeled power of one accelerator at the measured batch. [W]"""
    from aiceiling.physics import calibration, power

    loaded = api.load_document(Document(pc.id, pc.case.profile, {}), catalog=catalog)
    busy = api.evaluate(loaded).estimates.facts["busy"]
    return power.accelerator_power(pc.tdp_w, busy["compute_util"], busy["memory_util"],
                                   calibration.POWER_IDLE_FRACTION,
                                   calibration.POWER_COMPUTE_WEIGHT,
                                   calibration.POWER_MEMORY_WEIGHT)
