"""Pruning a project on a real SQLite file: old runs and everything hanging off them, unused document versions,
unneeded cached vectors; the current alignments, their undo history and the file's integrity stay."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from conftest import made_up_pair

from aligner import edits
from aligner.errors import StoreError
from aligner.models import Alignment, Bead, BeadStatus
from aligner.store import Store, prune, window_hashes

SRC, TGT = made_up_pair(12)


def text(lines):
    return "\n\n".join(lines) + "\n"


def one_to_one(n: int) -> Alignment:
    return Alignment(tuple(Bead((i,), (i,), 0.8) for i in range(n)), n, n, meta={"model": "fake"})


def flag(kind, tgt):
    return {"type": kind, "src": None, "tgt": {"sentences": [tgt], "paragraphs": [tgt], "start": 0, "end": 1},
            "confidence": 0.8, "score": 0.1, "note": ""}


def counts(path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("documents", "sentences", "paragraphs", "runs", "beads", "edits", "flags", "embeddings")}
    finally:
        conn.close()


@pytest.fixture
def project(tmp_path):
    """Pair 'doc' aligned three times, then re-aligned on a new target version (run 4, current, with an edit);
    pair 'other' aligned once and then a failed run; vectors cached for old and current texts."""
    path = tmp_path / "p.db"
    with Store.open(path) as store:
        s, t = store.add_document("es/doc.txt", "es", text(SRC)), store.add_document("en/doc.txt", "en", text(TGT))
        store.add_pair("doc", s, t)
        for _ in range(3):
            store.save_alignment("doc", one_to_one(12), {"model": "fake"})
            store.save_flags("doc", [flag("added", 3)])
            a = store.alignment("doc")
            e = edits.merge_next(a, 5)
            store.apply_edit("doc", e.alignment, e.op, e.detail)
        t2 = store.add_document("en/doc.txt", "en", text(TGT[:6] + ["A rewritten sentence."] + TGT[7:]))
        store.add_pair("doc", s, t2)
        store.save_alignment("doc", one_to_one(12), {"model": "fake"})
        store.set_status("doc", [0], BeadStatus.CONFIRMED)
        o = [store.add_document(f"{lang}/other.txt", lang, text(lines)) for lang, lines in (("es", SRC[:4]),
                                                                                           ("en", TGT[:4]))]
        store.add_pair("other", *o)
        store.save_alignment("other", one_to_one(4), {"model": "fake"})
        store.record_failure("other", "the encoder ran out of memory")
        rng = np.random.default_rng(0)
        for lines in (TGT, SRC[:4]):  # TGT: the old target version; SRC[:4]: a current document
            for k in (1, 2):
                hashes = window_hashes(lines, 2)[k - 1]
                store.store_windows("m", k, hashes, rng.normal(size=(len(hashes), 8)))
        store.store_windows("m", 1, ["not any window"], rng.normal(size=(1, 8)))
    return path


def test_prune_keeps_the_current_runs_and_removes_the_rest(project):
    before = counts(project)
    conn = sqlite3.connect(project)
    old_beads = conn.execute("SELECT count(*) FROM beads WHERE run_id IN (1, 2, 3)").fetchone()[0]
    conn.close()
    with Store.open(project) as store:
        current = {name: store.alignment(name) for name in ("doc", "other")}
        history = store.history("doc")
        report = prune(store, keep_runs=1)
        assert {name: store.alignment(name).beads for name in current} == {k: a.beads for k, a in current.items()}
        assert store.history("doc") == history
        assert [r["error"] for r in store.runs("other")] == [None, "the encoder ran out of memory"]
        assert len(store.runs("doc")) == 1
        assert store.undo("doc").beads[0].status is BeadStatus.AUTO  # the current run's undo still works
        assert store.integrity_check() == "ok"
        assert store._conn.execute("PRAGMA foreign_key_check").fetchall() == []
    after = counts(project)
    assert report.removed == {"beads": old_beads, "edits": 3, "flags": 3, "runs": 3, "sentences": 12,
                              "documents": 1}
    assert {t: before[t] - after[t] for t in after} == {
        "documents": 1, "sentences": 12, "paragraphs": 12, "runs": 3, "beads": old_beads, "edits": 3, "flags": 3,
        "embeddings": 0}
    assert report.size_after < report.size_before
    assert report.lines()[0] == (f"removed {old_beads} beads, 3 edits, 3 flags, 3 runs, 12 sentences, "
                                 f"1 document version")


def test_keep_runs_keeps_the_newest_of_each_pair(project):
    with Store.open(project) as store:
        report = prune(store, keep_runs=2)
        assert report.removed["runs"] == 2
        assert [r["id"] for r in store.runs("doc")] == [3, 4]
        assert report.removed["documents"] == 0  # run 3 still points at the old target version


def test_the_cache_keeps_what_current_documents_need(project):
    with Store.open(project) as store:
        report = prune(store, cache=True)
        kept = counts(project)["embeddings"]
        # the old target's windows of its rewritten sentence 6 (one of 1 sentence, two of 2), and the stray one
        assert report.removed["cached vectors"] == 1 + 2 + 1
        assert kept == (12 + 11 + 4 + 3 + 1) - 4
        for k in (1, 2):
            hashes = window_hashes(SRC[:4], 2)[k - 1]
            assert store.has_windows("m", k, hashes).all()


def test_pruning_twice_removes_nothing_more(project):
    with Store.open(project) as store:
        prune(store, cache=True)
        again = prune(store, cache=True)
    assert not any(again.removed.values())
    assert again.lines()[0] == "removed nothing"


def test_keep_runs_must_keep_one(project):
    with Store.open(project) as store, pytest.raises(StoreError, match="at least 1"):
        prune(store, keep_runs=0)


def test_the_report_counts_one_of_a_kind_in_the_singular(project):
    with Store.open(project) as store:
        report = prune(store, keep_runs=3)
    assert report.removed["runs"] == 1
    assert report.lines()[0] == f"removed {report.removed['beads']} beads, 1 edit, 1 flag, 1 run"
