"""Bead confidences in the store: kept with a run's beads, none for an editor's bead (also once confirmed), brought
back by undo and redo exactly (in this process and after a restart, from the edit log), written for a re-aligned
stretch without touching the run's other beads, given to the beads align-all carries over, removed with their
run, and absent (not an error) in a project made before they were kept."""

from __future__ import annotations

import pytest
from conftest import as_schema, made_up_pair

from aligner import edits
from aligner.models import Alignment, Bead, BeadStatus
from aligner.store import MIGRATIONS, Store
from aligner.store.stretch import FORMAT

CONF = [0.99, 0.42, 0.61, 0.97, 1.0, 0.88, 0.93]


def text(lines) -> str:
    return "\n".join(lines) + "\n"


def add(store: Store, name: str = "doc", n: int = 6) -> None:
    src, tgt = made_up_pair(n, seed=n)
    store.add_pair(name, store.add_document(f"es/{name}.txt", "es", text(src)),
                   store.add_document(f"en/{name}.txt", "en", text(tgt)))


def aligned(n: int = 6, confidence=CONF) -> Alignment:
    """1-1 beads, the 5th source and target sentences unaligned (a 1-0 and a 0-1 bead)."""
    beads = [Bead((i,), (i,), 0.8, confidence=c) for i, c in zip(range(4), confidence)]
    beads += [Bead((4,), (), 0.0, confidence=confidence[4]), Bead((), (4,), 0.0, confidence=confidence[5]),
              Bead((5,), (5,), 0.7, confidence=confidence[6])]
    return Alignment(tuple(beads), n, n)


def confidences(store: Store, name: str = "doc") -> list:
    return sure(store.alignment(name))


def sure(a: Alignment) -> list:
    return [b.confidence for b in a.beads]


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "p.db") as s:
        add(s)
        s.save_alignment("doc", aligned(), {"model": "f"})
        yield s


def test_a_run_keeps_its_confidences_and_an_editors_bead_has_none(store, tmp_path):
    assert confidences(store) == CONF
    e = edits.merge_next(store.alignment("doc"), 1)  # beads 2 and 3 merged by hand: an editor's 2-2 bead
    store.apply_edit("doc", e.alignment, e.op, e.detail)
    assert confidences(store) == [0.99, None, 0.97, 1.0, 0.88, 0.93]
    e = edits.confirm(store.alignment("doc"), 0)
    store.apply_edit("doc", e.alignment, e.op, e.detail)
    assert store.alignment("doc").beads[0].status is BeadStatus.CONFIRMED
    assert confidences(store)[0] == 0.99  # a confirmed bead keeps what the aligner thought of it
    store.close()
    with Store.open(tmp_path / "p.db") as again:  # read from the file, not from the process's memory
        assert confidences(again) == [0.99, None, 0.97, 1.0, 0.88, 0.93]


@pytest.mark.parametrize("restart", [False, True])
def test_an_undo_brings_back_the_beads_with_their_confidences(store, tmp_path, restart):
    e = edits.merge_next(store.alignment("doc"), 1)
    store.apply_edit("doc", e.alignment, e.op, e.detail)
    if restart:  # the beads then come from the edit log, not from the process's memory
        store.close()
        store = Store.open(tmp_path / "p.db")
    assert store.undo("doc").beads[1].confidence == 0.42
    assert confidences(store) == CONF
    assert store.redo("doc").beads[1].confidence is None
    store.close()


def test_a_re_aligned_stretch_keeps_the_new_beads_confidences_and_an_undo_the_old_ones(store, tmp_path):
    a = store.alignment("doc")
    e = edits.merge_next(a, 1)
    store.apply_edit("doc", e.alignment, e.op, e.detail)
    again = [Bead((1,), (1,), 0.8, confidence=0.51), Bead((2,), (2,), 0.8, confidence=0.77)]  # a re-alignment
    a = store.alignment("doc")
    store.apply_edit("doc", a.with_beads(a.beads[:1] + tuple(again) + a.beads[2:]), "realign", {})
    assert confidences(store)[:4] == [0.99, 0.51, 0.77, 0.97]
    assert [r[0] for r in store._conn.execute("SELECT format FROM edits ORDER BY id")] == [FORMAT, FORMAT]
    store.close()
    with Store.open(tmp_path / "p.db") as s:  # undo and redo from the log: each bead as it was, confidence too
        assert confidences(s)[:4] == [0.99, 0.51, 0.77, 0.97]
        assert sure(s.undo("doc"))[:3] == [0.99, None, 0.97]
        assert sure(s.undo("doc"))[:4] == CONF[:4]
        assert sure(s.redo("doc"))[:3] == [0.99, None, 0.97]
        assert sure(s.redo("doc"))[:4] == [0.99, 0.51, 0.77, 0.97]


def test_an_editors_bead_has_no_confidence_once_confirmed_either(store, tmp_path):
    a = store.alignment("doc")
    merged = edits.merge_next(a, 1).alignment
    split = edits.split(merged, 1, 1, 1).alignment  # split back by hand: the beads of the run, made by an editor
    store.apply_edit("doc", split, "split", {})
    store.set_status("doc", [1, 2], "confirmed")
    store.close()
    with Store.open(tmp_path / "p.db") as s:
        assert confidences(s)[:4] == [0.99, None, None, 0.97]


def test_beads_carried_over_by_a_new_run_take_its_confidences(store):
    store.set_status("doc", [0], "confirmed")
    fresh = aligned(confidence=[0.5] * 7)
    store.save_alignment("doc", fresh, {"model": "f"})  # bead 0 is carried over: confirmed, same sentences
    beads = store.alignment("doc").beads
    assert beads[0].status is BeadStatus.CONFIRMED and beads[0].confidence == 0.5


def test_an_editors_bead_carried_over_keeps_no_confidence(store):
    a = store.alignment("doc")
    made = a.with_beads(a.beads[:1] + (Bead((1,), (1,), 0.0, BeadStatus.EDITED),) + a.beads[2:])
    store.apply_edit("doc", made, "by hand", {})
    store.save_alignment("doc", aligned(confidence=[0.5] * 7), {"model": "f"})  # the new run draws it the same
    beads = store.alignment("doc").beads
    assert beads[1].status is BeadStatus.EDITED and beads[1].confidence is None


def test_a_project_from_before_confidences_opens_without_them(tmp_path):
    path = tmp_path / "old.db"
    with Store.open(path) as s:
        add(s)
        s.save_alignment("doc", aligned(), {"model": "f"})
    as_schema(path, 4)  # the file as the aligner of schema 4 left it
    with Store.open(path) as s:
        assert s.schema_version() == len(MIGRATIONS)
        assert confidences(s) == [None] * 7
        s.save_alignment("doc", aligned(), {"model": "f"})  # aligned again: now it has them
        assert confidences(s) == CONF
