"""Bead scores on a band: window similarities, margins and length penalties, as arrays.

Windows: src_win[k-1] is float32 or float16 (n-k+1, d), the vector of source sentences s..s+k-1 at row s; same
for tgt. Products are computed in float32, a chunk of rows at a time, so float16 windows halve the memory of a
long document without a float32 copy of it.
"""

from __future__ import annotations

import numpy as np

from .band import Band
from .moves import Move

CHUNK = 64


def banded_products(band: Band, moves: list[Move], left, right) -> np.ndarray:
    """Dot products of a left and a right row per move at every band cell: float32 (len(moves), cells).

    For the bead of move (a, b) ending at cell (i, j), the product is left(mv)[i-a] . right(mv)[j-b], where
    left(mv) is an (n-a+1, d) array and right(mv) an (m-b+1, d) array. Cells whose bead would start before
    the documents' start get -inf. Computed in chunks of rows as small dense products, so the cost is linear
    in the band's size.
    """
    lo, hi, offs = band.lo, band.hi, band.offs
    n = band.n
    rows, cols = band.cell_rows(), band.cell_cols()
    out = np.full((len(moves), band.cells), -np.inf, np.float32)
    for k, mv in enumerate(moves):
        a, b = mv.src, mv.tgt
        L_all, R_all = left(mv), right(mv)
        for r0 in range(max(1, a), n + 1, CHUNK):
            r1 = min(n + 1, r0 + CHUNK)
            c0, c1 = int(lo[r0:r1].min()), int(hi[r0:r1].max())
            t0, t1 = max(c0 - b, 0), min(c1 - b, len(R_all))
            if t1 <= t0:
                continue
            left_rows = np.asarray(L_all[r0 - a: r1 - a], np.float32)
            block = left_rows @ np.asarray(R_all[t0:t1], np.float32).T  # (rows, cols)
            # the chunk's cells are one flat run; those whose bead starts inside the block's columns take its value
            s0, s1 = int(offs[r0]), int(offs[r1])
            rr, cc = rows[s0:s1] - r0, cols[s0:s1] - b - t0
            ok = (cc >= 0) & (cc < t1 - t0)
            out[k, s0:s1][ok] = block[rr[ok], cc[ok]]
    return out


def window_sims(band: Band, moves: list[Move], src_win: list[np.ndarray],
                tgt_win: list[np.ndarray]) -> np.ndarray:
    """Cosine of each move's source and target windows at every band cell: float32 (len(moves), cells)."""
    return banded_products(band, moves, lambda mv: src_win[mv.src - 1], lambda mv: tgt_win[mv.tgt - 1])


def neighbour_sims(band: Band, moves: list[Move], src_win: list[np.ndarray],
                   tgt_win: list[np.ndarray]) -> np.ndarray:
    """Bertalign's margin: for each bead, the mean cosine of each side's window with the sentences just before
    and just after the bead on the other side, averaged over the two sides (a missing neighbour, at a document's
    edge, is left out; none at all counts 0). float32 (len(moves), cells); 0 where there is no bead.

    A bead whose window also resembles the sentences beside it is a weak boundary: subtracting this favours the
    bead that takes them in, or the one that leaves a clearly unrelated neighbour out.
    """
    def padded(win: np.ndarray) -> np.ndarray:
        """The sentence vectors with a NaN row before and after (the missing neighbours)."""
        nan = np.full((1, win.shape[1]), np.nan, win.dtype)
        return np.concatenate([nan, win, nan])

    def src_window(mv: Move) -> np.ndarray:
        return src_win[mv.src - 1]

    def tgt_window(mv: Move) -> np.ndarray:
        return tgt_win[mv.tgt - 1]

    # row s of src1 is sentence s-1, the one before a bead starting at s; row s of src1[1 + a:] is sentence s+a,
    # the one after a bead of a sentences starting at s
    src1, tgt1 = padded(src_win[0]), padded(tgt_win[0])
    beside_tgt = _mean_known(banded_products(band, moves, src_window, lambda mv: tgt1),
                             banded_products(band, moves, src_window, lambda mv: tgt1[1 + mv.tgt:]))
    beside_src = _mean_known(banded_products(band, moves, lambda mv: src1, tgt_window),
                             banded_products(band, moves, lambda mv: src1[1 + mv.src:], tgt_window))
    return (0.5 * (beside_tgt + beside_src)).astype(np.float32)


def _mean_known(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cellwise mean of the finite values of two arrays of the same shape; 0 where neither is finite."""
    known_a, known_b = np.isfinite(a), np.isfinite(b)
    total = np.where(known_a, a, 0.0) + np.where(known_b, b, 0.0)
    return total / np.maximum(known_a.astype(np.int8) + known_b, 1)


def part_sims(band: Band, moves: list[Move], src_win: list[np.ndarray],
              tgt_win: list[np.ndarray]) -> np.ndarray:
    """For many-sided beads, the lowest cosine between one of its sentences and the other side's window.

    A sentence merged into a bead but unrelated to it (an insertion in disguise) scores low here even when
    the window similarity barely moves. float32 (len(moves), cells); +inf for 1-1 beads.
    """
    out = np.full((len(moves), band.cells), np.inf, np.float32)
    # Row s of src_win[0][r:] is sentence s+r: part r of a bead that starts at s. A bead with more than r
    # sentences never reads past the end, so views do (no padded copies).
    for r in range(max(mv.src for mv in moves)):
        src_r = src_win[0][r:]
        sel = [mv for mv in moves if mv.src > 1 and r < mv.src]
        if sel:
            part = banded_products(band, sel, lambda mv, w=src_r: w, lambda mv: tgt_win[mv.tgt - 1])
            for k, mv in enumerate(sel):
                np.minimum(out[moves.index(mv)], part[k], out=out[moves.index(mv)])
    for r in range(max(mv.tgt for mv in moves)):
        tgt_r = tgt_win[0][r:]
        sel = [mv for mv in moves if mv.tgt > 1 and r < mv.tgt]
        if sel:
            part = banded_products(band, sel, lambda mv: src_win[mv.src - 1], lambda mv, w=tgt_r: w)
            for k, mv in enumerate(sel):
                np.minimum(out[moves.index(mv)], part[k], out=out[moves.index(mv)])
    return out


def window_lengths(lengths: np.ndarray, max_k: int) -> list[np.ndarray]:
    """Character lengths of every window of k sentences: float64 (n-k+1,) for k = 1..max_k."""
    c = np.concatenate([[0.0], np.cumsum(lengths, dtype=np.float64)])
    return [c[k:] - c[:-k] if len(lengths) >= k else np.zeros(0) for k in range(1, max_k + 1)]
