"""The feasibility frontier of a sweep over its first two axes (the ``plot`` extra).

Each cell of the grid of the first two axes is coloured by the best verdict any combination
of the other axes reaches there; the frontier is drawn between feasible (or at-risk) and
infeasible cells, and each region where a check binds is labelled with that check.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from typing import Any

from aiceiling.whatif.grid import Axis

# Best first (infeasible > undetermined > at-risk > feasible); "invalid" marks combinations
# the profile rejects.
RANK = {"feasible": 0, "at-risk": 1, "undetermined": 2, "infeasible": 3, "invalid": 4}
COLOURS = {"feasible": "#4caf50", "at-risk": "#ffb300", "undetermined": "#9e9e9e",
           "infeasible": "#e53935", "invalid": "#e0e0e0"}


def better(verdict: str, than: str) -> bool:
    """Whether ``verdict`` is better than ``than`` (feasible < at-risk < infeasible)."""
    return RANK.get(verdict, 9) < RANK.get(than, 9)


def draw(cells: dict[tuple[int, int], tuple[str, str]], x: Axis, y: Axis, path: str) -> None:
    """Write the frontier plot to ``path`` (.png or .svg), atomically."""
    matplotlib: Any = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    pyplot: Any = importlib.import_module("matplotlib.pyplot")
    colors: Any = importlib.import_module("matplotlib.colors")
    patches: Any = importlib.import_module("matplotlib.patches")

    nx, ny = len(x.values), len(y.values)
    order = list(RANK)
    grid = [[float(RANK.get(cells.get((i, j), ("invalid", ""))[0], 4)) for i in range(nx)]
            for j in range(ny)]
    cmap = colors.ListedColormap([COLOURS[v] for v in order])
    norm = colors.BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 3.5, 4.5], cmap.N)
    figure, axes = pyplot.subplots(figsize=(max(6.0, 0.5 * nx + 3), max(4.5, 0.4 * ny + 2)))
    axes.pcolormesh(range(nx + 1), range(ny + 1), grid, cmap=cmap, norm=norm,
                    edgecolors="white", linewidth=0.5)
    # The frontier: where a cell that works meets one that does not.
    for i in range(nx):
        for j in range(ny):
            works = grid[j][i] <= 1
            if i + 1 < nx and works != (grid[j][i + 1] <= 1):
                axes.plot([i + 1, i + 1], [j, j + 1], color="black", linewidth=2)
            if j + 1 < ny and works != (grid[j + 1][i] <= 1):
                axes.plot([i, i + 1], [j + 1, j + 1], color="black", linewidth=2)
    # Label each binding constraint once, at the middle of the cells where it binds.
    where: dict[str, list[tuple[int, int]]] = {}
    for (i, j), (verdict, binding) in sorted(cells.items()):
        if binding and verdict != "feasible":
            where.setdefault(binding, []).append((i, j))
    for binding, spots in sorted(where.items()):
        cx = sum(i for i, _ in spots) / len(spots) + 0.5
        cy = sum(j for _, j in spots) / len(spots) + 0.5
        axes.text(cx, cy, binding, ha="center", va="center", fontsize=8,
                  bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8,
                        "linewidth": 0})
    step_x = max(1, nx // 12)
    step_y = max(1, ny // 16)
    axes.set_xticks([i + 0.5 for i in range(0, nx, step_x)])
    axes.set_xticklabels([x.values[i] for i in range(0, nx, step_x)], rotation=45,
                         ha="right", fontsize=8)
    axes.set_yticks([j + 0.5 for j in range(0, ny, step_y)])
    axes.set_yticklabels([y.values[j] for j in range(0, ny, step_y)], fontsize=8)
    axes.set_xlabel(x.path)
    axes.set_ylabel(y.path)
    axes.set_title("feasibility frontier (best verdict over the other axes)")
    present = sorted({v for v, _ in cells.values()}, key=lambda v: RANK.get(v, 9))
    axes.legend(handles=[patches.Patch(color=COLOURS.get(v, "#000000"), label=v)
                         for v in present],
                loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    figure.tight_layout()
    folder = os.path.dirname(os.path.abspath(path))
    suffix = os.path.splitext(path)[1].lower()
    handle, temp = tempfile.mkstemp(prefix=".aiceiling-", suffix=suffix, dir=folder)
    os.close(handle)
    try:
        # Fixed metadata: the same sweep draws the same bytes.
        metadata = {"Date": None} if suffix == ".svg" else {"Software": "aiceiling"}
        figure.savefig(temp, format=suffix[1:], metadata=metadata)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    finally:
        pyplot.close(figure)
