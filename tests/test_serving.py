"""LLM serving physics: exactness of the closed forms, and published structural facts."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiceiling.catalog import Catalog, Figure, Source
from aiceiling.estimates import compute_precision
from aiceiling.physics import serving
from aiceiling.physics.memory import kv_bytes_per_token, transformer_params
from aiceiling.resolve import model_from_entry

H100 = serving.Replica(peak_flops=989.4e12, bandwidth=3.35e12, eff_compute=0.6,
                       eff_bandwidth=0.65, attention_flops=989.4e12, eff_attention=0.6,
                       layer_overhead=60e-6)


def llama_8b(window: float = math.inf, window_fraction: float = 0.0) -> serving.Transformer:
    counts = transformer_params(32, 4096, 32, 8, 128, 14336, 128256)
    return serving.Transformer(
        block_params_active=counts.blocks_active, lm_head_params=counts.lm_head, layers=32,
        attention_dim=4096, hidden=4096, dense_weight_bytes=counts.total * 2,
        expert_weight_bytes=0.0, kv_bytes_per_token=kv_bytes_per_token(32, 8, 128, 2),
        window=window, window_fraction=window_fraction)


lines = st.tuples(st.floats(-1e3, 1e3), st.floats(-10, 10))


@given(st.integers(0, 300), st.integers(0, 300), lines, lines)
def test_sum_of_max_of_lines_is_exact(a: int, n: int, l1: tuple[float, float],
                                      l2: tuple[float, float]) -> None:
    b = a + n
    brute = sum(max(l1[0] + l1[1] * t, l2[0] + l2[1] * t) for t in range(a, b))
    assert serving._sum_max_lines(a, b, l1, l2) == pytest.approx(brute, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize(("batch", "prompt", "output", "window", "fraction"), [
    (1, 128, 64, math.inf, 0.0),
    (64, 2048, 300, math.inf, 0.0),
    (512, 634, 390, math.inf, 0.0),
    (8, 3000, 2000, 4096.0, 1.0),     # Mistral-style: every layer windowed at 4096
    (8, 3000, 2000, 4096.0, 0.5),     # Gemma-2-style: every other layer windowed
    (4, 5000, 100, 4096.0, 1.0),      # prompt already beyond the window
])
def test_decode_time_equals_sum_of_steps(batch: int, prompt: int, output: int, window: float,
                                         fraction: float) -> None:
    model = llama_8b(window, fraction)
    brute = sum(serving.decode_step_time(H100, model, batch, prompt + t) for t in range(output))
    assert serving.decode_time(H100, model, batch, prompt, output) == pytest.approx(brute,
                                                                                    rel=1e-9)


def test_decode_is_memory_bound_at_batch_1_and_compute_bound_at_large_batch() -> None:
    model = llama_8b()
    one = serving.decode_step_time(H100, model, 1, 1000)
    # batch 1: weights (16.06 GB) over 65 % of 3.35 TB/s, plus per-layer overhead.
    assert one == pytest.approx(16.06e9 / (3.35e12 * 0.65) + 32 * 60e-6, rel=0.01)
    # At batch 1 the step barely grows with batch; at batch 4096 it is ~linear in batch.
    assert serving.decode_step_time(H100, model, 8, 1000) < 1.2 * one
    big = serving.decode_step_time(H100, model, 4096, 100)
    bigger = serving.decode_step_time(H100, model, 8192, 100)
    assert bigger / big == pytest.approx(2.0, rel=0.05)


@pytest.mark.parametrize(("experts", "active", "tokens", "expected", "source"), [
    (8, 2, 1, 2.0, "Mixtral: top-2 of 8 experts per token (arXiv:2401.04088)"),
    (8, 2, 2, 8 * (1 - 0.75 ** 2), "two tokens: union of their experts"),
    (256, 8, 1, 8.0, "DeepSeek-V3: 8 of 256 routed experts (arXiv:2412.19437)"),
    (8, 2, 1000, 8.0, "large batches touch every expert"),
    (1, 1, 50, 1.0, "dense model"),
])
def test_moe_experts_touched(experts: int, active: int, tokens: int, expected: float,
                             source: str) -> None:
    assert serving.expected_experts_touched(experts, active, tokens) == pytest.approx(
        expected, rel=1e-3), source


def test_moe_reads_only_active_experts_but_holds_all() -> None:
    entry = Catalog().get("models", "mixtral-8x7b")
    spec = model_from_entry(entry)
    per_expert = spec.expert_params * 2
    dense = spec.params * 2 - 8 * per_expert
    model = serving.Transformer(
        block_params_active=spec.counts.blocks_active if spec.counts else 0.0,
        lm_head_params=0.0, layers=32, attention_dim=4096, hidden=4096,
        dense_weight_bytes=dense, expert_weight_bytes=per_expert, experts=8, experts_active=2)
    assert model.weight_bytes == pytest.approx(spec.params * 2)
    one_token = serving.weight_bytes_read(model, 1)
    assert one_token == pytest.approx(dense + 2 * per_expert)
    # Mixtral-8x7B: ~12.9 B of 46.7 B parameters active per token (Jiang et al. 2024).
    assert one_token / model.weight_bytes == pytest.approx(12.9 / 46.7, rel=0.03)


@pytest.mark.parametrize(("tp", "message", "link", "expected"), [
    (1, 1e6, 450e9, 0.0),
    (2, 1e6, 450e9, 2 * 1 / 2 * 1e6 / 450e9),
    (8, 1e6, 450e9, 2 * 7 / 8 * 1e6 / 450e9),
])
def test_ring_allreduce(tp: int, message: float, link: float, expected: float) -> None:
    assert serving.allreduce_time(message, tp, link, 0.0) == pytest.approx(expected)


def test_tensor_parallel_speeds_decode_but_costs_communication() -> None:
    model = llama_8b()
    tp1 = serving.decode_step_time(H100, model, 1, 1000)
    tp2 = serving.decode_step_time(
        serving.Replica(**{**H100._asdict(), "tp": 2, "link_bandwidth": 450e9}), model, 1, 1000)
    pcie = serving.decode_step_time(
        serving.Replica(**{**H100._asdict(), "tp": 2, "link_bandwidth": 32e9}), model, 64, 1000)
    nvlink = serving.decode_step_time(
        serving.Replica(**{**H100._asdict(), "tp": 2, "link_bandwidth": 450e9}), model, 64, 1000)
    assert tp2 < tp1
    assert pcie > nvlink


def test_prefill_flops_close_to_two_n_per_token() -> None:
    """Kaplan et al. 2020: ≈ 2N FLOPs per token, plus attention that grows with P²."""
    model = llama_8b()
    flops = serving.prefill_flops(model, 2048)
    two_n = 2 * model.block_params_active * 2048
    assert flops > two_n
    # attention adds layers · P · heads·head_dim / N = 32 · 2048 · 4096 / 6.98e9 ≈ 3.8 %
    assert flops / two_n == pytest.approx(1 + 32 * 2048 * 4096 / model.block_params_active,
                                          rel=1e-4)


@pytest.mark.parametrize(("rate", "service", "expected"), [
    (0.5, 1.0, 0.5), (0.9, 1.0, 4.5), (0.0, 1.0, 0.0), (1.0, 1.0, math.inf), (2.0, 1.0, math.inf)])
def test_md1_wait(rate: float, service: float, expected: float) -> None:
    """M/D/1: W = ρ S / (2 (1 − ρ)) (Pollaczek–Khinchine, deterministic service)."""
    assert serving.md1_wait(rate, service) == pytest.approx(expected)


def test_largest_batch_binary_search() -> None:
    assert serving.largest_batch(1000, lambda b: b * b <= 5000) == 70
    assert serving.largest_batch(10, lambda b: False) == 0
    assert serving.largest_batch(10, lambda b: True) == 10


def _peaks(*names: str) -> dict[str, Figure]:
    source = Source("t", "test", "", "test")
    return {name: Figure(1.0, "1", source, "2024") for name in names}


@pytest.mark.parametrize(("weights", "peaks", "expected", "why"), [
    ("int4", ("bf16", "fp8", "int8", "int4"), "bf16",
     "weight-only int4 (AWQ/GPTQ W4A16) computes at 16 bits even where int4 exists"),
    ("fp8", ("bf16", "fp16", "int8"), "bf16", "A100 has no fp8: fp8 weights upcast to bf16"),
    ("fp8", ("bf16", "fp8"), "fp8", "H100 computes fp8 natively"),
    ("fp4", ("bf16", "fp8", "fp4"), "fp4", "B200 computes fp4 natively"),
    ("fp4", ("bf16", "fp8"), "fp8", "fp4 weights on Hopper run fp8 arithmetic"),
    ("int8", ("int8",), "int8", "Hailo-8 has int8 only"),
    ("bf16", ("int8",), None, "no sourced 16-bit peak: unknown, not guessed"),
])
def test_compute_precision(weights: str, peaks: tuple[str, ...], expected: str | None,
                           why: str) -> None:
    assert compute_precision(weights, _peaks(*peaks)) == expected, why


@pytest.mark.parametrize(("model", "gflop", "measured_ms"), [
    ("yolov8n", 8.7, 0.99), ("yolov8s", 28.6, 1.20), ("yolov8m", 78.9, 1.83),
    ("yolov8l", 165.2, 2.39), ("yolov8x", 257.8, 3.53),
])
def test_vision_latency_against_ultralytics(model: str, gflop: float,
                                            measured_ms: float) -> None:
    """Batch-1 TensorRT latency on an A100 (AWS p4d), Ultralytics docs/en/models/yolov8.md."""
    from aiceiling.physics import calibration, inference

    predicted = inference.request_time(gflop * 1e9, 0.0, 1, 312e12 *
                                       calibration.EFF_COMPUTE_VISION, 2.039e12,
                                       calibration.INFERENCE_OVERHEAD_S)
    assert predicted * 1e3 == pytest.approx(measured_ms, rel=0.10), model
