"""The project database on real SQLite files: schema, versions, alignments, edits with undo across restarts,
flags, the embedding cache, streaming rows, two writers at once and a crash in the middle of an edit."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import numpy as np
import pytest
from conftest import as_schema, made_up_pair
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aligner import edits
from aligner.errors import InputError, StoreError
from aligner.models import Alignment, Bead, BeadStatus
from aligner.segment import segment_text
from aligner.store import MIGRATIONS, Store, carry_review, prune, sha1

SRC, TGT = made_up_pair(6)


def text(lines):
    return "\n\n".join(lines) + "\n"


def one_to_one(n: int) -> Alignment:
    return Alignment(tuple(Bead((i,), (i,), 0.8) for i in range(n)), n, n, meta={"model": "fake"})


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "p.db")
    yield s
    s.close()


@pytest.fixture
def aligned(store):
    """A pair 'doc' of 6 sentences a side, aligned 1-1."""
    s = store.add_document("es/doc.txt", "es", text(SRC))
    t = store.add_document("en/doc.txt", "en", text(TGT))
    store.add_pair("doc", s, t)
    store.save_alignment("doc", one_to_one(6), {"model": "fake", "params": {"max_side": 4}})
    return store


# ---- opening -------------------------------------------------------------------------------------------------

def test_open_creates_the_schema_in_wal_mode_and_records_migrations(tmp_path):
    path = tmp_path / "p.db"
    with Store.open(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [v for (v,) in conn.execute("SELECT version FROM schema_migrations")] == list(range(1, len(MIGRATIONS) + 1))
    with Store.open(path) as again:  # opening again migrates nothing
        assert again.schema_version() == len(MIGRATIONS)


def older_schema(monkeypatch, path, version: int) -> Store:
    """A project database as an aligner that knew only the first `version` migrations made it."""
    import aligner.store.base

    with monkeypatch.context() as m:
        m.setattr(aligner.store.base, "MIGRATIONS", MIGRATIONS[:version])
        return Store.open(path)


def test_a_database_of_an_older_schema_is_migrated_on_open(tmp_path, monkeypatch):
    path = tmp_path / "p.db"
    with older_schema(monkeypatch, path, 1) as store:
        store.add_pair("doc", store.add_document("es/doc.txt", "es", text(SRC)),
                       store.add_document("en/doc.txt", "en", text(TGT)))
        assert store.schema_version() == 1 and "view_state" not in store.db.table_names()
    with pytest.raises(StoreError, match="schema upgrade"):
        Store.open(path, readonly=True)
    with Store.open(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.pair("doc").n_src == len(SRC)
        store.save_view_state("doc", {"cursor": 3})
        assert store.view_state("doc") == {"cursor": 3}


def test_a_file_that_is_not_a_database_is_named(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not SQLite at all" * 100)
    with pytest.raises(StoreError, match="notes.db"):
        Store.open(path)


def test_a_foreign_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not an aligner project"):
        Store.open(path)


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "p.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x')")
    conn.commit()
    with pytest.raises(StoreError, match="newer aligner"):
        Store.open(path)


def test_a_missing_database_is_not_created_for_reading(tmp_path):
    with pytest.raises(StoreError, match="no project database"):
        Store.open(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


# ---- documents and pairs -------------------------------------------------------------------------------------

def test_documents_are_versioned_by_content(store):
    a = store.add_document("es/doc.txt", "es", text(SRC))
    assert store.add_document("es/doc.txt", "es", text(SRC)) == a
    b = store.add_document("es/doc.txt", "es", text(SRC[:-1] + ["Otra frase distinta."]))
    assert b != a
    assert store.document_info(b)["version"] == 2
    assert store.document_info(a)["version"] == 1


def test_documents_for_rebuilds_the_segmented_documents(store):
    s = store.add_document("es/doc.txt", "es", text(SRC))
    t = store.add_document("en/doc.txt", "en", text(TGT))
    store.add_pair("doc", s, t)
    src, tgt = store.documents_for("doc")
    assert src == segment_text(text(SRC), "es", "es/doc.txt")
    assert tgt.texts == TGT and tgt.lang == "en"


def test_an_undecodable_file_is_stored_with_its_error(store):
    doc = store.add_document("es/bad.txt", "es", "canción\n".encode("latin-1"))
    assert "UTF-8" in store.document_info(doc)["error"]
    with pytest.raises(InputError, match="bad.txt"):
        store.document(doc)


def test_add_sentences_keeps_paragraphs_and_versions_by_text_and_paragraphs(store):
    a = store.add_sentences("tm#x.es", "ES", [("Uno.", 0), ("Dos  y\ttres.", 2), ("Cuatro.", 2)])
    doc = store.document(a)
    assert doc.lang == "es" and doc.texts == ["Uno.", "Dos y tres.", "Cuatro."]
    assert doc.paragraphs == [0, 2, 2]
    assert [doc.text[s.start:s.end] for s in doc.sentences] == doc.texts
    assert store.add_sentences("tm#x.es", "es", [("Uno.", 0), ("Dos y tres.", 2), ("Cuatro.", 2)]) == a
    b = store.add_sentences("tm#x.es", "es", [("Uno.", 0), ("Dos y tres.", 1), ("Cuatro.", 2)])
    assert b != a and store.document_info(b)["version"] == 2
    with pytest.raises(StoreError, match="at least one sentence"):
        store.add_sentences("tm#y.es", "es", [])


def test_save_alignment_takes_the_run_date_and_bead_dates_it_is_given(store):
    store.add_pair("doc", store.add_document("es/doc.txt", "es", text(SRC)),
                   store.add_document("en/doc.txt", "en", text(TGT)))
    changed = [None, "2024-02-03T04:05:06+00:00", None, None, None, None]
    store.save_alignment("doc", one_to_one(6), {"model": "fake", "date": datetime(2024, 1, 2, 3, 4, 5),
                                                "changed": changed})
    assert store.runs("doc")[0]["date"] == "2024-01-02T03:04:05+00:00"
    rows = list(store.iter_beads())
    assert rows[0].created == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC) and rows[0].changed is None
    assert rows[1].changed == datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
    with pytest.raises(StoreError, match="2 change dates for 6 beads"):
        store.save_alignment("doc", one_to_one(6), {"changed": [None, None]})


def test_add_pair_reports_changes_only_when_content_changes(store):
    s = store.add_document("es/doc.txt", "es", text(SRC))
    t = store.add_document("en/doc.txt", "en", text(TGT))
    pid, changed = store.add_pair("doc", s, t)
    assert changed and store.pair("doc").status.value == "new"
    assert store.add_pair("doc", s, t) == (pid, False)
    t2 = store.add_document("en/doc.txt", "en", text(TGT + ["One more."]))
    assert store.add_pair("doc", s, t2) == (pid, True)
    assert store.pair("doc").n_tgt == 7


def test_unknown_pair_names_the_known_ones(aligned):
    with pytest.raises(StoreError, match="no pair named 'nope'.*doc"):
        aligned.pair("nope")


# ---- alignments and edits ------------------------------------------------------------------------------------

def test_save_alignment_records_a_run_and_the_beads(aligned):
    a = aligned.alignment("doc")
    assert a.links() == one_to_one(6).links()
    assert a.meta["model"] == "fake" and a.meta["params"] == {"max_side": 4}
    runs = aligned.runs("doc")
    assert len(runs) == 1 and runs[0]["figures"]["beads"] == 6
    info = aligned.pair("doc")
    assert (info.status.value, info.beads, info.reviewed) == ("aligned", 6, 0)


def test_null_beads_keep_their_place(store):
    s = store.add_document("es/doc.txt", "es", text(SRC[:3]))
    t = store.add_document("en/doc.txt", "en", text(TGT[:3]))
    store.add_pair("doc", s, t)
    beads = (Bead((0,), ()), Bead((), (0,)), Bead((1, 2), (1,)), Bead((), (2,)))
    store.save_alignment("doc", Alignment(beads, 3, 3), {"model": "fake"})
    assert store.alignment("doc").beads == beads


def test_edits_undo_and_redo(aligned):
    a0 = aligned.alignment("doc")
    e1 = edits.merge_next(a0, 1)
    assert aligned.apply_edit("doc", e1.alignment, e1.op, e1.detail) is not None
    e2 = edits.confirm(e1.alignment, 0)
    aligned.apply_edit("doc", e2.alignment, e2.op, e2.detail)
    assert aligned.alignment("doc").beads == e2.alignment.beads
    assert aligned.undo("doc").beads == e1.alignment.beads
    assert aligned.undo("doc").beads == a0.beads
    assert aligned.undo("doc") is None
    assert aligned.redo("doc").beads == e1.alignment.beads
    # a new edit drops what was left to redo
    e3 = edits.confirm(aligned.alignment("doc"), 3)
    aligned.apply_edit("doc", e3.alignment, e3.op, e3.detail)
    assert aligned.redo("doc") is None
    assert [h.op for h in aligned.history("doc")] == ["merge_next", "confirm"]


def test_undo_and_redo_survive_a_restart(tmp_path, aligned):
    a0 = aligned.alignment("doc")
    e = edits.merge_next(a0, 2)
    aligned.apply_edit("doc", e.alignment, e.op, e.detail)
    aligned.close()
    with Store.open(tmp_path / "p.db") as again:
        assert again.undo("doc").beads == a0.beads
    with Store.open(tmp_path / "p.db") as again:
        assert again.redo("doc").beads == e.alignment.beads


def test_an_edit_that_changes_nothing_is_not_logged(aligned):
    assert aligned.apply_edit("doc", aligned.alignment("doc"), "noop", {}) is None
    assert aligned.history("doc") == []


def test_an_edit_of_a_replaced_alignment_is_refused(aligned):
    stale = aligned.alignment("doc")
    aligned.save_alignment("doc", one_to_one(6), {"model": "fake"})
    e = edits.merge_next(stale, 0)
    with pytest.raises(StoreError, match="replaced by a new run"):
        aligned.apply_edit("doc", e.alignment, e.op, e.detail)


def test_an_edit_of_an_alignment_edited_elsewhere_is_refused(tmp_path, aligned):
    mine = aligned.alignment("doc")
    with Store.open(tmp_path / "p.db") as other:
        other.set_status("doc", [0], "confirmed")
    e = edits.merge_next(mine, 2)
    with pytest.raises(StoreError, match="edited elsewhere"):
        aligned.apply_edit("doc", e.alignment, e.op, e.detail)
    # one editor's successive edits carry the revision along
    e1 = edits.confirm(aligned.alignment("doc"), 1)
    aligned.apply_edit("doc", e1.alignment, e1.op, e1.detail)
    e2 = edits.merge_next(e1.alignment, 3)
    aligned.apply_edit("doc", e2.alignment, e2.op, e2.detail)
    assert aligned.alignment("doc").beads == e2.alignment.beads


def test_an_invalid_alignment_is_refused(aligned):
    broken = aligned.alignment("doc").with_beads(one_to_one(6).beads[:-1])
    with pytest.raises(StoreError, match="invalid"):
        aligned.apply_edit("doc", broken, "oops", {})


def test_set_status_is_an_undoable_edit(aligned):
    aligned.set_status("doc", [0, 2], BeadStatus.CONFIRMED)
    assert [b.status.value for b in aligned.alignment("doc").beads][:3] == ["confirmed", "auto", "confirmed"]
    assert aligned.pair("doc").reviewed == 2
    aligned.undo("doc")
    assert aligned.pair("doc").reviewed == 0


EDIT_OPS = {"merge_next": edits.merge_next, "confirm": edits.confirm, "unconfirm": edits.unconfirm,
            "flag": lambda a, i: edits.flag(a, i, i, "added"),
            "detach": lambda a, i: edits.detach(a, i, edits.Side.TGT),
            "split": lambda a, i: edits.split(a, i, *(edits.split_points(a.beads[i]) or [(9, 9)])[0]),
            "shift_down": lambda a, i: edits.shift_side(a, i, edits.Side(("src", "tgt")[i % 2]), True),
            "shift_up": lambda a, i: edits.shift_side(a, i, edits.Side(("src", "tgt")[i % 2]), False)}
OPS = st.lists(st.tuples(st.sampled_from(sorted(EDIT_OPS)), st.integers(0, 20)), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_any_edits_undo_to_the_start_and_redo_to_the_end(tmp_path_factory, ops):
    path = tmp_path_factory.mktemp("prop") / "p.db"
    with Store.open(path) as store:
        s = store.add_document("es/d.txt", "es", text(SRC))
        t = store.add_document("en/d.txt", "en", text(TGT))
        store.add_pair("d", s, t)
        store.save_alignment("d", one_to_one(6), {"model": "fake"})
        states = [store.alignment("d").beads]
        for op, i in ops:
            a = store.alignment("d")
            i %= len(a.beads)
            try:
                e = EDIT_OPS[op](a, i)
            except (edits.EditError, IndexError, ValueError):
                continue
            if store.apply_edit("d", e.alignment, e.op, e.detail) is not None:
                states.append(e.alignment.beads)
    with Store.open(path) as store:  # a restart in between
        for want in reversed(states[:-1]):
            assert store.undo("d").beads == want
        assert store.undo("d") is None
        for want in states[1:]:
            assert store.redo("d").beads == want
        assert store.integrity_check() == "ok"


# ---- carrying review work over -------------------------------------------------------------------------------

def test_carry_review_follows_sentences_when_one_is_inserted_before_them():
    old = Alignment((Bead((0,), (0,), 0.9, BeadStatus.CONFIRMED), Bead((1, 2), (1,), 0.7, BeadStatus.EDITED),
                     Bead((), (2,), 0.0, BeadStatus.CONFIRMED)), 3, 3)
    old_src, old_tgt = ["a", "b", "c"], ["A", "BC", "X"]
    new_src, new_tgt = ["new", "a", "b", "c"], ["A", "BC", "X"]
    # the aligner split the merge and attached the added sentence elsewhere
    new = Alignment((Bead((0,), ()), Bead((1,), (0,), 0.95), Bead((2,), (1,)), Bead((3,), ()), Bead((), (2,))), 4, 3)
    merged, changed, carried = carry_review(old, old_src, old_tgt, new, new_src, new_tgt, ["t1", "t2", "t3"])
    assert carried == 3
    assert merged.beads == (Bead((0,), ()), Bead((1,), (0,), 0.95, BeadStatus.CONFIRMED),
                            Bead((2, 3), (1,), 0.7, BeadStatus.EDITED), Bead((), (2,), 0.0, BeadStatus.CONFIRMED))
    assert changed == [None, "t1", "t2", "t3"]
    merged.validate()


def test_carry_review_keeps_a_reviewed_one_sided_passage_when_its_neighbour_on_the_other_side_changed():
    """Added and dropped passages are what editors confirm first; one stays confirmed when the new alignment
    leaves the same sentences one-sided, although a sentence next to it on the other side changed or was added."""
    C = BeadStatus.CONFIRMED
    old = Alignment((Bead((0,), (0,), 0.9, C), Bead((), (1,), 0.0, C), Bead((), (2,), 0.0, C), Bead((1,), (3,), 0.8),
                     Bead((2,), (), 0.0, C), Bead((3,), (4,), 0.8)), 4, 5)
    old_src, old_tgt = ["a", "b", "c", "d"], ["A", "share", "print", "B", "D"]
    new_src, new_tgt = ["a changed", "b", "c", "d"], ["A", "share", "print", "B", "new", "D"]
    new = Alignment((Bead((0,), (0,), 0.7), Bead((), (1,)), Bead((), (2,)), Bead((1,), (3,), 0.8), Bead((2,), ()),
                     Bead((), (4,)), Bead((3,), (5,), 0.8)), 4, 6)
    merged, _, carried = carry_review(old, old_src, old_tgt, new, new_src, new_tgt, [None] * 6)
    assert [b.status for b in merged.beads] == [BeadStatus.AUTO, C, C, BeadStatus.AUTO, C, BeadStatus.AUTO,
                                                BeadStatus.AUTO]
    assert carried == 3
    merged.validate()


def test_carry_review_keeps_an_editors_split_that_the_aligner_pairs_up_again():
    """The editor split a 1-1 bead into a dropped and an added sentence; the new run pairs them again (its bead
    boundaries fall inside the editor's run): the run of reviewed beads comes back whole."""
    E = BeadStatus.EDITED
    old = Alignment((Bead((0,), (0,), 0.9), Bead((1,), (), 0.0, E), Bead((), (1,), 0.0, E), Bead((2,), (2,), 0.8)),
                    3, 3)
    src, tgt = ["a", "b", "c"], ["A", "B", "C"]
    new = Alignment((Bead((0,), (0,), 0.9), Bead((1,), (1,), 0.7), Bead((2,), (2,), 0.8), Bead((3,), ())), 4, 3)
    merged, changed, carried = carry_review(old, src, tgt, new, src + ["d"], tgt, [None, "t1", "t2", None])
    assert carried == 2 and changed == [None, "t1", "t2", None, None]
    assert [(b.src, b.tgt, b.status) for b in merged.beads] == [
        ((0,), (0,), BeadStatus.AUTO), ((1,), (), E), ((), (1,), E), ((2,), (2,), BeadStatus.AUTO),
        ((3,), (), BeadStatus.AUTO)]
    merged.validate()


def test_carry_review_keeps_the_new_beads_own_dates_where_nothing_is_carried():
    old = Alignment((Bead((0,), (0,), 0.9, BeadStatus.CONFIRMED), Bead((1,), (1,), 0.9)), 2, 2)
    new = Alignment((Bead((0,), (0,), 0.8), Bead((1,), (1,), 0.8, BeadStatus.EDITED)), 2, 2)
    _, changed, _ = carry_review(old, ["a", "b"], ["A", "B"], new, ["a", "b"], ["A", "B"], ["t0", None],
                                 ["n0", "n1"])
    assert changed == ["t0", "n1"]


def test_carry_review_drops_a_bead_whose_sentence_changed():
    old = Alignment((Bead((0,), (0,), 0.9, BeadStatus.CONFIRMED), Bead((1,), (1,), 0.9, BeadStatus.CONFIRMED)), 2, 2)
    new = Alignment((Bead((0,), (0,), 0.8), Bead((1,), (1,), 0.8)), 2, 2)
    merged, _, carried = carry_review(old, ["a", "b"], ["A", "B"], new, ["a", "b2"], ["A", "B"], [None, None])
    assert carried == 1
    assert [b.status for b in merged.beads] == [BeadStatus.CONFIRMED, BeadStatus.AUTO]


def test_a_new_version_keeps_confirmed_beads_of_unchanged_sentences(aligned):
    aligned.set_status("doc", range(6), BeadStatus.CONFIRMED)
    t2 = aligned.add_document("en/doc.txt", "en", text(TGT[:3] + ["A rewritten sentence."] + TGT[4:]))
    aligned.add_pair("doc", aligned.pair("doc").src_doc, t2)
    assert aligned.pair("doc").status.value == "changed"
    aligned.save_alignment("doc", one_to_one(6), {"model": "fake"})
    statuses = [b.status for b in aligned.alignment("doc").beads]
    assert statuses == [BeadStatus.CONFIRMED] * 3 + [BeadStatus.AUTO] + [BeadStatus.CONFIRMED] * 2
    assert aligned.runs("doc")[-1]["figures"]["carried"] == 5


# ---- flags ---------------------------------------------------------------------------------------------------

def flag(kind, src=(), tgt=(), status="open"):
    span = (lambda ids: {"sentences": list(ids), "paragraphs": list(ids), "start": 0, "end": 1} if ids else None)
    return {"type": kind, "src": span(src), "tgt": span(tgt), "confidence": 0.8, "score": 0.1, "note": "",
            "status": status}


def test_flags_keep_their_ids_and_statuses_across_saves(aligned):
    aligned.save_flags("doc", [flag("added", tgt=[2]), flag("dropped", src=[4])])
    first = aligned.flag_records("doc")
    aligned.set_flag_status(first[0]["id"], "dismissed")
    aligned.save_flags("doc", [dict(first[0], status="dismissed"), flag("divergent", [1], [1])])
    again = aligned.flag_records("doc")
    assert [(f["type"], f["status"]) for f in again] == [("added", "dismissed"), ("divergent", "open")]
    assert again[0]["id"] == first[0]["id"]
    with pytest.raises(StoreError, match="unknown flag status"):
        aligned.set_flag_status(again[0]["id"], "maybe")


def test_an_editors_decision_comes_back_with_its_flag(aligned):
    """A flag derived away by one edit and found again (after the next edit, or an undo) gets the editor's last
    decision on its key back, and so does a flag saved with the status it had before a decision made
    meanwhile; a decision to open it again is kept too."""
    aligned.save_flags("doc", [flag("added", tgt=[2]), flag("dropped", src=[4])])
    added = aligned.flag_records("doc")[0]
    aligned.set_flag_status(added["id"], "dismissed")
    aligned.save_flags("doc", [flag("dropped", src=[4])])  # derived away
    assert [f["type"] for f in aligned.flag_records("doc")] == ["dropped"]
    aligned.save_flags("doc", [flag("added", tgt=[2]), flag("dropped", src=[4])])  # found again, as open
    assert {f["type"]: f["status"] for f in aligned.flag_records("doc")} == {"added": "dismissed", "dropped": "open"}
    again = aligned.flag_records("doc")
    aligned.set_flag_status(next(f["id"] for f in again if f["type"] == "added"), "open")  # opened again
    aligned.save_flags("doc", [dict(f, status="dismissed") if f["type"] == "added" else f for f in again])
    assert {f["type"]: f["status"] for f in aligned.flag_records("doc")}["added"] == "open"  # the last decision


def test_decisions_carried_into_a_new_run_are_kept_there_and_pruned_with_their_run(aligned):
    aligned.save_flags("doc", [flag("added", tgt=[2])])
    aligned.set_flag_status(aligned.flag_records("doc")[0]["id"], "dismissed")
    aligned.save_alignment("doc", one_to_one(6), {"model": "fake"})  # a new run: its flags carry the status
    aligned.save_flags("doc", [flag("added", tgt=[2], status="dismissed")])
    aligned.save_flags("doc", [])  # derived away in the new run ...
    aligned.save_flags("doc", [flag("added", tgt=[2])])  # ... and found again
    assert aligned.flag_records("doc")[0]["status"] == "dismissed"
    count = "SELECT count(*) FROM flag_reviews"
    assert aligned._conn.execute(count).fetchone()[0] == 2  # one decision in each run
    prune(aligned, keep_runs=1)
    assert aligned._conn.execute(count).fetchone()[0] == 1


def test_a_decision_stays_while_the_files_changed_and_the_pair_is_not_aligned_again(aligned):
    """Until the pair is aligned again its flags are derived on the documents the run aligned (documents_for),
    so a key still names the same sentences: the decision on it holds."""
    aligned.save_flags("doc", [flag("added", tgt=[2])])
    aligned.set_flag_status(aligned.flag_records("doc")[0]["id"], "dismissed")
    aligned.save_flags("doc", [])
    t = aligned.add_document("en/doc.txt", "en", text(["Other words."] + TGT[1:]))  # a new version, not aligned
    aligned.add_pair("doc", aligned.pair("doc").src_doc, t)
    assert aligned.pair("doc").stale and aligned.documents_for("doc")[1].texts == TGT
    aligned.save_flags("doc", [flag("added", tgt=[2])])  # found again, on the aligned version
    assert aligned.flag_records("doc")[0]["status"] == "dismissed"
    aligned.set_flag_status(aligned.flag_records("doc")[0]["id"], "confirmed")  # decided on the stale pair
    aligned.save_flags("doc", [flag("added", tgt=[2])])
    assert aligned.flag_records("doc")[0]["status"] == "confirmed"


def test_the_migration_brings_over_the_decisions_made_before_it(tmp_path):
    path = tmp_path / "p.db"
    with Store.open(path) as store:
        s = store.add_document("es/doc.txt", "es", text(SRC))
        t = store.add_document("en/doc.txt", "en", text(TGT))
        store.add_pair("doc", s, t)
        store.save_alignment("doc", one_to_one(6), {"model": "fake"})
        store.save_flags("doc", [flag("added", tgt=[2], status="dismissed"), flag("dropped", src=[4])])
    as_schema(path, 3)
    with Store.open(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store._conn.execute("SELECT key, status FROM flag_reviews").fetchall() == [("added::2", "dismissed")]


def test_open_flag_counts_are_the_flaggers_flags_left_to_review(aligned):
    mine = {**flag("divergent", [1], [1]), "key": "editor:divergent:1:1"}
    aligned.save_flags("doc", [flag("added", tgt=[2]), flag("dropped", src=[4]), flag("moved", [3], [5]),
                               {**flag("divergent", [0], [0], status="dismissed")}, mine])
    assert aligned.open_flag_counts() == {"doc": 3}  # not the editor's own flag, though saved open
    first, second = aligned.flag_records("doc")[:2]
    aligned.set_flag_status(first["id"], "confirmed")
    aligned.set_flag_status(second["id"], "dismissed")
    assert aligned.open_flag_counts() == {"doc": 1}


def test_flags_come_back_as_flag_objects(aligned):
    from aligner.flags import Flag, FlagType

    aligned.save_flags("doc", [Flag.from_dict(flag("added", tgt=[2]))])
    (f,) = aligned.flags("doc")
    assert f.type is FlagType.ADDED and f.tgt.sentences == (2,)


# ---- the review app's view state ------------------------------------------------------------------------------

def test_view_state_round_trips_per_pair_and_survives_a_restart(tmp_path, aligned):
    assert aligned.view_state("doc") == {}
    assert aligned.view_state("no-such-pair") == {}
    state = {"cursor": 4, "filter": "ñ", "marks": [1, 2], "nested": {"side": "tgt"}}
    aligned.save_view_state("doc", state)
    aligned.save_view_state("doc", {**state, "cursor": 5})
    with Store.open(tmp_path / "p.db") as again:
        assert again.view_state("doc") == {**state, "cursor": 5}


def test_view_state_is_not_an_edit(aligned):
    aligned.save_view_state("doc", {"cursor": 1})
    assert aligned.history("doc") == [] and aligned.alignment("doc").meta["revision"] == 0


def test_view_state_of_an_unknown_pair_or_not_a_dict_is_refused(aligned):
    with pytest.raises(StoreError, match="no pair named 'nope'"):
        aligned.save_view_state("nope", {"cursor": 1})
    with pytest.raises(TypeError, match="dict"):
        aligned.save_view_state("doc", [1, 2])
    with pytest.raises(TypeError):  # not JSON: nothing is written
        aligned.save_view_state("doc", {"when": object()})
    assert aligned.view_state("doc") == {}


def test_view_state_is_saved_in_one_transaction_with_the_callers_other_changes(aligned):
    with pytest.raises(RuntimeError), aligned.transaction():
        aligned.save_view_state("doc", {"cursor": 2})
        raise RuntimeError("crash")
    assert aligned.view_state("doc") == {}


# ---- embedding cache -----------------------------------------------------------------------------------------

def test_window_vectors_round_trip_through_the_cache(store):
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(3, 8)).astype(np.float32)
    store.store_windows("m", 2, ["h0", "h1", "h2"], vecs)
    got, found = store.cached_windows("m", 2, ["h2", "zz", "h0", "h2"])
    assert found.tolist() == [True, False, True, True]
    np.testing.assert_allclose(got[[0, 2, 3]], vecs[[2, 0, 2]], rtol=1e-3, atol=1e-3)
    assert not got[1].any()
    assert got.dtype == np.float32 and store.cached_windows("m", 2, ["h1"], np.float16)[0].dtype == np.float16
    assert store.cached_windows("m", 1, ["h0"])[0] is None  # another k
    assert store.cached_windows("other", 2, ["h0"])[0] is None  # another model


# ---- streaming rows ------------------------------------------------------------------------------------------

def test_iter_beads_streams_texts_flags_and_dates(aligned):
    aligned.save_flags("doc", [flag("divergent", [1], [1]), flag("added", tgt=[3], status="dismissed")])
    aligned.set_status("doc", [1], "confirmed")
    rows = list(aligned.iter_beads(batch_size=2))
    assert [r.src for r in rows] == SRC and [r.tgt for r in rows] == TGT
    assert rows[1].flags == ("divergent",) and rows[3].flags == ()
    assert rows[1].status is BeadStatus.CONFIRMED and rows[1].changed >= rows[1].created
    assert [r.paragraph for r in rows] == list(range(6))
    assert [r.src_ids for r in aligned.iter_beads(statuses=["confirmed"])] == [(1,)]


def test_iter_beads_reads_one_snapshot_while_another_connection_writes(tmp_path, aligned):
    rows = aligned.iter_beads(batch_size=1)
    first = next(rows)
    with Store.open(tmp_path / "p.db") as other:
        other.set_status("doc", range(6), "confirmed")
    assert first.status is BeadStatus.AUTO
    assert all(r.status is BeadStatus.AUTO for r in rows)
    assert aligned.pair("doc").reviewed == 6


# ---- two writers, and a crash --------------------------------------------------------------------------------

def test_a_second_writer_waits_then_fails_with_a_clear_message(tmp_path, aligned):
    other = Store.open(tmp_path / "p.db", timeout=0.2)
    with aligned.transaction():
        aligned.set_status("doc", [0], "confirmed")
        assert other.alignment("doc").beads[0].status is BeadStatus.AUTO  # readers are not blocked
        t0 = time.perf_counter()
        with pytest.raises(StoreError, match=r"p\.db: the project is busy"):
            other.set_status("doc", [1], "confirmed")
        assert time.perf_counter() - t0 >= 0.15
    other.close()


def test_a_second_writer_that_waits_long_enough_goes_through(tmp_path, aligned):
    other = Store.open(tmp_path / "p.db", timeout=10)
    done = []
    with aligned.transaction():
        aligned.set_status("doc", [0], "confirmed")
        worker = threading.Thread(target=lambda: done.append(other.set_status("doc", [1], "confirmed")))
        worker.start()
        time.sleep(0.3)
        assert not done  # still waiting for the lock
    worker.join(10)
    assert done and aligned.pair("doc").reviewed == 2
    other.close()


def test_another_process_holding_the_lock_gives_a_clear_error(tmp_path, aligned):
    from conftest import holding_lock

    with holding_lock(tmp_path / "p.db", "doc", 3):
        assert aligned.busy()  # what `align-all` asks first, to say that it waits
        with Store.open(tmp_path / "p.db", timeout=0.3) as other, pytest.raises(StoreError, match="busy"):
            other.set_status("doc", [1], "confirmed")
        from conftest import FakeEncoder

        from aligner.batch import align_all

        encoder = FakeEncoder()  # a batch run fails before it encodes anything, not after
        with pytest.raises(StoreError, match="busy"):
            align_all(tmp_path / "p.db", force=True, jobs=1, timeout=0.3, encoder_factory=lambda: encoder)
        assert encoder.calls == []
    assert aligned.pair("doc").reviewed == 1 and not aligned.busy()


CRASH = """
import os, sys
from aligner import edits
from aligner.store import Store

store = Store.open(sys.argv[1])
a = store.alignment("doc")
e1 = edits.merge_next(a, 0)
store.apply_edit("doc", e1.alignment, e1.op, e1.detail)
insert = store._insert_beads
def die(*args):  # the second edit dies after deleting its beads, before writing the new ones and the log
    os._exit(9)
store._insert_beads = die
e2 = edits.merge_next(e1.alignment, 2)
store.apply_edit("doc", e2.alignment, e2.op, e2.detail)
"""


def test_a_crash_between_edits_keeps_the_first_and_nothing_of_the_second(tmp_path, aligned):
    a0 = aligned.alignment("doc")
    aligned.close()
    proc = subprocess.run([sys.executable, "-c", CRASH, str(tmp_path / "p.db")], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 9, proc.stderr
    with Store.open(tmp_path / "p.db") as store:
        assert store.integrity_check() == "ok"
        assert store.alignment("doc").beads == edits.merge_next(a0, 0).alignment.beads
        assert [h.op for h in store.history("doc")] == ["merge_next"]
        assert store.undo("doc").beads == a0.beads


def test_sha1_of_text_and_bytes_agree():
    assert sha1("ñ") == sha1("ñ".encode())


def test_a_project_file_that_cannot_be_written_is_said_plainly(store):
    """An immutable file (chattr +i, which stops even root) made align-all fail with SQLite's raw words."""
    import sqlite3

    with pytest.raises(StoreError, match=r"cannot be written \(attempt to write a readonly database\): it is "
                                         r"read-only or immutable; copy it somewhere writable"):
        with store._translate():
            raise sqlite3.OperationalError("attempt to write a readonly database")


def test_the_wal_files_a_read_left_read_only_follow_the_project_once_it_is_writable(tmp_path):
    """A read while the project file was read-only left its -shm (and -wal) read-only, as SQLite makes them with
    the file's mode; made writable again as the error said, the project still could not be written."""
    db = tmp_path / "p.db"
    Store.open(db).close()
    shm, wal = tmp_path / "p.db-shm", tmp_path / "p.db-wal"
    for side in (shm, wal):  # as a read of the read-only file left them
        side.write_bytes(b"")
        side.chmod(0o444)
    db.chmod(0o640)
    with Store.open(db) as store:
        assert (shm.stat().st_mode & 0o777, wal.stat().st_mode & 0o777) == (0o640, 0o640)
        with store.transaction():
            store.add_document("a.txt", "es", "Hola.")
    db.chmod(0o444)  # a project left read-only: its files are left as they are
    for side in (shm, wal):
        side.write_bytes(b"")
        side.chmod(0o444)
    with Store.open(db, readonly=True):
        assert shm.stat().st_mode & 0o777 == 0o444


def test_a_project_read_as_an_unchanging_file_stops_reading_once_its_owner_writes(tmp_path):
    """Opened immutable (its folder read-only to us), the project was read on while its owner removed a pair and
    pruned: the reader mixed two states of the file ('database disk image is malformed')."""
    from pathlib import Path

    db = tmp_path / "p.db"
    with Store.open(db) as store:
        store.add_pair("a", store.add_document("es/a.txt", "es", "Hola."), store.add_document("en/a.txt", "en", "Hi."))
    reader = Store._connect(Path(db), 10.0, "immutable")
    try:
        assert [p.name for p in reader.pairs()] == ["a"]
        with Store.open(db) as owner:  # the owner writes
            owner.add_pair("b", owner.add_document("es/b.txt", "es", "Adiós."),
                           owner.add_document("en/b.txt", "en", "Bye."))
        with pytest.raises(StoreError, match="changed by another process while it was read here"):
            reader.pairs()
    finally:
        reader.close()
