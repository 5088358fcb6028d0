"""The dynamic-programming kernels: fill a banded score lattice, then trace the best path back.

Pure functions on numpy arrays, no model: tests drive them with hand-made score matrices.
The objective is a maximum: the best alignment has the largest sum of bead scores.
"""

from __future__ import annotations

import numpy as np

from .band import Band
from .moves import Move

NEG = -1e30
START = -1


def fill(band: Band, moves: list[Move], scores: np.ndarray, del_score: np.ndarray,
         ins_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best prefix scores and back pointers over the band.

    moves: the pair moves (both sides non-empty) that `scores` holds, in order.
    scores: float32 (len(moves), band.cells) score of the bead of moves[k] that ends at each band cell.
    del_score: float32 (n,) score of leaving source sentence i unaligned (a 1-0 bead).
    ins_score: float32 (m,) score of leaving target sentence j unaligned (a 0-1 bead).
    Returns D: float64 (cells,) best score of each prefix pair, and back: int8 (cells,) the index of the last
    move in `all_moves(moves)` (pair moves, then DELETE, then INSERT), START at the origin.
    """
    lo, hi, offs = band.lo, band.hi, band.offs
    n = band.n
    D = np.full(band.cells, NEG, np.float64)
    back = np.full(band.cells, START, np.int8)
    steps = [(mv.src, mv.tgt) for mv in moves] + [(1, 0)]
    k_del, k_ins = len(moves), len(moves) + 1
    ins = np.concatenate([[0.0], np.asarray(ins_score, np.float64)])
    for i in range(n + 1):
        L, H = int(lo[i]), int(hi[i])
        w = H - L
        o = int(offs[i])
        best = np.full(w, NEG, np.float64)
        arg = np.full(w, START, np.int8)
        if i == 0 and L == 0:
            best[0] = 0.0
        for k, (a, b) in enumerate(steps):
            r = i - a
            if r < 0:
                continue
            rl, rh = int(lo[r]), int(hi[r])
            # target prefixes j in [L, H) come from j-b in [rl, rh)
            j0, j1 = max(L, rl + b), min(H, rh + b)
            if j0 >= j1:
                continue
            prev = D[int(offs[r]) + j0 - b - rl: int(offs[r]) + j1 - b - rl]
            gain = del_score[i - 1] if k == k_del else scores[k, o + j0 - L: o + j1 - L]
            cand = prev + gain
            seg = best[j0 - L: j1 - L]
            upd = cand > seg
            seg[upd] = cand[upd]
            arg[j0 - L: j1 - L][upd] = k
        # insertions within the row: D[j] = max(best[j], D[j-1] + ins[j]), as a running maximum
        g = ins[L:H].copy()
        g[0] = 0.0
        c = np.cumsum(g)
        v = best - c
        run = np.maximum.accumulate(v)
        # compared before c is added back: (best - c) + c can round above best, which sent the back pointer to a
        # worse cell on the left (seen with float64 scores)
        via_ins = run > v
        arg[via_ins] = k_ins
        D[o:o + w] = np.where(via_ins, run + c, best)
        back[o:o + w] = arg
    return D, back


def traceback(band: Band, moves: list[Move], back: np.ndarray) -> list[tuple[int, int, int]]:
    """The best path as beads (i, j, k): the bead of move k ends at prefix (i, j); in document order."""
    lo, offs = band.lo, band.offs
    steps = [(mv.src, mv.tgt) for mv in moves] + [(1, 0), (0, 1)]
    i, j = band.n, band.m
    out = []
    while i > 0 or j > 0:
        if not (lo[i] <= j < band.hi[i]):
            raise ValueError(f"traceback left the band at ({i}, {j})")
        k = int(back[offs[i] + j - lo[i]])
        if k == START:
            raise ValueError(f"no path reaches ({i}, {j}): the band is disconnected")
        out.append((i, j, k))
        a, b = steps[k]
        i, j = i - a, j - b
    out.reverse()
    return out


def all_moves(moves: list[Move]) -> list[Move]:
    """The move list that `back` indexes into."""
    return list(moves) + [Move.DELETE, Move.INSERT]
