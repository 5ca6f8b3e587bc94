"""What a report was computed from, so that it can be reproduced from itself: the tool's
version, the version of the built-in catalog data, the ``--set`` overrides, the evaluation
date and the user catalog overlays with their SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, NamedTuple

_DATA = Path(__file__).parent / "catalog" / "data"


class Overlay(NamedTuple):
    path: str
    sha256: str


class Provenance(NamedTuple):
    tool_version: str
    catalog_version: str    # first 12 hex digits of the SHA-256 of the compiled catalog
    overrides: tuple[str, ...]
    today: str              # the evaluation date, YYYY-MM-DD
    overlays: tuple[Overlay, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"tool_version": self.tool_version, "catalog_version": self.catalog_version,
                "overrides": list(self.overrides), "today": self.today,
                "catalogs": [o._asdict() for o in self.overlays]}

    def line(self) -> str:
        """One line for the table header."""
        parts = [f"aiceiling {self.tool_version}", f"catalog {self.catalog_version}",
                 f"today {self.today}"]
        parts += [f"--set {o}" for o in self.overrides]
        parts += [f"--catalog {o.path} (sha256 {o.sha256[:12]})" for o in self.overlays]
        return "run: " + " · ".join(parts)


_catalog_version: list[str] = []


def catalog_version() -> str:
    """A hash of the compiled catalog data (every ``data/*.json``, in name order): two runs
    with the same value read the same built-in figures."""
    if not _catalog_version:
        digest = hashlib.sha256()
        for path in sorted(_DATA.glob("*.json")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        _catalog_version.append(digest.hexdigest()[:12])
    return _catalog_version[0]


def file_sha256(path: str) -> str:
    """SHA-256 of a file's bytes; empty when it cannot be read (the loader reports why)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def provenance(overrides: list[str] | tuple[str, ...], today: str,
               overlays: tuple[str, ...]) -> Provenance:
    from aiceiling import __version__

    return Provenance(__version__, catalog_version(), tuple(overrides), today,
                      tuple(Overlay(p, file_sha256(p)) for p in overlays))
