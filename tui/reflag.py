"""Flags derived again after a review edit, from the sentence vectors the store already caches: an edit that turns a
sentence into an added passage must show up as an 'added' flag, and a merge that pairs a passage off must clear its
flag. No model is loaded here: when the cache lacks vectors the editor is told, and `aligner flags NAME --recompute`
fills it. No Textual either; the app runs these in a thread worker.
"""

from __future__ import annotations

import numpy as np

from aligner.embed import DEFAULT_MODEL
from aligner.errors import AlignerError
from aligner.export import IMPORTED_MODEL
from aligner.flags import rederive as flags_again
from aligner.models import Alignment, Document
from aligner.store import Store

Vectors = tuple[np.ndarray, np.ndarray]


class VectorsMissing(AlignerError):
    """The embedding cache lacks sentence vectors of the pair's model, so its flags cannot be derived again."""


def cached_vectors(store: Store, name: str, src: Document, tgt: Document) -> Vectors:
    """The pair's sentence vectors (k=1 windows of the model that aligned it) from the embedding cache:
    float32 (n_src, d) and (n_tgt, d). Raises VectorsMissing, with what to run, when any is not cached."""
    info = store.pair(name)
    model = info.model or ""
    if model == IMPORTED_MODEL:  # no model aligned it: `aligner flags` derives its flags with the default one
        model = DEFAULT_MODEL
    out, missing = [], 0
    for doc_id, doc in ((info.run_src_doc, src), (info.run_tgt_doc, tgt)):  # the versions it aligned
        hashes = store.sentence_hashes(doc_id)
        if len(hashes) != len(doc):
            raise VectorsMissing(f"{name}: its documents changed since it was opened; reopen it")
        vectors, found = store.cached_windows(model, 1, hashes)
        missing += int((~found).sum())
        out.append(vectors)
    if missing:
        raise VectorsMissing(f"flags not refreshed: {missing} sentence vectors of model {model or '?'} are not "
                             f"cached (run `aligner flags {name} --recompute`, then reopen the pair)")
    return out[0], out[1]


def rederive(previous: list[dict], alignment: Alignment, src: Document, tgt: Document, vectors: Vectors) -> list[dict]:
    """The flags to save for `alignment` (aligner.flags.rederive: the flagger's derived again, review statuses
    and the editor's own flags kept). previous: the pair's flag records (tui.session.PairSession.flags)."""
    try:
        return flags_again(previous, alignment, src, tgt, *vectors, after_edit=True)
    except ValueError as exc:
        raise AlignerError(f"flags not refreshed: {exc}") from None
