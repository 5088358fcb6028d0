"""Review edits: every result is a valid alignment, confirmed beads never move, and the inverse pairs undo."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner import edits
from aligner.edits import EditError, Side
from aligner.models import Alignment, Bead, BeadStatus, Document, Sentence

S, T = Side.SRC, Side.TGT
AUTO, CONF, EDIT, FLAG = BeadStatus.AUTO, BeadStatus.CONFIRMED, BeadStatus.EDITED, BeadStatus.FLAGGED


def make(*kinds: str, status: dict | None = None) -> Alignment:
    """An alignment from bead kinds: make('1-1', '2-1', '0-1')."""
    beads, i, j = [], 0, 0
    for n, kind in enumerate(kinds):
        a, b = map(int, kind.split("-"))
        st_ = (status or {}).get(n, AUTO)
        beads.append(Bead(tuple(range(i, i + a)), tuple(range(j, j + b)), 0.5, st_))
        i, j = i + a, j + b
    return Alignment(tuple(beads), i, j)


def kinds(a: Alignment) -> list[str]:
    return [b.kind for b in a.beads]


def doc(n: int, lang: str) -> Document:
    sents = tuple(Sentence(k, f"{lang} {k}", 0, 0, 0) for k in range(n))
    return Document(f"x.{lang}", lang, "", sents)


def test_confirm_unconfirm_and_confirm_above():
    a = make("1-1", "1-1", "1-1", "1-1", status={1: FLAG})
    e = edits.confirm(a, 2)
    assert e.alignment.beads[2].status is CONF and e.cursor == 2
    assert edits.unconfirm(e.alignment, 2).alignment.beads[2].status is AUTO
    up = edits.confirm_above(a, 3).alignment
    assert [b.status for b in up.beads] == [CONF, FLAG, CONF, AUTO]


def test_taking_back_a_review_leaves_an_edited_bead_edited():
    a = edits.merge_next(make("1-1", "1-0", "1-1"), 0).alignment  # an EDITED 2-1 bead, without a score
    for review, undo in ((edits.confirm(a, 0), edits.unconfirm), (edits.flag(a, 0, 0, "divergent"),
                                                                    lambda b, i: edits.unflag(b, i, i))):
        back = undo(review.alignment, 0).alignment
        assert back.beads[0].status is EDIT  # not an automatic bead scoring 0.0 (a false low score)
    assert edits.unconfirm(edits.confirm(a, 1).alignment, 1).alignment.beads[1].status is AUTO


def test_an_aligned_pair_of_similarity_zero_comes_back_automatic_not_edited():
    """0.0 marks a pair an editor made, so the aligner never gives a pair that score, even when its sentences'
    vectors are orthogonal (the DP still links them: one bead costs less than two skipped sentences)."""
    import numpy as np

    from aligner.align import AlignParams, align_windows

    e1, e2 = np.eye(2, dtype=np.float32)
    src_win = [e1[None, :]] + [np.zeros((0, 2), np.float32)] * 3
    tgt_win = [e2[None, :]] + [np.zeros((0, 2), np.float32)] * 3
    a = align_windows(src_win, tgt_win, np.array([10.0]), np.array([10.0]), AlignParams(skip=-0.2))
    assert [(b.src, b.tgt) for b in a.beads] == [((0,), (0,))] and a.beads[0].score != 0.0
    assert edits.unconfirm(edits.confirm(a, 0).alignment, 0).alignment.beads[0].status is AUTO


def test_merge_next_and_prev():
    a = make("1-1", "1-0", "1-1")
    e = edits.merge_next(a, 0)
    assert kinds(e.alignment) == ["2-1", "1-1"] and e.alignment.beads[0].status is EDIT
    e = edits.merge_prev(a, 2)
    assert kinds(e.alignment) == ["1-1", "2-1"] and e.cursor == 1
    with pytest.raises(EditError, match="last bead"):
        edits.merge_next(a, 2)
    with pytest.raises(EditError, match="first bead"):
        edits.merge_prev(a, 0)


def test_confirmed_beads_are_protected():
    a = make("1-1", "1-1", "1-1", status={1: CONF})
    for op in (lambda: edits.merge_next(a, 0), lambda: edits.merge_prev(a, 2),
               lambda: edits.move_last_down(a, 0, S), lambda: edits.detach(a, 1, T)):
        with pytest.raises(EditError, match="bead 2 is confirmed"):
            op()


def test_split_points_and_split():
    b = Bead((0, 1), (0,))
    assert edits.split_points(b) == [(0, 1), (1, 0), (1, 1), (2, 0)]
    a = make("2-1", "1-1")
    e = edits.split(a, 0, 1, 1)
    assert kinds(e.alignment) == ["1-1", "1-0", "1-1"]
    with pytest.raises(EditError, match="cannot be split"):
        edits.split(a, 1, 1, 1)


def test_move_first_up_and_last_down():
    a = make("1-1", "1-2", "1-1")
    e = edits.move_first_up(a, 1, T)
    assert e.alignment.links()[:2] == [((0,), (0, 1)), ((1,), (2,))]
    e = edits.move_last_down(a, 1, T)
    assert e.alignment.links()[1:] == [((1,), (1,)), ((2,), (2, 3))]
    # a bead left with nothing disappears; at the document edges the sentence becomes a bead of its own
    e = edits.move_first_up(make("1-1", "0-1"), 1, T)
    assert kinds(e.alignment) == ["1-2"] and e.cursor == 0
    assert kinds(edits.move_first_up(a, 0, S).alignment)[:2] == ["1-0", "0-1"]
    assert kinds(edits.move_last_down(a, 2, T).alignment)[-2:] == ["1-0", "0-1"]
    with pytest.raises(edits.EditError, match="bead 2 has no target sentence to move down"):
        edits.move_last_down(make("1-1", "1-0", "1-1"), 1, T)


def test_shift_side_down_and_up_like_a_grid():
    a = make("1-1", "1-1", "1-1", "1-1", status={3: CONF})
    down = edits.shift_side(a, 1, T, down=True).alignment
    assert down.links() == [((0,), (0,)), ((1,), ()), ((2,), (1,)), ((), (2,)), ((3,), (3,))]
    up = edits.shift_side(down, 1, T, down=False).alignment
    assert up.links() == a.links()
    merged = edits.shift_side(a, 1, T, down=False).alignment
    assert merged.links() == [((0,), (0, 1)), ((1,), (2,)), ((2,), ()), ((3,), (3,))]


def test_detach_gives_an_empty_counterpart():
    a = make("1-2", "1-1")
    e = edits.detach(a, 0, T)
    assert e.alignment.links()[:2] == [((0,), (0,)), ((), (1,))] and e.cursor == 1
    e = edits.detach(make("1-1"), 0, S)
    assert e.alignment.links() == [((0,), ()), ((), (0,))] and e.cursor == 0
    with pytest.raises(EditError, match="already"):
        edits.detach(make("1-0", "0-1"), 0, S)


def test_split_one_sided_gives_one_bead_per_sentence():
    a = make("1-1", "3-0", "0-2", "1-1")
    e = edits.split_one_sided(a, 1)
    assert e.alignment.links() == [((0,), (0,)), ((1,), ()), ((2,), ()), ((3,), ()), ((), (1, 2)), ((4,), (3,))]
    assert [b.status for b in e.alignment.beads[1:4]] == [EDIT] * 3 and e.cursor == 1
    assert e.op == "split_one_sided" and e.detail == {"bead": 1, "beads": 3}
    assert edits.split_one_sided(a, 2).alignment.links()[2:4] == [((), (1,)), ((), (2,))]
    with pytest.raises(EditError, match="both sides"):
        edits.split_one_sided(a, 0)
    with pytest.raises(EditError, match="single sentence"):
        edits.split_one_sided(make("1-0", "1-1"), 0)
    with pytest.raises(EditError, match="confirmed"):
        edits.split_one_sided(make("2-0", status={0: CONF}), 0)


def test_flag_a_run_and_unflag():
    a = make("1-1", "1-1", "1-1")
    e = edits.flag(a, 2, 1, "divergent", "rewritten")
    assert [b.status for b in e.alignment.beads] == [AUTO, FLAG, FLAG]
    assert e.detail == {"first": 1, "last": 2, "kind": "divergent", "note": "rewritten"}
    assert [b.status for b in edits.unflag(e.alignment, 0, 2).alignment.beads] == [AUTO] * 3


def test_unflag_gives_back_the_confirmations_the_flag_covered():
    a = make("1-1", "1-1", "1-1", status={0: CONF, 2: CONF})
    kept = edits.confirmed_links(a, 0, 2)
    assert kept == [((0,), (0,)), ((2,), (2,))]
    flagged = edits.flag(a, 0, 2, "added").alignment
    e = edits.unflag(flagged, 0, 2, kept)
    assert [b.status for b in e.alignment.beads] == [CONF, AUTO, CONF]
    assert e.detail == {"first": 0, "last": 2, "confirmed": 2}
    # a link that is no bead any more (the bead was split meanwhile) confirms nothing
    assert [b.status for b in edits.unflag(flagged, 0, 2, [((0, 1), (0,))]).alignment.beads] == [AUTO] * 3


def test_realign_keeps_confirmed_and_rebases_ids():
    a = make("1-1", "2-1", "1-1", "1-1", status={0: CONF, 3: CONF})
    seen = []

    def one_to_one(s: Document, t: Document) -> Alignment:
        seen.append(([x.id for x in s.sentences], [x.text for x in s.sentences], [x.text for x in t.sentences]))
        beads = [Bead((k,), (k,), 0.9) for k in range(min(len(s), len(t)))]
        beads += [Bead((k,), ()) for k in range(len(t), len(s))]
        return Alignment(tuple(beads), len(s), len(t))

    e = edits.realign(a, 1, doc(5, "es"), doc(4, "en"), one_to_one)
    assert seen == [([0, 1, 2], ["es 1", "es 2", "es 3"], ["en 1", "en 2"])]
    assert e.alignment.links() == [((0,), (0,)), ((1,), (1,)), ((2,), (2,)), ((3,), ()), ((4,), (3,))]
    assert e.alignment.beads[0].status is CONF and e.alignment.beads[-1].status is CONF
    with pytest.raises(EditError, match="confirmed"):
        edits.realign(a, 0, doc(5, "es"), doc(4, "en"), one_to_one)


def test_a_bead_the_realignment_draws_as_it_was_stays_the_very_bead():
    """Its confidence too: the review app shows the one the store keeps (an edit saves only the beads it changed)."""
    a = make("1-1", "2-1", "1-1")
    a = a.with_beads([replace(a.beads[0], confidence=0.93), replace(a.beads[1], confidence=0.41), a.beads[2]])

    def again(s: Document, t: Document) -> Alignment:  # the same first bead, the 2-1 drawn 1-1 + 1-0
        beads = (Bead((0,), (0,), 0.9, confidence=0.5), Bead((1,), (1,), 0.8, confidence=0.6),
                 Bead((2,), (), confidence=0.6), Bead((3,), (2,), 0.7, confidence=0.99))
        return Alignment(beads, len(s), len(t))

    e = edits.realign(a, 1, doc(4, "es"), doc(3, "en"), again)
    assert e.alignment.beads[0] is a.beads[0] and e.alignment.beads[0].confidence == 0.93
    assert [b.confidence for b in e.alignment.beads[1:3]] == [0.6, 0.6]  # new beads: the re-alignment's
    assert e.alignment.beads[3] is a.beads[2]  # drawn as it was (it had no confidence: it keeps none)


def test_realign_keeps_the_beads_an_editor_made():
    """A bead the editor split off by hand (EDITED) is a decision too: `r` from an automatic bead nearby leaves it
    as it is."""
    a = edits.detach(make("1-1", "1-1", "1-1", "1-1"), 2, S).alignment  # bead 2 -> 1-0 and 0-1, edited

    def one_to_one(s: Document, t: Document) -> Alignment:
        return Alignment(tuple(Bead((k,), (k,), 0.9) for k in range(len(s))), len(s), len(t))

    assert [b.status for b in a.beads[2:4]] == [EDIT, EDIT]
    assert edits.unconfirmed_stretch(a, 0) == (0, 2)
    e = edits.realign(a, 0, doc(4, "es"), doc(4, "en"), one_to_one)
    assert e.alignment.beads[2:] == a.beads[2:]
    # from an edited bead (after a shift, every bead down to the next confirmed one is), the edited beads go too
    assert edits.unconfirmed_stretch(a, 2) == (0, 5)
    again = edits.realign(a, 2, doc(4, "es"), doc(4, "en"), one_to_one).alignment
    assert again.links() == [((k,), (k,)) for k in range(4)]


def test_realign_keeps_flagged_beads_and_the_cursors_sentence():
    a = make("1-1", "2-1", "1-1", "1-2", "1-1", status={2: FLAG})

    def one_to_one(s: Document, t: Document) -> Alignment:
        n = min(len(s), len(t))
        beads = [Bead((k,), (k,), 0.9) for k in range(n)] + [Bead((k,), ()) for k in range(n, len(s))]
        return Alignment(tuple(beads + [Bead((), (k,)) for k in range(n, len(t))]), len(s), len(t))

    assert edits.unconfirmed_stretch(a, 4) == (3, 5)  # bounded by the flagged bead 2
    e = edits.realign(a, 1, doc(6, "es"), doc(6, "en"), one_to_one)
    # the stretch is beads 0..1 (source 0-2, target 0-1): 2-1 pairs and one dropped; the flagged bead and the
    # rest stay as they were
    assert e.alignment.links()[:3] == [((0,), (0,)), ((1,), (1,)), ((2,), ())]
    assert e.alignment.beads[3:] == a.beads[2:]
    assert e.cursor == 1  # the cursor stays with bead 1's first sentence (it used to go to the stretch's start)
    with pytest.raises(EditError, match="flagged"):
        edits.realign(a, 2, doc(6, "es"), doc(6, "en"), one_to_one)


# ---- properties over random alignments and random edit sequences -------------------------------------------

@st.composite
def alignments(draw) -> Alignment:
    shapes = st.sampled_from(["1-1"] * 6 + ["2-1", "1-2", "1-0", "0-1", "2-2", "3-1", "2-0", "0-3"])
    ks = draw(st.lists(shapes, min_size=1, max_size=12))
    statuses = draw(st.lists(st.sampled_from([AUTO, AUTO, CONF, EDIT, FLAG]), min_size=len(ks),
                             max_size=len(ks)))
    return make(*ks, status=dict(enumerate(statuses)))


OPS = ["confirm", "unconfirm", "confirm_above", "merge_next", "merge_prev", "split", "move_first_up",
       "move_last_down", "shift_down", "shift_up", "detach", "split_one_sided", "flag", "unflag", "realign"]


def apply(a: Alignment, op: str, i: int, side: Side, r: int) -> edits.Edit:
    """One edit by name, with `r` choosing among its arguments."""
    if op == "split":
        pts = edits.split_points(a.beads[i]) or [(0, 0)]
        return edits.split(a, i, *pts[r % len(pts)])
    if op in ("move_first_up", "move_last_down", "detach"):
        return getattr(edits, op)(a, i, side)
    if op in ("shift_down", "shift_up"):
        return edits.shift_side(a, i, side, down=op == "shift_down")
    if op in ("flag", "unflag"):
        j = min(i + r % 3, len(a.beads) - 1)
        return edits.flag(a, i, j, "added") if op == "flag" else edits.unflag(a, i, j)
    if op == "realign":
        def diagonal(s, t):
            n = min(len(s), len(t))
            beads = [Bead((k,), (k,)) for k in range(n)] + [Bead((k,), ()) for k in range(n, len(s))]
            return Alignment(tuple(beads + [Bead((), (k,)) for k in range(n, len(t))]), len(s), len(t))
        return edits.realign(a, i, doc(a.n_src, "es"), doc(a.n_tgt, "en"), diagonal)
    return getattr(edits, op)(a, i)


def confirmed(a: Alignment) -> set:
    return {(b.src, b.tgt) for b in a.beads if b.status is CONF}


@settings(max_examples=300, deadline=None)
@given(alignments(), st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 20), st.sampled_from([S, T]),
                                        st.integers(0, 20)), max_size=15))
def test_random_edit_sequences_stay_valid_and_keep_confirmed_beads(a, ops):
    for op, i, side, r in ops:
        before = a
        try:
            e = apply(a, op, i % len(a.beads), side, r)
        except EditError:
            continue
        e.alignment.validate()
        assert 0 <= e.cursor < len(e.alignment.beads)
        if op not in ("unconfirm", "flag"):
            assert confirmed(before) <= confirmed(e.alignment), op
        a = e.alignment
        assert before.validate() is None  # edits never touch their input


@settings(max_examples=200, deadline=None)
@given(alignments(), st.integers(0, 20), st.sampled_from([S, T]))
def test_inverse_pairs_restore_the_links(a, i, side):
    i %= len(a.beads)
    try:
        m = edits.merge_next(a, i)
    except EditError:
        pass
    else:
        b = a.beads[i]
        assert edits.split(m.alignment, i, len(b.src), len(b.tgt)).alignment.links() == a.links()
    try:
        d = edits.shift_side(a, i, side, down=True)
    except EditError:
        pass
    else:
        if len(d.alignment.beads) == len(a.beads) + 1:  # no row emptied: shifting up at the same row undoes it
            assert edits.shift_side(d.alignment, i, side, down=False).alignment.links() == a.links()


@given(alignments(), st.integers(0, 20))
def test_edit_then_restoring_the_before_state_is_exact(a, i):
    i %= len(a.beads)
    before = a.with_beads(a.beads)
    try:
        edits.merge_next(a, i)
    except EditError:
        pass
    assert a == before and a.beads == before.beads
