"""Fit the calibrated serving constants to the published measurements; print each error.

Run by hand: ``python benchmarks/calibrate.py`` reports the error of every calibration
case at the shipped constants; ``--fit`` searches the constants of
``aiceiling.physics.calibration`` by coordinate descent on the RMS log error.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from calibration_cases import OUTLIERS, Case, cases, log_error, predict

from aiceiling.catalog import Catalog
from aiceiling.physics import calibration

GRID = {
    "EFF_COMPUTE_16": [x / 100 for x in range(30, 91, 5)],
    "EFF_COMPUTE_LOW": [x / 100 for x in range(20, 81, 5)],
    "EFF_BANDWIDTH": [x / 100 for x in range(40, 91, 5)],
    "LAYER_OVERHEAD_S": [x * 1e-6 for x in (0, 5, 10, 15, 20, 30, 40, 60, 65, 70, 80)],
}
# Collective latencies are NCCL's published ones (physics/collectives.py), not fitted.


def rms(rows: list[Case], catalog: Catalog) -> float:
    return math.sqrt(sum(log_error(predict(c, catalog), c.measured) ** 2 for c in rows)
                     / len(rows))


def report() -> None:
    catalog = Catalog()
    rows = cases()
    for case in cases(include_outliers=True):
        predicted = predict(case, catalog)
        error = log_error(predicted, case.measured)
        print(f"{case.id:48} {case.estimate_key:17} measured {case.measured:10.4g} "
              f"model {predicted:10.4g}  {math.exp(error) - 1:+7.1%}"
              + ("  (outlier)" if case.id in OUTLIERS else ""))
    print(f"RMS log error {rms(rows, catalog):.3f} over {len(rows)} cases")


def fit(rounds: int = 4) -> None:
    catalog = Catalog()
    rows = cases()
    best = rms(rows, catalog)
    for _ in range(rounds):
        for name, values in GRID.items():
            keep = getattr(calibration, name)
            for value in values:
                setattr(calibration, name, value)
                score = rms(rows, catalog)
                if score < best - 1e-9:
                    best, keep = score, value
            setattr(calibration, name, keep)
        print({name: getattr(calibration, name) for name in GRID}, f"rms={best:.4f}")


if __name__ == "__main__":
    fit() if "--fit" in sys.argv else report()
