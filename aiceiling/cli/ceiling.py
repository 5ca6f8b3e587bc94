"""Find how far one numeric input can go before the design fails, and what binds there.

Searches the real evaluation: the largest (--direction up) or smallest (--direction down)
value of the field that keeps the design from infeasible (--strict: from at-risk too), the
check that binds there and the next two after it.

Examples:

\b
  aiceiling ceiling profiles/erp-copilot.yaml --axis workload.traffic.requests_per_s \\
      --ignore governance.controls

\b
  aiceiling ceiling design.yaml --axis deployment.accelerators --direction down --format json
"""

from typing import Annotated

import typer

from aiceiling.cli.app import EXIT_FAILED, EXIT_OK
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


def ceiling(
    profile: Annotated[str, typer.Argument(metavar="PROFILE", help="Profile YAML file.",
                                           show_default=False)],
    axis: Annotated[str, typer.Option(
        "--axis", metavar="PATH",
        help="The numeric field to move, e.g. workload.traffic.requests_per_s.",
        show_default=False)],
    direction: Annotated[str, typer.Option(
        "--direction", metavar="up|down",
        help="up: the largest value that works; down: the smallest.")] = "up",
    strict: Annotated[bool, typer.Option(
        "--strict", help="Keep the design from at-risk too, not only from infeasible.")]
        = False,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", metavar="CHECK_ID",
        help="Set a check aside (one no number can fix, e.g. data.boundary), repeatable.")]
        = None,
    set_: SetOption = None,
    format_: Annotated[str, typer.Option("--format", "-f", metavar="text|json",
                                         help="Output format.")] = "text",
    output: OutputOption = None,
    catalog: CatalogOption = None,
    no_waivers: NoWaiversOption = False,
    today: TodayOption = None,
) -> None:
    """Find how far one numeric input can go before the design fails, and what binds there.

    Example: aiceiling ceiling design.yaml --axis workload.traffic.requests_per_s
    """
    from aiceiling.errors import InputError
    from aiceiling.evaluation import registry
    from aiceiling.profile.load import load_profile
    from aiceiling.whatif.ceiling import ceiling as search

    if format_ not in ("text", "json"):
        usage("ceiling", f"--format must be text or json, not {format_!r}")
    if direction not in ("up", "down"):
        usage("ceiling", f"--direction must be up or down, not {direction!r}")
    check_output("ceiling", output)
    on = evaluation_date("ceiling", today)
    try:
        loaded = load_profile(profile, list(set_ or []), catalog_of(catalog))
        known = {spec.id for spec in registry()}
        unknown = [c for c in ignore or [] if c not in known]
        if unknown:
            usage("ceiling", f"--ignore: no check {', '.join(unknown)}")
        answer = search(loaded, axis, direction=direction, strict=strict, on=on,
                        use_waivers=not no_waivers, ignore=tuple(ignore or ()))
    except InputError as exc:
        invalid(exc.diagnostics)
    if format_ == "json":
        import json

        text = json.dumps(answer.as_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = answer.sentence() + "\n"
    from aiceiling.cli.output import write

    try:
        write(text, output)
    except OSError as exc:
        usage("ceiling", f"--output {output}: cannot write: {exc.strerror}")
    raise typer.Exit(EXIT_OK if answer.value is not None else EXIT_FAILED)

