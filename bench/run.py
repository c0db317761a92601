"""`make bench`: time nexus against the floor of the same run; write bench/RESULTS.md.

Every figure is a whole process (start-up included), the median of several runs after a
warm-up, with its peak memory (RSS, from the kernel's accounting of that process via
os.wait4). Each nexus figure stands beside its floor, measured in the same run, and the
ratio is what the targets of issue 6 speak of. Only the standard library is used.

    python bench/run.py                      # sizes 10000,100000,1000000
    BENCH_SIZES=200,400 BENCH_RUNS=1 python bench/run.py --output /tmp/r.md   # a quick run
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
NEXUS = str(Path(sys.executable).parent / "nexus")
SEED_ARGS = ["load"]


@dataclass(frozen=True)
class Figure:
    seconds: float  # median wall time
    rss_mb: float  # median peak RSS


@dataclass(frozen=True)
class Row:
    what: str
    nexus: Figure
    floor: Figure
    floor_name: str
    target: float | None  # the ratio the issue asks for, if any

    @property
    def ratio(self) -> float:
        return self.nexus.seconds / self.floor.seconds


def run_once(command: Sequence[str], setup: Callable[[], None] | None = None,
             env: dict[str, str] | None = None) -> tuple[float, float]:  # fmt: skip
    """Wall time and peak RSS (MB) of one run of ``command``."""
    if setup:
        setup()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if status != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(command)}\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024


def figure(runs: list[tuple[float, float]]) -> Figure:
    return Figure(statistics.median(t for t, _ in runs), statistics.median(m for _, m in runs))


def measure(command: Sequence[str], runs: int, setup: Callable[[], None] | None = None,
            env: dict[str, str] | None = None, warm_up: bool = True) -> Figure:  # fmt: skip
    """Median wall time and peak RSS of ``runs`` runs (after one warm-up unless told not to)."""
    if warm_up:
        run_once(command, setup, env)  # the first run warms the caches
    return figure([run_once(command, setup, env) for _ in range(runs)])


def measure_together(commands: Sequence[Sequence[str]], runs: int) -> list[Figure]:
    """``measure`` of several commands, their runs taken in turn (a, b, a, b...): a figure
    and its floor see the same state of the machine, so a slower spell cannot fall on
    one of them only."""
    for command in commands:
        run_once(command)  # warm-up
    taken: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for command, runs_of in zip(commands, taken, strict=True):
            runs_of.append(run_once(command))
    return [figure(runs_of) for runs_of in taken]


def machine() -> str:
    memory = "?"
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    model = "?"
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({model}), {memory}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def run(sizes: list[int], work: Path) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    notes: list[str] = []
    small = int(os.environ.get("BENCH_RUNS", "9"))  # commands of a second or so: noisy
    nexus, floor = measure_together(
        [[NEXUS, "--help"], [PYTHON, str(HERE / "floor_help.py"), "--help"]], small
    )
    rows.append(Row("`nexus --help`", nexus, floor, "bare Typer app, same commands", 1.3))

    seed_store = work / "seed.db"
    subprocess.run([NEXUS, "--db", str(seed_store), "load"], check=True, capture_output=True)
    imports = [PYTHON, "-c", "import typer, rich, sqlmodel"]
    for args in (["handovers"], ["summary"]):
        nexus, floor = measure_together([[NEXUS, "--db", str(seed_store), *args], imports], small)
        rows.append(Row(f"`nexus {' '.join(args)}` (seed store)", nexus, floor,
                        "import typer, rich, sqlmodel", 1.3))  # fmt: skip

    # Loads go into an empty store made once by `nexus db upgrade` and copied before each
    # run: creating a store (and stamping its schema revision) happens once in its life.
    empty_store = work / "empty.db"
    subprocess.run(
        [NEXUS, "--db", str(empty_store), "db", "upgrade"], check=True, capture_output=True
    )
    seed_load = measure([NEXUS, "--db", str(work / "seed-load.db"), "load"], small,
                        fresh(work / "seed-load.db", empty_store))  # fmt: skip
    seed_summary = measure([NEXUS, "--db", str(seed_store), "summary"], small)

    per_record: dict[str, dict[int, float]] = {"json": {}, "json floor": {}, "summary": {}}
    memory: list[str] = []
    stores: dict[int, Path] = {}
    for size in sizes:
        large = size > 10_000
        runs = 1 if large else min(small, 3)
        for fmt in ("json", "yaml"):
            if fmt == "yaml" and size > 100_000:
                notes.append(f"YAML load at {size:,} not measured: PyYAML alone parses "
                             "~3k records/s, so one run would take over ten minutes.")  # fmt: skip
                continue
            source = generate_file(work / f"records-{size}.{fmt}", size, fmt)
            store = work / f"load-{size}-{fmt}.db"
            floor_store = work / f"floor-{size}-{fmt}.db"
            records = size + size // 2
            nexus = measure([NEXUS, "--db", str(store), "load", str(source)], runs,
                            fresh(store, empty_store), warm_up=not large)  # fmt: skip
            floor = measure([PYTHON, str(HERE / "floor_load.py"), str(source), str(floor_store)],
                            runs, fresh(floor_store, empty_store), warm_up=not large)  # fmt: skip
            parse = measure([PYTHON, str(HERE / "floor_load.py"), str(source), "--parse-only"],
                            1, warm_up=False)  # fmt: skip
            rows.append(Row(f"`nexus load`, {fmt.upper()}, {records:,} records", nexus, floor,
                            "parser + raw sqlite3 inserts, same tables", 1.3 if fmt == "yaml" else 2.5))  # fmt: skip
            memory.append(f"| `nexus load`, {fmt.upper()}, {records:,} records | {nexus.rss_mb:.0f} | "
                          f"{parse.rss_mb:.0f} | {nexus.rss_mb / parse.rss_mb:.2f}× | ≤ 2× | "
                          f"{'yes' if nexus.rss_mb <= 2 * parse.rss_mb else '**no**'} |")  # fmt: skip
            if fmt == "json":
                per_record["json"][size] = (nexus.seconds - seed_load.seconds) / records
                per_record["json floor"][size] = floor.seconds / records
                stores[size] = store
            source.unlink()
    for size, store in stores.items():
        figure = measure([NEXUS, "--db", str(store), "summary"], min(small, 3))
        per_record["summary"][size] = (figure.seconds - seed_summary.seconds) / (size * 1.5)
        for args in (["--format", "csv"], ["--limit", "50"]):
            listing = measure([NEXUS, "--db", str(store), "handovers", "--country", "TJ", *args], 1)
            memory.append(f"| `nexus handovers --country TJ {' '.join(args)}`, {size:,} trainings | "
                          f"{listing.rss_mb:.0f} | | | flat in N | |")  # fmt: skip
    size = sizes[-1]
    largest_store = stores[size]
    beyond: list[str] = []
    for label, args, which in (
        ("`nexus summary`", ["summary"], "summary"),
        ("`nexus handovers --country TJ --format csv`", ["handovers", "--country", "TJ", "--format", "csv"], "handovers"),
        ("`nexus trainings --agency таможенная --format csv`",
         ["trainings", "--agency", "таможенная", "--format", "csv"], "agency"),
    ):  # fmt: skip
        # nexus and its floors in turn; then the same on the empty store: what each
        # process costs before any row.
        floors = [[PYTHON, str(HERE / "floor_query.py")]]
        if which != "summary":  # a listing also writes every row: the same CSV from raw sqlite3
            floors.append([PYTHON, str(HERE / "floor_write.py")])
        on_rows = measure_together(
            [[NEXUS, "--db", str(largest_store), *args],
             *[[*floor, str(largest_store), which] for floor in floors]], min(small, 3),
        )  # fmt: skip
        on_empty = measure_together(
            [[NEXUS, "--db", str(empty_store), *args],
             *[[*floor, str(empty_store), which] for floor in floors]], small,
        )  # fmt: skip
        names = ["the same SQL through sqlite3", "the same CSV written from raw sqlite3"]
        for index, floor_name in enumerate(names[: len(floors)], start=1):
            rows.append(Row(f"{label}, {size:,} trainings", on_rows[0], on_rows[index],
                            floor_name, 1.5))  # fmt: skip
            beyond.append(beyond_line(label, on_rows[0], on_empty[0], on_rows[index],
                                      on_empty[index], floor_name.removeprefix("the same ")))  # fmt: skip
    labels = {"json": "Load, JSON", "json floor": "Its floor", "summary": "`nexus summary`"}
    for what, costs in per_record.items():
        if len(costs) > 1:
            spread = max(costs.values()) / min(costs.values())
            growth = costs[max(costs)] / costs[min(costs)]
            detail = ", ".join(f"{n:,}: {c * 1e6:.1f} µs" for n, c in sorted(costs.items()))
            target = "" if what.endswith("floor") else ", target ≤ 1.3×"
            measured = "whole process" if what.endswith("floor") else "beyond start-up"
            notes.append(f"{labels[what]}, time per record, {measured} ({detail}): "
                         f"largest/smallest = {spread:.2f}×, smallest size to largest = "
                         f"{growth:.2f}×{target}.")  # fmt: skip
    notes.append(f"The queries at {size:,} trainings beyond start-up: each command's time on "
                 "the empty store (imports, opening the store, the queries on no rows) "
                 "taken from its time on the large one, for nexus and for the floor:\n\n"
                 "  | what | floor | nexus, empty store s | nexus, the rows s | floor, empty store s | "
                 "floor, the rows s | ratio | target | met |\n"
                 "  |---|---|---:|---:|---:|---:|---:|---|---|\n" + "\n".join(f"  {line}" for line in beyond))  # fmt: skip
    notes.append("Peak memory (MB) against the parse alone (`json.load` or PyYAML's C loader "
                 "of the same file), and of a paged listing as the store grows:\n\n"
                 "  | what | nexus MB | parse alone MB | ratio | target | met |\n"
                 "  |---|---:|---:|---:|---|---|\n" + "\n".join(f"  {line}" for line in memory))  # fmt: skip
    return rows, notes


def beyond_line(label: str, nexus: Figure, nexus_empty: Figure, floor: Figure,
                floor_empty: Figure, floor_name: str) -> str:  # fmt: skip
    """A row of the beyond-start-up table: each side's time on the rows alone."""
    nexus_rows = nexus.seconds - nexus_empty.seconds
    floor_rows = floor.seconds - floor_empty.seconds
    ratio, met = "—", ""  # rows too few to measure beyond the noise of start-up
    if floor_rows > 0.05:
        ratio = f"{nexus_rows / floor_rows:.2f}×"
        met = "yes" if nexus_rows <= 1.5 * floor_rows else "**no**"
    return (f"| {label} | {floor_name} | {nexus_empty.seconds:.3f} | {nexus_rows:.3f} | "
            f"{floor_empty.seconds:.3f} | {floor_rows:.3f} | {ratio} | ≤ 1.5× | {met} |")  # fmt: skip


def generate_file(path: Path, size: int, fmt: str) -> Path:
    """Write a record file (version 2, what `nexus export` writes) in a process of its own.

    Not in this one: a child's peak RSS (ru_maxrss) starts from its parent's peak at the
    fork, so building a large file here would inflate every memory figure after it.
    """
    subprocess.run(
        [PYTHON, str(HERE / "generate.py"), "--trainings", str(size), "--format", fmt,
         "--version", "2", "-o", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def fresh(path: Path, template: Path) -> Callable[[], None]:
    """Before each run: the store at ``path`` becomes a copy of the empty ``template``."""

    def reset() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, path)

    return reset


def table(rows: list[Row]) -> str:
    lines = [
        "| what | nexus s | nexus MB | floor | floor s | floor MB | ratio | target | met |",
        "|---|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        met = "" if row.target is None else ("yes" if row.ratio <= row.target else "**no**")
        target = "" if row.target is None else f"≤ {row.target}×"
        lines.append(
            f"| {row.what} | {row.nexus.seconds:.3f} | {row.nexus.rss_mb:.0f} | {row.floor_name} | "
            f"{row.floor.seconds:.3f} | {row.floor.rss_mb:.0f} | {row.ratio:.2f}× | {target} | {met} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark nexus against its floors.")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000,1000000").split(",")]
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as folder:
        rows, notes = run(sizes, Path(folder))
    report = "\n".join([
        "# Benchmark results", "",
        f"Machine: {machine()}.", "",
        "Whole processes, start-up included; each figure the median of 9 runs after a "
        "warm-up, nexus and its floor taken in turn (3 for loads and large-store queries; loads above 10k records: one run, no "
        "warm-up). Loads go into an empty store made once by `nexus db upgrade` and copied "
        "before each run; the load floor inserts into a copy of the same store (same tables, "
        "indexes and constraints). Ratios are nexus ÷ floor of the same run. "
        "Regenerate with `make bench`.", "",
        table(rows), "",
        *[f"- {note}" for note in notes], "",
    ])  # fmt: skip
    args.output.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
