"""Infrastructure augmentation paths: grid (phasing, on-site generation, flexible
interconnection, relocation), water (closed-loop dry cooling, reclaimed water), rack space
(more racks), and hardware lead time (an accelerator that arrives in time, renting the gap).

Every figure comes from the catalog (``augment.yaml``, ``accelerators.yaml``,
``regions.yaml``) with its source; a path whose deciding figure is not sourced is listed
with the reason and never ranked as a fix.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

from aiceiling.augment.paths import Candidate, Situation, changed, price_text
from aiceiling.catalog import Figure, figure

MONTH_S = 30.436875 * 86_400.0
_SITE = ("on-prem", "edge", "hybrid")


def months_to_go_live(s: Situation) -> float | None:
    """Months from ordering (``schedule.order_date``, else the evaluation date) to go-live."""
    schedule = s.profile.schedule
    if schedule is None or schedule.go_live is None:
        return None
    order = schedule.order_date or s.on or dt.date.today()
    return (schedule.go_live - order).days / 30.436875


def _date_after(s: Situation, seconds: float) -> str:
    schedule = s.profile.schedule
    order = (schedule.order_date if schedule and schedule.order_date else None) or s.on or \
        dt.date.today()
    return (order + dt.timedelta(seconds=seconds)).isoformat()


def _to_cloud(s: Situation, region: str) -> dict[str, Any]:
    """Edits that move an on-site deployment to a cloud region; data that started on the
    site keeps its country (the site's), which the boundary check then compares."""
    edits: dict[str, Any] = {"deployment.placement": "cloud", "deployment.region": region,
                             "deployment.country": None}
    data = s.profile.data
    if data is not None and data.origin_country is None and s.resolved.country:
        edits["data.origin_country"] = s.resolved.country
    return edits


def _facility_kw(s: Situation) -> float | None:
    return s.estimate("facility_power_kw")


def phase(s: Situation) -> Iterator[Candidate]:
    """Build what the grid's headroom carries now; the rest goes live when the upgrade
    lands. The re-evaluation is of phase 1, as it will run until then."""
    p, site = s.profile, s.profile.site
    facility = _facility_kw(s)
    if site is None or site.grid_headroom is None or facility is None or \
            p.deployment.placement not in _SITE or not s.failing("physical.grid_capacity"):
        return
    n = p.deployment.accelerators
    headroom_kw = site.grid_headroom / 1e3
    step = int(s.facts.get("group") or p.deployment.tensor_parallel or 1)
    hw = s.resolved.hardware
    if hw is not None and hw.node_size and hw.node_size > step:
        step = hw.node_size if n % hw.node_size == 0 else step
    first = int(n * headroom_kw * 0.9 / facility / step) * step
    if first <= 0 or first >= n:
        return
    edits: dict[str, Any] = {"deployment.accelerators": first}
    traffic = p.workload.traffic
    share = first / n
    served = ""
    if traffic is not None and p.workload.kind in ("llm-inference", "inference"):
        # Phase 1 launches to the share of demand its accelerators carry.
        edits["workload.traffic.requests_per_s"] = round(traffic.requests_per_s * share, 6)
        served = f", serving {share:.0%} of the traffic ({traffic.requests_per_s * share:.4g} " \
            "requests/s)"
    data, changes = changed(s.data, edits)
    lead = site.grid_upgrade_lead_time
    when = f"when the upgrade lands ({_date_after(s, lead)}, {lead / MONTH_S:.3g} months " \
        "after ordering)" if lead else "when the grid is upgraded (no lead time given)"
    yield Candidate(
        "phase-to-headroom", f"phase 1: {first} of {n} accelerators within the "
        f"{headroom_kw / 1e3:.4g} MW headroom now{served}; phase 2: the other {n - first} "
        f"{when}",
        data, changes, ("physical.grid_capacity", "energy.power_budget"),
        (f"until phase 2 only {share:.0%} of the design's capacity runs", "no extra capital "
         "up front; the phase-2 hardware can be ordered later"), 1)


def onsite_generation(s: Situation) -> Iterator[Candidate]:
    """Behind-the-meter generation sized to the shortfall between facility power and the
    grid's headroom, from the catalog's sourced technologies."""
    p, site = s.profile, s.profile.site
    facility = _facility_kw(s)
    if site is None or site.grid_headroom is None or facility is None or \
            p.deployment.placement not in _SITE or not s.failing("physical.grid_capacity"):
        return
    headroom_kw = site.grid_headroom / 1e3
    shortfall_kw = facility - headroom_kw
    if shortfall_kw <= 0:
        return
    left = months_to_go_live(s)
    intensity = s.estimate("annual_co2_t")
    energy = s.estimate("annual_energy_mwh")
    grid_g_kwh = (intensity / energy * 1e3) if intensity and energy else None
    traffic = p.workload.traffic
    peaks = p.workload.kind in ("llm-inference", "inference") and traffic is not None and \
        traffic.peak_factor > 1
    for key, entry in s.catalog.section("onsite_power").items():
        if key == "batteries" and not peaks:
            continue  # a steady load (training, flat traffic) has no peak to shave
        name = str(entry.get("name", key))
        lead = figure(entry, "lead_time")
        carbon = figure(entry, "carbon_intensity")
        size = f"{shortfall_kw / 1e3:.3g} MW of {name}"
        trade = [f"lead time {lead.text} ({lead.source.title.split(',')[0]}, {lead.as_of})"
                 if lead else "lead time not sourced", "capital cost not catalogued"]
        late = lead is not None and left is not None and float(lead.value) / MONTH_S > left
        edits: dict[str, Any] = {}
        why = ""
        if key == "batteries":
            why = str(entry.get("note", "battery sizing needs the peak's duration"))
        elif lead is None:
            why = f"no sourced lead time for {name}"
        elif late:
            # Not built by go-live: it counts only once built, like a grid upgrade — and
            # helps only if built before the grid's own upgrade lands.
            upgrade = site.grid_upgrade_lead_time
            if upgrade is not None and upgrade <= float(lead.value):
                continue
            edits["site.grid_upgrade_lead_time"] = lead.text
            trade.append(f"not built by go-live ({left:.3g} months)")
        else:
            edits["site.grid_headroom"] = f"{facility / 1e3 * 1.0001:.6g} MW"
        if carbon is not None:
            g = float(carbon.value) * 3.6e9
            trade.append(f"on-site CO2 {g:.0f} g/kWh ({carbon.source.title.split('(')[0]}"
                         f"{carbon.as_of})")
            if grid_g_kwh is not None:
                share = shortfall_kw / facility
                blended = grid_g_kwh * (1 - share) + g * share
                edits["energy.carbon_intensity"] = f"{blended:.4g} g/kWh"
        elif s.profile.energy and s.profile.energy.carbon_budget and not why and not late:
            why = f"no sourced carbon intensity for {name}; the carbon budget cannot be " \
                "re-checked"
        data, changes = changed(s.data, edits)
        yield Candidate(f"onsite-{key}", f"behind-the-meter {size} beside the grid's "
                        f"{headroom_kw / 1e3:.4g} MW", data, changes,
                        ("physical.grid_capacity",), tuple(trade), 3, why)


def flexible_load(s: Situation) -> Iterator[Candidate]:
    """A flexible (curtailable) interconnection: the utility connects the load on existing
    capacity if it gives up a small share of the year at the grid's peaks. Only where the
    workload can pause: training, or serving without latency budgets."""
    p, site = s.profile, s.profile.site
    facility = _facility_kw(s)
    w = p.workload
    budgets = w.latency is not None and any((w.latency.e2e, w.latency.ttft, w.latency.tpot))
    if site is None or site.grid_headroom is None or facility is None or \
            p.deployment.placement not in _SITE or not s.failing("physical.grid_capacity") or \
            (w.kind not in ("training", "fine-tuning") and budgets):
        return
    entry = s.catalog.get("flexibility", "flexible-interconnection")
    curtail = figure(entry, "curtailment")
    if curtail is None:
        return
    share = float(curtail.value)
    edits: dict[str, Any] = {"site.grid_headroom": f"{facility / 1e3 * 1.0001:.6g} MW"}
    if w.kind in ("training", "fine-tuning"):
        from aiceiling.physics import calibration

        mfu = w.efficiency.training if w.efficiency and w.efficiency.training else \
            calibration.TRAINING_MFU
        edits["workload.efficiency.training"] = round(mfu * (1 - share), 4)
    data, changes = changed(s.data, edits)
    yield Candidate(
        "flexible-interconnection", f"flexible interconnection: give up {share:.1%} of the "
        f"year (~{share * 8766:.0f} h) at grid peaks to connect on existing capacity", data,
        changes, ("physical.grid_capacity",),
        (f"{curtail.source.title.split(':')[0]} ({curtail.as_of}): {curtail.note}",
         "needs the utility's agreement to a non-firm connection; "
         f"work {'stretches' if w.kind in ('training', 'fine-tuning') else 'pauses'} by "
         f"{share:.1%}"), 2)


def relocate(s: Situation) -> Iterator[Candidate]:
    """Run where the site's limits do not apply: a cloud region in a jurisdiction the data
    may go to, cleanest grid first (regions catalog: carbon and price, sourced)."""
    p = s.profile
    if p.deployment.placement not in ("on-prem", "edge"):
        return
    if not s.failing("physical.grid_capacity", "physical.water", "physical.rack_space",
                     "physical.rack_density", "energy.power_budget"):
        return
    allowed: set[str] = set()
    for name in (p.data.residency if p.data else []):
        bloc = s.catalog.get("blocs", name)
        allowed.update(bloc.get("members", []) if bloc else [name.upper()])
    if not allowed and s.resolved.country:
        allowed = {s.resolved.country}
    water = s.failing("physical.water")
    options = []
    for key, entry in s.catalog.section("regions").items():
        country = str(entry.get("country"))
        if allowed and country not in allowed:
            continue
        place = s.catalog.get("countries", country)
        carbon = figure(entry, "carbon_intensity") or figure(place, "carbon_intensity")
        price = figure(entry, "electricity_price") or figure(place, "electricity_price")
        stress = figure(place, "water_stress")
        level = float(stress.value) if stress else 0.0
        if water and level >= 4.0:
            continue  # 'extremely high' baseline water stress: not where water binds
        options.append(((level if water else 0.0), float(carbon.value) if carbon else math.inf,
                        key, entry, carbon, price, stress))
    for _, value, key, entry, carbon, price, stress in sorted(options, key=lambda o: o[:3])[:1]:
        data, changes = changed(s.data, _to_cloud(s, key))
        grid = f"grid {value * 3.6e9:.0f} g/kWh ({carbon.as_of})" if carbon else \
            "grid intensity not catalogued"
        cost = f"electricity {price.text} ({price.as_of})" if price else \
            "electricity price not catalogued"
        wri = f"country water stress {float(stress.value):.3g}/5 ({stress.as_of}, WRI " \
            "Aqueduct; basins differ)" if stress else "country water stress: not among the " \
            "43 most stressed countries (WRI Aqueduct 2023; basins differ)"
        yield Candidate(f"relocate-{key}", f"run in the cloud region {key} "
                        f"({entry.get('location') or entry.get('country')}): the provider's "
                        "grid connection, cooling and racks", data, changes,
                        ("physical.grid_capacity", "physical.water", "physical.rack_space",
                         "physical.rack_density", "energy.power_budget"),
                        (grid, cost, wri, "rental replaces ownership (budget.rental per "
                         "accelerator-hour); assumes the region has the capacity on demand "
                         "(not catalogued)"), 2)


def water(s: Situation) -> Iterator[Candidate]:
    """Closed-loop cooling with dry heat rejection (no water evaporated), or cooling water
    from a reclaimed supply outside the potable budget."""
    p, site = s.profile, s.profile.site
    if site is None or p.deployment.placement not in _SITE or not s.failing("physical.water"):
        return
    facility = _facility_kw(s)
    it = s.estimate("installed_it_power_kw") or s.estimate("it_power_kw")
    limits = [v / 1e3 for v in (site.power_budget, site.grid_headroom) if v]
    pue_room = ""
    if facility and it and limits:
        room = min(limits) / it
        pue_room = f"; the site's power limit allows PUE up to {room:.3g} (now " \
            f"{facility / it:.3g})"
    entry = s.catalog.get("water_paths", "closed-loop-dry")
    wue = figure(entry, "wue")
    if wue is not None:
        data, changes = changed(s.data, {"site.wue": wue.text})
        yield Candidate(
            "water-closed-loop-dry", f"closed-loop cooling, dry heat rejection: WUE "
            f"{(site.wue or 0) * 3.6e9:.3g} → {float(wue.value) * 3.6e9:.3g} L/kWh", data,
            changes, ("physical.water",),
            (f"WUE: {wue.source.title.split('(')[0].strip()} ({wue.as_of})",
             "PUE rises with dry heat rejection in hot hours; the source gives no figure "
             f"('nominal'){pue_room}", "cooling retrofit cost not catalogued"), 3)
    reclaimed = figure(s.catalog.get("water_paths", "reclaimed"), "wue")
    if reclaimed is None:
        return
    data, changes = changed(s.data, {"site.wue": reclaimed.text})
    yield Candidate(
        "water-reclaimed", "cooling make-up water from a reclaimed (non-potable) supply: "
        "none from the potable budget", data, changes, ("physical.water",),
        (f"precedent: {reclaimed.source.title.split(':')[0]} ({reclaimed.as_of})",
         "needs a reclaimed-water line and treatment on site; cost and lead time not "
         "catalogued", "water use itself is unchanged: the budget compared is the potable "
         "supply"), 2)


def more_racks(s: Situation) -> Iterator[Candidate]:
    """More rack positions, where the hall has them: the racks the systems need."""
    site = s.profile.site
    racks = s.estimate("racks_needed")
    if site is None or site.racks_available is None or racks is None or \
            not s.failing("physical.rack_space"):
        return
    need = math.ceil(racks)
    if need <= site.racks_available:
        return
    data, changes = changed(s.data, {"site.racks_available": need})
    yield Candidate("more-racks", f"{need - site.racks_available} more rack positions "
                    f"({need} in all)", data, changes, ("physical.rack_space",),
                    ("only where the hall has the floor space, power distribution and "
                     "cooling for them (not in the profile)",), 2)


def denser_systems(s: Situation) -> Iterator[Candidate]:
    """Rack-scale systems (GB200 NVL72: 72 accelerators in one liquid-cooled rack) instead
    of 8-GPU servers, with the cooling and rack power they need."""
    p, hw, site = s.profile, s.resolved.hardware, s.profile.site
    if hw is None or site is None or p.deployment.placement not in _SITE or \
            not s.failing("physical.rack_space", "physical.rack_density"):
        return
    n = p.deployment.accelerators
    for key, entry in s.catalog.section("accelerators").items():
        system = entry.get("system") or {}
        power = system.get("power")
        size = int(system.get("accelerators") or 0)
        if key == hw.id or size < 32 or not isinstance(power, Figure) or \
                entry.get("class", "datacenter") != hw.hw_class:
            continue
        count = max(size, math.ceil(n / size) * size)
        edits: dict[str, Any] = {"deployment.hardware": key, "deployment.accelerators": count,
                                 "deployment.tensor_parallel": None}
        if system.get("cooling") == "liquid" and site.cooling not in ("direct-liquid",
                                                                      "immersion"):
            edits["site.cooling"] = "direct-liquid"
        if site.rack_power_limit is not None and site.rack_power_limit < float(power.value):
            edits["site.rack_power_limit"] = power.text
        data, changes = changed(s.data, edits)
        lead = entry.get("lead_time")
        yield Candidate(
            f"denser-{key}", f"{count // size} {system.get('name')} racks ({count}× {key}, "
            f"{power.text} a rack) instead of {n}× {hw.id} in servers", data, changes,
            ("physical.rack_space", "physical.rack_density"),
            (price_text(s.catalog, key, count),
             f"lead time {lead.text} ({lead.as_of})" if isinstance(lead, Figure) else
             "lead time not catalogued",
             "liquid cooling loops and rack power to match" if "site.cooling" in edits else
             "rack power to match"), 3)


def lead_time(s: Situation) -> Iterator[Candidate]:
    """Hardware that arrives after go-live: an accelerator whose sourced lead time fits, or
    cloud capacity rented for the gap."""
    p, hw = s.profile, s.resolved.hardware
    left = months_to_go_live(s)
    if hw is None or left is None or not s.failing("compute.availability"):
        return
    result = s.results.get("compute.availability")
    current = p.schedule.hardware_lead_time if p.schedule else None
    if current is None and hw.lead_time is not None:
        current = float(hw.lead_time.value)
    n = p.deployment.accelerators
    for key, entry in s.catalog.section("accelerators").items():
        lead = entry.get("lead_time")
        if key == hw.id or not isinstance(lead, Figure) or \
                entry.get("class", "datacenter") != hw.hw_class or \
                float(lead.value) / MONTH_S > left:
            continue
        data, changes = changed(s.data, {"deployment.hardware": key,
                                         "deployment.tensor_parallel": None,
                                         "schedule.hardware_lead_time": lead.text})
        yield Candidate(f"accelerator-in-time-{key}", f"{n}× {key}: lead time {lead.text} "
                        f"(as of {lead.as_of}) fits the {left:.3g} months to go-live", data,
                        changes, ("compute.availability",),
                        (price_text(s.catalog, key, n),
                         f"lead time: {lead.source.title.split(' (')[0]}; {lead.note}"), 2)
    if current is None:
        return
    gap_months = current / MONTH_S - left
    if gap_months <= 0:
        return
    rental = p.budget.rental if p.budget and p.budget.rental else None
    hw_entry = s.catalog.get("accelerators", hw.id)
    catalogued = hw_entry.get("rental") if hw_entry else None
    hours = gap_months * 30.436875 * 24
    if rental is not None:
        per_hour = rental.amount_per_unit * 3600.0
        cost = f"rent {n}× {hw.id} for {gap_months:.3g} months at {per_hour:.3g} " \
            f"{rental.currency}/h ≈ {per_hour * hours * n:,.0f} {rental.currency}"
    elif isinstance(catalogued, Figure) and hasattr(catalogued.value, "amount_per_unit"):
        per_hour = catalogued.value.amount_per_unit * 3600.0
        cost = f"rent {n}× {hw.id} for {gap_months:.3g} months at {catalogued.text} " \
            f"({catalogued.as_of}) ≈ {per_hour * hours * n:,.0f} {catalogued.value.currency}"
    else:
        cost = f"rent {n}× {hw.id} for {gap_months:.3g} months: no rental price (set " \
            "budget.rental)"
    region = p.deployment.region
    if region is None:
        country = s.resolved.country
        for key, reg in s.catalog.section("regions").items():
            if reg.get("country") == country and reg.get("provider"):
                region = key
                break
    if region is None:
        return
    data, changes = changed(s.data, {**_to_cloud(s, region),
                                     "schedule.hardware_lead_time": "0 weeks"})
    ref = f"; {result.message}" if result else ""
    yield Candidate(
        "rent-the-gap", f"go live on rented {hw.id} in {region}; move to the owned "
        f"hardware when it arrives ({gap_months:.3g} months later)", data, changes,
        ("compute.availability",),
        (cost, "assumes the region has the capacity on demand (not catalogued)" + ref), 2)
