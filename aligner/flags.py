"""Adaptation flags derived from an alignment: what the target added, dropped, moved or rewrote, and the web
page furniture present on one side only.

Pure functions on a finished alignment plus sentence vectors (float32 (n, d), L2-normalised, one per sentence);
nothing here loads a model. Thresholds are calibrated per document from its own beads, since similarity levels
differ between encoders, language pairs and genres.

The steps of `derive_flags`: set web furniture apart (rules, kept precise); read the beads as pairs and
one-sided sentences, splitting beads that translate nothing and giving back lines the aligner left alone next to
the bead they complete; match one-sided passages that translate each other (across gaps: moved; within one gap:
a missed link, no flag); what stays one-sided is added or dropped; pairs far below their size class are divergent.
bench/adaptation.py measures each step on synthetic adaptations of real parallel texts.
"""

from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass, replace
from typing import Iterable, Sequence

import numpy as np

from .models import Alignment, Document


class FlagType(str, enum.Enum):
    """What an adaptation did to a passage."""

    ADDED = "added"
    DROPPED = "dropped"
    MOVED = "moved"
    DIVERGENT = "divergent"
    FURNITURE = "furniture"


class FlagStatus(str, enum.Enum):
    """Review state of a flag: editors confirm or dismiss it."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class Span:
    """Consecutive sentences of one document: ids, paragraph ids, and character offsets into `Document.text`."""

    sentences: tuple[int, ...]
    paragraphs: tuple[int, ...]
    start: int
    end: int

    @classmethod
    def of(cls, doc: Document, ids: Iterable[int]) -> "Span":
        ids = tuple(sorted(ids))
        sents = [doc.sentences[i] for i in ids]
        return cls(ids, tuple(sorted({s.paragraph for s in sents})), sents[0].start, sents[-1].end)

    def label(self) -> str:
        a, b = self.sentences[0], self.sentences[-1]
        return str(a) if a == b else f"{a}-{b}"


@dataclass(frozen=True, slots=True)
class Flag:
    """One place an editor should look at.

    added/furniture on the target: `tgt` only; dropped (or source furniture): `src` only; moved: `src` is where
    the passage stood in the source, `tgt` where it landed; divergent: both sides of the bead.
    `score` is the raw evidence (robust z for divergent, passage similarity for moved, best similarity to the
    other side for added/dropped); `confidence` maps it to 0..1.
    """

    type: FlagType
    src: Span | None
    tgt: Span | None
    confidence: float
    score: float = 0.0
    note: str = ""
    status: FlagStatus = FlagStatus.OPEN

    @property
    def key(self) -> str:
        """Stable identity across recomputations, so a review status survives re-deriving the flags."""
        s = self.src.label() if self.src else ""
        t = self.tgt.label() if self.tgt else ""
        return f"{self.type.value}:{s}:{t}"

    @property
    def side(self) -> str:
        """'src', 'tgt' or 'both'."""
        return "both" if self.src and self.tgt else ("src" if self.src else "tgt")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["type"], d["status"], d["key"] = self.type.value, self.status.value, self.key
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Flag":
        def span(x):
            return None if x is None else Span(tuple(x["sentences"]), tuple(x["paragraphs"]), x["start"], x["end"])

        return cls(FlagType(d["type"]), span(d.get("src")), span(d.get("tgt")), float(d["confidence"]),
                   float(d.get("score", 0.0)), d.get("note", ""), FlagStatus(d.get("status", "open")))


@dataclass(frozen=True)
class FlagParams:
    """Knobs of the flagger; the defaults are those measured by bench/adaptation.py."""

    weak_min: float = 0.20        # a bead below the document's unrelated level (clipped to this range) is
    weak_max: float = 0.30        # no translation: its sentences count as one-sided
    trim_gain: float = 9.0        # detach an edge sentence of a bead when that raises its similarity this much
    trim_dz: float = 2.5          # ... and its length ratio this many deviations (off by default: it cost
                                  # precision in bench/adaptation.py, and moved blocks reclaim glued sentences)
    break_all: bool = True        # a bead breaks only when both its mean and every sentence are below weak
    divergent_z: float = 4.5      # flag a bead whose divergence score reaches this many robust deviations
    length_weight: float = 1.0    # weight of the length-ratio deviation in the divergence score
    min_scale: float = 0.06       # floor of the robust spread of bead similarities
    min_class: int = 12           # fewest beads of one size to use that size's own statistics
    moved_min_sim: float = 0.45   # floor of a moved passage's similarity
    moved_single_sim: float = 0.50  # floor for a one-sentence move, which must also be a mutual best match


Pair = tuple[tuple[int, ...], tuple[int, ...]]


def derive_flags(alignment: Alignment, src_doc: Document, tgt_doc: Document, src_vecs: np.ndarray,
                 tgt_vecs: np.ndarray, params: FlagParams = FlagParams()) -> list[Flag]:
    """Every flag of one aligned document pair, in reading order of the target.

    src_vecs: float32 (n_src, d), tgt_vecs: float32 (n_tgt, d), L2-normalised sentence vectors.
    """
    alignment.validate()
    if len(src_vecs) != len(src_doc) or len(tgt_vecs) != len(tgt_doc):
        raise ValueError("one sentence vector per sentence is needed on each side")
    sv, tv = np.asarray(src_vecs, np.float32), np.asarray(tgt_vecs, np.float32)
    cal = _calibrate(alignment, sv, tv)
    weak = float(np.clip(cal.lo, params.weak_min, params.weak_max))
    cand_s, cand_t, strong_s, strong_t = _furniture_candidates(alignment, src_doc, tgt_doc, sv, tv, weak)
    furn_s, furn_t = furniture_mask(src_doc, cand_s, strong_s), furniture_mask(tgt_doc, cand_t, strong_t)
    lengths = _Lengths.of(alignment, src_doc, tgt_doc)
    units = _units(alignment, furn_s, furn_t, sv, tv, weak, params, lengths)
    # sentences that bead refinement set loose, or that nothing supports at a bead's edge, may complete a
    # caption or a list: look once more
    loose_s, loose_t = _loose(units, sv, tv, weak)
    cand_s[loose_s] = True
    cand_t[loose_t] = True
    again_s, again_t = furniture_mask(src_doc, cand_s, strong_s), furniture_mask(tgt_doc, cand_t, strong_t)
    if (again_s != furn_s).any() or (again_t != furn_t).any():
        furn_s, furn_t = again_s, again_t
        units = _units(alignment, furn_s, furn_t, sv, tv, weak, params, lengths)
    units = _absorb(units, sv, tv, lengths)
    moved, realigned, pairs, lone_s, lone_t = _match_lone(units, src_doc, tgt_doc, sv, tv, cal, params)
    pairs += realigned
    flags = _furniture_flags(src_doc, furn_s, "src") + _furniture_flags(tgt_doc, furn_t, "tgt") + moved
    flags += _one_sided(FlagType.DROPPED, src_doc, lone_s, sv, tv, cal)
    flags += _one_sided(FlagType.ADDED, tgt_doc, lone_t, tv, sv, cal)
    flags += _divergent(pairs, src_doc, tgt_doc, sv, tv, params)
    return sorted(flags, key=_reading_order(alignment))


def carry_status(previous: Iterable[Flag], current: Sequence[Flag]) -> list[Flag]:
    """`current` with the review status of the flags of `previous` that have the same key."""
    status = {f.key: f.status for f in previous}
    return [replace(f, status=status.get(f.key, f.status)) for f in current]


@dataclass(frozen=True)
class Summary:
    """What an editor reads first: flags per type and words added, dropped, moved, and of furniture."""

    counts: dict
    words_added: int
    words_dropped: int
    words_moved: int
    words_furniture: int


def summarize(flags: Iterable[Flag], src_doc: Document, tgt_doc: Document) -> Summary:
    flags = list(flags)
    counts = {t.value: sum(f.type is t for f in flags) for t in FlagType}

    def words(kind: FlagType, doc: Document, side: str) -> int:
        spans = [getattr(f, side) for f in flags if f.type is kind and getattr(f, side)]
        return sum(len(doc.sentences[i].text.split()) for s in spans for i in s.sentences)

    furniture = words(FlagType.FURNITURE, tgt_doc, "tgt") + words(FlagType.FURNITURE, src_doc, "src")
    return Summary(counts, words(FlagType.ADDED, tgt_doc, "tgt"), words(FlagType.DROPPED, src_doc, "src"),
                   words(FlagType.MOVED, tgt_doc, "tgt"), furniture)


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


def _absorb(units: list[Pair], sv, tv, lengths: _Lengths) -> list[Pair]:
    """Give a one-sided sentence back to the pair next to it when it completes that pair's translation.

    The aligner leaves short lines of a split or merged sentence on their own; one belongs to its neighbour when
    adding it keeps the similarity (within 0.03) and brings the length ratio clearly (0.5 deviations) closer
    to the document's.
    """
    units = list(units)
    k = 0
    while k < len(units):
        s, t = units[k]
        if s and t:
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


# ---- moved passages, and links the aligner missed ---------------------------------------------------------------

def _match_lone(units: list[Pair], src_doc, tgt_doc, sv, tv, cal: _Calibration, p: FlagParams):
    """Pair one-sided source and target passages that translate each other.

    The DP is monotone, so a reordered passage leaves a one-sided run at each end: matched across different
    gaps between pairs it is a move; matched inside one gap it is a link the aligner missed, and becomes a
    pair again. Blocks come from a local alignment of each pair of runs, best first, then grow (`_extend`).
    Returns (moved flags, realigned pairs, pairs as left by moves, remaining one-sided source and target ids).
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


# ---- one-sided passages ----------------------------------------------------------------------------------------

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


def _one_sided(kind: FlagType, doc: Document, ids: list[int], vecs: np.ndarray, other: np.ndarray,
               cal: _Calibration) -> list[Flag]:
    """Added or dropped passages: runs of one-sided sentences, one flag per paragraph.

    Confidence is high when no sentence of the other side resembles the passage (the aligner did not merely
    miss a link) and falls as the best match nears the document's typical aligned similarity.
    """
    flags = []
    for run in _runs(ids, doc):
        best = float(np.mean(np.max(vecs[run] @ other.T, axis=1))) if len(other) else 0.0
        span = Span.of(doc, run)
        src, tgt = (span, None) if kind is FlagType.DROPPED else (None, span)
        flags.append(Flag(kind, src, tgt, cal.unlike(best), round(best, 4), _preview(doc, run)))
    return flags


# ---- furniture -------------------------------------------------------------------------------------------------

def _furniture_candidates(alignment: Alignment, src_doc: Document, tgt_doc: Document, sv, tv, weak: float):
    """Where furniture may be, per side: (candidates, strong lines), bool (n,) arrays.

    Candidates are one-sided sentences and those of beads below `weak` (no translation), plus strong furniture
    lines (share buttons, credits, dates) glued to a bead whose other side has none: such a line never
    translates prose.
    """
    strong_s = np.array([strong_furniture(s.text) for s in src_doc.sentences], bool)
    strong_t = np.array([strong_furniture(s.text) for s in tgt_doc.sentences], bool)
    cand_s = np.zeros(len(src_doc), bool)
    cand_t = np.zeros(len(tgt_doc), bool)
    for b in alignment.beads:
        s, t = list(b.src), list(b.tgt)
        loose = not (s and t) or _sim(sv, tv, s, t) < weak or _broken(s, t, sv, tv, weak)
        if not strong_t[t].any():
            cand_s[s] = loose or strong_s[s]
        if not strong_s[s].any():
            cand_t[t] = loose or strong_t[t]
    return cand_s, cand_t, strong_s, strong_t


def _furniture_flags(doc: Document, mask: np.ndarray, side: str) -> list[Flag]:
    flags = []
    for run in _runs(np.flatnonzero(mask).tolist()):
        span = Span.of(doc, run)
        flags.append(Flag(FlagType.FURNITURE, span if side == "src" else None, span if side == "tgt" else None,
                          0.95, 1.0, _preview(doc, run)))
    return flags


# ---- divergent beads -------------------------------------------------------------------------------------------

def _divergent(pairs: list[Pair], src_doc, tgt_doc, sv, tv, p: FlagParams) -> list[Flag]:
    """Beads far less similar than the document's beads of the same size, or far off its length ratio.

    score = robust z of the similarity (median and MAD of the size class) + length_weight * the part of the
    length-ratio z beyond 1.5: an added or dropped clause shows in the lengths before it shows in the meaning.
    """
    if len(pairs) < 4:
        return []
    sims = np.array([_sim(sv, tv, s, t) for s, t in pairs])
    slen = np.array([sum(len(src_doc.sentences[i].text) for i in s) for s, _ in pairs], float)
    tlen = np.array([sum(len(tgt_doc.sentences[j].text) for j in t) for _, t in pairs], float)
    ratio = np.log((tlen + 20.0) / (slen + 20.0))
    z_len = np.abs(ratio - np.median(ratio)) / max(1.4826 * _mad(ratio), 0.05)
    groups = [(len(s), len(t)) for s, t in pairs]
    z_sim = np.zeros(len(pairs))
    for key in set(groups):
        idx = np.array([g == key for g in groups])
        ref = idx if idx.sum() >= p.min_class else _fallback(groups, key, p.min_class)
        z_sim[idx] = (np.median(sims[ref]) - sims[idx]) / max(1.4826 * _mad(sims[ref]), p.min_scale)
    score = z_sim + p.length_weight * np.maximum(z_len - 1.5, 0.0)
    flags = []
    for k in np.flatnonzero(score >= p.divergent_z):
        s, t = pairs[k]
        conf = round(float(1.0 / (1.0 + np.exp(-(score[k] - p.divergent_z - 1.0)))), 3)
        note = f"{len(s)}-{len(t)} bead, similarity {sims[k]:.2f} (z {z_sim[k]:.1f}), length z {z_len[k]:.1f}"
        flags.append(Flag(FlagType.DIVERGENT, Span.of(src_doc, s), Span.of(tgt_doc, t), conf,
                          round(float(score[k]), 3), note))
    return flags


def _fallback(groups, key, min_class: int) -> np.ndarray:
    """A reference set for a rare bead size: all many-sided beads, or all beads when those are few too."""
    many = np.array([g != (1, 1) for g in groups])
    if key != (1, 1) and many.sum() >= min_class:
        return many
    return np.ones(len(groups), bool)


def _mad(x: np.ndarray) -> float:
    return float(np.median(np.abs(x - np.median(x)))) if len(x) else 0.0


# ---- helpers ---------------------------------------------------------------------------------------------------

def _reading_order(alignment: Alignment):
    """A sort key placing a flag at the bead where it shows in the target's reading order."""
    at_s, at_t = {}, {}
    for k, b in enumerate(alignment.beads):
        at_s.update((i, k) for i in b.src)
        at_t.update((j, k) for j in b.tgt)

    def key(f: Flag):
        k = at_t[f.tgt.sentences[0]] if f.tgt else at_s[f.src.sentences[0]]
        return (k, f.type is not FlagType.MOVED, f.src is None)

    return key


def _preview(doc: Document, ids: Sequence[int], width: int = 70) -> str:
    text = " ".join(doc.sentences[i].text for i in ids)
    return text if len(text) <= width else text[: width - 1] + "…"


# ---- web furniture: rules, kept precise ------------------------------------------------------------------------
# A line is strong furniture on its own (share buttons, credits, link lead-ins, dates, section labels); weak
# lines (bylines, names, short headings) and captions count only next to strong ones, and a run of items that
# each end in a date is a related-articles list. Patterns cover en, es, fr, de.

_NETWORKS = ("facebook twitter instagram youtube whatsapp telegram linkedin pinterest reddit tiktok flipboard "
             "mastodon bluesky threads messenger")
_SHARE_WORDS = "share compartir comparte compártelo partager partagez teilen tweet tuitear tuit"
_SHARE_VOCAB = set((_NETWORKS + " " + _SHARE_WORDS + " x email e-mail mail correo print imprimir imprimer "
                    "drucken copy copiar copier link enlace lien this article artículo artikel esta este noticia "
                    "on en sur auf via por the story to by with send enviar envoyer google news rss sms "
                    "comments comentarios commentaires kommentare diesen cet la le el der die das").split())
_SHARE_STRONG = set((_NETWORKS + " " + _SHARE_WORDS).split())

_LEADIN = (r"(?:you (?:might|may) (?:also )?(?:be interested in|like|enjoy)|(?:read|see) also|also read|read more"
           r"|related(?: articles?| stories| content| posts?| news| coverage| reading)?|more on this(?: story)?"
           r"|recommended(?: for you)?|further reading|don'?t miss|must read"
           r"|(?:también )?te (?:puede|podría) interesar|(?:lee|lea|leer|ver|vea|mira) también|te recomendamos"
           r"|noticias relacionadas|artículos relacionados|relacionad[oa]s?|más información|sigue leyendo"
           r"|no te pierdas|(?:à|a) lire (?:aussi|également|egalement)|lire aussi|(?:à )?voir aussi"
           r"|sur le même sujet|vous (?:pourriez|pouvez) aussi aimer|articles? (?:similaires|liés)"
           r"|pour aller plus loin|dans la même rubrique|(?:das )?könnte (?:sie|dich) auch interessieren"
           r"|lesen sie auch|mehr zum thema|siehe auch|weitere artikel|ähnliche artikel"
           r"|tags|etiquetas|temas|mots-clés|schlagwörter|topics|themen)")
_LEADIN_RE = re.compile(rf"^{_LEADIN}\s*(?:(?:[:：|»›>\-–—]|\.{{3}})\s*(?P<title>\S.*)?|[.!]?)$", re.I)
_LABEL_RE = re.compile(
    r"^(?:most recent|most read|most popular|latest(?: news| stories)?|trending(?: now)?|top stories"
    r"|lo más (?:leído|visto|reciente)|últimas noticias|más recientes?|más noticias|en portada"
    r"|les plus lus|à la une|(?:les )?dernières? (?:actualités|infos|nouvelles)|meistgelesen|neueste artikel"
    r"|advertisement|publicidad|anuncio|publicité|anzeige|werbung|comments?(?: \(\d+\))?|comentarios"
    r"|commentaires|kommentare|newsletter|back to top|volver arriba|retour en haut|nach oben"
    r"|skip to (?:main )?content"
    r"|ir al contenido|share|compartir|partager|teilen|print|imprimir|imprimer|drucken"
    r"|all rights reserved|todos los derechos reservados|tous droits réservés|alle rechte vorbehalten)[.:!]?$",
    re.I)
_FOLLOW_RE = re.compile(r"^(?:follow us|síguenos|siguenos|suivez[- ]nous|folgen sie uns|subscribe|suscríbete"
                        r"|suscribete|abonnez[- ]vous|inscrivez[- ]vous|sign up|regístrate|abonnieren sie)\b",
                        re.I)
_CREDIT_WORD = (r"(?:photos?|foto(?:s|grafía|grafie)?|photograph|images?|imagen|picture|crédito|credits?"
                r"|crédit(?: photo)?|bild|illustration|ilustración|vídeo|video)")
_CREDIT_RE = re.compile(rf"^\(?{_CREDIT_WORD}(?:\s+{_CREDIT_WORD})?\s*(?::|：|/|by\b|de\b|por\b|par\b|von\b)"
                        r"\s*\S.{0,80}$", re.I)
_AGENCY = (r"(?:EFE|AFP|AP|Reuters|REUTERS|Getty(?: Images)?|Europa Press|Xinhua|ANSA|dpa|DPA|Keystone"
           r"|NurPhoto|Shutterstock|iStock|Cuartoscuro|Bloomberg|Sipa|Anadolu|Télam|SOPA Images|Belga)")
_AGENCY_TAIL = re.compile(rf"(?:^|[\s(|.])\(?{_AGENCY}(?: Photo| Images)?\s*/\s*[\w .'’\-]{{0,40}}\)?\.?$")
_AGENCY_ONLY = re.compile(rf"^\(?{_AGENCY}\)?\.?$")
_CAPTION_TAIL = re.compile(rf"[(\[|]\s*{_CREDIT_WORD}\s*[:/]\s*[^)\]]{{1,60}}[)\]]?\s*$", re.I)
_COPYRIGHT_RE = re.compile(r"^(?:©|\(c\)|copyright\b).{0,80}$", re.I)
_READING_RE = re.compile(r"^(?:\d+\s*(?:min|mins|minutes?|minutos?)\.?\s*(?:read|de lectura|lectura|de lecture"
                         r"|lesezeit)|(?:reading time|tiempo de lectura|lectura|temps de lecture|lesezeit)"
                         r"\s*:?\s*\d+\s*(?:min|minutes?|minutos?)\.?)$", re.I)

_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec enero febrero marzo abril mayo junio julio agosto "
           "septiembre setiembre octubre noviembre diciembre ene abr ago dic janvier février fevrier mars avril "
           "mai juin juillet août aout septembre octobre novembre décembre decembre janv févr avr juil déc "
           "januar jänner februar märz juni juli oktober dezember")
_MONTH = "(?:" + "|".join(sorted(set(_MONTHS.split()), key=len, reverse=True)) + r")\.?"
_DAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)\w*|lunes|martes|miércoles|jueves|viernes|sábado|domingo|lundi|mardi" \
       r"|mercredi|jeudi|vendredi|samedi|dimanche|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)"
_DATE = (rf"(?:\d{{1,2}}(?:\.|er|º)?\s*(?:de\s+)?{_MONTH}\s*,?\s*(?:de\s+|del\s+)?\d{{4}}"
         rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}[/.\-]\d{{1,2}}[/.\-]\d{{2,4}}"
         r"|\d{4}-\d{2}-\d{2})")
_TIME = r"(?:(?:at|a las|à|um|-|,)?\s*\d{1,2}[:h.]\d{2}\s*(?:h|hrs|am|pm|a\.m\.|p\.m\.|uhr)?\s*(?:[A-Z]{2,4})?)"
_DATE_RE = re.compile(rf"^(?:published|updated|posted|publicado|actualizado|publié|mis à jour|veröffentlicht"
                      rf"|aktualisiert)?\s*(?:on|el|le|am|the)?\s*:?\s*(?:{_DAY},?\s*)?{_DATE}\s*{_TIME}?\.?$", re.I)
_NAME = r"[A-ZÁÉÍÓÚÑÇÀÈÌÒÙÄÖÜ][\w'’.\-]+"
_BYLINE_RE = re.compile(rf"^(?:by|por|par|von|de)\s+{_NAME}(?:\s+(?:{_NAME}|de|del|la|van|von|y|and|et|und)){{0,5}}"
                        r"\.?$")
_NAME_RE = re.compile(rf"^{_NAME}(?:\s+(?:{_NAME}|de|del|la|van|von|y|and|et|und)){{1,3}}$")


def strong_furniture(text: str) -> bool:
    """Whether one sentence is web furniture on its own: share line, credit, link lead-in, date, label."""
    t = " ".join(text.split())
    if not t or len(t) > 300:
        return False
    parts = [p.strip() for p in re.split(r"\s+[|·•]\s+", t) if p.strip()]
    if len(parts) > 1 and all(strong_furniture(p) or _weak_line(p) for p in parts):
        return any(strong_furniture(p) for p in parts)
    words = re.findall(r"[\w'’\-]+", t.lower())
    if words and len(words) <= 12 and all(w in _SHARE_VOCAB for w in words) and _SHARE_STRONG & set(words):
        return True
    short = len(words) <= 16
    return bool(_LEADIN_RE.match(t) or _LABEL_RE.match(t) or _DATE_RE.match(t) or _READING_RE.match(t)
                or (short and (_FOLLOW_RE.match(t) or _CREDIT_RE.match(t) or _COPYRIGHT_RE.match(t)))
                or _is_credit(t) or _CAPTION_TAIL.search(t))


def _is_credit(t: str) -> bool:
    """A photo credit line, or a caption that ends with an agency credit (`... REUTERS/Stringer`)."""
    return bool(_AGENCY_TAIL.search(t) or _AGENCY_ONLY.match(t))


def _credit_line(t: str) -> bool:
    """A short line that only credits a photo: the caption sits just before it."""
    return len(t.split()) <= 10 and bool(_is_credit(t) or _CREDIT_RE.match(t) or _COPYRIGHT_RE.match(t))


def _weak_line(t: str) -> bool:
    """A byline, a bare name or a short label: furniture only next to other furniture."""
    t = t.strip()
    return bool(_BYLINE_RE.match(t) or _NAME_RE.match(t) or (len(t.split()) <= 3 and t[-1:] not in ".!?:;,"))


def furniture_mask(doc: Document, candidates: np.ndarray, strong: np.ndarray) -> np.ndarray:
    """Furniture among the candidate sentences of `doc`: bool (n,).

    candidates, strong: bool (n,). Strong lines count alone; captions before a credit, the title after a bare
    lead-in, related-article lists (items ending in a date) and weak lines next to furniture count in context.
    """
    n = len(doc)
    mask = strong & candidates
    sents = doc.sentences
    for i in np.flatnonzero(mask):
        t = sents[i].text
        if _LEADIN_RE.match(t) and not (_LEADIN_RE.match(t).group("title")) and i + 1 < n and candidates[i + 1]:
            mask[i + 1] |= len(sents[i + 1].text.split()) <= 30
        if _credit_line(t):
            for k in (i - 1, i - 2):
                if k >= 0 and candidates[k] and sents[k].paragraph == sents[i].paragraph \
                        and len(sents[k].text.split()) <= 60:
                    mask[k] = True
                else:
                    break
    _related_lists(doc, candidates, mask)
    changed = True
    while changed:
        changed = False
        for i in range(n):
            if candidates[i] and not mask[i] and _weak_line(sents[i].text) and (
                    (i > 0 and mask[i - 1]) or (i + 1 < n and mask[i + 1])):
                mask[i] = changed = True
    return mask


def _related_lists(doc: Document, candidates: np.ndarray, mask: np.ndarray, max_item: int = 8) -> None:
    """Mark related-article lists: runs of candidates with two or more date lines at most `max_item` apart."""
    sents = doc.sentences
    for run in _runs(np.flatnonzero(candidates)):
        dates = [i for i in run if _DATE_RE.match(sents[i].text) or _dated_byline(sents[i].text)]
        if len(dates) < 2:
            continue
        gaps = [b - a for a, b in zip(dates, dates[1:]) if b - a <= max_item]
        if not gaps:
            continue
        for a, b in zip(dates, dates[1:]):
            if b - a <= max_item and _list_item(doc, a + 1, b):
                mask[a + 1:b + 1] = True
        first = dates[0]
        start = first
        while start - 1 >= run[0] and first - (start - 1) < max(gaps) + 1 and _list_item(doc, start - 1, first):
            start -= 1
        mask[start:first + 1] = True


def _dated_byline(text: str) -> bool:
    """`By Jane Doe, 3 October 2024`, `Jane Doe | Oct 3, 2024`: a byline and a date in one line."""
    for m in re.finditer(r"\s*(?:[|·•–—,]|\s-)\s*", text):
        a, b = text[:m.start()].strip(), text[m.end():].strip()
        if (_DATE_RE.match(a) and _person(b)) or (_person(a) and _DATE_RE.match(b)):
            return True
    return False


def _person(t: str) -> bool:
    return bool(_BYLINE_RE.match(t) or _NAME_RE.match(t))


def _list_item(doc: Document, a: int, b: int) -> bool:
    """Sentences a..b-1 look like a list entry: at most two prose sentences a paragraph, none very long."""
    sents = doc.sentences
    for s in sents[a:b]:
        size = sum(1 for k in range(max(0, s.id - 2), min(len(sents), s.id + 3))
                   if sents[k].paragraph == s.paragraph and not strong_furniture(sents[k].text))
        if size > 2 or len(s.text.split()) > 100:
            return False
    return True
