"""The plain-file commands (align, eval, segment) through click's CliRunner: real files, the real default encoder.
Every bad input exits 1 with a one-line message naming the file or the problem; bad usage exits 2; never a
traceback."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aligner.cli import cli

ES_TEXT = """La ciudad

El alcalde inauguró ayer la nueva biblioteca del barrio. Costó tres millones de euros.

Los vecinos celebraron la apertura con una fiesta en la plaza.
"""
EN_TEXT = """The city

Yesterday the mayor opened the new neighbourhood library. It cost three million euros.

The residents celebrated the opening with a party in the square.
"""
GOLD_OUT = "[0]:[0]\n[1]:[1]\n[2]:[2]\n[3]:[3]\n"


def run(*args) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, result.output
    assert result.exception is None


def assert_fails(result: Result, code: int, *needles: str) -> None:
    """A clean failure: the exit code, the message on stderr, and no exception escaping click."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not an uncaught error
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture
def pair(tmp_path) -> tuple[Path, Path]:
    es, en = tmp_path / "es.txt", tmp_path / "en.txt"
    es.write_text(ES_TEXT, encoding="utf-8")
    en.write_text(EN_TEXT, encoding="utf-8")
    return es, en


# ---- align: outputs ----------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_align_gold_format(pair):
    r = run("align", *pair, "--format", "gold")
    assert_ok(r)
    assert r.stdout == GOLD_OUT


@pytest.mark.slow
def test_align_tsv_format(pair):
    r = run("align", *pair, "--format", "tsv")
    assert_ok(r)
    lines = r.stdout.splitlines()
    assert lines[0] == "src_ids\ttgt_ids\ttype\tscore\tsrc\ttgt\tconfidence"
    rows = [line.split("\t") for line in lines[1:]]
    assert len(rows) == 4 and all(len(row) == 7 for row in rows)
    assert [row[:3] for row in rows] == [["0", "0", "1-1"], ["1", "1", "1-1"], ["2", "2", "1-1"], ["3", "3", "1-1"]]
    assert rows[1][4] == "El alcalde inauguró ayer la nueva biblioteca del barrio."
    assert rows[1][5] == "Yesterday the mayor opened the new neighbourhood library."
    assert all(0.0 < float(row[3]) <= 1.0 for row in rows)
    assert all(0.9 < float(row[6]) <= 1.0 for row in rows)  # four plain translations: the aligner is sure


@pytest.mark.slow
def test_align_json_format(pair):
    r = run("align", *pair, "--format", "json")
    assert_ok(r)
    data = json.loads(r.stdout)
    assert data["src"] == str(pair[0]) and data["tgt"] == str(pair[1])
    assert data["model"] == "use-multilingual"
    assert [(b["src_ids"], b["tgt_ids"], b["type"]) for b in data["beads"]] == [([i], [i], "1-1") for i in range(4)]
    assert data["beads"][3]["src"] == "Los vecinos celebraron la apertura con una fiesta en la plaza."
    assert data["beads"][3]["tgt"] == "The residents celebrated the opening with a party in the square."
    assert all(0.9 < b["confidence"] <= 1.0 for b in data["beads"])


@pytest.mark.slow
def test_align_table_format(pair):
    r = run("align", *pair)
    assert_ok(r)
    for word in ("type", "score", "es.txt", "en.txt", "1-1", "alcalde", "mayor"):
        assert word in r.stdout


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["gold", "table"])
def test_align_output_file(pair, tmp_path, fmt):
    out = tmp_path / "out" / "a.txt"
    out.parent.mkdir()
    r = run("align", *pair, "--format", fmt, "-o", out)
    assert_ok(r)
    assert r.stdout == ""
    assert f"wrote 4 beads to {out}" in r.stderr
    text = out.read_text(encoding="utf-8")
    if fmt == "gold":
        assert text == GOLD_OUT
    else:  # the plain-text table: bead numbers from 1, as show and the review app, and sentence ids
        lines = text.splitlines()
        assert len(lines) == 4 and "1-1" in text and "| The city" in text
        assert lines[0].split()[:2] == ["1", "1-1"] and " 0/0 | " in lines[0] and lines[3].split()[0] == "4"


@pytest.mark.slow
def test_align_output_to_a_missing_folder(pair, tmp_path):
    out = tmp_path / "nowhere" / "a.txt"
    assert_fails(run("align", *pair, "--format", "gold", "-o", out), 1, str(out), "cannot write")


def test_align_refuses_to_write_over_a_file_it_aligns(tmp_path):
    """`-o` naming SRC or TGT replaced the text with the alignment (the file then counted as changed)."""
    es, en = tmp_path / "es.txt", tmp_path / "en.txt"
    es.write_text("Hola.\n")
    en.write_text("Hello.\n")
    for out in (es, tmp_path / "." / "en.txt"):
        assert_fails(run("align", es, en, "--format", "tsv", "-o", out), 2, "is the file being aligned")
    assert (es.read_text(), en.read_text()) == ("Hola.\n", "Hello.\n")


@pytest.mark.slow
def test_align_presegmented_keeps_line_numbers(tmp_path):
    es, en = tmp_path / "es.txt", tmp_path / "en.txt"
    # one line holds two sentences: pre-segmented, it stays one unit with its line number as id
    es.write_text("El alcalde inauguró la biblioteca. Costó tres millones.\nLos vecinos lo celebraron.\n")
    en.write_text("The mayor opened the library. It cost three million.\nThe residents celebrated.\n")
    r = run("align", es, en, "--presegmented", "--format", "gold")
    assert_ok(r)
    assert r.stdout == "[0]:[0]\n[1]:[1]\n"
    r = run("align", es, en, "--format", "gold")  # segmented: three sentences a side
    assert_ok(r)
    assert r.stdout == "[0]:[0]\n[1]:[1]\n[2]:[2]\n"


@pytest.mark.slow
def test_align_accepts_bom_and_crlf(pair, tmp_path):
    bom = tmp_path / "bom.txt"
    bom.write_bytes(codecs.BOM_UTF8 + ES_TEXT.replace("\n", "\r\n").encode("utf-8"))
    r = run("align", bom, pair[1], "--format", "gold")
    assert_ok(r)
    assert r.stdout == GOLD_OUT


# ---- align: bad input exits 1 with the file named ----------------------------------------------------------------

@pytest.mark.parametrize("content,problem", [
    (b"", "the file is empty"),
    (b"\n \n\t\n", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
    ("Café con leche y pan.\n".encode("latin-1"), "not valid UTF-8"),
    ("Hola, mundo.\n".encode("utf-16"), "UTF-16"),
], ids=["empty", "blank", "binary", "latin-1", "utf-16"])
@pytest.mark.parametrize("side", [0, 1], ids=["src", "tgt"])
def test_align_bad_file(pair, tmp_path, content, problem, side):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    args = [bad, pair[1]] if side == 0 else [pair[0], bad]
    assert_fails(run("align", *args), 1, f"{bad}: ", problem)


def test_align_missing_file(pair, tmp_path):
    missing = tmp_path / "missing.txt"
    assert_fails(run("align", missing, pair[1]), 1, f"{missing}: no such file")


def test_align_unknown_model(pair):
    assert_fails(run("align", *pair, "--model", "nope"), 1, "unknown model 'nope'", "use-multilingual")


@pytest.mark.slow
def test_align_unsupported_language(pair):
    r = run("align", *pair, "--tgt-lang", "is")
    assert_fails(r, 1, f"{pair[1]}: language 'is' is not covered by the model 'use-multilingual'")
    assert "no sentence splitter for 'is'; using the English Punkt model" in r.stderr


@pytest.mark.slow
def test_align_st_model_not_available_offline(pair):
    r = run("align", *pair, "--model", "st:no-such-model-xyz")
    assert_fails(r, 1, "'no-such-model-xyz'", "offline", "--model st:/path/to/model")


@pytest.mark.parametrize("args,needle", [
    (["align"], "Missing argument 'SRC'"),
    (["align", "es.txt"], "Missing argument 'TGT'"),
    (["align", "es.txt", "en.txt", "--format", "xml"], "Invalid value for '--format'"),
    (["align", "es.txt", "en.txt", "--max-side", "9"], "Invalid value for '--max-side'"),
    (["align", "es.txt", "en.txt", "--skip", "lots"], "Invalid value for '--skip'"),
    (["align", "es.txt", "en.txt", "--no-such-option"], "No such option"),
    (["eval", "g.txt"], "Missing argument 'TEST'"),
    (["segment"], "Missing argument 'FILE'"),
    (["nonsense"], "No such command"),
])
def test_bad_usage_exits_2(pair, args, needle, monkeypatch):
    monkeypatch.chdir(pair[0].parent)
    assert_fails(run(*args), 2, needle)


def test_help_and_version():
    r = run("--help")
    assert_ok(r)
    assert all(cmd in r.stdout for cmd in ("align", "eval", "segment"))
    r = run("--version")
    assert_ok(r)
    assert "0.1.0" in r.stdout


# ---- eval ----------------------------------------------------------------------------------------------------------

def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_eval_files(tmp_path):
    g = write(tmp_path / "g.txt", "[0, 1]:[0]\n[2]:[1]\n")
    t = write(tmp_path / "t.txt", "[0]:[0]\n[1]:[]\n[2]:[1]\n")
    r = run("eval", g, t)
    assert_ok(r)
    assert r.stdout.splitlines() == [
        "documents 1",
        "strict  P 0.333  R 0.500  F1 0.400",
        "lax     P 0.667  R 1.000  F1 0.800",
        "added   P 0.000  R 0.000",
        "dropped P 0.000  R 0.000",
    ]


def test_eval_warns_about_gold_and_test_files_that_do_not_fit(tmp_path):
    """A gold file of the wrong document, an id out of range, or a sentence in two links was scored without a
    word; the scores still come, with warnings naming the files."""
    g = write(tmp_path / "g.txt", "[0]:[0]\n[1]:[1]\n[1]:[2]\n[]:[]\n[999]:[3]\n")
    t = write(tmp_path / "t.txt", "[0]:[0]\n[1]:[1, 2]\n[2]:[3]\n")
    r = run("eval", g, t)
    assert_ok(r)
    assert r.stdout.startswith("documents 1\nstrict  P ")
    assert r.stderr.splitlines() == [
        f"warning: {g}: source sentence 1 in two links or more",
        f"warning: {g}: 1 empty link ([]:[]), left out",
        f"warning: the files link different source sentences: 1 only in {g} (999); 1 only in {t} (2)",
    ]
    clean = run("eval", t, t)
    assert clean.stderr == ""


def test_eval_folders_json(tmp_path):
    write(tmp_path / "gold/a.txt", "[0, 1]:[0]\n[2]:[1]\n")
    write(tmp_path / "gold/b.txt", "[0]:[0]\n[]:[1]\n")
    write(tmp_path / "test/a.txt", "[0]:[0]\n[1]:[]\n[2]:[1]\n")
    write(tmp_path / "test/b.txt", "[0]:[0]\n[]:[1]\n")
    r = run("eval", tmp_path / "gold", tmp_path / "test", "--json")
    assert_ok(r)
    s = json.loads(r.stdout)
    assert s["docs"] == 2
    assert s["strict_p"] == pytest.approx(3 / 5)  # (1 + 2) / (3 + 2)
    assert s["strict_r"] == pytest.approx(2 / 3)  # (1 + 1) / (2 + 1)
    assert (s["added_p"], s["added_r"], s["dropped_p"]) == (1.0, 1.0, 0.0)


def test_eval_folder_missing_partner(tmp_path):
    write(tmp_path / "gold/a.txt", "[0]:[0]\n")
    write(tmp_path / "gold/b.txt", "[0]:[0]\n")
    write(tmp_path / "test/a.txt", "[0]:[0]\n")
    assert_fails(run("eval", tmp_path / "gold", tmp_path / "test"), 1, "no test file for gold file(s) b.txt")


def test_eval_missing_file(tmp_path):
    g = write(tmp_path / "g.txt", "[0]:[0]\n")
    assert_fails(run("eval", g, tmp_path / "t.txt"), 1, f"{tmp_path / 't.txt'}: no such file")


def test_eval_malformed_line(tmp_path):
    g = write(tmp_path / "g.txt", "[0]:[0]\n[1]:[1]\n")
    t = write(tmp_path / "t.txt", "[0]:[0]\n[1] -> [1]\n")
    assert_fails(run("eval", g, t), 1, f"{t}, line 2:", "[1] -> [1]")


def test_eval_file_against_folder(tmp_path):
    g = write(tmp_path / "g.txt", "[0]:[0]\n")
    (tmp_path / "d").mkdir()
    assert_fails(run("eval", g, tmp_path / "d"), 1, "both be files or both be folders")


@pytest.mark.parametrize("content,problem", [(b"", "empty"), ("[0]:[0]\n".encode("utf-16"), "UTF-16")])
def test_eval_unreadable_file(tmp_path, content, problem):
    g = write(tmp_path / "g.txt", "[0]:[0]\n")
    t = tmp_path / "t.txt"
    t.write_bytes(content)
    assert_fails(run("eval", g, t), 1, str(t), problem)


# ---- segment -------------------------------------------------------------------------------------------------------

def test_segment(pair):
    r = run("segment", pair[0])
    assert_ok(r)
    assert r.stdout.splitlines() == [
        "0\t0\tLa ciudad",
        "1\t1\tEl alcalde inauguró ayer la nueva biblioteca del barrio.",
        "2\t1\tCostó tres millones de euros.",
        "3\t2\tLos vecinos celebraron la apertura con una fiesta en la plaza.",
    ]
    assert r.stderr == ""


def test_segment_offsets_point_into_the_decoded_text(tmp_path):
    p = tmp_path / "crlf.txt"
    p.write_bytes(codecs.BOM_UTF8 + b"Title\r\n\r\nDr. Smith left. He was tired.\r\n")
    r = run("segment", p, "--lang", "en", "--offsets")
    assert_ok(r)
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert [row[3] for row in rows] == ["Title", "Dr. Smith left.", "He was tired."]
    decoded = "Title\n\nDr. Smith left. He was tired.\n"
    for _, _, span, text in rows:
        start, end = map(int, span.split("-"))
        assert decoded[start:end] == text


def test_segment_other_language_says_it_falls_back(tmp_path):
    p = write(tmp_path / "is.txt", "Dr. Jónsson kom heim. Hann var þreyttur.\n")
    r = run("segment", p, "--lang", "is")
    assert_ok(r)
    assert "no sentence splitter for 'is'; using the English Punkt model" in r.stderr
    assert r.stdout.splitlines() == ["0\t0\tDr. Jónsson kom heim.", "1\t0\tHann var þreyttur."]


@pytest.mark.parametrize("code", ["xx", "english", "e", "es-", "es_", "3s", "es-ES-x-too-long-here"])
@pytest.mark.parametrize("command", ["align", "segment", "flags", "add"])
def test_a_language_that_is_not_an_iso_code_is_bad_usage(pair, command, code):
    args = {"align": ["align", *pair, "--tgt-lang", code], "segment": ["segment", pair[0], "--lang", code],
            "flags": ["flags", "--src", pair[0], "--tgt", pair[1], "--src-lang", code],
            "add": ["add", pair[0].parent, "--db", pair[0].parent / "p.db", "--tgt-lang", code]}[command]
    assert_fails(run(*args), 2, f"{code!r} is not an ISO 639-1 code (e.g. es, en, de)")
    assert not (pair[0].parent / "p.db").exists()


@pytest.mark.parametrize("code,note", [("ES", ""), ("Es", ""), ("EN-gb", ""),
                                       ("PT_br", ""), ("IS", "no sentence splitter for 'is'")])
def test_language_codes_are_read_in_any_case(pair, code, note):
    r = run("segment", pair[0], "--lang", code)
    assert_ok(r)
    assert len(r.stdout.splitlines()) == 4
    assert note in r.stderr if note else r.stderr == ""


@pytest.mark.parametrize("content,problem", [
    (None, "no such file"), (b"", "the file is empty"), (b"\x00\x01\x02\x03binary\x00", "binary"),
    ("año\n".encode("latin-1"), "not valid UTF-8"), ("hola\n".encode("utf-16"), "UTF-16"),
], ids=["missing", "empty", "binary", "latin-1", "utf-16"])
def test_segment_bad_file(tmp_path, content, problem):
    p = tmp_path / "bad.txt"
    if content is not None:
        p.write_bytes(content)
    assert_fails(run("segment", p), 1, f"{p}: ", problem)


def test_review_command_comes_from_the_app_package_and_the_library_imports_no_ui():
    import subprocess
    import sys

    result = CliRunner().invoke(cli, ["review", "--help"])
    assert result.exit_code == 0 and "Review and fix alignments" in result.output
    assert "review" in CliRunner().invoke(cli, ["--help"]).output
    # loading the command line (and listing its commands) must not pull in the review app or Textual
    code = ("import sys; from aligner.cli import cli; cli.list_commands(None); "
            "print(sorted(m for m in sys.modules if m == 'tui' or m.startswith(('tui.', 'textual'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
