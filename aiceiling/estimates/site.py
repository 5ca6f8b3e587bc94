"""Racks: rack power and rack count from published system power, against the tighter of the
site's and the cooling technology's rack limit."""

from __future__ import annotations

import math

from aiceiling.catalog import Figure
from aiceiling.estimates.base import Ctx


def estimate(ctx: Ctx) -> None:
    """Rack power and rack count: published systems (a DGX, a GB200 NVL72 rack) by their
    nameplate, else each accelerator with its host share (TDP or power cap + host nameplate,
    the generic host ratio stated), packed into racks up to the tighter rack limit."""
    from aiceiling.estimates.power import host_nameplate

    p, hw = ctx.profile, ctx.hardware
    if hw is None or hw.tdp is None or p.deployment.placement == "device":
        if hw is not None and p.deployment.placement != "device":
            ctx.out.unknown["racks"] = f"no sourced power rating for {hw.name}"
        return
    n = p.deployment.accelerators
    cap = p.deployment.power_cap
    tdp = float(hw.tdp.value)
    cut = tdp - min(tdp, cap) if cap else 0.0
    if hw.system_power is not None and hw.node_size:
        unit_w = float(hw.system_power.value) - hw.node_size * cut
        units, unit_name = math.ceil(n / hw.node_size), f"{hw.system_name} {hw.system_power.text}"
        refs: tuple[str, ...] = (hw.system_power.reference(),)
        rack_scale = hw.node_size >= 32  # rack-scale systems (GB200 NVL72) are a rack each
    else:
        unit_w = tdp - cut + host_nameplate(ctx)
        units, unit_name = n, f"{hw.id} server share {unit_w:.0f} W"
        refs = (hw.tdp.reference(),)
        rack_scale = False
    limit = rack_limit(ctx)
    ctx.out.facts["rack_limit"] = limit
    per_rack = 1 if rack_scale or limit is None else max(1, math.floor(limit[0] / unit_w))
    rack_units = hw.system_rack_units if hw.system_power is not None and hw.node_size else None
    height = ctx.catalog.constant("facility", "defaults.rack_units") if rack_units else None
    if not rack_scale and rack_units and height is not None:
        # A rack holds what its power allows and what its height allows, whichever is less.
        by_height = max(1, int(float(height.value)) // rack_units)
        if limit is None or by_height < per_rack:
            per_rack = by_height
        refs += (height.reference(),)
    rack_w = min(units, per_rack) * unit_w
    racks = math.ceil(units / per_rack)
    what = "systems" if hw.system_power is not None and hw.node_size else "accelerators"
    ctx.out.add("rack_kw", rack_w / 1e3, "kW", f"{what} per rack × power of each",
                 {"system": unit_name, "systems per rack": str(min(units, per_rack)),
                  **({"power cap": f"{cap:.0f} W per accelerator"} if cap else {})}, refs)
    ctx.out.add("racks_needed", float(racks), "racks", f"{what} / {what} per rack",
                 {"systems": str(units)}, refs)


def rack_limit(ctx: Ctx) -> tuple[float, str] | None:
    """The tighter of the site's rack limit and its cooling technology's. [W]"""
    site = ctx.profile.site
    if site is None:
        return None
    limits: list[tuple[float, str]] = []
    if site.rack_power_limit:
        limits.append((site.rack_power_limit, "site rack limit"))
    if site.cooling:
        entry = ctx.catalog.get("cooling", site.cooling)
        fig = entry.get("rack_limit") if entry else None
        if isinstance(fig, Figure):
            limits.append((float(fig.value), f"{site.cooling} cooling, practical "
                                              f"{fig.text} (as of {fig.as_of})"))
    return min(limits) if limits else None

