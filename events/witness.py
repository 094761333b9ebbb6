"""Witnessed checkpoints: the log's head (position, hash, time) recorded outside the database.

The log's hash chain proves that nothing *inside* the log was changed, but the memory of where
the log ended lived in the same database: someone who could write the file could cut the tail
(or lose a WAL) and the log would still verify. A checkpoint `(position, hash)` held outside
the database commits to every event up to that position (each hash covers the one before), so
a log that ends before a witnessed position, or has a different hash there, is caught.

Where: `settings.WITNESS_DIR` (`.env`), default a folder named like the SQLite database, beside
it (`db.sqlite3` -> `db.witness/`). `migrate` creates it (mode 0o750); it can live on another
volume or host. Inside it, `checkpoints.jsonl`: one JSON object per line,
`{"position": int, "hash": "64 hex", "at": "ISO 8601 UTC", "by": "commit" | command name}`,
opened O_APPEND only, created with mode 0o640: append-only by convention and by file mode.

When: after every commit that appended events (`on_commit`, registered by `store.append`: one
`write()` of ~150 bytes by this process's witness thread, which the commit waits for; see
bench/README.md "Witness cost"), after every passing `verify_events` and every `backup_db`. A
witness that is missing, unwritable, full, slow or hung never fails a write: the event is
committed (a commit waits at most WITNESS_TIMEOUT_SECONDS, and not at all while the witness is
stalled), the failure is logged once per streak at ERROR with the first position not witnessed,
and `verify_events` reports the events beyond the last witnessed head.
Checkpoints are not fsynced: like the WAL under `synchronous=NORMAL`, they survive a crash of
the process, not necessarily a power cut.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger("events.witness")

CHECKPOINT_FILE = "checkpoints.jsonl"
FILE_MODE = 0o640  # the app appends; its group (operators, backup) reads
EXPORT_MODE = 0o440  # an exported or backed-up copy is read-only
DIR_MODE = 0o750
_TAIL_BYTES = 64 * 1024  # how much of the file's end `latest` reads


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """One witnessed head: the event at `position` had `hash` at time `at` (ISO 8601)."""

    position: int
    hash: str
    at: str = ""
    by: str = "commit"

    def line(self) -> bytes:
        """The JSON line (formatted by hand: it is on every commit's path)."""
        return (
            f'{{"position":{int(self.position)},"hash":{json.dumps(self.hash)},'
            f'"at":{json.dumps(self.at)},"by":{json.dumps(self.by)}}}\n'
        ).encode()


def location(using: str = "default") -> Path:
    """The configured witness folder (`WITNESS_DIR`, else `<database stem>.witness` beside it).

    Without a database file (PostgreSQL), the default is `var/witness/` in the project folder.
    """
    if settings.WITNESS_DIR:
        return Path(settings.WITNESS_DIR).expanduser()
    connection = connections[using]
    name = str(connection.settings_dict.get("NAME") or "")
    if (
        connection.vendor == "sqlite"
        and name
        and not name.startswith("file:")
        and name != ":memory:"
    ):
        database = Path(name).absolute()
        return database.with_name(f"{database.stem}.witness")
    return Path(settings.BASE_DIR) / "var" / "witness"


def checkpoint_file(using: str = "default") -> Path:
    """The configured witness's file (which need not exist yet)."""
    key = (settings.WITNESS_DIR, str(connections[using].settings_dict.get("NAME")))
    path = _files.get(key)
    if path is None:
        path = _files[key] = location(using) / CHECKPOINT_FILE
    return path


_files: dict[tuple[str, str], Path] = {}  # on every commit's path: resolve each location once


def create_location(using: str = "default") -> Path:
    """Create the witness folder if it is missing (`migrate` calls this). Returns it."""
    folder = location(using)
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return folder


# --- writing ----------------------------------------------------------------------------------


# Per process and witness file: the first position a failed write left unwitnessed, and why.
_gaps: dict[Path, tuple[int, str]] = {}
_gaps_lock = threading.Lock()
MAX_PENDING = 10_000  # lines queued for a stalled witness before new ones are dropped


class _Writer:
    """One thread per process that does the file writes, so a hung witness (a dead network
    mount) cannot hold a commit longer than `WITNESS_TIMEOUT_SECONDS`: after one write times
    out the witness is *stalled*, and later checkpoints are queued without waiting (up to
    MAX_PENDING) until the thread gets through again."""

    def __init__(self):
        self.lock = threading.Lock()
        self.executor: ThreadPoolExecutor | None = None
        self.pending = 0
        self.stalled = False

    def submit(self, path: Path, line: bytes) -> Future | str:
        """A Future of the write's outcome ("" or the error), or why it was not queued."""
        with self.lock:
            if self.pending >= MAX_PENDING:
                return f"{path}: {self.pending} checkpoints already wait for a stalled witness"
            if self.executor is None:
                self.executor = ThreadPoolExecutor(1, thread_name_prefix="witness")
            self.pending += 1
            return self.executor.submit(self._write, path, line)

    def _write(self, path: Path, line: bytes) -> str:
        try:
            return _append(path, line)
        finally:
            with self.lock:
                self.pending -= 1
            self.stalled = False  # it answered, whatever the answer

    def reset(self) -> None:
        """In a forked child: the parent's thread does not exist there."""
        self.lock = threading.Lock()
        self.executor, self.pending, self.stalled = None, 0, False


def _append(path: Path, line: bytes) -> str:
    """Append one line to the witness file: "" when written, else the error in words."""
    try:
        # The file may be created, the folder never: a removed location must be noticed.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except Exception as error:  # the commit stands whatever the witness does
        return f"{path}: {error}"
    return ""


_writer = _Writer()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_writer.reset)


def witness_on_commit(position: int, hash_: str, *, using: str = "default") -> None:
    """Record `(position, hash)` in the witness once the current transaction commits.

    `store.append` calls this inside its transaction, so only committed heads are witnessed.
    """
    transaction.on_commit(partial(record, position, hash_, using=using), using=using, robust=True)


def record(position: int, hash_: str, *, using: str = "default", by: str = "commit") -> str:
    """Append one checkpoint to the configured witness; wait for it at most
    `WITNESS_TIMEOUT_SECONDS` (not at all while the witness is stalled; 0: written directly by
    the calling thread, with no bound). Never raises.

    Returns "" when written, else the reason it was not, or not yet (logged at ERROR once per
    streak of failures; the recovery at WARNING, with the positions the gap spans).
    """
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    line = Checkpoint(position, hash_, at, by).line()
    path = None
    try:
        path = checkpoint_file(using)
        if settings.WITNESS_TIMEOUT_SECONDS <= 0:  # a local disk, trusted not to hang
            outcome = _append(path, line)
        else:
            outcome = _writer.submit(path, line)
        if isinstance(outcome, Future):
            if _writer.stalled:
                outcome = f"{path}: stalled; this checkpoint is queued, not yet written"
            else:
                outcome = outcome.result(timeout=settings.WITNESS_TIMEOUT_SECONDS)
    except FutureTimeout:
        _writer.stalled = True
        outcome = (
            f"{path}: no answer within {settings.WITNESS_TIMEOUT_SECONDS}s (slow or hung); "
            "checkpoints are queued until it answers"
        )
    except Exception as error:  # the commit stands whatever the witness does
        outcome = f"{path or 'the witness'}: {error}"
    if outcome:
        with _gaps_lock:
            first = path not in _gaps
            if first:
                _gaps[path] = (position, outcome)
        if first:
            logger.error(
                "Witness write failed; events from position %s on are not witnessed until it "
                "works again (writes carry on): %s",
                position,
                outcome,
            )
        return outcome
    if _gaps:
        with _gaps_lock:
            since, _ = _gaps.pop(path, (None, ""))
        if since is not None:
            logger.warning(
                "Witness writable again at position %s; positions %s..%s are covered by this "
                "checkpoint through the hash chain.",
                position,
                since,
                position - 1,
            )
    return ""


def status(using: str = "default") -> str:
    """The witness's problem in words, or "" if this process can write to it."""
    folder = location(using)
    if not folder.is_dir():
        return f"the witness location {folder} does not exist"
    path = folder / CHECKPOINT_FILE
    if path.exists():
        writable = path.is_file() and os.access(path, os.W_OK)
    else:
        writable = os.access(folder, os.W_OK)
    if not writable:
        return f"the witness file {path} is not writable"
    with _gaps_lock:
        gap = _gaps.get(path)
    if gap is not None:
        return f"witness writes are failing since position {gap[0]}: {gap[1]}"
    return ""


# --- reading ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Witness:
    """The checkpoints of one file, as `verify_events` compares them with the log.

    `hashes` maps position -> witnessed hash (~100 bytes of memory per checkpoint);
    `conflicts` holds positions this file witnessed with two different hashes.
    """

    label: str
    hashes: dict[int, str] = dataclasses.field(default_factory=dict)
    conflicts: dict[int, str] = dataclasses.field(default_factory=dict)
    unreadable_lines: int = 0
    problem: str = ""

    @property
    def head(self) -> int:
        return max(self.hashes, default=0)

    def describe(self) -> str:
        if self.problem:
            return f"{self.label} ({self.problem})"
        return f"{self.label} ({len(self.hashes):,} checkpoints up to position {self.head:,})"


def parse(lines: Iterable[bytes | str]) -> Iterator[Checkpoint | None]:
    """Checkpoints from JSON lines; None for a line that is not one (a torn write, garbage)."""
    for raw in lines:
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            yield Checkpoint(
                int(item["position"]),
                str(item["hash"]),
                item.get("at", ""),
                item.get("by", "commit"),
            )
        except (ValueError, TypeError, KeyError):
            yield None


def load(path: Path | str, *, label: str | None = None) -> Witness:
    """Read a witness file (the configured one or an exported copy). Never raises."""
    path = Path(path)
    witness = Witness(label or str(path))
    try:
        with open(path, "rb") as handle:
            for checkpoint in parse(handle):
                if checkpoint is None:
                    witness.unreadable_lines += 1
                    continue
                known = witness.hashes.setdefault(checkpoint.position, checkpoint.hash)
                if known != checkpoint.hash:
                    witness.conflicts[checkpoint.position] = checkpoint.hash
    except FileNotFoundError:
        witness.problem = "missing"
    except OSError as error:
        witness.problem = f"unreadable: {error.strerror or error}"
    return witness


def load_configured(using: str = "default") -> Witness:
    """The configured witness. A folder that exists with no file yet is an empty witness."""
    folder = location(using)
    witness = load(folder / CHECKPOINT_FILE, label=str(folder / CHECKPOINT_FILE))
    if witness.problem == "missing" and folder.is_dir():
        witness.problem = ""
    elif witness.problem == "missing":
        witness.problem = "the witness location does not exist"
    return witness


def latest(path: Path | str, *, after: int, up_to: int) -> Checkpoint | None:
    """The highest checkpoint in (after, up_to] among the last 64 KiB of a witness file.

    `verify_events` reads its witness before scanning the log; commits witnessed meanwhile are
    at the end of the file.
    """
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - _TAIL_BYTES))
            lines = handle.read().splitlines()[1:]  # the first may start mid-line
    except OSError:
        return None
    found = [c for c in parse(lines) if c is not None and after < c.position <= up_to]
    return max(found, key=lambda c: c.position, default=None)


def copy(source: Path | str, destination: Path | str, *, up_to: int | None = None) -> int:
    """Copy a witness file's checkpoints (optionally only up to a position) to a new file.

    What `export_checkpoints` and `backup_db` hand over; `verify_events --witness FILE` reads
    it. Streams (memory does not grow with the file); unreadable lines are left out. The copy
    is written aside, synced, made read-only (0o440) and renamed into place. Returns the
    number of checkpoints copied. Raises OSError if the source cannot be read or the
    destination written.
    """
    destination = Path(destination)
    partial_path = destination.with_name(f".{destination.name}.partial")
    count = 0
    with open(source, "rb") as lines:
        fd = os.open(partial_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            for checkpoint in parse(lines):
                if checkpoint is not None and (up_to is None or checkpoint.position <= up_to):
                    handle.write(checkpoint.line())
                    count += 1
            handle.flush()
            os.fsync(handle.fileno())
    os.chmod(partial_path, EXPORT_MODE)
    os.replace(partial_path, destination)
    return count


# What the counts mean, said the same way by export_checkpoints and backup_db (verify_events
# counts events): the numbers differ and an auditor must not take one for the other.
CHECKPOINTS_ARE_NOT_EVENTS = (
    "(A checkpoint is one witnessed head, written after each commit, each passing "
    "verify_events and each backup_db, so several can name the same position: the number of "
    "checkpoints is not the number of events.)"
)
