"""The progress bar: drawn on a terminal (a real pseudo-terminal), never into a pipe.

Loads and exports of the size where it matters take seconds; NEXUS_PROGRESS_DELAY=0 shows
the bar from the start, so a file of a few thousand records is enough to see it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pexpect
import pytest

from .conftest import NEXUS_SCRIPT, Run, Store, run_process

RECORDS = 3000


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    trainings = [
        {
            "id": f"t-{n}",
            "title": f"Course {n}",
            "country": "KG",
            "start": "2025-01-10",
            "end": "2025-01-12",
            "participants": 20,
            "agencies": ["МВД"],
        }
        for n in range(RECORDS)
    ]
    # The agency is declared, so the load makes none and has nothing to say about it.
    agencies = [{"id": "kg-mvd", "country": "KG", "name": "МВД"}]
    path = tmp_path / "big.json"
    document = {"version": 2, "agencies": agencies, "trainings": trainings}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def on_terminal(db: str, *args: str) -> str:
    env = {**os.environ, "NEXUS_DB": db, "COLUMNS": "100", "NEXUS_PROGRESS_DELAY": "0"}
    child = pexpect.spawn(str(NEXUS_SCRIPT), list(args), env=env, encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return str(child.before)


def test_load_and_export_show_a_bar_on_a_terminal(
    tmp_path: Path, big_file: Path, store: Store
) -> None:
    shown = on_terminal(store.target, "load", str(big_file))
    assert "reading big.json" in shown
    assert "writing" in shown
    assert re.search(r"\d+%", shown)  # the bar's percentage
    assert f"│ trainings  │  {RECORDS} │" in shown  # and then the result, as without it

    exported = tmp_path / "out.yaml"
    shown = on_terminal(store.target, "export", "-o", str(exported))
    assert "reading the store" in shown
    assert "writing YAML" in shown
    assert f"wrote {exported}" in shown
    assert exported.read_text(encoding="utf-8").count("\n- id: t-") == RECORDS


def test_no_bar_when_output_is_not_a_terminal(tmp_path: Path, big_file: Path) -> None:
    env = {"NEXUS_DB": str(tmp_path / "pipe.db"), "NEXUS_PROGRESS_DELAY": "0"}
    loaded = run_process("load", str(big_file), env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stderr == ""
    exported = run_process("export", "--format", "json", env=env)
    assert exported.returncode == 0
    assert exported.stderr == ""
    document = json.loads(exported.stdout)  # a pipe gets the records and nothing else
    assert len(document["trainings"]) == RECORDS
    assert {tuple(t["agencies"]) for t in document["trainings"]} == {("kg-mvd",)}


def test_short_work_shows_no_bar_even_on_a_terminal(tmp_path: Path) -> None:
    # Work shorter than the delay: an hour's delay makes the seed's load short on any
    # machine, however busy (the default second was not, on a loaded CI box).
    env = {**os.environ, "NEXUS_DB": str(tmp_path / "seed.db"), "COLUMNS": "100",
           "NEXUS_PROGRESS_DELAY": "3600"}  # fmt: skip
    child = pexpect.spawn(str(NEXUS_SCRIPT), ["load"], env=env, encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not re.search(r"\d+%", str(child.before))
    assert "writing" not in str(child.before)


def test_a_bad_progress_delay_is_a_usage_error(
    loaded: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    for value in ("soon", "-1", "nan"):
        monkeypatch.setenv("NEXUS_PROGRESS_DELAY", value)
        result = loaded("export")
        assert result.exit_code == 2
        assert "NEXUS_PROGRESS_DELAY must be a number of seconds from 0 to 86,400" in result.stderr
        assert f"got {value!r}" in result.stderr


@pytest.mark.parametrize("listing", ["trainings", "handovers", "summary"])
def test_piped_tables_take_their_natural_width(nexus: Run, listing: str) -> None:
    """Not a terminal: no 80 columns to fit, so no stacked "Details" layout and no id or
    date broken across lines (`nexus handovers > list.txt`, `make demo | less`)."""
    assert nexus("load").exit_code == 0
    environment = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    piped = subprocess.run(
        [str(NEXUS_SCRIPT), listing], capture_output=True, text=True, env=environment,
        check=False,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert "Details" not in piped.stdout
    assert max(len(line) for line in piped.stdout.splitlines()) > 80
    if listing != "summary":
        shown = json.loads(nexus(listing, "-f", "json").stdout)
        lines = piped.stdout.splitlines()
        for record in shown:
            assert any(record["id"] in line for line in lines), record["id"]
    narrow = subprocess.run(
        [str(NEXUS_SCRIPT), listing], capture_output=True, text=True,
        env={**environment, "COLUMNS": "60"}, check=False,
    )  # fmt: skip
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60
