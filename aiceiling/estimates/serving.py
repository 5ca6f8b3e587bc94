"""LLM serving: replica layout, prefill, decode, TTFT and TPOT at the traffic's operating
point, capacity."""

from __future__ import annotations

import math
from typing import NamedTuple

from aiceiling import resolve
from aiceiling.estimates import network
from aiceiling.estimates.base import MS, Ctx, compute_precision, fmt, kv_precision, ref
from aiceiling.estimates.layout import (
    LayoutChoice,
    Rates,
    ServingShape,
    choose_layout,
    model_shape,
)
from aiceiling.estimates.memory import memory_estimates
from aiceiling.physics import load, memory, power, queueing, serving
from aiceiling.profile.model import Speculative

GB = 1e9


def estimate(ctx: Ctx) -> None:
    p, model, hw = ctx.profile, ctx.model, ctx.hardware
    w = p.workload
    counts = model.counts
    if counts is None or not model.has_attention_shape:
        ctx.out.unknown["model"] = (f"model {model.name!r} lacks the architecture "
                                     "(layers, hidden, heads, kv_heads, head_dim, vocab)")
        return
    assert model.layers and model.hidden and model.heads and model.head_dim
    precision = w.precision
    kv_prec = kv_precision(p)
    if not w.kv_precision:
        ctx.out.assume("workload.kv_precision", kv_prec,
                        "the weights' precision, not below fp8")
    full_params = counts.embedding + counts.lm_head
    weights = memory.weight_bytes(counts.blocks, full_params, precision)
    ctx.out.add("weights_gb", weights / GB, "GB",
                 "block parameters × bytes per weight (+ block scales) + embeddings "
                 "and output layer × 2 B",
                 {"parameters": f"{model.params / 1e9:.4g} B",
                  "precision": precision}, model.references)
    kv_value = memory.BYTES_PER_VALUE[kv_prec]
    if model.mla:
        kv_token = memory.mla_kv_bytes_per_token(
            model.layers, model.mla["kv_lora_rank"], model.mla["qk_rope_head_dim"],
            kv_value)
    else:
        assert model.kv_heads is not None
        kv_token = memory.kv_bytes_per_token(model.layers, model.kv_heads,
                                             model.head_dim, kv_value)
    window = float(model.sliding_window) if model.sliding_window else math.inf
    ctx.out.facts["kv_bytes_per_token"] = kv_token
    if hw is None:
        return
    if hw.memory is None:
        ctx.out.unknown["memory"] = f"{hw.name} has no sourced memory figure"
        return
    prompt = w.prompt_tokens
    output = w.output_tokens
    if prompt is None or output is None:
        ctx.out.unknown["tokens"] = "workload.prompt_tokens and output_tokens are needed"
        return
    sequence_tokens = prompt + output
    kv_seq = memory.kv_cache_bytes(kv_token, sequence_tokens, 1, model.window_fraction,
                                   window)
    n = p.deployment.accelerators
    reserve = ctx.reserve()
    device_mem = float(hw.memory.value)
    embedding_bytes = memory.weight_bytes(0.0, counts.embedding, precision)
    lm_head_bytes = memory.weight_bytes(0.0, counts.lm_head, precision)
    shape_of = model_shape(model, weights, embedding_bytes, lm_head_bytes,
                           memory.weight_bytes(1.0, 0.0, precision))
    peak = ctx.peak(precision)
    if hw.bandwidth is None or peak is None:
        if hw.bandwidth is None:
            ctx.out.unknown["bandwidth"] = f"{hw.name} has no sourced memory bandwidth"
        chosen = choose_layout(ctx, weights, kv_seq, reserve, shape_of)
        ctx.out.facts.update(group=chosen.group, replicas=chosen.replicas,
                              max_batch=chosen.max_batch, concurrency=1,
                              layout=chosen.layout, reserve=reserve)
        memory_estimates(ctx, chosen.weights_held, chosen.kv_held, 1, chosen.replicas,
                         n, device_mem, reserve)
        return
    compute_prec, peak_fig = peak
    bandwidth = float(hw.bandwidth.value)
    eff_c, eff_att, eff_b = ctx.efficiency(compute_prec)
    attention_prec = compute_precision("bf16", hw.peak)
    link = hw.interconnect or hw.host_link
    link_bw = float(link.value) if link else math.inf  # bidirectional figure
    expert_bytes = model.expert_params * (memory.weight_bytes(1.0, 0.0, precision))
    attention_dim = model.heads * model.head_dim
    prefill_dim = 0
    if model.mla:
        # Absorbed MLA decode attends in the latent space: QK over kv_lora_rank + rope
        # values and AV over kv_lora_rank values per head (DeepSeek-V2, arXiv:2405.04434,
        # §2.1.2): the equivalent per-head width is (2 · rank + rope) / 2. Prefill runs
        # the non-absorbed form (vLLM and SGLang MLA prefill): QK over nope + rope and AV
        # over v_head_dim per head, (nope + rope + v) / 2.
        mla = model.mla
        attention_dim = model.heads * (2 * mla["kv_lora_rank"]
                                       + mla["qk_rope_head_dim"]) // 2
        prefill_dim = model.heads * (mla.get("qk_nope_head_dim", model.head_dim)
                                     + mla["qk_rope_head_dim"]
                                     + mla.get("v_head_dim", model.head_dim)) // 2
    transformer = serving.Transformer(
        block_params_active=counts.blocks_active, lm_head_params=counts.lm_head or
        counts.embedding, layers=model.layers, attention_dim=attention_dim,
        hidden=model.hidden, dense_weight_bytes=weights - model.experts * expert_bytes,
        expert_weight_bytes=expert_bytes, experts=model.experts,
        experts_active=model.experts_active, kv_bytes_per_token=kv_token,
        window_fraction=model.window_fraction, window=window,
        embedding_bytes=embedding_bytes if counts.lm_head else 0.0,
        attention_weight_bytes=shape_of.attention_bytes, prefill_attention_dim=prefill_dim)

    budget = w.latency.tpot if w.latency and w.latency.tpot else None
    chosen = choose_layout(
        ctx, weights, kv_seq, reserve, shape_of,
        Rates(peak_flops=float(peak_fig.value), bandwidth=bandwidth, eff_compute=eff_c,
              eff_bandwidth=eff_b, attention_flops=float(hw.peak[attention_prec].value)
              if attention_prec else 0.0, eff_attention=eff_att, link_bandwidth=link_bw),
        ServingShape(transformer, prompt, output, budget))
    group, replicas, max_batch, replica = (chosen.group, chosen.replicas, chosen.max_batch,
                                           chosen.replica)
    assert replica is not None
    tp, pp = replica.tp, replica.pp
    # The longest context one sequence can hold: the room of one rank over the share of
    # each token's KV that rank keeps.
    free_rank = chosen.usable / group - chosen.weights_per_rank
    ctx.out.facts.update(tensor_parallel=tp, pipeline_parallel=pp, replicas=replicas,
                          group=group, max_batch=max_batch, layout=chosen.layout,
                          max_context=memory.max_context(
                              free_rank * kv_seq / chosen.kv_per_rank, kv_token,
                              model.window_fraction, window) if chosen.kv_per_rank else 0.0)
    if group > 1 and link is None:
        ctx.out.unknown["interconnect"] = f"{hw.name} has no sourced interconnect figure"
    hw_refs = (*ref(hw.memory), *ref(hw.bandwidth), *ref(peak_fig))
    ctx.out.facts.update(compute_precision=compute_prec, replica=replica,
                          transformer=transformer, hw_refs=hw_refs)

    at_load(ctx, replica, transformer, chosen, chosen.kv_held, chosen.weights_held, reserve,
            hw_refs)


class _Figures(NamedTuple):
    """Server-side latency figures of one operating point. [s]"""

    ttft: float
    ttft_p50: float
    ttft_p99: float
    tpot: float
    tpot_p50: float
    tpot_p99: float
    rate: float          # requests/s per serving replica [1/s]
    batch: float         # sequences in decode per replica [-]


def _figures(point: load.LoadPoint | load.DedicatedPoint) -> _Figures:
    if isinstance(point, load.DedicatedPoint):
        return _Figures(point.ttft_s, point.ttft_p50_s, point.ttft_p99_s, point.tpot_s,
                        point.tpot_s, point.tpot_s, point.arrival_rate, 1.0)
    return _Figures(point.ttft_s, point.ttft_p50_s, point.ttft_p99_s, point.tpot_s,
                    point.tpot_p50_s, point.tpot_p99_s, point.arrival_rate,
                    point.decode_batch)


def _length_sigma(ctx: Ctx, mean: int, p99: int | None, field_path: str,
                  default: float) -> float:
    """Log-normal σ of a request length: from its stated p99, else ``default`` (stated)."""
    if p99 is not None:
        return queueing.lognormal_sigma(float(mean), float(p99))
    shown = queueing.lognormal_quantile(float(mean), default, queueing.Z99)
    ctx.out.assume(field_path, f"{shown:.0f}",
                   "log-normal spread of the MLPerf OpenOrca prompts (σ 0.87, p99 ≈ 5.2 × "
                   "mean)" if default > 0 else
                   "no spread: no sourced default for output lengths; state the max_tokens "
                   "cap")
    return default


def _draft_cost(ctx: Ctx, spec: Speculative, layers: int) -> float | None:
    """One draft pass as a share of one target decode step. [-]

    A multi-token-prediction module is one transformer block beside the model's layers
    (DeepSeek-AI 2024, "DeepSeek-V3 Technical Report", arXiv:2412.19437, §2.2): 1 / layers.
    A draft model's decode step reads its weights as the target reads its own: the ratio
    of their active parameters (Leviathan et al. 2023, §3.3 call it c).
    """
    if spec.method == "mtp":
        return 1.0 / layers
    entry = ctx.catalog.get("models", spec.draft_model) if spec.draft_model else None
    if entry is None:
        return None
    return resolve.model_from_entry(entry).active_params / ctx.model.active_params


def _options(ctx: Ctx, replica: serving.Replica, transformer: serving.Transformer,
             max_sequences: float, serving_replicas: int,
             prefill_replicas: int) -> load.Options | None:
    w = ctx.profile.workload
    opts = w.serving
    if opts is None:
        return load.Options(max_sequences=max_sequences)
    spec = opts.speculative
    draft_tokens, acceptance, cost = 0, 0.0, 0.0
    if spec is not None:
        found = _draft_cost(ctx, spec, transformer.layers)
        if found is None:
            ctx.out.unknown["speculative"] = (
                "workload.serving.speculative.draft_model is not a catalog model: the "
                "draft's cost per step is unknown")
            return None
        draft_tokens, acceptance, cost = spec.draft_tokens, spec.acceptance_rate, found
    budget = float(opts.max_tokens_per_step or load.DEFAULT_STEP_TOKEN_BUDGET)
    ratio = serving_replicas / prefill_replicas if prefill_replicas else 0.0
    transfer = 0.0
    if prefill_replicas and math.isfinite(replica.link_bandwidth):
        # The prompt's KV cache crosses the scale-up link from the prefill to the decode
        # replica (DistServe, Zhong et al. 2024, §4.3 places the pools within one node).
        transfer = float(w.prompt_tokens or 0) * transformer.kv_bytes_per_token / \
            (replica.link_bandwidth * replica.tp)
    return load.Options(prefix_hit_rate=float(opts.prefix_cache_hit_rate),
                        draft_tokens=draft_tokens, acceptance_rate=acceptance,
                        draft_cost=cost, step_token_budget=budget,
                        max_sequences=max_sequences, prefill_ratio=ratio,
                        kv_transfer_s=transfer)


def _dedicated_capacity(engine: load.Engine, ttft_budget: float | None,
                        replicas: int) -> float:
    """Largest arrival rate of unbatched serving on ``replicas`` replicas within the TTFT
    budget. [1/s]"""
    service = load.dedicated_service(engine)[0]
    stable = replicas / service

    def within(rate: float) -> bool:
        point = load.dedicated_point(engine, rate, replicas)
        return point is not None and (ttft_budget is None or point.ttft_p99_s <= ttft_budget)

    if not within(0.0):
        return 0.0
    low, high = 0.0, stable
    for _ in range(32):
        mid = (low + high) / 2.0
        low, high = (mid, high) if within(mid) else (low, mid)
    return low


def at_load(ctx: Ctx, replica: serving.Replica, transformer: serving.Transformer,
            chosen: LayoutChoice, kv_seq: float, weights: float, reserve: float,
            hw_refs: tuple[str, ...]) -> None:
    """Prefill, TTFT and TPOT (mean, p50, p99), throughput and capacity at the traffic's
    operating point (``aiceiling.physics.load``)."""
    p = ctx.profile
    w = p.workload
    assert w.prompt_tokens is not None and w.output_tokens is not None
    prompt, output = w.prompt_tokens, w.output_tokens
    hw = ctx.hardware
    assert hw is not None and hw.memory is not None
    replicas, max_batch, n = chosen.replicas, chosen.max_batch, p.deployment.accelerators
    traffic = w.traffic
    peak_rps = traffic.requests_per_s * traffic.peak_factor if traffic else None
    cap_total = traffic.concurrency if traffic and traffic.concurrency else None
    closed_loop = bool(cap_total) and not peak_rps
    opts = w.serving
    prefill_replicas = 0
    if opts is not None and opts.prefill_accelerators:
        prefill_replicas = opts.prefill_accelerators // chosen.group
        if prefill_replicas < 1 or prefill_replicas >= replicas:
            ctx.out.unknown["disaggregation"] = (
                f"workload.serving.prefill_accelerators ({opts.prefill_accelerators}) must "
                f"hold at least one replica of {chosen.group} and leave one for decode")
            return
    serving_replicas = replicas - prefill_replicas
    if cap_total and cap_total / serving_replicas < max_batch:
        max_sequences = cap_total / serving_replicas
    else:
        max_sequences = float(max(max_batch, 1))
    options = _options(ctx, replica, transformer, max_sequences, serving_replicas,
                       prefill_replicas)
    if options is None:
        return
    request = load.Request(float(prompt), float(output),
                           _length_sigma(ctx, prompt, w.prompt_tokens_p99,
                                         "workload.prompt_tokens_p99",
                                         queueing.DEFAULT_LENGTH_SIGMA),
                           _length_sigma(ctx, output, w.output_tokens_p99,
                                         "workload.output_tokens_p99", 0.0))
    engine = load.Engine(replica, transformer, request, options)
    rtt = network.estimate(ctx)
    network_s = rtt or 0.0
    latency = w.latency
    ttft_budget = latency.ttft - network_s if latency and latency.ttft else None
    tpot_budget = latency.tpot if latency and latency.tpot else None
    # Dedicated and fixed-pipeline serving run one request at a time per replica.
    unbatched = p.deployment.serving_mode in ("dedicated", "fixed-pipeline")

    point: load.LoadPoint | load.DedicatedPoint | None
    if unbatched:
        stable_rps = serving_replicas / load.dedicated_service(engine)[0]
        capacity_rps = _dedicated_capacity(engine, ttft_budget, serving_replicas)
        capacity_batch = 1.0
        point = load.dedicated_point(engine, peak_rps or 0.0, serving_replicas)
    else:
        stable_rps = serving_replicas * load.stable_limit(engine)
        top = load.capacity(engine, ttft_budget, tpot_budget)
        capacity_rps = serving_replicas * top.arrival_rate if top else 0.0
        capacity_batch = top.decode_batch if top else 0.0
        if closed_loop:
            assert cap_total is not None
            point = load.point_at(engine, cap_total / serving_replicas)
        elif peak_rps:
            point = load.operating_point(engine, peak_rps / serving_replicas)
        else:
            point = load.dedicated_point(engine, 0.0)
    offered = peak_rps or 0.0
    ctx.out.facts.update(peak_rps=peak_rps, offered_rps=offered, stable_rps=stable_rps,
                         capacity_rps=capacity_rps, capacity_batch=round(capacity_batch),
                         unstable=point is None, serving_replicas=serving_replicas)
    if prefill_replicas:
        ctx.out.facts["prefill_replicas"] = prefill_replicas
    ctx.out.add("max_requests_per_s", capacity_rps, "requests/s",
                "largest arrival rate with a steady operating point within memory, the "
                "engine's batch cap and the p99 TTFT and TPOT budgets",
                {"stability limit": fmt(stable_rps, "req/s"),
                 "decode batch per replica": f"{capacity_batch:.0f}",
                 "serving replicas": str(serving_replicas)}, hw_refs)

    def offline(b: int) -> serving.ServingPoint:
        return serving.serving_point(replica, transformer, max(b, 1), prompt, output)

    def busy_at(b: int) -> dict[str, float]:
        """Utilization, requests/s and tokens/s of the replicas running batch b."""
        flops, moved = serving.cycle_work(transformer, b, prompt, output)
        cycle = serving.prefill_time(replica, transformer, prompt, b) + \
            serving.decode_time(replica, transformer, b, prompt, output)
        compute_util, memory_util = power.utilization(
            flops, moved, cycle, replica.tp * replica.pp * replica.peak_flops,
            replica.tp * replica.pp * replica.bandwidth)
        at = offline(b)
        return {"compute_util": compute_util, "memory_util": memory_util,
                "requests_per_s": at.requests_per_s * replicas,
                "tokens_per_s": at.tokens_per_s * replicas}

    capacity_int = max(1, round(capacity_batch)) if not unbatched else 1
    ctx.out.facts["busy_capacity"] = busy_at(capacity_int)
    if max_batch >= 1:
        top_offline = offline(max_batch)
        ctx.out.add("max_tokens_per_s", top_offline.tokens_per_s * replicas, "tokens/s",
                    "offline: throughput at the largest batch that fits in memory",
                    {"max batch per replica": str(max_batch)}, hw_refs)
    prefill_s = serving.prefill_time(replica, transformer, engine.new_prompt_tokens, 1.0)
    ctx.out.add("prefill_ms", prefill_s / MS, "ms",
                "matmuls max(2 · active params · P / compute, weights / bandwidth) + "
                "attention max(2 · layers · P² · heads·head_dim / compute, KV / "
                "bandwidth) + per-layer overhead + all-reduces",
                {"prompt tokens": f"{engine.new_prompt_tokens:.0f}",
                 "compute precision": str(ctx.out.facts.get("compute_precision")),
                 "tensor parallel": str(replica.tp),
                 "achievable compute": fmt(replica.compute_rate / 1e12, "TFLOP/s")},
                hw_refs)
    if point is None:
        # Beyond the stability limit no steady state exists: no latency figure is given.
        # The memory is the capacity operating point's (the engine admits no more).
        sequences = max(1, math.ceil(capacity_batch * serving_replicas - 1e-9))
        ctx.out.facts.update(batch=capacity_int, concurrency=sequences)
        ctx.out.facts["busy"] = busy_at(capacity_int)
        memory_estimates(ctx, weights, kv_seq, sequences, replicas, n,
                         float(hw.memory.value), reserve)
        return
    fig = _figures(point)
    batch = max(1, round(fig.batch))
    in_flight_total = fig.batch * serving_replicas
    # Memory holds the sequences in flight, up to the capacity operating point's (beyond it
    # the engine admits no more), so more traffic never needs less.
    sequences = cap_total if closed_loop and cap_total else max(1, min(
        math.ceil(in_flight_total - 1e-9),
        math.ceil(capacity_batch * serving_replicas - 1e-9) if not unbatched
        else math.ceil(in_flight_total - 1e-9)))
    queue_s = max(fig.ttft - prefill_s, 0.0)
    ctx.out.facts.update(batch=batch, concurrency=sequences, queue_ms=queue_s / MS)
    if traffic and not traffic.concurrency and peak_rps:
        ctx.out.assume("workload.traffic.concurrency", str(sequences),
                       "Little's law at peak: requests/s × decode time, the sequences "
                       "in decode at the operating point")
    ctx.out.facts["busy"] = busy_at(batch)
    memory_estimates(ctx, weights, kv_seq, sequences, replicas, n, float(hw.memory.value),
                     reserve)
    refs = (*hw_refs, "queueing: Little 1961; Pollaczek–Khinchine; Kingman 1961")
    ctx.out.add("ttft_ms", (fig.ttft + network_s) / MS, "ms",
                "network RTT + wait for the step in progress + wait for room in the "
                "step's token budget + the steps that prefill the prompt",
                {"prefill alone": fmt(prefill_s / MS, "ms"),
                 "queueing": fmt(queue_s / MS, "ms"),
                 "network": fmt(network_s / MS, "ms") if rtt is not None
                 else "not modeled"}, refs)
    ctx.out.add("ttft_p99_ms", (fig.ttft_p99 + network_s) / MS, "ms",
                "mean + √Σ (p99 − mean)² of: the step in progress, the token-budget queue, "
                "the prompt's length, other prompts in the same step",
                {"p50": fmt((fig.ttft_p50 + network_s) / MS, "ms")}, refs)
    ctx.out.add("tpot_ms", fig.tpot / MS, "ms",
                "step time at the operating point / tokens kept per step; the step "
                "carries the decode batch and the prefill mixed into it",
                {"decode batch per replica": f"{fig.batch:.0f}",
                 "replicas": str(serving_replicas),
                 "achievable bandwidth": fmt(replica.memory_rate / 1e12, "TB/s")}, refs)
    ctx.out.add("tpot_p99_ms", fig.tpot_p99 / MS, "ms",
                "mean + √Σ (p99 − mean)² of: the decode batch (Poisson) and the prefill "
                "mixed into the request's steps",
                {"p50": fmt(fig.tpot_p50 / MS, "ms")}, refs)
    ctx.out.add("tokens_per_s", fig.rate * serving_replicas * output, "tokens/s",
                "requests/s served × output tokens at the operating point",
                {"decode batch per replica": f"{fig.batch:.0f}",
                 "replicas": str(serving_replicas)}, refs)
    e2e = fig.ttft + (output - 1) * fig.tpot
    out_p99 = queueing.lognormal_quantile(float(output), request.output_sigma, queueing.Z99)
    out_p50 = queueing.lognormal_quantile(float(output), request.output_sigma, 0.0)
    e2e_p99 = queueing.combine_tail(e2e, [fig.ttft_p99 - fig.ttft,
                                          (out_p99 - output) * fig.tpot,
                                          (output - 1) * (fig.tpot_p99 - fig.tpot)])
    e2e_p50 = fig.ttft_p50 + max(out_p50 - 1.0, 0.0) * fig.tpot_p50
    ctx.out.facts.update(serving_p50_ms=e2e_p50 / MS, serving_p99_ms=e2e_p99 / MS)
    ctx.out.add("latency_e2e_ms", (e2e + network_s) / MS, "ms",
                "TTFT + (output tokens − 1) × TPOT", {"output tokens": str(output)}, refs)
    ctx.out.add("latency_e2e_p99_ms", (e2e_p99 + network_s) / MS, "ms",
                "mean + √Σ (p99 − mean)² of: TTFT, the output length, TPOT",
                {"p50": fmt((e2e_p50 + network_s) / MS, "ms"),
                 "output tokens p99": f"{out_p99:.0f}"}, refs)
