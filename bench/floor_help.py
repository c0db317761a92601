"""Floor for `nexus --help`: a bare Typer app with the same commands and nothing else."""

import typer

app = typer.Typer(context_settings={"help_option_names": ["-h", "--help"]})
db = typer.Typer()
app.add_typer(db, name="db")

for name in ("load", "check", "export", "trainings", "handovers", "deliveries", "summary",
             "show", "report", "add-training", "add-delivery", "edit", "remove"):  # fmt: skip
    app.command(name)(lambda: None)
for name in ("path", "current", "upgrade", "backup"):
    db.command(name)(lambda: None)

if __name__ == "__main__":
    app()
