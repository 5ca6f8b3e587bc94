"""Collective communication between accelerators: all-reduce, all-to-all, send/recv.

Each collective costs a latency (a fixed part per call plus a part per ring step) and its
bytes over the link's effective bandwidth, the alpha-beta model NCCL itself uses to pick
its algorithms (NVIDIA/nccl ``src/graph/tuning.cc``: time = latency + bytes / bandwidth,
latency = base + steps × per-hop latency).

Units: seconds, bytes, B/s.
"""

from __future__ import annotations

import math
from typing import NamedTuple

# Fixed latency of one NCCL ring collective call with the low-latency (LL) protocol, the
# one NCCL picks for the small messages of inference. [s]
# NVIDIA/nccl src/graph/tuning.cc, ``baseLat`` Ring/LL = 6.6 µs (NCCL 2.2x, 2025).
BASE_LATENCY_S = 6.6e-6

# Latency of one ring step by link type, ring/LL protocol. [s]
# NVIDIA/nccl src/graph/tuning.cc, ``hwLat`` Ring/LL: NVLink 0.6 µs, PCI 1.0 µs, network
# 2.7 µs. RCCL, AMD's port of NCCL, classes Infinity Fabric (xGMI) links with NVLink in
# its topology search, so xGMI takes the NVLink figure.
HOP_LATENCY_S: dict[str, float] = {"nvlink": 0.6e-6, "infinity-fabric": 0.6e-6,
                                   "ici": 0.6e-6, "pcie": 1.0e-6, "network": 2.7e-6}

# Effective share of a link's line rate that collectives reach, by link type. [-]
# NVLink: ~370 of 450 GB/s per direction after protocol overhead (NCCL maintainer,
#   NVIDIA/nccl-tests#212, 2024-05); DeepEP's all-to-all reaches 726 of 900 GB/s on B200
#   NVLink5 (0.81, deepseek-ai/DeepEP README, 2025), the same share.
# Infinity Fabric (xGMI): 48 of 64 GB/s per link per direction after protocol and
#   error-correction overhead (AMD, ROCm/rccl#1210, 2024-07).
# PCIe: 35-45 GB/s bus bandwidth measured on 8x H100 PCIe Gen5 x16 (64 GB/s per
#   direction) without NVLink (Alaya NeW, "NCCL-tests in practice", 2026-05): 40/64.
# Other links (TPU ICI, Gaudi RoCE): no published share found; the line rate is used.
LINK_EFFICIENCY: dict[str, float] = {"nvlink": 370.0 / 450.0, "infinity-fabric": 48.0 / 64.0,
                                     "pcie": 40.0 / 64.0}

# Scale-out bandwidth per accelerator, one direction: one 400 Gb/s InfiniBand NIC per GPU
# (ConnectX-7), "~50 GB/s maximum bandwidth" as DeepSeek measured it for its expert-parallel
# kernels (deepseek-ai/DeepEP docs/legacy.md, "Performance", 2025). [B/s]
SCALE_OUT_BANDWIDTH = 50e9


class Fabric(NamedTuple):
    """A link between the ranks of a collective."""

    bandwidth: float = math.inf   # effective bus bandwidth per rank, one direction [B/s]
    hop_latency: float = 0.0      # per ring step [s]
    base_latency: float = 0.0     # per call [s]


SCALE_OUT = Fabric(SCALE_OUT_BANDWIDTH, HOP_LATENCY_S["network"], BASE_LATENCY_S)


def scale_up_fabric(bidirectional_bandwidth: float, kind: str | None) -> Fabric:
    """The effective link of a scale-up fabric from its published bidirectional rate. [-]

    Half the bidirectional figure per direction, times the share collectives reach on
    that link type (``LINK_EFFICIENCY``), with NCCL's latencies for the link type.
    """
    kind = kind or "pcie"
    per_direction = bidirectional_bandwidth / 2.0 * LINK_EFFICIENCY.get(kind, 1.0)
    return Fabric(per_direction, HOP_LATENCY_S.get(kind, HOP_LATENCY_S["network"]),
                  BASE_LATENCY_S)


def allreduce_time(message_bytes: float, ranks: int, fabric: Fabric) -> float:
    """Ring all-reduce of ``message_bytes`` over ``ranks`` ranks. [s]

    Each rank sends and receives 2 (n − 1) / n of the message in 2 (n − 1) steps
    (Patarasuk & Yuan 2009, "Bandwidth optimal all-reduce algorithms", JPDC 69(2)); the
    latency is NCCL's: base + 2 (n − 1) × per-hop latency (NVIDIA/nccl tuning.cc).
    """
    if ranks <= 1:
        return 0.0
    steps = 2 * (ranks - 1)
    return fabric.base_latency + steps * fabric.hop_latency + \
        steps / ranks * message_bytes / fabric.bandwidth


def alltoall_time(bytes_per_rank: float, ranks: int, fabric: Fabric) -> float:
    """All-to-all in which every rank sends ``bytes_per_rank`` spread over all ranks. [s]

    The (n − 1) / n of the data bound for other ranks crosses the link; the latency is
    NCCL's with the n − 1 steps of an all-gather (NVIDIA/nccl tuning.cc). Expert-parallel
    dispatch and combine are such all-to-alls (DeepSeek-AI 2024, DeepSeek-V3, arXiv:2412.19437,
    §3.2.2; deepseek-ai/DeepEP).
    """
    if ranks <= 1:
        return 0.0
    steps = ranks - 1
    return fabric.base_latency + steps * fabric.hop_latency + \
        steps / ranks * bytes_per_rank / fabric.bandwidth


def send_recv_time(message_bytes: float, fabric: Fabric) -> float:
    """Point-to-point transfer of ``message_bytes`` (one pipeline-stage boundary). [s]"""
    return fabric.base_latency + fabric.hop_latency + message_bytes / fabric.bandwidth
