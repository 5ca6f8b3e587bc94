"""LLM serving time on accelerators: prefill, decode, tensor parallelism, throughput.

Model (a roofline with calibrated fractions of peak, after Williams et al. 2009,
"Roofline", CACM 52(4), and Pope et al. 2022, arXiv:2211.05102):

* each step takes max(FLOPs / achievable compute, bytes / achievable bandwidth) plus the
  tensor-parallel all-reduces;
* prefill multiplies every active weight with every prompt token (compute-bound) and adds
  causal attention over the prompt;
* decode reads all weights the batch touches and every sequence's KV cache once per
  generated token — memory-bound at small batch, compute-bound at large batch — summed
  exactly over the growing KV cache;
* MoE layers compute only the routed experts per token, but a batch touches the union of
  its tokens' experts, so small batches read few experts and large batches read them all.

Units: seconds, FLOPs, bytes, FLOP/s, B/s, tokens.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from aiceiling.physics import collectives

# Activations exchanged between tensor-parallel ranks are 16-bit. [bytes per value]
ACTIVATION_BYTES = 2.0


class Replica(NamedTuple):
    """One copy of the model spread over tp × pp accelerators, and how well it runs.

    The tp ranks of a stage split every layer (tensor parallelism) or, with
    ``attention_dp``, run attention data-parallel and the routed experts expert-parallel
    over ``ep`` ranks; ``pp`` stages hold consecutive layers (pipeline parallelism).
    """

    peak_flops: float          # per accelerator, matmuls at the compute precision [FLOP/s]
    bandwidth: float           # per accelerator memory bandwidth [B/s]
    eff_compute: float         # achievable fraction of peak_flops [-]
    eff_bandwidth: float       # achievable fraction of bandwidth [-]
    tp: int = 1                # tensor-parallel degree [-]
    pp: int = 1                # pipeline stages [-]
    link_bandwidth: float = math.inf   # effective scale-up bus bandwidth, one direction [B/s]
    allreduce_latency: float = 0.0     # fixed cost of one collective call [s]
    attention_flops: float = 0.0       # per accelerator 16-bit peak for attention [FLOP/s]
    eff_attention: float = 0.0         # achievable fraction of attention_flops [-]
    layer_overhead: float = 0.0        # fixed time per layer per forward step [s]
    hop_latency: float = 0.0           # per ring step of a collective [s]
    ep: int = 1                        # expert-parallel degree of the MoE layers [-]
    attention_dp: bool = False         # attention data-parallel over the tp ranks
    kv_replication: float = 1.0        # copies of each KV byte the tp ranks hold and read [-]
    stage_link: collectives.Fabric = collectives.Fabric()  # between pipeline stages

    @property
    def fabric(self) -> collectives.Fabric:
        """The scale-up link the tp ranks' collectives run over."""
        return collectives.Fabric(self.link_bandwidth, self.hop_latency,
                                  self.allreduce_latency)

    @property
    def compute_rate(self) -> float:
        """Achievable matmul FLOP/s of one pipeline stage (tp accelerators). [FLOP/s]"""
        return self.tp * self.peak_flops * self.eff_compute

    @property
    def attention_rate(self) -> float:
        """Achievable attention FLOP/s of one pipeline stage (16-bit arithmetic). [FLOP/s]"""
        if self.attention_flops <= 0 or self.eff_attention <= 0:
            return self.compute_rate
        return self.tp * self.attention_flops * self.eff_attention

    @property
    def memory_rate(self) -> float:
        """Achievable bytes/s of one pipeline stage. [B/s]"""
        return self.tp * self.bandwidth * self.eff_bandwidth


class Transformer(NamedTuple):
    """What serving cost depends on, for one model at one precision."""

    block_params_active: float     # active parameters in the transformer blocks per token
    lm_head_params: float          # output layer parameters
    layers: int
    attention_dim: int             # heads × head_dim [values]
    hidden: int
    dense_weight_bytes: float      # weights every token reads (all but routed experts) [B]
    expert_weight_bytes: float     # weights of one routed expert, all MoE layers together [B]
    experts: int = 1               # routed experts per MoE layer (1 = dense model)
    experts_active: int = 1        # experts per token
    kv_bytes_per_token: float = 0.0
    window_fraction: float = 0.0   # share of KV (and attention) in sliding-window layers
    window: float = math.inf       # sliding window [tokens]
    embedding_bytes: float = 0.0   # input embedding table within dense_weight_bytes [B]
    attention_weight_bytes: float = 0.0  # attention projections within dense_weight_bytes [B]
    prefill_attention_dim: int = 0  # attention width in prefill, when it differs [values]

    @property
    def weight_bytes(self) -> float:
        return self.dense_weight_bytes + self.experts * self.expert_weight_bytes


def expected_experts_touched(experts: int, experts_active: int, tokens: float) -> float:
    """Expected number of distinct routed experts a batch of tokens uses in one layer. [-]

    With uniform routing of k of E experts per token, an expert is missed by one token
    with probability 1 − k/E, so E · (1 − (1 − k/E)^n) experts are touched by n tokens.
    Reference: the occupancy argument of Rajbhandari et al. 2022, "DeepSpeed-MoE",
    arXiv:2201.05596, §5 (expert weights read per batch).
    """
    if experts <= 1:
        return float(experts)
    miss = 1.0 - min(experts_active, experts) / experts
    return float(experts * (1.0 - miss ** max(tokens, 0.0)))


def weight_bytes_read(model: Transformer, tokens: float) -> float:
    """Weight bytes one forward step over ``tokens`` tokens reads from memory. [B]

    The input embedding is a lookup: a step reads the rows of its tokens (16-bit values),
    not the table; the output layer is a matmul and is read whole.
    """
    touched = expected_experts_touched(model.experts, model.experts_active, tokens)
    rows = min(model.embedding_bytes, tokens * model.hidden * ACTIVATION_BYTES)
    return model.dense_weight_bytes - model.embedding_bytes + rows + \
        model.expert_weight_bytes * touched


def _weights_read(replica: Replica, model: Transformer, tokens: float) -> float:
    """Weight bytes the replica's ranks read together in one step over ``tokens``. [B]

    With attention data-parallel every rank holds and reads the attention weights.
    """
    replicated = (replica.tp - 1) * model.attention_weight_bytes if replica.attention_dp \
        else 0.0
    return weight_bytes_read(model, tokens) + replicated


def _prefill_dim(model: Transformer) -> int:
    return model.prefill_attention_dim or model.attention_dim


def prefill_flops(model: Transformer, prompt_tokens: float) -> float:
    """FLOPs to prefill one prompt. [FLOP]

    2 FLOPs per active block parameter per token (Kaplan et al. 2020, arXiv:2001.08361,
    §2.1), causal attention 2 · layers · P² · attention_dim (QKᵀ and AV, halved by the causal
    mask), and the output layer for the last token only (the next-token logits).
    """
    matmul = 2.0 * model.block_params_active * prompt_tokens + 2.0 * model.lm_head_params
    attention = 2.0 * model.layers * prompt_tokens ** 2 * _prefill_dim(model)
    return matmul + attention


def allreduce_time(message_bytes: float, tp: int, link_bandwidth: float,
                   latency: float, hop_latency: float = 0.0) -> float:
    """Ring all-reduce of ``message_bytes`` over ``tp`` ranks. [s]

    Each rank sends and receives 2 (tp − 1) / tp of the message (Patarasuk & Yuan 2009,
    "Bandwidth optimal all-reduce algorithms", JPDC 69(2)), plus a fixed latency per call
    and one per ring step (``collectives.allreduce_time``).
    """
    return collectives.allreduce_time(
        message_bytes, tp, collectives.Fabric(link_bandwidth, hop_latency, latency))


# Expert-parallel dispatch sends FP8 activations, combine returns 16-bit ones, as DeepSeek
# serves V3/R1 (deepseek-ai/DeepEP README: "FP8 dispatching and BF16 combining"). [B/value]
DISPATCH_BYTES = 1.0
COMBINE_BYTES = 2.0


def tensor_parallel_time(replica: Replica, model: Transformer, tokens: float) -> float:
    """Communication inside a stage in one forward step over ``tokens`` tokens. [s]

    Megatron-style tensor parallelism all-reduces the activations twice per layer (after
    attention and after the MLP): Shoeybi et al. 2019, "Megatron-LM", arXiv:1909.08053, §3.
    With attention data-parallel and expert parallelism, each rank keeps its own tokens and
    a layer instead dispatches every token to its k experts' ranks and combines the results
    back, two all-to-alls (DeepSeek-V3, arXiv:2412.19437, §3.4).
    """
    if replica.attention_dp and replica.ep > 1:
        per_rank = tokens / replica.tp * min(model.experts_active, model.experts) * \
            model.hidden
        per_layer = collectives.alltoall_time(per_rank * DISPATCH_BYTES, replica.ep,
                                              replica.fabric) + \
            collectives.alltoall_time(per_rank * COMBINE_BYTES, replica.ep, replica.fabric)
        return model.layers * per_layer
    message = tokens * model.hidden * ACTIVATION_BYTES
    return 2.0 * model.layers * collectives.allreduce_time(message, replica.tp,
                                                           replica.fabric)


def pipeline_time(replica: Replica, model: Transformer, tokens: float) -> float:
    """Activations of one micro-batch of ``tokens`` passed between the pp stages. [s]

    pp − 1 send/recv per forward pass; each tensor-parallel rank sends its 1/tp slice
    (Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU
    Clusters Using Megatron-LM", arXiv:2104.04473, §4.1 scatter/gather).
    """
    if replica.pp <= 1:
        return 0.0
    message = tokens * model.hidden * ACTIVATION_BYTES / replica.tp
    return (replica.pp - 1) * collectives.send_recv_time(message, replica.stage_link)


def micro_batches(replica: Replica, sequences: float) -> float:
    """Micro-batches a pipelined replica splits ``sequences`` into: one per stage, or one
    per sequence when there are fewer sequences than stages. [-]"""
    return max(1.0, min(float(replica.pp), sequences))


def step_time(replica: Replica, matmul_flops: float, weight_bytes: float,
              attention_flops: float, kv_bytes: float, layers: int) -> float:
    """One forward step as a sequence of kernels, each bound by its own roofline. [s]

    The weight matmuls take max(FLOPs / compute, weight bytes / bandwidth); attention takes
    max(FLOPs / 16-bit compute, KV bytes / bandwidth); they run one after the other, so
    their times add, plus a fixed overhead per layer (launches, norms, sampling). Summing
    per-operator rooflines follows LLM-Viewer (Yuan et al. 2024, "LLM Inference Unveiled",
    arXiv:2402.16363, §2); one max() over the whole step is 30-45 % optimistic at the batch
    sizes where attention and matmuls are bound by different resources.
    """
    matmul = max(matmul_flops / replica.compute_rate, weight_bytes / replica.memory_rate)
    attention = max(attention_flops / replica.attention_rate, kv_bytes / replica.memory_rate)
    return matmul + attention + layers * replica.layer_overhead


def prefill_time(replica: Replica, model: Transformer, prompt_tokens: float,
                 sequences: float = 1.0) -> float:
    """Time to prefill ``sequences`` prompts of ``prompt_tokens`` tokens together. [s]

    With pp stages the prompts go through as m micro-batches, one per stage: under
    continuous batching the stages stay fed, so the batch takes one full pass of one
    micro-batch. GPipe's fill-and-drain bubble, (pp − 1) / (m + pp − 1) of the time
    (Huang et al. 2019, "GPipe", arXiv:1811.06965, §2.2), belongs to a flushed batch; here
    the bubble is the stages left idle when fewer prompts than stages are in flight (one
    prompt alone crosses every stage in turn).
    """
    m = micro_batches(replica, sequences)
    per = sequences / m
    tokens = prompt_tokens * per
    matmul = (2.0 * model.block_params_active * prompt_tokens
              + 2.0 * model.lm_head_params) * per
    attention = 2.0 * model.layers * prompt_tokens ** 2 * _prefill_dim(model) * per
    kv_written = model.kv_bytes_per_token * replica.kv_replication * tokens
    return step_time(replica, matmul, _weights_read(replica, model, tokens), attention,
                     kv_written, model.layers) + \
        tensor_parallel_time(replica, model, tokens) + pipeline_time(replica, model, tokens)


def _window_tokens(context: float, model: Transformer) -> float:
    """Tokens of KV read per sequence at ``context``, windowed layers capped. [tokens]"""
    return (1.0 - model.window_fraction) * context + \
        model.window_fraction * min(context, model.window)


def _context_pieces(model: Transformer, prompt_tokens: float,
                    output_tokens: int) -> list[tuple[int, int, float, float]]:
    """Tokens of KV one sequence reads at decode step t, as lines intercept + slope · t over
    steps [a, b): every layer grows until the sliding window fills, then only the
    full-attention layers do. Returns (a, b, intercept, slope) per piece."""
    if math.isinf(model.window):
        return [(0, output_tokens, float(prompt_tokens), 1.0)]
    window_break = int(min(output_tokens, max(0.0, math.ceil(model.window - prompt_tokens))))
    full = 1.0 - model.window_fraction
    return [(0, window_break, float(prompt_tokens), 1.0),
            (window_break, output_tokens,
             full * prompt_tokens + model.window_fraction * model.window, full)]


def decode_step_time(replica: Replica, model: Transformer, batch: float,
                     context: float) -> float:
    """One decode step: ``batch`` sequences each with ``context`` tokens of KV cache. [s]

    With pp stages the batch runs as m micro-batches in flight together: every stage
    serves each in turn, so all advance one token in one full pass of one micro-batch.
    """
    per = batch / micro_batches(replica, batch)
    kv_tokens = _window_tokens(context, model) * per
    matmul = 2.0 * (model.block_params_active + model.lm_head_params) * per
    attention = 4.0 * model.layers * model.attention_dim * kv_tokens
    return step_time(replica, matmul, _weights_read(replica, model, per), attention,
                     model.kv_bytes_per_token * replica.kv_replication * kv_tokens,
                     model.layers) + \
        tensor_parallel_time(replica, model, per) + pipeline_time(replica, model, per)


def _sum_linear(a: int, b: int, intercept: float, slope: float) -> float:
    """Σ_{t=a}^{b-1} (intercept + slope · t)."""
    n = b - a
    if n <= 0:
        return 0.0
    return n * intercept + slope * (a + b - 1) * n / 2.0


def _sum_max_lines(a: int, b: int, line1: tuple[float, float],
                   line2: tuple[float, float]) -> float:
    """Σ_{t=a}^{b-1} max(line1(t), line2(t)) for lines given as (intercept, slope)."""
    if b <= a:
        return 0.0
    (i1, s1), (i2, s2) = line1, line2
    if s1 != s2:
        cross = (i2 - i1) / (s1 - s2)
        # The first integer step on the far side of the crossing; split only inside (a, b).
        split = math.ceil(cross) if math.isfinite(cross) else a
        if a < split < b:
            return _sum_max_lines(a, split, line1, line2) + _sum_max_lines(split, b, line1, line2)
    mid = (a + b - 1) / 2.0
    upper = line1 if i1 + s1 * mid >= i2 + s2 * mid else line2
    return _sum_linear(a, b, *upper)


def decode_time(replica: Replica, model: Transformer, batch: float, prompt_tokens: float,
                output_tokens: int) -> float:
    """Time to generate ``output_tokens`` tokens for ``batch`` sequences together. [s]

    Exact sum of ``decode_step_time`` over the decode steps t = 0 … O−1 at context P + t.
    The matmul part is the same every step; the attention part is the larger of two lines
    in t (piecewise, with a break where sliding-window layers stop growing), whose sum has
    a closed form per piece.
    """
    per = batch / micro_batches(replica, batch)
    matmul = 2.0 * (model.block_params_active + model.lm_head_params) * per
    per_step = max(matmul / replica.compute_rate,
                   _weights_read(replica, model, per) / replica.memory_rate) + \
        tensor_parallel_time(replica, model, per) + pipeline_time(replica, model, per) + \
        model.layers * replica.layer_overhead
    attention = 4.0 * model.layers * model.attention_dim * per / replica.attention_rate
    kv = model.kv_bytes_per_token * replica.kv_replication * per / replica.memory_rate

    def piece(a: int, b: int, growth: float, kv_at_zero: float) -> float:
        return _sum_max_lines(a, b, (attention * kv_at_zero, attention * growth),
                              (kv * kv_at_zero, kv * growth))

    total = sum(piece(a, b, slope, intercept)
                for a, b, intercept, slope in _context_pieces(model, prompt_tokens,
                                                               output_tokens))
    return total + per_step * output_tokens


class ServingPoint(NamedTuple):
    """Serving figures of one replica at one batch size."""

    batch: int
    prefill_s: float          # one prompt alone [s]
    tpot_s: float             # mean time per output token at this batch [s]
    requests_per_s: float     # one replica [1/s]
    tokens_per_s: float       # generated tokens, one replica [1/s]


def serving_point(replica: Replica, model: Transformer, batch: int, prompt_tokens: int,
                  output_tokens: int) -> ServingPoint:
    """Throughput and per-token latency of one replica running ``batch`` sequences. [-]

    With continuous batching a replica spends, per ``batch`` requests, the prefill of
    ``batch`` prompts and the decode of ``batch`` × ``output_tokens`` tokens. Pipeline
    stages serve micro-batches of that batch (``prefill_time``, ``decode_step_time``): a
    pipeline adds throughput only through the larger batch its memory holds.
    """
    prefill_one = prefill_time(replica, model, prompt_tokens, 1.0)
    prefill_all = prefill_time(replica, model, prompt_tokens, float(batch))
    decode = decode_time(replica, model, float(batch), prompt_tokens, output_tokens)
    cycle = prefill_all + decode
    rps = batch / cycle
    return ServingPoint(batch=batch, prefill_s=prefill_one, tpot_s=decode / output_tokens,
                        requests_per_s=rps, tokens_per_s=rps * output_tokens)


def cycle_work(model: Transformer, batch: int, prompt_tokens: int,
               output_tokens: int) -> tuple[float, float]:
    """FLOPs and memory bytes of one serving cycle: prefill and decode of ``batch`` requests.

    The same terms the step model times: 2 FLOPs per active parameter per token, causal
    attention in prefill and 4 · layers · heads·head_dim per context token in decode; weights
    read per step, the KV cache written in prefill and read at every decode step.
    Returns (FLOPs [FLOP], bytes [B]).
    """
    b = float(batch)
    flops = prefill_flops(model, prompt_tokens) * b
    moved = weight_bytes_read(model, prompt_tokens * b) + \
        model.kv_bytes_per_token * prompt_tokens * b
    matmul = 2.0 * (model.block_params_active + model.lm_head_params) * b
    # Σ over decode steps of context tokens read (windowed layers capped), in closed form.
    context = sum(_sum_linear(a, b, intercept, slope)
                  for a, b, intercept, slope in _context_pieces(model, prompt_tokens,
                                                                output_tokens))
    flops += matmul * output_tokens + 4.0 * model.layers * model.attention_dim * b * context
    moved += weight_bytes_read(model, b) * output_tokens + model.kv_bytes_per_token * b * context
    return flops, moved


def md1_wait(arrival_rate: float, service_time: float) -> float:
    """Mean queueing delay of an M/D/1 queue (Poisson arrivals, fixed service time). [s]

    W_q = ρ / (2 μ (1 − ρ)) with ρ = λ · S (Pollaczek–Khinchine formula for deterministic
    service; Kleinrock 1975, "Queueing Systems", vol. 1, §5.7). Infinite when ρ ≥ 1.
    """
    rho = arrival_rate * service_time
    if rho >= 1.0:
        return math.inf
    return rho * service_time / (2.0 * (1.0 - rho))


def largest_batch(limit: int, check: Callable[[int], bool]) -> int:
    """Largest batch b in 1..limit with check(b) true, for a check monotone in b. [-]

    Returns 0 when even a batch of one fails.
    """
    if limit < 1 or not check(1):
        return 0
    low, high = 1, limit
    while low < high:
        mid = (low + high + 1) // 2
        if check(mid):
            low = mid
        else:
            high = mid - 1
    return low
