"""Reading user files: UTF-8 with or without BOM, any line ends; every other input fails with the file's name."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aligner.errors import AlignerError, InputError
from aligner.textio import decode_text, read_text


def test_plain_utf8_is_returned_unchanged():
    assert decode_text("Señor García, ¿qué tal?\n".encode(), "a.txt") == "Señor García, ¿qué tal?\n"


def test_bom_is_removed():
    assert decode_text(codecs.BOM_UTF8 + "Año.\n".encode(), "a.txt") == "Año.\n"


def test_windows_and_old_mac_line_ends_become_lf():
    assert decode_text(b"uno\r\ndos\rtres\n", "a.txt") == "uno\ndos\ntres\n"


def test_bom_and_crlf_together():
    data = codecs.BOM_UTF8 + "Título\r\n\r\nUna frase.\r\n".encode()
    assert decode_text(data, "a.txt") == "Título\n\nUna frase.\n"


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\r\n"])
def test_empty_or_blank_file(data):
    with pytest.raises(InputError, match=r"^e\.txt: the file is empty"):
        decode_text(data, "e.txt")


def test_latin1_names_file_byte_and_line():
    with pytest.raises(InputError) as exc:
        decode_text("Primera línea\nCafé con leche\n".encode("latin-1"), "lat.txt")
    msg = str(exc.value)
    assert msg.startswith("lat.txt: not valid UTF-8")
    assert "0xed" in msg and "line 1" in msg
    assert "iconv -f latin1 -t utf-8" in msg


def test_a_windows_1252_file_is_told_to_convert_from_cp1252():
    """Curly quotes and dashes are bytes 0x80-0x9F in Windows-1252: converted as Latin-1 (the advice given
    before), they turn into invisible control characters."""
    data = "Dijo \u201cno\u201d \u2013 y se fue; cuesta 5 \u20ac.\n".encode("cp1252")
    with pytest.raises(InputError, match=r"iconv -f cp1252 -t utf-8"):
        decode_text(data, "w.txt")
    wrongly = data.decode("latin-1").encode("utf-8")  # what iconv -f latin1 makes of it
    with pytest.raises(InputError, match=r"^w\.txt: control character U\+0093 on line 1, .*iconv -f cp1252"):
        decode_text(wrongly, "w.txt")


def test_a_file_mixing_utf8_and_latin1_is_told_to_fix_the_line_not_to_convert_it_all():
    """Its UTF-8 dashes and euro signs hold bytes 0x80-0x9F: it was told to convert from cp1252, which garbles
    every UTF-8 character of it."""
    data = "Dijo «sí» — vale 5 €.\n".encode() + "Café con leche\n".encode("latin-1")
    with pytest.raises(InputError, match=r"line 2\): the file mixes UTF-8 with another encoding; fix that line") as exc:
        decode_text(data, "m.txt")
    assert "iconv" not in str(exc.value)


@pytest.mark.parametrize("text", ["Dijo: \u201cESTÁ AQUÍ\u201d y se fue.\n", "EL PAÍS» y \u201cPAPÉ\u201d\n"])
def test_a_windows_1252_file_whose_bytes_happen_to_pair_is_not_taken_for_a_mixed_one(text):
    with pytest.raises(InputError, match=r"iconv -f cp1252 -t utf-8"):
        decode_text(text.encode("cp1252"), "w.txt")


def test_a_next_line_character_is_text_not_a_windows_1252_leftover():
    assert decode_text("Línea\u0085otra\n".encode(), "n.txt") == "Línea\u0085otra\n"


def test_undecodable_byte_on_a_later_line_reports_that_line():
    with pytest.raises(InputError, match=r"0xe9 at offset 17, line 3"):
        decode_text(b"one\ntwo\nthree caf\xe9\n", "x.txt")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_or_without_bom_is_named(codec):
    with pytest.raises(InputError, match=r"^u\.txt: .*UTF-16.*UTF-8"):
        decode_text("Hola, mundo. ¿Qué tal?\n".encode(codec), "u.txt")


@pytest.mark.parametrize("data", [
    bytes.fromhex("89504e470d0a1a0a0000000d494844520000001000000010080600000000"),  # a PNG header
    b"%PDF-1.7\n" + bytes(range(32)) * 4,
    b"Hola mundo.\n" * 2000 + b"\x00",  # a NUL beyond the first 8 KiB still means binary
], ids=["png", "controls", "late-nul"])
def test_binary_data(data):
    with pytest.raises(InputError, match=r"^b\.bin: this looks like a binary file"):
        decode_text(data, "b.bin")


def test_a_few_control_characters_are_tolerated():
    assert decode_text(b"page one\x0cpage two\x1b done", "c.txt") == "page one\x0cpage two\x1b done"


def test_read_text_missing_file(tmp_path):
    p = tmp_path / "nope.txt"
    with pytest.raises(InputError, match="nope.txt: no such file"):
        read_text(p)


def test_read_text_folder(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_text(tmp_path)


def test_read_text_decodes_and_names_the_path(tmp_path):
    p = tmp_path / "doc.txt"
    p.write_bytes(codecs.BOM_UTF8 + "Hola.\r\nAdiós.\r\n".encode())
    assert read_text(p) == "Hola.\nAdiós.\n"
    p.write_bytes(b"\xff\xfeH\x00")
    with pytest.raises(InputError) as exc:
        read_text(p)
    assert str(p) in str(exc.value)


def test_input_error_is_an_aligner_error():
    # the CLI and the TUI turn every AlignerError into a message; InputError must be one
    assert issubclass(InputError, AlignerError)


@given(st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n"), min_size=1)
       .filter(str.strip))
def test_any_text_round_trips_through_utf8_with_bom_and_crlf(text):
    data = codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode("utf-8")
    assert decode_text(data, "h.txt") == text
