"""The serving model against published measurements: every case's error, and the error of
each family when it is left out of the fit.

Run by hand: ``python benchmarks/calibrate.py`` prints the error of every calibration case
(tests/data/calibration*.yaml) at the shipped constants, the RMS log error of the fit set,
and the held-out error per family (vendor, source, phase: the constants refitted without
the family, then its error measured). ``--fit`` fits the constants of
``aiceiling.physics.calibration`` on the whole fit set and prints them.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from calibration_cases import (
    OUTLIERS,
    cases,
    fit,
    fit_cases,
    held_out,
    log_error,
    predict,
    rms_of,
)

from aiceiling.catalog import Catalog


def report() -> None:
    catalog = Catalog()
    for case in cases(include_outliers=True):
        try:
            predicted = predict(case, catalog)
        except AssertionError as error:
            print(f"{case.label:62} {error}")
            continue
        error = log_error(predicted, case.measured)
        print(f"{case.label:62} {case.phase:8} measured {case.measured:10.4g} "
              f"model {predicted:10.4g}  {math.exp(error) - 1:+7.1%}"
              + ("  (outlier)" if case.id in OUTLIERS else ""))
    rows = fit_cases()
    print(f"\nfit set: RMS log error {rms_of(rows, catalog):.3f} over {len(rows)} cases")
    print("\nheld-out error per family (refitted without it; load is never fitted on):")
    print(f"{'grouping':8} {'family':28} {'cases':>5} {'RMS log':>8} {'typical':>8}  worst")
    for h in held_out(catalog):
        print(f"{h.grouping:8} {h.family:28} {h.cases:5d} {h.rms_log_error:8.3f} "
              f"{math.exp(h.rms_log_error) - 1:+8.0%}  {h.worst}")


def fit_all() -> None:
    catalog = Catalog()
    constants, score = fit(fit_cases(), catalog)
    print({name: round(value, 4) for name, value in constants.items()},
          f"rms={score:.4f}")


if __name__ == "__main__":
    fit_all() if "--fit" in sys.argv else report()
