"""`aligner export ...` and `aligner import tmx` on real SQLite projects in tmp_path, read back with
translate-toolkit and polars."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import polars as pl
import pytest
from click.testing import CliRunner
from translate.storage import tmx as tt_tmx

from aligner import store as store_module
from aligner.cli import cli
from aligner.models import Alignment, Bead, BeadStatus
from aligner.store import Store

ES = """Había una vez un gato. Vivía en Madrid & comía <b>pescado</b>.

Dijo «hola». Y se fue.

Este párrafo se perdió en la adaptación.

El final "feliz" 😀.
"""
EN = """Once upon a time there was a cat. It lived in Madrid & ate <b>fish</b>.

He said hello and left.

A line the adapter added.

The 'happy' ending 😀.
"""
BEADS = (Bead((0,), (0,), 0.91, confidence=0.99), Bead((1,), (1,), 0.85, confidence=0.55),
         Bead((2, 3), (2,), 0.72, confidence=0.8), Bead((4,), (), 0.0, confidence=0.97),
         Bead((), (3,), 0.0, confidence=0.9), Bead((5,), (4,), 0.88, confidence=0.62))
UNITS = [("Había una vez un gato.", "Once upon a time there was a cat."),
         ("Vivía en Madrid & comía <b>pescado</b>.", "It lived in Madrid & ate <b>fish</b>."),
         ("Dijo «hola». Y se fue.", "He said hello and left."),
         ('El final "feliz" 😀.', "The 'happy' ending 😀.")]
CLOCK = "2024-05-06T07:08:09+00:00"


def flag(kind, src=(), tgt=()):
    def span(ids):
        return {"sentences": list(ids), "paragraphs": [0], "start": 0, "end": 1} if ids else None

    return {"type": kind, "src": span(src), "tgt": span(tgt), "confidence": 0.8, "score": 0.1, "note": ""}


@pytest.fixture
def frozen_clock(monkeypatch):
    """The store stamps runs and edits with its clock; a fixed one makes dates comparable across imports."""
    monkeypatch.setattr(store_module, "now", lambda: CLOCK)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


@pytest.fixture
def project(tmp_path, frozen_clock):
    """A project with pair 'tale': 1-1, 1-1, 2-1, a dropped and an added sentence, 1-1; reviewed in places."""
    db = tmp_path / "p.db"
    with Store.open(db) as store:
        store.add_pair("tale", store.add_document("es/tale.txt", "es", ES), store.add_document("en/tale.txt", "en", EN))
        store.save_alignment("tale", Alignment(BEADS, 6, 5), {"model": "fake"})
        store.set_status("tale", [0], "confirmed")
        store.set_status("tale", [2], "edited")
        store.set_status("tale", [5], "flagged")
        store.save_flags("tale", [flag("divergent", [1], [1]), flag("dropped", src=[4]), flag("added", tgt=[3])])
    return db


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def toolkit_units(path, *langs):
    with open(path, "rb") as f:
        store = tt_tmx.tmxfile(f, *langs)
    return [(u.source, u.target) for u in store.units]


def test_export_tmx_gives_one_unit_per_two_sided_bead(project, tmp_path):
    out = tmp_path / "tale.tmx"
    result = run("export", "tmx", "--db", project, "-o", out)
    assert toolkit_units(out) == UNITS
    assert "wrote 4 units to" in result.stderr
    assert "skipped: 2 one-sided" in result.stderr
    assert "not a unit (source only): tale 1-0 4/-: Este párrafo se perdió en la adaptación." in result.stderr
    assert "not a unit (target only): tale 0-1 -/3: A line the adapter added." in result.stderr


def test_a_moved_passage_is_one_unit_of_the_tmx(project, tmp_path, monkeypatch, fake_model):
    """The monotone alignment leaves both places of a moved passage one-sided; the moved flag pairs them, and the
    memory keeps that pair (not while the flag is dismissed). Imported, it stays a moved unit, and the flagger
    still derives the imported pair's own flags."""
    from conftest import FakeEncoder

    from aligner import embed

    with Store.open(project) as store:
        store.save_flags("tale", [{**flag("moved", src=[4], tgt=[3]), "score": 0.62}])
    out = tmp_path / "tale.tmx"
    result = run("export", "tmx", "--db", project, "-o", out)
    moved = ("Este párrafo se perdió en la adaptación.", "A line the adapter added.")
    assert toolkit_units(out) == UNITS + [moved]
    assert "skipped: 2 one-sided in moved passages (a unit each passage)" in result.stderr and "not a unit" not in result.stderr
    props = {p.get("type"): p.text for p in ET.parse(out).getroot().findall("body/tu")[-1].findall("prop")}
    assert props["x-moved"] == "yes" and props["x-score"] == "0.6200" and props["x-bead-type"] == "1-1"
    with Store.open(project) as store:  # made by the run; nobody changed it (the run's date, before)
        row = [r for r in store.iter_beads(moved=True) if r.flags == ("moved",) and r.src and r.tgt][0]
        assert row.created is not None and row.changed is None
    report = tmp_path / "r.tsv"  # a filter that leaves the moved unit out: its sentences are still reported
    result = run("export", "tmx", "--db", project, "-o", tmp_path / "c.tmx", "--status", "confirmed", "--report",
                 report)
    assert "skipped: 2 one-sided; 4 status" in result.stderr and len(report.read_text("utf-8").splitlines()) == 1 + 2
    result = run("export", "tmx", "--db", project, "-o", tmp_path / "d.tmx", "--report", report)  # written: not
    assert "lists 0 one-sided beads" in result.stderr and len(report.read_text("utf-8").splitlines()) == 1
    monkeypatch.setitem(embed._instances, embed.DEFAULT_MODEL, FakeEncoder())
    fresh, again = tmp_path / "fresh.db", tmp_path / "again.tmx"
    run("import", "tmx", out, "--db", fresh)
    assert "deriving its flags with" in run("flags", "tale", "--db", fresh).stderr
    with Store.open(fresh) as store:  # its sentences, last; accepted (a person kept it): not open anywhere
        assert ("import:moved:5:4", "confirmed") in {(f["key"], f["status"]) for f in store.flag_records("tale")}
        assert store.open_flag_counts().get("tale", 0) == sum(
            f["status"] == "open" and not f["key"].startswith(("editor:", "import:")) for f in store.flag_records("tale"))
    result = run("align-all", "--db", fresh, "--model", "fake", "-j", "1", "--quiet")  # a memory: kept as it was
    assert "aligned 0 pairs; 1 up to date" in result.stdout
    assert "note: 1 imported memory (tale) kept as imported, with its scores; `aligner align-all --force" in result.stderr
    with Store.open(fresh) as store:
        assert store.pair("tale").model == "tmx-import"
    run("align-all", "--db", fresh, "--model", "fake", "-j", "1", "--quiet", "--force")  # aligned by a model now
    with Store.open(fresh) as store:
        assert "import:moved:5:4" in {f["key"] for f in store.flag_records("tale")}
    run("export", "tmx", "--db", fresh, "-o", again)
    assert toolkit_units(again)[-1] == moved and '<prop type="x-moved">yes</prop>' in again.read_text("utf-8")
    run("export", "tsv", "--db", project, "-o", tmp_path / "tale.tsv")  # a table lists beads: no extra row
    assert len((tmp_path / "tale.tsv").read_text(encoding="utf-8").splitlines()) == 1 + len(BEADS)
    with Store.open(project) as store:
        store.set_flag_status(store.flag_records("tale")[0]["id"], "dismissed")
    result = run("export", "tmx", "--db", project, "-o", out)
    assert toolkit_units(out) == UNITS and "not a unit (source only)" in result.stderr


def test_tmx_language_options_are_checked(project, tmp_path):
    out = tmp_path / "tale.tmx"
    run("export", "tmx", "--db", project, "-o", out, "--src-lang", "ES_es", "--tgt-lang", "en-us")
    root = ET.parse(out).getroot()
    assert root.find("header").get("srclang") == "es-ES"
    assert {tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in root.iter("tuv")} == {"es-ES", "en-US"}
    for args, message in ((["--src-lang", "spanish"], "not an ISO 639-1 code"),
                          (["--src-lang", "en", "--tgt-lang", "es"], "en is not the documents' language (es; tale)"),
                          (["--src-lang", "fr-FR"], "fr-FR is not the documents' language (es; tale)"),  # as given
                          (["--min-score", "1.5"], "1.5 is not in the range")):
        result = CliRunner().invoke(cli, ["export", "tmx", "--db", str(project), "-o", str(out), *args])
        assert result.exit_code == 2 and message in result.output, result.output


def test_csv_for_excel_starts_with_a_byte_order_mark_on_request(project, tmp_path):
    import csv

    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    run("export", "csv", "--db", project, "-o", plain)
    run("export", "csv", "--db", project, "-o", excel, "--bom")
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf") and excel.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(excel, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["src"] == UNITS[0][0] and len(rows) == len(BEADS)
    assert CliRunner().invoke(cli, ["export", "jsonl", "--db", str(project), "-o", str(tmp_path / "x.jsonl"),
                                    "--bom"]).exit_code == 2  # only the text tables


def test_csv_for_excel_keeps_formula_like_text_as_text(tmp_path):
    """A sentence starting with =, +, - or @ would run as a formula in a spreadsheet; --excel prefixes it with an
    apostrophe (and writes the BOM); a plain CSV keeps every character."""
    import csv

    db = tmp_path / "p.db"
    es = ["=SUMA(A1:A3) empieza con igual.", "-Ven aquí -dijo.", "Normal."]
    en = ["@home starts with an at sign.", "+1 more.", "Plain."]
    with Store.open(db) as store:
        store.add_pair("f", store.add_sentences("es/f.txt", "es", [(t, 0) for t in es]),
                       store.add_sentences("en/f.txt", "en", [(t, 0) for t in en]))
        store.save_alignment("f", Alignment(tuple(Bead((k,), (k,), 0.9) for k in range(3)), 3, 3), {"model": "x"})
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    run("export", "csv", "--db", db, "-o", plain)
    run("export", "csv", "--db", db, "-o", excel, "--excel")
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(excel, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["src"], r["tgt"]) for r in rows] == [("'=SUMA(A1:A3) empieza con igual.", "'@home starts with an at sign."),
                                                   ("'-Ven aquí -dijo.", "'+1 more."), ("Normal.", "Plain.")]
    assert pl.read_csv(plain)["src"].to_list() == es


def test_a_moved_flag_whose_sentence_was_paired_since_gives_no_second_unit(project, tmp_path):
    """Flags that lag behind the alignment (not derived again after an edit): a moved passage one of whose
    sentences is now in a two-sided bead is written only there."""
    with Store.open(project) as store:
        store.save_flags("tale", [flag("moved", src=[4], tgt=[3])])
        a = store.alignment("tale")  # target 3 joins the last bead: 1-0, 1-2
        store.apply_edit("tale", a.with_beads(a.beads[:4] + (Bead((5,), (3, 4), 0.0, BeadStatus.EDITED),)),
                         "shift", {})
    out = tmp_path / "tale.tmx"
    result = run("export", "tmx", "--db", project, "-o", out)
    texts = [t for _, t in toolkit_units(out)]
    assert sum("A line the adapter added." in t for t in texts) == 1 and len(texts) == 4
    assert "not a unit (source only): tale 1-0 4/-" in result.stderr  # in no unit: reported


def test_a_moved_sentence_the_aligner_glued_to_furniture_is_still_the_moved_units(project, tmp_path):
    """The aligner glued a moved sentence to a related-articles list (a 4-1 bead); the flagger took the bead
    apart (its source side is furniture) and the sentence into the moved passage, but the export saw the sentence
    in a two-sided bead and wrote no moved unit: the passage was missing from the memory."""
    with Store.open(project) as store:
        store.save_flags("tale", [flag("furniture", src=[1]), {**flag("moved", src=[4], tgt=[1]), "score": 0.6}])
    out = tmp_path / "tale.tmx"
    result = run("export", "tmx", "--db", project, "-o", out)
    moved = ("Este párrafo se perdió en la adaptación.", "It lived in Madrid & ate <b>fish</b>.")
    assert toolkit_units(out) == [UNITS[0], UNITS[2], UNITS[3], moved]
    assert "tale 1-0 4/-" not in result.stderr  # the moved sentence is in its unit, not reported


def test_an_automatic_pair_the_flagger_took_apart_is_no_unit(project, tmp_path):
    """The aligner paired a dropped sentence with an added line (web furniture, say); the flagger flags each side
    one-sided: the memory leaves the pair out, unless an editor confirmed it."""
    with Store.open(project) as store:
        store.save_flags("tale", [flag("dropped", src=[1]), flag("furniture", tgt=[1])])
    out = tmp_path / "tale.tmx"
    result = run("export", "tmx", "--db", project, "-o", out)
    assert toolkit_units(out) == [UNITS[0], UNITS[2], UNITS[3]]
    assert "not a unit (flagged dropped, furniture): tale 1-1 1/1: Vivía en Madrid" in result.stderr
    run("export", "tmx", "--db", project, "-o", out, "--report", tmp_path / "r.tsv")  # both sides reported
    lines = (tmp_path / "r.tsv").read_text("utf-8").splitlines()
    assert "tale\t1\t1\t1-1\tsrc\tVivía en Madrid & comía <b>pescado</b>.\tdropped furniture" in lines
    assert "tale\t1\t1\t1-1\ttgt\tIt lived in Madrid & ate <b>fish</b>.\tdropped furniture" in lines
    run("export", "tsv", "--db", project, "-o", tmp_path / "t.tsv")  # a table still lists every bead
    assert len((tmp_path / "t.tsv").read_text("utf-8").splitlines()) == 1 + len(BEADS)
    with Store.open(project) as store:
        store.set_status("tale", [1], "confirmed")
    run("export", "tmx", "--db", project, "-o", out)
    assert toolkit_units(out) == UNITS


def test_web_furniture_on_both_sides_is_no_unit(tmp_path):
    """A share line the adaptation translated is the page's furniture, not the article: it stays out of the memory
    (and goes to the report) unless an editor confirmed it."""
    db, out = tmp_path / "p.db", tmp_path / "w.tmx"
    with Store.open(db) as store:
        store.add_pair("web", store.add_document("es/web.txt", "es", "El puerto abrió en 1901.\n\nSíguenos en "
                                                 "Facebook y Twitter.\n"),
                       store.add_document("en/web.txt", "en", "The port opened in 1901.\n\nShare on Facebook "
                                          "Twitter WhatsApp\n"))
        store.save_alignment("web", Alignment((Bead((0,), (0,), 0.9), Bead((1,), (1,), 0.54)), 2, 2), {"model": "x"})
    result = run("export", "tmx", "--db", db, "-o", out)
    assert toolkit_units(out) == [("El puerto abrió en 1901.", "The port opened in 1901.")]
    assert "not a unit (web furniture on both sides): web 1-1 1/1: Síguenos en Facebook" in result.stderr
    with Store.open(db) as store:
        store.set_status("web", [1], "confirmed")
    run("export", "tmx", "--db", db, "-o", out)
    assert len(toolkit_units(out)) == 2


@pytest.mark.parametrize("command", [["export", "tmx", "-o", "{db}"], ["export", "csv", "-o", "{db}-wal"],
                                     ["export", "tmx", "-o", "{tmp}/x.tmx", "--report", "{db}"],
                                     ["report", "--format", "csv", "-o", "{db}"], ["report", "tale", "--html", "{db}"],
                                     ["flags", "tale", "--html", "{db}"]])
def test_nothing_is_written_over_the_project_database(project, tmp_path, command):
    before = project.read_bytes()
    args = [a.format(db=project, tmp=tmp_path) for a in command]
    result = CliRunner().invoke(cli, [*args, "--db", str(project)])
    assert result.exit_code == 1 and "that is the project database" in result.output, result.output
    assert project.read_bytes() == before
    with Store.open(project) as store:
        assert store.integrity_check() == "ok" and store.pair("tale").beads == len(BEADS)


@pytest.mark.parametrize("where", ["imported", "copy", "hash in the folder name"])
def test_nothing_is_written_over_a_document_of_the_project(tmp_path, monkeypatch, where):
    """`export tmx -o corpus/es/x.txt` replaced the Spanish original with the TMX, which the next `add` took in as
    the new text; a document is recognised by the path `add` stored, or by its bytes anywhere."""
    c = "C#" if where == "hash in the folder name" else "c"
    (tmp_path / c / "es").mkdir(parents=True)
    (tmp_path / c / "en").mkdir()
    (tmp_path / c / "es" / "x.txt").write_text("Hola. Adiós.", encoding="utf-8")
    (tmp_path / c / "en" / "x.txt").write_text("Hello. Bye.", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    run("add", c, "--db", "p.db")
    target = Path(f"{c}/es/x.txt")
    if where == "copy":
        target = Path("elsewhere.txt")
        target.write_bytes(Path("c/es/x.txt").read_bytes())
    for command in (["export", "tmx", "-o", str(target)], ["flags", "x", "--html", str(target)]):
        result = CliRunner().invoke(cli, [*command, "--db", "p.db"])
        assert result.exit_code == 1 and "that is a document of the project" in result.output, result.output
        assert target.read_text(encoding="utf-8") == "Hola. Adiós."
    if where == "hash in the folder name":  # edited since: known by the path add stored ("#" and all)
        target.write_text("Hola. Adiós. Y más.", encoding="utf-8")
        result = CliRunner().invoke(cli, ["export", "tmx", "-o", str(target), "--db", "p.db"])
        assert result.exit_code == 1 and "that is a document of the project" in result.output
    result = CliRunner().invoke(cli, ["export", "tmx", "-o", f"{c}/es/y.tmx", "--db", "p.db"])
    assert "that is a document" not in result.output  # any other file is fine (here: nothing is aligned yet)
    assert result.exit_code == 1 and "no pair is aligned" in result.output and not Path(f"{c}/es/y.tmx").exists()


@pytest.mark.parametrize("fmt", ["tmx", "csv"])
def test_a_pair_without_an_alignment_is_an_error_when_named_and_a_warning_in_the_whole_project(project, tmp_path,
                                                                                                fmt):
    """A batch script must see that a pair it asked for was not exported: its alignment failed (say, a file
    that could not be read), or it was never aligned. Exporting the whole project writes the aligned pairs and
    says which were left out and why."""
    with Store.open(project) as store:
        s = store.add_document("es/b.txt", "es", "Uno. Dos.")
        t = store.add_document("en/b.txt", "en", "One. Two.")
        store.add_pair("broken", s, t)
        store.record_failure("broken", "the model ran out of memory")
        s = store.add_document("es/n.txt", "es", "Tres.")
        t = store.add_document("en/n.txt", "en", "Three.")
        store.add_pair("fresh", s, t)
    out = tmp_path / f"m.{fmt}"
    for name, why in (("broken", "broken: alignment failed: the model ran out of memory"),
                      ("fresh", "fresh: not aligned yet (new); run `aligner align-all`")):
        result = CliRunner().invoke(cli, ["export", fmt, "tale", name, "--db", str(project), "-o", str(out)])
        assert result.exit_code == 1 and f"nothing written: {why}" in result.output and not out.exists()
    result = run("export", fmt, "--db", project, "-o", out)
    assert "warning: broken: alignment failed: the model ran out of memory; run `aligner align-all broken` " \
        "again once the cause is fixed" in result.stderr
    assert "warning: fresh: not aligned yet (new)" in result.stderr and out.exists()


def test_a_memory_imported_can_be_exported_back_to_its_file(project, tmp_path):
    """import tmx, review, export over the same file: the memory is not a document `add` imported."""
    memory = tmp_path / "mem.tmx"
    run("export", "tmx", "--db", project, "-o", memory)
    db = tmp_path / "m.db"
    run("import", "tmx", memory, "--db", db, "--name", "old")
    result = run("export", "tmx", "old", "--db", db, "-o", memory)
    assert result.exit_code == 0 and len(toolkit_units(memory)) == 4


@pytest.mark.parametrize("kind, unit", [("added", False), ("dropped", False), ("furniture", False),
                                        ("divergent", True)])
def test_a_pair_an_editor_flagged_as_not_translating_each_other_is_no_unit(project, tmp_path, kind, unit):
    """An editor's "added" flag on a 1-1 bead (its English says what the Spanish does not) went into the memory as
    an ordinary unit; it is listed in the report instead. A divergent one stays a unit, as the flagger's do."""
    with Store.open(project) as store:
        store.set_status("tale", [1], "flagged")
        store.save_flags("tale", [*store.flag_records("tale"),
                                  {**flag(kind, [1], [1]), "status": "confirmed", "key": f"editor:{kind}:1:1"}])
    out, report = tmp_path / "x.tmx", tmp_path / "r.tsv"
    result = run("export", "tmx", "tale", "--db", project, "-o", out, "--report", report)
    pair = (UNITS[1][0], UNITS[1][1])
    assert (pair in toolkit_units(out)) is unit
    listed = [line.split("\t")[4:6] for line in report.read_text("utf-8").splitlines()[1:]]
    assert (["src", UNITS[1][0]] in listed and ["tgt", UNITS[1][1]] in listed) is not unit, result.stderr


def test_exported_header_props_and_dates(project, tmp_path):
    out = tmp_path / "tale.tmx"
    run("export", "tmx", "tale", "--db", project, "-o", out)
    root = ET.parse(out).getroot()
    header = root.find("header")
    assert {k: header.get(k) for k in ("creationtool", "segtype", "o-tmf", "adminlang", "srclang", "datatype")} == {
        "creationtool": "aligner", "segtype": "sentence", "o-tmf": "aligner", "adminlang": "en", "srclang": "es",
        "datatype": "plaintext"}
    assert header.get("creationtoolversion")
    assert header.get("creationdate") == "20231114T221320Z"  # SOURCE_DATE_EPOCH
    tus = root.findall("body/tu")
    props = [{p.get("type"): p.text for p in tu.findall("prop")} for tu in tus]
    assert props[2] == {"x-document": "tale", "x-bead-type": "2-1", "x-score": "0.7200", "x-status": "edited",
                        "x-confidence": "0.800", "x-paragraph": "1",
                        "x-src-lengths": "12 9"}  # "Dijo «hola»." and "Y se fue."
    assert [p["x-status"] for p in props] == ["confirmed", "auto", "edited", "flagged"]
    assert [tu.get("segtype") for tu in tus] == [None, None, "block", None]  # the 2-1 bead is not one sentence
    assert [p["x-paragraph"] for p in props] == ["0", "0", "1", "3"]
    assert tus[0].get("creationdate") == tus[0].get("changedate") == "20240506T070809Z"
    assert tus[1].get("creationdate") is None  # not reviewed
    assert [tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in tus[0].findall("tuv")] == ["es", "en"]


def test_regional_codes_for_a_cat_tools_memory(project, tmp_path):
    out = tmp_path / "tale.tmx"
    run("export", "tmx", "--db", project, "-o", out, "--src-lang", "es-ES", "--tgt-lang", "en-US")
    assert ET.parse(out).getroot().find("header").get("srclang") == "es-ES"
    assert toolkit_units(out, "es-ES", "en-US") == UNITS


@pytest.mark.parametrize("options, kept", [
    (["--status", "confirmed"], [0]),
    (["--status", "reviewed"], [0, 2]),
    (["--status", "auto", "--status", "flagged"], [1, 3]),
    (["--min-score", "0.86"], [0, 3]),
    (["--exclude-flagged"], [0, 2]),
    (["--status", "reviewed", "--min-score", "0.8"], [0]),
    (["--min-confidence", "0.7"], [0, 2, 3]),  # bead 1: automatic, 55% sure; bead 3 (62%) was reviewed
])
def test_filters(project, tmp_path, options, kept):
    out = tmp_path / "f.tmx"
    run("export", "tmx", "--db", project, "-o", out, *options)
    assert toolkit_units(out) == [UNITS[i] for i in kept]


def test_report_file_lists_the_one_sided_beads(project, tmp_path):
    report = tmp_path / "report.tsv"
    run("export", "tmx", "--db", project, "-o", tmp_path / "x.tmx", "--report", report)
    assert report.read_text(encoding="utf-8").splitlines() == [
        "document\tsrc_ids\ttgt_ids\ttype\tside\ttext\tflags",  # flags: why each is no unit
        "tale\t4\t\t1-0\tsrc\tEste párrafo se perdió en la adaptación.\tdropped",
        "tale\t\t3\t0-1\ttgt\tA line the adapter added.\tadded"]


def test_a_report_that_cannot_be_written_is_said_before_the_memory_is_written(project, tmp_path):
    """The memory was written (over an older one), then the command failed on the report's folder."""
    out = tmp_path / "x.tmx"
    out.write_text("the memory before", encoding="utf-8")
    result = CliRunner().invoke(cli, ["export", "tmx", "--db", str(project), "-o", str(out), "--report",
                                      str(tmp_path / "missing" / "r.tsv")])
    assert result.exit_code == 1 and f"{tmp_path / 'missing' / 'r.tsv'}: cannot write (no folder" in result.output
    result = CliRunner().invoke(cli, ["export", "tmx", "--db", str(project), "-o", str(out), "--report", str(out)])
    assert result.exit_code == 2 and "the report would overwrite the memory" in result.output
    assert out.read_text(encoding="utf-8") == "the memory before"


def test_with_a_report_the_terminal_only_names_it(project, tmp_path):
    report = tmp_path / "r.tsv"
    result = run("export", "tmx", "--db", project, "-o", tmp_path / "x.tmx", "--report", report)
    assert "not a unit" not in result.stderr
    assert f"{report} lists 2 one-sided beads (added or dropped passages, not units)\n" in result.stderr
    assert "not a unit (source only)" in run("export", "tmx", "--db", project, "-o", tmp_path / "y.tmx").stderr


@pytest.mark.parametrize("fmt, options, why", [
    ("tmx", ["--status", "confirmed"], "no bead has status confirmed: review some beads first, or drop --status"),
    ("tmx", ["--min-score", "0.95"], "no bead scores 0.95 or more: lower --min-score, or drop it"),
    ("csv", ["--status", "flagged", "--exclude-flagged"],
     "the filters left every bead out (5 by --status, 1 by --exclude-flagged): loosen them"),
])
def test_an_export_that_filters_out_everything_says_why(project, tmp_path, fmt, options, why):
    with Store.open(project) as store:
        store.set_status("tale", [0], "auto")  # nothing confirmed
    out = tmp_path / f"x.{fmt}"
    result = run("export", fmt, "--db", project, "-o", out, *options)
    assert out.exists() and result.stderr.startswith(f"wrote 0 {'units' if fmt == 'tmx' else 'rows'} to ")
    assert result.stderr.endswith(f"\nwarning: {why}\n")
    assert "not a unit" not in result.stderr  # an empty memory: its one-sided beads are beside the point
    assert "warning" not in run("export", fmt, "--db", project, "-o", out, "--status", "edited").stderr
    written = out.read_bytes()  # an export that matches nothing leaves the file it would replace as it was
    result = run("export", fmt, "--db", project, "-o", out, *options)
    assert result.stderr.startswith(f"nothing to write: {out} left as it was\n") and out.read_bytes() == written
    assert not out.with_name(out.name + ".part").exists()
    if fmt == "tmx":  # the one-sided beads are listed when a memory is written, not when nothing is
        assert "not a unit" in run("export", fmt, "--db", project, "-o", tmp_path / "all.tmx").stderr
        assert "not a unit" not in result.stderr


def test_one_unit_is_counted_in_the_singular(project, tmp_path):
    out = tmp_path / "one.tmx"
    assert run("export", "tmx", "--db", project, "-o", out, "--status", "confirmed").stderr.startswith(
        f"wrote 1 unit to {out}\n")
    result = run("import", "tmx", out, "--db", tmp_path / "copy.db")
    assert f"imported 1 unit from {out} as pair 'tale'" in result.stderr


def test_long_segments_are_warned_about(project, tmp_path):
    result = run("export", "tmx", "--db", project, "-o", tmp_path / "x.tmx", "--max-length", "30")
    assert re.search(r"warning: tale unit 2: src segment of 39 characters \(written in full\)", result.stderr)


@pytest.mark.parametrize("fmt", ["tsv", "csv", "jsonl", "parquet"])
def test_table_formats_have_one_row_per_bead(project, tmp_path, fmt):
    out = tmp_path / f"tale.{fmt}"
    result = run("export", fmt, "--db", project, "-o", out)
    assert f"wrote 6 rows to {out}" in result.stderr
    df = {"tsv": lambda p: pl.read_csv(p, separator="\t", quote_char=None), "csv": pl.read_csv,
          "jsonl": pl.read_ndjson, "parquet": pl.read_parquet}[fmt](out)
    assert df["type"].to_list() == ["1-1", "1-1", "2-1", "1-0", "0-1", "1-1"]
    assert df["src"].to_list()[:3] == [u[0] for u in UNITS[:3]]
    assert df["status"].to_list() == ["confirmed", "auto", "edited", "auto", "auto", "flagged"]
    flags = df["flags"].to_list()
    assert flags[1] in (["divergent"], "divergent") and flags[3] in (["dropped"], "dropped")


def test_table_filters(project, tmp_path):
    out = tmp_path / "x.csv"
    result = run("export", "csv", "--db", project, "-o", out, "--exclude-flagged")
    assert pl.read_csv(out)["src_ids"].to_list() == ["0", "2 3"]
    assert "skipped: 4 flagged" in result.stderr


def test_unknown_pairs_and_missing_projects_are_errors(project, tmp_path):
    result = CliRunner().invoke(cli, ["export", "tmx", "nope", "--db", str(project), "-o", str(tmp_path / "x")])
    assert result.exit_code == 1 and f"{project}: no pair named 'nope' (pairs: tale)\n" in result.output
    result = CliRunner().invoke(cli, ["export", "tmx", "--db", str(tmp_path / "none.db"), "-o", str(tmp_path / "x")])
    assert result.exit_code == 1 and "no project database" in result.output
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "x").exists()


@pytest.mark.parametrize("fmt", ["tmx", "csv", "parquet"])
def test_an_unwritable_output_is_a_message_not_a_traceback(project, tmp_path, fmt):
    out = tmp_path / "missing" / f"x.{fmt}"
    result = CliRunner().invoke(cli, ["export", fmt, "--db", str(project), "-o", str(out)])
    assert result.exit_code == 1 and f"{out}: cannot write" in result.output
    assert not (tmp_path / "missing").exists()


# ---- import, and the round trip ---------------------------------------------------------------------------------

def test_import_tmx_makes_a_reviewed_pair(project, tmp_path):
    out, db2 = tmp_path / "tale.tmx", tmp_path / "copy.db"
    run("export", "tmx", "--db", project, "-o", out)
    result = run("import", "tmx", out, "--db", db2)
    assert "imported 4 units" in result.stderr and "as pair 'tale' (es to en)" in result.stderr
    assert "not kept" not in result.stderr  # our own memory: everything in it is kept
    with Store.open(db2) as store:
        src, _ = store.documents_for("tale")
        beads = store.alignment("tale").beads
    assert [s.text for s in src.sentences] == ["Había una vez un gato.", "Vivía en Madrid & comía <b>pescado</b>.",
                                              "Dijo «hola».", "Y se fue.", 'El final "feliz" 😀.']
    assert [b.kind for b in beads] == ["1-1", "1-1", "2-1", "1-1"]  # the 2-1 bead is split back into sentences
    assert [b.status for b in beads] == [BeadStatus.CONFIRMED, BeadStatus.AUTO, BeadStatus.EDITED,
                                         BeadStatus.FLAGGED]
    assert [b.score for b in beads] == [0.91, 0.85, 0.72, 0.88]
    assert [b.confidence for b in beads] == [0.99, 0.55, 0.8, 0.62]  # x-confidence


def test_min_confidence_leaves_out_the_automatic_beads_the_aligner_was_unsure_of(project, tmp_path):
    out = tmp_path / "x.tmx"
    result = run("export", "tmx", "--db", project, "-o", out, "--min-confidence", "0.6")
    assert "skipped: 1 min-confidence" in result.stderr
    assert 'x-confidence">0.550<' not in out.read_text(encoding="utf-8")
    assert '<prop type="x-confidence">0.990</prop>' in out.read_text(encoding="utf-8")
    with Store.open(project) as store:
        store.set_status("tale", [0, 2, 5], "auto")  # nothing reviewed: the filter alone decides
    table = tmp_path / "x.csv"
    result = run("export", "csv", "--db", project, "-o", table, "--min-confidence", "0.999")
    assert "skipped: 4 min-confidence" in result.stderr  # the pairs; the added and dropped lines are not judged
    assert pl.read_csv(table)["type"].to_list() == ["1-0", "0-1"]
    result = run("export", "tmx", "--db", project, "-o", tmp_path / "y.tmx", "--min-confidence", "0.999")
    assert result.stderr.endswith("warning: the aligner is less than 99.9% sure of every bead left: confirm them "
                                  "in the review app (aligner review), lower --min-confidence, or drop it\n")


def test_min_confidence_says_which_beads_it_could_not_judge(project, tmp_path):
    with Store.open(project) as store:  # a run made before confidences were kept, in part
        store._conn.execute("UPDATE beads SET confidence = NULL WHERE src_start = 1")
    result = run("export", "tmx", "--db", project, "-o", tmp_path / "x.tmx", "--min-confidence", "0.6")
    assert "note: 1 automatic bead without a confidence (aligned before confidences were kept) passed " \
           "--min-confidence unjudged; `aligner align-all --force` gives them one, keeping the review work" \
           in result.stderr
    assert "unjudged" not in run("export", "tmx", "--db", project, "-o", tmp_path / "y.tmx").stderr


def test_round_trip_export_import_export_is_identical(tmp_path, frozen_clock):
    """On a pair without paragraph breaks, with the store's clock frozen."""
    db = tmp_path / "p.db"
    with Store.open(db) as store:
        src = store.add_document("es.txt", "es", ES.replace("\n\n", " "))
        tgt = store.add_document("en.txt", "en", EN.replace("\n\n", " "))
        store.add_pair("tale", src, tgt)
        store.save_alignment("tale", Alignment(BEADS, 6, 5), {"model": "fake"})
        store.set_status("tale", [0, 2], "confirmed")
        store.set_status("tale", [5], "edited")
    first, second, db2 = tmp_path / "1.tmx", tmp_path / "2.tmx", tmp_path / "2.db"
    run("export", "tmx", "--db", db, "-o", first)
    Store.open(db2).close()
    run("import", "tmx", first, "--db", db2)
    run("export", "tmx", "--db", db2, "-o", second)
    assert second.read_bytes() == first.read_bytes()
    assert toolkit_units(second) == UNITS


def test_round_trip_is_identical_from_the_first_export_with_paragraphs_and_dates(project, tmp_path, monkeypatch):
    """Paragraph numbers, the run's date and each reviewed bead's change date come back with the import."""
    with Store.open(project) as store:
        monkeypatch.setattr(store_module, "now", lambda: "2024-07-08T09:10:11+00:00")
        store.set_status("tale", [1], "confirmed")  # a later change date than the other reviewed beads
    files = [tmp_path / f"{k}.tmx" for k in range(3)]
    run("export", "tmx", "--db", project, "-o", files[0])
    monkeypatch.setattr(store_module, "now", lambda: "2030-01-01T00:00:00+00:00")  # the import's own time
    for k in (1, 2):
        db = tmp_path / f"{k}.db"
        run("import", "tmx", files[k - 1], "--db", db)
        run("export", "tmx", "--db", db, "-o", files[k])
        assert files[k].read_bytes() == files[0].read_bytes()
    text = files[0].read_text(encoding="utf-8")
    assert '<tu creationdate="20240506T070809Z" changedate="20240708T091011Z">' in text
    assert '<prop type="x-paragraph">3</prop>' in text
    with Store.open(tmp_path / "1.db") as store:
        src, _ = store.documents_for("tale")
        assert [s.paragraph for s in src.sentences] == [0, 0, 1, 1, 3]
        assert store.runs("tale")[0]["date"] == CLOCK


REPO = Path(__file__).resolve().parents[1]


def test_the_sample_corpus_round_trips_byte_for_byte_from_the_first_export(tmp_path, monkeypatch, fake_model):
    """`aligner add corpus/ && aligner align-all`, some review, then export -> import into a fresh project ->
    export: the same file. The corpus has 1-3 and 1-4 beads of web furniture that the segmenter cannot split
    back, so the sentence lengths prop is what brings them back."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    db = tmp_path / "p.db"
    run("add", REPO / "corpus", "--db", db)
    run("align-all", "--db", db, "--model", "fake", "-j", "1", "--quiet")
    kinds = set()
    with Store.open(db) as store:
        for k, p in enumerate(store.pairs()):
            n = len(store.alignment(p.name))
            monkeypatch.setattr(store_module, "now", lambda k=k: f"2025-0{k + 1}-02T03:04:05+00:00")
            store.set_status(p.name, range(0, n, 3), "confirmed")
            store.set_status(p.name, range(1, n, 7), "edited")
            store.set_status(p.name, range(2, n, 11), "flagged")
            kinds |= {b.kind for b in store.alignment(p.name).beads}
    assert {"2-1", "1-2"} <= kinds
    first, second = tmp_path / "1.tmx", tmp_path / "2.tmx"
    run("export", "tmx", "--db", db, "-o", first)
    run("import", "tmx", first, "--db", tmp_path / "fresh.db")
    run("export", "tmx", "--db", tmp_path / "fresh.db", "-o", second)
    assert second.read_bytes() == first.read_bytes()
    assert len(toolkit_units(first)) > 80
    assert '<prop type="x-bead-type">1-4</prop>' in first.read_text(encoding="utf-8")


def test_import_refuses_to_overwrite_a_pair(project, tmp_path):
    out = tmp_path / "tale.tmx"
    run("export", "tmx", "--db", project, "-o", out)
    result = CliRunner().invoke(cli, ["import", "tmx", str(out), "--db", str(project)])
    assert result.exit_code == 1 and "'tale' already exists" in result.output
    result = run("import", "tmx", out, "--db", project, "--name", "tale-2")
    with Store.open(project) as store:
        assert [p.name for p in store.pairs()] == ["tale", "tale-2"]
        assert store.pair("tale-2").reviewed == 2  # confirmed and flagged (edited is not settled yet)


def test_one_memory_of_several_pairs_comes_back_as_several_pairs(project, tmp_path):
    out, db2 = tmp_path / "both.tmx", tmp_path / "copy.db"
    run("export", "tmx", "--db", project, "-o", tmp_path / "tale.tmx")
    run("import", "tmx", tmp_path / "tale.tmx", "--db", project, "--name", "tale-2")
    result = run("export", "tmx", "--db", project, "-o", out)
    assert "wrote 8 units" in result.stderr
    Store.open(db2).close()
    result = run("import", "tmx", out, "--db", db2)
    assert "as pair 'tale'" in result.stderr and "as pair 'tale-2'" in result.stderr
    with Store.open(db2) as store:
        assert [(p.name, p.beads) for p in store.pairs()] == [("tale", 4), ("tale-2", 4)]


TRADOS = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="SDL" creationtoolversion="1" o-tmf="SDL" datatype="xml"
 segtype="sentence" adminlang="en-US" srclang="en-US"/>
<body>
<tu><tuv xml:lang="en-US"><seg>Press <bpt i="1">&lt;b&gt;</bpt>OK<ept i="1">&lt;/b&gt;</ept>.</seg></tuv>
<tuv xml:lang="es-ES"><seg>Pulse <bpt i="1">&lt;b&gt;</bpt>Aceptar<ept i="1">&lt;/b&gt;</ept>.</seg></tuv></tu>
<tu><tuv xml:lang="en-US"><seg>Only English.</seg></tuv><tuv xml:lang="fr-FR"><seg>Seulement.</seg></tuv></tu>
<tu changedate="20230101T000000Z"><tuv xml:lang="es-ES"><seg>Dos   espacios
y salto.</seg></tuv><tuv xml:lang="en-US"><seg>Two lines.</seg></tuv></tu>
</body></tmx>
"""


def test_import_another_tools_memory_choosing_the_languages(tmp_path, frozen_clock):
    path, db = tmp_path / "trados.tmx", tmp_path / "p.db"
    path.write_text(TRADOS, encoding="utf-8")
    Store.open(db).close()
    result = run("import", "tmx", path, "--db", db, "--src-lang", "es", "--tgt-lang", "en")
    assert "imported 2 units from" in result.stderr and "as pair 'trados' (es-ES to en-US)" in result.stderr
    assert "skipped 1 unit without both" in result.stderr
    assert "collapsed whitespace in 1 segment (" in result.stderr
    assert "note: 1 unit held inline formatting codes" in result.stderr
    assert "note: the file also holds fr-FR text, not imported" in result.stderr
    with Store.open(db) as store:
        rows = list(store.iter_beads())
        assert store.pair("trados").src_lang == "es-es"
    assert [(r.src, r.tgt, r.status, r.score) for r in rows] == [
        ("Pulse Aceptar.", "Press OK.", BeadStatus.CONFIRMED, 1.0),
        ("Dos espacios y salto.", "Two lines.", BeadStatus.CONFIRMED, 1.0)]
    # no unit has a creationdate: none is made up on export; a unit's changedate is kept
    assert rows[0].created is rows[0].changed is None and rows[1].created is None
    assert rows[1].changed == datetime(2023, 1, 1, tzinfo=UTC)
    out = tmp_path / "back.tmx"
    run("export", "tmx", "--db", db, "-o", out)
    assert ET.parse(out).getroot().find("header").get("srclang") == "es-ES"
    assert toolkit_units(out) == [("Pulse Aceptar.", "Press OK."), ("Dos espacios y salto.", "Two lines.")]
    assert [tu.attrib for tu in ET.parse(out).getroot().iter("tu")] == [{}, {"changedate": "20230101T000000Z"}]


def test_import_keeps_each_units_creation_date_and_makes_none_up(tmp_path):
    """Another tool's memory with a creation date per unit, and one unit without: each unit goes out with its
    own creation date, and with no change date, which none had (none is made up)."""
    units = "".join(f'<tu{date}><tuv xml:lang="es"><seg>Uno {k}.</seg></tuv><tuv xml:lang="en"><seg>One {k}.</seg>'
                    f"</tuv></tu>" for k, date in enumerate(
                        [' creationdate="20230101T101010Z"', ' creationdate="20240202T020202Z"', ""]))
    path, db, out = tmp_path / "m.tmx", tmp_path / "p.db", tmp_path / "back.tmx"
    path.write_text(f'<?xml version="1.0"?><tmx version="1.4"><header srclang="es" creationtool="t" '
                    f'creationtoolversion="1" o-tmf="t" datatype="plaintext" segtype="sentence" adminlang="en"/>'
                    f"<body>{units}</body></tmx>", encoding="utf-8")
    run("import", "tmx", path, "--db", db)
    run("export", "tmx", "--db", db, "-o", out)
    assert [tu.attrib for tu in ET.parse(out).getroot().iter("tu")] == [
        {"creationdate": "20230101T101010Z"}, {"creationdate": "20240202T020202Z"}, {}]


def test_import_of_a_broken_file_is_a_clear_error(tmp_path):
    path, db = tmp_path / "bad.tmx", tmp_path / "p.db"
    path.write_text("<tmx><body><tu>", encoding="utf-8")
    Store.open(db).close()
    result = CliRunner().invoke(cli, ["import", "tmx", str(path), "--db", str(db)])
    assert result.exit_code == 1 and "bad.tmx: not a well-formed TMX file" in result.output
    assert db.exists()  # the project was there before: kept
    new = tmp_path / "new.db"
    result = CliRunner().invoke(cli, ["import", "tmx", str(path), "--db", str(new)])
    assert result.exit_code == 1 and "bad.tmx: not a well-formed TMX file" in result.output
    assert list(tmp_path.glob("new.db*")) == []  # made for the import, not left behind empty
    for odd in ("a#b.db", "x%41.db", "q?r.db"):  # names that mean something in an SQLite URI
        result = CliRunner().invoke(cli, ["import", "tmx", str(path), "--db", str(tmp_path / odd)])
        assert result.exit_code == 1 and not (tmp_path / odd).exists()


def test_a_failed_import_leaves_a_project_alone_that_another_command_filled_meanwhile(tmp_path, monkeypatch):
    """The new project file goes only while it holds nothing: a command that added documents to it while the
    import was failing keeps them."""
    import aligner.export
    from aligner.errors import AlignerError

    db = tmp_path / "shared.db"

    def meanwhile(store, path, *args):
        with Store.open(db) as other:  # another process, in effect: its own connection
            other.add_document("es/a.txt", "es", "Hola.")
        raise AlignerError(f"{path}: not a well-formed TMX file")

    monkeypatch.setattr(aligner.export, "import_tmx", meanwhile)
    path = tmp_path / "x.tmx"
    path.write_text("<tmx/>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "tmx", str(path), "--db", str(db)])
    assert result.exit_code == 1 and "x.tmx: not a well-formed TMX file" in result.output
    with Store.open(db) as store:
        assert [r["path"] for r in store.db["documents"].rows] == ["es/a.txt"]


def test_flags_of_an_imported_pair_are_derived_with_the_default_model(tmp_path, monkeypatch):
    """An imported pair's run names no encoder ('tmx-import'): `flags` embeds it with the default model."""
    from conftest import FakeEncoder

    from aligner import embed

    monkeypatch.setitem(embed._instances, embed.DEFAULT_MODEL, FakeEncoder())
    out, db2 = tmp_path / "other-tool.tmx", tmp_path / "copy.db"
    units = [(f"Frase {w} número {k} del texto.", f"Sentence {w} number {k} of the text.")
             for k, w in enumerate(["alfa", "beta", "gamma", "delta", "épsilon", "zeta", "eta", "theta", "iota",
                                    "kappa", "lambda", "mu"])]
    units[6] = (units[6][0], "Completely unrelated words here, nothing shared at all.")  # a rewrite
    out.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header creationtool="x" '
                   'creationtoolversion="1" segtype="sentence" o-tmf="x" adminlang="en" srclang="es" '
                   'datatype="plaintext"/><body>' + "".join(
                       f'<tu><tuv xml:lang="es"><seg>{es}</seg></tuv><tuv xml:lang="en"><seg>{en}</seg></tuv></tu>'
                       for es, en in units) + "</body></tmx>\n", encoding="utf-8")
    run("import", "tmx", out, "--name", "mem", "--db", db2)
    result = run("flags", "mem", "--db", db2, "--json")
    assert "note: mem was imported (tmx-import), not aligned by a model: deriving its flags with " \
           "'use-multilingual'" in result.stderr
    assert "unknown model" not in result.output
    printed = [json.loads(line)["key"] for line in result.stdout.splitlines()]
    assert printed == ["divergent:6:6"]  # the rewritten unit
    with Store.open(db2) as store:  # derived, printed and kept: the same flags
        assert [f.key for f in store.flags("mem")] == printed and store.pair("mem").model == "tmx-import"
    run("report", "mem", "--db", db2, "--html", tmp_path / "mem.html")
    assert (tmp_path / "mem.html").exists()


def test_import_says_what_a_memory_carries_that_the_project_does_not_keep(tmp_path):
    units = ('<tu tuid="7" creationid="ANA" usagecount="3"><prop type="x-Client">Acme</prop><note>check</note>'
             '<tuv xml:lang="es"><seg>Uno.</seg></tuv><tuv xml:lang="en" creationid="BEN"><seg>One.</seg></tuv></tu>'
             '<tu tuid="8"><prop type="x-Client">Acme</prop><tuv xml:lang="es"><seg>Dos.</seg></tuv>'
             '<tuv xml:lang="en"><prop type="x-Reviewer">Eva</prop><seg>Two.</seg></tuv></tu>')
    path, db = tmp_path / "m.tmx", tmp_path / "p.db"
    path.write_text(f'<?xml version="1.0"?><tmx version="1.4"><header srclang="es" creationtool="t" '
                    f'creationtoolversion="1" o-tmf="t" datatype="plaintext" segtype="sentence" adminlang="en"/>'
                    f"<body>{units}</body></tmx>", encoding="utf-8")
    result = run("import", "tmx", path, "--db", db)
    assert result.exit_code == 0
    assert ("note: not kept, and not in later exports: <note> (1 unit), creationid (1 unit), prop x-Client "
            "(2 units), prop x-Reviewer of a language variant (1 unit), tuid (2 units), usagecount (1 unit)"
            ) in result.output


def test_our_own_units_carry_nothing_an_import_does_not_keep(tmp_path):
    from aligner.export import OUR_PROPS, BeadRow, to_unit

    row = BeadRow("d", (0, 1), (0,), "Uno. Dos.", "One.", 0.9, BeadStatus.CONFIRMED, ("moved",), 2,
                  src_lengths=(4, 4), tgt_lengths=(4,), confidence=0.8)
    assert set(to_unit(row).props) <= OUR_PROPS and {"x-moved", "x-src-lengths", "x-confidence"} <= OUR_PROPS


@pytest.mark.parametrize("fmt, name, says", [
    ("csv", "all.xlsx", "all.xlsx names an Excel workbook, but this writes CSV; name it .csv (a spreadsheet opens"),
    ("tmx", "all.csv", "all.csv names a CSV file, but this writes TMX; name it .tmx"),
    ("tsv", "all.parquet", "names a PARQUET file, but this writes TSV"),
])
def test_an_output_named_for_another_format_is_refused(project, tmp_path, fmt, name, says):
    """`export csv -o all.xlsx` wrote CSV text into a file Excel refuses to open."""
    result = CliRunner().invoke(cli, ["export", fmt, "--db", str(project), "-o", str(tmp_path / name)])
    assert result.exit_code == 2 and says in " ".join(result.output.split()) and not (tmp_path / name).exists()
    run("export", fmt, "--db", project, "-o", tmp_path / "all.txt")  # a name that says no format: the user's call
    assert (tmp_path / "all.txt").stat().st_size > 0


def test_a_units_flags_and_their_notes_travel_with_the_memory(project, tmp_path):
    """A divergent pair went into the memory as a plain unit, and an editor's flag and note were lost: a CAT tool
    offered it as a good match, and `import tmx` brought the bead back flagged with no flag."""
    from aligner.flags import Flag
    from aligner.store import EDITOR_KEY, is_editor, is_kept

    with Store.open(project) as store:
        records = [{**flag("divergent", [1], [1]), "note": "1-1 bead, similarity 0.41 (usual here 0.78)"},
                   {**flag("divergent", [0], [0]), "note": "figures differ: 23 / 32", "status": "confirmed"},
                   flag("dropped", src=[4]), flag("added", tgt=[3])]
        mine = {**flag("divergent", [5], [4]), "note": "the ending is not <happy> & sad"}
        store.save_flags("tale", [*records, {**mine, "key": EDITOR_KEY + Flag.from_dict(mine).key}])
    out, again = tmp_path / "tale.tmx", tmp_path / "again.tmx"
    run("export", "tmx", "--db", project, "-o", out)
    text = out.read_text(encoding="utf-8")
    assert "<note>divergent: 1-1 bead, similarity 0.41 (usual here 0.78)</note>" in text
    assert "<note>divergent (editor): the ending is not &lt;happy&gt; &amp; sad</note>" in text
    assert "<note>divergent (accepted): figures differ: 23 / 32</note>" in text  # accepted by an editor
    assert text.count('<prop type="x-flags">divergent</prop>') == 3
    with open(out, "rb") as f:  # a CAT tool's reader sees the notes on their units
        units = {u.source: u.getnotes() for u in tt_tmx.tmxfile(f).units}
    assert "similarity 0.41" in units["Vivía en Madrid & comía <b>pescado</b>."]
    assert "not <happy> & sad" in units['El final "feliz" 😀.']
    assert units["Había una vez un gato."] == "divergent (accepted): figures differ: 23 / 32"
    assert units["Dijo «hola». Y se fue."] == ""
    result = run("import", "tmx", out, "--db", tmp_path / "copy.db")
    assert "<note>" not in result.output  # ours: kept, as flags
    with Store.open(tmp_path / "copy.db") as store:  # the memory's sentences only: ids of their own
        src, _ = store.documents_for("tale")
        flags = {src.sentences[f["src"]["sentences"][0]].text: (f["note"], is_editor(f), is_kept(f), f["status"])
                 for f in store.flag_records("tale") if f["type"] == "divergent"}
    # the flagger's come back as the flagger's (derived again after an edit, not kept beside the new ones), with
    # their review status
    assert flags == {
        "Vivía en Madrid & comía <b>pescado</b>.": ("1-1 bead, similarity 0.41 (usual here 0.78)", False, False, "open"),
        "Había una vez un gato.": ("figures differ: 23 / 32", False, False, "confirmed"),
        'El final "feliz" 😀.': ("the ending is not <happy> & sad", True, True, "confirmed")}
    listed = run("flags", "tale", "--db", tmp_path / "copy.db").stdout  # no second derivation beside them
    assert "3 of 3 flags (0 added, 0 dropped, 0 moved, 3 divergent, 0 furniture)" in listed and "[accepted]" in listed
    run("export", "tmx", "--db", tmp_path / "copy.db", "-o", again)
    assert again.read_bytes() == out.read_bytes()


def test_a_flag_on_part_of_a_unit_says_where_it_lies():
    from aligner.store.rows import _mark

    def f(kind, src=(), tgt=()):
        return {"type": kind, "src": {"sentences": list(src)} if src else None,
                "tgt": {"sentences": list(tgt)} if tgt else None}

    assert _mark(f("divergent", [2, 3], [2]), (2, 3), (2,)) == "divergent"
    assert _mark(f("dropped", [3]), (2, 3), (2,)) == "dropped:s1"
    assert _mark(f("furniture", tgt=[5, 6, 7]), (4,), (5, 6, 7, 8)) == "furniture:t0-2"
    assert _mark(f("divergent", [1, 2, 3], [9]), (2, 3), (9, 10)) == "divergent:s0-1,t0"  # reaching past the bead


def test_importing_an_empty_memory_says_it_is_empty(tmp_path):
    """It said "no unit has a language other than 'es'" of a memory with no unit at all."""
    empty = tmp_path / "empty.tmx"
    empty.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="es" '
                     'creationtool="x" creationtoolversion="1" segtype="sentence" o-tmf="x" adminlang="en" '
                     'datatype="plaintext"/><body></body></tmx>\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "tmx", str(empty), "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 1
    assert f"{empty}: the memory holds no translation unit (<tu>)" in result.output
    assert not (tmp_path / "p.db").exists()


def test_x_flags_that_cannot_be_read_are_left_out(project, tmp_path):
    """'divergent:s²' (a digit to str.isdigit, not to int) ended the import in a traceback."""
    out = tmp_path / "tale.tmx"
    run("export", "tmx", "--db", project, "-o", out)
    text = out.read_text(encoding="utf-8")
    text = text.replace('<prop type="x-status">confirmed</prop>', '<prop type="x-status">confirmed</prop>\n'
                        '      <prop type="x-flags">divergent:s² furniture:t9 nonsense divergent:q0 divergent:s0</prop>', 1)
    out.write_text(text, encoding="utf-8")
    run("import", "tmx", out, "--db", tmp_path / "copy.db")
    with Store.open(tmp_path / "copy.db") as store:
        flags = [(f["type"], f["src"] and f["src"]["sentences"]) for f in store.flag_records("tale")]
    assert sorted(flags) == [("divergent", [0]), ("divergent", [1])]  # the readable one, and the export's own


def test_a_cat_tools_own_note_does_not_take_the_place_of_a_flags_note(project, tmp_path):
    """Notes were paired with x-flags tokens by position: a reviewer's note put first turned an editor's flag into
    an open flag of the flagger's without its note, and the reviewer's note was dropped unsaid."""
    from aligner.flags import Flag
    from aligner.store import EDITOR_KEY, is_editor

    with Store.open(project) as store:
        mine = {**flag("divergent", [5], [4]), "note": "cifra: 23 vs 32"}
        store.save_flags("tale", [*store.flag_records("tale"), {**mine, "key": EDITOR_KEY + Flag.from_dict(mine).key}])
    out = tmp_path / "tale.tmx"
    run("export", "tmx", "--db", project, "-o", out)
    text = out.read_text(encoding="utf-8")
    assert "<note>divergent (editor): cifra: 23 vs 32</note>" in text
    out.write_text(text.replace("<note>divergent (editor)", "<note>Reviewer: see ticket 12</note>\n      "
                                "<note>divergent (editor)"), encoding="utf-8")
    result = run("import", "tmx", out, "--db", tmp_path / "copy.db")
    assert "<note>" in result.output  # the reviewer's note is not kept: said
    with Store.open(tmp_path / "copy.db") as store:
        theirs = [f for f in store.flag_records("tale") if f["type"] == "divergent" and is_editor(f)]
    assert [f["note"] for f in theirs] == ["cifra: 23 vs 32"]
