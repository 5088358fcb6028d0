"""Moved passages, and links the aligner missed: one-sided source and target passages that translate each other.
"""

from __future__ import annotations

import numpy as np

from .model import Flag, FlagParams, FlagType, Pair, Span
from .passages import _Calibration, _mean, _preview, _runs, _sim


def _match_lone(units: list[Pair], src_doc, tgt_doc, sv, tv, cal: _Calibration, p: FlagParams,
                pinned: tuple[set[int], set[int]] = (set(), set())):
    """Pair one-sided source and target passages that translate each other.

    The DP is monotone, so a reordered passage leaves a one-sided run at each end: matched across different
    gaps between pairs it is a move; matched inside one gap it is a link the aligner missed, and becomes a
    pair again. Blocks come from a local alignment of each pair of runs, best first, then grow (`_extend`).
    Returns (moved flags, realigned pairs, pairs as left by moves, remaining one-sided source and target ids).
    pinned: source and target ids of one-sided beads an editor made, never re-paired within their gap.
    """
    pool = _Pool(units)
    moved, realigned = [], []
    tau = cal.mid
    while True:
        cands = []
        for rs in _runs(pool.lone_s, tolerance=2):
            for rt in _runs(pool.lone_t, tolerance=2):
                sim = sv[rs] @ tv[rt].T
                if sim.max() >= tau and (block := _local_block(sim, tau)):
                    (i0, i1), (j0, j1), total = block
                    cands.append((total, rs[i0:i1], rt[j0:j1]))
        taken = 0
        for _, bs, bt in sorted(cands, key=lambda c: -c[0]):
            if not (pool.free(bs, "s") and pool.free(bt, "t")):
                continue
            sim = _sim(sv, tv, bs, bt)
            same_gap = pool.gap(bs[0], "s") == pool.gap(bt[0], "t") and pool.gap(bs[-1], "s") == pool.gap(bt[-1], "t")
            if sim < tau or not same_gap and (sim < p.moved_min_sim or len(bs) == len(bt) == 1 and not
                                              _clear_single(bs[0], bt[0], sv, tv, pool, p)):
                continue
            if same_gap and (pinned[0].intersection(bs) or pinned[1].intersection(bt)):
                continue  # an editor took these apart: not a link the aligner missed
            taken += 1
            if same_gap:
                pool.take(bs, bt)
                realigned.append((tuple(bs), tuple(bt)))
                continue
            bs, bt = _extend(pool, bs, bt, sv, tv, cal)
            sim = _sim(sv, tv, bs, bt)
            pool.take(bs, bt)
            span_s, span_t = Span.of(src_doc, bs), Span.of(tgt_doc, bt)
            moved.append(Flag(FlagType.MOVED, span_s, span_t, cal.like(sim), round(sim, 4),
                              f"source {span_s.label()} moved to target {span_t.label()}: "
                              + _preview(tgt_doc, bt, 50)))
        if not taken:
            return moved, realigned, pool.pairs(), sorted(pool.lone_s), sorted(pool.lone_t)


class _Pool:
    """What a moved block may still take: one-sided sentences, with their gap (the number of pairs before
    them), and edge sentences of pair beads. A bead that loses a whole side sets its other side loose and
    its two gaps become one."""

    def __init__(self, units: list[Pair]):
        self.lone_s: dict[int, int] = {}
        self.lone_t: dict[int, int] = {}
        self.beads: list[tuple[list[int], list[int]]] = []
        self.bead_s: dict[int, int] = {}
        self.bead_t: dict[int, int] = {}
        self._alias: dict[int, int] = {}
        for s, t in units:
            if s and t:
                for i in s:
                    self.bead_s[i] = len(self.beads)
                for j in t:
                    self.bead_t[j] = len(self.beads)
                self.beads.append((list(s), list(t)))
            elif s:
                self.lone_s[s[0]] = len(self.beads)
            else:
                self.lone_t[t[0]] = len(self.beads)

    def gap(self, x: int, side: str) -> int:
        g = (self.lone_s if side == "s" else self.lone_t)[x]
        while g in self._alias:
            g = self._alias[g]
        return g

    def free(self, ids, side: str) -> bool:
        lone = self.lone_s if side == "s" else self.lone_t
        return all(i in lone for i in ids)

    def stealable(self, x: int, side: str) -> tuple[list[int], bool] | None:
        """(the other side of the bead holding edge sentence x, whether x is its last on this side), or None."""
        owner = self.bead_s if side == "s" else self.bead_t
        if x not in owner:
            return None
        s, t = self.beads[owner[x]]
        mine, other = (s, t) if side == "s" else (t, s)
        return (other, len(mine) == 1) if x in (mine[0], mine[-1]) else None

    def take(self, bs, bt) -> None:
        for side, ids in (("s", bs), ("t", bt)):
            lone, owner = (self.lone_s, self.bead_s) if side == "s" else (self.lone_t, self.bead_t)
            for x in ids:
                if x in lone:
                    del lone[x]
                elif x in owner:
                    u = owner.pop(x)
                    self.beads[u][0 if side == "s" else 1].remove(x)
                    self._loosen(u)

    def _loosen(self, u: int) -> None:
        s, t = self.beads[u]
        if s and t:
            return
        for i in s:
            self.lone_s[i] = u
            del self.bead_s[i]
        for j in t:
            self.lone_t[j] = u
            del self.bead_t[j]
        self.beads[u] = ([], [])
        self._alias[u + 1] = u

    def pairs(self) -> list[Pair]:
        return [(tuple(s), tuple(t)) for s, t in self.beads if s and t]


def _extend(pool: _Pool, bs: list[int], bt: list[int], sv, tv, cal: _Calibration) -> tuple[list[int], list[int]]:
    """Grow a moved block over neighbouring sentences while the passage stays a translation.

    A sentence split in two, or a short line, scores below the per-sentence threshold on its own although the
    passage as a whole matches. A step on one side needs the passage similarity to stay within 0.1 of the
    block's and the new sentence to resemble the other side; a step on both sides needs the two new parts to
    resemble each other. A sentence the aligner glued to a neighbouring bead may be taken when it matches the
    block clearly better (by 0.1) than its own bead.
    """
    floor = max(cal.mid, _sim(sv, tv, bs, bt) - 0.1)
    while True:
        steps = []
        for ns, nt in ((1, 0), (0, 1), (1, 1), (1, 2), (2, 1)):
            for front in (True, False):
                add_s = [bs[0] - k for k in range(ns, 0, -1)] if front else [bs[-1] + k for k in range(1, ns + 1)]
                add_t = [bt[0] - k for k in range(nt, 0, -1)] if front else [bt[-1] + k for k in range(1, nt + 1)]
                new_s = add_s + bs if front else bs + add_s
                new_t = add_t + bt if front else bt + add_t
                pair_s, pair_t = (add_s, add_t) if ns and nt else (new_s, new_t)
                if not (_takeable(pool, add_s, new_s, "s", pair_t, sv, tv)
                        and _takeable(pool, add_t, new_t, "t", pair_s, tv, sv)):
                    continue
                sim = _sim(sv, tv, new_s, new_t)
                if ns and nt:
                    ok = sim >= cal.mid - 0.05 and _sim(sv, tv, add_s, add_t) >= cal.lo
                else:
                    x, other = (add_s[0], tv[new_t]) if ns else (add_t[0], sv[new_s])
                    ok = sim >= floor and float((sv if ns else tv)[x] @ _mean(other)) >= cal.lo
                if ok:
                    steps.append((sim, new_s, new_t))
        if not steps:
            return bs, bt
        _, bs, bt = max(steps, key=lambda st: st[0])


def _takeable(pool: _Pool, ids: list[int], block: list[int], side: str, partner: list[int], vecs,
              ovecs) -> bool:
    """Whether every one of ids (new sentences of one side of `block`) is free, or an edge sentence of a bead
    that it fits clearly worse than `partner` (by 0.1; by 0.2 when the block empties that side of the bead)."""
    lone = pool.lone_s if side == "s" else pool.lone_t
    owner = pool.bead_s if side == "s" else pool.bead_t
    taken: dict[int, int] = {}
    for x in block:
        if x in owner:
            taken[owner[x]] = taken.get(owner[x], 0) + 1
    for x in ids:
        if x in lone:
            continue
        held = pool.stealable(x, side)
        if held is None:
            return False
        own = held[0]
        empties = taken[owner[x]] >= len(pool.beads[owner[x]][0 if side == "s" else 1])
        here, there = float(vecs[x] @ _mean(ovecs[partner])), float(vecs[x] @ _mean(ovecs[own]))
        if here < there + (0.2 if empties else 0.1):
            return False
    return True


def _local_block(sim: np.ndarray, tau: float, gap: float = 0.15):
    """Best local alignment of a (k, l) similarity block, scoring sim - tau per 1-1 step and -gap per gap.

    Returns ((i0, i1), (j0, j1), score): the matched rows i0..i1-1 and columns j0..j1-1; None if nothing scores.
    """
    rows, cols = sim.shape
    H = np.zeros((rows + 1, cols + 1))
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            H[i, j] = max(0.0, H[i - 1, j - 1] + sim[i - 1, j - 1] - tau, H[i - 1, j] - gap, H[i, j - 1] - gap)
    i, j = np.unravel_index(int(np.argmax(H)), H.shape)
    best = float(H[i, j])
    if best <= 0:
        return None
    i1, j1 = int(i), int(j)
    while i > 0 and j > 0 and H[i, j] > 0:
        if np.isclose(H[i, j], H[i - 1, j - 1] + sim[i - 1, j - 1] - tau):
            i, j = i - 1, j - 1
        elif np.isclose(H[i, j], H[i - 1, j] - gap):
            i -= 1
        else:
            j -= 1
    return (int(i), i1), (int(j), j1), best


def _clear_single(i: int, j: int, sv, tv, pool: _Pool, p: FlagParams) -> bool:
    """A one-sentence move needs a high similarity and to be each other's best one-sided match."""
    ls, lt = list(pool.lone_s), list(pool.lone_t)
    best_t = lt[int(np.argmax(tv[lt] @ sv[i]))]
    best_s = ls[int(np.argmax(sv[ls] @ tv[j]))]
    return float(sv[i] @ tv[j]) >= p.moved_single_sim and best_t == j and best_s == i
