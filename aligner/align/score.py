"""Bead scores on a band: window similarities, margins and length penalties, as arrays.

Windows: src_win[k-1] is float32 (n-k+1, d), the vector of source sentences s..s+k-1 at row s; same for tgt.
"""

from __future__ import annotations

import numpy as np

from .band import Band
from .moves import Move

CHUNK = 64


def window_sims(band: Band, moves: list[Move], src_win: list[np.ndarray],
                tgt_win: list[np.ndarray]) -> np.ndarray:
    """Cosine of each move's source and target windows at every band cell: float32 (len(moves), cells).

    A cell whose bead would start before the documents' start gets -inf. Computed in chunks of rows as small
    dense products, so the cost is linear in the band's size.
    """
    lo, hi, offs = band.lo, band.hi, band.offs
    n = band.n
    out = np.full((len(moves), band.cells), -np.inf, np.float32)
    for r0 in range(1, n + 1, CHUNK):
        r1 = min(n + 1, r0 + CHUNK)
        c0, c1 = int(lo[r0:r1].min()), int(hi[r0:r1].max())
        for k, mv in enumerate(moves):
            a, b = mv.src, mv.tgt
            s0 = r0 - a
            i_first = max(r0, a)  # rows whose bead starts at source sentence >= 0
            if i_first >= r1:
                continue
            t0 = max(c0 - b, 0)
            t1 = c1 - b
            if t1 <= t0:
                continue
            block = src_win[a - 1][i_first - a: r1 - a] @ tgt_win[b - 1][t0:t1].T  # (rows, cols)
            for i in range(i_first, r1):
                L, H = int(lo[i]), int(hi[i])
                j0 = max(L, t0 + b)
                j1 = min(H, t1 + b)
                if j0 >= j1:
                    continue
                o = int(offs[i])
                out[k, o + j0 - L: o + j1 - L] = block[i - i_first, j0 - b - t0: j1 - b - t0]
            del s0
    return out


def window_lengths(lengths: np.ndarray, max_k: int) -> list[np.ndarray]:
    """Character lengths of every window of k sentences: float64 (n-k+1,) for k = 1..max_k."""
    c = np.concatenate([[0.0], np.cumsum(lengths, dtype=np.float64)])
    return [c[k:] - c[:-k] if len(lengths) >= k else np.zeros(0) for k in range(1, max_k + 1)]


def band_gather(band: Band, moves: list[Move], src_vals: list[np.ndarray], tgt_vals: list[np.ndarray]):
    """Per-cell source and target window values (e.g. lengths) for each move: two float64 (len(moves), cells).

    Cells whose window would start before 0 get NaN.
    """
    lo, hi = band.lo, band.hi
    n = band.n
    rows = np.repeat(np.arange(n + 1), hi - lo)
    cols = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]) if n >= 0 else np.zeros(0, np.int64)
    S = np.full((len(moves), band.cells), np.nan)
    T = np.full((len(moves), band.cells), np.nan)
    for k, mv in enumerate(moves):
        si = rows - mv.src
        tj = cols - mv.tgt
        ok = (si >= 0) & (tj >= 0)
        S[k, ok] = src_vals[mv.src - 1][si[ok]]
        T[k, ok] = tgt_vals[mv.tgt - 1][tj[ok]]
    return S, T
