"""A quick run of bench/ itself: the generator is deterministic and valid, the bench script
produces its table. The real benchmark is `make bench`, never part of the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, run_process, sqlite_only

BENCH = REPO / "bench"


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_generator_is_deterministic_and_loads(tmp_path: Path, fmt: str) -> None:
    first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    for path in (first, second):
        subprocess.run(
            [
                sys.executable,
                str(BENCH / "generate.py"),
                "--trainings",
                "60",
                "--format",
                fmt,
                "-o",
                str(path),
            ],
            check=True,
            capture_output=True,
        )
    assert first.read_bytes() == second.read_bytes()
    store = tmp_path / "s.db"
    loaded = run_process("load", str(first), env={"NEXUS_DB": str(store)})
    assert loaded.returncode == 0, loaded.stderr
    assert "│ trainings  │    60 │" in loaded.stdout
    assert "│ deliveries │    30 │" in loaded.stdout
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
