"""Commands on plain files: align, eval, segment."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from ..align import AlignParams
from ..embed import DEFAULT_MODEL
from ..export import counted
from ..models import Alignment, Document
from . import cli


@contextlib.contextmanager
def removed_if_left_empty(db: Path):
    """Around a command that creates the project `db` when there is none: if the command fails, a project file it
    made is not left behind, empty (unless another command put something in it since)."""
    from ..errors import AlignerError

    new = not Path(db).exists()
    try:
        yield
    except (AlignerError, click.ClickException):
        if new and _holds_nothing(db):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        raise


def _holds_nothing(db: Path) -> bool:
    """The project file has no document, pair or run in it (or cannot be read as one)."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(Path(db).resolve().as_uri() + "?mode=ro", uri=True, timeout=5)) as con:
            return not any(con.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                           for table in ("documents", "pairs", "runs"))
    except sqlite3.Error:
        return False

def lang_code(ctx, param, value: str | None) -> str | None:
    """Click callback of the language options (langcheck.lang_code); a bad code is bad usage, caught here rather
    than as a language the model does not cover."""
    from ..langcheck import lang_code as normalise

    if value is None:
        return None
    try:
        return normalise(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def lang_option(flag, default, help="ISO 639-1 language code."):
    return click.option(flag, default=default, show_default=True, metavar="CODE", callback=lang_code, help=help)


@cli.command()
@click.argument("src", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("tgt", type=click.Path(dir_okay=False, path_type=Path))
@lang_option("--src-lang", "es")
@lang_option("--tgt-lang", "en")
@click.option("--model", default=DEFAULT_MODEL, show_default=True,
              help="Encoder: 'use-multilingual' (bundled) or 'st:<name or local path>'.")
@click.option("--presegmented", is_flag=True, help="Input is one sentence per line; ids are line numbers.")
@click.option("--format", "fmt", type=click.Choice(["table", "gold", "tsv", "json"]), default="table",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of standard output.")
@click.option("--max-side", type=click.IntRange(1, 4), default=AlignParams.max_side, show_default=True,
              help="Most sentences on one side of a bead.")
@click.option("--skip", type=float, default=AlignParams.skip, show_default=True,
              help="Score of leaving a sentence unaligned (added or dropped); lower makes them rarer.")
def align(src, tgt, src_lang, tgt_lang, model, presegmented, fmt, output, max_side, skip):
    """Align the sentences of SRC with those of TGT."""
    from ..embed import get_encoder
    from ..pipeline import align_documents
    from ..segment import has_sentence_splitter, load_document

    if output is not None and output.resolve() in {src.resolve(), tgt.resolve()}:
        raise click.BadParameter(f"{output} is the file being aligned; write the alignment to another file",
                                 param_hint="'-o' / '--output'")
    for lang in {src_lang, tgt_lang}:
        if not presegmented and not has_sentence_splitter(lang):
            click.echo(f"note: no sentence splitter for {lang!r}; using the English Punkt model", err=True)
    s = load_document(src, src_lang, presegmented)
    t = load_document(tgt, tgt_lang, presegmented)
    warn_language(s, t, model=model, presegmented=presegmented)
    params = AlignParams(max_side=max_side, skip=skip)
    alignment = align_documents(s, t, get_encoder(model), params)
    text = render(alignment, s, t, fmt)
    if output:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"{output}: cannot write ({exc.strerror or exc})") from None
        click.echo(f"wrote {counted(len(alignment), 'bead')} to {output}", err=True)
    elif fmt == "table":
        _print_table(alignment, s, t)
    else:
        sys.stdout.write(text)


def shown(text: str) -> str:
    """A text as the terminal tables print it: Rich markup escaped, direction controls marked (textio.mark_controls:
    applied, they reversed the words on screen)."""
    from rich.markup import escape

    from ..textio import mark_controls

    return escape(mark_controls(text))


def warn_language(*docs: Document, model: str | None = None, presegmented: bool = False) -> None:
    """A note on stderr for a document that looks written in another language than it is said to be (and, with the
    default `model`, when that model does not cover the language it looks written in), and for one whose longest
    sentence is no sentence (segment.unsplit_note); and when the card of `model` lists languages other than the
    documents' (embed.card_note)."""
    from ..embed import card_note, get_encoder
    from ..langcheck import likely_language, not_covered
    from ..segment import unsplit_note

    for doc in docs:
        if other := likely_language(doc.text, doc.lang):
            click.echo(f"warning: {doc.path} looks written in {other!r}, not {doc.lang!r} (--src-lang / "
                       f"--tgt-lang)" + (f"; {note}" if (note := not_covered(other, model)) else ""), err=True)
        if long := unsplit_note(doc, presegmented):
            click.echo(f"warning: {long}", err=True)
    if model and (note := card_note(get_encoder(model), *(doc.lang for doc in docs))):
        click.echo(f"warning: {note}", err=True)


def render(alignment: Alignment, src: Document, tgt: Document, fmt: str) -> str:
    """The alignment as text in one of the plain formats."""
    from ..evaluate import format_links
    from ..textio import join_sentences

    if fmt == "gold":
        return format_links(alignment.links())
    rows = [{
        "src_ids": list(b.src), "tgt_ids": list(b.tgt), "type": b.kind, "score": b.score,
        "src": join_sentences((src.sentences[i].text for i in b.src), src.lang),
        "tgt": join_sentences((tgt.sentences[j].text for j in b.tgt), tgt.lang), "confidence": b.confidence,
    } for b in alignment.beads]
    if fmt == "json":
        return json.dumps({"src": src.path, "tgt": tgt.path, "model": alignment.meta.get("model"),
                           "beads": rows}, ensure_ascii=False, indent=1) + "\n"
    if fmt == "tsv":
        def clean(x):
            return str(x).replace("\t", " ").replace("\n", " ")
        head = "src_ids\ttgt_ids\ttype\tscore\tsrc\ttgt\tconfidence\n"  # confidence last: added later
        return head + "".join(
            "\t".join(clean(v) for v in (" ".join(map(str, r["src_ids"])), " ".join(map(str, r["tgt_ids"])),
                                         r["type"], f"{r['score']:.3f}", r["src"], r["tgt"],
                                         f"{r['confidence']:.3f}")) + "\n"
            for r in rows)
    lines = []  # the table as plain text: bead number (from 1, as everywhere), type, score, sentence ids, texts
    for n, r in enumerate(rows, 1):
        ids = f"{','.join(map(str, r['src_ids'])) or '-'}/{','.join(map(str, r['tgt_ids'])) or '-'}"
        lines.append(f"{n:>4} {r['type']:>4} {r['score']:.2f} {ids:>9} | {r['src']} | {r['tgt']}")
    return "\n".join(lines) + "\n"


def _print_table(alignment: Alignment, src: Document, tgt: Document) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..textio import join_sentences

    table = Table(show_lines=False, expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column(escape(f"{src.lang}: {Path(src.path).name}"), ratio=1)
    table.add_column(escape(f"{tgt.lang}: {Path(tgt.path).name}"), ratio=1)
    for n, b in enumerate(alignment.beads, 1):  # numbered from 1, as show, the review app and the HTML report
        style = "yellow" if b.is_null else ("red" if b.score < 0.4 else "")
        table.add_row(str(n), b.kind, f"{b.score:.2f}" if not b.is_null else "-",
                      shown(join_sentences((src.sentences[i].text for i in b.src), src.lang)) or "[dim]—[/dim]",
                      shown(join_sentences((tgt.sentences[j].text for j in b.tgt), tgt.lang)) or "[dim]—[/dim]",
                      style=style)
    Console().print(table)


@cli.command("eval")
@click.argument("gold", type=click.Path(path_type=Path))
@click.argument("test", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def eval_cmd(gold, test, as_json):
    """Score TEST links against GOLD links (files, or folders of files paired by name)."""
    from ..evaluate import evaluate_paths

    s = evaluate_paths(gold, test, warn=lambda problem: click.echo(f"warning: {problem}", err=True))
    if as_json:
        click.echo(json.dumps(s.__dict__, indent=1))
        return
    click.echo(f"documents {s.docs}")
    click.echo(f"strict  P {s.strict_p:.3f}  R {s.strict_r:.3f}  F1 {s.strict_f1:.3f}")
    click.echo(f"lax     P {s.lax_p:.3f}  R {s.lax_r:.3f}  F1 {s.lax_f1:.3f}")
    click.echo(f"added   P {s.added_p:.3f}  R {s.added_r:.3f}")
    click.echo(f"dropped P {s.dropped_p:.3f}  R {s.dropped_r:.3f}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@lang_option("--lang", "es")
@click.option("--offsets", is_flag=True, help="Also show each sentence's character offsets (start-end) in the text "
                                               "as read: a BOM removed, Windows line endings counted as one "
                                               "character (\\n).")
def segment(file, lang, offsets):
    """Split FILE into sentences, one per line (id, paragraph, text)."""
    from ..segment import has_sentence_splitter, load_document

    if not has_sentence_splitter(lang):
        click.echo(f"note: no sentence splitter for {lang!r}; using the English Punkt model", err=True)
    doc = load_document(file, lang)
    for s in doc.sentences:
        if offsets:
            click.echo(f"{s.id}\t{s.paragraph}\t{s.start}-{s.end}\t{s.text}")
        else:
            click.echo(f"{s.id}\t{s.paragraph}\t{s.text}")
