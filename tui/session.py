"""The pair under review, between the screens and the store: documents, the current alignment and flags, the
edits that change them, each written to the store at once, and where the editor left it (the store's view state).
No Textual here, so it is tested directly.

An editor's flag is two things: the beads' FLAGGED status, which is part of the alignment and so undone and redone
with it, and a record in the store's flags table (kind, note and when it was made, key prefixed
aligner.store.EDITOR_KEY), shown while one of its sentences is in a FLAGGED bead and no newer flag of the editor
covers it (aligner.store.shown_editor_flags).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import accumulate
from pathlib import Path

from aligner.edits import Edit, Link, bead_holding, confirmed_links
from aligner.errors import StaleAlignment
from aligner.flags import Flag, FlagStatus, FlagType, Span
from aligner.models import Alignment, BeadStatus, Document
from aligner.store import (
    EDITOR_KEY,
    Store,
    as_shown,
    flagged_sentences,
    is_editor,
    is_open,
    shown_editor_flags,
)

from .nav import changed_stretch, is_doubtful


@dataclass
class PairSession:
    """One document pair open for review."""

    store: Store
    name: str
    src: Document
    tgt: Document
    alignment: Alignment
    flags: list[dict] = field(default_factory=list)
    cursor: int = 0
    view: dict = field(default_factory=dict)  # the view state saved in the store: {"cursor": bead}
    vectors: tuple | None = None  # sentence vectors (src, tgt) to derive flags again, read on the first edit
    stale: str = ""  # why the flags no longer match the alignment, when they do not
    _shown: tuple = (None, None, set())  # (alignment, flags, the editor's flags that show): a cache

    @classmethod
    def open(cls, store: Store, name: str) -> PairSession:
        """The pair as the store has it, with the cursor where the editor left it."""
        src, tgt = store.documents_for(name)
        session = cls(store, name, src, tgt, store.alignment(name), store.flag_records(name),
                      view=store.view_state(name))
        at = session.view.get("cursor", 0)
        session.cursor = max(0, min(at if isinstance(at, int) else 0, len(session.alignment.beads) - 1))
        return session

    def save_cursor(self) -> None:
        """Keep the cursor in the store's view state (its own small transaction, not an edit), when it moved."""
        if self.view.get("cursor") != self.cursor:
            self.store.save_view_state(self.name, {**self.view, "cursor": self.cursor})
            self.view = {**self.view, "cursor": self.cursor}

    def apply(self, edit: Edit) -> bool:
        """Save `edit` in its own transaction, then make it the current alignment; whether it changed anything
        (the store compares the beads: an edit that changes nothing is not logged)."""
        changed = self.store.apply_edit(self.name, edit.alignment, edit.op, edit.detail) is not None
        self.alignment = edit.alignment
        return changed

    def add_flag(self, edit: Edit, kind: str, note: str) -> None:
        """Save an editor's flag over beads first..last of `edit.detail`: the status edit, then kind and note."""
        beads = edit.alignment.beads[edit.detail["first"]:edit.detail["last"] + 1]
        src = [i for b in beads for i in b.src]
        tgt = [j for b in beads for j in b.tgt]
        flag = Flag(FlagType(kind), Span.of(self.src, src) if src else None, Span.of(self.tgt, tgt) if tgt else None,
                    1.0, 1.0, note, FlagStatus.CONFIRMED)
        record = {**flag.to_dict(), "key": EDITOR_KEY + flag.key,
                  "made": datetime.now(UTC).isoformat(timespec="microseconds")}  # the newest flag of a sentence shows
        if confirmed := confirmed_links(self.alignment, edit.detail["first"], edit.detail["last"]):
            record["confirmed"] = [[list(s), list(t)] for s, t in confirmed]  # given back when the flag is cleared
        self.apply(edit)
        self.flags = [f for f in self.flags if f.get("key") != record["key"]] + [record]
        self.store.save_flags(self.name, [{k: v for k, v in f.items() if k != "id"} for f in self.flags],
                              self.alignment.meta.get("run_id"))
        self.flags = self.store.flag_records(self.name)

    def save_derived(self, flags: list[dict]) -> None:
        """Make `flags` (tui.reflag.rederive) the pair's flags; StaleAlignment when another process has aligned
        the pair again since it was opened (they describe the alignment shown, not the new one)."""
        self.store.save_flags(self.name, flags, self.alignment.meta.get("run_id"))
        self.flags = self.store.flag_records(self.name)
        self.stale = ""

    def undo(self) -> tuple[int, tuple[int, int, int]] | None:
        """Undo the last edit of this pair: the bead to show and the stretch it changed (nav.changed_stretch), or
        None when there is nothing to undo."""
        return self._step(self.store.undo(self.name, self.alignment.meta.get("run_id")))

    def redo(self) -> tuple[int, tuple[int, int, int]] | None:
        return self._step(self.store.redo(self.name, self.alignment.meta.get("run_id")))

    def _step(self, after: Alignment | None) -> tuple[int, tuple[int, int, int]] | None:
        if after is None:
            return None
        before, self.alignment = self.alignment, after
        stretch = changed_stretch(before, after)
        # the bead of the changed stretch that holds the cursor's sentence (undoing a re-alignment that changed the
        # number of beads keeps the text in view), else the one nearest the cursor: undoing "confirm above" at bead
        # 2,600 stays there, not at the stretch's first bead (bead 1)
        lo, old_hi, new_hi = stretch
        at = min(max(self.cursor, lo), max(lo, new_hi - 1))
        if lo <= self.cursor < old_hi and self.cursor < len(before.beads):
            held = bead_holding(after.beads, before.beads[self.cursor], lo, new_hi)
            at = at if held is None else held
        return min(at, len(after.beads) - 1), stretch

    def flags_reach_past(self, stretch: tuple[int, int, int]) -> bool:
        """Whether an editor's flag over sentences of the beads an edit made (lo..new_hi-1) reaches beads outside
        them: whether it shows depends on all its beads' statuses (shown_editor_flags), so the kinds of those other
        beads may change too, and only a full pass tells them."""
        mine = [f for f in self.flags if is_editor(f)]
        if not mine:
            return False
        lo, _, new_hi = stretch
        beads = self.alignment.beads
        spans = []
        for side in ("src", "tgt"):
            start = sum(len(getattr(b, side)) for b in beads[:lo])
            spans.append((start, start + sum(len(getattr(b, side)) for b in beads[lo:new_hi])))
        for f in mine:
            for (a, b), side in zip(spans, ("src", "tgt")):
                ids = (f.get(side) or {}).get("sentences", ())
                if any(a <= i < b for i in ids) and any(not a <= i < b for i in ids):
                    return True
        return False

    def flags_by_bead(self, lo: int = 0, hi: int | None = None) -> dict[int, str]:
        """The flag kind shown on each bead (of beads lo..hi-1 only, when given): an editor's flag while its
        beads are FLAGGED, else a flag of the flagger that is not dismissed (a moved passage shows as "moved" on
        both its sides). A bead's kind depends on its own sentences and status, and on those of the beads an
        editor's flag over it spans, so after an edit only the beads it made need asking again, unless such a flag
        reaches past them (flags_reach_past). A sentence's bead is found by bisection on the beads' first sentences,
        worked out for beads lo..hi-1 only (a shift asks about 3,000 of them)."""
        beads = self.alignment.beads
        if not self.flags:
            return {}
        hi = len(beads) if hi is None else hi
        part = beads[lo:hi]
        before = beads[:lo]
        starts = ([*accumulate((len(b.src) for b in part), initial=sum(len(b.src) for b in before))],
                  [*accumulate((len(b.tgt) for b in part), initial=sum(len(b.tgt) for b in before))])

        def bead_of(side: int, i: int) -> int | None:
            first = starts[side]
            return lo + bisect_right(first, i, hi=len(part)) - 1 if first[0] <= i < first[-1] else None

        editor: dict[int, str] = {}
        found: dict[int, str] = {}
        shown = self._shown_editor_flags()
        for n, f in enumerate(self.flags):
            mine = is_editor(f)
            if f["status"] == FlagStatus.DISMISSED.value or (mine and n not in shown):
                continue
            for side, span in enumerate((f.get("src"), f.get("tgt"))):
                for i in (span or {}).get("sentences", ()):
                    k = bead_of(side, i)
                    if k is None:
                        continue
                    if mine and beads[k].status is BeadStatus.FLAGGED:
                        editor[k] = f["type"]
                    elif not mine:
                        found.setdefault(k, f["type"])
        return {**found, **editor}

    def _shown_editor_flags(self) -> set[int]:
        """Indices into self.flags of the editor's flags that show (aligner.store.shown_editor_flags), worked
        out once per alignment and set of flags."""
        a, flags, shown = self._shown
        if a is not self.alignment or flags is not self.flags:
            shown = shown_editor_flags(self.flags, *flagged_sentences(self.alignment.beads))
            self._shown = (self.alignment, self.flags, shown)
        return shown

    def flags_at(self, lo: int, hi: int | None = None) -> list[dict]:
        """The flag records on beads lo..hi (inclusive; hi defaults to lo), in saved order: the flagger's
        whatever their review status (a dismissed flag can be opened again), and an editor's that show, where
        one of its beads there is FLAGGED."""
        beads = self.alignment.beads[lo:(lo if hi is None else hi) + 1]
        src = {i for b in beads for i in b.src}
        tgt = {j for b in beads for j in b.tgt}
        flagged_src, flagged_tgt = flagged_sentences(beads)
        shown = self._shown_editor_flags()
        out = []
        for n, f in enumerate(self.flags):
            fs, ft = (f.get("src") or {}).get("sentences", ()), (f.get("tgt") or {}).get("sentences", ())
            if is_editor(f):
                if n in shown and (flagged_src.intersection(fs) or flagged_tgt.intersection(ft)):
                    out.append(f)
            elif src.intersection(fs) or tgt.intersection(ft):
                out.append(f)
        return out

    def confirmed_under_flags(self, lo: int, hi: int) -> set[Link]:
        """The links of the beads the editor had confirmed before flagging them, kept by the editor's flags shown
        on beads lo..hi (PairSession.add_flag): clearing those flags confirms them again."""
        return {(tuple(s), tuple(t)) for f in self.flags_at(lo, hi) if is_editor(f)
                for s, t in f.get("confirmed", ())}

    def editor_flag_extent(self, k: int) -> tuple[int, int] | None:
        """The first and last FLAGGED bead of the editor's flags shown on bead k (the passage it flagged), or None
        when bead k carries none."""
        starts = self._starts()
        beads = self.alignment.beads
        ks = set()
        for f in self.flags_at(k):
            if is_editor(f):
                for side, span in enumerate((f.get("src"), f.get("tgt"))):
                    ks.update(bisect_right(starts[side], i) - 1 for i in (span or {}).get("sentences", ())
                              if 0 <= i < starts[side][-1])
        ks = [j for j in ks if beads[j].status is BeadStatus.FLAGGED]
        return (min(ks), max(ks)) if ks else None

    def _flag_places(self) -> list[tuple[dict, list[int]]]:
        """Each flag record with the first bead it touches on each of its sides (one place for most flags, two
        for a moved passage); no place for an editor's flag that does not show (its record stays, for an undo)."""
        beads = self.alignment.beads
        starts = self._starts()
        shown, out = self._shown_editor_flags(), []
        for n, f in enumerate(self.flags):
            places = []
            if not is_editor(f) or n in shown:
                for side, span in enumerate((f.get("src"), f.get("tgt"))):
                    ks = [bisect_right(starts[side], i) - 1 for i in (span or {}).get("sentences", ())
                          if 0 <= i < starts[side][-1]]
                    if is_editor(f):
                        ks = [k for k in ks if beads[k].status is BeadStatus.FLAGGED]
                    if ks:
                        places.append(min(ks))
            out.append((f, places))
        return out

    def _starts(self) -> tuple[list[int], list[int]]:
        """Per side, the first sentence id of every bead and the total: a sentence's bead is found by bisection."""
        beads = self.alignment.beads
        return ([*accumulate((len(b.src) for b in beads), initial=0)],
                [*accumulate((len(b.tgt) for b in beads), initial=0)])

    def settled_beads(self) -> set[int]:
        """Beads that the flagger's flags touch, all of them accepted by an editor (none open; dismissed ones do
        not count): the grid draws them dim, so that what is left to review stands out."""
        confirmed = FlagStatus.CONFIRMED.value
        if not any(f["status"] == confirmed for f in self.flags):  # nothing accepted: no pass over the beads
            return set()
        beads = self.alignment.beads
        starts = self._starts()
        accepted: set[int] = set()
        open_: set[int] = set()
        for f in self.flags:
            if is_editor(f) or f["status"] == FlagStatus.DISMISSED.value:
                continue
            into = accepted if f["status"] == FlagStatus.CONFIRMED.value else open_
            for side, span in enumerate((f.get("src"), f.get("tgt"))):
                into.update(bisect_right(starts[side], i) - 1 for i in (span or {}).get("sentences", ())
                            if 0 <= i < starts[side][-1])
        flagged = {k for k in accepted if beads[k].status is BeadStatus.FLAGGED}  # the editor's own question
        return accepted - open_ - flagged

    def beads_of_flags(self) -> dict[int, int | None]:
        """Flag id -> the first bead it touches; None for an editor's flag that does not show."""
        return {f["id"]: min(places, default=None) for f, places in self._flag_places()}

    def open_flags(self) -> int:
        """How many of the flagger's flags no editor has settled yet."""
        return sum(map(is_open, self.flags))

    def flag_starts(self) -> list[int]:
        """Where the flags shown start, in bead order: the first bead of each flag on each of its sides (the two
        places of a moved passage), skipping dismissed flags and the editor's that do not show."""
        return sorted({k for f, places in self._flag_places() if f["status"] != FlagStatus.DISMISSED.value
                       for k in places})

    def flag_list(self) -> list[tuple[int, dict]]:
        """(first bead, flag record) of every flag shown, for the flag list: open ones first, then accepted and
        the editor's, then dismissed; within each, the most confident first."""
        where = self.beads_of_flags()
        flagged = flagged_sentences(self.alignment.beads)
        shown = [(k, as_shown(f, *flagged) if is_editor(f) else f) for f in self.flags
                 if (k := where[f["id"]]) is not None]
        rank = {FlagStatus.OPEN.value: 0, FlagStatus.DISMISSED.value: 2}
        return sorted(shown, key=lambda kf: (rank.get(kf[1]["status"], 1), -kf[1].get("confidence", 0.0), kf[0]))

    def review_flags(self, records: list[dict], status: FlagStatus) -> None:
        """Set the review status of the flagger's flags among `records`, in one transaction (not an edit of the
        alignment, so not in the undo log: the same key sets the status back). The flags are read again even
        when the store refuses (busy, or a flag derived away meanwhile), so the screen shows what is saved."""
        try:
            self.store.set_flag_statuses([f["id"] for f in records if not is_editor(f)], status,
                                         self.alignment.meta.get("run_id"))
        except StaleAlignment:
            raise  # the store's flags are another run's: the app loads the pair again
        except BaseException:
            self.flags = self.store.flag_records(self.name)
            raise
        self.flags = self.store.flag_records(self.name)


@dataclass(frozen=True)
class PairSummary:
    """One row of the project screen."""

    name: str
    n_src: int
    n_tgt: int
    beads: int
    confirmed: float
    flags: int
    doubtful: int  # automatic pair beads the aligner was unsure of (tui.nav.is_doubtful), left to look at
    last_edit: str
    state: str = ""  # what `aligner status` says beyond 'aligned': 'changed' (files imported again), 'failed'

    def cells(self) -> tuple[str, ...]:
        beads = str(self.beads) if self.beads else ("failed" if self.state == "failed" else "not aligned")
        if self.beads and self.state:
            beads += f" ({self.state})"
        return (self.name, str(self.n_src), str(self.n_tgt), beads, f"{self.confirmed:.0f}%", str(self.flags),
                str(self.doubtful) if self.beads else "--", _compact(self.last_edit) if self.last_edit else "--")


def summarize_pairs(store: Store) -> list[PairSummary]:
    """Review figures of every pair. Reads each alignment for its doubtful beads and status counts; its flags are
    those left to review, as `aligner status` counts them (Store.open_flag_counts)."""
    out = []
    open_flags, edited = store.open_flag_counts(), store.last_edit_dates()
    for p in store.pairs():
        confirmed, doubtful = 0.0, 0
        last, flags = "", 0
        if p.run_id is not None:
            a = store.alignment(p.name)
            doubtful = sum(map(is_doubtful, a.beads))
            confirmed = 100.0 * p.reviewed / max(len(a.beads), 1)  # confirmed or flagged, as `aligner status`
            last = _local(edited[p.name]) if p.name in edited else ""
            flags = open_flags.get(p.name, 0)
        state = p.status.value if p.status.value in ("changed", "failed") else ""
        out.append(PairSummary(p.name, p.n_src, p.n_tgt, p.beads, confirmed, flags, doubtful, last, state))
    return out


def _compact(stamp: str, today: date | None = None) -> str:
    """A last-edit time ('2026-11-28 05:22', local) as the project screen shows it, short enough for an 80-column
    terminal: 'today 05:22', '27 Nov 18:40' within the year, '2025-03-02' before."""
    today = today or date.today()
    try:
        when = datetime.strptime(stamp, "%Y-%m-%d %H:%M")
    except ValueError:
        return stamp
    if when.date() == today:
        return f"today {when:%H:%M}"
    return f"{when:%d %b %H:%M}" if when.year == today.year else f"{when:%Y-%m-%d}"


def _local(iso: str) -> str:
    """A stored UTC timestamp as the editor's local time, to the minute."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def migrate_cursor_file(store: Store, db_path: Path) -> int:
    """Move the cursors an older version kept beside the database (NAME.db.review.json) into the store's view
    state, for the pairs that have none there yet, then remove the file; returns how many pairs it had. Read
    once: a file that cannot be read or removed is left as it is."""
    path = db_path.with_name(db_path.name + ".review.json")
    try:
        at = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    known = {p.name for p in store.pairs()}
    moved = 0
    for name, k in (at.items() if isinstance(at, dict) else ()):
        if name in known and isinstance(k, int) and not store.view_state(name):
            store.save_view_state(name, {"cursor": k})
            moved += 1
    try:
        path.unlink()
    except OSError:
        pass  # read again next time: it only fills in pairs that still have no view state
    return moved
