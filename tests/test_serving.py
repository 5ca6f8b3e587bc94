"""LLM serving physics: exactness of the closed forms, and published structural facts."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiceiling import api
from aiceiling.catalog import Catalog, Figure, Source
from aiceiling.checks import Result
from aiceiling.estimates import compute_precision
from aiceiling.physics import load, queueing, serving
from aiceiling.physics.memory import kv_bytes_per_token, transformer_params
from aiceiling.profile.yamlsource import Document
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


# ------------------------------------------------------------------ the server at load
ENGINE = load.Engine(H100, llama_8b(), load.Request(1000.0, 200.0),
                     load.Options(max_sequences=256.0))
STABLE = load.stable_limit(ENGINE)


@pytest.mark.parametrize("share", [0.05, 0.3, 0.6, 0.9, 0.99])
def test_operating_point_is_self_consistent(share: float) -> None:
    """Little's law holds on the returned batch, and the step time is the step model's
    at that batch and its prefill (a fixed point, not an approximation of one)."""
    rate = share * STABLE
    point = load.operating_point(ENGINE, rate)
    assert point is not None
    assert point.arrival_rate == pytest.approx(rate, rel=1e-6)   # bisection to 2^-32
    served = point.arrival_rate
    # Sequences in decode = λ × decode steps per request × step time.
    assert point.decode_batch == pytest.approx(served * ENGINE.decode_steps * point.step_s,
                                               rel=1e-9)
    # Prompt tokens per step = λ × step time × prompt tokens.
    assert point.prefill_tokens == pytest.approx(served * point.step_s * 1000.0, rel=1e-9)
    assert point.step_s == pytest.approx(
        load.mixed_step_time(ENGINE, point.decode_batch, point.prefill_tokens), rel=1e-12)
    assert point.in_flight == pytest.approx(served * point.time_in_system_s, rel=1e-12)


@pytest.mark.parametrize("share", [0.0, 0.2, 0.7, 0.95])
def test_p99_at_least_mean_and_p50(share: float) -> None:
    point = load.point_at(ENGINE, share * 256.0)
    assert point.ttft_p99_s >= point.ttft_s >= 0
    assert point.ttft_p99_s >= point.ttft_p50_s
    assert point.tpot_p99_s >= point.tpot_s == point.tpot_p50_s


def test_latency_rises_with_load_and_diverges_only_at_capacity() -> None:
    shares = [i / 20 for i in range(20)] + [0.99, 0.999]
    points = [load.operating_point(ENGINE, s * STABLE) for s in shares]
    assert all(p is not None for p in points)
    ttft = [p.ttft_s for p in points if p is not None]
    tpot = [p.tpot_s for p in points if p is not None]
    assert ttft == sorted(ttft) and tpot == sorted(tpot)
    # Finite just below capacity (the memory cap binds: no runaway below it) …
    assert all(math.isfinite(p.ttft_p99_s) for p in points if p is not None)
    # … and no steady state at or beyond it: reported as unstable, never a number.
    assert load.operating_point(ENGINE, STABLE) is None
    assert load.operating_point(ENGINE, 3 * STABLE) is None


def test_concurrency_caps_the_batch_like_max_num_seqs() -> None:
    capped = ENGINE._replace(options=ENGINE.options._replace(max_sequences=32.0))
    assert load.stable_limit(capped) < STABLE
    assert load.stable_limit(capped) == pytest.approx(load.arrival_rate_at(capped, 32.0))


def test_capacity_meets_the_p99_budgets_and_is_the_largest_that_does() -> None:
    top = load.capacity(ENGINE, ttft_budget=0.5, tpot_budget=0.030)
    assert top is not None
    assert top.ttft_p99_s <= 0.5 and top.tpot_p99_s <= 0.030
    beyond = load.point_at(ENGINE, top.decode_batch * 1.01)
    assert beyond.ttft_p99_s > 0.5 or beyond.tpot_p99_s > 0.030
    assert load.capacity(ENGINE, tpot_budget=1e-4) is None   # not even an idle server


def test_dedicated_is_an_mg1_queue() -> None:
    mean, _, prefill, step = load.dedicated_service(ENGINE)
    assert mean == pytest.approx(prefill + 199 * step)
    assert load.dedicated_point(ENGINE, 0.99 / mean) is not None
    assert load.dedicated_point(ENGINE, 1.0 / mean) is None
    light, heavy = (load.dedicated_point(ENGINE, s / mean) for s in (0.1, 0.8))
    assert light is not None and heavy is not None and heavy.ttft_s > light.ttft_s


@pytest.mark.parametrize(("k", "alpha", "expected", "source"), [
    (0, 0.9, 1.0, "no speculation"),
    (1, 0.5, 1.5, "Leviathan et al. 2023 eq. 1: (1 − α²)/(1 − α)"),
    (4, 0.8, 3.3616, "(1 − 0.8⁵)/(1 − 0.8)"),
    (3, 1.0, 4.0, "every draft accepted: k + 1"),
    (5, 0.0, 1.0, "nothing accepted: the target's own token"),
])
def test_speculative_tokens_per_step(k: int, alpha: float, expected: float,
                                     source: str) -> None:
    assert load.expected_tokens_per_step(k, alpha) == pytest.approx(expected), source


def test_serving_options_change_the_work_per_step() -> None:
    base = load.operating_point(ENGINE, 0.5 * STABLE)
    cached = ENGINE._replace(options=ENGINE.options._replace(prefix_hit_rate=0.8))
    hit = load.operating_point(cached, 0.5 * STABLE)
    assert base is not None and hit is not None
    assert hit.prefill_tokens < base.prefill_tokens and hit.ttft_s < base.ttft_s
    mtp = ENGINE._replace(options=ENGINE.options._replace(
        draft_tokens=1, acceptance_rate=0.8, draft_cost=1 / 32))
    spec = load.operating_point(mtp, 0.5 * STABLE)
    assert spec is not None and spec.tpot_s < base.tpot_s
    split = ENGINE._replace(options=ENGINE.options._replace(prefill_ratio=3.0))
    disagg = load.point_at(split, 64.0)
    assert disagg.prefill_tokens == 0.0   # decode steps carry no prefill


@pytest.mark.parametrize(("mean", "p50", "sigma", "source"), [
    (222.3, 152.0, 0.872, "MLPerf Llama-2-70B OpenOrca prompts (mean 222.3, median 152; "
                          "openshift-psap/performance-dashboard llama2-70b-99.csv)"),
])
def test_default_length_spread(mean: float, p50: float, sigma: float, source: str) -> None:
    assert abs(queueing.DEFAULT_LENGTH_SIGMA - sigma) <= 1e-3, source
    assert queueing.lognormal_quantile(mean, sigma, 0.0) == pytest.approx(p50, rel=1e-3)
    # p90 predicted 464 against the measured 519 (within 11 %).
    assert queueing.lognormal_quantile(mean, sigma, 1.2816) == pytest.approx(519, rel=0.11)


@given(st.floats(1.0, 1e5), st.floats(0.0, 2.3))
def test_lognormal_sigma_round_trip(mean: float, sigma: float) -> None:
    p99 = queueing.lognormal_quantile(mean, sigma, queueing.Z99)
    assert queueing.lognormal_sigma(mean, p99) == pytest.approx(sigma, abs=1e-6)


@pytest.mark.parametrize(("rate", "mean", "second", "expected"), [
    (0.5, 1.0, 1.0, 0.5),        # M/D/1 at ρ = 0.5: ρ S / (2 (1 − ρ)) = 0.5 s
    (0.5, 1.0, 2.0, 1.0),        # M/M/1 at ρ = 0.5: ρ / (μ − λ) = 1 s
    (1.0, 1.0, 1.0, math.inf),   # at ρ = 1 there is no steady state
])
def test_pollaczek_khinchine(rate: float, mean: float, second: float,
                             expected: float) -> None:
    assert queueing.mg1_wait(rate, mean, second) == pytest.approx(expected)


def test_mm1_wait_quantile() -> None:
    """M/M/1 at ρ = 0.5, μ = 1: P(W > t) = ρ e^(−(μ−λ)t), so the p99 is ln(50)/0.5."""
    assert queueing.wait_quantile(1.0, 0.5) == pytest.approx(math.log(50) / 0.5)
    assert queueing.wait_quantile(1.0, 0.005) == 0.0   # fewer than 1 % wait at all


# ------------------------------------------------------------------ checks at load
def _evaluate(workload: dict[str, object], accelerators: int = 1) -> api.Report:
    profile = {"aiceiling": 1, "workload": {"kind": "llm-inference", **workload},
               "deployment": {"placement": "cloud", "hardware": "h100-sxm",
                              "accelerators": accelerators}}
    return api.evaluate(api.load_document(Document("t.yaml", profile, {}),
                                          catalog=Catalog()))


def _report(workload: dict[str, object], accelerators: int = 1) -> dict[str, Result]:
    return {r.id: r for r in _evaluate(workload, accelerators).results}


@pytest.mark.parametrize(("prompt", "output", "status"), [
    (3000, 276, "pass"),     # 80 % of 4,096 is 3,276.8: just below the warning margin
    (3500, 596, "warn"),     # exactly the limit: within it, at 100 %
    (3500, 597, "fail"),     # one token beyond
])
def test_context_window_at_its_boundary(prompt: int, output: int, status: str) -> None:
    """Llama-2-70B: max_position_embeddings 4096 (meta-llama/Llama-2-70b-hf config.json)."""
    result = _report({"model": "llama-2-70b", "precision": "fp8", "prompt_tokens": prompt,
                      "output_tokens": output}, accelerators=2)["compute.context_window"]
    assert result.status == status
    assert result.limit == 4096.0
    if status == "fail":
        assert "4,096" in result.message


def test_context_window_fails_on_the_stated_p99_request() -> None:
    result = _report({"model": "llama-2-70b", "precision": "fp8", "prompt_tokens": 1000,
                      "output_tokens": 200, "prompt_tokens_p99": 4000},
                     accelerators=2)["compute.context_window"]
    assert result.status == "fail"
    assert "p99 request" in result.message


def test_overload_fails_latency_as_unstable_and_binds_on_throughput() -> None:
    workload = {"model": "llama-3.1-8b", "prompt_tokens": 1000, "output_tokens": 200,
                "traffic": {"requests_per_s": 1000},
                "latency": {"ttft": "2 s", "tpot": "100 ms", "e2e": "60 s"}}
    report = _evaluate(workload)
    got = {r.id: r for r in report.results}
    for cid in ("compute.ttft", "compute.tpot", "compute.latency_e2e"):
        result = got[cid]
        assert result.status == "fail"
        assert result.message.startswith("unstable: 1,000 req/s offered, capacity ")
        assert result.used is None and result.value == "unstable"
    assert report.binding is not None and report.binding.id == "compute.throughput"
    assert "ttft_ms" not in report.estimates.values


def test_latency_checks_hold_the_p99_and_show_the_mean() -> None:
    workload = {"model": "llama-3.1-8b", "prompt_tokens": 1000, "output_tokens": 200,
                "traffic": {"requests_per_s": 5}, "latency": {"tpot": "100 ms"}}
    report = _evaluate(workload)
    tpot = next(r for r in report.results if r.id == "compute.tpot")
    p99, mean = report.estimates.get("tpot_p99_ms"), report.estimates.get("tpot_ms")
    assert p99 is not None and mean is not None and p99 >= mean
    assert tpot.value == pytest.approx(p99)
    assert f"mean {mean:.3g}" in tpot.message


def test_latency_unknown_when_it_cannot_be_estimated() -> None:
    """A budget is set but the model's architecture is unknown: unknown, never pass."""
    got = _report({"model": {"name": "mystery", "params": 7e9}, "prompt_tokens": 100,
                   "output_tokens": 10, "latency": {"tpot": "50 ms"}})
    assert got["compute.tpot"].status == "unknown"


@pytest.mark.parametrize(("servers", "load_erlangs", "expected", "source"), [
    (1, 0.7, 0.7, "one server: an arrival waits with probability ρ"),
    (2, 1.0, 1 / 3, "Erlang C: (a²/2!)(2/(2−a)) / (1 + a + (a²/2!)(2/(2−a))) = 1/3"),
    (3, 4.0, 1.0, "offered load beyond the servers: every arrival waits"),
])
def test_erlang_c(servers: int, load_erlangs: float, expected: float, source: str) -> None:
    assert queueing.erlang_c(servers, load_erlangs) == pytest.approx(expected), source


def test_mgc_is_pollaczek_khinchine_on_one_server() -> None:
    wait, waits = queueing.mgc_wait(0.5, 1.0, 1.0, 1)
    assert wait == pytest.approx(queueing.mg1_wait(0.5, 1.0, 1.0)) and waits == 0.5


def test_dedicated_replicas_share_one_queue() -> None:
    """Eight batch-1 replicas behind one dispatcher wait far less than one replica at the
    same utilization: an idle replica takes the next request (M/G/c, not 8 × M/G/1)."""
    mean = load.dedicated_service(ENGINE)[0]
    one = load.dedicated_point(ENGINE, 0.8 / mean, 1)
    eight = load.dedicated_point(ENGINE, 8 * 0.8 / mean, 8)
    assert one is not None and eight is not None
    assert eight.arrival_rate == pytest.approx(one.arrival_rate)
    assert eight.ttft_s < 0.5 * one.ttft_s
