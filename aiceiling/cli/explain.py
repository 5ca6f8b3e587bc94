"""Show the derivation of every figure: formula, inputs with units, constants and sources."""

import sys
from typing import Annotated

import typer

from aiceiling.cli.app import EXIT_INVALID

# The estimates each check is computed from.
USES = {
    "compute.memory_fit": ("weights_gb", "kv_cache_gb", "memory_required_gb",
                           "memory_available_gb"),
    "compute.throughput": ("tokens_per_s", "max_tokens_per_s", "max_requests_per_s"),
    "compute.ttft": ("prefill_ms", "network_rtt_ms", "ttft_ms"),
    "compute.tpot": ("tpot_ms",),
    "compute.latency_e2e": ("network_rtt_ms", "ttft_ms", "tpot_ms", "inference_ms",
                            "latency_e2e_ms"),
    "compute.training_time": ("training_flops", "training_days"),
    "energy.power_budget": ("installed_it_power_kw", "facility_power_kw", "accelerator_power_kw",
                            "it_power_kw", "average_it_power_kw"),
    "energy.battery_life": ("accelerator_power_kw", "device_runtime_h"),
    "energy.carbon_budget": ("average_it_power_kw", "annual_energy_mwh", "annual_co2_t"),
    "energy.cost_budget": ("average_it_power_kw", "annual_energy_mwh", "monthly_cost"),
    "physical.rack_density": ("rack_kw",),
    "physical.rack_space": ("racks_needed",),
    "physical.grid_capacity": ("installed_it_power_kw", "facility_power_kw",
                               "average_it_power_kw"),
    "physical.water": ("annual_energy_mwh", "annual_water_m3"),
    "governance.determinism": ("latency_e2e_ms", "network_rtt_ms"),
}


def explain(
    profile: Annotated[str, typer.Argument(help="Profile YAML file.", show_default=False)],
    check_id: Annotated[str | None, typer.Argument(
        metavar="[CHECK_ID]", help="One check, e.g. energy.power_budget; all when omitted.")]
        = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a field: PATH=VALUE (YAML, units allowed), repeatable.")] = None,
    catalog: Annotated[list[str] | None, typer.Option(
        "--catalog", help="Overlay catalog YAML with your own entries, repeatable.")] = None,
    today: Annotated[str | None, typer.Option(help="Evaluate as of this date (YYYY-MM-DD).")]
        = None,
) -> None:
    """Show the derivation of every figure: formula, inputs with units, constants and sources."""
    import datetime as dt

    from aiceiling import api
    from aiceiling.catalog import Catalog
    from aiceiling.errors import InputError

    try:
        on = dt.date.fromisoformat(today) if today else None
    except ValueError:
        print(f"aiceiling explain: --today must be a date YYYY-MM-DD, not {today!r}",
              file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
    try:
        report = api.check_file(profile, list(set_ or []), Catalog(tuple(catalog or ())),
                                on=on)
    except InputError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
    results = {r.id: r for r in report.results}
    if check_id is not None and check_id not in results:
        import difflib

        close = difflib.get_close_matches(check_id, list(results), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        print(f"aiceiling explain: no check {check_id!r}{hint}", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID)
    sys.stdout.write(render(report, check_id))


def render(report: "object", check_id: str | None) -> str:
    from aiceiling.api import Report
    from aiceiling.render import number

    assert isinstance(report, Report)
    est = report.estimates
    lines = [f"{report.name}  {report.file}  {report.verdict.upper()}", ""]
    checks = [r for r in report.results if check_id in (None, r.id)]
    keys = [k for k in est.values] if check_id is None else \
        [k for k in USES.get(check_id, ()) if k in est.values]
    for result in checks:
        def shown(value: object) -> str:
            return number(value) if isinstance(value, float) else str(value)

        figures = f" — {shown(result.value)} / {shown(result.limit)} {result.unit}".rstrip() \
            if result.value is not None else ""
        lines.append(f"{result.id}: {result.status}{figures}")
        lines.append(f"    {result.message}")
        lines.extend(f"    ref: {ref}" for ref in result.references)
    lines.append("")
    for key in keys:
        e = est.values[key]
        lines.append(f"{key} = {number(e.value)} {e.unit}")
        lines.append(f"    formula: {e.formula}")
        lines.extend(f"    {name}: {value}" for name, value in e.inputs)
        lines.extend(f"    ref: {ref}" for ref in dict.fromkeys(e.references))
    plan = report.plan
    if check_id is None and plan is not None:
        lines.append("")
        lines.append(f"augmentation paths ({plan.evaluated} re-evaluated):")
        for aug in plan.augmentations:
            lines.append(f"  {aug.path}: {aug.summary}")
            lines.extend(f"    change: {c.field}: {c.before!r} → {c.after!r}"
                         for c in aug.changes)
            lines.append(f"    flips: {', '.join(aug.flips) or 'none'}; new problems: "
                         f"{', '.join(aug.regressions) or 'none'}")
            lines.append(f"    verdict after: {aug.verdict_after}; binding after: "
                         f"{aug.binding_after}")
            lines.extend(f"    trade-off: {t}" for t in aug.tradeoffs)
        if plan.blocked_by:
            lines.append(f"  no verified path gets under the ceiling: {plan.blocked_by} "
                         "blocks all of them")
    if check_id is None and est.unknown:
        lines.append("")
        lines.extend(f"unknown: {k}: {why}" for k, why in sorted(est.unknown.items()))
    if est.assumptions:
        lines.append("")
        lines.extend(f"default: {a.field} = {a.value}  ({a.source})" for a in est.assumptions)
    return "\n".join(lines) + "\n"
