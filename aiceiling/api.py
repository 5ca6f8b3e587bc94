"""The library scripts use: load a profile, evaluate it, compare designs, sweep a grid, find
a ceiling.

    >>> from aiceiling import load_profile, evaluate
    >>> loaded = load_profile("profiles/healthcare-radiology.yaml")
    >>> evaluate(loaded).verdict
    'infeasible'

A thin face: loading and overrides live in :mod:`aiceiling.profile.load`, the checks' run in
:mod:`aiceiling.evaluation`, the verdict rules in :mod:`aiceiling.verdict`, the planner in
:mod:`aiceiling.augment`, and compare, sweep and ceiling in :mod:`aiceiling.whatif`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiceiling.catalog import Catalog
from aiceiling.checks import SKIP
from aiceiling.evaluation import Report, registry, today
from aiceiling.evaluation import evaluate as _evaluate
from aiceiling.profile.load import (
    LoadedProfile,
    apply_overrides,
    load_document,
    validate,
    with_overrides,
)
from aiceiling.profile.load import load_profile as _load_file
from aiceiling.profile.yamlsource import Document
from aiceiling.provenance import provenance
from aiceiling.verdict import VERDICTS, apply_waivers, binding_of, verdict_of

if TYPE_CHECKING:
    from aiceiling.whatif.ceiling import Ceiling
    from aiceiling.whatif.compare import Comparison

Overrides = Sequence[str] | Mapping[str, Any]
Source = LoadedProfile | str | os.PathLike[str] | Mapping[str, Any]


def _override_texts(overrides: Overrides | None) -> list[str]:
    """``{"deployment.accelerators": 8}`` → ``["deployment.accelerators=8"]``."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        # JSON is YAML: numbers stay numbers, strings stay strings ("yes" is not true).
        return [f"{path}={json.dumps(value, default=str)}" for path, value in
                overrides.items()]
    return [str(o) for o in overrides]


def load_profile(source: Source, overrides: Overrides | None = None,
                 catalog: Catalog | None = None) -> LoadedProfile:
    """Read, validate and resolve a profile: a YAML file's path, or a mapping built in code
    (the same structure as the YAML), or an already loaded profile to change.

    ``overrides`` change fields first: ``["site.power_budget=60 kW"]`` as on the command line
    (values are YAML), or ``{"site.power_budget": "60 kW"}``. Raises InputError listing
    every problem found.
    """
    texts = _override_texts(overrides)
    if isinstance(source, LoadedProfile):
        return with_overrides(source, texts, catalog)
    if isinstance(source, Mapping):
        return load_document(Document("<profile>", copy.deepcopy(dict(source)), {}), texts,
                             catalog)
    return _load_file(os.fspath(source), texts, catalog)


def _loaded(source: Source, overrides: Overrides | None = None,
            catalog: Catalog | None = None) -> LoadedProfile:
    if isinstance(source, LoadedProfile) and not overrides and catalog is None:
        return source
    return load_profile(source, overrides, catalog)


def evaluate(profile: Source, *, on: dt.date | None = None,
             use_waivers: bool = True) -> Report:
    """Run every check on a profile (loaded, a path, or a mapping) and decide the verdict."""
    return _evaluate(_loaded(profile), on=on, use_waivers=use_waivers)


def check_file(path: str, overrides: list[str] | None = None, catalog: Catalog | None = None,
               *, on: dt.date | None = None, use_waivers: bool = True,
               augment: bool = True) -> Report:
    """Load and evaluate one profile file; plan augmentation paths unless it is feasible."""
    loaded = _load_file(path, overrides, catalog)
    on = on or today()
    report = _evaluate(loaded, on=on, use_waivers=use_waivers)
    report = report._replace(provenance=provenance(
        overrides or [], on.isoformat(), loaded.catalog.overlays))
    if augment and report.verdict != "feasible":
        from aiceiling.augment import plan

        report = report._replace(plan=plan(loaded, report, on=on, use_waivers=use_waivers))
    return report


def compare(*designs: Source, labels: Sequence[str] | None = None,
            variants: Mapping[str, Overrides] | None = None, on: dt.date | None = None,
            use_waivers: bool = True) -> Comparison:
    """Evaluate designs side by side: profiles, and/or ``variants`` of the first one
    (label → overrides). ``labels`` name the profiles' columns (default: their names).

    Rows whose cells differ are marked ``differs``; ``.as_dict()`` gives the JSON form.
    """
    from aiceiling.whatif.compare import compare as lay_out
    from aiceiling.whatif.compare import unique_labels

    on = on or today()
    loaded = [_loaded(d) for d in designs]
    reports = [_evaluate(item, on=on, use_waivers=use_waivers) for item in loaded]
    names = list(labels) if labels is not None else \
        unique_labels([r.name for r in reports], [r.file for r in reports])
    for label, overrides in (variants or {}).items():
        variant = load_profile(loaded[0], overrides)
        reports.append(_evaluate(variant, on=on, use_waivers=use_waivers))
        names.append(label)
    if len(names) != len(reports):
        raise ValueError(f"{len(names)} labels for {len(reports)} designs")
    return lay_out(names, reports)


def sweep(profile: Source, vary: Mapping[str, str | Sequence[Any]], *,
          overrides: Overrides | None = None, on: dt.date | None = None,
          use_waivers: bool = True, workers: int | None = 1, dask: bool = False,
          scheduler: str | None = None) -> Iterator[dict[str, Any]]:
    """Evaluate every combination of the ``vary`` values; yield one row per scenario, in grid
    order (the last axis fastest).

    ``vary`` maps a field path to its values: a list (``[1, 2, 4]``, ``["10 kW", "20 kW"]``)
    or the ``--vary`` text (``"1..64:x2"``, ``'"10 kW".."60 kW":"10 kW"'``). Each row maps
    the axes' paths to the values, then ``verdict``, ``binding``, ``binding_used``, the key
    estimates and ``note``. ``workers``: processes (None: every core for large grids).
    Values are checked before the first row: InputError lists every invalid one.
    """
    from aiceiling.whatif.grid import Axis, parse_axis
    from aiceiling.whatif.sweep import columns, run

    axes = []
    for path, values in vary.items():
        if isinstance(values, str):
            axes.append(parse_axis(f"{path}={values}"))
        else:
            axes.append(Axis(path, tuple(v if isinstance(v, str) else
                                         json.dumps(v, default=str) for v in values)))
    loaded = _loaded(profile, overrides)
    names = columns(tuple(axes))
    rows = run(loaded, tuple(axes), on=on or today(), use_waivers=use_waivers,
               workers=workers, dask=dask, scheduler=scheduler)
    return (dict(zip(names, row, strict=True)) for row in rows)


def ceiling(profile: Source, axis: str, *, direction: str = "up", strict: bool = False,
            ignore: Sequence[str] = (), overrides: Overrides | None = None,
            on: dt.date | None = None, use_waivers: bool = True) -> Ceiling:
    """The largest (``direction="up"``) or smallest (``"down"``) value of the numeric field
    ``axis`` that keeps the design from being infeasible (``strict``: from at-risk too),
    with the check that binds there and the next two; ``.as_dict()`` gives the JSON form.
    """
    from aiceiling.whatif.ceiling import ceiling as search

    return search(_loaded(profile, overrides), axis, direction=direction, strict=strict,
                  on=on or today(), use_waivers=use_waivers, ignore=tuple(ignore))


__all__ = [
    "SKIP",
    "VERDICTS",
    "LoadedProfile",
    "Report",
    "apply_overrides",
    "apply_waivers",
    "binding_of",
    "ceiling",
    "check_file",
    "compare",
    "evaluate",
    "load_document",
    "load_profile",
    "registry",
    "sweep",
    "today",
    "validate",
    "verdict_of",
]
