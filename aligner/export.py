"""Exports of aligned beads: TMX for CAT tools, and tsv / csv / jsonl / parquet tables through polars.

Every exporter reads an iterator of rows and writes as it reads, in batches, so memory stays bounded whatever the
size of the store. Filters are plain predicates over rows; what was left out, and why, goes into an ExportSummary.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import IO, Iterable, Iterator

from .models import BeadStatus
from .tmx import DEFAULT_MAX_LENGTH, LongSegment, TranslationUnit, write_tmx

TABLE_FORMATS = ("tsv", "csv", "jsonl", "parquet")
FORMATS = ("tmx",) + TABLE_FORMATS
REVIEWED = frozenset({BeadStatus.CONFIRMED, BeadStatus.EDITED})
BATCH_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class BeadRow:
    """One bead as exporters see it; the sentences of a many-sided bead are joined with a space."""

    document: str
    src_ids: tuple[int, ...]
    tgt_ids: tuple[int, ...]
    src: str
    tgt: str
    score: float
    status: BeadStatus
    flags: tuple[str, ...] = ()
    paragraph: int | None = None
    created: datetime | None = None
    changed: datetime | None = None

    @property
    def kind(self) -> str:
        return f"{len(self.src_ids)}-{len(self.tgt_ids)}"

    @property
    def is_one_sided(self) -> bool:
        """An added or dropped passage: no counterpart, so never a translation unit."""
        return not self.src_ids or not self.tgt_ids or not self.src.strip() or not self.tgt.strip()

    @property
    def is_flagged(self) -> bool:
        return self.status is BeadStatus.FLAGGED or bool(self.flags)


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which beads to export. statuses: None for all; 'reviewed' on the command line means confirmed + edited."""

    statuses: frozenset[BeadStatus] | None = None
    min_score: float | None = None
    exclude_flagged: bool = False

    def reason(self, row: BeadRow) -> str | None:
        """Why `row` is left out ('status', 'min-score', 'flagged'), or None to keep it."""
        if self.statuses is not None and row.status not in self.statuses:
            return "status"
        if self.min_score is not None and row.score < self.min_score:
            return "min-score"
        if self.exclude_flagged and row.is_flagged:
            return "flagged"
        return None


@dataclass(slots=True)
class ExportSummary:
    """What an export wrote and what it left out, for the command's report."""

    path: str = ""
    format: str = ""
    read: int = 0
    written: int = 0
    skipped: Counter = field(default_factory=Counter)
    one_sided: list[BeadRow] = field(default_factory=list)
    removed_chars: int = 0
    long_segments: list[LongSegment] = field(default_factory=list)

    def lines(self, examples: int = 10) -> list[str]:
        """The summary as short lines for a terminal."""
        out = [f"wrote {self.written} {'units' if self.format == 'tmx' else 'rows'} to {self.path}"]
        if self.skipped:
            out.append("skipped: " + ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())))
        if self.removed_chars:
            out.append(f"removed {self.removed_chars} characters not allowed in XML 1.0")
        for seg in self.long_segments[:examples]:
            out.append(f"warning: {seg.document or '?'} unit {seg.unit + 1}: {seg.side} segment of {seg.length} "
                       f"characters (written in full)")
        if len(self.long_segments) > examples:
            out.append(f"warning: {len(self.long_segments) - examples} more long segments")
        for row in self.one_sided[:examples]:
            side, text = ("source only", row.src) if row.src.strip() else ("target only", row.tgt)
            out.append(f"not a unit ({side}): {row.document} {row.kind} {_ids(row.src_ids) or '-'}/"
                       f"{_ids(row.tgt_ids) or '-'}: {_abbrev(text)}")
        if len(self.one_sided) > examples:
            out.append(f"... and {len(self.one_sided) - examples} more one-sided beads (--report FILE lists all)")
        return out


def select(rows: Iterable[BeadRow], flt: ExportFilter, summary: ExportSummary,
           keep_one_sided: bool) -> Iterator[BeadRow]:
    """The rows that pass `flt`, counting the others in `summary`; one-sided beads go to its report first."""
    for row in rows:
        summary.read += 1
        if row.is_one_sided and not keep_one_sided:
            summary.one_sided.append(row)
            summary.skipped["one-sided"] += 1
            continue
        why = flt.reason(row)
        if why is not None:
            summary.skipped[why] += 1
            continue
        yield row


def to_unit(row: BeadRow) -> TranslationUnit:
    """The TMX unit of a bead: both texts, x- props, and dates when a person reviewed it."""
    props = {"x-document": row.document, "x-bead-type": row.kind, "x-score": f"{row.score:.4f}",
             "x-status": row.status.value}
    if row.paragraph is not None:
        props["x-paragraph"] = str(row.paragraph)
    reviewed = row.status is not BeadStatus.AUTO
    return TranslationUnit(row.src, row.tgt, props, row.created if reviewed else None,
                           row.changed if reviewed else None)


def export_tmx(rows: Iterable[BeadRow], out: IO[str], src_lang: str, tgt_lang: str,
               flt: ExportFilter = ExportFilter(), *, created: datetime | None = None,
               max_length: int | None = DEFAULT_MAX_LENGTH) -> ExportSummary:
    """Write the beads that pass `flt` as TMX 1.4b units to a UTF-8 text stream."""
    summary = ExportSummary(format="tmx")
    units = (to_unit(row) for row in select(rows, flt, summary, keep_one_sided=False))
    stats = write_tmx(units, out, src_lang, tgt_lang, created=created, max_length=max_length)
    summary.written = stats.written
    summary.removed_chars = stats.removed_chars
    summary.long_segments = stats.long_segments
    if stats.empty:
        summary.skipped["empty after removing invalid characters"] += stats.empty
    return summary


def export_file(rows: Iterable[BeadRow], path: str | Path, fmt: str, flt: ExportFilter = ExportFilter(), *,
                src_lang: str = "es", tgt_lang: str = "en", created: datetime | None = None,
                max_length: int | None = DEFAULT_MAX_LENGTH, batch_size: int = BATCH_SIZE) -> ExportSummary:
    """Export to `path` in `fmt` (one of FORMATS). The file appears only once complete (written aside, renamed)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    path = Path(path)
    part = path.with_name(path.name + ".part")
    try:
        if fmt == "tmx":
            with open(part, "w", encoding="utf-8", newline="\n") as out:
                summary = export_tmx(rows, out, src_lang, tgt_lang, flt, created=created, max_length=max_length)
        else:
            summary = export_table(rows, part, fmt, flt, batch_size=batch_size)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    summary.path, summary.format = str(path), fmt
    return summary


def export_table(rows: Iterable[BeadRow], path: str | Path, fmt: str, flt: ExportFilter = ExportFilter(), *,
                 batch_size: int = BATCH_SIZE) -> ExportSummary:
    """One row per bead (one-sided beads included) written in batches of `batch_size` through polars."""
    summary = ExportSummary(format=fmt)
    batches = _batches(select(rows, flt, summary, keep_one_sided=True), batch_size)
    if fmt == "parquet":
        _write_parquet(batches, Path(path))
    else:
        with open(path, "wb") as out:
            first = True
            for df in batches:
                _write_text_batch(df, out, fmt, header=first)
                first = False
            if first:
                _write_text_batch(_frame([]), out, fmt, header=True)
    summary.written = summary.read - sum(summary.skipped.values())
    return summary


def table_schema():
    import polars as pl

    utc = pl.Datetime("us", "UTC")
    return {"document": pl.String, "src_ids": pl.List(pl.Int64), "tgt_ids": pl.List(pl.Int64),
            "src": pl.String, "tgt": pl.String, "type": pl.String, "score": pl.Float64, "status": pl.String,
            "flags": pl.List(pl.String), "paragraph": pl.Int64, "created": utc, "changed": utc}


def _frame(rows: list[BeadRow]):
    import polars as pl

    return pl.DataFrame({
        "document": [r.document for r in rows], "src_ids": [list(r.src_ids) for r in rows],
        "tgt_ids": [list(r.tgt_ids) for r in rows], "src": [r.src for r in rows], "tgt": [r.tgt for r in rows],
        "type": [r.kind for r in rows], "score": [r.score for r in rows], "status": [r.status.value for r in rows],
        "flags": [list(r.flags) for r in rows], "paragraph": [r.paragraph for r in rows],
        "created": [_utc(r.created) for r in rows], "changed": [_utc(r.changed) for r in rows],
    }, schema=table_schema())


def _batches(rows: Iterable[BeadRow], size: int):
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield _frame(batch)


def _write_text_batch(df, out: IO[bytes], fmt: str, header: bool) -> None:
    """Append one batch. TSV is the plain kind parallel-corpus tools read: no quoting, so tabs and line breaks
    inside a text become spaces; CSV quotes instead and keeps every character."""
    import polars as pl

    if fmt == "jsonl":
        df.write_ndjson(out)
        return
    flat = df.with_columns(pl.col("src_ids", "tgt_ids").list.eval(pl.element().cast(pl.String)).list.join(","),
                           pl.col("flags").list.join(","))
    if fmt == "tsv":
        flat = flat.with_columns(pl.col(pl.String).str.replace_all(r"[\t\r\n]", " "))
        flat.write_csv(out, separator="\t", include_header=header, quote_style="never",
                       datetime_format="%Y-%m-%dT%H:%M:%SZ")
    else:
        flat.write_csv(out, include_header=header, datetime_format="%Y-%m-%dT%H:%M:%SZ")


def _write_parquet(batches, path: Path) -> None:
    """Polars cannot append to a parquet file and calls a Python source from its own threads (where a SQLite
    cursor may not be used), so each batch goes to a part file and a streaming sink concatenates them."""
    import polars as pl

    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".export-") as tmp:
        parts = []
        for n, df in enumerate(batches):
            parts.append(Path(tmp) / f"{n:06d}.parquet")
            df.write_parquet(parts[-1])
        if not parts:
            _frame([]).write_parquet(path)
            return
        pl.scan_parquet(parts).sink_parquet(path)


def _utc(when: datetime | None) -> datetime | None:
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=timezone.utc)


def _ids(ids: tuple[int, ...]) -> str:
    return ",".join(map(str, ids))


def _abbrev(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
