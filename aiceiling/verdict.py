"""The verdict rules: waivers applied to check results, the verdict of a set of results,
the binding constraint, and the coverage of a report (SPEC §4)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from aiceiling.checks import FAIL, PASS, SKIP, UNKNOWN, WAIVED, WARN, Result
from aiceiling.profile.model import Profile

# Best to worst. ``undetermined``: nothing fails, but a limit the profile sets could not be
# evaluated, so the design is never called feasible on it.
VERDICTS = ("feasible", "at-risk", "undetermined", "infeasible")


def apply_waivers(results: list[Result], profile: Profile, on: dt.date,
                  use_waivers: bool) -> list[str]:
    """Mark failing or warning checks covered by an unexpired waiver as waived, in place.

    Returns notes about waivers that match no check or have expired.
    """
    notes: list[str] = []
    if not use_waivers:
        return notes
    by_id = {r.id: r for r in results}
    for waiver in profile.waivers:
        result = by_id.get(waiver.check)
        if result is None:
            notes.append(f"waiver for {waiver.check!r} matches no check")
            continue
        if waiver.expires < on:
            notes.append(f"waiver for {waiver.check} expired on {waiver.expires}; "
                         "it no longer applies")
            continue
        if result.status in (FAIL, UNKNOWN, WARN):
            result.waived_status = result.status
            result.status = WAIVED
            result.waiver = f"{waiver.reason} (until {waiver.expires})"
    return notes


def waiver_errors(profile: Profile, known: list[str]) -> list[tuple[int, str]]:
    """(index, message) for every waiver whose check id names no check, with the closest
    ids: a misspelt waiver would otherwise waive nothing, silently."""
    import difflib

    errors = []
    for index, waiver in enumerate(profile.waivers):
        if waiver.check not in known:
            close = difflib.get_close_matches(waiver.check, known, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else \
                "; check ids are FAMILY.NAME as listed by `aiceiling check -v`"
            errors.append((index, f"no check {waiver.check!r}{hint}"))
    return errors


def verdict_of(results: list[Result]) -> str:
    """infeasible if any check fails, else undetermined if any is unknown, else at-risk if
    any warns, else feasible."""
    statuses = {r.status for r in results}
    if FAIL in statuses:
        return "infeasible"
    if UNKNOWN in statuses:
        return "undetermined"
    if WARN in statuses:
        return "at-risk"
    return "feasible"


def binding_of(results: list[Result], categorical: set[str]) -> Result | None:
    """The binding constraint: always one of the checks of the worst status present.

    Among failures, a categorical check (no share of a limit: residency, boundary, export
    control, controls) binds before any quantity; otherwise the check with the highest
    share of its limit used binds, the first registered on a tie or when none has a share.
    Waived and skipped checks never bind.
    """
    for status in (FAIL, UNKNOWN, WARN, PASS):
        group = [r for r in results if r.status == status]
        if not group:
            continue
        if status == FAIL:
            group = [r for r in group if r.id in categorical] or group
        scored = [r for r in group if r.used is not None]
        return max(scored, key=lambda r: r.used or 0.0) if scored else group[0]
    return None


class Coverage(NamedTuple):
    """How much of what the profile asks was evaluated: checks with a pass, warn or fail
    (waived included) out of the checks whose limit the profile sets (all but skips)."""

    evaluated: int
    limits_set: int

    def __str__(self) -> str:
        return f"{self.evaluated}/{self.limits_set}"


def coverage_of(results: list[Result]) -> Coverage:
    """Checks evaluated / checks whose limit the profile sets (SPEC §4)."""
    limits_set = [r for r in results if r.status != SKIP]
    evaluated = [r for r in limits_set if r.status != UNKNOWN]
    return Coverage(len(evaluated), len(limits_set))
