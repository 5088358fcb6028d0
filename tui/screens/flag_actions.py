"""The review screen's flag keys: the editor's own flags (mark, flag, unflag), the review of the flagger's
(accept, dismiss, open again), the flag list and the stops at each flag. A mixin of ReviewScreen, which gives it
`grid`, `session`, `_edit`, `refresh_flags` and `_update_panes`."""

from __future__ import annotations

from aligner import edits
from aligner.edits import EditError
from aligner.flags import FlagStatus
from aligner.store import is_editor

from .. import nav
from .modals import FlagListModal, FlagModal


class FlagActions:
    """Flag actions of the review screen."""

    def action_mark(self) -> None:
        g = self.grid
        g.mark = None if g.mark is not None else g.cursor
        self._update_panes()

    async def action_flag(self) -> None:
        lo, hi = self.grid.marked_range()

        def done(result: tuple[str, str] | None) -> None:
            if result is not None:
                kind, note = result
                try:
                    edit = edits.flag(self.session.alignment, lo, hi, kind, note)
                except EditError as exc:
                    self.notify(str(exc), severity="warning")
                    return
                self.grid.mark = None
                self.app.commit(edit, flag=(kind, note))

        await self.app.push_screen(FlagModal(lo, hi), done)

    def action_unflag(self) -> None:
        """Clear the editor's flag of the beads (an edit, undoable): without a marked range, the whole passage the
        flag on the cursor's bead covers (clearing one bead of it left the flag listed over all of them); where
        there is none, dismiss the flagger's flags there, or open them again when all are dismissed already."""
        lo, hi = self.grid.marked_range()
        beads = self.session.alignment.beads
        if any(beads[k].status is edits.BeadStatus.FLAGGED for k in range(lo, hi + 1)):
            if self.grid.mark is None and (extent := self.session.editor_flag_extent(lo)):
                lo, hi = extent
            self.grid.mark = None
            self._edit(edits.unflag, lo, hi, self.session.confirmed_under_flags(lo, hi))
            return
        self._review_flags(lo, hi, FlagStatus.DISMISSED)

    def action_accept_flag(self) -> None:
        lo, hi = self.grid.marked_range()
        self._review_flags(lo, hi, FlagStatus.CONFIRMED)

    def _review_flags(self, lo: int, hi: int, status: FlagStatus) -> None:
        """Give the flagger's open flags on beads lo..hi `status`; where none is open, those of another status
        (or all of them back to open when they all have it). Also while the pair's flags are being derived after
        an edit: the decision is kept by the flag's key, which the derivation's save respects."""
        records = [f for f in self.session.flags_at(lo, hi) if not is_editor(f)]
        if not records:
            self.notify("no flag of the flagger here", severity="warning", timeout=3)
            return
        open_ = [f for f in records if f["status"] == FlagStatus.OPEN.value]
        other = [f for f in records if f["status"] != status.value]
        if open_:
            records = open_
        elif other:
            records = other
        else:
            status = FlagStatus.OPEN
        if not self.app.saving(lambda: self.session.review_flags(records, status)):
            self.refresh_flags()
            return
        self.grid.mark = None
        self.refresh_flags()
        what = ", ".join(sorted({f["type"] for f in records}))
        self.notify(f"{what}: {status.word}", timeout=2)

    async def action_flag_list(self) -> None:
        s = self.session
        shown = s.flag_list()
        if not shown:
            self.notify("this pair has no flags", timeout=2)
            return

        def done(k: int | None) -> None:
            if k is not None:
                self.grid.cursor = k

        await self.app.push_screen(FlagListModal(f"Flags of {s.name}: open ones first, most confident first\n"
                                                 f"  {nav.FLAG_HEADER}",  # over the rows: the list's border and padding
                                                 [nav.flag_row(k, f) for k, f in shown], [k for k, _ in shown]),
                                   done)

    def _find_flag(self, step: int) -> None:
        """To the next (step 1) or previous (-1) place where a flag starts: its first bead, and each place of a
        moved passage; a flag that starts inside another one is a stop of its own."""
        k, stops = self.grid.cursor, self.session.flag_starts()
        k = next((j for j in (stops if step > 0 else reversed(stops)) if (j - k) * step > 0), None)
        if k is None:
            self.notify(f"no flag {'below' if step > 0 else 'above'}", timeout=2)
            return
        self.grid.cursor = k
