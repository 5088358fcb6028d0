"""The aligner's driver: a coarse 1-1 path narrows the search to a band, then the full DP runs inside it.

Linear in document length: the coarse path itself comes from a recursion on pooled vectors when the documents
are too long for a full similarity matrix, and every later step only touches the band.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..models import Alignment, Bead
from . import dp
from .band import Band, band_around_path, full_band, upsample_path
from .moves import Move, pair_moves
from .numbers import NumberWindows, mismatches
from .posterior import path_confidence
from .score import neighbour_sims, part_sims, window_lengths, window_sims

FULL_CELLS = 2_000_000  # documents up to about 1,400 x 1,400 sentences get an exact first pass


@dataclass(frozen=True)
class AlignParams:
    """Every knob of the aligner, with its default. See README 'How the aligner scores beads'."""

    max_side: int = 4          # most sentences on one side of a bead
    max_total: int = 5         # most sentences in a bead, both sides together
    skip: float = -0.1         # score of a 1-0 or 0-1 bead (per sentence left unaligned)
    tau: float = 0.1           # similarity a bead must beat to earn a positive score (a per-bead cost)
    gamma: float = 0.0         # weight of bead size: score = ((a+b)/2)**gamma * (sim - tau)
    merge_penalty: float = 0.0  # subtracted per sentence beyond the first on each side
    len_weight: float = 0.5    # weight of the squared log length ratio
    len_mult: bool = False     # multiply the similarity by log2(1 + short/long) of the character lengths
    margin: float = 0.0        # weight of the margin (subtract the mean of each side's k best 1-1 scores)
    margin_k: int = 4
    neighbour_margin: float = 0.0  # weight of Bertalign's margin (subtract the similarity of each side's window
                                   # with the sentences beside the bead on the other side); its baseline uses 1
    part_weight: float = 0.3   # weight of the penalty for a bead sentence unrelated to the other side
    part_floor: float = 0.2    # part similarity below which that penalty starts
    width: int = 8             # half-width, in sentences, of the band around the first-pass path
    para_penalty: float = 0.2  # per side on which a bead's sentences span a paragraph break (when paragraphs
                               # are known: plain text, not one-sentence-per-line input)
    number_weight: float = 0.05  # per number (two or more digits) of a bead without a partner on its other side
                                 # (when the sentences' numbers are given)

    def to_dict(self) -> dict:
        return asdict(self)


def first_pass_path(src: np.ndarray, tgt: np.ndarray, skip: float = -0.1, width: int = 8) -> np.ndarray:
    """A monotone 1-1 path through the sentence similarity lattice: int64 (p, 2) points (i, j).

    src: float32 (n, d), tgt: float32 (m, d), L2-normalised. Exact on a full lattice for small documents;
    otherwise the path of the documents pooled two sentences at a time, refined inside a band around it.
    """
    n, m = len(src), len(tgt)
    if (n + 1) * (m + 1) <= FULL_CELLS or min(n, m) < 4:
        band = full_band(n, m)
    else:
        coarse = first_pass_path(_pool(src), _pool(tgt), skip, width)
        band = band_around_path(upsample_path(coarse, 2, 2, n, m), n, m, width)
    moves = [Move.ONE_ONE]
    sims = window_sims(band, moves, [src], [tgt])
    D, back = dp.fill(band, moves, sims, np.full(n, skip, np.float32), np.full(m, skip, np.float32))
    steps = dp.traceback(band, moves, back)
    return np.array([(0, 0)] + [(i, j) for i, j, _ in steps], np.int64)


def _pool(v: np.ndarray) -> np.ndarray:
    """Mean of consecutive pairs of rows, re-normalised: float32 (ceil(n/2), d)."""
    v = np.asarray(v, np.float32)
    if len(v) % 2:
        v = np.vstack([v, v[-1:]])
    p = v[0::2] + v[1::2]
    return p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)


def bead_scores(band: Band, moves: list[Move], sims: np.ndarray, src_len: np.ndarray, tgt_len: np.ndarray,
                p: AlignParams, parts: np.ndarray | None = None, src_par: np.ndarray | None = None,
                tgt_par: np.ndarray | None = None, src_num: NumberWindows | None = None,
                tgt_num: NumberWindows | None = None, neighbours: np.ndarray | None = None,
                length_ratio: float | None = None) -> np.ndarray:
    """DP scores of every pair bead in the band from its window similarity: float32 (len(moves), cells).

    src_par: int (n,), tgt_par: int (m,) paragraph of each sentence, or None when unknown; src_num, tgt_num:
    the documents' number counts (numbers.NumberWindows), or None when unknown; neighbours: score.neighbour_sims,
    for params.neighbour_margin; length_ratio: the target's length over the source's that the length penalty
    expects (default: the ratio of these two documents' lengths).
    Worked out one move (one row) at a time, so the temporaries are the size of one row, not of the band.
    """
    score = sims.astype(np.float32)  # a copy
    if p.margin:
        score -= p.margin * _margins(band, moves, sims, p.margin_k)
    if p.neighbour_margin and neighbours is not None:
        score -= p.neighbour_margin * neighbours
    paras = p.para_penalty and (src_par is not None or tgt_par is not None)
    nums = p.number_weight and src_num is not None and tgt_num is not None
    rows, cols = band.cell_rows(), band.cell_cols()
    if p.len_weight or p.len_mult:
        ratio = document_ratio(src_len, tgt_len) if length_ratio is None else length_ratio
        src_w, tgt_w = window_lengths(src_len, p.max_side), window_lengths(tgt_len, p.max_side)
    if paras:
        src_span, tgt_span = _spans(src_par, len(src_len), p.max_side), _spans(tgt_par, len(tgt_len), p.max_side)
    for k, mv in enumerate(moves):
        row = score[k]
        if paras and (mv.src > 1 or mv.tgt > 1):
            _, S, T = _per_cell(rows, cols, mv, src_span, tgt_span, np.float32)
            row -= p.para_penalty * (S + T)
        if p.len_weight or p.len_mult:
            ok, S, T = _per_cell(rows, cols, mv, src_w, tgt_w, np.float64)
            if p.len_mult:
                short, long_ = np.minimum(T, ratio * S), np.maximum(T, ratio * S)
                mult = np.log2(1.0 + short / np.maximum(long_, 1.0))
                mult[~ok] = 1.0  # no bead there (its score is -inf): keep it so, not -inf * 0
                row *= mult.astype(np.float32)
            if p.len_weight:
                row -= (p.len_weight * np.log((T + 20.0) / (ratio * S + 20.0)) ** 2).astype(np.float32)
        if parts is not None and p.part_weight:
            row -= p.part_weight * np.maximum(p.part_floor - parts[k], 0.0)
        if nums:
            ok = (rows >= mv.src) & (cols >= mv.tgt)
            row[ok] -= p.number_weight * mismatches(src_num, tgt_num, rows[ok] - mv.src, cols[ok] - mv.tgt,
                                                    mv.src, mv.tgt)
        size = (mv.src + mv.tgt) / 2.0
        row -= p.tau
        row *= size ** p.gamma
        row -= p.merge_penalty * (mv.src + mv.tgt - 2)
        row[~np.isfinite(sims[k])] = -np.inf
    return score


def document_ratio(src_len: np.ndarray, tgt_len: np.ndarray) -> float:
    """The target's length over the source's (sentence lengths in characters): what the length penalty expects of
    a bead by default."""
    return max(float(np.sum(tgt_len)), 1.0) / max(float(np.sum(src_len)), 1.0)


def _per_cell(rows: np.ndarray, cols: np.ndarray, mv: Move, src_vals: list[np.ndarray],
              tgt_vals: list[np.ndarray], dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per band cell, the source and target window values (src_vals[k-1]: one per window of k sentences) of the
    bead of move `mv` ending there: (ok, S, T), zero where the bead would start before the documents (~ok; its
    similarity is -inf there)."""
    si, tj = rows - mv.src, cols - mv.tgt
    ok = (si >= 0) & (tj >= 0)
    S = np.zeros(len(rows), dtype)
    T = np.zeros(len(rows), dtype)
    S[ok] = src_vals[mv.src - 1][si[ok]]
    T[ok] = tgt_vals[mv.tgt - 1][tj[ok]]
    return ok, S, T


def _spans(par: np.ndarray | None, n: int, max_k: int) -> list[np.ndarray]:
    """spans[k-1][s]: the window of k sentences from s spans a paragraph break (never, when par is None)."""
    if par is None:
        return [np.zeros(max(n - k + 1, 0), bool) for k in range(1, max_k + 1)]
    par = np.asarray(par)
    return [par[k - 1:] != par[:len(par) - k + 1] for k in range(1, max_k + 1)]


def _margins(band: Band, moves: list[Move], sims: np.ndarray, k: int) -> np.ndarray:
    """Half the sum of the mean of the k best 1-1 similarities of each sentence in a bead, per cell."""
    k1 = moves.index(Move.ONE_ONE)
    one = sims[k1]
    n, m = band.n, band.m
    rows, cols = band.cell_rows(), band.cell_cols()
    ok = np.isfinite(one) & (rows > 0) & (cols > 0)
    src_knn = _knn_mean(rows[ok] - 1, one[ok], n, k)
    tgt_knn = _knn_mean(cols[ok] - 1, one[ok], m, k)
    out = np.zeros_like(sims)
    sc = np.concatenate([[0.0], np.cumsum(src_knn)])
    tc = np.concatenate([[0.0], np.cumsum(tgt_knn)])
    for k, mv in enumerate(moves):
        i0 = np.clip(rows - mv.src, 0, n)
        j0 = np.clip(cols - mv.tgt, 0, m)
        s = (sc[rows] - sc[i0]) / mv.src
        t = (tc[cols] - tc[j0]) / mv.tgt
        out[k] = 0.5 * (s + t)
    return out


def _knn_mean(keys: np.ndarray, vals: np.ndarray, size: int, k: int) -> np.ndarray:
    """Mean of the k largest `vals` per key: float64 (size,)."""
    order = np.lexsort((-vals, keys))
    keys, vals = keys[order], vals[order]
    starts = np.searchsorted(keys, np.arange(size))
    rank = np.arange(len(keys)) - starts[keys]
    top = rank < k
    total = np.bincount(keys[top], weights=vals[top], minlength=size)
    count = np.bincount(keys[top], minlength=size)
    return total / np.maximum(count, 1)


_controller = None


def _single_threaded_blas():
    """The band products are many small matrix products: one BLAS thread runs them far faster than several
    (measured 0.2 ms vs 17 ms for a 64x512 by 512x80 product on a busy 2-core machine)."""
    global _controller
    try:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        return _controller.limit(limits=1, user_api="blas")
    except ImportError:
        import contextlib

        return contextlib.nullcontext()


def align_windows(src_win: list[np.ndarray], tgt_win: list[np.ndarray], src_len: np.ndarray,
                  tgt_len: np.ndarray, params: AlignParams = AlignParams(), src_par: np.ndarray | None = None,
                  tgt_par: np.ndarray | None = None, src_num: np.ndarray | None = None,
                  tgt_num: np.ndarray | None = None, length_ratio: float | None = None,
                  src_free: np.ndarray | None = None, tgt_free: np.ndarray | None = None) -> Alignment:
    """Align two documents given their window vectors and sentence lengths in characters.

    src_win[k-1]: float32 or float16 (n-k+1, d) vectors of k consecutive source sentences, k = 1..max_side;
    tgt_win likewise; src_len: (n,) and tgt_len: (m,) character counts; src_par, tgt_par: optional int (n,) and
    (m,) paragraph of each sentence (beads that span a paragraph break then cost `params.para_penalty`);
    src_num, tgt_num: optional float32 (n, numbers.DIM) and (m, numbers.DIM) number counts of each sentence
    (numbers.number_counts; a bead's numbers without a partner then cost `params.number_weight` each);
    length_ratio: the target's length over the source's that a bead is expected to have (default: that of these
    two documents; a stretch re-aligned inside a pair gives its whole documents', since a stretch holding an added
    passage has a ratio no bead of it should follow); src_free, tgt_free: optional bool (n,) and (m,), the
    sentences that stand alone for nothing (`wordless`: lines with no word in them), as blank lines do.
    """
    with _single_threaded_blas():
        return _align_windows(src_win, tgt_win, src_len, tgt_len, params, src_par, tgt_par, src_num, tgt_num,
                              length_ratio, src_free, tgt_free)


_WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row, in any script


def wordless(texts: Sequence[str]) -> np.ndarray:
    """bool (n,): the sentences with text but no word in it (no two letters in a row): OCR debris ("- _-",
    "….."), rules and ornaments ("* * *"), lone marks and figures. Such a line translates nothing: it stands
    alone for nothing, as a blank line does, instead of being glued to a neighbour's bead (Text+Berg dev strict
    F1 0.889 -> 0.893, test 0.907 -> 0.910, TransRead unchanged)."""
    return np.array([bool(t.strip()) and _WORD.search(t) is None for t in texts], bool)


def _informative(par: np.ndarray | None) -> np.ndarray | None:
    """Paragraph ids that say something: a side whose paragraphs hold fewer than 1.5 sentences on average breaks
    after nearly every sentence (one-line web paragraphs, a list), and its breaks are no anchors."""
    if par is None or len(par) == 0:
        return None
    par = np.asarray(par)
    breaks = int(np.count_nonzero(par[1:] != par[:-1]))
    return par if len(par) >= 1.5 * (breaks + 1) else None


ALIGNED_NONZERO = 0.0001  # the score of an aligned pair whose similarity rounds to 0.0
SMALL_WINDOWS = 8_000_000  # floats: below this, float16 windows become float32 once, not chunk by chunk per move


def _upcast_small(win: list[np.ndarray]) -> list[np.ndarray]:
    """float16 windows of a short document as float32: 32 MB at most, and the band products no longer convert
    the same rows once per move (a fifth of the alignment time of a 500-sentence pair)."""
    if sum(w.size for w in win) > SMALL_WINDOWS:
        return win
    return [np.asarray(w, np.float32) for w in win]


def _blank_out(win: list[np.ndarray], lengths) -> list[np.ndarray]:
    """The windows with those made only of empty sentences (the blank lines of pre-segmented input) set to zero:
    an encoder gives every empty text the same vector, and two blank lines matched at similarity 1.0 pulled the
    alignment apart around them."""
    full = np.cumsum(np.concatenate([[0], np.asarray(lengths) > 0]))  # non-empty sentences before each position
    if full[-1] == len(lengths):
        return win
    out = []
    for k, w in enumerate(win, 1):
        blank = np.flatnonzero(full[k:] - full[:-k] == 0)
        if len(blank):
            w = np.array(w, copy=True)
            w[blank] = 0
        out.append(w)
    return out


def _align_windows(src_win, tgt_win, src_len, tgt_len, params, src_par=None, tgt_par=None, src_num=None,
                   tgt_num=None, length_ratio=None, src_free=None, tgt_free=None):
    src_par, tgt_par = _informative(src_par), _informative(tgt_par)
    n, m = len(src_win[0]), len(tgt_win[0])
    if n == 0 or m == 0:
        beads = [Bead((i,), (), confidence=1.0) for i in range(n)] + \
            [Bead((), (j,), confidence=1.0) for j in range(m)]
        return Alignment(tuple(beads), n, m, meta={"params": params.to_dict()})
    moves = pair_moves(params.max_side, params.max_total)
    src_win, tgt_win = _blank_out(src_win, src_len), _blank_out(tgt_win, tgt_len)
    src_win, tgt_win = _upcast_small(src_win), _upcast_small(tgt_win)
    path = first_pass_path(src_win[0], tgt_win[0], params.skip, params.width)
    band = band_around_path(path, n, m, params.width)
    sims = window_sims(band, moves, src_win, tgt_win)
    parts = part_sims(band, moves, src_win, tgt_win) if params.part_weight else None
    numbers = (NumberWindows(src_num), NumberWindows(tgt_num)) if src_num is not None and tgt_num is not None \
        else (None, None)
    neighbours = neighbour_sims(band, moves, src_win, tgt_win) if params.neighbour_margin else None
    score = bead_scores(band, moves, sims, np.asarray(src_len, np.float64), np.asarray(tgt_len, np.float64),
                        params, parts, src_par, tgt_par, *numbers, neighbours=neighbours, length_ratio=length_ratio)
    dels, ins = np.full(n, params.skip, np.float32), np.full(m, params.skip, np.float32)
    dels[np.asarray(src_len) == 0] = 0.0  # a blank line stands alone, for nothing; so does a line with no word
    ins[np.asarray(tgt_len) == 0] = 0.0
    if src_free is not None:
        dels[np.asarray(src_free, bool)] = 0.0
    if tgt_free is not None:
        ins[np.asarray(tgt_free, bool)] = 0.0
    D, back = dp.fill(band, moves, score, dels, ins)
    steps = dp.traceback(band, moves, back)
    confidence = path_confidence(band, moves, score, dels, ins, steps)
    everything = dp.all_moves(moves)
    beads = []
    offs = band.offs
    for (i, j, k), c in zip(steps, confidence):
        mv = everything[k]
        sim = round(float(sims[k, offs[i] + j - band.lo[i]]), 4) if k < len(moves) else 0.0
        if k < len(moves) and sim == 0.0:
            sim = ALIGNED_NONZERO  # 0.0 marks a pair an editor made (edits.unconfirm tells them apart by it)
        beads.append(Bead(tuple(range(i - mv.src, i)), tuple(range(j - mv.tgt, j)), sim,
                          confidence=round(float(c), 3)))
    return Alignment(tuple(beads), n, m, meta={"params": params.to_dict(), "band_cells": band.cells})
