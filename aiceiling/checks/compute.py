"""Compute checks: memory, throughput, latency, training time, hardware availability."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from aiceiling.checks import (
    FAIL,
    UNKNOWN,
    Context,
    Registry,
    Result,
    quantity_result,
    skip,
    unknown,
)
from aiceiling.estimates import DAY, Estimates
from aiceiling.render import number

_SERVING = ("llm-inference", "inference")


def _why_missing(ctx: Context, *keys: str) -> str:
    for key in ("hardware", "model", "memory", "tokens", "bandwidth", "peak", "flops",
                "train_tokens", *keys):
        if key in ctx.estimates.unknown:
            return ctx.estimates.unknown[key]
    return "not enough input to estimate it"


def memory_fit(ctx: Context) -> Result:
    cid = "compute.memory_fit"
    est = ctx.estimates
    required, available = est.get("memory_required_gb"), est.get("memory_available_gb")
    if required is None or available is None:
        gap = unknown if ctx.resolved.hardware is not None else skip
        return gap(cid, _why_missing(ctx), ("deployment", "hardware"))
    facts = est.facts
    kind = ctx.profile.workload.kind
    n = ctx.profile.deployment.accelerators
    if kind == "llm-inference" and "weights_per_replica" in facts:
        group = facts["group"]
        hw = ctx.resolved.hardware
        assert hw is not None and hw.memory is not None
        usable = hw.memory.value * group * (1 - facts["reserve"])
        weights = facts["weights_per_replica"]
        if weights > usable:
            message = (f"weights alone ({weights / 1e9:.1f} GB) exceed the usable "
                       f"{usable / 1e9:.1f} GB of {group}× {hw.id}")
        else:
            message = (f"{facts['layout'].label}: weights {est.get('weights_gb'):.1f} GB "
                       f"×{facts['replicas']} + KV for {facts['concurrency']} seq; max "
                       f"{facts['max_batch']} seq/replica")
    elif kind in ("training", "fine-tuning"):
        message = f"training state (16 B/parameter) sharded over {n} accelerators"
    else:
        message = f"weights {number(est.get('weights_gb') or 0.0)} GB on {n} accelerator(s)"
    refs = est.values["memory_available_gb"].references + \
        est.values["memory_required_gb"].references
    return quantity_result(cid, required, available, "GB", ("deployment", "accelerators"),
                           message, refs)


def throughput(ctx: Context) -> Result:
    cid = "compute.throughput"
    if ctx.profile.workload.kind not in _SERVING:
        return skip(cid, "applies to serving workloads, not training")
    facts = ctx.estimates.facts
    peak = facts.get("peak_rps")
    traffic_path = ("workload", "traffic", "requests_per_s")
    if not peak:
        return skip(cid, "workload.traffic.requests_per_s is not given", ("workload",))
    capacity = facts.get("capacity_rps")
    if capacity is None:
        return Result(cid, UNKNOWN, _why_missing(ctx), path=traffic_path)
    refs = tuple(facts.get("hw_refs", ()))
    stable = facts.get("stable_rps")
    if capacity <= 0:
        # Overload binds here: the share is against the stability limit, which is what
        # an unstable queue exceeds.
        share = peak / stable if stable else None
        tail = f"; stable up to {number(stable)} req/s" if stable else ""
        return Result(cid, FAIL, "no steady operating point meets the p99 budgets and fits "
                      f"in memory{tail}", peak, 0.0, "req/s", share, traffic_path, refs)
    replicas = facts.get("serving_replicas", facts.get("replicas",
                                                         ctx.profile.deployment.accelerators))
    if stable is None:  # vision: batches of fixed size
        message = f"peak demand vs capacity: batch {facts.get('batch')} ×{replicas} replicas"
    else:
        message = (f"peak demand vs capacity: decode batch {facts.get('capacity_batch')} "
                   f"×{replicas} replicas within the p99 budgets; stable up to "
                   f"{number(stable)} req/s")
    return quantity_result(cid, peak, capacity, "req/s", traffic_path, message, refs)


def _unstable(ctx: Context) -> str | None:
    """The overload message when demand has no steady operating point, else None."""
    facts = ctx.estimates.facts
    if not facts.get("unstable"):
        return None
    return (f"unstable: {number(facts.get('offered_rps') or 0.0)} req/s offered, capacity "
            f"{number(facts.get('stable_rps') or 0.0)} req/s")


def _latency_check(ctx: Context, cid: str, key: str, budget_field: str,
                   explain: Callable[[Estimates], str]) -> Result:
    """Hold the p99 (``key``_p99 when estimated, else ``key``) against the budget; the
    message shows the mean beside it. Overload fails with no share, so the throughput
    check binds."""
    latency = ctx.profile.workload.latency
    budget = getattr(latency, budget_field) if latency else None
    path = ("workload", "latency", budget_field)
    if budget is None:
        return skip(cid, f"workload.latency.{budget_field} is not given", ("workload",))
    unstable = _unstable(ctx)
    if unstable is not None:
        return Result(cid, FAIL, unstable, "unstable", f"{number(budget * 1e3)} ms", "",
                      None, path, tuple(ctx.estimates.facts.get("hw_refs", ())))
    est = ctx.estimates
    p99_key = key.replace("_ms", "_p99_ms")
    mean = est.get(key)
    if mean is None:
        return Result(cid, UNKNOWN, _why_missing(ctx, "disaggregation", "speculative"),
                      path=path)
    if p99_key in est.values:
        value = est.get(p99_key)
        assert value is not None
        message = f"p99 (mean {number(mean)} ms): {explain(est)}"
        refs = est.values[p99_key].references
    else:
        value, message, refs = mean, explain(est), est.values[key].references
    return quantity_result(cid, value, budget * 1e3, "ms", path, message, refs)
def _ms(estimates: Estimates, key: str) -> str:
    value = estimates.get(key)
    return "n/a" if value is None else f"{number(value)} ms"


def _ttft_parts(est: Estimates) -> str:
    queue = est.facts.get("queue_ms")
    network = _ms(est, "network_rtt_ms") if "network_rtt_ms" in est.values else "not given"
    return (f"prefill {_ms(est, 'prefill_ms')} + queue "
            f"{number(queue) if queue is not None else 'n/a'} ms + network {network}")


def _tpot_parts(est: Estimates) -> str:
    facts = est.facts
    return (f"decode batch {facts.get('batch')} ×{facts.get('serving_replicas')} replicas "
            f"with prefill mixed in, {facts.get('compute_precision')}")


def _e2e_parts(est: Estimates) -> str:
    network = _ms(est, "network_rtt_ms") if "network_rtt_ms" in est.values else "not given"
    if "tpot_ms" in est.values:
        return f"network {network} + TTFT + output × TPOT"
    return f"network {network} + inference {_ms(est, 'inference_ms')}"


def ttft(ctx: Context) -> Result:
    if ctx.profile.workload.kind != "llm-inference":
        return skip("compute.ttft", "applies to LLM serving only")
    return _latency_check(ctx, "compute.ttft", "ttft_ms", "ttft", _ttft_parts)


def tpot(ctx: Context) -> Result:
    if ctx.profile.workload.kind != "llm-inference":
        return skip("compute.tpot", "applies to LLM serving only")
    return _latency_check(ctx, "compute.tpot", "tpot_ms", "tpot", _tpot_parts)


def latency_e2e(ctx: Context) -> Result:
    if ctx.profile.workload.kind not in _SERVING:
        return skip("compute.latency_e2e", "applies to serving workloads, not training")
    return _latency_check(ctx, "compute.latency_e2e", "latency_e2e_ms", "e2e", _e2e_parts)


def training_time(ctx: Context) -> Result:
    cid = "compute.training_time"
    w = ctx.profile.workload
    if w.kind not in ("training", "fine-tuning"):
        return skip(cid, "applies to training and fine-tuning")
    if w.deadline is None:
        return skip(cid, "workload.deadline is not given", ("workload",))
    days = ctx.estimates.get("training_days")
    if days is None:
        return unknown(cid, _why_missing(ctx), ("workload", "train_tokens"))
    estimate = ctx.estimates.values["training_days"]
    inputs = dict(estimate.inputs)
    message = (f"6·N·D over {inputs['accelerators']} accelerators at "
               f"{float(inputs['utilization']):.0%} utilization")
    return quantity_result(cid, days, w.deadline / DAY, "days", ("workload", "deadline"),
                           message, estimate.references)


def context_window(ctx: Context) -> Result:
    cid = "compute.context_window"
    w = ctx.profile.workload
    if w.kind != "llm-inference":
        return skip(cid, "applies to LLM serving only")
    if w.prompt_tokens is None or w.output_tokens is None:
        return skip(cid, "workload.prompt_tokens and output_tokens are not given",
                    ("workload",))
    model = ctx.resolved.model
    path = ("workload", "prompt_tokens")
    needed = w.prompt_tokens + w.output_tokens
    if not model.max_context:
        return Result(cid, UNKNOWN, f"no sourced maximum context for {model.name}",
                      float(needed), None, "tokens", None, path)
    refs = model.references
    longest = (w.prompt_tokens_p99 or w.prompt_tokens) + (w.output_tokens_p99 or
                                                          w.output_tokens)
    if longest > model.max_context >= needed:
        message = (f"the p99 request ({longest:,} tokens) exceeds {model.name}'s "
                   f"{model.max_context:,}-token context; the mean fits")
        return Result(cid, FAIL, message, float(longest), float(model.max_context), "tokens",
                      longest / model.max_context, path, refs)
    message = (f"prompt {w.prompt_tokens:,} + output {w.output_tokens:,} tokens vs "
               f"{model.name}'s maximum context of {model.max_context:,}")
    result = quantity_result(cid, float(needed), float(model.max_context), "tokens", path,
                             message, refs)
    if result.status == FAIL:
        result.message = (f"{needed:,} tokens exceed {model.name}'s maximum context of "
                          f"{model.max_context:,} (prompt {w.prompt_tokens:,} + output "
                          f"{w.output_tokens:,})")
    return result


def availability(ctx: Context) -> Result:
    cid = "compute.availability"
    schedule = ctx.profile.schedule
    if schedule is None or schedule.go_live is None:
        return skip(cid, "schedule.go_live is not given", ())
    hw = ctx.resolved.hardware
    lead = schedule.hardware_lead_time
    refs: tuple[str, ...] = ()
    source = "profile"
    if lead is None:
        if hw is None or hw.lead_time is None:
            name = hw.name if hw else "the hardware"
            return unknown(cid, f"no sourced lead time for {name}; set "
                             "schedule.hardware_lead_time", ("schedule", "go_live"))
        lead = float(hw.lead_time.value)
        refs = (hw.lead_time.reference(),)
        source = f"catalog, as of {hw.lead_time.as_of}"
        ctx.estimates.assume("schedule.hardware_lead_time", f"{lead / DAY / 7:.0f} weeks",
                             hw.lead_time.reference())
    order = schedule.order_date or ctx.today
    assert isinstance(order, dt.date)
    window_days = (schedule.go_live - order).days
    lead_days = lead / DAY
    path = ("schedule", "go_live")
    message = (f"hardware lead time ({source}) vs {window_days} days from "
               f"{order.isoformat()} to go-live")
    if window_days <= 0:
        return Result(cid, "fail", f"go-live {schedule.go_live} is not after the order date "
                      f"{order.isoformat()}", lead_days, float(window_days), "days", None,
                      path, refs)
    return quantity_result(cid, lead_days, float(window_days), "days", path, message, refs)


def register(registry: Registry) -> None:
    """Add the compute family to ``registry``."""
    reg = registry.register
    reg("compute.memory_fit", title="Weights, KV cache and reserve fit in accelerator memory",
        reads=("workload.model", "workload.precision", "deployment.hardware",
               "deployment.accelerators"),
        why="A model that does not fit cannot be served at all.",
        fix="Quantize, add accelerators, or pick one with more memory.")(memory_fit)
    reg("compute.throughput", title="Serving capacity covers peak demand",
        reads=("workload.traffic", "deployment.accelerators"),
        why="Below capacity, queues grow without bound at peak.",
        fix="Add accelerators, quantize, or relax the per-token budget.")(throughput)
    reg("compute.ttft", title="Time to first token within budget",
        reads=("workload.latency.ttft", "workload.prompt_tokens"),
        why="Users and callers wait for the first token.",
        fix="Shorter prompts, more tensor parallelism, faster accelerators, closer "
            "placement.")(ttft)
    reg("compute.tpot", title="Time per output token within budget",
        reads=("workload.latency.tpot",),
        why="Streaming speed; decode is bound by memory bandwidth.",
        fix="Quantize weights and KV cache, smaller batch, higher-bandwidth memory.")(tpot)
    reg("compute.latency_e2e", title="End-to-end latency within budget",
        reads=("workload.latency.e2e", "deployment.distance", "deployment.access_network"),
        why="A control loop or a user waits for the whole answer.",
        fix="Move inference closer (edge), shorten outputs, faster hardware.")(latency_e2e)
    reg("compute.training_time", title="Training finishes before the deadline",
        reads=("workload.train_tokens", "workload.deadline", "deployment.accelerators"),
        why="Compute time is the deadline's first ceiling.",
        fix="More accelerators, fewer tokens, a smaller model.")(training_time)
    reg("compute.availability", title="Hardware arrives before go-live",
        reads=("schedule.go_live", "schedule.hardware_lead_time", "deployment.hardware"),
        why="Budget does not buy hardware that cannot be delivered in time.",
        fix="Rent cloud capacity, choose available hardware, or move go-live.")(availability)
    reg("compute.context_window", title="Prompt and output fit in the model's context",
        reads=("workload.prompt_tokens", "workload.output_tokens", "workload.model"),
        why="Tokens beyond the model's maximum context are truncated or rejected.",
        fix="Shorter prompts (retrieval, summarized history), or a model with a longer "
            "context.")(context_window)
