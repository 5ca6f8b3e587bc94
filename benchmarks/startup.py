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


def once(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   cwd=ROOT, env=ENV)
    return time.perf_counter() - start


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
    print(f"{'':44} {'check':>9} {'stack':>9} {'ratio':>6}")
    for profile in profiles:
        check_command = [python, "-m", "aiceiling", "check", "--no-color", profile]
        # Interleaved pairs, so both sides see the same machine load; median of each.
        checks, stacks = [], []
        for _ in range(runs):
            checks.append(once(check_command))
            stacks.append(once(stack_command))
        check, stack = statistics.median(checks), statistics.median(stacks)
        print(f"aiceiling check {Path(profile).name:28} {check * 1e3:7.1f}ms "
              f"{stack * 1e3:7.1f}ms {check / stack:6.2f}")


if __name__ == "__main__":
    main()
