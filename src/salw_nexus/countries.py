"""Country names and codes, normalised to ISO 3166-1 alpha-2 with pycountry.

Names are also taken in their natural order: ISO's ``Congo, The Democratic Republic of
the`` is ``Democratic Republic of the Congo`` as well.

Names are also taken in the users' languages: Russian, Kazakh, Kyrgyz, Tajik, Turkmen and
Uzbek, as pycountry's own translations of ISO 3166 have them (``Казахстан``,
``Тоҷикистон``, ``Oʻzbekiston``), and in the older and transliterated forms of
``OTHER_NAMES`` (``Kirgizia``, ``Qazaqstan``, ``Turkmenia``, ``Кыргызстан``). They are
read only when a name is not an English one (~20 ms, once; ~15 ms more to suggest).

When a country is not known, the error says what it is instead, when that can be told:
a former country (``SU``, ``Yugoslavia``: ISO 3166-3), a code ISO reserves for something
that is not a country (``EU``, ``UN``, ``UK`` for GB), or the countries it may stand for.
Only these are suggested: names it begins (``Russia`` -> Russian Federation), a name or
region pycountry's own search finds it in, if no more than two (``Holland`` ->
Netherlands), and close misspellings (``Tajikstan`` -> Tajikistan), compared in Latin
letters with every name in every language above (``Kirgiziya`` -> Kyrgyzstan, never
Kiribati; ``Казакстан`` -> Kazakhstan); a code is never "corrected" into a name (``EU``
is not ``Peru``), nor a fragment into a longer name.
"""

from __future__ import annotations

import difflib
from functools import cache

# Codes ISO 3166-1 reserves for what is not a country (those pycountry knows as former
# countries, SU and FX among them, are named from ISO 3166-3 instead).
RESERVED = {
    "UK": ("the United Kingdom", "GB"),
    "EU": ("the European Union", None),
    "EZ": ("the eurozone", None),
    "UN": ("the United Nations", None),
}
# How alike a name must be (difflib's ratio) to be offered: Tajikstan/Tajikistan is 0.95,
# Russia/Tunisia 0.62.
CLOSE = 0.75
SHORTEST_PREFIX = 4
# Words of many former countries' names: alone they name none of them.
COMMON_WORDS = frozenset(
    ("republic", "of", "the", "democratic", "people's", "socialist", "federal", "union",
     "islands", "island", "and")
)  # fmt: skip


# The users' languages that pycountry translates ISO 3166-1 names into (its locale data).
LANGUAGES = ("ru", "kk", "ky", "tg", "tk", "uz")
# Names in use that neither ISO nor those translations have: older, transliterated and
# Russian short forms. Matched as names are: any case, any apostrophe (Oʻzbekiston).
OTHER_NAMES: dict[str, str] = {
    "Kirgizia": "KG", "Kirghizia": "KG", "Kirgizstan": "KG", "Kirghizstan": "KG",
    "Kyrgyzia": "KG", "Qyrgyzstan": "KG", "Кыргызстан": "KG", "Кыргызская Республика": "KG",
    "Кыргыз Республикасы": "KG",
    "Kazakstan": "KZ", "Qazaqstan": "KZ", "Qazaqstan Respublikasy": "KZ",
    "Республика Казахстан": "KZ",
    "Tadjikistan": "TJ", "Tadzhikistan": "TJ", "Tojikiston": "TJ", "Республика Таджикистан": "TJ",
    "Turkmenia": "TM", "Turkmeniya": "TM", "Туркмения": "TM", "Türkmenistan": "TM",
    "Uzbekiston": "UZ", "Ozbekiston": "UZ", "O'zbekiston": "UZ", "Ўзбекистон": "UZ",
    "Özbekistan": "UZ", "Республика Узбекистан": "UZ", "O'zbekiston Respublikasi": "UZ",
}  # fmt: skip
_APOSTROPHES = str.maketrans(dict.fromkeys("ʻʼ’‘`´", "'"))


def _key(text: str) -> str:
    """How names are compared: casefolded, one apostrophe, single spaces."""
    return " ".join(text.translate(_APOSTROPHES).casefold().split())


class UnknownCountry(ValueError):
    """Raised for a country pycountry does not know; the message says what to write."""


@cache
def _names(attrs: tuple[str, ...] = ("name", "official_name", "common_name")) -> dict[str, str]:
    """Every English name pycountry knows (of the given kinds), casefolded -> alpha-2; an
    inverted name also in its natural order."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in attrs:
            value = getattr(country, attr, None)
            if value:
                for form in (value, *_natural_order(value)):
                    names.setdefault(form.casefold(), country.alpha_2)
    return names


def _natural_order(name: str) -> list[str]:
    """``Congo, The Democratic Republic of the`` -> ``Democratic Republic of the Congo``
    (and with a leading ``The``); ``Korea, Republic of`` -> ``Republic of Korea``."""
    head, comma, tail = name.partition(", ")
    if not comma:
        return []
    natural = f"{tail} {head}"
    without_the = natural.removeprefix("The ").removeprefix("the ")
    return [natural, without_the] if without_the != natural else [natural]


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
    natural = _names().get(cleaned.casefold())
    if natural is not None:
        return natural
    local = _local_keys().get(_key(cleaned))
    if local is not None:
        return local
    raise UnknownCountry(_unknown(text, cleaned)) from None


@cache
def _local_keys() -> dict[str, str]:
    """``_local_names`` as compared (``_key``) -> alpha-2."""
    keys: dict[str, str] = {}
    for name, code in _local_names().items():
        keys.setdefault(_key(name), code)
    return keys


@cache
def _local_names() -> dict[str, str]:
    """Every name of every country in LANGUAGES (pycountry's translations) and OTHER_NAMES
    -> alpha-2."""
    import gettext

    import pycountry

    names = dict(OTHER_NAMES)
    for language in LANGUAGES:
        try:
            translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, [language])
        except OSError:  # a pycountry without that language: its names are not offered
            continue
        for country in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                value = getattr(country, attr, None)
                if value:
                    names.setdefault(translation.gettext(value), country.alpha_2)
    return names


@cache
def _in_latin_letters() -> dict[str, str]:
    """Every name above and every English one, in Latin letters (``Казакстан`` ->
    ``kazakstan``) -> alpha-2: what a misspelling is compared with."""
    from .ids import ascii_words

    every = {**_local_names(), **_names()}
    return {" ".join(ascii_words(name)): code for name, code in every.items()}


# Unknown countries that get a search for what they may stand for (~15 ms each): a hostile
# file naming a million different ones must not take hours. An error shows twenty anyway.
SEARCHED = 200


@cache  # the same words for the same text, however often it comes
def _unknown(text: str, cleaned: str) -> str:
    """Why ``text`` is not a country, and what to write instead."""
    plain = f"unknown country {text!r}; use an ISO 3166-1 code (KZ, KGZ) or a name"
    if _unknown.cache_info().currsize >= SEARCHED:  # the texts explained so far
        return plain
    former = _former(cleaned)
    if former:
        return f"{text!r} is a former country ({former}); give the country of today"
    if cleaned.isascii() and cleaned.isalpha() and len(cleaned) <= 3:
        reserved = RESERVED.get(cleaned.upper())
        if reserved:
            meaning, code = reserved
            if code:
                return f"{text!r} is not a country code; {meaning} is {code}"
            return f"{text!r} stands for {meaning}, not a country; name the country"
        return f"unknown country code {text!r}; use an ISO 3166-1 code (KZ, KGZ) or a name"
    close = _close_names(cleaned.casefold())
    if close:
        offers = " or ".join(f"{name_of(code)!r} ({code})" for code in close)
        return f"unknown country {text!r}; did you mean {offers}?"
    return plain


def _former(cleaned: str) -> str | None:
    """``USSR, Union of Soviet Socialist Republics, until 1992`` for ``SU``, ``SUN``,
    ``Soviet Union`` or ``USSR``; None when ``cleaned`` names no former country."""
    import pycountry

    words = _words(cleaned)
    for country in pycountry.historic_countries:
        codes = {country.alpha_2, country.alpha_3, getattr(country, "alpha_4", "")}
        name = _words(country.name)
        named = (
            name[:1] == words  # "Yugoslavia", "Burma"
            or (len(words) > 1 and set(words) <= set(name) and set(words) - COMMON_WORDS)
        )  # "Soviet Union", but not "Republic of"
        if cleaned.upper() in codes or (len(cleaned) > 3 and named):
            until = str(getattr(country, "withdrawal_date", ""))[:4]
            return country.name + (f", until {until}" if until else "")
    return None


def _words(text: str) -> list[str]:
    return text.casefold().replace(",", " ").replace("(", "").replace(")", "").split()


def _close_names(folded: str) -> list[str]:
    """The codes of the countries ``folded`` may stand for, at most three: names it begins
    (``Russia``, ``Korea``) or that pycountry's search finds it in (``Holland``), else the
    one name most like it, if it is close and of about its length."""
    import pycountry

    if set(_words(folded)) <= COMMON_WORDS:
        return []  # "Republic of" names no country in particular
    if len(folded) >= SHORTEST_PREFIX:
        # Short and common names: many official ones begin "Republic of".
        short = _names(("name", "common_name"))
        begun = sorted({code for name, code in short.items() if name.startswith(folded)})
        try:  # in a name or a region's name: Holland, England
            found = [str(country.alpha_2) for country in pycountry.countries.search_fuzzy(folded)]
        except LookupError:
            found = []
        either = list(dict.fromkeys(begun + found))
        if 0 < len(either) <= 3:
            return either
    from .ids import ascii_words

    names = _in_latin_letters()
    latin = " ".join(ascii_words(folded))
    close = [
        name
        for name in difflib.get_close_matches(latin, names.keys(), n=5, cutoff=CLOSE)
        # A fragment ("DR Congo" of "Congo") is not a misspelling, nor the other way round.
        if min(len(latin), len(name)) >= 0.7 * max(len(latin), len(name))
    ]
    return [names[close[0]]] if close else []


@cache
def name_of(alpha2: str) -> str:
    """The common English name of a stored alpha-2 code (``KG`` -> ``Kyrgyzstan``)."""
    import pycountry

    country = pycountry.countries.get(alpha_2=alpha2)
    if country is None:
        return alpha2
    return str(getattr(country, "common_name", None) or country.name)


def complete(incomplete: str) -> list[tuple[str, str]]:
    """Completions of a country being typed, at most 50: ISO codes it begins, in the case
    typed (``kg``), then names holding it in any case (``kaz``, ``stan``), English ones
    and, for text in another script, names in the users' languages (``каз``)."""
    import pycountry

    needle = _key(incomplete)
    lower = incomplete.islower()
    codes = [
        (c.alpha_2.lower() if lower else c.alpha_2, c.name)
        for c in pycountry.countries
        if c.alpha_2.casefold().startswith(needle)
    ]
    names = {
        str(getattr(c, "common_name", None) or c.name): str(c.alpha_2) for c in pycountry.countries
    }
    if not incomplete.isascii():
        names.update({name: code for name, code in _local_names().items() if not name.isascii()})
    holding = [(name, code) for name, code in names.items() if needle in _key(name)]
    # Names that begin with what was typed first: they are the likelier ones.
    holding.sort(key=lambda pair: (not _key(pair[0]).startswith(needle), pair[0]))
    return (sorted(codes) + holding)[:50]
