"""Writing reports: stdout, or a file replaced atomically."""

from __future__ import annotations

import os
import sys
import tempfile


def write(text: str, path: str | None) -> None:
    """Write ``text`` to ``path`` atomically (temp file + rename), or to stdout.

    The file gets the permissions a plain ``open`` would give it (those of the file it
    replaces, else 0666 less the umask), not the temp file's private 0600.
    """
    if path is None or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle, temp = tempfile.mkstemp(prefix=".aiceiling-", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def use_color(no_color: bool, to_file: bool) -> bool:
    """Colour only on a terminal, never with --no-color or NO_COLOR set."""
    if no_color or to_file or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()
