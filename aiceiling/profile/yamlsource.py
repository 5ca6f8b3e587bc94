"""Safe YAML loading that keeps the line and column of every node.

Only the YAML core schema is accepted (no language-specific tags are ever constructed),
duplicate keys are an error (silently taking the last one loses data), and the expanded
size and depth of a document are bounded so that alias bombs and deep nesting fail fast.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from aiceiling.errors import Diagnostic, InputError

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 64

Path = tuple[str | int, ...]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
}


# Characters that act on a terminal or a CI log rather than show: C0 controls but tab and
# line feed, DEL, C1 controls (CSI, OSC, NEL…), the Unicode line and paragraph separators,
# and the bidirectional overrides that make text display in another order than it reads.
# A YAML escape such as "\e[2J" builds them from printable text, so the reader's own check
# on the raw stream does not see them.
_UNSAFE = frozenset(
    [*map(chr, range(0x00, 0x09)), *map(chr, range(0x0B, 0x20)),
     *map(chr, range(0x7F, 0xA0)), "\u2028", "\u2029",
     *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))])


def unsafe_character(text: str) -> str | None:
    """The first character of ``text`` that would act on a terminal or CI log, or None."""
    for char in text:
        if char in _UNSAFE:
            return char
    return None


def _unsafe_message(char: str) -> str:
    return (f"control character U+{ord(char):04X} is not allowed in text (it would act on "
            "terminals and CI logs)")


class Document:
    """Plain Python data of a YAML document, with a position for each path in it."""

    def __init__(self, file: str, data: Any,
                 positions: dict[Path, tuple[int, int]] | None = None) -> None:
        self.file = file
        self.data = data
        self.positions = positions if positions is not None else {}
        self.overrides: dict[Path, str] = {}  # path → the --set that set it

    def where(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column (1-based) of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (None, None))

    def locate(self, path: Path) -> tuple[str, int | None, int | None]:
        """File (or the --set argument), line and column that ``path`` came from."""
        for depth in range(len(path), 0, -1):
            if path[:depth] in self.overrides:
                return self.overrides[path[:depth]], None, None
        if path not in self.positions:
            # A section an override created (site.nope for --set site.nope.value=1).
            for overridden, where in self.overrides.items():
                if overridden[: len(path)] == path:
                    return where, None, None
        line, column = self.where(path)
        return self.file, line, column

    def diagnostic(self, path: Path, message: str, at: Path | None = None) -> Diagnostic:
        file, line, column = self.locate(path if at is None else at)
        return Diagnostic(file, line, column, dotted(path), message)


def dotted(path: Path) -> str:
    """``("workload", "traffic", "peak_factor")`` → ``workload.traffic.peak_factor``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[Path, tuple[int, int]] = {}
        self.errors: list[Diagnostic] = []
        self.nodes = 0
        self.constructor = yaml.SafeLoader("")

    def error(self, node: yaml.Node, path: Path, message: str) -> None:
        line, column = _mark(node)
        self.errors.append(Diagnostic(self.file, line, column, dotted(path), message))

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(f"more than {MAX_NODES:,} values after expanding aliases")
        if depth > MAX_DEPTH:
            raise _TooBig(f"nested deeper than {MAX_DEPTH} levels")
        self.positions.setdefault(path, _mark(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self.error(node, path, f"YAML tag {node.tag!r} is not allowed")
                return None
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if node.tag not in _SCALAR_TAGS:
            self.error(node, path, f"YAML tag {node.tag!r} is not allowed")
            return None
        if node.tag == "tag:yaml.org,2002:str":
            bad = unsafe_character(node.value)
            if bad is not None:
                self.error(node, path, _unsafe_message(bad))
                return None
        try:
            return self.constructor.construct_object(node)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError,
                yaml.YAMLError) as exc:
            detail = str(exc) if isinstance(exc, ValueError) else f"not a valid {node.tag[18:]}"
            self.error(node, path, f"invalid value {node.value!r}: {detail}")
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        if node.tag not in ("tag:yaml.org,2002:map",):
            self.error(node, path, f"YAML tag {node.tag!r} is not allowed")
            return {}
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.error(key_node, path, "YAML merge keys ('<<') are not supported")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, path, "mapping keys must be plain strings")
                continue
            key = str(key_node.value)
            bad = unsafe_character(key)
            if bad is not None:
                self.error(key_node, path, "key: " + _unsafe_message(bad))
                continue
            child = (*path, key)
            if key in out:
                first = self.positions.get(child, (0, 0))
                self.error(key_node, child,
                           f"duplicate key (first given at line {first[0]}); "
                           "remove one of them")
                continue
            self.positions[child] = _mark(key_node)
            out[key] = self.build(value_node, child, depth + 1)
        return out


class _TooBig(Exception):
    pass


def _tab_indented(text: str, line: int) -> bool:
    """Whether the 0-based ``line`` (or the one before it) starts its indentation with a tab."""
    lines = text.splitlines()
    for index in (line, line - 1):
        if 0 <= index < len(lines):
            indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
            if "\t" in indent:
                return True
    return False


def nesting_bound(text: str) -> int:
    """Estimate of the document's nesting depth, without parsing it. [levels]

    Counts open flow brackets, leading block-sequence dashes and indentation (two columns a
    level), skipping quoted text and comments roughly. It only has to tell the thousands of
    levels that would crash the C composer from a profile's handful; the exact depth limit
    is enforced while building the document.
    """
    flow = deepest = 0
    for raw in text.splitlines():
        stripped = raw.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(stripped)
        dashes = 0
        while stripped.startswith("- ") or stripped == "-":  # nested block sequence items
            dashes += 1
            stripped = stripped[2:].lstrip(" ")
        quote = ""
        for char in stripped:
            if quote:
                if char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char in "[{":
                flow += 1
                deepest = max(deepest, flow + dashes + indent // 2)
            elif char in "]}":
                flow = max(0, flow - 1)
        deepest = max(deepest, flow + dashes + indent // 2)
    return deepest


def load_text(text: str, file: str) -> Document:
    """Parse YAML text into a Document. Raises InputError with every problem found."""
    if len(text) > MAX_FILE_BYTES:
        raise InputError([Diagnostic(file, None, None, "",
                                     f"file is larger than {MAX_FILE_BYTES:,} bytes")])
    # libyaml composes in C and recurses once per nesting level: tens of thousands of
    # levels overflow the C stack (a crash, not an exception). Bound the nesting first.
    if nesting_bound(text) > MAX_DEPTH:
        raise InputError([Diagnostic(file, None, None, "",
                                     f"document too large: nested deeper than {MAX_DEPTH} "
                                     "levels")])
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        if exc.context_mark is not None and mark is not None and mark.line >= lines:
            # Hit the end of the file: the error is where the unclosed thing started.
            mark = exc.context_mark
            problem = f"{problem} ({exc.context} that starts here)" if exc.context else problem
        elif exc.context and "document" in exc.context:
            problem = f"{exc.context}, {problem}"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        if mark is not None and _tab_indented(text, mark.line):
            problem = "tab characters are not allowed for indentation in YAML; use spaces"
        raise InputError([Diagnostic(file, line, column, "", f"YAML syntax error: {problem}")]) \
            from None
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character))
        raise InputError([Diagnostic(file, line, column, "",
                                     f"YAML syntax error: control character U+{code:04X} is "
                                     "not allowed")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Diagnostic(file, None, None, "", f"YAML error: {exc}")]) from None
    if node is None:
        raise InputError([Diagnostic(file, 1, 1, "", "the file is empty")])
    builder = _Builder(file)
    try:
        data = builder.build(node, (), 0)
    except _TooBig as exc:
        raise InputError([Diagnostic(file, None, None, "", f"document too large: {exc}")]) \
            from None
    if builder.errors:
        raise InputError(builder.errors)
    return Document(file, data, builder.positions)


STDIN = "<stdin>"


def read_file(path: str) -> Document:
    """Read and parse a YAML file (``-``: standard input), with clear errors for the file."""
    import os

    if path == "-":
        import sys

        return load_text(sys.stdin.read(MAX_FILE_BYTES + 1), STDIN)
    if os.path.isdir(path):
        raise InputError([Diagnostic(path, None, None, "", "is a directory, not a profile")])
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError([Diagnostic(path, None, None, "", "no such file")]) from None
    except OSError as exc:
        raise InputError([Diagnostic(path, None, None, "",
                                     f"cannot read: {exc.strerror}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError([Diagnostic(path, None, None, "",
                                     f"file is larger than {MAX_FILE_BYTES:,} bytes")])
    encoding = "utf-8-sig"
    for bom, name in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                      (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            encoding = name  # YAML allows UTF-16 and UTF-32 with a byte-order mark
            break
    if encoding == "utf-8-sig" and b"\x00" in raw:
        raise InputError([Diagnostic(path, None, None, "", "binary file, not YAML text")])
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Diagnostic(path, line, None, "",
                                     "not UTF-8 text (byte "
                                     f"0x{raw[exc.start]:02x} at offset {exc.start})")]) from None
    return load_text(text, path)


def is_date(value: object) -> bool:
    return isinstance(value, dt.date)
