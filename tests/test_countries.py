"""Countries that are not known: say what they are, and suggest only what is close."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Run, write

CASES = [
    ("Russia", "did you mean 'Russian Federation' (RU)?", "Tunisia"),
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
    ("Republic of", "use an ISO 3166-1 code (KZ, KGZ) or an English name", "did you mean"),
    ("DR Congo", "use an ISO 3166-1 code (KZ, KGZ) or an English name", "(CG)"),
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
