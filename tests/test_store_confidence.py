"""Bead confidences in the store: kept with a run, read back with its beads, lost by an editor's bead, found again
by a bead an undo brings back (in this process and after a restart), written for a re-aligned stretch, removed
with their run, and absent (not an error) in a project made before they were kept."""

from __future__ import annotations

import pytest
from conftest import made_up_pair

import aligner.store.base
from aligner import edits
from aligner.models import Alignment, Bead, BeadStatus
from aligner.store import MIGRATIONS, Store, prune, remove_pairs

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
    return [b.confidence for b in store.alignment(name).beads]


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


def test_a_re_aligned_stretch_keeps_the_new_beads_confidences(store, tmp_path):
    a = store.alignment("doc")
    again = [Bead((1, 2), (1, 2), 0.75, confidence=0.55)]  # what a re-alignment of beads 2 and 3 gave
    store.apply_edit("doc", a.with_beads(a.beads[:1] + tuple(again) + a.beads[3:]), "realign", {})
    store.close()
    with Store.open(tmp_path / "p.db") as s:
        assert confidences(s) == [0.99, 0.55, 0.97, 1.0, 0.88, 0.93]
        assert s.undo("doc").beads[1].confidence == 0.42  # the beads before it, as the run made them


def test_confidences_go_with_their_runs(store):
    count = "SELECT count(*) FROM bead_confidence"
    store.save_alignment("doc", aligned(confidence=[0.5] * 7), {"model": "f"})
    assert confidences(store) == [0.5] * 7
    assert store._conn.execute(count).fetchone()[0] == 14
    prune(store, keep_runs=1)
    assert store._conn.execute(count).fetchone()[0] == 7
    remove_pairs(store, ["doc"])
    assert store._conn.execute(count).fetchone()[0] == 0


def test_a_project_from_before_confidences_opens_without_them(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    with monkeypatch.context() as m:  # the file as the aligner of schema 4 left it
        m.setattr(aligner.store.base, "MIGRATIONS", MIGRATIONS[:4])
        with Store.open(path) as s:
            add(s)
            s.save_alignment("doc", aligned(confidence=[None] * 7), {"model": "f"})
    with Store.open(path) as s:
        assert s.schema_version() == len(MIGRATIONS)
        assert confidences(s) == [None] * 7
        s.save_alignment("doc", aligned(), {"model": "f"})  # aligned again: now it has them
        assert confidences(s) == CONF
