"""LLM serving: replica layout, prefill, decode, TTFT and TPOT at the traffic's operating
point, capacity."""

from __future__ import annotations

import math

from aiceiling.estimates import network
from aiceiling.estimates.base import MS, Ctx, compute_precision, fmt, kv_precision, ref
from aiceiling.estimates.layout import Rates, ServingShape, choose_layout, model_shape
from aiceiling.estimates.memory import memory_estimates
from aiceiling.physics import memory, power, serving

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

    traffic = w.traffic
    peak_rps = traffic.requests_per_s * traffic.peak_factor if traffic else None

    def concurrency_of(replica: serving.Replica, replicas: int, limit: int) -> int:
        """Sequences in flight: as given, else Little's law at peak, by iteration."""
        if traffic and traffic.concurrency:
            return traffic.concurrency
        if not peak_rps:
            return 1
        concurrency = 1
        for _ in range(60):
            pt = serving.serving_point(replica, transformer,
                                       max(1, math.ceil(concurrency / replicas)),
                                       prompt, output)
            nxt = max(1, math.ceil(peak_rps * (pt.prefill_s + output * pt.tpot_s)))
            # Beyond what memory holds, requests queue rather than batch: the
            # concurrency stops at four times the memory's capacity, so figures past
            # saturation do not depend on where an iteration happened to stop.
            cap = max(limit, 1) * replicas * 4
            if nxt >= cap:
                return cap
            if nxt == concurrency:
                return nxt
            concurrency = nxt
        return concurrency

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
    concurrency = concurrency_of(replica, replicas, max_batch)
    if traffic and not traffic.concurrency and peak_rps:
        ctx.out.assume("workload.traffic.concurrency", str(concurrency),
                        "Little's law: peak requests/s × time in system")
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

    def point(batch: int) -> serving.ServingPoint:
        return serving.serving_point(replica, transformer, max(batch, 1), prompt, output)

    rtt = network.estimate(ctx)
    # Dedicated and fixed-pipeline serving run one request at a time per replica.
    unbatched = p.deployment.serving_mode in ("dedicated", "fixed-pipeline")
    # A replica batches at most what fits in its memory; the rest of the peak waits
    # (unless the profile states the concurrency it runs at).
    per_replica = math.ceil(concurrency / replicas)
    if not (traffic and traffic.concurrency):
        per_replica = min(per_replica, max(max_batch, 1))
    batch = 1 if unbatched else max(1, per_replica)
    ctx.out.facts.update(concurrency=concurrency, batch=batch, peak_rps=peak_rps)
    memory_estimates(ctx, chosen.weights_held, chosen.kv_held, concurrency, replicas, n,
                     device_mem, reserve)

    pt = point(batch)

    def busy_at(b: int) -> dict[str, float]:
        """Utilization, requests/s and tokens/s of the replicas running batch b."""
        flops, moved = serving.cycle_work(transformer, b, prompt, output)
        cycle = serving.prefill_time(replica, transformer, prompt, b) + \
            serving.decode_time(replica, transformer, b, prompt, output)
        compute_util, memory_util = power.utilization(
            flops, moved, cycle, replica.tp * replica.pp * replica.peak_flops,
            replica.tp * replica.pp * replica.bandwidth)
        at = point(b)
        return {"compute_util": compute_util, "memory_util": memory_util,
                "requests_per_s": at.requests_per_s * replicas,
                "tokens_per_s": at.tokens_per_s * replicas}

    ctx.out.facts["busy"] = busy_at(batch)
    ctx.out.add("prefill_ms", pt.prefill_s / MS, "ms",
                 "matmuls max(2 · active params · P / compute, weights / bandwidth) + "
                 "attention max(2 · layers · P² · heads·head_dim / compute, KV / "
                 "bandwidth) + per-layer overhead + all-reduces",
                 {"prompt tokens": str(prompt), "compute precision": compute_prec,
                  "tensor parallel": str(tp),
                  "achievable compute": fmt(replica.compute_rate / 1e12, "TFLOP/s")},
                 hw_refs)
    queue = 0.0
    if peak_rps:
        # Prefills queue behind each other (M/D/1); a new request also waits for the
        # decode step in progress, half a step on average, when the replica is busy.
        busy = min(1.0, peak_rps / (pt.requests_per_s * replicas))
        queue = serving.md1_wait(peak_rps / replicas, pt.prefill_s) + \
            busy * pt.tpot_s / 2.0
    ttft = pt.prefill_s + queue + (rtt or 0.0)
    ctx.out.facts["queue_ms"] = queue / MS
    ctx.out.add("ttft_ms", ttft / MS, "ms",
                 "network RTT + queueing (M/D/1 on prefill + half a decode step when "
                 "busy) + prefill",
                 {"prefill": fmt(pt.prefill_s / MS, "ms"),
                  "queueing": fmt(queue / MS, "ms"),
                  "network": fmt((rtt or 0.0) / MS, "ms") if rtt is not None
                  else "not modeled"}, hw_refs)
    ctx.out.add("tpot_ms", pt.tpot_s / MS, "ms",
                 "mean decode step at the batch, summed exactly over the growing KV "
                 "cache",
                 {"batch per replica": str(batch), "replicas": str(replicas),
                  "achievable bandwidth": fmt(replica.memory_rate / 1e12, "TB/s")},
                 hw_refs)
    ctx.out.add("tokens_per_s", pt.tokens_per_s * replicas, "tokens/s",
                 "replicas × batch × output tokens / (prefill of the batch + decode)",
                 {"batch per replica": str(batch), "replicas": str(replicas)}, hw_refs)
    ctx.out.add("latency_e2e_ms", (ttft + (output - 1) * pt.tpot_s) / MS, "ms",
                 "TTFT + (output tokens − 1) × TPOT",
                 {"output tokens": str(output)}, hw_refs)
    if max_batch >= 1:
        top = point(max_batch)
        ctx.out.add("max_tokens_per_s", top.tokens_per_s * replicas, "tokens/s",
                     "throughput at the largest batch that fits in memory",
                     {"max batch per replica": str(max_batch)}, hw_refs)
        ctx.out.add("max_requests_per_s", top.requests_per_s * replicas, "requests/s",
                     "max_tokens_per_s / output tokens", {}, hw_refs)
        budget = w.latency.tpot if w.latency and w.latency.tpot else None
        if budget is not None:
            within = serving.largest_batch(1 if unbatched else max_batch,
                                           lambda b: point(b).tpot_s <= budget)
        else:
            within = 1 if unbatched else max_batch
        ctx.out.facts["capacity_batch"] = within
        ctx.out.facts["capacity_rps"] = point(within).requests_per_s * replicas \
            if within else 0.0
        # Power is drawn at the capacity operating point for the share of time the
        # traffic keeps the replicas busy: more traffic can then never draw less.
        ctx.out.facts["busy_capacity"] = busy_at(within or 1)

