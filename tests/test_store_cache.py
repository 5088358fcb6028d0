"""The store's cache of the last alignment it read or wrote: an edit needs no reload of the run's beads, and
another connection's edit, an undo, a redo or a rolled-back transaction never leaves it stale."""

from __future__ import annotations

import pytest
from conftest import made_up_pair

from aligner import edits
from aligner.errors import StoreError
from aligner.models import Alignment, Bead, BeadStatus
from aligner.store import Store

SRC, TGT = made_up_pair(8)


def one_to_one(n: int) -> Alignment:
    return Alignment(tuple(Bead((i,), (i,), 0.8) for i in range(n)), n, n, meta={"model": "fake"})


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "p.db"
    with Store.open(path) as store:
        s = store.add_document("es/doc.txt", "es", "\n\n".join(SRC) + "\n")
        t = store.add_document("en/doc.txt", "en", "\n\n".join(TGT) + "\n")
        store.add_pair("doc", s, t)
        store.save_alignment("doc", one_to_one(8), {"model": "fake"})
    return path


@pytest.fixture
def store(path):
    with Store.open(path) as s:
        yield s


def bead_loads(store: Store) -> list[str]:
    """Start counting the queries that load a run's beads on the store's connection."""
    seen: list[str] = []
    store._conn.set_trace_callback(lambda sql: seen.append(sql) if "FROM beads" in sql and "SELECT" in sql
                                   and "count(" not in sql else None)
    return seen


def fresh(path) -> tuple[Alignment, tuple]:
    """The pair's alignment and bead dates as a new connection reads them."""
    with Store.open(path) as other:
        a = other.alignment("doc")
        return a, other._beads_of_run(a.meta["run_id"])[1]


def test_a_cache_hit_gives_what_a_reload_gives_without_reading_the_beads(path, store):
    a = store.alignment("doc")
    e = edits.merge_next(a, 2)
    store.apply_edit("doc", e.alignment, e.op, e.detail)
    loads = bead_loads(store)
    again = store.alignment("doc")
    e2 = edits.confirm(again, 0)
    store.apply_edit("doc", e2.alignment, e2.op, e2.detail)
    cached = store.alignment("doc")
    assert loads == []
    want, dates = fresh(path)
    assert cached.beads == want.beads == e2.alignment.beads
    assert cached.meta == want.meta and cached.meta["revision"] == 2
    assert store._beads_of_run(cached.meta["run_id"])[1] == dates


def test_undo_and_redo_keep_the_cache_in_step_with_the_file(path, store):
    a = store.alignment("doc")
    for e in (edits.merge_next(a, 1), None, None):
        e = e or edits.confirm(store.alignment("doc"), 4)
        store.apply_edit("doc", e.alignment, e.op, e.detail)
    loads = bead_loads(store)
    for step in (store.undo, store.undo, store.redo, store.undo, store.redo, store.redo):
        got = step("doc")
        want, dates = fresh(path)
        assert got.beads == want.beads and got.meta == want.meta
        assert store._beads_of_run(got.meta["run_id"])[1] == dates
    assert loads == []


def test_another_connections_edit_invalidates_the_cache(path, store):
    mine = store.alignment("doc")
    with Store.open(path) as other:
        other.set_status("doc", [5], "confirmed")
    loads = bead_loads(store)
    seen = store.alignment("doc")
    assert len(loads) == 1  # the revision moved on: reloaded
    assert seen.beads[5].status is BeadStatus.CONFIRMED and seen.meta["revision"] == 1
    e = edits.merge_next(mine, 0)
    with pytest.raises(StoreError, match="edited elsewhere"):
        store.apply_edit("doc", e.alignment, e.op, e.detail)
    e = edits.merge_next(seen, 0)
    store.apply_edit("doc", e.alignment, e.op, e.detail)
    assert fresh(path)[0].beads == e.alignment.beads


def test_a_new_run_from_another_connection_is_seen(path, store):
    store.alignment("doc")
    with Store.open(path) as other:
        other.save_alignment("doc", Alignment((Bead((0, 1), (0,), 0.5),) + tuple(
            Bead((i,), (i - 1,), 0.7) for i in range(2, 8)) + (Bead((), (7,), 0.0),), 8, 8), {"model": "fake"})
    assert store.alignment("doc").beads[0].src == (0, 1)


def test_a_rolled_back_edit_leaves_no_trace_in_the_cache(path, store):
    a = store.alignment("doc")
    e = edits.merge_next(a, 3)
    with pytest.raises(RuntimeError), store.transaction():
        store.apply_edit("doc", e.alignment, e.op, e.detail)
        raise RuntimeError("changed my mind")
    assert store.alignment("doc").beads == a.beads == fresh(path)[0].beads
    with Store.open(path) as other:  # the same revision number now means another change
        other.set_status("doc", [0], "confirmed")
    assert store.alignment("doc").beads[0].status is BeadStatus.CONFIRMED


def test_changing_a_returned_alignments_meta_does_not_reach_the_cache(store):
    a = store.alignment("doc")
    a.meta["revision"] = 99
    a.meta["params"]["x"] = 1
    b = store.alignment("doc")
    assert b.meta["revision"] == 0 and "x" not in b.meta["params"]


def test_an_edit_that_skips_sentences_is_refused_though_only_its_stretch_is_checked(store):
    a = store.alignment("doc")
    beads = list(a.beads)
    beads[3] = Bead((3,), (4,), 0.5)
    beads[4] = Bead((4,), (3,), 0.5)
    with pytest.raises(StoreError, match="invalid alignment.*do not continue"):
        store.apply_edit("doc", a.with_beads(beads), "swap", {})
    with pytest.raises(StoreError, match="invalid alignment.*end at"):
        store.apply_edit("doc", a.with_beads(beads[:3] + [Bead((3,), (3,), 0.5)] + beads[5:]), "drop", {})
    assert store.history("doc") == []
