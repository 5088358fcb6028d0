"""Segmentation: paragraphs at blank lines, sentences with the shipped Punkt models plus our abbreviations and
continuation rules, offsets that point into the decoded text."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.errors import InputError, SegmentationError
from aligner.segment import has_punkt_model, has_sentence_splitter, load_document, segment_lines, segment_text


def texts(doc):
    return [s.text for s in doc.sentences]


def norm(s: str) -> str:
    return " ".join(s.split())


def assert_offsets_coherent(doc):
    """Each sentence's text is its span of doc.text with whitespace normalised; spans are ordered, disjoint."""
    prev_end, prev_para = 0, 0
    for k, s in enumerate(doc.sentences):
        assert s.id == k
        assert 0 <= prev_end <= s.start < s.end <= len(doc.text)
        assert norm(doc.text[s.start:s.end]) == s.text
        assert s.paragraph >= prev_para
        prev_end, prev_para = s.end, s.paragraph


# ---- sentences -------------------------------------------------------------------------------------------------

ES_PARAGRAPH = (
    "El Sr. García y la Sra. Ruiz llegaron a las 10 a. m. con la Dra. Pérez. "
    "Venían de EE.UU. para firmar el acuerdo. "
    "Traían regalos, p. ej. libros y discos. "
    "«¿Vienes?», preguntó ella. "
    "¿Y ahora qué? nadie lo sabía. "
    "Después viajaron a EE. UU. otra vez."
)
ES_EXPECTED = [
    "El Sr. García y la Sra. Ruiz llegaron a las 10 a. m. con la Dra. Pérez.",
    "Venían de EE.UU. para firmar el acuerdo.",
    "Traían regalos, p. ej. libros y discos.",
    "«¿Vienes?», preguntó ella.",
    "¿Y ahora qué? nadie lo sabía.",
    "Después viajaron a EE. UU. otra vez.",
]

EN_PARAGRAPH = (
    "Dr. Brown met Mr. Smith in the U.S. capital at 10 a.m. on Monday. "
    "They brought fruit, e.g. apples and pears. "
    '"Are you coming?", she asked. '
    "“Not today,” he said. "
    "What? no way. "
    "The talks ended at 5 p.m. sharp."
)
EN_EXPECTED = [
    "Dr. Brown met Mr. Smith in the U.S. capital at 10 a.m. on Monday.",
    "They brought fruit, e.g. apples and pears.",
    '"Are you coming?", she asked.',
    "“Not today,” he said.",
    "What? no way.",
    "The talks ended at 5 p.m. sharp.",
]


def test_spanish_abbreviations_quotes_and_lower_case_continuations():
    doc = segment_text(ES_PARAGRAPH, "es")
    assert texts(doc) == ES_EXPECTED
    assert_offsets_coherent(doc)


def test_english_abbreviations_quotes_and_lower_case_continuations():
    doc = segment_text(EN_PARAGRAPH, "en")
    assert texts(doc) == EN_EXPECTED
    assert_offsets_coherent(doc)


def test_spanish_dialogue_dash_continuation_stays_with_its_line():
    doc = segment_text("—¿Vienes? —preguntó ella. —Sí. —Entonces vamos.", "es")
    assert texts(doc) == ["—¿Vienes? —preguntó ella.", "—Sí.", "—Entonces vamos."]


@pytest.mark.parametrize("lang,text,expected", [
    ("es", "Habló el Sr. El Hadji Diouf. Luego se fue.", ["Habló el Sr. El Hadji Diouf.", "Luego se fue."]),
    ("es", "Vino la Sra. La Rosa con la Dra. De la Vega. Fin.",
     ["Vino la Sra. La Rosa con la Dra. De la Vega.", "Fin."]),
    ("en", "Ask Mr. The Rock. He knows.", ["Ask Mr. The Rock.", "He knows."]),
])
def test_a_title_never_ends_a_sentence_even_before_a_common_word(lang, text, expected):
    assert texts(segment_text(text, lang)) == expected


def test_plain_sentences_still_split():
    assert texts(segment_text("Llovía. El tren llegó tarde. ¿Por qué? ¡Nadie lo sabe!", "es")) == [
        "Llovía.", "El tren llegó tarde.", "¿Por qué?", "¡Nadie lo sabe!"]


@pytest.mark.parametrize("lang,heading", [("es", "1. Introducción"), ("es", "2.1. Métodos y datos"),
                                          ("es", "IV. Resultados"), ("en", "3. Related work")])
def test_numbered_heading_is_one_sentence(lang, heading):
    doc = segment_text(f"{heading}\n\nUna frase. Otra frase.", lang)
    assert texts(doc)[0] == heading
    assert doc.sentences[0].paragraph == 0 and doc.sentences[1].paragraph == 1


# ---- paragraphs, headings, lines --------------------------------------------------------------------------------

DOC = """CAPÍTULO PRIMERO

El viaje

Aquella mañana el Sr. Ortega salió temprano de casa. Llovía sobre la
ciudad y nadie le esperaba en la estación del norte, donde los trenes de
Madrid llegaban siempre con retraso.
  
Fin.
"""


def test_paragraphs_headings_and_one_line_paragraphs():
    doc = segment_text(DOC, "es")
    assert [(s.paragraph, s.text) for s in doc.sentences] == [
        (0, "CAPÍTULO PRIMERO"),
        (1, "El viaje"),
        (2, "Aquella mañana el Sr. Ortega salió temprano de casa."),
        # hard-wrapped prose is joined again, even where a wrapped line starts with a capital
        (2, "Llovía sobre la ciudad y nadie le esperaba en la estación del norte, donde los trenes de "
            "Madrid llegaban siempre con retraso."),
        (3, "Fin."),  # a line of spaces between paragraphs is a blank line
    ]
    assert_offsets_coherent(doc)


def test_heading_line_directly_above_prose_is_its_own_sentence():
    doc = segment_text("Chapter One\nIt was a cold morning. Nobody came.", "en")
    assert texts(doc) == ["Chapter One", "It was a cold morning.", "Nobody came."]
    assert {s.paragraph for s in doc.sentences} == {0}


def test_several_blank_lines_make_one_paragraph_break():
    doc = segment_text("\n\nUno.\n\n\n\n\nDos.\n\n", "es")
    assert [(s.paragraph, s.text) for s in doc.sentences] == [(0, "Uno."), (1, "Dos.")]
    assert_offsets_coherent(doc)


def test_no_sentences_is_an_error():
    with pytest.raises(SegmentationError, match="empty.txt"):
        segment_text(" \n\n \t\n", "es", "empty.txt")


def test_document_records_language_and_path():
    doc = segment_text("Hola.", "ES", "a.txt")
    assert (doc.lang, doc.path, len(doc)) == ("es", "a.txt", 1)
    assert doc.texts == ["Hola."] and doc.paragraphs == [0]


# ---- offsets with BOM and CRLF ----------------------------------------------------------------------------------

def test_offsets_point_into_the_decoded_text_of_a_bom_crlf_file(tmp_path):
    p = tmp_path / "bom.txt"
    raw = "Título\r\n\r\nEl Sr. Díaz llegó. Se fue pronto.\r\nOtra línea aquí.\r\n"
    p.write_bytes(codecs.BOM_UTF8 + raw.encode("utf-8"))
    doc = load_document(p, "es")
    decoded = raw.replace("\r\n", "\n")
    assert doc.text == decoded  # BOM gone, LF line ends: offsets count characters of this string
    assert doc.path == str(p)
    assert [(s.paragraph, s.text) for s in doc.sentences] == [
        (0, "Título"), (1, "El Sr. Díaz llegó."), (1, "Se fue pronto."), (1, "Otra línea aquí.")]
    assert_offsets_coherent(doc)
    assert decoded[doc.sentences[1].start:doc.sentences[1].end] == "El Sr. Díaz llegó."
    assert doc.sentences[0].start == 0  # no BOM character counted


def test_segment_text_on_undecoded_crlf_text_still_finds_paragraphs():
    text = "Title\r\n\r\nFirst one. Second one.\r\n"
    doc = segment_text(text, "en")
    assert [(s.paragraph, s.text) for s in doc.sentences] == [(0, "Title"), (1, "First one."), (1, "Second one.")]
    assert_offsets_coherent(doc)


def test_a_stray_bom_is_not_part_of_a_sentence():
    doc = segment_text("\ufeffTitle\n\nBody.", "en")
    assert texts(doc) == ["Title", "Body."]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([
    "El Sr. Gómez llegó.", "Vino de EE.UU. ayer.", "«¿Vienes?», dijo.", "¿Qué? nada.", "Mr. Brown left.",
    "Título", "a las 8 a. m. salió.", "Fin", "1.", "\n", "\n\n", "\r\n", "  ", "\t", "\n \n",
]), min_size=1).map(" ".join).filter(str.strip))
def test_offsets_and_coverage_on_generated_text(text):
    doc = segment_text(text, "es")
    assert_offsets_coherent(doc)
    # nothing is lost: every non-space character belongs to exactly one sentence
    covered = "".join(doc.text[s.start:s.end] for s in doc.sentences)
    assert "".join(covered.split()) == "".join(text.replace("\ufeff", "").split())


# ---- languages ----------------------------------------------------------------------------------------------------

def test_which_languages_have_a_model():
    assert has_punkt_model("es") and has_punkt_model("en") and has_punkt_model("EN") and has_punkt_model("es-MX")
    assert not has_punkt_model("is") and not has_punkt_model("eu")


def test_other_languages_fall_back_to_the_english_model():
    text = "Dr. Jónsson kom heim. Hann var þreyttur."
    assert texts(segment_text(text, "is")) == texts(segment_text(text, "en")) == [
        "Dr. Jónsson kom heim.", "Hann var þreyttur."]


def test_language_model_matters():
    # "Sra." is a Spanish abbreviation, not an English one
    assert len(segment_text("Vino la Sra. Ruiz.", "es")) == 1


# ---- pre-segmented input -----------------------------------------------------------------------------------------

def test_segment_lines_keeps_line_numbers_and_blank_lines():
    text = "Uno.\n\n  Dos   tres.  \nCuatro.\n"
    doc = segment_lines(text, "ES", "p.txt")
    assert [(s.id, s.text) for s in doc.sentences] == [(0, "Uno."), (1, ""), (2, "Dos tres."), (3, "Cuatro.")]
    assert doc.lang == "es"
    for s in doc.sentences:
        assert norm(text[s.start:s.end]) == s.text


def test_segment_lines_without_final_newline():
    assert texts(segment_lines("a\nb", "en")) == ["a", "b"]


def test_segment_lines_a_final_blank_line_is_a_line():
    assert texts(segment_lines("a\nb\n\n", "en")) == ["a", "b", ""]


def test_segment_lines_is_linear_time():
    import time

    text = "Una frase corta.\n" * 50_000
    t0 = time.perf_counter()
    doc = segment_lines(text, "es")
    assert len(doc) == 50_000 and doc.sentences[-1].id == 49_999
    assert time.perf_counter() - t0 < 2.0


def test_load_document_presegmented(tmp_path):
    p = tmp_path / "lines.txt"
    p.write_bytes(b"Dr. Smith.\r\nHe left. She stayed.\r\n")
    doc = load_document(p, "en", presegmented=True)
    assert texts(doc) == ["Dr. Smith.", "He left. She stayed."]


def test_load_document_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="missing.txt: no such file"):
        load_document(tmp_path / "missing.txt", "es")
    (tmp_path / "blank.txt").write_text("\n\n")
    with pytest.raises(InputError, match="blank.txt: the file is empty"):
        load_document(tmp_path / "blank.txt", "es")


def test_no_break_spaces_are_text_and_other_whitespace_collapses():
    """'21 %' and '14 000' with no-break spaces are typography that CAT tools keep (they became plain spaces);
    line breaks, tabs, em spaces and a BOM still collapse to one space."""
    doc = segment_text("El IVA sube al 21\u00a0% desde hoy.\tSon 14\u202f000\neuros.\u2003\ufeffFin.", "es")
    assert [s.text for s in doc.sentences] == ["El IVA sube al 21\u00a0% desde hoy.", "Son 14\u202f000 euros.", "Fin."]
    lines = segment_lines("  Cifra:\u00a0\u2007 7 \r\nOtra\u00a0línea.\u2028\n", "es")
    assert [s.text for s in lines.sentences] == ["Cifra:\u00a0\u2007 7", "Otra\u00a0línea."]


@pytest.mark.parametrize("lang", ["zh", "zh-TW", "ja"])
def test_chinese_and_japanese_sentences_end_at_their_own_stops(lang):
    """Punkt never split at 。！？ (no space follows them): a paragraph was one sentence."""
    text = ("政府昨天批准了一项新的住房法。该法律限制大城市的租金！真的吗？ 是的。\n\n"
            "「はい。」と彼は言った。最後の文…まだ続く\n")
    doc = segment_text(text, lang)
    assert [(s.text, s.paragraph) for s in doc.sentences] == [
        ("政府昨天批准了一项新的住房法。", 0), ("该法律限制大城市的租金！", 0), ("真的吗？", 0), ("是的。", 0),
        ("「はい。」と彼は言った。", 1), ("最後の文…", 1), ("まだ続く", 1)]
    assert all(text[s.start:s.end] == s.text for s in doc.sentences)
    assert has_sentence_splitter(lang) and not has_sentence_splitter("is")
