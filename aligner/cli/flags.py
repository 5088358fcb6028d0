"""`aligner flags`: the adaptation flags of a pair in the project store, or of two plain files; optionally as an
HTML report. `pair_flags` and `write_pair_report` are what `aligner report NAME --html FILE` calls."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..embed import DEFAULT_MODEL
from ..export import IMPORTED_MODEL, counted
from . import cli
from .core import lang_option, warn_language

TYPE_CHOICES = ("added", "dropped", "moved", "divergent", "furniture")
STATUS_CHOICES = ("open", "accepted", "confirmed", "dismissed")  # accepted: the word of the review app and of this listing


def pair_flags(store, name: str, recompute: bool = False, model: str | None = None) -> tuple[list, dict[int, str]]:
    """The flags of pair `name` as they show: the flagger's and the editor's own that show (on beads still
    flagged: a cleared one keeps its record, for undo), in saved order, and {index: stored key} of the editor's.

    The flagger's come from the store; they are derived and saved when it has none (or `recompute`), from the
    current alignment (review edits included) and its cached sentence vectors, keeping review statuses and the
    editor's flags. Derived with `model` on `recompute`, else with the model that aligned the pair; a pair
    imported from a TMX file has none, so `model` (default: the default encoder) embeds it, and stderr says so."""
    from ..batch import embed_cached
    from ..embed import get_encoder
    from ..flags import Flag, rederive
    from ..store import is_editor, is_kept, visible_flags
    from .project import not_aligned, warn_if_stale

    info = store.pair(name)
    if info.run_id is None:
        raise click.ClickException(not_aligned(store, info))
    warn_if_stale(info)
    alignment = store.alignment(name)
    records = store.flag_records(name)
    if recompute or not any(not is_kept(r) for r in records):
        src, tgt = store.documents_for(name)
        encoder = get_encoder(model if recompute and model else _flags_model(info, model or DEFAULT_MODEL))
        (sv, *_), new_s, _ = embed_cached(store, encoder, src.texts, 1)
        (tv, *_), new_t, _ = embed_cached(store, encoder, tgt.texts, 1)
        derived = rederive(records, alignment, src, tgt, sv, tv)
        if store.readonly:  # a project that can only be read: derived for this listing, not kept
            records = [{**f, "key": f.get("key") or Flag.from_dict(f).key, "status": f.get("status", "open")}
                       for f in derived]
        else:
            for k, hashes, vectors in new_s + new_t:
                store.store_windows(encoder.name, k, hashes, vectors)
            store.save_flags(name, derived)
            records = store.flag_records(name)
    kept = visible_flags(records, alignment.beads)
    return [Flag.from_dict(r) for r in kept], {n: r["key"] for n, r in enumerate(kept) if is_editor(r)}


def _flags_model(info, fallback: str) -> str:
    """The encoder of the flags of pair `info` (a PairInfo): the one that aligned it, or `fallback` for an
    imported pair."""
    name, stored = info.name, info.model
    if stored and stored != IMPORTED_MODEL:
        return stored
    if stored:
        click.echo(f"note: {name} was imported ({stored}), not aligned by a model: deriving its flags with "
                   f"{fallback!r}", err=True)
    return fallback


def write_pair_report(store, name: str, path: Path) -> Path:
    """Write the HTML report of pair `name` (flags derived first if the store has none)."""
    from ..report_html import write_html

    store.guard_output(path)
    flags, editor = pair_flags(store, name)
    src, tgt = store.documents_for(name)
    return write_html(path, store.alignment(name), src, tgt, flags, name, editor, store.pair(name).stale_note())


def flags_for_files(src_path: Path, tgt_path: Path, src_lang: str, tgt_lang: str, model: str,
                    presegmented: bool):
    """Segment, embed once, align and flag two plain files: (alignment, src, tgt, flags)."""
    from ..align import AlignParams
    from ..embed import get_encoder
    from ..flags import derive_flags
    from ..pipeline import align_documents, embed_document
    from ..segment import load_document

    src = load_document(src_path, src_lang, presegmented)
    tgt = load_document(tgt_path, tgt_lang, presegmented)
    warn_language(src, tgt, model=model, presegmented=presegmented)
    encoder = get_encoder(model)
    params = AlignParams()
    windows = (embed_document(encoder, src, params.max_side), embed_document(encoder, tgt, params.max_side))
    alignment = align_documents(src, tgt, encoder, params, windows=windows)
    return alignment, src, tgt, derive_flags(alignment, src, tgt, windows[0][0], windows[1][0])


@cli.command("flags")
@click.argument("name", required=False)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default="aligner.db", envvar="ALIGNER_DB",
              show_default=True, show_envvar=True, help="The project database.")
@click.option("--src", "src_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Instead of a stored pair: the source file ...")
@click.option("--tgt", "tgt_file", type=click.Path(dir_okay=False, path_type=Path), help="... and the target file.")
@lang_option("--src-lang", "es", help="With --src: its language.")
@lang_option("--tgt-lang", "en", help="With --tgt: its language.")
@click.option("--presegmented", is_flag=True, help="With --src/--tgt: one sentence per line.")
@click.option("--model", help="Encoder: with --src/--tgt, for a pair imported from TMX, or with --recompute to "
                                "derive the flags with another model than the pair's own [default: the pair's "
                                f"own model; {DEFAULT_MODEL} for files or an imported pair].")
@click.option("--type", "types", multiple=True, type=click.Choice(TYPE_CHOICES), help="Only these types (repeat).")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUS_CHOICES),
              help="Only flags in this review status (repeat; accepted and confirmed are the same); default: all.")
@click.option("--by-score", is_flag=True, help="Strongest evidence first instead of reading order.")
@click.option("--recompute", is_flag=True, help="Derive the flags again from the pair's current alignment "
                                                 "(after review edits); statuses of unchanged flags are kept.")
@click.option("--json", "as_json", is_flag=True, help="Print the flags as JSON lines.")
@click.option("--html", "html", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML report here.")
def flags_cmd(name, db, src_file, tgt_file, src_lang, tgt_lang, presegmented, model, types, statuses, by_score,
              recompute, as_json, html):
    """What the adaptation added, dropped, moved or changed in pair NAME (or in --src/--tgt files), and the web
    furniture present on one side only."""
    if (src_file is None) != (tgt_file is None):
        raise click.UsageError("give both --src and --tgt, or a pair NAME")
    if bool(name) == bool(src_file):
        raise click.UsageError("give a pair NAME, or --src and --tgt files" + (" (not both)" if name else ""))
    if src_file:
        alignment, src, tgt, flags = flags_for_files(src_file, tgt_file, src_lang, tgt_lang, model or DEFAULT_MODEL,
                                                     presegmented)
        editor, note = {}, ""
        title = f"{src_file.name} → {tgt_file.name}"
    else:
        if not db.exists():
            raise click.ClickException(f"{db}: no project database here (use --db, or `aligner add` first)")
        from ..store import Store

        with Store.open(db, create=False) as store:
            if html:
                store.guard_output(html)
            flags, editor = pair_flags(store, name, recompute, model)
            src, tgt = store.documents_for(name)
            alignment = store.alignment(name)
            note = store.pair(name).stale_note()
        title = name
    _print(flags, editor, src, tgt, alignment, types, statuses, by_score, as_json)
    if html:
        from ..report_html import write_html

        if types or statuses:  # the page is the pair's whole report; said, or it reads as the filtered list
            click.echo(f"note: {html} holds every flag; --type and --status chose this list only", err=True)
        try:
            write_html(html, alignment, src, tgt, flags, title, editor, note)
        except OSError as exc:
            raise click.ClickException(f"{html}: cannot write ({exc.strerror or exc})") from None
        click.echo(f"wrote {html}", err=True)


def _print(flags, editor, src, tgt, alignment, types, statuses, by_score, as_json) -> None:
    """List `flags`; editor: {index into flags: stored key} of the editor's own flags, marked [editor] (their
    stored key in JSON)."""
    from ..flags import FlagStatus, reading_order, summarize
    from ..textio import mark_controls

    wanted = {"confirmed" if s == "accepted" else s for s in statuses}  # accepted: the app's word
    shown = [k for k, f in enumerate(flags)
             if (not types or f.type.value in types) and (not statuses or f.status.value in wanted)]
    # the store keeps flags in the order they were saved: editors' flags and flags re-derived after an edit
    # come last there, but are listed where they stand in the text
    order = reading_order(alignment)
    # each flag keeps its number in reading order (the full list's, and the HTML page's "#3"), filtered or not
    number = {k: n for n, k in enumerate(sorted(range(len(flags)), key=lambda k: order(flags[k])), 1)}
    shown.sort(key=(lambda k: (-flags[k].confidence, -flags[k].score)) if by_score else lambda k: order(flags[k]))
    if as_json:
        for k in shown:
            d = flags[k].to_dict()
            click.echo(json.dumps({**d, "key": editor[k]} if k in editor else d, ensure_ascii=False))
        return
    for k in shown:
        f, n = flags[k], number[k]
        where = " -> ".join(x for x in (f"src {f.src.label()}" if f.src else "",
                                        f"tgt {f.tgt.label()}" if f.tgt else "") if x)
        status = " [editor]" if k in editor else "" if f.status.value == "open" else f" [{f.status.word}]"
        click.echo(f"{n:>3} {f.type.value:<9} {where:<22} conf {f.confidence:.2f}{status}  {mark_controls(f.note)}")
    s = summarize(flags, src, tgt)
    counts = ", ".join(f"{v} {k}" for k, v in s.counts.items())
    dismissed = sum(f.status is FlagStatus.DISMISSED for f in flags)
    # the counts and words leave dismissed flags out (as the HTML report's summary): said, so that they add up
    click.echo(f"{len(shown)} of {counted(len(flags), 'flag')} ({f'{dismissed} dismissed; the others: ' if dismissed else ''}"
               f"{counts}); words added {s.words_added}, dropped {s.words_dropped}, moved {s.words_moved}, "
               f"furniture {s.words_furniture}")
