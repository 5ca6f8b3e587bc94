"""Errors the user can act on: each points at FILE:LINE:COL and names the field."""

from __future__ import annotations

from typing import NamedTuple


class Diagnostic(NamedTuple):
    """One thing wrong with an input, and where."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        prefix = f"{self.field}: " if self.field else ""
        return f"{where}: {prefix}{self.message}"


class InputError(Exception):
    """The input cannot be evaluated; carries every diagnostic found (exit code 2)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(set(diagnostics), key=_sort_key)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def _sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return (d.file, d.line or 0, d.column or 0, d.field, d.message)
