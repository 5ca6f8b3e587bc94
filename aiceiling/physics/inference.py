"""Non-LLM inference (vision, speech) from FLOPs and parameters per request."""

from __future__ import annotations


def request_time(flops_per_request: float, weight_bytes: float, batch: float,
                 compute_rate: float, memory_rate: float, overhead: float = 0.0) -> float:
    """Time to serve ``batch`` requests together on one device. [s]

    A fixed cost per call plus the roofline max(batch × FLOPs / achievable compute, weight
    bytes / achievable bandwidth); the weights are read once per batch. Activations are not
    modeled separately: the calibrated compute fraction absorbs them, and the runtime
    reserve covers their memory. Reference: Williams et al. 2009, "Roofline", CACM 52(4);
    the overhead and fraction are fitted to the Ultralytics YOLOv8 latency table.
    """
    return overhead + max(batch * flops_per_request / compute_rate, weight_bytes / memory_rate)
