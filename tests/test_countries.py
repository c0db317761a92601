"""Countries in the users' languages and forms; those not known: say what they are, and
suggest only what is close."""

from __future__ import annotations

from pathlib import Path

import pytest

from salw_nexus.countries import OTHER_NAMES, complete, to_alpha2

from .conftest import Run, write

CASES = [
    ("Russia", "did you mean 'Russian Federation' (RU)?", "Tunisia"),
    # Compared in Latin letters with the names in every language: never Kiribati.
    ("Kirgiziya", "did you mean 'Kyrgyzstan' (KG)?", "Kiribati"),
    ("Kyrgystan", "did you mean 'Kyrgyzstan' (KG)?", "Kiribati"),
    ("Uzbekstan", "did you mean 'Uzbekistan' (UZ)?", "Pakistan"),
    ("Таджикстан", "did you mean 'Tajikistan' (TJ)?", "Pakistan"),
    (
        "Soviet Union",
        "'Soviet Union' is a former country (USSR, Union of Soviet Socialist "
        "Republics, until 1992); give the country of today",
        "Vietnam",
    ),
    ("SU", "'SU' is a former country (USSR", "Sudan"),
    ("Yugoslavia", "'Yugoslavia' is a former country", "did you mean"),
    ("EU", "'EU' stands for the European Union, not a country", "Peru"),
    ("UK", "'UK' is not a country code; the United Kingdom is GB", "Ukraine"),
    ("XX", "unknown country code 'XX'", "did you mean"),
    ("Korea", "did you mean 'North Korea' (KP) or 'South Korea' (KR)?", "Korea, Republic"),
    ("Tajikstan", "did you mean 'Tajikistan' (TJ)?", "Pakistan"),
    ("Kyrgyz Republik", "did you mean 'Kyrgyzstan' (KG)?", "Kiribati"),
    ("Republic of", "use an ISO 3166-1 code (KZ, KGZ) or a name", "did you mean"),
    ("DR Congo", "use an ISO 3166-1 code (KZ, KGZ) or a name", "(CG)"),
    ("Holland", "did you mean 'Netherlands' (NL)?", "Poland"),
    ("England", "did you mean 'United Kingdom' (GB)?", "Greenland"),
    (
        "America",
        "did you mean 'American Samoa' (AS) or 'United States' (US)?",
        "did you mean 'American Samoa' (AS)?",
    ),
]


@pytest.mark.parametrize(("given", "said", "never"), CASES, ids=[c[0] for c in CASES])
def test_unknown_countries_are_explained_without_far_fetched_suggestions(
    loaded: Run, tmp_path: Path, given: str, said: str, never: str
) -> None:
    listing = loaded("trainings", "--country", given)
    assert listing.exit_code == 2
    added = loaded("add-training", "--title", "T", "--country", given, "--start", "2025-01-01",
                   "--end", "2025-01-01", "--no-input")  # fmt: skip
    path = write(
        tmp_path,
        "r.yaml",
        "version: 1\ntrainings:\n  - {id: t, title: T, start: 2025-01-01, end: 2025-01-01, "
        f'country: "{given}"}}\n',
    )
    checked = loaded("check", str(path))
    assert added.exit_code == checked.exit_code == 1
    for result in (listing, added, checked):
        assert said in result.stderr
        assert never not in result.stderr


@pytest.mark.parametrize(
    "given",
    ["KZ", "kgz", "Kyrgyz Republic", "Tajikistan", "uz", "TKM", "Democratic Republic of the Congo",
     "Republic of Korea"],
)  # fmt: skip
def test_known_countries_are_taken(loaded: Run, given: str) -> None:
    assert loaded("trainings", "--country", given).exit_code == 0


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("Кыргызстан", "KG"), ("Киргизия", "KG"), ("Қырғызстан", "KG"), ("Kirgizia", "KG"),
        ("Kirghizia", "KG"), ("Казахстан", "KZ"), ("Қазақстан", "KZ"), ("Qazaqstan", "KZ"),
        ("Kazakstan", "KZ"), ("Таджикистан", "TJ"), ("Тоҷикистон", "TJ"), ("Tadjikistan", "TJ"),
        ("Туркменистан", "TM"), ("Туркмения", "TM"), ("Türkmenistan", "TM"), ("Turkmenia", "TM"),
        ("Узбекистан", "UZ"), ("Oʻzbekiston", "UZ"), ("O’zbekiston", "UZ"), ("o'zbekiston", "UZ"),
        ("Ўзбекистон", "UZ"), ("Uzbekiston", "UZ"), ("Российская Федерация", "RU"),
    ],
)  # fmt: skip
def test_names_in_the_users_languages_and_older_forms_are_taken(given: str, code: str) -> None:
    assert to_alpha2(given) == code


def test_every_other_name_stands_for_a_country_of_today() -> None:
    import pycountry

    for name, code in OTHER_NAMES.items():
        assert pycountry.countries.get(alpha_2=code) is not None, name
        assert to_alpha2(name) == code, name
        assert to_alpha2(name.upper()) == code, name


def test_a_listing_by_a_russian_name_is_the_listing_by_the_code(loaded: Run) -> None:
    by_code = loaded("handovers", "-c", "KG", "-f", "json")
    for name in ("Кыргызстан", "Киргизия", "kirgizia"):
        by_name = loaded("handovers", "-c", name, "-f", "json")
        assert by_name.exit_code == 0, by_name.stderr
        assert by_name.stdout == by_code.stdout
    assert '"country": "KG"' in by_code.stdout


def test_completion_is_by_any_part_in_any_case_and_script() -> None:
    assert complete("kaz") == [("Kazakhstan", "KZ")]
    assert complete("KAZ") == [("Kazakhstan", "KZ")]
    stans = [name for name, _ in complete("stan")]
    for name in ("Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "Uzbekistan"):
        assert name in stans
    assert ("Казахстан", "KZ") in complete("каз")
    assert complete("kg")[0] == ("kg", "Kyrgyzstan")  # a code, in the case typed
    assert all(to_alpha2(value) for value, _ in complete("стан"))
