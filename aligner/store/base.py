"""Opening a project database, its migrations, transactions, and SQLite's errors turned into StoreErrors."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import stat
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

import sqlite_utils

from ..errors import StoreBusy, StoreError
from .schema import MIGRATIONS

DEFAULT_DB = "aligner.db"


# the path import tmx gives a pair's documents: FILE.tmx#NAME.LANG (the memory may be written back)
_IMPORTED_MEMORY = re.compile(r"\.(?:tmx|xml)#[^/\\]+$", re.IGNORECASE)


def sha1(text: str | bytes) -> str:
    return hashlib.sha1(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _now() -> str:
    """The clock the store dates things by: the package's `now`, looked up at each call, so that a test pins it
    for every module with monkeypatch.setattr(aligner.store, "now", ...)."""
    return sys.modules[__package__].now()


def _cannot_open(exc: sqlite3.Error) -> bool:
    """Whether SQLite could not open the file or the journal it keeps beside it (-wal, -shm)."""
    return "unable to open" in str(exc) or getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY_DIRECTORY"


def _unopenable(path: Path, exc: sqlite3.Error) -> StoreError:
    """The error for a database SQLite cannot open: most often its folder is read-only, since in WAL mode SQLite
    creates its -wal and -shm files there, even to read."""
    if not path.absolute().parent.is_dir():
        return StoreError(f"{path}: cannot open the database ({exc}); its folder does not exist")
    return _FolderReadOnly(f"{path}: cannot open the database ({exc}); its folder must be writable: SQLite keeps its "
                           "journal (-wal, -shm) beside it")


class _FolderReadOnly(StoreError):
    """SQLite could not make its journal files beside the project (a read-only folder, most often)."""


def _wal_pending(path: Path) -> bool:
    """Whether a -wal file beside the project holds changes not yet copied into it (a reader that ignored it
    would see an older project)."""
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


class StoreBase:
    """The connection of a Store: opening, migrations, transactions, errors. Calls from several threads share one
    connection and are serialised by a lock; another process uses its own Store."""

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout: float, readonly: bool):
        self._conn = conn
        # sqlite-utils on our own connection, for reading (query, rows_where, table_names, counts) and VACUUM;
        # writes go through self._conn inside our own BEGIN IMMEDIATE transactions (see the package docstring)
        self.db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
        self.path = path
        self.timeout = timeout
        self.readonly = readonly
        self.immutable = False  # opened as an unchanging file, its folder being read-only (Store.open)
        self.file_readonly = False  # opened read-only, the file being read-only to us (Store.open)
        self._lock = threading.RLock()
        self._depth = 0
        # The last alignment read or written in this process (alignments.py): (run_id, revision, alignment,
        # changed dates). Cleared when a transaction rolls back, since it may describe what was undone.
        self._cached = None
        # The bead objects of the last few edits logged or stepped in this process, by edit id: (before, after),
        # so that undo and redo reuse them instead of making thousands of beads again (checked against the log
        # before use: ids are reused after a redo list is dropped).
        self._logged: dict[int, tuple[tuple, tuple]] = {}

    @classmethod
    def open(cls, path: str | Path = DEFAULT_DB, timeout: float = 10.0, *, create: bool = True,
             readonly: bool = False) -> Self:
        """Open the project database at `path`, creating and migrating it as needed.

        Raises StoreError naming the file when it is missing (create=False or readonly), locked by another
        writer beyond `timeout` seconds, not an aligner database, or written by a newer aligner.
        """
        path = Path(path)
        if not path.exists() and (readonly or not create):
            raise StoreError(f"{path}: no project database here; create one with `aligner add CORPUS --db {path}`")
        if path.is_dir():
            raise StoreError(f"{path}: is a folder, expected a project database file")
        if not readonly:
            _writable_sides(path)
        if not readonly and path.is_file() and not os.access(path, os.W_OK):
            # a project file made read-only (chmod a-w): read as it is, and a change says what stops it (the
            # review app does not warn of every cursor move it cannot keep)
            store = cls._connect(path, timeout, "ro")
            store.file_readonly = True
            return store
        try:
            return cls._connect(path, timeout, "ro" if readonly else "")
        except _FolderReadOnly:
            # SQLite keeps its -wal and -shm beside the file, even to read: a project in a read-only folder (a
            # colleague's, on a share) can still be read whole, unchanging, when no -wal holds work not yet in the
            # file; a command that must write says why it cannot
            if not path.is_file() or _wal_pending(path):
                raise
            return cls._connect(path, timeout, "immutable")

    @classmethod
    def _connect(cls, path: Path, timeout: float, how: str) -> Self:
        """Connect and set up: how '' (read and write), 'ro' (read only), 'immutable' (read only, and SQLite
        takes the file to be unchanging: no journal files)."""
        target = path if not how else (f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if how == "immutable"
                                                                                else ""))
        try:
            conn = sqlite3.connect(target, uri=bool(how), timeout=timeout, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            if _cannot_open(exc):
                raise _unopenable(path, exc) from None
            raise StoreError(f"{path}: cannot be opened ({exc})") from None
        try:
            store = cls(conn, path, timeout, bool(how))
            store.immutable = how == "immutable"
            if store.immutable:  # what it was when opened (see _check_unchanged)
                st = path.stat()
                store._stamp = (st.st_size, st.st_mtime_ns, False)
            store._setup()
        except BaseException:
            conn.close()
            raise
        return store

    def _setup(self) -> None:
        with self._lock, self._translate():
            if not self.readonly and self._conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()

    def _migrate(self) -> None:
        """Apply the migrations the file lacks, each in its own transaction (another process may race us)."""
        tables = set(self.db.table_names())
        if tables and "schema_migrations" not in tables:
            raise StoreError(f"{self.path}: is an SQLite database but not an aligner project")
        version = self.schema_version() if tables else 0
        if version > len(MIGRATIONS):
            raise StoreError(f"{self.path}: written by a newer aligner (schema {version}; this one knows "
                             f"{len(MIGRATIONS)}): upgrade aligner to open it")
        if version == len(MIGRATIONS):
            return
        if self.readonly:
            raise StoreError(f"{self.path}: needs a schema upgrade; open it once for writing first")
        for number, (name, statements) in enumerate(MIGRATIONS, 1):
            with self.transaction():
                self._conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)")
                if self.schema_version() >= number:
                    continue
                for sql in statements:
                    self._conn.execute(sql)
                self._conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (number, name, _now()))

    def schema_version(self) -> int:
        with self._reading() as conn:
            return conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- transactions and errors -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _translate(self):
        """Turn SQLite's errors about the file into StoreErrors that name it and say what to do."""
        try:
            yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.OperationalError as exc:
            msg = str(exc)
            if "locked" in msg or "busy" in msg:
                raise StoreBusy(
                    f"{self.path}: the project is busy: another process (a batch run or the review app) is "
                    f"writing to it and did not finish within {self.timeout:g} s; try again when it is done"
                ) from None
            if _cannot_open(exc):
                raise _unopenable(self.path, exc) from None
            if "readonly" in msg:
                stuck = [str(f) for f in _sides(self.path) if f.exists() and not os.access(f, os.W_OK)]
                if stuck and os.access(self.path, os.W_OK):  # someone else's, so not made writable by open()
                    raise StoreError(f"{self.path}: the project file cannot be written ({msg}): "
                                     f"{' and '.join(stuck)} beside it {'is' if len(stuck) == 1 else 'are'} "
                                     "read-only; make them writable too (or remove them while no aligner runs), and "
                                     "try again") from None
                raise StoreError(f"{self.path}: the project file cannot be written ({msg}): it is read-only or "
                                 "immutable; copy it somewhere writable, or make it writable, and try again") from None
            if "disk I/O" in msg or "disk is full" in msg:
                raise StoreError(f"{self.path}: {msg}") from None
            raise
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable aligner project database ({exc})") from None

    @contextlib.contextmanager
    def transaction(self):
        """One atomic change. Waits up to `timeout` for another writer; nested calls join the outer transaction,
        so several methods (cached vectors, a run and its flags) commit together or not at all."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            if self.readonly:
                if self.file_readonly:
                    raise StoreError(f"{self.path}: the project file is read-only, so it can only be read: make it "
                                     "writable (chmod u+w), or copy it somewhere writable, and try again")
                if self.immutable:
                    raise StoreError(f"{self.path}: its folder is not writable (SQLite keeps its journal, -wal and "
                                     "-shm, beside the file), so it can only be read here: copy the project to a "
                                     "writable folder to change it")
                raise StoreError(f"{self.path}: opened read-only")
            with self._translate():
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                with self._translate():
                    yield self
            except BaseException:
                self._depth = 0
                self._cached = None
                self._logged.clear()
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            with self._translate():
                self._conn.execute("COMMIT")

    def busy(self) -> bool:
        """Whether another process holds the write lock right now (a transaction would have to wait for it)."""
        with self._lock, self._translate():
            if self._depth or self.readonly:
                return False
            self._conn.execute("PRAGMA busy_timeout = 0")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    return True
                raise
            finally:
                self._conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")

    @contextlib.contextmanager
    def _reading(self):
        with self._lock, self._translate():
            if self.immutable:
                self._check_unchanged()
            yield self._conn

    def _check_unchanged(self) -> None:
        """An unchanging file is what an immutable open promises SQLite: if the project's owner wrote to it since
        (their folder, our read-only view of it), reading on would mix two states of it."""
        try:
            st = self.path.stat()
            now = (st.st_size, st.st_mtime_ns, self.path.with_name(self.path.name + "-wal").exists())
        except OSError:
            now = None
        if now != self._stamp:
            raise StoreError(f"{self.path}: changed by another process while it was read here (its folder is "
                             "read-only, so it is read as an unchanging file): open it again")

    def _q(self, sql: str, args: Sequence = ()) -> list[dict]:
        """The rows of a query as dicts."""
        with self._reading():
            return list(self.db.query(sql, args))

    def guard_output(self, path: str | Path) -> None:
        """Refuse to write an export or report over the project itself (its database file, or the WAL and shared
        memory files next to it) or over a document file that `aligner add` imported: StoreError naming the file.
        A TMX file that `import tmx` read may be written again (export back to the memory reviewed)."""
        target = Path(path).resolve()
        mine = self.path.resolve()
        if target in {mine, *(mine.with_name(mine.name + s) for s in ("-wal", "-shm", "-journal"))}:
            raise StoreError(f"{path}: that is the project database; write the export to another file")
        if target.is_file() and self._is_document(target):
            raise StoreError(f"{path}: that is a document of the project (imported by `aligner add`); write the "
                             f"export to another file")

    def _is_document(self, target: Path) -> bool:
        """Whether an existing file is one the project imported: by its path (as `add` stored it, read from here),
        or by its bytes, whatever the path (an export run from another folder)."""
        paths = {r["path"] for r in self._q("SELECT DISTINCT path FROM documents")
                 if not _IMPORTED_MEMORY.search(r["path"])}
        if any(Path(p).resolve() == target for p in paths):
            return True
        try:
            if target.stat().st_size > 256 * 2**20:
                return False
            digest = sha1(target.read_bytes())
        except OSError:
            return False
        return bool(self._q("SELECT 1 FROM documents WHERE sha1 = ? LIMIT 1", (digest,)))

    def integrity_check(self) -> str:
        """SQLite's verdict on the file: 'ok' or a description of the damage."""
        return self._q("PRAGMA integrity_check")[0]["integrity_check"]


def _sides(path: Path) -> tuple[Path, Path]:
    """SQLite's WAL files beside the project: the log and its index."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def _writable_sides(path: Path) -> None:
    """Give the WAL files the project file's permissions where it is writable and they are not: SQLite makes them
    with the file's mode, so a read while the project was read-only leaves them read-only, and every write
    failed after the project was made writable again ("attempt to write a readonly database")."""
    try:
        if not os.access(path, os.W_OK):
            return
        mode = stat.S_IMODE(path.stat().st_mode)
        for side in _sides(path):
            # by mode bits, not os.access: root may write anything, while the owner it is for may not
            if side.exists() and not stat.S_IMODE(side.stat().st_mode) & stat.S_IWUSR:
                side.chmod(mode)
    except OSError:
        pass  # not ours to change: the write that fails says which file
