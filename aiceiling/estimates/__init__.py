"""Profile + catalog → the named estimates of SPEC §5, each with its derivation.

Every estimate records its formula, its inputs with units, and the references of the
constants and catalog figures it used, so ``explain`` can show where a number came from.

One module per domain, run in the order the figures are derived (each reads the profile,
the resolved catalog entries and the figures upstream of it):

    network   → round trip to where the model runs
    memory    → weights, KV cache, reserve (called by the serving estimator per layout)
    serving   → LLM layout, prefill, decode, latency and capacity at the traffic   (LLMs)
    vision    → fixed cost + roofline per call                     (kind: inference)
    training  → optimizer state, 6·N·D over the accelerators       (training, fine-tuning)
    power     → accelerator, host and facility power; energy, carbon, water, battery
    site      → rack power and rack count
    cost      → hardware amortization or rental, plus energy
"""

from __future__ import annotations

from aiceiling.catalog import Catalog
from aiceiling.estimates import cost, power, serving, site, training, vision
from aiceiling.estimates.base import (
    DAY,
    Assumption,
    Ctx,
    Estimate,
    Estimates,
    compute_precision,
    kv_precision,
)
from aiceiling.profile.model import Profile
from aiceiling.resolve import Resolved


def build(profile: Profile, resolved: Resolved, catalog: Catalog) -> Estimates:
    """Compute every estimate that applies to the profile."""
    ctx = Ctx(profile, resolved, catalog)
    kind = profile.workload.kind
    if kind == "llm-inference":
        if resolved.model.is_llm:
            serving.estimate(ctx)
        else:
            ctx.out.unknown["model"] = (f"{resolved.model.name} is a {resolved.model.kind} "
                                        "model; use kind: inference")
    elif kind == "inference":
        vision.estimate(ctx)
    else:
        training.estimate(ctx)
    power.estimate(ctx)
    site.estimate(ctx)
    cost.estimate(ctx)
    if resolved.hardware is None:
        ctx.out.unknown["hardware"] = (
            "deployment.hardware is not given" if not profile.deployment.hosted_api else
            "the model runs behind a hosted API; its hardware is the provider's")
    return ctx.out


__all__ = ["DAY", "Assumption", "Estimate", "Estimates", "build", "compute_precision",
           "kv_precision"]
