"""Reading record files and writing output files without ever losing one.

Reading (``read_record_text``): only regular files (a FIFO with no writer would block
forever, ``/dev/zero`` never ends), at most ``NEXUS_MAX_FILE_BYTES`` bytes counted as they
are read (``stat`` says 0 for ``/proc`` files and nothing of a file still growing), strict
UTF-8, and UTF-16/UTF-32 recognised and named.

Writing (``write_files``, ``replacing``), for ``export -o``, ``report -o``, the listings'
``-o`` (text, or a workbook's bytes) and ``db backup``:

- never onto the store (its file, ``-wal``, ``-shm`` or ``-journal``, by any name: a
  symbolic or hard link is the same file), nor onto a directory;
- a regular file is written beside the target under a recognisable temporary name
  (``.NAME.nexus-tmp-PID``), flushed to disk, then renamed over it in one step, so that a
  crash, a kill or a full disk leaves the old file whole. Several files (``export --format
  csv``) are all written first and only then renamed; if a rename fails part-way (a file
  held open on Windows), the files already replaced are put back: the old set stays;
- an existing target keeps its permission bits (and, for root, its owner); a new one gets
  the umask's;
- a symbolic link is followed: the file it points to is replaced, the link kept;
- a FIFO or a character device (``/dev/null``, ``/dev/stdout``) is written through, never
  renamed over (as root that would replace the system's ``/dev/null``); a block device or
  a socket is refused, and so is a terminal for binary output (a workbook);
- temporary files that a killed nexus left beside the target are removed on the next
  write to it: only names nexus makes, of processes that are gone, never the store's.

Why not a library: atomic-write packages (``atomicwrites`` is archived) replace the path
they are given, which is wrong for a link, a FIFO or a device, and know nothing of the store.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import stat
import sys
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import settings
from .errors import FileError, RecordError, option

DEFAULT_MAX_FILE_BYTES = 1 << 30  # 1 GiB; override with NEXUS_MAX_FILE_BYTES
READ_CHUNK = 1 << 20
SQLITE_HEADER = b"SQLite format 3\x00"
TEMP_MARK = ".nexus-tmp-"
KEPT_MARK = ".nexus-kept-"  # an old file kept while a set of files replaces it
# The temporary names nexus makes (".NAME.nexus-tmp-PID", with the files SQLite keeps beside
# a database being written). Only these are ever removed as stale: a name merely like them
# (an editor's ".notes.md.tmp-123", a store someone called so) is not nexus's to delete.
_TEMP_NAME = re.compile(
    r"\.(?P<name>.+)\.(?:nexus-tmp|nexus-kept)-(?P<pid>\d+)(?:-journal|-wal|-shm)?"
)
# Longer names are shortened in a temporary name, which must stay under the file system's
# limit on a name (255 bytes on most), and keep a digest to stay apart.
LONGEST_STEM = 120
_KIND = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def max_file_bytes() -> int:
    return settings.number(
        "NEXUS_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES, read=int, low=1, high=1 << 50,
        means="a whole number of bytes",
    )  # fmt: skip


def kind_of(mode: int) -> str:
    return _KIND.get(stat.S_IFMT(mode), "not a regular file")


# --- reading ------------------------------------------------------------------------------


def read_record_bytes(path: Path) -> bytes:
    """The bytes of a record file; RecordError naming the file when it cannot be one."""
    label = str(path)
    limit = max_file_bytes()
    try:
        # O_NONBLOCK: if the path is swapped for a FIFO after any check, opening it must
        # not wait for a writer. It changes nothing for a regular file.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise RecordError([f"{label}: no such file"]) from None
    except IsADirectoryError:
        raise RecordError([f"{label}: is a directory, not a record file"]) from None
    except PermissionError:
        raise RecordError([f"{label}: permission denied"]) from None
    except OSError as exc:
        raise RecordError([f"{label}: cannot open: {exc.strerror}"]) from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise RecordError(
            [f"{label}: is {kind_of(mode)}, not a record file"],
            hint="Save the records to a file and give its name.",
        )
    with open(descriptor, "rb", closefd=True) as handle:
        return _read_within_limit(handle, label, limit)


def _read_within_limit(handle: BinaryIO, label: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := handle.read(min(READ_CHUNK, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise RecordError(
                    [f"{label}: file is over the limit of {limit:,} bytes"],
                    hint="Split the file, or raise the limit with NEXUS_MAX_FILE_BYTES.",
                )
    except OSError as exc:
        raise RecordError([f"{label}: cannot read: {exc.strerror}"]) from None
    return b"".join(chunks)


STDIN = Path("-")  # `nexus load -`: the record file is standard input (a file named -: ./-)
STDIN_LABEL = "<stdin>"


def read_stdin_text() -> str:
    """The record file given on standard input, with a file's limit and checks."""
    text = decode_record_text(
        _read_within_limit(sys.stdin.buffer, STDIN_LABEL, max_file_bytes()), STDIN_LABEL
    )
    if not text.strip():
        raise RecordError(
            [f"{STDIN_LABEL}: nothing was given; a record file starts with 'version: 2'"]
        )
    return text


_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def decode_record_text(data: bytes, label: str) -> str:
    """Strict UTF-8 (a UTF-8 byte order mark is dropped); other encodings named."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            raise RecordError([f"{label}:1: {name} text; save the file as UTF-8"])
    nul = data.find(b"\x00")
    if nul >= 0:
        head = data[:200]
        # Mostly-ASCII text in UTF-16 has a zero in every other byte.
        if head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4:
            raise RecordError([f"{label}:1: UTF-16 text; save the file as UTF-8"])
        line = data.count(b"\n", 0, nul) + 1
        raise RecordError([f"{label}:{line}: a NUL byte: this is not a text file"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RecordError(
            [
                f"{label}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
            ]
        ) from None


def record_label(path: Path) -> str:
    """How errors name a record file: its path, or ``<stdin>``."""
    return STDIN_LABEL if path == STDIN else str(path)


def read_record_text(path: Path) -> str:
    """A record file's text, refusing what is not a regular UTF-8 file within the limit;
    ``-`` (STDIN) is standard input."""
    if path == STDIN:
        return read_stdin_text()
    text = decode_record_text(read_record_bytes(path), str(path))
    if not text.strip():
        raise RecordError([f"{path}: file is empty; a record file starts with 'version: 2'"])
    return text


# --- writing ------------------------------------------------------------------------------


def store_files(path: Path) -> list[Path]:
    """A SQLite store's file and the files SQLite keeps beside it, under the name given and
    under the name of the file it links to (SQLite names them after the latter)."""
    files = []
    for name in dict.fromkeys([path, Path(os.path.realpath(path))]):
        files += [name, *(name.with_name(name.name + end) for end in ("-wal", "-shm", "-journal"))]
    return files


def is_sqlite_database(path: Path) -> bool:
    """Whether ``path`` starts as a SQLite database does (False when it cannot be read)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


@dataclass(frozen=True)
class Target:
    """Where an output goes: the path as given, the file it names, what is there now."""

    given: Path
    real: Path  # symbolic links followed
    existing: os.stat_result | None
    protected: tuple[Path, ...] = ()  # never written over, nor removed as a leftover

    @property
    def through(self) -> bool:
        """A FIFO or a character device: written into, never replaced."""
        return self.existing is not None and not stat.S_ISREG(self.existing.st_mode)


def _same_file(real: Path, existing: os.stat_result | None, protected: Collection[Path]) -> bool:
    for guarded in protected:
        # normcase: on Windows NEXUS.DB-WAL names the same file as nexus.db-wal.
        if os.path.normcase(os.path.realpath(guarded)) == os.path.normcase(real):
            return True
        if existing is not None:
            with contextlib.suppress(OSError):
                other = os.stat(guarded)
                if (other.st_dev, other.st_ino) == (existing.st_dev, existing.st_ino):
                    return True  # a hard link to it
    return False


def exists_already(given: Path) -> FileError:
    return FileError(
        f"{given}: exists already; nothing was written",
        hint=f"Choose a new file name, or give {option('force')} to replace it.",
    )


def _is_terminal(real: Path) -> bool:
    """Whether the character device ``real`` is a terminal (opened without waiting, and
    without becoming the process's controlling terminal)."""
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(real, flags)
    except OSError:
        return False
    try:
        return os.isatty(descriptor)
    finally:
        os.close(descriptor)


def target(
    given: Path,
    *,
    protected: Collection[Path] = (),
    overwrite: bool = True,
    text_output: bool = True,
    directory_made_later: bool = False,
    binary: bool = False,
) -> Target:
    """Check that ``given`` may be written; refuse (FileError) with a reason otherwise.

    ``overwrite`` False refuses an existing file (``db backup`` without ``--force``);
    ``text_output`` refuses to write text (or a workbook) over a SQLite database (another
    store, a backup); ``directory_made_later``: the caller makes the directory before
    writing; ``binary`` (a workbook) refuses a terminal (``/dev/tty``, ``/dev/stdout`` on one).
    """
    given = given.expanduser()
    real = Path(os.path.realpath(given))
    try:
        existing: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise FileError(f"{given}: cannot write: {exc.strerror}") from None
    if _same_file(real, existing, protected):
        raise FileError(
            f"{given}: is the store itself (or a file SQLite keeps beside it); "
            "writing there would destroy the record",
            hint="Choose another file name.",
        )
    mode = existing.st_mode if existing is not None else stat.S_IFREG
    if stat.S_ISDIR(mode):
        raise FileError(f"{given}: is a directory; give a file name")
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        raise FileError(
            f"{given}: is {kind_of(mode)}; nexus writes files, FIFOs and character devices only"
        )
    if binary and stat.S_ISCHR(mode) and _is_terminal(real):
        raise FileError(
            f"{given}: is a terminal; a workbook is binary, not for the screen",
            hint="Give the name of a file to write.",
        )
    if not directory_made_later and not real.parent.is_dir():
        raise FileError(f"{given}: the directory {real.parent} does not exist")
    if existing is not None and stat.S_ISREG(mode):
        if not overwrite:
            raise exists_already(given)
        if text_output and is_sqlite_database(real):
            raise FileError(
                f"{given}: is a SQLite database (a store or a backup); nexus will not "
                "write text over it",
                hint="Choose another file name, or remove that file first if it is not needed.",
            )
        if not os.access(real, os.W_OK):
            raise FileError(f"{given}: is read-only; nothing was written")
    return Target(given, real, existing, tuple(protected))


def _stem(name: str) -> str:
    """``name`` as it appears in its temporary files' names."""
    if len(name.encode()) <= LONGEST_STEM:
        return name
    digest = hashlib.blake2b(name.encode(), digest_size=6).hexdigest()
    return name.encode()[: LONGEST_STEM - 13].decode(errors="ignore") + "~" + digest


def temporary_name(real: Path, mark: str = TEMP_MARK) -> Path:
    return real.with_name(f".{_stem(real.name)}{mark}{os.getpid()}")


# A temporary file this old (unchanged for so long) is no live writer's: a writer changes
# its file as it writes, and renames it the moment it is done.
STALE_AFTER_S = 600


def _stale(path: str, pid: int) -> bool:
    """Whether a temporary file was left by a nexus that is gone (never a live writer's)."""
    if pid == os.getpid():
        # Left by an earlier process that had this process id: this one is not writing it.
        return True
    if sys.platform == "win32":  # no portable test of a process id there (os.kill ends it)
        try:
            return time.time() - os.stat(path).st_mtime > STALE_AFTER_S
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists, under another user
    return False


def remove_stale_temporaries(chosen: Target) -> None:
    """Remove what a killed write to ``chosen`` left beside it: never a live writer's, nor
    one of the files ``chosen`` protects (the store, by whatever name)."""
    real = chosen.real
    try:
        entries = list(os.scandir(real.parent))
    except OSError:
        return
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if (
            match is None
            or match["name"] != _stem(real.name)
            or not _stale(entry.path, int(match["pid"]))
            or _same_file(Path(os.path.realpath(entry.path)), None, chosen.protected)
        ):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX; Windows has no directory handles to sync)."""
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _keep_mode(path: Path, existing: os.stat_result | None) -> None:
    """The replaced file's permission bits (and, for root, its owner) on the new one.

    By path, not descriptor: Windows takes a descriptor only from Python 3.13 on."""
    if existing is None:
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        with contextlib.suppress(OSError):  # first: a change of owner clears setuid bits
            os.chown(path, existing.st_uid, existing.st_gid)
    with contextlib.suppress(OSError):
        os.chmod(path, stat.S_IMODE(existing.st_mode))


def write_failure(path: Path, exc: OSError, *, replaced: bool = True) -> FileError:
    """An OSError while writing ``path``, in words: a full disk is named as such.

    ``replaced``: the output goes to a new file renamed into place, so nothing of it was
    written; a FIFO or a device is written into directly and may have had part of it."""
    outcome = "nothing was written" if replaced else "the output is incomplete"
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return FileError(
            f"{path}: the disk holding {path.parent} is full; {outcome}",
            hint="The old file, if any, is unchanged. Free some space and run the command again.",
        )
    return FileError(f"{path}: cannot write: {exc.strerror or exc}; {outcome}")


# Files are opened in binary mode (Windows would otherwise turn \n into \r\n, or stop a
# read at a 0x1A byte); text is written as UTF-8 with \n, on every system.
_BINARY = getattr(os, "O_BINARY", 0)

# What is written to a file: text or bytes (a workbook), whole or piece by piece.
Content = str | bytes | Iterable[str | bytes]


def _encoded(content: Content) -> Iterator[bytes]:
    """``content`` as bytes, piece by piece: text as UTF-8, bytes as they are."""
    for piece in [content] if isinstance(content, (str, bytes)) else content:
        yield piece.encode("utf-8") if isinstance(piece, str) else piece


def _write_temporary(chosen: Target, pieces: Content) -> Path:
    temporary = temporary_name(chosen.real)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
    try:
        with open(descriptor, "wb") as handle:
            handle.writelines(_encoded(pieces))
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode(temporary, chosen.existing)
    except BaseException:  # a full disk, an interrupt: no half file is left behind
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def _write_through(chosen: Target, pieces: Content) -> None:
    with open(chosen.real, "wb") as handle:
        handle.writelines(_encoded(pieces))


def _keep_aside(chosen: Target) -> Path | None:
    """A second name for the file ``chosen`` replaces, to put it back if a later file of
    the same set cannot be renamed into place (a hard link; a copy where links are not)."""
    if chosen.existing is None:
        return None
    kept = temporary_name(chosen.real, KEPT_MARK)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(kept)
    try:
        os.link(chosen.real, kept)
    except OSError:
        shutil.copy2(chosen.real, kept)
    return kept


def _put_back(done: list[tuple[Target, Path | None]]) -> None:
    """Undo the renames of a set that could not be completed: old files back, new ones out."""
    for chosen, kept in reversed(done):
        with contextlib.suppress(OSError):
            if kept is None:
                os.unlink(chosen.real)
            else:
                os.replace(kept, chosen.real)


def write_files(contents: Mapping[Target, Content]) -> None:
    """Write each target's text or bytes (or their pieces): all to temporary files first,
    then each renamed into place; if a rename fails part-way (a file held open by Excel on
    Windows), the files already replaced are put back, so every old file stays as it was."""
    written: dict[Target, Path] = {}
    kept: list[Path | None] = []  # second names of the old files, to put them back
    done: list[tuple[Target, Path | None]] = []  # renamed into place, with its old file's
    current: Target | None = None
    try:
        for chosen, pieces in contents.items():
            current = chosen
            if chosen.through:
                _write_through(chosen, pieces)
                continue
            remove_stale_temporaries(chosen)
            written[chosen] = _write_temporary(chosen, pieces)
        several = len(written) > 1
        for chosen, temporary in written.items():
            current = chosen
            kept.append(_keep_aside(chosen) if several else None)
            os.replace(temporary, chosen.real)
            done.append((chosen, kept[-1]))
    except OSError as exc:
        _put_back(done)
        assert current is not None
        raise write_failure(current.given, exc, replaced=not current.through) from None
    finally:
        for leftover in [*written.values(), *kept]:
            if leftover is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)  # a temporary still there when the write failed
    for directory in {chosen.real.parent for chosen in written}:
        _fsync_directory(directory)


@contextmanager
def replacing(chosen: Target, *, overwrite: bool) -> Iterator[Path]:
    """A temporary path beside ``chosen`` for the caller to fill (SQLite's backup writes a
    database there); on success it takes the target's place.

    Without ``overwrite`` the new file is linked into place, which fails if another
    process made the target meanwhile, rather than checked and then renamed over it.
    """
    if chosen.through:
        raise FileError(f"{chosen.given}: is {kind_of(chosen.existing.st_mode)}; give a file name")  # type: ignore[union-attr]
    remove_stale_temporaries(chosen)
    temporary = temporary_name(chosen.real)
    try:
        yield temporary
        try:
            if overwrite:
                os.replace(temporary, chosen.real)
            else:
                _link_new(temporary, chosen)
        except OSError as exc:
            raise write_failure(chosen.given, exc) from None
        _fsync_directory(chosen.real.parent)
    finally:
        # SQLite keeps a journal (or, for a copy of a WAL store, -wal and -shm) beside it.
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{temporary}{suffix}")


def _link_new(temporary: Path, chosen: Target) -> None:
    try:
        os.link(temporary, chosen.real)
    except FileExistsError:
        raise exists_already(chosen.given) from None
    except OSError:
        # A file system without hard links: check, then rename (a narrow race, no worse).
        if os.path.lexists(chosen.real):
            raise exists_already(chosen.given) from None
        os.replace(temporary, chosen.real)
