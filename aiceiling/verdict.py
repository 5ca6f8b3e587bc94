"""The verdict rules: waivers applied to check results, the verdict of a set of results,
and the binding constraint (the check nearest its limit)."""

from __future__ import annotations

import datetime as dt

from aiceiling.checks import FAIL, PASS, WAIVED, WARN, Result
from aiceiling.profile.model import Profile

VERDICTS = ("feasible", "at-risk", "infeasible")


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
        if result.status in (FAIL, WARN):
            result.waived_status = result.status
            result.status = WAIVED
            result.waiver = f"{waiver.reason} (until {waiver.expires})"
    return notes


def verdict_of(results: list[Result]) -> str:
    """infeasible if any check fails, at-risk if any warns, else feasible."""
    statuses = {r.status for r in results}
    if FAIL in statuses:
        return "infeasible"
    if WARN in statuses:
        return "at-risk"
    return "feasible"


def binding_of(results: list[Result], categorical: set[str]) -> Result | None:
    """The check nearest its limit; a failing categorical check binds first."""
    failing = [r for r in results if r.status == FAIL and r.id in categorical]
    if failing:
        return failing[0]
    scored = [r for r in results if r.status in (PASS, WARN, FAIL) and r.used is not None]
    if not scored:
        failed = [r for r in results if r.status == FAIL]
        return failed[0] if failed else None
    return max(scored, key=lambda r: r.used or 0.0)
