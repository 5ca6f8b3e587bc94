"""Power and energy: accelerators at their utilization, host overhead, facility, water, carbon.

Units: W, J, s, kg, m3.
"""

from __future__ import annotations


def utilization(flops: float, bytes_moved: float, seconds: float, peak_flops: float,
                bandwidth: float) -> tuple[float, float]:
    """Average compute and memory-bandwidth utilization of work done in ``seconds``. [-]

    FLOPs / (seconds × peak) and bytes / (seconds × bandwidth), for the devices together
    (pass their summed peak and bandwidth).
    """
    return flops / (seconds * peak_flops), bytes_moved / (seconds * bandwidth)


def accelerator_power(tdp_w: float, compute_util: float, memory_util: float,
                      idle_fraction: float, compute_weight: float,
                      memory_weight: float) -> float:
    """Power of one accelerator at a compute and memory utilization. [W]

    An idle floor plus a dynamic part that grows with how hard the arithmetic units and the
    memory system are driven, capped at the board limit:
    TDP × min(1, idle + compute_weight · u_compute + memory_weight · u_memory).
    The weights and floor are fitted to the ML.ENERGY leaderboard's measured GPU power
    (tests/data/calibration.yaml), not assumed: TDP × count, the usual shortcut, is 30-50 %
    high for memory-bound decode at small batch.
    """
    return tdp_w * min(1.0, idle_fraction + compute_weight * compute_util
                       + memory_weight * memory_util)


def scaled_to_load(busy_w: float, idle_w: float, load: float) -> float:
    """Average power of a device busy a share ``load`` of the time and idle otherwise. [W]"""
    load = max(0.0, min(1.0, load))
    return idle_w + (busy_w - idle_w) * load


def facility_power(it_power_w: float, pue: float) -> float:
    """Facility power: IT power × PUE (The Green Grid, "PUE: A Comprehensive Examination of
    the Metric", WP#49, 2012). [W]"""
    return it_power_w * pue


def annual_energy(power_w: float, hours_per_year: float = 8766.0) -> float:
    """Energy of a constant load over a year of 8,766 h (365.25 days). [J]"""
    return power_w * hours_per_year * 3600.0


def water(it_energy_j: float, wue_m3_per_j: float) -> float:
    """Site water use: WUE × IT energy (The Green Grid, "WUE", WP#35, 2011). [m3]"""
    return it_energy_j * wue_m3_per_j


def emissions(energy_j: float, intensity_kg_per_j: float) -> float:
    """Operational emissions: energy × grid carbon intensity. [kg CO2e]"""
    return energy_j * intensity_kg_per_j


def battery_runtime(battery_j: float, power_w: float) -> float:
    """How long a battery lasts at a constant draw. [s]"""
    return battery_j / power_w if power_w > 0 else float("inf")
