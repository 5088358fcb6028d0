"""Alignment runs and their beads, and the review edits on them: each edit saves the changed stretch of beads
before and after it (stretch.py), so that undo and redo work across restarts; the last alignment read or written
is cached in memory by (run, revision)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import chain

from ..errors import StaleAlignment, StoreError
from ..models import Alignment, Bead, BeadStatus, check_consecutive, common_ends
from .base import _now
from .carry import carry_review
from .documents import Documents
from .flags import stale_run
from .stretch import _STATUS, FORMAT, RUN_BEADS, Stretch, insert_rows


@dataclass(frozen=True, slots=True)
class EditInfo:
    """One entry of a pair's edit log."""

    id: int
    op: str
    detail: dict
    date: str
    undone: bool


class Alignments(Documents):
    """Runs, beads, edits, undo and redo."""

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
            date = _iso(info.get("date")) or _now()
            run_id = self._conn.execute(
                "INSERT INTO runs (pair_id, src_doc, tgt_doc, model, params, date, figures) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (p.id, p.src_doc, p.tgt_doc, info.get("model") or alignment.meta.get("model") or "",
                 json.dumps(info.get("params") or alignment.meta.get("params") or {}, sort_keys=True), date,
                 json.dumps(figures))).lastrowid
            self._insert_beads(run_id, Stretch.of(alignment.beads, changed, (0, 0)))
            self._conn.execute("UPDATE pairs SET run_id = ?, status = 'aligned', error = NULL, updated = ? "
                               "WHERE id = ?", (run_id, _now(), p.id))
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
                 _now(), json.dumps(info.get("figures", {})), error)).lastrowid
            self._conn.execute("UPDATE pairs SET status = 'failed', error = ?, updated = ? WHERE id = ?",
                               (error, _now(), p.id))
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
            rows = conn.execute(RUN_BEADS, (run_id,)).fetchall()
        beads = tuple(Bead(tuple(range(r[0], r[0] + r[1])), tuple(range(r[2], r[2] + r[3])), r[4], _STATUS[r[5]],
                           r[7]) for r in rows)
        meta = {"run_id": run_id, "revision": run[5], "model": run[0], "params": json.loads(run[1]), "date": run[2]}
        a, changed = Alignment(beads, run[3], run[4], meta=meta), tuple(r[6] for r in rows)
        self._remember(a, changed)
        return replace(a, meta={**meta, "params": dict(meta["params"])}), changed

    def _remember(self, a: Alignment, changed: Sequence[str | None]) -> None:
        """Keep `a` (meta: its run_id and revision) as the cached alignment."""
        self._cached = (a.meta["run_id"], a.meta["revision"], a, tuple(changed))

    def _insert_beads(self, run_id: int, stretch: Stretch) -> None:
        insert_rows(self._conn, stretch, run_id)

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
                raise stale_run(pair)
            cur, changed = self._beads_of_run(run_id)
            revision = new_alignment.meta.get("revision")
            if revision is not None and revision != cur.meta["revision"]:
                raise StaleAlignment(f"{pair}: the alignment was edited elsewhere since it was loaded; reload it")
            if (new_alignment.n_src, new_alignment.n_tgt) != (cur.n_src, cur.n_tgt):
                raise StoreError(f"{pair}: edit {op!r} is for documents of another length")
            old, new = cur.beads, new_alignment.beads
            lo, hi = common_ends(old, new)
            if lo == len(old) == len(new):
                return None
            start = (sum(len(b.src) for b in old[:lo]), sum(len(b.tgt) for b in old[:lo]))
            date = _now()
            before = Stretch.of(old[lo:len(old) - hi], changed[lo:len(old) - hi], start)
            try:  # the beads around the stretch are the stored ones, valid already
                _check_stretch(new[lo:len(new) - hi], start, before.end)
            except ValueError as exc:
                raise StoreError(f"{pair}: edit {op!r} gives an invalid alignment ({exc})") from None
            after = Stretch.of(new[lo:len(new) - hi], date, start)
            self._replace_stretch(run_id, before, after)
            self._conn.execute("DELETE FROM edits WHERE run_id = ? AND undone = 1", (run_id,))
            edit_id = self._conn.execute(
                "INSERT INTO edits (run_id, op, detail, date, start_src, start_tgt, before, after, format) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (run_id, op, json.dumps(detail or {}), date, *start,
                                                       before.to_json(), after.to_json(), FORMAT)).lastrowid
            self._log_beads(edit_id, old[lo:len(old) - hi], new[lo:len(new) - hi])
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

    def _replace_stretch(self, run_id: int, old: Stretch, new: Stretch) -> None:
        """Replace the bead rows of one stretch of sentences (`old`) by `new`; both cover the same sentences.
        Every change of the beads goes through here, so it also counts the run's revision."""
        self._conn.execute("DELETE FROM beads WHERE run_id = ? AND (src_start, tgt_start) >= (?, ?) "
                           "AND (src_start, tgt_start) < (?, ?)", (run_id, *old.start, *old.end))
        self._insert_beads(run_id, new)
        self._conn.execute("UPDATE runs SET revision = revision + 1 WHERE id = ?", (run_id,))

    def undo(self, pair: str, run_id: int | None = None) -> Alignment | None:
        """Undo the pair's last edit; returns the alignment after it, or None when there is nothing to undo.
        run_id: the run the caller shows; StaleAlignment when another process re-aligned the pair since."""
        return self._step(pair, undo=True, expected=run_id)

    def redo(self, pair: str, run_id: int | None = None) -> Alignment | None:
        """Redo the last undone edit; returns the alignment after it, or None when there is nothing to redo."""
        return self._step(pair, undo=False, expected=run_id)

    def _step(self, pair: str, undo: bool, expected: int | None = None) -> Alignment | None:
        with self.transaction():
            run_id = self._pair_run(pair)[1]
            if expected is not None and run_id != expected:
                raise stale_run(pair)
            row = self._conn.execute(
                "SELECT id, start_src, start_tgt, before, after, format FROM edits WHERE run_id = ? AND undone = ? "
                f"ORDER BY id {'DESC' if undo else 'ASC'} LIMIT 1", (run_id, int(not undo))).fetchone()
            if row is None:
                return None
            cur, changed = self._beads_of_run(run_id)
            start = (row[1], row[2])
            try:
                before, after = (Stretch.from_json(text, start, row[5]) for text in (row[3], row[4]))
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                raise StoreError(f"{pair}: edit {row[0]} of the log cannot be read ({exc})") from None
            old, new = (after, before) if undo else (before, after)
            self._replace_stretch(run_id, old, new)
            self._conn.execute("UPDATE edits SET undone = ? WHERE id = ?", (int(undo), row[0]))
            stepped = _splice_stretch(cur, changed, len(old), new, self._logged_beads(row[0], new, int(not undo)))
            if stepped is not None:
                self._remember(*stepped)
            return self._beads_of_run(run_id)[0]

    def _log_beads(self, edit_id: int, before: tuple[Bead, ...], after: tuple[Bead, ...]) -> None:
        """Keep the bead objects an edit replaced and wrote, for undo and redo in this process (the 8 last used)."""
        self._logged.pop(edit_id, None)  # to the end of the order
        self._logged[edit_id] = (before, after)
        while len(self._logged) > 8:
            del self._logged[next(iter(self._logged))]

    def _logged_beads(self, edit_id: int, stretch: Stretch, which: int) -> tuple[Bead, ...]:
        """The beads of `stretch`, side `which` (0 before, 1 after) of edit `edit_id`: those kept in memory when
        they are the same beads (ids are reused once an undone edit is dropped), else made from the log."""
        known = self._logged.get(edit_id)
        if known is not None and Stretch.of(known[which], None, stretch.start).same_beads(stretch):
            return known[which]
        beads = stretch.beads()
        kept = list(known or ((), ()))
        kept[which] = beads  # the other side stays: undo then redo of an edit made before a restart both hit
        self._log_beads(edit_id, *kept)
        return beads

    def history(self, pair: str) -> list[EditInfo]:
        """The edit log of the pair's current alignment, oldest first."""
        rows = self._q("SELECT e.id, e.op, e.detail, e.date, e.undone FROM edits e JOIN pairs p ON "
                       "p.run_id = e.run_id WHERE p.name = ? ORDER BY e.id", (pair,))
        return [EditInfo(r["id"], r["op"], json.loads(r["detail"]), r["date"], bool(r["undone"])) for r in rows]

    def last_edit_dates(self) -> dict[str, str]:
        """When each pair was last edited by hand (an edit not undone), in any of its alignments: re-aligning starts
        a new edit log but carries the review work over, so the editor's last edit stays the pair's. Pairs never
        edited are left out."""
        return {r["name"]: r["last"] for r in self._q(
            "SELECT p.name, max(e.date) AS last FROM pairs p JOIN runs r ON r.pair_id = p.id "
            "JOIN edits e ON e.run_id = r.id WHERE NOT e.undone GROUP BY p.name")}


# ---- helpers ---------------------------------------------------------------------------------------------------

def _check_stretch(beads: Sequence[Bead], start: tuple[int, int], end: tuple[int, int]) -> None:
    """Raise ValueError unless `beads` cover the sentences from `start` to `end` (those of the beads they replace),
    in order and each once; the whole alignment is then valid when the beads around them were. One comparison of
    the ids end to end per side (a shift checks 3,000 beads), the bead at fault found only when it fails."""
    if all(b.src or b.tgt for b in beads) and \
            list(chain.from_iterable(b.src for b in beads)) == list(range(start[0], end[0])) and \
            list(chain.from_iterable(b.tgt for b in beads)) == list(range(start[1], end[1])):
        return
    i, j = check_consecutive(beads, start)
    raise ValueError(f"the edited beads end at sentences {i}/{j}, the beads they replace at {end[0]}/{end[1]}")


def _splice_stretch(cur: Alignment, changed: Sequence[str | None], n_old: int, new: Stretch,
                    beads: tuple[Bead, ...]) -> tuple[Alignment, tuple[str | None, ...]] | None:
    """`cur` (at the revision before a stretch replacement) with its `n_old` beads from the sentence position
    where `new` starts replaced by `beads`, those of `new`, at the next revision; None if no bead boundary is
    there."""
    i = j = 0
    for k, b in enumerate(cur.beads):
        if (i, j) == new.start:
            break
        i, j = i + len(b.src), j + len(b.tgt)
    else:
        return None
    a = replace(cur, beads=cur.beads[:k] + beads + cur.beads[k + n_old:],
                meta={**cur.meta, "revision": cur.meta["revision"] + 1})
    return a, (*changed[:k], *new.changed, *changed[k + n_old:])


def _iso(when: str | datetime | None) -> str | None:
    """A date as the store keeps it: ISO 8601 in UTC to the second (a naive datetime is taken as UTC)."""
    if when is None or isinstance(when, str):
        return when
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds")
