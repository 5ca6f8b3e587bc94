"""Evaluation: every registered check run on a loaded profile, waivers applied, and the
verdict and binding constraint decided — one :class:`Report`."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path as FsPath
from typing import Any, NamedTuple

from aiceiling.checks import Context, Registry, Result
from aiceiling.errors import InputError
from aiceiling.estimates import Estimates, build
from aiceiling.profile.load import LoadedProfile
from aiceiling.profile.model import Profile
from aiceiling.verdict import apply_waivers, binding_of, verdict_of, waiver_errors


class Report(NamedTuple):
    file: str
    name: str
    verdict: str
    binding: Result | None
    results: list[Result]
    estimates: Estimates
    notes: list[str]
    profile: Profile | None = None
    plan: Any = None  # aiceiling.augment.Plan, when augmentation paths were planned
    provenance: Any = None  # aiceiling.provenance.Provenance: what the report was run from


def registry() -> Registry:
    """Every check family, registered in SPEC §4 order."""
    from aiceiling.checks import compute, data, energy, governance, physical

    reg = Registry()
    for family in (compute, data, energy, physical, governance):
        family.register(reg)
    return reg


_REGISTRY: tuple[Registry, frozenset[str]] | None = None


def _checks() -> tuple[Registry, frozenset[str]]:
    """The registry and its categorical check ids, built once per process (checks are pure
    functions of their context; registering them is 3 % of an evaluation)."""
    global _REGISTRY
    if _REGISTRY is None:
        reg = registry()
        _REGISTRY = (reg, frozenset(spec.id for spec in reg if spec.categorical))
    return _REGISTRY


def today() -> dt.date:
    """The evaluation date: ``AICEILING_TODAY`` (YYYY-MM-DD) if set, else the system date."""
    value = os.environ.get("AICEILING_TODAY")
    if value:
        return dt.date.fromisoformat(value)
    return dt.date.today()


def evaluate(loaded: LoadedProfile, *, on: dt.date | None = None,
             use_waivers: bool = True, locate: bool = True,
             estimates: Estimates | None = None) -> Report:
    """Run every registered check on a loaded profile.

    ``locate``: give each result the line and column of the field it points at.
    ``estimates``: the profile's estimates when already built (a sweep reuses them).
    """
    on = on or today()
    if estimates is None:
        estimates = build(loaded.profile, loaded.resolved, loaded.catalog)
    ctx = Context(loaded.profile, loaded.resolved, estimates, on, loaded.catalog)
    reg, categorical = _checks()
    bad = waiver_errors(loaded.profile, [spec.id for spec in reg])
    if bad:
        raise InputError([loaded.document.diagnostic(("waivers", index, "check"), message)
                          for index, message in bad])
    results: list[Result] = []
    for spec in reg:
        result = spec.run(ctx)
        if locate and result.path:
            _, result.line, result.column = loaded.document.locate(result.path)
        results.append(result)
    notes = apply_waivers(results, loaded.profile, on, use_waivers)
    name = loaded.profile.name or FsPath(loaded.file).stem
    return Report(file=loaded.file, name=name, verdict=verdict_of(results),
                  binding=binding_of(results, set(categorical)), results=results,
                  estimates=estimates, notes=notes, profile=loaded.profile)
