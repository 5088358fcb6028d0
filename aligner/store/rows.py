"""Reading for reports and exports: counts by pair, and the current alignments' beads streamed with their texts,
flags and dates from one consistent snapshot."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime

from ..models import BeadStatus
from ..textio import join_sentences, one_line, sentence_separator, split_joined
from .documents import Documents, PairInfo
from .flags import is_editor, shown_editor_flags
from .stretch import RUN_BEADS


class Rows(Documents):
    """Counts and the bead stream for exports."""

    def bead_counts(self) -> list[dict]:
        """Beads of every pair's current alignment by type and status: pair, kind, status, beads."""
        return self._q("SELECT p.name AS pair, b.kind, b.status, count(*) AS beads FROM pairs p JOIN beads b "
                       "ON b.run_id = p.run_id GROUP BY p.name, b.kind, b.status ORDER BY p.name, b.kind, b.status")

    def doubtful_counts(self) -> dict[str, int]:
        """Doubtful beads of every pair's current alignment (aligner.align.posterior.is_doubtful, in SQL): pair ->
        count, pairs without any left out."""
        from ..align.posterior import DOUBTFUL, LOW_SCORE

        return {r["pair"]: r["beads"] for r in self._q(
            "SELECT p.name AS pair, count(*) AS beads FROM pairs p JOIN beads b ON b.run_id = p.run_id "
            "WHERE b.status = 'auto' AND b.src_len > 0 AND b.tgt_len > 0 AND (b.confidence < ? OR "
            "(b.confidence IS NULL AND b.score < ?)) GROUP BY p.name", (DOUBTFUL, LOW_SCORE))}

    def flag_counts(self) -> list[dict]:
        """Flags of every pair's current alignment by type and status: pair, type, status, flags."""
        return self._q("SELECT p.name AS pair, f.type, f.status, count(*) AS flags FROM pairs p JOIN flags f "
                       "ON f.run_id = p.run_id GROUP BY p.name, f.type, f.status ORDER BY p.name, f.type")

    def iter_beads(self, names: Iterable[str] | None = None, *, statuses: Iterable[BeadStatus | str] | None = None,
                   min_score: float | None = None, batch_size: int = 1000, moved: bool = False) -> Iterator:
        """Stream the current alignments' beads as aligner.export.BeadRow, pair by pair in name order, bead by
        bead in document order; `flags` names the flags (not dismissed) that touch a bead. An editor's flag
        counts only while the bead is FLAGGED: unflagging keeps its record (an undo brings the flag back), as the
        review app does. moved: each pair's rows end with one row per moved passage (the flagger's moved flags
        not dismissed): its source and target sentences, which the monotone alignment left one-sided, as the
        translation pair they are (flags ('moved',), the flag's similarity as score, CONFIRMED once an editor
        accepted the flag).

        Reads through its own read-only connection in one read transaction, so an export sees one consistent
        snapshot while the review app goes on writing, and holds about `batch_size` beads in memory.
        """
        wanted = None if statuses is None else {BeadStatus(s) for s in statuses}
        with type(self).open(self.path, self.timeout, readonly=True) as reader, reader._reading() as conn:
            conn.execute("BEGIN")
            try:
                for p in reader.pairs(names):
                    if p.run_id is not None:
                        yield from _pair_rows(conn, p, wanted, min_score, batch_size)
                        if moved:
                            yield from _moved_rows(conn, p, wanted, min_score)
            finally:
                conn.execute("ROLLBACK")


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


class _Sentences:
    """Walks a document's sentences in id order, for beads that come in document order."""

    def __init__(self, conn: sqlite3.Connection, doc_id: int, lang: str):
        self._sep = sentence_separator(lang)
        self._cur = conn.execute("SELECT idx, text, paragraph FROM sentences WHERE doc_id = ? ORDER BY idx",
                                 (doc_id,))
        self._row = self._cur.fetchone()

    def take(self, start: int, n: int) -> tuple[str, int | None, tuple[int, ...]]:
        """The text of sentences start..start+n-1 joined (textio.join_sentences), the first one's paragraph, and
        their lengths."""
        while self._row is not None and self._row[0] < start:
            self._row = self._cur.fetchone()
        texts, para = [], self._row[2] if n and self._row is not None else None
        while self._row is not None and self._row[0] < start + n:
            texts.append(self._row[1])
            self._row = self._cur.fetchone()
        return self._sep.join(texts), para, tuple(map(len, texts))


def _pair_rows(conn: sqlite3.Connection, p: PairInfo, wanted, min_score, batch_size: int) -> Iterator:
    from ..export import BeadRow

    date, figures = conn.execute("SELECT date, figures FROM runs WHERE id = ?", (p.run_id,)).fetchone()
    created = _when(date)
    # an imported memory's units keep their own creation dates (none where a unit had none): "s0:t0" -> date
    own = json.loads(figures or "{}").get("created") or {}
    # the flags: the flagger's, and the editor's that show (only on FLAGGED beads)
    records = [{**json.loads(data), "key": key, "type": kind, "status": status} for key, kind, status, data in
               conn.execute("SELECT key, type, status, data FROM flags WHERE run_id = ? AND status != 'dismissed' "
                            "ORDER BY id", (p.run_id,))]
    flagged: tuple[set[int], set[int]] = (set(), set())
    for s0, ns, t0, nt in conn.execute("SELECT src_start, src_len, tgt_start, tgt_len FROM beads WHERE run_id = ? "
                                       "AND status = ?", (p.run_id, BeadStatus.FLAGGED.value)):
        flagged[0].update(range(s0, s0 + ns))
        flagged[1].update(range(t0, t0 + nt))
    shown = shown_editor_flags(records, *flagged)
    # per side, sentence -> indices into records of the flags on it: the flagger's (False), the editor's (True)
    which: dict[bool, tuple[dict[int, set], dict[int, set]]] = {False: ({}, {}), True: ({}, {})}
    for k, f in enumerate(records):
        editor = is_editor(f)
        if editor and k not in shown:
            continue
        for at, name in zip(which[editor], ("src", "tgt"), strict=True):
            for i in (f.get(name) or {}).get("sentences", ()):
                at.setdefault(i, set()).add(k)
    found = tuple({i: {records[k]["type"] for k in ks} for i, ks in at.items()} for at in which[False])
    src, tgt = (_Sentences(conn, p.run_src_doc, p.src_lang),  # the versions it aligned
                _Sentences(conn, p.run_tgt_doc, p.tgt_lang))
    cur = conn.execute(RUN_BEADS, (p.run_id,))
    while rows := cur.fetchmany(batch_size):
        for s0, ns, t0, nt, score, status, changed, confidence in rows:
            status = BeadStatus(status)
            if (wanted is not None and status not in wanted) or (min_score is not None and score < min_score):
                continue
            s_ids, t_ids = tuple(range(s0, s0 + ns)), tuple(range(t0, t0 + nt))
            (s_text, s_para, s_lens), (t_text, t_para, t_lens) = src.take(s0, ns), tgt.take(t0, nt)
            on: dict[bool, set[int]] = {False: set(), True: set()}
            for editor in (False, True) if status is BeadStatus.FLAGGED else (False,):
                w = which[editor]
                on[editor].update(*(w[0].get(i, ()) for i in s_ids), *(w[1].get(j, ()) for j in t_ids))
            kinds = {records[k]["type"] for k in on[False] | on[True]}
            unpaired = _taken_apart(status, s_ids, t_ids, found) or (
                status is BeadStatus.AUTO and bool(s_ids and t_ids)
                and _all_furniture(s_text, s_lens) and _all_furniture(t_text, t_lens))
            if status is BeadStatus.FLAGGED and s_ids and t_ids:  # an editor's flag saying that the sides do
                editor = {records[k]["type"] for k in on[True]}      # not translate each other
                unpaired = bool(editor & {"added", "dropped", "furniture"})
            on = sorted(on[False] | on[True])
            made = _when(own[key]) if own and (key := f"{s0}:{t0}") in own else created
            yield BeadRow(p.name, s_ids, t_ids, s_text, t_text, score, status, tuple(sorted(kinds)),
                          s_para if s_para is not None else t_para, made, _when(changed), s_lens,
                          t_lens, unpaired, confidence, tuple(_note(records[k]) for k in on),
                          tuple(_mark(records[k], s_ids, t_ids) for k in on))


def _note(f: dict) -> str:
    """A flag as a note on its unit: 'divergent: 1-1 bead, similarity 0.41 (usual here 0.78)', one an editor
    accepted 'divergent (accepted): ...', an editor's own 'divergent (editor): the figure is wrong'."""
    kind = f"{f['type']} (editor)" if is_editor(f) else f"{f['type']} (accepted)" if f.get("status") == "confirmed" \
        else f["type"]
    note = one_line(f.get("note") or "")
    return f"{kind}: {note}" if note else kind


def _mark(f: dict, s_ids: tuple[int, ...], t_ids: tuple[int, ...]) -> str:
    """A flag as the TMX's x-flags writes it for the bead of sentences s_ids, t_ids: its type, and where it lies
    in the bead unless it covers the whole of it ('furniture:t1-2', 'added:t0': sentences counted from the
    unit's first, per side), so that `import tmx` puts it back where it was."""
    at = []
    for side, ids, name in (("s", s_ids, "src"), ("t", t_ids, "tgt")):
        mine = [i - ids[0] for i in (f.get(name) or {}).get("sentences", ()) if i in ids]
        if mine:
            at.append((side, mine, len(mine) == len(ids)))
    if len(at) == 2 and all(whole for *_, whole in at):
        return f["type"]
    return f["type"] + ":" + ",".join(f"{side}{m[0]}" + (f"-{m[-1]}" if len(m) > 1 else "") for side, m, _ in at)


def _taken_apart(status: BeadStatus, s_ids: tuple[int, ...], t_ids: tuple[int, ...],
                 found: tuple[dict[int, set], dict[int, set]]) -> bool:
    """Whether the flagger took an automatic two-sided bead apart: every sentence of one side of it is in a
    dropped/added or furniture passage (found: per side, sentence -> the kinds of the flagger's flags on it)."""
    return status is BeadStatus.AUTO and bool(s_ids and t_ids) and (
        all(found[0].get(i, set()) & {"dropped", "furniture"} for i in s_ids)
        or all(found[1].get(j, set()) & {"added", "furniture"} for j in t_ids))


def _moved_rows(conn: sqlite3.Connection, p: PairInfo, wanted, min_score) -> Iterator:
    """One BeadRow per moved passage of pair `p` (see Rows.iter_beads)."""
    from ..export import BeadRow

    created = _when(conn.execute("SELECT date FROM runs WHERE id = ?", (p.run_id,)).fetchone()[0])
    records = conn.execute("SELECT key, type, status, data FROM flags WHERE run_id = ? AND status != 'dismissed' "
                           "ORDER BY id", (p.run_id,)).fetchall()
    if not any(kind == "moved" for _, kind, _, _ in records):
        return
    found: tuple[dict[int, set], dict[int, set]] = ({}, {})  # the flagger's kinds per sentence, as _pair_rows
    for key, kind, _, data in records:
        if not is_editor({"key": key}):
            f = json.loads(data)
            for side, name in zip(found, ("src", "tgt"), strict=True):
                for i in (f.get(name) or {}).get("sentences", ()):
                    side.setdefault(i, set()).add(kind)
    for key, kind, status, data in records:
        f = json.loads(data)
        if kind != "moved" or is_editor({"key": key}) or not (f.get("src") and f.get("tgt")):
            continue
        bead_status = BeadStatus.CONFIRMED if status == "confirmed" else BeadStatus.AUTO
        score = float(f.get("score", 0.0))
        if (wanted is not None and bead_status not in wanted) or (min_score is not None and score < min_score):
            continue
        s_ids, t_ids = tuple(f["src"]["sentences"]), tuple(f["tgt"]["sentences"])
        paired = conn.execute(
            "SELECT src_start, src_len, tgt_start, tgt_len, status FROM beads WHERE run_id = ? AND src_len > 0 "
            "AND tgt_len > 0 AND ((src_start <= ? AND src_start + src_len > ?) OR (tgt_start <= ? AND "
            "tgt_start + tgt_len > ?))", (p.run_id, s_ids[-1], s_ids[0], t_ids[-1], t_ids[0])).fetchall()
        if any(not _taken_apart(BeadStatus(st), tuple(range(s0, s0 + ns)), tuple(range(t0, t0 + nt)), found)
               for s0, ns, t0, nt, st in paired):
            # a sentence of it is in a two-sided bead: a bead of its own (an imported memory), or stale. Not
            # one the flagger took apart: a moved sentence the aligner glued to furniture is the passage's
            continue
        (s_text, _, s_lens), (t_text, t_para, t_lens) = (_texts(conn, p.run_src_doc, s_ids, p.src_lang),
                                                         _texts(conn, p.run_tgt_doc, t_ids, p.tgt_lang))
        yield BeadRow(p.name, s_ids, t_ids, s_text, t_text, score, bead_status, ("moved",), t_para, created,
                      None, s_lens, t_lens)  # changed: by nobody (a confirmed flag is no edit of its text)


def _texts(conn: sqlite3.Connection, doc_id: int, ids: tuple[int, ...],
           lang: str) -> tuple[str, int | None, tuple[int, ...]]:
    """The text of sentences `ids` (consecutive) joined (textio.join_sentences), the first one's paragraph, and
    their lengths."""
    rows = conn.execute("SELECT text, paragraph FROM sentences WHERE doc_id = ? AND idx BETWEEN ? AND ? ORDER BY idx",
                        (doc_id, ids[0], ids[-1])).fetchall()
    return join_sentences((t for t, _ in rows), lang), rows[0][1] if rows else None, tuple(len(t) for t, _ in rows)


def _all_furniture(text: str, lengths: tuple[int, ...]) -> bool:
    """Whether every sentence of a bead side (`text`: its sentences joined, `lengths` theirs) is a line
    of web furniture (a share line, a credit, a link lead-in, a date): such a pair on both sides is the page's
    furniture translated, not a sentence of the article, and no unit of a translation memory."""
    from ..flags import strong_furniture

    if not lengths or max(lengths) > 80:  # furniture lines are short; most article sentences are not (and the
        return False                      # check costs 18 µs a sentence: an export of prose would take twice as long)
    parts = split_joined(text, lengths)
    return bool(parts) and all(map(strong_furniture, parts))
