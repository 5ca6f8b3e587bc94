"""aiceiling: deployment-feasibility calculator for AI workloads."""

__version__ = "0.1.0"
