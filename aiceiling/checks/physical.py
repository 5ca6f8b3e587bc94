"""Physical checks: rack density, rack space, grid capacity, water, export control."""

from __future__ import annotations

import datetime as dt
from typing import Any

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

_CLOUD = "cloud placement: it runs in the provider's facility, not on this site"


def _cloud(ctx: Context) -> bool:
    return ctx.profile.deployment.placement == "cloud"


def _site_limit(ctx: Context, cid: str, field: str) -> float | Result:
    """A site limit's value, or the skip when it is not given or a cloud placement never
    meets it."""
    site = ctx.profile.site
    value = getattr(site, field) if site is not None else None
    if value is None:
        return skip(cid, f"site.{field} is not given")
    if _cloud(ctx):
        return skip(cid, _CLOUD, ("site", field))
    return float(value)


def rack_density(ctx: Context) -> Result:
    cid = "physical.rack_density"
    if _cloud(ctx):
        return skip(cid, _CLOUD)
    site = ctx.profile.site
    if site is None or (site.rack_power_limit is None and site.cooling is None):
        return skip(cid, "site.rack_power_limit and site.cooling are not given")
    rack_kw = ctx.estimates.get("rack_kw")
    limits = ctx.estimates.facts.get("rack_limit")
    if rack_kw is None or limits is None:
        why = "no rack limit catalogued for the cooling" if rack_kw is not None else \
            ctx.estimates.unknown.get("racks", "deployment.hardware is not given")
        return unknown(cid, why, ("deployment", "hardware"))
    limit_w, which = limits
    est = ctx.estimates.values["rack_kw"]
    inputs = dict(est.inputs)
    path = ("site", "cooling") if "cooling" in which else ("site", "rack_power_limit")
    message = f"{inputs['systems per rack']}× {inputs['system']} per rack; limit: {which}"
    return quantity_result(cid, rack_kw, limit_w / 1e3, "kW/rack", path, message,
                           est.references)


def rack_space(ctx: Context) -> Result:
    cid = "physical.rack_space"
    available = _site_limit(ctx, cid, "racks_available")
    if isinstance(available, Result):
        return available
    racks = ctx.estimates.get("racks_needed")
    if racks is None:
        return unknown(cid, ctx.estimates.unknown.get("racks", "deployment.hardware is not "
                                                               "given"),
                       ("site", "racks_available"))
    est = ctx.estimates.values["racks_needed"]
    message = f"{dict(est.inputs)['systems']} systems"
    if available == 0:
        return Result(cid, FAIL, f"{message}; no racks available", racks, 0.0, "racks", None,
                      ("site", "racks_available"), est.references)
    return quantity_result(cid, racks, available, "racks",
                           ("site", "racks_available"), message, est.references)


def grid_capacity(ctx: Context) -> Result:
    cid = "physical.grid_capacity"
    headroom_w = _site_limit(ctx, cid, "grid_headroom")
    if isinstance(headroom_w, Result):
        return headroom_w
    facility = ctx.estimates.get("facility_power_kw")
    if facility is None:
        return unknown(cid, ctx.estimates.unknown.get("power", "facility power is not known"),
                       ("site", "grid_headroom"))
    path = ("site", "grid_headroom")
    mw, headroom = facility / 1e3, headroom_w / 1e6
    result = quantity_result(cid, mw, headroom, "MW", path,
                             "installed IT power × PUE vs the grid connection's headroom")
    if result.status != FAIL:
        return result
    schedule = ctx.profile.schedule
    site = ctx.profile.site
    lead = site.grid_upgrade_lead_time if site else None
    if lead is None or schedule is None or schedule.go_live is None:
        result.message = (f"needs {number(mw - headroom)} MW more than the grid has; no "
                          "upgrade lead time or go-live given")
        return result
    order = schedule.order_date or ctx.today
    assert isinstance(order, dt.date)
    months_left = (schedule.go_live - order).days / 30.436875
    months_needed = lead / (30.436875 * 86_400)
    if months_needed <= months_left:
        result.status = WARN
        result.message = (f"needs {number(mw - headroom)} MW more; the grid upgrade "
                          f"({number(months_needed)} months) lands before go-live "
                          f"({number(months_left)} months)")
    else:
        result.message = (f"needs {number(mw - headroom)} MW more; the grid upgrade takes "
                          f"{number(months_needed)} months, go-live is in "
                          f"{number(months_left)}")
        result.path = ("site", "grid_upgrade_lead_time")
    return result


def water(ctx: Context) -> Result:
    cid = "physical.water"
    water_budget = _site_limit(ctx, cid, "water_budget")
    if isinstance(water_budget, Result):
        return water_budget
    annual = ctx.estimates.get("annual_water_m3")
    if annual is None:
        return unknown(cid, ctx.estimates.unknown.get("power", "IT energy is not known"),
                       ("site", "water_budget"))
    est = ctx.estimates.values["annual_water_m3"]
    per_day = annual / 365.2425
    limit = water_budget * 86_400
    return quantity_result(cid, per_day, limit, "m3/day", ("site", "water_budget"),
                           f"WUE {dict(est.inputs)['WUE']} × IT energy "
                           f"({number(annual)} m3 a year)", est.references)


def _classification(ctx: Context, rule: dict[str, Any],
                    ) -> tuple[str | None, str, tuple[str, ...]] | None:
    """An accelerator's export classification: (ECCN or None when below the thresholds,
    how it was decided, references); None when it cannot be decided from sourced data."""
    hw = ctx.resolved.hardware
    if hw is None or not hw.export:
        return None
    export: dict[str, Any] = hw.export
    eccn, tpp, die = export.get("eccn"), export.get("tpp"), export.get("die_area")
    refs = tuple(f.reference() for f in (eccn, tpp, die) if isinstance(f, Figure))
    if isinstance(eccn, Figure):
        return str(eccn.value), f"{eccn.value} as of {eccn.as_of}", refs
    if not isinstance(tpp, Figure):
        return None
    thresholds = rule.get("thresholds", {})
    tpp_limit, low_limit = thresholds.get("tpp"), thresholds.get("tpp_with_density")
    density_limit = thresholds.get("performance_density")
    value = float(tpp.value)
    if isinstance(tpp_limit, Figure) and value >= float(tpp_limit.value):
        return "3A090.a.1", f"TPP {number(value)} ≥ {number(tpp_limit.value)}", refs
    if isinstance(low_limit, Figure) and value >= float(low_limit.value):
        if not isinstance(die, Figure) or not isinstance(density_limit, Figure):
            return None  # 3A090.a.2 turns on the die area, which is not sourced
        density = value / float(die.value)
        if density >= float(density_limit.value):
            return "3A090.a.2", (f"TPP {number(value)} with performance density "
                                 f"{density:.2f} ≥ {density_limit.value}"), refs
    return None if not isinstance(tpp_limit, Figure) else \
        (None, f"TPP {number(value)} is below the 3A090 thresholds", refs)


def export_control(ctx: Context) -> Result:
    cid = "physical.export_control"
    hw, country = ctx.resolved.hardware, ctx.resolved.country
    path = ("deployment", "hardware")
    if hw is None:
        return skip(cid, "deployment.hardware is not given")
    if country is None:
        return unknown(cid, "the deployment country is not known", path)
    rule = ctx.catalog.get("rules", "us-3a090-2023-10")
    if rule is None:
        return unknown(cid, "no export-control rule data in the catalog", path)
    found = _classification(ctx, rule)
    if found is None:
        return unknown(cid, f"no sourced export classification for {hw.name} (TPP, or die "
                            "area for the density test)", path)
    eccn, how, refs = found
    as_of = rule.get("as_of")
    refs += (f"{rule.get('name')}: {rule['source'].cite() if 'source' in rule else ''}",)
    groups = ctx.catalog.section("country_groups")
    member_of = [key for key, group in groups.items() if country in group.get("members", [])]
    embargo = [g for g in member_of if g.startswith("E")]
    if embargo:
        return Result(cid, FAIL, f"{country} is under US embargo (Country Group "
                      f"{', '.join(embargo)}): no controlled hardware without a licence",
                      eccn or "EAR99", country, "", None, path, refs)
    if eccn is None:
        return Result(cid, PASS, f"{how}; no licence needed for {country}",
                      "not 3A090", country, "", None, path, refs)
    licensed = set(rule.get("license_required_for") or [])
    named = [g for g in member_of if g in licensed]
    also = country in (rule.get("also_license_required_for") or [])
    excluded = country in (rule.get("excluded") or [])
    if (named or also) and not excluded:
        why = f"Country Group {', '.join(named)}" if named else "named in the rule"
        return Result(cid, FAIL, f"{hw.id}, {how}: a US export licence is needed for "
                      f"{country} ({why}; rule of {as_of}, as amended)", eccn, country, "",
                      None, path, refs)
    note = " (excluded from the rule)" if excluded else ""
    return Result(cid, PASS, f"{hw.id}, {how}: no licence for {country}{note}; rule of "
                  f"{as_of}", eccn, country, "", None, path, refs)


def register(registry: Registry) -> None:
    """Add the physical family to ``registry``."""
    reg = registry.register
    reg("physical.rack_density", title="Power per rack within the rack and cooling limits",
        reads=("deployment.hardware", "site.rack_power_limit", "site.cooling"),
        why="Air cooling tops out near 15 kW a rack; GB200 NVL72 racks draw ~120 kW.",
        fix="Direct-liquid or immersion cooling, fewer systems per rack.")(rack_density)
    reg("physical.rack_space", title="Racks needed within the racks available",
        reads=("site.racks_available",),
        why="Floor space and rack positions are finite.",
        fix="Denser cooling, fewer accelerators, another hall.")(rack_space)
    reg("physical.grid_capacity", title="Facility power within the grid connection",
        reads=("site.grid_headroom", "site.grid_upgrade_lead_time", "schedule.go_live"),
        why="Grid connections take years: US interconnection waits are ~5 years.",
        fix="On-site generation, a smaller first phase, another site.")(grid_capacity)
    reg("physical.water", title="Water use within the budget",
        reads=("site.water_budget", "site.wue"),
        why="Evaporative cooling draws water that water-stressed regions ration.",
        fix="Closed-loop liquid cooling, a cooler or wetter site.")(water)
    reg("physical.export_control", title="The hardware may be exported to the site",
        categorical=True, reads=("deployment.hardware", "deployment.country"),
        why="US rules require a licence for advanced accelerators in many countries.",
        fix="A compliant region, or an accelerator below the thresholds.")(export_control)
