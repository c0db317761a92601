"""Fixtures: every test gets its own store (via NEXUS_DB) and its own home directory.

A test never touches the user's real data directory: HOME and XDG_DATA_HOME point into
the test's temporary directory, so even the default store lands there.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from salw_nexus.cli import app

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "data" / "seed.yaml"
NEXUS_SCRIPT = Path(sys.executable).parent / "nexus"

Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for name in ("NEXUS_DB", "NEXUS_DEBUG", "NEXUS_MAX_FILE_BYTES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite store for the test, selected through NEXUS_DB."""
    path = tmp_path / "store.db"
    monkeypatch.setenv("NEXUS_DB", str(path))
    return path


@pytest.fixture
def nexus(db_path: Path) -> Run:
    """Run the CLI in-process (Typer's CliRunner), stdout and stderr kept apart."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


@pytest.fixture
def loaded(nexus: Run) -> Run:
    """The CLI on a store that holds the seed."""
    result = nexus("load")
    assert result.exit_code == 0, result.stderr
    return nexus


def run_process(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, input: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``nexus`` console script as a real process."""
    return subprocess.run(
        [str(NEXUS_SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def snapshot(path: Path) -> list[str]:
    """Everything a SQLite store holds, as SQL text: equal snapshots, unchanged store."""
    if not path.exists():
        return []
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
