"""Monthly cost: hardware amortization or rental, plus energy, in one currency."""

from __future__ import annotations

from typing import Any

from aiceiling.catalog import Figure
from aiceiling.estimates.base import Ctx, ref


def estimate(ctx: Ctx) -> None:
    """Monthly cost: hardware amortization or rental, plus energy, in one currency."""
    p, hw = ctx.profile, ctx.hardware
    budget = p.budget
    if budget is None or budget.monthly is None or hw is None:
        return
    currency = budget.monthly.currency
    n = p.deployment.accelerators
    hours = 8766.0 / 12.0
    parts: dict[str, str] = {}
    rental = budget.rental
    refs: tuple[str, ...] = ()
    if rental is None and p.deployment.placement == "cloud":
        fig = catalog_rental(ctx)
        if fig is None:
            region = ctx.resolved.region
            where = f"{region.get('provider')} " if region and region.get("provider") else ""
            ctx.out.unknown["cost"] = (f"no sourced {where}rental price for {hw.name}: give "
                                        "budget.rental per accelerator-hour")
            return
        rental, refs = fig.value, (fig.reference(),)
        ctx.out.assume("budget.rental", fig.text, fig.reference())
    if rental is not None:
        if rental.currency != currency:
            ctx.out.unknown["cost"] = (f"rental in {rental.currency}, budget in "
                                        f"{currency}: money is never converted")
            return
        hardware = rental.amount_per_unit * 3600.0 * hours * n
        parts["rental"] = f"{hardware:,.0f} {currency}"
    else:
        price = budget.hardware_price
        if price is None and hw.price is not None:
            price = hw.price.value
            ctx.out.assume("budget.hardware_price", hw.price.text, hw.price.reference())
        if price is None:
            ctx.out.unknown["cost"] = f"no price for {hw.name}: set budget.hardware_price"
            return
        if price.currency != currency:
            ctx.out.unknown["cost"] = (f"hardware priced in {price.currency}, budget in "
                                        f"{currency}: money is never converted")
            return
        months = (budget.amortization or 36 * 8766 * 3600 / 12) / (8766 * 3600 / 12)
        if budget.amortization is None:
            ctx.out.assume("budget.amortization", "36 months",
                            "common 3-year server depreciation schedule")
        hardware = price.amount * n / months
        parts["hardware"] = f"{hardware:,.0f} {currency}/month over {months:.0f} months"
    energy_cost = 0.0
    energy_j = ctx.out.facts.get("energy_j")
    if energy_j is not None and rental is None:
        rate = energy_price(ctx)
        if rate is None or rate.currency != currency:
            why = "no electricity price" if rate is None else \
                f"electricity priced in {rate.currency}, budget in {currency}"
            ctx.out.unknown["cost"] = f"{why}: money is never converted"
            return
        energy_cost = energy_j / 12.0 * rate.amount_per_unit
        parts["energy"] = f"{energy_cost:,.0f} {currency}/month"
    ctx.out.add("monthly_cost", hardware + energy_cost, currency,
                 "hardware amortization or rental + energy", parts,
                 refs or (ref(hw.price) if budget.hardware_price is None else ()))



def energy_price(ctx: Ctx) -> Any:
    energy = ctx.profile.energy
    if energy and energy.price is not None:
        return energy.price
    fig = ctx.place_figure("electricity_price", "energy.price")
    return fig.value if fig else None



def catalog_rental(ctx: Ctx) -> Figure | None:
    """The catalog's on-demand price per accelerator-hour at the cloud region's provider."""
    hw, region = ctx.hardware, ctx.resolved.region
    if hw is None or hw.inline or not region or not region.get("provider"):
        return None
    entry = ctx.catalog.get("accelerators", hw.id)
    prices = entry.get("rental") if entry else None
    fig = prices.get(str(region["provider"])) if isinstance(prices, dict) else None
    return fig if isinstance(fig, Figure) else None
