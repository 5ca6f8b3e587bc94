"""Evaluate one or more profiles against every check; print the verdict table or JSON."""

import datetime as dt
import sys
from typing import Annotated

import typer

from aiceiling.cli.app import EXIT_FAILED, EXIT_INVALID, EXIT_OK
from aiceiling.render import Format

_LEVELS = {"fail": ("fail",), "warn": ("fail", "warn"), "never": ()}


def check(
    profiles: Annotated[list[str], typer.Argument(help="Profile YAML files.",
                                                  show_default=False)],
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a field: PATH=VALUE (YAML, units allowed), repeatable.")] = None,
    format_: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] =
        Format.table,
    output: Annotated[str | None, typer.Option("--output", "-o",
                                               help="Write the report to FILE atomically.")]
        = None,
    fail_on: Annotated[str, typer.Option(help="Exit 1 when a check is at this level: "
                                              "fail, warn or never.")] = "fail",
    catalog: Annotated[list[str] | None, typer.Option(
        "--catalog", help="Overlay catalog YAML with your own entries, repeatable.")] = None,
    no_waivers: Annotated[bool, typer.Option("--no-waivers",
                                             help="Ignore waivers (audit view).")] = False,
    today: Annotated[str | None, typer.Option(
        help="Evaluate as of this date (YYYY-MM-DD); default AICEILING_TODAY or today.")]
        = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="Print nothing; only the exit code.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Show skipped checks with their reasons.")]
        = False,
) -> None:
    """Evaluate one or more profiles against every check; print the verdict table or JSON."""
    from aiceiling import api
    from aiceiling.catalog import Catalog
    from aiceiling.cli.output import use_color, write
    from aiceiling.errors import Diagnostic, InputError

    if fail_on not in _LEVELS:
        _usage(f"--fail-on must be fail, warn or never, not {fail_on!r}")
    if output not in (None, "-"):
        import os

        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder) or os.path.isdir(output):
            _usage(f"--output {output}: no such directory {folder!r}" if not
                   os.path.isdir(folder) else f"--output {output}: is a directory")
    on: dt.date | None = None
    if today:
        try:
            on = dt.date.fromisoformat(today)
        except ValueError:
            _usage(f"--today must be a date YYYY-MM-DD, not {today!r}")
    shared = Catalog(tuple(catalog or ()))
    reports = []
    errors: list[Diagnostic] = []
    for path in profiles:
        try:
            reports.append(api.check_file(path, list(set_ or []), shared, on=on,
                                          use_waivers=not no_waivers))
        except InputError as exc:
            errors.extend(exc.diagnostics)
    for diagnostic in errors:
        print(diagnostic, file=sys.stderr)
    if not quiet and (reports or format_ is Format.json):
        if format_ is Format.json:
            from aiceiling.render import json_report

            text = json_report.render(reports, errors)
        else:
            from aiceiling.render import table

            text = table.render(reports, color=use_color(no_color, output is not None),
                                verbose=verbose)
        try:
            write(text, output)
        except OSError as exc:
            _usage(f"--output {output}: cannot write: {exc.strerror}")
    if errors:
        raise typer.Exit(EXIT_INVALID)
    levels = _LEVELS[fail_on]
    failed = any(r.status in levels for report in reports for r in report.results)
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def _usage(message: str) -> None:
    print(f"aiceiling check: {message}", file=sys.stderr)
    raise typer.Exit(EXIT_INVALID)
