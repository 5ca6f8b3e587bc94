"""Governance checks: required controls, latency determinism, dependence on one provider."""

from __future__ import annotations

import math

from aiceiling.catalog import Figure
from aiceiling.checks import (
    FAIL,
    PASS,
    UNKNOWN,
    WARN,
    Context,
    Registry,
    Result,
    quantity_result,
    skip,
)
from aiceiling.render import number


def controls(ctx: Context) -> Result:
    cid = "governance.controls"
    gov = ctx.profile.governance
    if gov is None or not gov.requires:
        return skip(cid, "governance.requires is not given")
    missing = [c for c in gov.requires if c not in gov.provides]
    refs = tuple(f"{c}: {', '.join(entry.get('required_by', []))}"
                 for c in missing if (entry := ctx.catalog.get("controls", c))
                 and entry.get("required_by"))
    if missing:
        return Result(cid, FAIL, f"missing: {', '.join(missing)} — the design cannot ship "
                      "without them", f"{len(missing)} missing", f"{len(gov.requires)} required",
                      "", None, ("governance", "provides"), refs)
    return Result(cid, PASS, f"all {len(gov.requires)} required controls provided",
                  f"{len(gov.provides)} provided", f"{len(gov.requires)} required", "", None,
                  ("governance", "requires"))


def serving_mode(ctx: Context) -> str:
    """The serving path: as given, else shared-dynamic in a cloud, dedicated elsewhere."""
    dep = ctx.profile.deployment
    if dep.serving_mode:
        return dep.serving_mode
    mode = "shared-dynamic" if dep.placement in ("cloud", "hybrid") else "dedicated"
    ctx.estimates.assume("deployment.serving_mode", mode,
                         "cloud and hybrid serving batch requests on shared accelerators")
    return mode


def determinism(ctx: Context) -> Result:
    cid = "governance.determinism"
    latency = ctx.profile.workload.latency
    if latency is None or latency.jitter is None:
        return skip(cid, "workload.latency.jitter is not given")
    path = ("workload", "latency", "jitter")
    est = ctx.estimates
    facts = est.facts
    if facts.get("unstable"):
        return Result(cid, FAIL, f"unstable: {number(facts.get('offered_rps') or 0.0)} req/s "
                      f"offered, capacity {number(facts.get('stable_rps') or 0.0)} req/s",
                      "unstable", f"{number(latency.jitter * 1e3)} ms", "", None, path)
    e2e, rtt = est.get("latency_e2e_ms"), est.get("network_rtt_ms") or 0.0
    if e2e is None:
        return Result(cid, UNKNOWN, "the serving latency is not known", path=path)
    mode = serving_mode(ctx)
    # A fixed pipeline is statically scheduled (no runtime arbitration): its spread is the
    # pipeline's own figure, not a queue's.
    if "serving_p99_ms" in facts and mode != "fixed-pipeline":
        return _modeled_jitter(ctx, cid, mode, path, latency.jitter)
    entry = ctx.catalog.get("serving_jitter", mode)
    fraction = entry.get("fraction") if entry else None
    if not isinstance(fraction, Figure):
        return Result(cid, UNKNOWN, f"no jitter figure for serving mode {mode!r}", path=path)
    serving_ms = max(e2e - rtt, 0.0)
    jitter_ms = serving_ms * float(fraction.value)
    estimate = " (engineering estimate)" if fraction.source.kind == "estimate" else ""
    message = (f"{mode}: p99 − p50 ≈ {fraction.value:.0%} of the {number(serving_ms)} ms "
               f"serving latency{estimate}; network jitter not included")
    return quantity_result(cid, jitter_ms, latency.jitter * 1e3, "ms", path, message,
                           (fraction.reference(),))


def _modeled_jitter(ctx: Context, cid: str, mode: str, path: tuple[str, ...],
                    budget: float) -> Result:
    """LLM serving: p99 − p50 of the serving latency from the same operating point and
    length spread as the latency checks, with the runtime's own noise added in quadrature.

    Batching and queueing are modeled, so a shared-dynamic path adds only the noise of a
    dedicated run with fixed shapes (the catalog's shared-dynamic fraction was measured
    under load and would count the batching twice).
    """
    facts = ctx.estimates.facts
    p50, p99 = facts["serving_p50_ms"], facts["serving_p99_ms"]
    spread = max(p99 - p50, 0.0)
    runtime_mode = "dedicated"
    entry = ctx.catalog.get("serving_jitter", runtime_mode)
    fraction = entry.get("fraction") if entry else None
    runtime, noise = 0.0, "runtime noise unknown"
    refs: tuple[str, ...] = ()
    if isinstance(fraction, Figure):
        runtime = p50 * float(fraction.value)
        refs = (fraction.reference(),)
        noise = f"runtime {fraction.value:.1%} of p50"
    jitter = math.hypot(spread, runtime)
    message = (f"{mode}: p99 − p50 of the serving latency: {number(spread)} ms from queueing "
               f"and request lengths ⊕ {noise}; network jitter not included")
    return quantity_result(cid, jitter, budget * 1e3, "ms", path, message, refs)


def provider_dependency(ctx: Context) -> Result:
    cid = "governance.provider_dependency"
    dep = ctx.profile.deployment
    path = ("deployment", "hosted_api")
    if not dep.hosted_api:
        return Result(cid, PASS, "self-hosted model: no single API provider", "self-hosted",
                      "", "", None, path)
    if dep.fallback:
        return Result(cid, PASS, "hosted API with a fallback provider or local model",
                      "fallback", "", "", None, ("deployment", "fallback"))
    industry = ctx.catalog.get("industries", ctx.profile.industry)
    continuity = bool(industry and industry.get("continuity_required"))
    refs = (industry["source"].cite(),) if industry and "source" in industry else ()
    if continuity:
        return Result(cid, FAIL, f"{ctx.profile.industry} requires continuity: one hosted API "
                      "with no fallback is a single point of failure", "single API",
                      "fallback", "", None, path, refs)
    return Result(cid, WARN, "one hosted model API, no fallback: an outage, a price change or "
                  "a retired model stops the product", "single API", "fallback", "", None,
                  path, refs)


def register(registry: Registry) -> None:
    """Add the governance family to ``registry``."""
    reg = registry.register
    reg("governance.controls", title="Required controls are provided", categorical=True,
        reads=("governance.requires", "governance.provides"),
        why="AI cannot bypass identity, permissions, audit trails or SOX: governance is "
            "architectural.",
        fix="Add the missing controls, or route through a trust fabric that provides them."
        )(controls)
    reg("governance.determinism", title="Latency jitter within budget",
        reads=("workload.latency.jitter", "deployment.serving_mode"),
        why="Microsecond variance breaks trading strategies and control loops.",
        fix="Dedicated accelerators, batch 1, or a deterministic core in front.")(determinism)
    reg("governance.provider_dependency", title="No single hosted-API dependency",
        categorical=True, reads=("deployment.hosted_api", "deployment.fallback"),
        why="A product that depends on one provider's API inherits its outages and roadmap.",
        fix="A second provider or a local fallback model.")(provider_dependency)
