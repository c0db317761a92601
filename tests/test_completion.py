"""Shell completion (cli/completion.py): the script of each shell, and what completes.

Bash is exercised for real: its script is sourced and its completion function run on the
words typed, as bash itself does on Tab. zsh, fish and PowerShell are not installed here:
their scripts are generated and checked for the protocol they speak, and that protocol
is spoken to the real ``nexus``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import NEXUS_SCRIPT, Run


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    db = tmp_path / "completion.db"
    loaded = subprocess.run(
        [str(NEXUS_SCRIPT), "--db", str(db), "load"], capture_output=True, check=False
    )
    assert loaded.returncode == 0, loaded.stderr
    return db


def _environment(db: Path, **more: str) -> dict[str, str]:
    path = f"{NEXUS_SCRIPT.parent}{os.pathsep}{os.environ['PATH']}"
    return {**os.environ, "NEXUS_DB": str(db), "PATH": path, **more}


def bash_completes(db: Path, *words: str) -> list[str]:
    """What bash offers on Tab after ``words`` (the last one being completed), through
    the script ``nexus --show-completion bash`` prints."""
    script = (
        "source <(nexus --show-completion bash)\n"
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))\n'
        "_nexus_completion nexus\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        ["bash", "-c", script, "bash", "nexus", *words],
        env=_environment(db), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [line for line in result.stdout.splitlines() if line]


def test_country_completion(seeded: Path) -> None:
    assert bash_completes(seeded, "add-training", "--country", "Kaz") == ["Kazakhstan"]
    assert bash_completes(seeded, "trainings", "--country", "tj") == ["tj"]
    assert "KG" in bash_completes(seeded, "handovers", "--country", "K")


def test_countries_complete_in_any_case(seeded: Path) -> None:
    assert bash_completes(seeded, "handovers", "-c", "kaz") == ["Kazakhstan"]
    assert bash_completes(seeded, "handovers", "-c", "KAZ") == ["Kazakhstan"]


def test_agencies_complete_by_any_part_in_any_case(seeded: Path) -> None:
    # Every name and alias of an agency, each once, and the agency ids: what --agency takes;
    # a name's spaces escaped, as bash inserts a candidate as it is.
    ministries = [
        "Ministry\\ of\\ Foreign\\ Affairs",
        "Ministry\\ of\\ Internal\\ Affairs",
        "Ministry\\ of\\ Internal\\ Affairs\\ of\\ Kazakhstan",
        "Ministry\\ of\\ Internal\\ Affairs\\ of\\ Tajikistan",
        "Ministry\\ of\\ Internal\\ Affairs\\ of\\ Turkmenistan",
        "Ministry\\ of\\ Internal\\ Affairs\\ of\\ Uzbekistan",
        "Ministry\\ of\\ Internal\\ Affairs\\ of\\ the\\ Kyrgyz\\ Republic",
    ]
    assert bash_completes(seeded, "add-delivery", "--agency", "Min") == ministries
    assert bash_completes(seeded, "trainings", "--agency", "min") == ministries
    supreme = ["Supreme\\ Court", "kg-supreme-court"]
    assert bash_completes(seeded, "trainings", "--agency", "supr") == supreme
    assert bash_completes(seeded, "add-training", "--agency", "kz-m") == ["kz-mfa", "kz-mvd"]
    assert "kg-prosecutor-general" in bash_completes(seeded, "trainings", "-a", "prosecutor")


def test_an_escaped_candidate_is_one_word_to_bash(seeded: Path) -> None:
    candidate = bash_completes(seeded, "trainings", "--agency", "supreme")[0]
    script = f'set -- {candidate}; echo "$#:$1"'
    assert subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=True
    ).stdout == ("1:Supreme Court\n")


def test_record_ids_complete_by_any_part(seeded: Path) -> None:
    offered = bash_completes(seeded, "show", "microscope")
    assert offered == sorted(offered)
    assert "kg-2025-04-03-comparison-microscopes" in offered
    assert all("microscope" in record_id for record_id in offered)
    assert "kg-2025-04-03-comparison-microscopes" in bash_completes(seeded, "remove", "KG-2025")


def test_completion_follows_db_after_the_command(seeded: Path, tmp_path: Path) -> None:
    empty = tmp_path / "other.db"
    assert bash_completes(empty, "trainings", "-a", "supreme") == []
    assert bash_completes(empty, "trainings", "--db", str(seeded), "-a", "supreme") == [
        "Supreme\\ Court",
        "kg-supreme-court",
    ]


def test_commands_complete(seeded: Path) -> None:
    assert bash_completes(seeded, "han") == ["handovers"]


@pytest.mark.parametrize(
    ("shell", "speaks"),
    [
        ("bash", "_NEXUS_COMPLETE=complete_bash"),
        ("zsh", "_NEXUS_COMPLETE=complete_zsh"),
        ("fish", "_NEXUS_COMPLETE=complete_fish"),
        ("powershell", '$Env:_NEXUS_COMPLETE = "complete_powershell"'),
        ("pwsh", '$Env:_NEXUS_COMPLETE = "complete_powershell"'),
    ],
)
def test_each_shell_gets_its_own_script(nexus: Run, shell: str, speaks: str) -> None:
    result = nexus("--show-completion", shell)
    assert result.exit_code == 0, result.stderr
    assert speaks in result.stdout
    others = {"bash", "zsh", "fish", "powershell"} - {
        shell,
        "powershell" if shell == "pwsh" else "",
    }
    for other in others:
        assert f"complete_{other}" not in result.stdout


def test_zsh_fish_and_powershell_are_answered(seeded: Path) -> None:
    def answer(**env: str) -> str:
        return subprocess.run(
            [str(NEXUS_SCRIPT)], env=_environment(seeded, **env),
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    typed = "nexus handovers -c kaz"
    zsh = answer(_NEXUS_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS=typed)
    assert zsh.strip() == """_arguments '*: :(("Kazakhstan":"KZ"))'"""
    fish = answer(
        _NEXUS_COMPLETE="complete_fish", _TYPER_COMPLETE_FISH_ACTION="get-args",
        _TYPER_COMPLETE_ARGS="nexus trainings --agency supr",
    )  # fmt: skip
    assert fish.splitlines() == ["Supreme Court", "kg-supreme-court"]  # fish quotes itself
    powershell = answer(
        _NEXUS_COMPLETE="complete_powershell", _TYPER_COMPLETE_ARGS="nexus show microscope",
        _TYPER_COMPLETE_WORD_TO_COMPLETE="microscope",
    )  # fmt: skip
    assert [line.partition(":::")[0] for line in powershell.splitlines()] == [
        "kg-2025-04-03-comparison-microscopes",
        "tj-2025-02-25-binocular-microscopes",
        "uz-2025-02-14-comparison-microscope",
    ]


def test_an_unknown_shell_is_refused(nexus: Run) -> None:
    result = nexus("--show-completion", "tcsh")
    assert result.exit_code == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish', 'powershell', 'pwsh'" in result.stderr
