"""Training and fine-tuning: optimizer state memory and 6·N·D compute over the accelerators."""

from __future__ import annotations

from aiceiling.estimates.base import DAY, GB, Ctx, ref
from aiceiling.physics import calibration, memory, training


def estimate(ctx: Ctx) -> None:
    p, model, hw = ctx.profile, ctx.model, ctx.hardware
    w = p.workload
    if hw is None:
        return
    n = p.deployment.accelerators
    state = memory.training_state_bytes(model.params)
    if hw.memory is not None:
        reserve = ctx.reserve()
        ctx.out.add("memory_required_gb", (state + hw.memory.value * n * reserve) / GB,
                     "GB", "16 B per parameter (mixed-precision Adam, fully sharded) + "
                     "runtime reserve", {"parameters": f"{model.params / 1e9:.4g} B"},
                     ("Rajbhandari et al. 2020, ZeRO, arXiv:1910.02054",))
        ctx.out.add("memory_available_gb", hw.memory.value * n / GB, "GB",
                     "accelerators × memory per accelerator", {}, ref(hw.memory))
    if w.train_tokens is None:
        ctx.out.unknown["train_tokens"] = "workload.train_tokens is not given"
        return
    peak = ctx.peak(w.precision)
    if peak is None:
        return
    eff = w.efficiency.training if w.efficiency and w.efficiency.training else None
    if eff is None:
        eff = calibration.TRAINING_MFU
        ctx.out.assume("workload.efficiency.training", f"{eff:g}",
                        "Llama 3 405B: 38-43 % MFU (arXiv:2407.21783, Table 4)")
    flops = training.training_flops(model.active_params, w.train_tokens)
    seconds = training.training_time(flops, n, float(peak[1].value), eff)
    ctx.out.facts["busy"] = {"compute_util": eff, "memory_util": 0.0}
    ctx.out.facts["training_s"] = seconds
    ctx.out.add("training_flops", flops, "FLOP", "6 × active parameters × tokens",
                 {"parameters": f"{model.active_params / 1e9:.4g} B",
                  "tokens": f"{w.train_tokens:.4g}"},
                 ("Kaplan et al. 2020, arXiv:2001.08361 §2.1",))
    ctx.out.add("training_days", seconds / DAY, "days",
                 "training FLOPs / (accelerators × peak × utilization)",
                 {"accelerators": str(n), "peak": f"{peak[1].text} ({peak[0]})",
                  "utilization": f"{eff:g}"}, (*ref(peak[1]),))


