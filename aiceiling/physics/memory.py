"""Memory of a transformer deployment: weights, KV cache, runtime reserve, what fits.

Units: bytes, parameter counts, tokens. References are given per function.
"""

from __future__ import annotations

import math
from typing import NamedTuple

# Bytes per stored value by precision name.
BYTES_PER_VALUE: dict[str, float] = {
    "fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "fp4": 0.5, "int4": 0.5,
}

# Extra bytes per quantized weight for block scales.
# int4: AWQ/GPTQ group size 128 with an fp16 scale and an fp16 zero point per group
#   (Lin et al. 2023, "AWQ", arXiv:2306.00978, §4: "group size 128"): 4 B / 128 weights.
# fp4: NVFP4 blocks of 16 values share one FP8 (E4M3) scale (NVIDIA, "Introducing NVFP4
#   for Efficient and Accurate Low-Precision Inference", 2025): 1 B / 16 weights.
SCALE_BYTES_PER_WEIGHT: dict[str, float] = {"int4": 4.0 / 128.0, "fp4": 1.0 / 16.0}

# Fraction of accelerator memory a serving runtime holds back for activations, the CUDA
# context and fragmentation: vLLM's default gpu_memory_utilization is 0.9
# (vLLM engine arguments, https://docs.vllm.ai/en/latest/serving/engine_args.html).
DEFAULT_MEMORY_RESERVE = 0.10

# Mixed-precision Adam training state: 2 B weights + 2 B gradients + 12 B fp32 master
# weights, momentum and variance = 16 B per parameter (Rajbhandari et al. 2020, "ZeRO",
# arXiv:1910.02054, §3.1).
TRAINING_BYTES_PER_PARAM = 16.0


class ParamCount(NamedTuple):
    """Parameter counts of a decoder-only transformer, by part. [parameters]"""

    embedding: float
    lm_head: float
    blocks: float
    blocks_active: float

    @property
    def total(self) -> float:
        return self.embedding + self.lm_head + self.blocks

    @property
    def active(self) -> float:
        return self.embedding + self.lm_head + self.blocks_active


def transformer_params(
    layers: int, hidden: int, heads: int, kv_heads: int, head_dim: int, ffn: int, vocab: int,
    *, tied_embeddings: bool = False, gated_mlp: bool = True, experts: int = 1,
    experts_active: int = 1, shared_experts: int = 0, attention_bias: bool = False,
) -> ParamCount:
    """Exact parameter count of a decoder-only transformer. [parameters]

    Embedding (vocab × hidden), an output layer of the same shape unless tied, and per
    layer: Q (hidden × heads·head_dim), K and V (hidden × kv_heads·head_dim each), O
    (heads·head_dim × hidden), optional Q/K/V biases, an MLP of 3 (gated: SwiGLU/GeGLU)
    or 2 matrices hidden × ffn per expert, a router (hidden × experts) when experts > 1,
    and two RMSNorm weight vectors; plus the final norm. Dropping the embeddings and the
    untied output layer, as several peer calculators do, undercounts Llama-3.1-8B by 13 %.

    References: Touvron et al. 2023, "Llama 2", arXiv:2307.09288 (architecture); the
    models' config.json files (catalog sources); Jiang et al. 2024, "Mixtral of Experts",
    arXiv:2401.04088 (MoE layer).
    """
    q = hidden * heads * head_dim
    kv = 2 * hidden * kv_heads * head_dim
    o = heads * head_dim * hidden
    bias = (heads + 2 * kv_heads) * head_dim if attention_bias else 0
    per_expert = (3 if gated_mlp else 2) * hidden * ffn
    router = hidden * experts if experts > 1 else 0
    norms = 2 * hidden
    attention = q + kv + o + bias
    block = attention + experts * per_expert + shared_experts * per_expert + router + norms
    block_active = (attention + (min(experts_active, experts) + shared_experts) * per_expert
                    + router + norms)
    embedding = vocab * hidden
    lm_head = 0 if tied_embeddings else vocab * hidden
    return ParamCount(embedding=float(embedding), lm_head=float(lm_head),
                      blocks=float(layers * block + hidden),
                      blocks_active=float(layers * block_active + hidden))


def weight_bytes(quantized_params: float, full_precision_params: float, precision: str) -> float:
    """Bytes of model weights in memory. [bytes]

    ``quantized_params`` (the transformer blocks' linear layers) are stored at
    ``precision`` plus block-scale overhead; ``full_precision_params`` (embeddings and the
    output layer) stay at 16 bits in quantized checkpoints, as AWQ/GPTQ and FP8/NVFP4
    exporters leave them (AutoAWQ ``modules_to_not_convert``; NVIDIA TensorRT Model
    Optimizer excludes ``lm_head`` by default).
    """
    per_weight = BYTES_PER_VALUE[precision] + SCALE_BYTES_PER_WEIGHT.get(precision, 0.0)
    full = BYTES_PER_VALUE[precision] if precision in ("fp32", "bf16", "fp16") else 2.0
    return quantized_params * per_weight + full_precision_params * full


def kv_bytes_per_token(layers: int, kv_heads: int, head_dim: int, bytes_per_value: float) -> float:
    """KV-cache bytes one token adds across all layers (multi-/grouped-query attention). [bytes]

    Two tensors (K and V) per layer, each kv_heads × head_dim values.
    References: Pope et al. 2022, "Efficiently Scaling Transformer Inference",
    arXiv:2211.05102, §2; Ainslie et al. 2023, "GQA", arXiv:2305.13245.
    """
    return 2.0 * layers * kv_heads * head_dim * bytes_per_value


def mla_kv_bytes_per_token(layers: int, kv_lora_rank: int, rope_head_dim: int,
                           bytes_per_value: float) -> float:
    """KV-cache bytes per token of multi-head latent attention (DeepSeek-V2/V3). [bytes]

    One compressed latent of kv_lora_rank values plus the decoupled RoPE key of
    rope_head_dim values per layer. Reference: DeepSeek-AI 2024, "DeepSeek-V2",
    arXiv:2405.04434, §2.1 ((d_c + d_h^R) · l elements per token).
    """
    return float(layers * (kv_lora_rank + rope_head_dim)) * bytes_per_value


def kv_cache_bytes(bytes_per_token: float, tokens: float, sequences: float,
                   window_fraction: float = 0.0, window: float = math.inf) -> float:
    """KV-cache bytes for ``sequences`` sequences of ``tokens`` tokens each. [bytes]

    ``window_fraction`` of the per-token bytes belongs to sliding-window layers, which keep
    at most ``window`` tokens (Mistral 7B: all layers, window 4096; Gemma 2: every other
    layer). Reference: Jiang et al. 2023, "Mistral 7B", arXiv:2310.06825, §2.
    """
    windowed = bytes_per_token * window_fraction * min(tokens, window)
    full = bytes_per_token * (1.0 - window_fraction) * tokens
    return (full + windowed) * sequences


def usable_memory(device_memory: float, devices: int, reserve: float) -> float:
    """Memory left for weights and KV cache after the runtime reserve. [bytes]"""
    return device_memory * devices * (1.0 - reserve)


def max_sequences(free_bytes: float, bytes_per_sequence: float) -> int:
    """Largest number of whole sequences whose KV cache fits in ``free_bytes``. [sequences]"""
    if bytes_per_sequence <= 0:
        return 0
    return max(0, math.floor(free_bytes / bytes_per_sequence))


def max_context(free_bytes: float, bytes_per_token: float, window_fraction: float = 0.0,
                window: float = math.inf) -> float:
    """Longest single-sequence context whose KV cache fits in ``free_bytes``. [tokens]"""
    if free_bytes <= 0 or bytes_per_token <= 0:
        return 0.0
    full_rate = bytes_per_token * (1.0 - window_fraction)
    windowed_cap = bytes_per_token * window_fraction * window
    if full_rate <= 0:
        return math.inf if windowed_cap <= free_bytes else \
            float(math.floor(free_bytes / bytes_per_token))
    # Below the window, every layer grows; beyond it only the full-attention layers do.
    tokens = free_bytes / bytes_per_token
    if tokens <= window:
        return float(math.floor(tokens))
    return float(math.floor((free_bytes - windowed_cap) / full_rate))


def training_state_bytes(params: float, bytes_per_param: float = TRAINING_BYTES_PER_PARAM) -> float:
    """Weights, gradients and optimizer state of mixed-precision Adam training. [bytes]

    Reference: Rajbhandari et al. 2020, "ZeRO", arXiv:1910.02054, §3.1 (16Ψ bytes).
    """
    return params * bytes_per_param
