"""Plausible values only: counts, values and dates within bounds (bounds.py), and options
out of range are usage errors, never "unexpected failure"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import Run, Store, write

TRAINING = ["add-training", "--title", "T", "--country", "KZ", "--start", "2025-03-03",
            "--end", "2025-03-04", "--no-input"]  # fmt: skip


def training_file(tmp_path: Path, fields: str) -> Path:
    return write(
        tmp_path,
        "r.yaml",
        "version: 1\ntrainings:\n  - id: t-1\n    title: T\n    country: KZ\n" + fields,
    )


# --- 9. counts, values and dates ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "line", "fragment"),
    [
        (
            "    start: 2025-01-01\n    end: 2025-01-01\n    participants: 9223372036854775808\n",
            8,
            "field 'participants': must be at most 1,000,000, got 9223372036854775808",
        ),
        (
            "    start: 2025-01-01\n    end: 2025-01-01\n    participants: 1000001\n",
            8,
            "must be at most 1,000,000",
        ),
        (
            "    start: 2025-01-01\n    end: 2025-01-01\n    female: 10000000000000000000000000000000\n",
            8,
            "field 'female': must be at most 1,000,000",
        ),
        (
            "    start: 9999-12-31\n    end: 9999-12-31\n",
            6,
            "field 'start': date 9999-12-31 is outside 1990–2100; is the year a typo?",
        ),
        (
            "    start: 0001-01-01\n    end: 2025-01-01\n",
            6,
            "field 'start': date 0001-01-01 is outside 1990–2100",
        ),
        ("    start: 2025-01-01\n    end: 2101-01-01\n", 7, "field 'end': date 2101-01-01"),
        (
            "    start: 2025-01-01\n    end: 2025-01-01\n    participants: " + "9" * 5000 + "\n",
            8,
            "number too large",
        ),
    ],
)
def test_implausible_values_in_files_are_refused_by_check_and_load(
    loaded: Run, store: Store, tmp_path: Path, fields: str, line: int, fragment: str
) -> None:
    before = store.snapshot()
    path = training_file(tmp_path, fields)
    for command in ("check", "load"):
        result = loaded(command, str(path))
        assert result.exit_code == 1, (command, result.stdout)
        assert f"{path}:{line}: " in result.stderr
        assert fragment in result.stderr
        assert "unexpected" not in result.stderr
    assert store.snapshot() == before
    assert loaded("summary").exit_code == 0  # the store's summaries still work


def test_an_implausible_item_value_is_refused(loaded: Run, store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "d.json",
        json.dumps(
            {
                "version": 1,
                "deliveries": [
                    {
                        "id": "d-1",
                        "date": "2025-01-01",
                        "country": "KZ",
                        "agency": "MIA",
                        "items": [{"name": "Laptop", "value_usd": 1e300}],
                    }
                ],
            }
        ),
    )
    result = loaded("load", str(path))
    assert result.exit_code == 1
    assert "field 'items[0].value_usd': must be at most 1,000,000,000" in result.stderr


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--participants", "9223372036854775807"], "--participants: must be at most 1,000,000"),
        (["--participants", str(10**30)], "--participants: must be at most 1,000,000"),
        (["--start", "9999-12-31", "--end", "9999-12-31"], "--start: date 9999-12-31 is outside"),
        (["--start", "0001-01-01"], "--start: date 0001-01-01 is outside 1990–2100"),
        (["--title", "x" * 2001], "--title: is 2,001 characters long, over the limit of 2,000"),
        (["--country", "K" * 500], "--country: string should have at most 100 characters"),
    ],
)
def test_implausible_flags_are_refused(
    loaded: Run, store: Store, options: list[str], fragment: str
) -> None:
    before = store.snapshot()
    result = loaded(*TRAINING, *options)
    assert result.exit_code == 1
    assert fragment in result.stderr
    assert "unexpected" not in result.stderr
    assert store.snapshot() == before


# --- 16. options out of range: usage errors, or what they mean ---------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["summary", "--year", "0"],
            "'--year': Input should be greater than or equal to 1990",
        ),
        (["summary", "--year", "-1"], "Input should be greater than or equal to 1990"),
        (
            ["summary", "--year", "9999"],
            "'--year': Input should be less than or equal to 2100",
        ),
        (["summary", "--year", str(10**20)], "Input should be less than or equal to 2100"),
        (["summary", "-q", "0000-Q1"], "--quarter: year 0 is outside 1990–2100"),
        (["summary", "-q", "9999-Q4"], "--quarter: year 9999 is outside 1990–2100"),
        (["report", "-q", "9999-Q4"], "--quarter: year 9999 is outside 1990–2100"),
        (["trainings", "-q", "1000-Q1"], "--quarter: year 1000 is outside"),
    ],
)
def test_years_out_of_range_are_usage_errors(loaded: Run, args: list[str], fragment: str) -> None:
    result = loaded(*args)
    assert result.exit_code == 2, result.stderr
    assert fragment in " ".join(re.sub("[│╭╮╰╯─]", " ", result.stderr).split())  # unboxed
    assert "unexpected" not in result.stderr


def test_huge_limits_and_offsets_mean_all_and_none(loaded: Run) -> None:
    everything = loaded("trainings", "-f", "json", "--limit", str(10**23))
    assert everything.exit_code == 0, everything.stderr
    assert len(json.loads(everything.stdout)) == 2
    nothing = loaded("handovers", "-f", "json", "--offset", str(10**23))
    assert nothing.exit_code == 0, nothing.stderr
    assert json.loads(nothing.stdout) == []


def test_dates_before_and_after_the_bounds_select_as_the_bounds_do(loaded: Run) -> None:
    wide = loaded("summary", "-f", "json", "--from", "0001-01-01", "--to", "9999-12-31")
    assert wide.exit_code == 0, wide.stderr
    assert [row["period"] for row in json.loads(wide.stdout)] == [
        "2022-Q4", "2024-Q4", "2025-Q1", "2025-Q2",
    ]  # fmt: skip
    empty_quarters = loaded("summary", "--empty", "-f", "json", "--to", "9999-12-31")
    assert empty_quarters.exit_code == 0, empty_quarters.stderr
    assert json.loads(empty_quarters.stdout)[-1]["period"] == "2101-Q1"  # to 2101-01-01
    for args in (["--to", "1980-01-01"], ["--from", "2200-01-01"]):
        nothing = loaded("trainings", "-f", "json", *args)
        assert nothing.exit_code == 0, nothing.stderr
        assert json.loads(nothing.stdout) == []
