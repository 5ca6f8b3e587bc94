"""The CI gate: which checks count, how each compares with a baseline report, which waivers
applied, and whether the run fails (SPEC §2, §9).

Statuses rank ``warn`` < ``unknown`` < ``fail``; ``--fail-on LEVEL`` fails the run on any
check at or above LEVEL (default ``unknown``: a limit nobody could evaluate is not a pass).
Against a baseline only checks that are *new* problems, or *worse* than in the baseline,
fail the run. Waived checks never do.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

from aiceiling.checks import FAIL, UNKNOWN, WAIVED, WARN, WARN_SHARE, Result, warning_margin
from aiceiling.errors import Diagnostic, InputError

if TYPE_CHECKING:
    from aiceiling.api import Report
    from aiceiling.catalog import Catalog

FAIL_ON = ("fail", "unknown", "warn", "never")
DEFAULT_FAIL_ON = "unknown"
_RANK = {WARN: 1, UNKNOWN: 2, FAIL: 3}
_THRESHOLD = {"warn": 1, "unknown": 2, "fail": 3, "never": 4}


class Run(NamedTuple):
    """The settings of one gated run, as the report states them."""

    fail_on: str = DEFAULT_FAIL_ON
    warn_at: float = WARN_SHARE         # share of a limit used from which a check warns
    baseline: str | None = None         # the baseline report's path
    config: str | None = None           # the config file's path
    checks: tuple[str, ...] = ()        # --check: ids or families; empty: every check
    skip_checks: tuple[str, ...] = ()   # --skip-check
    waivers: bool = True                # false: --no-waivers (audit view)
    today: dt.date | None = None


class WaiverState(NamedTuple):
    """What became of one waiver of a profile."""

    check: str
    reason: str
    expires: str
    state: str      # applied | expired | unused | unmatched | deselected | ignored
    hides: str      # the status it waived (applied), else ""


def rank(status: str) -> int:
    """How bad a status is: 0 pass, skip or waived; 1 warn; 2 unknown; 3 fail."""
    return _RANK.get(status, 0)


def at_level(status: str, fail_on: str) -> bool:
    """Whether ``status`` is at or above the ``--fail-on`` level."""
    return rank(status) >= _THRESHOLD[fail_on]


# -- selection ---------------------------------------------------------------------------

def unknown_selectors(names: Iterable[str], ids: Iterable[str], flag: str) -> list[str]:
    """A message for every --check/--skip-check name that is neither a check id nor a
    family, with the closest ones."""
    ids = list(ids)
    choices = ids + sorted({i.partition(".")[0] for i in ids})
    messages = []
    for name in names:
        if name not in choices:
            close = difflib.get_close_matches(name, choices, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else \
                f"; checks are FAMILY.NAME, families are {', '.join(choices[len(ids):])}"
            messages.append(f"{flag} {name}: no such check or family{hint}")
    return messages


def selected(check_id: str, run: Run) -> bool:
    """Whether the run's --check/--skip-check selection keeps ``check_id``."""
    family = check_id.partition(".")[0]
    if run.checks and check_id not in run.checks and family not in run.checks:
        return False
    return check_id not in run.skip_checks and family not in run.skip_checks


def select(report: Report, run: Run) -> Report:
    """The report restricted to the selected checks, with its verdict, binding constraint
    and augmentation paths recomputed over them."""
    if not run.checks and not run.skip_checks:
        return report
    from aiceiling import api

    results = [r for r in report.results if selected(r.id, run)]
    categorical = {spec.id for spec in api.registry() if spec.categorical}
    verdict = api.verdict_of(results)
    plan = report.plan
    if plan is not None:
        kept = {r.id for r in results}

        def keep(ids: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(i for i in ids if i in kept or i.startswith("unverified"))

        plan = plan._replace(augmentations=tuple(
            a._replace(flips=keep(a.flips), eased=keep(a.eased),
                       regressions=keep(a.regressions))
            for a in plan.augmentations if keep(a.flips) or keep(a.eased)))
        if verdict == "feasible":
            plan = None
    return report._replace(results=results, verdict=verdict,
                           binding=api.binding_of(results, categorical), plan=plan)


# -- baseline ----------------------------------------------------------------------------

class Baseline(NamedTuple):
    """Check statuses of a previous JSON report, by profile file and by profile name."""

    path: str
    by_file: dict[str, dict[str, str]]
    by_name: dict[str, dict[str, str]]

    def statuses(self, report: Report) -> dict[str, str] | None:
        found = self.by_file.get(report.file)
        return found if found is not None else self.by_name.get(report.name)


def load_baseline(path: str) -> Baseline:
    """Read a report written by ``check --format json``. Raises InputError when it is not
    one (exit 2: a gate must not silently compare against nothing)."""
    def bad(message: str) -> InputError:
        return InputError([Diagnostic(path, None, None, "", f"baseline: {message}")])

    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise bad("no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise bad(f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError([Diagnostic(path, exc.lineno, exc.colno, "",
                                     f"baseline: not JSON: {exc.msg}")]) from None
    if not isinstance(document, dict) or document.get("schema_version") != 1 or \
            not isinstance(document.get("profiles"), list):
        raise bad("not an aiceiling JSON report (schema_version 1 with a profiles list); "
                  "write one with --format json")
    by_file: dict[str, dict[str, str]] = {}
    by_name: dict[str, dict[str, str]] = {}
    for index, profile in enumerate(document["profiles"]):
        checks = profile.get("checks") if isinstance(profile, dict) else None
        if not isinstance(checks, list) or not all(
                isinstance(c, dict) and isinstance(c.get("id"), str) and
                isinstance(c.get("status"), str) for c in checks):
            raise bad(f"profiles[{index}]: expected checks with an id and a status")
        statuses = {c["id"]: c["status"] for c in checks}
        if isinstance(profile.get("file"), str):
            by_file.setdefault(profile["file"], statuses)
        if isinstance(profile.get("name"), str):
            by_name.setdefault(profile["name"], statuses)
    return Baseline(path, by_file, by_name)


def mark(status: str, before: str | None) -> str:
    """A check against the baseline: new (absent there, or a problem only now), worse (a
    problem there, a worse one now), resolved (better now), or unchanged."""
    if before is None:
        return "new"
    now, then = rank(status), rank(before)
    if now > then:
        return "new" if then == 0 else "worse"
    return "resolved" if now < then else "unchanged"


def compare(report: Report, baseline: Baseline) -> None:
    """Mark each check of ``report`` new, unchanged, worse or resolved against the baseline."""
    before = baseline.statuses(report) or {}
    for result in report.results:
        result.baseline = mark(result.status, before.get(result.id))


# -- waivers and the outcome -------------------------------------------------------------

def waivers(report: Report, run: Run) -> list[WaiverState]:
    """Every waiver of the profile and what became of it in this run."""
    from aiceiling import api

    if report.profile is None:
        return []
    today = run.today or api.today()
    by_id = {r.id: r for r in report.results}
    known = {spec.id for spec in api.registry()}
    states = []
    for waiver in report.profile.waivers:
        result = by_id.get(waiver.check)
        hides = ""
        if waiver.check not in known:
            state = "unmatched"
        elif not run.waivers:
            state = "ignored"
        elif waiver.expires < today:
            state = "expired"
        elif result is None:
            state = "deselected"
        elif result.status == WAIVED:
            state, hides = "applied", result.waived_status or ""
        else:
            state = "unused"
        states.append(WaiverState(waiver.check, waiver.reason, waiver.expires.isoformat(),
                                  state, hides))
    return states


def lapsed(report: Report, run: Run) -> dict[str, WaiverState]:
    """The waivers that no longer apply (expired) by the check they were for."""
    return {w.check: w for w in waivers(report, run) if w.state == "expired"}


def waiver_note(state: WaiverState) -> str:
    """One line on a waiver that did not apply: expired or matching no check."""
    what = f"expired on {state.expires}" if state.state == "expired" else "matches no check"
    return f"waiver for {state.check} {what}: {state.reason}"


def failing(report: Report, run: Run) -> list[Result]:
    """The checks that fail the run: at or above --fail-on and, against a baseline, new or
    worse."""
    return [r for r in report.results if at_level(r.status, run.fail_on) and
            r.baseline in (None, "new", "worse")]


def check(paths: Iterable[str], run: Run, *, overrides: Iterable[str] = (),
          catalog: Catalog | None = None, baseline: Baseline | None = None,
          progress: Callable[[int, str], None] | None = None,
          ) -> tuple[list[Report], list[Diagnostic]]:
    """Evaluate profiles as ``aiceiling check`` does: at the run's warning margin and date,
    restricted to its selection, marked against the baseline. Returns the reports of the
    profiles evaluated and the diagnostics of those that could not be."""
    from aiceiling import api

    reports: list[Report] = []
    errors: list[Diagnostic] = []
    with warning_margin(run.warn_at):
        for index, path in enumerate(paths):
            if progress is not None:
                progress(index, path)
            try:
                report = api.check_file(path, list(overrides), catalog,
                                        on=run.today or api.today(), use_waivers=run.waivers)
            except InputError as exc:
                errors.extend(exc.diagnostics)
                continue
            report = select(report, run)
            if baseline is not None:
                compare(report, baseline)
            reports.append(report)
    return reports, errors
