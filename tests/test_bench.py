"""A quick run of bench/ itself: the generator is deterministic and valid, the bench script
produces its table. The real benchmark is `make bench`, never part of the suite."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, run_process, sqlite_only

BENCH = REPO / "bench"


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_generator_is_deterministic_and_loads(tmp_path: Path, fmt: str, version: int) -> None:
    first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    for path in (first, second):
        subprocess.run(
            [sys.executable, str(BENCH / "generate.py"), "--trainings", "60", "--format", fmt,
             "--version", str(version), "-o", str(path)],
            check=True, capture_output=True,
        )  # fmt: skip
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text(encoding="utf-8")
    if version == 1:  # the first format: agencies and sources as free text
        assert text.startswith('{"version": 1, "projects": [' if fmt == "json" else "version: 1\n")
    else:  # the format `nexus export` writes: sources and agencies first
        assert text.startswith(
            '{"version": 2, "sources": [' if fmt == "json" else "version: 2\nsources:\n"
        )
    store = tmp_path / "s.db"
    loaded = run_process("load", str(first), env={"NEXUS_DB": str(store)})
    assert loaded.returncode == 0, loaded.stderr
    assert "│ trainings  │    60 │" in loaded.stdout
    assert "│ deliveries │    30 │" in loaded.stdout
    assert "│ sources    │     1 │" in loaded.stdout  # one text, or one source, cited by all
    if version == 2:
        assert "│ agencies   │    60 │" in loaded.stdout
        # Every agency a record names (by id, English or Russian name) is one of the file's.
        assert "new agenc" not in loaded.stderr
    else:  # an agency made for each name of each country
        assert "new agencies made for names no agency of the country had" in loaded.stderr
    agencies = run_process(
        "trainings", "--agency", "таможенная", "--format", "csv", env={"NEXUS_DB": str(store)}
    )
    assert agencies.stdout.count("\n") > 1  # Cyrillic agency names are there to be found

    # The write floor of the listings gives nexus's CSV byte for byte: the same work.
    handovers = run_process(
        "handovers", "--country", "TJ", "--format", "csv", env={"NEXUS_DB": str(store)}
    )
    assert handovers.stdout.count("\n") > 1
    for which, listing in (("handovers", handovers), ("agency", agencies)):
        floor = subprocess.run(
            [sys.executable, str(BENCH / "floor_write.py"), str(store), which],
            check=True, capture_output=True, text=True, encoding="utf-8",
        )  # fmt: skip
        assert floor.stdout == listing.stdout


def _rows(store: Path) -> dict[str, list[str]]:
    """Every table's rows, bookkeeping columns and the spelling of JSON aside."""
    bookkeeping = {"fingerprint", "created_at", "updated_at"}
    db = sqlite3.connect(store)
    try:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE "
                                                 "type = 'table' AND name != 'alembic_version'")]  # fmt: skip
        found = {}
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            found[table] = sorted(
                repr([json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v
                      for name, v in zip(names, row, strict=True) if name not in bookkeeping])
                for row in cursor
            )  # fmt: skip
        return found
    finally:
        db.close()


def test_the_load_floor_stores_what_nexus_stores(tmp_path: Path) -> None:
    """The floor of `nexus load` does the same work: the same rows in the same tables."""
    source = tmp_path / "r.json"
    subprocess.run(
        [sys.executable, str(BENCH / "generate.py"), "--trainings", "40", "--version", "2",
         "-o", str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    empty, by_nexus, by_floor = (tmp_path / f"{name}.db" for name in ("empty", "nexus", "floor"))
    assert run_process("--db", str(empty), "db", "upgrade").returncode == 0
    for copy in (by_nexus, by_floor):
        shutil.copyfile(empty, copy)
    loaded = run_process("--db", str(by_nexus), "load", str(source))
    assert loaded.returncode == 0, loaded.stderr
    subprocess.run(
        [sys.executable, str(BENCH / "floor_load.py"), str(source), str(by_floor)],
        check=True, capture_output=True,
    )  # fmt: skip
    nexus_rows, floor_rows = _rows(by_nexus), _rows(by_floor)
    assert {table: len(rows) for table, rows in nexus_rows.items()}["training_agency"] > 40
    assert floor_rows == nexus_rows


@sqlite_only  # the benchmark makes and times SQLite stores of its own, whatever the run's store
def test_bench_script_writes_its_table(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    env = {**os.environ, "BENCH_SIZES": "40,80", "BENCH_RUNS": "1"}
    subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--output", str(output)],
        check=True, capture_output=True, env=env, timeout=600,
    )  # fmt: skip
    text = output.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results\n\nMachine: Linux")
    for what in ("`nexus --help`", "`nexus load`, JSON, 120 records", "`nexus load`, YAML, 60 records",
                 "`nexus summary`, 80 trainings", "`nexus trainings --agency таможенная --format csv`"):  # fmt: skip
        assert f"| {what}" in text
    assert "time per record, beyond start-up" in text
