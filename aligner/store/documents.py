"""Documents with their sentences and paragraphs, versioned by content; pairs of documents; and the review app's
view state of each pair."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, SegmentationError, StoreError
from ..models import Document, Sentence
from .base import StoreBase, _now, sha1


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
    reviewed: int  # beads an editor settled: confirmed or flagged (as the review app counts them)
    updated: str
    run_src_doc: int | None = None  # the document versions the current alignment was made on
    run_tgt_doc: int | None = None

    @property
    def stale(self) -> bool:
        """Its files were imported again (`aligner add`) since the current alignment was made: the alignment,
        its review and its flags still refer to the documents as they were (Store.documents_for gives those)."""
        return self.run_id is not None and (self.run_src_doc, self.run_tgt_doc) != (self.src_doc, self.tgt_doc)

    def stale_note(self, realign: str | None = None) -> str:
        """What the CLI, the report and the review app say about a stale pair ('' for one that is not): that what
        they show is the aligned version, and how to align the new files (`realign`, the command by default)."""
        if not self.stale:
            return ""
        if self.status is PairStatus.FAILED and realign is None:  # aligning them again fails again as they are
            realign = (f"the new files failed to align ({(self.error or 'see `aligner status`').splitlines()[0]}): "
                       f"a file to fix is read again by `aligner add`, then `aligner align-all {self.name}` aligns "
                       "them")
        realign = realign or f"run `aligner align-all {self.name}` to align the new files"
        return (f"{self.name}: its files changed since it was aligned; this is the aligned version ({realign}; "
                f"review work carries over where the text is unchanged)")


class Documents(StoreBase):
    """Documents, pairs and view state."""

    def add_document(self, path: str | Path, lang: str, text: str | bytes, presegmented: bool = False) -> int:
        """Store a document and its sentences; returns its id. The same content at the same path gives the stored
        id back; new content becomes a new version. Bytes are decoded here; a file that cannot be decoded or
        segmented is stored with its error, so that aligning its pair fails with that message."""
        from ..segment import segment_lines, segment_text
        from ..textio import decode_text

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
        each (runs of breaking whitespace are collapsed; no-break spaces stay, as in a document read from a file). For sentences that come from elsewhere with their paragraphs, such
        as an imported translation memory; versions as in `add_document`, by text and paragraphs."""
        if not sentences:
            raise StoreError(f"{path}: a document needs at least one sentence")
        from ..textio import one_line

        lines = [one_line(t) for t, _ in sentences]  # no-break spaces kept ("38\u00a0%"), as in a file read
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
                 _now())).lastrowid
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
                    (name, src_doc, tgt_doc, PairStatus.NEW.value, _now(), _now())).lastrowid
                return pair_id, True
            if (row[1], row[2]) == tuple(new):
                return row[0], False
            self._conn.execute(
                "UPDATE pairs SET src_doc = ?, tgt_doc = ?, updated = ?, error = NULL, "
                "status = CASE WHEN run_id IS NULL THEN 'new' ELSE 'changed' END WHERE id = ?",
                (src_doc, tgt_doc, _now(), row[0]))
            return row[0], True

    def pairs(self, names: Iterable[str] | None = None) -> list[PairInfo]:
        """Every pair (or those named), by name, with sentence and review counts of its current alignment."""
        rows = self._q(_PAIRS_SQL + " ORDER BY p.name")
        if names is not None:
            wanted = set(names)
            have = {r["name"] for r in rows}
            if missing := [n for n in dict.fromkeys(names) if n not in have]:
                raise self._no_such_pairs(missing)
            rows = [r for r in rows if r["name"] in wanted]
        return [_pair_info(r) for r in rows]

    def _pair_run(self, name: str) -> tuple[int, int | None]:
        """The pair's id and current run id: what an edit needs, without the counts `pair` adds."""
        with self._reading() as conn:
            row = conn.execute("SELECT id, run_id FROM pairs WHERE name = ?", (name,)).fetchone()
        return row if row is not None else (self.pair(name).id, None)  # pair() raises, naming the known pairs

    def has_pair(self, name: str) -> bool:
        return bool(self._q("SELECT 1 FROM pairs WHERE name = ?", (name,)))

    def pair(self, name: str) -> PairInfo:
        rows = self._q(_PAIRS_SQL + " WHERE p.name = ?", (name,))
        if not rows:
            raise self._no_such_pairs([name])
        return _pair_info(rows[0])

    def _no_such_pairs(self, missing: list[str], shown: int = 10) -> StoreError:
        """The one message for names that are no pair: each quoted, then up to `shown` of the project's pairs
        ('...' after), so that a typo shows itself."""
        known = [r["name"] for r in self._q("SELECT name FROM pairs ORDER BY name LIMIT ?", (shown + 1,))]
        listed = ", ".join(known[:shown]) + (", ..." if len(known) > shown else "")
        hint = f" (pairs: {listed})" if known else " (the project has no pairs yet)"
        return StoreError(f"{self.path}: no pair named {', '.join(map(repr, missing))}{hint}")

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
        with self._reading():
            rows = list(self.db["documents"].rows_where(
                "id = ?", [doc_id], select="id, path, lang, sha1, version, error, presegmented, n_sentences, added"))
        if not rows:
            raise StoreError(f"{self.path}: no document {doc_id}")
        return rows[0]

    def documents_for(self, pair: str) -> tuple[Document, Document]:
        """The source and target documents of the pair's current alignment: the versions it was made on (which
        differ from the pair's files when they were imported again since: PairInfo.stale), or the pair's files
        when it is not aligned yet."""
        info = self.pair(pair)
        if info.run_id is not None:
            return self.document(info.run_src_doc), self.document(info.run_tgt_doc)
        return self.document(info.src_doc), self.document(info.tgt_doc)

    def sentence_hashes(self, doc_id: int) -> list[str]:
        with self._reading() as conn:
            return [r[0] for r in conn.execute("SELECT sha1 FROM sentences WHERE doc_id = ? ORDER BY idx", (doc_id,))]

    # ---- the review app's view state -------------------------------------------------------------------------

    def view_state(self, pair: str) -> dict:
        """What the review app saved for the pair with `save_view_state` (where the cursor was, ...); {} when
        nothing was saved, also for a pair that does not exist."""
        rows = self._q("SELECT v.state FROM view_state v JOIN pairs p ON p.id = v.pair_id WHERE p.name = ?", (pair,))
        return json.loads(rows[0]["state"]) if rows else {}

    def save_view_state(self, pair: str, state: dict) -> None:
        """Replace the pair's view state by `state` (a dict that JSON can hold), in one transaction. It is not an
        edit: no revision moves, nothing is logged for undo; on a store that can only be read, nothing is kept."""
        if not isinstance(state, dict):
            raise TypeError(f"view state must be a dict, not {type(state).__name__}")
        if self.readonly:  # a project that can only be read (its folder read-only): where one was is not kept
            return
        text = json.dumps(state, sort_keys=True)
        with self.transaction():
            pair_id = self._pair_run(pair)[0]
            self._conn.execute("INSERT INTO view_state (pair_id, state, saved) VALUES (?, ?, ?) ON CONFLICT (pair_id) "
                               "DO UPDATE SET state = excluded.state, saved = excluded.saved", (pair_id, text, _now()))


_PAIRS_SQL = """
SELECT p.id, p.name, p.status, p.error, p.src_doc, p.tgt_doc, p.run_id, p.updated,
       s.path AS src_path, t.path AS tgt_path, s.lang AS src_lang, t.lang AS tgt_lang,
       s.n_sentences AS n_src, t.n_sentences AS n_tgt, r.model, r.params, r.src_doc AS run_src_doc,
       r.tgt_doc AS run_tgt_doc,
       (SELECT count(*) FROM beads b WHERE b.run_id = p.run_id) AS beads,
       (SELECT count(*) FROM beads b WHERE b.run_id = p.run_id AND b.status IN ('confirmed', 'flagged'))
           AS reviewed
FROM pairs p JOIN documents s ON s.id = p.src_doc JOIN documents t ON t.id = p.tgt_doc
LEFT JOIN runs r ON r.id = p.run_id"""


def _pair_info(r: dict) -> PairInfo:
    return PairInfo(r["id"], r["name"], PairStatus(r["status"]), r["error"], r["src_doc"], r["tgt_doc"],
                    r["src_path"], r["tgt_path"], r["src_lang"], r["tgt_lang"], r["n_src"], r["n_tgt"], r["run_id"],
                    r["model"], json.loads(r["params"]) if r["params"] else None, r["beads"], r["reviewed"],
                    r["updated"], r["run_src_doc"], r["run_tgt_doc"])
