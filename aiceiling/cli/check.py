"""Evaluate one or more profiles against every check; print the verdict table, or JSON,
Markdown, SARIF, JUnit or GitHub annotations (several at once with FORMAT=FILE).

Exit codes: 0 nothing at or above --fail-on (default unknown), 1 some check is (against a
--baseline: a new or worse one), 2 bad invocation or a profile that cannot be evaluated,
3 internal error, 130 interrupted.

Examples:

\b
  aiceiling check profiles/healthcare-radiology.yaml
  aiceiling check design.yaml --set site.power_budget="60 kW" --set deployment.accelerators=16
  aiceiling check profiles/ -f table -f sarif=aiceiling.sarif --fail-on fail
  aiceiling check design.yaml -f json -o report.json --baseline main-report.json
"""

import datetime as dt
import os
import sys
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from aiceiling.cli.app import EXIT_FAILED, EXIT_INVALID, EXIT_OK
from aiceiling.render import Format

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiceiling.api import Report
    from aiceiling.config import Config
    from aiceiling.errors import Diagnostic
    from aiceiling.gate import Run

FORMATS = ", ".join(f.value for f in Format)


def check(
    profiles: Annotated[list[str], typer.Argument(
        metavar="PROFILE",
        help="Profile YAML files; a folder means every *.yaml under it; "
             "- reads standard input.", show_default=False)],
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="PATH=VALUE",
        help="Override a field: PATH=VALUE (YAML, units allowed), repeatable.")] = None,
    format_: Annotated[list[str] | None, typer.Option(
        "--format", "-f", metavar="FORMAT[=FILE]",
        help=f"Output format: {FORMATS}. FORMAT=FILE writes that format to FILE; repeat for "
             "several outputs in one run (e.g. -f table -f sarif=aiceiling.sarif). "
             "Default: table.")] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write the report (the --format without =FILE) to FILE "
             "atomically instead of stdout.")] = None,
    fail_on: Annotated[str | None, typer.Option(
        metavar="fail|unknown|warn|never",
        help="Exit 1 when a check is at this level or above: fail, unknown, warn or never "
             "(levels rank warn < unknown < fail). Default: unknown.",
        show_default=False)] = None,
    warn_at: Annotated[str | None, typer.Option(
        metavar="PERCENT",
        help="A check warns from this share of its limit used, in percent. Default: 80.",
        show_default=False)] = None,
    baseline: Annotated[str | None, typer.Option(
        metavar="REPORT.json",
        help="A previous JSON report: only checks that are new problems or worse than in it "
             "fail the run; each check is marked new, unchanged, worse or resolved.")] = None,
    checks: Annotated[list[str] | None, typer.Option(
        "--check", metavar="ID",
        help="Only this check id or family (repeatable, or comma-separated).")]
        = None,
    skip_checks: Annotated[list[str] | None, typer.Option(
        "--skip-check", metavar="ID",
        help="Leave out this check id or family (repeatable).")] = None,
    catalog: Annotated[list[str] | None, typer.Option(
        "--catalog", metavar="FILE",
        help="Overlay catalog YAML with your own entries, repeatable.")] = None,
    no_waivers: Annotated[bool, typer.Option("--no-waivers",
                                             help="Ignore waivers (audit view).")] = False,
    config: Annotated[str | None, typer.Option(
        metavar="FILE",
        help="Config file (.aiceiling.yaml or pyproject.toml); default: the nearest one from "
             "the working directory up.")] = None,
    no_config: Annotated[bool, typer.Option("--no-config",
                                            help="Use no config file.")] = False,
    today: Annotated[str | None, typer.Option(
        metavar="YYYY-MM-DD",
        help="Evaluate as of this date (YYYY-MM-DD); default AICEILING_TODAY or today.")]
        = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour.")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Print nothing on stdout (files given are still written); "
                              "only the exit code.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Show skipped checks with their reasons.")]
        = False,
) -> None:
    """Evaluate one or more profiles against every check; print the verdict table, or JSON,
Markdown, SARIF, JUnit or GitHub annotations (several at once with FORMAT=FILE).

Exit codes: 0 nothing at or above --fail-on (default unknown), 1 some check is (against a
--baseline: a new or worse one), 2 bad invocation or a profile that cannot be evaluated,
3 internal error, 130 interrupted."""
    from aiceiling import api, gate
    from aiceiling import config as config_file
    from aiceiling.catalog import Catalog
    from aiceiling.errors import InputError

    try:
        settings = _config(config, no_config)
    except InputError as exc:
        _invalid(exc.diagnostics)
    fail_level = fail_on or settings.fail_on or gate.DEFAULT_FAIL_ON
    if fail_level not in gate.FAIL_ON:
        _usage(f"--fail-on must be one of {', '.join(gate.FAIL_ON)}, not {fail_level!r}")
    share = settings.warn_at or gate.Run().warn_at
    if warn_at is not None:
        try:
            share = config_file.warn_share(warn_at)
        except ValueError as exc:
            _usage(f"--warn-at {exc}")
    outputs = _outputs(list(format_ or settings.formats or ("table",)), output)
    on: dt.date | None = None
    if today:
        try:
            on = dt.date.fromisoformat(today)
        except ValueError:
            _usage(f"--today must be a date YYYY-MM-DD, not {today!r}")
    include = _names(checks) if checks else settings.checks or ()
    exclude = _names(skip_checks) if skip_checks else settings.skip_checks or ()
    ids = [spec.id for spec in api.registry()]
    problems = gate.unknown_selectors(include, ids, "--check" if checks else
                                      f"{settings.path}: checks") + \
        gate.unknown_selectors(exclude, ids, "--skip-check" if skip_checks else
                               f"{settings.path}: skip_checks")
    if problems:
        _usage(*problems)
    paths, errors = _expand(profiles)
    run = gate.Run(fail_on=fail_level, warn_at=share, baseline=baseline,
                   config=settings.path, checks=tuple(include), skip_checks=tuple(exclude),
                   waivers=not no_waivers, today=on or api.today())
    previous = None
    if baseline is not None:
        try:
            previous = gate.load_baseline(baseline)
        except InputError as exc:
            _invalid(exc.diagnostics)
    shared = Catalog(tuple(catalog if catalog is not None else settings.catalogs or ()))
    progress = _progress(len(paths), quiet)
    reports, failures = gate.check(paths, run, overrides=set_ or (), catalog=shared,
                                   baseline=previous, progress=progress)
    errors += failures
    progress(len(paths), "")
    for diagnostic in errors:
        print(diagnostic, file=sys.stderr)
    for format_name, target in outputs:
        if target is None and quiet:
            continue
        if format_name is Format.table and not reports:
            continue  # the diagnostics on stderr are the whole story
        text = _render(format_name, reports, errors, run, color=target is None and
                       _color(no_color), verbose=verbose)
        try:
            from aiceiling.cli.output import write

            write(text, target)
        except OSError as exc:
            _usage(f"--output {target}: cannot write: {exc.strerror}")
    if errors:
        raise typer.Exit(EXIT_INVALID)
    failed = any(gate.failing(report, run) for report in reports)
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def _config(path: str | None, disabled: bool) -> "Config":
    from aiceiling import config

    if disabled:
        return config.Config()
    if path is None:
        path = config.find(os.getcwd())
        if path is None:
            return config.Config()
    elif not os.path.isfile(path):
        _usage(f"--config {path}: no such file")
    return config.load(path)


def _names(values: list[str]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def _outputs(specs: list[str], output: str | None) -> list[tuple[Format, str | None]]:
    """(format, file or None for stdout) for each --format; --output takes the format given
    without a file."""
    outputs: list[tuple[Format, str | None]] = []
    for spec in specs:
        name, eq, target = spec.partition("=")
        try:
            kind = Format(name.strip())
        except ValueError:
            _usage(f"--format {spec}: unknown format {name!r}; choose one of {FORMATS}, "
                   "optionally as FORMAT=FILE")
        if eq and not target:
            _usage(f"--format {spec}: give a file after '='")
        outputs.append((kind, target if target and target != "-" else None))
    bare = [i for i, (_, target) in enumerate(outputs) if target is None]
    if len(bare) > 1:
        _usage("only one --format can go to stdout (or --output); write the others to files: "
               "--format sarif=aiceiling.sarif")
    if bare and output not in (None, "-"):
        outputs[bare[0]] = (outputs[bare[0]][0], output)
    elif output not in (None, "-"):
        _usage("--output names the file of the --format given without =FILE; every format "
               "here has its file")
    targets = [os.path.abspath(t) for _, t in outputs if t is not None]
    if len(set(targets)) < len(targets):
        _usage("two outputs write the same file")
    for _, file in outputs:
        if file is None:
            continue
        folder = os.path.dirname(os.path.abspath(file))
        if not os.path.isdir(folder):
            _usage(f"--output {file}: no such directory {folder!r}")
        if os.path.isdir(file):
            _usage(f"--output {file}: is a directory")
    return outputs


def _expand(profiles: list[str]) -> tuple[list[str], list["Diagnostic"]]:
    """Profile paths: folders expanded to every *.yaml under them (hidden ones left out),
    sorted; each file once, however often it is named; ``-`` (standard input) at most
    once."""
    from pathlib import Path

    from aiceiling.errors import Diagnostic

    paths: list[str] = []
    errors: list[Diagnostic] = []
    if profiles.count("-") > 1:
        _usage("standard input (-) can be read only once")
    seen: set[str] = set()
    for profile in profiles:
        if profile != "-" and os.path.isdir(profile):
            found = sorted(str(p) for p in Path(profile).rglob("*.yaml")
                           if p.is_file() and not any(part.startswith(".") for part in
                                                      p.relative_to(profile).parts))
            if not found:
                errors.append(Diagnostic(profile, None, None, "",
                                         "folder holds no *.yaml profile"))
        else:
            found = [profile]
        for path in found:
            key = path if path == "-" else os.path.realpath(path)
            if key not in seen:
                seen.add(key)
                paths.append(path)
    return paths, errors


def _progress(total: int, quiet: bool) -> "Callable[[int, str], None]":
    """Progress on stderr while several profiles are evaluated, only on a terminal: one
    line, rewritten in place and cleared at the end."""
    if quiet or total < 2 or not sys.stderr.isatty():
        return lambda index, path: None
    from aiceiling.errors import printable

    def show(index: int, path: str) -> None:
        text = printable(f"checking {index + 1}/{total} {path}", newlines=False)[:79] \
            if index < total else ""
        sys.stderr.write(f"\r{text:<79}\r" if text else f"\r{'':<79}\r")
        sys.stderr.flush()

    return show


def _color(no_color: bool) -> bool:
    from aiceiling.cli.output import use_color

    return use_color(no_color, False)


def _render(kind: Format, reports: list["Report"], errors: list["Diagnostic"], run: "Run",
            *, color: bool, verbose: bool) -> str:
    if kind is Format.table:
        from aiceiling.render import table

        footer = tuple(f"{label}: {value}" for label, value in
                       (("config", run.config), ("baseline", run.baseline)) if value)
        return table.render(reports, color=color, verbose=verbose, footer=footer)
    import importlib

    module = "json_report" if kind is Format.json else kind.value
    render: Callable[[list[Report], list[Diagnostic], Run], str] = \
        importlib.import_module(f"aiceiling.render.{module}").render
    return render(reports, errors, run)


def _invalid(diagnostics: list["Diagnostic"]) -> NoReturn:
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
    raise typer.Exit(EXIT_INVALID)


def _usage(*messages: str) -> NoReturn:
    for message in messages:
        print(f"aiceiling check: {message}", file=sys.stderr)
    raise typer.Exit(EXIT_INVALID)
