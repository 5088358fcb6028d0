"""TMX 1.4b writer and reader: files are read back with translate-toolkit, a third-party reader."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from translate.storage import tmx as tt_tmx

from aligner.errors import InputError
from aligner.tmx import TranslationUnit, clean_text, read_tmx, write_tmx

WHEN = datetime(2024, 3, 1, 12, 30, 5, tzinfo=UTC)
HEADER_ATTRS = {"creationtool", "creationtoolversion", "segtype", "o-tmf", "adminlang", "srclang", "datatype"}

# Every code point, surrogates and C0 controls included, plus the characters that XML makes special.
any_char = st.characters(exclude_categories=())
texts = st.one_of(
    st.text(any_char, min_size=1),
    st.text(st.sampled_from("&<>\"' \t\r\n\x00\x01\x0b\x1f\ufffe\ud800😀🇪🇸é<b></b>]]>"), min_size=1),
    st.builds(lambda piece, tail: piece * (10_001 // len(piece) + 1) + tail,  # over 10,000 characters
              st.text(any_char, min_size=1, max_size=40), st.text(any_char, max_size=5)),
)


def write(units, src_lang="es", tgt_lang="en", **kw) -> tuple[str, object]:
    out = io.StringIO()
    stats = write_tmx(units, out, src_lang, tgt_lang, created=WHEN, **kw)
    return out.getvalue(), stats


def toolkit_units(xml: str, srclang: str | None = None):
    store = tt_tmx.tmxfile.parsestring(xml.encode("utf-8"), sourcelanguage=srclang)
    return [(u.source, u.target) for u in store.units]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(texts, texts), min_size=1, max_size=6))
def test_translate_toolkit_reads_back_every_unit_exactly(pairs):
    xml, stats = write([TranslationUnit(s, t, {"x-document": s[:20]}) for s, t in pairs])
    expected = [(clean_text(s)[0], clean_text(t)[0]) for s, t in pairs]
    expected = [(s, t) for s, t in expected if s and t]
    assert toolkit_units(xml) == expected
    assert stats.written == len(expected)
    assert stats.removed_chars == sum(clean_text(s)[1] + clean_text(t)[1] for s, t in pairs)


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(texts, texts), min_size=1, max_size=4))
def test_write_read_write_is_byte_identical(pairs, tmp_path_factory):
    units = [TranslationUnit(s, t, {"x-document": "d&<'>", "x-score": "0.5000"}, WHEN, WHEN) for s, t in pairs]
    first, _ = write(units)
    path = tmp_path_factory.mktemp("tmx") / "a.tmx"
    path.write_text(first, encoding="utf-8", newline="\n")
    info, back = read_tmx(path)
    second, _ = write(list(back), info.src_lang, info.tgt_lang)
    assert second == first


def test_header_has_the_seven_required_attributes_and_a_utc_creation_date():
    xml, _ = write([TranslationUnit("Hola.", "Hello.")])
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "tmx" and root.get("version") == "1.4"
    header = root.find("header")
    assert HEADER_ATTRS <= set(header.attrib)
    assert all(header.get(a) for a in HEADER_ATTRS)
    assert header.get("segtype") == "sentence"
    assert header.get("datatype") == "plaintext"
    assert header.get("srclang") == "es"
    assert header.get("creationdate") == "20240301T123005Z"
    assert re.fullmatch(r"\d{8}T\d{6}Z", header.get("creationdate"))


def test_default_creation_date_is_now_in_utc():
    out = io.StringIO()
    write_tmx([], out, "es", "en")
    stamp = ET.fromstring(out.getvalue().encode()).find("header").get("creationdate")
    written = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - written).total_seconds()) < 60


@pytest.mark.parametrize("src_lang, tgt_lang", [("es", "en"), ("es-ES", "en-US")])
def test_language_codes_on_header_and_tuvs(src_lang, tgt_lang):
    xml, _ = write([TranslationUnit("Hola.", "Hello.")], src_lang, tgt_lang)
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.find("header").get("srclang") == src_lang
    langs = [tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in root.iter("tuv")]
    assert langs == [src_lang, tgt_lang]
    store = tt_tmx.tmxfile.parsestring(xml.encode("utf-8"))
    assert store.sourcelanguage == src_lang
    unit = store.units[0]
    assert unit.source == "Hola." and unit.gettarget(tgt_lang) == "Hello."
    explicit = tt_tmx.tmxfile.parsestring(xml.encode("utf-8"), src_lang, tgt_lang)
    assert (explicit.units[0].source, explicit.units[0].target) == ("Hola.", "Hello.")


def test_literal_markup_stays_text_and_never_becomes_an_element():
    xml, _ = write([TranslationUnit("Pulse <b>Aceptar</b> & <br/>", "Press <b>OK</b> & <br/>")])
    assert "&lt;b&gt;Aceptar&lt;/b&gt; &amp; &lt;br/&gt;" in xml
    root = ET.fromstring(xml.encode("utf-8"))
    assert all(len(seg) == 0 for seg in root.iter("seg"))
    assert toolkit_units(xml) == [("Pulse <b>Aceptar</b> & <br/>", "Press <b>OK</b> & <br/>")]


def test_invalid_characters_are_removed_and_counted_and_empty_units_skipped():
    xml, stats = write([TranslationUnit("a\x00b\x1b\ufffe", "c\ud800"), TranslationUnit("\x01\x02", "x"),
                        TranslationUnit("Palabra\x07pegada, \x07suelta\x13", "word\x0e\x0fglued")])
    assert toolkit_units(xml) == [("a b", "c"), ("Palabra pegada, suelta", "word glued")]  # no words glued
    assert stats.removed_chars == 11
    assert (stats.written, stats.empty) == (2, 1)


def test_carriage_returns_and_edge_whitespace_survive():
    xml, _ = write([TranslationUnit("  uno\r\ndos\r ", "\tone\rtwo\n")])
    assert toolkit_units(xml) == [("  uno\r\ndos\r ", "\tone\rtwo\n")]


def test_long_segments_are_written_in_full_and_reported():
    long = "palabra " * 20_000
    xml, stats = write([TranslationUnit("corto", "short", {"x-document": "d1"}), TranslationUnit(long, "x")],
                       max_length=1000)
    assert toolkit_units(xml)[1] == (long, "x")
    assert [(s.unit, s.side, s.length, s.document) for s in stats.long_segments] == [(1, "src", len(long), "")]
    _, stats = write([TranslationUnit(long, "x")], max_length=None)
    assert stats.long_segments == []


def test_props_and_unit_dates_are_written():
    naive = datetime(2024, 1, 2, 3, 4, 5)
    xml, _ = write([TranslationUnit("a", "b", {"x-status": "confirmed", "x-document": "<doc>"}, naive, WHEN)])
    tu = ET.fromstring(xml.encode("utf-8")).find("body/tu")
    assert tu.get("creationdate") == "20240102T030405Z"
    assert tu.get("changedate") == "20240301T123005Z"
    assert [(p.get("type"), p.text) for p in tu.findall("prop")] == [("x-status", "confirmed"),
                                                                       ("x-document", "<doc>")]
    store = tt_tmx.tmxfile.parsestring(xml.encode("utf-8"))
    assert (store.units[0].source, store.units[0].target) == ("a", "b")


FOREIGN_14 = """<?xml version="1.0" encoding="UTF-16"?>
<tmx version="1.4">
<header creationtool="SDL Language Platform" creationtoolversion="8.1" o-tmf="SDL TM8 Format" datatype="xml"
 segtype="sentence" adminlang="en-US" srclang="es-ES"/>
<body>
<tu creationdate="20230405T101112Z" creationid="TRANSLATOR">
  <prop type="x-Origin">TM</prop>
  <tuv xml:lang="en-US"><seg>Press <bpt i="1">&lt;b&gt;</bpt>OK<ept i="1">&lt;/b&gt;</ept> now.</seg></tuv>
  <tuv xml:lang="es-ES"><seg>Pulse <bpt i="1">&lt;b&gt;</bpt>Aceptar<ept i="1">&lt;/b&gt;</ept> ahora.</seg></tuv>
</tu>
<tu>
  <tuv xml:lang="es-ES"><seg>Línea<ph x="1">&lt;br/&gt;</ph> dos <hi type="b">fuerte</hi>.</seg></tuv>
  <tuv xml:lang="en-US"><seg>Line<ph x="1">&lt;br/&gt;</ph> two <hi type="b">strong</hi>.</seg></tuv>
</tu>
<tu>
  <tuv xml:lang="es-ES"><seg>Sólo en español.</seg></tuv>
</tu>
</body>
</tmx>
"""

FOREIGN_11 = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.1">
<header creationtool="OldTool" creationtoolversion="1" o-tmf="x" datatype="plaintext" segtype="sentence"
 adminlang="EN" srclang="*all*"/>
<body>
<tu><tuv lang="ES"><seg>Hola.</seg></tuv><tuv lang="EN-GB"><seg>Hello.</seg></tuv></tu>
<tu><tuv lang="EN-GB"><seg>Bye.</seg></tuv><tuv lang="ES"><seg>Adiós.</seg></tuv></tu>
</body>
</tmx>
"""


def test_reads_a_trados_style_utf16_file_with_inline_codes(tmp_path):
    path = tmp_path / "trados.tmx"
    path.write_bytes(FOREIGN_14.encode("utf-16"))
    info, units = read_tmx(path, "es", "en")
    units = list(units)
    assert (info.version, info.src_lang, info.tgt_lang) == ("1.4", "es-ES", "en-US")
    assert info.header["creationtool"] == "SDL Language Platform"
    assert [(u.src, u.tgt) for u in units] == [("Pulse Aceptar ahora.", "Press OK now."),
                                             ("Línea dos fuerte.", "Line two strong."),
                                             ("Sólo en español.", "")]
    assert units[0].created == datetime(2023, 4, 5, 10, 11, 12, tzinfo=UTC)
    assert units[0].props == {"x-Origin": "TM"}
    assert [u.codes for u in units] == [4, 2, 0]


SUBFLOWS = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="t" creationtoolversion="1" o-tmf="t" datatype="rtf" segtype="sentence"
 adminlang="en" srclang="es"/>
<body>
<tu><tuv xml:lang="es"><seg>Ver la nota<ph x="1">{\\footnote <sub>Cifras de <hi>2023</hi>.</sub>}</ph>. Un <bpt i="1">&lt;a title="<sub>Mapa</sub>"&gt;</bpt>enlace<ept i="1">&lt;/a&gt;</ept> aquí<ph><sub>uno</sub></ph><ph><sub>dos</sub></ph></seg></tuv>
<tuv xml:lang="en"><seg>See the note<ph x="1">{\\footnote <sub>Figures <ph>&lt;b/&gt;</ph>for 2023.</sub>}</ph> and a link</seg></tuv></tu>
</body></tmx>
"""


BREAKS = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="t" creationtoolversion="1" o-tmf="t" datatype="html" segtype="sentence"
 adminlang="en" srclang="es"/>
<body>
<tu><tuv xml:lang="es"><seg>Precio: 5 €<ph x="2">&lt;br/&gt;</ph>IVA incluido<ph x="3">&lt;br&gt;</ph>.</seg></tuv>
<tuv xml:lang="en"><seg>Price: €5<ph type="lb"/>VAT in<bpt i="1">&lt;b&gt;</bpt>cl<ept i="1">&lt;/b&gt;</ept>uded <ph x="1">&lt;br/&gt;</ph>now</seg></tuv></tu>
</body></tmx>
"""


def test_a_code_for_a_line_break_reads_as_a_space(tmp_path):
    """Dropping <ph>&lt;br/&gt;</ph> glued the words on either side ("5 €IVA"); formatting codes inside a word
    still join it."""
    path = tmp_path / "html.tmx"
    path.write_text(BREAKS, encoding="utf-8")
    [unit] = read_tmx(path)[1]
    assert (unit.src, unit.tgt) == ("Precio: 5 € IVA incluido.", "Price: €5 VAT included now")


def test_the_text_of_a_subflow_inside_a_code_is_kept_and_the_code_dropped(tmp_path):
    path = tmp_path / "rtf.tmx"
    path.write_text(SUBFLOWS, encoding="utf-8")
    [unit] = read_tmx(path)[1]
    assert unit.src == "Ver la nota Cifras de 2023.. Un Mapa enlace aquí uno dos"
    assert unit.tgt == "See the note Figures for 2023. and a link"
    assert unit.codes == 7


def test_languages_default_to_the_header_and_the_first_other_tuv(tmp_path):
    path = tmp_path / "trados.tmx"
    path.write_bytes(FOREIGN_14.encode("utf-16"))
    info, units = read_tmx(path)
    assert (info.src_lang, info.tgt_lang) == ("es-ES", "en-US")
    assert next(units).src == "Pulse Aceptar ahora."


def test_reads_tmx_11_with_lang_attributes_and_srclang_all(tmp_path):
    path = tmp_path / "old.tmx"
    path.write_text(FOREIGN_11, encoding="utf-8")
    info, units = read_tmx(path, src_lang="es")
    assert info.tgt_lang == "EN-GB"
    assert [(u.src, u.tgt) for u in units] == [("Hola.", "Hello."), ("Adiós.", "Bye.")]
    info, units = read_tmx(path)
    assert (info.src_lang, info.tgt_lang) == ("ES", "EN-GB")


def test_an_empty_body_gives_no_units(tmp_path):
    path = tmp_path / "empty.tmx"
    path.write_text(write([])[0], encoding="utf-8")
    info, units = read_tmx(path)
    assert info.src_lang == "es" and list(units) == []


@pytest.mark.parametrize("content", ["<tmx version='1.4'><body><tu>", "not xml at all", ""])
def test_malformed_files_raise_an_input_error_naming_the_file(tmp_path, content):
    path = tmp_path / "bad.tmx"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match="bad.tmx"):
        _, units = read_tmx(path)
        list(units)


def test_bad_unit_dates_raise_an_input_error(tmp_path):
    path = tmp_path / "dates.tmx"
    path.write_text(FOREIGN_11.replace("<tu>", '<tu creationdate="2024-01-01">', 1), encoding="utf-8")
    with pytest.raises(InputError, match="YYYYMMDDThhmmssZ"):
        list(read_tmx(path)[1])


def test_missing_file_raises_an_input_error(tmp_path):
    with pytest.raises(InputError, match="nope.tmx"):
        read_tmx(tmp_path / "nope.tmx")
