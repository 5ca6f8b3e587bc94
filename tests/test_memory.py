"""Transformer memory (physics/memory.py) and catalog models (resolve.model_from_entry).

Parameter counts are computed from each model's catalog architecture (config.json copies) and
held against published counts; KV-cache sizes against ``shared/reference/facts.md`` §e.
Every row names its source.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiceiling.catalog import Catalog
from aiceiling.physics import layout, memory
from aiceiling.resolve import ModelSpec, model_from_entry

KIB = 1024.0

# Sources (facts.md §e gives the config copies; official counts where they exist).
LLAMA31_8B_INDEX = ("meta-llama/Llama-3.1-8B model.safetensors.index.json total_parameters "
                    "(copy: huggingface.co/ISTA-DASLab/lossless-lm-dev commit 9543aaf)")
LLAMA31_70B_SIZE = ("Meta-Llama-3.1-70B bf16 checkpoint, 141,107,412,992 B / 2 B per "
                    "parameter (facts.md §e)")
FACTS_E = "facts.md §e, arithmetic on the model's config.json"
QWEN_CARD = "Qwen/Qwen2.5-7B model card: 7.61B parameters (facts.md §e)"
MIXTRAL_PAPER = "Jiang et al. 2024, 'Mixtral of Experts', arXiv:2401.04088: 47B total, 13B active"
MIXTRAL_DERIVED = "46.7B / 12.9B: ajkdrag.in '56B or 47B in Mixtral 8x7B' (facts.md §e)"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


def spec(catalog: Catalog, model_id: str) -> ModelSpec:
    entry = catalog.get("models", model_id)
    assert entry is not None
    return model_from_entry(entry)


def kv_per_token(model: ModelSpec, bytes_per_value: float = 2.0) -> float:
    assert model.layers is not None and model.head_dim is not None
    if model.mla:
        return memory.mla_kv_bytes_per_token(model.layers, model.mla["kv_lora_rank"],
                                             model.mla["qk_rope_head_dim"], bytes_per_value)
    assert model.kv_heads is not None
    return memory.kv_bytes_per_token(model.layers, model.kv_heads, model.head_dim,
                                     bytes_per_value)


# ---------------------------------------------------------------------- parameter counts
@pytest.mark.parametrize(
    ("model_id", "published", "rel", "source"),
    [
        ("llama-3.1-8b", 8_030_261_248, 0.0, LLAMA31_8B_INDEX),
        ("llama-3.1-70b", 141_107_412_992 / 2, 1e-3, LLAMA31_70B_SIZE),
        ("llama-2-7b", 6.74e9, 5e-3, FACTS_E),
        ("llama-2-13b", 13.02e9, 5e-3, FACTS_E),
        ("llama-2-70b", 68.98e9, 5e-3, FACTS_E),
        ("llama-3.1-405b", 405.85e9, 5e-3, FACTS_E),
        ("mistral-7b", 7.24e9, 5e-3, FACTS_E),
        ("qwen2.5-7b", 7.62e9, 5e-3, FACTS_E),
        ("qwen2.5-7b", 7.61e9, 5e-3, QWEN_CARD),
        ("qwen2.5-72b", 72.7e9, 5e-3, "Hugging Face hub 'Qwen2.5-72B: 72.7B params'"),
        ("gemma-2-9b", 9.24e9, 5e-3, FACTS_E),
        ("phi-3-mini", 3.82e9, 5e-3, FACTS_E),
        ("mixtral-8x7b", 46.7e9, 1e-2, MIXTRAL_DERIVED),
        ("mixtral-8x7b", 47e9, 1e-2, MIXTRAL_PAPER),
    ],
)
def test_total_params_from_architecture(catalog: Catalog, model_id: str, published: float,
                                        rel: float, source: str) -> None:
    counts = spec(catalog, model_id).counts
    assert counts is not None
    assert counts.total == pytest.approx(published, rel=rel, abs=0)


@pytest.mark.parametrize(
    ("model_id", "published", "source"),
    [("mixtral-8x7b", 12.9e9, MIXTRAL_DERIVED), ("mixtral-8x7b", 13e9, MIXTRAL_PAPER)],
)
def test_active_params_moe(catalog: Catalog, model_id: str, published: float,
                           source: str) -> None:
    model = spec(catalog, model_id)
    assert model.counts is not None
    assert model.counts.active == pytest.approx(published, rel=1e-2)
    assert model.active_params == model.counts.active
    assert model.params == model.counts.total


def test_llama_31_8b_exact_breakdown(catalog: Catalog) -> None:
    # config.json: vocab 128256 × hidden 4096 embedding, untied lm_head of the same shape.
    counts = spec(catalog, "llama-3.1-8b").counts
    assert counts is not None
    assert counts.embedding == counts.lm_head == 128_256 * 4_096
    assert counts.blocks == 8_030_261_248 - 2 * 128_256 * 4_096


def test_dropping_embeddings_undercounts_llama_31_8b_by_13_percent(catalog: Catalog) -> None:
    # transformer_params docstring: counting only the blocks, as several peer calculators do,
    # undercounts Llama-3.1-8B by 13 %.
    counts = spec(catalog, "llama-3.1-8b").counts
    assert counts is not None
    undercount = (counts.total - counts.blocks) / counts.total
    assert 0.12 <= undercount <= 0.14
    assert round(undercount * 100) == 13


def test_tied_embeddings_have_no_lm_head(catalog: Catalog) -> None:
    counts = spec(catalog, "gemma-2-9b").counts  # config.json tie_word_embeddings: true
    assert counts is not None
    assert counts.lm_head == 0.0
    assert counts.embedding == 256_000 * 3_584


def test_attention_bias_counted() -> None:
    # Qwen2.5-7B: q/k/v projections carry biases, (28 + 2·4) · 128 values per layer.
    shape = (28, 3584, 28, 4, 128, 18944, 152064)
    with_bias = memory.transformer_params(*shape, attention_bias=True)
    without = memory.transformer_params(*shape)
    assert with_bias.total - without.total == 28 * (28 + 2 * 4) * 128


def test_deepseek_v3_keeps_official_totals(catalog: Catalog) -> None:
    # MLA and mixed dense/MoE layers: the paper's 671B / 37B activated are kept, and the
    # embedding and output layer (vocab 129280 × hidden 7168) are split off.
    model = spec(catalog, "deepseek-v3")
    assert (model.params, model.active_params) == (671e9, 37e9)
    assert model.counts is not None
    embedding = 129_280 * 7_168
    assert (model.counts.embedding, model.counts.lm_head) == (embedding, embedding)
    assert model.counts.total == 671e9
    assert model.counts.active == 37e9
    assert model.mla is not None and model.mla["kv_lora_rank"] == 512
    assert any("2412.19437" in ref for ref in model.references)


def test_official_count_is_cited(catalog: Catalog) -> None:
    model = spec(catalog, "llama-3.1-8b")
    assert model.params == 8_030_261_248
    assert any(ref.startswith("parameter count: ") and "safetensors.index" in ref
               for ref in model.references)


def test_mixtral_expert_params(catalog: Catalog) -> None:
    # One routed expert over all 32 layers: 3 (gated) × hidden 4096 × ffn 14336 per layer.
    model = spec(catalog, "mixtral-8x7b")
    assert (model.experts, model.experts_active) == (8, 2)
    assert model.expert_params == 32 * 3 * 4096 * 14336


@pytest.mark.parametrize(
    ("model_id", "params", "source"),
    [("resnet-50", 25_557_032, "torchvision ResNet50_Weights.IMAGENET1K_V1 num_params"),
     ("yolov8n", 3_157_200, "ultralytics yolov8.yaml summary line (scale n)")],
)
def test_vision_models(catalog: Catalog, model_id: str, params: float, source: str) -> None:
    model = spec(catalog, model_id)
    assert model.kind == "vision"
    assert not model.is_llm
    assert model.counts is None
    assert model.params == model.active_params == params
    assert model.flops_per_request is not None


def test_resnet50_flops_are_twice_the_macs(catalog: Catalog) -> None:
    # torchvision lists 'GFLOPS 4.09' for ResNet-50, which is the multiply-accumulate count.
    flops = spec(catalog, "resnet-50").flops_per_request
    assert flops is not None
    assert flops.value == pytest.approx(2 * 4.09e9)
    assert flops.low == pytest.approx(4.09e9)


# ------------------------------------------------------------------------- KV per token
@pytest.mark.parametrize(
    ("model_id", "kib_per_token", "source"),
    [
        ("llama-2-7b", 512, FACTS_E),
        ("llama-2-13b", 800, FACTS_E),
        ("llama-2-70b", 320, FACTS_E),
        ("llama-3.1-8b", 128, FACTS_E),
        ("llama-3.1-70b", 320, FACTS_E),
        ("llama-3.1-405b", 504, FACTS_E),
        ("mistral-7b", 128, FACTS_E),
        ("mixtral-8x7b", 128, FACTS_E),
        ("qwen2.5-7b", 56, FACTS_E),
        ("qwen2.5-72b", 320, FACTS_E),
        ("phi-3-mini", 384, FACTS_E),
        ("gemma-2-9b", 336, FACTS_E),
        ("deepseek-v3", 68.625, "facts.md §e: MLA latent (512 + 64) × 61 layers × 2 B; "
                                "DeepSeek-V2 paper arXiv:2405.04434 §2.1"),
    ],
)
def test_kv_bytes_per_token_bf16(catalog: Catalog, model_id: str, kib_per_token: float,
                                 source: str) -> None:
    assert kv_per_token(spec(catalog, model_id)) == kib_per_token * KIB


def test_kv_bytes_scale_with_precision() -> None:
    bf16 = memory.kv_bytes_per_token(32, 8, 128, memory.BYTES_PER_VALUE["bf16"])
    assert memory.kv_bytes_per_token(32, 8, 128, memory.BYTES_PER_VALUE["fp8"]) == bf16 / 2
    assert memory.kv_bytes_per_token(32, 8, 128, memory.BYTES_PER_VALUE["fp32"]) == bf16 * 2


def test_mla_cache_far_smaller_than_its_heads() -> None:
    # DeepSeek-V3 config lists 128 KV heads; as plain MHA with 192-wide keys and 128-wide
    # values that would be 61 × 128 × (192 + 128) × 2 B per token, 71× the MLA latent.
    mha = 61 * 128 * (192 + 128) * 2
    mla = memory.mla_kv_bytes_per_token(61, 512, 64, 2.0)
    assert mha / mla == pytest.approx(71.1, rel=1e-3)


# -------------------------------------------------------------------------------- weights
BLOCKS_8B = 6_979_588_096        # Llama-3.1-8B parameters outside embedding and lm_head
FULL_8B = 2 * 525_336_576        # embedding + untied lm_head (128256 × 4096 each)
AWQ = "Lin et al. 2023, 'AWQ', arXiv:2306.00978 §4: group size 128, fp16 scale + zero"
NVFP4 = "NVIDIA 'Introducing NVFP4': 16-value blocks share one FP8 E4M3 scale"


@pytest.mark.parametrize(
    ("precision", "expected_bytes", "source"),
    [
        ("fp32", 4 * (BLOCKS_8B + FULL_8B), "IEEE 754 binary32"),
        ("bf16", 16_060_522_496, "2 B × 8,030,261,248 (safetensors index)"),
        ("fp16", 16_060_522_496, "IEEE 754 binary16"),
        ("fp8", BLOCKS_8B * 1 + FULL_8B * 2, "OCP FP8; embeddings/lm_head left at 16 bit"),
        ("int8", BLOCKS_8B * 1 + FULL_8B * 2, "8-bit weights; embeddings/lm_head at 16 bit"),
        ("int4", BLOCKS_8B * (0.5 + 4 / 128) + FULL_8B * 2, AWQ),
        ("fp4", BLOCKS_8B * (0.5 + 1 / 16) + FULL_8B * 2, NVFP4),
    ],
)
def test_weight_bytes_llama_31_8b(catalog: Catalog, precision: str, expected_bytes: float,
                                  source: str) -> None:
    counts = spec(catalog, "llama-3.1-8b").counts
    assert counts is not None
    got = memory.weight_bytes(counts.blocks, counts.embedding + counts.lm_head, precision)
    assert got == pytest.approx(expected_bytes, rel=1e-12)


def test_int4_weights_worked_example() -> None:
    # 6,979,588,096 × 0.5 B = 3,489,794,048; scales 6,979,588,096 / 128 × 4 B = 218,112,128;
    # embeddings and lm_head 1,050,673,152 × 2 B = 2,101,346,304.
    assert memory.weight_bytes(BLOCKS_8B, FULL_8B, "int4") == 5_809_252_480


def test_llama_31_70b_bf16_matches_checkpoint_size(catalog: Catalog) -> None:
    # facts.md §e: the bf16 checkpoint of Meta-Llama-3.1-70B is 141,107,412,992 bytes.
    counts = spec(catalog, "llama-3.1-70b").counts
    assert counts is not None
    weights = memory.weight_bytes(counts.blocks, counts.embedding + counts.lm_head, "bf16")
    assert weights == 141_107_412_992


@pytest.mark.parametrize("precision", ["fp8", "int8", "int4", "fp4"])
def test_embeddings_stay_16_bit_when_quantized(precision: str) -> None:
    assert memory.weight_bytes(0, 1e9, precision) == 2e9


@pytest.mark.parametrize(("precision", "per_weight"), [("fp32", 4.0), ("bf16", 2.0),
                                                       ("fp16", 2.0)])
def test_unquantized_embeddings_follow_precision(precision: str, per_weight: float) -> None:
    assert memory.weight_bytes(1e9, 1e9, precision) == 2e9 * per_weight


# --------------------------------------------------------------------------------- KV cache
def test_kv_cache_full_attention() -> None:
    # Llama-3.1-8B, 2048 + 300 tokens, 16 sequences: 128 KiB × 2348 × 16.
    assert memory.kv_cache_bytes(128 * KIB, 2348, 16) == 128 * 1024 * 2348 * 16


@pytest.mark.parametrize(
    ("tokens", "cached_tokens"),
    [(1000, 1000), (4096, 4096), (4097, 4096), (32_768, 4096)],
)
def test_kv_cache_sliding_window_mistral(catalog: Catalog, tokens: int,
                                         cached_tokens: int) -> None:
    # Jiang et al. 2023, 'Mistral 7B', arXiv:2310.06825 §2: every layer attends to a
    # 4096-token window, so the rolling cache never holds more than 4096 tokens.
    model = spec(catalog, "mistral-7b")
    assert (model.sliding_window, model.window_fraction) == (4096, 1.0)
    per_token = kv_per_token(model)
    got = memory.kv_cache_bytes(per_token, tokens, 3, model.window_fraction,
                                model.sliding_window)
    assert got == per_token * cached_tokens * 3


def test_kv_cache_sliding_window_gemma2(catalog: Catalog) -> None:
    # Gemma 2 alternates local (4096-window) and global layers: 21 of 42 are windowed.
    model = spec(catalog, "gemma-2-9b")
    assert (model.sliding_window, model.window_fraction) == (4096, 0.5)
    per_token = kv_per_token(model)
    got = memory.kv_cache_bytes(per_token, 8192, 1, model.window_fraction,
                                model.sliding_window)
    assert got == 336 * KIB * (0.5 * 8192 + 0.5 * 4096)


def test_phi3_mini_kv_cache_assumed_full(catalog: Catalog) -> None:
    model = spec(catalog, "phi-3-mini")
    per_token = kv_per_token(model)
    got = memory.kv_cache_bytes(per_token, 4096, 1, model.window_fraction,
                                model.sliding_window or math.inf)
    assert got == 384 * KIB * 4096


def test_no_window_by_default(catalog: Catalog) -> None:
    model = spec(catalog, "llama-3.1-8b")
    assert (model.sliding_window, model.window_fraction) == (None, 0.0)


@given(st.floats(1, 1e6), st.floats(0, 1), st.integers(1, 100_000), st.integers(0, 500_000),
       st.integers(0, 500_000))
def test_more_tokens_never_need_less_kv(per_token: float, fraction: float, window: int,
                                        a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert memory.kv_cache_bytes(per_token, low, 1, fraction, window) <= \
        memory.kv_cache_bytes(per_token, high, 1, fraction, window)


# -------------------------------------------------------------------------- what fits
def test_usable_memory() -> None:
    # vLLM default gpu_memory_utilization 0.9: 8 × 80 GB H100 keep 576 GB.
    assert memory.usable_memory(80e9, 8, memory.DEFAULT_MEMORY_RESERVE) == pytest.approx(576e9)


def test_max_sequences_llama_31_8b_on_l40s() -> None:
    # L40S 48 GB × 0.9 − 16,060,522,496 B of bf16 weights = 27,139,477,504 B for KV;
    # one 2048 + 300-token sequence needs 2348 × 128 KiB = 307,757,056 B → 88 sequences.
    free = memory.usable_memory(48e9, 1, 0.1) - 16_060_522_496
    assert free == pytest.approx(27_139_477_504)
    assert memory.max_sequences(free, 2348 * 128 * KIB) == 88


@pytest.mark.parametrize(
    ("free", "per_sequence", "expected"),
    [(10.0, 1.0, 10), (10.5, 1.0, 10), (0.99, 1.0, 0), (-5.0, 1.0, 0), (10.0, 0.0, 0),
     (10.0, -1.0, 0)],
)
def test_max_sequences_edges(free: float, per_sequence: float, expected: int) -> None:
    assert memory.max_sequences(free, per_sequence) == expected


def test_max_context_llama_31_8b_on_l40s() -> None:
    free = memory.usable_memory(48e9, 1, 0.1) - 16_060_522_496
    assert memory.max_context(free, 128 * KIB) == 207_057  # floor(27,139,477,504 / 131,072)


def test_max_context_unbounded_when_every_layer_is_windowed() -> None:
    # Mistral 7B: the 4096-token rolling cache (512 MiB at 128 KiB/token) fits in 1 GiB.
    assert memory.max_context(2**30, 128 * KIB, 1.0, 4096) == math.inf


def test_max_context_half_windowed_gemma2() -> None:
    # 10 GiB: 4096 tokens fill all 42 layers (4096 × 336 KiB); the rest grows only the
    # 21 global layers at 168 KiB per token.
    free = 10 * 2**30
    expected = 4096 + math.floor((free - 4096 * 336 * KIB) / (168 * KIB))
    assert memory.max_context(free, 336 * KIB, 0.5, 4096) == expected == 58_319


@pytest.mark.parametrize(("free", "per_token"), [(0.0, 1.0), (-1.0, 1.0), (1e9, 0.0)])
def test_max_context_nothing_fits(free: float, per_token: float) -> None:
    assert memory.max_context(free, per_token) == 0.0


def test_max_context_whole_tokens_when_window_does_not_fit() -> None:
    assert memory.max_context(1000.0, 3.0, 1.0, 4096) == 333


@given(st.integers(1, 10**12), st.integers(1, 10**6), st.floats(0, 0.99),
       st.integers(1, 200_000))
def test_max_context_is_the_largest_that_fits(free: int, per_token: int, fraction: float,
                                              window: int) -> None:
    tokens = memory.max_context(free, per_token, fraction, window)
    assert tokens == math.floor(tokens)
    assert memory.kv_cache_bytes(per_token, tokens, 1, fraction, window) <= free * (1 + 1e-9)
    assert memory.kv_cache_bytes(per_token, tokens + 1, 1, fraction, window) > \
        free * (1 - 1e-9)


# --------------------------------------------------------------------------------- training
@pytest.mark.parametrize(
    ("params", "expected_bytes", "source"),
    [(7.5e9, 120e9, "Rajbhandari et al. 2020, 'ZeRO', arXiv:1910.02054, Figure 1 (baseline, "
                    "Ψ = 7.5B: 120 GB)"),
     (1.5e9, 24e9, "ZeRO §3.1: a 1.5B-parameter GPT-2 needs at least 24 GB for its states")],
)
def test_training_state_zero_paper(params: float, expected_bytes: float, source: str) -> None:
    # Mixed-precision Adam: 2 + 2 + 12 = 16 bytes per parameter (16Ψ).
    assert memory.training_state_bytes(params) == pytest.approx(expected_bytes)


# --------------------------------------------------------------------------- memory per rank
LLAMA_405B = layout.ModelShape(
    layers=126, heads=128, kv_heads=8, experts=1, block_bytes=2 * 401.6e9,
    attention_bytes=126 * (2 * 16384 * 128 * 128 + 2 * 16384 * 8 * 128) * 2.0,
    expert_bytes=0.0, embedding_bytes=128256 * 16384 * 2.0,
    lm_head_bytes=128256 * 16384 * 2.0)


@pytest.mark.parametrize(("tp", "pp", "expected", "by_hand"), [
    (8, 1, 2 * 401.6e9 / 8 + 2 * 128256 * 16384 * 2 / 8,
     "one stage: all blocks and both vocabulary matrices over 8 ranks"),
    (8, 2, 63 / 126 * 2 * 401.6e9 / 8 + 128256 * 16384 * 2 / 8,
     "two stages of 63 layers; the first holds the embedding, the last the output layer"),
    (8, 4, 32 / 126 * 2 * 401.6e9 / 8 + 128256 * 16384 * 2 / 8,
     "126 layers over 4 stages: the largest holds ⌈126/4⌉ = 32"),
])
def test_weights_per_rank_with_pipeline_stages(tp: int, pp: int, expected: float,
                                               by_hand: str) -> None:
    assert layout.weight_bytes_per_rank(layout.Layout(tp=tp, pp=pp), LLAMA_405B) == \
        pytest.approx(expected), by_hand


def test_kv_per_rank_with_pipeline_stages_and_replicated_heads() -> None:
    # Llama-3.1-405B, 1,200 tokens at bf16: 126 × 8 × 128 × 2 × 2 B per token.
    per_seq = 126 * 8 * 128 * 2 * 2 * 1200
    assert layout.kv_bytes_per_rank(layout.Layout(tp=8, pp=2), 8, 126, per_seq) == \
        pytest.approx(per_seq * 63 / 126 / 8)
    # TP16 over 8 KV heads: still 1/8 of each sequence per rank (each head on 2 ranks).
    assert layout.kv_bytes_per_rank(layout.Layout(tp=16), 8, 126, per_seq) == \
        pytest.approx(per_seq / 8)
    assert layout.max_sequences_per_replica(layout.Layout(tp=16), 10e9, per_seq / 8) == \
        math.floor(10e9 / (per_seq / 8))
