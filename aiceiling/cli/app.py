"""The ``aiceiling`` command: the Typer app and the mapping of failures to exit codes.

Exit codes (SPEC §2): 0 ran clean, 1 a check at or above --fail-on, 2 bad invocation or
invalid profile, 3 internal error, 130 interrupted.
"""

import os
import sys
from typing import Annotated

import typer

from aiceiling import __version__
from aiceiling.errors import InputError

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

def _plain_argument_help() -> None:
    """Typer 0.2x prints an argument's Python type beside its name in help
    (``PROFILE <list[str]>``); the name and help text already say what to give, so the type
    is left out. Older Typer has no such column and is left as it is."""
    argument = getattr(getattr(typer, "core", None), "TyperArgument", None)
    if argument is not None and hasattr(argument, "display_type_rich"):
        argument.display_type_rich = lambda self, ctx: None


_plain_argument_help()

app = typer.Typer(
    name="aiceiling",
    help="Deployment-feasibility calculator for AI workloads: what a design needs, held "
         "against every limit, and the ceiling it hits first.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"aiceiling {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Deployment-feasibility calculator for AI workloads."""


def _register() -> None:
    import aiceiling.cli.init as init_cmd
    from aiceiling.cli import catalog_cmd, check, explain, schema
    from aiceiling.cli import ceiling as ceiling_cmd
    from aiceiling.cli import compare as compare_cmd
    from aiceiling.cli import sweep as sweep_cmd

    app.command("check", help=check.__doc__)(check.check)
    app.command("compare", help=compare_cmd.__doc__)(compare_cmd.compare)
    app.command("sweep", help=sweep_cmd.__doc__)(sweep_cmd.sweep)
    app.command("ceiling", help=ceiling_cmd.__doc__)(ceiling_cmd.ceiling)
    app.command("explain", help=explain.__doc__)(explain.explain)
    app.command("init", help=init_cmd.__doc__)(init_cmd.init)
    app.command("catalog", help=catalog_cmd.__doc__)(catalog_cmd.catalog)
    app.command("schema", help=schema.__doc__)(schema.schema)


def main() -> None:
    """Entry point: run the app; turn stray exceptions into exit 3 with a bug-report hint."""
    _register()
    try:
        code = app(standalone_mode=False)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except typer.Abort:
        sys.exit(EXIT_INTERRUPTED)
    except InputError as exc:
        # Input found wrong outside a profile (a --catalog overlay): exit 2, never a trace.
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        sys.exit(EXIT_INVALID)
    except Exception as exc:
        # Usage errors of the CLI toolkit (click, or the copy typer vendors) show themselves.
        show = getattr(exc, "show", None)
        if callable(show) and isinstance(getattr(exc, "exit_code", None), int):
            show()
            sys.exit(EXIT_INVALID)
        if os.environ.get("AICEILING_DEBUG"):
            raise
        print(f"aiceiling: internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in aiceiling. Please report it with the profile and the command "
              "(set AICEILING_DEBUG=1 for the traceback).", file=sys.stderr)
        sys.exit(EXIT_INTERNAL)
    if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into exit code 130 by itself
        print("interrupted", file=sys.stderr)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
