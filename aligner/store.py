"""The project database: one SQLite file per project holding documents, alignments, review edits, flags and the
embedding cache, its schema built by migrations recorded in the file itself.

Every method that writes is one transaction (BEGIN IMMEDIATE ... COMMIT, or part of an enclosing
`store.transaction()`), so a crash or a kill loses nothing committed and never leaves half a change. WAL lets
readers (an export, the review app) run beside one writer; a second writer waits up to `timeout` seconds, then
gets a StoreError that names the file. Plain sqlite3 rather than sqlite-utils: we need BEGIN IMMEDIATE, busy
timeouts and read-only connections, which sqlite-utils does not expose.
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from .errors import InputError, SegmentationError, StoreError
from .models import Alignment, Bead, BeadStatus, Document, Sentence

DEFAULT_DB = "aligner.db"
# Keys of the flags an editor made by hand (the review app writes them): re-alignments keep them.
EDITOR_KEY = "editor:"
# Window vectors are cached as float16: on the gold sets the beads are the same as with float32
# (bench/batch.py --check-f16), and the cache is half the size.
CACHE_DTYPE = np.float16

MIGRATIONS: list[tuple[str, list[str]]] = [
    ("documents, pairs, runs, beads, edits, flags, embedding cache", [
        """CREATE TABLE documents (
            id INTEGER PRIMARY KEY, path TEXT NOT NULL, lang TEXT NOT NULL,
            sha1 TEXT NOT NULL,              -- of the text (of the raw bytes when they could not be decoded)
            version INTEGER NOT NULL,        -- 1, 2, ... for each new content imported from the same path
            text TEXT NOT NULL, error TEXT,  -- error: why the file cannot be aligned (undecodable, empty)
            presegmented INTEGER NOT NULL,   -- 1: one sentence per line
            n_sentences INTEGER NOT NULL, added TEXT NOT NULL,
            UNIQUE (path, version))""",
        """CREATE TABLE paragraphs (
            doc_id INTEGER NOT NULL REFERENCES documents(id), idx INTEGER NOT NULL,
            start INTEGER NOT NULL, end INTEGER NOT NULL, PRIMARY KEY (doc_id, idx)) WITHOUT ROWID""",
        """CREATE TABLE sentences (
            doc_id INTEGER NOT NULL REFERENCES documents(id), idx INTEGER NOT NULL, paragraph INTEGER NOT NULL,
            start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL, sha1 TEXT NOT NULL,
            PRIMARY KEY (doc_id, idx)) WITHOUT ROWID""",
        """CREATE TABLE pairs (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
            src_doc INTEGER NOT NULL REFERENCES documents(id), tgt_doc INTEGER NOT NULL REFERENCES documents(id),
            status TEXT NOT NULL CHECK (status IN ('new', 'changed', 'aligned', 'failed')),
            run_id INTEGER REFERENCES runs(id),  -- the current alignment: shown, edited, exported
            error TEXT, created TEXT NOT NULL, updated TEXT NOT NULL)""",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY, pair_id INTEGER NOT NULL REFERENCES pairs(id),
            src_doc INTEGER NOT NULL REFERENCES documents(id), tgt_doc INTEGER NOT NULL REFERENCES documents(id),
            model TEXT NOT NULL, params TEXT NOT NULL, date TEXT NOT NULL, figures TEXT NOT NULL, error TEXT,
            revision INTEGER NOT NULL DEFAULT 0)  -- counts the edits, undos and redos of its beads""",
        """CREATE TABLE beads (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            src_start INTEGER NOT NULL, src_len INTEGER NOT NULL,  -- an empty side starts where it stands
            tgt_start INTEGER NOT NULL, tgt_len INTEGER NOT NULL,
            kind TEXT NOT NULL, score REAL NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('auto', 'confirmed', 'edited', 'flagged')),
            changed TEXT,                                         -- when an edit last wrote it
            PRIMARY KEY (run_id, src_start, tgt_start)) WITHOUT ROWID""",
        """CREATE TABLE edits (
            id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),
            op TEXT NOT NULL, detail TEXT NOT NULL, date TEXT NOT NULL, undone INTEGER NOT NULL DEFAULT 0,
            start_src INTEGER NOT NULL, start_tgt INTEGER NOT NULL,  -- where the changed stretch begins
            before TEXT NOT NULL, after TEXT NOT NULL)               -- its bead rows, JSON""",
        "CREATE INDEX edits_by_run ON edits (run_id, undone, id)",
        """CREATE TABLE flags (
            id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL,
            type TEXT NOT NULL, status TEXT NOT NULL, src TEXT NOT NULL, tgt TEXT NOT NULL, data TEXT NOT NULL,
            UNIQUE (run_id, key))""",
        # a rowid table: its ~1 KB rows would each spill onto an overflow page in a WITHOUT ROWID one (4x the size)
        """CREATE TABLE embeddings (
            model TEXT NOT NULL, sha1 TEXT NOT NULL, k INTEGER NOT NULL,  -- window of k sentences, by text hash
            dtype TEXT NOT NULL, vec BLOB NOT NULL,
            PRIMARY KEY (model, sha1, k))""",
    ]),
    ("review view state per pair", [
        # where the editor left the pair (cursor, filters...): the review app's own JSON, not project data
        """CREATE TABLE view_state (
            pair_id INTEGER PRIMARY KEY REFERENCES pairs(id), state TEXT NOT NULL, saved TEXT NOT NULL)""",
    ]),
]


class PairStatus(str, enum.Enum):
    """Where a pair stands: never aligned, its files changed since the last run, aligned, or its last run failed."""

    NEW = "new"
    CHANGED = "changed"
    ALIGNED = "aligned"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PairInfo:
    """One document pair, its current documents and alignment, with the counts `aligner status` shows."""

    id: int
    name: str
    status: PairStatus
    error: str | None
    src_doc: int
    tgt_doc: int
    src_path: str
    tgt_path: str
    src_lang: str
    tgt_lang: str
    n_src: int
    n_tgt: int
    run_id: int | None
    model: str | None
    params: dict | None
    beads: int
    reviewed: int
    updated: str


@dataclass(frozen=True, slots=True)
class EditInfo:
    """One entry of a pair's edit log."""

    id: int
    op: str
    detail: dict
    date: str
    undone: bool


def sha1(text: str | bytes) -> str:
    return hashlib.sha1(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def window_hashes(texts: Sequence[str], max_k: int) -> list[list[str]]:
    """Cache keys of every window of k = 1..max_k consecutive sentences: [k-1][i] for sentences i..i+k-1."""
    return [[sha1("\n".join(texts[i:i + k])) for i in range(len(texts) - k + 1)] for k in range(1, max_k + 1)]


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """A project database, opened with `Store.open(path)`. Calls from several threads share one connection and
    are serialised by a lock; another process uses its own Store."""

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout: float, readonly: bool):
        self._conn = conn
        self.path = path
        self.timeout = timeout
        self.readonly = readonly
        self._lock = threading.RLock()
        self._depth = 0
        # The last alignment read or written in this process: (run_id, revision, alignment, changed dates). A run's
        # beads change only with its revision (see _replace_stretch), so a revision read first says if it is stale.
        self._cached: tuple[int, int, Alignment, tuple[str | None, ...]] | None = None

    # ---- opening ---------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path = DEFAULT_DB, timeout: float = 10.0, *, create: bool = True,
             readonly: bool = False) -> "Store":
        """Open the project database at `path`, creating and migrating it as needed.

        Raises StoreError naming the file when it is missing (create=False or readonly), locked by another
        writer beyond `timeout` seconds, not an aligner database, or written by a newer aligner.
        """
        path = Path(path)
        if not path.exists() and (readonly or not create):
            raise StoreError(f"{path}: no project database here; create one with `aligner add CORPUS --db {path}`")
        if path.is_dir():
            raise StoreError(f"{path}: is a folder, expected a project database file")
        target = f"{path.resolve().as_uri()}?mode=ro" if readonly else str(path)
        try:
            conn = sqlite3.connect(target, uri=readonly, timeout=timeout, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot be opened ({exc})") from None
        store = cls(conn, path, timeout, readonly)
        try:
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
        tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
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
                self._conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (number, name, now()))

    def schema_version(self) -> int:
        with self._reading() as conn:
            return conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "Store":
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
                raise StoreError(
                    f"{self.path}: the project is busy: another process (a batch run or the review app) is "
                    f"writing to it and did not finish within {self.timeout:g} s; try again when it is done"
                ) from None
            if "readonly" in msg or "disk I/O" in msg or "unable to open" in msg or "disk is full" in msg:
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
                raise StoreError(f"{self.path}: opened read-only")
            with self._translate():
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                with self._translate():
                    yield self
            except BaseException:
                self._depth = 0
                self._cached = None  # it may describe what was just rolled back
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            with self._translate():
                self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def _reading(self):
        with self._lock, self._translate():
            yield self._conn

    def _q(self, sql: str, args: Sequence = ()) -> list[dict]:
        with self._reading() as conn:
            cur = conn.execute(sql, args)
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]

    def integrity_check(self) -> str:
        """SQLite's verdict on the file: 'ok' or a description of the damage."""
        return self._q("PRAGMA integrity_check")[0]["integrity_check"]

    # ---- documents and pairs ---------------------------------------------------------------------------------

    def add_document(self, path: str | Path, lang: str, text: str | bytes, presegmented: bool = False) -> int:
        """Store a document and its sentences; returns its id. The same content at the same path gives the stored
        id back; new content becomes a new version. Bytes are decoded here; a file that cannot be decoded or
        segmented is stored with its error, so that aligning its pair fails with that message."""
        from .segment import segment_lines, segment_text
        from .textio import decode_text

        path, lang = str(path), lang.lower()
        digest, error, doc = sha1(text), None, None
        try:
            text = decode_text(text, path) if isinstance(text, bytes) else text
            if not text.strip():
                raise InputError(f"{path}: the file is empty")
            doc = (segment_lines if presegmented else segment_text)(text, lang, path)
        except (InputError, SegmentationError) as exc:
            error = str(exc)
        return self._add_document(path, lang, digest, text if doc else "", error, presegmented,
                                  doc.sentences if doc else ())

    def add_sentences(self, path: str | Path, lang: str, sentences: Sequence[tuple[str, int]]) -> int:
        """Store a document given as its sentences, each with its paragraph number: (text, paragraph), one line
        each (whitespace runs are collapsed). For sentences that come from elsewhere with their paragraphs, such
        as an imported translation memory; versions as in `add_document`, by text and paragraphs."""
        if not sentences:
            raise StoreError(f"{path}: a document needs at least one sentence")
        lines = [" ".join(t.replace("\ufeff", " ").split()) for t, _ in sentences]
        text, pos, sents = "".join(line + "\n" for line in lines), 0, []
        for k, (line, (_, para)) in enumerate(zip(lines, sentences)):
            sents.append(Sentence(k, line, int(para), pos, pos + len(line)))
            pos += len(line) + 1
        digest = sha1(text + json.dumps([s.paragraph for s in sents]))
        return self._add_document(str(path), lang.lower(), digest, text, None, True, sents)

    def _add_document(self, path: str, lang: str, digest: str, text: str, error: str | None, presegmented: bool,
                      sentences: Sequence[Sentence]) -> int:
        with self.transaction():
            row = self._conn.execute("SELECT id, sha1, lang, presegmented, version FROM documents WHERE path = ? "
                                     "ORDER BY version DESC LIMIT 1", (path,)).fetchone()
            if row and row[1:4] == (digest, lang, int(presegmented)):
                return row[0]
            doc_id = self._conn.execute(
                "INSERT INTO documents (path, lang, sha1, version, text, error, presegmented, n_sentences, added) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (path, lang, digest, row[4] + 1 if row else 1, text, error, int(presegmented), len(sentences),
                 now())).lastrowid
            self._conn.executemany(
                "INSERT INTO sentences (doc_id, idx, paragraph, start, end, text, sha1) VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((doc_id, s.id, s.paragraph, s.start, s.end, s.text, sha1(s.text)) for s in sentences))
            paras: dict[int, list[int]] = {}
            for s in sentences:
                paras.setdefault(s.paragraph, [s.start, s.end])[1] = s.end
            self._conn.executemany("INSERT INTO paragraphs (doc_id, idx, start, end) VALUES (?, ?, ?, ?)",
                                   ((doc_id, k, a, b) for k, (a, b) in paras.items()))
            return doc_id

    def add_pair(self, name: str, src_doc: int, tgt_doc: int) -> tuple[int, bool]:
        """Create the pair, or point it at new document versions; returns (pair id, whether anything changed).
        Documents with the same content as the pair's current ones change nothing."""
        with self.transaction():
            new = self._conn.execute("SELECT (SELECT sha1 FROM documents WHERE id = ?), "
                                     "(SELECT sha1 FROM documents WHERE id = ?)", (src_doc, tgt_doc)).fetchone()
            if None in new:
                raise StoreError(f"pair {name!r}: no document {src_doc if new[0] is None else tgt_doc}")
            row = self._conn.execute("SELECT p.id, s.sha1, t.sha1 FROM pairs p JOIN documents s ON s.id = p.src_doc"
                                     " JOIN documents t ON t.id = p.tgt_doc WHERE p.name = ?", (name,)).fetchone()
            if row is None:
                pair_id = self._conn.execute(
                    "INSERT INTO pairs (name, src_doc, tgt_doc, status, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
                    (name, src_doc, tgt_doc, PairStatus.NEW.value, now(), now())).lastrowid
                return pair_id, True
            if (row[1], row[2]) == tuple(new):
                return row[0], False
            self._conn.execute(
                "UPDATE pairs SET src_doc = ?, tgt_doc = ?, updated = ?, error = NULL, "
                "status = CASE WHEN run_id IS NULL THEN 'new' ELSE 'changed' END WHERE id = ?",
                (src_doc, tgt_doc, now(), row[0]))
            return row[0], True

    def pairs(self, names: Iterable[str] | None = None) -> list[PairInfo]:
        """Every pair (or those named), by name, with sentence and review counts of its current alignment."""
        rows = self._q(_PAIRS_SQL + " ORDER BY p.name")
        if names is not None:
            wanted = set(names)
            missing = wanted - {r["name"] for r in rows}
            if missing:
                raise StoreError(f"{self.path}: no pair named {', '.join(sorted(missing))}")
            rows = [r for r in rows if r["name"] in wanted]
        return [_pair_info(r) for r in rows]

    def _pair_run(self, name: str) -> tuple[int, int | None]:
        """The pair's id and current run id: what an edit needs, without the counts `pair` adds."""
        with self._reading() as conn:
            row = conn.execute("SELECT id, run_id FROM pairs WHERE name = ?", (name,)).fetchone()
        return row if row is not None else (self.pair(name).id, None)  # pair() raises, naming the known pairs

    def pair(self, name: str) -> PairInfo:
        rows = self._q(_PAIRS_SQL + " WHERE p.name = ?", (name,))
        if not rows:
            known = [r["name"] for r in self._q("SELECT name FROM pairs ORDER BY name LIMIT 6")]
            hint = f" (pairs: {', '.join(known)}{', ...' if len(known) == 6 else ''})" if known else ""
            raise StoreError(f"{self.path}: no pair named {name!r}{hint}")
        return _pair_info(rows[0])

    def document(self, doc_id: int) -> Document:
        """A stored document rebuilt with its sentences; InputError with the import's message if it was unusable."""
        with self._reading() as conn:
            row = conn.execute("SELECT path, lang, text, error FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                raise StoreError(f"{self.path}: no document {doc_id}")
            if row[3]:
                raise InputError(row[3])
            sents = tuple(Sentence(*r) for r in conn.execute(
                "SELECT idx, text, paragraph, start, end FROM sentences WHERE doc_id = ? ORDER BY idx", (doc_id,)))
        return Document(path=row[0], lang=row[1], text=row[2], sentences=sents)

    def document_info(self, doc_id: int) -> dict:
        """A document's record without its text: id, path, lang, sha1, version, error, presegmented, n_sentences,
        added."""
        rows = self._q("SELECT id, path, lang, sha1, version, error, presegmented, n_sentences, added FROM documents "
                       "WHERE id = ?", (doc_id,))
        if not rows:
            raise StoreError(f"{self.path}: no document {doc_id}")
        return rows[0]

    def documents_for(self, pair: str) -> tuple[Document, Document]:
        """The pair's current source and target documents."""
        info = self.pair(pair)
        return self.document(info.src_doc), self.document(info.tgt_doc)

    def sentence_hashes(self, doc_id: int) -> list[str]:
        with self._reading() as conn:
            return [r[0] for r in conn.execute("SELECT sha1 FROM sentences WHERE doc_id = ? ORDER BY idx", (doc_id,))]

    # ---- runs and alignments ---------------------------------------------------------------------------------

    def save_alignment(self, pair: str, alignment: Alignment, run_info: dict | None = None) -> int:
        """Record a new run of `pair` and make its beads the current alignment, in one transaction; returns the
        run id. Review work on the previous alignment survives where its sentences did not change (by content
        hash): its reviewed beads are put back wherever the new bead boundaries allow (see `carry_review`).

        run_info: model, params, figures (dict); src_doc / tgt_doc, the document versions aligned: when the pair
        was re-imported meanwhile, nothing is saved and StoreError says so. date (ISO 8601 or a datetime; default
        now) and changed (a date or None per bead: when a person last changed it) carry the dates of an imported
        memory.
        """
        alignment.validate()
        info = dict(run_info or {})
        given = [_iso(d) for d in info.get("changed") or [None] * len(alignment)]
        if len(given) != len(alignment):
            raise StoreError(f"{pair}: {len(given)} change dates for {len(alignment)} beads")
        with self.transaction():
            p = self.pair(pair)
            if (info.get("src_doc", p.src_doc), info.get("tgt_doc", p.tgt_doc)) != (p.src_doc, p.tgt_doc):
                raise StoreError(f"{pair}: its files were imported again during the run; align it again")
            if (alignment.n_src, alignment.n_tgt) != (p.n_src, p.n_tgt):
                raise StoreError(f"{pair}: the alignment covers {alignment.n_src}/{alignment.n_tgt} sentences, "
                                 f"the documents have {p.n_src}/{p.n_tgt}")
            changed, carried = given, 0
            if p.run_id is not None:
                old_docs = self._conn.execute("SELECT src_doc, tgt_doc FROM runs WHERE id = ?",
                                              (p.run_id,)).fetchone()
                old, old_changed = self._beads_of_run(p.run_id)
                alignment, changed, carried = carry_review(
                    old, self.sentence_hashes(old_docs[0]), self.sentence_hashes(old_docs[1]), alignment,
                    self.sentence_hashes(p.src_doc), self.sentence_hashes(p.tgt_doc), old_changed, given)
            figures = {**info.get("figures", {}), "beads": len(alignment), "carried": carried}
            date = _iso(info.get("date")) or now()
            run_id = self._conn.execute(
                "INSERT INTO runs (pair_id, src_doc, tgt_doc, model, params, date, figures) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (p.id, p.src_doc, p.tgt_doc, info.get("model") or alignment.meta.get("model") or "",
                 json.dumps(info.get("params") or alignment.meta.get("params") or {}, sort_keys=True), date,
                 json.dumps(figures))).lastrowid
            self._insert_beads(run_id, _rows(alignment.beads, changed))
            self._conn.execute("UPDATE pairs SET run_id = ?, status = 'aligned', error = NULL, updated = ? "
                               "WHERE id = ?", (run_id, now(), p.id))
            return run_id

    def record_failure(self, pair: str, error: str, run_info: dict | None = None) -> int:
        """Record a failed run with its error; the pair's last good alignment stays current."""
        info = dict(run_info or {})
        with self.transaction():
            p = self.pair(pair)
            run_id = self._conn.execute(
                "INSERT INTO runs (pair_id, src_doc, tgt_doc, model, params, date, figures, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (p.id, p.src_doc, p.tgt_doc, info.get("model", ""), json.dumps(info.get("params", {}), sort_keys=True),
                 now(), json.dumps(info.get("figures", {})), error)).lastrowid
            self._conn.execute("UPDATE pairs SET status = 'failed', error = ?, updated = ? WHERE id = ?",
                               (error, now(), p.id))
            return run_id

    def runs(self, pair: str) -> list[dict]:
        """Every run of a pair, oldest first: id, src_doc, tgt_doc, model, params, date, figures, error."""
        rows = self._q("SELECT r.id, r.src_doc, r.tgt_doc, r.model, r.params, r.date, r.figures, r.error "
                       "FROM runs r JOIN pairs p ON p.id = r.pair_id WHERE p.name = ? ORDER BY r.id", (pair,))
        for r in rows:
            r["params"], r["figures"] = json.loads(r["params"]), json.loads(r["figures"])
        return rows

    def alignment(self, pair: str) -> Alignment:
        """The pair's current alignment, beads with their review status; meta holds run_id, revision (of its
        edits), model, params, date."""
        run_id = self._pair_run(pair)[1]
        if run_id is None:
            raise StoreError(f"{pair}: not aligned yet; run `aligner align-all`")
        return self._beads_of_run(run_id)[0]

    def _beads_of_run(self, run_id: int) -> tuple[Alignment, tuple[str | None, ...]]:
        """The run's alignment and the changed date of each bead. The run's revision is read first: when this
        process last read or wrote that same revision, its beads come from memory (a 5,000-bead run takes ~15 ms
        to load). Another process's edit bumps the revision, so it is never missed."""
        with self._reading() as conn:
            run = conn.execute("SELECT revision FROM runs WHERE id = ?", (run_id,)).fetchone()
            cached = self._cached
            if run is not None and cached is not None and cached[:2] == (run_id, run[0]):
                a = cached[2]
                return replace(a, meta={**a.meta, "params": dict(a.meta["params"])}), cached[3]
            run = conn.execute("SELECT r.model, r.params, r.date, s.n_sentences, t.n_sentences, r.revision FROM runs r "
                               "JOIN documents s ON s.id = r.src_doc JOIN documents t ON t.id = r.tgt_doc "
                               "WHERE r.id = ?", (run_id,)).fetchone()
            rows = conn.execute("SELECT src_start, src_len, tgt_start, tgt_len, score, status, changed FROM beads "
                                "WHERE run_id = ? ORDER BY src_start, tgt_start", (run_id,)).fetchall()
        beads = tuple(Bead(tuple(range(r[0], r[0] + r[1])), tuple(range(r[2], r[2] + r[3])), r[4], BeadStatus(r[5]))
                      for r in rows)
        meta = {"run_id": run_id, "revision": run[5], "model": run[0], "params": json.loads(run[1]), "date": run[2]}
        a, changed = Alignment(beads, run[3], run[4], meta=meta), tuple(r[6] for r in rows)
        self._remember(a, changed)
        return replace(a, meta={**meta, "params": dict(meta["params"])}), changed

    def _remember(self, a: Alignment, changed: Sequence[str | None]) -> None:
        """Keep `a` (meta: its run_id and revision) as the cached alignment."""
        self._cached = (a.meta["run_id"], a.meta["revision"], a, tuple(changed))

    def _insert_beads(self, run_id: int, rows: Iterable[list]) -> None:
        self._conn.executemany(
            "INSERT INTO beads (run_id, src_start, src_len, tgt_start, tgt_len, kind, score, status, changed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", ((run_id, *r) for r in rows))

    # ---- review edits ----------------------------------------------------------------------------------------

    def apply_edit(self, pair: str, new_alignment: Alignment, op: str, detail: dict | None = None) -> int | None:
        """Save an edited alignment and log the edit, in one transaction; returns the edit id, or None when
        nothing changed. The log keeps the changed stretch of beads before and after, so undo and redo work
        across restarts. A new edit clears the redo list.

        new_alignment must derive from the current one: when its meta says it was loaded from another run (a batch
        run replaced the alignment meanwhile) or another revision (another editor saved an edit meanwhile), this
        is a StoreError, not a lost update. On success its meta revision moves on with the store's.
        """
        with self.transaction():
            run_id = self._pair_run(pair)[1]
            if run_id is None:
                raise StoreError(f"{pair}: not aligned yet; run `aligner align-all`")
            base = new_alignment.meta.get("run_id")
            if base is not None and base != run_id:
                raise StoreError(f"{pair}: the alignment was replaced by a new run since it was loaded; reload it")
            cur, changed = self._beads_of_run(run_id)
            revision = new_alignment.meta.get("revision")
            if revision is not None and revision != cur.meta["revision"]:
                raise StoreError(f"{pair}: the alignment was edited elsewhere since it was loaded; reload it")
            if (new_alignment.n_src, new_alignment.n_tgt) != (cur.n_src, cur.n_tgt):
                raise StoreError(f"{pair}: edit {op!r} is for documents of another length")
            old, new = cur.beads, new_alignment.beads
            lo, hi = _common_ends(old, new)
            if lo == len(old) == len(new):
                return None
            start = (sum(len(b.src) for b in old[:lo]), sum(len(b.tgt) for b in old[:lo]))
            try:  # the beads around the stretch are the stored ones, valid already
                _check_stretch(new[lo:len(new) - hi], start, old[lo:len(old) - hi])
            except ValueError as exc:
                raise StoreError(f"{pair}: edit {op!r} gives an invalid alignment ({exc})") from None
            date = now()
            before = _rows(old[lo:len(old) - hi], changed[lo:len(old) - hi], start)
            after = _rows(new[lo:len(new) - hi], [date] * (len(new) - hi - lo), start)
            self._replace_stretch(run_id, start, before, after)
            self._conn.execute("DELETE FROM edits WHERE run_id = ? AND undone = 1", (run_id,))
            edit_id = self._conn.execute(
                "INSERT INTO edits (run_id, op, detail, date, start_src, start_tgt, before, after) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (run_id, op, json.dumps(detail or {}), date, *start,
                                                    json.dumps(before), json.dumps(after))).lastrowid
            # the new beads themselves are cached, so that the next edit, derived from them, compares by identity
            self._remember(replace(cur, beads=new, meta={**cur.meta, "revision": cur.meta["revision"] + 1}),
                           (*changed[:lo], *[date] * (len(new) - hi - lo), *changed[len(old) - hi:]))
        if revision is not None:
            new_alignment.meta["revision"] = revision + 1
        return edit_id

    def set_status(self, pair: str, bead_indices: Iterable[int], status: BeadStatus | str) -> int | None:
        """Set the review status of some beads of the current alignment, as one undoable edit."""
        status = BeadStatus(status)
        idx = sorted(set(bead_indices))
        with self.transaction():  # read and write under one lock: nothing can come in between
            a = self.alignment(pair)
            beads = list(a.beads)
            for k in idx:
                beads[k] = replace(beads[k], status=status)
            return self.apply_edit(pair, a.with_beads(beads), status.value, {"beads": idx})

    def _replace_stretch(self, run_id: int, start: tuple[int, int], old: list, new: list) -> None:
        """Replace the bead rows of one stretch of sentences (`old`) by `new`; both cover the same sentences.
        Every change of the beads goes through here, so it also counts the run's revision."""
        end = (start[0] + sum(r[1] for r in old), start[1] + sum(r[3] for r in old))
        self._conn.execute("DELETE FROM beads WHERE run_id = ? AND (src_start, tgt_start) >= (?, ?) "
                           "AND (src_start, tgt_start) < (?, ?)", (run_id, *start, *end))
        self._insert_beads(run_id, new)
        self._conn.execute("UPDATE runs SET revision = revision + 1 WHERE id = ?", (run_id,))

    def undo(self, pair: str) -> Alignment | None:
        """Undo the pair's last edit; returns the alignment after it, or None when there is nothing to undo."""
        return self._step(pair, undo=True)

    def redo(self, pair: str) -> Alignment | None:
        """Redo the last undone edit; returns the alignment after it, or None when there is nothing to redo."""
        return self._step(pair, undo=False)

    def _step(self, pair: str, undo: bool) -> Alignment | None:
        with self.transaction():
            run_id = self._pair_run(pair)[1]
            row = self._conn.execute(
                "SELECT id, start_src, start_tgt, before, after FROM edits WHERE run_id = ? AND undone = ? "
                f"ORDER BY id {'DESC' if undo else 'ASC'} LIMIT 1", (run_id, int(not undo))).fetchone()
            if row is None:
                return None
            cur, changed = self._beads_of_run(run_id)
            old, new = (json.loads(row[4]), json.loads(row[3])) if undo else (json.loads(row[3]), json.loads(row[4]))
            self._replace_stretch(run_id, (row[1], row[2]), old, new)
            self._conn.execute("UPDATE edits SET undone = ? WHERE id = ?", (int(undo), row[0]))
            stepped = _splice_rows(cur, changed, (row[1], row[2]), len(old), new)
            if stepped is not None:
                self._remember(*stepped)
            return self._beads_of_run(run_id)[0]

    def history(self, pair: str) -> list[EditInfo]:
        """The edit log of the pair's current alignment, oldest first."""
        rows = self._q("SELECT e.id, e.op, e.detail, e.date, e.undone FROM edits e JOIN pairs p ON "
                       "p.run_id = e.run_id WHERE p.name = ? ORDER BY e.id", (pair,))
        return [EditInfo(r["id"], r["op"], json.loads(r["detail"]), r["date"], bool(r["undone"])) for r in rows]

    # ---- the review app's view state -------------------------------------------------------------------------

    def view_state(self, pair: str) -> dict:
        """What the review app saved for the pair with `save_view_state` (where the cursor was, ...); {} when
        nothing was saved, also for a pair that does not exist."""
        rows = self._q("SELECT v.state FROM view_state v JOIN pairs p ON p.id = v.pair_id WHERE p.name = ?", (pair,))
        return json.loads(rows[0]["state"]) if rows else {}

    def save_view_state(self, pair: str, state: dict) -> None:
        """Replace the pair's view state by `state` (a dict that JSON can hold), in one transaction. It is not an
        edit: no revision moves, nothing is logged for undo."""
        if not isinstance(state, dict):
            raise TypeError(f"view state must be a dict, not {type(state).__name__}")
        text = json.dumps(state, sort_keys=True)
        with self.transaction():
            pair_id = self._pair_run(pair)[0]
            self._conn.execute("INSERT INTO view_state (pair_id, state, saved) VALUES (?, ?, ?) ON CONFLICT (pair_id) "
                               "DO UPDATE SET state = excluded.state, saved = excluded.saved", (pair_id, text, now()))

    # ---- flags -----------------------------------------------------------------------------------------------

    def save_flags(self, pair: str, flags: Iterable) -> None:
        """Make `flags` (aligner.flags.Flag objects or their to_dict()) the flags of the pair's current alignment.
        A flag keeps its id while its key stays; flags no longer given are removed."""
        rows = {}
        for f in flags:
            d = f if isinstance(f, dict) else f.to_dict()
            src, tgt = d.get("src") or {}, d.get("tgt") or {}
            key = d.get("key") or f"{d['type']}:{_label(src)}:{_label(tgt)}"
            rows[key] = (d["type"], d.get("status", "open"), json.dumps(src.get("sentences", [])),
                         json.dumps(tgt.get("sentences", [])), json.dumps(d))
        with self.transaction():
            p = self.pair(pair)
            if p.run_id is None:
                raise StoreError(f"{pair}: not aligned yet; nothing to flag")
            old = {k for (k,) in self._conn.execute("SELECT key FROM flags WHERE run_id = ?", (p.run_id,))}
            self._conn.executemany("DELETE FROM flags WHERE run_id = ? AND key = ?",
                                   ((p.run_id, k) for k in old - rows.keys()))
            self._conn.executemany(
                "INSERT INTO flags (run_id, key, type, status, src, tgt, data) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, key) DO UPDATE SET type = excluded.type, status = excluded.status, "
                "src = excluded.src, tgt = excluded.tgt, data = excluded.data",
                ((p.run_id, k, *r) for k, r in rows.items()))

    def flag_records(self, pair: str) -> list[dict]:
        """The flags of the current alignment as Flag.to_dict() dicts with their `id`, in saved order."""
        rows = self._q("SELECT f.id, f.status, f.data FROM flags f JOIN pairs p ON p.run_id = f.run_id "
                       "WHERE p.name = ? ORDER BY f.id", (pair,))
        return [{**json.loads(r["data"]), "id": r["id"], "status": r["status"]} for r in rows]

    def flags(self, pair: str) -> list:
        """The flags of the current alignment as aligner.flags.Flag objects."""
        from .flags import Flag

        return [Flag.from_dict(d) for d in self.flag_records(pair)]

    def set_flag_status(self, flag_id: int, status) -> None:
        """Set a flag's review status: open, confirmed or dismissed (a FlagStatus or its value)."""
        status = getattr(status, "value", status)
        if status not in ("open", "confirmed", "dismissed"):
            raise StoreError(f"unknown flag status {status!r}: use open, confirmed or dismissed")
        with self.transaction():
            if self._conn.execute("UPDATE flags SET status = ? WHERE id = ?", (status, flag_id)).rowcount == 0:
                raise StoreError(f"{self.path}: no flag {flag_id}")

    # ---- embedding cache -------------------------------------------------------------------------------------

    def cached_windows(self, model: str, k: int, hashes: Sequence[str]) -> tuple[np.ndarray | None, np.ndarray]:
        """Cached vectors of windows of k sentences by text hash: (float32 (len(hashes), d), zero rows where
        missing, or None when none is cached; bool (len(hashes),) found)."""
        where: dict[str, list[int]] = {}
        for i, h in enumerate(hashes):
            where.setdefault(h, []).append(i)
        found, out, keys = np.zeros(len(hashes), bool), None, list(where)
        with self._reading() as conn:
            for a in range(0, len(keys), 500):
                chunk = keys[a:a + 500]
                for h, dtype, blob in conn.execute(
                        "SELECT sha1, dtype, vec FROM embeddings WHERE model = ? AND k = ? AND sha1 IN "
                        f"({','.join('?' * len(chunk))})", (model, k, *chunk)):
                    v = np.frombuffer(blob, dtype)
                    if out is None:
                        out = np.zeros((len(hashes), len(v)), np.float32)
                    out[where[h]] = v
                    found[where[h]] = True
        return out, found

    def has_windows(self, model: str, k: int, hashes: Sequence[str]) -> np.ndarray:
        """Which windows of k sentences the cache holds: bool (len(hashes),)."""
        held: set[str] = set()
        keys = list(set(hashes))
        with self._reading() as conn:
            for a in range(0, len(keys), 500):
                chunk = keys[a:a + 500]
                held.update(h for (h,) in conn.execute(
                    f"SELECT sha1 FROM embeddings WHERE model = ? AND k = ? AND sha1 IN ({','.join('?' * len(chunk))})",
                    (model, k, *chunk)))
        return np.fromiter((h in held for h in hashes), bool, len(hashes))

    def store_windows(self, model: str, k: int, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Cache window vectors: row i of `vectors` (float (len(hashes), d)) under hashes[i]; entries kept."""
        dtype = np.dtype(CACHE_DTYPE)
        vectors = np.asarray(vectors).astype(dtype, copy=False)
        with self.transaction():
            self._conn.executemany(
                "INSERT OR IGNORE INTO embeddings (model, sha1, k, dtype, vec) VALUES (?, ?, ?, ?, ?)",
                ((model, h, k, dtype.str, vectors[i].tobytes()) for i, h in enumerate(hashes)))

    # ---- reading for reports and exports ---------------------------------------------------------------------

    def bead_counts(self) -> list[dict]:
        """Beads of every pair's current alignment by type and status: pair, kind, status, beads."""
        return self._q("SELECT p.name AS pair, b.kind, b.status, count(*) AS beads FROM pairs p JOIN beads b "
                       "ON b.run_id = p.run_id GROUP BY p.name, b.kind, b.status ORDER BY p.name, b.kind, b.status")

    def flag_counts(self) -> list[dict]:
        """Flags of every pair's current alignment by type and status: pair, type, status, flags."""
        return self._q("SELECT p.name AS pair, f.type, f.status, count(*) AS flags FROM pairs p JOIN flags f "
                       "ON f.run_id = p.run_id GROUP BY p.name, f.type, f.status ORDER BY p.name, f.type")

    def iter_beads(self, names: Iterable[str] | None = None, *, statuses: Iterable[BeadStatus | str] | None = None,
                   min_score: float | None = None, batch_size: int = 1000) -> Iterator:
        """Stream the current alignments' beads as aligner.export.BeadRow, pair by pair in name order, bead by
        bead in document order; `flags` names the flags (not dismissed) that touch a bead.

        Reads through its own read-only connection in one read transaction, so an export sees one consistent
        snapshot while the review app goes on writing, and holds about `batch_size` beads in memory.
        """
        wanted = None if statuses is None else {BeadStatus(s) for s in statuses}
        with Store.open(self.path, self.timeout, readonly=True) as reader, reader._reading() as conn:
            conn.execute("BEGIN")
            try:
                for p in reader.pairs(names):
                    if p.run_id is not None:
                        yield from _pair_rows(conn, p, wanted, min_score, batch_size)
            finally:
                conn.execute("ROLLBACK")


# ---- carrying review work over to a new alignment --------------------------------------------------------------

def carry_review(old: Alignment, old_src: Sequence[str], old_tgt: Sequence[str], new: Alignment,
                 new_src: Sequence[str], new_tgt: Sequence[str], old_changed: Sequence[str | None],
                 new_changed: Sequence[str | None] | None = None) -> tuple[Alignment, list[str | None], int]:
    """`new` with the reviewed beads of `old` put back: (alignment, changed dates per bead, beads carried).
    new_changed: the new beads' own dates (default None each), kept where no old bead replaces them.

    *_src / *_tgt: the content hashes of the sentences each alignment covers. A reviewed old bead comes back when
    all its sentences are still there, unchanged and consecutive, and the new alignment has a bead boundary just
    before and just after them, so that the new beads in between can give way to it.
    """
    ms, mt = sentence_id_map(old_src, new_src), sentence_id_map(old_tgt, new_tgt)
    bounds, i, j = {}, 0, 0
    for k, b in enumerate(new.beads):
        bounds[(i, j)] = k
        i, j = i + len(b.src), j + len(b.tgt)
    bounds[(i, j)] = len(new.beads)
    splices, i, j = [], 0, 0
    for b, when in zip(old.beads, old_changed):
        if b.status is not BeadStatus.AUTO:
            s = _map_side(b.src, i, ms, len(old_src), len(new_src))
            t = _map_side(b.tgt, j, mt, len(old_tgt), len(new_tgt))
            k0 = bounds.get((s[0], t[0])) if s and t else None
            k1 = bounds.get((s[1], t[1])) if s and t else None
            if k0 is not None and k1 is not None and k0 < k1 and (not splices or splices[-1][1] <= k0):
                splices.append((k0, k1, Bead(tuple(range(*s)), tuple(range(*t)), b.score, b.status), when))
        i, j = i + len(b.src), j + len(b.tgt)
    beads, changed = list(new.beads), list(new_changed or [None] * len(new.beads))
    for k0, k1, bead, when in reversed(splices):
        if k1 - k0 == 1 and (beads[k0].src, beads[k0].tgt) == (bead.src, bead.tgt):
            bead = replace(bead, score=beads[k0].score)
        beads[k0:k1], changed[k0:k1] = [bead], [when]
    return replace(new, beads=tuple(beads), meta=dict(new.meta)), changed, len(splices)


def sentence_id_map(old: Sequence[str], new: Sequence[str]) -> dict[int, int]:
    """Old sentence id -> new id of the same sentence, from the longest matching runs of content hashes."""
    if list(old) == list(new):
        return {i: i for i in range(len(old))}
    sm = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    return {a + t: b + t for a, b, size in sm.get_matching_blocks() for t in range(size)}


def _map_side(ids: tuple[int, ...], pos: int, m: dict[int, int], n_old: int, n_new: int) -> tuple[int, int] | None:
    """The new [start, stop) of one side of an old bead; an empty side at old position `pos` maps to the new
    position between the same two neighbouring sentences."""
    if ids:
        q = [m.get(i) for i in ids]
        if None in q or q != list(range(q[0], q[0] + len(q))):
            return None
        return q[0], q[-1] + 1
    before = m.get(pos - 1) if pos > 0 else -1
    after = m.get(pos) if pos < n_old else n_new
    if before is None or after is None or after != before + 1:
        return None
    return after, after


# ---- rows ------------------------------------------------------------------------------------------------------

_PAIRS_SQL = """
SELECT p.id, p.name, p.status, p.error, p.src_doc, p.tgt_doc, p.run_id, p.updated,
       s.path AS src_path, t.path AS tgt_path, s.lang AS src_lang, t.lang AS tgt_lang,
       s.n_sentences AS n_src, t.n_sentences AS n_tgt, r.model, r.params,
       (SELECT count(*) FROM beads b WHERE b.run_id = p.run_id) AS beads,
       (SELECT count(*) FROM beads b WHERE b.run_id = p.run_id AND b.status != 'auto') AS reviewed
FROM pairs p JOIN documents s ON s.id = p.src_doc JOIN documents t ON t.id = p.tgt_doc
LEFT JOIN runs r ON r.id = p.run_id"""


def _pair_info(r: dict) -> PairInfo:
    return PairInfo(r["id"], r["name"], PairStatus(r["status"]), r["error"], r["src_doc"], r["tgt_doc"],
                    r["src_path"], r["tgt_path"], r["src_lang"], r["tgt_lang"], r["n_src"], r["n_tgt"], r["run_id"],
                    r["model"], json.loads(r["params"]) if r["params"] else None, r["beads"], r["reviewed"],
                    r["updated"])


def _rows(beads: Sequence[Bead], changed: Sequence[str | None], start: tuple[int, int] = (0, 0)) -> list[list]:
    """Beads as stored: src_start, src_len, tgt_start, tgt_len, kind, score, status, changed; an empty side
    starts at its position between sentences, so (src_start, tgt_start) orders the beads."""
    out, (i, j) = [], start
    for b, when in zip(beads, changed):
        out.append([i, len(b.src), j, len(b.tgt), b.kind, float(b.score), b.status.value, when])
        i, j = i + len(b.src), j + len(b.tgt)
    return out


def _common_ends(old: Sequence[Bead], new: Sequence[Bead]) -> tuple[int, int]:
    """How many beads two alignments share at the start and, after those, at the end. Beads an edit did not
    touch are the very same objects, so identity settles most comparisons before equality is tried."""
    lo, top = 0, min(len(old), len(new))
    while lo < top and (old[lo] is new[lo] or old[lo] == new[lo]):
        lo += 1
    hi = 0
    while hi < top - lo and (old[-1 - hi] is new[-1 - hi] or old[-1 - hi] == new[-1 - hi]):
        hi += 1
    return lo, hi


def _check_stretch(beads: Sequence[Bead], start: tuple[int, int], old: Sequence[Bead]) -> None:
    """Raise ValueError unless `beads` cover the sentences of the `old` beads they replace, from `start` on, in
    order and each once; the whole alignment is then valid when the beads around them were."""
    i, j = start
    for b in beads:
        if not b.src and not b.tgt:
            raise ValueError("empty bead")
        if b.src and b.src != tuple(range(i, i + len(b.src))):
            raise ValueError(f"source ids {b.src} do not continue at {i}")
        if b.tgt and b.tgt != tuple(range(j, j + len(b.tgt))):
            raise ValueError(f"target ids {b.tgt} do not continue at {j}")
        i, j = i + len(b.src), j + len(b.tgt)
    end = (start[0] + sum(len(b.src) for b in old), start[1] + sum(len(b.tgt) for b in old))
    if (i, j) != end:
        raise ValueError(f"the edited beads end at sentences {i}/{j}, the beads they replace at {end[0]}/{end[1]}")


def _splice_rows(cur: Alignment, changed: Sequence[str | None], start: tuple[int, int], n_old: int,
                 rows: list) -> tuple[Alignment, tuple[str | None, ...]] | None:
    """`cur` (at the revision before a stretch replacement) with its `n_old` beads from sentence position `start`
    replaced by bead `rows` as stored, at the next revision; None if no bead boundary is at `start`."""
    i = j = 0
    for k, b in enumerate(cur.beads):
        if (i, j) == start:
            break
        i, j = i + len(b.src), j + len(b.tgt)
    else:
        return None
    beads = tuple(Bead(tuple(range(r[0], r[0] + r[1])), tuple(range(r[2], r[2] + r[3])), r[5], BeadStatus(r[6]))
                  for r in rows)
    a = replace(cur, beads=cur.beads[:k] + beads + cur.beads[k + n_old:],
                meta={**cur.meta, "revision": cur.meta["revision"] + 1})
    return a, (*changed[:k], *(r[7] for r in rows), *changed[k + n_old:])


def _label(span: dict) -> str:
    ids = span.get("sentences") or []
    return "" if not ids else (str(ids[0]) if ids[0] == ids[-1] else f"{ids[0]}-{ids[-1]}")


def _iso(when: str | datetime | None) -> str | None:
    """A date as the store keeps it: ISO 8601 in UTC to the second (a naive datetime is taken as UTC)."""
    if when is None or isinstance(when, str):
        return when
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


class _Sentences:
    """Walks a document's sentences in id order, for beads that come in document order."""

    def __init__(self, conn: sqlite3.Connection, doc_id: int):
        self._cur = conn.execute("SELECT idx, text, paragraph FROM sentences WHERE doc_id = ? ORDER BY idx",
                                 (doc_id,))
        self._row = self._cur.fetchone()

    def take(self, start: int, n: int) -> tuple[str, int | None, tuple[int, ...]]:
        """The text of sentences start..start+n-1 joined by spaces, the first one's paragraph, and their lengths."""
        while self._row is not None and self._row[0] < start:
            self._row = self._cur.fetchone()
        texts, para = [], self._row[2] if n and self._row is not None else None
        while self._row is not None and self._row[0] < start + n:
            texts.append(self._row[1])
            self._row = self._cur.fetchone()
        return " ".join(texts), para, tuple(map(len, texts))


def _pair_rows(conn: sqlite3.Connection, p: PairInfo, wanted, min_score, batch_size: int) -> Iterator:
    from .export import BeadRow

    created = _when(conn.execute("SELECT date FROM runs WHERE id = ?", (p.run_id,)).fetchone()[0])
    marks: tuple[dict[int, set], dict[int, set]] = ({}, {})
    for kind, src, tgt in conn.execute("SELECT type, src, tgt FROM flags WHERE run_id = ? AND status != "
                                       "'dismissed'", (p.run_id,)).fetchall():
        for side, ids in zip(marks, (json.loads(src), json.loads(tgt))):
            for i in ids:
                side.setdefault(i, set()).add(kind)
    src, tgt = _Sentences(conn, p.src_doc), _Sentences(conn, p.tgt_doc)
    cur = conn.execute("SELECT src_start, src_len, tgt_start, tgt_len, score, status, changed FROM beads "
                       "WHERE run_id = ? ORDER BY src_start, tgt_start", (p.run_id,))
    while rows := cur.fetchmany(batch_size):
        for s0, ns, t0, nt, score, status, changed in rows:
            status = BeadStatus(status)
            if (wanted is not None and status not in wanted) or (min_score is not None and score < min_score):
                continue
            s_ids, t_ids = tuple(range(s0, s0 + ns)), tuple(range(t0, t0 + nt))
            (s_text, s_para, s_lens), (t_text, t_para, t_lens) = src.take(s0, ns), tgt.take(t0, nt)
            kinds = set().union(*(marks[0].get(i, ()) for i in s_ids), *(marks[1].get(j, ()) for j in t_ids))
            yield BeadRow(p.name, s_ids, t_ids, s_text, t_text, score, status, tuple(sorted(kinds)),
                          s_para if s_para is not None else t_para, created, _when(changed) or created, s_lens,
                          t_lens)
