"""Write a commented starter profile that validates and evaluates as written.

Examples:

\b
  aiceiling init                         # ./profile.yaml, a general assistant
  aiceiling init --industry healthcare radiology.yaml
  aiceiling init --industry finance -    # to stdout
"""

import os
import sys
from typing import Annotated

import typer

from aiceiling.cli.app import EXIT_OK
from aiceiling.cli.whatif_common import check_output, usage


def init(
    path: Annotated[str, typer.Argument(
        metavar="PATH", help="Where to write it ('-' for stdout).")] = "profile.yaml",
    industry: Annotated[str, typer.Option(
        "--industry", metavar="NAME",
        help="healthcare, finance, manufacturing, enterprise-erp, mobile-iot or other.")]
        = "other",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")]
        = False,
) -> None:
    """Write a commented starter profile that validates and evaluates as written.

    Example: aiceiling init --industry healthcare radiology.yaml
    """
    from aiceiling.profile.starter import INDUSTRIES, starter

    if industry not in INDUSTRIES:
        import difflib

        close = difflib.get_close_matches(industry, INDUSTRIES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        usage("init", f"--industry must be one of {', '.join(INDUSTRIES)}, not "
                      f"{industry!r}{hint}")
    if path != "-":
        check_output("init", path)
        if os.path.exists(path) and not force:
            usage("init", f"{path} exists; choose another PATH or give --force")
    text = starter(industry, "profile.yaml" if path == "-" else path)
    from aiceiling.cli.output import write

    try:
        write(text, None if path == "-" else path)
    except OSError as exc:
        usage("init", f"{path}: cannot write: {exc.strerror}")
    if path != "-":
        print(f"wrote {path}: evaluate it with `aiceiling check {path}`", file=sys.stderr)
    raise typer.Exit(EXIT_OK)
