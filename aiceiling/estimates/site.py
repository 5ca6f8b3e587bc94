"""Racks: rack power and rack count from published system power, against the tighter of the
site's and the cooling technology's rack limit."""

from __future__ import annotations

import math

from aiceiling.catalog import Figure
from aiceiling.estimates.base import Ctx


def estimate(ctx: Ctx) -> None:
    """Rack power and rack count from the published system's nameplate power."""
    p, hw = ctx.profile, ctx.hardware
    if hw is None or hw.system_power is None or not hw.node_size:
        if hw is not None:
            ctx.out.unknown["racks"] = f"no published system power for {hw.name}"
        return
    n = p.deployment.accelerators
    system_w = float(hw.system_power.value)
    systems = math.ceil(n / hw.node_size)
    limit = rack_limit(ctx)
    ctx.out.facts["rack_limit"] = limit
    # Rack-scale systems (GB200 NVL72) are a rack each.
    per_rack = 1 if hw.node_size >= 32 or limit is None else \
        max(1, math.floor(limit[0] / system_w))
    if hw.node_size < 32 and hw.system_rack_units:
        # A rack holds what its power allows and what its height allows, whichever is less.
        height = ctx.catalog.constant("facility", "defaults.rack_units")
        by_height = max(1, int(float(height.value)) // hw.system_rack_units)
        if limit is None or by_height < per_rack:
            per_rack = by_height
    rack_w = min(systems, per_rack) * system_w
    racks = math.ceil(systems / per_rack)
    refs = (hw.system_power.reference(),)
    ctx.out.add("rack_kw", rack_w / 1e3, "kW", "systems per rack × system nameplate power",
                 {"system": f"{hw.system_name} {hw.system_power.text}",
                  "systems per rack": str(min(systems, per_rack))},
                 (*refs, *((ctx.catalog.constant("facility", "defaults.rack_units").reference(),)
                           if hw.system_rack_units and hw.node_size < 32 else ())))
    ctx.out.add("racks_needed", float(racks), "racks", "systems / systems per rack",
                 {"systems": str(systems)}, refs)



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

