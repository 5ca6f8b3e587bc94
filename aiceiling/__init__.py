"""aiceiling: deployment-feasibility calculator for AI workloads.

The library (see :mod:`aiceiling.api`): ``load_profile``, ``evaluate``, ``compare``,
``sweep``, ``ceiling``. They are imported on first use, so ``import aiceiling`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from aiceiling.api import ceiling, compare, evaluate, load_profile, sweep
    from aiceiling.errors import InputError
    from aiceiling.evaluation import Report
    from aiceiling.profile.load import LoadedProfile

_LAZY = {"load_profile": "aiceiling.api", "evaluate": "aiceiling.api",
         "compare": "aiceiling.api", "sweep": "aiceiling.api", "ceiling": "aiceiling.api",
         "Report": "aiceiling.evaluation", "LoadedProfile": "aiceiling.profile.load",
         "InputError": "aiceiling.errors"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aiceiling' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = ["InputError", "LoadedProfile", "Report", "__version__", "ceiling", "compare",
           "evaluate", "load_profile", "sweep"]
