"""The Python examples of docs/whatif.md and the API docstring run as written."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "docs/whatif.md").read_text("utf-8"),
                    flags=re.S)


def test_docs_have_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_docs_example_runs(number: int, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(BLOCKS[number], f"docs/whatif.md[{number}]", "exec"), {})
    out = capsys.readouterr().out
    assert out  # every example prints what it found
    if "deployment.accelerators=0" in BLOCKS[number]:
        assert "must be greater than 0" in out


def test_api_docstring(monkeypatch: pytest.MonkeyPatch) -> None:
    import aiceiling.api

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("AICEILING_TODAY", "2026-11-22")
    failed, tried = doctest.testmod(aiceiling.api)
    assert tried >= 2 and failed == 0


def test_import_is_lazy() -> None:
    import subprocess
    import sys

    code = ("import sys, aiceiling\n"
            "assert 'aiceiling.api' not in sys.modules and 'pydantic' not in sys.modules\n"
            "aiceiling.sweep\n"
            "assert 'aiceiling.api' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
