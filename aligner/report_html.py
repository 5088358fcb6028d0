"""A self-contained HTML page of an aligned document pair with its adaptation flags, for reading in a browser.

Both texts side by side, one row per bead, every flagged sentence highlighted by type, numbered markers that link
the flag list to the text (and a moved passage's two places to each other), a legend and a summary. No scripts,
no external assets: the file can be mailed or archived as it is.
"""

from __future__ import annotations

from collections.abc import Collection
from html import escape
from pathlib import Path

from .align.posterior import DOUBTFUL, LOW_SCORE, is_doubtful, sure
from .flags import Flag, FlagStatus, FlagType, reading_order, summarize
from .models import Alignment, Document
from .textio import mark_controls

LABELS = {
    FlagType.ADDED: ("added", "in the target only: the adaptation added it"),
    FlagType.DROPPED: ("dropped", "in the source only: the adaptation left it out"),
    FlagType.MOVED: ("moved", "translated, but somewhere else in the target"),
    FlagType.DIVERGENT: ("divergent", "aligned, but far less similar than the document's other links"),
    FlagType.FURNITURE: ("furniture", "web page furniture on one side only (share lines, captions, links)"),
}

CSS = """
/* the review app's hues (tui/app.tcss): light tints behind the text, the hue itself as the edge */
:root { --added:#fdefc4; --added-b:#f9a825; --dropped:#eee6e3; --dropped-b:#8d6e63; --moved:#e3e6f6;
  --moved-b:#5c6bc0; --divergent:#fbe0ea; --divergent-b:#d81b60; --furniture:#ececec; --furniture-b:#888; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d1d1f; }
header, section { padding: 12px 24px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 18px 0 8px; }
.meta { color: #555; font-size: 13px; }
.note { color: #8a4b00; font-size: 13px; margin: 4px 0; }
.summary { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0; }
.summary .count { border-radius: 6px; padding: 6px 10px; border-left: 5px solid; background: #f6f6f6; }
.summary .count b { font-size: 18px; margin-right: 4px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 13px; margin: 6px 0; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 18px; height: 14px; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; }
.flags td, .flags th { border-bottom: 1px solid #e3e3e3; padding: 4px 6px; font-size: 13px; text-align: left;
  vertical-align: top; }
.aligned { table-layout: fixed; }
.aligned th { position: sticky; top: 0; background: #fff; border-bottom: 2px solid #ccc; padding: 6px;
  text-align: left; font-size: 13px; }
.aligned td { vertical-align: top; padding: 3px 8px; border-bottom: 1px solid #f0f0f0; overflow-wrap: anywhere; }
[id] { scroll-margin-top: 48px; }  /* a link's target shows below the sticky column header, not under it */
.aligned .n { width: 4.6em; color: #999; font-size: 11px; text-align: right; white-space: nowrap;
  padding-left: 2px; padding-right: 6px; }  /* "1357?" on one line */
.wide { overflow-x: auto; }  /* a narrow screen scrolls the flag table instead of the page */
.flags td { overflow-wrap: anywhere; }
.ctl { color: #c62828; font-size: 11px; border: 1px solid #e0a0a0; border-radius: 3px; padding: 0 2px; }
.aligned tr.para td { border-top: 2px solid #d0d0d0; }
.aligned td.empty { background: repeating-linear-gradient(45deg, #fafafa, #fafafa 6px, #f2f2f2 6px, #f2f2f2 12px); }
.s { border-radius: 3px; padding: 1px 2px; }
.s .id { color: #aaa; font-size: 10px; margin-right: 3px; }
.f-added { background: var(--added); box-shadow: inset 3px 0 var(--added-b); }
.f-dropped { background: var(--dropped); box-shadow: inset 3px 0 var(--dropped-b); }
.f-moved { background: var(--moved); box-shadow: inset 3px 0 var(--moved-b); }
.f-divergent { background: var(--divergent); box-shadow: inset 3px 0 var(--divergent-b); }
.f-furniture { background: var(--furniture); box-shadow: inset 3px 0 var(--furniture-b); color: #555; }
.dismissed { opacity: .45; text-decoration: line-through; }
.marker { display: inline-block; min-width: 1.6em; padding: 0 4px; margin-right: 4px; border-radius: 8px;
  font-size: 11px; font-weight: 600; color: #fff; text-align: center; text-decoration: none; }
.m-added { background: var(--added-b); } .m-dropped { background: var(--dropped-b); }
.m-moved { background: var(--moved-b); } .m-divergent { background: var(--divergent-b); }
.m-furniture { background: var(--furniture-b); }
.goto { font-size: 12px; margin-left: 4px; }
.aligned td.n.doubtful, .legend .doubtful { color: #c62828; font-weight: 600; }
.aligned td.n.doubtful::after, .legend .doubtful::after { content: "?"; }
:target { outline: 2px solid #444; }
@media print {  /* browsers leave backgrounds out by default: the flags' tints are the report */
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .aligned th { position: static; }
  tr { break-inside: avoid; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def render_html(alignment: Alignment, src_doc: Document, tgt_doc: Document, flags: list[Flag],
                title: str = "", editor: Collection[int] = (), note: str = "") -> str:
    """The report page as a string (UTF-8 when written). Flags are numbered in reading order, as `aligner flags`
    lists them by default (all of them: its --type, --status and --by-score change its own list only); editor: indices into `flags` of the editor's own flags (status 'editor'); note: a line under the
    title (that the files changed since the alignment, say)."""
    title = title or f"{Path(src_doc.path).name} → {Path(tgt_doc.path).name}"
    order = reading_order(alignment)
    ranked = sorted(range(len(flags)), key=lambda k: order(flags[k]))
    mine = {n for n, k in enumerate(ranked) if k in set(editor)}
    flags = [flags[k] for k in ranked]
    marks_s, marks_t = _sentence_marks(flags)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(title)}</title>", f"<style>{CSS}</style></head><body>",
             "<header>", f"<h1>{escape(title)}</h1>",
             f'<div class="meta">source: {escape(src_doc.path)} ({escape(src_doc.lang)}, {len(src_doc)} sentences)'
             f' · target: {escape(tgt_doc.path)} ({escape(tgt_doc.lang)}, {len(tgt_doc)} sentences)'
             f" · {len(alignment)} links (the rows of the aligned text){_made(alignment)}</div>",
             f'<p class="note" id="note">{escape(note)}</p>' if note else "",
             _summary(flags, src_doc, tgt_doc), _legend(), "</header>",
             _flag_list(flags, mine),
             _aligned(alignment, src_doc, tgt_doc, flags, marks_s, marks_t),
             "</body></html>"]
    return "\n".join(parts) + "\n"


def _made(alignment: Alignment) -> str:
    """' · aligned with MODEL' (the scores and doubts on the page are that model's), or how it was made."""
    from .export import IMPORTED_MODEL

    model = alignment.meta.get("model")
    if not model:
        return ""
    return " · imported from a TMX file" if model == IMPORTED_MODEL else f" · aligned with {escape(model)}"


def write_html(path: str | Path, alignment: Alignment, src_doc: Document, tgt_doc: Document, flags: list[Flag],
               title: str = "", editor: Collection[int] = (), note: str = "") -> Path:
    path = Path(path)
    path.write_text(render_html(alignment, src_doc, tgt_doc, flags, title, editor, note), encoding="utf-8")
    return path


def shown_text(text: str) -> str:
    """`text` escaped for HTML, with the invisible controls that reorder what follows (bidi embeddings, overrides
    and isolates, U+202A-E and U+2066-9) shown as marks instead of applied: applied, "district" read
    "tcirtsid", and the page showed other words than the file holds."""
    return mark_controls(escape(text), lambda name, char: f'<span class="ctl" title="U+{ord(char):04X}">{name}</span>')


def _sentence_marks(flags: list[Flag]) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Per sentence id, the indexes of the flags covering it, per side."""
    marks_s: dict[int, list[int]] = {}
    marks_t: dict[int, list[int]] = {}
    for k, f in enumerate(flags):
        for span, marks in ((f.src, marks_s), (f.tgt, marks_t)):
            for i in span.sentences if span else ():
                marks.setdefault(i, []).append(k)
    return marks_s, marks_t


def _summary(flags: list[Flag], src_doc: Document, tgt_doc: Document) -> str:
    s = summarize(flags, src_doc, tgt_doc)
    items = [f'<div class="count" id="count-{t.value}" style="border-color:var(--{t.value}-b)">'
             f'<b>{s.counts[t.value]}</b>{LABELS[t][0]}</div>' for t in FlagType]
    words = (f'<div class="count" id="words"><b>{s.words_added}</b>words added · <b>{s.words_dropped}</b>'
             f'words dropped · <b>{s.words_moved}</b>words moved · <b>{s.words_furniture}</b>words of furniture'
             "</div>")
    reviewed = [f"{n} {word}" for word, n in (("accepted", sum(f.status is FlagStatus.CONFIRMED for f in flags)),
                                               ("dismissed", sum(f.status is FlagStatus.DISMISSED for f in flags)))
                if n]
    if reviewed:  # the counts above leave dismissed flags out: said, so that a reviewed pair's zeros add up
        items.append(f'<div class="count" id="count-reviewed">reviewed: {" · ".join(reviewed)}'
                     f'{" (dismissed ones not counted)" if "dismissed" in reviewed[-1] else ""}</div>')
    return '<div class="summary">' + "".join(items) + words + "</div>"


def _legend() -> str:
    items = [f'<li><span class="swatch f-{t.value}"></span><b>{name}</b> {escape(help_)}</li>'
             for t, (name, help_) in LABELS.items()]
    return '<ul class="legend" id="legend">' + "".join(items) + \
        '<li><span class="dismissed">struck through</span> dismissed by an editor</li>' \
        f'<li><span class="doubtful">12</span> a link the aligner was less than {DOUBTFUL:.0%} sure of, that ' \
        'nobody confirmed: worth a look</li></ul>'


def _where(f: Flag) -> str:
    parts = []
    if f.src:
        parts.append(f'source <a href="#s-{f.src.sentences[0]}">{f.src.label()}</a>')
    if f.tgt:
        parts.append(f'target <a href="#t-{f.tgt.sentences[0]}">{f.tgt.label()}</a>')
    return " → ".join(parts)


def _flag_list(flags: list[Flag], mine: set[int]) -> str:
    rows = ['<section><h2>Flags</h2><div class="wide">',
            '<table class="flags" id="flag-list"><thead><tr><th>#</th><th>type</th><th>where</th><th>confidence</th>'
            "<th>status</th><th>passage</th></tr></thead>"]
    for k, f in enumerate(flags):
        status = f" {f.status.value}" if f.status is not FlagStatus.OPEN else ""
        shown = "editor" if k in mine else f.status.word
        confidence = "-" if k in mine else f"{f.confidence:.2f}"
        rows.append(f'<tr class="flag flag-{f.type.value}{status}" id="list-{k}">'
                    f'<td><a class="marker m-{f.type.value}" href="#flag-{k}">{k + 1}</a></td>'
                    f"<td>{f.type.value}</td><td>{_where(f)}</td><td>{confidence}</td>"
                    f"<td>{shown}</td><td>{shown_text(f.note)}</td></tr>")
    if not flags:
        rows.append('<tr><td colspan="6">No flags: every sentence is linked in place.</td></tr>')
    rows.append("</table></div></section>")
    return "\n".join(rows)


def _aligned(alignment: Alignment, src_doc: Document, tgt_doc: Document, flags: list[Flag],
             marks_s: dict, marks_t: dict) -> str:
    rows = ["<section><h2>Aligned text</h2>", '<table class="aligned" id="aligned">',
            f'<thead><tr><th class="n">#</th><th>source ({escape(src_doc.lang)})</th>'
            f"<th>target ({escape(tgt_doc.lang)})</th></tr></thead>"]  # a thead repeats on every printed page
    firsts = {}
    for k, f in enumerate(flags):
        for side, span in (("s", f.src), ("t", f.tgt)):
            if span:
                firsts.setdefault((side, span.sentences[0]), []).append(k)
    last_p = (-1, -1)
    for n, b in enumerate(alignment.beads):
        ps = src_doc.sentences[b.src[0]].paragraph if b.src else last_p[0]
        pt = tgt_doc.sentences[b.tgt[0]].paragraph if b.tgt else last_p[1]
        para = n > 0 and (ps != last_p[0] or pt != last_p[1])
        last_p = (ps, pt)
        cells = [_cell(src_doc, b.src, "s", flags, marks_s, firsts),
                 _cell(tgt_doc, b.tgt, "t", flags, marks_t, firsts)]
        number = f'<td class="n">{n + 1}</td>'
        if is_doubtful(b.confidence, b.status, bool(b.src and b.tgt), b.score):
            why = f"the aligner was {sure(b.confidence)} sure of this link" if b.confidence is not None else \
                f"similarity {b.score:.2f}, under {LOW_SCORE}"
            number = f'<td class="n doubtful" title="{why}">{n + 1}</td>'
        rows.append(f'<tr class="bead{" para" if para else ""}" data-kind="{b.kind}">{number}' + "".join(cells)
                    + "</tr>")
    rows.append("</table></section>")
    return "\n".join(rows)


def _cell(doc: Document, ids: tuple[int, ...], side: str, flags: list[Flag], marks: dict, firsts: dict) -> str:
    if not ids:
        return '<td class="empty"></td>'
    out = []
    for i in ids:
        ks = marks.get(i, [])
        classes = ["s"] + [f"f-{flags[k].type.value}" for k in ks]
        if ks and all(flags[k].status is FlagStatus.DISMISSED for k in ks):
            classes.append("dismissed")
        # one id per flag (its first place: the source side when it has one); a moved or divergent flag's
        # other side gets its own
        head = "".join(f'<a class="marker m-{flags[k].type.value}" '
                       f'id="flag-{k}{"" if side == "s" or not flags[k].src else "-t"}" href="#list-{k}">{k + 1}</a>'
                       for k in firsts.get((side, i), []))
        jump = ""
        for k in firsts.get((side, i), []):
            f = flags[k]
            if f.type is FlagType.MOVED:
                there = ("t", f.tgt) if side == "s" else ("s", f.src)
                label = "moved to target" if side == "s" else "moved from source"
                jump += f' <a class="goto" href="#{there[0]}-{there[1].sentences[0]}">{label} {there[1].label()}</a>'
        out.append(f'<span class="{" ".join(classes)}" id="{side}-{i}">{head}<span class="id">{i}</span>'
                   f"{shown_text(doc.sentences[i].text)}{jump}</span>")
    return "<td>" + " ".join(out) + "</td>"
