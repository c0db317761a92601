"""The load / export / check commands as a user meets them, and the error boundary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import NEXUS_SCRIPT, SEED, Run, Store, run_process, write


def counts_row(stdout: str, kind: str) -> list[str]:
    line = next(line for line in stdout.splitlines() if f" {kind} " in line)
    return [cell.strip() for cell in line.strip("│┃ ").split("│")]


def test_load_prints_added_then_unchanged(nexus: Run, store: Store) -> None:
    first = nexus("load")
    assert first.exit_code == 0, first.stderr
    assert counts_row(first.stdout, "trainings") == ["trainings", "2", "0", "0"]
    assert counts_row(first.stdout, "deliveries") == ["deliveries", "7", "0", "0"]
    before = store.snapshot()
    second = nexus("load")
    assert counts_row(second.stdout, "trainings") == ["trainings", "0", "0", "2"]
    assert counts_row(second.stdout, "deliveries") == ["deliveries", "0", "0", "7"]
    assert store.snapshot() == before  # loading twice changes nothing, timestamps included


def test_changed_record_is_updated_and_keeps_created_at(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    def stamps() -> tuple[Any, Any]:
        query = "SELECT created_at, updated_at FROM training WHERE id = 'kz-2022-10-firearms-trafficking'"
        created_at, updated_at = store.rows(query)[0]
        return created_at, updated_at

    created, _ = stamps()
    changed = SEED.read_text(encoding="utf-8").replace(
        "    participants: 20\n", "    participants: 21\n"
    )
    result = loaded("load", str(write(tmp_path, "changed.yaml", changed)))
    assert result.exit_code == 0, result.stderr
    assert counts_row(result.stdout, "trainings") == ["trainings", "0", "1", "1"]
    exported = json.loads(loaded("export", "--format", "json").stdout)
    kz = next(t for t in exported["trainings"] if t["id"] == "kz-2022-10-firearms-trafficking")
    assert kz["participants"] == 21
    assert kz["agencies"][0] == "kz-mfa"  # children rewritten, not lost
    mfa = next(a for a in exported["agencies"] if a["id"] == "kz-mfa")
    assert (mfa["country"], mfa["name"]) == ("KZ", "Ministry of Foreign Affairs")
    assert stamps()[0] == created
    assert stamps()[1] > created


def test_load_never_deletes(loaded: Run, tmp_path: Path) -> None:
    only_project = "version: 1\nprojects:\n  - id: tac-nexus\n    title: Renamed\n"
    assert loaded("load", str(write(tmp_path, "p.yaml", only_project))).exit_code == 0
    exported = json.loads(loaded("export", "--format", "json").stdout)
    assert len(exported["trainings"]) == 2
    assert len(exported["deliveries"]) == 7
    assert exported["projects"][0]["title"] == "Renamed"


def test_dry_run_writes_nothing(nexus: Run, store: Store, tmp_path: Path) -> None:
    assert nexus("load").exit_code == 0
    before = store.snapshot()
    changed = SEED.read_text(encoding="utf-8").replace("participants: 20", "participants: 25")
    result = nexus("load", "--dry-run", str(write(tmp_path, "c.yaml", changed)))
    assert result.exit_code == 0
    assert counts_row(result.stdout, "trainings") == ["trainings", "0", "1", "1"]
    assert "dry run: nothing was written" in result.stderr
    assert store.snapshot() == before


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_load_export_is_byte_identical(nexus: Run, tmp_path: Path, fmt: str) -> None:
    assert nexus("load").exit_code == 0
    first = tmp_path / f"first.{fmt}"
    assert nexus("export", "--format", fmt, "-o", str(first)).exit_code == 0
    empty = tmp_path / "empty.db"
    assert nexus("--db", str(empty), "load", str(first)).exit_code == 0
    second = nexus("--db", str(empty), "export", "--format", fmt)
    assert second.exit_code == 0
    assert second.stdout == first.read_text(encoding="utf-8")


def test_exported_yaml_is_plain_yaml_any_reader_can_read(loaded: Run) -> None:
    import yaml

    text = loaded("export").stdout
    assert "start: 2022-10-24" in text  # dates unquoted, as people write them
    assert "country: KG" in text
    document = yaml.safe_load(text)  # a YAML 1.1 reader gets the same values
    assert document["trainings"][0]["participants"] == 16
    assert str(document["deliveries"][0]["date"]) == "2024-11-15"


def test_exported_yaml_quotes_strings_yaml_could_misread(nexus: Run, tmp_path: Path) -> None:
    text = (
        "version: 1\ntrainings:\n  - id: t1\n    title: '0o17'\n    country: 'NO'\n"
        "    city: 'yes'\n    start: 2024-01-01\n    end: 2024-01-01\n    notes: '012'\n"
    )
    assert nexus("load", str(write(tmp_path, "q.yaml", text))).exit_code == 0
    exported = nexus("export").stdout
    for line in ("title: '0o17'", "country: 'NO'", "city: 'yes'", "notes: '012'"):
        assert line in exported
    again = tmp_path / "again.db"
    assert (
        nexus("--db", str(again), "load", str(write(tmp_path, "e.yaml", exported))).exit_code == 0
    )
    assert nexus("--db", str(again), "export").stdout == exported


def test_export_csv_writes_one_file_per_kind(loaded: Run, tmp_path: Path) -> None:
    import csv

    added = loaded(
        "add-delivery", "--id", "kg-laptops", "--date", "2025-09-09", "--country", "KG",
        "--agency", "Ministry of Internal Affairs", "--item", "Laptop:4 / it-equipment / 5200 USD",
        "--item", "Scope / comparison-microscope / 1250.5 eur", "--no-input",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    out = tmp_path / "csv"
    result = loaded("export", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "agencies.csv",
        "deliveries.csv",
        "projects.csv",
        "sources.csv",
        "trainings.csv",
    ]

    def rows(name: str) -> list[dict[str, str]]:
        # For Excel: a byte order mark and CRLF line ends (RFC 4180).
        raw = (out / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        assert raw.count(b"\r\n") >= 1
        assert b"\n" not in raw.replace(b"\r\n", b"")
        with (out / f"{name}.csv").open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    deliveries = {r["id"]: r for r in rows("deliveries")}
    uz = deliveries["uz-2025-02-14-comparison-microscope"]
    assert uz["agency"] == "uz-mvd"
    assert uz["items"] == "Digital forensic comparison microscope:1 / comparison-microscope"
    assert uz["officials"] == "Saidolim Nuriddinov (Police Colonel)"
    assert uz["sources"] == "unodc-2024-2025-ca-equipment-handovers"
    laptops = deliveries["kg-laptops"]
    assert laptops["agency"] == "kg-mvd"  # the name resolved to the country's agency
    assert laptops["items"] == (
        "Laptop:4 / it-equipment / 5200 USD; Scope / comparison-microscope / 1250.5 EUR"
    )
    kg = next(r for r in rows("trainings") if r["country"] == "KG")
    assert kg["participants"] == "16"
    assert kg["approximate"] == "true"
    assert kg["female"] == ""
    assert kg["agencies"].split("; ")[:2] == ["kg-gknb", "kg-mvd"]
    assert kg["sources"] == "unodc-2022-kg-kz-trainings"
    agencies = {r["id"]: r for r in rows("agencies")}
    assert agencies["kg-mvd"] == {
        "id": "kg-mvd",
        "country": "KG",
        "name": "Ministry of Internal Affairs",
        "names": "",
        "aliases": "Ministry of Internal Affairs of the Kyrgyz Republic",
    }
    sources = {r["id"]: r for r in rows("sources")}
    assert sources["unodc-2022-kg-kz-trainings"]["publisher"] == (
        "UNODC Regional Office for Central Asia"
    )
    assert sources["unodc-2022-kg-kz-trainings"]["date"] == ""


def test_export_csv_needs_a_directory(loaded: Run) -> None:
    result = loaded("export", "--format", "csv")
    assert result.exit_code == 2
    assert "--format csv writes one file per kind" in result.stderr
    assert result.stdout == ""


def test_export_to_missing_directory_is_refused(loaded: Run, tmp_path: Path) -> None:
    target = tmp_path / "nope" / "out.yaml"
    result = loaded("export", "-o", str(target))
    assert result.exit_code == 1
    assert f"{target}: the directory {target.parent} does not exist" in result.stderr


def test_export_of_an_empty_store(nexus: Run, tmp_path: Path) -> None:
    empty = write(tmp_path, "empty.yaml", "version: 1\n")
    assert nexus("load", str(empty)).exit_code == 0  # a store with its tables, no records
    result = nexus("export", "--format", "json")
    assert result.exit_code == 0
    exported = json.loads(result.stdout)
    assert exported == {
        "version": 2,
        "sources": [],
        "agencies": [],
        "projects": [],
        "trainings": [],
        "deliveries": [],
    }
    assert list(exported) == ["version", "sources", "agencies", "projects", "trainings",
                              "deliveries"]  # fmt: skip


def test_bad_usage_exits_2(nexus: Run) -> None:
    result = nexus("export", "--format", "xml")
    assert result.exit_code == 2
    assert "--format" in result.stderr


def test_version(nexus: Run) -> None:
    result = nexus("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("nexus ")


def test_real_process_error_has_no_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "version: 1\ntrainings:\n  - id: x\n")
    result = run_process("load", str(bad), env={"NEXUS_DB": str(tmp_path / "s.db")})
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {bad}:3: training 'x', field 'title': is required")
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "version: 1\ntrainings:\n  - id: x\n")
    result = run_process(
        "load", str(bad), env={"NEXUS_DB": str(tmp_path / "s.db"), "NEXUS_DEBUG": "1"}
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "RecordError" in result.stderr


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from salw_nexus.cli import app\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "heavy = [m for m in ('sqlmodel', 'sqlalchemy', 'yaml', 'pycountry', 'pydantic') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_commands_are_built_when_asked_for() -> None:
    """Running one command builds that command only; help lists every one, in order."""
    code = (
        "import os, typer\n"
        "from salw_nexus import cli\n"
        "os.environ['NEXUS_DB'] = 'x.db'\n"
        "group = typer.main.get_command(cli.app)\n"
        "group.main(['db', 'path'], prog_name='nexus', standalone_mode=False)\n"
        "print(sorted(group.commands._built))\n"
        "print(','.join(group.list_commands(None)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    path, built, listed = result.stdout.splitlines()
    assert path.endswith("x.db")
    assert built == "['db']"
    assert listed.split(",") == [
        "load", "check", "export", "trainings", "handovers", "deliveries", "summary", "report",
        "indicators", "show", "add-training", "add-delivery", "edit", "remove", "sources", "agencies", "db",
    ]  # fmt: skip


def test_a_command_and_its_help_through_the_lazy_table(tmp_path: Path) -> None:
    env = {"NEXUS_DB": str(tmp_path / "s.db")}
    listed = run_process("--help", env=env)
    assert listed.returncode == 0
    for name in ("add-training", "deliveries", "db"):
        assert f"│ {name}" in listed.stdout
    helped = run_process("db", "upgrade", "--help", env=env)
    assert helped.returncode == 0
    assert "Usage: nexus db upgrade" in helped.stdout
    typo = run_process("handover", env=env)
    assert typo.returncode == 2
    assert "No such command 'handover'. Did you mean 'handovers'?" in typo.stderr


# --- a reader that goes away ----------------------------------------------------------------


def run_into_closed_pipe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run nexus with a stdout whose reader has gone (``nexus ... | head -0``)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [str(NEXUS_SCRIPT), *args], stdout=write_end, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **env}, timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)


def test_a_committed_write_succeeds_though_its_reader_went_away(store: Store) -> None:
    env = {"NEXUS_DB": store.target}
    loaded = run_into_closed_pipe("load", env=env)
    assert loaded.returncode == 0, loaded.stderr
    added = run_into_closed_pipe("add-delivery", "--date", "2025-09-09", "--country", "KG",
                                 "--agency", "MIA", "--item", "Laptop", "--no-input", env=env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Traceback" not in loaded.stderr + added.stderr
    # Done once each: a script seeing exit 0 does not run them again.
    assert store.rows("SELECT count(*) FROM delivery") == [(8,)]
    listing = run_into_closed_pipe("trainings", "-f", "csv", env=env)
    assert listing.returncode == 1  # a read whose output was lost did not do its work
    assert listing.stderr == ""


def _command_paths() -> list[tuple[str, ...]]:
    """Every command and sub-command, as the words that run it."""
    import typer.main

    from salw_nexus.cli import app

    paths: list[tuple[str, ...]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        if path:
            paths.append(path)
        if getattr(command, "commands", None) is None:
            return
        for name in command.list_commands(None):  # type: ignore[attr-defined]
            walk(command.get_command(None, name), (*path, name))  # type: ignore[attr-defined]

    walk(typer.main.get_command(app), ())
    return paths


@pytest.mark.parametrize("words", _command_paths(), ids=" ".join)
def test_every_command_shows_its_help(nexus: Run, words: tuple[str, ...]) -> None:
    """Help text is shown as written: a literal ``[/ CATEGORY]`` is no markup to fail on."""
    result = nexus(*words, "--help")
    assert result.exit_code == 0, result.stderr
    assert f"Usage: nexus {' '.join(words)}" in result.stdout
    assert result.stderr == ""


# --- conventions: global options, short flags, help -------------------------------------


def test_db_is_taken_after_the_command_too(tmp_path: Path, nexus: Run) -> None:
    other = tmp_path / "other.db"
    assert nexus("load", "--db", str(other)).exit_code == 0
    assert other.exists()
    listed = nexus("trainings", "--db", str(other), "-f", "json")
    assert listed.exit_code == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 2
    assert nexus("db", "path", "--db", str(other)).stdout.strip() == str(other)
    agencies = nexus("agencies", "--db", str(other), "-f", "json")
    assert agencies.exit_code == 0, agencies.stderr
    # Given before and after, the later one counts, as with any repeated option.
    twice = nexus("--db", str(tmp_path / "none.db"), "db", "path", "--db", str(other))
    assert twice.stdout.strip() == str(other)


def _short_flags() -> dict[str, set[str]]:
    """Each short flag of any command, with the long options it stands for."""
    import typer.main

    from salw_nexus.cli import app

    meanings: dict[str, set[str]] = {}

    def walk(command: Any) -> None:
        for param in command.params:
            longs = [o for o in param.opts if o.startswith("--")]
            for short in (o for o in param.opts if not o.startswith("--")):
                meanings.setdefault(short, set()).update(longs)
        for name in getattr(command, "commands", {}):
            walk(command.commands[name])

    walk(typer.main.get_command(app))
    return meanings


def test_a_short_flag_means_one_thing_in_every_command() -> None:
    meanings = _short_flags()
    assert {short: longs for short, longs in meanings.items() if len(longs) > 1} == {}
    assert meanings["-y"] == {"--yes"}


def test_help_shows_flags_as_flags_and_choices_as_choices(nexus: Run) -> None:
    helped = nexus("add-training", "--help").stdout
    assert "<bool>" not in helped
    assert "list[str]" not in helped  # a repeatable option says what one value is
    assert "ID_OR_NAME" in helped
    assert "--no-input" in helped
    summary = nexus("summary", "--help").stdout
    assert "<1|4|7|10>" in summary
    assert "1<=x<=12" not in summary
    assert "<bool>" not in nexus("--help").stdout
    refused = nexus("summary", "--fiscal-year-start", "2")
    assert refused.exit_code == 2
    assert "'2' is not one of '1', '4', '7', '10'" in refused.stderr


# --- load - : a record file on standard input --------------------------------------------


def test_load_reads_standard_input(nexus: Run, store: Store) -> None:
    loaded = nexus("load", "-", input=SEED.read_text(encoding="utf-8"))
    assert loaded.exit_code == 0, loaded.stderr
    assert store.rows("SELECT count(*) FROM delivery") == [(7,)]
    exported = nexus("export", "--format", "json").stdout
    again = nexus("load", "-", input=exported)  # JSON, told by its content
    assert again.exit_code == 0, again.stderr
    assert "unchanged" in again.stdout
    assert nexus("check", "-", input=exported).exit_code == 0


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("version: 2\ntrainings:\n  - id: x\n    title: [\n", "error: <stdin>:5: YAML syntax error"),
        ("", "error: <stdin>: nothing was given"),
        ("version: 2\ntrainings:\n  - {id: t, title: T, country: Narnia, start: 2025-01-01, "
         "end: 2025-01-01}\n", "error: <stdin>:3: "),
    ],
)  # fmt: skip
def test_bad_standard_input_names_stdin_and_writes_nothing(
    loaded: Run, store: Store, text: str, said: str
) -> None:
    before = store.snapshot()
    result = loaded("load", "-", input=text)
    assert result.exit_code == 1
    assert result.stderr.startswith(said), result.stderr
    assert store.snapshot() == before
