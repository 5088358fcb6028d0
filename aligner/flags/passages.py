"""Reading an alignment as pairs and one-sided sentences, with the document's own similarity and length levels.

Small helpers on sentence vectors (float32 (n, d), L2-normalised) and runs of sentence ids that the other
steps share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..models import Alignment, Document
from ..textio import join_sentences
from .model import FlagParams, Pair

# ---- calibration -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Calibration:
    """The document's own similarity levels: typical aligned pair (`hi`), high unrelated pair (`lo`)."""

    hi: float
    lo: float

    @property
    def mid(self) -> float:
        return 0.5 * (self.hi + self.lo)

    def unlike(self, best: float) -> float:
        """0..1: 1 at or below the unrelated level, 0.5 half way, near 0 at the aligned level."""
        return round(float(np.clip(0.5 + (self.mid - best) / (self.hi - self.lo), 0.05, 1.0)), 3)

    def like(self, sim: float) -> float:
        return round(float(np.clip(0.5 + (sim - self.mid) / (self.hi - self.lo), 0.05, 1.0)), 3)


def _calibrate(alignment: Alignment, sv: np.ndarray, tv: np.ndarray) -> _Calibration:
    """hi: median similarity of 1-1 beads; lo: 95th percentile of pairs at least 20 sentences off the path."""
    ones = [float(sv[b.src[0]] @ tv[b.tgt[0]]) for b in alignment.beads if len(b.src) == len(b.tgt) == 1]
    hi = float(np.median(ones)) if len(ones) >= 3 else 0.6
    n, m = len(sv), len(tv)
    rs = np.linspace(0, n - 1, min(n, 300)).astype(int)
    ts = np.linspace(0, m - 1, min(m, 300)).astype(int)
    far = np.abs(rs[:, None] / max(n, 1) - ts[None, :] / max(m, 1)) * max(n, m) >= 20
    lo = float(np.percentile((sv[rs] @ tv[ts].T)[far], 95)) if far.sum() >= 50 else 0.25
    lo = min(lo, hi - 0.15)
    return _Calibration(hi=hi, lo=lo)


def _sim(sv: np.ndarray, tv: np.ndarray, s: Sequence[int], t: Sequence[int]) -> float:
    """Cosine of the mean vectors of source sentences s and target sentences t."""
    return float(_mean(sv[list(s)]) @ _mean(tv[list(t)]))


def _mean(v: np.ndarray) -> np.ndarray:
    m = v.mean(axis=0)
    return m / max(float(np.linalg.norm(m)), 1e-12)


# ---- runs of sentences ----------------------------------------------------------------------------------------

def _runs(ids: Iterable[int], doc: Document | None = None, tolerance: int = 0) -> list[list[int]]:
    """Maximal runs of consecutive ids (up to `tolerance` others between); with `doc`, cut at paragraph ends."""
    runs: list[list[int]] = []
    for i in sorted(ids):
        if runs and i - runs[-1][-1] <= 1 + tolerance and (doc is None or doc.sentences[i].paragraph
                                                            == doc.sentences[i - 1].paragraph):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _preview(doc: Document, ids: Sequence[int], width: int = 70) -> str:
    text = join_sentences((doc.sentences[i].text for i in ids), doc.lang)
    return text if len(text) <= width else text[: width - 1] + "…"


# ---- from beads to pairs and one-sided sentences ---------------------------------------------------------------

@dataclass(frozen=True)
class _Lengths:
    """Sentence lengths in characters and the document's typical log length ratio of its pair beads."""

    src: np.ndarray
    tgt: np.ndarray
    median: float
    scale: float

    @classmethod
    def of(cls, alignment: Alignment, src_doc: Document, tgt_doc: Document) -> "_Lengths":
        src = np.array([len(s.text) for s in src_doc.sentences], float)
        tgt = np.array([len(s.text) for s in tgt_doc.sentences], float)
        r = np.array([_log_ratio(src[list(b.src)].sum(), tgt[list(b.tgt)].sum())
                      for b in alignment.beads if b.src and b.tgt])
        if len(r) < 4:
            return cls(src, tgt, 0.0, 0.3)
        return cls(src, tgt, float(np.median(r)), max(1.4826 * _mad(r), 0.05))

    def z(self, s: Sequence[int], t: Sequence[int]) -> float:
        return abs(_log_ratio(self.src[list(s)].sum(), self.tgt[list(t)].sum()) - self.median) / self.scale


def _log_ratio(src_chars: float, tgt_chars: float) -> float:
    return float(np.log((tgt_chars + 20.0) / (src_chars + 20.0)))


def _mad(x: np.ndarray) -> float:
    return float(np.median(np.abs(x - np.median(x)))) if len(x) else 0.0


def _units(alignment: Alignment, furn_s, furn_t, sv, tv, weak: float, p: FlagParams,
           lengths: _Lengths) -> list[Pair]:
    """The alignment as pairs and one-sided sentences, in order, without furniture.

    A pair bead loses edge sentences that nothing on its other side supports (the aligner glued an added or
    dropped sentence to a neighbour), and splits into one-sided sentences when it stays below `weak`.
    """
    units: list[Pair] = []
    for b in alignment.beads:
        s = [i for i in b.src if not furn_s[i]]
        t = [j for j in b.tgt if not furn_t[j]]
        if not (s and t):
            units += [((i,), ()) for i in s] + [((), (j,)) for j in t]
            continue
        head, s, t, tail = _trim(s, t, sv, tv, weak, p, lengths)
        units += head
        if _broken(s, t, sv, tv, weak, p.break_all):
            units += [((i,), ()) for i in s] + [((), (j,)) for j in t]
        else:
            units.append((tuple(s), tuple(t)))
        units += tail
    return units


def _absorb(units: list[Pair], sv, tv, lengths: _Lengths,
            pinned: tuple[set[int], set[int]] = (set(), set())) -> list[Pair]:
    """Give a one-sided sentence back to the pair next to it when it completes that pair's translation.

    The aligner leaves short lines of a split or merged sentence on their own; one belongs to its neighbour when
    adding it keeps the similarity (within 0.03) and brings the length ratio clearly (0.5 deviations) closer
    to the document's.
    """
    units = list(units)
    k = 0
    while k < len(units):
        s, t = units[k]
        if (s and t) or (s and s[0] in pinned[0]) or (t and t[0] in pinned[1]):  # pinned: left one-sided
            k += 1
            continue
        best = None
        for n in (k - 1, k + 1):
            if not (0 <= n < len(units)) or not (units[n][0] and units[n][1]):
                continue
            ps, pt = units[n]
            x = (s or t)[0]
            if s:
                new = (ps + (x,), pt) if n < k and x == ps[-1] + 1 else ((x,) + ps, pt) if n > k and x == ps[0] - 1 \
                    else None
            else:
                new = (ps, pt + (x,)) if n < k and x == pt[-1] + 1 else (ps, (x,) + pt) if n > k and x == pt[0] - 1 \
                    else None
            if new is None:
                continue
            before, after = _sim(sv, tv, ps, pt), _sim(sv, tv, *new)
            dz = lengths.z(*new) - lengths.z(ps, pt)
            if after >= before - 0.03 and dz <= -0.5 and (best is None or after > best[0]):
                best = (after, n, new)
        if best is None:
            k += 1
            continue
        _, n, new = best
        units[n] = new
        del units[k]
        k = max(0, min(k, n) - 1)
    return units


def _reattach(pairs: list[Pair], lone_s: list[int], lone_t: list[int], sv, tv, gain: float | None,
              pinned: tuple[set[int], set[int]] = (set(), set())):
    """Give a sentence left one-sided after moved passages were matched back to the pair next to it when it
    raises that pair's similarity by `gain`: the rest of a merged or split sentence that the aligner left alone
    (in free translations the DP's skip cost often wins over a merge by a hair), not an addition, which dilutes
    the pair. Sentences in `pinned` (source ids, target ids: one-sided beads an editor made) stay alone.
    Returns (pairs, lone_s, lone_t), all in document order.
    """
    pairs = sorted(pairs)
    lone = {0: sorted(lone_s), 1: sorted(lone_t)}
    if gain is None:
        return pairs, lone[0], lone[1]
    first = {side: {p[side][0]: k for k, p in enumerate(pairs)} for side in (0, 1)}
    last = {side: {p[side][-1]: k for k, p in enumerate(pairs)} for side in (0, 1)}
    changed = True
    while changed:
        changed = False
        for side in (0, 1):
            for x in [x for x in lone[side] if x not in pinned[side]]:
                best = None
                for k in (last[side].get(x - 1), first[side].get(x + 1)):
                    if k is None:
                        continue
                    old = pairs[k]
                    new = list(old)
                    new[side] = tuple(sorted(old[side] + (x,)))
                    after = _sim(sv, tv, *new)
                    if after >= _sim(sv, tv, *old) + gain and (best is None or after > best[0]):
                        best = (after, k, tuple(new))
                if best is None:
                    continue
                _, k, new = best
                del first[side][pairs[k][side][0]], last[side][pairs[k][side][-1]]
                pairs[k] = new
                first[side][new[side][0]], last[side][new[side][-1]] = k, k
                lone[side].remove(x)
                changed = True
    return pairs, lone[0], lone[1]


def _loose(units: list[Pair], sv, tv, weak: float) -> tuple[list[int], list[int]]:
    """One-sided sentences, and edge sentences of many-sided beads that the other side does not support."""
    out_s, out_t = [], []
    for s, t in units:
        for mine, other, vecs, ovecs, out in ((s, t, sv, tv, out_s), (t, s, tv, sv, out_t)):
            if not other:
                out += list(mine)
            elif len(mine) >= 2:
                out += [x for x in (mine[0], mine[-1]) if float(vecs[x] @ _mean(ovecs[list(other)])) < weak]
    return out_s, out_t


def _broken(s: list[int], t: list[int], sv, tv, weak: float, both: bool = False) -> bool:
    """A bead of four or more sentences that is no translation: its mean vectors, or every sentence's best
    partner, fall below `weak`. Smaller beads stay pairs (a poor 1-1 is a rewrite: the divergence ranking's)."""
    if len(s) + len(t) < 4:
        return False
    sims = sv[s] @ tv[t].T
    low_mean = _sim(sv, tv, s, t) < weak
    low_each = bool((sims.max(axis=1) < weak).all() and (sims.max(axis=0) < weak).all())
    return (low_mean and low_each) if both else (low_mean or low_each)


def _trim(s: list[int], t: list[int], sv, tv, weak: float, p: FlagParams, lengths: _Lengths):
    """Detach unsupported edge sentences of a many-sided bead: (head units, s, t, tail units).

    A short part of a genuine merge also has a low similarity of its own, so the sentence must also be what
    puts the bead's length ratio off the document's (by at least one robust deviation).
    """
    head: list[Pair] = []
    tail: list[Pair] = []
    while len(s) + len(t) > 2:
        base = _sim(sv, tv, s, t)
        options = []
        for side, seq, other, vecs, ovecs in (("s", s, t, sv, tv), ("t", t, s, tv, sv)):
            if len(seq) < 2:
                continue
            for pos in (0, -1):
                rest = seq[1:] if pos == 0 else seq[:-1]
                support = float(vecs[seq[pos]] @ _mean(ovecs[other]))
                after = _sim(sv, tv, rest, t) if side == "s" else _sim(sv, tv, s, rest)
                options.append((support, after - base, side, pos))
        support, up, side, pos = min(options)
        rest_s = s if side == "t" else (s[1:] if pos == 0 else s[:-1])
        rest_t = t if side == "s" else (t[1:] if pos == 0 else t[:-1])
        if support >= weak or up < p.trim_gain or lengths.z(rest_s, rest_t) > lengths.z(s, t) - p.trim_dz:
            break
        seq = s if side == "s" else t
        x = seq.pop(pos)
        unit = ((x,), ()) if side == "s" else ((), (x,))
        if pos == 0:
            head.append(unit)
        else:
            tail.insert(0, unit)
    return head, s, t, tail
