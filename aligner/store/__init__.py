"""The project database: one SQLite file per project holding documents, alignments, review edits, flags and the
embedding cache, its schema built by migrations recorded in the file itself.

Every method that writes is one transaction (BEGIN IMMEDIATE ... COMMIT, or part of an enclosing
`store.transaction()`), so a crash or a kill loses nothing committed and never leaves half a change. WAL lets
readers (an export, the review app) run beside one writer; a second writer waits up to `timeout` seconds, then
gets a StoreError that names the file.

We open the sqlite3 connection ourselves (BEGIN IMMEDIATE, a busy timeout, read-only connections for workers and
exports) and wrap it in `sqlite_utils.Database` (`store.db`), which serves the reads that return records
(`db.query`, `rows_where`), schema introspection (`db.table_names()`), table counts and VACUUM for `prune`.
Writes are our own SQL on the same connection: bulk inserts of sentences and cached vectors run 2-3x faster
through `executemany` than through `insert_all`, bead rows faster still at 100 rows to an INSERT (20,000 beads:
48-74 ms, against 103 ms at one row to a statement), and sqlite-utils before 4.0 commits an open transaction in
its write methods, which would break the all-or-nothing guarantee.

Modules: schema (migrations), base (opening, transactions, errors), documents (documents, pairs, view state),
alignments (runs, beads, edits, undo), stretch (the edit log's stretches of beads, bead rows written), carry
(review work carried to a new run), flags, cache (embedding cache), rows (counts and the bead stream for exports),
prune (removing what no pair needs).
"""

from __future__ import annotations

from .alignments import Alignments, EditInfo
from .base import DEFAULT_DB, now, sha1
from .cache import CACHE_DTYPE, EmbeddingCache, window_hashes
from .carry import carry_review, sentence_id_map
from .documents import PairInfo, PairStatus
from .flags import (
    EDITOR_KEY,
    IMPORTED_KEY,
    Flags,
    as_shown,
    flagged_sentences,
    is_editor,
    is_kept,
    is_open,
    shown_editor_flags,
    visible_flags,
)
from .prune import PruneReport, prune, remove_pairs
from .rows import Rows
from .schema import MIGRATIONS

__all__ = ["CACHE_DTYPE", "DEFAULT_DB", "EDITOR_KEY", "IMPORTED_KEY", "MIGRATIONS", "EditInfo", "PairInfo", "PairStatus",
           "PruneReport", "Store", "as_shown", "carry_review", "flagged_sentences", "is_editor", "is_kept", "is_open", "now", "prune", "remove_pairs",
           "sentence_id_map", "sha1", "shown_editor_flags", "visible_flags", "window_hashes"]


class Store(Alignments, Flags, Rows, EmbeddingCache):
    """A project database, opened with `Store.open(path)`. Calls from several threads share one connection and
    are serialised by a lock; another process uses its own Store."""
