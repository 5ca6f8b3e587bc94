"""LLM replica layout: TP × PP × EP × DP (and attention DP), chosen from the layouts the
engines can run, with the memory each rank really holds and the physics of one replica
(a ``serving.Replica``).

Entry points: ``choose_layout``, which the serving estimator calls once its model
(``serving.Transformer``) and the hardware's achievable rates are known, and
``resolve.profile_layout_errors``, which the loader calls to reject a layout no engine
runs.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from aiceiling.estimates.base import Ctx
from aiceiling.physics import calibration, collectives, serving
from aiceiling.physics import layout as lay
from aiceiling.resolve import HardwareSpec, ModelSpec, scale_up_domain

# Largest model replica considered when the profile does not fix it: one GB200 NVL72
# rack's NVLink domain; beyond it one model copy is not a serving layout anyone runs.
_MAX_GROUP = 72
# Pipeline depths tried beyond the shallowest that fits: deeper pipelines only add KV room.
_PP_SPAN = 4
# Layouts are compared at the per-token latency the checks pass without a warning: 80 % of
# the budget (the checks' warning threshold), so the capacity a layout is chosen for does
# not sit in the warning band.
_BUDGET_SHARE = 0.8


class Rates(NamedTuple):
    """Per-accelerator rates a replica is built from."""

    peak_flops: float        # matmuls at the compute precision [FLOP/s]
    bandwidth: float         # memory bandwidth [B/s]
    eff_compute: float       # achievable fraction of peak_flops [-]
    eff_bandwidth: float     # achievable fraction of bandwidth [-]
    attention_flops: float   # 16-bit peak for attention, 0 when unknown [FLOP/s]
    eff_attention: float     # achievable fraction of attention_flops [-]
    link_bandwidth: float    # scale-up bandwidth as published, bidirectional [B/s]


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
    given: bool                         # the profile fixed the layout
    layout: lay.Layout = lay.Layout()
    weights_per_rank: float = 0.0       # on the most loaded rank [B]
    kv_per_rank: float = 0.0            # one sequence, on each rank holding it [B]

    @property
    def weights_held(self) -> float:
        """Weight bytes one replica holds over all its ranks (replicas included). [B]"""
        return self.weights_per_rank * self.group

    @property
    def kv_held(self) -> float:
        """KV bytes one sequence occupies over the replica's ranks (copies included). [B]"""
        return self.kv_per_rank * self.group / (self.layout.tp if self.layout.attention_dp
                                                else 1)


def model_shape(model: ModelSpec, weights: float, embedding_bytes: float,
                lm_head_bytes: float, bytes_per_weight: float) -> lay.ModelShape:
    """The per-rank memory inputs of a model. [-]"""
    assert model.layers and model.hidden and model.heads and model.head_dim
    h, heads = model.hidden, model.heads
    if model.mla:
        m = model.mla
        nope = m.get("qk_nope_head_dim", model.head_dim)
        v = m.get("v_head_dim", model.head_dim)
        q_rank = m.get("q_lora_rank", 0)
        q = h * q_rank + q_rank * heads * (nope + m["qk_rope_head_dim"]) if q_rank else \
            h * heads * (nope + m["qk_rope_head_dim"])
        per_layer = q + h * (m["kv_lora_rank"] + m["qk_rope_head_dim"]) + \
            m["kv_lora_rank"] * heads * (nope + v) + heads * v * h
    else:
        kv = model.kv_heads or heads
        per_layer = 2 * h * heads * model.head_dim + 2 * h * kv * model.head_dim
    return lay.ModelShape(
        layers=model.layers, heads=heads, kv_heads=None if model.mla else model.kv_heads,
        experts=model.experts, block_bytes=weights - embedding_bytes - lm_head_bytes,
        attention_bytes=model.layers * per_layer * bytes_per_weight,
        expert_bytes=model.experts * model.expert_params * bytes_per_weight
        if model.experts > 1 else 0.0,
        embedding_bytes=embedding_bytes, lm_head_bytes=lm_head_bytes, mla=bool(model.mla))


def _fabric(hw: HardwareSpec, link_bandwidth: float) -> collectives.Fabric:
    kind = hw.fabric or ("pcie" if hw.interconnect is None and hw.host_link else None)
    if math.isinf(link_bandwidth):
        return collectives.Fabric(math.inf, 0.0, 0.0)
    return collectives.scale_up_fabric(link_bandwidth, kind)


def choose_layout(ctx: Ctx, weights: float, kv_seq: float, reserve: float,
                  shape_of: lay.ModelShape, rates: Rates | None = None,
                  shape: ServingShape | None = None) -> LayoutChoice:
    """The layout: as the profile gives it, else the valid layout with the most serving
    capacity within 80 % of the per-token budget (ties: the lower per-token latency, then
    fewer accelerators).

    ``weights`` are the bytes of one model copy, ``kv_seq`` the KV bytes of one sequence,
    ``reserve`` the share of memory the runtime holds back. Without ``rates`` (no
    bandwidth or peak), the first layout that fits is taken. The search does not depend on
    the traffic, so more traffic never changes the layout under it; a layout needs not
    use every accelerator (the rest stay idle), so more accelerators never remove the
    layout fewer had.
    """
    p, hw = ctx.profile, ctx.hardware
    assert hw is not None and hw.memory is not None
    n = p.deployment.accelerators
    usable_rank = float(hw.memory.value) * (1.0 - reserve)
    linked = hw.interconnect is not None or hw.host_link is not None
    domain = scale_up_domain(hw)
    across = p.deployment.tensor_parallel_across_nodes
    d = p.deployment
    g_tp, g_pp, g_ep, g_adp = (d.tensor_parallel, d.pipeline_parallel, d.expert_parallel,
                               d.attention_data_parallel)
    given = bool(g_tp or g_pp or g_ep or g_adp is not None)
    limit = min(n, _MAX_GROUP) if not g_tp else n

    def per_rank(layout: lay.Layout) -> tuple[float, float]:
        return (lay.weight_bytes_per_rank(layout, shape_of),
                lay.kv_bytes_per_rank(layout, shape_of.kv_heads, shape_of.layers, kv_seq))

    def fits(layout: lay.Layout) -> bool:
        w, kv = per_rank(layout)
        return w + kv <= usable_rank

    def valid(layout: lay.Layout) -> bool:
        return not lay.layout_problems(layout, shape_of, domain, across)

    tps = [g_tp] if g_tp else [t for t in range(1, limit + 1)
                               if (linked or t == 1) and shape_of.heads % t == 0]

    def layouts_for(tp: int, pps: list[int]) -> list[lay.Layout]:
        """The valid layouts at ``tp`` over ``pps`` stages that fit one sequence."""
        # A dimension the profile leaves out while fixing another takes the engines'
        # default (no expert parallelism, no attention DP, one stage).
        eps = [g_ep] if g_ep else [1] if given else \
            ([1, tp] if shape_of.experts > 1 and tp > 1 else [1])
        adps = [g_adp] if g_adp is not None else [False] if given else \
            ([False, True] if shape_of.mla and tp > 1 else [False])
        out: list[lay.Layout] = []
        for ep in dict.fromkeys(eps):
            for adp in adps:
                if adp and ep != tp:
                    continue
                layouts = [lay.Layout(tp, pp, ep, n // (tp * pp), bool(adp)) for pp in pps
                           if tp * pp <= n]
                layouts = [lo for lo in layouts if given or valid(lo)]
                fitting = [lo for lo in layouts if fits(lo)]
                if fitting and not (g_tp or g_pp):
                    first = fitting[0].pp
                    fitting = [lo for lo in fitting if lo.pp <= first * _PP_SPAN]
                out.extend(fitting or ([] if not given else layouts))
        return out

    if g_tp or g_pp:
        candidates = [lo for tp in tps for lo in layouts_for(tp, [g_pp or 1])]
    else:
        # Tensor parallelism inside the scale-up domain; pipeline stages only when the
        # widest valid tensor-parallel group cannot hold the model, as engines advise
        # ("tensor parallel size the GPUs in each node, pipeline parallel size the number
        # of nodes", vLLM docs, Distributed Inference and Serving).
        candidates = [lo for tp in tps for lo in layouts_for(tp, [1])]
        widest = [t for t in tps if valid(lay.Layout(t))]
        if not candidates and widest and linked:
            tp = max(widest)
            candidates = layouts_for(tp, list(range(2, limit // tp + 1)))
    if not candidates:  # nothing fits: the layout with the most memory, to show how far off
        tp = max(tps) if tps else 1
        deepest = max(1, limit // tp) if linked else 1
        candidates = [lay.Layout(tp, deepest, 1, max(1, n // (tp * deepest)))]

    def choice(layout: lay.Layout, replica: serving.Replica | None) -> LayoutChoice:
        w, kv = per_rank(layout)
        return LayoutChoice(
            group=layout.group, replicas=max(1, n // layout.group),
            max_batch=lay.max_sequences_per_replica(layout, usable_rank - w, kv),
            usable=usable_rank * layout.group, replica=replica, given=given, layout=layout,
            weights_per_rank=w, kv_per_rank=kv)

    if rates is None or shape is None:
        return choice(candidates[0], None)

    scale_up = _fabric(hw, rates.link_bandwidth)
    eff_compute, eff_attention, overhead = rates.eff_compute, rates.eff_attention, \
        calibration.LAYER_OVERHEAD_S
    efficiency = p.workload.efficiency
    if shape_of.mla and shape_of.experts > 1 and not (efficiency and efficiency.compute):
        # Fine-grained experts with latent attention run far below dense matmul rates.
        eff_compute = eff_attention = calibration.EFF_COMPUTE_MLA_MOE
        overhead += calibration.MLA_MOE_LAYER_OVERHEAD_S
        ctx.out.assumptions = [a for a in ctx.out.assumptions
                               if a.field != "workload.efficiency.compute"]
        ctx.out.assume("workload.efficiency.compute", f"{eff_compute:g}",
                       "calibrated for MLA + fine-grained MoE kernels (vLLM, expert "
                       "parallel): ML.ENERGY DeepSeek-V3.1 on 8x B200, "
                       f"+{calibration.MLA_MOE_LAYER_OVERHEAD_S * 1e6:g} µs per layer")

    def replica_of(layout: lay.Layout) -> serving.Replica:
        inside = domain is None or layout.group <= domain
        fabric = scale_up if domain is None or max(layout.tp, layout.ep) <= domain else \
            collectives.SCALE_OUT
        return serving.Replica(
            peak_flops=rates.peak_flops, bandwidth=rates.bandwidth,
            eff_compute=eff_compute, eff_bandwidth=rates.eff_bandwidth, tp=layout.tp,
            pp=layout.pp, link_bandwidth=fabric.bandwidth,
            allreduce_latency=fabric.base_latency, hop_latency=fabric.hop_latency,
            attention_flops=rates.attention_flops, eff_attention=eff_attention,
            layer_overhead=overhead, ep=layout.ep,
            attention_dp=layout.attention_dp,
            kv_replication=lay.kv_replication(layout, shape_of.kv_heads),
            stage_link=scale_up if inside else collectives.SCALE_OUT)

    transformer, prompt, output = shape.transformer, shape.prompt_tokens, shape.output_tokens
    budget = shape.tpot_budget * _BUDGET_SHARE if shape.tpot_budget else None

    def score(layout: lay.Layout) -> tuple[float, float, int, int]:
        limit_b = choice(layout, None).max_batch
        replica = replica_of(layout)
        one = serving.serving_point(replica, transformer, 1, prompt, output).tpot_s
        if limit_b < 1:
            return 0.0, -one, -layout.group * layout.dp, -layout.group

        def within(b: int) -> bool:
            return budget is None or serving.serving_point(
                replica, transformer, b, prompt, output).tpot_s <= budget

        best = serving.largest_batch(limit_b, within)
        capacity = layout.dp * serving.serving_point(
            replica, transformer, best, prompt, output).requests_per_s if best else 0.0
        return capacity, -one, -layout.group * layout.dp, -layout.group

    chosen = candidates[0] if len(candidates) == 1 else max(candidates, key=score)
    if not given and chosen.group > 1:
        ctx.out.assume("deployment.tensor_parallel", str(chosen.tp),
                       f"layout {chosen.label}: the valid layout with the most capacity "
                       "within 80 % of the per-token budget")
    return choice(chosen, replica_of(chosen))


__all__ = ["LayoutChoice", "Rates", "ServingShape", "choose_layout", "model_shape"]
