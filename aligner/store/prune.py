"""Pruning a project: old runs with their beads, edits and flags, document versions nothing uses any more and,
on request, cached vectors no current document needs; then VACUUM gives the space back to the file system."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..errors import StoreError
from .cache import window_hashes

_NOUNS = {"beads": "bead", "edits": "edit", "flags": "flag", "runs": "run", "sentences": "sentence",
          "documents": "document version", "cached vectors": "cached vector"}  # what one row of each is


@dataclass
class PruneReport:
    """What `prune` removed (rows by table) and the file's size before and after, in bytes (WAL included)."""

    removed: dict[str, int] = field(default_factory=dict)
    size_before: int = 0
    size_after: int = 0

    def lines(self) -> list[str]:
        """The report as short lines for a terminal."""
        from ..export import counted

        gone = ", ".join(counted(n, _NOUNS[table]) for table, n in self.removed.items() if n)
        return [f"removed {gone or 'nothing'}",
                f"file size {self.size_before / 2 ** 20:,.1f} MB -> {self.size_after / 2 ** 20:,.1f} MB"]


def prune(store, keep_runs: int = 1, cache: bool = False) -> PruneReport:
    """Remove what the project no longer needs, in one transaction, then VACUUM the file.

    Runs: each pair keeps its newest `keep_runs` runs and its current run, whatever their age; older runs go with
    their beads, edits (so undo reaches no further than the current run anyway) and flags. Documents: versions
    that neither a pair nor a kept run points at go with their sentences and paragraphs. cache: cached window
    vectors whose text is no window (of any size cached) of a pair's current documents go too; they would be
    encoded again if an old version came back.
    """
    if keep_runs < 1:
        raise StoreError(f"keep_runs must be at least 1 (the newest run of each pair), not {keep_runs}")
    report = PruneReport(size_before=_size(store.path))
    with store.transaction():
        conn = store._conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS pruned_runs (id INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM pruned_runs")
        conn.execute(
            "INSERT INTO pruned_runs SELECT r.id FROM runs r JOIN pairs p ON p.id = r.pair_id "
            "WHERE r.id IS NOT p.run_id AND (SELECT count(*) FROM runs n WHERE n.pair_id = r.pair_id "
            "AND n.id > r.id) >= ?", (keep_runs,))
        for table in ("beads", "edits", "flags"):
            report.removed[table] = conn.execute(
                f"DELETE FROM {table} WHERE run_id IN (SELECT id FROM pruned_runs)").rowcount
        conn.execute("DELETE FROM flag_reviews WHERE run_id IN (SELECT id FROM pruned_runs)")
        report.removed["runs"] = conn.execute("DELETE FROM runs WHERE id IN (SELECT id FROM pruned_runs)").rowcount
        conn.execute("DROP TABLE pruned_runs")
        used = ("SELECT src_doc FROM pairs UNION SELECT tgt_doc FROM pairs UNION SELECT src_doc FROM runs "
                "UNION SELECT tgt_doc FROM runs")
        report.removed["sentences"] = conn.execute(f"DELETE FROM sentences WHERE doc_id NOT IN ({used})").rowcount
        conn.execute(f"DELETE FROM paragraphs WHERE doc_id NOT IN ({used})")
        report.removed["documents"] = conn.execute(f"DELETE FROM documents WHERE id NOT IN ({used})").rowcount
        if cache:
            report.removed["cached vectors"] = _prune_cache(store)
        store._cached = None
    with store._lock, store._translate():
        store.db.vacuum()
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    report.size_after = _size(store.path)
    return report


def remove_pairs(store, names: list[str]) -> dict[str, int]:
    """Remove pairs with everything of theirs: runs, beads, edit history, flags and review decisions, the review
    app's view state, in one transaction; their document versions stay until `prune`. Returns rows removed by
    table ('pairs', 'runs', 'beads', 'edits', 'flags'). Raises StoreError, removing nothing, for an unknown name."""
    pairs = store.pairs(names)  # StoreError names the unknown ones
    removed = dict.fromkeys(("pairs", "runs", "beads", "edits", "flags"), 0)
    with store.transaction():
        conn = store._conn
        for p in pairs:
            runs = f"SELECT id FROM runs WHERE pair_id = {int(p.id)}"
            for table in ("beads", "edits", "flags"):
                removed[table] += conn.execute(f"DELETE FROM {table} WHERE run_id IN ({runs})").rowcount
            conn.execute(f"DELETE FROM flag_reviews WHERE run_id IN ({runs})")
            conn.execute("UPDATE pairs SET run_id = NULL WHERE id = ?", (p.id,))
            removed["runs"] += conn.execute("DELETE FROM runs WHERE pair_id = ?", (p.id,)).rowcount
            conn.execute("DELETE FROM view_state WHERE pair_id = ?", (p.id,))
            removed["pairs"] += conn.execute("DELETE FROM pairs WHERE id = ?", (p.id,)).rowcount
        store._cached = None
    return removed


def _prune_cache(store) -> int:
    """Delete the cached vectors that no window of a pair's current documents needs; returns how many."""
    conn = store._conn
    sizes = [k for (k,) in conn.execute("SELECT DISTINCT k FROM embeddings")]
    if not sizes:
        return 0
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS needed (sha1 TEXT NOT NULL, k INTEGER NOT NULL, "
                 "PRIMARY KEY (sha1, k)) WITHOUT ROWID")
    conn.execute("DELETE FROM needed")
    docs = [d for (d,) in conn.execute("SELECT src_doc FROM pairs UNION SELECT tgt_doc FROM pairs")]
    for doc_id in docs:
        texts = [t for (t,) in conn.execute("SELECT text FROM sentences WHERE doc_id = ? ORDER BY idx", (doc_id,))]
        hashes = window_hashes(texts, max(sizes))
        conn.executemany("INSERT OR IGNORE INTO needed VALUES (?, ?)",
                         ((h, k) for k in sizes for h in hashes[k - 1]))
    removed = conn.execute("DELETE FROM embeddings WHERE NOT EXISTS (SELECT 1 FROM needed n "
                           "WHERE n.sha1 = embeddings.sha1 AND n.k = embeddings.k)").rowcount
    conn.execute("DROP TABLE needed")
    return removed


def _size(path) -> int:
    return sum(os.path.getsize(p) for p in (str(path), f"{path}-wal") if os.path.exists(p))
