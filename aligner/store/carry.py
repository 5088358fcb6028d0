"""Carrying review work over to a new alignment of the same pair, by sentence content."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace

from ..models import Alignment, Bead, BeadStatus


def carry_review(old: Alignment, old_src: Sequence[str], old_tgt: Sequence[str], new: Alignment,
                 new_src: Sequence[str], new_tgt: Sequence[str], old_changed: Sequence[str | None],
                 new_changed: Sequence[str | None] | None = None) -> tuple[Alignment, list[str | None], int]:
    """`new` with the reviewed beads of `old` put back: (alignment, changed dates per bead, beads carried).
    new_changed: the new beads' own dates (default None each), kept where no old bead replaces them.

    *_src / *_tgt: the content hashes of the sentences each alignment covers. A reviewed old bead comes back when
    all its sentences are still there, unchanged and consecutive, and the new alignment has a bead boundary just
    before and just after them, so that the new beads in between can give way to it.
    """
    ms, mt = sentence_id_map(old_src, new_src), sentence_id_map(old_tgt, new_tgt)
    bounds, i, j = {}, 0, 0
    for k, b in enumerate(new.beads):
        bounds[(i, j)] = k
        i, j = i + len(b.src), j + len(b.tgt)
    bounds[(i, j)] = len(new.beads)
    # one-sided new beads by their sentences: an old one-sided bead whose sentences the new alignment leaves
    # one-sided too is the same passage, even where a neighbour on the other side changed
    lone = {(b.src, b.tgt): k for k, b in enumerate(new.beads) if not (b.src and b.tgt)}
    splices, i, j = [], 0, 0
    for b, when in zip(old.beads, old_changed):
        if b.status is not BeadStatus.AUTO:
            s = _map_side(b.src, i, ms, len(old_src), len(new_src))
            t = _map_side(b.tgt, j, mt, len(old_tgt), len(new_tgt))
            k0 = bounds.get((s[0], t[0])) if s and t else None
            k1 = bounds.get((s[1], t[1])) if s and t else None
            if k0 is not None and k1 is not None:
                bead = Bead(tuple(range(*s)), tuple(range(*t)), b.score, b.status)
            elif not (b.src and b.tgt) and (k0 := _same_lone(b, i, j, ms, mt, lone)) is not None:
                k1, bead = k0 + 1, replace(new.beads[k0], score=b.score, status=b.status)
            if k0 is not None and k1 is not None and k0 < k1 and (not splices or splices[-1][1] <= k0):
                splices.append((k0, k1, bead, when))
        i, j = i + len(b.src), j + len(b.tgt)
    beads, changed = list(new.beads), list(new_changed or [None] * len(new.beads))
    for k0, k1, bead, when in reversed(splices):
        if k1 - k0 == 1 and (beads[k0].src, beads[k0].tgt) == (bead.src, bead.tgt):
            bead = replace(bead, score=beads[k0].score)
        beads[k0:k1], changed[k0:k1] = [bead], [when]
    return replace(new, beads=tuple(beads), meta=dict(new.meta)), changed, len(splices)


def sentence_id_map(old: Sequence[str], new: Sequence[str]) -> dict[int, int]:
    """Old sentence id -> new id of the same sentence, from the longest matching runs of content hashes."""
    if list(old) == list(new):
        return {i: i for i in range(len(old))}
    sm = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    return {a + t: b + t for a, b, size in sm.get_matching_blocks() for t in range(size)}


def _same_lone(b: Bead, i: int, j: int, ms: dict[int, int], mt: dict[int, int],
               lone: dict[tuple, int]) -> int | None:
    """The index of the new one-sided bead with the same sentences as old one-sided bead b (at old positions
    i, j), or None."""
    side = _map_side(b.src or b.tgt, i if b.src else j, ms if b.src else mt, 0, 0)
    if side is None:
        return None
    ids = tuple(range(*side))
    return lone.get((ids, ()) if b.src else ((), ids))


def _map_side(ids: tuple[int, ...], pos: int, m: dict[int, int], n_old: int, n_new: int) -> tuple[int, int] | None:
    """The new [start, stop) of one side of an old bead; an empty side at old position `pos` maps to the new
    position between the same two neighbouring sentences."""
    if ids:
        q = [m.get(i) for i in ids]
        if None in q or q != list(range(q[0], q[0] + len(q))):
            return None
        return q[0], q[-1] + 1
    before = m.get(pos - 1) if pos > 0 else -1
    after = m.get(pos) if pos < n_old else n_new
    if before is None or after is None or after != before + 1:
        return None
    return after, after
