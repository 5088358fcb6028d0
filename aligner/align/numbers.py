"""Numbers written in digits: an exact signal that sentence embeddings blur.

A translation keeps a sentence's figures (years, heights, prices, counts), so a bead whose two sides carry
different figures is probably cut in the wrong place. Each sentence's numbers of two or more digits become a
small hashed count vector; a bead's mismatch is how many of its numbers have no partner on the other side.
Digit runs are read apart from their separators, so "1.500" and "1,500" agree (both hold 500), and single
digits are left out (often written as words on one side: "zwei Tage", "two days"), as are digits glued to a
letter ("G20", "A320": names, which the vectors see).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

DIM = 64
CHUNK = 16_384
_NUMBER = re.compile(r"(?<!\w)\d{2,}")  # not glued to a letter: "w10", "G20" are names


def numbers_in(text: str) -> list[str]:
    """The numbers of two or more digits in `text`, as written: "In 1952, 8.848 m" -> ["1952", "848"]."""
    return _NUMBER.findall(text)


def number_counts(texts: Sequence[str]) -> np.ndarray:
    """float32 (n, DIM): per sentence, its numbers of two or more digits, counted in DIM hashed buckets
    (crc32, so the same on every run and machine)."""
    out = np.zeros((len(texts), DIM), np.float32)
    for i, text in enumerate(texts):
        for m in numbers_in(text):
            out[i, zlib.crc32(m.encode()) % DIM] += 1.0
    return out


class NumberWindows:
    """Number counts of every window of consecutive sentences of one document, read per band cell."""

    def __init__(self, counts: np.ndarray):
        counts = np.asarray(counts, np.float32)  # (n, DIM), as number_counts gives them
        self.cum = np.zeros((len(counts) + 1, DIM), np.float32)
        np.cumsum(counts, axis=0, out=self.cum[1:])
        self.total = self.cum.sum(axis=1)  # numbers in sentences 0..s-1, per s

    def totals(self, starts: np.ndarray, k: int) -> np.ndarray:
        """Numbers in the windows of k sentences from each start: float32 (len(starts),)."""
        return self.total[starts + k] - self.total[starts]

    def vectors(self, starts: np.ndarray, k: int) -> np.ndarray:
        """Hashed counts of the windows of k sentences from each start: float32 (len(starts), DIM)."""
        return self.cum[starts + k] - self.cum[starts]


def mismatches(src: NumberWindows, tgt: NumberWindows, si: np.ndarray, tj: np.ndarray, a: int,
               b: int) -> np.ndarray:
    """Numbers without a partner in beads of a source sentences from si and b target sentences from tj:
    float32 (len(si),). Counts are gathered only where both sides hold numbers."""
    S, T = src.totals(si, a), tgt.totals(tj, b)
    out = S + T
    both = np.flatnonzero((S > 0) & (T > 0))
    for c in range(0, len(both), CHUNK):  # (CHUNK, DIM) temporaries, whatever the band's size
        rows = both[c:c + CHUNK]
        shared = np.minimum(src.vectors(si[rows], a), tgt.vectors(tj[rows], b)).sum(axis=1)
        out[rows] -= 2.0 * shared
    return out
