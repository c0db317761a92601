"""Any locale, any console: UTF-8 to pipes and files, the nearest ASCII on a console that
cannot show a character, arguments read as typed. Real processes: the locale, the
encoding of the standard streams and the terminal are the process's own."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pexpect
import pytest

from .conftest import NEXUS_SCRIPT, run_process, write

C_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
WINDOWS_CODE_PAGE = {"PYTHONIOENCODING": "cp1252"}
CYRILLIC = "Министерство внутренних дел Туркменистана"


@pytest.fixture(scope="module")
def russian_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed, and a handover to a ministry named in Russian (made once: read only)."""
    tmp_path = tmp_path_factory.mktemp("russian")
    db = tmp_path / "ru.db"
    env = {"NEXUS_DB": str(db)}
    assert run_process("load", env=env).returncode == 0
    records = write(
        tmp_path,
        "ru.yaml",
        "version: 1\ndeliveries:\n  - {id: tm-ru, project: tac-nexus, date: 2025-05-05, "
        f"country: TM, agency: {CYRILLIC}, items: [{{name: Ноутбук, quantity: 2}}]}}\n",
    )
    assert run_process("load", str(records), env=env).returncode == 0
    return db


COMMANDS = [  # the commands that failed in such locales: on ≥, –, → and Cyrillic
    (["summary"], "≥36"),
    (["handovers", "-c", "TM"], CYRILLIC),
    (["handovers", "-f", "csv"], CYRILLIC),  # which used to write its header, then fail
    (["show", "tm-ru"], "Ноутбук"),
    (["report", "-q", "2025-Q2"], CYRILLIC),
]


@pytest.mark.parametrize("locale", [C_LOCALE, WINDOWS_CODE_PAGE], ids=["LC_ALL=C", "cp1252"])
@pytest.mark.parametrize(("command", "shown"), COMMANDS, ids=[" ".join(c) for c, _ in COMMANDS])
def test_pipes_get_utf8_in_any_locale(
    russian_store: Path, locale: dict[str, str], command: list[str], shown: str
) -> None:
    result = subprocess.run(
        [str(NEXUS_SCRIPT), *command],
        env={**os.environ, **locale, "NEXUS_DB": str(russian_store)},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert shown in result.stdout.decode("utf-8")  # strict: every byte is UTF-8


@pytest.mark.parametrize("locale", [C_LOCALE, WINDOWS_CODE_PAGE], ids=["LC_ALL=C", "cp1252"])
def test_check_and_errors_in_any_locale(tmp_path: Path, locale: dict[str, str]) -> None:
    path = write(tmp_path, "bad.yaml", "version: 1\ntrainings:\n  - {id: т, title: Курс}\n")
    result = run_process("check", str(path), env={**locale, "NEXUS_DB": str(tmp_path / "x.db")})
    assert result.returncode == 1
    assert "training 'т', field 'id': 'т' is not a valid id" in result.stderr
    good = run_process("check", str(write(tmp_path, "good.yaml", "version: 1\n")), env=locale)
    assert good.returncode == 0
    assert good.stdout.endswith(
        "good.yaml: valid — 0 source(s), 0 agency(ies), 0 project(s), 0 training(s), "
        "0 delivery(ies)\n"
    )


def test_arguments_are_read_as_typed_under_the_c_locale(
    russian_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "copy.db"
    assert (
        run_process("db", "backup", str(store), env={"NEXUS_DB": str(russian_store)}).returncode
        == 0
    )
    env = {**C_LOCALE, "NEXUS_DB": str(store)}
    added = run_process("add-delivery", "--date", "2025-06-06", "--country", "TM", "--agency",
                        CYRILLIC, "--item", "Принтер:1", "--no-input", env=env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    shown = json.loads(run_process("show", added.stdout.strip(), "-f", "json", env=env).stdout)
    assert (shown["agency"], shown["items"][0]["name"]) == (CYRILLIC, "Принтер")
    found = run_process("handovers", "--agency", "внутренних", "-f", "json", env=env)
    assert {h["id"] for h in json.loads(found.stdout)} == {"tm-ru", added.stdout.strip()}
    unknown = run_process("trainings", "--country", "Атлантида", env=env)
    assert "unknown country 'Атлантида'" in unknown.stderr  # not '\udcd0\udc90...'


def test_a_console_that_cannot_show_a_character_gets_its_nearest_ascii(russian_store: Path) -> None:
    env = {**os.environ, **WINDOWS_CODE_PAGE, "NEXUS_DB": str(russian_store), "COLUMNS": "200",
           "NO_COLOR": "1"}  # fmt: skip
    for command, shown in (
        (["summary"], ">=36"),
        (["handovers", "-c", "TM"], "Ministerstvo vnutrennikh del Turkmenistana"),
        (["show", "tm-ru"], "Noutbuk"),
    ):
        child = pexpect.spawn(str(NEXUS_SCRIPT), command, env=env, encoding="cp1252", timeout=30)
        child.expect(pexpect.EOF)
        child.close()
        output = str(child.before)
        assert child.exitstatus == 0, output
        assert shown in output
        assert "Traceback" not in output
