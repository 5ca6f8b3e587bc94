"""Training compute and time."""

from __future__ import annotations

# Training FLOPs per parameter per token: 2 forward + 4 backward (Kaplan et al. 2020,
# "Scaling Laws for Neural Language Models", arXiv:2001.08361, §2.1).
FLOPS_PER_PARAM_TOKEN = 6.0

# Compute-optimal tokens per parameter (Hoffmann et al. 2022, "Training Compute-Optimal
# Large Language Models", arXiv:2203.15556, Table 3: ≈ 20 tokens per parameter).
CHINCHILLA_TOKENS_PER_PARAM = 20.0


def training_flops(params: float, tokens: float) -> float:
    """FLOPs to train ``params`` (active) parameters on ``tokens`` tokens: 6 · N · D. [FLOP]

    Reference: Kaplan et al. 2020, arXiv:2001.08361, §2.1. For MoE models N is the
    active parameter count per token.
    """
    return FLOPS_PER_PARAM_TOKEN * params * tokens


def training_time(flops: float, accelerators: int, peak_flops: float,
                  utilization: float) -> float:
    """Wall time of a training run at a model-FLOPs utilization. [s]

    flops / (accelerators × peak × MFU). Reference: Chowdhery et al. 2022, "PaLM",
    arXiv:2204.02311, Appendix B (MFU definition).
    """
    return flops / (accelerators * peak_flops * utilization)


def compute_optimal_tokens(params: float) -> float:
    """Compute-optimal training tokens for ``params`` parameters. [tokens]

    Reference: Hoffmann et al. 2022, arXiv:2203.15556 (≈ 20 tokens per parameter).
    """
    return CHINCHILLA_TOKENS_PER_PARAM * params
