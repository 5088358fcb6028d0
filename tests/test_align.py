"""The DP kernels and the driver on hand-made vectors and score matrices: no model needed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.align import AlignParams, Move, align_windows, dp
from aligner.align.band import band_around_path, full_band
from aligner.align.driver import first_pass_path
from aligner.align.moves import pair_moves
from aligner.align.score import neighbour_sims, part_sims, window_sims
from aligner.models import Alignment, Bead


def _unit(rng, n, d=32):
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _windows(v, max_k):
    """Window vectors as the normalised sum of sentence vectors (what a bag-of-words encoder would give)."""
    out = []
    for k in range(1, max_k + 1):
        w = np.array([v[i:i + k].sum(0) for i in range(len(v) - k + 1)], np.float32).reshape(-1, v.shape[1])
        out.append(w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-9))
    return out


def _run_dp(sim11: np.ndarray, skip: float, moves=(Move.ONE_ONE,), extra=None):
    """Full-lattice DP on a hand-made 1-1 similarity matrix (n, m); extra: {move: (n, m) score of window pairs}."""
    n, m = sim11.shape
    band = full_band(n, m)
    moves = list(moves)
    scores = np.full((len(moves), band.cells), -np.inf, np.float32)
    offs = band.offs
    for k, mv in enumerate(moves):
        table = sim11 if mv is Move.ONE_ONE else extra[mv]
        for i in range(mv.src, n + 1):
            for j in range(mv.tgt, m + 1):
                scores[k, offs[i] + j] = table[i - mv.src, j - mv.tgt]
    D, back = dp.fill(band, moves, scores, np.full(n, skip, np.float32), np.full(m, skip, np.float32))
    steps = dp.traceback(band, moves, back)
    everything = dp.all_moves(moves)
    return [(tuple(range(i - everything[k].src, i)), tuple(range(j - everything[k].tgt, j))) for i, j, k in steps], D


def test_dp_diagonal_is_all_one_to_one():
    links, D = _run_dp(np.eye(4, dtype=np.float32), skip=-0.1)
    assert links == [((0,), (0,)), ((1,), (1,)), ((2,), (2,)), ((3,), (3,))]
    assert D[-1] == pytest.approx(4.0)


def test_dp_insertion_and_deletion():
    # source 0,1,2 ; target 0,X,1 and source 1 has no target -> 1-1, 0-1, 1-0, 1-1
    sim = np.array([[1, -1, -1, -1], [-1, -1, -1, -1], [-1, -1, -1, 1]], np.float32)
    links, _ = _run_dp(sim, skip=-0.1)
    assert links[0] == ((0,), (0,))
    assert links[-1] == ((2,), (3,))
    nulls = [lk for lk in links if not lk[0] or not lk[1]]
    assert sorted(nulls) == sorted([((), (1,)), ((), (2,)), ((1,), ())])


def test_dp_prefers_merge_when_window_scores_higher():
    sim = np.array([[0.3, 0.3], [0.0, 0.0]], np.float32)
    sim[1, 1] = 0.9
    one_two = np.zeros((2, 1), np.float32)
    one_two[0, 0] = 0.95  # source 0 with targets 0-1
    links, _ = _run_dp(sim[:1], skip=-0.2, moves=(Move.ONE_ONE, Move.ONE_TWO), extra={Move.ONE_TWO: one_two})
    assert links == [((0,), (0, 1))]


@pytest.mark.parametrize("mv", [Move.TWO_ONE, Move.ONE_TWO, Move.TWO_TWO, Move.ONE_THREE, Move.THREE_ONE])
def test_dp_finds_each_bead_type(mv):
    a, b = mv.src, mv.tgt
    n, m = a + 1, b + 1  # the bead, then one 1-1
    sim = np.zeros((n, m), np.float32)
    sim[n - 1, m - 1] = 1.0
    table = np.zeros((n - a + 1, m - b + 1), np.float32)
    table[0, 0] = 1.0
    links, _ = _run_dp(sim, skip=-0.3, moves=(Move.ONE_ONE, mv), extra={mv: table})
    assert links == [(tuple(range(a)), tuple(range(b))), ((n - 1,), (m - 1,))]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 25), st.integers(1, 25), st.integers(0, 2**32 - 1))
def test_the_traced_path_scores_what_the_fill_says_even_with_many_ties(n, m, seed):
    """Scores drawn from a few float64 values make many exact ties; the path traced back must still add up to the
    best score (an insertion test done after adding the running sum back could round into a worse path)."""
    rng = np.random.default_rng(seed)
    moves = pair_moves(4, 5)
    band = full_band(n, m)
    vals = np.array([0.1, 0.2, 0.3, 0.7, -0.1])
    scores = rng.choice(vals, size=(len(moves), band.cells))
    dels, inss = rng.choice(vals, size=n), rng.choice(vals, size=m)
    D, back = dp.fill(band, moves, scores, dels, inss)
    total = 0.0
    for i, j, k in dp.traceback(band, moves, back):
        total += (scores[k, band.offs[i] + j - band.lo[i]] if k < len(moves)
                  else dels[i - 1] if k == len(moves) else inss[j - 1])
    assert total == pytest.approx(D[-1], abs=1e-9)


def test_traceback_rejects_disconnected_band():
    band = full_band(2, 2)
    back = np.full(band.cells, dp.START, np.int8)
    with pytest.raises(ValueError):
        dp.traceback(band, [Move.ONE_ONE], back)


def test_band_around_path_is_monotone_and_covers_path():
    path = np.array([(0, 0), (1, 1), (2, 1), (3, 2), (4, 5), (5, 6)])
    band = band_around_path(path, 5, 6, 1)
    assert band.lo[0] == 0 and band.hi[-1] == 7
    assert np.all(np.diff(band.lo) >= 0) and np.all(np.diff(band.hi) >= 0)
    for i, j in path:
        assert band.lo[i] <= j < band.hi[i]


def test_window_sims_match_dense_products():
    rng = np.random.default_rng(0)
    s, t = _unit(rng, 7), _unit(rng, 9)
    sw, tw = _windows(s, 3), _windows(t, 3)
    band = full_band(7, 9)
    moves = pair_moves(3, 4)
    sims = window_sims(band, moves, sw, tw)
    offs = band.offs
    for k, mv in enumerate(moves):
        for i in range(7 + 1):
            for j in range(9 + 1):
                got = sims[k, offs[i] + j]
                if i < mv.src or j < mv.tgt:
                    assert got == -np.inf
                else:
                    assert got == pytest.approx(float(sw[mv.src - 1][i - mv.src] @ tw[mv.tgt - 1][j - mv.tgt]),
                                                abs=1e-5)


def test_part_sims_is_the_weakest_sentence_against_the_other_window():
    rng = np.random.default_rng(1)
    s, t = _unit(rng, 4), _unit(rng, 5)
    sw, tw = _windows(s, 2), _windows(t, 2)
    band = full_band(4, 5)
    moves = [Move.ONE_ONE, Move.TWO_ONE, Move.ONE_TWO]
    parts = part_sims(band, moves, sw, tw)
    offs = band.offs
    i, j = 3, 4  # bead ends after source 2 and target 3
    assert parts[0, offs[i] + j] == np.inf
    want21 = min(s[1] @ tw[0][3], s[2] @ tw[0][3])
    assert parts[1, offs[i] + j] == pytest.approx(float(want21), abs=1e-5)
    want12 = min(sw[0][2] @ t[2], sw[0][2] @ t[3])
    assert parts[2, offs[i] + j] == pytest.approx(float(want12), abs=1e-5)


def test_neighbour_sims_is_bertalign_margin_with_missing_neighbours_left_out():
    rng = np.random.default_rng(2)
    s, t = _unit(rng, 4), _unit(rng, 5)
    sw, tw = _windows(s, 2), _windows(t, 2)
    band = full_band(4, 5)
    moves = [Move.ONE_ONE, Move.TWO_ONE, Move.ONE_TWO]
    nb = neighbour_sims(band, moves, sw, tw)
    offs = band.offs
    # the 2-1 bead of source 1-2 and target 3: target neighbours 2 and 4, source neighbours 0 and 3
    i, j = 3, 4
    want = 0.5 * ((sw[1][1] @ t[2] + sw[1][1] @ t[4]) / 2 + (s[0] @ t[3] + s[3] @ t[3]) / 2)
    assert nb[1, offs[i] + j] == pytest.approx(float(want), abs=1e-5)
    # the 1-2 bead of source 0 and targets 0-1: no source sentence before it, no target sentence before it
    i, j = 1, 2
    want = 0.5 * (s[0] @ t[2] + tw[1][0] @ s[1])
    assert nb[2, offs[i] + j] == pytest.approx(float(want), abs=1e-5)
    # the last 1-1 bead: no neighbour after it on either side
    i, j = 4, 5
    want = 0.5 * (s[3] @ t[3] + t[4] @ s[2])
    assert nb[0, offs[i] + j] == pytest.approx(float(want), abs=1e-5)
    assert nb[0, offs[0] + 0] == 0.0  # no bead ends at the origin


def _translation_pair(rng, kinds, d=64):
    """Synthetic parallel vectors and lengths: a shared 'meaning' per sentence, merges and null beads."""
    src, tgt, slen, tlen, links = [], [], [], [], []
    for kind in kinds:
        base = rng.normal(size=(2, d))
        i, j = len(src), len(tgt)
        if kind == "1-1":
            src.append(base[0]); tgt.append(base[0] + 0.3 * rng.normal(size=d)); slen += [50]; tlen += [50]
        elif kind == "1-0":
            src.append(base[0]); slen += [50]
        elif kind == "0-1":
            tgt.append(base[0]); tlen += [50]
        elif kind == "2-1":
            src.extend([base[0], base[1]]); tgt.append(base[0] + base[1] + 0.3 * rng.normal(size=d))
            slen += [50, 50]; tlen += [100]
        elif kind == "1-2":
            src.append(base[0] + base[1]); tgt.extend([base[0], base[1]]); slen += [100]; tlen += [50, 50]
        links.append((tuple(range(i, len(src))), tuple(range(j, len(tgt)))))

    def norm(v):
        return (np.array(v) / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

    return norm(src), norm(tgt), np.array(slen, float), np.array(tlen, float), links


def test_driver_recovers_synthetic_alignment():
    from aligner.evaluate import score

    rng = np.random.default_rng(3)
    kinds = ["1-1"] * 30 + ["2-1"] * 4 + ["1-2"] * 4 + ["0-1"] * 3 + ["1-0"] * 3
    rng.shuffle(kinds)
    kinds = ["1-1"] + list(kinds) + ["1-1"]
    s, t, sl, tl, gold = _translation_pair(rng, kinds)
    a = align_windows(_windows(s, 4), _windows(t, 4), sl, tl)
    a.validate()
    result = score(a.links(), gold)
    assert result.strict_f1 > 0.9
    assert result.added_r > 0.6 and result.dropped_r > 0.6


def test_driver_is_deterministic_and_handles_empty_side():
    rng = np.random.default_rng(4)
    s, t = _unit(rng, 12), _unit(rng, 10)
    args = (_windows(s, 4), _windows(t, 4), np.full(12, 40.0), np.full(10, 40.0))
    assert align_windows(*args).beads == align_windows(*args).beads
    empty = align_windows([np.zeros((0, 32), np.float32)] * 4, _windows(t, 4), np.zeros(0), np.full(10, 1.0))
    assert [b.kind for b in empty.beads] == ["0-1"] * 10


def test_first_pass_uses_the_coarse_recursion_on_long_documents(monkeypatch):
    import aligner.align.driver as driver

    rng = np.random.default_rng(5)
    s = _unit(rng, 300)
    t = (s + 0.2 * rng.normal(size=s.shape)).astype(np.float32)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    monkeypatch.setattr(driver, "FULL_CELLS", 5_000)  # force the pooled recursion
    path = first_pass_path(s, t)
    assert path[0].tolist() == [0, 0] and path[-1].tolist() == [300, 300]
    assert np.mean(path[:, 0] == path[:, 1]) > 0.95


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 25), m=st.integers(0, 25), seed=st.integers(0, 10_000),
       width=st.integers(1, 6), max_side=st.integers(1, 4))
def test_every_alignment_covers_each_sentence_once_in_order(n, m, seed, width, max_side):
    rng = np.random.default_rng(seed)
    s = _unit(rng, n) if n else np.zeros((0, 32), np.float32)
    t = _unit(rng, m) if m else np.zeros((0, 32), np.float32)
    params = AlignParams(width=width, max_side=max_side)
    a = align_windows(_windows(s, 4) if n else [s] * 4, _windows(t, 4) if m else [t] * 4,
                      rng.uniform(5, 200, n), rng.uniform(5, 200, m), params)
    a.validate()  # raises unless every id appears once, in order
    assert sum(len(b.src) for b in a.beads) == n and sum(len(b.tgt) for b in a.beads) == m
    assert all(len(b.src) <= max_side and len(b.tgt) <= max_side for b in a.beads)


def test_validate_rejects_gaps_and_overlaps():
    with pytest.raises(ValueError):
        Alignment((Bead((0,), (0,)), Bead((2,), (1,))), 3, 2).validate()
    with pytest.raises(ValueError):
        Alignment((Bead((0,), (0,)), Bead((0,), (1,))), 1, 2).validate()


def test_band_cell_rows_and_cols_enumerate_the_band():
    band = band_around_path(np.array([(0, 0), (1, 2), (2, 2), (3, 5), (5, 6)]), 5, 6, 1)
    expected = [(i, j) for i in range(band.n + 1) for j in range(band.lo[i], band.hi[i])]
    assert list(zip(band.cell_rows().tolist(), band.cell_cols().tolist())) == expected


def test_float16_windows_give_the_float32_alignment():
    # the pipeline keeps window vectors in float16 (half the memory); products are taken in float32
    from aligner.evaluate import score


    rng = np.random.default_rng(11)
    kinds = ["1-1"] * 40 + ["2-1"] * 5 + ["1-2"] * 5 + ["0-1"] * 3 + ["1-0"] * 3
    rng.shuffle(kinds)
    s, t, sl, tl, gold = _translation_pair(rng, ["1-1"] + kinds + ["1-1"])
    sw, tw = _windows(s, 4), _windows(t, 4)
    full = align_windows(sw, tw, sl, tl)
    half = align_windows([w.astype(np.float16) for w in sw], [w.astype(np.float16) for w in tw], sl, tl)
    assert half.links() == full.links()
    assert score(half.links(), gold).strict_f1 > 0.9


def test_a_bead_across_a_paragraph_break_costs_para_penalty():
    # target sentence 0 translates source sentences 0 and 1 together; when they sit in different paragraphs, the
    # merge pays para_penalty on the source side, and a large penalty leaves one of them on its own
    rng = np.random.default_rng(12)
    s = _unit(rng, 6)
    t = np.vstack([s[0] + s[1], s[2:]]).astype(np.float32)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    args = (_windows(s, 4), _windows(t, 4), np.full(6, 40.0), np.array([80.0] + [40.0] * 4))
    merged = ((0, 1), (0,))
    assert merged in align_windows(*args).links()
    one_paragraph = np.zeros(6, np.int64)
    assert merged in align_windows(*args, AlignParams(para_penalty=1.0), one_paragraph, np.zeros(5, np.int64)).links()
    broken = np.array([0, 1, 1, 1, 1, 1])
    links = align_windows(*args, AlignParams(para_penalty=1.0), broken, np.zeros(5, np.int64)).links()
    assert merged not in links
    assert links[-4:] == [((2,), (1,)), ((3,), (2,)), ((4,), (3,)), ((5,), (4,))]
    # a side that breaks after nearly every sentence (fewer than 1.5 a paragraph) has no anchors to offer
    every_line = np.arange(6)
    assert merged in align_windows(*args, AlignParams(para_penalty=1.0), every_line, np.zeros(5, np.int64)).links()


# ---- numbers ----------------------------------------------------------------------------------------------------

def test_number_counts_read_digit_runs_of_two_or_more():
    from aligner.align.numbers import number_counts

    c = number_counts(["Cost 1.500 euros in 2024.", "It cost 1,500 euros in 2024 .", "Two (2) days.", "No figure."])
    assert c[0].sum() == 2 and np.array_equal(c[0], c[1])  # 500 and 2024 on both sides; the lone 1 is left out
    assert c[2].sum() == 0 and c[3].sum() == 0
    assert np.array_equal(number_counts(["1952"]), number_counts(["in 1952 ."]))  # crc32: the same every run


def test_mismatches_count_numbers_without_a_partner():
    from aligner.align.numbers import NumberWindows, mismatches, number_counts

    src = NumberWindows(number_counts(["In 1952 and 1953.", "About 250 m.", "Nothing."]))
    tgt = NumberWindows(number_counts(["En 1952 .", "En 1953 , 250 m ."]))
    si, tj = np.array([0, 0, 1, 2]), np.array([0, 0, 0, 0])
    # beads: src 0 : tgt 0 (1953 unmatched), src 0-1 : tgt 0-1 (all matched), src 1 : tgt 0 (250, 1952), src 2 : tgt 0
    got = [mismatches(src, tgt, si[k:k + 1], tj[k:k + 1], a, b)[0] for k, (a, b) in
           enumerate([(1, 1), (2, 2), (1, 1), (1, 1)])]
    assert got == [1.0, 0.0, 2.0, 1.0]


def test_a_figure_decides_which_of_two_like_sentences_is_the_translation():
    # the target says the same thing twice with different years: without numbers the aligner merges both into the
    # source's bead; with them, the sentence with the source's year is the pair and the other one is added
    from aligner.align.numbers import number_counts

    rng = np.random.default_rng(5)
    u = _unit(rng, 6)
    s, t = u[[0, 1, 2, 3]], u[[0, 1, 1, 2, 3]]
    src = ["x", "Built in 1952.", "y", "z"]
    args = (_windows(s, 4), _windows(t, 4), np.full(4, 40.0), np.full(5, 40.0))
    assert ((1,), (1, 2)) in align_windows(*args).links()
    for tgt, pair, added in ((["x", "Built in 1953.", "Built in 1952.", "y", "z"], 2, 1),
                             (["x", "Built in 1952.", "Built in 1953.", "y", "z"], 1, 2)):
        links = align_windows(*args, AlignParams(), None, None, number_counts(src), number_counts(tgt)).links()
        assert ((1,), (pair,)) in links and ((), (added,)) in links
    off = AlignParams(number_weight=0.0)
    assert ((1,), (1, 2)) in align_windows(*args, off, None, None, number_counts(src), number_counts(tgt)).links()


def test_a_line_with_no_word_stands_alone_instead_of_joining_a_neighbours_bead():
    """OCR debris, rules and ornaments ('- _-', '* * *') translate nothing; their vectors resemble a neighbour
    just enough to be glued to its bead (Text+Berg's debris lines): now they stand alone for nothing, as blank
    lines do."""
    from aligner.align import wordless

    assert wordless(["* * *", "Hola.", "", "2024", "Ñu.", "- _-", "…..", "東京"]).tolist() == \
        [True, False, False, True, False, True, True, False]
    rng = np.random.default_rng(5)
    u = _unit(rng, 6)
    junk = 0.5 * u[0] + 0.5 * u[4]
    s, t = u[[0, 1, 2, 3]], np.vstack([u[0], junk / np.linalg.norm(junk), u[1], u[2], u[3]])
    args = (_windows(s, 4), _windows(t, 4), np.full(4, 40.0), np.array([40.0, 5, 40, 40, 40]))
    assert align_windows(*args).links()[0] == ((0,), (0, 1))  # glued, without being told
    free = align_windows(*args, src_free=np.zeros(4, bool), tgt_free=np.array([0, 1, 0, 0, 0], bool))
    assert free.links()[:3] == [((0,), (0,)), ((), (1,)), ((1,), (2,))]
    # and as the pipeline aligns documents (the ornament was glued to the next sentence's bead)
    from conftest import FakeEncoder

    from aligner.pipeline import align_documents
    from aligner.segment import segment_lines

    src = segment_lines("alpha beta gamma.\ndelta epsilon zeta.\ntheta iota kappa.\n", "es")
    tgt = segment_lines("alpha beta gamma.\n* * *\ndelta epsilon zeta.\ntheta iota kappa.\n", "en")
    alignment = align_documents(src, tgt, FakeEncoder())
    assert alignment.links() == [((0,), (0,)), ((), (1,)), ((1,), (2,)), ((2,), (3,))]
    from aligner.flags import derive_flags

    vecs = [FakeEncoder().encode(doc.texts) for doc in (src, tgt)]
    assert derive_flags(alignment, src, tgt, *vecs) == []  # an ornament is no added passage


def test_blank_lines_of_presegmented_input_stand_alone_and_flag_nothing():
    """An encoder gives every empty line the same vector: two blank lines matched at 1.0 split the real pair
    around them into a drop and an addition, and the flagger called it a move."""
    from conftest import FakeEncoder

    from aligner.flags import derive_flags
    from aligner.pipeline import align_documents
    from aligner.segment import segment_lines

    src = segment_lines("alpha beta gamma.\n\ndelta epsilon. zeta eta.\ntheta iota.\n", "es")
    tgt = segment_lines("alpha beta gamma.\ndelta epsilon. zeta eta.\n\ntheta iota.\n", "en")
    encoder = FakeEncoder()
    alignment = align_documents(src, tgt, encoder)
    assert [(b.src, b.tgt) for b in alignment.beads] == [((0,), (0,)), ((1,), ()), ((2,), (1,)), ((), (2,)),
                                                         ((3,), (3,))]
    vecs = [encoder.encode(doc.texts) for doc in (src, tgt)]
    assert derive_flags(alignment, src, tgt, *vecs) == []
