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

    *_src / *_tgt: the content hashes of the sentences each alignment covers. A run of reviewed old beads comes
    back whole when all its sentences are still there, unchanged and consecutive, and the new alignment has a bead
    boundary just before and just after them, so that the new beads in between can give way to it (the new run
    may draw the beads inside differently: an editor's split that the aligner pairs up again). Where the run does
    not fit, each of its beads is tried alone, and a one-sided one also where the new alignment leaves the same
    sentences one-sided.
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
    starts, i, j = [], 0, 0  # where each old bead starts
    for b in old.beads:
        starts.append((i, j))
        i, j = i + len(b.src), j + len(b.tgt)
    sizes = (len(old_src), len(new_src), len(old_tgt), len(new_tgt))
    splices: list[tuple[int, int, list[Bead], list[str | None]]] = []

    def add(block) -> None:
        if block is not None and block[0] < block[1] and (not splices or splices[-1][1] <= block[0]):
            splices.append(block)

    k, n = 0, len(old.beads)
    while k < n:
        if old.beads[k].status is BeadStatus.AUTO:
            k += 1
            continue
        end = k
        while end < n and old.beads[end].status is not BeadStatus.AUTO:
            end += 1
        # a run of reviewed beads comes back whole when the new alignment has a boundary at both of its ends, also
        # where it draws the beads inside differently (an editor's split that the aligner pairs up again)
        block = _carry_run(old.beads[k:end], old_changed[k:end], starts[k], ms, mt, sizes, bounds)
        if block is not None:
            add(block)
        else:
            for b, when, (i, j) in zip(old.beads[k:end], old_changed[k:end], starts[k:end]):
                block = _carry_run([b], [when], (i, j), ms, mt, sizes, bounds)
                if block is None and not (b.src and b.tgt) and (k0 := _same_lone(b, i, j, ms, mt, lone)) is not None:
                    block = (k0, k0 + 1, [replace(new.beads[k0], score=b.score, status=b.status)], [when])
                add(block)
        k = end
    beads, changed = list(new.beads), list(new_changed or [None] * len(new.beads))
    for k0, k1, run, whens in reversed(splices):
        # a bead the new run drew the same: its new score, and its confidence unless an editor made it (none)
        drawn = {(b.src, b.tgt): b for b in beads[k0:k1]}
        run = [replace(b, score=f.score, confidence=b.confidence if b.status is BeadStatus.EDITED else f.confidence)
               if (f := drawn.get((b.src, b.tgt))) else b for b in run]
        beads[k0:k1], changed[k0:k1] = run, list(whens)
    return replace(new, beads=tuple(beads), meta=dict(new.meta)), changed, sum(len(s[2]) for s in splices)


def _carry_run(run: Sequence[Bead], whens: Sequence[str | None], at: tuple[int, int], ms: dict[int, int],
               mt: dict[int, int], sizes: tuple[int, int, int, int], bounds: dict[tuple[int, int], int]):
    """(k0, k1, beads, dates): consecutive old beads `run` (starting at old positions `at`) in place of new beads
    k0..k1-1, when all their sentences are still there, unchanged and consecutive, and the new alignment has a
    bead boundary just before and just after them; else None."""
    src = tuple(x for b in run for x in b.src)
    tgt = tuple(x for b in run for x in b.tgt)
    s = _map_side(src, at[0], ms, sizes[0], sizes[1])
    t = _map_side(tgt, at[1], mt, sizes[2], sizes[3])
    if s is None or t is None:
        return None
    k0, k1 = bounds.get((s[0], t[0])), bounds.get((s[1], t[1]))
    if k0 is None or k1 is None:
        return None
    shift_s, shift_t = s[0] - (src[0] if src else 0), t[0] - (tgt[0] if tgt else 0)
    beads = [Bead(tuple(x + shift_s for x in b.src), tuple(x + shift_t for x in b.tgt), b.score, b.status,
                  b.confidence) for b in run]
    return k0, k1, beads, list(whens)


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
