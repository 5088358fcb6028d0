"""The app's slow jobs as plain functions for its thread workers: import, align, re-align a stretch, export.

Each reports through `post(done, total, what)` and ends with `post.finish(error)`; none touches a widget. Jobs
that write open their own Store (the batch code does), so the app's connection is never held by a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

from aligner.align import AlignParams
from aligner.embed import Encoder
from aligner.errors import AlignerError
from aligner.models import Alignment, Document

EncoderFactory = Callable[[], Encoder]


def _batch_progress(post):
    def on_event(e) -> None:
        what = f"{e.pair or 'starting'} ({e.done_pairs}/{e.total_pairs} pairs)"
        post(e.done_sentences, max(e.total_sentences, 1), what)
    return on_event


def _failures(summary) -> str | None:
    said = [f"{name}: {error.splitlines()[0]}" for name, error in summary.failed]
    said += [f"{', '.join(pairs)}: the model that aligned them, {model}, cannot be loaded now ({why})"
             for model, pairs, why in summary.blocked]
    said += [summary.fatal] if summary.fatal else []
    return "; ".join(said) or None


def import_corpus(db: Path, corpus: Path, post, encoder_factory: EncoderFactory | None = None,
                  model: str | None = None) -> None:
    """Import the corpus folder into a new project at `db`, then align every pair (with `model`, by default the
    default encoder)."""
    from aligner.batch import align_all
    from aligner.batch import import_corpus as batch_import
    from aligner.cli.core import removed_if_left_empty
    from aligner.store import Store

    try:
        post(0, 1, "importing documents")
        with removed_if_left_empty(db):  # no pairs found: no empty project left behind
            with Store.open(db) as store:
                report = batch_import(store, corpus)
            if not (report.added or report.changed or report.unchanged):
                raise AlignerError(f"{corpus}: no document pairs found (expected {corpus}/es/ and {corpus}/en/)")
        summary = align_all(db, model=model, progress=_batch_progress(post), encoder_factory=encoder_factory,
                            jobs=1 if encoder_factory else None)
    except AlignerError as exc:
        post.finish(str(exc))
        return
    post.finish(_failures(summary), _said(report.warnings(corpus), f"`aligner add {corpus}` lists them all"))


def _said(lines: list[str], more: str, most: int = 5) -> str:
    """Up to `most` lines of warnings for a notice, and how many more there are (the import's files left unpaired
    or not read were said nowhere in the app)."""
    if len(lines) <= most:
        return "\n".join(lines)
    return "\n".join([*lines[:most], f"... and {len(lines) - most} more ({more})"])


def align_pair(db: Path, name: str, post, encoder_factory: EncoderFactory | None = None,
               model: str | None = None) -> None:
    """(Re)align one pair from scratch, with `model` (None: the pair's own); confirmed beads are carried over by
    the store where they still fit."""
    from aligner.batch import align_all

    try:  # the pair's own model, --max-side and --skip, kept (align_all's default)
        summary = align_all(db, model=model, force=True, names=[name], progress=_batch_progress(post),
                            encoder_factory=encoder_factory, jobs=1)
    except AlignerError as exc:
        post.finish(str(exc))
        return
    kept = "; ".join(f"review work kept on {k} of the {n} beads you confirmed, flagged or edited"
                     for _, k, n in summary.review)
    note = f"{name}: aligned" + (f"; {kept}" if kept else "")
    if summary.review:  # a new run starts a new edit log
        note += "; the edits before it can no longer be undone"
    post.finish(_failures(summary), note)


def stretch_aligner(store, encoder: Encoder, params: dict | None, whole: tuple[Document, Document]
                    ) -> Callable[[Document, Document], Alignment]:
    """An align function for aligner.edits.realign: the pair's own parameters, the store's embedding cache, and
    the length ratio of the `whole` (source, target) documents, as the pair's own alignment had (a stretch's own
    ratio, an added passage and all, made the aligner glue lines of web furniture to the sentence before them)."""
    from aligner.batch import embed_cached
    from aligner.pipeline import align_documents, length_ratio

    known = {f.name for f in fields(AlignParams)}
    p = AlignParams(**{k: v for k, v in (params or {}).items() if k in known})
    ratio = length_ratio(*whole)

    def align(src: Document, tgt: Document) -> Alignment:
        ws = embed_cached(store, encoder, src.texts, p.max_side)[0]
        wt = embed_cached(store, encoder, tgt.texts, p.max_side)[0]
        return align_documents(src, tgt, encoder, p, windows=(ws, wt), length_ratio=ratio)

    return align


def unaligned_reason(info) -> str:
    """Why pair `info` has no alignment, in the app's words: its failure (with the file to fix, as the project
    screen reads it) or that it is new; `a` on the project screen aligns it."""
    if info.error:
        return f"{info.name}: alignment failed: {info.error}"
    return f"{info.name}: not aligned yet; `a` on the project screen aligns it"


def export_tmx(db: Path, name: str | None, path: Path, post) -> None:
    """Write one pair (or every pair) to a TMX file; one-sided beads are left out, as in `aligner export`. As in
    `aligner export`, a named pair without an alignment is an error, and so is a project with no aligned pair
    (nothing is written); the whole project's export leaves the unaligned pairs out and says which."""
    from aligner.export import export_file
    from aligner.store import Store

    try:
        with Store.open(db, readonly=True) as store:
            pairs = store.pairs([name] if name else None)
            if not pairs:
                raise AlignerError("nothing to export: the project has no pairs")
            aligned = [p for p in pairs if p.run_id is not None]
            left_out = [p for p in pairs if p.run_id is None]
            if name and left_out:
                raise AlignerError(f"nothing written: {unaligned_reason(left_out[0])}")
            if not aligned:
                raise AlignerError("nothing written: no pair of the project is aligned; `a` on the project "
                                   "screen aligns the selected pair")
            store.guard_output(path)
            summary = export_file(store.iter_beads([name] if name else None, moved=True), path, "tmx",
                                  src_lang=pairs[0].src_lang, tgt_lang=pairs[0].tgt_lang)
    except AlignerError as exc:
        post.finish(f"export failed: {exc}")
        return
    except OSError as exc:  # said without the error number and the temporary file's name
        post.finish(f"export failed: cannot write {path} ({exc.strerror or exc})")
        return
    if left_out:
        names = ", ".join(p.name for p in left_out[:5]) + (f" and {len(left_out) - 5} more" if len(left_out) > 5
                                                             else "")
        post.finish(None, f"{summary.lines()[0]}\nleft out, not aligned: {names}")
        return
    post.finish(None, summary.lines()[0])
