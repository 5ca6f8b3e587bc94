"""Profile loading: a parsed YAML document validated into a :class:`Profile` (every error
with its line and column), ``--set PATH=VALUE`` overrides applied to it, and its catalog ids
resolved into a :class:`LoadedProfile`.
"""

from __future__ import annotations

import difflib
import functools
from typing import Any, NamedTuple, get_args, get_origin

from aiceiling.catalog import Catalog
from aiceiling.errors import Diagnostic, InputError
from aiceiling.profile.model import Profile
from aiceiling.profile.yamlsource import Document, Path, dotted, load_text, read_file
from aiceiling.resolve import Resolved, check_ids, profile_layout_errors, resolve


class LoadedProfile(NamedTuple):
    """A profile ready to evaluate: its source document, validated model, resolved catalog
    entries and the catalog they came from."""

    file: str
    document: Document
    profile: Profile
    resolved: Resolved
    catalog: Catalog


def _unwrap(annotation: Any) -> list[Any]:
    """Model classes inside an annotation (through Optional, list, dict, Annotated)."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[Any] = []
    for arg in get_args(annotation):
        found.extend(_unwrap(arg))
    if get_origin(annotation) is None and not found:
        return []
    return found


def _fields_at(path: Path) -> list[str]:
    """Field names of the profile model at ``path``, for a did-you-mean."""
    classes: list[Any] = [Profile]
    for part in path:
        if isinstance(part, int):
            continue
        nxt: list[Any] = []
        for cls in classes:
            info = cls.model_fields.get(part)
            if info is not None:
                nxt.extend(_unwrap(info.annotation))
        classes = nxt
    names: list[str] = []
    for cls in classes:
        names.extend(cls.model_fields)
    return names


@functools.lru_cache(maxsize=256)
def model_at(path: Path) -> Any:
    """The pydantic model class of the profile section at ``path`` (list indexes skipped),
    or None where that is not exactly one model (a mapping of figures, a plain value)."""
    classes: list[Any] = [Profile]
    for part in path:
        if isinstance(part, int):
            continue  # a list element: _unwrap already gave the element's model
        found: list[Any] = []
        for cls in classes:
            info = cls.model_fields.get(part)
            if info is not None:
                found.extend(_unwrap(info.annotation))
        classes = found
    return classes[0] if len(classes) == 1 else None


def _has(node: Any, part: Any) -> bool:
    """Whether ``node[part]`` exists: a key of a mapping or an index of a list."""
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _data_path(data: Any, loc: tuple[Any, ...]) -> Path:
    """Drop pydantic's union-member tags from an error location, keeping real keys."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if _has(node, part):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part not in (
                "id", "inline", "str", "function-after", "function-before"):
            path.append(part)  # a missing field: point at its parent, name the field
            node = None
    return tuple(path)


def _message(error: Any, path: Path) -> str:
    kind = error["type"]
    msg = str(error["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind == "extra_forbidden":
        key = str(path[-1])
        options = _fields_at(path[:-1])
        close = difflib.get_close_matches(key, options, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else \
            f"; expected one of: {', '.join(options)}"
        return f"unknown key {key!r}{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        return f"must be one of {error.get('ctx', {}).get('expected', '')}; got " \
               f"{error.get('input')!r}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a mapping"
    got = error.get("input")
    if isinstance(got, bool):
        shown = "; got a boolean"
    elif isinstance(got, list):
        shown = "; got a list"
    elif isinstance(got, dict):
        shown = "; got a mapping"
    else:
        shown = f"; got {got!r}" if isinstance(got, (str, int, float)) else ""
    if kind == "string_type" and path[-1:] in (("model",), ("hardware",)):
        what = "model" if path[-1] == "model" else "hardware"
        return f"must be a catalog id or an inline {what} mapping{shown}"
    simple = _SIMPLE_MESSAGES.get(kind)
    if simple:
        return simple + shown
    if kind in _BOUND_MESSAGES:
        # No "got": quantities arrive here already converted to SI units.
        bound = next(iter(error.get("ctx", {}).values()), "")
        if isinstance(bound, int) and not isinstance(bound, bool):
            bound_text = f"{bound:,}"
        elif isinstance(bound, float):
            bound_text = f"{bound:g}"
        else:
            bound_text = str(bound)
        return f"must be {_BOUND_MESSAGES[kind]} {bound_text}"
    return msg


_SIMPLE_MESSAGES = {
    "int_type": "must be a whole number", "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number", "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "string_type": "must be text", "list_type": "must be a list",
    "date_type": "must be a date (YYYY-MM-DD)", "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "string_too_short": "must not be empty",
}
_BOUND_MESSAGES = {"greater_than": "greater than", "greater_than_equal": "at least",
                   "less_than": "less than", "less_than_equal": "at most"}


def validate(document: Document) -> Profile:
    """Validate a parsed document as a profile; every error with its line and column."""
    from pydantic import ValidationError

    if not isinstance(document.data, dict):
        what = "a list" if isinstance(document.data, list) else \
            "empty" if document.data is None else f"a single value ({document.data!r})"
        raise InputError([document.diagnostic((), "a profile is a mapping of sections "
                                                  f"(workload:, deployment:, …), not {what}")])
    try:
        return Profile.model_validate(document.data)
    except ValidationError as exc:
        diagnostics = []
        for error in exc.errors():
            path = _data_path(document.data, tuple(error["loc"]))
            message = _message(error, path)
            at = path[:-1] if error["type"] == "missing" else path
            diagnostics.append(document.diagnostic(path, message, at))
        raise InputError(diagnostics) from None


def apply_overrides(document: Document, overrides: list[str]) -> None:
    """Apply ``--set PATH=VALUE`` overrides in place; VALUE is parsed as YAML."""
    errors: list[Diagnostic] = []
    for raw in overrides:
        where = f"--set {raw}"
        key, eq, value_text = raw.partition("=")
        key = key.strip()
        if not eq or not key:
            errors.append(Diagnostic(where, None, None, "", "expected PATH=VALUE, e.g. "
                                     "site.power_budget=\"60 kW\""))
            continue
        try:
            value = load_text(value_text, where).data if value_text.strip() else ""
        except InputError as exc:
            errors.append(Diagnostic(where, None, None, key, exc.diagnostics[0].message))
            continue
        # ASCII digits only: '¹'.isdigit() is true, but it is no list index.
        parts: list[str | int] = [int(p) if p.isascii() and p.isdigit() else p
                                  for p in key.split(".")]
        node = document.data
        if not isinstance(node, dict):
            break
        ok = True
        for i, part in enumerate(parts[:-1]):
            child = node[part] if _has(node, part) else None
            if child is None and isinstance(node, dict) and isinstance(part, str):
                child = node[part] = {}
            if not isinstance(child, (dict, list)):
                errors.append(Diagnostic(where, None, None, dotted(tuple(parts[: i + 1])),
                                         "is not a section that can hold fields"))
                ok = False
                break
            node = child
        if not ok:
            continue
        last = parts[-1]
        if isinstance(node, dict) and isinstance(last, str):
            node[last] = value
        elif isinstance(node, list) and isinstance(last, int) and _has(node, last):
            node[last] = value
        else:
            errors.append(Diagnostic(where, None, None, key, "no such place in the profile"))
            continue
        # Errors about an overridden field point at the --set argument, not the file.
        document.overrides[tuple(parts)] = where
    if errors:
        raise InputError(errors)


def load_profile(path: str, overrides: list[str] | None = None,
                 catalog: Catalog | None = None) -> LoadedProfile:
    """Read, validate and resolve a profile. Raises InputError with every problem found."""
    document = read_file(path)
    return load_document(document, overrides, catalog)


def load_document(document: Document, overrides: list[str] | None = None,
                  catalog: Catalog | None = None) -> LoadedProfile:
    """Apply overrides to a parsed document, validate it and resolve its catalog ids."""
    catalog = catalog or Catalog()
    if overrides:
        apply_overrides(document, overrides)
    id_errors = check_ids(document, catalog)
    try:
        profile = validate(document)
    except InputError as exc:
        raise InputError(exc.diagnostics + id_errors) from None
    if id_errors:
        raise InputError(id_errors)
    resolved = resolve(profile, catalog)
    layout_errors = [document.diagnostic(path, message) for path, message in
                     profile_layout_errors(profile, resolved.model, resolved.hardware)]
    if layout_errors:
        raise InputError(layout_errors)
    return LoadedProfile(document.file, document, profile, resolved, catalog)


def with_overrides(loaded: LoadedProfile, overrides: list[str],
                   catalog: Catalog | None = None) -> LoadedProfile:
    """A loaded profile changed by ``--set`` overrides, applied to a copy of its document
    (the original is untouched). Raises InputError with every problem found."""
    import copy

    base = loaded.document
    document = Document(base.file, copy.deepcopy(base.data), base.positions)
    document.overrides.update(base.overrides)
    return load_document(document, overrides, catalog or loaded.catalog)
