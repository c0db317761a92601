"""Country names and codes, normalised to ISO 3166-1 alpha-2 with pycountry."""

from __future__ import annotations

import difflib
from functools import cache


class UnknownCountry(ValueError):
    """Raised for a country pycountry does not know; the message suggests the closest."""


@cache
def _names() -> dict[str, str]:
    """Every English name pycountry knows (name, official and common), casefolded -> alpha-2."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                names.setdefault(value.casefold(), country.alpha_2)
    return names


@cache
def to_alpha2(text: str) -> str:
    """``KG``, ``KGZ``, ``Kyrgyzstan`` or ``Kyrgyz Republic`` -> ``KG``.

    Codes are matched case-insensitively; names through pycountry's own lookup, which
    knows official and common names. Cached: a large file names the same few countries.
    """
    import pycountry

    cleaned = " ".join(text.split())
    if not cleaned:
        raise UnknownCountry("country is empty")
    try:
        return str(pycountry.countries.lookup(cleaned).alpha_2)
    except LookupError:
        pass
    close = difflib.get_close_matches(cleaned.casefold(), _names().keys(), n=1, cutoff=0.6)
    if close:
        code = _names()[close[0]]
        raise UnknownCountry(
            f"unknown country {text!r}; did you mean {name_of(code)!r} ({code})?"
        ) from None
    raise UnknownCountry(
        f"unknown country {text!r}; use an ISO 3166-1 code (KZ, KGZ) or an English name"
    ) from None


@cache
def name_of(alpha2: str) -> str:
    """The common English name of a stored alpha-2 code (``KG`` -> ``Kyrgyzstan``)."""
    import pycountry

    country = pycountry.countries.get(alpha_2=alpha2)
    if country is None:
        return alpha2
    return str(getattr(country, "common_name", None) or country.name)
