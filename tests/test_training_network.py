"""Training compute and network latency against published figures."""

from __future__ import annotations

import pytest

from aiceiling.physics import network, training

H100_BF16 = 989.4e12  # NVIDIA H100 SXM dense BF16 (catalog h100-sxm)


@pytest.mark.parametrize(("params", "tokens", "flops", "source"), [
    (405e9, 15.6e12, 3.8e25,
     "Llama 3 Herd of Models (arXiv:2407.21783) §3: 3.8e25 FLOPs, 405B on 15.6T tokens"),
    (175e9, 300e9, 3.14e23, "GPT-3 (Brown et al. 2020, Table D.1): 3.14e23 FLOPs"),
    (70e9, 1.4e12, 5.76e23, "Chinchilla (Hoffmann et al. 2022, Table 3): 5.76e23 FLOPs"),
])
def test_training_flops_6nd(params: float, tokens: float, flops: float, source: str) -> None:
    assert training.training_flops(params, tokens) == pytest.approx(flops, rel=0.03), source


def test_llama_405b_gpu_hours() -> None:
    """Llama 3.1 405B used 30.84 M H100 GPU-hours (Llama 3.1 model card); 6·N·D at the
    default 40 % MFU gives 26.7 M, within 15 %."""
    seconds = training.training_time(training.training_flops(405e9, 15.6e12), 1, H100_BF16,
                                     0.40)
    assert seconds / 3600 == pytest.approx(30.84e6, rel=0.15)


def test_compute_optimal_tokens() -> None:
    """Chinchilla: 70 B parameters, 1.4 T tokens (Hoffmann et al. 2022)."""
    assert training.compute_optimal_tokens(70e9) == pytest.approx(1.4e12)


@pytest.mark.parametrize(("distance_km", "route", "access_ms", "expected_ms", "source"), [
    (1000, 1.0, 0.0, 9.794, "5 µs/km rule: 1,000 km ≈ 10 ms RTT (facts §c)"),
    (0.5, 1.6, 0.5, 0.5078, "on-site LAN: the access network dominates"),
    (5570, 1.0, 0.0, 54.6, "London–New York great circle: ~55 ms RTT floor in fiber"),
])
def test_network_rtt(distance_km: float, route: float, access_ms: float, expected_ms: float,
                     source: str) -> None:
    rtt = network.network_rtt(distance_km * 1e3, 4.897e-9, route, access_ms * 1e-3)
    assert rtt * 1e3 == pytest.approx(expected_ms, rel=0.01), source


def test_route_factor_fit_is_least_squares() -> None:
    propagation = 5e-9
    pairs = [(1e6, 0.015), (2e6, 0.030)]  # exactly 1.5× the ideal 10 ms per 1,000 km
    assert network.fit_route_factor(pairs, propagation) == pytest.approx(1.5)
    with pytest.raises(ValueError):
        network.fit_route_factor([], propagation)
