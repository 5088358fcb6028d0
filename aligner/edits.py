"""Review edits as pure functions: an alignment and a cursor in, a new alignment out (nothing is written here).

Every function returns an `Edit` (the new alignment, where the cursor should go, and the op name and details the
store logs for undo) or raises `EditError` with a message an editor can act on. Confirmed beads are never changed
by a structural edit: they are the editor's decisions and the anchors of a re-alignment.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain

from .errors import AlignerError
from .models import Alignment, Bead, BeadStatus, Document


class EditError(AlignerError):
    """An edit that cannot be made where the cursor is (no next bead, confirmed neighbour, nothing to split)."""


class Side(str, enum.Enum):
    """One side of a bead."""

    SRC = "src"
    TGT = "tgt"

    @property
    def word(self) -> str:
        """The side as editors read it: 'source' or 'target'."""
        return "source" if self is Side.SRC else "target"


@dataclass(frozen=True)
class Edit:
    """The result of an edit: the new alignment, the bead the cursor should land on, and what to log."""

    alignment: Alignment
    cursor: int
    op: str
    detail: dict = field(default_factory=dict)


Pair = tuple[tuple[int, ...], tuple[int, ...]]
AlignFn = Callable[[Document, Document], Alignment]


def _bead(a: Alignment, i: int) -> Bead:
    if not 0 <= i < len(a.beads):
        raise EditError(f"there is no bead {i + 1}")
    return a.beads[i]


def _ids(b: Bead, side: Side) -> tuple[int, ...]:
    return b.src if side is Side.SRC else b.tgt


def _pair(src: tuple[int, ...], tgt: tuple[int, ...], side: Side, ids: tuple[int, ...]) -> Pair:
    """(src, tgt) with `side` replaced by `ids`."""
    return (ids, tgt) if side is Side.SRC else (src, ids)


def _splice(a: Alignment, lo: int, hi: int, pairs: Iterable[Pair]) -> Alignment:
    """Replace beads lo..hi-1 by `pairs`; a pair equal to a replaced bead keeps its score and status, every other
    pair becomes an EDITED bead, and pairs empty on both sides vanish.

    Raises EditError if a confirmed bead in the range would not survive unchanged.
    """
    old = {(b.src, b.tgt): b for b in a.beads[lo:hi]}
    take, edited = old.pop, BeadStatus.EDITED
    new = tuple(take(p, None) or Bead(p[0], p[1], 0.0, edited) for p in pairs if p[0] or p[1])
    if any(b.status is BeadStatus.CONFIRMED for b in old.values()):  # what is left of `old` did not survive
        for k in range(lo, hi):
            b = a.beads[k]
            if b.status is BeadStatus.CONFIRMED and (b.src, b.tgt) in old:
                raise EditError(f"bead {k + 1} is confirmed: unconfirm it first")
    return a.with_beads(a.beads[:lo] + new + a.beads[hi:])


def _need_unconfirmed(a: Alignment, *idx: int) -> None:
    for k in idx:
        if a.beads[k].status is BeadStatus.CONFIRMED:
            raise EditError(f"bead {k + 1} is confirmed: unconfirm it first")


def _set_status(a: Alignment, idx: Iterable[int], status: BeadStatus) -> Alignment:
    beads = list(a.beads)
    for k in idx:
        beads[k] = replace(beads[k], status=status)
    return a.with_beads(beads)


def confirm(a: Alignment, i: int) -> Edit:
    """Mark bead i as checked by the editor. A bead the editor flagged is refused: confirming it would drop the
    flag and its note unseen."""
    if _bead(a, i).status is BeadStatus.FLAGGED:
        raise EditError(f"bead {i + 1} carries your flag: clear it first (delete)")
    return Edit(_set_status(a, [i], BeadStatus.CONFIRMED), i, "confirm", {"bead": i})


def _unreviewed(b: Bead) -> BeadStatus:
    """The status a bead goes back to when a confirmation or a flag is taken back: EDITED for a two-sided bead
    an editor made (it has no score: 0.0, which the aligner never gives a pair: align.driver.ALIGNED_NONZERO),
    else AUTO."""
    return BeadStatus.EDITED if b.src and b.tgt and b.score == 0.0 else BeadStatus.AUTO


def _take_back(a: Alignment, idx: Iterable[int]) -> Alignment:
    beads = list(a.beads)
    for k in idx:
        beads[k] = replace(beads[k], status=_unreviewed(beads[k]))
    return a.with_beads(beads)


def unconfirm(a: Alignment, i: int) -> Edit:
    """Take back a confirmation (or a flag): the bead becomes an unreviewed bead again (an edited one stays
    edited)."""
    _bead(a, i)
    return Edit(_take_back(a, [i]), i, "unconfirm", {"bead": i})


def confirm_above(a: Alignment, i: int) -> Edit:
    """Confirm every bead above the cursor (0..i-1) that is not flagged: the editor has read down to here."""
    _bead(a, i)
    idx = [k for k in range(i) if a.beads[k].status in (BeadStatus.AUTO, BeadStatus.EDITED)]
    return Edit(_set_status(a, idx, BeadStatus.CONFIRMED), i, "confirm_above", {"bead": i, "count": len(idx)})


def merge_next(a: Alignment, i: int) -> Edit:
    """Merge bead i with bead i+1."""
    b = _bead(a, i)
    if i + 1 >= len(a.beads):
        raise EditError("the last bead has no next bead to merge with")
    c = a.beads[i + 1]
    _need_unconfirmed(a, i, i + 1)
    return Edit(_splice(a, i, i + 2, [(b.src + c.src, b.tgt + c.tgt)]), i, "merge_next", {"bead": i})


def merge_prev(a: Alignment, i: int) -> Edit:
    """Merge bead i with bead i-1."""
    _bead(a, i)
    if i == 0:
        raise EditError("the first bead has no previous bead to merge with")
    e = merge_next(a, i - 1)
    return Edit(e.alignment, i - 1, "merge_prev", {"bead": i})


def split_points(b: Bead) -> list[tuple[int, int]]:
    """Every (src_at, tgt_at) that splits bead b into two non-empty beads: src[:src_at] + tgt[:tgt_at], rest."""
    out = []
    for p in range(len(b.src) + 1):
        for q in range(len(b.tgt) + 1):
            if (p or q) and (p, q) != (len(b.src), len(b.tgt)):
                out.append((p, q))
    return out


def split(a: Alignment, i: int, src_at: int, tgt_at: int) -> Edit:
    """Split bead i in two: the first src_at source and tgt_at target sentences, then the rest."""
    b = _bead(a, i)
    if (src_at, tgt_at) not in split_points(b):
        raise EditError(f"bead {i + 1} ({b.kind}) cannot be split at {src_at}/{tgt_at}")
    _need_unconfirmed(a, i)
    pairs = [(b.src[:src_at], b.tgt[:tgt_at]), (b.src[src_at:], b.tgt[tgt_at:])]
    return Edit(_splice(a, i, i + 1, pairs), i, "split", {"bead": i, "src_at": src_at, "tgt_at": tgt_at})


def move_first_up(a: Alignment, i: int, side: Side) -> Edit:
    """Move the first sentence of one side of bead i to the end of the same side of bead i-1.

    At the top of the document the sentence becomes a bead of its own.
    """
    b = _bead(a, i)
    ids = _ids(b, side)
    if not ids:
        raise EditError(f"bead {i + 1} has no {side.word} sentence to move up")
    _need_unconfirmed(a, i, *([i - 1] if i else []))
    if i == 0:
        pairs = [_pair((), (), side, ids[:1]), _pair(b.src, b.tgt, side, ids[1:])]
        return Edit(_splice(a, 0, 1, pairs), 0, "move_first_up", {"bead": i, "side": side.value})
    p = a.beads[i - 1]
    pairs = [_pair(p.src, p.tgt, side, _ids(p, side) + ids[:1]), _pair(b.src, b.tgt, side, ids[1:])]
    new = _splice(a, i - 1, i + 1, pairs)
    cursor = i if len(new.beads) == len(a.beads) else i - 1
    return Edit(new, cursor, "move_first_up", {"bead": i, "side": side.value})


def move_last_down(a: Alignment, i: int, side: Side) -> Edit:
    """Move the last sentence of one side of bead i to the start of the same side of bead i+1.

    At the bottom of the document the sentence becomes a bead of its own.
    """
    b = _bead(a, i)
    ids = _ids(b, side)
    if not ids:
        raise EditError(f"bead {i + 1} has no {side.word} sentence to move down")
    last = i + 1 >= len(a.beads)
    _need_unconfirmed(a, i, *([] if last else [i + 1]))
    if last:
        pairs = [_pair(b.src, b.tgt, side, ids[:-1]), _pair((), (), side, ids[-1:])]
        new = _splice(a, i, i + 1, pairs)
    else:
        n = a.beads[i + 1]
        pairs = [_pair(b.src, b.tgt, side, ids[:-1]), _pair(n.src, n.tgt, side, ids[-1:] + _ids(n, side))]
        new = _splice(a, i, i + 2, pairs)
    return Edit(new, min(i, len(new.beads) - 1), "move_last_down", {"bead": i, "side": side.value})


def _stretch_end(a: Alignment, i: int) -> int:
    """Index of the first confirmed bead after i, or the number of beads."""
    for k in range(i + 1, len(a.beads)):
        if a.beads[k].status is BeadStatus.CONFIRMED:
            return k
    return len(a.beads)


def shift_side(a: Alignment, i: int, side: Side, down: bool) -> Edit:
    """Shift one side of rows i.. by one row, as in an alignment grid, up to the next confirmed bead.

    Down inserts an empty cell at row i (the last cell of the stretch spills into a new row); up removes the cell
    at row i, merging its sentences into row i-1, and leaves the last row of the stretch empty on that side.
    """
    _bead(a, i)
    _need_unconfirmed(a, i)
    end = _stretch_end(a, i)
    rows = a.beads[i:end]
    # a stretch runs to thousands of rows: one pass per column, no call per row
    src, tgt = [b.src for b in rows], [b.tgt for b in rows]
    cells, other = (src, tgt) if side is Side.SRC else (tgt, src)

    def make(cells: list, other: list) -> Iterable[Pair]:
        return zip(cells, other) if side is Side.SRC else zip(other, cells)

    if down:
        pairs = chain(make([(), *cells[:-1]], other), make(cells[-1:], [()]))
        return Edit(_splice(a, i, end, pairs), i, "shift_down", {"bead": i, "side": side.value})
    lo = i
    if cells[0]:
        if i == 0:
            raise EditError("the first row cannot shift up: there is no row above to take its sentences")
        _need_unconfirmed(a, i - 1)
        lo = i - 1
    pairs = make([*cells[1:], ()], other)
    if lo < i:
        p = a.beads[i - 1]
        pairs = chain([_pair(p.src, p.tgt, side, _ids(p, side) + cells[0])], pairs)
    new = _splice(a, lo, end, pairs)
    return Edit(new, min(i, len(new.beads) - 1), "shift_up", {"bead": i, "side": side.value})


def detach(a: Alignment, i: int, side: Side) -> Edit:
    """Give the last sentence of one side of bead i an empty counterpart: it becomes a dropped (source) or added
    (target) passage of its own, next to what is left of the bead."""
    b = _bead(a, i)
    ids = _ids(b, side)
    if not b.src or not b.tgt:
        raise EditError(f"bead {i + 1} is already an added or dropped passage")
    _need_unconfirmed(a, i)
    rest = _pair(b.src, b.tgt, side, ids[:-1])
    alone = _pair((), (), side, ids[-1:])
    pairs = [alone, rest] if not rest[0] and alone[0] else [rest, alone]
    cursor = i + pairs.index(alone)
    return Edit(_splice(a, i, i + 1, pairs), cursor, "detach", {"bead": i, "side": side.value})


def split_one_sided(a: Alignment, i: int) -> Edit:
    """Split an added or dropped passage of several sentences (bead i, one side empty) into one bead per
    sentence, so that each sentence can be confirmed, flagged or moved on its own."""
    b = _bead(a, i)
    if b.src and b.tgt:
        raise EditError(f"bead {i + 1} ({b.kind}) has both sides: only an added or dropped passage splits into "
                        "single sentences (s splits at a chosen sentence)")
    ids = b.src or b.tgt
    if len(ids) < 2:
        raise EditError(f"bead {i + 1} is a single sentence already")
    _need_unconfirmed(a, i)
    pairs = [((k,), ()) if b.src else ((), (k,)) for k in ids]
    return Edit(_splice(a, i, i + 1, pairs), i, "split_one_sided", {"bead": i, "beads": len(ids)})


def flag(a: Alignment, lo: int, hi: int, kind: str, note: str = "") -> Edit:
    """Mark beads lo..hi (inclusive) as a flagged passage of `kind` (added, dropped, divergent, furniture)."""
    lo, hi = sorted((lo, hi))
    _bead(a, lo), _bead(a, hi)
    new = _set_status(a, range(lo, hi + 1), BeadStatus.FLAGGED)
    return Edit(new, hi, "flag", {"first": lo, "last": hi, "kind": kind, "note": note})


Link = tuple[tuple[int, ...], tuple[int, ...]]  # a bead's (src, tgt) sentence ids


def unflag(a: Alignment, lo: int, hi: int, confirmed: Collection[Link] = ()) -> Edit:
    """Clear the flag of beads lo..hi (inclusive). confirmed: the (src, tgt) links of the beads the editor had
    confirmed before flagging them (`confirmed_links`): they go back to confirmed, the others to unreviewed."""
    lo, hi = sorted((lo, hi))
    _bead(a, lo), _bead(a, hi)
    idx = [k for k in range(lo, hi + 1) if a.beads[k].status is BeadStatus.FLAGGED]
    back = [k for k in idx if (a.beads[k].src, a.beads[k].tgt) in confirmed]
    new = _set_status(_take_back(a, idx), back, BeadStatus.CONFIRMED)
    return Edit(new, hi, "unflag", {"first": lo, "last": hi, **({"confirmed": len(back)} if back else {})})


def confirmed_links(a: Alignment, lo: int, hi: int) -> list[Link]:
    """The (src, tgt) links of the confirmed beads among lo..hi: what a flag over them keeps, so that clearing
    the flag gives the confirmations back (they were lost: the beads came back unreviewed)."""
    lo, hi = sorted((lo, hi))
    return [(b.src, b.tgt) for b in a.beads[lo:hi + 1] if b.status is BeadStatus.CONFIRMED]


_FIXED = (BeadStatus.CONFIRMED, BeadStatus.FLAGGED)  # the editor's decisions: a re-alignment keeps them


def unconfirmed_stretch(a: Alignment, i: int) -> tuple[int, int]:
    """The beads lo..hi-1 around i that a re-alignment may change: bounded by confirmed or flagged beads (or the
    document's ends) and, from an automatic bead, by the beads an editor made (a sentence split off by hand stays
    so, as align-all carries it over). From an edited bead the stretch takes edited beads in: a shift makes every
    bead down to the next confirmed one edited, and re-aligning what it left is the usual repair."""
    b = _bead(a, i)
    if b.status in _FIXED:
        raise EditError(f"bead {i + 1} is {b.status.value}: a re-alignment keeps it as it is")
    fixed = _FIXED if b.status is BeadStatus.EDITED else (*_FIXED, BeadStatus.EDITED)
    lo = i
    while lo > 0 and a.beads[lo - 1].status not in fixed:
        lo -= 1
    hi = i + 1
    while hi < len(a.beads) and a.beads[hi].status not in fixed:
        hi += 1
    return lo, hi


def sub_document(doc: Document, first: int, stop: int) -> Document:
    """Sentences first..stop-1 of doc as a document of their own, ids re-based at 0."""
    sents = tuple(replace(s, id=s.id - first) for s in doc.sentences[first:stop])
    return replace(doc, sentences=sents)


def realign(a: Alignment, i: int, src: Document, tgt: Document, align: AlignFn) -> Edit:
    """Re-align the unreviewed stretch around bead i with `align` (unconfirmed_stretch: confirmed and flagged beads
    stay fixed, and edited ones too unless the cursor is on one); the cursor stays on the bead that now holds bead
    i's first sentence.

    align(sub_src, sub_tgt) -> Alignment of two sub-documents with ids from 0; its beads are shifted back into
    place and come in as AUTO beads.
    """
    lo, hi = unconfirmed_stretch(a, i)
    s0 = sum(len(b.src) for b in a.beads[:lo])
    t0 = sum(len(b.tgt) for b in a.beads[:lo])
    s1 = s0 + sum(len(b.src) for b in a.beads[lo:hi])
    t1 = t0 + sum(len(b.tgt) for b in a.beads[lo:hi])
    # a bead the re-alignment draws as it was stays the very bead (its confidence too: the one the store has)
    was = {(b.src, b.tgt): b for b in a.beads[lo:hi] if b.status is BeadStatus.AUTO}
    if s1 == s0 or t1 == t0:
        beads = [was.get(((k,), ())) or Bead((k,), (), confidence=1.0) for k in range(s0, s1)] + \
            [was.get(((), (k,))) or Bead((), (k,), confidence=1.0) for k in range(t0, t1)]
    else:
        sub = align(sub_document(src, s0, s1), sub_document(tgt, t0, t1))
        sub.validate()
        if (sub.n_src, sub.n_tgt) != (s1 - s0, t1 - t0):
            raise EditError("the aligner returned an alignment of the wrong size")
        beads = []
        for b in sub.beads:
            src, tgt = tuple(k + s0 for k in b.src), tuple(k + t0 for k in b.tgt)
            beads.append(was.get((src, tgt)) or Bead(src, tgt, b.score, confidence=b.confidence))
    new = a.with_beads(a.beads[:lo] + tuple(beads) + a.beads[hi:])
    detail = {"first": lo, "last": hi - 1, "beads": len(beads)}
    cursor = bead_holding(new.beads, a.beads[i], lo, lo + len(beads))
    return Edit(new, min(lo if cursor is None else cursor, len(new.beads) - 1), "realign", detail)


def bead_holding(beads: Sequence[Bead], old: Bead, lo: int, hi: int) -> int | None:
    """The index, among beads lo..hi-1, of the bead that holds bead `old`'s first sentence (its first source
    sentence, else its first target sentence), or None: where the cursor goes when a change redraws its bead."""
    side, sid = (0, old.src[0]) if old.src else (1, old.tgt[0])
    return next((k for k in range(lo, hi) if sid in (beads[k].src, beads[k].tgt)[side]), None)
