"""Compute-side augmentation paths: scale-out in a valid layout, power capping, 2:4
structured sparsity, and neuromorphic hardware (listed, never verified).

Each path is a small function of the :class:`~aiceiling.augment.paths.Situation` that
yields changed copies of the profile; the planner re-evaluates every one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from aiceiling.augment.paths import Candidate, Situation, changed, price_text
from aiceiling.catalog import Figure, figure
from aiceiling.physics import calibration

NODE = 8            # accelerators in one HGX/DGX-class node: the tensor-parallel domain
_SERVING = ("llm-inference", "inference")
_BITS = {"fp32": 32, "tf32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "fp4": 4,
         "int4": 4}


def _tensor_parallel(heads: int | None, accelerators: int, limit: int) -> int:
    """The widest tensor-parallel degree ≤ ``limit`` that divides both the accelerators and
    the attention heads (Megatron-LM splits heads across ranks; Shoeybi et al. 2019)."""
    for tp in range(min(limit, accelerators), 0, -1):
        if accelerators % tp == 0 and (heads is None or heads % tp == 0):
            return tp
    return 1


def scale_out(s: Situation) -> Iterator[Candidate]:
    """More accelerators of the same kind in a valid layout. A model that does not fit, or
    decodes too slowly, is first offered one node's worth with tensor parallelism across
    the node (the layout serving stacks use); a throughput shortfall gets more replicas of
    the layout it has."""
    p, hw = s.profile, s.resolved.hardware
    if hw is None or p.workload.kind not in (*_SERVING, "training", "fine-tuning"):
        return
    memory = s.failing("compute.memory_fit")
    latency = s.failing("compute.tpot", "compute.ttft", "compute.latency_e2e")
    volume = s.failing("compute.throughput", "compute.training_time")
    if not (memory or latency or volume):
        return
    n = p.deployment.accelerators
    heads = s.resolved.model.heads
    group = int(s.facts.get("group") or p.deployment.tensor_parallel or 1)
    node = min(hw.node_size or NODE, NODE)  # TP stays inside an 8-GPU NVLink node
    extra = (f"{price_text(s.catalog, hw.id, 0)}", "more power, racks and cooling")
    if (memory or latency) and group < node:
        target = max(node, math.ceil(n / node) * node)
        tp = _tensor_parallel(heads, target, node)
        data, changes = changed(s.data, {"deployment.accelerators": target,
                                         "deployment.tensor_parallel": tp})
        yield Candidate(
            "scale-out-node", f"one node's worth: {target}× {hw.id}, tensor parallel {tp} "
            f"(was {n}, {group} per replica)", data, changes,
            ("compute.memory_fit", "compute.tpot", "compute.ttft", "compute.throughput"),
            (price_text(s.catalog, hw.id, target - n, more=True), extra[1]), 1)
    if volume:
        shares = [s.results[i].used or 0.0 for i in ("compute.throughput",
                                                     "compute.training_time")
                  if i in s.results and s.results[i].status in ("fail", "warn")]
        share = max(shares) if shares else 1.0
        step = max(group, 1)
        target = max(n + step, math.ceil(n * share * 1.25 / step) * step)
        edits: dict[str, Any] = {"deployment.accelerators": target}
        if p.workload.kind in _SERVING:
            edits["deployment.tensor_parallel"] = step
        data, changes = changed(s.data, edits)
        yield Candidate("more-accelerators", f"{target}× {hw.id} instead of {n} "
                        f"({step} per replica, {target // step} replicas)", data, changes,
                        ("compute.throughput", "compute.training_time"),
                        (price_text(s.catalog, hw.id, target - n, more=True), extra[1]), 1)


def capped_throughput(cap_w: float, tdp_w: float, compute_util: float,
                      memory_util: float) -> float:
    """Share of its throughput an accelerator keeps under a board power cap. [-]

    From the calibrated power model P/TDP = min(1, idle + a·u_compute + b·u_memory)
    (``aiceiling.physics.power.accelerator_power``): the dynamic part above the fitted floor
    scales with the work done per second, so a cap that leaves (cap/TDP − idle) of the
    (P/TDP − idle) the operating point needs scales the work rate by that ratio:
    factor = min(1, (cap/TDP − idle) / (min(1, idle + a·u_c + b·u_m) − idle)).
    Linear in the dynamic power, so conservative: voltage falls with clock under DVFS and
    real GPUs keep more throughput than this (MLPerf MaxQ H200 runs at a 500 W cap of a
    700 W part). Constants: ``calibration.POWER_*`` (fitted to ML.ENERGY measurements).
    """
    idle = calibration.POWER_IDLE_FRACTION
    demand = min(1.0, idle + calibration.POWER_COMPUTE_WEIGHT * compute_util
                 + calibration.POWER_MEMORY_WEIGHT * memory_util)
    if demand <= idle:
        return 1.0
    return max(0.0, min(1.0, (cap_w / tdp_w - idle) / (demand - idle)))


def power_cap(s: Situation) -> Iterator[Candidate]:
    """Cap each accelerator's board power so the installed power fits the site's limit,
    and pay for it in throughput as the power model says."""
    p, hw = s.profile, s.resolved.hardware
    site = p.site
    if hw is None or hw.tdp is None or site is None or p.deployment.placement == "cloud":
        return
    facility = s.estimate("facility_power_kw")
    it = s.estimate("installed_it_power_kw") or s.estimate("it_power_kw")
    if not facility or not it:
        return
    limits = []
    if site.grid_headroom is not None and s.failing("physical.grid_capacity"):
        limits.append(site.grid_headroom / 1e3)
    if site.power_budget is not None and s.failing("energy.power_budget"):
        limits.append(site.power_budget / 1e3)
    if not limits:
        return
    n = p.deployment.accelerators
    tdp = float(hw.tdp.value)
    pue = facility / it
    target_kw = 0.95 * min(limits)  # a 5 % margin under the limit
    reduction = (it - target_kw / pue) * 1e3 / n
    current = min(p.deployment.power_cap or tdp, tdp)
    floor = 0.5 * tdp
    cap = max(floor, math.floor((current - reduction) / 10.0) * 10.0)
    if cap >= current:
        return
    busy = s.facts.get("busy_capacity") or s.facts.get("busy") or {}
    factor = capped_throughput(cap, tdp, busy.get("compute_util", 1.0),
                               busy.get("memory_util", 0.0))
    edits: dict[str, Any] = {"deployment.power_cap": f"{cap:.0f} W"}
    eff = s.facts.get("efficiency") or {}
    if factor < 1.0:
        if p.workload.kind in ("training", "fine-tuning"):
            edits["workload.efficiency.training"] = round(
                (p.workload.efficiency.training if p.workload.efficiency and
                 p.workload.efficiency.training else calibration.TRAINING_MFU) * factor, 4)
        else:
            if "compute" in eff:
                edits["workload.efficiency.compute"] = round(eff["compute"] * factor, 4)
            if "bandwidth" in eff and p.workload.kind == "llm-inference":
                edits["workload.efficiency.bandwidth"] = round(eff["bandwidth"] * factor, 4)
    data, changes = changed(s.data, edits)
    at_floor = " (the lowest cap offered: half the rated power)" if cap == floor else ""
    yield Candidate(
        "power-cap", f"cap each {hw.id} at {cap:.0f} W of {tdp:.0f} W{at_floor}", data, changes,
        ("physical.grid_capacity", "energy.power_budget"),
        (f"throughput ×{factor:.2f} at the capacity operating point (power model: dynamic "
         "power above the fitted floor scales with work; linear, so conservative)",
         "no capital cost; the cap is a driver setting (nvidia-smi -pl)"), 1)


def sparsify(s: Situation) -> Iterator[Candidate]:
    """2:4 structured sparsity: half the weights of every linear layer in the transformer
    blocks pruned, the kept half stored with 2-bit position metadata; the sparse tensor
    cores do the matmuls at the catalog's sparse peak."""
    w, model, hw = s.profile.workload, s.resolved.model, s.resolved.hardware
    needed = s.tokens_needed()
    if w.kind != "llm-inference" or model.counts is None or model.experts > 1 or \
            model.mla or hw is None or not model.has_attention_shape:
        return
    if model.sliding_window and (needed is None or needed > model.sliding_window):
        return  # an inline model has no window: exact only when the request fits in it
    if not s.failing("compute.memory_fit", "compute.tpot", "compute.ttft", "compute.throughput",
                     "energy.battery_life", "energy.power_budget", "compute.latency_e2e"):
        return
    bits = _BITS.get(w.precision, 16)
    keep = 0.5 * (1 + 2 / bits)  # half the values + a 2-bit index per kept value
    counts = model.counts
    embedding = counts.embedding
    params = 2 * embedding + counts.blocks * keep
    active = 2 * embedding + counts.blocks_active * keep
    inline = {"name": f"{model.id}-2of4", "params": f"{params:.6g}",
              "active_params": f"{active:.6g}", "layers": model.layers,
              "hidden": model.hidden, "heads": model.heads, "kv_heads": model.kv_heads,
              "head_dim": model.head_dim, "vocab": model.vocab}
    if model.max_context:
        inline["max_context"] = model.max_context
    data, changes = changed(s.data, {"workload.model": inline})
    entry = s.catalog.get("sparsity", "2:4")
    accuracy = figure(entry, "accuracy")
    risk = (f"accuracy: −{float(accuracy.value):.1%} on the OpenLLM v1 average after "
            f"retraining ({accuracy.source.title.split(':')[0]}, {accuracy.as_of}); "
            "needs a sparse fine-tune of the model" if accuracy else
            "accuracy: not catalogued")
    hw_entry = s.catalog.get("accelerators", hw.id)
    precision = "bf16" if w.precision in ("bf16", "fp16", "fp32") else w.precision
    sparse = figure(hw_entry, "sparse_peak", precision) if hw_entry else None
    dense = hw.peak.get(precision)
    why = "" if sparse and dense else \
        f"{hw.name} has no sourced 2:4 sparse peak for {precision}"
    ratio = f"sparse peak {sparse.text} = {float(sparse.value) / float(dense.value):.2g}× " \
        "dense" if sparse and dense else "no sourced sparse peak"
    yield Candidate(
        "sparsify-2of4", f"2:4 structured sparsity: {params / 1e9:.3g} B stored parameters "
        f"(of {model.params / 1e9:.3g} B; kept half + 2-bit metadata at {w.precision}); "
        f"{ratio}", data, changes,
        ("compute.memory_fit", "compute.tpot", "compute.throughput", "energy.battery_life"),
        (risk, "the matmul FLOPs are modeled as the kept weights at the dense peak "
         "(×1.125 of the sparse-peak time at 16 bits: conservative)"), 2, why)


def neuromorphic(s: Situation) -> Iterator[Candidate]:
    """Neuromorphic hardware from the catalog: listed for the power- and latency-bound rows
    the seeds name, never verified — the catalog has no throughput a transformer or CNN
    could be timed with on a spiking chip."""
    w = s.profile.workload
    if w.kind not in _SERVING or not s.failing(
            "compute.latency_e2e", "energy.battery_life", "energy.power_budget", "compute.ttft"):
        return
    # The seeds' rows for it: robotics and manufacturing control loops, mobile and IoT.
    if s.profile.industry not in ("manufacturing", "mobile-iot") and w.kind != "inference":
        return
    for key, entry in s.catalog.section("accelerators").items():
        if entry.get("class") != "neuromorphic":
            continue
        power = entry.get("typical_power")
        system = entry.get("system") or {}
        sys_power = system.get("power")
        figures = []
        if isinstance(power, Figure):
            figures.append(f"typical power {power.text} ({power.as_of})")
        if isinstance(sys_power, Figure):
            figures.append(f"{system.get('name')}: {sys_power.text} max ({sys_power.as_of})")
        data, changes = changed(s.data, {"deployment.hardware": key,
                                         "deployment.tensor_parallel": None})
        name = str(entry.get("name", key))
        yield Candidate(
            f"neuromorphic-{key}", f"{name}: event-driven, memory beside compute", data,
            changes, ("energy.battery_life", "compute.latency_e2e"),
            (*figures, "the model must be converted to a spiking network and re-validated"),
            3, f"{name} has no sourced throughput for {s.resolved.model.name} (spiking "
               "hardware publishes neurons and synaptic ops, not FLOP/s)")
