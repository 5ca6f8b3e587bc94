"""Network latency: light in fiber over the route, plus the access network."""

from __future__ import annotations

from collections.abc import Iterable


def fiber_rtt(distance_m: float, propagation_s_per_m: float, route_factor: float) -> float:
    """Round-trip propagation time over optical fiber. [s]

    2 × distance × route factor × propagation delay per metre. Light in G.652 fiber
    (n ≈ 1.468) covers a kilometre in ≈ 4.9 µs; fiber routes are longer than the
    great-circle distance by the route factor.
    References: ITU-T G.652; the catalog's ``networks:fiber.propagation`` source.
    """
    return 2.0 * distance_m * route_factor * propagation_s_per_m


def network_rtt(distance_m: float, propagation_s_per_m: float, route_factor: float,
                access_rtt_s: float) -> float:
    """Round trip from where requests originate to where the model runs. [s]

    Fiber propagation over the route plus the access network's own round trip (radio,
    Wi-Fi or LAN hop), which dominates at short distances.
    """
    return fiber_rtt(distance_m, propagation_s_per_m, route_factor) + access_rtt_s


def fit_route_factor(pairs: Iterable[tuple[float, float]], propagation_s_per_m: float) -> float:
    """Route factor that best explains measured round trips over great-circle distances. [-]

    Least squares through the origin of measured RTT against the ideal fiber RTT
    2 · d · propagation: k = Σ(m · i) / Σ(i²). Calibrated against published inter-region
    RTTs (catalog ``networks:measured_rtt``), which include switching and queueing delay,
    so the factor folds those in.
    """
    numerator = denominator = 0.0
    for distance_m, measured_s in pairs:
        ideal = 2.0 * distance_m * propagation_s_per_m
        numerator += measured_s * ideal
        denominator += ideal * ideal
    if denominator <= 0:
        raise ValueError("no measured pairs to fit a route factor")
    return numerator / denominator
