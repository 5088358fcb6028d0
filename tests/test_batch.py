"""Batch import and alignment: pairing files, the embedding cache, failures recorded per pair, interrupts that
keep finished pairs, a process pool, and a kill in the middle of `aligner align-all` (a real subprocess)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEncoder, made_up_pair, write_pair

from aligner.align import AlignParams
from aligner.batch import (
    align_all,
    embed_cached,
    encode_spans,
    find_pairs,
    import_corpus,
)
from aligner.errors import InputError
from aligner.models import BeadStatus
from aligner.store import Store, window_hashes


def imported(tmp_path, corpus):
    store = Store.open(tmp_path / "p.db")
    import_corpus(store, corpus)
    return store


# ---- finding and importing pairs -------------------------------------------------------------------------------

def test_pairs_by_stem_with_unmatched_and_ambiguous_files(corpus):
    (corpus / "es" / "lonely.txt").write_text("Sola.\n")
    (corpus / "en" / "orphan.md").write_text("Alone.\n")
    (corpus / "es" / "beta.md").write_text("Otra beta.\n")
    pairs, unmatched, problems = find_pairs(corpus)
    assert [p.name for p in pairs] == ["alpha", "gamma"]
    assert [p.name for p in unmatched] == ["lonely.txt", "orphan.md"]  # en/beta.txt has two counterparts
    assert problems == [("beta", f"2 files named beta.* in {corpus / 'es'}: beta.md, beta.txt; keep one")]



def test_backup_swap_and_lock_files_are_not_documents(corpus):
    """An editor's backup next to an article made its pair 'ambiguous' and dropped it from the batch."""
    for name in ("alpha.txt~", "alpha.txt.bak", ".alpha.txt.swp", "#alpha.txt#", "~$alpha.docx", ".DS_Store",
                 "alpha.tmp"):
        (corpus / "es" / name).write_text("copia\n")
    pairs, unmatched, problems = find_pairs(corpus)
    assert [p.name for p in pairs] == ["alpha", "beta", "gamma"] and unmatched == [] and problems == []
    assert pairs[0].src.name == "alpha.txt"

def test_a_manifest_pairs_any_layout(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "uno.txt").write_text("Uno.\n")
    (tmp_path / "b.txt").write_text("One.\n")
    (tmp_path / "pairs.csv").write_text("name,src,tgt,tgt_lang\nfirst,a/uno.txt,b.txt,en\nmissing,a/no.txt,b.txt,\n")
    pairs, unmatched, problems = find_pairs(tmp_path)
    assert [(p.name, p.src.name, p.tgt.name, p.tgt_lang) for p in pairs] == [("first", "uno.txt", "b.txt", "en")]
    assert problems[0][0] == "missing" and "a/no.txt" in problems[0][1]
    assert unmatched == []  # b.txt is paired in the first row: not "without a counterpart"


def test_a_manifests_language_codes_are_checked_and_written_as_the_options_write_them(tmp_path):
    (tmp_path / "uno.txt").write_text("Uno.\n")
    (tmp_path / "one.txt").write_text("One.\n")
    (tmp_path / "pairs.csv").write_text("name,src,tgt,src_lang,tgt_lang\n"
                                        "upper,uno.txt,one.txt,ES,en_GB\n"
                                        "spanish,uno.txt,one.txt,spanish,en\n"
                                        "blank,uno.txt,one.txt, ,\n")  # a space typed in a cell: the default
    pairs, _, problems = find_pairs(tmp_path)
    assert [(p.name, p.src_lang, p.tgt_lang) for p in pairs] == [("upper", "es", "en-gb"), ("blank", "es", "en")]
    assert problems == [("spanish", f"{tmp_path / 'pairs.csv'}:3: 'spanish' is not an ISO 639-1 code (e.g. es, "
                                    "en, de)")]


def test_a_manifest_saved_with_semicolons_or_tabs_is_read_and_a_short_row_said(tmp_path):
    (tmp_path / "uno.txt").write_text("Uno.\n")
    (tmp_path / "one.txt").write_text("One.\n")
    for sep in (";", "\t"):
        (tmp_path / "pairs.csv").write_text(f"name{sep}src{sep}tgt\nuno{sep}uno.txt{sep}one.txt\nshort{sep}uno.txt\n")
        pairs, _, problems = find_pairs(tmp_path)
        assert [(p.name, p.src.name, p.tgt.name) for p in pairs] == [("uno", "uno.txt", "one.txt")]
        assert problems == [("short", f"{tmp_path / 'pairs.csv'}:3: no file in column tgt")]
    (tmp_path / "pairs.csv").write_text("nombre,origen,destino\nuno,uno.txt,one.txt\n")
    with pytest.raises(InputError, match="expected a header with columns name,src,tgt .*found 'nombre', 'origen'"):
        find_pairs(tmp_path)


def test_a_manifest_as_people_write_it_is_read_and_an_empty_one_said(tmp_path):
    """A comment line, a header with spaces or capitals ('Name, Src, Tgt' as a spreadsheet saves it): refused,
    before; and a header alone was called a missing header."""
    (tmp_path / "uno.txt").write_text("Uno.\n")
    (tmp_path / "one.txt").write_text("One.\n")
    manifest = tmp_path / "pairs.csv"
    manifest.write_text("# my pairs\nName, Src, Tgt\n\nuno, uno.txt, one.txt\n# done\nshort,uno.txt\n")
    pairs, _, problems = find_pairs(tmp_path)
    assert [(p.name, p.src.name, p.tgt.name) for p in pairs] == [("uno", "uno.txt", "one.txt")]
    assert problems == [("short", f"{manifest}:6: no file in column tgt")]  # the file's own line number
    manifest.write_text("name,src,tgt\n")
    with pytest.raises(InputError, match="pairs.csv: lists no pairs"):
        find_pairs(tmp_path)

def test_import_reports_added_changed_and_unchanged(tmp_path, corpus):
    store = Store.open(tmp_path / "p.db")
    first = import_corpus(store, corpus)
    assert (first.added, first.changed, first.unchanged) == (["alpha", "beta", "gamma"], [], [])
    src, tgt = made_up_pair(6, seed=0)
    write_pair(corpus, "alpha", src, tgt[:5] + ["A brand new closing sentence."])
    again = import_corpus(store, corpus)
    assert (again.added, again.changed, again.unchanged) == ([], ["alpha"], ["beta", "gamma"])
    assert store.document_info(store.pair("alpha").tgt_doc)["version"] == 2


# ---- the embedding cache ---------------------------------------------------------------------------------------

def test_encode_spans_cover_the_missing_windows_and_nothing_else():
    n = 10
    none = [np.zeros(n - k + 1, bool) for k in (1, 2, 3)]
    assert encode_spans(none, 3, 100) == []
    missing = [m.copy() for m in none]
    missing[1][4] = True  # the window of sentences 4-5
    assert encode_spans(missing, 3, 100) == [(4, 6, 6)]
    missing[0][9] = True
    assert encode_spans(missing, 3, 100) == [(4, 6, 6), (9, 10, 10)]
    every = [np.ones(n - k + 1, bool) for k in (1, 2, 3)]
    assert encode_spans(every, 3, 4) == [(0, 6, 4), (4, 10, 8), (8, 10, 10)]


def test_only_windows_touching_a_changed_sentence_are_encoded(tmp_path):
    store = Store.open(tmp_path / "p.db")
    enc = FakeEncoder()
    texts, _ = made_up_pair(30)
    full, new, cached = embed_cached(store, enc, texts, 3)
    assert cached == 0 and sum(len(h) for _, h, _ in new) == 30 + 29 + 28
    assert [w.dtype for w in full] == [np.float16] * 3  # as cached: half the memory of float32
    for k, hashes, vecs in new:
        store.store_windows(enc.name, k, hashes, vecs)
    again, new, cached = embed_cached(store, enc, texts, 3)
    assert new == [] and cached == 30 + 29 + 28 and enc.calls == [30]
    for a, b in zip(full, again):
        np.testing.assert_array_equal(a, b)
    texts[12] = "Una frase cambiada por completo."
    changed, new, _ = embed_cached(store, enc, texts, 3, chunk=4)
    assert enc.calls[1:] == [5] and sum(len(h) for _, h, _ in new) == 1 + 2 + 3
    reference = [w.astype(np.float16).astype(np.float32) for w in enc.encode_windows(texts, 3)]
    for a, b in zip(changed, reference):
        np.testing.assert_array_equal(a, b)


def test_window_hashes_are_per_window_text():
    h = window_hashes(["a", "b", "a", "b"], 2)
    assert h[0][0] == h[0][2] and h[1][0] == h[1][2] and h[1][0] != h[1][1]


# ---- align-all -------------------------------------------------------------------------------------------------

def test_align_all_aligns_new_pairs_then_skips_them(tmp_path, corpus):
    imported(tmp_path, corpus).close()
    first = align_all(tmp_path / "p.db", jobs=1, encoder_factory=FakeEncoder)
    assert sorted(first.aligned) == ["alpha", "beta", "gamma"] and first.failed == [] and first.sentences == 48
    with Store.open(tmp_path / "p.db") as store:
        assert store.alignment("gamma").links() == [((i,), (i,)) for i in range(10)]
        assert all(p.status.value == "aligned" for p in store.pairs())
        assert store.runs("beta")[0]["figures"]["windows_computed"] > 0
    second = align_all(tmp_path / "p.db", jobs=1, encoder_factory=FakeEncoder)
    assert second.aligned == [] and second.skipped == 3
    forced = align_all(tmp_path / "p.db", jobs=1, force=True, encoder_factory=FakeEncoder)
    assert len(forced.aligned) == 3
    with Store.open(tmp_path / "p.db") as store:  # everything came from the cache the second time
        assert store.runs("beta")[-1]["figures"]["windows_computed"] == 0


def test_other_parameters_mean_a_new_alignment(tmp_path, corpus):
    imported(tmp_path, corpus).close()
    align_all(tmp_path / "p.db", jobs=1, encoder_factory=FakeEncoder)
    again = align_all(tmp_path / "p.db", jobs=1, params=AlignParams(max_side=2), encoder_factory=FakeEncoder)
    assert len(again.aligned) == 3


def test_failed_pairs_are_recorded_and_the_others_aligned(tmp_path, corpus):
    (corpus / "es" / "latin.txt").write_bytes("Canción de cuna.\n".encode("latin-1"))
    (corpus / "en" / "latin.txt").write_text("Lullaby.\n")
    (corpus / "es" / "empty.txt").write_text("")
    (corpus / "en" / "empty.txt").write_text("Something.\n")
    (corpus / "is").mkdir()
    (corpus / "is" / "saga.txt").write_text("Halló heimur.\n")
    (corpus / "manifest.csv").write_text("name,src,tgt,src_lang,tgt_lang\nsaga,is/saga.txt,en/latin.txt,is,en\n")
    store = imported(tmp_path, corpus)
    report = import_corpus(store, corpus / "manifest.csv")
    assert report.added == ["saga"]
    store.close()
    summary = align_all(tmp_path / "p.db", jobs=1, encoder_factory=FakeEncoder)
    assert sorted(summary.aligned) == ["alpha", "beta", "gamma"]
    errors = dict(summary.failed)
    assert "not valid UTF-8" in errors["latin"] and "empty" in errors["empty"]
    assert "language 'is' is not covered" in errors["saga"]
    with Store.open(tmp_path / "p.db") as store:
        assert store.pair("latin").status.value == "failed" and "UTF-8" in store.pair("latin").error
        assert store.runs("latin")[-1]["error"] == errors["latin"]


def test_an_interrupt_keeps_finished_pairs_and_the_next_run_does_the_rest(tmp_path, corpus):
    imported(tmp_path, corpus).close()
    seen = []

    def stop_after_one(event):
        if event.pair:
            seen.append(event.pair)
            raise KeyboardInterrupt

    first = align_all(tmp_path / "p.db", jobs=1, encoder_factory=FakeEncoder, progress=stop_after_one)
    assert first.interrupted and first.aligned == seen == ["gamma"]  # the largest goes first
    assert sorted(first.pending) == ["alpha", "beta"]
    with Store.open(tmp_path / "p.db") as store:
        run = store.pair("gamma").run_id
    rest = align_all(tmp_path / "p.db", jobs=1, encoder_factory=FakeEncoder)
    assert sorted(rest.aligned) == ["alpha", "beta"] and rest.skipped == 1
    with Store.open(tmp_path / "p.db") as store:
        assert store.pair("gamma").run_id == run


def test_a_pair_saved_as_the_interrupt_arrives_is_counted_aligned(tmp_path, corpus, monkeypatch):
    """Ctrl-C between a pair's commit and its count: the summary counts it aligned, not left nor lost (41
    aligned + 18 left of 60, before)."""
    import aligner.batch as batch

    imported(tmp_path, corpus).close()
    real = batch._commit

    def commit_then_interrupt(store, r, params, summary):
        real(store, r, params, summary)
        summary.aligned.remove(r.name)  # the interrupt came before the count
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "_commit", commit_then_interrupt)
    first = align_all(tmp_path / "p.db", jobs=1, encoder_factory=FakeEncoder)
    assert first.interrupted and first.aligned == ["gamma"] and sorted(first.pending) == ["alpha", "beta"]

def test_an_interrupt_after_a_pending_pair_was_removed_reports_the_rest(tmp_path, corpus):
    """Ctrl-C once another process removed a pair not aligned yet: the summary says so and lists the others as
    pending (the summary itself failed with 'no pair named', before)."""
    from aligner.store.prune import remove_pairs

    imported(tmp_path, corpus).close()

    def remove_then_stop(event):
        if event.pair:  # gamma, the largest, saved; alpha removed elsewhere; then Ctrl-C
            with Store.open(tmp_path / "p.db") as other:
                remove_pairs(other, ["alpha"])
            raise KeyboardInterrupt

    summary = align_all(tmp_path / "p.db", jobs=1, encoder_factory=FakeEncoder, progress=remove_then_stop)
    assert summary.interrupted and summary.aligned == ["gamma"] and summary.pending == ["beta"]
    assert summary.warnings == [("alpha", "removed from the project while the batch ran; skipped")]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_pair_removed_while_the_batch_runs_is_skipped_and_the_rest_aligned(tmp_path, corpus, jobs):
    """`aligner remove` in another terminal while `align-all` runs: the batch skipped nothing else (it stopped
    at the removed pair with 'no pair named', before)."""
    from aligner.store.prune import remove_pairs

    imported(tmp_path, corpus).close()
    removed, errors = [], []

    def remove_one(event):
        errors.append(event.error)  # the progress line would print it as a failure
        if event.pair and not removed:  # one pair saved: another process removes one not saved yet
            removed.append(min({"alpha", "beta", "gamma"} - {event.pair}))
            with Store.open(tmp_path / "p.db") as other:
                remove_pairs(other, removed)

    summary = align_all(tmp_path / "p.db", jobs=jobs, threads=1, encoder_factory=FakeEncoder, progress=remove_one)
    gone = removed[0]
    assert not summary.interrupted and not summary.failed and not any(errors)
    assert summary.warnings == [(gone, "removed from the project while it was being aligned; skipped")]
    assert sorted(summary.aligned) == sorted({"alpha", "beta", "gamma"} - {gone})
    with Store.open(tmp_path / "p.db") as store:
        assert all(p.status.value == "aligned" for p in store.pairs()) and not store.has_pair(gone)


def test_a_second_batch_on_the_same_project_is_refused_while_the_first_runs(tmp_path, corpus):
    """Two `align-all` at once both aligned every pair (78 runs for 40 pairs)."""
    import os

    from aligner.batch import _one_batch_at_a_time
    from aligner.errors import StoreBusy

    imported(tmp_path, corpus).close()
    db = tmp_path / "p.db"
    with _one_batch_at_a_time(db):  # the first batch, as another process would hold it
        with pytest.raises(StoreBusy, match=rf"another `aligner align-all` is aligning this project \(process "
                                            rf"{os.getpid()}\); wait for it to finish"):
            align_all(db, jobs=1, encoder_factory=FakeEncoder)
        with Store.open(db) as store:
            assert all(p.run_id is None for p in store.pairs())
    assert sorted(align_all(db, jobs=1, encoder_factory=FakeEncoder).aligned) == ["alpha", "beta", "gamma"]
    assert sorted(p.name for p in tmp_path.iterdir() if "lock" in p.name) == []  # nothing left beside it

def test_the_batch_lock_holds_when_the_last_holder_removes_the_file_meanwhile(tmp_path, monkeypatch):
    """The holder removes the lock file as it lets go: a batch that opened the file just before locked a file
    no longer there, and a third batch could run beside it (both aligning every pair)."""
    import fcntl

    from aligner.batch import _one_batch_at_a_time
    from aligner.errors import StoreBusy

    db = tmp_path / "p.db"
    lock_file = tmp_path / "p.db.align-all.lock"
    real, calls = fcntl.flock, []

    def holder_lets_go_first(f, op):
        if not calls and op & fcntl.LOCK_EX:
            lock_file.unlink()  # the batch before ends between this one's open and its flock
        calls.append(op)
        return real(f, op)

    monkeypatch.setattr(fcntl, "flock", holder_lets_go_first)
    with _one_batch_at_a_time(db):
        assert lock_file.exists() and len(calls) == 2  # the orphan let go, the file there now locked
        monkeypatch.setattr(fcntl, "flock", real)
        with pytest.raises(StoreBusy), _one_batch_at_a_time(db):
            pass
    assert not lock_file.exists()


def _ignore_ctrl_c() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as the batch's workers do


def test_stopping_the_pool_ends_its_workers_busy_or_idle():
    """After Ctrl-C the pool's workers (which ignore it) are ended at once: an idle one left alive held the exit
    of `align-all` for good (multiprocessing joins its children)."""
    import multiprocessing
    import time
    from concurrent.futures import ProcessPoolExecutor

    from aligner.batch import _stop

    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_ctrl_c)
    busy = pool.submit(time.sleep, 60)
    pool.submit(time.sleep, 0).result()  # both workers started; one idle now
    procs = list(pool._processes.values())
    assert len(procs) == 2 and all(p.is_alive() for p in procs)
    deadline = time.monotonic() + 10
    _stop(pool)
    while any(p.is_alive() for p in procs) and time.monotonic() < deadline:
        time.sleep(0.05)  # the pool's own thread may be reaping them at the same moment: is_alive() lags
    assert not any(p.is_alive() for p in procs), [(p.pid, p.exitcode) for p in procs]
    assert not busy.cancelled()  # it was running: ended with its worker, not cancelled

def test_a_process_pool_aligns_everything_and_keeps_review_work(tmp_path, corpus):
    imported(tmp_path, corpus).close()
    events = []
    summary = align_all(tmp_path / "p.db", jobs=2, threads=1, encoder_factory=FakeEncoder, progress=events.append)
    assert summary.workers == 2 and sorted(summary.aligned) == ["alpha", "beta", "gamma"]
    assert [e.done_pairs for e in events] == [0, 1, 2, 3] and events[-1].done_sentences == 48
    with Store.open(tmp_path / "p.db") as store:
        store.set_status("alpha", range(6), BeadStatus.CONFIRMED)
    src, tgt = made_up_pair(6, seed=0)
    write_pair(corpus, "alpha", src[:2] + ["Una frase nueva sobre nada."] + src[3:], tgt)
    with Store.open(tmp_path / "p.db") as store:
        assert import_corpus(store, corpus).changed == ["alpha"]
    again = align_all(tmp_path / "p.db", jobs=2, threads=1, encoder_factory=FakeEncoder)
    assert again.aligned == ["alpha"]
    with Store.open(tmp_path / "p.db") as store:
        statuses = [b.status for b in store.alignment("alpha").beads]
        assert statuses.count(BeadStatus.CONFIRMED) == 5 and statuses[2] is BeadStatus.AUTO


def test_a_big_pair_has_its_encoding_shared_out_in_chunks(tmp_path, monkeypatch):
    from aligner import batch

    write_pair(tmp_path / "corpus", "big", *made_up_pair(40, seed=3))
    imported(tmp_path, tmp_path / "corpus").close()
    reference = tmp_path / "ref.db"
    shutil.copy(tmp_path / "p.db", reference)
    monkeypatch.setattr(batch, "CHUNK", 6)
    monkeypatch.setattr(batch, "BIG_PAIR", 20)
    here, align_pair = [], batch.align_pair

    def align_here(store, encoder, name, *args, **kwargs):
        here.append(name)
        return align_pair(store, encoder, name, *args, **kwargs)

    monkeypatch.setattr(batch, "align_pair", align_here)
    events = []
    summary = align_all(tmp_path / "p.db", jobs=2, threads=1, encoder_factory=FakeEncoder, progress=events.append)
    assert summary.aligned == ["big"] and summary.workers == 2
    assert here == ["big"]  # fewer pairs than workers: aligned in this process once the workers are gone
    done = [e.done_sentences for e in events]
    assert done == sorted(done) and len(done) > 3 and done[-1] == 80  # chunks count as they finish
    align_all(reference, jobs=1, encoder_factory=FakeEncoder)
    with Store.open(tmp_path / "p.db") as store, Store.open(reference) as ref:
        assert store.runs("big")[0]["figures"]["windows_computed"] == 0  # the chunks filled the cache
        assert store.alignment("big").beads == ref.alignment("big").beads


KILLABLE = """
import sys
sys.path.insert(0, {tests!r})
from conftest import SlowFakeEncoder
from aligner import embed
from aligner.cli import main
embed._instances["slow-fake"] = SlowFakeEncoder()
sys.argv = ["aligner", "align-all", "--db", {db!r}, "--model", "slow-fake", "-j", "1", "--quiet"]
main()
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killing_align_all_midway_keeps_finished_pairs_and_a_rerun_finishes(tmp_path, sig):
    root = tmp_path / "corpus"
    for k in range(6):
        write_pair(root, f"doc{k}", *made_up_pair(5, seed=k))
    imported(tmp_path, root).close()
    db = tmp_path / "p.db"
    script = KILLABLE.format(tests=str(Path(__file__).parent), db=str(db))
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    with Store.open(db, readonly=True) as watch:
        while time.time() < deadline and sum(p.run_id is not None for p in watch.pairs()) < 2:
            time.sleep(0.05)
        proc.send_signal(sig)
        err = proc.communicate(timeout=30)[1]
        before = {p.name: p.run_id for p in watch.pairs() if p.run_id is not None}
    assert 2 <= len(before) < 6, err
    if sig == signal.SIGINT:
        # the hint repeats the model: a plain rerun would align the rest with the default
        assert proc.returncode == 130 and f"`aligner align-all --db {db} --model slow-fake` finishes them" in err
    rerun = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                           check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(before)} up to date" in rerun.stdout
    with Store.open(db) as store:
        assert store.integrity_check() == "ok"
        after = {p.name: p.run_id for p in store.pairs()}
        assert all(after[name] == run for name, run in before.items())  # finished pairs were not redone
        assert all(p.status.value == "aligned" for p in store.pairs())
        assert all(len(store.runs(name)) == 1 for name in after)


# ---- review work on flags across re-alignments -------------------------------------------------------------------

def editor_flag(store: Store, name: str, kind: str, src=(), tgt=(), note: str = "", status: str = "confirmed"):
    """Flag sentences by hand, as the review app does: a flag record keyed EDITOR_KEY + its key."""
    from aligner.flags import Flag, FlagStatus, FlagType, Span
    from aligner.store import EDITOR_KEY

    s, t = store.documents_for(name)
    flag = Flag(FlagType(kind), Span.of(s, src) if src else None, Span.of(t, tgt) if tgt else None, 1.0, 1.0, note,
                FlagStatus(status))
    records = [{k: v for k, v in f.items() if k != "id"} for f in store.flag_records(name)]
    store.save_flags(name, records + [{**flag.to_dict(), "key": EDITOR_KEY + flag.key}])


def mine(store: Store, name: str) -> list[tuple]:
    return [(f["key"], f["type"], f["status"], f["note"], f["src"] and f["src"]["sentences"],
             f["tgt"] and f["tgt"]["sentences"]) for f in store.flag_records(name) if f["key"].startswith("editor:")]


def test_editor_flags_survive_a_re_alignment_of_the_same_documents(tmp_path, corpus, monkeypatch):
    imported(tmp_path, corpus).close()
    align_all(tmp_path / "p.db", jobs=1, encoder_factory=FakeEncoder)
    with Store.open(tmp_path / "p.db") as store:
        store.set_status("beta", [2, 3], BeadStatus.FLAGGED)
        editor_flag(store, "beta", "divergent", [2, 3], [2, 3], "the figures differ")
        editor_flag(store, "beta", "added", tgt=[5], note="", status="dismissed")
        before = mine(store, "beta")
    assert align_all(tmp_path / "p.db", jobs=1, force=True, encoder_factory=FakeEncoder).aligned
    with Store.open(tmp_path / "p.db") as store:
        assert mine(store, "beta") == before
        assert [b.status for b in store.alignment("beta").beads][2:4] == [BeadStatus.FLAGGED] * 2
    from aligner import flags

    monkeypatch.setattr(flags, "derive_flags", lambda *a: 1 / 0)
    summary = align_all(tmp_path / "p.db", jobs=1, force=True, encoder_factory=FakeEncoder)
    assert ("beta", "no flags: ZeroDivisionError: division by zero") in summary.warnings
    with Store.open(tmp_path / "p.db") as store:
        assert mine(store, "beta") == before  # no derived flags this time, the editor's all the same


def test_editor_flags_follow_their_sentences_into_a_new_version_and_go_with_a_changed_one(tmp_path, corpus):
    imported(tmp_path, corpus).close()
    align_all(tmp_path / "p.db", jobs=1, encoder_factory=FakeEncoder)
    with Store.open(tmp_path / "p.db") as store:
        editor_flag(store, "gamma", "furniture", tgt=[6, 7], note="share buttons")
        editor_flag(store, "gamma", "dropped", src=[3], note="a changed sentence")
    src, tgt = made_up_pair(10, seed=2)
    write_pair(corpus, "gamma", src[:3] + ["Una frase reescrita por completo."] + src[4:],
               ["A sentence put in at the top."] + tgt)
    with Store.open(tmp_path / "p.db") as store:
        assert import_corpus(store, corpus).changed == ["gamma"]
    align_all(tmp_path / "p.db", jobs=1, encoder_factory=FakeEncoder)
    with Store.open(tmp_path / "p.db") as store:
        assert mine(store, "gamma") == [("editor:furniture::7-8", "furniture", "confirmed", "share buttons", None,
                                         [7, 8])]
        (f,) = [f for f in store.flag_records("gamma") if f["key"].startswith("editor:")]
        doc = store.documents_for("gamma")[1]
        assert doc.text[f["tgt"]["start"]:f["tgt"]["end"]].startswith(tgt[6])
        assert f["tgt"]["paragraphs"] == [7, 8]
