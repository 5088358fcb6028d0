"""Orchestration: documents in, alignment out. The only place where the encoder meets the aligner."""

from __future__ import annotations

import time

import numpy as np

from .align import AlignParams, align_windows, wordless
from .align.driver import document_ratio
from .align.numbers import number_counts
from .embed import Encoder, check_language, get_encoder
from .errors import InputError
from .models import Alignment, Document


WINDOW_DTYPE = np.float16  # half the memory of float32; the same beads on the gold sets (bench/gold.py --variants)


def embed_document(encoder: Encoder, doc: Document, max_k: int) -> list[np.ndarray]:
    """Window vectors of a document: k = 1..max_k, float16 (n-k+1, d) each, as the store caches them, so that
    `aligner align` and `aligner align-all` see the same numbers."""
    return encoder.encode_windows(doc.texts, max_k, dtype=WINDOW_DTYPE)


def align_documents(src: Document, tgt: Document, encoder: Encoder | None = None,
                    params: AlignParams = AlignParams(), windows=None, length_ratio: float | None = None) -> Alignment:
    """Align two segmented documents with `encoder` (the default model when None).

    windows: optional precomputed (src_windows, tgt_windows), e.g. from the store's embedding cache;
    length_ratio: see align_windows (for a stretch of a pair: `length_ratio` of its whole documents).
    """
    for doc in (src, tgt):
        if len(doc) == 0:
            raise InputError(f"{doc.path}: no sentences to align")
    encoder = encoder or get_encoder()
    check_language(encoder, src.lang, src.path)
    check_language(encoder, tgt.lang, tgt.path)
    t0 = time.perf_counter()
    if windows is None:
        windows = (embed_document(encoder, src, params.max_side), embed_document(encoder, tgt, params.max_side))
    t1 = time.perf_counter()
    src_len = np.array([len(s.text) for s in src.sentences], np.float64)
    tgt_len = np.array([len(s.text) for s in tgt.sentences], np.float64)
    src_par = np.array([s.paragraph for s in src.sentences], np.int64)
    tgt_par = np.array([s.paragraph for s in tgt.sentences], np.int64)
    alignment = align_windows(windows[0], windows[1], src_len, tgt_len, params, src_par, tgt_par,
                              number_counts(src.texts), number_counts(tgt.texts), length_ratio,
                              wordless(src.texts), wordless(tgt.texts))
    t2 = time.perf_counter()
    alignment.meta.update(model=encoder.name, embed_s=round(t1 - t0, 3), align_s=round(t2 - t1, 3))
    return alignment


def length_ratio(src: Document, tgt: Document) -> float:
    """The target's length in characters over the source's, as the aligner expects of a bead of these documents."""
    return document_ratio([len(s.text) for s in src.sentences], [len(s.text) for s in tgt.sentences])
