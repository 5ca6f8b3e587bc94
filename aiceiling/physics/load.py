"""The operating point of a busy LLM server: continuous batching with chunked prefill.

An engine (vLLM, SGLang, TensorRT-LLM) runs one forward step after another; each step
generates a token for every sequence in decode and processes a chunk of the prompts
that arrived (chunked prefill: Agrawal et al. 2024, "Taming Throughput-Latency Tradeoff
in LLM Inference with Sarathi-Serve", OSDI '24, §4). At a steady arrival rate λ:

* sequences in decode D = λ × decode steps per request × step time (Little's law,
  Little 1961, Operations Research 9(3));
* prompt tokens per step c = λ × step time × new prompt tokens per request, so c / D
  is fixed by the request shape and every quantity is a function of D alone;
* the step time τ(D) = T(D decode tokens, c prefill tokens), the roofline step model of
  ``aiceiling.physics.serving`` over both kinds of tokens;
* λ(D) = D / (decode steps × τ(D)) rises with D (the weights are read once per step
  whatever the batch), so a given λ has one operating point, found by bisection, and
  no operating point beyond λ(D_max): the queue is then unstable.

D_max is the smallest of: the sequences whose KV cache fits in memory, the engine's
max_num_seqs (``traffic.concurrency``), and the per-step token budget (max_num_tokens).

Serving options change the work per step: a prefix-cache hit rate removes the cached
share of the prompt from prefill (its KV cache is still read in decode); speculative
decoding verifies k + 1 tokens per sequence per step and keeps on average
(1 − α^(k+1)) / (1 − α) of them (Leviathan et al. 2023, "Fast Inference from
Transformers via Speculative Decoding", ICML, eq. 1), at the cost of k draft passes;
disaggregated serving (Zhong et al. 2024, "DistServe", OSDI '24) moves prefill to its
own pool, so decode steps carry no prefill and TTFT is the prefill pool's queue.

Units: seconds, tokens, requests/s.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from aiceiling.physics import queueing
from aiceiling.physics.serving import (
    Replica,
    Transformer,
    step_time,
    tensor_parallel_time,
    weight_bytes_read,
)

# Tokens one step may process when the profile does not say: the max_num_tokens of
# NVIDIA's MLPerf Inference v4.1 Mixtral-8x7B configuration (closed/NVIDIA/configs/
# mixtral-8x7b/Offline/__init__.py, tests/data/calibration.yaml). [tokens]
DEFAULT_STEP_TOKEN_BUDGET = 8192.0

# Bisection steps: the interval shrinks 2^-32, far below one sequence. [-]
_BISECTIONS = 32


class Options(NamedTuple):
    """Serving options that change the work per step."""

    prefix_hit_rate: float = 0.0     # share of prompt tokens served from the prefix cache
    draft_tokens: int = 0            # speculative tokens proposed per step, k
    acceptance_rate: float = 0.0     # probability a drafted token is accepted, α
    draft_cost: float = 0.0          # one draft pass / one target decode step, same batch
    step_token_budget: float = DEFAULT_STEP_TOKEN_BUDGET   # max tokens per step
    max_sequences: float = math.inf  # sequences in decode per replica (memory, max_num_seqs)
    prefill_ratio: float = 0.0       # disaggregated: decode replicas per prefill replica
    kv_transfer_s: float = 0.0       # disaggregated: moving one prompt's KV cache [s]


class Request(NamedTuple):
    """The request shape: mean lengths and their log-normal spreads."""

    prompt_tokens: float
    output_tokens: float
    prompt_sigma: float = queueing.DEFAULT_LENGTH_SIGMA
    output_sigma: float = 0.0


class Engine(NamedTuple):
    """One replica running one model for one request shape with its serving options."""

    replica: Replica
    model: Transformer
    request: Request
    options: Options = Options()

    @property
    def tokens_per_step(self) -> float:
        """Expected tokens kept per sequence per decode step, E. [tokens]"""
        return expected_tokens_per_step(self.options.draft_tokens,
                                        self.options.acceptance_rate)

    @property
    def new_prompt_tokens(self) -> float:
        """Prompt tokens prefilled per request (the prefix cache holds the rest). [tokens]"""
        return self.request.prompt_tokens * (1.0 - self.options.prefix_hit_rate)

    @property
    def decode_steps(self) -> float:
        """Decode steps per request: output tokens after the first, over E. [-]"""
        return max(self.request.output_tokens - 1.0, 1.0) / self.tokens_per_step

    @property
    def disaggregated(self) -> bool:
        return self.options.prefill_ratio > 0


def expected_tokens_per_step(draft_tokens: int, acceptance_rate: float) -> float:
    """Tokens a sequence keeps per verification step of speculative decoding. [tokens]

    (1 − α^(k+1)) / (1 − α) for k drafted tokens each accepted with probability α: the
    accepted prefix plus the target's own token (Leviathan et al. 2023, ICML, eq. 1);
    k + 1 when α = 1, and 1 without speculation (k = 0).
    """
    k, alpha = max(draft_tokens, 0), min(max(acceptance_rate, 0.0), 1.0)
    if k == 0:
        return 1.0
    if alpha >= 1.0:
        return float(k + 1)
    return (1.0 - alpha ** (k + 1)) / (1.0 - alpha)


def mixed_step_time(engine: Engine, decode_seqs: float, prefill_tokens: float) -> float:
    """One forward step over ``decode_seqs`` sequences in decode and ``prefill_tokens``
    prompt tokens (chunked prefill mixed into the decode batch). [s]

    Decode sequences each verify k + 1 tokens (1 without speculation) against a context of
    P + O/2 tokens on average over their decode; new prompt tokens attend causally to
    their prompt, 2 · layers · heads·head_dim · (P + cached prefix) FLOPs each, and write
    their KV. The kernels are timed by ``serving.step_time`` and tensor parallelism's
    all-reduces over all tokens of the step; speculative decoding adds k draft passes at
    ``draft_cost`` × a plain decode step (Leviathan et al. 2023, §3.3).
    """
    opt = engine.options
    time = _forward(engine, decode_seqs, prefill_tokens, 1 + max(opt.draft_tokens, 0))
    if opt.draft_tokens > 0 and opt.draft_cost > 0 and decode_seqs > 0:
        time += opt.draft_tokens * opt.draft_cost * _forward(engine, decode_seqs, 0.0, 1)
    return time


def _forward(engine: Engine, decode_seqs: float, prefill_tokens: float,
             verify: int) -> float:
    """One target forward pass: ``verify`` tokens per decoding sequence plus the prompt
    tokens. [s]"""
    model, req = engine.model, engine.request
    context = req.prompt_tokens + req.output_tokens / 2.0
    windowed = (1.0 - model.window_fraction) * context + \
        model.window_fraction * min(context, model.window)
    kv_tokens = windowed * decode_seqs
    tokens = decode_seqs * verify + prefill_tokens
    cached = req.prompt_tokens - engine.new_prompt_tokens
    matmul = 2.0 * model.block_params_active * tokens + \
        2.0 * model.lm_head_params * decode_seqs * verify
    attention = 4.0 * model.layers * model.attention_dim * kv_tokens * verify + \
        2.0 * model.layers * model.attention_dim * (req.prompt_tokens + cached) * prefill_tokens
    kv_bytes = model.kv_bytes_per_token * (kv_tokens + prefill_tokens)
    return step_time(engine.replica, matmul, weight_bytes_read(model, tokens), attention,
                     kv_bytes, model.layers) + \
        tensor_parallel_time(engine.replica, model, tokens)


class LoadPoint(NamedTuple):
    """One replica at one steady arrival rate. Times in seconds."""

    arrival_rate: float       # requests/s offered to this replica [1/s]
    decode_batch: float       # sequences in decode, all pipeline stages together [-]
    prefill_tokens: float     # prompt tokens per step [tokens]
    step_s: float             # one forward pass [s]
    tpot_s: float             # mean time per output token [s]
    tpot_p50_s: float
    tpot_p99_s: float
    ttft_s: float             # mean time to first token, server side (no network) [s]
    ttft_p50_s: float
    ttft_p99_s: float
    time_in_system_s: float   # mean TTFT + (O − 1) × TPOT [s]
    in_flight: float          # arrival_rate × time_in_system_s (Little's law) [-]


def _per_stage_limit(engine: Engine) -> float:
    """Largest decode batch per pipeline micro-batch: memory, max_num_seqs, token budget."""
    opt, pp = engine.options, engine.replica.pp
    verify = 1 + max(opt.draft_tokens, 0)
    prefill_per_seq = 0.0 if engine.disaggregated else \
        engine.new_prompt_tokens / engine.decode_steps
    by_budget = opt.step_token_budget / (verify + prefill_per_seq)
    return min(opt.max_sequences / pp, by_budget)


def _prefill_duration(engine: Engine, decode_seqs: float, others: float,
                      prompt: float) -> float:
    """Time to prefill one prompt of ``prompt`` new tokens in steps beside ``decode_seqs``
    decoding sequences and ``others`` tokens of other prompts, within the token budget."""
    room = max(engine.options.step_token_budget - decode_seqs *
               (1 + max(engine.options.draft_tokens, 0)), 1.0)
    tokens = others + prompt
    steps = max(1.0, tokens / room)
    return steps * mixed_step_time(engine, decode_seqs, min(tokens, room))


def arrival_rate_at(engine: Engine, decode_batch: float) -> float:
    """Arrival rate whose steady state keeps ``decode_batch`` sequences in decode. [1/s]

    Little's law: decode_batch = λ × decode steps per request × step time.
    """
    if decode_batch <= 0:
        return 0.0
    pp = engine.replica.pp
    per_stage = decode_batch / pp
    step = mixed_step_time(engine, per_stage, _prefill_per_step(engine, per_stage))
    return decode_batch / (engine.decode_steps * step)


def _prefill_per_step(engine: Engine, per_stage: float) -> float:
    if engine.disaggregated:
        return 0.0
    return per_stage * engine.new_prompt_tokens / engine.decode_steps


def point_at(engine: Engine, decode_batch: float) -> LoadPoint:
    """Figures of the steady state with ``decode_batch`` sequences in decode. [-]

    TTFT = wait for the step in progress (half a step, when the server is busy) + wait
    for room in the per-step token budget (M/G/1) + the steps that prefill the prompt;
    disaggregated, the prefill pool's M/G/1 queue and prefill, the KV transfer, and half a
    decode step. TPOT = τ / E. The p99s add, in quadrature, the gaps of: the step in
    progress (uniform), the budget queue (exponential tail), the prompt's own length
    (log-normal), other prompts sharing the step (compound Poisson) and, for TPOT, the
    decode batch (Poisson, M/G/∞) and the prefill mixed into the request's median number
    of steps. p50s are the sums of the parts' medians.
    """
    opt, req, pp = engine.options, engine.request, engine.replica.pp
    e = engine.tokens_per_step
    z = queueing.Z99
    per_stage = max(decode_batch, 0.0) / pp
    c = _prefill_per_step(engine, per_stage)
    step = mixed_step_time(engine, per_stage, c)
    rate = arrival_rate_at(engine, decode_batch)
    slot = step / pp
    busy = queueing.busy_probability(decode_batch)
    p_new = engine.new_prompt_tokens
    share = 1.0 - opt.prefix_hit_rate
    p50 = queueing.lognormal_quantile(req.prompt_tokens, req.prompt_sigma, 0.0) * share
    p99 = queueing.lognormal_quantile(req.prompt_tokens, req.prompt_sigma, z) * share
    second = queueing.lognormal_second_moment(p_new, req.prompt_sigma)

    if engine.disaggregated:
        prefill_rate = rate * opt.prefill_ratio
        alone = mixed_step_time(engine, 0.0, p_new)
        spread = (mixed_step_time(engine, 0.0, p99) - alone) / z
        wait = queueing.mg1_wait(prefill_rate, alone, alone * alone + spread * spread)
        rho = prefill_rate * alone
        ttft = wait + alone + opt.kv_transfer_s + busy * slot / 2.0
        gaps = [queueing.wait_quantile(wait, rho) - wait,
                mixed_step_time(engine, 0.0, p99) - alone, busy * slot * 0.49]
        ttft_p50 = queueing.wait_quantile(wait, rho, 0.5) + \
            mixed_step_time(engine, 0.0, p50) + opt.kv_transfer_s + busy * slot / 2.0
        others_gap = 0.0
    else:
        room = max(opt.step_token_budget - per_stage * (1 + max(opt.draft_tokens, 0)), 1.0)
        service = p_new * slot / room
        wait = queueing.mg1_wait(rate, service, second * (slot / room) ** 2)
        rho = rate * service
        own = _prefill_duration(engine, per_stage, c, p_new)
        sd_c = math.sqrt(rate * slot * second)
        others_gap = _prefill_duration(engine, per_stage, c + z * sd_c, p_new) - own
        ttft = busy * slot / 2.0 + wait + own
        gaps = [busy * slot * 0.49, queueing.wait_quantile(wait, rho) - wait,
                _prefill_duration(engine, per_stage, c, p99) - own, others_gap]
        ttft_p50 = busy * slot / 2.0 + queueing.wait_quantile(wait, rho, 0.5) + \
            _prefill_duration(engine, per_stage, c, p50)
    ttft_p99 = queueing.combine_tail(ttft, gaps)

    tpot = step / e
    batch_gap = (mixed_step_time(engine, per_stage + z * math.sqrt(per_stage), c) - step) / e
    median_out = queueing.lognormal_quantile(req.output_tokens, req.output_sigma, 0.0)
    median_steps = max(median_out - 1.0, 1.0) / e
    prefill_gap = 0.0
    if not engine.disaggregated:
        sd_c = math.sqrt(rate * slot * second)
        prefill_gap = z * (mixed_step_time(engine, per_stage, c + sd_c) - step) / e / \
            math.sqrt(median_steps)
    tpot_p99 = queueing.combine_tail(tpot, [batch_gap, prefill_gap])
    in_system = ttft + (req.output_tokens - 1.0) * tpot
    return LoadPoint(arrival_rate=rate, decode_batch=per_stage * pp, prefill_tokens=c,
                     step_s=step, tpot_s=tpot, tpot_p50_s=tpot, tpot_p99_s=tpot_p99,
                     ttft_s=ttft, ttft_p50_s=min(ttft_p50, ttft_p99), ttft_p99_s=ttft_p99,
                     time_in_system_s=in_system, in_flight=rate * in_system)


def stable_limit(engine: Engine) -> float:
    """Largest arrival rate per replica the engine sustains: λ at the decode batch limit,
    and for disaggregated serving, the prefill pool's 1 / prefill time. [1/s]"""
    limit = _per_stage_limit(engine) * engine.replica.pp
    if not math.isfinite(limit):
        raise ValueError("an engine needs a finite limit on sequences (memory or "
                         "max_num_seqs)")
    rate = arrival_rate_at(engine, limit)
    if engine.disaggregated:
        prefill = mixed_step_time(engine, 0.0, engine.new_prompt_tokens)
        rate = min(rate, 1.0 / (prefill * engine.options.prefill_ratio))
    return rate


def batch_for_rate(engine: Engine, arrival_rate: float) -> float:
    """Decode batch whose steady state serves ``arrival_rate``: λ(D) = λ by bisection
    (λ(D) rises with D). The caller checks stability first. [-]"""
    low, high = 0.0, _per_stage_limit(engine) * engine.replica.pp
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2.0
        if arrival_rate_at(engine, mid) < arrival_rate:
            low = mid
        else:
            high = mid
    return high


def operating_point(engine: Engine, arrival_rate: float) -> LoadPoint | None:
    """The steady state at ``arrival_rate`` requests/s per replica; None when no steady
    state exists (arrivals at or beyond ``stable_limit``): the queue grows without end."""
    if arrival_rate >= stable_limit(engine):
        return None
    return point_at(engine, batch_for_rate(engine, arrival_rate))


def capacity(engine: Engine, ttft_budget: float | None = None,
             tpot_budget: float | None = None) -> LoadPoint | None:
    """The busiest steady state whose p99 TTFT and TPOT meet the budgets (server side). [-]

    p99s rise with the decode batch, so the largest batch within them is found by
    bisection below the stability limit; None when even an idle server misses a budget.
    """
    def within(point: LoadPoint) -> bool:
        return (ttft_budget is None or point.ttft_p99_s <= ttft_budget) and \
            (tpot_budget is None or point.tpot_p99_s <= tpot_budget)

    limit = _per_stage_limit(engine) * engine.replica.pp
    stable = stable_limit(engine)
    # Just inside the stability limit: the last steady state.
    top = batch_for_rate(engine, stable * (1.0 - 1e-9)) if stable < \
        arrival_rate_at(engine, limit) else limit
    if within(point_at(engine, top)):
        return point_at(engine, top)
    if not within(point_at(engine, 0.0)):
        return None
    low, high = 0.0, top
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2.0
        if within(point_at(engine, mid)):
            low = mid
        else:
            high = mid
    return point_at(engine, low)


class DedicatedPoint(NamedTuple):
    """One request at a time per replica (dedicated or fixed-pipeline serving)."""

    arrival_rate: float       # requests/s per replica [1/s]
    tpot_s: float
    ttft_s: float
    ttft_p50_s: float
    ttft_p99_s: float
    service_s: float          # mean time one request holds a replica [s]


def dedicated_service(engine: Engine) -> tuple[float, float, float, float]:
    """One request alone: mean service time, its second moment (from the spread of the
    lengths), the prefill at the mean prompt, and the decode step at batch 1.
    Returns (E[S] [s], E[S²] [s²], prefill [s], decode step [s])."""
    req = engine.request
    z = queueing.Z99
    share = 1.0 - engine.options.prefix_hit_rate
    prefill = mixed_step_time(engine, 0.0, engine.new_prompt_tokens)
    step = mixed_step_time(engine, 1.0, 0.0)
    e = engine.tokens_per_step
    mean = prefill + (req.output_tokens - 1.0) / e * step
    p99_prompt = queueing.lognormal_quantile(req.prompt_tokens, req.prompt_sigma, z) * share
    p99_out = queueing.lognormal_quantile(req.output_tokens, req.output_sigma, z)
    sd = math.hypot(mixed_step_time(engine, 0.0, p99_prompt) - prefill,
                    (p99_out - req.output_tokens) / e * step) / z
    return mean, mean * mean + sd * sd, prefill, step


def dedicated_point(engine: Engine, arrival_rate: float,
                    replicas: int = 1) -> DedicatedPoint | None:
    """Unbatched serving: ``arrival_rate`` requests/s (all replicas together) dispatched to
    whichever of ``replicas`` replicas frees first, an M/G/c queue of whole requests;
    None when unstable (λ · E[S] ≥ replicas). [-]

    Service S = prefill + (O − 1) / E decode steps at batch 1.
    """
    mean, second, prefill, step = dedicated_service(engine)
    if arrival_rate * mean >= replicas:
        return None
    req, z = engine.request, queueing.Z99
    share = 1.0 - engine.options.prefix_hit_rate
    wait, waits = queueing.mgc_wait(arrival_rate, mean, second, replicas)
    p50 = queueing.lognormal_quantile(req.prompt_tokens, req.prompt_sigma, 0.0) * share
    p99 = queueing.lognormal_quantile(req.prompt_tokens, req.prompt_sigma, z) * share
    ttft = wait + prefill
    p99_s = queueing.combine_tail(ttft, [queueing.wait_quantile(wait, waits) - wait,
                                        mixed_step_time(engine, 0.0, p99) - prefill])
    p50_s = queueing.wait_quantile(wait, waits, 0.5) + mixed_step_time(engine, 0.0, p50)
    return DedicatedPoint(arrival_rate / replicas, step / engine.tokens_per_step, ttft,
                          min(p50_s, p99_s), p99_s, mean)
