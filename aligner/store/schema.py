"""The schema: migrations, applied in order and recorded in the file's own schema_migrations table.

A migration is a name and SQL statements, never edited once released: a change of schema is a new entry at the
end. Written as SQL rather than with sqlite-utils' table.create(): CHECK constraints and WITHOUT ROWID tables
are part of the design, and the recorded statements are the schema's history.
"""

from __future__ import annotations

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
    ("edit log: compact stretches", [
        # how an edit's before and after are written (stretch.py): 1, a JSON list of bead rows (the edits logged
        # before this migration); 2, JSON columns. An aligner that knows only format 1 must not undo format 2
        # edits, and this migration makes it refuse the file (written by a newer aligner).
        "ALTER TABLE edits ADD COLUMN format INTEGER NOT NULL DEFAULT 1",
    ]),
    ("review decisions on flags, by key", [
        # the last review status an editor gave each flag key of a run: a flag derived away by one edit and found
        # again after the next (or after an undo) gets its decision back, not 'open'
        """CREATE TABLE flag_reviews (
            run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'dismissed')),
            PRIMARY KEY (run_id, key)) WITHOUT ROWID""",
        # the decisions made before this migration, which only the flags table held
        "INSERT INTO flag_reviews (run_id, key, status) SELECT run_id, key, status FROM flags "
        "WHERE status != 'open' AND key NOT LIKE 'editor:%'",
    ]),
    ("bead confidences", [
        # how sure the aligner was of each bead it made (its posterior probability); NULL for an editor's bead and
        # for the beads of runs made before this migration. The edit log keeps it with the beads (edits.format 3)
        "ALTER TABLE beads ADD COLUMN confidence REAL",
    ]),
]
