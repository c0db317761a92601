"""Ids made for records that were given none: agencies named by a load, sources of
version 1's free text. Shared by the load and the migration that made stores version 2.

An id is the readable ASCII of a name (Cyrillic transliterated with ``anyascii``), so
that ``kz-ministerstvo-vnutrennikh-del`` can be typed back on any keyboard.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Container

ID_WORDS = 6  # words of a name in an id made from it
LONGEST_WORD = 24


def ascii_words(text: str) -> list[str]:
    """The words of ``text`` in lower-case ASCII, transliterated where need be."""
    from anyascii import anyascii

    folded = anyascii(unicodedata.normalize("NFKC", text)).lower()
    return [word[:LONGEST_WORD] for word in re.findall(r"[a-z0-9]+", folded)]


def made_agency_id(country: str, name: str, taken: Container[str]) -> str:
    """``kz-ministry-of-internal-affairs``: the country, then the name's first words; with
    ``-2``, ``-3`` ... when ``taken`` has it."""
    words = ascii_words(name)[:ID_WORDS] or ["agency"]
    base = "-".join([country.lower(), *words])
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def made_source_id(title: str) -> str:
    """An id for a source known only by its text (version 1's ``source:``): its first
    words and a short hash of the whole text, so the same text always gets the same id
    and two texts never share one."""
    digest = hashlib.blake2b(title.encode(), digest_size=3).hexdigest()
    return "-".join([*ascii_words(title)[:ID_WORDS], digest])
