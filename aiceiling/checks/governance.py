"""Governance checks: required controls, latency determinism, dependence on one provider."""

from __future__ import annotations

from aiceiling.catalog import Figure
from aiceiling.checks import (
    FAIL,
    PASS,
    WARN,
    Context,
    Registry,
    Result,
    quantity_result,
    skip,
    unknown,
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
    e2e, rtt = est.get("latency_e2e_ms"), est.get("network_rtt_ms") or 0.0
    if e2e is None:
        return unknown(cid, "the serving latency is not known", path)
    mode = serving_mode(ctx)
    entry = ctx.catalog.get("serving_jitter", mode)
    fraction = entry.get("fraction") if entry else None
    if not isinstance(fraction, Figure):
        return unknown(cid, f"no jitter figure for serving mode {mode!r}", path)
    serving_ms = max(e2e - rtt, 0.0)
    jitter_ms = serving_ms * float(fraction.value)
    estimate = " (engineering estimate)" if fraction.source.kind == "estimate" else ""
    message = (f"{mode}: p99 − p50 ≈ {fraction.value:.0%} of the {number(serving_ms)} ms "
               f"serving latency{estimate}; network jitter not included")
    result = quantity_result(cid, jitter_ms, latency.jitter * 1e3, "ms", path, message,
                             (fraction.reference(),))
    return result


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
