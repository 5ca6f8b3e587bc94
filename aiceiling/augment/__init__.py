"""The planner: apply each augmentation path (and promising pairs) to a copy of the profile,
re-evaluate every check, and rank what gets the design under its ceiling."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NamedTuple

from aiceiling.augment import compute, infra
from aiceiling.augment.paths import PATHS as _BASE
from aiceiling.augment.paths import PRIOR, Candidate, Change, Path, Situation, changed

if TYPE_CHECKING:
    from aiceiling.evaluation import Report
    from aiceiling.profile.load import LoadedProfile

# Every path, in the order proposed (the order breaks ties in the ranking).
PATHS: tuple[Path, ...] = (*_BASE[:6], compute.scale_out, compute.sparsify, compute.power_cap,
                           infra.phase, infra.onsite_generation, infra.flexible_load,
                           infra.lead_time, infra.water, infra.more_racks, infra.denser_systems,
                           *_BASE[6:],
                           infra.relocate, compute.neuromorphic)

# Verdicts from best to worst (SPEC §4): a path never ranks above one with a better verdict.
_RANK = {"feasible": 0, "at-risk": 1, "undetermined": 2, "infeasible": 3}
SHOWN = 5
UNVERIFIED_SHOWN = 2
PAIRS_FROM = 4      # verified single paths that are combined with a partner
PARTNERS = 3        # partners tried for each
_CRITICAL = {"peak", "bandwidth", "memory", "power", "model", "flops", "tokens"}
# Estimates whose change a path costs: (key, unit, what).
_COSTS = (("monthly_cost", "", "monthly cost"), ("facility_power_kw", "kW", "facility power"),
          ("annual_water_m3", "m3/year", "water"), ("annual_co2_t", "t CO2/year", "emissions"))


class Augmentation(NamedTuple):
    path: str
    summary: str
    changes: tuple[Change, ...]
    flips: tuple[str, ...]          # failing or warning checks that no longer are
    regressions: tuple[str, ...]    # checks that fail or warn only after the change
    verdict_after: str
    tradeoffs: tuple[str, ...]
    complexity: int
    binding_after: str | None
    eased: tuple[str, ...] = ()     # failing checks that only warn after the change


class Plan(NamedTuple):
    augmentations: tuple[Augmentation, ...]
    evaluated: int
    blocked_by: str | None          # when nothing gets under: the check that blocks all


def _problems(report: Report) -> dict[str, str]:
    """Checks that fail, warn, or cannot be evaluated although their limit is set."""
    return {r.id: r.status for r in report.results if r.status in ("fail", "warn", "unknown")}


def _score(aug: Augmentation, before: dict[str, str], prior: tuple[str, ...],
           order: int) -> tuple[Any, ...]:
    """Verdict after first (an unverified path's verdict is undetermined), then failures
    fixed, regressions, the seeds' prior for the industry, operational complexity, size of
    the change, the order proposed."""
    fails_fixed = sum(1 for c in (*aug.flips, *aug.eased) if before.get(c) == "fail")
    rank = next((i for i, prefix in enumerate(prior) if aug.path.startswith(prefix)),
                len(prior))
    return (_RANK.get(aug.verdict_after, len(_RANK)), -fails_fixed, len(aug.regressions),
            -len(aug.flips), rank, aug.complexity, len(aug.changes), order)


def _unverified(aug: Augmentation) -> bool:
    return any(r.startswith("unverified") for r in aug.regressions)


def _costs(before: Report, after: Report) -> tuple[str, ...]:
    """What a path costs or saves in the figures both evaluations have: money, power,
    water, emissions."""
    from aiceiling.render import number

    out = []
    for key, unit, what in _COSTS:
        a = before.estimates.values.get(key)
        b = after.estimates.values.get(key)
        if a is None or b is None or a.value == b.value:
            continue
        change = b.value - a.value
        unit_text = unit or a.unit
        out.append(f"{what} {'+' if change > 0 else '−'}{number(abs(change))} {unit_text} "
                   f"({number(a.value)} → {number(b.value)})")
    return tuple(out)


def _cannot_serve(before: Report, after: Report) -> bool:
    """A path that cannot serve the profile: the request no longer fits the model's context
    window, or the model no longer does the workload's kind of work (modality)."""
    was = {r.id: r.status for r in before.results}
    for r in after.results:
        if r.id == "compute.context_window" and r.status == "fail" and \
                was.get(r.id) != "fail":
            return True
    return "model" in after.estimates.unknown and "model" not in before.estimates.unknown


def plan(loaded: LoadedProfile, report: Report, *, on: dt.date,
         use_waivers: bool = True) -> Plan:
    """Augmentation paths for an at-risk or infeasible profile, best first."""
    from aiceiling.errors import InputError
    from aiceiling.evaluation import evaluate as evaluate_profile
    from aiceiling.profile.load import load_document
    from aiceiling.profile.yamlsource import Document

    if report.verdict == "feasible":
        return Plan((), 0, None)
    before = _problems(report)
    situation = Situation(loaded.document.data, loaded.profile, loaded.resolved,
                          {r.id: r for r in report.results}, loaded.catalog,
                          report.estimates.facts,
                          {k: v.value for k, v in report.estimates.values.items()}, on)

    def evaluate(candidate: Candidate) -> tuple[Augmentation, set[str]] | None:
        try:
            again = load_document(Document(loaded.file, candidate.data, {}),
                                  catalog=loaded.catalog)
        except InputError:
            return None  # a path that makes an invalid profile is not offered
        after_report = evaluate_profile(again, on=on, use_waivers=use_waivers)
        if _cannot_serve(report, after_report):
            return None  # never proposed: it cannot hold the request or do the task
        after = _problems(after_report)
        # A check evaluated before that the path leaves without a figure it needs (status
        # unknown, or skipped for a reason the estimates newly report as unknown) has not
        # been verified; one that no longer applies (no data leaves the site) is fine.
        statuses = {r.id: r for r in after_report.results}
        new_gaps = set(after_report.estimates.unknown.values()) - \
            set(report.estimates.unknown.values())
        dropped = tuple(r.id for r in report.results
                        if r.status not in ("skip", "unknown") and r.id in statuses and
                        (statuses[r.id].status == "unknown" or
                         (statuses[r.id].status == "skip" and
                          statuses[r.id].message in new_gaps)))
        flips = tuple(c for c in before if c not in after and c not in dropped)
        eased = tuple(c for c in before if before[c] == "fail" and after.get(c) == "warn")
        regressions = tuple(c for c in after if c not in dropped and (
            c not in before or (after[c] == "fail" and before[c] in ("warn", "unknown"))))
        # A change that loses figures the checks need proves nothing: checks that skip for
        # want of data count against it, with what is missing.
        lost = sorted(set(after_report.estimates.unknown) & _CRITICAL -
                      set(report.estimates.unknown))
        regressions += tuple(f"unverified ({after_report.estimates.unknown[k]})"
                             for k in lost)
        if not lost:  # else the lost figure already says why the checks went quiet
            regressions += tuple(f"unverified ({c} no longer evaluated: "
                                 f"{statuses[c].message})" for c in dropped)
        if candidate.unverified:
            regressions += (f"unverified ({candidate.unverified})",)
        verdict = after_report.verdict
        if candidate.unverified or (any(r.startswith("unverified") for r in regressions)
                                    and _RANK.get(verdict, 0) < _RANK["undetermined"]):
            verdict = "undetermined"  # a path nobody can verify is never a fix
        binding = after_report.binding.id if after_report.binding else None
        return (Augmentation(candidate.path, candidate.summary, candidate.changes, flips,
                             regressions, verdict,
                             candidate.tradeoffs + _costs(report, after_report),
                             candidate.complexity, binding, eased),
                {c for c, status in after.items() if status == "fail"})

    results: list[tuple[Augmentation, set[str]]] = []
    candidates: list[Candidate] = []
    for path in PATHS:
        for candidate in path(situation):
            outcome = evaluate(candidate)
            if outcome is not None:
                results.append(outcome)
                candidates.append(candidate)
    prior = PRIOR.get(loaded.profile.industry, ())
    improving = [(aug, fails, cand) for (aug, fails), cand in zip(results, candidates,
                                                                  strict=True)
                 if _RANK[aug.verdict_after] < _RANK[report.verdict] or
                 sum(1 for c in (*aug.flips, *aug.eased) if before[c] == "fail") >
                 len(aug.regressions)]
    position = {id(item[0]): i for i, item in enumerate(improving)}
    improving.sort(key=lambda item: _score(item[0], before, prior, position[id(item[0])]))
    # Promising pairs: a verified path that leaves checks failing, combined with a verified
    # path that fixes one of those (changing other fields): several ceilings, one plan.
    singles = [item for item in improving if not _unverified(item[0])]
    tried: set[tuple[str, str]] = set()
    for first, left, a in singles[:PAIRS_FROM]:
        if not left:
            continue
        partners = [item for item in singles
                    if item[2] is not a and set(item[0].flips) & left][:PARTNERS]
        for second, _, b in partners:
            key = (min(a.path, b.path), max(a.path, b.path))
            if key in tried or {c.field for c in a.changes} & {c.field for c in b.changes}:
                continue
            tried.add(key)
            data, _ = changed(a.data, {c.field: c.after for c in b.changes})
            pair = Candidate(f"{a.path}+{b.path}", f"{a.summary}; and {b.summary}", data,
                             a.changes + b.changes, a.addresses + b.addresses,
                             a.tradeoffs + b.tradeoffs, max(a.complexity, b.complexity) + 1,
                             a.unverified or b.unverified)
            outcome = evaluate(pair)
            if outcome is not None and \
                    _RANK[outcome[0].verdict_after] < min(_RANK[first.verdict_after],
                                                          _RANK[second.verdict_after]):
                improving.append((*outcome, pair))
                position[id(outcome[0])] = len(position)
                results.append(outcome)
    improving.sort(key=lambda item: _score(item[0], before, prior, position[id(item[0])]))
    listed: list[Augmentation] = []
    unverified = 0
    uses: dict[str, int] = {}
    for aug, _, _ in improving:
        parts = aug.path.split("+")
        if len(parts) > 1 and all(uses.get(part, 0) >= 2 for part in parts):
            continue  # variations of what is shown already
        if _unverified(aug):
            if unverified >= UNVERIFIED_SHOWN:
                continue
            unverified += 1
        for part in parts:
            uses[part] = uses.get(part, 0) + 1
        listed.append(aug)
        if len(listed) == SHOWN:
            break
    shown = tuple(listed)
    blocked_by = None
    if not any(_RANK[a.verdict_after] < _RANK["undetermined"] and not a.regressions
               for a in shown):
        # Changes that lose the figures a check needs prove nothing either way.
        verified = [fails for aug, fails in results
                    if not any(r.startswith("unverified") for r in aug.regressions)]
        common = set.intersection(*verified) if verified else \
            {c for c, status in before.items() if status == "fail"}
        failing = [r.id for r in report.results if r.id in common]
        binding = report.binding
        blocked_by = failing[0] if failing else \
            binding.id if binding is not None and binding.status == "fail" else None
    return Plan(shown, len(results), blocked_by)
