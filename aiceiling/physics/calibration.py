"""Calibrated constants: achievable fractions of peak, and what they were fitted to.

Each constant names the published measurements it was calibrated against; the test
``tests/test_calibration.py`` re-runs every measurement in ``tests/data/calibration.yaml``
through the model and holds the error within the stated tolerance. Profiles override the
fractions under ``workload.efficiency``.
"""

from __future__ import annotations

# Achievable fraction of dense peak compute in LLM serving (prefill and compute-bound
# decode). Calibrated against the offline/server throughput of MLPerf Inference
# Llama-2-70B on 8x H100-SXM (v4.1) and 8x MI300X (v4.1), see tests/data/calibration.yaml.
EFF_COMPUTE = 0.45

# Achievable fraction of peak memory bandwidth in memory-bound decode. Calibrated against
# ML.ENERGY leaderboard inter-token latencies of Llama-3.1-8B on one H100 at small batch.
EFF_BANDWIDTH = 0.65

# Fixed cost of one tensor-parallel all-reduce of a small message. [s]
ALLREDUCE_LATENCY_S = 10e-6

# Model-FLOPs utilization of large-scale training: Llama 3 405B reached 38-43 % BF16 MFU
# on 8,192-16,384 H100 (Llama Team 2024, "The Llama 3 Herd of Models", arXiv:2407.21783,
# Table 4).
TRAINING_MFU = 0.40

CALIBRATION_REFERENCE = "tests/data/calibration.yaml (MLPerf Inference v4.1, ML.ENERGY)"
