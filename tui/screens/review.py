"""The review screen: the grid of beads, the detail of the current one, a status line, and every edit and
navigation key. Edits are pure functions (aligner.edits); the app saves each one before the screen shows it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Static

from aligner import edits
from aligner.edits import EditError, Side

from .. import nav
from ..widgets.bead_grid import BeadGrid
from ..widgets.panels import BeadDetail, StatusLine, SteadyFooter
from .flag_actions import FlagActions
from .modals import PromptModal, SplitModal


def _key(key: str, action: str, short: str, ident: str, long: str = "", show: bool = False,
         group: Binding.Group | None = None, priority: bool = False) -> Binding:
    """A binding with a short label for the footer and a full one (the tooltip) for help and the palette.

    Keys that open a dialog are priority bindings: the app runs them as the key arrives and waits for the dialog
    to be on screen, so keys typed right after (a quick 'g 4 1 enter') go into the dialog, not the grid.
    """
    return Binding(key, action, short, show=show, id=ident, tooltip=long or short, group=group, priority=priority)


def _both_ways(key: str, action: str, what: str, ident: str, show: bool = False) -> list[Binding]:
    """Next (lower-case key) and previous (upper-case key) of one kind of place; `action` has a {} for the step."""
    group = Binding.Group(what)
    return [_key(key, action.format(1), what, f"find.next-{ident}", f"Next {what}", show, group),
            _key(key.upper(), action.format(-1), what, f"find.prev-{ident}", f"Previous {what}", show, group)]


class ReviewScreen(FlagActions, Screen):
    """Review and fix the alignment of one document pair."""

    BINDINGS: ClassVar[list[BindingType]] = [
        _key("space", "toggle_confirm", "Confirm", "edit.confirm", "Confirm or unconfirm the bead", show=True),
        _key("enter", "confirm_next", "Confirm+next", "edit.confirm-next",
             "Confirm the bead and go to the next unconfirmed one"),
        _key("c", "confirm_above", "Confirm above", "edit.confirm-above", "Confirm every bead above the cursor"),
        _key("m", "merge(1)", "Merge", "edit.merge-next", "Merge the bead with the next one", show=True),
        _key("M", "merge(-1)", "Merge up", "edit.merge-prev", "Merge the bead with the previous one"),
        _key("s", "split", "Split", "edit.split", "Split the bead: choose after which sentences", show=True,
             priority=True),
        _key("S", "split_one_sided", "Split apart", "edit.split-one-sided",
             "Split an added or dropped passage into one bead per sentence"),
        _key("K", "move_sentence(True)", "Sentence up", "edit.move-up",
             "Move the first sentence of the active side up into the previous bead"),
        _key("J", "move_sentence(False)", "Sentence down", "edit.move-down",
             "Move the last sentence of the active side down into the next bead"),
        _key("i", "shift(True)", "Shift down", "edit.shift-down",
             "Shift the active side down one row from here (insert an empty cell)"),
        _key("I", "shift(False)", "Shift up", "edit.shift-up",
             "Shift the active side up one row from here (its cell joins the row above)"),
        _key("x", "detach", "No counterpart", "edit.detach",
             "Give the last sentence of the active side an empty counterpart (dropped or added)"),
        _key("r", "realign", "Re-align", "edit.realign",
             "Re-align the stretch around the cursor; confirmed, flagged and (unless the cursor is on one) edited "
             "beads stay fixed"),
        _key("ctrl+z", "undo", "Undo", "edit.undo", "Undo the last edit (also after a restart)", show=True),
        _key("ctrl+y", "redo", "Redo", "edit.redo", "Redo the last undone edit"),
        _key("v", "mark", "Mark", "flag.mark", "Start (or drop) a marked run of beads for flagging"),
        _key("exclamation_mark", "flag", "Flag", "flag.flag",
             "Flag the bead or marked run as added, dropped, divergent or furniture, with a note", show=True,
             priority=True),
        _key("delete,d", "unflag", "Unflag/dismiss", "flag.unflag",
             "Clear your flag of the bead or marked run, or dismiss the flagger's flag there (again: open it)"),
        _key("y", "accept_flag", "Accept flag", "flag.accept",
             "Accept the flagger's flag on the bead or marked run: the edit is real (again: open it)"),
        _key("t", "flag_list", "Flag list", "flag.list",
             "List the pair's flags, most confident first, and go to one", priority=True),
        *_both_ways("u", "find('unconfirmed', {})", "unconfirmed", "unconfirmed", show=True),
        *_both_ways("l", "find('doubtful', {})", "doubtful", "doubtful"),
        *_both_ways("o", "find('non-1-1', {})", "non-1-1", "non-1-1"),
        *_both_ways("f", "find('flagged', {})", "flag", "flagged", show=True),
        _key("g", "goto", "Go to", "find.goto", "Go to a bead number, or a sentence (es 12, en 12)", priority=True),
        _key("slash", "search", "Search", "find.search", "Search either side with a regular expression", show=True,
             priority=True),
        *_both_ways("n", "search_again({})", "match", "match"),
        _key("right_square_bracket", "pair(1)", "Next pair", "pair.next", "Open the next document pair"),
        _key("left_square_bracket", "pair(-1)", "Previous pair", "pair.prev", "Open the previous document pair"),
        _key("e", "export(False)", "Export", "pair.export", "Export this pair to TMX", priority=True),
        _key("E", "export(True)", "Export all", "pair.export-all", "Export the whole project to TMX", priority=True),
        _key("escape", "back", "Pairs", "pair.back", "Back to the project screen (or drop the marked run)", show=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pattern: tuple[re.Pattern, str] | None = None
        self.flag_kinds: dict[int, str] = {}
        self.counts: dict[str, int] = {}

    @property
    def session(self):
        return self.app.session

    def compose(self) -> ComposeResult:
        yield Static("", id="review-title")
        yield BeadGrid(id="grid")
        yield BeadDetail(id="detail")
        yield StatusLine(id="status")
        yield SteadyFooter(compact=True)

    @property
    def grid(self) -> BeadGrid:
        return self.query_one(BeadGrid)

    def on_mount(self) -> None:
        self.grid.focus()
        # the status line names the active side: ← and → (and a click) change it on the grid, not here
        self.watch(self.grid, "side", lambda _: self._update_panes(), init=False)

    def load(self, cursor: int = 0) -> None:
        """Show the app's current pair from the top, or from `cursor`."""
        s = self.session
        self.query_one("#review-title", Static).update(
            f"[b]{escape(s.name)}[/b]   {s.src.lang}: {escape(Path(s.src.path).name)}   ↔   {s.tgt.lang}: "
            f"{escape(Path(s.tgt.path).name)}")
        self.grid.mark = None
        self.refresh_view(cursor)

    def refresh_view(self, cursor: int | None = None, stretch: tuple[int, int, int] | None = None) -> None:
        """Show the session's alignment after a load, or after an edit that replaced beads lo..old_hi-1 by
        lo..new_hi-1 (`stretch`, see nav.changed_stretch): then only those beads' flag kinds and rows are worked
        out again. Counts are taken here, not on every move (a pass over 5,000 beads takes 0.3 ms)."""
        s = self.session
        if stretch is not None and s.flags_reach_past(stretch):  # rare: every row asked again
            stretch = None
        if stretch is None or not self.counts:
            self.flag_kinds = s.flags_by_bead()
        else:
            self.flag_kinds = nav.shift_kinds(self.flag_kinds, stretch, s.flags_by_bead(stretch[0], stretch[2]))
        self.counts = nav.counts(s.alignment, self.flag_kinds)
        self.grid.show(s.alignment, s.src, s.tgt, self.flag_kinds, cursor, stretch,  # its CursorMoved updates panes
                       s.settled_beads())

    def refresh_flags(self) -> None:
        """Show the session's flags after they were derived again (the alignment is unchanged)."""
        s = self.session
        if s is None or not s.alignment.beads:
            return
        self.flag_kinds = s.flags_by_bead()
        self.counts = nav.counts(s.alignment, self.flag_kinds)
        self.grid.set_flags(self.flag_kinds, s.settled_beads())
        self._update_panes()

    def _flags_note(self) -> str:
        if self.session.stale:
            return "flags stale"
        return "updating flags" if self.app.reflag_pending else ""

    @on(BeadGrid.CursorMoved)
    def _moved(self) -> None:
        self._update_panes()

    def _update_panes(self) -> None:
        s, g = self.session, self.grid
        if s is None or not s.alignment.beads or not self.counts:
            return
        k = g.cursor
        self.query_one(BeadDetail).show_bead(k, s.alignment.beads[k], s.src, s.tgt, self.flag_kinds.get(k),
                                             [nav.flag_line(f) for f in s.flags_at(k)])
        self.query_one(StatusLine).show_status(k, self.counts, g.side, g.mark, self._flags_note(), s.open_flags())
        self.app.remember_cursor(k)

    # --- edits --------------------------------------------------------------------------------------------

    def _edit(self, fn, *args) -> bool:
        """Run one edit at the cursor; a refused edit is a notice, never an exception. Whether it was saved."""
        try:
            edit = fn(self.session.alignment, *args)
        except EditError as exc:
            self.notify(str(exc), severity="warning", timeout=4)
            return False
        return self.app.commit(edit)

    def action_toggle_confirm(self) -> None:
        k = self.grid.cursor
        confirmed = self.session.alignment.beads[k].status is edits.BeadStatus.CONFIRMED
        self._edit(edits.unconfirm if confirmed else edits.confirm, k)

    def action_confirm_next(self) -> None:
        if self._edit(edits.confirm, self.grid.cursor):  # a refused bead stays under the cursor
            self.action_find("unconfirmed", 1)

    def action_confirm_above(self) -> None:
        self._edit(edits.confirm_above, self.grid.cursor)

    def action_merge(self, step: int) -> None:
        self._edit(edits.merge_next if step > 0 else edits.merge_prev, self.grid.cursor)

    async def action_split(self) -> None:
        k = self.grid.cursor
        b = self.session.alignment.beads[k]
        points = edits.split_points(b)
        if not points:
            self.notify("a single sentence cannot be split", severity="warning")
            return
        s, t = self.session.src, self.session.tgt

        def tail(doc, ids: tuple[int, ...]) -> str:
            text = doc.sentences[ids[-1]].text if ids else "—"
            return text if len(text) <= 26 else "…" + text[-25:]

        def label(p: int, q: int) -> str:
            return (f"{p}-{q} + {len(b.src) - p}-{len(b.tgt) - q}   {s.lang} {tail(s, b.src[:p])}  ‖  "
                    f"{t.lang} {tail(t, b.tgt[:q])}")

        def done(point: tuple[int, int] | None) -> None:
            if point is not None:
                self._edit(edits.split, k, *point)

        title = f"Split bead {k + 1} ({b.kind}): the first part ends with"
        await self.app.push_screen(SplitModal(title, points, [label(*p) for p in points]), done)

    def action_split_one_sided(self) -> None:
        self._edit(edits.split_one_sided, self.grid.cursor)

    def _side(self) -> Side:
        return Side(self.grid.side)

    def action_move_sentence(self, up: bool) -> None:
        fn = edits.move_first_up if up else edits.move_last_down
        self._edit(fn, self.grid.cursor, self._side())

    def action_shift(self, down: bool) -> None:
        self._edit(edits.shift_side, self.grid.cursor, self._side(), down)

    def action_detach(self) -> None:
        self._edit(edits.detach, self.grid.cursor, self._side())

    def action_realign(self) -> None:
        try:
            lo, hi = edits.unconfirmed_stretch(self.session.alignment, self.grid.cursor)
        except EditError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.notify(f"re-aligning beads {lo + 1}-{hi} (the beads around them stay fixed)")
        self.app.realign(self.grid.cursor)

    def action_undo(self) -> None:
        self.app.undo()

    def action_redo(self) -> None:
        self.app.redo()

    # --- navigation ---------------------------------------------------------------------------------------

    def action_find(self, kind: str, step: int) -> None:
        a = self.session.alignment
        if kind == "flagged":
            self._find_flag(step)
            return
        test = nav.PREDICATES[kind]
        k = nav.find(a, self.grid.cursor, step, lambda k: test(a.beads[k]))
        if k is None:
            self.notify(f"no {kind} bead {'below' if step > 0 else 'above'}", timeout=2)
        else:
            self.grid.cursor = k

    async def action_goto(self) -> None:
        s = self.session

        def done(text: str | None) -> None:
            if text:
                k = nav.parse_goto(text, s.alignment, s.src.lang, s.tgt.lang)
                if k is None:
                    self.notify(f"no bead or sentence {text!r}", severity="warning")
                else:
                    self.grid.cursor = k

        # the pair's own numbers and languages: a fixed "bead (120)" read as a hint that a 47-bead pair had 120
        n, ns, nt = len(s.alignment.beads), len(s.src.sentences), len(s.tgt.sentences)
        await self.app.push_screen(PromptModal(f"Go to bead (1-{n}) or sentence ({s.src.lang} 0-{max(ns - 1, 0)}, "
                                               f"{s.tgt.lang} 0-{max(nt - 1, 0)})", f"{s.tgt.lang} {nt // 2}"), done)

    async def action_search(self) -> None:
        s = self.session

        def done(text: str | None) -> None:
            if not text:
                return
            try:
                self.pattern = nav.compile_search(text, s.src.lang, s.tgt.lang)
            except re.error as exc:
                self.notify(f"not a regular expression: {exc}", severity="error")
                return
            self._search_from_cursor(1)

        await self.app.push_screen(PromptModal(f"Search (regex; '{s.src.lang}:' or '{s.tgt.lang}:' for one side)"),
                             done)

    async def action_search_again(self, step: int) -> None:
        if self.pattern is None:
            await self.action_search()
            return
        self._search_from_cursor(step)

    def _search_from_cursor(self, step: int) -> None:
        s = self.session
        k = nav.search(s.alignment, s.src, s.tgt, *self.pattern, self.grid.cursor, step)
        if k is None:
            self.notify("no match", severity="warning")
        else:
            self.grid.cursor = k

    async def action_pair(self, step: int) -> None:
        await self.app.open_neighbour(step)

    async def action_export(self, everything: bool) -> None:
        await self.app.export_tmx(None if everything else self.session.name)

    def action_back(self) -> None:
        if self.grid.mark is not None:
            self.grid.mark = None
            self._update_panes()
        else:
            self.app.leave_pair()
