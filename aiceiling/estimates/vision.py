"""Non-LLM inference (vision, speech): a fixed cost per call plus a roofline over the
request's FLOPs and the weights."""

from __future__ import annotations

import math

from aiceiling.estimates import network
from aiceiling.estimates.base import GB, MS, Ctx, ref
from aiceiling.physics import calibration, inference, memory


def estimate(ctx: Ctx) -> None:
    p, model, hw = ctx.profile, ctx.model, ctx.hardware
    flops = model.flops_per_request
    if flops is None:
        ctx.out.unknown["flops"] = f"model {model.name!r} has no sourced FLOPs per request"
        return
    precision = p.workload.precision
    weights = memory.weight_bytes(model.params, 0.0, precision)
    ctx.out.add("weights_gb", weights / GB, "GB", "parameters × bytes per weight",
                 {"parameters": f"{model.params / 1e6:.4g} M", "precision": precision},
                 model.references)
    rtt = network.estimate(ctx)
    if hw is None:
        return
    n = p.deployment.accelerators
    if hw.memory is not None:
        reserve = ctx.reserve()
        ctx.out.add("memory_required_gb", (weights * n + hw.memory.value * n * reserve)
                     / GB, "GB", "accelerators × weights + runtime reserve", {},
                     model.references)
        ctx.out.add("memory_available_gb", hw.memory.value * n / GB, "GB",
                     "accelerators × memory per accelerator", {}, ref(hw.memory))
    peak = ctx.peak(precision)
    if peak is None:
        return
    eff_c, _, eff_b = ctx.efficiency(peak[0], vision=True)
    compute_rate = float(peak[1].value) * eff_c
    if hw.bandwidth is not None:
        memory_rate = float(hw.bandwidth.value) * eff_b
    elif hw.memory is None:  # weights held on chip (e.g. Hailo-8): no DRAM traffic
        memory_rate = math.inf
    else:
        ctx.out.unknown["bandwidth"] = f"{hw.name} has no sourced memory bandwidth"
        return
    traffic = p.workload.traffic
    batch = traffic.concurrency if traffic and traffic.concurrency else 1
    per_batch = inference.request_time(float(flops.value), weights, batch, compute_rate,
                                       memory_rate, calibration.INFERENCE_OVERHEAD_S)
    refs = (*ref(peak[1]), flops.reference())
    ctx.out.facts.update(batch=batch, compute_precision=peak[0], hw_refs=refs)
    ctx.out.facts["busy"] = {
        "compute_util": batch * float(flops.value) / (per_batch * float(peak[1].value)),
        "memory_util": weights / (per_batch * float(hw.bandwidth.value))
        if hw.bandwidth is not None else 0.0,
        "requests_per_s": n * batch / per_batch}
    ctx.out.add("inference_ms", per_batch / MS, "ms",
                 "fixed cost per call + max(batch × FLOPs per request / compute, "
                 "weights / bandwidth)",
                 {"FLOPs per request": flops.text, "batch": str(batch),
                  "compute precision": peak[0]}, refs)
    ctx.out.add("latency_e2e_ms", (per_batch + (rtt or 0.0)) / MS, "ms",
                 "network RTT + inference time", {}, refs)
    ctx.out.add("max_requests_per_s", n * batch / per_batch, "requests/s",
                 "accelerators × batch / time per batch", {"batch": str(batch)}, refs)
    ctx.out.facts["capacity_rps"] = n * batch / per_batch
    if traffic:
        ctx.out.facts["peak_rps"] = traffic.requests_per_s * traffic.peak_factor

