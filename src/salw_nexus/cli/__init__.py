"""The ``nexus`` command line: the commands (``commands.py``), the options they share
(``options.py``), records given as options (``entry.py``), and the one error boundary
(``boundary.py``). The only package that imports typer or spells an option."""

from .commands import app, main

__all__ = ["app", "main"]
