"""The edit log: stretches of beads in their compact form (format 2) and as older aligners logged them (format 1),
bead rows written 100 to a statement, and large edits (a shift of a long stretch) that undo and redo exactly."""

from __future__ import annotations

import json
import random
import sqlite3
from itertools import repeat

import pytest
from conftest import as_schema, made_up_pair
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner import edits
from aligner.errors import StoreError
from aligner.models import Alignment, Bead, BeadStatus
from aligner.store import MIGRATIONS, Store
from aligner.store.stretch import COLUMNS_FORMAT, FORMAT, LEGACY_FORMAT, Stretch

STATUSES = list(BeadStatus)


def table_rows(stretch: Stretch, run_id: int) -> list[tuple]:
    """The stretch as the beads table holds it: run_id, src_start, src_len, tgt_start, tgt_len, kind, score,
    status, changed, confidence."""
    src_at, tgt_at = stretch.positions()
    return list(zip(repeat(run_id), src_at, stretch.src, tgt_at, stretch.tgt,
                    map("{}-{}".format, stretch.src, stretch.tgt), stretch.score, stretch.status, stretch.changed,
                    stretch.confidence))


def legacy_rows(stretch: Stretch) -> list[list]:
    """The stretch as format 1 kept it: [src_start, src_len, tgt_start, tgt_len, kind, score, status, changed]."""
    return [[i, n, j, m, kind, score, str(status.value if isinstance(status, BeadStatus) else status), when]
            for _, i, n, j, m, kind, score, status, when, _ in table_rows(stretch, 0)]


@st.composite
def stretches(draw) -> tuple[list[Bead], list[str | None], tuple[int, int]]:
    shapes = draw(st.lists(st.sampled_from([(1, 1), (1, 0), (0, 1), (2, 1), (1, 3), (12, 1)]), min_size=1,
                           max_size=40))
    start = (draw(st.integers(0, 50)), draw(st.integers(0, 50)))
    scores = st.one_of(st.floats(allow_nan=False), st.just(0.0))
    sure = st.one_of(st.none(), st.floats(0.0, 1.0), st.just(0.5))
    dates = st.one_of(st.none(), st.sampled_from(["2026-11-27T10:00:00+00:00", "2026-11-28T09:30:00+00:00"]))
    beads, changed, (i, j) = [], [], start
    for n, m in shapes:
        beads.append(Bead(tuple(range(i, i + n)), tuple(range(j, j + m)), draw(scores), draw(st.sampled_from(STATUSES)),
                          draw(sure)))
        changed.append(draw(dates))
        i, j = i + n, j + m
    return beads, changed, start


@settings(max_examples=200, deadline=None)
@given(stretches())
def test_a_stretch_comes_back_from_every_log_format_as_it_was(case):
    """Format 3 keeps the beads' confidences; formats 1 and 2 (older aligners) had none to keep."""
    beads, changed, start = case
    stretch = Stretch.of(beads, changed, start)
    without = {k: v for k, v in json.loads(stretch.to_json()).items() if k != "confidence"}
    for text, fmt in ((stretch.to_json(), FORMAT), (json.dumps(without), COLUMNS_FORMAT),
                      (json.dumps(legacy_rows(stretch)), LEGACY_FORMAT)):
        back = Stretch.from_json(text, start, fmt)
        assert back.beads() == tuple(beads)
        assert list(back.changed) == changed
        sure = [b.confidence for b in beads] if fmt == FORMAT else [None] * len(beads)
        assert [b.confidence for b in back.beads()] == sure
        assert [r[:-1] for r in table_rows(back, 7)] == [r[:-1] for r in table_rows(stretch, 7)]
        assert back.end == (start[0] + sum(len(b.src) for b in beads), start[1] + sum(len(b.tgt) for b in beads))


def test_a_column_whose_beads_share_a_value_is_logged_once():
    beads = [Bead((k,), (k,), 0.0, BeadStatus.EDITED) for k in range(3000)]
    data = json.loads(Stretch.of(beads, "2026-11-27T10:00:00+00:00", (0, 0)).to_json())
    assert data["score"] == 0.0 and data["status"] == "edited" and data["changed"] == "2026-11-27T10:00:00+00:00"
    assert data["src"] == [1] * 3000


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="newer"):
        Stretch.from_json('{"src": []}', (0, 0), FORMAT + 1)


# ---- the log in a project ------------------------------------------------------------------------------------

SRC, TGT = made_up_pair(6)
LONG = 400


def text(lines) -> str:
    return "\n\n".join(lines) + "\n"


def new_pair(store: Store, name: str, n: int, scores=None) -> Alignment:
    src, tgt = made_up_pair(n, seed=n)
    store.add_pair(name, store.add_document(f"es/{name}.txt", "es", text(src)),
                   store.add_document(f"en/{name}.txt", "en", text(tgt)))
    scores = scores or [0.8] * n
    store.save_alignment(name, Alignment(tuple(Bead((i,), (i,), scores[i]) for i in range(n)), n, n), {"model": "f"})
    return store.alignment(name)


def test_an_edit_logged_by_an_older_aligner_still_undoes_and_redoes(tmp_path, monkeypatch):
    path = tmp_path / "p.db"
    with Store.open(path) as store:  # the file as the aligner of schema 2 left it, with one edit in its log
        src, tgt = made_up_pair(6, seed=6)
        store.add_pair("doc", store.add_document("es/doc.txt", "es", text(src)),
                       store.add_document("en/doc.txt", "en", text(tgt)))
        a0 = Alignment(tuple(Bead((i,), (i,), 0.8) for i in range(6)), 6, 6)
        run_id = store.save_alignment("doc", a0, {"model": "f"})
    as_schema(path, 2)
    merged = edits.merge_next(a0, 1).alignment
    before = [[1, 1, 1, 1, "1-1", 0.8, "auto", None], [2, 1, 2, 1, "1-1", 0.8, "auto", None]]
    after = [[1, 2, 1, 2, "2-2", 0.0, "edited", "2026-11-27T10:00:00+00:00"]]
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DELETE FROM beads WHERE run_id = ? AND src_start IN (1, 2)", (run_id,))
        conn.execute("INSERT INTO beads VALUES (?, 1, 2, 1, 2, '2-2', 0.0, 'edited', ?)", (run_id, after[0][7]))
        conn.execute("UPDATE runs SET revision = revision + 1")
        conn.execute("INSERT INTO edits (run_id, op, detail, date, start_src, start_tgt, before, after) "
                     "VALUES (?, 'merge_next', '{}', ?, 1, 1, ?, ?)",
                     (run_id, after[0][7], json.dumps(before), json.dumps(after)))
    conn.close()
    with Store.open(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.alignment("doc").beads == merged.beads
        assert store.undo("doc").beads == a0.beads
        assert store.redo("doc").beads == merged.beads
        e = edits.confirm(store.alignment("doc"), 0)  # a new edit, logged in the new format, after the old one
        store.apply_edit("doc", e.alignment, e.op, e.detail)
        formats = [f for (f,) in store._conn.execute("SELECT format FROM edits ORDER BY id")]
        assert formats == [LEGACY_FORMAT, FORMAT]
        assert store.undo("doc").beads == merged.beads
        assert store.undo("doc").beads == a0.beads
        assert store.undo("doc") is None
        assert store.integrity_check() == "ok"


def test_a_log_of_a_newer_format_is_an_error_not_a_crash(tmp_path):
    with Store.open(tmp_path / "p.db") as store:
        a = new_pair(store, "doc", 6)
        e = edits.merge_next(a, 0)
        store.apply_edit("doc", e.alignment, e.op, e.detail)
        store._conn.execute("UPDATE edits SET format = ?", (FORMAT + 1,))
        with pytest.raises(StoreError, match="cannot be read"):
            store.undo("doc")
        assert store.alignment("doc").beads == e.alignment.beads  # nothing changed


@pytest.mark.parametrize("side", list(edits.Side))
@pytest.mark.parametrize("down", [True, False])
def test_a_shift_of_a_long_stretch_undoes_and_redoes_exactly_across_a_restart(tmp_path, side, down):
    path = tmp_path / "p.db"
    rng = random.Random(3)
    scores = [rng.random() for _ in range(LONG)]  # 17 significant digits: they must come back bit for bit
    with Store.open(path) as store:
        a0 = new_pair(store, "doc", LONG, scores)
        e0 = edits.confirm(a0, 300)
        store.apply_edit("doc", e0.alignment, e0.op, e0.detail)
        e = edits.shift_side(e0.alignment, 20, side, down)
        store.apply_edit("doc", e.alignment, e.op, e.detail)
        logged = store._conn.execute("SELECT length(before) + length(after) FROM edits WHERE op LIKE 'shift%'")
        assert logged.fetchone()[0] < 30 * 280  # both sides of 280 beads; rows in full (format 1) took 127
    with Store.open(path) as store:
        assert store.alignment("doc").beads == e.alignment.beads
        assert store.undo("doc").beads == e0.alignment.beads
    with Store.open(path) as store:
        assert store.alignment("doc").beads == e0.alignment.beads
        assert [b.score for b in store.alignment("doc").beads] == scores
        assert store.redo("doc").beads == e.alignment.beads
        assert store.undo("doc").beads == e0.alignment.beads
        assert store.undo("doc").beads == a0.beads
        assert store.integrity_check() == "ok"


@pytest.mark.parametrize("n", [1, 99, 100, 101, 250])
def test_bead_rows_are_written_whatever_their_number(tmp_path, n):
    with Store.open(tmp_path / "p.db") as store:
        rng = random.Random(n)
        scores = [rng.random() for _ in range(n)]
        a = new_pair(store, "doc", n, scores)
        assert a.beads == tuple(Bead((i,), (i,), scores[i]) for i in range(n))
        rows = store._conn.execute("SELECT src_start, src_len, tgt_start, tgt_len, kind, status, changed FROM beads "
                                   "ORDER BY src_start").fetchall()
        assert rows == [(i, 1, i, 1, "1-1", "auto", None) for i in range(n)]


def test_numpy_scores_are_stored_as_floats(tmp_path):
    import numpy as np

    with Store.open(tmp_path / "p.db") as store:
        a = new_pair(store, "doc", 4)
        scored = a.with_beads(Bead(b.src, b.tgt, np.float32(0.25)) for b in a.beads)
        store.apply_edit("doc", scored, "rescore", {})
        assert [b.score for b in store.alignment("doc").beads] == [0.25] * 4
        assert store.undo("doc").beads == a.beads


def test_undo_and_redo_reuse_the_beads_of_the_edit_and_check_them_first(tmp_path):
    with Store.open(tmp_path / "p.db") as store:
        a0 = new_pair(store, "doc", 6)
        e = edits.shift_side(a0, 1, edits.Side.SRC, True)
        edit_id = store.apply_edit("doc", e.alignment, e.op, e.detail)
        undone = store.undo("doc")
        assert undone.beads == a0.beads and all(x is y for x, y in zip(undone.beads, a0.beads))
        redone = store.redo("doc")
        assert redone.beads == e.alignment.beads and redone.beads[3] is e.alignment.beads[3]
        store.undo("doc")
        e2 = edits.merge_next(store.alignment("doc"), 0)  # drops the undone shift: its id is given again
        assert store.apply_edit("doc", e2.alignment, e2.op, e2.detail) == edit_id
        store._logged[edit_id] = (e.alignment.beads[:2], e.alignment.beads[2:4])  # kept beads of another edit
        assert store.undo("doc").beads == a0.beads
        assert store.redo("doc").beads == e2.alignment.beads


@settings(max_examples=100, deadline=None)
@given(stretches(), st.sampled_from([1, 61, 250]), st.booleans())
def test_bead_rows_are_written_as_the_stretch_holds_them(case, times, shared):
    """Columns the beads share are bound once per statement, the others per row, 100 rows to a statement."""
    from aligner.store.stretch import insert_rows

    beads, changed, start = case
    stretch = Stretch.of(beads * times, changed * times, start)  # only the lengths count here
    if shared:  # every bead with the same score, status and date, as the beads an edit writes
        n = len(stretch)
        stretch = Stretch(start, stretch.src, stretch.tgt, [0.0] * n, ["edited"] * n, [changed[0]] * n, [None] * n)
    conn = sqlite3.connect(":memory:")
    conn.execute(MIGRATIONS[0][1][5])  # the beads table ...
    conn.execute(MIGRATIONS[4][1][0])  # ... with its confidence column
    insert_rows(conn, stretch, 7)
    got = conn.execute("SELECT * FROM beads ORDER BY src_start, tgt_start").fetchall()
    assert got == [tuple(getattr(v, "value", v) for v in r) for r in table_rows(stretch, 7)]


def test_after_a_restart_undo_then_redo_then_undo_reuse_the_beads_made_from_the_log(tmp_path):
    with Store.open(tmp_path / "p.db") as store:
        a0 = new_pair(store, "doc", 6)
        e = edits.shift_side(a0, 1, edits.Side.SRC, True)
        store.apply_edit("doc", e.alignment, e.op, e.detail)
    with Store.open(tmp_path / "p.db") as store:  # nothing kept in memory: both sides are made from the log once
        undone = store.undo("doc")
        redone = store.redo("doc")
        again = store.undo("doc")
        assert again.beads == undone.beads == a0.beads
        assert all(x is y for x, y in zip(again.beads, undone.beads))  # the redo kept the undo's beads
        assert all(x is y for x, y in zip(store.redo("doc").beads, redone.beads))
