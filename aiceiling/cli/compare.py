"""Compare designs side by side: one column per profile or variant, differences marked.

Examples:

\b
  aiceiling compare profiles/healthcare-radiology.yaml profiles/erp-copilot.yaml

\b
  aiceiling compare profiles/erp-copilot.yaml \\
      --variant "8 GPUs: deployment.accelerators=8" \\
      --variant "32 GPUs: deployment.accelerators=32, site.power_budget=200 kW"
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

_LEVELS = {"fail": ("fail",), "warn": ("fail", "warn"), "never": ()}


def compare(
    profiles: Annotated[list[str], typer.Argument(
        metavar="PROFILE", help="Profile YAML files: one column each.", show_default=False)],
    variant: Annotated[list[str] | None, typer.Option(
        "--variant", metavar="'LABEL: PATH=VALUE, PATH=VALUE'",
        help="A column of the (single) profile with these overrides, repeatable; the label "
             "is optional.")] = None,
    set_: SetOption = None,
    format_: Annotated[str, typer.Option("--format", "-f", metavar="table|json",
                                         help="Output format.")] = "table",
    output: OutputOption = None,
    fail_on: Annotated[str, typer.Option(
        metavar="fail|warn|never",
        help="Exit 1 when a check of any design is at this level.")] = "fail",
    catalog: CatalogOption = None,
    no_waivers: NoWaiversOption = False,
    today: TodayOption = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour.")] = False,
) -> None:
    """Compare designs side by side: one column per profile or variant, differences marked.

    Example: aiceiling compare design.yaml --variant "8 GPUs: deployment.accelerators=8"
    """
    from aiceiling.errors import Diagnostic, InputError
    from aiceiling.evaluation import evaluate
    from aiceiling.profile.load import load_profile
    from aiceiling.whatif.compare import compare as lay_out
    from aiceiling.whatif.compare import parse_variant, unique_labels

    if format_ not in ("table", "json"):
        usage("compare", f"--format must be table or json, not {format_!r}")
    if fail_on not in _LEVELS:
        usage("compare", f"--fail-on must be fail, warn or never, not {fail_on!r}")
    variants = []
    errors: list[Diagnostic] = []
    for text in variant or []:
        try:
            variants.append(parse_variant(text))
        except InputError as exc:
            errors.extend(exc.diagnostics)
    if errors:
        invalid(errors)
    if variants and len(profiles) != 1:
        usage("compare", "--variant compares variants of one profile; give exactly one PROFILE")
    if not variants and len(profiles) < 2:
        usage("compare", "give two or more profiles, or one profile and --variant groups")
    check_output("compare", output)
    on = evaluation_date("compare", today)
    shared = catalog_of(catalog)
    common = list(set_ or [])
    reports = []
    labels: list[str] = []
    for path in profiles:
        try:
            reports.append(evaluate(load_profile(path, common, shared), on=on,
                                    use_waivers=not no_waivers))
        except InputError as exc:
            errors.extend(exc.diagnostics)
    labels = unique_labels([r.name for r in reports], [r.file for r in reports])
    if variants and reports:
        labels = ["base"]
        for v in variants:
            try:
                loaded = load_profile(profiles[0], [*common, *v.overrides], shared)
            except InputError as exc:
                errors.extend(d._replace(file=f"--variant {v.label}: {d.file}")
                              if d.file.startswith("--set") else d for d in exc.diagnostics)
                continue
            reports.append(evaluate(loaded, on=on, use_waivers=not no_waivers))
            labels.append(v.label)
    if errors:
        invalid(errors)
    comparison = lay_out(labels, reports)
    if format_ == "json":
        import json

        text = json.dumps(comparison.as_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        from aiceiling.cli.output import use_color
        from aiceiling.render.compare import render

        text = render(comparison, color=use_color(no_color, output not in (None, "-")))
    from aiceiling.cli.output import write

    try:
        write(text, output)
    except OSError as exc:
        usage("compare", f"--output {output}: cannot write: {exc.strerror}")
    levels = _LEVELS[fail_on]
    failed = any(r.status in levels for report in reports for r in report.results)
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)
