"""Wall time of `aiceiling check` against importing its dependency stack alone.

Run by hand: ``python benchmarks/startup.py [PROFILE] [--runs N]``. Reports the median of
N runs of each command in fresh processes, and their ratio (goal: at most 1.3).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# pydantic imports lazily: its real import cost is paid when the first model class is built,
# so the baseline builds one trivial model.
STACK = ("import typer, rich.console, rich.table, yaml\n"
         "from pydantic import BaseModel\n"
         "class Probe(BaseModel):\n    x: int = 0\n")


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    args = sys.argv[1:]
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 15
    profiles = [a for a in args if a.endswith(".yaml")] or \
        [str(p) for p in sorted((ROOT / "profiles").glob("*.yaml"))]
    python = sys.executable
    stack = median_seconds([python, "-c", STACK], runs)
    print(f"import dependency stack      {stack * 1e3:7.1f} ms")
    for profile in profiles:
        check = median_seconds([python, "-m", "aiceiling", "check", "--no-color", profile],
                               runs)
        print(f"aiceiling check {Path(profile).name:28} {check * 1e3:7.1f} ms   "
              f"ratio {check / stack:.2f}")


if __name__ == "__main__":
    main()
