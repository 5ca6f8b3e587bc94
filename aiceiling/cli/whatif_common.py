"""What the what-if commands (compare, sweep, ceiling) share: options, loading, errors."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from aiceiling.cli.app import EXIT_INVALID

if TYPE_CHECKING:
    from aiceiling.catalog import Catalog
    from aiceiling.errors import Diagnostic

SetOption = Annotated[list[str] | None, typer.Option(
    "--set", metavar="PATH=VALUE",
    help="Override a field (YAML value, units allowed), repeatable: "
         "--set site.power_budget=\"60 kW\".")]
CatalogOption = Annotated[list[str] | None, typer.Option(
    "--catalog", metavar="FILE", help="Overlay catalog YAML with your own entries, repeatable.")]
TodayOption = Annotated[str | None, typer.Option(
    "--today", metavar="YYYY-MM-DD",
    help="Evaluate as of this date; default AICEILING_TODAY or today.")]
NoWaiversOption = Annotated[bool, typer.Option("--no-waivers",
                                               help="Ignore waivers (audit view).")]
OutputOption = Annotated[str | None, typer.Option(
    "--output", "-o", metavar="FILE", help="Write to FILE atomically instead of stdout.")]


def usage(command: str, message: str) -> NoReturn:
    """A bad invocation: the message on stderr, exit 2."""
    print(f"aiceiling {command}: {message}", file=sys.stderr)
    raise typer.Exit(EXIT_INVALID)


def invalid(diagnostics: list[Diagnostic]) -> NoReturn:
    """Invalid input: every diagnostic on stderr, exit 2."""
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
    raise typer.Exit(EXIT_INVALID)


def evaluation_date(command: str, today: str | None) -> dt.date:
    from aiceiling.evaluation import today as default_today

    if not today:
        try:
            return default_today()
        except ValueError:
            usage(command, "AICEILING_TODAY must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(today)
    except ValueError:
        usage(command, f"--today must be a date YYYY-MM-DD, not {today!r}")


def catalog_of(paths: list[str] | None) -> Catalog:
    from aiceiling.catalog import Catalog

    return Catalog(tuple(paths or ()))


def check_output(command: str, output: str | None) -> None:
    """Refuse an --output whose folder does not exist before any work is done."""
    if output in (None, "-"):
        return
    assert output is not None
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        usage(command, f"--output {output}: no such directory {folder!r}")
    if os.path.isdir(output):
        usage(command, f"--output {output}: is a directory")
