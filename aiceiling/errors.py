"""Errors the user can act on: each points at FILE:LINE:COL and names the field."""

from __future__ import annotations

import re
from typing import NamedTuple

# What must never reach a terminal or CI log raw: C0 controls but tab and line feed, DEL,
# C1 controls, line and paragraph separators, bidirectional overrides. Profiles are checked
# for these at load; this is the last guard for text from elsewhere (file names, the API).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069]")


def printable(text: str, *, newlines: bool = True) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``); line feeds
    and tabs kept unless ``newlines`` is false, then shown as spaces."""
    out = _UNSAFE.sub(_escape, text)
    return out if newlines else out.replace("\n", " ").replace("\t", " ")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


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
        return printable(f"{where}: {prefix}{self.message}")


class InputError(Exception):
    """The input cannot be evaluated; carries every diagnostic found (exit code 2)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(set(diagnostics), key=_sort_key)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def _sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return (d.file, d.line or 0, d.column or 0, d.field, d.message)
