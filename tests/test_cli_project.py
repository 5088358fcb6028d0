"""The project commands through click's CliRunner on real database files: add, align-all, status, show, report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from conftest import holding_lock, made_up_pair, write_pair

from aligner.cli import cli
from aligner.models import BeadStatus
from aligner.store import Store

REPO = Path(__file__).resolve().parents[1]


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture
def project(tmp_path, corpus, fake_model):
    db = tmp_path / "p.db"
    assert run("add", corpus, "--db", db).exit_code == 0
    result = run("align-all", "--db", db, "--model", "fake", "-j", "1", "--quiet")
    assert result.exit_code == 0, result.output
    return db


def test_add_reports_unmatched_files_and_imports_the_rest(tmp_path, corpus):
    (corpus / "en" / "stray.txt").write_text("No partner.\n")
    result = run("add", corpus, "--db", tmp_path / "p.db")
    assert result.exit_code == 0
    assert "stray.txt: no counterpart in the other language" in result.stderr
    assert "3 pairs added, 0 changed, 0 unchanged" in result.stdout
    again = run("add", corpus, "--db", tmp_path / "p.db")
    assert "0 pairs added, 0 changed, 3 unchanged" in again.stdout


def test_add_without_pairs_fails_with_a_message(tmp_path):
    (tmp_path / "es").mkdir()
    (tmp_path / "en").mkdir()
    result = run("add", tmp_path, "--db", tmp_path / "p.db")
    assert result.exit_code == 1 and "no document pairs found" in result.output
    assert list(tmp_path.glob("p.db*")) == []  # made for this command only: not left behind, empty


def test_add_needs_the_language_folders(tmp_path):
    result = run("add", tmp_path, "--db", tmp_path / "p.db")
    assert result.exit_code == 1 and "no such folder" in result.output
    assert list(tmp_path.glob("p.db*")) == []
    Store.open(tmp_path / "kept.db").close()  # a project that was there before is kept, empty or not
    assert run("add", tmp_path, "--db", tmp_path / "kept.db").exit_code == 1 and (tmp_path / "kept.db").exists()


def test_align_all_then_status(project):
    result = run("status", "--db", project)
    assert result.exit_code == 0
    for name in ("alpha", "beta", "gamma"):
        assert name in result.stdout
    assert "3 pairs, 48 sentences, 24 beads, 0 reviewed (0%)" in result.stdout
    assert "beads by type and status" in result.stdout


def test_align_all_lists_failures_and_exits_1(tmp_path, corpus, fake_model):
    (corpus / "es" / "bad.txt").write_bytes(b"\xff\xfe broken")
    (corpus / "en" / "bad.txt").write_text("Fine.\n")
    db = tmp_path / "p.db"
    run("add", corpus, "--db", db)
    result = run("align-all", "--db", db, "--model", "fake", "-j", "1", "--quiet")
    assert result.exit_code == 1
    assert "aligned 3 pairs" in result.stdout
    with Store.open(db) as store:  # the sentences aligned: the failed pair's are not counted
        aligned = sum(p.n_src + p.n_tgt for p in store.pairs() if p.name != "bad")
    assert f"aligned 3 pairs ({aligned} sentences in " in result.stdout
    assert "1 failed:" in result.stderr and "bad: " in result.stderr
    status = run("status", "--db", db)
    assert "failed" in status.stdout and "bad" in status.stderr


def test_align_all_twice_skips_what_is_done(project):
    result = run("align-all", "--db", project, "--model", "fake", "-j", "1", "--quiet")
    assert "aligned 0 pairs; 3 up to date" in result.stdout
    forced = run("align-all", "--db", project, "--model", "fake", "-j", "1", "--quiet", "--force")
    assert "aligned 3 pairs" in forced.stdout


def test_the_database_can_come_from_the_environment(tmp_path, corpus, fake_model):
    env = {"ALIGNER_DB": str(tmp_path / "env.db")}
    assert run("add", corpus, env=env).exit_code == 0
    assert (tmp_path / "env.db").exists()
    assert "alpha" in run("status", env=env).stdout


def test_status_of_a_missing_database_says_how_to_make_one(tmp_path):
    result = run("status", "--db", tmp_path / "none.db")
    assert result.exit_code == 1 and "aligner add" in result.output
    assert not (tmp_path / "none.db").exists()


def test_show_prints_the_beads_with_their_flags(project):
    with Store.open(project) as store:
        store.save_flags("beta", [{"type": "divergent", "src": {"sentences": [1], "paragraphs": [1], "start": 0,
                                                                "end": 1}, "tgt": None, "confidence": 0.9,
                                   "status": "open", "note": "check"}])
        store.set_status("beta", [0], "confirmed")
    wide = {"COLUMNS": "300"}
    result = run("show", "beta", "--db", project, env=wide)
    assert result.exit_code == 0
    src, _ = made_up_pair(8, seed=1)
    assert src[0][:20] in result.stdout and "confirmed" in result.stdout and "divergent" in result.stdout
    assert "flags (1)" in result.stdout
    with Store.open(project) as store:  # align-all kept how sure the aligner was of each bead; show prints it
        sure = [b.confidence for b in store.alignment("beta").beads]
    assert all(c is not None and 0.0 <= c <= 1.0 for c in sure)
    assert "sure" in result.stdout and f"{100 * sure[0]:.0f}%" in result.stdout
    only = run("show", "beta", "--db", project, "--flagged", env=wide)
    assert src[1][:20] in only.stdout and src[3][:20] not in only.stdout
    with Store.open(project) as store:  # a pair an editor made has no score: "-", as in the review app
        a = store.alignment("beta")
        made = a.with_beads((replace(a.beads[0], score=0.0, status=BeadStatus.EDITED),) + a.beads[1:])
        store.apply_edit("beta", made, "edit", {})
    first = next(line for line in run("show", "beta", "--db", project, env=wide).stdout.splitlines()
                 if src[0][:20] in line)
    assert "0.00" not in first and " - " in first


def test_show_an_unknown_pair(project):
    result = run("show", "nope", "--db", project)
    assert result.exit_code == 1 and "no pair named 'nope'" in result.output


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_report_writes_one_row_per_pair(tmp_path, project, fmt):
    out = tmp_path / f"report.{fmt}"
    result = run("report", "--db", project, "--format", fmt, "-o", out)
    assert result.exit_code == 0, result.output
    frame = {"csv": pl.read_csv, "json": pl.read_json, "parquet": pl.read_parquet}[fmt](out)
    assert frame["pair"].to_list() == ["alpha", "beta", "gamma"]
    assert frame["src"].to_list() == [6, 8, 10] and frame["reviewed_pct"].to_list() == [0.0, 0.0, 0.0]


def test_status_and_report_count_the_doubtful_beads_as_the_review_app_does(project):
    from aligner.align.posterior import is_doubtful

    with Store.open(project) as store:  # one pair's first beads as a run made before confidences were kept
        run_id = store.pair("beta").run_id
        store._conn.execute("UPDATE beads SET confidence = NULL, score = 0.3 WHERE run_id = ? AND src_start < 2 "
                            "AND src_len > 0 AND tgt_len > 0", (run_id,))
        store._conn.execute("UPDATE runs SET revision = revision + 1 WHERE id = ?", (run_id,))
        want = [sum(is_doubtful(b.confidence, b.status, bool(b.src and b.tgt), b.score)
                    for b in store.alignment(name).beads) for name in ("alpha", "beta", "gamma")]
    assert want[1] >= 2
    report = json.loads(run("report", "--db", project, "--format", "json").stdout)
    assert [r["doubtful"] for r in report] == want
    assert "doubtful" in run("status", "--db", project, env={"COLUMNS": "300"}).stdout


def test_report_to_standard_output(project):
    result = run("report", "--db", project, "--format", "json")
    assert [r["pair"] for r in json.loads(result.stdout)] == ["alpha", "beta", "gamma"]
    assert run("report", "--db", project, "--format", "parquet").exit_code == 2


def test_reimporting_a_changed_file_keeps_confirmed_beads(tmp_path, corpus, project):
    with Store.open(project) as store:
        store.set_status("gamma", range(10), "confirmed")
    src, tgt = made_up_pair(10, seed=2)
    write_pair(corpus, "gamma", src, tgt[:4] + ["A sentence rewritten from scratch."] + tgt[5:])
    assert "changed: gamma" in run("add", corpus, "--db", project).stdout
    result = run("align-all", "--db", project, "--model", "fake", "-j", "1", "--quiet")
    assert "aligned 1 pair (" in result.stdout
    assert "note: gamma: review work kept on 9 of the 10 beads you confirmed, flagged or edited" in result.stderr
    with Store.open(project) as store:
        info = store.pair("gamma")
        assert (info.beads, info.reviewed) == (10, 9)


def test_status_notes_a_changed_pair_whose_new_files_failed_to_align(corpus, project):
    """The pair keeps its old alignment (stale) with status 'failed': its counts still mix two versions."""
    src, tgt = made_up_pair(10, seed=2)
    write_pair(corpus, "gamma", src[:8], tgt)
    assert "changed: gamma" in run("add", corpus, "--db", project).stdout
    with Store.open(project) as store:
        store.record_failure("gamma", "the encoder crashed")
        assert store.pair("gamma").stale and store.pair("gamma").status.value == "failed"
    result = run("status", "--db", project)
    assert "changed: gamma: src and tgt count the sentences of the new files" in result.stderr
    assert "failed: gamma: the encoder crashed" in result.stderr
    said = " ".join(CliRunner().invoke(cli, ["show", "gamma", "--db", str(project)]).output.split())
    assert "run `aligner align-all gamma` to align the new files" not in said  # it fails again as it is
    assert "the new files failed to align (the encoder crashed): a file to fix is read again" in said

def test_a_pair_whose_files_changed_shows_and_exports_the_version_it_aligned(tmp_path, corpus, project):
    """After `add` imports changed files, and before they are aligned again, show, flags and export read the
    alignment with the texts it was made on (not the new files, whose sentence ids name other sentences), and
    say so."""
    src, tgt = made_up_pair(10, seed=2)
    with Store.open(project) as store:
        store.set_status("gamma", [5], "confirmed")
        aligned = [(r.src, r.tgt) for r in store.iter_beads(["gamma"])]
    write_pair(corpus, "gamma", src[:2] + src[5:], tgt)  # three Spanish sentences deleted
    assert "changed: gamma" in run("add", corpus, "--db", project).stdout
    with Store.open(project) as store:
        assert store.pair("gamma").stale and not store.pair("alpha").stale
        assert [(r.src, r.tgt) for r in store.iter_beads(["gamma"])] == aligned
        assert store.documents_for("gamma")[0].texts == src
    out = tmp_path / "gamma.tsv"
    result = run("export", "tsv", "gamma", "-o", out, "--db", project)
    note = "gamma: its files changed since it was aligned; this is the aligned version"
    assert note in result.stderr
    rows = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
    header = rows[0]
    texts = [(r[header.index("src")], r[header.index("tgt")]) for r in rows[1:]]
    assert texts == [(s, t) for s, t in aligned if s and t]
    for command in (["show", "gamma"], ["flags", "gamma"]):
        result = run(*command, "--db", project)
        assert result.exit_code == 0 and note in result.stderr
    page = tmp_path / "gamma.html"
    assert note in run("report", "gamma", "--html", page, "--db", project).stderr
    result = run("status", "--db", project)  # the new files' sentences beside the old alignment's beads: said
    assert "changed: gamma: src and tgt count the sentences of the new files; the beads, review and flags are " \
        "those of the version aligned before" in result.stderr and "alpha" not in result.stderr
    assert f'<p class="note" id="note">{note} (run `aligner align-all gamma` to align' in page.read_text("utf-8")
    assert "aligned 1 pair (" in run("align-all", "--db", project, "--model", "fake", "-j", "1", "--quiet").stdout
    with Store.open(project) as store:
        assert not store.pair("gamma").stale and store.documents_for("gamma")[0].texts == src[:2] + src[5:]
        assert next(r for r in store.iter_beads(["gamma"]) if r.src == src[5]).status.value == "confirmed"


def test_files_gone_are_said_whichever_folder_add_runs_in(tmp_path, corpus, fake_model, monkeypatch):
    """`add corpus` stores the paths as typed: run again from another folder with the corpus's full path, the
    pair whose files were deleted went unmentioned."""
    monkeypatch.chdir(corpus.parent)
    db = tmp_path / "p.db"
    run("add", corpus.name, "--db", db)
    for lang in ("es", "en"):
        (corpus / lang / "gamma.txt").unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert "the files of gamma are gone" in run("add", corpus.resolve(), "--db", db).stderr


def test_a_pair_whose_files_are_gone_is_reported_and_can_be_removed(tmp_path, corpus, project):
    with Store.open(project) as store:
        store.set_status("gamma", [0], "confirmed")
    for lang in ("es", "en"):
        (corpus / lang / "gamma.txt").unlink()
    result = run("add", corpus, "--db", project)
    assert "the files of gamma are gone; the project keeps its alignment" in result.stderr
    assert "aligner remove NAME" in result.stderr
    refused = CliRunner().invoke(cli, ["remove", "gamma", "nosuch", "--db", str(project), "--yes"])
    assert refused.exit_code == 1 and "nosuch" in refused.output
    kept = CliRunner().invoke(cli, ["remove", "gamma", "--db", str(project)], input="n\n")
    assert kept.exit_code == 1 and "Aborted" in kept.output
    unanswered = CliRunner().invoke(cli, ["remove", "gamma", "--db", str(project)], input="")  # </dev/null
    assert unanswered.exit_code == 2 and "no answer came: add --yes in a script" in unanswered.output
    with Store.open(project) as store:
        assert [p.name for p in store.pairs()] == ["alpha", "beta", "gamma"]
    result = run("remove", "gamma", "--db", project, "--yes")
    assert "removed 1 pair (1 run, 10 beads, 1 edit" in result.stdout
    with Store.open(project) as store:
        assert [p.name for p in store.pairs()] == ["alpha", "beta"]
        assert store.integrity_check() == "ok"
        leftovers = [store._conn.execute(f"SELECT count(*) FROM {table} WHERE run_id NOT IN (SELECT id FROM runs)")
                     .fetchone()[0] for table in ("beads", "edits", "flags", "flag_reviews")]
        assert leftovers == [0, 0, 0, 0]
    assert "removed" in run("prune", "--db", project).stdout
    assert "gamma" not in run("status", "--db", project).stdout
    result = run("add", corpus, "--db", project)
    assert "gone" not in result.stderr and "0 pairs added, 0 changed, 2 unchanged" in result.stdout
    run("export", "tmx", "alpha", "-o", corpus / "old.tmx", "--db", project)  # a memory kept in the corpus folder
    run("import", "tmx", corpus / "old.tmx", "--name", "old-memory", "--db", project)
    assert "gone" not in run("add", corpus, "--db", project).stderr


def test_add_warns_about_a_file_in_the_wrong_language_folder(tmp_path, fake_model):
    english = ("The council said on Tuesday that the new bridge would be open to traffic by the end of the year, "
               "and that the works had cost less than the city had feared when they began in the spring. "
               "Residents who had waited for more than ten years welcomed the news, but some of them said they "
               "would believe it only when they could drive across it.")
    spanish = ("El ayuntamiento dijo el martes que el nuevo puente estaría abierto al tráfico antes de que acabe "
               "el año, y que las obras habían costado menos de lo que la ciudad temía cuando empezaron en la "
               "primavera. Los vecinos, que esperaban desde hacía más de diez años, recibieron la noticia con "
               "alivio, aunque algunos dijeron que solo lo creerán cuando puedan cruzarlo en coche.")
    write_pair(tmp_path / "c", "puente", [english], [english])
    write_pair(tmp_path / "c", "bien", [spanish], [english])
    result = run("add", tmp_path / "c", "--db", tmp_path / "p.db")
    assert result.exit_code == 0 and "2 pairs added" in result.stdout
    assert "puente: " in result.stderr and "es/puente.txt looks written in 'en', not 'es'" in result.stderr
    assert "bien" not in result.stderr
    result = run("align", tmp_path / "c" / "es" / "puente.txt", tmp_path / "c" / "en" / "puente.txt", "--model",
                 "fake")
    assert result.exit_code == 0 and "puente.txt looks written in 'en', not 'es'" in result.stderr


def test_add_and_align_warn_about_a_language_the_default_model_does_not_cover(tmp_path, fake_model):
    from test_langcheck import FINNISH

    write_pair(tmp_path / "c", "satama", [FINNISH], [FINNISH])
    result = run("add", tmp_path / "c", "--db", tmp_path / "p.db")
    assert result.exit_code == 0
    for side in ("es", "en"):
        assert (f"{side}/satama.txt looks written in 'fi', not '{side}': is it in the right folder? And the "
                f"default model does not cover 'fi' (--model st:<name> picks one that does).") in result.stderr
    result = run("align", tmp_path / "c" / "es" / "satama.txt", tmp_path / "c" / "en" / "satama.txt", "--model",
                 "fake")
    assert result.exit_code == 0 and "en/satama.txt looks written in 'fi', not 'en' (--src-lang / --tgt-lang)" \
        in result.stderr
    assert "default model" not in result.stderr  # aligned with another model, whose languages are not known


@pytest.mark.slow
def test_the_sample_corpus_with_the_real_model(tmp_path):
    """From a fresh project: add corpus/ && align-all && status, with the bundled USE model."""
    if not (REPO / "corpus" / "es").is_dir():
        pytest.skip("no sample corpus")
    db = tmp_path / "p.db"
    assert run("add", REPO / "corpus", "--db", db).exit_code == 0
    result = run("align-all", "--db", db, "-j", "1", "--quiet")
    assert result.exit_code == 0, result.output
    status = run("status", "--db", db)
    assert status.exit_code == 0 and "0 reviewed" in status.stdout
    with Store.open(db) as store:
        for p in store.pairs():
            assert p.status.value == "aligned" and p.beads > 0
            a = store.alignment(p.name)
            assert sum(b.kind == "1-1" for b in a.beads) >= len(a.beads) // 3


def test_prune_removes_old_runs_and_says_what_it_removed(project, corpus):
    src, tgt = made_up_pair(6, seed=0)
    write_pair(corpus, "alpha", src, tgt[:5] + ["A new last sentence about nothing."])
    assert run("add", corpus, "--db", project).exit_code == 0
    assert run("align-all", "--db", project, "--model", "fake", "-j", "1", "--quiet").exit_code == 0
    with Store.open(project) as store:
        alignment = store.alignment("alpha")
        reader = Store.open(project, readonly=True)  # a reader does not stop it
    result = run("prune", "--db", project, "--cache")
    reader.close()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("removed ") and " 1 run, " in lines[0] and " 1 document version, " in lines[0]
    assert "runs" not in lines[0] and "cached vectors" in lines[0]  # one of a kind in the singular
    assert lines[1].startswith("file size ") and " MB -> " in lines[1]
    with Store.open(project) as store:
        assert store.alignment("alpha").beads == alignment.beads
        assert [len(store.runs(n)) for n in ("alpha", "beta", "gamma")] == [1, 1, 1]
    assert run("prune", "--db", project).stdout.startswith("removed nothing")


def test_prune_needs_an_existing_project(tmp_path):
    result = run("prune", "--db", tmp_path / "none.db")
    assert result.exit_code == 1 and "no project database" in result.output
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_report_to_a_missing_folder_is_a_message_not_a_traceback(tmp_path, project, fmt):
    out = tmp_path / "missing" / f"report.{fmt}"
    result = run("report", "--db", project, "--format", fmt, "-o", out)
    assert result.exit_code == 1 and f"{out}: cannot write (No such file or directory)" in result.stderr
    assert "Traceback" not in result.output and not out.parent.exists()


def test_html_report_to_a_missing_folder_is_a_message_not_a_traceback(tmp_path, project):
    out = tmp_path / "missing" / "beta.html"
    result = run("report", "beta", "--db", project, "--html", out)
    assert result.exit_code == 1 and f"{out}: cannot write (No such file or directory)" in result.stderr
    assert "Traceback" not in result.output


def test_align_all_when_every_pair_fails_gives_no_throughput(tmp_path, fake_model):
    root, db = tmp_path / "corpus", tmp_path / "p.db"
    (root / "es").mkdir(parents=True)
    (root / "en").mkdir()
    (root / "es" / "bad.txt").write_bytes(b"\xff\xfe broken")
    (root / "en" / "bad.txt").write_text("Fine.\n")
    assert "1 pair added" in run("add", root, "--db", db).stdout
    result = run("align-all", "--db", db, "--model", "fake", "-j", "1", "--quiet")
    assert result.exit_code == 1
    assert result.stdout == "aligned 0 pairs; 0 up to date; 1 failed\n"
    assert "1 failed:" in result.stderr and "bad: " in result.stderr


def test_one_pair_is_counted_in_the_singular(tmp_path, fake_model):
    root, db = tmp_path / "corpus", tmp_path / "p.db"
    write_pair(root, "solo", *made_up_pair(4))
    assert "1 pair added, 0 changed" in run("add", root, "--db", db).stdout
    result = run("align-all", "--db", db, "--model", "fake", "-j", "1", "--quiet")
    assert result.exit_code == 0 and result.stdout.startswith("aligned 1 pair (")
    assert "1 worker)" in result.stdout
    assert "1 pair, 8 sentences" in run("status", "--db", db).stdout
    assert "wrote 1 pair to" in run("report", "--db", db, "-o", tmp_path / "r.csv").stderr


def _as_a_user(*args: str) -> subprocess.CompletedProcess:
    """`aligner ARGS` in a process that folder permissions bind: root's capabilities dropped (setpriv), as an
    editor's account would run it."""
    cmd = [sys.executable, "-c", "from aligner.cli import main; main()", *map(str, args)]
    if os.geteuid() == 0:
        cmd = [shutil.which("setpriv"), "--bounding-set=-all", "--inh-caps=-all", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


# a test that needs file and folder permissions to bind it (root's override dropped by _as_a_user)
as_a_user = pytest.mark.skipif(not hasattr(os, "geteuid") or (os.geteuid() == 0 and not shutil.which("setpriv")),
                               reason="root ignores permissions, and setpriv is missing to drop them")


def aligned_project(db: Path, corpus: Path) -> Path:
    """The corpus added and aligned with the fake model into `db`."""
    assert run("add", corpus, "--db", db).exit_code == 0
    assert run("align-all", "--db", db, "--model", "fake", "-j", "1", "--quiet").exit_code == 0
    return db


@as_a_user
def test_a_project_in_a_read_only_folder_can_be_read_and_says_why_it_cannot_be_changed(tmp_path, corpus,
                                                                                        fake_model):
    """A project in a read-only folder (a colleague's, on a share) could not even be read: SQLite makes its
    journal files beside it to read. It is read whole now; a change says why it cannot be made; a new project
    there says the folder must be writable."""
    folder = tmp_path / "rodir"
    folder.mkdir()
    db = aligned_project(folder / "ro.db", corpus)
    folder.chmod(0o555)
    try:
        status = _as_a_user("status", "--db", db)
        show = _as_a_user("show", "alpha", "--db", db)
        export = _as_a_user("export", "tmx", "--db", db, "-o", tmp_path / "out.tmx")
        remove = _as_a_user("remove", "alpha", "--yes", "--db", db)
        fresh = _as_a_user("add", corpus, "--db", folder / "new.db")
        left = sorted(p.name for p in folder.iterdir())
    finally:
        folder.chmod(0o755)
    assert status.returncode == 0 and "3 pairs, 48 sentences" in status.stdout, status.stderr
    assert show.returncode == 0 and "aligned with fake" in show.stdout
    assert export.returncode == 0 and (tmp_path / "out.tmx").exists()
    assert remove.returncode == 1 and f"{db}: its folder is not writable" in remove.stderr
    assert fresh.returncode == 1 and "its folder must be writable: SQLite keeps its journal (-wal, -shm) beside it" \
        in fresh.stderr
    assert left == ["ro.db"]


def test_review_takes_the_database_from_the_environment(tmp_path, monkeypatch):
    import tui.app

    opened = []

    class App:
        return_code = 0
        quit_note = ""

        def run(self):
            pass

    def fake_create_app(db, name, corpus, model=None):
        opened.append((db, name))
        return App()

    monkeypatch.setattr(tui.app, "create_app", fake_create_app)
    result = run("review", "beta", env={"ALIGNER_DB": str(tmp_path / "env.db")})
    assert result.exit_code == 0, result.output
    assert opened == [(tmp_path / "env.db", "beta")]
    run("review", "--db", tmp_path / "flag.db", env={"ALIGNER_DB": str(tmp_path / "env.db")})
    assert opened[-1] == (tmp_path / "flag.db", None)


def test_review_of_a_pair_the_project_lacks_says_so_before_the_app_opens(project, monkeypatch):
    """`aligner review nope` opened the app on the project screen, the typo unexplained."""
    import tui.app

    monkeypatch.setattr(tui.app, "create_app", lambda *a, **k: pytest.fail("the app was opened"))
    result = CliRunner().invoke(cli, ["review", "nope", "--db", str(project)])
    assert result.exit_code == 1 and "no pair named 'nope' (pairs: alpha, beta, gamma)" in result.output


def test_flags_without_a_pair_or_files_says_what_to_give(tmp_path):
    neither = CliRunner().invoke(cli, ["flags", "--db", str(tmp_path / "p.db")])
    assert neither.exit_code == 2 and "give a pair NAME, or --src and --tgt files" in neither.stderr
    assert "not both" not in neither.stderr
    both = CliRunner().invoke(cli, ["flags", "beta", "--src", "a.txt", "--tgt", "b.txt"])
    assert both.exit_code == 2 and "give a pair NAME, or --src and --tgt files (not both)" in both.stderr


@pytest.fixture
def broken(tmp_path, corpus, fake_model):
    """The corpus with pair 'bad', whose Spanish file is binary, added and aligned (it fails)."""
    (corpus / "es" / "bad.txt").write_bytes(b"\x00\x01\x02\xff\xfe broken")
    (corpus / "en" / "bad.txt").write_text("Fine.\n")
    db = tmp_path / "p.db"
    assert run("add", corpus, "--db", db).exit_code == 1  # a file could not be imported: said, and the exit says so
    return db


def test_add_exits_1_when_a_file_could_not_be_imported_and_imports_the_rest(tmp_path, corpus):
    """`add` said a file's problem as a warning and exited 0: a script could not tell. A file left without its
    counterpart stays a warning only (an article not adapted yet is no error)."""
    (corpus / "en" / "stray.txt").write_text("No partner.\n")
    (corpus / "es" / "bad.txt").write_bytes(b"\x00\x01\x02\xff\xfe broken")
    (corpus / "en" / "bad.txt").write_text("Fine.\n")
    result = run("add", corpus, "--db", tmp_path / "p.db")
    assert result.exit_code == 1
    # the file that could not be read is an error, the one without a counterpart a warning
    assert "error: bad: " in result.stderr and "warning: bad: " not in result.stderr
    assert f"warning: {corpus / 'en' / 'stray.txt'}: no counterpart" in result.stderr
    assert "4 pairs added, 0 changed, 0 unchanged; 1 problem (above)" in result.stdout
    (corpus / "es" / "bad.txt").write_text("Bien.\n")
    again = run("add", corpus, "--db", tmp_path / "p.db")
    assert again.exit_code == 0 and "1 changed, 3 unchanged" in again.stdout and "problem" not in again.stdout


def test_add_and_align_warn_of_a_text_with_no_sentence_end(tmp_path, fake_model):
    """A file written without sentence punctuation (a transcript, a list on one line) became one sentence of
    thousands of characters, aligned as one bead with up to 4 of the other side, and nothing said so."""
    words = " ".join(f"palabra{k}" for k in range(600))  # about 5,000 characters, no sentence end
    write_pair(tmp_path / "c", "acta", [words], ["Minutes of the meeting.", "The council met on Monday."])
    write_pair(tmp_path / "c", "bien", ["Una frase normal."], ["A normal sentence."])
    result = run("add", tmp_path / "c", "--db", tmp_path / "p.db")
    assert result.exit_code == 0 and "2 pairs added" in result.stdout
    assert (f"warning: acta: {tmp_path / 'c' / 'es' / 'acta.txt'}: sentence 0 has {len(words):,} characters: no "
            f"sentence end found in it? It is aligned as one sentence; --presegmented takes each line as a "
            f"sentence") in result.stderr
    assert "bien" not in result.stderr
    result = run("align", tmp_path / "c" / "es" / "acta.txt", tmp_path / "c" / "en" / "acta.txt", "--model", "fake",
                 "--presegmented")
    assert result.exit_code == 0 and f"acta.txt: line 1 has {len(words):,} characters" in result.stderr
    assert "--presegmented takes" not in result.stderr
    # and align-all, whose result it spoils, says it again (add said it once, the next add not at all)
    result = run("align-all", "--db", tmp_path / "p.db", "--model", "fake", "-j", "1", "--quiet")
    assert result.exit_code == 0
    assert result.stderr.count(f"warning: acta: {tmp_path / 'c' / 'es' / 'acta.txt'}: sentence 0 has ") == 1
    assert "bien" not in result.stderr


def test_align_all_says_again_that_a_file_looks_written_in_another_language(tmp_path, fake_model):
    """A Finnish file in en/ was warned of by the first `add` only: align-all aligned it as English unsaid."""
    fi = ["Kissa nukkuu talossa koko päivän, koska ulkona sataa vettä.",
          "Tänään on aurinkoista ja lämmintä, ja lapset leikkivät puistossa.",
          "Kaupungin kirjasto avataan uudelleen ensi viikolla remontin jälkeen.",
          "Kunnanvaltuusto päätti eilen illalla uuden koulun rakentamisesta."]
    write_pair(tmp_path / "c", "suomi", ["El gato duerme.", "Hoy hace sol.", "La biblioteca abre.", "El pleno decidió."],
               fi)
    assert run("add", tmp_path / "c", "--db", tmp_path / "p.db").exit_code == 0
    result = run("align-all", "--db", tmp_path / "p.db", "--model", "fake", "-j", "1", "--quiet")
    assert f"warning: suomi: {tmp_path / 'c' / 'en' / 'suomi.txt'} looks written in 'fi', not 'en'" in result.stderr


def test_align_all_prints_each_failure_once(broken):
    result = run("align-all", "--db", broken, "--model", "fake", "-j", "1", "--quiet")
    assert result.exit_code == 1
    assert result.stderr.count("this looks like a binary file") == 1
    assert "failed: bad: " in result.stderr
    assert result.stderr.endswith("\n1 failed: bad\n" f"{broken.parent / 'corpus' / 'es' / 'bad.txt'}: fix the file, "
                                  "then run `aligner add` again (align-all aligns a file as it was imported)\n")


@pytest.mark.parametrize("command", [["show", "bad"], ["flags", "bad", "--model", "fake"]])
def test_a_pair_whose_file_is_broken_says_what_failed_and_how_to_fix_it(broken, command):
    run("align-all", "--db", broken, "--model", "fake", "-j", "1", "--quiet")
    result = run(*command, "--db", broken)
    assert result.exit_code == 1
    assert "Error: bad: alignment failed: " in result.stderr and "this looks like a binary file" in result.stderr
    assert "fix the file, then run `aligner add` again" in result.stderr
    assert "run `aligner align-all`" not in result.stderr


def test_every_command_names_an_unknown_pair_alike(tmp_path, fake_model):
    root, db = tmp_path / "corpus", tmp_path / "p.db"
    for k in range(12):
        write_pair(root, f"p{k:02}", *made_up_pair(2, seed=k))
    assert run("add", root, "--db", db).exit_code == 0
    message = f"Error: {db}: no pair named 'nosuch' (pairs: {', '.join(f'p{k:02}' for k in range(10))}, ...)\n"
    for command in (["show", "nosuch"], ["flags", "nosuch"], ["export", "tmx", "nosuch", "-o", tmp_path / "x.tmx"],
                    ["export", "csv", "nosuch", "-o", tmp_path / "x.csv"], ["align-all", "nosuch", "--quiet"],
                    ["align-all", "nosuch"], ["report", "nosuch", "--html", tmp_path / "x.html"]):
        result = run(*command, "--db", db)
        assert (result.exit_code, result.stderr) == (1, message), command
    assert not list(tmp_path.glob("x.*"))


def test_add_says_that_it_waits_for_another_process_and_then_imports(tmp_path, corpus, project):
    """`add` gave up after 10 s without a word while a batch run held the project; it now says that it waits,
    as align-all does, and imports once the other process is done."""
    write_pair(corpus, "delta", *made_up_pair(4, seed=9))
    with holding_lock(project, "alpha", 1.5):
        result = run("add", corpus, "--db", project)
    assert "another process is writing to the project; waiting for it" in result.stderr
    assert "added: delta" in result.stdout


@pytest.mark.parametrize("command", [["remove", "beta", "--yes"], ["prune"]])
def test_remove_and_prune_say_that_they_wait_for_another_process(project, command):
    """`remove` sat silent for 10 s behind another writer, then failed."""
    with holding_lock(project, "alpha", 1.5):
        result = run(*command, "--db", project)
    assert result.exit_code == 0, result.output
    assert f"{project}: another process is writing to the project; waiting for it (up to " in result.stderr


def test_report_of_one_pair_without_html_says_what_it_needs(project):
    result = CliRunner().invoke(cli, ["report", "beta", "--db", str(project), "--format", "csv"])
    assert result.exit_code == 2 and "report NAME writes that pair's HTML page: give --html FILE" in result.output
    result = CliRunner().invoke(cli, ["report", "--html", "r.html", "--db", str(project)])
    assert result.exit_code == 2 and "--html writes one pair's page: give the pair's NAME" in result.output


def test_show_prints_text_in_square_brackets_as_it_is(tmp_path, capsys):
    """Rich read '[Foto: EFE]' in a sentence as a style (dropped it) and '[/b]' as a closing tag (a crash)."""
    from aligner.cli.core import _print_table
    from aligner.models import Alignment, Bead

    es = "Pie de foto [Foto: EFE].\n\nEtiqueta [/b] suelta."
    en = "Caption [Photo: EFE].\n\nA stray [/b] tag."
    db = tmp_path / "p.db"
    with Store.open(db) as store:
        store.add_pair("fotos", store.add_document("es/fotos.txt", "es", es),
                       store.add_document("en/fotos.txt", "en", en))
        beads = (Bead((0,), (0,), 0.9, BeadStatus.AUTO, 0.9), Bead((1,), (1,), 0.8, BeadStatus.AUTO, 0.8))
        store.save_alignment("fotos", Alignment(beads, 2, 2), {"model": "fake"})
        store.save_flags("fotos", [{"type": "divergent", "src": {"sentences": [1], "paragraphs": [1], "start": 0,
                                                                 "end": 1}, "tgt": None, "confidence": 0.9,
                                    "status": "open", "note": "see [/i] here"}])
        src, tgt = store.documents_for("fotos")
    out = run("show", "fotos", "--db", db, env={"COLUMNS": "300"}).stdout
    for text in ("[Foto: EFE]", "Etiqueta [/b] suelta.", "[Photo: EFE]", "see [/i] here"):
        assert text in out
    _print_table(Alignment(beads, 2, 2), src, tgt)  # `aligner align` on a terminal
    printed = capsys.readouterr().out
    assert "[Foto: EFE]" in printed and "A stray [/b] tag." in printed


@pytest.mark.parametrize("force", [False, True])
def test_ctrl_c_says_how_to_finish_the_rest(project, tmp_path, corpus, monkeypatch, force):
    """After Ctrl-C in `align-all --force` it said 'run align-all again': that run took the rest as up to date."""
    from aligner.cli.project import _ProgressBar

    db = project
    if not force:  # pairs not aligned yet
        db = tmp_path / "new.db"
        run("add", corpus, "--db", db)
    real = _ProgressBar.update

    def stop_after_one(self, event):
        real(self, event)
        if event.pair:
            raise KeyboardInterrupt

    monkeypatch.setattr(_ProgressBar, "update", stop_after_one)
    result = CliRunner().invoke(cli, ["align-all", "--db", str(db), "--model", "fake", "-j", "1", "--quiet"]
                                + (["--force"] if force else ["--skip", "-0.3"]))
    said = " ".join(result.output.split())
    assert result.exit_code == 130
    if force:
        assert (f"interrupted: 2 pairs left; `aligner align-all --db {db} --model fake --force " in said
                and "` finishes them" in said)
        left = said.split("--force ")[1].split("`")[0].split()
        monkeypatch.setattr(_ProgressBar, "update", real)
        again = run("align-all", "--db", project, "--model", "fake", "-j", "1", "--quiet", "--force", *left)
        assert "aligned 2 pairs" in again.output and sorted(left) == ["alpha", "beta"]
    else:
        # the same choices: a plain run would align the rest with the default model and skip
        assert f"interrupted: 2 pairs left; `aligner align-all --db {db} --model fake --skip=-0.3` finishes them" in said


def test_add_names_links_to_nothing_folders_named_like_files_and_names_differing_in_case(tmp_path):
    """A link loop or a folder `x.txt/` was skipped without a word (its counterpart called 'without a
    counterpart'); `Riada.txt` beside `riada.txt` got two 'no counterpart' warnings and no hint."""
    root = tmp_path / "c"
    write_pair(root, "bien", ["Una frase."], ["A sentence."])
    write_pair(root, "lazo", ["Una frase."], ["A sentence."])
    (root / "es" / "lazo.txt").unlink()
    (root / "es" / "lazo.txt").symlink_to(root / "es" / "lazo.txt")  # a loop
    (root / "es" / "carpeta.txt").mkdir()
    (root / "en" / "carpeta.txt").write_text("A sentence.\n")
    (root / "es" / "Riada.txt").write_text("Una frase.\n")
    (root / "en" / "riada.txt").write_text("A sentence.\n")
    (root / "es" / "viejos").mkdir()  # a plain subfolder: no document, nothing said
    result = run("add", root, "--db", tmp_path / "p.db")
    assert result.exit_code == 1 and "1 pair added" in result.stdout
    err = result.stderr
    assert f"error: lazo: {root / 'es' / 'lazo.txt'}: a link that leads nowhere" in err
    assert f"error: carpeta: {root / 'es' / 'carpeta.txt'}: a folder, not a file; skipped" in err
    assert "lazo.txt: no counterpart" not in err and "carpeta.txt: no counterpart" not in err
    assert (f"warning: {root / 'es' / 'Riada.txt'}: no counterpart in the other language ({root / 'en' / 'riada.txt'} "
            f"differs only in letter case: rename one); skipped") in err
    assert "viejos" not in err


def test_status_and_show_say_when_a_batch_is_aligning_the_project(tmp_path, corpus):
    """While align-all ran, `show` of a pair in its queue said 'run `aligner align-all`', and status said nothing."""
    from aligner.batch import _one_batch_at_a_time, batch_running

    db = tmp_path / "p.db"
    run("add", corpus, "--db", db)
    assert batch_running(db) is None and not Path(f"{db}.align-all.lock").exists()  # asking makes no file
    with _one_batch_at_a_time(db):
        assert batch_running(db) == str(os.getpid())
        assert f"`aligner align-all` is aligning this project now (process {os.getpid()})" in \
            run("status", "--db", db).stderr
        result = CliRunner().invoke(cli, ["show", "alpha", "--db", str(db)])
        assert result.exit_code == 1 and "is running on this project now" in result.output
        assert "run `aligner align-all`" not in result.output
    assert "aligning this project" not in run("status", "--db", db).stderr


@as_a_user
def test_a_read_only_project_file_is_read_and_a_change_says_what_stops_it(tmp_path, corpus, fake_model):
    db = aligned_project(tmp_path / "p.db", corpus)
    db.chmod(0o444)
    try:
        status = _as_a_user("status", "--db", db)
        remove = _as_a_user("remove", "alpha", "--yes", "--db", db)
    finally:
        db.chmod(0o644)
    assert status.returncode == 0 and "3 pairs, 48 sentences" in status.stdout, status.stderr
    assert remove.returncode == 1
    assert f"{db}: the project file is read-only, so it can only be read: make it writable" in remove.stderr
    assert run("remove", "alpha", "--yes", "--db", db).exit_code == 0  # writable again: the -shm a read left
