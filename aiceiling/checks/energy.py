"""Energy checks: site power, battery life, carbon, money."""

from __future__ import annotations

from aiceiling.checks import Context, Registry, Result, quantity_result, skip, unknown
from aiceiling.render import number


def _why(ctx: Context, *keys: str) -> str:
    for key in (*keys, "hardware", "power", "model", "memory", "peak", "flops"):
        if key in ctx.estimates.unknown:
            return ctx.estimates.unknown[key]
    return "not enough input to estimate it"


def power_budget(ctx: Context) -> Result:
    cid = "energy.power_budget"
    site = ctx.profile.site
    if site is None or site.power_budget is None:
        return skip(cid, "site.power_budget is not given")
    if ctx.profile.deployment.placement == "cloud":
        return skip(cid, "cloud placement: it draws on the provider's facility, not this site",
                    ("site", "power_budget"))
    facility = ctx.estimates.get("facility_power_kw")
    if facility is None:
        return unknown(cid, _why(ctx), ("site", "power_budget"))
    path = ("site", "power_budget")
    limit = site.power_budget / 1e3
    est = ctx.estimates.values["facility_power_kw"]
    installed = ctx.estimates.values["installed_it_power_kw"]
    message = (f"installed IT {dict(est.inputs)['installed IT power']} ({installed.formula}) × "
               f"PUE {dict(est.inputs)['PUE']}")
    return quantity_result(cid, facility, limit, "kW", path, message, est.references)


def battery_life(ctx: Context) -> Result:
    cid = "energy.battery_life"
    site = ctx.profile.site
    if site is None or site.battery is None or site.runtime_required is None:
        return skip(cid, "site.battery and site.runtime_required are needed (devices)")
    runtime = ctx.estimates.get("device_runtime_h")
    if runtime is None:
        return unknown(cid, _why(ctx), ("site", "battery"))
    est = ctx.estimates.values["device_runtime_h"]
    inputs = dict(est.inputs)
    message = (f"{inputs['battery']} battery at {inputs['device power']}: lasts "
               f"{number(runtime)} h")
    return quantity_result(cid, runtime, site.runtime_required / 3600.0, "h",
                           ("site", "runtime_required"), message, est.references,
                           higher_is_better=True)


def carbon_budget(ctx: Context) -> Result:
    cid = "energy.carbon_budget"
    energy = ctx.profile.energy
    if energy is None or energy.carbon_budget is None:
        return skip(cid, "energy.carbon_budget is not given")
    co2 = ctx.estimates.get("annual_co2_t")
    if co2 is None:
        return unknown(cid, _why(ctx, "carbon"), ("energy", "carbon_budget"))
    est = ctx.estimates.values["annual_co2_t"]
    limit = energy.carbon_budget * 365.2425 * 86_400 / 1e3  # kg/s → t/year
    training = ctx.profile.workload.kind in ("training", "fine-tuning")
    message = (f"{number(ctx.estimates.get('annual_energy_mwh') or 0)} MWh"
               f"{' for the run' if training else ' a year'} at "
               f"{dict(est.inputs)['intensity']}")
    return quantity_result(cid, co2, limit, "t/year", ("energy", "carbon_budget"), message,
                           est.references)


def cost_budget(ctx: Context) -> Result:
    cid = "energy.cost_budget"
    budget = ctx.profile.budget
    if budget is None or budget.monthly is None:
        return skip(cid, "budget.monthly is not given")
    cost = ctx.estimates.get("monthly_cost")
    if cost is None:
        return unknown(cid, _why(ctx, "cost"), ("budget", "monthly"))
    est = ctx.estimates.values["monthly_cost"]
    message = " + ".join(f"{k} {v}" for k, v in est.inputs)
    return quantity_result(cid, cost, budget.monthly.amount, f"{budget.monthly.currency}/month",
                           ("budget", "monthly"), message, est.references)


def register(registry: Registry) -> None:
    """Add the energy family to ``registry``."""
    reg = registry.register
    reg("energy.power_budget", title="Facility power within the site's budget",
        reads=("site.power_budget", "site.pue", "deployment.hardware"),
        why="A site cannot draw more than its feed and UPS deliver.",
        fix="Quantize, cap power, fewer or more efficient accelerators.")(power_budget)
    reg("energy.battery_life", title="The device lasts the required runtime",
        reads=("site.battery", "site.runtime_required"),
        why="If the battery dies in an hour, the product is dead whatever the model quality.",
        fix="A smaller, sparse or quantized model; a more efficient accelerator.")(battery_life)
    reg("energy.carbon_budget", title="Emissions within the carbon budget",
        reads=("energy.carbon_budget", "energy.carbon_intensity"),
        why="Emissions are reported and capped.",
        fix="Cleaner grid region, better PUE, more efficient model.")(carbon_budget)
    reg("energy.cost_budget", title="Monthly cost within budget",
        reads=("budget.monthly", "budget.hardware_price", "budget.rental", "energy.price"),
        why="A model that costs more than it earns never leaves the demo phase.",
        fix="Quantize, smaller model, cheaper accelerator or region.")(cost_budget)

