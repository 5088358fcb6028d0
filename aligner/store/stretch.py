"""A stretch of consecutive bead rows as columns: how edits log the beads they replace and the beads they write,
and how bead rows are written.

The edit log keeps each stretch in a compact JSON form (edits.format 3; format 2 is the same without the beads'
confidences): one list per column (sentences per side, score, status, changed date, confidence), a column whose
beads all share one value given once, and no start positions or kinds, which follow from the stretch's start and
the lengths. A shift logged about 28 bytes a bead in format 2 (before and after together; the scores before take
most of them; the confidences before add about 6) instead of 127, and encodes in a fraction of the time.
Edits logged before (format 1) hold every bead row in full, as a JSON list of [src_start, src_len, tgt_start,
tgt_len, kind, score, status, changed]; they are read the same way, so they still undo and redo.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, islice

from ..models import Bead, BeadStatus

LEGACY_FORMAT = 1  # a JSON list of full bead rows
COLUMNS_FORMAT = 2  # JSON columns (see Stretch.to_json), without the beads' confidences
FORMAT = 3  # JSON columns with the beads' confidences

_STATUS = {s.value: s for s in BeadStatus}
_COLUMNS = "run_id, src_start, src_len, tgt_start, tgt_len, kind, score, status, changed, confidence"
# a run's bead rows in document order
RUN_BEADS = ("SELECT src_start, src_len, tgt_start, tgt_len, score, status, changed, confidence FROM beads "
             "WHERE run_id = ? ORDER BY src_start, tgt_start")
_PER_STATEMENT = 100  # rows per INSERT: at most 801 parameters, within every SQLite's limit of 999


@dataclass(frozen=True, slots=True)
class Stretch:
    """Consecutive beads from sentence position `start` (source, target), one list per column."""

    start: tuple[int, int]
    src: list[int]  # source sentences of each bead
    tgt: list[int]  # target sentences of each bead
    score: list[float]
    status: list[str]  # BeadStatus values (or the members themselves, which are str)
    changed: list[str | None]  # when an edit last wrote the bead
    confidence: list[float | None]  # how sure the aligner was of the bead (None: an editor's bead, or unknown)

    def __len__(self) -> int:
        return len(self.src)

    @classmethod
    def of(cls, beads: Sequence[Bead], changed: Sequence[str | None] | str | None, start: tuple[int, int]) -> Stretch:
        """The stretch of `beads`; `changed` is one date per bead, or one date (or None) for all of them."""
        if changed is None or isinstance(changed, str):
            changed = [changed] * len(beads)
        return cls(start, [len(b.src) for b in beads], [len(b.tgt) for b in beads],
                   [float(b.score) for b in beads],  # the aligner's scores may be numpy floats
                   [b.status for b in beads], list(changed),
                   [None if b.confidence is None else float(b.confidence) for b in beads])

    @property
    def end(self) -> tuple[int, int]:
        """The sentence position after the stretch."""
        return self.start[0] + sum(self.src), self.start[1] + sum(self.tgt)

    def positions(self) -> tuple[Iterator[int], Iterator[int]]:
        """Where each bead starts on each side (the beads table's src_start and tgt_start). An empty side starts
        at its position between sentences, so (src_start, tgt_start) orders the beads."""
        return accumulate(self.src, initial=self.start[0]), accumulate(self.tgt, initial=self.start[1])

    def beads(self) -> tuple[Bead, ...]:
        """The stretch as Bead objects."""
        status = _STATUS
        src_at, tgt_at = self.positions()
        return tuple(Bead(tuple(range(i, i + n)), tuple(range(j, j + m)), score, status[s], c)
                     for i, n, j, m, score, s, c in zip(src_at, self.src, tgt_at, self.tgt, self.score, self.status,
                                                        self.confidence))

    def same_beads(self, other: Stretch) -> bool:
        """Whether both stretches hold the same beads (their change dates aside)."""
        return (self.start, self.src, self.tgt, self.score, self.status, self.confidence) == \
            (other.start, other.src, other.tgt, other.score, other.status, other.confidence)

    def to_json(self) -> str:
        """The compact log form: {"src": [...], "tgt": [...], "score": ..., "status": ..., "changed": ...,
        "confidence": ...}, a column given as one value when every bead has it (the beads an edit writes share their
        status and date, and have no confidence)."""
        return json.dumps({"src": self.src, "tgt": self.tgt, "score": _packed(self.score),
                           "status": _packed(self.status), "changed": _packed(self.changed),
                           "confidence": _packed(self.confidence)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, start: tuple[int, int], fmt: int = FORMAT) -> Stretch:
        """A stretch as the edit log keeps it, in any of its formats (the older ones kept no confidences)."""
        data = json.loads(text)
        if fmt == LEGACY_FORMAT:
            columns = list(zip(*data)) or [()] * 8
            return cls(start, list(columns[1]), list(columns[3]), list(columns[5]), list(columns[6]),
                       list(columns[7]), [None] * len(data))
        if fmt not in (COLUMNS_FORMAT, FORMAT):
            raise ValueError(f"edit log format {fmt} is newer than this aligner")
        n = len(data["src"])
        return cls(start, data["src"], data["tgt"], *(_unpacked(data[k], n) for k in ("score", "status", "changed")),
                   _unpacked(data["confidence"], n) if fmt == FORMAT else [None] * n)


def _packed(column: list):
    """One value for a column whose values are all the same, else the column."""
    return column[0] if column and column.count(column[0]) == len(column) else column


def _unpacked(value, n: int) -> list:
    return value if isinstance(value, list) else [value] * n


def insert_rows(conn: sqlite3.Connection, stretch: Stretch, run_id: int) -> None:
    """Insert the bead rows of `stretch` 100 to a statement, each column its beads share (the beads an edit
    writes share their status and date) bound once per statement and the kind made by SQLite: a shift's 3,000
    rows in about half the CPU of one row to a statement (executemany binds and steps each on its own)."""
    if not len(stretch):
        return
    src_at, tgt_at = stretch.positions()
    per_row = [src_at, stretch.src, tgt_at, stretch.tgt]
    shared, values = [run_id], []
    for column in (stretch.score, stretch.status, stretch.changed, stretch.confidence):
        value = _packed(column)
        if value is column:
            per_row.append(column)
            values.append(f"column{len(per_row)}")
        else:
            shared.append(value)
            values.append(f"?{len(shared)}")
    # ?1..?k (shared) come first in the statement, so its plain ? (the rows) are numbered after them
    head = (f"INSERT INTO beads ({_COLUMNS}) SELECT ?1, column1, column2, column3, column4, "
            f"column2 || '-' || column4, {', '.join(values)} FROM (VALUES ")
    row = "(" + ", ".join(["?"] * len(per_row)) + ")"
    flat = chain.from_iterable(zip(*per_row))
    shared_ = tuple(shared)
    full, rest = divmod(len(stretch), _PER_STATEMENT)
    if full:
        sql = head + ", ".join([row] * _PER_STATEMENT) + ")"
        conn.executemany(sql, (shared_ + tuple(islice(flat, len(per_row) * _PER_STATEMENT)) for _ in range(full)))
    if rest:
        conn.execute(head + ", ".join([row] * rest) + ")", shared_ + tuple(islice(flat, len(per_row) * rest)))
