"""Exporters over bead rows: filters, the one-sided report, TMX read back by translate-toolkit, polars tables."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from translate.storage import tmx as tt_tmx

from aligner.export import (
    REVIEWED,
    TABLE_FORMATS,
    BeadRow,
    ExportFilter,
    export_file,
    export_table,
    export_tmx,
    to_unit,
)
from aligner.models import Bead, BeadStatus
from aligner.tmx import TranslationUnit, clean_text

WHEN = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
LATER = datetime(2024, 3, 2, 8, 15, 0, tzinfo=UTC)


def row(i=0, src="Hola.", tgt="Hello.", *, status=BeadStatus.AUTO, score=0.9, flags=(), src_ids=None,
        tgt_ids=None, doc="cuento", paragraph=0, created=WHEN, changed=LATER, src_lengths=(),
        tgt_lengths=(), confidence=None, notes=()) -> BeadRow:
    return BeadRow(doc, (i,) if src_ids is None else src_ids, (i,) if tgt_ids is None else tgt_ids, src, tgt,
                   score, status, flags, paragraph, created, changed, src_lengths, tgt_lengths, confidence=confidence,
                   notes=notes)


ROWS = [
    row(0, "Había una vez un gato.", "Once upon a time there was a cat.", status=BeadStatus.CONFIRMED),
    row(1, "Dijo «hola». Y se fue.", "He said hello and left.", src_ids=(1, 2), tgt_ids=(1,), score=0.71,
        confidence=0.62),
    row(3, "Frase añadida.", "", tgt_ids=(), score=0.0, flags=("dropped",)),
    row(2, "", "An added line.", src_ids=(), tgt_ids=(2,), score=0.0, flags=("added",)),
    row(4, "Dudosa.", "Doubtful.", status=BeadStatus.FLAGGED, score=0.35, src_ids=(4,), tgt_ids=(3,)),
    row(5, "Editada.", "Edited.", status=BeadStatus.EDITED, score=0.5, src_ids=(5,), tgt_ids=(4,),
        flags=("divergent",), notes=("divergent: 1-1 bead, similarity 0.41 (usual here 0.78)",
                                     "divergent (editor): 23% | 32%, a tab\there")),
]


NO_FILTER = ExportFilter()


def tmx_text(rows, flt=NO_FILTER, **kw):
    out = io.StringIO()
    summary = export_tmx(rows, out, kw.pop("src_lang", "es"), kw.pop("tgt_lang", "en"), flt, created=WHEN, **kw)
    return out.getvalue(), summary


def toolkit_pairs(xml: str):
    store = tt_tmx.tmxfile.parsestring(xml.encode("utf-8"))
    return [(u.source, u.target) for u in store.units]


def test_filter_reasons():
    assert ExportFilter().reason(ROWS[4]) is None
    assert ExportFilter(statuses=frozenset({BeadStatus.CONFIRMED})).reason(ROWS[1]) == "status"
    assert ExportFilter(statuses=REVIEWED).reason(ROWS[5]) is None
    assert ExportFilter(min_score=0.8).reason(ROWS[1]) == "min-score"
    assert ExportFilter(min_score=0.71).reason(ROWS[1]) is None
    assert ExportFilter(exclude_flagged=True).reason(ROWS[4]) == "flagged"
    assert ExportFilter(exclude_flagged=True).reason(ROWS[5]) == "flagged"  # a derived flag counts too
    assert ExportFilter(exclude_flagged=True).reason(ROWS[0]) is None
    # a pair an editor made and confirmed has no score (0.0): --min-score lets it through; not one a shift left
    # edited and unreviewed, nor an automatic one-sided bead
    assert ExportFilter(min_score=0.5).reason(row(status=BeadStatus.CONFIRMED, score=0.0)) is None
    assert ExportFilter(min_score=0.5).reason(row(status=BeadStatus.EDITED, score=0.0)) == "min-score"
    assert ExportFilter(min_score=0.5).reason(row(score=0.0, tgt="", tgt_ids=())) == "min-score"


def test_one_sided_beads_never_become_units_and_go_to_the_report():
    xml, summary = tmx_text(ROWS)
    assert toolkit_pairs(xml) == [(r.src, r.tgt) for r in ROWS if r.src and r.tgt]
    assert summary.written == 4
    assert summary.skipped == {"one-sided": 2}
    assert summary.one_sided == [ROWS[2], ROWS[3]]
    report = "\n".join(summary.lines())
    assert "not a unit (source only): cuento 1-0 3/-: Frase añadida." in report
    assert "not a unit (target only): cuento 0-1 -/2: An added line." in report



def test_a_pair_of_furniture_lines_is_no_unit_and_is_not_counted_one_sided():
    from dataclasses import replace

    furniture = replace(row(6, "Compartir en Facebook", "Share on Facebook"), unpaired=True)
    xml, summary = tmx_text([ROWS[0], furniture])
    assert summary.written == 1 and "Facebook" not in xml
    assert summary.skipped == {"unpaired (furniture, or sides flagged as not translating each other)": 1}  # "1 pairs"
    assert "not a unit (web furniture on both sides): cuento 1-1 6/6" in "\n".join(summary.lines())

def test_one_sided_beads_are_reported_even_when_filters_would_drop_them():
    _, summary = tmx_text(ROWS, ExportFilter(statuses=frozenset({BeadStatus.CONFIRMED}), exclude_flagged=True))
    assert summary.written == 1
    assert summary.skipped == {"one-sided": 2, "status": 3}
    assert len(summary.one_sided) == 2


def test_summary_counts_one_of_a_kind_in_the_singular():
    lone = [row(10 + k, f"Suelta {k}.", "", tgt_ids=()) for k in range(11)]
    _, summary = tmx_text(ROWS[:1] + lone)
    summary.path = "x.tmx"
    lines = summary.lines()
    assert lines[0] == "wrote 1 unit to x.tmx"
    assert lines[-1] == "... and 1 more one-sided bead (--report FILE lists all)"


def test_summary_names_the_report_instead_of_listing_one_sided_beads():
    _, summary = tmx_text(ROWS)
    lines = summary.lines(report="r.tsv")
    assert not any(line.startswith("not a unit") for line in lines)
    assert lines[-1] == "r.tsv lists 2 one-sided beads (added or dropped passages, not units)"
    from dataclasses import replace

    furniture = replace(row(6, "Compartir en Facebook", "Share on Facebook"), unpaired=True)
    _, summary = tmx_text([*ROWS, furniture])  # a two-sided pair is no one-sided bead (3 of them, before)
    assert summary.lines(report="r.tsv")[-1] == ("r.tsv lists 2 one-sided beads (added or dropped passages, not "
                                                 "units) and 1 unpaired")


@pytest.mark.parametrize("flt, expected", [
    (ExportFilter(statuses=frozenset({BeadStatus.CONFIRMED})), [0]),
    (ExportFilter(statuses=REVIEWED), [0, 5]),
    (ExportFilter(min_score=0.7), [0, 1]),
    (ExportFilter(exclude_flagged=True), [0, 1]),
])
def test_filters_choose_the_units(flt, expected):
    xml, summary = tmx_text(ROWS, flt)
    assert toolkit_pairs(xml) == [(ROWS[i].src, ROWS[i].tgt) for i in expected]
    assert summary.written + sum(summary.skipped.values()) == len(ROWS)


def test_units_carry_props_and_dates_only_when_reviewed():
    xml, _ = tmx_text(ROWS)
    tus = ET.fromstring(xml.encode("utf-8")).findall("body/tu")
    props = {p.get("type"): p.text for p in tus[0].findall("prop")}
    assert props == {"x-document": "cuento", "x-bead-type": "1-1", "x-score": "0.9000", "x-status": "confirmed",
                     "x-paragraph": "0"}
    assert (tus[0].get("creationdate"), tus[0].get("changedate")) == ("20240301T120000Z", "20240302T081500Z")
    assert tus[1].get("creationdate") is None and tus[1].get("changedate") is None  # auto: nobody reviewed it
    assert {p.get("type"): p.text for p in tus[1].findall("prop")}["x-bead-type"] == "2-1"


def test_regional_language_codes_match_a_cat_tools_memory():
    xml, _ = tmx_text(ROWS[:1], src_lang="es-ES", tgt_lang="en-US")
    store = tt_tmx.tmxfile.parsestring(xml.encode("utf-8"), "es-ES", "en-US")
    assert store.units[0].target == ROWS[0].tgt


def test_to_unit_leaves_paragraph_out_when_unknown():
    assert "x-paragraph" not in to_unit(row(paragraph=None)).props


bead_texts = st.one_of(
    st.text(st.characters(exclude_categories=()), min_size=1, max_size=200),
    st.text(st.sampled_from("&<>\"'\x00\x07\r\n\t😀<b>é"), min_size=1, max_size=50),
    st.builds(lambda s: s * (10_001 // len(s) + 1), st.text(min_size=1, max_size=30)),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(bead_texts, bead_texts), min_size=1, max_size=5))
def test_exported_tmx_files_read_back_exactly_with_translate_toolkit(tmp_path, pairs):
    rows = [row(i, s, t) for i, (s, t) in enumerate(pairs)]
    path = tmp_path / "memory.tmx"
    path.unlink(missing_ok=True)  # one tmp_path for all examples: an export of nothing would leave the last file
    summary = export_file(rows, path, "tmx", created=WHEN, max_length=5_000)
    with open(path, "rb") as f:
        store = tt_tmx.tmxfile(f)
    kept = [(clean_text(s)[0], clean_text(t)[0]) for s, t in pairs if s.strip() and t.strip()]
    kept = [(s, t) for s, t in kept if s and t]
    assert [(u.source, u.target) for u in store.units] == kept
    assert summary.written == len(kept)
    assert all(seg.length > 5_000 for seg in summary.long_segments)


# Tables --------------------------------------------------------------------------------------------------------

TRICKY = [
    row(0, 'Dijo "sí", y\tluego\nse fue; 100% & <b>', "He said 'yes',\r\nthen left 😀", status=BeadStatus.CONFIRMED),
    *ROWS[1:],
]


def read_table(path, fmt):
    if fmt == "tsv":
        return pl.read_csv(path, separator="\t", quote_char=None, schema_overrides={"paragraph": pl.Int64})
    if fmt == "csv":
        return pl.read_csv(path)
    if fmt == "jsonl":
        return pl.read_ndjson(path)
    return pl.read_parquet(path)


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
@pytest.mark.parametrize("batch_size", [2, 10_000])
def test_tables_have_one_row_per_bead_with_every_column(tmp_path, fmt, batch_size):
    path = tmp_path / f"beads.{fmt}"
    summary = export_file(TRICKY, path, fmt, batch_size=batch_size)
    df = read_table(path, fmt)
    assert summary.written == len(TRICKY) == df.height
    assert df.columns == ["document", "src_ids", "tgt_ids", "src", "tgt", "type", "score", "status", "flags",
                          "paragraph", "created", "changed", "confidence", "notes"]
    if fmt in ("jsonl", "parquet"):
        assert df["notes"].to_list() == [list(r.notes) for r in TRICKY]
    else:  # one cell: the notes joined by " | " (a note holds spaces and commas)
        assert df["notes"][5] == ("divergent: 1-1 bead, similarity 0.41 (usual here 0.78) | divergent (editor): "
                                  "23% | 32%, a tab" + (" " if fmt == "tsv" else "\t") + "here")
    assert df["type"].to_list() == [r.kind for r in TRICKY]
    assert df["confidence"].to_list() == [r.confidence for r in TRICKY]
    assert df["confidence"][1] == 0.62
    assert df["status"].to_list() == [r.status.value for r in TRICKY]
    assert df["score"].to_list() == [r.score if r.scored else None for r in TRICKY]  # one-sided: no score
    assert df["score"][2] is None and df["score"][0] == 0.9
    if fmt == "tsv":  # no quoting: tabs and line breaks inside a text become spaces
        assert df["src"][0] == 'Dijo "sí", y luego se fue; 100% & <b>'
        assert df["tgt"][0] == "He said 'yes',  then left 😀"
        assert df["src_ids"][1] == "1 2" and df["flags"][2] == "dropped"
    else:
        assert df["src"].to_list() == [r.src for r in TRICKY]
        assert df["tgt"].to_list() == [r.tgt for r in TRICKY]
    if fmt in ("jsonl", "parquet"):
        assert df["src_ids"].to_list() == [list(r.src_ids) for r in TRICKY]
        assert df["flags"].to_list() == [list(r.flags) for r in TRICKY]
    if fmt == "parquet":
        assert df["created"][0] == WHEN
    if fmt == "csv":
        assert df["src_ids"].to_list() == [" ".join(map(str, r.src_ids)) for r in TRICKY]
    if fmt in ("csv", "jsonl"):  # the same date text in every text format
        assert df["created"][0] == "2024-03-01T12:00:00Z"


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_tables_apply_filters_but_keep_one_sided_beads(tmp_path, fmt):
    path = tmp_path / f"beads.{fmt}"
    summary = export_table(ROWS, path, fmt, ExportFilter(min_score=0.5, exclude_flagged=True))
    assert read_table(path, fmt).height == summary.written == 2
    assert summary.skipped == {"min-score": 3, "flagged": 1}


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_an_empty_export_still_has_its_columns(tmp_path, fmt):
    path = tmp_path / f"none.{fmt}"
    export_file([], path, fmt)
    if fmt == "jsonl":
        assert path.read_text() == ""
    else:
        df = read_table(path, fmt)
        assert df.height == 0 and "src" in df.columns


def test_jsonl_lines_are_plain_json(tmp_path):
    path = tmp_path / "beads.jsonl"
    export_file(TRICKY[:1], path, "jsonl")
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert record["src"] == TRICKY[0].src and record["src_ids"] == [0] and record["status"] == "confirmed"


def test_a_failed_export_leaves_no_file_behind(tmp_path):
    def rows():
        yield ROWS[0]
        raise RuntimeError("store went away")

    for fmt in ("tmx", "csv", "parquet"):
        path = tmp_path / f"x.{fmt}"
        with pytest.raises(RuntimeError):
            export_file(rows(), path, fmt, batch_size=1)
        assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="xlsx"):
        export_file(ROWS, tmp_path / "x.xlsx", "xlsx")


# ---- export -> import -> export through real projects -------------------------------------------------------------

WORD = st.text(st.sampled_from("abcñé&<>\"'.,;:!?¿¡«»—😀ABC0123\u00a0\u202f"), min_size=1, max_size=8).filter(
    str.strip)
SENTENCE = st.lists(WORD, min_size=1, max_size=5).map(" ".join)
SHAPES = st.sampled_from([(1, 1)] * 4 + [(1, 0), (0, 1), (2, 1), (1, 2), (2, 2), (1, 3), (3, 1), (1, 4), (4, 1)])
DATES = st.sampled_from([None, "2024-03-01T12:00:00+00:00", "2025-11-30T23:59:59+00:00"])


@st.composite
def projects(draw):
    """(pairs: name -> (src sentences, tgt sentences, beads, changed dates)), sentences as (text, paragraph)."""
    out = {}
    for name in draw(st.lists(st.sampled_from(["a", "b-2", "zz"]), min_size=1, max_size=3, unique=True)):
        shapes = [(1, 1)] + draw(st.lists(SHAPES, max_size=12))
        sides: tuple[list, list] = ([], [])
        beads = []
        for a, b in draw(st.permutations(shapes)):
            ids = []
            for side, n in zip(sides, (a, b), strict=True):
                para = (side[-1][1] if side else 0) + draw(st.integers(0, 2))
                ids.append(tuple(range(len(side), len(side) + n)))
                side.extend((draw(SENTENCE), para) for _ in range(n))
            beads.append(Bead(ids[0], ids[1], draw(st.floats(0, 1)), draw(st.sampled_from(list(BeadStatus)))))
        out[name] = (*sides, beads, [draw(DATES) for _ in beads])
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(project=projects())
def test_export_import_export_gives_the_same_file(tmp_path_factory, project):
    from aligner.export import import_tmx
    from aligner.models import Alignment
    from aligner.store import Store

    root = tmp_path_factory.mktemp("rt")
    files = [root / "1.tmx", root / "2.tmx"]
    with Store.open(root / "1.db") as store:
        for name, (src, tgt, beads, changed) in project.items():
            store.add_pair(name, store.add_sentences(f"es/{name}", "es", src),
                           store.add_sentences(f"en/{name}", "en", tgt))
            store.save_alignment(name, Alignment(tuple(beads), len(src), len(tgt)),
                                 {"model": "m", "date": "2023-01-02T03:04:05+00:00", "changed": changed})
        export_file(store.iter_beads(), files[0], "tmx", created=WHEN)
    with Store.open(root / "2.db") as store:
        import_tmx(store, files[0])
        export_file(store.iter_beads(), files[1], "tmx", created=WHEN)
    assert files[1].read_bytes() == files[0].read_bytes()


def test_sentence_lengths_are_those_of_the_cleaned_text():
    unit = to_unit(row(src="Uno.\x01 Dos.", src_ids=(0, 1), src_lengths=(5, 4), tgt_lengths=(6,)))
    assert unit.props["x-src-lengths"] == "4 4" and "x-tgt-lengths" not in unit.props


def test_no_break_spaces_survive_export_import_export(tmp_path):
    """'38\u00a0%' and '14\u202f000' read from files go through a memory and back unchanged (import used to make
    them plain spaces, silently)."""
    from aligner.export import import_tmx
    from aligner.models import Alignment
    from aligner.store import Store

    es, en = "El alquiler subió un 38\u00a0% en 14\u202f000 pisos.", "Rents rose by 38\u00a0% in 14\u202f000 flats."
    files = [tmp_path / "1.tmx", tmp_path / "2.tmx"]
    with Store.open(tmp_path / "1.db") as store:
        store.add_pair("nb", store.add_document("es/nb.txt", "es", es), store.add_document("en/nb.txt", "en", en))
        store.save_alignment("nb", Alignment((Bead((0,), (0,), 0.9),), 1, 1), {"model": "m"})
        export_file(store.iter_beads(), files[0], "tmx", created=WHEN)
    with Store.open(tmp_path / "2.db") as store:
        summary = import_tmx(store, files[0])
        assert [s.text for s in store.documents_for("nb")[0].sentences] == [es]
        assert summary.respaced == 0
        export_file(store.iter_beads(), files[1], "tmx", created=WHEN)
    assert files[1].read_bytes() == files[0].read_bytes()
    assert "38\u00a0%" in files[1].read_text(encoding="utf-8")


def test_a_merged_chinese_side_is_joined_without_a_space_and_cut_back_on_import(tmp_path):
    from aligner.export import import_tmx
    from aligner.models import Alignment
    from aligner.store import Store

    zh = ["政府昨天批准了一项新的住房法。", "该法律限制大城市的租金。"]
    es = ["El Gobierno aprobó ayer una ley de vivienda que limita los alquileres."]
    files = [tmp_path / "1.tmx", tmp_path / "2.tmx"]
    with Store.open(tmp_path / "1.db") as store:
        store.add_pair("ley", store.add_sentences("es/ley", "es", [(es[0], 0)]),
                       store.add_sentences("zh/ley", "zh-CN", [(t, 0) for t in zh]))
        store.save_alignment("ley", Alignment((Bead((0,), (0, 1), 0.8, BeadStatus.CONFIRMED),), 1, 2), {"model": "m"})
        assert [r.tgt for r in store.iter_beads()] == ["".join(zh)]
        export_file(store.iter_beads(), files[0], "tmx", created=WHEN, tgt_lang="zh-CN")
    text = files[0].read_text(encoding="utf-8")
    assert f"<seg>{''.join(zh)}</seg>" in text and '<prop type="x-tgt-lengths">15 12</prop>' in text
    with Store.open(tmp_path / "2.db") as store:
        import_tmx(store, files[0])
        assert [s.text for s in store.documents_for("ley")[1].sentences] == zh
        export_file(store.iter_beads(), files[1], "tmx", created=WHEN, tgt_lang="zh-CN")
    assert files[1].read_bytes() == files[0].read_bytes()


def test_a_chinese_side_written_with_spaces_by_an_older_export_is_cut_by_its_lengths(tmp_path):
    """Before the separator became language-aware, a merged Chinese side was written 'A。 B。': its lengths still
    cut it (it was imported as one sentence, before)."""
    from aligner.export import import_tmx
    from aligner.store import Store

    zh = ["你好。", "世界。"]
    path = tmp_path / "old.tmx"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="es" '
                    'datatype="plaintext" segtype="sentence" adminlang="en" o-tmf="x" creationtool="x" '
                    'creationtoolversion="1"/><body><tu>'
                    '<prop type="x-bead-type">1-2</prop><prop type="x-tgt-lengths">3 3</prop>'
                    '<tuv xml:lang="es"><seg>Hola, mundo.</seg></tuv>'
                    f'<tuv xml:lang="zh-CN"><seg>{" ".join(zh)}</seg></tuv></tu></body></tmx>', encoding="utf-8")
    with Store.open(tmp_path / "p.db") as store:
        import_tmx(store, path)
        assert [s.text for s in store.documents_for("old")[1].sentences] == zh


def test_characters_xml_cannot_carry_between_chinese_sentences_keep_the_lengths_right(tmp_path):
    """A control character between two Chinese sentences became a space in the segment but not in the
    sentences' lengths, and the import could not cut the side back."""
    from aligner.export import import_tmx
    from aligner.models import Alignment
    from aligner.store import Store

    zh = ["一。\x07", "二。", "三\x01三。"]
    es = ["Uno, dos y tres."]
    out = tmp_path / "zh.tmx"
    with Store.open(tmp_path / "1.db") as store:
        store.add_pair("n", store.add_sentences("es/n", "es", [(es[0], 0)]),
                       store.add_sentences("zh/n", "zh-CN", [(t, 0) for t in zh]))
        store.save_alignment("n", Alignment((Bead((0,), (0, 1, 2), 0.8, BeadStatus.CONFIRMED),), 1, 3), {"model": "m"})
        export_file(store.iter_beads(), out, "tmx", created=WHEN, tgt_lang="zh-CN")
    assert "<seg>一。二。三三。</seg>" in out.read_text(encoding="utf-8")
    with Store.open(tmp_path / "2.db") as store:
        import_tmx(store, out)
        assert [s.text for s in store.documents_for("n")[1].sentences] == ["一。", "二。", "三三。"]
    assert clean_text("Palabra\x07pegada")[0] == "Palabra pegada" and clean_text("日本\x07語")[0] == "日本語"


def test_split_joined_cuts_sentences_back_whichever_the_separator():
    from aligner.textio import join_sentences, split_joined

    for lang, texts in (("es", ["Uno.", "Dos dos."]), ("ja", ["一つ。", "二つ。"]), ("zh-TW", ["一。", "二。", "三。"])):
        assert split_joined(join_sentences(texts, lang), [len(t) for t in texts]) == texts
    assert split_joined("Uno.XDos.", [4, 4]) == []  # no space where the separator stands
    assert split_joined("Uno. Dos.", [4, 3]) == [] and split_joined("", []) == []


def test_blank_lines_left_alone_are_counted_not_listed_as_one_sided():
    """A blank line of pre-segmented input, alone in its bead, was listed as 'not a unit (target only)' with no
    text, whichever its side."""
    blank_src, blank_tgt = row(7, "", "", tgt_ids=()), row(8, "", "", src_ids=())
    _, summary = tmx_text([ROWS[0], blank_src, blank_tgt])
    assert summary.skipped == {"blank lines": 2} and summary.one_sided == []
    assert not any(line.startswith("not a unit") for line in summary.lines())


def test_a_bead_without_a_score_is_written_without_one(tmp_path):
    """A pair an editor made, and an added or dropped passage, have no score: exports wrote 0.0, which reads as
    'the sides are unrelated' and pulls an average down."""
    from aligner.export import _score

    made = row(7, "Hecha a mano.", "Made by hand.", status=BeadStatus.CONFIRMED, score=0.0)
    unit = to_unit(made)
    assert "x-score" not in unit.props and unit.props["x-status"] == "confirmed"
    assert _score(unit) == 0.0  # read back: ours, with no score (another tool's unit gets 1.0)
    assert _score(TranslationUnit("a", "b", {})) == 1.0
    assert to_unit(row(8, score=0.0001)).props["x-score"] == "0.0001"  # the aligner's least score is one
    path = tmp_path / "t.jsonl"
    export_file([made, ROWS[2], ROWS[0]], path, "jsonl")
    assert pl.read_ndjson(path)["score"].to_list() == [None, None, 0.9]


def test_an_export_names_the_beads_whose_text_holds_direction_controls(tmp_path):
    """A right-to-left override went into the memory unsaid (`show` and the app mark it): a CAT tool showed
    'gnp.exe' as 'exe.png'."""
    tricky = row(9, "El archivo \u202egnp.exe engañó.", "The \u202egnp.exe file fooled them.")
    summary = export_file([ROWS[0], tricky, ROWS[2]], tmp_path / "m.tmx", "tmx")
    lines = [x for x in summary.lines() if "direction controls" in x]
    assert lines == ["warning: cuento 9/9: direction controls written as they are (a CAT tool shows the words "
                     "reordered): El archivo ⟨RLO⟩gnp.exe engañó."]
    assert "\u202e" in (tmp_path / "m.tmx").read_text(encoding="utf-8")  # the text as it is: said, not changed


def test_csv_for_a_spreadsheet_in_a_decimal_comma_locale(tmp_path):
    """`--excel` wrote commas and decimal points: Excel set to Spanish put each row in one column."""
    path = tmp_path / "es.csv"
    export_file(ROWS, path, "csv", excel=True, semicolon=True)
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    df = pl.read_csv(path, separator=";", decimal_comma=True)
    assert df.columns[:3] == ["document", "src_ids", "tgt_ids"] and df.height == len(ROWS)
    assert df["score"].to_list()[:2] == [0.9, 0.71] and df["confidence"][1] == 0.62
    assert df["src"][1] == "Dijo «hola». Y se fue." and df["src_ids"][1] == "1 2"
    assert b"0,71" in raw and b";" in raw.splitlines()[1]


def test_a_character_xml_forbids_between_two_spaces_leaves_one_space_and_the_export_says_where(tmp_path):
    """'control \\x07 sonó' became 'control  sonó' (a double space a CAT tool's QA flags, and that the import
    collapses), and the export said how many characters it removed but not where."""
    assert clean_text("de control \x07 sonó") == ("de control sonó", 1)
    assert clean_text("a \x07\x08 b") == ("a b", 2) and clean_text("a\x07 b") == ("a b", 1)
    rows = [ROWS[0], row(9, "Un pitido \x07 sonó.", "A beep \x07 sounded.", doc="awk")]
    summary = export_file(rows, tmp_path / "m.tmx", "tmx")
    assert "<seg>Un pitido sonó.</seg>" in (tmp_path / "m.tmx").read_text(encoding="utf-8")
    assert ("removed 2 characters not allowed in XML 1.0 (a space stands where they stood between two words), "
            "in awk unit 2") in summary.lines()


def test_a_character_xml_forbids_at_a_segments_edge_leaves_no_space_there():
    """'\\x07 Las lluvias' was written ' Las lluvias': the import trims it, and export -> import -> export differed."""
    assert clean_text("\x07 Las lluvias") == ("Las lluvias", 1)
    assert clean_text("fin. \x07") == ("fin.", 1)
    assert clean_text("a\u00a0\x07\u00a0b") == ("a\u00a0b", 1)  # no-break spaces are not doubled either
