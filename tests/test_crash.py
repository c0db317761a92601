"""Crash safety with real processes: killed mid-load, a full disk, a read-only store.

A load is one transaction, so whatever happens the store holds none or all of a file.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import time
from pathlib import Path

from .conftest import (
    NEXUS_SCRIPT,
    Store,
    needs_read_only_mount,
    on_read_only_disk,
    run_process,
    snapshot,
    sqlite_only,
)

RECORDS = 20_000


def big_file(path: Path, count: int = RECORDS) -> Path:
    trainings = [
        {"id": f"t-{n}", "title": f"Course {n}", "country": ["KZ", "KG", "TJ", "TM", "UZ"][n % 5],
         "start": "2024-03-04", "end": "2024-03-06", "participants": n % 40,
         "agencies": ["Ministry of Internal Affairs", "Министерство юстиции"]}
        for n in range(count)
    ]  # fmt: skip
    path.write_text(json.dumps({"version": 1, "trainings": trainings}), encoding="utf-8")
    return path


def trainings(store: Store) -> int:
    return int(store.rows("SELECT count(*) FROM training")[0][0])


def test_sigkill_during_a_load_leaves_none_or_all(store: Store, tmp_path: Path) -> None:
    assert run_process("load", env={"NEXUS_DB": store.target}).returncode == 0
    seeded = trainings(store)
    source = big_file(tmp_path / "big.json")
    outcomes = set()
    for delay in (0.8, 1.6, 2.4, 3.2):
        process = subprocess.Popen(
            [str(NEXUS_SCRIPT), "load", str(source)],
            env={**os.environ, "NEXUS_DB": store.target},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        count = trainings(store)
        assert count in (seeded, seeded + RECORDS), (delay, count)
        outcomes.add("killed" if process.returncode == -signal.SIGKILL else "finished")
        if store.path is not None:
            assert store.rows("PRAGMA integrity_check") == [("ok",)]
        if count == seeded + RECORDS:
            break  # the load finished before the kill: nothing more to interrupt
    assert "killed" in outcomes
    finished = run_process("load", str(source), env={"NEXUS_DB": store.target}, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert trainings(store) == seeded + RECORDS


@sqlite_only
def test_disk_full_gives_a_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    store = tmp_path / "full.db"
    assert run_process("load", env={"NEXUS_DB": str(store)}).returncode == 0
    before = snapshot(store)
    limit = store.stat().st_size + 64 * 1024  # room for a little, not for 20,000 records

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [str(NEXUS_SCRIPT), "load", str(big_file(tmp_path / "big.json"))],
        env={**os.environ, "NEXUS_DB": str(store)},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=small_disk,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: store {store}:")
    assert "disk" in result.stderr  # "database or disk is full" / "disk I/O error"
    assert "Traceback" not in result.stderr
    assert snapshot(store) == before
    assert Store(str(store), store).rows("PRAGMA integrity_check") == [("ok",)]


@sqlite_only
@needs_read_only_mount
def test_read_only_store_gives_a_clear_error_and_loses_nothing(store_of_its_own: Path) -> None:
    store, folder = store_of_its_own, store_of_its_own.parent
    before = snapshot(store)
    (result,) = on_read_only_disk(
        folder,
        [["add-delivery", "--date", "2025-01-01", "--country", "KZ", "--agency", "X", "--item",
          "Y", "--no-input"]],
        {"NEXUS_DB": str(store)},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: store {store} is read-only:")
    assert "make the file and its directory writable" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(store) == before
