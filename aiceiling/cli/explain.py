"""Show the derivation of every figure: formula, inputs with units, constants and sources.

Each source is cited once, numbered; with a CHECK_ID, only that check's figures and the
defaults they used.

Examples:

\b
  aiceiling explain design.yaml
  aiceiling explain design.yaml energy.power_budget --set site.pue=1.3
"""

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
    profile: Annotated[str, typer.Argument(metavar="PROFILE", help="Profile YAML file.",
                                           show_default=False)],
    check_id: Annotated[str | None, typer.Argument(
        metavar="CHECK_ID", help="One check, e.g. energy.power_budget; all when omitted.")]
        = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="PATH=VALUE",
        help="Override a field (YAML value, units allowed), repeatable.")] = None,
    catalog: Annotated[list[str] | None, typer.Option(
        "--catalog", metavar="FILE",
        help="Overlay catalog YAML with your own entries, repeatable.")] = None,
    today: Annotated[str | None, typer.Option(metavar="YYYY-MM-DD",
                                              help="Evaluate as of this date.")] = None,
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
    shared = Catalog(tuple(catalog or ()))
    try:
        report = api.check_file(profile, list(set_ or []), shared, on=on)
        loaded = api.load_profile(profile, list(set_ or []), shared)
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
    from aiceiling.whatif.sensitivity import defaults_used

    keys, checks = shown_figures(report, check_id)
    used = defaults_used(loaded, report, keys, checks, on=on)
    sys.stdout.write(render(report, check_id, used))


def shown_figures(report: "object", check_id: str | None) -> tuple[list[str], list[str]]:
    """The estimates and checks ``explain`` shows for ``check_id`` (all when None)."""
    from aiceiling.api import Report

    assert isinstance(report, Report)
    est = report.estimates
    keys = [k for k in est.values] if check_id is None else \
        [k for k in USES.get(check_id, ()) if k in est.values]
    return keys, [r.id for r in report.results if check_id in (None, r.id)]


class _References:
    """Each source numbered once; a figure lists the numbers of the sources it used."""

    def __init__(self) -> None:
        self.sources: dict[str, list[str]] = {}   # source → its distinct details

    def cite(self, references: "tuple[str, ...] | list[str]") -> str:
        numbers = []
        for ref in references:
            source, sep, detail = ref.partition("; as of ")
            details = self.sources.setdefault(source, [])
            if sep and f"as of {detail}" not in details:
                details.append(f"as of {detail}")
            number = list(self.sources).index(source) + 1
            if number not in numbers:
                numbers.append(number)
        return " ".join(f"[{n}]" for n in numbers)

    def lines(self) -> list[str]:
        out = []
        for number, (source, details) in enumerate(self.sources.items(), 1):
            out.append(f"  [{number}] {source}")
            out.extend(f"      {detail}" for detail in details)
        return out


def render(report: "object", check_id: str | None,
           used: "dict[str, list[str]] | None" = None) -> str:
    """The derivation text: checks, figures, plan, unknowns, the defaults the shown figures
    used (all when ``used`` is None) and each reference once, numbered."""
    from aiceiling.api import Report
    from aiceiling.render import number

    assert isinstance(report, Report)
    est = report.estimates
    refs = _References()
    lines = [f"{report.name}  {report.file}  {report.verdict.upper()}", ""]
    checks = [r for r in report.results if check_id in (None, r.id)]
    keys, _ = shown_figures(report, check_id)
    for result in checks:
        def shown(value: object) -> str:
            return number(value) if isinstance(value, float) else str(value)

        figures = f" — {shown(result.value)} / {shown(result.limit)} {result.unit}".rstrip() \
            if result.value is not None else ""
        lines.append(f"{result.id}: {result.status}{figures}")
        lines.append(f"    {result.message}")
        if result.references:
            lines.append(f"    refs: {refs.cite(result.references)}")
    lines.append("")
    for key in keys:
        e = est.values[key]
        lines.append(f"{key} = {number(e.value)} {e.unit}")
        lines.append(f"    formula: {e.formula}")
        lines.extend(f"    {name}: {value}" for name, value in e.inputs)
        if used is not None:
            defaults = [field for field, figures in used.items() if key in figures]
            if defaults:
                lines.append(f"    defaults: {', '.join(defaults)}")
        if e.references:
            lines.append(f"    refs: {refs.cite(e.references)}")
    plan = report.plan
    if check_id is None and plan is not None:
        lines.append("")
        lines.append(f"augmentation paths ({plan.evaluated} re-evaluated):")
        for aug in plan.augmentations:
            lines.append(f"  {aug.path}: {aug.summary}")
            lines.extend(f"    change: {c.field}: {c.before!r} → {c.after!r}"
                         for c in aug.changes)
            eased = f" (eases {', '.join(aug.eased)} to warn)" if aug.eased else ""
            lines.append(f"    flips: {', '.join(aug.flips) or 'none'}{eased}; new problems: "
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
    assumed = [a for a in est.assumptions if used is None or used.get(a.field)]
    if assumed:
        lines.append("")
        lines.extend(f"default: {a.field} = {a.value}  ({a.source})" for a in assumed)
    if refs.sources:
        lines.append("")
        lines.append("references:")
        lines.extend(refs.lines())
    return "\n".join(lines) + "\n"
