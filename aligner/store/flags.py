"""Flags of the current alignment (added, dropped, moved, divergent, furniture passages, and those an editor made
by hand), kept by key so that a flag keeps its id and review status while it is found again."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from ..errors import StaleAlignment, StoreError
from ..models import BeadStatus
from .documents import Documents

# Keys of the flags an editor made by hand (the review app writes them): re-alignments keep them.
EDITOR_KEY = "editor:"


# Keys of the flags that came with an imported translation memory (a moved passage we exported as a unit):
# deriving the flags again keeps them, as it keeps the editor's.
IMPORTED_KEY = "import:"


def is_editor(flag: Mapping) -> bool:
    """Whether a flag record (Flag.to_dict() with its key) is one an editor made by hand."""
    return flag.get("key", "").startswith(EDITOR_KEY)


def is_kept(flag: Mapping) -> bool:
    """Whether a flag record is not the flagger's to derive again: the editor's own, or one an imported memory
    brought."""
    return flag.get("key", "").startswith((EDITOR_KEY, IMPORTED_KEY))


def stale_run(pair: str) -> StaleAlignment:
    """The error for a change made on a run of `pair` that another process has replaced since."""
    return StaleAlignment(f"{pair}: the alignment was replaced by a new run since it was loaded; reload it")


def is_open(flag: Mapping) -> bool:
    """Whether a flag record is one of the flagger's that no editor has accepted or dismissed yet: what the
    counts of open flags count (Store.open_flag_counts is the same rule in SQL)."""
    return flag.get("status") == "open" and not is_kept(flag)


def flagged_sentences(beads: Iterable) -> tuple[set[int], set[int]]:
    """The source and target sentences of the beads an editor flagged (status FLAGGED)."""
    flagged = [b for b in beads if b.status is BeadStatus.FLAGGED]
    return {i for b in flagged for i in b.src}, {j for b in flagged for j in b.tgt}


def shown_editor_flags(records: Sequence[Mapping], flagged_src: set[int], flagged_tgt: set[int]) -> set[int]:
    """Indices into `records` of the editor's flags that show. An editor's flag shows while one of its sentences
    is in a FLAGGED bead and no newer editor's flag (its "made" time, then its place) covers that sentence: its
    record outlives an unflag, so an undo brings the flag back, and flagging the same sentences again with
    another kind or note replaces it. flagged_src, flagged_tgt: the sentences of the FLAGGED beads."""
    mine = sorted((k for k, f in enumerate(records) if is_editor(f)), key=lambda k: (records[k].get("made", ""), k),
                  reverse=True)
    taken: tuple[set[int], set[int]] = (set(), set())
    shown = set()
    for k in mine:
        ids = [set((records[k].get(side) or {}).get("sentences", ())) for side in ("src", "tgt")]
        if (ids[0] - taken[0]) & flagged_src or (ids[1] - taken[1]) & flagged_tgt:
            shown.add(k)
        taken[0].update(ids[0])
        taken[1].update(ids[1])
    return shown


def visible_flags(records: Sequence[Mapping], beads: Iterable) -> list:
    """The flag records as the review app shows them: the editor's only while they show (shown_editor_flags; a
    cleared one keeps its record, for undo) and only over the sentences still flagged (as_shown), every other one
    whatever its status. beads: the alignment's."""
    if not records:
        return []
    flagged = flagged_sentences(beads)
    shown = shown_editor_flags(records, *flagged)
    return [f if not is_editor(f) else as_shown(f, *flagged) for n, f in enumerate(records)
            if not is_editor(f) or n in shown]


def as_shown(record: Mapping, flagged_src: set[int], flagged_tgt: set[int]) -> Mapping:
    """An editor's flag record cut down to the sentences still in FLAGGED beads: clearing a marked run inside a
    flagged passage keeps the record whole (an undo brings the flag back), but the flag now covers only the rest.
    The record itself when nothing was cleared; a side left with no sentence is dropped."""
    out = None
    for side, flagged in (("src", flagged_src), ("tgt", flagged_tgt)):
        span = record.get(side)
        if span and any(i not in flagged for i in span.get("sentences", ())):
            ids = [i for i in span["sentences"] if i in flagged]
            out = dict(record) if out is None else out
            out[side] = {**span, "sentences": ids} if ids else None
    return record if out is None else out


class Flags(Documents):
    """Saving and reading flags, and their review status."""

    def save_flags(self, pair: str, flags: Iterable, run_id: int | None = None) -> None:
        """Make `flags` (aligner.flags.Flag objects or their to_dict()) the flags of the pair's current alignment.
        A flag keeps its id while its key stays; flags no longer given are removed. run_id: the run they were
        derived on; StaleAlignment when the pair has another run now (they would land on an alignment they do
        not describe)."""
        flags = [f if isinstance(f, dict) else f.to_dict() for f in flags]
        with self.transaction():
            p = self.pair(pair)
            if p.run_id is None:
                raise StoreError(f"{pair}: not aligned yet; nothing to flag")
            if run_id is not None and p.run_id != run_id:
                raise stale_run(pair)
            # an editor's last decision on a key wins over the status the flags come with: the flag may have
            # been derived away and found again since, or reviewed while these were being derived. Keys name the
            # sentences of the documents the run aligned, also once the pair's files changed (PairInfo.stale):
            # flags are derived on those (Store.documents_for) until the pair is aligned again.
            decided = dict(self._conn.execute("SELECT key, status FROM flag_reviews WHERE run_id = ?", (p.run_id,)))
            rows = {}
            for d in flags:
                src, tgt = d.get("src") or {}, d.get("tgt") or {}
                key = d.get("key") or f"{d['type']}:{_label(src)}:{_label(tgt)}"
                status = decided.get(key, d.get("status", "open"))
                rows[key] = (d["type"], status, json.dumps(src.get("sentences", [])),
                             json.dumps(tgt.get("sentences", [])), json.dumps({**d, "status": status}))
            old = {k for (k,) in self._conn.execute("SELECT key FROM flags WHERE run_id = ?", (p.run_id,))}
            self._conn.executemany("DELETE FROM flags WHERE run_id = ? AND key = ?",
                                   ((p.run_id, k) for k in old - rows.keys()))
            self._conn.executemany(
                "INSERT INTO flags (run_id, key, type, status, src, tgt, data) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, key) DO UPDATE SET type = excluded.type, status = excluded.status, "
                "src = excluded.src, tgt = excluded.tgt, data = excluded.data",
                ((p.run_id, k, *r) for k, r in rows.items()))
            # a status a flag comes with (carried from an earlier run, say) is a decision this run keeps too
            self._conn.executemany(
                "INSERT INTO flag_reviews (run_id, key, status) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                ((p.run_id, k, r[1]) for k, r in rows.items() if r[1] != "open" and not k.startswith(EDITOR_KEY)))

    def flag_records(self, pair: str) -> list[dict]:
        """The flags of the current alignment as Flag.to_dict() dicts with their `id`, in saved order."""
        rows = self._q("SELECT f.id, f.status, f.data FROM flags f JOIN pairs p ON p.run_id = f.run_id "
                       "WHERE p.name = ? ORDER BY f.id", (pair,))
        return [{**json.loads(r["data"]), "id": r["id"], "status": r["status"]} for r in rows]

    def open_flag_counts(self) -> dict[str, int]:
        """The flagger's flags that no editor has accepted or dismissed yet (`is_open`), per pair (pairs without any
        left out). `aligner status`, the review app's project screen and its status line count these; the editor's
        own flags show there as flagged beads."""
        return {r["name"]: r["n"] for r in self._q(
            "SELECT p.name, count(*) AS n FROM pairs p JOIN flags f ON f.run_id = p.run_id "
            "WHERE f.status = 'open' AND substr(f.key, 1, ?) != ? AND substr(f.key, 1, ?) != ? GROUP BY p.name",
            (len(EDITOR_KEY), EDITOR_KEY, len(IMPORTED_KEY), IMPORTED_KEY))}

    def flags(self, pair: str) -> list:
        """The flags of the current alignment as aligner.flags.Flag objects."""
        from ..flags import Flag

        return [Flag.from_dict(d) for d in self.flag_records(pair)]

    def set_flag_status(self, flag_id: int, status) -> None:
        """Set a flag's review status: open, confirmed or dismissed (a FlagStatus or its value)."""
        self.set_flag_statuses([flag_id], status)

    def set_flag_statuses(self, flag_ids: Iterable[int], status, run_id: int | None = None) -> None:
        """Set the review status of several flags in one transaction: all of them, or none when one is gone. The
        decision is also kept by key, for the flags derived later with that key (save_flags). run_id: the run the
        caller shows; StaleAlignment when a flag is not of it or its pair has another run now (re-aligned by
        another process: the decision would go to a flag nobody sees)."""
        status = getattr(status, "value", status)
        if status not in ("open", "confirmed", "dismissed"):
            raise StoreError(f"unknown flag status {status!r}: use open, confirmed or dismissed")
        flag_ids = list(flag_ids)
        with self.transaction():
            if run_id is not None and flag_ids:
                rows = self._q(f"SELECT p.name, f.run_id = p.run_id AND f.run_id = ? AS current FROM flags f JOIN runs r "
                               f"ON r.id = f.run_id JOIN pairs p ON p.id = r.pair_id WHERE f.id IN "
                               f"({','.join('?' * len(flag_ids))})", (run_id, *flag_ids))
                if stale := next((r["name"] for r in rows if not r["current"]), None):
                    raise stale_run(stale)
            for flag_id in flag_ids:
                if self._conn.execute("UPDATE flags SET status = ? WHERE id = ?", (status, flag_id)).rowcount == 0:
                    raise StoreError(f"{self.path}: no flag {flag_id} (derived again meanwhile?)")
                self._conn.execute("INSERT INTO flag_reviews (run_id, key, status) SELECT run_id, key, ? FROM flags "
                                   "WHERE id = ? ON CONFLICT (run_id, key) DO UPDATE SET status = excluded.status",
                                   (status, flag_id))


def _label(span: dict) -> str:
    ids = span.get("sentences") or []
    return "" if not ids else (str(ids[0]) if ids[0] == ids[-1] else f"{ids[0]}-{ids[-1]}")
