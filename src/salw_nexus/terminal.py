"""The process's standard streams, made to work in any locale and on any console.

Called once by the ``nexus`` entry point, before any output:

- **Files and pipes** get UTF-8, always: what a program or a file receives must not
  depend on the locale (``LC_ALL=C`` made Python write ASCII and fail on ``≥``, ``–`` and
  Cyrillic; ``PYTHONIOENCODING=cp1252`` made CSV fail after its header).
- **A console** keeps its own encoding (what it can show); a character it cannot show is
  written as its nearest ASCII (``≥`` -> ``>=``, ``Министерство`` -> ``Ministerstvo``,
  by ``anyascii``) instead of failing. Windows' own console takes UTF-16 from Python and
  never needs this; a code page forced with PYTHONIOENCODING, or a POSIX terminal under
  the C locale, does.
- **Standard input** under the C locale is read as UTF-8, the encoding terminals send
  (prompts for titles and agency names in Cyrillic).

Arguments are handled where they are read (``text.from_argv``): a path must stay in the
form the operating system gave it, a title must become the text the user typed.
"""

from __future__ import annotations

import codecs
import io
import sys
from typing import Any

FALLBACK = "nexus-nearest-ascii"


def _nearest_ascii(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    from anyascii import anyascii

    shown = "".join(anyascii(char) or "?" for char in error.object[error.start : error.end])
    return shown, error.end


codecs.register_error(FALLBACK, _nearest_ascii)


def is_utf(encoding: str | None) -> bool:
    try:
        return codecs.lookup(encoding or "ascii").name.startswith("utf")
    except LookupError:
        return False


def displayable(text: str, encoding: str) -> str:
    """``text`` as a console in ``encoding`` will show it (its nearest ASCII where needed).

    Used on table cells before Rich measures them, so columns stay aligned when ``щ``
    becomes ``shch``.
    """
    if is_utf(encoding):
        return text
    return text.encode(encoding, FALLBACK).decode(encoding)


def _is_console(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def configure_streams() -> None:
    """UTF-8 to files and pipes; nearest ASCII on a console that cannot show a character."""
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper):
            continue  # replaced already (a test runner, an embedding program)
        if _is_console(stream):
            if not is_utf(stream.encoding):
                stream.reconfigure(errors=FALLBACK)
        elif not is_utf(stream.encoding) or stream.errors == "strict":
            # backslashreplace: a lone surrogate from a file name never stops the output.
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    stdin = sys.stdin
    if isinstance(stdin, io.TextIOWrapper) and codecs.lookup(stdin.encoding).name == "ascii":
        stdin.reconfigure(encoding="utf-8", errors="surrogateescape")
