"""Memory of an LLM deployment: weights per replica, KV cache, runtime reserve."""

from __future__ import annotations

from aiceiling.estimates.base import GB, Ctx, fmt, ref


def memory_estimates(ctx: Ctx, weights: float, kv_seq: float, sequences: int, replicas: int,
                     n: int, device_mem: float, reserve: float) -> None:
    hw = ctx.hardware
    assert hw is not None and hw.memory is not None
    kv = kv_seq * sequences
    reserved = device_mem * n * reserve
    ctx.out.add("kv_cache_gb", kv / GB, "GB",
                 "2 × layers × KV heads × head dim × bytes × tokens × sequences",
                 {"sequences": str(sequences),
                  "tokens per sequence": str((ctx.profile.workload.prompt_tokens or 0)
                                             + (ctx.profile.workload.output_tokens or 0)),
                  "KV bytes per token": fmt(ctx.out.facts["kv_bytes_per_token"] / 1024,
                                             "KiB")}, ctx.model.references)
    ctx.out.add("memory_required_gb", (weights * replicas + kv + reserved) / GB, "GB",
                 "replicas × weights + KV cache + runtime reserve",
                 {"replicas": str(replicas), "reserve": f"{reserve:.0%} of memory"},
                 ctx.model.references)
    ctx.out.add("memory_available_gb", device_mem * n / GB, "GB",
                 "accelerators × memory per accelerator",
                 {"accelerators": str(n), "memory": fmt(device_mem / GB, "GB")},
                 ref(hw.memory))
    ctx.out.facts.update(weights_per_replica=weights, reserve=reserve)

# -- other kinds ---------------------------------------------------------------------
