"""Parallel layout of a model over accelerators, and the memory each rank holds.

A layout is TP × PP × EP × DP as serving engines (vLLM, SGLang, TensorRT-LLM) run it:
``tp`` ranks split every layer of a stage (attention heads, MLP columns, the vocabulary),
``pp`` stages hold consecutive layers, ``ep`` ranks hold whole routed experts instead of
slices of every expert, ``dp`` replicas serve independently; with ``attention_dp`` (SGLang's
data-parallel attention, used for multi-head latent attention) the tp ranks of a stage run
attention data-parallel, each on its own sequences, and the experts expert-parallel.

Units: bytes, sequences, tokens.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Layout(NamedTuple):
    """How the accelerators of a deployment are laid out. [-]"""

    tp: int = 1
    pp: int = 1
    ep: int = 1
    dp: int = 1
    attention_dp: bool = False

    @property
    def group(self) -> int:
        """Accelerators per model replica."""
        return self.tp * self.pp

    @property
    def label(self) -> str:
        """As engines name it, e.g. ``TP8×PP1×EP1×DP2`` (``+ADP`` for attention DP)."""
        text = f"TP{self.tp}×PP{self.pp}×EP{self.ep}×DP{self.dp}"
        return text + "+ADP" if self.attention_dp else text


class ModelShape(NamedTuple):
    """What the per-rank memory of a model depends on."""

    layers: int
    heads: int
    kv_heads: int | None       # None with multi-head latent attention
    experts: int               # routed experts per MoE layer (1 = dense)
    block_bytes: float         # all transformer blocks [B]
    attention_bytes: float     # attention projections of all blocks [B]
    expert_bytes: float        # routed experts of all blocks [B]
    embedding_bytes: float     # input embedding table [B]
    lm_head_bytes: float       # output layer (0 when tied to the embedding) [B]
    mla: bool = False


def stage_layers(layers: int, pp: int) -> int:
    """Layers of the largest pipeline stage: engines split layers as evenly as they can
    (vLLM ``get_pp_indices``). [layers]"""
    return math.ceil(layers / pp)


def weight_bytes_per_rank(layout: Layout, model: ModelShape) -> float:
    """Weight bytes on the most loaded rank. [B]

    A rank of the largest stage holds that stage's share of the blocks: attention split
    over tp heads (whole on every rank with attention DP), the rest of each block split
    over tp (Megatron-LM, arXiv:1909.08053, §3), routed experts split over the tp or ep
    ranks (whole experts with EP: the same bytes when ep = tp); plus its 1/tp of the
    vocabulary-parallel embedding and output layer, both on the one stage when pp = 1, the
    embedding on the first stage and the output layer on the last otherwise (vLLM
    ``VocabParallelEmbedding``, ``ParallelLMHead``).
    """
    share = stage_layers(model.layers, layout.pp) / model.layers
    dense = model.block_bytes - model.attention_bytes - model.expert_bytes
    attention = model.attention_bytes if layout.attention_dp else \
        model.attention_bytes / layout.tp
    experts = model.expert_bytes / max(layout.ep, layout.tp)
    ends = model.embedding_bytes + model.lm_head_bytes if layout.pp == 1 else \
        max(model.embedding_bytes, model.lm_head_bytes)
    return share * (dense / layout.tp + attention + experts) + ends / layout.tp


def kv_shards(layout: Layout, kv_heads: int | None) -> int:
    """Distinct slices of a sequence's KV cache across the tp ranks of a stage. [-]

    Grouped-query KV heads are split over the ranks, and replicated when the ranks
    outnumber them (tp / kv_heads copies of each; vLLM ``QKVParallelLinear``); the latent
    KV of multi-head latent attention is one vector per token, which every rank attending
    with its heads holds whole (vLLM and SGLang MLA backends) — one slice.
    """
    if kv_heads is None:
        return 1
    return min(layout.tp, kv_heads)


def kv_bytes_per_rank(layout: Layout, kv_heads: int | None, layers: int,
                      kv_bytes_per_sequence: float) -> float:
    """KV bytes one sequence puts on each rank that holds it. [B]

    The largest stage's share of layers, over the slices the tp ranks split it into.
    With attention DP a sequence lives on one rank only, whole.
    """
    share = stage_layers(layers, layout.pp) / layers
    shards = 1 if layout.attention_dp else kv_shards(layout, kv_heads)
    return kv_bytes_per_sequence * share / shards


def kv_replication(layout: Layout, kv_heads: int | None) -> float:
    """Copies of each KV byte held (and read) across the tp ranks of a stage. [-]"""
    if layout.attention_dp:
        return 1.0
    return layout.tp / kv_shards(layout, kv_heads)


def max_sequences_per_replica(layout: Layout, free_bytes_per_rank: float,
                              kv_bytes_rank: float) -> int:
    """Sequences whose KV cache fits in one replica. [sequences]

    Every rank of a stage holds its slice of every sequence, so the rank with the least
    room bounds the replica; with attention DP each rank holds its own sequences.
    """
    if kv_bytes_rank <= 0 or free_bytes_per_rank <= 0:
        return 0
    per_rank = math.floor(free_bytes_per_rank / kv_bytes_rank)
    return per_rank * layout.tp if layout.attention_dp else per_rank


def layout_problems(layout: Layout, model: ModelShape, scale_up_domain: int | None,
                    across_domains: bool = False) -> list[str]:
    """Why engines cannot run ``layout`` (empty when they can). [-]

    vLLM and SGLang require tp to divide the attention heads and the KV heads to divide
    tp or tp to divide them (replication); pp at most the layers; ep to divide the
    experts. Tensor and expert parallelism exchange data every layer and stay within one
    scale-up domain (NVLink, Infinity Fabric) unless ``across_domains``.
    """
    problems = []
    if model.heads % layout.tp:
        problems.append(f"tensor parallelism {layout.tp} does not divide the "
                        f"{model.heads} attention heads")
    kv = model.kv_heads
    if kv is not None and not model.mla and kv % layout.tp and layout.tp % kv:
        problems.append(f"tensor parallelism {layout.tp} neither divides the {kv} KV "
                        f"heads nor is a multiple of them")
    if layout.pp > model.layers:
        problems.append(f"{layout.pp} pipeline stages exceed the {model.layers} layers")
    if layout.ep > 1 and model.experts % layout.ep:
        problems.append(f"expert parallelism {layout.ep} does not divide the "
                        f"{model.experts} experts")
    if layout.ep > 1 and model.experts <= 1:
        problems.append("expert parallelism needs a mixture-of-experts model")
    if layout.attention_dp and layout.ep != layout.tp:
        problems.append("data-parallel attention runs the experts expert-parallel over "
                        "the same ranks: expert_parallel must equal tensor_parallel")
    if scale_up_domain and not across_domains and \
            max(layout.tp, layout.ep) > scale_up_domain:
        problems.append(f"tensor/expert parallelism {max(layout.tp, layout.ep)} spans more "
                        f"than one scale-up domain of {scale_up_domain} accelerators")
    return problems
