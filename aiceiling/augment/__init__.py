"""The planner: apply each augmentation path (and promising pairs) to a copy of the profile,
re-evaluate every check, and rank what gets the design under its ceiling."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NamedTuple

from aiceiling.augment.paths import PATHS, PRIOR, Candidate, Change, Situation, changed

if TYPE_CHECKING:
    from aiceiling.evaluation import Report
    from aiceiling.profile.load import LoadedProfile

_RANK = {"feasible": 0, "at-risk": 1, "undetermined": 2, "infeasible": 3}
SHOWN = 5
PAIRS_FROM = 4
_CRITICAL = {"peak", "bandwidth", "memory", "power", "model", "flops", "tokens"}


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
    return {r.id: r.status for r in report.results if r.status in ("fail", "warn")}


def _score(aug: Augmentation, before: dict[str, str], prior: tuple[str, ...],
           order: int) -> tuple[Any, ...]:
    """Verified first, then verdict after, failures fixed, regressions, the seeds' prior
    for the industry, operational complexity, size of the change, the order proposed."""
    fails_fixed = sum(1 for c in (*aug.flips, *aug.eased) if before.get(c) == "fail")
    rank = next((i for i, prefix in enumerate(prior) if aug.path.startswith(prefix)),
                len(prior))
    unverified = sum(1 for r in aug.regressions if r.startswith("unverified"))
    return (unverified, _RANK[aug.verdict_after], -fails_fixed, len(aug.regressions), rank,
            aug.complexity, len(aug.changes), order)


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
                          report.estimates.facts)

    def evaluate(candidate: Candidate) -> tuple[Augmentation, set[str]] | None:
        try:
            again = load_document(Document(loaded.file, candidate.data, {}),
                                  catalog=loaded.catalog)
        except InputError:
            return None  # a path that makes an invalid profile is not offered
        after_report = evaluate_profile(again, on=on, use_waivers=use_waivers)
        after = _problems(after_report)
        flips = tuple(c for c in before if c not in after)
        eased = tuple(c for c in before if before[c] == "fail" and after.get(c) == "warn")
        regressions = tuple(c for c in after if c not in before or
                            (after[c] == "fail" and before[c] == "warn"))
        # A change that loses figures the checks need proves nothing: checks that skip for
        # want of data count against it, with what is missing.
        lost = sorted(set(after_report.estimates.unknown) & _CRITICAL -
                      set(report.estimates.unknown))
        regressions += tuple(f"unverified ({after_report.estimates.unknown[k]})"
                             for k in lost)
        binding = after_report.binding.id if after_report.binding else None
        return (Augmentation(candidate.path, candidate.summary, candidate.changes, flips,
                             regressions, after_report.verdict, candidate.tradeoffs,
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
    # Promising pairs: the best single paths that fix different checks, combined.
    top = improving[:PAIRS_FROM]
    for i, (first, _, a) in enumerate(top):
        for second, _, b in top[i + 1:]:
            if set(first.flips) == set(second.flips) or \
                    {c.field for c in a.changes} & {c.field for c in b.changes}:
                continue
            data, _ = changed(a.data, {c.field: c.after for c in b.changes})
            pair = Candidate(f"{a.path}+{b.path}", f"{a.summary}; and {b.summary}", data,
                             a.changes + b.changes, a.addresses + b.addresses,
                             a.tradeoffs + b.tradeoffs, max(a.complexity, b.complexity) + 1)
            outcome = evaluate(pair)
            if outcome is not None and \
                    _RANK[outcome[0].verdict_after] < min(_RANK[first.verdict_after],
                                                          _RANK[second.verdict_after]):
                improving.append((*outcome, pair))
                position[id(outcome[0])] = len(position)
                results.append(outcome)
    improving.sort(key=lambda item: _score(item[0], before, prior, position[id(item[0])]))
    shown = tuple(aug for aug, _, _ in improving[:SHOWN])
    blocked_by = None
    if not any(_RANK[a.verdict_after] < _RANK["infeasible"] and not a.regressions
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
