"""Power and energy: accelerators at their utilization, host overhead, facility (PUE),
annual energy, carbon, water, device runtime."""

from __future__ import annotations

from aiceiling.estimates.base import Ctx, fmt, ref
from aiceiling.physics import calibration, power


def host_power(ctx: Ctx) -> float | None:
    """Power of everything but the accelerators, per accelerator, under load. [W]"""
    hw = ctx.hardware
    assert hw is not None and hw.tdp is not None
    if hw.hw_class == "edge":
        return 0.0  # a module's rated power covers its SoC, memory and I/O
    if hw.system_power is None or not hw.node_size:
        return None
    nameplate = float(hw.system_power.value) / hw.node_size - float(hw.tdp.value)
    load = float(ctx.catalog.constant("facility", "defaults.host_load").value)
    return max(0.0, nameplate) * load



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
    floor = tdp * calibration.POWER_IDLE_FRACTION
    def draw(point: dict[str, float]) -> float:
        return power.accelerator_power(tdp, point["compute_util"], point["memory_util"],
                                       calibration.POWER_IDLE_FRACTION,
                                       calibration.POWER_COMPUTE_WEIGHT,
                                       calibration.POWER_MEMORY_WEIGHT)

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
    host = host_power(ctx)
    ctx.out.facts["host_known"] = host is not None
    host_w = host or 0.0
    refs = (hw.tdp.reference(), *(ref(hw.system_power)),
            f"power model calibrated: {calibration.POWER_REFERENCE}")
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
    host_text = "unknown (no published system power)" if host is None else \
        f"{host_w:.0f} W per accelerator"
    ctx.out.add("it_power_kw", it_peak / 1e3, "kW", "accelerators + host overhead",
                 {"accelerators": fmt(acc_peak / 1e3, "kW"),
                  "host": host_text if host is None else
                  f"{fmt(n * host_w / 1e3, 'kW')} ({host_w:.0f} W per accelerator)"},
                 refs)
    ctx.out.add("facility_power_kw", it_peak * pue / 1e3, "kW", "IT power × PUE",
                 {"PUE": f"{pue:g}",
                  "cooling and power distribution": fmt(it_peak * (pue - 1) / 1e3, "kW")},
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
        site = p.site
        wue = site.wue if site and site.wue is not None else \
            float(ctx.default("site.wue", "wue").value)
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
    ctx.out.facts.update(it_peak_w=it_peak, facility_peak_w=it_peak * pue,
                          it_avg_w=it_avg, energy_j=energy_j)

