"""Shell completion: the scripts for each shell, and what completes which value.

Typer's completion is kept (its scripts for bash, zsh, fish and PowerShell, and the
protocol they speak), with two changes:

- ``--show-completion SHELL`` names the shell. Typer's own took no value and printed
  the script of the shell it ran under (``--show-completion zsh`` printed bash's); and
  its ``--install-completion`` edited ``~/.bashrc`` or ``~/.zshrc`` in place, a file
  nexus was not asked to replace. The README says where to put the script.
- Countries, agencies and record ids complete case-insensitively and by any part of
  what was typed (``-c kaz``, ``--agency min``, ``show 2025``): typer keeps only the
  candidates that begin with the word as typed, so these completers are installed on
  the parameters of those names directly (``install``), as click's ``shell_complete``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

import typer

from .boundary import chosen_store


def _show(ctx: typer.Context, value: str | None) -> None:
    if value is None or ctx.resilient_parsing:
        return
    from typer.completion import show_callback

    show_callback(ctx, None, value)  # type: ignore[arg-type]  # prints the script and exits


ShowCompletionOption = Annotated[
    Literal["bash", "zsh", "fish", "powershell", "pwsh"] | None,
    typer.Option(
        "--show-completion", metavar="SHELL", callback=_show, expose_value=False,
        is_eager=True,
        help="Print the completion script for SHELL: bash, zsh, fish, powershell or pwsh.",
    ),
]  # fmt: skip


def countries(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Countries holding what was typed: (what to write, what it is)."""
    from salw_nexus.countries import complete

    return complete(incomplete)


def _holding(incomplete: str, candidates: list[str]) -> list[tuple[str, str]]:
    from salw_nexus.models import search_key

    needle = search_key(incomplete)
    return [(name, "") for name in candidates if needle in search_key(name)]


def agencies(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """The ids and every name of the store's agencies that hold what was typed."""
    from salw_nexus import db
    from salw_nexus.editing import agency_names

    with db.session_scope(chosen_store(ctx)) as session:
        return _holding(incomplete, agency_names(session))


def record_ids(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """The ids of the store's trainings, deliveries and projects that hold what was typed."""
    from salw_nexus import db
    from salw_nexus.editing import record_ids

    with db.session_scope(chosen_store(ctx)) as session:
        return _holding(incomplete, record_ids(session))


Completer = Callable[[Any, str], list[tuple[str, str]]]
# By parameter name: a name means the same thing in every command that has it.
COMPLETERS: dict[str, Completer] = {
    "country": countries,
    "agency": agencies,
    "record_id": record_ids,
}


def install(command: Any) -> None:
    """Give the parameters of ``command`` named in COMPLETERS their completer."""
    for param in command.params:
        completer = COMPLETERS.get(param.name or "")
        if completer is not None:
            param._custom_shell_complete = _unfiltered(completer)


def _unfiltered(completer: Completer) -> Callable[[Any, Any, str], list[Any]]:
    def shell_complete(ctx: Any, param: Any, incomplete: str) -> list[Any]:
        from typer._click.shell_completion import CompletionItem

        try:
            found = completer(ctx, incomplete)
        except Exception:  # a store that cannot be opened offers nothing; never a traceback
            return []
        escape = _in_bash(ctx)
        return [
            CompletionItem(_escaped(value) if escape else value, help=help or None)
            for value, help in found[:LONGEST]
        ]

    return shell_complete


def _in_bash(ctx: Any) -> bool:
    """Whether bash asks: its completion inserts a candidate as it is, so a name with
    spaces must come escaped (zsh, fish and PowerShell quote it themselves)."""
    import os

    name = str(ctx.find_root().info_name or "nexus").replace("-", "_").upper()
    return os.environ.get(f"_{name}_COMPLETE") == "complete_bash"


def _escaped(value: str) -> str:
    """``Ministry of Justice`` -> ``Ministry\\ of\\ Justice``, as bash's ``printf %q``."""
    import re

    return re.sub(r"([^\w@%+=:,./-])", r"\\\1", value)


LONGEST = 100  # candidates offered at most: more is a page of noise, not a choice
