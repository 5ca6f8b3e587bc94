"""Compile the catalog's YAML sources to JSON, the form loaded at run time.

The YAML files in ``data/`` are the source of truth, written and reviewed by people; the
JSON beside each is generated from it (JSON loads about 30x faster, which keeps a check
well under half a second). ``tests/test_catalog_compiled.py`` fails when they disagree.

    python -m aiceiling.catalog.compile
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
NAMES = ("accelerators", "models", "regions", "networks", "cooling", "facility", "export",
         "governance", "augment")


def _plain(value: Any) -> Any:
    """YAML dates become ISO strings, as the loader reads every as_of as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def compiled(name: str) -> str:
    """The JSON text for one catalog file."""
    data = yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))
    return json.dumps(_plain(data), ensure_ascii=False, separators=(",", ":")) + "\n"


def main() -> None:
    for name in NAMES:
        if not (DATA / f"{name}.yaml").exists():
            continue
        (DATA / f"{name}.json").write_text(compiled(name), encoding="utf-8")
        print(f"wrote {DATA / name}.json")


if __name__ == "__main__":
    main()
