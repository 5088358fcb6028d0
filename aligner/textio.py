"""Reading user files safely: every failure names the file and the problem, and nothing is guessed silently."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from .errors import InputError

# Whitespace that may break a line: collapsed to one space. The no-break spaces (U+00A0, U+2007, U+202F: "21 %",
# "14 000" in French and Spanish typography) are text that CAT tools keep, so they are kept too; a BOM is a space.
_BREAKING_SPACE = re.compile("[\t\n\v\f\r \x1c-\x1f\x85\u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f"
                             "\u3000\ufeff]+")


def one_line(text: str) -> str:
    """A sentence's text on one line: each run of breaking whitespace (line breaks of hard-wrapped prose
    included) becomes one space, no-break spaces stay, and whitespace at both ends goes."""
    return _BREAKING_SPACE.sub(" ", text).strip()



# Languages written without a space between sentences: the sentences of a merged bead are joined without one.
SPACELESS = frozenset({"zh", "ja"})


# The invisible controls that reorder the text after them (bidi embeddings, overrides and isolates): shown on a
# screen or page they reverse words ("district" read "tcirtsid"), so what an editor reads is not what the file
# holds. Displays mark them instead (`mark_controls`); the stored text and the exports keep them.
BIDI_CONTROLS = {"\u202a": "LRE", "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO",
                 "\u2066": "LRI", "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI"}
_BIDI = re.compile("[" + "".join(BIDI_CONTROLS) + "]")


def has_controls(text: str) -> bool:
    """Whether `text` holds a bidi control (BIDI_CONTROLS), which reorders what follows it on screen."""
    return bool(_BIDI.search(text))


def mark_controls(text: str, mark=lambda name, char: f"⟨{name}⟩") -> str:
    """`text` with each bidi control replaced by mark(its name, the character): '⟨RLO⟩' by default."""
    return _BIDI.sub(lambda m: mark(BIDI_CONTROLS[m[0]], m[0]), text) if _BIDI.search(text) else text


def sentence_separator(lang: str) -> str:
    """What stands between two sentences of `lang` (a code such as 'zh' or 'zh-tw') joined into one segment."""
    return "" if lang.lower().replace("_", "-").split("-")[0] in SPACELESS else " "


def join_sentences(texts, lang: str) -> str:
    """Sentences of `lang` as one text, as a merged bead's side is written out (a TMX segment, a TSV cell)."""
    return sentence_separator(lang).join(texts)


def split_joined(text: str, lengths) -> list[str]:
    """The sentences that join_sentences joined into `text`, cut back by their `lengths`, whichever separator the
    language has; [] when the lengths do not fit the text."""
    gap = len(text) - sum(lengths)
    if not lengths or gap not in (0, len(lengths) - 1) or (gap and any(
            text[pos] != " " for pos in _gaps(lengths))):
        return []
    width = 1 if gap else 0
    parts, pos = [], 0
    for n in lengths:
        parts.append(text[pos:pos + n])
        pos += n + width
    return parts


def _gaps(lengths):
    """Where the separators stand in a text of sentences of `lengths` joined by one character."""
    pos = 0
    for n in lengths[:-1]:
        pos += n
        yield pos
        pos += 1

# C1 controls that Windows-1252 uses for quotes, dashes, the euro sign...: what those become when a Windows-1252
# file is converted as Latin-1 (the five it leaves undefined, and U+0085, a line break, are not reported)
_C1 = re.compile("[\x80\x82-\x84\x86-\x8c\x8e\x91-\x9c\x9e\x9f]")

# Bytes that never occur in text: a NUL, or other C0 controls beyond a small tolerance, mean a binary file.
_CONTROL = set(range(0, 9)) | {11, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}


def decode_text(data: bytes, name: str) -> str:
    """Decode UTF-8 (with or without BOM), normalise CRLF/CR to LF, and reject binary or undecodable input, and
    text with the control characters a Windows-1252 file converted as Latin-1 is left with."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        raise InputError(f"{name}: the file is UTF-16; save it as UTF-8")
    head = data[:8192]
    nul_even, nul_odd = head[0::2].count(0), head[1::2].count(0)
    if len(head) >= 4 and min(nul_even, nul_odd) == 0 and max(nul_even, nul_odd) > len(head) / 4:
        raise InputError(f"{name}: the file looks like UTF-16 without a byte-order mark; save it as UTF-8")
    if b"\x00" in data or sum(b in _CONTROL for b in head) > 8:
        raise InputError(f"{name}: this looks like a binary file, not plain text")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        where = f"byte 0x{data[exc.start]:02x} at offset {exc.start}, line {line}"
        if _mixed(data):  # converting the whole file would garble its UTF-8 part
            raise InputError(f"{name}: not valid UTF-8 ({where}): the file mixes UTF-8 with another encoding; fix "
                             f"that line (and any other the error names) in an editor, saving as UTF-8") from None
        raise InputError(
            f"{name}: not valid UTF-8 ({where}); "
            f"convert it to UTF-8 (for example: iconv -f {_legacy_encoding(data)} -t utf-8)"
        ) from None
    if c1 := _C1.search(text):
        line = text[: c1.start()].count("\n") + 1
        raise InputError(
            f"{name}: control character U+{ord(c1.group()):04X} on line {line}, where Windows-1252 has "
            f"{bytes([ord(c1.group())]).decode('cp1252')!r}: the file was converted from Windows-1252 as if it were "
            f"Latin-1; convert the original again with iconv -f cp1252 -t utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(f"{name}: the file is empty")
    return text


def _mixed(data: bytes) -> bool:
    """Whether a file that is not valid UTF-8 still holds UTF-8 accented letters, punctuation or currency signs (a
    line pasted in from elsewhere): no single conversion of the whole file is right then. Other characters that
    decode by chance (a Windows-1252 "Í" before a curly quote reads as U+0354) do not count."""
    text = data.decode("utf-8", "surrogateescape")
    return any("\xa0" <= c <= "\u024f" or "\u2010" <= c <= "\u20ac" for c in text)


def _legacy_encoding(data: bytes) -> str:
    """The 8-bit encoding a non-UTF-8 file most likely has: Windows-1252 when it uses bytes 0x80-0x9F (curly
    quotes, dashes, the euro sign), which are control characters in Latin-1; Latin-1 otherwise."""
    if any(0x80 <= b <= 0x9F for b in data):
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    return "latin1"


def read_text(path: str | Path) -> str:
    """Read a plain-text file as str, with the checks of `decode_text`."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a text file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror})") from None
    return decode_text(data, str(p))
