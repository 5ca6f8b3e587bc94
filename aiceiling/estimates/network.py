"""Network round trip: fiber propagation over the distance with a fitted route factor, plus
the access network."""

from __future__ import annotations

from aiceiling.catalog import Figure
from aiceiling.estimates.base import MS, Ctx, fmt
from aiceiling.physics import network


def estimate(ctx: Ctx) -> float | None:
    dep = ctx.profile.deployment
    if dep.distance is None and dep.access_network is None:
        ctx.out.unknown["network_rtt_ms"] = \
            "deployment.distance and deployment.access_network are not given"
        return None
    refs: list[str] = []
    propagation = ctx.catalog.constant("networks", "fiber.propagation")
    refs.append(propagation.reference())
    route = route_factor(ctx)
    access = 0.0
    access_text = "none given"
    if dep.access_network is not None:
        entry = ctx.catalog.get("access_networks", dep.access_network)
        rtt = entry.get("rtt") if entry else None
        if not isinstance(rtt, Figure):
            ctx.out.unknown["network_rtt_ms"] = \
                f"no sourced latency for access network {dep.access_network!r}"
            return None
        access = float(rtt.value)
        access_text = f"{dep.access_network}: {access / MS:.3g} ms"
        refs.append(rtt.reference())
    distance = dep.distance or 0.0
    rtt_s = network.network_rtt(distance, propagation.value, route, access)
    ctx.out.add("network_rtt_ms", rtt_s / MS, "ms",
                 "2 × distance × route factor × fiber delay + access network RTT",
                 {"distance": fmt(distance / 1e3, "km"),
                  "fiber delay": f"{propagation.value * 1e9:.4g} µs/km",
                  "route factor": f"{route:.3g}", "access network": access_text},
                 (*refs, "route factor: least-squares fit to catalog networks:measured_rtt"))
    return rtt_s



def route_factor(ctx: Ctx) -> float:
    factor = ctx.catalog.derived.get("route_factor")
    if factor is None:
        propagation = ctx.catalog.constant("networks", "fiber.propagation").value
        factor = network.fit_route_factor(ctx.catalog.measured_rtts(), propagation)
        ctx.catalog.derived["route_factor"] = factor
    ctx.out.facts["route_factor"] = factor
    return factor

