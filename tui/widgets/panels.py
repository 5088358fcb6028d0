"""The panes under the grid: the current bead in full, and the status line."""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import Static

from aligner.models import Bead, BeadStatus, Document

from ..nav import bead_state


class BeadDetail(Static):
    """Full texts, score, status and flag of the bead under the cursor, one sentence a line with its id."""

    def show_bead(self, k: int, b: Bead, src: Document, tgt: Document, flag: str | None, note: str) -> None:
        state = bead_state(b, flag) or "automatic"
        self.set_classes(f"-{state}" if state != "automatic" else "")
        score = "--" if b.is_null or b.status is BeadStatus.EDITED else f"{b.score:.3f}"
        head = f"[b]bead {k + 1}[/b]  {b.kind}  score {score}  {b.status.value}"
        if flag:
            head += f"  [b]flag: {flag}[/b]"
        if note:
            head += f"  note: {escape(note)}"
        lines = [head]
        for lang, doc, ids in ((src.lang, src, b.src), (tgt.lang, tgt, b.tgt)):
            if not ids:
                lines.append(f"[dim]{lang}  (nothing: {'added' if doc is src else 'dropped'} passage)[/dim]")
            for i in ids:
                s = doc.sentences[i]
                lines.append(f"[b]{lang} {i:>4}[/b] [dim]¶{s.paragraph}[/dim]  {escape(s.text)}")
        self.update("\n".join(lines))


class StatusLine(Static):
    """Position, counts by state and review progress of the pair."""

    def show_status(self, k: int, c: dict[str, int], side: str, mark: int | None, note: str = "") -> None:
        """c: the counts of tui.nav.counts; note: the state of the flags when they are not up to date."""
        n = max(c["beads"], 1)
        pct = 100 * c["reviewed"] / n
        parts = [f"bead {k + 1}/{c['beads']}", f"{side} side", f"reviewed {c['reviewed']} ({pct:.0f}%)",
                 f"low {c['low']}", f"added {c['added']}", f"dropped {c['dropped']}",
                 f"flagged {c['flagged'] + c['divergent'] + c['furniture']}", f"edited {c['edited']}"]
        if mark is not None:
            lo, hi = sorted((mark, k))
            parts.append(f"[b]marked {lo + 1}-{hi + 1}[/b]")
        if note:
            parts.append(f"[b]{note}[/b]")
        self.update(" · ".join(parts))
