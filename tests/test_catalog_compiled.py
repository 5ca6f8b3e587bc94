"""The JSON the tool loads is exactly what the reviewed YAML sources say."""

from __future__ import annotations

import pytest

from aiceiling.catalog.compile import DATA, NAMES, compiled


@pytest.mark.parametrize("name", NAMES)
def test_json_matches_yaml(name: str) -> None:
    assert (DATA / f"{name}.json").read_text(encoding="utf-8") == compiled(name), (
        f"data/{name}.json is stale: run python -m aiceiling.catalog.compile")
