"""Built-in data: accelerators, models, regions, access networks, cooling — each figure sourced.

The data lives in ``data/*.yaml``, compiled to ``data/*.json`` by ``compile.py``. A figure is
``{value, source, as_of}`` (plus optional ``note``, ``formula``, ``low``, ``high``); a figure
that could not be sourced is absent, and whatever needs it reports ``skip`` with the reason.
A user overlay (``--catalog FILE``) adds entries, or overrides figures of existing ones, by
id; its figures may be plain values, attributed to the overlay file.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, NamedTuple

from aiceiling.units import Money, Rate, parse_count, parse_money, parse_quantity, parse_rate


class Source(NamedTuple):
    key: str
    title: str
    url: str
    kind: str

    def cite(self) -> str:
        return f"{self.title} — {self.url}" if self.url else self.title


class Figure(NamedTuple):
    """A sourced number: its SI value, the text it was written as, and where it comes from."""

    value: Any
    text: str
    source: Source
    as_of: str
    note: str = ""
    formula: str = ""
    low: Any = None
    high: Any = None

    def reference(self) -> str:
        parts = [self.source.cite(), f"as of {self.as_of}"]
        if self.formula:
            parts.append(self.formula)
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


Entry = dict[str, Any]


class CatalogError(ValueError):
    """A catalog file that does not follow the catalog schema."""


def _parser(kind: str) -> Any:
    if kind == "money":
        return parse_money
    if kind == "count":
        return parse_count
    if kind == "text":
        return str
    if kind.startswith("rate:"):
        dimension = kind[5:]
        return lambda value: parse_rate(value, dimension)
    return lambda value: parse_quantity(value, kind, bare=False)


# Which dimension each figure key has, per section; keys not listed are plain data.
_FIGURES: dict[str, dict[str, str]] = {
    "accelerators": {"memory": "data", "bandwidth": "data/time", "tdp": "power",
                     "typical_power": "power", "interconnect": "data/time",
                     "host_link": "data/time", "scale_up_domain": "count",
                     "price": "money", "lead_time": "time",
                     "system.power": "power", "export.tpp": "count",
                     "export.die_area": "count", "export.eccn": "text",
                     "peak.*": "ops/time", "sparse_peak.*": "ops/time",
                     "idle_power": "power", "rental.*": "rate:time"},
    "models": {"flops_per_request": "ops"},
    "countries": {"carbon_intensity": "mass/energy", "electricity_price": "rate:energy",
                  "water_stress": "count"},
    "regions": {"carbon_intensity": "mass/energy", "electricity_price": "rate:energy"},
    "blocs": {"electricity_price": "rate:energy"},
    "access_networks": {"rtt": "time"},
    "fiber": {"propagation": "time/length"},
    "cooling": {"rack_limit": "power"},
    "defaults": {"pue": "count", "wue": "volume/energy", "host_load": "count",
                 "host_ratio": "count", "rack_units": "count"},
    "providers": {"pue": "count", "wue": "volume/energy"},
    "rules": {"thresholds.*": "count"},
    "serving_jitter": {"fraction": "count"},
    "quantization": {"accuracy": "count"},
    "sparsity": {"accuracy": "count"},
    "onsite_power": {"lead_time": "time", "carbon_intensity": "mass/energy"},
    "water_paths": {"wue": "volume/energy"},
    "flexibility": {"curtailment": "count"},
}


class Catalog:
    """All catalog sections, loaded lazily from the package data and user overlays."""

    def __init__(self, overlays: tuple[str, ...] = ()) -> None:
        self._overlays = overlays
        self._checked = not overlays
        self._raw: dict[str, dict[str, Any]] = {}             # file → its JSON
        self._sources: dict[str, dict[str, Source]] = {}      # file → its sources
        self._overlay: dict[str, dict[str, Entry]] = {}       # section → overlay entries
        self._parsed: dict[str, dict[str, Entry]] = {}        # section → entries parsed so far
        self._aliases: dict[str, dict[str, str]] = {}
        self._constants: dict[tuple[str, str], Figure] = {}
        # Figures derived from the catalog alone (a fitted route factor), computed once per
        # catalog: a sweep evaluates thousands of scenarios against the same data.
        self.derived: dict[str, Any] = {}

    @property
    def overlays(self) -> tuple[str, ...]:
        """The user overlay files, in the order they apply."""
        return self._overlays

    # -- loading --------------------------------------------------------------------
    def _file(self, name: str) -> dict[str, Any]:
        if name not in self._raw:
            text = (_DATA / f"{name}.json").read_text(encoding="utf-8")
            self._raw[name] = json.loads(text)
            self._sources[name] = _sources(self._raw[name].get("sources", {}), name)
        return self._raw[name]

    def _builtin(self, section: str) -> dict[str, Any]:
        return self._file(_SECTION_FILE[section]).get(section) or {}

    def _index(self, section: str) -> dict[str, str]:
        """Alias → id for a section, built from the raw data without parsing figures."""
        if not self._checked:
            _check_sections(self._overlays)  # on first use: inside the caller's error handling
            self._checked = True
        if section not in self._aliases:
            overlay: dict[str, Entry] = {}
            for path in self._overlays:
                overlay.update(_overlay_entries(path, section))
            self._overlay[section] = overlay
            self._parsed[section] = {}
            entries = [*self._builtin(section).items(), *overlay.items()]
            # Ids win over aliases, aliases over display names ("Germany" → DE).
            aliases: dict[str, str] = {}
            for key, entry in entries:
                if isinstance(entry.get("name"), str):
                    aliases.setdefault(entry["name"].lower(), key)
            for key, entry in entries:
                for alias in entry.get("aliases", []) or []:
                    aliases[str(alias).lower()] = key
            for key, _ in entries:
                aliases[key.lower()] = key
            self._aliases[section] = aliases
        return self._aliases[section]

    def _entry(self, section: str, key: str) -> Entry:
        parsed = self._parsed[section]
        if key not in parsed:
            raw = self._builtin(section).get(key)
            file = _SECTION_FILE[section]
            base = _entry(section, key, raw, self._sources[file], file) if raw else {}
            overlay = self._overlay[section].get(key)
            parsed[key] = _merge(base, overlay) if overlay else base
        return parsed[key]

    def section(self, section: str) -> dict[str, Entry]:
        """Every entry of one section (``accelerators``, ``models``, ``countries``, …) by id."""
        keys = dict.fromkeys(self._index(section).values())
        return {key: self._entry(section, key) for key in keys}

    def resolve(self, section: str, name: str) -> str | None:
        """Canonical id for an id or alias (case-insensitive), or None."""
        return self._index(section).get(name.lower())

    def get(self, section: str, name: str) -> Entry | None:
        key = self.resolve(section, name)
        return None if key is None else self._entry(section, key)

    def suggest(self, section: str, name: str) -> list[str]:
        """Closest ids to a misspelt one, for a did-you-mean."""
        names = self._index(section)
        close = difflib.get_close_matches(name.lower(), list(names), n=6, cutoff=0.5)
        seen: list[str] = []
        for alias in close:
            key = names[alias]
            if key not in seen:
                seen.append(key)
        return seen[:3]

    def constant(self, file: str, path: str) -> Figure:
        """A single sourced constant such as ``networks:fiber.propagation``."""
        known = self._constants.get((file, path))
        if known is not None:
            return known
        section, _, key = path.partition(".")
        value = (self._file(file).get(section) or {}).get(key)
        if value is None:
            raise CatalogError(f"{file}.yaml has no {path}")
        figure = _figure(value, _FIGURES[section][key], self._sources[file], f"{file}:{path}")
        self._constants[(file, path)] = figure
        return figure

    def measured_rtts(self) -> list[tuple[float, float]]:
        """Published round trips with a great-circle distance: (distance [m], RTT [s])."""
        pairs = []
        for row in self._file("networks").get("measured_rtt") or []:
            rtt = row.get("rtt")
            if row.get("great_circle_km") and isinstance(rtt, dict) and "value" in rtt:
                pairs.append((float(row["great_circle_km"]) * 1e3,
                              parse_quantity(rtt["value"], "time")))
        return pairs


_DATA = Path(__file__).parent / "data"

_SECTION_FILE = {"accelerators": "accelerators", "models": "models", "countries": "regions",
                 "regions": "regions", "blocs": "regions", "access_networks": "networks",
                 "cooling": "cooling", "rules": "export", "country_groups": "export",
                 "controls": "governance", "industries": "governance",
                 "serving_jitter": "governance", "quantization": "augment",
                 "sparsity": "augment", "onsite_power": "augment", "water_paths": "augment",
                 "flexibility": "augment", "providers": "facility"}


def _sources(raw: dict[str, Any], file: str) -> dict[str, Source]:
    return {key: Source(key, str(value.get("title", key)), str(value.get("url", "")),
                        str(value.get("kind", "")))
            for key, value in raw.items()}


def _figure(raw: Any, kind: str, sources: dict[str, Source], where: str,
            default_source: Source | None = None) -> Figure:
    parse = _parser(kind)
    if not isinstance(raw, dict):
        if default_source is None:
            raise CatalogError(f"{where}: a figure needs value, source and as_of")
        return Figure(parse(raw), str(raw), default_source, "user-supplied")
    if "source" in raw and raw["source"] not in sources:
        raise CatalogError(f"{where}: unknown source {raw['source']!r}; define it under "
                           "sources:")
    try:
        source = sources[raw["source"]] if "source" in raw else default_source
        if source is None:
            raise KeyError("source")
        as_of = str(raw.get("as_of", "user-supplied" if default_source else ""))
        if not as_of:
            raise KeyError("as_of")
        return Figure(
            value=parse(raw["value"]), text=str(raw["value"]), source=source, as_of=as_of,
            note=str(raw.get("note", "")), formula=str(raw.get("formula", "")),
            low=parse(raw["low"]) if "low" in raw else None,
            high=parse(raw["high"]) if "high" in raw else None)
    except KeyError as exc:
        raise CatalogError(f"{where}: figure without {exc.args[0]}") from None
    except ValueError as exc:
        raise CatalogError(f"{where}: {exc}") from None


def _entry(section: str, key: str, raw: dict[str, Any], sources: dict[str, Source],
           file: str, default_source: Source | None = None) -> Entry:
    kinds = _FIGURES.get(section, {})
    out: Entry = {"id": key}
    for name, value in raw.items():
        if name in kinds:
            out[name] = _figure(value, kinds[name], sources, f"{file}:{key}.{name}",
                                default_source)
        elif isinstance(value, dict) and any(k.startswith(f"{name}.") for k in kinds):
            sub: dict[str, Any] = {}
            for sub_name, sub_value in value.items():
                kind = kinds.get(f"{name}.{sub_name}") or kinds.get(f"{name}.*")
                sub[sub_name] = (_figure(sub_value, kind, sources,
                                         f"{file}:{key}.{name}.{sub_name}", default_source)
                                 if kind else sub_value)
            out[name] = sub
        elif name in ("source", "params_source", "active_params_source"):
            if value not in sources:
                raise CatalogError(f"{file}:{key}.{name}: unknown source {value!r}")
            out[name] = sources[value]
        else:
            out[name] = value
    return out


def _merge(base: Entry, overlay: Entry) -> Entry:
    """An overlay entry over a built-in one: figures replaced one by one, nested groups
    (``peak``, ``system``, ``export``) merged key by key."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def _check_sections(paths: tuple[str, ...]) -> None:
    """Every top-level key of every overlay names a catalog section (or ``sources``): a
    misspelt section would otherwise override nothing, silently."""
    from aiceiling.errors import InputError
    from aiceiling.profile.yamlsource import read_file

    errors = []
    known = sorted({*_SECTION_FILE, "sources"})
    for path in paths:
        document = read_file(path)
        if not isinstance(document.data, dict):
            errors.append(document.diagnostic((), "a catalog overlay is a mapping of sections "
                                                   f"({', '.join(known)})"))
            continue
        for key in document.data:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else \
                    f"; sections are {', '.join(known)}"
                errors.append(document.diagnostic((key,), f"no catalog section {key!r}{hint}"))
    if errors:
        raise InputError(errors)


def _overlay_entries(path: str, section: str) -> dict[str, Entry]:
    from aiceiling.errors import InputError
    from aiceiling.profile.yamlsource import read_file

    document = read_file(path)
    raw = document.data if isinstance(document.data, dict) else {}
    default = Source(f"user:{path}", f"user catalog {path}", "", "user")
    sources = {**_sources(raw.get("sources", {}) or {}, path)}
    entries = {}
    for key, value in (raw.get(section) or {}).items():
        if not isinstance(value, dict):
            raise InputError([document.diagnostic((section, key), "an entry must be a mapping")])
        try:
            entries[str(key)] = _entry(section, str(key), value, sources, path, default)
        except (CatalogError, ValueError) as exc:
            raise InputError([document.diagnostic((section, key), str(exc))]) from None
    return entries


def lookup(entry: Entry | None, path: tuple[str, ...]) -> Any:
    """Whatever sits at ``path`` inside an entry (a Figure, or plain data), or None."""
    node: Any = entry
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def figure_value(entry: Entry | None, *path: str) -> Any:
    """The SI value of a figure inside an entry, or None when it is absent."""
    node = lookup(entry, path)
    return node.value if isinstance(node, Figure) else node


def figure(entry: Entry | None, *path: str) -> Figure | None:
    """The figure inside an entry, or None when it is absent."""
    node = lookup(entry, path)
    return node if isinstance(node, Figure) else None


__all__ = ["Catalog", "CatalogError", "Figure", "Money", "Rate", "Source", "figure",
           "figure_value", "lookup"]
