"""Evaluate every combination of some fields' values; stream one row per scenario.

VALUES: a list (1,2,4,8), a range (1..64:x2, 0.5..4:0.5) or a range with units
("10 kW".."60 kW":"10 kW"); items mix (1,2,4..16:x2). Rows are CSV or JSON Lines: the axes'
values, verdict, binding constraint, its share of the limit used, the key estimates.

Examples:

\b
  aiceiling sweep profiles/erp-copilot.yaml --vary deployment.accelerators=8..64:x2 \\
      --vary 'workload.traffic.requests_per_s=0.5..4:0.5' -o grid.csv

\b
  aiceiling sweep design.yaml --vary 'site.power_budget="10 kW".."60 kW":"10 kW"' \\
      --vary deployment.accelerators=1,2,4,8 --format jsonl --plot frontier.png
"""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from aiceiling.cli.app import EXIT_OK
from aiceiling.cli.whatif_common import (
    CatalogOption,
    NoWaiversOption,
    OutputOption,
    SetOption,
    TodayOption,
    catalog_of,
    check_output,
    evaluation_date,
    invalid,
    usage,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


def sweep(
    profile: Annotated[str, typer.Argument(metavar="PROFILE", help="Profile YAML file.",
                                           show_default=False)],
    vary: Annotated[list[str], typer.Option(
        "--vary", metavar="PATH=VALUES",
        help="A field and its values, repeatable; the grid is every combination, the last "
             "--vary varying fastest.", show_default=False)],
    set_: SetOption = None,
    format_: Annotated[str, typer.Option("--format", "-f", metavar="csv|jsonl",
                                         help="Row format.")] = "csv",
    output: OutputOption = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-j", metavar="N",
        help="Processes to use; default: every core for grids of 400 scenarios or more.")]
        = None,
    dask: Annotated[bool, typer.Option(
        "--dask", help="Run on a local Dask cluster (the dask extra).")] = False,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDRESS",
        help="Run on the Dask cluster at ADDRESS, e.g. tcp://10.0.0.5:8786.")] = None,
    plot: Annotated[str | None, typer.Option(
        "--plot", metavar="FILE.png|FILE.svg",
        help="Draw the feasibility frontier over the first two axes (the plot extra).")]
        = None,
    catalog: CatalogOption = None,
    no_waivers: NoWaiversOption = False,
    today: TodayOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Evaluate every combination of some fields' values; stream one row per scenario.

    Example: aiceiling sweep design.yaml --vary deployment.accelerators=1..64:x2
    --vary 'site.power_budget="10 kW".."60 kW":"10 kW"' -o grid.csv
    """
    from aiceiling.errors import Diagnostic, InputError
    from aiceiling.profile.load import load_profile
    from aiceiling.whatif.grid import parse_axis, size
    from aiceiling.whatif.sweep import columns, run

    if format_ not in ("csv", "jsonl"):
        usage("sweep", f"--format must be csv or jsonl, not {format_!r}")
    if workers is not None and workers < 1:
        usage("sweep", f"--workers must be at least 1, not {workers}")
    if (dask or scheduler) and not _has_dask():
        usage("sweep", "--dask and --scheduler need the dask extra: "
                       "pip install 'aiceiling[dask]'")
    if plot is not None:
        if not plot.lower().endswith((".png", ".svg")):
            usage("sweep", f"--plot {plot}: the file must end in .png or .svg")
        if len(vary) < 2:
            usage("sweep", "--plot draws the first two axes: give two --vary")
        if not _has_matplotlib():
            usage("sweep", "--plot needs the plot extra: pip install 'aiceiling[plot]'")
        check_output("sweep", plot)
    check_output("sweep", output)
    on = evaluation_date("sweep", today)
    errors: list[Diagnostic] = []
    axes = []
    for spec in vary:
        try:
            axes.append(parse_axis(spec))
        except InputError as exc:
            errors.extend(exc.diagnostics)
    try:
        loaded = load_profile(profile, list(set_ or []), catalog_of(catalog))
    except InputError as exc:
        errors.extend(exc.diagnostics)
    if errors:
        invalid(errors)
    try:
        rows = run(loaded, tuple(axes), on=on, use_waivers=not no_waivers, workers=workers,
                   dask=dask, scheduler=scheduler)
    except InputError as exc:
        invalid(exc.diagnostics)
    names = columns(tuple(axes))
    total = size(axes)
    show_progress = not quiet and sys.stderr.isatty()
    frontier = _Frontier(axes) if plot else None
    stream: Iterator[tuple[Any, ...]] = rows
    if frontier is not None:
        stream = frontier.watch(stream)
    if show_progress:
        stream = _progress(stream, total)
    try:
        _write(stream, names, format_, output)
    except OSError as exc:
        usage("sweep", f"--output {output}: cannot write: {exc.strerror}")
    if frontier is not None and plot is not None:
        from aiceiling.whatif.plot import draw

        draw(frontier.cells, axes[0], axes[1], plot)
    raise typer.Exit(EXIT_OK)


def _has_dask() -> bool:
    import importlib.util

    return importlib.util.find_spec("dask") is not None and \
        importlib.util.find_spec("distributed") is not None


def _has_matplotlib() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _write(rows: Iterator[tuple[Any, ...]], names: tuple[str, ...], format_: str,
           output: str | None) -> None:
    """Stream rows to stdout, or to a temporary file renamed over FILE once complete."""
    import os
    import tempfile

    if output in (None, "-"):
        _emit(rows, names, format_, sys.stdout)
        sys.stdout.flush()
        return
    assert output is not None
    folder = os.path.dirname(os.path.abspath(output))
    handle, temp = tempfile.mkstemp(prefix=".aiceiling-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            _emit(rows, names, format_, out)
        os.replace(temp, output)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def _emit(rows: Iterator[tuple[Any, ...]], names: tuple[str, ...], format_: str,
          out: IO[str]) -> None:
    if format_ == "csv":
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    else:
        import json

        for row in rows:
            out.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False))
            out.write("\n")


def _progress(rows: Iterator[tuple[Any, ...]], total: int) -> Iterator[tuple[Any, ...]]:
    """Pass rows through, drawing a progress bar on stderr (a terminal) at most 10× a second."""
    start = last = time.monotonic()
    for done, row in enumerate(rows, 1):
        yield row
        now = time.monotonic()
        if now - last >= 0.1 or done == total:
            last = now
            rate = done / max(now - start, 1e-9)
            filled = int(30 * done / max(total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,} "
                             f"{rate:,.0f}/s ")
            sys.stderr.flush()
    sys.stderr.write("\n")


class _Frontier:
    """For the plot: the best outcome per cell of the first two axes (over the other axes)."""

    def __init__(self, axes: list[Any]) -> None:
        self.n = len(axes)
        self.first = {v: i for i, v in enumerate(axes[0].values)}
        self.second = {v: i for i, v in enumerate(axes[1].values)}
        self.cells: dict[tuple[int, int], tuple[str, str]] = {}

    def watch(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        from aiceiling.whatif.plot import better

        for row in rows:
            key = (self.first[row[0]], self.second[row[1]])
            outcome = (row[self.n], row[self.n + 1])
            seen = self.cells.get(key)
            if seen is None or better(outcome[0], seen[0]):
                self.cells[key] = outcome
            yield row
