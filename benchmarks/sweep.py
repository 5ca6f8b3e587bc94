"""Speed of the what-if commands: sweep throughput, ceiling time, memory against grid size,
and where one scenario's evaluation spends its time.

Run by hand: ``python benchmarks/sweep.py [--quick]``. Prints:

1. scenarios/s of a sweep in one process (the per-core figure; goal 5,000), per profile;
2. wall time of a whole ``aiceiling sweep`` of a 1,200-scenario grid on every core;
3. ``ceiling`` time beyond start-up (load excluded; goal under 0.2 s), per axis;
4. peak memory of ``aiceiling sweep`` at growing grid sizes (should stay flat);
5. a profile of the hot path: the share of time in each estimator module, the checks, and
   the sweep's own machinery (building the scenario's profile, resolving, the row).

``check`` against the bare import of its dependencies is ``benchmarks/startup.py``.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 22)
ENV = {**os.environ, "AICEILING_TODAY": TODAY.isoformat()}
GRIDS = {
    # profile: the --vary axes of a 1,200-scenario grid (12 × 10 × 10)
    "tests/data/radiology-l40s.yaml": (
        "deployment.accelerators=1..12", 'site.power_budget="1 kW".."10 kW":"1 kW"',
        "workload.traffic.requests_per_s=0.5..5:0.5"),
    "profiles/erp-copilot.yaml": (
        "deployment.accelerators=8..96:8", "workload.prompt_tokens=1000..10000:1000",
        "workload.traffic.requests_per_s=0.25..2.5:0.25"),
    "profiles/manufacturing-vision-qc.yaml": (
        "deployment.accelerators=1..12", "workload.traffic.requests_per_s=10..100:10",
        "deployment.distance=100..1000:100"),
    # Limits only the checks read: one estimation serves many scenarios.
    "profiles/hyperscale-ai-facility.yaml": (
        "site.power_budget=10 MW..120 MW:10 MW", "site.grid_headroom=10 MW..100 MW:10 MW",
        "energy.carbon_budget=50000..500000:50000"),
}
CEILINGS = [
    ("tests/data/radiology-l40s.yaml", "workload.traffic.requests_per_s", "up"),
    ("tests/data/radiology-l40s.yaml", "deployment.accelerators", "down"),
    ("profiles/erp-copilot.yaml", "workload.prompt_tokens", "up"),
    ("profiles/mobile-assistant.yaml", "site.battery", "down"),
]


def _scenarios(profile: str, limit: int | None = None) -> tuple[object, int]:
    from aiceiling import api
    from aiceiling.whatif.grid import parse_axis, size
    from aiceiling.whatif.scenario import Scenarios

    loaded = api.load_profile(ROOT / profile)
    axes = tuple(parse_axis(spec) for spec in GRIDS[profile])
    total = size(axes) if limit is None else min(limit, size(axes))
    return Scenarios(loaded, axes, on=TODAY), total


def throughput(quick: bool) -> None:
    from aiceiling.whatif.sweep import evaluate_rows

    print("1. sweep in one process (scenarios/s per core; goal 5,000)")
    for profile in GRIDS:
        scenarios, total = _scenarios(profile, 300 if quick else None)
        start = time.perf_counter()
        evaluate_rows(scenarios, 0, total)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
        print(f"   {profile:42} {total:5} scenarios  {total / elapsed:7.0f}/s  "
              f"({elapsed / total * 1e3:.2f} ms each)")


def whole_process() -> None:
    print(f"2. whole `aiceiling sweep` of 1,200 scenarios, every core ({os.cpu_count()} cores)")
    for profile, axes in GRIDS.items():
        command = [sys.executable, "-m", "aiceiling", "sweep", str(ROOT / profile), "-q",
                   "-o", os.devnull]
        for spec in axes:
            command += ["--vary", spec]
        start = time.perf_counter()
        subprocess.run(command, check=True, env=ENV)
        print(f"   {profile:42} {time.perf_counter() - start:6.2f} s")


def ceilings() -> None:
    from aiceiling import api

    print("3. ceiling beyond start-up (load excluded; goal under 0.2 s)")
    for profile, axis, direction in CEILINGS:
        loaded = api.load_profile(ROOT / profile)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            answer = api.ceiling(loaded, axis, direction=direction, on=TODAY)
            times.append(time.perf_counter() - start)
        print(f"   {profile:38} {axis:34} {direction:4} {statistics.median(times):6.3f} s "
              f"({answer.evaluations} evaluations)")


def memory(quick: bool) -> None:
    print("4. peak memory of `aiceiling sweep` (one process) against grid size")
    sizes = (100, 400, 1600) if quick else (200, 800, 3200)
    profile = str(ROOT / "tests/data/radiology-l40s.yaml")
    for n in sizes:
        for limits in ("1 kW", '"1 kW".."4 kW":"1 kW"'):
            # One axis the estimators read; then with a limit only the checks read (estimates
            # reused across it, the reuse cache bounded).
            vary = ["--vary", f"workload.traffic.requests_per_s=0.01..{n * 0.01:.2f}:0.01",
                    "--vary", f"site.power_budget={limits}"]
            command = [sys.executable, "-c",
                       "import resource, sys\n"
                       "from aiceiling.cli.app import main\n"
                       f"sys.argv = ['aiceiling', 'sweep', {profile!r}, *{vary!r},"
                       " '-j', '1', '-q', '-o', '/dev/null']\n"
                       "try:\n    main()\n"
                       "except SystemExit:\n    pass\n"
                       "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"]
            out = subprocess.run(command, check=True, env=ENV, capture_output=True,
                                 text=True)
            total = n * (1 if limits == "1 kW" else 4)
            print(f"   {total:6} scenarios  peak RSS "
                  f"{int(out.stdout.split()[-1]) / 1024:6.1f} MB")


def breakdown() -> None:
    from aiceiling.whatif.sweep import evaluate_rows

    print("5. where one scenario's time goes (radiology-l40s grid, 300 scenarios)")
    scenarios, _ = _scenarios("tests/data/radiology-l40s.yaml")
    profiler = cProfile.Profile()
    profiler.enable()
    evaluate_rows(scenarios, 0, 300)  # type: ignore[arg-type]
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(own for (_, _, own, _, _) in raw.values())
    groups: dict[str, float] = {}
    for (file, _, _), (_, _, tt, _, _) in raw.items():
        path = file.replace("\\", "/")
        if "/aiceiling/" in path:
            part = path.split("/aiceiling/")[1]
            key = part.split("/")[0] if "/" in part else part
            if key in ("estimates", "physics", "checks", "whatif"):
                key = part.removesuffix(".py")
        else:
            key = "pydantic, stdlib and other libraries"
        groups[key] = groups.get(key, 0.0) + tt
    for key, seconds in sorted(groups.items(), key=lambda item: -item[1])[:16]:
        print(f"   {key:42} {seconds / total * 100:5.1f} %")


def main() -> None:
    quick = "--quick" in sys.argv
    throughput(quick)
    whole_process()
    ceilings()
    memory(quick)
    breakdown()
    print(f"   (peak RSS of this benchmark: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
