"""TMX 1.4b: a streaming writer whose files OmegaT, Trados and memoQ accept, and a reader for TMX from any tool.

The writer emits one <tu> per unit as units arrive, and the reader clears each <tu> once read, so a memory of any
size passes through in bounded memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import IO
from xml.etree import ElementTree as ET

from .errors import InputError

TMX_DATE = "%Y%m%dT%H%M%SZ"
DEFAULT_MAX_LENGTH = 1000
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# XML 1.0 allows TAB, LF, CR and these ranges; anything else (C0 controls, lone surrogates, U+FFFE/FFFF) is removed
# (clean_text).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]+")
# Inline elements whose content is the original formatting code (e.g. "<b>"), not translatable text.
_CODE_TAGS = frozenset({"bpt", "ept", "it", "ph", "ut"})
_BREAK_CODE = re.compile(r"<br\b|<p\b|</p>|\\line\b|\\par\b|\n", re.IGNORECASE)
_SUB_END = "\x00"  # never in XML text
_AFTER_SUB = re.compile("\x00(?=[\\s.,;:!?)\\]}»”’]|\x00|$)")


@dataclass(frozen=True, slots=True)
class TranslationUnit:
    """One <tu>: source and target text, <prop type=...> values in order, and the unit's dates."""

    src: str
    tgt: str
    props: Mapping[str, str] = field(default_factory=dict)
    created: datetime | None = None
    changed: datetime | None = None
    codes: int = 0  # inline formatting codes (<bpt>, <ph>, ...) dropped from both sides' text
    others: tuple[str, ...] = ()  # the unit's other languages, left out (a pair holds two)
    segtype: str | None = None  # the unit's own segmentation where it is not the header's 'sentence': 'block'
    extras: tuple[str, ...] = ()  # what else the unit carried, which a reader may not keep: '<note>', 'tuid'...
    notes: tuple[str, ...] = ()  # the unit's <note>s (ours: the notes of the flags on the bead)


@dataclass(frozen=True, slots=True)
class LongSegment:
    """A segment over the length limit, written in full and reported; `unit` is its <tu>'s 0-based position."""

    unit: int
    side: str
    length: int
    document: str = ""


@dataclass(slots=True)
class TmxStats:
    """What the writer did beyond copying text: filled in while it writes."""

    written: int = 0
    empty: int = 0
    removed_chars: int = 0
    removed_in: list[tuple[str, int]] = field(default_factory=list)  # (x-document, 0-based unit) where they were
    long_segments: list[LongSegment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TmxInfo:
    """What a TMX file says about itself, and the languages the reader picked for source and target."""

    version: str
    header: Mapping[str, str]
    src_lang: str
    tgt_lang: str


def tmx_date(when: datetime) -> str:
    """TMX's YYYYMMDDThhmmssZ in UTC; a naive datetime is taken to be UTC already (as SQLite stores it)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime(TMX_DATE)


def parse_tmx_date(text: str) -> datetime:
    return datetime.strptime(text, TMX_DATE).replace(tzinfo=UTC)


# Scripts written without spaces between words: CJK punctuation, kana, CJK ideographs and their extensions,
# CJK compatibility ideographs, full-width forms.
_SPACELESS = re.compile("[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")


def clean_text(text: str) -> tuple[str, int]:
    """The text without the characters XML 1.0 forbids, and how many there were. A run of them between two
    words becomes a space (a control character pasted from a word processor, "Palabra\\x07pegada", would
    otherwise glue two words together); elsewhere it is removed, and so it is next to Chinese or Japanese
    characters, which take no space between words; between two spaces it goes with one of them (no double space,
    which a CAT tool's QA check flags)."""
    if not _NOT_XML.search(text):
        return text, 0
    out, last, removed = [], 0, 0
    for m in _NOT_XML.finditer(text):
        a, b = m.span()
        removed += b - a
        out.append(text[last:a])
        before, after = text[a - 1] if a else "", text[b] if b < len(text) else ""
        if after in _SPACES and (not before or before in _SPACES):
            b += 1  # at the start, or between two spaces: the space after it goes too
        elif before in _SPACES and not after and out[-1]:
            out[-1] = out[-1][:-1]  # at the end: the space before it goes too
        elif before and after and not (before.isspace() or after.isspace() or _SPACELESS.match(before)
                                       or _SPACELESS.match(after)):
            out.append(" ")
        last = b
    out.append(text[last:])
    return "".join(out), removed


_SPACES = frozenset(" \u00a0\u202f")  # a space, and the no-break ones, which a removal must not leave doubled


def escape(text: str) -> str:
    """Escape the five XML entities, and CR, which a parser would otherwise turn into LF."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;").replace("\r", "&#13;"))


def _header(src_lang: str, created: datetime, tool_version: str) -> str:
    attrs = {
        "creationtool": "aligner", "creationtoolversion": tool_version, "segtype": "sentence",
        "o-tmf": "aligner", "adminlang": "en", "srclang": src_lang, "datatype": "plaintext",
        "creationdate": tmx_date(created),
    }
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n<tmx version="1.4">\n'
            '  <header ' + " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items()) + "/>\n  <body>\n")


def write_tmx(units: Iterable[TranslationUnit], out: IO[str], src_lang: str, tgt_lang: str, *,
              created: datetime | None = None, max_length: int | None = DEFAULT_MAX_LENGTH,
              tool_version: str | None = None) -> TmxStats:
    """Write TMX 1.4b to a text stream opened with encoding='utf-8', one <tu> per unit as the units arrive.

    created: the header's creationdate (now when None); pass a fixed one for byte-identical output.
    A unit with a side that is empty once cleaned is not written (counted in `empty`).
    """
    if tool_version is None:
        from . import __version__ as tool_version
    stats = TmxStats()
    out.write(_header(src_lang, created or datetime.now(UTC), tool_version))
    src_tag, tgt_tag = f'<tuv xml:lang="{escape(src_lang)}"><seg>', f'<tuv xml:lang="{escape(tgt_lang)}"><seg>'
    for unit in units:
        src, n_src = clean_text(unit.src)
        tgt, n_tgt = clean_text(unit.tgt)
        stats.removed_chars += n_src + n_tgt
        if n_src + n_tgt and src and tgt:
            stats.removed_in.append((unit.props.get("x-document", ""), stats.written))
        if not src or not tgt:
            stats.empty += 1
            continue
        if max_length is not None:
            stats.long_segments.extend(
                LongSegment(stats.written, side, len(text), unit.props.get("x-document", ""))
                for side, text in (("src", src), ("tgt", tgt)) if len(text) > max_length)
        out.write(_tu_open(unit))
        for note in unit.notes:  # CAT tools show a unit's notes beside it (TMX 1.4b: <note> and <prop> in any order)
            out.write(f"      <note>{escape(clean_text(note)[0])}</note>\n")
        for key, value in unit.props.items():
            out.write(f'      <prop type="{escape(key)}">{escape(clean_text(value)[0])}</prop>\n')
        out.write(f"      {src_tag}{escape(src)}</seg></tuv>\n      {tgt_tag}{escape(tgt)}</seg></tuv>\n    </tu>\n")
        stats.written += 1
    out.write("  </body>\n</tmx>\n")
    return stats


def _tu_open(unit: TranslationUnit) -> str:
    dates = "".join(f' {name}="{tmx_date(when)}"' for name, when in
                    (("creationdate", unit.created), ("changedate", unit.changed)) if when is not None)
    segtype = f' segtype="{escape(unit.segtype)}"' if unit.segtype else ""
    return f"    <tu{segtype}{dates}>\n"


def read_tmx(path: str | Path, src_lang: str | None = None,
             tgt_lang: str | None = None) -> tuple[TmxInfo, Iterator[TranslationUnit]]:
    """Open a TMX file (1.4 with xml:lang, or 1.1 with lang) and iterate over its units without loading it whole.

    src_lang defaults to the header's srclang, tgt_lang to the first other language of the first unit; 'es'
    matches 'es-ES' and 'es_es', and TmxInfo gives the tags as the first unit writes them. A unit lacking one of
    the two languages comes back with that side empty.
    Inline codes (<bpt>, <ept>, <ph>, <it>, <ut>) are dropped and the text around them kept (the unit's `codes`
    counts them); the translatable text of a <sub> inside a code (a footnote, an alt text) is kept where the code
    stood, set off by spaces, and <hi> text is kept.
    """
    events = _events(Path(path))
    version, header = "", {}
    body = first = None
    for event, elem in events:
        if event == "start" and elem.tag == "tmx":
            version = elem.get("version", "")
        elif event == "start" and elem.tag == "body":
            body = elem
        elif event == "end" and elem.tag == "header":
            header = dict(elem.attrib)
        elif event == "end" and elem.tag == "tu":
            first = elem
            break
    src_lang = src_lang or header.get("srclang")
    if not src_lang or src_lang.lower() == "*all*":
        src_lang = _tuv_langs(first)[0] if first is not None else ""
    langs = _tuv_langs(first) if first is not None else []
    if tgt_lang is None:
        tgt_lang = next((lang for lang in langs if _lang_score(src_lang, lang) == 0), "")
    src_lang, tgt_lang = _as_written(src_lang, langs), _as_written(tgt_lang, langs)
    info = TmxInfo(version, header, src_lang, tgt_lang)
    if first is None:
        return info, iter(())
    tus = chain([first], (elem for event, elem in events if event == "end" and elem.tag == "tu"))
    return info, _units(tus, body, path, src_lang, tgt_lang)


def _events(path: Path) -> Iterator[tuple[str, ET.Element]]:
    """iterparse's events, with a parse error turned into an InputError naming the file."""
    try:
        yield from ET.iterparse(path, events=("start", "end"))
    except ET.ParseError as exc:
        raise InputError(f"{path}: not a well-formed TMX file ({exc})") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None


def _units(tus: Iterable[ET.Element], body: ET.Element | None, path, src_lang: str,
           tgt_lang: str) -> Iterator[TranslationUnit]:
    for tu in tus:
        try:
            unit = _unit(tu, src_lang, tgt_lang)
        except ValueError as exc:
            raise InputError(f"{path}: {exc}") from None
        if body is not None:
            body.remove(tu)  # each unit is dropped once read, so the tree never grows
        yield unit


def _unit(tu: ET.Element, src_lang: str, tgt_lang: str) -> TranslationUnit:
    props = {p.get("type", ""): p.text or "" for p in tu.findall("prop")}
    created, changed = (tu.get(name) for name in ("creationdate", "changedate"))
    try:
        dates = [parse_tmx_date(d) if d else None for d in (created, changed)]
    except ValueError:
        raise ValueError(f"unit dates {created!r}, {changed!r} are not YYYYMMDDThhmmssZ") from None
    (src, src_codes), (tgt, tgt_codes) = _side(tu, src_lang), _side(tu, tgt_lang)
    others = tuple(lang for lang in _tuv_langs(tu) if not _lang_score(src_lang, lang) and not _lang_score(tgt_lang, lang))
    notes = tuple(n.text or "" for n in tu.findall("note"))
    return TranslationUnit(src, tgt, props, dates[0], dates[1], src_codes + tgt_codes, others, extras=_extras(tu),
                           notes=notes)


_READ_ATTRIBUTES = frozenset({"creationdate", "changedate", "segtype", "srclang", XML_LANG, "lang"})


def _extras(tu: ET.Element) -> tuple[str, ...]:
    """What unit `tu` carries besides its texts, props and dates: notes, the props of its variants (<tuv>), and
    attributes such as tuid, creationid or usagecount (of the unit or of its variants), by name."""
    found = {"<note>"} if tu.find("note") is not None or tu.find("tuv/note") is not None else set()
    for element in (tu, *tu.findall("tuv")):
        found.update(name for name in element.attrib if name not in _READ_ATTRIBUTES)
    found.update(f"prop {p.get('type', '')} of a language variant" for p in tu.findall("tuv/prop"))
    return tuple(sorted(found))


def _side(tu: ET.Element, lang: str) -> tuple[str, int]:
    """The text of the <tuv> that best matches `lang` (exact, then same primary language), '' if none, and how
    many inline codes it dropped."""
    best, best_score = None, 0
    for tuv in tu.findall("tuv"):
        score = _lang_score(lang, tuv.get(XML_LANG) or tuv.get("lang") or "")
        if score > best_score:
            best, best_score = tuv, score
    seg = best.find("seg") if best is not None else None
    if seg is None:
        return "", 0
    text = _AFTER_SUB.sub("", "".join(_seg_text(seg, []))).replace(_SUB_END, " ")
    return text, sum(1 for elem in seg.iter() if elem.tag in _CODE_TAGS)


def _seg_text(elem: ET.Element, parts: list[str], in_code: bool = False) -> list[str]:
    """Append the text of `elem` to `parts`: codes dropped (a line, page or column break as a space), the <sub>
    text inside them kept and set off by spaces."""
    code = in_code or elem.tag in _CODE_TAGS
    if code and not in_code and _is_break(elem) and _needs_space(parts):
        parts.append(_SUB_END)  # a space, unless a space or a punctuation mark follows
    if not code:
        parts.append(elem.text or "")
    for child in elem:
        if child.tag == "sub":
            _spaced(parts, _seg_text(child, []))
        else:
            _seg_text(child, parts, code)
        if not code:
            parts.append(child.tail or "")
    return parts


def _is_break(code: ET.Element) -> bool:
    """A standalone code that stands for a break: TMX's types lb, pb, cb, or markup such as <br/>, \\line, \\par."""
    return code.tag in ("ph", "it", "ut") and (code.get("type") in ("lb", "pb", "cb") or
                                               bool(_BREAK_CODE.search("".join(code.itertext()))))


def _spaced(parts: list[str], inner: list[str]) -> None:
    """Append a sub-flow's text with a space before it where the text has none, and a mark after it that becomes a
    space unless a space, a closing punctuation mark or the end follows."""
    text = "".join(inner).strip()
    if text:
        parts.append((" " if _needs_space(parts) else "") + text + _SUB_END)


def _needs_space(parts: list[str]) -> bool:
    """Whether the text so far ends with something other than a space (there is some text, and no space last)."""
    last = next((p for p in reversed(parts) if p), "")
    return bool(last) and not last[-1].isspace()


def _tuv_langs(tu: ET.Element) -> list[str]:
    return [tuv.get(XML_LANG) or tuv.get("lang") or "" for tuv in tu.findall("tuv")]


def _as_written(lang: str, langs: list[str]) -> str:
    """The file's own tag for a language asked for as `lang` ('es' -> 'es-ES'), so that it is kept on import."""
    best = max(langs, key=lambda have: _lang_score(lang, have), default="")
    return best if _lang_score(lang, best) else lang


def _lang_score(want: str, have: str) -> int:
    """2 for the same tag, 1 for the same primary language ('es' and 'es-ES'), 0 otherwise."""
    want, have = want.lower().replace("_", "-"), have.lower().replace("_", "-")
    if not want or not have:
        return 0
    if want == have:
        return 2
    return 1 if want.split("-")[0] == have.split("-")[0] else 0
