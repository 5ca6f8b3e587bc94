"""Wall time of `aiceiling check` against importing its dependency stack alone.

Run by hand: ``python benchmarks/startup.py [PROFILE] [--runs N]``. Reports the median of
N interleaved runs of each command in fresh processes, and their ratio (goal: at most 1.3).

The package is byte-compiled first, as ``pip install`` does: the dependencies' bytecode is
on disk, so comparing against aiceiling compiled from source each run (as happens with an
editable install under PYTHONDONTWRITEBYTECODE) would measure the compiler, not the tool.
"""

from __future__ import annotations

import compileall
import importlib.util
import os
import resource
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


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def once(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run in a fresh process. [s]"""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   cwd=ROOT, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    args = sys.argv[1:]
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 15
    profiles = [a for a in args if a.endswith(".yaml")] or \
        [str(p) for p in sorted((ROOT / "profiles").glob("*.yaml"))]
    python = sys.executable
    spec = importlib.util.find_spec("aiceiling")
    assert spec is not None and spec.origin is not None
    compileall.compile_dir(os.path.dirname(spec.origin), quiet=1)
    stack_command = [python, "-c", STACK]
    once(stack_command)  # warm the file cache
    print(f"{'':44} {'check':>9} {'stack':>9} {'ratio':>6}  {'CPU ratio':>9}")
    for profile in profiles:
        check_command = [python, "-m", "aiceiling", "check", "--no-color", profile]
        # Interleaved pairs, so both sides see the same machine load. Wall time is the
        # headline; CPU time is the least disturbed by other processes on a shared machine.
        checks, stacks = [], []
        for _ in range(runs):
            checks.append(once(check_command))
            stacks.append(once(stack_command))
        wall = statistics.median(c[0] for c in checks), statistics.median(s[0] for s in stacks)
        cpu = statistics.median(c[1] for c in checks), statistics.median(s[1] for s in stacks)
        print(f"aiceiling check {Path(profile).name:28} {wall[0] * 1e3:7.1f}ms "
              f"{wall[1] * 1e3:7.1f}ms {wall[0] / wall[1]:6.2f}  {cpu[0] / cpu[1]:9.2f}")


if __name__ == "__main__":
    main()
