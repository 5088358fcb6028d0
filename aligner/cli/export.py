"""`aligner export tmx|tsv|csv|jsonl|parquet` and `aligner import tmx`: the memory out of the project and back."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from . import cli
from .core import lang_code, removed_if_left_empty

STATUS_CHOICES = ("auto", "confirmed", "edited", "flagged", "reviewed")


def _db_option(f):
    return click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default="aligner.db",
                        envvar="ALIGNER_DB", show_default=True, show_envvar=True, help="The project database.")(f)


@cli.group("export")
def export_group():
    """Write the current alignments of pairs NAME... (all pairs when none) to a file."""


@cli.group("import")
def import_group():
    """Load alignments made elsewhere into the project."""


def _common(f):
    """The options every export format shares."""
    options = [
        click.argument("names", nargs=-1, metavar="[NAME]..."),
        click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
                     help="File to write (replaced only once the export is complete)."),
        _db_option,
        click.option("--status", "statuses", multiple=True, type=click.Choice(STATUS_CHOICES),
                     help="Only beads with this review status (repeatable); 'reviewed' means confirmed or edited."),
        click.option("--min-score", type=click.FloatRange(0.0, 1.0), metavar="X",
                     help="Only beads scoring at least X, 0-1 (the similarity of their sides); beads an editor "
                          "made by hand and confirmed have no score and pass."),
        click.option("--min-confidence", type=click.FloatRange(0.0, 1.0), metavar="X",
                     help="Only automatic pairs the aligner was at least X sure of, 0-1 (the review app marks those "
                          "under 0.7 doubtful); reviewed beads pass, and so do added and dropped passages (in tables; "
                          "the flags judge them), moved passages, and beads of runs aligned before confidences were "
                          "kept."),
        click.option("--exclude-flagged", is_flag=True,
                     help="Leave out beads a reviewer flagged and beads that a flag not dismissed "
                          "(added, dropped, divergent, ...) touches."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@export_group.command("tmx")
@_common
@click.option("--src-lang", metavar="CODE", callback=lang_code,
              help="xml:lang of source segments, e.g. es-ES to match a CAT tool's memory [default: the documents' "
                   "language]")
@click.option("--tgt-lang", metavar="CODE", callback=lang_code, help="xml:lang of target segments, e.g. en-US.")
@click.option("--max-length", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Warn about segments longer than this many characters (never truncated); 0: no warning.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the beads that are not units (added or dropped passages) to this TSV file.")
def export_tmx_cmd(names, output, db, statuses, min_score, min_confidence, exclude_flagged, src_lang, tgt_lang,
                   max_length, report):
    """Write a TMX 1.4b translation memory for OmegaT, Trados, memoQ: one unit per bead with both sides."""
    from ..export import write_report

    _check_suffix(output, "tmx")
    with _open(db) as store:
        for path in (output, report):
            if path:
                store.guard_output(path)  # before anything else: the worst mistake is said first
        if report:  # said before the memory is written (over the last one, maybe), not after
            if report.resolve() == output.resolve():
                raise click.BadParameter("the report would overwrite the memory; name another file",
                                         param_hint="'--report'")
            if not report.parent.is_dir():
                raise click.ClickException(f"{report}: cannot write (no folder {report.parent})")
        pairs = _pairs(store, names)
        langs = {(p.src_lang, p.tgt_lang) for p in pairs}
        if len(langs) > 1 and not (src_lang and tgt_lang):
            raise click.ClickException("the pairs have different languages ("
                                       + ", ".join(f"{s}-{t}" for s, t in sorted(langs))
                                       + "): export them separately (or give --src-lang and --tgt-lang when they "
                                         "differ only by region)")
        default = next(iter(langs), ("es", "en"))
        for given, side, option in ((src_lang, 0, "--src-lang"), (tgt_lang, 1, "--tgt-lang")):
            other = sorted({p.name for p in pairs
                            if given and (p.src_lang, p.tgt_lang)[side].split("-")[0] != given.split("-")[0]})
            if other:
                known = ", ".join(sorted({(p.src_lang, p.tgt_lang)[side] for p in pairs}))
                raise click.BadParameter(f"{_lang_tag(given)} is not the documents' language ({known}; "
                                         f"{', '.join(other[:5])}{' ...' if len(other) > 5 else ''})",
                                         param_hint=option)
        summary = _export(store, pairs, output, "tmx", _filter(statuses, min_score, exclude_flagged, min_confidence),
                          src_lang=_lang_tag(src_lang or default[0]), tgt_lang=_lang_tag(tgt_lang or default[1]),
                          created=_creation_date(), max_length=max_length or None)
    if report:
        try:
            write_report(summary.one_sided, report)
        except OSError as exc:
            raise click.ClickException(f"{report}: cannot write ({exc.strerror or exc})") from None
    _echo_summary(summary, statuses, min_score, min_confidence, report)


# File name endings of the formats, and of files that no export writes (a spreadsheet's own format).
_SUFFIXES = {".tmx": "tmx", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
             ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
_NOT_WRITTEN = {".xlsx": "an Excel workbook", ".xls": "an Excel workbook", ".ods": "an OpenDocument spreadsheet",
                ".docx": "a Word document"}


def _check_suffix(output: Path, fmt: str) -> None:
    """A file name that says another format (`export csv -o all.xlsx`: CSV text an Excel would refuse to open) is
    bad usage; a name ending otherwise (.txt, none) is the user's choice."""
    suffix = output.suffix.lower()
    what = _NOT_WRITTEN.get(suffix) or (f"a {_SUFFIXES[suffix].upper()} file" if _SUFFIXES.get(suffix, fmt) != fmt
                                        else None)
    if what:
        hint = " (a spreadsheet opens .csv; --excel makes it read well)" if suffix in (".xlsx", ".xls", ".ods") else ""
        raise click.BadParameter(f"{output} names {what}, but this writes {fmt.upper()}; name it .{fmt}{hint}",
                                 param_hint="'-o' / '--output'")


def _table_command(fmt: str):
    def command(names, output, db, statuses, min_score, min_confidence, exclude_flagged, bom=False, excel=False,
                semicolon=False):
        _check_suffix(output, fmt)
        with _open(db) as store:
            store.guard_output(output)
            summary = _export(store, _pairs(store, names), output, fmt,
                              _filter(statuses, min_score, exclude_flagged, min_confidence), bom=bom, excel=excel,
                              semicolon=semicolon)
        _echo_summary(summary, statuses, min_score, min_confidence)

    if fmt == "csv":
        command = click.option("--semicolon", is_flag=True,
                               help="Fields separated by ';' and decimal commas (0,91): a spreadsheet set to Spanish, "
                                    "French or German splits a .csv at semicolons (with --excel: a double click opens "
                                    "it in columns).")(command)
        command = click.option("--excel", is_flag=True, help="For a spreadsheet: --bom, and a text starting with "
                                                             "=, +, - or @ gets a leading apostrophe, so that it is "
                                                             "shown as text, not run as a formula.")(command)
    if fmt in ("tsv", "csv"):
        command = click.option("--bom", is_flag=True, help="Start the file with a UTF-8 byte order mark, by which "
                                                           "Excel recognises UTF-8 (accents shown right).")(command)
    command = export_group.command(fmt)(_common(command))

    command.help = (f"Write one {fmt} row per bead: document, sentence ids, source and target text, type, score, "
                    f"status, flags, paragraph, dates, confidence, the flags' notes.")
    if fmt == "tsv":
        command.help += (" Unquoted, as parallel-corpus tools read it (tabs and line breaks in a text become "
                         "spaces): read it with quoting off (polars quote_char=None, Python csv.QUOTE_NONE), since a "
                         "text may start with a quotation mark; for a spreadsheet, export csv.")
    return command


for _fmt in ("tsv", "csv", "jsonl", "parquet"):
    _table_command(_fmt)


@import_group.command("tmx")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="Pair name for all units [default: each unit's x-document, else the file name].")
@_db_option
@click.option("--src-lang", metavar="CODE", help="Source language in the file (es matches es-ES) "
                                                 "[default: the header's srclang].")
@click.option("--tgt-lang", metavar="CODE", help="Target language [default: the other language of the first unit].")
def import_tmx_cmd(file, name, db, src_lang, tgt_lang):
    """Load a TMX file (ours or another tool's) as a reviewed document pair, ready to be reviewed again; creates the
    project database if there is none."""
    from ..export import import_tmx

    with removed_if_left_empty(db), _open(db, create=True) as store:
        summary = import_tmx(store, file, name, src_lang, tgt_lang)
    for line in summary.lines():
        click.echo(line, err=True)


def _export(store, pairs, output: Path, fmt: str, flt, **options):
    """Write `pairs` to `output` (which the command has already checked with store.guard_output)."""
    from ..export import export_file

    try:
        return export_file(store.iter_beads([p.name for p in pairs], moved=fmt == "tmx"), output, fmt, flt,
                           **options)
    except OSError as exc:
        raise click.ClickException(f"{output}: cannot write ({exc.strerror or exc})") from None


def _open(db: Path, create: bool = False):
    from ..store import Store

    return Store.open(db, create=create)


def _pairs(store, names):
    """The pairs to export. A pair without an alignment (new, or its alignment failed) is an error when named, and
    is warned about, with the reason and what to do, when the whole project is exported; a project in which no
    pair is aligned is an error too: in neither case is a file written, so that a script sees the failure."""
    pairs = store.pairs(names or None)
    from .project import not_aligned, warn_if_stale

    unaligned = [p for p in pairs if p.run_id is None]
    if names and unaligned:
        raise click.ClickException("nothing written: " + "\n".join(not_aligned(store, p) for p in unaligned))
    aligned = [p for p in pairs if p.run_id is not None]
    if not aligned:
        raise click.ClickException(f"nothing written: {store.path} has no pairs; `aligner add FOLDER` adds them"
                                   if not pairs else "nothing written: no pair is aligned\n"
                                   + "\n".join(not_aligned(store, p) for p in unaligned))
    for p in unaligned:
        click.echo("warning: " + not_aligned(store, p).replace("\n", "; "), err=True)
    for p in aligned:
        warn_if_stale(p)
    return aligned


def _filter(statuses, min_score, exclude_flagged, min_confidence=None):
    from ..export import REVIEWED, ExportFilter
    from ..models import BeadStatus

    wanted = None
    if statuses:
        wanted = frozenset(s for name in statuses for s in (REVIEWED if name == "reviewed" else {BeadStatus(name)}))
    return ExportFilter(wanted, min_score, exclude_flagged, min_confidence)


def _lang_tag(code: str) -> str:
    """The store keeps codes in lower case; TMX readers expect es-ES rather than es-es."""
    head, _, region = code.partition("-")
    return f"{head}-{region.upper()}" if len(region) == 2 else code


def _creation_date() -> datetime | None:
    """Now, unless SOURCE_DATE_EPOCH asks for a reproducible file (the reproducible-builds convention)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except ValueError:
        raise click.BadParameter(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds") from None


def _echo_summary(summary, statuses=(), min_score=None, min_confidence=None, report: Path | None = None) -> None:
    for line in summary.lines(report=report):
        click.echo(line, err=True)
    if why := _why_empty(summary, statuses, min_score, min_confidence):
        click.echo(f"warning: {why}", err=True)


def _why_empty(summary, statuses, min_score, min_confidence=None) -> str | None:
    """Which filter left every bead out of an export that wrote nothing, and what to do; None when something
    was written or there was nothing to filter. The file is written all the same: an empty memory is valid."""
    if summary.written or not summary.read:
        return None
    by = [why for why in ("status", "min-score", "min-confidence", "flagged") if summary.skipped[why]]
    if by == ["status"]:
        wanted = " or ".join(dict.fromkeys(statuses))
        reviewed = set(statuses) - {"auto", "flagged"}  # statuses that only a review gives
        advice = "review some beads first, or drop --status" if reviewed else "drop --status"
        return f"no bead has status {wanted}: {advice}"
    if by == ["min-score"]:
        return f"no bead scores {min_score:g} or more: lower --min-score, or drop it"
    if by == ["min-confidence"]:
        return (f"the aligner is less than {100 * min_confidence:g}% sure of every bead left: confirm them in the "
                f"review app (aligner review), lower --min-confidence, or drop it")
    if by == ["flagged"]:
        return ("every bead is flagged or touched by a flag: review the flags (dismissed ones do not count), or "
                "drop --exclude-flagged")
    if by:
        left_out = ", ".join(f"{summary.skipped[why]} by --{'exclude-flagged' if why == 'flagged' else why}"
                             for why in by)
        return f"the filters left every bead out ({left_out}): loosen them"
    return None
