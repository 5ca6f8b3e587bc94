"""List the built-in data (hardware, models, regions, networks, cooling, export, governance)
with sources.

Examples:

\b
  aiceiling catalog hardware
  aiceiling catalog hardware h100-sxm
  aiceiling catalog models --catalog my-models.yaml
"""

import sys
from typing import Annotated, Any

import typer

from aiceiling.cli.app import EXIT_INVALID

_SECTIONS = {"hardware": ("accelerators",), "models": ("models",),
             "regions": ("regions", "countries", "blocs"), "networks": ("access_networks",),
             "cooling": ("cooling",), "export": ("rules", "country_groups"),
             "governance": ("controls", "industries", "serving_jitter"),
             "augment": ("quantization", "sparsity", "onsite_power", "water_paths",
                         "flexibility")}
_SUMMARY = {"accelerators": ("memory", "bandwidth", "peak.bf16", "tdp"),
            "models": ("params", "layers", "kv_heads", "max_context"),
            "regions": ("country", "carbon_intensity", "electricity_price"),
            "countries": ("carbon_intensity", "electricity_price"),
            "blocs": ("members",), "access_networks": ("rtt",), "cooling": ("rack_limit",),
            "rules": ("as_of", "license_required_for"), "country_groups": ("members",),
            "controls": ("meaning",), "industries": ("continuity_required",),
            "serving_jitter": ("fraction",), "quantization": ("accuracy",),
            "sparsity": ("accuracy",), "onsite_power": ("lead_time", "carbon_intensity"),
            "water_paths": ("wue",), "flexibility": ("curtailment",)}


def catalog(
    kind: Annotated[str | None, typer.Argument(
        metavar="KIND",
        help="hardware, models, regions, networks, cooling, export, governance or augment "
             "(the planner's figures); all when omitted.")] = None,
    entry_id: Annotated[str | None, typer.Argument(metavar="ID",
                                                   help="One entry, with every source.")] = None,
    overlay: Annotated[list[str] | None, typer.Option(
        "--catalog", metavar="FILE",
        help="Overlay catalog YAML with your own entries, repeatable.")] = None,
) -> None:
    """List the built-in data (hardware, models, regions, networks, cooling, export, governance)
with sources."""
    from aiceiling.catalog import Catalog
    from aiceiling.errors import InputError

    if kind is not None and kind not in _SECTIONS:
        print(f"aiceiling catalog: unknown kind {kind!r}; choose one of "
              f"{', '.join(_SECTIONS)}", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID)
    kinds = [kind] if kind else list(_SECTIONS)
    try:
        data = Catalog(tuple(overlay or ()))
        if entry_id is not None:
            for section in (s for k in kinds for s in _SECTIONS[k]):
                entry = data.get(section, entry_id)
                if entry is not None:
                    sys.stdout.write(_detail(section, entry))
                    return
            hints = [s for k in kinds for sec in _SECTIONS[k] for s in data.suggest(sec, entry_id)]
            hint = f"; did you mean {', '.join(hints[:3])}?" if hints else ""
            print(f"aiceiling catalog: no entry {entry_id!r}{hint}", file=sys.stderr)
            raise typer.Exit(EXIT_INVALID)
        for k in kinds:
            for section in _SECTIONS[k]:
                sys.stdout.write(_listing(section, data.section(section)))
    except InputError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None


def _show(value: Any) -> str:
    from aiceiling.catalog import Figure

    if isinstance(value, Figure):
        return value.text
    if isinstance(value, list):
        return f"{len(value)} members" if len(value) > 4 else ", ".join(map(str, value))
    if isinstance(value, float) and value > 1e6:
        return f"{value / 1e9:.4g} B"
    text = "" if value is None else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


_MIN_NAME = 16  # a name column narrower than this is dropped rather than cut to nothing


def _listing(section: str, entries: dict[str, dict[str, Any]]) -> str:
    """One section as columns laid out in the terminal's width (``COLUMNS`` honoured): the
    name column is shortened (with …) and then dropped before any figure is cut."""
    from aiceiling.catalog import lookup
    from aiceiling.render import terminal_width

    columns = _SUMMARY[section]
    figures = [[key] + [_show(lookup(entry, tuple(c.split(".")))) for c in columns]
               for key, entry in entries.items()]
    names = [" ".join(str(entry.get("name", "")).split()) for entry in entries.values()]
    header = ["id", *columns]
    widths = [max(len(r[i]) for r in [header, *figures]) for i in range(len(header))]
    room = terminal_width() - sum(widths) - 2 * len(widths)
    name_width = min(max((len(n) for n in names), default=0), room)
    if name_width >= _MIN_NAME:
        header.insert(1, "name")
        widths.insert(1, name_width)
        for row, name in zip(figures, names, strict=True):
            row.insert(1, name if len(name) <= name_width else name[:name_width - 1] + "…")
    over = sum(widths) + 2 * (len(widths) - 1) - terminal_width()
    if over > 0 and widths[-1] - over >= _MIN_NAME:   # a long text column ends the row
        widths[-1] -= over
        for row in figures:
            if len(row[-1]) > widths[-1]:
                row[-1] = row[-1][:widths[-1] - 1] + "…"
    lines = [f"# {section} ({len(figures)})",
             "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in figures]
    return "\n".join(lines) + "\n\n"


def _detail(section: str, entry: dict[str, Any]) -> str:
    """One entry with every figure and its source, wrapped to the terminal's width with
    continuation lines indented under their own text."""
    import textwrap

    from aiceiling.catalog import Figure, Source
    from aiceiling.render import terminal_width

    width = terminal_width()
    lines = [f"{entry['id']} ({section})"]

    def add(text: str, indent: str, hang: str) -> None:
        lines.extend(textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=hang,
                                   break_long_words=False, break_on_hyphens=False) or [indent])

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if key == "id":
                continue
            name = f"{prefix}{key}"
            if isinstance(value, Figure):
                add(f"{name}: {value.text}", "  ", "      ")
                add(f"source: {value.reference()}", "      ", "        ")
            elif isinstance(value, Source):
                add(f"{name}: {value.cite()}", "  ", "      ")
            elif isinstance(value, dict):
                walk(value, f"{name}.")
            else:
                add(f"{name}: {value}", "  ", "      ")

    walk(entry, "")
    return "\n".join(lines) + "\n"
