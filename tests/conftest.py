"""Fixtures: every test gets its own store (via NEXUS_DB) and its own home directory.

A test never touches the user's real data directory: HOME and XDG_DATA_HOME point into
the test's temporary directory, so even the default store lands there.

The store is a new SQLite file, or, when NEXUS_TEST_DATABASE_URL names a PostgreSQL
database, that database emptied for each test: the same suite runs on both.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner, Result

from salw_nexus.cli import app

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "data" / "seed.yaml"
NEXUS_SCRIPT = Path(sys.executable).parent / "nexus"
TEST_DATABASE_URL = os.environ.get("NEXUS_TEST_DATABASE_URL")

Run = Callable[..., Result]

# Property tests: the same examples on every run of `make test` (a failure is reproduced by
# running again, and CI never fails by chance); HYPOTHESIS_PROFILE=explore looks further,
# with new examples each time. Neither writes an example database into the checkout.
_SHARED = settings(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large
    ],
)  # fmt: skip
settings.register_profile("ci", _SHARED, derandomize=True)
settings.register_profile("explore", _SHARED, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    """The PostgreSQL suite shares one database, emptied for each test: one process only."""
    if TEST_DATABASE_URL and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError(
            "NEXUS_TEST_DATABASE_URL: the PostgreSQL suite runs in one process (no -n); "
            "use make test-postgres"
        )


sqlite_only = pytest.mark.skipif(
    TEST_DATABASE_URL is not None, reason="about SQLite files; this run is on PostgreSQL"
)


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


@dataclass
class Store:
    """The test's store, seen from outside nexus (through SQLAlchemy, any database)."""

    target: str  # what NEXUS_DB says: a path or a URL
    path: Path | None  # the SQLite file, if it is one

    def url(self) -> str:
        return f"sqlite:///{self.path}" if self.path else self.target

    def exists(self) -> bool:
        if self.path is not None:
            return self.path.exists()
        query = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        return bool(self.rows(query)[0][0])

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        engine = create_engine(self.url())
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(sql))]
        finally:
            engine.dispose()

    def snapshot(self) -> list[Any]:
        """Everything the store holds, table by table: equal snapshots, unchanged store."""
        if not self.exists():
            return []
        engine = create_engine(self.url())
        try:
            with engine.connect() as connection:
                names = sorted(inspect(connection).get_table_names())
                return [
                    (name, sorted(map(repr, connection.execute(text(f'SELECT * FROM "{name}"')))))
                    for name in names
                ]
        finally:
            engine.dispose()


def _empty_server_database(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A new, empty store for the test, selected through NEXUS_DB."""
    if TEST_DATABASE_URL:
        _empty_server_database(TEST_DATABASE_URL)
        chosen = Store(TEST_DATABASE_URL, None)
    else:
        chosen = Store(str(tmp_path / "store.db"), tmp_path / "store.db")
    monkeypatch.setenv("NEXUS_DB", chosen.target)
    return chosen


@pytest.fixture
def nexus(store: Store) -> Run:
    """Run the CLI in-process (Typer's CliRunner), stdout and stderr kept apart."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


@pytest.fixture
def emptied(nexus: Run, tmp_path: Path) -> Run:
    """The CLI on a store that exists (its tables made) but holds no record."""
    result = nexus("load", str(write(tmp_path, "nothing.yaml", "version: 1\n")))
    assert result.exit_code == 0, result.stderr
    return nexus


@pytest.fixture
def loaded(nexus: Run) -> Run:
    """The CLI on a store that holds the seed."""
    result = nexus("load")
    assert result.exit_code == 0, result.stderr
    return nexus


def run_process(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
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


def snapshot(path: Path) -> list[Any]:
    """Everything a SQLite store file holds (for tests that make their own store file)."""
    return Store(str(path), path).snapshot()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- a real full disk: a small tmpfs in a private mount namespace ----------------------------


def _in_a_mount_namespace(script: str) -> bool:
    """Whether ``script`` runs in a private mount namespace here (root, unshare -m)."""
    probe = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, check=False)
    return probe.returncode == 0


needs_tmpfs = pytest.mark.skipif(
    not _in_a_mount_namespace("mount -t tmpfs -o size=64k tmpfs /mnt"),
    reason="needs a private mount namespace for a small tmpfs (unshare -m)",
)


def on_small_disk(
    tmp_path: Path,
    disk: Path,
    *,
    setup: Sequence[str],
    commands: Sequence[Sequence[str]],
    env: dict[str, str] | None = None,
    size: str = "256k",
) -> list[subprocess.CompletedProcess[str]]:
    """Mount a tmpfs of ``size`` on ``disk`` (seen by these processes only), run the
    ``setup`` shell lines, fill the disk but for one 4 KiB block, then run each of
    ``commands``; returns how each of them ended. A few bytes still fit; a table or a
    load does not."""
    runs = []
    for number, command in enumerate(commands):
        out, err, rc = (tmp_path / f"run{number}.{kind}" for kind in ("out", "err", "rc"))
        runs.append(f"{{ {shlex.join(command)} > {out} 2> {err}; echo $? > {rc}; }}")
    script = " && ".join(
        [
            f"mount -t tmpfs -o size={size} tmpfs {disk}",
            *setup,
            f"free=$(stat -f -c %a {disk})",
            '[ "$free" -gt 1 ]',  # the setup must leave room to fill
            f"dd if=/dev/zero of={disk}/.filler bs=4k count=$(( free - 1 )) 2>/dev/null",
            *runs,
        ]
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [
        subprocess.CompletedProcess(
            command,
            int((tmp_path / f"run{number}.rc").read_text()),
            (tmp_path / f"run{number}.out").read_text(encoding="utf-8"),
            (tmp_path / f"run{number}.err").read_text(encoding="utf-8"),
        )
        for number, command in enumerate(commands)
    ]


LIST_FILES = (
    "import json, os, sys; d = sys.argv[1]; print(json.dumps({n: open(os.path.join(d, n)).read()"
    " for n in sorted(os.listdir(d)) if not n.startswith('.filler')}))"
)


def files_on(disk: Path) -> list[str]:
    """A command printing the files on ``disk`` and their text as JSON (for on_small_disk)."""
    return [sys.executable, "-c", LIST_FILES, str(disk)]


needs_read_only_mount = pytest.mark.skipif(
    not _in_a_mount_namespace("mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp"),
    reason="needs a private mount namespace (unshare -m)",
)


@pytest.fixture
def store_of_its_own(tmp_path: Path) -> Path:
    """A SQLite store holding the seed, alone in a folder (one to mount read-only)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    store = folder / "ro.db"
    assert run_process("load", env={"NEXUS_DB": str(store)}).returncode == 0
    return store


def on_read_only_disk(
    folder: Path, commands: Sequence[Sequence[str]], env: dict[str, str]
) -> list[subprocess.CompletedProcess[str]]:
    """Each nexus command run with ``folder`` mounted read-only (for it alone)."""
    results = []
    for command in commands:
        inside = (
            f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
            + shlex.join([str(NEXUS_SCRIPT), *command])
        )
        results.append(subprocess.run(
            ["unshare", "-m", "sh", "-c", inside], env={**os.environ, **env},
            capture_output=True, text=True, timeout=60, check=False,
        ))  # fmt: skip
    return results


def json_of(run: Run, *args: str) -> Any:
    """What a command prints with ``--format json``, parsed (it must succeed)."""
    import json

    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)
