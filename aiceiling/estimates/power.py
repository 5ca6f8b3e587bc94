"""Power and energy: accelerators at their utilization, host overhead, facility (PUE),
annual energy, carbon, water, device runtime.

Two powers, for two questions (SPEC §5). *Installed* IT power is what the systems draw at
full load (published system power such as a DGX nameplate, else accelerators plus a host
figure), or at their power cap: what a site provisions, and what the power budget, the grid
and the racks must hold. *Average* IT power is the draw at the traffic's average load: what
energy, carbon, water and cost accrue on."""

from __future__ import annotations

import math

from aiceiling.estimates.base import Ctx, fmt, ref
from aiceiling.physics import calibration, power


def host_nameplate(ctx: Ctx) -> float:
    """Nameplate power of everything but the accelerators, per accelerator. [W]

    From the published system power where there is one (system / accelerators per system −
    TDP), else the generic host ratio × TDP (DGX H100's, stated as a default). An edge
    module's rated power covers its SoC, memory and I/O: no host.
    """
    hw = ctx.hardware
    assert hw is not None and hw.tdp is not None
    tdp = float(hw.tdp.value)
    if hw.hw_class == "edge" or ctx.profile.deployment.placement == "device":
        return 0.0
    if hw.system_power is not None and hw.node_size:
        return max(0.0, float(hw.system_power.value) / hw.node_size - tdp)
    fig = ctx.default("host nameplate per W of TDP", "host_ratio")
    return float(fig.value) * tdp


def host_power(ctx: Ctx) -> float:
    """Power of everything but the accelerators, per accelerator, under load: the host's
    nameplate × the measured host load share. [W]"""
    load = float(ctx.catalog.constant("facility", "defaults.host_load").value)
    return host_nameplate(ctx) * load


def idle_power(ctx: Ctx, tdp: float) -> tuple[float, str]:
    """An idle accelerator's draw [W] and where it comes from: the catalog's sourced idle
    figure, else the power model's fitted floor (idle fraction × TDP), stated."""
    hw = ctx.hardware
    assert hw is not None
    entry = ctx.catalog.get("accelerators", hw.id) if not hw.inline else None
    fig = entry.get("idle_power") if entry else None
    if fig is not None:
        return float(fig.value), fig.reference()
    floor = tdp * calibration.POWER_IDLE_FRACTION
    ctx.out.assume("idle draw per accelerator", f"{floor:.0f} W",
                   f"no sourced idle draw for {hw.name}: the power model's fitted floor "
                   f"{calibration.POWER_IDLE_FRACTION:g} × TDP")
    return floor, f"fitted floor {calibration.POWER_IDLE_FRACTION:g} × TDP"


def installed_power(ctx: Ctx) -> tuple[float, str, dict[str, str]]:
    """Installed IT power [W]: the systems at full load, or at the power cap; with how.

    Published system power: systems × nameplate (a GB200 NVL72 rack is 120 kW whatever the
    traffic). Else accelerators × (TDP + host nameplate). A power cap replaces each
    accelerator's TDP by the cap (never above it).
    """
    hw, dep = ctx.hardware, ctx.profile.deployment
    assert hw is not None and hw.tdp is not None
    n, tdp = dep.accelerators, float(hw.tdp.value)
    cap = dep.power_cap
    per_accelerator = min(tdp, cap) if cap else tdp
    cut = tdp - per_accelerator
    if hw.system_power is not None and hw.node_size and \
            ctx.profile.deployment.placement != "device" and hw.hw_class != "edge":
        systems = math.ceil(n / hw.node_size)
        system_w = float(hw.system_power.value) - hw.node_size * cut
        inputs = {"systems": str(systems),
                  "system power": f"{hw.system_name} {hw.system_power.text}"
                  + (f", capped at {cap:.0f} W per accelerator" if cap else "")}
        return systems * system_w, "systems × published system power", inputs
    host = host_nameplate(ctx)
    inputs = {"accelerators": str(n), "power per accelerator":
              f"{per_accelerator:.0f} W" + (" (power cap)" if cap else " (TDP)"),
              "host per accelerator": f"{host:.0f} W"}
    return n * (per_accelerator + host), "accelerators × (TDP or cap + host nameplate)", inputs



def carbon_intensity(ctx: Ctx) -> tuple[float, str] | None:
    """Grid intensity [kg/J] and where it came from: profile, region, country."""
    energy = ctx.profile.energy
    if energy and energy.carbon_intensity is not None:
        return energy.carbon_intensity, "profile"
    fig = ctx.place_figure("carbon_intensity", "energy.carbon_intensity")
    return (float(fig.value), fig.reference()) if fig else None



def estimate(ctx: Ctx) -> None:
    """Power at peak and average traffic, energy per token and request, annual energy,
    emissions and water, device runtime."""
    p, hw, busy = ctx.profile, ctx.hardware, ctx.out.facts.get("busy")
    if hw is None or busy is None:
        return
    if hw.tdp is None:
        ctx.out.unknown["power"] = f"{hw.name} has no sourced power rating"
        return
    n = p.deployment.accelerators
    tdp = float(hw.tdp.value)
    cap = p.deployment.power_cap
    limit_w = min(tdp, cap) if cap else tdp
    floor, idle_source = idle_power(ctx, tdp)

    def draw(point: dict[str, float]) -> float:
        return min(limit_w, power.accelerator_power(
            tdp, point["compute_util"], point["memory_util"], calibration.POWER_IDLE_FRACTION,
            calibration.POWER_COMPUTE_WEIGHT, calibration.POWER_MEMORY_WEIGHT))

    busy_w = draw(busy)  # at the serving batch: energy per token and per request
    full = ctx.out.facts.get("busy_capacity", busy)
    full_w = draw(full)  # at the capacity batch: the power the site must supply
    traffic = p.workload.traffic
    capacity = full.get("requests_per_s")
    if capacity and traffic is not None:
        load_peak = min(1.0, traffic.requests_per_s * traffic.peak_factor / capacity)
        load_avg = min(1.0, traffic.requests_per_s / capacity)
    else:
        load_peak = load_avg = 1.0
        if capacity:
            ctx.out.assume("workload.traffic", "busy all the time",
                            "no traffic given: the accelerators are assumed fully loaded")
    host_w = host_power(ctx)
    ctx.out.facts["host_known"] = True
    refs = (hw.tdp.reference(), *(ref(hw.system_power)),
            f"power model calibrated: {calibration.POWER_REFERENCE}", f"idle: {idle_source}")
    acc_peak = n * power.scaled_to_load(full_w, floor, load_peak)
    acc_avg = n * power.scaled_to_load(full_w, floor, load_avg)
    it_peak, it_avg = acc_peak + n * host_w, acc_avg + n * host_w
    pue = ctx.pue()
    inputs = {"TDP": hw.tdp.text, "compute utilization": f"{full['compute_util']:.0%}",
              "memory utilization": f"{full['memory_util']:.0%}",
              "load at peak": f"{load_peak:.0%}", "accelerators": str(n)}
    ctx.out.add("accelerator_power_kw", acc_peak / 1e3, "kW",
                 "accelerators × (floor + (busy − floor) × load); busy = TDP × min(1, "
                 "idle + a·u_compute + b·u_memory)", inputs, refs)
    ctx.out.add("it_power_kw", it_peak / 1e3, "kW",
                 "accelerators + host overhead at peak traffic",
                 {"accelerators": fmt(acc_peak / 1e3, "kW"),
                  "host": f"{fmt(n * host_w / 1e3, 'kW')} ({host_w:.0f} W per accelerator)"},
                 refs)
    installed_w, how, installed_inputs = installed_power(ctx)
    ctx.out.add("installed_it_power_kw", installed_w / 1e3, "kW", how, installed_inputs, refs)
    ctx.out.add("average_it_power_kw", it_avg / 1e3, "kW",
                 "accelerators at the average load (idle draw between requests) + host",
                 {"accelerators": fmt(acc_avg / 1e3, "kW"), "average load": f"{load_avg:.0%}",
                  "idle draw": f"{floor:.0f} W per accelerator ({idle_source})",
                  "host": fmt(n * host_w / 1e3, "kW")}, refs)
    ctx.out.add("facility_power_kw", installed_w * pue / 1e3, "kW",
                 "installed IT power × PUE (what the site provisions)",
                 {"installed IT power": fmt(installed_w / 1e3, "kW"), "PUE": f"{pue:g}",
                  "cooling and power distribution": fmt(installed_w * (pue - 1) / 1e3, "kW")},
                 refs)
    tokens = busy.get("tokens_per_s")
    if tokens:
        ctx.out.add("energy_per_token_j", (busy_w + host_w) * n / tokens, "J",
                     "(accelerators + host) power at the serving batch / tokens per s",
                     {}, refs)
        ctx.out.add("accelerator_energy_per_token_j", busy_w * n / tokens, "J",
                     "accelerator power at the serving batch / tokens per s", {}, refs)
    served = busy.get("requests_per_s")
    if served:
        ctx.out.add("energy_per_request_wh", (busy_w + host_w) * n / served / 3600.0,
                     "Wh", "(accelerators + host) power / requests per s", {}, refs)
    seconds = ctx.out.facts.get("training_s")
    if seconds is not None:
        energy_j = it_peak * pue * seconds
        formula = "facility power × training time (the run's energy)"
    else:
        energy_j = power.annual_energy(it_avg * pue)
        formula = "average IT power × PUE × 8,766 h"
    it_energy_j = energy_j / pue
    ctx.out.add("annual_energy_mwh", energy_j / 3.6e9, "MWh", formula,
                 {"average load": f"{load_avg:.0%}", "PUE": f"{pue:g}"}, refs)
    intensity = carbon_intensity(ctx)
    if intensity is not None:
        ctx.out.add("annual_co2_t", power.emissions(energy_j, intensity[0]) / 1e3, "t",
                     "annual energy × grid carbon intensity",
                     {"intensity": f"{intensity[0] * 3.6e9:.4g} g/kWh"}, (intensity[1],))
    else:
        ctx.out.unknown["carbon"] = "no carbon intensity for the deployment's grid"
    if p.deployment.placement != "device":
        wue = ctx.wue()
        ctx.out.add("annual_water_m3", power.water(it_energy_j, wue), "m3",
                     "WUE × annual IT energy", {"WUE": f"{wue * 3.6e9:.3g} L/kWh"}, refs)
    site = p.site
    if site and site.battery:
        device_w = (acc_avg + n * host_w)
        runtime = power.battery_runtime(site.battery, device_w)
        ctx.out.add("device_runtime_h", runtime / 3600.0, "h",
                     "battery energy / device power at the average load",
                     {"battery": f"{site.battery / 3600:.4g} Wh",
                      "device power": f"{device_w:.3g} W"}, refs)
    ctx.out.facts.update(it_peak_w=it_peak, facility_peak_w=installed_w * pue,
                          it_avg_w=it_avg, energy_j=energy_j)

