"""The panes under the grid: the current bead in full, and the status line."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Static

from aligner.align.posterior import sure
from aligner.models import Bead, Document

from ..nav import bead_state


class BeadDetail(Static):
    """Full texts, score, status, the aligner's confidence and the flags of the bead under the cursor, one sentence a
    line with its id."""

    _height = -1  # lines the last text took, about (markup counted as text)

    def show_bead(self, k: int, b: Bead, src: Document, tgt: Document, flag: str | None,
                  flags: Sequence[str] = ()) -> None:
        """flag: the kind the bead is coloured by; flags: one line of markup per flag record on the bead."""
        state = bead_state(b, flag) or "automatic"
        classes = {f"-{state}"} if state != "automatic" else set()
        if classes != set(self.classes):  # a new class restyles the pane: only when the state changes
            self.set_classes(classes)
        score = "--" if b.is_null or b.score == 0.0 else f"{b.score:.3f}"  # 0.0: a pair an editor made
        head = f"[b]bead {k + 1}[/b]  {b.kind}  score {score}  {b.status.value}"
        if b.confidence is not None:  # how sure the aligner was of it (None: an editor's bead, or an older run)
            head += f"  sure {sure(b.confidence)}"
        if flag:
            head += f"  [b]flag: {flag}[/b]"
        lines = [head, *flags]
        for lang, doc, ids in ((src.lang, src, b.src), (tgt.lang, tgt, b.tgt)):
            if not ids:  # why this side is empty, as the bead's colour says
                why = {"furniture": "web furniture on the other side only", "moved": "moved passage, translated "
                       "elsewhere"}.get(flag or "", f"{'added' if doc is src else 'dropped'} passage")
                lines.append(f"[dim]{lang}  (nothing: {why})[/dim]")
            for i in ids:
                s = doc.sentences[i]
                lines.append(f"[b]{lang} {i:>4}[/b] [dim]¶{s.paragraph}[/dim]  {escape(s.text)}")
        # a layout pass (the whole screen, ~4 ms) only when the text may take more lines than the pane shows, now
        # or before (its scroll bar must follow): text that fits is drawn into the pane's fixed size whatever its
        # number of lines. Markup counts as text here, so this errs towards a layout pass.
        region = self.content_region
        height = sum(-(-cell_len(line) // max(region.width, 20)) for line in lines)
        self.update("\n".join(lines), layout=max(height, self._height) >= region.height)
        self._height = height


class StatusLine(Static):
    """Position, counts by state and review progress of the pair."""

    def show_status(self, k: int, c: dict[str, int], side: str, mark: int | None, note: str = "",
                    open_flags: int = 0) -> None:
        """c: the counts of tui.nav.counts; note: the state of the flags when they are not up to date. What the
        editor acts on (the marked run, stale flags) and the progress (reviewed, open flags: is the pair done?) come
        before the counts, which a narrow terminal cuts."""
        n = max(c["beads"], 1)
        pct = 100 * c["reviewed"] / n
        parts = [f"bead {k + 1}/{c['beads']}", f"{side} side"]
        if mark is not None:
            lo, hi = sorted((mark, k))
            parts.append(f"[b]marked {lo + 1}-{hi + 1}[/b]")
        if note:
            parts.append(f"[b]{escape(note)}[/b]")
        # progress first (reviewed, the flagger's flags still open: whether the pair is done), then the counts
        parts += [f"reviewed {c['reviewed']} ({pct:.0f}%)", f"open flags {open_flags}",
                  f"doubtful {c['doubtful beads']}", f"added {c['added']}", f"dropped {c['dropped']}",
                  f"your flags {c['flagged beads']}", f"edited {c['edited beads']}"]
        self.update(" · ".join(parts), layout=False)  # one line, always: no layout pass


class SteadyFooter(Footer):
    """Textual's footer, rebuilt only when the keys it shows change. Textual's own rebuilds its key widgets on
    every binding update, such as each time a dialog closes, which costs a layout pass of the whole screen."""

    _shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = tuple((b.key, b.action, enabled, tooltip)
                      for _, b, enabled, tooltip in screen.active_bindings.values() if b.show)
        if self._bindings_ready and shown == self._shown:
            return
        super().bindings_changed(screen)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = shown
