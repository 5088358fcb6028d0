"""Search bands: for each source prefix i, the range of target prefixes [lo[i], hi[i]) the DP may visit.

A band is stored flat (CSR-like) so that an irregular band (a long insertion) costs only its own cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Band:
    """lo, hi: int64 (n+1,), non-decreasing, lo[0] == 0, hi[n] == m+1; offs: int64 (n+2,) flat row starts."""

    lo: np.ndarray
    hi: np.ndarray
    m: int

    @property
    def n(self) -> int:
        return len(self.lo) - 1

    @cached_property
    def offs(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.hi - self.lo)])

    @cached_property
    def cells(self) -> int:
        return int((self.hi - self.lo).sum())

    def cell_rows(self) -> np.ndarray:
        """The source prefix i of every cell, in flat order: int64 (cells,), read-only (computed once)."""
        return self._cell_rows

    def cell_cols(self) -> np.ndarray:
        """The target prefix j of every cell, in flat order: int64 (cells,), read-only (computed once)."""
        return self._cell_cols

    def cell_index(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The flat index of each cell (i, j), and whether it is in the band (the index is 0 where it is not)."""
        ok = (i >= 0) & (i <= self.n) & (j >= 0)
        ii = np.where(ok, i, 0)
        ok &= (j >= self.lo[ii]) & (j < self.hi[ii])
        return np.where(ok, self.offs[ii] + j - self.lo[ii], 0), ok

    @cached_property
    def _cell_rows(self) -> np.ndarray:
        rows = np.repeat(np.arange(self.n + 1), self.hi - self.lo)
        rows.flags.writeable = False
        return rows

    @cached_property
    def _cell_cols(self) -> np.ndarray:
        cols = np.arange(self.cells) - np.repeat(self.offs[:-1] - self.lo, self.hi - self.lo)
        cols.flags.writeable = False
        return cols


def full_band(n: int, m: int) -> Band:
    """Every cell: for small documents."""
    return Band(np.zeros(n + 1, np.int64), np.full(n + 1, m + 1, np.int64), m)


def band_around_path(path: np.ndarray, n: int, m: int, width: int) -> Band:
    """The cells within `width` rows or columns of a monotone lattice path.

    path: int64 (p, 2) lattice points (i, j) from (0, 0) to (n, m), non-decreasing in both.
    """
    i, j = path[:, 0], path[:, 1]
    jmin = np.full(n + 1, m, np.int64)
    jmax = np.zeros(n + 1, np.int64)
    np.minimum.at(jmin, i, j)
    np.maximum.at(jmax, i, j)
    # rows within `width` of a path row share its columns
    from numpy.lib.stride_tricks import sliding_window_view

    pad_min = np.concatenate([np.full(width, m, np.int64), jmin, np.full(width, m, np.int64)])
    pad_max = np.concatenate([np.zeros(width, np.int64), jmax, np.zeros(width, np.int64)])
    lo = sliding_window_view(pad_min, 2 * width + 1).min(axis=1) - width
    hi = sliding_window_view(pad_max, 2 * width + 1).max(axis=1) + width + 1
    lo = np.clip(lo, 0, m)
    hi = np.clip(hi, 1, m + 1)
    # monotone: a move from row r < i must find its cells inside row r's range
    lo = np.minimum.accumulate(lo[::-1])[::-1]
    hi = np.maximum.accumulate(hi)
    lo[0] = 0
    hi[n] = m + 1
    return Band(lo, hi, m)


def upsample_path(path: np.ndarray, factor_src: int, factor_tgt: int, n: int, m: int) -> np.ndarray:
    """A coarse lattice path scaled to a finer lattice of size (n, m), clipped."""
    fine = path * np.array([factor_src, factor_tgt])
    fine[:, 0] = np.minimum(fine[:, 0], n)
    fine[:, 1] = np.minimum(fine[:, 1], m)
    fine = np.vstack([[0, 0], fine, [n, m]])
    # fill the steps between consecutive points so every row appears
    pts = []
    for (i0, j0), (i1, j1) in zip(fine[:-1], fine[1:]):
        steps = max(i1 - i0, j1 - j0, 1)
        t = np.arange(steps) / steps
        pts.append(np.stack([i0 + np.round(t * (i1 - i0)), j0 + np.round(t * (j1 - j0))], axis=1))
    pts.append([[n, m]])
    return np.vstack(pts).astype(np.int64)
