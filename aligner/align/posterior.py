"""How sure the aligner is of each bead of its best path: the bead's posterior probability over every alignment
in the band (forward-backward on the same lattice as dp.fill, scores divided by a temperature).

A bead the search chose by a hair (its sentences could as well be merged into the neighbour, or left unaligned)
gets a low confidence, whatever its similarity: that is what a reviewer wants to look at. Measured on the gold
sets (`bench/gold.py` prints it): the automatic pairs under 0.7 are an eighth to a fifth of the pairs and hold 69%
and 81% of the wrong ones on the test sets (48% on Text+Berg dev); a similarity threshold marking as many pairs
holds a fifth to a quarter of them.

Alignments that differ only in the order of a run of unaligned sentences are one alignment: the lattice counts
each such run once (its insertions before its deletions), not once per interleaving.
"""

from __future__ import annotations

import numpy as np

from .band import Band
from .moves import Move

TEMPERATURE = 0.1  # bead scores are divided by this; chosen for calibration on Text+Berg dev and TransRead
DOUBTFUL = 0.7  # a bead less sure than this is worth a reviewer's look (the review app colours it)
LOW_SCORE = 0.5  # a bead of a run made before confidences were kept is doubtful below this similarity
_NEG = -np.inf


def is_doubtful(confidence: float | None, status: str, paired: bool, score: float | None = None,
                below: float = DOUBTFUL) -> bool:
    """The rule of the review app, show and the HTML report (and of export --min-confidence, `below` its
    threshold): an automatic bead with both sides that the aligner was less than `below` sure of. A one-sided bead
    is an added or dropped passage, which the flags report. An automatic bead without a confidence comes from a run
    made before they were kept: with its `score` given, it is doubtful below LOW_SCORE (the rule of those runs)."""
    if not paired or status != "auto":
        return False
    if confidence is None:
        return score is not None and score < LOW_SCORE
    return confidence < below


def sure(confidence: float) -> str:
    """A confidence as a whole percentage, rounded down: a bead shown 70% sure is never doubtful."""
    return f"{int(100 * confidence + 1e-9)}%"


def _neighbours(band: Band, steps: list[tuple[int, int]], sign: int) -> np.ndarray:
    """int32 (len(steps), cells): for each move and cell (i, j), the flat index of the cell the move comes from
    (sign -1: (i - a, j - b)) or goes to (sign +1: (i + a, j + b)); `band.cells` (a sentinel) where that cell is
    outside the band."""
    rows, cols = band.cell_rows(), band.cell_cols()
    out = np.empty((len(steps), band.cells), np.int32)
    for k, (a, b) in enumerate(steps):
        idx, ok = band.cell_index(rows + sign * a, cols + sign * b)
        out[k] = np.where(ok, idx, band.cells)
    return out


def _row_gaps(band: Band, ins: np.ndarray) -> np.ndarray:
    """float64 (cells,): for each cell (i, j), the sum of the insertion scores of target sentences lo[i]..j-1, the
    cost of reaching it by insertions from the start of its row (0 at the row's first cell)."""
    cols = band.cell_cols()
    step = np.where(cols > 0, ins[np.maximum(cols - 1, 0)], 0.0)
    step[band.offs[:-1]] = 0.0  # a row's first cell is reached from no cell of its row
    run = np.cumsum(step)
    return run - np.repeat(run[band.offs[:-1]], band.hi - band.lo)


def _forward(band: Band, pred: np.ndarray, scores: np.ndarray, dels: np.ndarray, gaps: np.ndarray,
             temperature: float) -> tuple[np.ndarray, np.ndarray]:
    """A: log-sum over the paths from the origin to each cell; P: over those whose last move is not a deletion
    (only those may insert next). pred: _neighbours(..., -1) of the pair moves and, last, the deletion; scores:
    the bead scores as dp.fill takes them, divided by `temperature` a row at a time; dels: divided already;
    gaps: _row_gaps. One row at a time, every move of the row in one gather (a row's cells only come from rows
    above it)."""
    lo, hi, offs = band.lo.tolist(), band.hi.tolist(), band.offs.tolist()
    A = np.full(band.cells + 1, _NEG)  # the last cell: the sentinel that moves from outside the band read
    P = np.full(band.cells + 1, _NEG)
    for i in range(band.n + 1):
        o, w = offs[i], hi[i] - lo[i]
        best = np.logaddexp.reduce(A[pred[:-1, o:o + w]] + scores[:, o:o + w] / temperature, axis=0)
        if i == 0 and lo[0] == 0:
            best[0] = 0.0
        # insertions within the row: P[j] = logaddexp(best[j], P[j-1] + ins[j]), as a running log-sum
        c = gaps[o:o + w]
        P[o:o + w] = np.logaddexp.accumulate(best - c) + c
        if i:
            A[o:o + w] = np.logaddexp(P[o:o + w], A[pred[-1, o:o + w]] + dels[i - 1])
        else:
            A[o:o + w] = P[o:o + w]
    return A[:-1], P[:-1]


def _backward(band: Band, succ: np.ndarray, scores: np.ndarray, dels: np.ndarray, gaps: np.ndarray,
              temperature: float) -> tuple[np.ndarray, np.ndarray]:
    """BP: log-sum over the path suffixes from each cell to the end when an insertion may come next; BQ: when it
    may not (the cell was reached by a deletion). succ: _neighbours(..., +1), as pred for _forward."""
    lo, hi, offs = band.lo.tolist(), band.hi.tolist(), band.offs.tolist()
    n, m, last = band.n, band.m, band.cells - 1
    BP = np.full(band.cells + 1, _NEG)
    BQ = np.full(band.cells + 1, _NEG)
    moves = np.arange(len(succ) - 1)[:, None]
    for i in range(n, -1, -1):
        o, w = offs[i], hi[i] - lo[i]
        to = succ[:-1, o:o + w]
        # the score of a move out of the band is read anywhere: BP of the sentinel (-inf) cancels it
        rest = np.logaddexp.reduce(BP[to] + scores[moves, np.minimum(to, last)] / temperature, axis=0)
        if i < n:  # ... or suffixes that start with a deletion
            rest = np.logaddexp(rest, BQ[succ[-1, o:o + w]] + dels[i])
        else:
            rest[m - lo[i]] = 0.0
        BQ[o:o + w] = rest
        c = gaps[o:o + w]
        BP[o:o + w] = np.logaddexp.accumulate((rest + c)[::-1])[::-1] - c
    return BP[:-1], BQ[:-1]


def path_confidence(band: Band, moves: list[Move], scores: np.ndarray, del_score: np.ndarray,
                    ins_score: np.ndarray, path: list[tuple[int, int, int]],
                    temperature: float = TEMPERATURE) -> np.ndarray:
    """The posterior probability of each bead of `path` (dp.traceback's beads over the same lattice as dp.fill's
    arguments): float64 (len(path),) in [0, 1]. A pair bead's is the probability of that very bead; an unaligned
    sentence's is the probability that the sentence has no counterpart (wherever its gap falls)."""
    steps = [(mv.src, mv.tgt) for mv in moves]
    with_del = [*steps, (1, 0)]
    dels = np.asarray(del_score, np.float64) / temperature
    ins = np.asarray(ins_score, np.float64) / temperature
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        gaps = _row_gaps(band, ins)
        A, P = _forward(band, _neighbours(band, with_del, -1), scores, dels, gaps, temperature)
        BP, BQ = _backward(band, _neighbours(band, with_del, +1), scores, dels, gaps, temperature)
        log_z = A[band.offs[band.n] + band.m - band.lo[band.n]]
        if not np.isfinite(log_z):
            raise ValueError("no path reaches the end of the band")
        rows, cols = band.cell_rows(), band.cell_cols()
        # an unaligned source sentence i-1 is a deletion into some cell (i, j); a target one, an insertion
        prev, ok = band.cell_index(rows - 1, cols)
        lp = np.where(ok, A[prev] + dels[np.maximum(rows - 1, 0)] + BQ - log_z, _NEG)
        p_del = np.bincount(np.maximum(rows - 1, 0), np.exp(np.minimum(lp, 0.0)), band.n + 1)[:band.n]
        prev, ok = band.cell_index(rows, cols - 1)
        lp = np.where(ok, P[prev] + ins[np.maximum(cols - 1, 0)] + BP - log_z, _NEG)
        p_ins = np.bincount(np.maximum(cols - 1, 0), np.exp(np.minimum(lp, 0.0)), band.m + 1)[:band.m]
        out = np.empty(len(path))
        for t, (i, j, k) in enumerate(path):
            if k < len(steps):
                a, b = steps[k]
                here = int(band.offs[i] + j - band.lo[i])
                there = int(band.offs[i - a] + j - b - band.lo[i - a])
                out[t] = np.exp(min(A[there] + float(scores[k, here]) / temperature + BP[here] - log_z, 0.0))
            elif k == len(steps):
                out[t] = p_del[i - 1]
            else:
                out[t] = p_ins[j - 1]
    return np.clip(out, 0.0, 1.0)
