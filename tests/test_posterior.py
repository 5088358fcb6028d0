"""The bead confidences (aligner.align.posterior) against brute-force enumeration of every alignment of small
hand-made lattices, and on clear and ambiguous cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.align import dp
from aligner.align.band import band_around_path, full_band
from aligner.align.moves import Move, pair_moves
from aligner.align.posterior import is_doubtful, path_confidence, sure


def _in(band, i: int, j: int) -> bool:
    return 0 <= i <= band.n and band.lo[i] <= j < band.hi[i]


def _lattice(band, moves: list[Move], seed: int) -> np.ndarray:
    """Random bead scores on a band: float32 (len(moves), cells), -inf where a bead would start before the
    documents or outside the band."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0.0, 0.3, (len(moves), band.cells)).astype(np.float32)
    rows, cols = band.cell_rows(), band.cell_cols()
    for k, mv in enumerate(moves):
        scores[k, [not _in(band, i - mv.src, j - mv.tgt) for i, j in zip(rows, cols)]] = -np.inf
    return scores


def _random_band(n: int, m: int, width: int | None, seed: int):
    """The full lattice (width None), or the cells within `width` of a random monotone path."""
    if width is None:
        return full_band(n, m)
    rng = np.random.default_rng(seed)
    points, i, j = [(0, 0)], 0, 0
    while (i, j) != (n, m):
        if i < n and (j == m or rng.random() < 0.5):
            i += 1
        else:
            j += 1
        points.append((i, j))
    return band_around_path(np.array(points, np.int64), n, m, width)


def _all_alignments(band, moves: list[Move]):
    """Every path through `band` from (0, 0) to (n, m) as a list of (i, j, k) beads, a run of unaligned sentences
    counted once (no insertion right after a deletion)."""
    n, m = band.n, band.m
    steps = [(mv.src, mv.tgt) for mv in moves] + [(1, 0), (0, 1)]
    k_del, k_ins = len(moves), len(moves) + 1

    def walk(i, j, last):
        if (i, j) == (n, m):
            yield []
            return
        for k, (a, b) in enumerate(steps):
            if not _in(band, i + a, j + b) or (k == k_ins and last == k_del):
                continue
            for rest in walk(i + a, j + b, k):
                yield [(i + a, j + b, k), *rest]

    yield from walk(0, 0, None)


def _brute_force(band, moves, scores, dels, ins, T):
    """Posterior of each pair bead (i, j, k) and of each sentence being unaligned, by enumeration."""
    n, m = band.n, band.m
    paths = list(_all_alignments(band, moves))
    weights = []
    for path in paths:
        total = 0.0
        for i, j, k in path:
            if k < len(moves):
                total += float(scores[k, band.offs[i] + j - band.lo[i]])
            elif k == len(moves):
                total += float(dels[i - 1])
            else:
                total += float(ins[j - 1])
        weights.append(total / T)
    w = np.exp(np.array(weights) - max(weights))
    w /= w.sum()
    bead, src_null, tgt_null = {}, np.zeros(n), np.zeros(m)
    for p, path in zip(w, paths):
        for i, j, k in path:
            if k < len(moves):
                bead[(i, j, k)] = bead.get((i, j, k), 0.0) + p
            elif k == len(moves):
                src_null[i - 1] += p
            else:
                tgt_null[j - 1] += p
    return bead, src_null, tgt_null


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5), m=st.integers(1, 5), seed=st.integers(0, 10_000),
       T=st.sampled_from([0.05, 0.1, 1.0]), width=st.sampled_from([None, 0, 1]),
       max_side=st.integers(1, 3), uneven=st.booleans())
def test_confidence_is_the_posterior_of_every_alignment_counted_once(n, m, seed, T, width, max_side, uneven):
    """On the full lattice and on narrow, irregular bands, with even and uneven costs of unaligned sentences."""
    moves = pair_moves(max_side, 4)
    band = _random_band(n, m, width, seed)
    scores = _lattice(band, moves, seed)
    rng = np.random.default_rng(seed + 1)
    dels = (rng.uniform(-0.5, 0.1, n) if uneven else np.full(n, -0.1)).astype(np.float32)
    ins = (rng.uniform(-0.5, 0.1, m) if uneven else np.full(m, -0.1)).astype(np.float32)
    path = dp.traceback(band, moves, dp.fill(band, moves, scores, dels, ins)[1])
    got = path_confidence(band, moves, scores, dels, ins, path, T)
    bead, src_null, tgt_null = _brute_force(band, moves, scores, dels, ins, T)
    for (i, j, k), c in zip(path, got):
        want = bead[(i, j, k)] if k < len(moves) else src_null[i - 1] if k == len(moves) else tgt_null[j - 1]
        assert c == pytest.approx(want, abs=1e-6)


def test_a_clear_diagonal_is_certain_and_a_tie_is_half_and_half():
    n = m = 3
    moves = [Move.ONE_ONE, Move.TWO_ONE]
    band = full_band(n, m)
    rows, cols = band.cell_rows(), band.cell_cols()
    scores = np.full((2, band.cells), -1.0, np.float32)
    scores[0, (rows == cols) & (rows > 0)] = 0.8  # 1-1 on the diagonal
    scores[1, (rows < 2) | (cols < 1)] = -np.inf
    skip = np.full(3, -0.1, np.float32)
    path = dp.traceback(band, moves, dp.fill(band, moves, scores, skip, skip)[1])
    assert [k for _, _, k in path] == [0, 0, 0]
    assert path_confidence(band, moves, scores, skip, skip, path) == pytest.approx([1.0, 1.0, 1.0], abs=1e-3)

    # target 2 translates source 2 alone (1-1, then source 3 with target 3: 0.5 + 0.5) or sources 2 and 3
    # together (a 2-1 of 1.5, then target 3 unaligned at -0.5): two alignments of the same score
    scores[0] = -1.0
    scores[0, (rows == 1) & (cols == 1)] = 0.8
    scores[0, (rows == 2) & (cols == 2)] = 0.5
    scores[0, (rows == 3) & (cols == 3)] = 0.5
    scores[1, (rows == 3) & (cols == 2)] = 1.5
    ins = np.array([-0.1, -0.1, -0.5], np.float32)
    path = dp.traceback(band, moves, dp.fill(band, moves, scores, skip, ins)[1])
    got = path_confidence(band, moves, scores, skip, ins, path)
    assert got[0] == pytest.approx(1.0, abs=1e-3)  # the first pair is certain
    assert got[1:] == pytest.approx([0.5] * (len(path) - 1), abs=1e-3)


def test_a_band_gives_the_full_lattice_confidence_where_it_holds_the_likely_paths():
    """The band's flat indexing: a band around the diagonal of a document whose alignment is near it gives the
    confidences of the full lattice (the paths it leaves out are far too unlikely to count)."""
    n = m = 14
    moves = pair_moves(2, 3)
    full = full_band(n, m)
    rng = np.random.default_rng(5)
    rows, cols = full.cell_rows(), full.cell_cols()
    scores = rng.normal(-0.5, 0.2, (len(moves), full.cells)).astype(np.float32)
    for k, mv in enumerate(moves):
        scores[k, (rows - mv.src == cols - mv.tgt)] += 1.0  # beads on the diagonal score well
        scores[k, (rows < mv.src) | (cols < mv.tgt)] = -np.inf
    skip = np.full(n, -0.2, np.float32)
    best = dp.traceback(full, moves, dp.fill(full, moves, scores, skip, skip)[1])
    want = path_confidence(full, moves, scores, skip, skip, best)
    band = band_around_path(np.array([(i, i) for i in range(n + 1)], np.int64), n, m, 4)
    assert band.cells < full.cells
    keep = full.offs[band.cell_rows()] + band.cell_cols() - full.lo[band.cell_rows()]
    in_band = scores[:, keep]
    assert dp.traceback(band, moves, dp.fill(band, moves, in_band, skip, skip)[1]) == best
    got = path_confidence(band, moves, in_band, skip, skip, best)
    assert got == pytest.approx(want, abs=1e-6)
    assert 0.0 < min(got) < 0.99  # random scores: some beads are in doubt, so the comparison means something


def test_unaligned_runs_are_one_alignment_whatever_the_order():
    """A source and a target sentence that match nothing: deleting one and inserting the other in either order is
    one alignment, so their confidence is that of being unaligned, not split between the orders."""
    moves = [Move.ONE_ONE]
    band = full_band(1, 1)
    scores = np.array([[-np.inf, -np.inf, -np.inf, -5.0]], np.float32)  # cells (0,0) (0,1) (1,0) (1,1)
    skip = np.full(1, -0.1, np.float32)
    path = dp.traceback(band, moves, dp.fill(band, moves, scores, skip, skip)[1])
    assert sorted(k for _, _, k in path) == [1, 2]
    assert path_confidence(band, moves, scores, skip, skip, path) == pytest.approx([1.0, 1.0], abs=1e-6)
    assert len(list(_all_alignments(band, moves))) == 2  # the pair, or both unaligned (in one order)


def test_one_rule_says_which_beads_are_doubtful():
    assert is_doubtful(0.69, "auto", True) and not is_doubtful(0.7, "auto", True)
    assert not is_doubtful(0.2, "confirmed", True) and not is_doubtful(0.2, "edited", True)
    assert not is_doubtful(0.2, "auto", False)  # an added or dropped passage: the flags report it
    assert not is_doubtful(None, "auto", True)  # no confidence and no score: not judged (export --min-confidence)
    assert is_doubtful(None, "auto", True, 0.3) and not is_doubtful(None, "auto", True, 0.6)  # an older run's bead
    assert not is_doubtful(0.9, "auto", True, 0.1)  # a confidence decides over the score
    assert sure(0.6999) == "69%" and sure(0.7) == "70%" and sure(1.0) == "100%" and sure(0.29) == "29%"
