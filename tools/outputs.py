"""Golden outputs of `nexus`: prove a refactoring changes no byte that a user sees.

Runs a fixed list of about 150 commands with a given `nexus` executable and writes, for
each, one file ``OUT/<NNN>-<slug>.txt`` holding the command line, the exit status, stdout,
stderr and the bytes of every file the command wrote (``-o`` outputs; a CSV export
directory file by file, sorted by name). Run it once with the code before the change and
once after, then compare the two directories::

    cd /path/to/baseline && python tools/outputs.py --nexus .venv/bin/nexus --out /tmp/golden-a
    cd /path/to/changed && python tools/outputs.py --nexus .venv/bin/nexus --out /tmp/golden-b
    python tools/outputs.py --compare /tmp/golden-a /tmp/golden-b    # or: diff -r A B

Run it from the top of a checkout: ``--seed`` (``data/seed.yaml``) and ``--generator``
(``bench/generate.py``) are read relative to the current directory. The stores are made
in a fresh temporary directory under ``--tmp-root`` (default ``/tmp``):

- the seed store (``nexus load``, the bundled seed), which ``NEXUS_DB`` points at;
- a generated store: ``bench/generate.py --trainings 10000 --format json`` (10,000
  trainings, 5,000 deliveries, deterministic), loaded with ``nexus --db STORE load FILE``;
- copies of the freshly loaded seed store (``shutil``), one per sequence of writes
  (``add-*``, ``edit``, ``remove``, ``load``), each ending with ``export -f yaml`` so that
  the stored rows are compared too.

Every command runs with a fixed environment (``COLUMNS=120``, ``LINES=50``,
``NO_COLOR=1``, ``TERM=dumb``, ``LC_ALL=C.UTF-8``, ``HOME`` and ``XDG_DATA_HOME`` in the
temporary directory, ``NEXUS_PROGRESS_DELAY=1000``, and of the caller's environment only
``PATH``: no other ``NEXUS_*`` or ``PYTHON*`` variable) and standard input from
``/dev/null``. Independent sequences run in parallel (``--jobs``); each output depends only
on its own sequence, so the files are the same whatever the number of jobs. A run takes
about 70 s on two cores and writes about 70 MB (mostly the 10k store's full listings).

What truly varies from run to run is replaced before writing (see ``Normaliser``): the
temporary directory (``<TMP>``), the installed package directory (``<PKG>``) and the seed
file's path (``<SEED>``), which differ between checkouts, the records' ``created_at`` and
``updated_at`` timestamps (``<TIMESTAMP>``) and the donor report's "Prepared" date
(``<TODAY>``). Nothing else is touched. Both runs should use the same ``--tmp-root``:
messages on stderr are wrapped at ``COLUMNS``, so a temporary path of another length
wraps them elsewhere.

Standard library only; exit status 0 when every output was written (whatever the
commands' own statuses), 1 on ``--compare`` when outputs differ, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT_SECONDS = 600  # one command; the slowest (a 10k-row table) takes about 10 s

# Ids of the bundled seed (data/seed.yaml), as `nexus trainings -f json` and
# `nexus handovers -f json` list them: the first and the last of each, and the project.
SEED_PROJECT = "tac-nexus"
SEED_TRAINING_FIRST = "kg-2022-10-firearms-trafficking"
SEED_TRAINING_LAST = "kz-2022-10-firearms-trafficking"
SEED_DELIVERY_FIRST = "kz-2024-11-15-it-equipment"
SEED_DELIVERY_LAST = "uz-2025-02-14-comparison-microscope"
BENCH_PROJECT = "bench"  # the one project of bench/generate.py's files

LISTING_FORMATS = ("table", "csv", "json", "markdown")
LISTING_KINDS = ("trainings", "handovers", "deliveries")  # deliveries: an alias of handovers

# A training (and its project) that `check` accepts; each broken file changes one thing.
VALID_RECORD = """\
version: 1
projects:
  - id: test-project
    title: Test project
trainings:
  - id: kg-2024-01-15-test
    title: Test course
    country: KG
    start: 2024-01-15
    end: 2024-01-17
    participants: 10
"""
BROKEN_FILES: dict[str, str] = {
    "bad-date.yaml": VALID_RECORD.replace("start: 2024-01-15", "start: 2024-02-30"),
    "unknown-field.yaml": VALID_RECORD + "    femal: 3\n",
    "duplicate-id.yaml": VALID_RECORD
    + "  - id: kg-2024-01-15-test\n    title: Again\n    country: KG\n"
    + "    start: 2024-02-01\n    end: 2024-02-02\n",
    "bad-country.yaml": VALID_RECORD.replace("country: KG", "country: Tajikstan"),
    "wrong-version.yaml": VALID_RECORD.replace("version: 1", "version: 2"),
    # several problems at once, for `load` (every one is listed, nothing is written)
    "many-problems.yaml": VALID_RECORD.replace("start: 2024-01-15", "start: 2024-02-30")
    .replace("country: KG", "country: Tajikstan")
    .replace("participants: 10", "participants: 012\n    femal: 3"),
}

ADD_TRAINING = (
    "add-training", "--no-input", "--title", "Test course", "-c", "KG",
    "--start", "2025-02-03", "--end", "2025-02-05", "--participants", "12",
    "--female", "5", "--male", "7", "-a", "Supreme Court", "-a", "МВД", "--topic", "tracing",
)  # fmt: skip


class UsageError(Exception):
    """Bad arguments: reported on stderr with exit status 2."""


@dataclass(frozen=True)
class Step:
    """One command: its arguments after `nexus`, and the paths it writes (to capture)."""

    label: str  # which store, for the file name: seed, 10k, write-training...
    args: tuple[str, ...]
    captures: tuple[Path, ...] = ()  # files, or directories (every file in them, sorted)
    slug: str | None = None  # the file name's tail when the arguments make a poor one
    note: str = ""  # a line written under the command line


@dataclass
class Numbered:
    number: int
    step: Step


@dataclass
class Context:
    nexus: str
    tmp: Path
    env: dict[str, str]
    out: Path
    normalise: Callable[[str], str]
    counter: list[int] = field(default_factory=lambda: [0])

    def number(self, steps: Sequence[Step]) -> list[Numbered]:
        """Numbers in plan order, so that file names never depend on timing."""
        numbered = []
        for step in steps:
            numbered.append(Numbered(self.counter[0], step))
            self.counter[0] += 1
        return numbered


class Normaliser:
    """Replace what differs between two runs of the same code, and nothing else."""

    # created_at / updated_at, as `show` prints them (table: "2025-01-02 03:04:05.678901",
    # JSON: "2025-01-02T03:04:05.678901"). Record fields hold dates only, never times, so
    # a date with a time of day can only be one of these. (A timestamp whose microseconds
    # are exactly 0 prints 7 characters shorter and could widen a table differently: one
    # chance in a million per record.)
    TIMESTAMP = re.compile(
        r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:?\d{2})?"
    )
    # The donor report's "Prepared" row is the day it was run (Markdown and HTML).
    PREPARED = re.compile(r"(Prepared(?:\s*\|\s*|</th>\s*<td>))\d{4}-\d{2}-\d{2}")

    def __init__(self, paths: dict[str, str]) -> None:
        # Longest first, so that a path inside another one is replaced as the longer one.
        self.paths = sorted(
            ((path, name) for path, name in paths.items() if path),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    def __call__(self, text: str) -> str:
        for path, name in self.paths:
            text = text.replace(path, name)
        text = self.TIMESTAMP.sub("<TIMESTAMP>", text)
        return self.PREPARED.sub(r"\1<TODAY>", text)


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def section(title: str, data: bytes, normalise: Callable[[str], str]) -> str:
    text = normalise(decode(data))
    size = len(encode(text))
    if not text:
        return f"=== {title} (0 bytes)\n"
    if text.endswith("\n"):
        return f"=== {title} ({size} bytes)\n{text}"
    return f"=== {title} ({size} bytes, no newline at end)\n{text}\n"


def slug_of(step: Step) -> str:
    words: list[str] = [step.label]
    if step.slug is not None:
        words.append(step.slug)
    else:
        skip = False
        for arg in step.args:
            if skip:  # the store's path after --db: the label names the store
                skip = False
                continue
            if arg == "--db":
                skip = True
                continue
            words.append(arg.rsplit("/", 1)[-1])  # a path: its last part
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(words).lower()).strip("-")
    return slug[:70].rstrip("-")


def captured_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted((p for p in path.rglob("*") if not p.is_dir()), key=str)
    return [path]


def run_step(ctx: Context, item: Numbered) -> subprocess.CompletedProcess[bytes]:
    step = item.step
    started = time.monotonic()
    argv = [ctx.nexus, *step.args]
    try:
        proc = subprocess.run(
            argv,
            cwd=ctx.tmp / "work",
            env=ctx.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        status = str(proc.returncode)
    except subprocess.TimeoutExpired as expired:  # recorded as such; the run goes on
        proc = subprocess.CompletedProcess(argv, -1, expired.stdout or b"", expired.stderr or b"")
        status = f"killed after {TIMEOUT_SECONDS} s"
    elapsed = time.monotonic() - started
    parts = [
        ctx.normalise("$ nexus " + shlex.join(step.args)) + "\n",
        f"# {step.note}\n" if step.note else "",
        f"exit: {status}\n",
        section("stdout", proc.stdout, ctx.normalise),
        section("stderr", proc.stderr, ctx.normalise),
    ]
    for target in step.captures:
        for path in captured_files(target):
            name = ctx.normalise(str(path))
            if path.is_file():
                parts.append(section(f"file {name}", path.read_bytes(), ctx.normalise))
            else:
                parts.append(f"=== file {name}: missing\n")
    name = f"{item.number:03d}-{slug_of(step)}.txt"
    (ctx.out / name).write_bytes(encode("".join(parts)))
    print(f"{elapsed:6.1f}s  exit {status}  {name}", file=sys.stderr)
    return proc


def run_sequence(ctx: Context, items: list[Numbered]) -> None:
    for item in items:
        run_step(ctx, item)


def listing_ids(proc: subprocess.CompletedProcess[bytes]) -> list[str]:
    if proc.returncode != 0:
        raise SystemExit(f"error: a JSON listing failed: {decode(proc.stderr)}")
    return [str(record["id"]) for record in json.loads(proc.stdout)]


def package_dir(nexus: str, env: dict[str, str]) -> str:
    """The installed salw_nexus directory, found with the interpreter `nexus` runs on."""
    try:
        first = Path(nexus).read_bytes().split(b"\n", 1)[0]
    except OSError:
        return ""
    if not first.startswith(b"#!"):
        return ""
    interpreter = shlex.split(decode(first[2:]))
    code = (
        "import importlib.util as u, os; print(os.path.dirname(u.find_spec('salw_nexus').origin))"
    )
    proc = subprocess.run(
        [*interpreter, "-c", code], env=env, capture_output=True, check=False, timeout=60
    )
    return decode(proc.stdout).strip() if proc.returncode == 0 else ""


# --- the plan -----------------------------------------------------------------------------


def listings(label: str, db: tuple[str, ...], project: str, big: bool) -> list[Step]:
    formats: dict[str, Sequence[str]] = dict.fromkeys(LISTING_KINDS, LISTING_FORMATS)
    if big:  # its JSON listings run first (see execute), to read ids from; the alias once
        not_json = ("table", "csv", "markdown")
        formats = {"trainings": not_json, "handovers": not_json, "deliveries": ("csv",)}
    steps = [Step(label, (*db, kind, "-f", fmt)) for kind in LISTING_KINDS for fmt in formats[kind]]
    # The seed store's filters in tables; the generated store's in several formats, since
    # json and csv stream from SQL while table and markdown gather and add totals.
    filters: list[tuple[tuple[str, ...], str, str]] = [
        (("-c", "KG"), "table", ""),
        (("-c", "kyrgyzstan"), "csv", ""),
        (("--quarter", "2022-Q4"), "markdown", ""),
        (("--from", "2022-01-01", "--to", "2023-06-30"), "csv", ""),
        (("--agency", "мвд"), "table", "agency-mvd"),
        (("--agency", "court"), "json", ""),
        (("-p", project), "csv", ""),
        (("-n", "3", "--offset", "2"), "table", ""),
    ]
    if big:
        filters.append((("-n", "5"), "markdown", ""))
        # The generated agencies are spelled out in Russian, so мвд finds none; this finds
        # "Министерство внутренних дел" in any case (the seed has no Cyrillic name at all).
        filters.append((("--agency", "МИНИСТЕРСТВО"), "csv", "agency-ministerstvo"))
    for kind in ("trainings", "handovers"):
        for options, big_format, slug in filters:
            fmt = big_format if big else "table"
            args = (*db, kind, *options, "-f", fmt)
            name = f"{kind}-{slug}-f-{fmt}" if slug else None
            steps.append(Step(label, args, slug=name))
    return steps


def summaries(label: str, db: tuple[str, ...]) -> list[Step]:
    steps = [Step(label, (*db, "summary", "-f", fmt)) for fmt in LISTING_FORMATS]
    for options in (
        ("--fiscal-year-start", "4", "--chart"),
        ("--empty",),
        ("-y", "2024"),
        ("-y", "2024", "--fiscal-year-start", "4", "-f", "csv"),
        ("-c", "KZ", "-f", "json"),
    ):
        steps.append(Step(label, (*db, "summary", *options)))
    return steps


def reports(label: str, db: tuple[str, ...], tmp: Path, big: bool) -> list[Step]:
    steps = []
    for quarter in (("--quarter", "2022-Q4"), ("--quarter", "2025-Q1", "--fiscal-year-start", "4")):
        for fmt in ("markdown", "html"):
            steps.append(Step(label, (*db, "report", *quarter, "-f", fmt)))
    if big:  # the store's only project is the default; name it once
        steps.append(Step(label, (*db, "report", "-q", "2025-Q1", "--project", BENCH_PROJECT)))
    else:
        out = tmp / "out" / f"{label}-report"
        out.mkdir()  # an output file's directory must exist
        args = ("report", "-q", "2025-Q1", "--fiscal-year-start", "4", "-f", "html")
        steps.append(Step(label, (*db, *args, "-o", str(out / "q1.html")), captures=(out,)))
    return steps


def shows(label: str, db: tuple[str, ...], ids: tuple[str, str, str], big: bool) -> list[Step]:
    training, delivery, _project = ids
    steps = []
    for record in ids:
        for fmt in ("table", "json"):
            steps.append(Step(label, (*db, "show", record, "-f", fmt)))
    if not big:
        for record in (training, delivery):
            for fmt in ("csv", "markdown"):
                steps.append(Step(label, (*db, "show", record, "-f", fmt)))
    return steps


def exports(label: str, db: tuple[str, ...], tmp: Path) -> list[Step]:
    json_out = tmp / "out" / f"{label}-export-json"
    json_out.mkdir()  # an output file's directory must exist; a CSV directory is made
    csv_out = tmp / "out" / f"{label}-export-csv" / "tables"
    return [
        Step(label, (*db, "export", "-f", "yaml")),
        Step(label, (*db, "export", "-f", "json")),
        Step(
            label, (*db, "export", "-f", "json", "-o", str(json_out / "record.json")), (json_out,)
        ),
        Step(label, (*db, "export", "-f", "csv", "-o", str(csv_out)), (csv_out,)),
    ]


def checks(tmp: Path, seed: Path) -> list[Step]:
    steps = [Step("check", ("check", str(seed)), slug="seed")]
    for name in BROKEN_FILES:
        if name != "many-problems.yaml":
            steps.append(Step("check", ("check", str(tmp / "inputs" / name))))
    return steps


def errors() -> list[Step]:
    """Usage and data errors on the seed store (it is NEXUS_DB)."""
    return [
        Step("error", ("trainings", "--quarter", "2025-Q5")),
        Step("error", ("trainings", "-c", "Atlantis")),
        Step("error", ("trainings", "--from", "2025-13-01")),
        Step("error", ("show", "no-such-id")),
        Step("error", ("summary", "--fiscal-year-start", "5")),
        Step("error", ("report", "--quarter", "bad")),
        Step("error", ("report", "--project", "nope")),
        Step("error", ("export", "-f", "csv")),
    ]


def db_commands(label: str, db: tuple[str, ...]) -> list[Step]:
    return [Step(label, (*db, "db", sub)) for sub in ("current", "path", "check")]


def write_sequences(tmp: Path, pristine: Path) -> list[list[Step]]:
    """Writes on copies of the freshly loaded seed store, one copy per sequence."""
    stores = tmp / "stores"

    def copy(name: str) -> tuple[str, ...]:
        target = stores / f"{name}.db"
        shutil.copyfile(pristine, target)
        return ("--db", str(target))

    label = "write-training"
    db = copy(label)
    trainings = [
        Step(label, (*db, *ADD_TRAINING), slug="add-training"),
        Step(label, (*db, *ADD_TRAINING), slug="add-training-again"),
        Step(label, (*db, *ADD_TRAINING[:8]), slug="add-training-no-end"),
        Step(label, (*db, "add-training", "--id", SEED_DELIVERY_FIRST, *ADD_TRAINING[1:])),
        Step(label, (*db, "trainings", "--agency", "мвд"), slug="trainings-agency-mvd"),
        Step(label, (*db, "edit", SEED_TRAINING_FIRST, "--city", "Osh", "--participants", "20")),
        Step(label, (*db, "edit", SEED_TRAINING_FIRST)),
        Step(label, (*db, "remove", SEED_TRAINING_LAST, "--yes")),
        Step(label, (*db, "export", "-f", "yaml")),
    ]
    label = "write-delivery"
    db = copy(label)
    deliveries = [
        Step(label, (*db, "add-delivery", "--no-input", "--date", "2025-03-01", "-c", "TJ",
                     "-a", "Ministry of Internal Affairs", "--item", "Laptop:4",
                     "--item", "Microscope", "--official", "A. Name:Colonel")),
        Step(label, (*db, "edit", SEED_DELIVERY_FIRST, "-a", "Supreme Court")),
        Step(label, (*db, "edit", SEED_DELIVERY_FIRST, "-a", "A", "-a", "B")),
        Step(label, (*db, "edit", SEED_PROJECT, "--title", "x")),
        Step(label, (*db, "remove", SEED_PROJECT, "--yes")),
        Step(label, (*db, "remove", "nope", "--yes")),
        Step(label, (*db, "export", "-f", "yaml")),
    ]  # fmt: skip
    label = "load"
    db = copy(label)
    empty = ("--db", str(stores / "empty.db"))  # no store yet: does a dry run make one?
    loads = [
        Step(label, (*db, "load", "--dry-run")),
        Step(label, (*db, "load", str(tmp / "inputs" / "many-problems.yaml"))),
        Step(label, (*db, "export", "-f", "yaml")),
        Step("load-empty", (*empty, "load", "--dry-run")),
        Step("load-empty", (*empty, "trainings")),
    ]
    return [trainings, deliveries, loads]


# --- run and compare ----------------------------------------------------------------------


def prepare_out(out: Path, force: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    existing = list(out.iterdir())
    if not existing:
        return
    ours = [p for p in existing if re.fullmatch(r"\d{3}-.*\.txt", p.name) and p.is_file()]
    if not force or len(ours) != len(existing):
        raise UsageError(
            f"{out} is not empty; give --force to replace earlier outputs "
            "(only NNN-*.txt files are removed)"
        )
    for path in ours:
        path.unlink()


def run(args: argparse.Namespace) -> int:
    nexus = shutil.which(args.nexus) or args.nexus
    nexus = str(Path(nexus).absolute())
    seed = Path(args.seed).absolute()
    generator = Path(args.generator).absolute()
    for path in (seed, generator):
        if not path.is_file():
            raise UsageError(f"no file {path} (run from the top of a checkout?)")
    out = Path(args.out).absolute()
    prepare_out(out, args.force)
    tmp = Path(tempfile.mkdtemp(prefix="nexus-outputs-", dir=args.tmp_root))
    started = time.monotonic()
    try:
        for sub in ("work", "home/.local/share", "stores", "inputs", "out"):
            (tmp / sub).mkdir(parents=True)
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "NEXUS_DB": str(tmp / "stores" / "seed.db"),
            "HOME": str(tmp / "home"),
            "XDG_DATA_HOME": str(tmp / "home" / ".local" / "share"),
            "COLUMNS": "120",
            "LINES": "50",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "LC_ALL": "C.UTF-8",
            "NEXUS_PROGRESS_DELAY": "1000",
        }
        paths = {str(tmp): "<TMP>", str(tmp.resolve()): "<TMP>", str(seed): "<SEED>"}
        pkg = package_dir(nexus, env)
        if pkg:
            paths[pkg] = "<PKG>"
        else:
            print("warning: cannot find the installed package directory", file=sys.stderr)
        ctx = Context(nexus, tmp, env, out, Normaliser(paths))
        for name, text in BROKEN_FILES.items():
            (tmp / "inputs" / name).write_text(text, encoding="utf-8")
        count = execute(ctx, args.jobs, seed, generator)
    finally:
        if args.keep_tmp:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{count} outputs in {out}, {time.monotonic() - started:.0f} s")
    return 0


def execute(ctx: Context, jobs: int, seed: Path, generator: Path) -> int:
    tmp = ctx.tmp
    big_store = tmp / "stores" / "10k.db"
    big_file = tmp / "inputs" / "bench-10k.json"
    big = ("--db", str(big_store))
    # Sequential set-up: the stores, and the 10k store's ids from its JSON listings.
    run_sequence(ctx, ctx.number([Step("seed", ("load",))]))
    pristine = tmp / "stores" / "seed-pristine.db"
    for suffix in ("", "-wal"):  # a writer's last close folds the WAL in; copy it if not
        source = Path(f"{tmp / 'stores' / 'seed.db'}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{pristine}{suffix}")
    generate = [sys.executable, str(generator), "--trainings", "10000", "--format", "json"]
    subprocess.run([*generate, "-o", str(big_file)], check=True, capture_output=True)
    digest = hashlib.sha256(big_file.read_bytes()).hexdigest()
    load = Step("10k", (*big, "load", str(big_file)), note=f"{big_file.name}: sha256 {digest}")
    run_sequence(ctx, ctx.number([load]))
    trainings, handovers = ctx.number(
        [
            Step("10k", (*big, "trainings", "-f", "json")),
            Step("10k", (*big, "handovers", "-f", "json")),
        ]
    )
    training_ids = listing_ids(run_step(ctx, trainings))
    delivery_ids = listing_ids(run_step(ctx, handovers))

    seed_ids = (SEED_TRAINING_FIRST, SEED_DELIVERY_LAST, SEED_PROJECT)
    big_ids = (training_ids[0], delivery_ids[0], BENCH_PROJECT)
    seed_db: tuple[str, ...] = ()  # the seed store is NEXUS_DB
    sequences: list[list[Step]] = [
        listings("10k", big, BENCH_PROJECT, big=True),
        listings("seed", seed_db, SEED_PROJECT, big=False),
        *write_sequences(tmp, pristine),
        summaries("seed", seed_db) + summaries("10k", big),
        reports("seed", seed_db, tmp, big=False) + reports("10k", big, tmp, big=True),
        shows("seed", seed_db, seed_ids, big=False) + shows("10k", big, big_ids, big=True),
        exports("seed", seed_db, tmp) + exports("10k", big, tmp),
        checks(tmp, seed) + errors() + db_commands("seed", seed_db) + db_commands("10k", big),
        [Step("10k", (*big, "show", training_ids[-1], "-f", "json"), slug="show-last-training")],
    ]
    numbered = [ctx.number(steps) for steps in sequences]
    # Sequences are independent (each writes only its own store copy), the longest first;
    # the files are numbered in plan order, whatever order they finish in.
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for future in [pool.submit(run_sequence, ctx, items) for items in numbered]:
            future.result()
    return ctx.counter[0]


def first_difference(a: bytes, b: bytes) -> str:
    lines_a, lines_b = a.splitlines(), b.splitlines()
    for number, (line_a, line_b) in enumerate(zip(lines_a, lines_b, strict=False), start=1):
        if line_a != line_b:
            return f"line {number}:\n    - {decode(line_a)[:200]!r}\n    + {decode(line_b)[:200]!r}"
    shorter = min(len(lines_a), len(lines_b)) + 1
    return f"line {shorter}: one file ends here ({len(lines_a)} vs {len(lines_b)} lines)"


def compare(a: Path, b: Path) -> int:
    for directory in (a, b):
        if not directory.is_dir():
            print(f"error: no directory {directory}", file=sys.stderr)
            return 2
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    differ = 0
    for name in sorted(files_a | files_b):
        if name not in files_b:
            print(f"only in {a}: {name}")
        elif name not in files_a:
            print(f"only in {b}: {name}")
        else:
            data_a, data_b = (a / name).read_bytes(), (b / name).read_bytes()
            if data_a == data_b:
                continue
            print(f"differs: {name}, {first_difference(data_a, data_b)}")
        differ += 1
    total = len(files_a | files_b)
    if differ:
        print(f"{total} outputs, {differ} differ")
        return 1
    print(f"{total} outputs, all identical")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Golden outputs of nexus, to prove a refactoring changes none.",
        epilog="Run from the top of a checkout; see the module docstring.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", metavar="DIR", help="write the outputs of --nexus into DIR")
    mode.add_argument("--compare", nargs=2, metavar=("DIR_A", "DIR_B"), help="compare two runs")
    parser.add_argument("--nexus", metavar="PATH", help="the nexus executable to run")
    parser.add_argument("--seed", default="data/seed.yaml", help="the seed file to `check`")
    parser.add_argument(
        "--generator", default="bench/generate.py", help="the generator of the 10k store"
    )
    parser.add_argument(
        "--tmp-root", default="/tmp" if Path("/tmp").is_dir() else None, help="where to work"
    )
    parser.add_argument(
        "--jobs", type=int, default=min(4, os.cpu_count() or 1), help="sequences run at once"
    )
    parser.add_argument("--force", action="store_true", help="replace earlier outputs in DIR")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.compare:
        return compare(Path(args.compare[0]), Path(args.compare[1]))
    if not args.nexus:
        parser.error("--out needs --nexus")
    try:
        return run(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
