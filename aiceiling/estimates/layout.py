"""LLM replica layout: how many accelerators hold one copy of the model, chosen from the
candidates that fit, and the physics of that copy (a ``serving.Replica``).

One entry point, ``choose_layout``, which the serving estimator calls once its model
(``serving.Transformer``) and the hardware's achievable rates are known.
"""

from __future__ import annotations

from typing import NamedTuple

from aiceiling.estimates.base import Ctx
from aiceiling.physics import calibration, memory, serving

# Largest model replica considered when the profile does not fix it: 8 nodes of 8 (GB200
# NVL72 racks hold 72), beyond which one model copy spanning more devices is not a serving
# layout anyone runs.
_MAX_GROUP = 72


class Rates(NamedTuple):
    """Per-accelerator rates a replica is built from."""

    peak_flops: float        # matmuls at the compute precision [FLOP/s]
    bandwidth: float         # memory bandwidth [B/s]
    eff_compute: float       # achievable fraction of peak_flops [-]
    eff_bandwidth: float     # achievable fraction of bandwidth [-]
    attention_flops: float   # 16-bit peak for attention, 0 when unknown [FLOP/s]
    eff_attention: float     # achievable fraction of attention_flops [-]
    link_bandwidth: float    # scale-up bandwidth, one direction [B/s]


class ServingShape(NamedTuple):
    """What the layout search times a replica on: model, request shape, per-token budget."""

    transformer: serving.Transformer
    prompt_tokens: int
    output_tokens: int
    tpot_budget: float | None   # [s]


class LayoutChoice(NamedTuple):
    """The chosen layout of the deployment's accelerators."""

    group: int                          # accelerators per replica [-]
    replicas: int                       # model copies [-]
    max_batch: int                      # sequences whose KV fits in one replica [-]
    usable: float                       # memory for weights and KV in one replica [B]
    replica: serving.Replica | None     # None when the hardware rates are unknown
    given: bool                         # the profile fixed the group


def choose_layout(ctx: Ctx, weights: float, kv_seq: float, reserve: float,
                  rates: Rates | None = None, shape: ServingShape | None = None
                  ) -> LayoutChoice:
    """The replica layout: as the profile gives it, else the group of accelerators
    (dividing the count) with the most serving capacity within the per-token budget.

    ``weights`` are the bytes of one model copy, ``kv_seq`` the KV bytes of one sequence,
    ``reserve`` the share of memory the runtime holds back.
    Without ``rates`` (no bandwidth or peak), the first candidate that fits is taken.
    """
    p, hw = ctx.profile, ctx.hardware
    assert hw is not None and hw.memory is not None
    n = p.deployment.accelerators
    device_mem = float(hw.memory.value)
    node = hw.node_size or n

    def fits_one_sequence(group: int) -> bool:
        return memory.usable_memory(device_mem, group, reserve) >= weights + kv_seq

    given = p.deployment.tensor_parallel
    linked = hw.interconnect is not None or hw.host_link is not None
    # Without a sourced link between accelerators (separate edge modules), each one
    # serves its own replica: tensor parallelism over an unknown link is not assumed.
    divisors = [g for g in range(1, min(n, _MAX_GROUP) + 1) if n % g == 0]
    candidates = [given] if given else \
        [g for g in divisors if fits_one_sequence(g) and (linked or g == 1)] or \
        [divisors[-1] if linked else 1]  # nothing fits: the largest, to show how far off

    def max_batch_of(group: int) -> int:
        free = memory.usable_memory(device_mem, group, reserve) - weights
        return memory.max_sequences(free, kv_seq)

    def choice(group: int, replica: serving.Replica | None) -> LayoutChoice:
        return LayoutChoice(group=group, replicas=n // group, max_batch=max_batch_of(group),
                            usable=memory.usable_memory(device_mem, group, reserve),
                            replica=replica, given=bool(given))

    if rates is None or shape is None:
        return choice(candidates[0], None)

    def replica_of(group: int) -> serving.Replica:
        tp = min(group, node)
        return serving.Replica(
            peak_flops=rates.peak_flops, bandwidth=rates.bandwidth,
            eff_compute=rates.eff_compute, eff_bandwidth=rates.eff_bandwidth, tp=tp,
            pp=max(1, group // tp), link_bandwidth=rates.link_bandwidth,
            allreduce_latency=calibration.ALLREDUCE_LATENCY_S,
            attention_flops=rates.attention_flops, eff_attention=rates.eff_attention,
            layer_overhead=calibration.LAYER_OVERHEAD_S)

    transformer, prompt, output = shape.transformer, shape.prompt_tokens, shape.output_tokens
    budget = shape.tpot_budget

    # The same whatever the traffic, so more traffic never changes the layout under it.
    def capacity_of(group: int) -> float:
        limit = max_batch_of(group)
        if limit < 1:
            return 0.0
        replica = replica_of(group)

        def fits(b: int) -> bool:
            return budget is None or serving.serving_point(
                replica, transformer, b, prompt, output).tpot_s <= budget

        best = serving.largest_batch(limit, fits)
        return (n // group) * serving.serving_point(
            replica, transformer, best, prompt, output).requests_per_s if best else 0.0

    group = candidates[0] if len(candidates) == 1 else \
        max(candidates, key=lambda g: (capacity_of(g), -g))
    if not given and group > 1:
        ctx.out.assume("deployment.tensor_parallel", str(group),
                       "the group of accelerators per replica with the most capacity "
                       "within the per-token budget")
    return choice(group, replica_of(group))


__all__ = ["LayoutChoice", "Rates", "ServingShape", "choose_layout"]
