"""Exports of aligned beads: TMX for CAT tools, and tsv / csv / jsonl / parquet tables through polars.

Every exporter reads an iterator of rows and writes as it reads, in batches, so memory stays bounded whatever the
size of the store. Filters are plain predicates over rows; what was left out, and why, goes into an ExportSummary.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, islice
from pathlib import Path
from typing import IO

from .align.posterior import is_doubtful
from .models import Bead, BeadStatus, Document
from .textio import has_controls, mark_controls, one_line, sentence_separator, split_joined
from .tmx import DEFAULT_MAX_LENGTH, LongSegment, TranslationUnit, clean_text, write_tmx

TABLE_FORMATS = ("tsv", "csv", "jsonl", "parquet")
FORMATS = ("tmx",) + TABLE_FORMATS
REVIEWED = frozenset({BeadStatus.CONFIRMED, BeadStatus.EDITED})
BATCH_SIZE = 10_000

OUR_PROPS = frozenset({"x-document", "x-bead-type", "x-score", "x-status", "x-confidence", "x-moved", "x-paragraph",
                       "x-src-lengths", "x-tgt-lengths", "x-flags"})  # what to_unit writes, and import_tmx reads
IMPORTED_MODEL = "tmx-import"  # the model of a run that `aligner import tmx` made: no encoder aligned it
UNPAIRED = "unpaired (furniture, or sides flagged as not translating each other)"  # a skip reason: two sides


@dataclass(frozen=True, slots=True)
class BeadRow:
    """One bead as exporters see it; the sentences of a many-sided bead are joined with a space, and
    src_lengths / tgt_lengths give each one's length in characters, so that they can be told apart again."""

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
    src_lengths: tuple[int, ...] = ()
    tgt_lengths: tuple[int, ...] = ()
    unpaired: bool = False  # an automatic pair whose whole source (or target) side the flagger found one-sided,
                            # web furniture on both sides, or a pair an editor flagged added, dropped or furniture
    confidence: float | None = None  # how sure the aligner was of the bead (models.Bead.confidence); None: an
                                     # editor's bead, or a run made before confidences were kept
    notes: tuple[str, ...] = ()  # the notes of the flags on the bead, 'divergent: 1-1 bead, similarity 0.41 ...'
    marks: tuple[str, ...] = ()  # the same flags as the TMX's x-flags writes them ('furniture:t1-2'; store.rows)

    @property
    def kind(self) -> str:
        return f"{len(self.src_ids)}-{len(self.tgt_ids)}"

    @property
    def is_one_sided(self) -> bool:
        """An added or dropped passage: no counterpart, so never a translation unit. That includes an automatic
        pair of two unrelated passages (a dropped sentence beside an added line of web furniture) that the
        aligner paired and the flagger took apart, a pair of web furniture lines (share buttons, credits), and a
        pair an editor flagged as added, dropped or furniture (its sides do not translate each other)."""
        return self.unpaired or not self.src_ids or not self.tgt_ids or not self.src.strip() or not self.tgt.strip()

    @property
    def scored(self) -> bool:
        """Whether the bead has a score: the aligner's pairs. An added or dropped passage has none, nor has a pair
        an editor made (0.0, which the aligner never gives a pair: align.driver.ALIGNED_NONZERO); tables leave the
        cell empty and the TMX the x-score prop out, rather than write a 0 that reads as 'unrelated'."""
        return bool(self.src_ids and self.tgt_ids) and round(self.score, 4) != 0.0  # as the TMX writes it

    @property
    def vouched(self) -> bool:
        """A pair an editor made by hand (no score: 0.0, which the aligner never gives a pair, see
        align.driver.ALIGNED_NONZERO) and then confirmed or flagged. Edited beads alone do not count: a shift
        makes every bead down to the next confirmed one edited, reviewed or not."""
        return (bool(self.src_ids and self.tgt_ids) and self.score == 0.0
                and self.status in (BeadStatus.CONFIRMED, BeadStatus.FLAGGED))

    @property
    def is_flagged(self) -> bool:
        return self.status is BeadStatus.FLAGGED or bool(self.flags)


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which beads to export. statuses: None for all; 'reviewed' on the command line means confirmed + edited.
    min_score: the least score of a bead the aligner made; one an editor made and confirmed has no score and
    passes. min_confidence: the least confidence of an automatic bead with both sides (the rule of
    align.posterior.is_doubtful, at this threshold); a reviewed bead passes, and so do a one-sided bead (an added or
    dropped passage, which the flags judge), a moved passage's row and a bead without a confidence (a run made
    before they were kept: ExportSummary.unjudged counts them)."""

    statuses: frozenset[BeadStatus] | None = None
    min_score: float | None = None
    exclude_flagged: bool = False
    min_confidence: float | None = None

    def reason(self, row: BeadRow) -> str | None:
        """Why `row` is left out ('status', 'min-score', 'min-confidence', 'flagged'), or None to keep it."""
        if self.statuses is not None and row.status not in self.statuses:
            return "status"
        if self.min_score is not None and row.score < self.min_score and not row.vouched:
            return "min-score"
        if self.min_confidence is not None and is_doubtful(row.confidence, row.status,
                                                           bool(row.src_ids and row.tgt_ids), below=self.min_confidence):
            return "min-confidence"
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
    removed_in: list[tuple[str, int]] = field(default_factory=list)  # (document, 0-based unit) of those characters
    long_segments: list[LongSegment] = field(default_factory=list)
    kept: bool = False  # nothing to write, and the file that was there is left as it was
    unjudged: int = 0  # automatic pairs written without a confidence for --min-confidence to judge (older runs)
    controls: list[BeadRow] = field(default_factory=list)  # beads written with direction controls in their text

    def lines(self, examples: int = 10, report: str | Path | None = None) -> list[str]:
        """The summary as short lines for a terminal. With `report` (the file `write_report` wrote the one-sided
        beads to), one line names it instead of listing examples of them."""
        out = [f"nothing to write: {self.path} left as it was" if self.kept else
               f"wrote {counted(self.written, 'unit' if self.format == 'tmx' else 'row')} to {self.path}"]
        if self.skipped:
            out.append("skipped: " + "; ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())))
        if self.removed_chars:
            where = ", ".join(f"{doc or '?'} unit {k + 1}" for doc, k in self.removed_in[:examples])
            more = f" and {len(self.removed_in) - examples} more units" if len(self.removed_in) > examples else ""
            out.append(f"removed {counted(self.removed_chars, 'character')} not allowed in XML 1.0 (a space "
                       "stands where they stood between two words)" + (f", in {where}{more}" if where else ""))
        if self.unjudged:
            out.append(f"note: {counted(self.unjudged, 'automatic bead')} without a confidence (aligned before "
                       "confidences were kept) passed --min-confidence unjudged; `aligner align-all --force` gives "
                       "them one, keeping the review work")
        for seg in self.long_segments[:examples]:
            out.append(f"warning: {seg.document or '?'} unit {seg.unit + 1}: {seg.side} segment of "
                       f"{counted(seg.length, 'character')} (written in full)")
        if len(self.long_segments) > examples:
            out.append(f"warning: {counted(len(self.long_segments) - examples, 'more long segment')}")
        for row in self.controls[:examples]:  # invisible, they reorder the words on screen: "gnp.exe" reads "exe.png"
            text = row.src if has_controls(row.src) else row.tgt
            out.append(f"warning: {row.document} {_ids(row.src_ids) or '-'}/{_ids(row.tgt_ids) or '-'}: direction "
                       f"controls written as they are (a CAT tool shows the words reordered): {_abbrev(mark_controls(text))}")
        if len(self.controls) > examples:
            out.append(f"warning: {counted(len(self.controls) - examples, 'more bead')} with direction controls")
        if report is not None:
            unpaired = sum(row.unpaired for row in self.one_sided)
            out.append(f"{report} lists {counted(len(self.one_sided) - unpaired, 'one-sided bead')} (added or "
                       f"dropped passages, not units)" + (f" and {unpaired} unpaired" if unpaired else ""))
            return out
        if self.kept or not self.written:  # nothing written: which beads would not have been units is beside
            return out                      # the point
        for row in self.one_sided[:examples]:
            side, text = ("source only", row.src) if row.src.strip() else ("target only", row.tgt)
            if row.unpaired:
                why = f"flagged {', '.join(row.flags)}" if row.flags else "web furniture on both sides"
                side, text = why, f"{row.src} / {row.tgt}"
            out.append(f"not a unit ({side}): {row.document} {row.kind} {_ids(row.src_ids) or '-'}/"
                       f"{_ids(row.tgt_ids) or '-'}: {_abbrev(text)}")
        if len(self.one_sided) > examples:
            more = counted(len(self.one_sided) - examples, "more one-sided bead")
            out.append(f"... and {more} (--report FILE lists all)")
        return out


def select(rows: Iterable[BeadRow], flt: ExportFilter, summary: ExportSummary,
           keep_one_sided: bool) -> Iterator[BeadRow]:
    """The rows that pass `flt`, counting the others in `summary`; one-sided beads go to its report first.

    Without one-sided beads (TMX), those of a moved passage wait for the passage's own row, which ends its
    document's rows (Store.iter_beads(moved=True)): written, it stands for them; left out by a filter, or never
    coming (a flag that lags behind the alignment), they are reported like any other one-sided bead."""
    waiting: list[BeadRow] = []  # one-sided beads of moved passages in the current document

    def settle(unit: BeadRow | None = None) -> None:
        for row in list(waiting):
            if unit is None or set(row.src_ids) & set(unit.src_ids) or set(row.tgt_ids) & set(unit.tgt_ids):
                waiting.remove(row)
                if unit is None:
                    summary.one_sided.append(row)
                    summary.skipped["one-sided"] += 1
                else:
                    summary.skipped["one-sided in moved passages (a unit each passage)"] += 1

    for row in rows:
        summary.read += 1
        if waiting and row.document != waiting[0].document:
            settle()
        if row.is_one_sided and not keep_one_sided:
            if not (row.src.strip() or row.tgt.strip()):  # blank lines of pre-segmented input: nothing to report
                summary.skipped["blank lines"] += 1
                continue
            if "moved" in row.flags:
                waiting.append(row)
            else:
                summary.one_sided.append(row)
                # a pair of furniture lines, or of passages the flagger or an editor took apart, has two sides
                summary.skipped[UNPAIRED if row.unpaired else "one-sided"] += 1
            continue
        why = flt.reason(row)
        if why is not None:
            summary.skipped[why] += 1
            continue
        if flt.min_confidence is not None and row.confidence is None and row.status is BeadStatus.AUTO \
                and row.src_ids and row.tgt_ids and "moved" not in row.flags:
            summary.unjudged += 1
        if waiting and "moved" in row.flags:
            settle(row)
        if has_controls(row.src) or has_controls(row.tgt):
            summary.controls.append(row)
        yield row
    settle()


def to_unit(row: BeadRow) -> TranslationUnit:
    """The TMX unit of a bead: both texts, x- props, and dates when a person reviewed it. A side of several
    sentences also gets x-src-lengths / x-tgt-lengths (each sentence's length, '38 41'): `import_tmx` cuts the
    segment back into those sentences, which the segmenter cannot always find again (web furniture, say)."""
    props = {"x-document": row.document, "x-bead-type": row.kind,
             **({"x-score": f"{row.score:.4f}"} if row.scored else {}), "x-status": row.status.value}
    if row.confidence is not None:
        props["x-confidence"] = f"{row.confidence:.3f}"
    if "moved" in row.flags:  # a moved passage (Store.iter_beads(moved=True)): its sentences stand apart
        props["x-moved"] = "yes"
    # the flags on it (a divergent pair, say), each with a note that says why (CAT tools show a unit's notes), and
    # where it lies in the unit: `import tmx` makes them flags again. A moved passage's is x-moved.
    marks = row.marks or tuple(n.split(":")[0].split(" ")[0] for n in row.notes)  # a row made without them
    flagged = [(m, n) for m, n in zip(marks, row.notes, strict=True) if m.split(":")[0] != "moved"]
    if flagged:
        props["x-flags"] = " ".join(m for m, _ in flagged)
    if row.paragraph is not None:
        props["x-paragraph"] = str(row.paragraph)
    for side, text, lengths in (("src", row.src, row.src_lengths), ("tgt", row.tgt, row.tgt_lengths)):
        if len(lengths) > 1:
            props[f"x-{side}-lengths"] = " ".join(str(n) for n in _clean_lengths(text, lengths))
    reviewed = row.status is not BeadStatus.AUTO
    # a side of several sentences is no longer one sentence, which the header's segtype says of every unit
    block = "block" if len(row.src_ids) > 1 or len(row.tgt_ids) > 1 else None
    return TranslationUnit(row.src, row.tgt, props, row.created if reviewed else None,
                           row.changed if reviewed else None, segtype=block, notes=tuple(n for _, n in flagged))


def _clean_lengths(text: str, lengths: tuple[int, ...]) -> list[int]:
    """The lengths of a segment's sentences once the TMX writer has removed what XML 1.0 cannot carry."""
    return [len(clean_text(part)[0]) for part in split_joined(text, lengths)]


def export_tmx(rows: Iterable[BeadRow], out: IO[str], src_lang: str, tgt_lang: str,
               flt: ExportFilter = ExportFilter(), *, created: datetime | None = None,
               max_length: int | None = DEFAULT_MAX_LENGTH) -> ExportSummary:
    """Write the beads that pass `flt` as TMX 1.4b units to a UTF-8 text stream."""
    summary = ExportSummary(format="tmx")
    units = (to_unit(row) for row in select(rows, flt, summary, keep_one_sided=False))
    stats = write_tmx(units, out, src_lang, tgt_lang, created=created, max_length=max_length)
    summary.written = stats.written
    summary.removed_chars = stats.removed_chars
    summary.removed_in = stats.removed_in
    summary.long_segments = stats.long_segments
    if stats.empty:
        summary.skipped["empty after removing invalid characters"] += stats.empty
    return summary


def export_file(rows: Iterable[BeadRow], path: str | Path, fmt: str, flt: ExportFilter = ExportFilter(), *,
                src_lang: str = "es", tgt_lang: str = "en", created: datetime | None = None,
                max_length: int | None = DEFAULT_MAX_LENGTH, batch_size: int = BATCH_SIZE,
                bom: bool = False, excel: bool = False, semicolon: bool = False) -> ExportSummary:
    """Export to `path` in `fmt` (one of FORMATS). The file appears only once complete (written aside, renamed).
    An export that writes nothing leaves a file already at `path` as it is (a filter that matches nothing must
    not wipe a memory); with no file there, it writes the empty one (an empty memory is valid)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    path = Path(path)
    part = path.with_name(path.name + ".part")
    try:
        if fmt == "tmx":
            with open(part, "w", encoding="utf-8", newline="\n") as out:
                summary = export_tmx(rows, out, src_lang, tgt_lang, flt, created=created, max_length=max_length)
        else:
            summary = export_table(rows, part, fmt, flt, batch_size=batch_size, bom=bom, excel=excel,
                                   semicolon=semicolon)
        summary.kept = not summary.written and path.exists()
        if not summary.kept:
            os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    summary.path, summary.format = str(path), fmt
    return summary


def write_report(rows: Iterable[BeadRow], path: str | Path) -> None:
    """The beads that are not units (added or dropped passages) as TSV, for whoever checks the adaptation; the
    last column gives the flags on them (added, dropped, moved, furniture: why they are not units; empty for a
    one-sided bead no flag covers)."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("document\tsrc_ids\ttgt_ids\ttype\tside\ttext\tflags\n")
        for r in rows:  # an unpaired two-sided bead (BeadRow.unpaired) gives a line per side
            for side, text in (("src", r.src), ("tgt", r.tgt)):
                if text.strip():
                    out.write("\t".join((r.document, _ids(r.src_ids), _ids(r.tgt_ids), r.kind, side,
                                         one_line(text).replace("\t", " "), " ".join(r.flags))) + "\n")


def export_table(rows: Iterable[BeadRow], path: str | Path, fmt: str, flt: ExportFilter = ExportFilter(), *,
                 batch_size: int = BATCH_SIZE, bom: bool = False, excel: bool = False,
                 semicolon: bool = False) -> ExportSummary:
    """One row per bead (one-sided beads included) written in batches of `batch_size` through polars. bom: a
    text file (tsv, csv) starts with the UTF-8 byte order mark, by which Excel recognises UTF-8. excel (csv): the
    BOM, and a text that a spreadsheet would run as a formula (it starts with =, +, -, @) gets a leading
    apostrophe, which spreadsheets take as "this is text" and do not show. semicolon (csv): ';' between fields and
    decimal commas, as a spreadsheet in a locale with a decimal comma (Spanish, French, German) reads a .csv."""
    bom = bom or excel
    summary = ExportSummary(format=fmt)
    batches = _batches(select(rows, flt, summary, keep_one_sided=True), batch_size)
    if fmt == "parquet":
        _write_parquet(batches, Path(path))
    else:
        with open(path, "wb") as out:
            if bom and fmt in ("tsv", "csv"):
                out.write("\ufeff".encode())
            first = True
            for df in batches:
                _write_text_batch(_as_text(df) if excel else df, out, fmt, header=first, semicolon=semicolon)
                first = False
            if first:
                _write_text_batch(_frame([]), out, fmt, header=True, semicolon=semicolon)
    summary.written = summary.read - sum(summary.skipped.values())
    return summary


def table_schema():
    import polars as pl

    utc = pl.Datetime("us", "UTC")
    return {"document": pl.String, "src_ids": pl.List(pl.Int64), "tgt_ids": pl.List(pl.Int64),
            "src": pl.String, "tgt": pl.String, "type": pl.String, "score": pl.Float64,
            "status": pl.String, "flags": pl.List(pl.String), "paragraph": pl.Int64, "created": utc, "changed": utc,
            "confidence": pl.Float64,  # last ones: columns added later, after those that tools may read by position
            "notes": pl.List(pl.String)}


def _frame(rows: list[BeadRow]):
    import polars as pl

    return pl.DataFrame({
        "document": [r.document for r in rows], "src_ids": [list(r.src_ids) for r in rows],
        "tgt_ids": [list(r.tgt_ids) for r in rows], "src": [r.src for r in rows], "tgt": [r.tgt for r in rows],
        "type": [r.kind for r in rows], "score": [r.score if r.scored else None for r in rows], "status": [r.status.value for r in rows],
        "flags": [list(r.flags) for r in rows], "paragraph": [r.paragraph for r in rows],
        "created": [_utc(r.created) for r in rows], "changed": [_utc(r.changed) for r in rows],
        "confidence": [r.confidence for r in rows], "notes": [list(r.notes) for r in rows],
    }, schema=table_schema())


def _batches(rows: Iterable[BeadRow], size: int):
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield _frame(batch)


def _as_text(df):
    """The batch with every text that starts like a spreadsheet formula prefixed with an apostrophe."""
    import polars as pl

    texts = ("document", "src", "tgt")
    return df.with_columns(pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + pl.col(c))
                           .otherwise(pl.col(c)).alias(c) for c in texts)


def _write_text_batch(df, out: IO[bytes], fmt: str, header: bool, semicolon: bool = False) -> None:
    """Append one batch. TSV is the plain kind parallel-corpus tools read: no quoting, so tabs and line breaks
    inside a text become spaces; CSV quotes instead and keeps every character."""
    import polars as pl

    if fmt == "jsonl":  # the dates written as in TSV and CSV ('2026-11-27T08:55:54Z', not '+00:00')
        df.with_columns(pl.col("created", "changed").dt.strftime(_DATES)).write_ndjson(out)
        return
    # ids joined by spaces: "2,3" reads as the number 2.3 in a spreadsheet set to Spanish (a decimal comma)
    # flags by spaces too ("dropped furniture"), as the TMX's x-flags; notes, which hold spaces and commas, by " | "
    flat = df.with_columns(pl.col("src_ids", "tgt_ids").list.eval(pl.element().cast(pl.String)).list.join(" "),
                           pl.col("flags").list.join(" "), pl.col("notes").list.join(" | "))
    if fmt == "tsv":
        flat = flat.with_columns(pl.col(pl.String).str.replace_all(r"[\t\r\n]", " "))
        flat.write_csv(out, separator="\t", include_header=header, quote_style="never",
                       datetime_format=_DATES)
    else:
        flat.write_csv(out, include_header=header, datetime_format=_DATES, separator=";" if semicolon else ",",
                       decimal_comma=semicolon)


_DATES = "%Y-%m-%dT%H:%M:%SZ"  # the text exports' dates, in UTC


def _write_parquet(batches, path: Path) -> None:
    """Polars cannot append to a parquet file, and it pulls a Python source from its own threads, where the SQLite
    cursor behind `batches` may not be used. So this thread reads the batches and hands them over a two-slot queue
    to a streaming sink running in a second thread: memory holds about three batches whatever the size."""
    import queue
    import threading

    from polars.io.plugins import register_io_source

    handoff: queue.Queue = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def source(with_columns, predicate, n_rows, batch_size):
        while (df := handoff.get()) is not None:
            yield df

    def sink():
        try:
            register_io_source(source, schema=table_schema()).sink_parquet(path, row_group_size=BATCH_SIZE)
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread below
            failure.append(exc)

    worker = threading.Thread(target=sink, name="parquet-sink", daemon=True)
    worker.start()
    try:
        for df in batches:
            if not _hand_over(handoff, df, worker):
                break
    finally:
        _hand_over(handoff, None, worker)  # ends the source, even after an error here: the sink then finishes
        worker.join()
    if failure:
        raise failure[0]


def _hand_over(handoff, item, worker) -> bool:
    """Put `item` on the queue unless the sink thread has died (then False: nobody would take it)."""
    import queue

    while worker.is_alive():
        try:
            handoff.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _utc(when: datetime | None) -> datetime | None:
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=UTC)


def counted(n: int, noun: str) -> str:
    """`n noun`, plural unless n is 1: 1 pair, 0 pairs, 1,234 pairs. Here rather than in the command line, whose
    every summary uses it, because the library's report lines (exports, imports, pruning) need it too."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _ids(ids: tuple[int, ...]) -> str:
    return " ".join(map(str, ids))


def _abbrev(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# ---- TMX import ------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class ImportSummary:
    """What `import_tmx` created: pairs with their unit counts, and the units it could not use."""

    path: str
    src_lang: str
    tgt_lang: str
    pairs: dict[str, int] = field(default_factory=dict)
    one_sided: int = 0
    respaced: int = 0
    coded: int = 0
    others: set[str] = field(default_factory=set)  # languages of the file left out
    unkept: Counter = field(default_factory=Counter)  # what units carried that a project does not keep: units each

    def lines(self) -> list[str]:
        out = [f"imported {counted(n, 'unit')} from {self.path} as pair {name!r} ({self.src_lang} to "
               f"{self.tgt_lang})" for name, n in self.pairs.items()]
        if self.one_sided:
            out.append(f"skipped {counted(self.one_sided, 'unit')} without both {self.src_lang} and {self.tgt_lang} "
                       f"text")
        if self.respaced:
            out.append(f"note: collapsed whitespace in {counted(self.respaced, 'segment')} (one sentence per line)")
        if self.others:
            langs = ", ".join(sorted(self.others))
            out.append(f"note: the file also holds {langs} text, not imported (a pair has two languages; import "
                       f"the file again with --tgt-lang and --name for another pair)")
        if self.unkept:
            what = ", ".join(f"{name} ({counted(n, 'unit')})" for name, n in sorted(self.unkept.items()))
            out.append(f"note: not kept, and not in later exports: {what}")
        if self.coded:
            out.append(f"note: {counted(self.coded, 'unit')} held inline formatting codes (<bpt>, <ph>...): the codes "
                       f"are dropped, their text and footnotes (<sub>) kept as plain text; exports will not have them")
        return out


def import_tmx(store, path: str | Path, name: str | None = None, src_lang: str | None = None,
               tgt_lang: str | None = None) -> ImportSummary:
    """Load a TMX file into `store` as reviewed document pairs, one per x-document prop (or one named `name`).

    Each unit becomes a bead of one-line sentences (1-1, or k-m for a many-sided bead we exported, when the
    segmenter splits it back into as many sentences); its status and score come from our x-status and x-score
    props, and a unit from another tool is confirmed with score 1.0 (a person kept it in a memory). Its
    sentences take the unit's x-paragraph (0 without one). The pair's run is dated by the earliest unit
    creationdate (the import's time when no unit has one), each bead keeps its unit's changedate, and a unit
    whose creationdate differs (or that has none) keeps its own in the run's figures, so that an export gives
    each unit back its dates, and exporting a memory we wrote, importing it and exporting it again gives the
    same file.
    A pair that already exists is refused rather than overwritten.
    """
    from .errors import InputError, StoreError
    from .tmx import read_tmx

    path = Path(path)
    info, units = read_tmx(path, src_lang, tgt_lang)
    units = iter(units)
    first = next(units, None)
    if first is None:
        raise InputError(f"{path}: the memory holds no translation unit (<tu>)")
    units = chain([first], units)
    if not info.tgt_lang:
        raise InputError(f"{path}: no unit has a language other than {info.src_lang!r}")
    summary = ImportSummary(str(path), info.src_lang, info.tgt_lang)
    groups: dict[str, list[TranslationUnit]] = {}
    for unit in units:
        summary.others.update(unit.others)
        # our notes say why a unit was flagged: they come back with its flags (x-flags); another tool's are not kept
        ours = "x-flags" in unit.props and all(_NOTE_HEAD.match(n) for n in unit.notes)
        extras = [x for x in unit.extras if x != "<note>" or not ours]
        summary.unkept.update({*extras, *(f"prop {t}" for t in unit.props if t not in OUR_PROPS)})
        src, tgt = one_line(unit.src), one_line(unit.tgt)
        if not src or not tgt:
            summary.one_sided += 1
            continue
        summary.respaced += (src != unit.src) + (tgt != unit.tgt)
        summary.coded += unit.codes > 0
        key = name or unit.props.get("x-document") or path.stem
        groups.setdefault(key, []).append(TranslationUnit(src, tgt, unit.props, unit.created, unit.changed,
                                                          notes=unit.notes))
    if not groups:
        raise InputError(f"{path}: no unit has both {info.src_lang!r} and {info.tgt_lang!r} text")
    taken = sorted(set(groups) & {p.name for p in store.pairs()})
    if taken:
        raise StoreError(f"{store.path}: pair {', '.join(map(repr, taken))} already exists; "
                         f"import under another name with --name")
    with store.transaction():
        for key, group in groups.items():
            _save_pair(store, path, key, group, info.src_lang, info.tgt_lang)
            summary.pairs[key] = len(group)
    return summary


def _save_pair(store, path: Path, name: str, units: list[TranslationUnit], src_lang: str, tgt_lang: str) -> None:
    from .models import Alignment, Bead

    sides: tuple[list[tuple[str, int]], list[tuple[str, int]]] = ([], [])
    beads = []
    for unit in units:
        counts = _bead_type(unit)
        paragraph = _paragraph(unit)
        ids = []
        for k, (side, lang, text, lines) in enumerate((("src", src_lang, unit.src, sides[0]),
                                                       ("tgt", tgt_lang, unit.tgt, sides[1]))):
            parts = _sentences(text, counts[k] if counts else 1, lang, unit.props.get(f"x-{side}-lengths", ""))
            ids.append(tuple(range(len(lines), len(lines) + len(parts))))
            lines.extend((part, paragraph) for part in parts)
        beads.append(Bead(ids[0], ids[1], _score(unit), _status(unit), _confidence(unit)))
    docs = [store.add_sentences(f"{path}#{name}.{lang.lower()}", lang, sentences)
            for lang, sentences in ((src_lang, sides[0]), (tgt_lang, sides[1]))]
    store.add_pair(name, *docs)
    alignment = Alignment(tuple(beads), len(sides[0]), len(sides[1]))
    created = [u.created for u in units if u.created is not None]
    date = min(created, default=None)
    # each unit's own creation date where it is not the run's (another tool's memory), none where it had none
    own = {f"{b.src[0]}:{b.tgt[0]}": u.created and u.created.isoformat()
           for b, u in zip(beads, units, strict=True) if u.created is None or u.created != date}
    store.save_alignment(name, alignment, {"model": IMPORTED_MODEL, "params": {"file": path.name}, "date": date,
                                           "changed": [u.changed for u in units],
                                           **({"figures": {"created": own}} if own else {})})
    moved = [b for b, u in zip(beads, units, strict=True) if u.props.get("x-moved") == "yes"]
    flagged = [(b, u) for b, u in zip(beads, units, strict=True) if u.props.get("x-flags", "").strip()]
    if moved or flagged:
        from .flags import Flag, FlagStatus, FlagType, Span
        from .store import IMPORTED_KEY

        src, tgt = store.documents_for(name)
        # a moved passage we exported: a bead here, flagged moved as it was, so that it exports the same;
        # accepted: a person kept the pair in a memory, and nothing is left to review about it
        flags = [Flag(FlagType.MOVED, Span.of(src, b.src), Span.of(tgt, b.tgt), 1.0, b.score,
                      "moved passage, imported from TMX", FlagStatus.CONFIRMED) for b in moved]
        records = [{**f.to_dict(), "key": IMPORTED_KEY + f.key} for f in flags]
        for b, u in flagged:  # a unit's flags (a divergent pair, say), each where it lay, with its note
            records += _unit_flags(b, u, src, tgt)
        store.save_flags(name, list({r["key"]: r for r in records}.values()))


def _unit_flags(bead: Bead, unit: TranslationUnit, src: Document, tgt: Document) -> list[dict]:
    """The flag records of a unit's x-flags ('divergent furniture:t1-2', as to_unit writes them), each with its
    note (the unit's notes, one per flag in the same order, 'divergent (accepted): ...'): an editor's as an
    editor's flag, the flagger's as the flagger's (derived again after an edit, as any), accepted or open as they
    were. A token that cannot be read is left out."""
    from .flags import Flag, FlagStatus, FlagType, Span
    from .store import EDITOR_KEY

    kinds = {t.value for t in FlagType} - {FlagType.MOVED.value}
    unused = list(unit.notes)  # each token takes the first note of its kind left (another tool's are skipped)
    out = []
    for token in unit.props["x-flags"].split():
        kind, _, where = token.partition(":")
        if kind not in kinds:
            continue
        note = next((n for n in unused if (m := _NOTE_HEAD.match(n)) and m[1] == kind), "")
        if note:
            unused.remove(note)
        spans = {"s": bead.src, "t": bead.tgt} if not where else {}
        for part in filter(None, where.split(",")):
            m = _WHERE.fullmatch(part)
            ids = (bead.src if m[1] == "s" else bead.tgt) if m else ()
            a, b = (int(m[2]), int(m[3] or m[2])) if m else (0, -1)
            if not ids or not a <= b < len(ids):
                spans = {}
                break
            spans[m[1]] = ids[a:b + 1]
        if not spans:
            continue
        said = _NOTE_HEAD.match(note)
        tag = said[2] if said else None
        flag = Flag(FlagType(kind), Span.of(src, spans["s"]) if spans.get("s") else None,
                    Span.of(tgt, spans["t"]) if spans.get("t") else None, 1.0, bead.score,
                    note[said.end():].strip() if said else "",
                    FlagStatus.CONFIRMED if tag in ("editor", "accepted") else FlagStatus.OPEN)
        out.append({**flag.to_dict(), "key": (EDITOR_KEY if tag == "editor" else "") + flag.key})
    return out


_WHERE = re.compile(r"([st])([0-9]+)(?:-([0-9]+))?")  # 's1', 't0-2': a flag's sentences in a unit
_NOTE_HEAD = re.compile(r"([a-z]+)(?: \((editor|accepted)\))?(?::|$)")  # 'divergent (accepted):', 'added'


def _paragraph(unit: TranslationUnit) -> int:
    """The unit's x-paragraph, 0 when it has none (another tool's memory) or it is not a number."""
    value = unit.props.get("x-paragraph", "")
    return int(value) if value.isdigit() else 0


def _bead_type(unit: TranslationUnit) -> tuple[int, int] | None:
    """Sentences per side from our x-bead-type prop ('2-1'), None when absent or malformed."""
    head, _, tail = unit.props.get("x-bead-type", "").partition("-")
    return (int(head), int(tail)) if head.isdigit() and tail.isdigit() and int(head) and int(tail) else None


def _sentences(text: str, count: int, lang: str, lengths: str = "") -> list[str]:
    """One side of a unit as sentences: a many-sided bead we exported (its sentences joined) is cut
    back by its x-*-lengths prop, or else split back when the segmenter finds exactly `count` sentences that
    rejoin to the text; otherwise it is one sentence."""
    if count > 1:
        parts = _cut(text, lengths)
        if len(parts) == count:  # our own lengths: whichever separator the file was written with
            return parts
        from .segment import split_sentences

        parts = [one_line(text[a:b]) for a, b in split_sentences(text, lang)]
        if len(parts) == count and all(parts) and sentence_separator(lang).join(parts) == text:
            return parts
    return [text]


def _cut(text: str, lengths: str) -> list[str]:
    """`text` cut into pieces of the given lengths ('12 30') with the separator join_sentences put between them
    (a space, none in Chinese or Japanese); [] when they do not fit."""
    sizes = lengths.split()
    if not sizes or not all(n.isdigit() for n in sizes):
        return []
    parts = split_joined(text, [int(n) for n in sizes])
    return parts if all(p and p == one_line(p) for p in parts) else []


def _confidence(unit: TranslationUnit) -> float | None:
    """Our x-confidence prop (how sure the aligner was of the bead), when the unit has a valid one."""
    try:
        c = float(unit.props["x-confidence"])
    except (KeyError, ValueError):
        return None
    return c if 0.0 <= c <= 1.0 else None


def _score(unit: TranslationUnit) -> float:
    """Our x-score; none on a unit of ours (x-status) is a pair an editor made (0.0: no score); a unit of another
    tool's memory gets 1.0 (a person kept it)."""
    try:
        return float(unit.props["x-score"])
    except (KeyError, ValueError):
        return 0.0 if "x-status" in unit.props and "x-score" not in unit.props else 1.0


def _status(unit: TranslationUnit) -> BeadStatus:
    try:
        return BeadStatus(unit.props.get("x-status", ""))
    except ValueError:
        return BeadStatus.CONFIRMED
