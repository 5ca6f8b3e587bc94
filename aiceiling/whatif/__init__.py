"""What-if: many evaluations of one design, beside the planner (``aiceiling.augment``).

- :mod:`~aiceiling.whatif.grid`: ``--vary PATH=VALUES`` parsed into axes (lists, ranges, units);
- :mod:`~aiceiling.whatif.scenario`: the profiles of a grid, built and evaluated fast;
- :mod:`~aiceiling.whatif.sweep`: every combination, streamed in order (pool or Dask);
- :mod:`~aiceiling.whatif.ceiling`: how far one input can go, and what binds there;
- :mod:`~aiceiling.whatif.compare`: designs side by side;
- :mod:`~aiceiling.whatif.sensitivity`: which defaults a figure used (for ``explain``);
- :mod:`~aiceiling.whatif.plot`: the feasibility frontier (the ``plot`` extra).

:mod:`aiceiling.api` composes them; nothing here imports it.
"""
