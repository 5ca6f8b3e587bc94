"""Checks: a registry of named comparisons of an estimate against a limit.

Each check has a stable id ``family.name`` (SPEC §4), the profile fields it reads and the
one its result points at. Families register their checks explicitly with
``REGISTRY.register`` — importing a module has no side effect beyond defining functions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from aiceiling.catalog import Catalog
    from aiceiling.estimates import Estimates
    from aiceiling.profile.model import Profile
    from aiceiling.resolve import Resolved

PASS, WARN, FAIL, SKIP, WAIVED = "pass", "warn", "fail", "skip", "waived"
UNKNOWN = "unknown"

# A check warns from this share of its limit on (SPEC §4: "within the warning margin of its
# limit, default 80 % used").
WARN_SHARE = 0.8
# The margin in force for the evaluations under way (--warn-at, or a team's config file);
# a context variable so that the planner's re-evaluations use the same margin.
_warn_share: ContextVar[float] = ContextVar("warn_share", default=WARN_SHARE)


@contextlib.contextmanager
def warning_margin(share: float) -> Iterator[None]:
    """Evaluate with checks warning from ``share`` of their limit on (0 < share <= 1)."""
    token = _warn_share.set(share)
    try:
        yield
    finally:
        _warn_share.reset(token)


class Context(NamedTuple):
    """What a check may read: the profile, what it resolved to, the estimates, the data."""

    profile: Profile
    resolved: Resolved
    estimates: Estimates
    today: object  # datetime.date
    catalog: Catalog


class Result:
    """The outcome of one check (mutable: waivers and locations are filled in later)."""

    __slots__ = ("baseline", "column", "id", "limit", "line", "message", "path", "references",
                 "status", "unit", "used", "value", "waived_status", "waiver")

    def __init__(self, id: str, status: str, message: str, value: float | str | None = None,
                 limit: float | str | None = None, unit: str = "", used: float | None = None,
                 path: tuple[str | int, ...] = (), references: tuple[str, ...] = ()) -> None:
        self.id, self.status, self.message = id, status, message
        self.value, self.limit, self.unit, self.used = value, limit, unit, used
        self.path, self.references = path, references
        self.line: int | None = None
        self.column: int | None = None
        self.waiver: str | None = None
        self.waived_status: str | None = None
        # Against a --baseline report: new, unchanged, worse or resolved.
        self.baseline: str | None = None

    def __repr__(self) -> str:
        return f"Result({self.id!r}, {self.status!r}, {self.value!r} / {self.limit!r})"

    @property
    def family(self) -> str:
        return self.id.partition(".")[0]

    @property
    def name(self) -> str:
        return self.id.partition(".")[2]


class CheckSpec(NamedTuple):
    id: str
    title: str
    reads: tuple[str, ...]
    categorical: bool
    run: Callable[[Context], Result]
    why: str = ""
    fix: str = ""


class Registry:
    """Checks by id, in registration order."""

    def __init__(self) -> None:
        self.checks: dict[str, CheckSpec] = {}

    def register(self, check_id: str, *, title: str, reads: tuple[str, ...],
                 categorical: bool = False, why: str = "", fix: str = "",
                 ) -> Callable[[Callable[[Context], Result]], Callable[[Context], Result]]:
        def decorate(run: Callable[[Context], Result]) -> Callable[[Context], Result]:
            if check_id in self.checks:
                raise ValueError(f"check {check_id} registered twice")
            self.checks[check_id] = CheckSpec(check_id, title, reads, categorical, run, why,
                                              fix)
            return run
        return decorate

    def __iter__(self) -> Iterator[CheckSpec]:
        return iter(self.checks.values())


def quantity_result(check_id: str, value: float, limit: float, unit: str, path: tuple[str, ...],
                    message: str, references: tuple[str, ...] = (),
                    *, higher_is_better: bool = False) -> Result:
    """Compare a value with its limit: pass below the warning margin (80 % of it unless
    set otherwise with ``warning_margin``), warn up to it, fail beyond.

    With ``higher_is_better`` the value must reach the limit (battery runtime, capacity):
    the share used is limit / value.
    """
    if higher_is_better:
        used = limit / value if value > 0 else float("inf")
    else:
        used = value / limit if limit > 0 else float("inf")
    status = PASS if used < _warn_share.get() else WARN if used <= 1.0 else FAIL
    return Result(check_id, status, message, value, limit, unit, used, path, references)


def skip(check_id: str, reason: str, path: tuple[str, ...] = ()) -> Result:
    return Result(check_id, SKIP, reason, path=path)


def unknown(check_id: str, reason: str, path: tuple[str, ...] = ()) -> Result:
    """The profile sets this check's limit but the figure cannot be estimated (a catalog
    figure nobody could source, an input that is missing): never a pass (SPEC §4)."""
    return Result(check_id, UNKNOWN, reason, path=path)
