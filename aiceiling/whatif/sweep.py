"""Sweeps: every combination of some fields' values, evaluated, one row each, in grid order.

Rows stream: nothing holds more than a bounded window of them, whatever the grid's size.
Large grids run on every core (a process pool, chunks of rows handed out in order and
collected in order), or on a Dask cluster; every backend yields the same rows in the same
order.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from aiceiling.errors import InputError
from aiceiling.evaluation import Report
from aiceiling.profile.load import LoadedProfile
from aiceiling.whatif.grid import Axis, indexes, size
from aiceiling.whatif.scenario import KEY_ESTIMATES, Scenarios

# Below this many scenarios one process is faster than starting a pool.
PARALLEL_FROM = 400
WINDOW_PER_WORKER = 4   # chunks in flight per worker: bounds memory, keeps workers busy

Row = tuple[Any, ...]


class Plan(NamedTuple):
    """Everything a worker needs to evaluate rows of one sweep (picklable)."""

    loaded: LoadedProfile
    axes: tuple[Axis, ...]
    on: dt.date
    use_waivers: bool
    token: str


def columns(axes: tuple[Axis, ...]) -> tuple[str, ...]:
    """Column names of a sweep's rows: the axes' paths, the outcome, the key estimates."""
    return (*(a.path for a in axes), "verdict", "binding", "binding_used", *KEY_ESTIMATES,
            "note")


def _round(value: float | None) -> float | None:
    """Six significant digits: the precision of the estimates, and stable output."""
    return None if value is None else float(f"{value:.6g}")


def row_of(values: tuple[str, ...], report: Report | None, error: str = "") -> Row:
    """One output row: the axis values as given, verdict, binding, key estimates, note."""
    if report is None:
        return (*values, "invalid", "", None, *(None for _ in KEY_ESTIMATES), error)
    binding = report.binding
    est = report.estimates
    return (*values, report.verdict, binding.id if binding else "",
            _round(binding.used) if binding is not None and binding.used is not None else None,
            *(_round(est.get(k)) for k in KEY_ESTIMATES), "; ".join(report.notes))


def evaluate_rows(scenarios: Scenarios, start: int, stop: int) -> list[Row]:
    """Rows ``start`` to ``stop`` of the grid, evaluated in this process."""
    out: list[Row] = []
    for idx in indexes(scenarios.axes, start, stop):
        values = tuple(axis.values[i] for axis, i in zip(scenarios.axes, idx, strict=True))
        try:
            report = scenarios.report(idx)
        except InputError as exc:
            out.append(row_of(values, None, "; ".join(f"{d.field}: {d.message}"
                                                      for d in exc.diagnostics)))
            continue
        out.append(row_of(values, report))
    return out


# -- workers -------------------------------------------------------------------------------
_ENGINES: dict[str, Scenarios] = {}


def _engine(plan: Plan) -> Scenarios:
    engine = _ENGINES.get(plan.token)
    if engine is None:
        _ENGINES.clear()
        engine = _ENGINES[plan.token] = Scenarios(plan.loaded, plan.axes, on=plan.on,
                                                  use_waivers=plan.use_waivers,
                                                  validate=False)
    return engine


_PLAN: Plan | None = None


def _init_worker(plan: Plan) -> None:
    global _PLAN
    _PLAN = plan


def _pool_chunk(start: int, stop: int) -> list[Row]:
    assert _PLAN is not None
    return evaluate_rows(_engine(_PLAN), start, stop)


def dask_chunk(plan: Plan, start: int, stop: int) -> list[Row]:
    """Rows ``start`` to ``stop`` on a Dask worker (the engine is built once per worker)."""
    return evaluate_rows(_engine(plan), start, stop)


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _chunk_size(total: int, workers: int) -> int:
    return max(8, min(256, total // (workers * WINDOW_PER_WORKER * 4) or 1))


def _windowed(submit: Callable[[int, int], Any], result: Callable[[Any], list[Row]],
              total: int, chunk: int, window: int) -> Iterator[Row]:
    """Submit chunks in order, at most ``window`` in flight; yield their rows in order."""
    pending: deque[Any] = deque()
    start = 0
    while pending or start < total:
        while start < total and len(pending) < window:
            stop = min(total, start + chunk)
            pending.append(submit(start, stop))
            start = stop
        yield from result(pending.popleft())


def _pool_rows(plan: Plan, total: int, workers: int) -> Iterator[Row]:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(workers, initializer=_init_worker, initargs=(plan,)) as pool:
        yield from _windowed(lambda a, b: pool.apply_async(_pool_chunk, (a, b)),
                             lambda pending: pending.get(), total,
                             _chunk_size(total, workers), workers * WINDOW_PER_WORKER)


def _dask_rows(plan: Plan, total: int, scheduler: str | None, workers: int) -> Iterator[Row]:
    import importlib

    try:
        # Imported by name: an optional extra, untyped (mypy sees Any).
        distributed: Any = importlib.import_module("dask.distributed")
    except ImportError:
        raise InputError([_usage("--dask needs the dask extra: "
                                 "pip install 'aiceiling[dask]'")]) from None
    cluster = None
    if scheduler:
        client = distributed.Client(scheduler)
    else:
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = distributed.Client(cluster)
    try:
        shared = client.scatter(plan, broadcast=True)
        n = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        yield from _windowed(
            lambda a, b: client.submit(dask_chunk, shared, a, b, pure=False),
            lambda future: list(future.result()), total, _chunk_size(total, n),
            n * WINDOW_PER_WORKER)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _usage(message: str) -> Any:
    from aiceiling.errors import Diagnostic

    return Diagnostic("aiceiling sweep", None, None, "", message)


def run(loaded: LoadedProfile, axes: tuple[Axis, ...], *, on: dt.date,
        use_waivers: bool = True, workers: int | None = None, dask: bool = False,
        scheduler: str | None = None) -> Iterator[Row]:
    """Every row of the grid of ``axes`` over ``loaded``, in grid order (last axis fastest).

    Values are validated before the first row (InputError, every problem at once).
    ``workers``: processes to use (None: every core when the grid is large enough).
    ``dask``/``scheduler``: run on a Dask cluster (at ``scheduler``, else a local one).
    """
    scenarios = Scenarios(loaded, axes, on=on, use_waivers=use_waivers)
    total = size(axes)
    plan = Plan(loaded, axes, on, use_waivers, uuid.uuid4().hex)
    if dask or scheduler:
        return _dask_rows(plan, total, scheduler, workers or cores())
    if workers is None:
        workers = cores() if total >= PARALLEL_FROM else 1
    if workers <= 1 or total < 2:
        return (row for start in range(0, total, 256)
                for row in evaluate_rows(scenarios, start, min(total, start + 256)))
    return _pool_rows(plan, total, workers)
