"""A team's shared defaults for ``check``: ``.aiceiling.yaml``, or ``[tool.aiceiling]`` in
``pyproject.toml``, found from the working directory upward. Flags override the file.

Keys (the same in both files)::

    fail_on: unknown            # fail | unknown | warn | never
    warn_at: 80                 # warn from this share of a limit used [%]
    catalogs: [catalog/site.yaml]
    formats: [table, sarif=aiceiling.sarif]
    checks: [compute, data]     # check ids or families; default every check
    skip_checks: [energy.carbon_budget]

Paths in the file (catalogs, format outputs) are relative to the file's folder.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NamedTuple

from aiceiling.errors import Diagnostic, InputError

YAML_NAMES = (".aiceiling.yaml", ".aiceiling.yml")
KEYS = ("fail_on", "warn_at", "catalogs", "formats", "checks", "skip_checks")


class Config(NamedTuple):
    path: str | None = None
    fail_on: str | None = None
    warn_at: float | None = None            # share of the limit, 0 < x <= 1
    catalogs: tuple[str, ...] | None = None
    formats: tuple[str, ...] | None = None
    checks: tuple[str, ...] | None = None
    skip_checks: tuple[str, ...] | None = None


def find(start: str) -> str | None:
    """The nearest config file in ``start`` or a folder above it: ``.aiceiling.yaml`` first,
    then a ``pyproject.toml`` that has a ``[tool.aiceiling]`` table."""
    folder = os.path.abspath(start)
    while True:
        for name in YAML_NAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return candidate
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate) and _has_tool_table(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _has_tool_table(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            return any(line.strip().replace(" ", "").startswith("[tool.aiceiling")
                       for line in handle)
    except (OSError, UnicodeDecodeError):
        return False


def _read_toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Diagnostic(path, None, None, "", f"cannot read: {exc}")]) from None
    table = document.get("tool", {}).get("aiceiling", {})
    if not isinstance(table, dict):
        raise InputError([Diagnostic(path, None, None, "tool.aiceiling", "must be a table")])
    return table


def load(path: str) -> Config:
    """Read and check a config file. Raises InputError with every problem found."""
    from aiceiling.gate import FAIL_ON
    from aiceiling.profile.yamlsource import read_file

    folder = os.path.dirname(os.path.abspath(path))
    if path.endswith(".toml"):
        data = _read_toml(path)

        def where(key: str, message: str) -> Diagnostic:
            return Diagnostic(path, None, None, f"tool.aiceiling.{key}", message)
    else:
        document = read_file(path)
        data = document.data if document.data is not None else {}
        if not isinstance(data, dict):
            raise InputError([document.diagnostic((), "a config file is a mapping of "
                                                      f"settings: {', '.join(KEYS)}")])

        def where(key: str, message: str) -> Diagnostic:
            return document.diagnostic((key,), message)

    errors: list[Diagnostic] = []
    values: dict[str, Any] = {"path": path}
    for key, value in data.items():
        if key not in KEYS:
            import difflib

            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(KEYS)}"
            errors.append(where(str(key), f"unknown setting {key!r}{hint}"))
        elif key == "fail_on":
            if value not in FAIL_ON:
                errors.append(where(key, f"must be one of {', '.join(FAIL_ON)}; got {value!r}"))
            else:
                values[key] = value
        elif key == "warn_at":
            try:
                values[key] = warn_share(value)
            except ValueError as exc:
                errors.append(where(key, str(exc)))
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(where(key, "must be a list of text"))
        elif key == "catalogs":
            values[key] = tuple(os.path.join(folder, v) for v in value)
        elif key == "formats":
            values[key] = tuple(_relative_output(v, folder) for v in value)
        else:
            values[key] = tuple(value)
    if errors:
        raise InputError(errors)
    return Config(**values)


def _relative_output(spec: str, folder: str) -> str:
    name, eq, file = spec.partition("=")
    if not eq or file == "-":
        return spec
    return f"{name}={os.path.join(folder, file)}"


def warn_share(value: object) -> float:
    """A warning margin given in percent (``80``, ``"80 %"``) as a share of the limit."""
    text = str(value).strip().removesuffix("%").strip()
    try:
        percent = float(text) if not isinstance(value, bool) else float("nan")
    except ValueError:
        percent = float("nan")
    if not 0 < percent <= 100:
        raise ValueError(f"must be a percentage of the limit above 0 and at most 100, such "
                         f"as 80; got {value!r}")
    return percent / 100
