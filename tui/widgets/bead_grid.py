"""The alignment grid: one row per bead, source and target side by side and wrapped, drawn with the Line API so
that a document of any length costs only the lines on screen.

Bead states are component classes (`bead-grid--confirmed`, `bead-grid--doubtful`, ...) styled in app.tcss, so colours
live in CSS like every other state in the app.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate, islice, repeat
from operator import itemgetter
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.events import Click
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from aligner.models import Alignment, Bead, BeadStatus, Document

from ..nav import STATES, bead_state

MARKS = {BeadStatus.CONFIRMED: "✓", BeadStatus.EDITED: "✎", BeadStatus.FLAGGED: "⚑", BeadStatus.AUTO: " "}
SIDES = ("src", "tgt")


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap to `width` cells; words longer than a line are cut. Always at least one line."""
    if width <= 0:
        return [""]
    lines: list[str] = []
    line, used = [], 0
    for word in text.split():
        w = len(word) if word.isascii() else cell_len(word)
        while w > width:
            if line:
                lines.append(" ".join(line))
                line, used = [], 0
            cut = width
            while cell_len(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
            w = cell_len(word)
        if line and used + 1 + w > width:
            lines.append(" ".join(line))
            line, used = [], 0
        used += w + (1 if line else 0)
        line.append(word)
    if line or not lines:
        lines.append(" ".join(line))
    return lines


# One side of a bead as laid out (a cell): its sentences wrapped, every sentence from a new line, and a mark per
# line: '¶' where a sentence opens a paragraph, '·' where another sentence of the bead starts, else ' '.
Cell = tuple[tuple[str, ...], str]
# A bead as laid out (a row): its source cell, its target cell and its height in lines. Plain tuples, made by zip:
# a shift lays out thousands of rows at once, from cells already wrapped.
Row = tuple[Cell, Cell, int]


def lay_out_side(sentences, ids: tuple[int, ...], width: int) -> Cell:
    """The wrapped lines of one side of a bead and their marks."""
    lines: list[str] = []
    marks: list[str] = []
    for n, i in enumerate(ids):
        wrapped = wrap(sentences[i].text, width)
        opens = i == 0 or sentences[i].paragraph != sentences[i - 1].paragraph
        marks.append("¶" if opens else ("·" if n else " "))
        marks.extend(" " * (len(wrapped) - 1))
        lines.extend(wrapped)
    return tuple(lines), "".join(marks)


def _same(a: Document, b: Document) -> bool:
    """The same document, even when read again from the store (the text fixes the sentences)."""
    return a is b or (a.path == b.path and a.lang == b.lang and len(a) == len(b) and a.text == b.text)


class BeadGrid(ScrollView, can_focus=True):
    """Scrollable grid of beads with a cursor row, an active side (the cell the side-wise edits act on) and an
    optional marked run of beads."""

    COMPONENT_CLASSES = {f"bead-grid--{s}" for s in STATES} | {
        "bead-grid--gutter", "bead-grid--cursor", "bead-grid--cursor-cell", "bead-grid--marked",
        "bead-grid--paragraph", "bead-grid--separator", "bead-grid--settled",
    }
    DEFAULT_CSS = """
    BeadGrid { background: $surface; overflow-x: hidden; overflow-y: scroll; }
    BeadGrid > .bead-grid--gutter { color: $text-muted; }
    BeadGrid > .bead-grid--cursor { background: $primary 30%; }
    BeadGrid > .bead-grid--cursor-cell { background: $primary 55%; }
    BeadGrid > .bead-grid--paragraph { color: $accent; text-style: bold; }
    BeadGrid > .bead-grid--separator { color: $panel-lighten-2; }
    BeadGrid > .bead-grid--settled { text-style: dim; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False, id="move.up", tooltip="Previous bead (a bead taller than the screen scrolls first)"),
        Binding("down,j", "move(1)", "Down", show=False, id="move.down", tooltip="Next bead (a bead taller than the screen scrolls first)"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="move.page-up", tooltip="A screen up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="move.page-down", tooltip="A screen down"),
        Binding("home", "jump(0)", "First", show=False, id="move.first", tooltip="First bead"),
        Binding("end", "jump(-1)", "Last", show=False, id="move.last", tooltip="Last bead"),
        Binding("left", "side('src')", "Source side", show=False, id="move.side-src",
                tooltip="Make the source side active (for sentence moves, shifts, empty counterparts)"),
        Binding("right", "side('tgt')", "Target side", show=False, id="move.side-tgt",
                tooltip="Make the target side active"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)
    side: reactive[str] = reactive("src")
    mark: reactive[int | None] = reactive(None)

    class CursorMoved(Message):
        """The cursor landed on another bead (or the alignment under it changed)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.alignment = Alignment((), 0, 0)
        self.docs: tuple[Document, Document] | None = None
        self.flags: dict[int, str] = {}
        self.settled: frozenset[int] = frozenset()  # beads whose flags an editor has all accepted: drawn dim
        self._cells: tuple[dict[tuple[int, ...], Cell], dict[tuple[int, ...], Cell]] = ({}, {})  # by sentence ids
        self._widths: tuple[int, int] = (0, 0)
        self._rows: list[Row] = []
        self._tops: list[int] = [0]
        self._strips: LRUCache[tuple, Strip] = LRUCache(4096)
        self._styles: dict[str, Style] = {}

    # --- data ---------------------------------------------------------------------------------------------

    def show(self, alignment: Alignment, src: Document, tgt: Document, flags: dict[int, str] | None = None,
             cursor: int | None = None, stretch: tuple[int, int, int] | None = None,
             settled: Iterable[int] = ()) -> None:
        """Display `alignment`. Each side of a bead is laid out once per sentence ids and width, so after an edit
        only the cells it made are wrapped again (a shift moves cells between rows, it makes none). With
        `stretch` (lo, old_hi, new_hi: the previous alignment's beads lo..old_hi-1 became lo..new_hi-1), only
        those rows are looked up again."""
        if self.docs is None or not (_same(self.docs[0], src) and _same(self.docs[1], tgt)):
            self._forget_layouts()
            stretch = None
        self.alignment, self.docs, self.flags = alignment, (src, tgt), dict(flags or {})
        self.settled = frozenset(settled)
        # the rows shown are those of the alignment the stretch was taken from, and bead numbers kept their width
        same_rows = stretch is not None and len(self._rows) - stretch[1] == len(alignment.beads) - stretch[2]
        if same_rows and self._columns()[1:] == self._widths:
            self._relayout(*stretch)
        else:
            self._layout()
        if self.mark is not None and self.mark >= len(alignment.beads):
            self.mark = None
        self.cursor = self._clamp(self.cursor if cursor is None else cursor)

    def set_flags(self, flags: dict[int, str], settled: Iterable[int] = ()) -> None:
        """Colour the beads by new flags, dimming those in `settled`; the rows keep their layout (drawn lines are
        keyed by their flag)."""
        settled = frozenset(settled)
        if flags != self.flags:
            self.flags, self.settled = dict(flags), settled
            self.refresh()
        elif settled != self.settled:  # a flag accepted or opened again: only those beads' rows change
            changed, self.settled = settled ^ self.settled, settled
            for k in changed:
                self._refresh_bead(k)

    def _clamp(self, i: int) -> int:
        return max(0, min(i, len(self.alignment.beads) - 1))

    def _columns(self) -> tuple[int, int, int]:
        """(gutter width, source column width, target column width), each text column with its 2-cell ¶ lane."""
        digits = len(str(max(len(self.alignment.beads), 1)))
        gutter = digits + 13
        width = max(self.scrollable_content_region.width, 20)
        text = max(width - gutter - 1, 8)
        return gutter, text // 2, text - text // 2

    def _forget_layouts(self) -> None:
        self._cells[0].clear()
        self._cells[1].clear()

    def _make_rows(self, beads: Sequence[Bead]) -> list[Row]:
        """The rows of `beads`, wrapping only the cells not laid out yet. A pass per column rather than a call
        per bead: a shift makes thousands of rows of cells it only moved."""
        src, tgt = self.docs
        sw, tw = self._widths
        cells_s, cells_t = self._cells
        # a mark lane and a space before the rule take 3 cells of each column
        a = [cells_s.get(b.src) or cells_s.setdefault(b.src, lay_out_side(src.sentences, b.src, sw - 3))
             for b in beads]
        c = [cells_t.get(b.tgt) or cells_t.setdefault(b.tgt, lay_out_side(tgt.sentences, b.tgt, tw - 3))
             for b in beads]
        return list(zip(a, c, map(max, map(len, map(itemgetter(0), a)), map(len, map(itemgetter(0), c)),
                                  repeat(1))))

    def _layout(self) -> None:
        if self.docs is None:
            return
        widths = self._columns()[1:]
        if widths != self._widths:
            self._forget_layouts()
            self._widths = widths
        self._rows = rows = self._make_rows(self.alignment.beads)
        self._tops = [0, *accumulate(map(itemgetter(2), rows))]
        self.virtual_size = Size(self.scrollable_content_region.width, self._tops[-1])
        self._strips.clear()  # bead numbers may have grown a digit
        self.refresh()

    def _relayout(self, lo: int, old_hi: int, new_hi: int) -> None:
        """Rows lo..old_hi-1 became the rows of beads lo..new_hi-1; the tops move from lo down."""
        self._rows[lo:old_hi] = self._make_rows(self.alignment.beads[lo:new_hi])
        self._tops[lo:] = accumulate(map(itemgetter(2), islice(self._rows, lo, None)), initial=self._tops[lo])
        self._set_height(self._tops[-1])
        self.refresh()  # lines above lo come from the strip cache: their keys did not change

    def _set_height(self, height: int) -> None:
        """A new number of lines after an edit, without the layout pass of the whole screen that setting
        virtual_size asks for (about 10 ms with a 5,000-bead pair): the grid's own size is fixed by the stylesheet
        (1fr), so only its scroll range and scroll bar follow the content."""
        size = Size(self.scrollable_content_region.width, height)
        if size.width != self.virtual_size.width:
            self.virtual_size = size  # a width the layout has not seen: let it see it
            return
        if size != self.virtual_size:
            self.set_reactive(BeadGrid.virtual_size, size)
            self._scroll_update(size)  # what a layout pass would do for us (Textual 8.2, pinned): bars, scroll range

    def on_resize(self) -> None:
        if self._columns()[1:] != self._widths:
            self._layout()
        self._scroll_to_cursor()

    # --- cursor -------------------------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return self._clamp(value)

    def _refresh_bead(self, k: int) -> None:
        if 0 <= k < len(self._rows):
            self.refresh_lines(self._tops[k], self._rows[k][2])

    def watch_cursor(self, old: int, new: int) -> None:
        self._refresh_bead(old)
        self._refresh_bead(new)
        self._scroll_to_cursor()
        self.post_message(self.CursorMoved(new))

    def watch_side(self) -> None:
        self._refresh_bead(self.cursor)

    def watch_mark(self) -> None:
        self.refresh()

    def _scroll_to_cursor(self, animate: bool = False) -> None:
        if not self._rows:
            return
        i = self.cursor
        top, bottom = self._tops[i], self._tops[i + 1]
        context = Spacing(3, 0, 3, 0)  # keep a few lines of the neighbouring beads in view
        self.scroll_to_region(Region(0, top, 1, bottom - top), spacing=context, animate=animate, force=True,
                              immediate=True)

    def action_move(self, step: int) -> None:
        """The next or previous bead; in a bead taller than the view, first the rest of it, a view at a time (its
        end could not be read from the keyboard: a 3-1 bead of long sentences fills more than an 80x24 terminal)."""
        if self._rows and self._scroll_within(step):
            return
        self.cursor = self._clamp(self.cursor + step)

    def _scroll_within(self, step: int) -> bool:
        """Scroll the cursor's bead by a view (less two lines, to keep the place) when its part that way is out of
        view; whether it did."""
        top, bottom = self._tops[self.cursor], self._tops[self.cursor + 1]
        view, height = int(self.scroll_y), self.scrollable_content_region.height
        if step > 0 and bottom > view + height:
            self.scroll_to(y=min(view + max(height - 2, 1), bottom - height), animate=False, immediate=True)
            return True
        if step < 0 and top < view:
            self.scroll_to(y=max(view - max(height - 2, 1), top), animate=False, immediate=True)
            return True
        return False

    def action_page(self, step: int) -> None:
        target = self._tops[self.cursor] + step * max(self.scrollable_content_region.height - 1, 1)
        self.cursor = self._clamp(bisect_right(self._tops, max(target, 0)) - 1)

    def action_jump(self, index: int) -> None:
        self.cursor = self._clamp(index if index >= 0 else len(self.alignment.beads) - 1)

    def action_side(self, side: str) -> None:
        self.side = side

    def marked_range(self) -> tuple[int, int]:
        """The beads a range operation acts on: the marked run if there is one, else the cursor bead."""
        lo, hi = sorted((self.cursor, self.cursor if self.mark is None else self.mark))
        return lo, hi

    def bead_at(self, y: int) -> int | None:
        """The bead drawn on virtual line y."""
        k = bisect_right(self._tops, y) - 1
        return k if 0 <= k < len(self._rows) else None

    def on_click(self, event: Click) -> None:
        k = self.bead_at(event.y + self.scroll_offset.y)
        if k is not None:
            _, sw, _ = self._columns()
            gutter = self._columns()[0]
            self.side = "src" if event.x < gutter + sw else "tgt"
            self.cursor = k

    # --- drawing ------------------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # a new theme or stylesheet: every cached line has the old colours
        self._styles.clear()

    def _style(self, name: str) -> Style:
        """A component's style; the text-only ones (gutter, ¶, separator) keep the row's background."""
        style = self._styles.get(name)
        if style is None:
            partial = name in ("gutter", "paragraph", "separator")
            style = self._styles[name] = self.get_component_rich_style(f"bead-grid--{name}", partial=partial)
        return style

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        k = self.bead_at(scroll_y + y)
        if k is None:
            return Strip.blank(width, self.rich_style)
        line = scroll_y + y - self._tops[k]
        lo, hi = self.marked_range()
        key = (k, line, width, scroll_x, self.side if k == self.cursor else None,
               self.mark is not None and lo <= k <= hi, self.alignment.beads[k], self.flags.get(k), k in self.settled)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._draw(k, line).crop_extend(scroll_x, scroll_x + width, self.rich_style)
            self._strips[key] = strip
        return strip

    def _draw(self, k: int, line: int) -> Strip:
        b, (src_cell, tgt_cell, _) = self.alignment.beads[k], self._rows[k]
        gutter, sw, tw = self._columns()
        base = self.rich_style
        state = bead_state(b, self.flags.get(k))
        row_style = base + self._style(state) if state else base
        if k in self.settled and state == self.flags.get(k):
            row_style += self._style("settled")
        lo, hi = self.marked_range()
        if self.mark is not None and lo <= k <= hi:
            row_style += self._style("marked")
        gutter_style = row_style
        cell_style = {"src": row_style, "tgt": row_style}
        if k == self.cursor:
            row_style += self._style("cursor")
            cell_style = {s: row_style + (self._style("cursor-cell") if s == self.side else Style()) for s in SIDES}
        if line == 0:
            score = "  --" if b.is_null or b.score == 0.0 else f"{b.score:4.2f}"  # 0.0: a pair an editor made
            head = f"{k + 1:>{gutter - 13}} {b.kind:>4} {score} {MARKS[b.status]}"[:gutter - 1]
        else:
            head = ""
        segs = [Segment(head.ljust(gutter - 1), gutter_style + self._style("gutter")), Segment(" ", gutter_style)]
        for side, (lines, marks), width in (("src", src_cell, sw), ("tgt", tgt_cell, tw)):
            text = lines[line] if line < len(lines) else ""
            mark = marks[line] + " " if line < len(marks) else "  "
            segs.append(Segment(mark, cell_style[side] + self._style("paragraph")))
            segs.append(Segment(text + " " * (width - 2 - cell_len(text)), cell_style[side]))
            if side == "src":
                segs.append(Segment("│", row_style + self._style("separator")))
        return Strip(segs)
