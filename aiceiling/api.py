"""The library scripts use: load a profile, evaluate it, get a report.

    >>> from aiceiling import api
    >>> loaded = api.load_profile("profiles/healthcare-radiology.yaml")
    >>> report = api.evaluate(loaded)
    >>> report.verdict, report.binding

A thin face: loading and overrides live in :mod:`aiceiling.profile.load`, the checks' run in
:mod:`aiceiling.evaluation`, the verdict rules in :mod:`aiceiling.verdict`, the planner in
:mod:`aiceiling.augment`.
"""

from __future__ import annotations

import datetime as dt

from aiceiling.catalog import Catalog
from aiceiling.checks import SKIP
from aiceiling.evaluation import Report, evaluate, registry, today
from aiceiling.profile.load import (
    LoadedProfile,
    apply_overrides,
    load_document,
    load_profile,
    validate,
)
from aiceiling.provenance import provenance
from aiceiling.verdict import VERDICTS, apply_waivers, binding_of, verdict_of


def check_file(path: str, overrides: list[str] | None = None, catalog: Catalog | None = None,
               *, on: dt.date | None = None, use_waivers: bool = True,
               augment: bool = True) -> Report:
    """Load and evaluate one profile file; plan augmentation paths unless it is feasible."""
    loaded = load_profile(path, overrides, catalog)
    on = on or today()
    report = evaluate(loaded, on=on, use_waivers=use_waivers)
    report = report._replace(provenance=provenance(
        overrides or [], on.isoformat(), loaded.catalog.overlays))
    if augment and report.verdict != "feasible":
        from aiceiling.augment import plan

        report = report._replace(plan=plan(loaded, report, on=on, use_waivers=use_waivers))
    return report


__all__ = [
    "SKIP",
    "VERDICTS",
    "LoadedProfile",
    "Report",
    "apply_overrides",
    "apply_waivers",
    "binding_of",
    "check_file",
    "evaluate",
    "load_document",
    "load_profile",
    "registry",
    "today",
    "validate",
    "verdict_of",
]
