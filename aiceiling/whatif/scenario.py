"""Scenarios: one loaded profile with some fields changed, built fast enough to evaluate
thousands.

Every value of every axis is first validated once the ordinary way (applied as a ``--set`` to
the profile document and the whole profile validated: the same messages, all at once). A
scenario then changes only numbers the grid already validated: the profile section that
holds the changed fields is validated alone from its YAML data (a few microseconds, cached
per combination of that section's values) and put into a copy of the validated profile
(``model_copy``), without re-reading YAML or re-validating the other sections.

This is exact because every rule that relates two fields lives inside one section's model
(``deployment.tensor_parallel`` must divide ``deployment.accelerators``): axes in one section
are validated together. Where a path cannot be handled so (into a list or a mapping of
figures), every scenario takes the ordinary path.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

from pydantic import ValidationError

from aiceiling.errors import InputError
from aiceiling.estimates import Estimates, build
from aiceiling.evaluation import Report, evaluate
from aiceiling.profile.load import LoadedProfile, model_at, with_overrides
from aiceiling.profile.model import Profile
from aiceiling.profile.yamlsource import Path, load_text
from aiceiling.resolve import profile_layout_errors, resolve
from aiceiling.whatif.grid import Axis

# Bounds on what a sweep keeps, whatever the grid's size: validated sections (small) and
# reusable estimates (tens of kB each). A full cache is emptied: correct, just slower.
_CACHE_LIMIT = 10_000
_ESTIMATES_LIMIT = 1_000
# The fields aiceiling.resolve reads: a grid that changes none of them reuses the base
# profile's resolved model, hardware and place.
_RESOLVE_READS = (("workload", "model"), ("deployment", "hardware"), ("deployment", "region"),
                  ("deployment", "country"))
_COMBINATIONS_TRIED = 1_000   # per invalid value, with the other axes of its section

# The estimates a what-if shows for each scenario (SPEC §5 keys); absent when not applicable.
KEY_ESTIMATES = (
    "memory_required_gb", "memory_available_gb", "max_requests_per_s", "ttft_ms", "tpot_ms",
    "latency_e2e_ms", "it_power_kw", "facility_power_kw", "rack_kw", "racks_needed",
    "annual_energy_mwh", "annual_co2_t", "monthly_cost", "training_days", "device_runtime_h",
)


class _Slow(Exception):
    """A path the fast builder cannot take; the ordinary path can."""


# -- estimates reused across scenarios ---------------------------------------------------------
# Building the estimates is a deterministic function of the profile (with the same resolved
# entries and catalog): if building them for one scenario never read a varied field, every
# scenario that differs only in such fields gets the very same estimates. The sections that
# hold varied fields are instances of a subclass that notes which of those fields are read
# while the estimates are built; a scenario whose values agree on every noted field reuses
# them. Limits that only checks read (site.power_budget, budgets) then cost no estimation.
_READS: set[int] | None = None


_NOTING: dict[tuple[Any, frozenset[tuple[str, int]]], Any] = {}


def _noting(cls: Any, watched: dict[str, int]) -> Any:
    """A subclass of the section model ``cls`` noting reads of ``watched`` fields (field →
    axis number) into ``_READS`` while it is set (made once per process and kind)."""
    key = (cls, frozenset(watched.items()))
    made = _NOTING.get(key)
    if made is None:
        made = _NOTING[key] = _subclass(cls, watched)
    return made


def _subclass(cls: Any, watched: dict[str, int]) -> Any:
    sub = type(cls.__name__, (cls,), {"__module__": cls.__module__,
                                      "__qualname__": cls.__qualname__})
    # A property per watched field, set after pydantic built the class: it takes precedence
    # over the instance's __dict__ where pydantic keeps the value, so only reads of watched
    # fields run Python code; validation, copies and dumps use __dict__ directly.
    for name, axis in watched.items():
        setattr(sub, name, property(_reader(name, axis)))
    return sub


def _reader(name: str, axis: int) -> Any:
    def read(self: Any) -> Any:
        if _READS is not None:
            _READS.add(axis)
        return self.__dict__[name]
    return read


def _build_noting(loaded: LoadedProfile) -> tuple[Estimates, set[int]]:
    """The estimates of a scenario, and the axes whose fields building them read."""
    global _READS
    _READS = set()
    try:
        estimates = build(loaded.profile, loaded.resolved, loaded.catalog)
        return estimates, _READS
    finally:
        _READS = None


def _raw_at(data: Any, parts: Path) -> dict[str, Any]:
    """A copy of the raw YAML mapping at ``parts`` ({} for a section not written)."""
    node = data
    for part in parts:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
        if node is None:
            return {}
    if not isinstance(node, dict):
        raise _Slow
    return copy.deepcopy(node)


def _replace_all(obj: Any, changes: list[tuple[Path, Any]]) -> Any:
    """A copy of ``obj`` with the node at each path replaced (one copy per node touched; a
    change inside a replaced node applies to the replacement)."""
    whole = [new for parts, new in changes if not parts]
    if whole:
        obj = whole[0]
    deeper: dict[str | int, list[tuple[Path, Any]]] = {}
    for parts, new in changes:
        if parts:
            deeper.setdefault(parts[0], []).append((parts[1:], new))
    if not deeper:
        return obj
    if isinstance(obj, list):
        items = list(obj)
        for head, sub in deeper.items():
            assert isinstance(head, int)
            items[head] = _replace_all(items[head], sub)
        return items
    update = {}
    for head, sub in deeper.items():
        child = getattr(obj, str(head))
        if child is None and any(rest for rest, _ in sub):
            raise _Slow  # a section the profile leaves out, with a field inside it varied
        update[str(head)] = _replace_all(child, sub)
    return obj.model_copy(update=update)


class Scenarios:
    """The scenarios of a grid over one loaded profile; ``report(indexes)`` evaluates one.

    ``indexes`` picks one value per axis. Raises InputError at construction when a value of
    an axis is invalid for the profile (every such problem at once).
    """

    def __init__(self, loaded: LoadedProfile, axes: tuple[Axis, ...], *,
                 on: dt.date, use_waivers: bool = True, origin: str = "--vary",
                 validate: bool = True, reuse: bool = True) -> None:
        self.loaded, self.axes, self.on, self.use_waivers = loaded, axes, on, use_waivers
        self.origin = origin
        self.parts = [axis.parts for axis in axes]
        seen: set[Path] = set()
        for axis, parts in zip(axes, self.parts, strict=True):
            if parts in seen:
                raise InputError([_diag(f"{origin} {axis.path}=…", axis.path,
                                        "varied twice; give each path once")])
            seen.add(parts)
        if validate:
            self._validate_values()
        self.values: list[list[Any]] = [[_parse(text, f"{origin} {axis.path}={text}")
                                         for text in axis.values] for axis in axes]
        groups: dict[Path, list[int]] = {}
        for i, parts in enumerate(self.parts):
            groups.setdefault(parts[:-1], []).append(i)
        self.groups = sorted(groups.items(), key=lambda item: len(item[0]))
        self.fast = all(isinstance(parts[-1], str) and model_at(parent) is not None
                        for parent, members in self.groups for parts in
                        (self.parts[members[0]],))
        self._sections: dict[tuple[int, tuple[int, ...]], Any] = {}
        self.same_resolution = not any(
            parts[:len(read)] == read or read[:len(parts)] == parts
            for parts in self.parts for read in _RESOLVE_READS)
        self._classes = [_noting(model_at(parent), {str(self.parts[m][-1]): m
                                                     for m in members})
                         if self.fast else None for parent, members in self.groups]
        # axes read → (their value indexes → estimates); see _noting.
        self.reuse = reuse and self.fast and self.same_resolution
        self._estimates: dict[tuple[int, ...], dict[tuple[int, ...], Estimates]] = {}
        if self.fast and axes:
            try:
                self._fast_profile(tuple(0 for _ in axes))
            except _Slow:
                self.fast = False
            except InputError:
                pass  # a combination that is invalid; reported on its own row

    def _validate_values(self) -> None:
        """Each value of each axis applied alone to the profile, validated the ordinary way.

        A value invalid alone may be valid with a value of another axis in its section
        (4 accelerators with tensor_parallel 2 of a profile that says 8): it is an error only
        if no combination with those axes' values is valid.
        """
        import itertools

        from aiceiling.errors import Diagnostic

        errors: list[Diagnostic] = []
        for i, axis in enumerate(self.axes):
            siblings = [j for j, parts in enumerate(self.parts)
                        if j != i and parts[:-1] == self.parts[i][:-1]]
            for text in axis.values:
                if self._valid_quickly(i, text):
                    continue
                try:
                    self._slow((f"{axis.path}={text}",))
                    continue
                except InputError as exc:
                    alone = exc.diagnostics
                combos = itertools.islice(itertools.product(
                    *([f"{self.axes[j].path}={v}" for v in self.axes[j].values]
                      for j in siblings)), _COMBINATIONS_TRIED) if siblings else iter(())
                for combo in combos:
                    try:
                        self._slow((f"{axis.path}={text}", *combo))
                        break
                    except InputError:
                        continue
                else:
                    errors.extend(d._replace(file=d.file.replace("--set", self.origin, 1))
                                  for d in alone)
        if errors:
            raise InputError(errors)

    def _valid_quickly(self, axis: int, text: str) -> bool:
        """Whether one value is valid, checked on its section alone (microseconds, not the
        milliseconds of loading the whole profile). False means "ask the ordinary path", which
        also words the error: always for catalog ids, lists and mappings of figures."""
        parts = self.parts[axis]
        parent, leaf = parts[:-1], parts[-1]
        cls = model_at(parent)
        if cls is None or not isinstance(leaf, str) or any(
                parts[:len(read)] == read or read[:len(parts)] == parts
                for read in _RESOLVE_READS):
            return False
        try:
            raw = _raw_at(self.loaded.document.data, parent)
            raw[leaf] = _parse(text, "")
            section = cls.model_validate(raw)
            if parent != ("deployment",):
                return True  # the layout check reads only the deployment section
            profile = _replace_all(self.loaded.profile, [(parent, section)])
        except (ValidationError, InputError, _Slow):
            return False
        resolved = self.loaded.resolved
        return not profile_layout_errors(profile, resolved.model, resolved.hardware)

    def _slow(self, overrides: tuple[str, ...]) -> LoadedProfile:
        return with_overrides(self.loaded, list(overrides))

    def overrides(self, indexes: tuple[int, ...]) -> tuple[str, ...]:
        """The ``--set`` texts of one scenario."""
        return tuple(f"{axis.path}={axis.values[i]}"
                     for axis, i in zip(self.axes, indexes, strict=True))

    def _section(self, group: int, indexes: tuple[int, ...]) -> Any:
        parent, members = self.groups[group]
        key = (group, tuple(indexes[m] for m in members))
        cached = self._sections.get(key)
        if cached is None:
            raw = _raw_at(self.loaded.document.data, parent)
            for m in members:
                raw[str(self.parts[m][-1])] = copy.deepcopy(self.values[m][indexes[m]])
            cls = self._classes[group] or model_at(parent)
            try:
                cached = cls.model_validate(raw)
            except ValidationError:
                # Each value was valid alone; together they break a rule of their section.
                # The ordinary path words the error.
                try:
                    self._slow(self.overrides(indexes))
                    raise _Slow from None  # valid after all: take the ordinary path
                except InputError as exc:
                    cached = exc
            if len(self._sections) >= _CACHE_LIMIT:
                self._sections.clear()
            self._sections[key] = cached
        if isinstance(cached, InputError):
            raise cached
        return cached

    def _fast_profile(self, indexes: tuple[int, ...]) -> Profile:
        profile: Profile = _replace_all(self.loaded.profile, [
            (parent, self._section(group, indexes))
            for group, (parent, _) in enumerate(self.groups)])
        return profile

    def loaded_at(self, indexes: tuple[int, ...]) -> LoadedProfile:
        """One scenario, loaded: its profile and what its catalog ids resolve to. Raises
        InputError if the combination is invalid."""
        return self._loaded(indexes)[0]

    def _loaded(self, indexes: tuple[int, ...]) -> tuple[LoadedProfile, bool]:
        """The scenario, and whether it was built the fast way (its sections note reads)."""
        if not self.fast:
            return self._slow(self.overrides(indexes)), False
        try:
            profile = self._fast_profile(indexes)
        except _Slow:
            return self._slow(self.overrides(indexes)), False
        base = self.loaded
        resolved = base.resolved if self.same_resolution else resolve(profile, base.catalog)
        if profile_layout_errors(profile, resolved.model, resolved.hardware):
            # The layout the scenario fixes cannot run: the ordinary path words why.
            return self._slow(self.overrides(indexes)), False
        return LoadedProfile(base.file, base.document, profile, resolved, base.catalog), True

    def report(self, indexes: tuple[int, ...]) -> Report:
        """Evaluate one scenario. Raises InputError if the combination is invalid."""
        loaded, fast = self._loaded(indexes)
        estimates = None
        if self.reuse and fast:
            for read, table in self._estimates.items():
                estimates = table.get(tuple(indexes[a] for a in read))
                if estimates is not None:
                    break
            else:
                estimates, reads = _build_noting(loaded)
                read = tuple(sorted(reads))
                if any(len(axis.values) > 1 for a, axis in enumerate(self.axes)
                       if a not in reads):
                    # Reusable by the scenarios differing only in an axis not read; when
                    # every varying axis was read, no other scenario can reuse it: not kept.
                    table = self._estimates.setdefault(read, {})
                    if len(table) >= _ESTIMATES_LIMIT:
                        table.clear()
                    table[tuple(indexes[a] for a in read)] = estimates
        # Rows carry no file positions: skip locating each check's field in the YAML.
        return evaluate(loaded, on=self.on, use_waivers=self.use_waivers, locate=False,
                        estimates=estimates)


_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+")
_QUANTITY = re.compile(r"-?[0-9][0-9.]* [A-Za-z][A-Za-z0-9/%]*")


def _parse(text: str, where: str) -> Any:
    """A value text as YAML, as ``--set`` reads it; plain numbers and quantities such as
    ``10 kW`` (what ranges make) without starting a YAML parser."""
    stripped = text.strip()
    if _INTEGER.fullmatch(stripped):
        return int(stripped)
    if _DECIMAL.fullmatch(stripped):
        return float(stripped)
    if _QUANTITY.fullmatch(stripped):
        return stripped
    return load_text(text, where).data if stripped else ""


def _diag(file: str, field: str, message: str) -> Any:
    from aiceiling.errors import Diagnostic

    return Diagnostic(file, None, None, field, message)
