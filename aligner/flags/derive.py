"""`derive_flags`: the steps of the flagger put together, and the added, dropped and divergent passages.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np

from ..align.driver import wordless
from ..align.numbers import numbers_in
from ..models import Alignment, BeadStatus, Document
from .furniture import _furniture_candidates, _furniture_flags, furniture_mask
from .model import Flag, FlagParams, FlagType, Pair, Span, carry_status
from .moved import _match_lone
from .passages import (
    _absorb,
    _calibrate,
    _Calibration,
    _Lengths,
    _loose,
    _mad,
    _preview,
    _reattach,
    _runs,
    _sim,
    _units,
)


def derive_flags(alignment: Alignment, src_doc: Document, tgt_doc: Document, src_vecs: np.ndarray,
                 tgt_vecs: np.ndarray, params: FlagParams = FlagParams()) -> list[Flag]:  # noqa: B008 (frozen)
    """Every flag of one aligned document pair, in reading order of the target.

    src_vecs: float32 (n_src, d), tgt_vecs: float32 (n_tgt, d), L2-normalised sentence vectors.
    """
    alignment.validate()
    if len(src_vecs) != len(src_doc) or len(tgt_vecs) != len(tgt_doc):
        raise ValueError("one sentence vector per sentence is needed on each side")
    sv, tv = _blank_out(src_doc, src_vecs), _blank_out(tgt_doc, tgt_vecs)
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
    # one-sided beads an editor made or confirmed are their decision: no second reading joins them to a neighbour
    pinned = ({i for b in alignment.beads if not b.tgt and b.status is not BeadStatus.AUTO for i in b.src},
              {j for b in alignment.beads if not b.src and b.status is not BeadStatus.AUTO for j in b.tgt})
    units = _absorb(units, sv, tv, lengths, pinned)
    moved, realigned, pairs, lone_s, lone_t = _match_lone(units, src_doc, tgt_doc, sv, tv, cal, params, pinned)
    pairs, lone_s, lone_t = _reattach(pairs + realigned, lone_s, lone_t, sv, tv, params.reattach_gain, pinned)
    moved, lone_s, lone_t = _whole_paragraphs(moved, lone_s, lone_t, src_doc, tgt_doc)
    lone_s, lone_t = _worded(src_doc, lone_s), _worded(tgt_doc, lone_t)  # a blank line is no added passage
    flags = _furniture_flags(src_doc, furn_s, "src") + _furniture_flags(tgt_doc, furn_t, "tgt") + moved
    flags += _one_sided(FlagType.DROPPED, src_doc, lone_s, sv, tv, cal, _merged_beside(pairs, 0), params)
    flags += _one_sided(FlagType.ADDED, tgt_doc, lone_t, tv, sv, cal, _merged_beside(pairs, 1), params)
    flags += _divergent(pairs, src_doc, tgt_doc, sv, tv, params)
    return sorted(flags, key=reading_order(alignment))


def _blank_out(doc: Document, vecs: np.ndarray) -> np.ndarray:
    """The sentence vectors with those of empty sentences (blank lines of pre-segmented input) set to zero: an
    encoder gives every empty text the same vector, which made two blank lines a perfect match."""
    out = np.array(vecs, np.float32)  # a copy: the caller's vectors are left as they are
    out[[k for k, s in enumerate(doc.sentences) if not s.text.strip()]] = 0.0
    return out


def _worded(doc: Document, ids: list[int]) -> list[int]:
    """The sentences among `ids` with a word in them: a blank line, or a line of debris, ornament or a lone figure
    ("* * *", "- _-", "24 a !"), which the aligner leaves alone for nothing (align.wordless), is no added or
    dropped passage."""
    free = wordless([doc.sentences[i].text for i in ids])
    return [i for i, f in zip(ids, free, strict=True) if not f and doc.sentences[i].text.strip()]


def rederive(previous: list[dict], alignment: Alignment, src_doc: Document, tgt_doc: Document,
             src_vecs: np.ndarray, tgt_vecs: np.ndarray, after_edit: bool = False) -> list[dict]:
    """The flag records to save for `alignment` after an edit or a new run: the flagger's flags derived again,
    keeping the review status of those whose key (type and sentences) is unchanged, then the editor's own flags
    (and those an imported memory brought) as they were. previous: the pair's flag records (Store.flag_records).

    after_edit: a divergent flag on a bead the edit left as it was stays, although it is not derived again: its
    bead is measured against the document's other beads, and an edit elsewhere (a merge, a split) moves those
    levels a little; a flag must not vanish unseen because an editor fixed something else."""
    from ..store.flags import is_kept

    mine = [{k: v for k, v in f.items() if k != "id"} for f in previous if is_kept(f)]
    before = [Flag.from_dict(f) for f in previous if not is_kept(f)]
    flags = derive_flags(alignment, src_doc, tgt_doc, src_vecs, tgt_vecs)
    if after_edit:
        beads = {(b.src, b.tgt) for b in alignment.beads}
        found = {f.key for f in flags}
        flags += [f for f in before if f.type is FlagType.DIVERGENT and f.key not in found
                  and (f.src.sentences, f.tgt.sentences) in beads]
        flags.sort(key=reading_order(alignment))
    return [f.to_dict() for f in carry_status(before, flags)] + mine


def _whole_paragraphs(moved: list[Flag], lone_s: list[int], lone_t: list[int], src_doc: Document,
                      tgt_doc: Document) -> tuple[list[Flag], list[int], list[int]]:
    """A moved passage takes the one-sided sentences next to it in its own paragraph: what the match left out
    of a moved paragraph (a short line, a sentence rewritten on the way) moved with it, it was not added."""
    free = {"s": set(lone_s), "t": set(lone_t)}
    out = []
    for f in moved:
        spans = {}
        for side, span, doc in (("s", f.src, src_doc), ("t", f.tgt, tgt_doc)):
            ids = set(span.sentences)
            for step in (-1, 1):
                x = (min(ids) if step < 0 else max(ids)) + step
                while x in free[side] and doc.sentences[x].paragraph in span.paragraphs:
                    ids.add(x)
                    free[side].discard(x)
                    x += step
            spans[side] = span if len(ids) == len(span.sentences) else Span.of(doc, ids)
        out.append(replace(f, src=spans["s"], tgt=spans["t"]))
    return out, sorted(free["s"]), sorted(free["t"])


# ---- one-sided passages ----------------------------------------------------------------------------------------

def _one_sided(kind: FlagType, doc: Document, ids: list[int], vecs: np.ndarray, other: np.ndarray,
               cal: _Calibration, merged: set[int], p: FlagParams) -> list[Flag]:
    """Added or dropped passages: runs of one-sided sentences, one flag per paragraph.

    Confidence ranks the flags (`aligner flags --by-score`). It is high when no sentence of the other side
    resembles the passage (the aligner did not merely miss a link), and falls as the best match nears the
    document's typical aligned similarity. Two things lower it, because that is where the aligner's own
    one-sided fragments lie: a short passage (a line of a few words resembles nothing, translated or not) and
    a lone sentence next to a merged pair (a piece the aligner cut off a 2-1 or 1-3 translation). On the
    synthetic adaptations of bench/adaptation.py, ranking by the similarity alone was worse than random.
    """
    flags = []
    for run in _runs(ids, doc):
        best = float(np.mean(np.max(vecs[run] @ other.T, axis=1))) if len(other) else 0.0
        chars = sum(len(doc.sentences[i].text) for i in run)
        conf = cal.unlike(best) * (1.0 - np.exp(-chars / p.evidence_chars) if p.evidence_chars else 1.0)
        if len(run) == 1 and (run[0] - 1 in merged or run[0] + 1 in merged):
            conf *= p.beside_merge
        span = Span.of(doc, run)
        src, tgt = (span, None) if kind is FlagType.DROPPED else (None, span)
        flags.append(Flag(kind, src, tgt, round(max(float(conf), 0.01), 3), round(best, 4), _preview(doc, run)))
    return flags


def _merged_beside(pairs: list[Pair], side: int) -> set[int]:
    """The sentences of one side (0 source, 1 target) that belong to a pair with more than one sentence on
    either side."""
    return {i for pair in pairs if len(pair[0]) > 1 or len(pair[1]) > 1 for i in pair[side]}


# ---- divergent beads -------------------------------------------------------------------------------------------

def _divergent(pairs: list[Pair], src_doc, tgt_doc, sv, tv, p: FlagParams) -> list[Flag]:
    """Beads far less similar than the document's beads of the same size, or far off its length ratio.

    score = robust z of the similarity (median and MAD of the size class) + length_weight * the part of the
    length-ratio z beyond 1.5: an added or dropped clause shows in the lengths before it shows in the meaning.
    The note of a flagged bead names the numbers (two or more digits) that one side has and the other lacks:
    a changed or lost figure is what an editor checks first. A figure changed (a number on each side that the
    other lacks: "23%" as "32%") flags a bead however similar its sides, at confidence FIGURE_CONFIDENCE; a
    figure only lost or only added does not (numbers written out as words, a currency conversion added beside
    the original), nor one number that ends the other ("1977" as "77"). In the public gold sets (translations
    with no edits) that rule fires on 0 of 858 Text+Berg test pairs, 3 of 5,172 TransRead pairs (dates a
    translator changed) and 12 of 381 pairs of Text+Berg dev (an OCR'd yearbook: heights split at line ends).
    """
    flags = _divergent_by_score(pairs, src_doc, tgt_doc, sv, tv, p)
    flagged = {(f.src.sentences, f.tgt.sentences) for f in flags}
    for s, t in pairs:
        if (tuple(sorted(s)), tuple(sorted(t))) not in flagged and (changed := _figures_changed(src_doc, tgt_doc, s, t)):
            note = f"{len(s)}-{len(t)} bead, figures differ: {changed}"
            flags.append(Flag(FlagType.DIVERGENT, Span.of(src_doc, s), Span.of(tgt_doc, t), FIGURE_CONFIDENCE,
                              float(p.divergent_z), note))
    return flags


# How likely a changed figure is a real divergence: harmless changes exist (a translator's date, OCR), so below
# the confidence of a bead whose meaning the vectors also find far off.
FIGURE_CONFIDENCE = 0.5


def _figures_changed(src_doc: Document, tgt_doc: Document, s, t) -> str:
    """'23 / 32' when each side holds a number of two or more digits (not starting with 0) that the other lacks
    and that is not the end of one of the other's ("1977" / "77"), else ''."""
    def numbers(doc, ids):
        return Counter(x for i in ids for x in numbers_in(doc.sentences[i].text) if x[0] != "0")

    a, b = numbers(src_doc, s), numbers(tgt_doc, t)
    lost, new = sorted((a - b).elements()), sorted((b - a).elements())
    only_a = [x for x in lost if not any(x.endswith(y) or y.endswith(x) for y in new)]
    only_b = [y for y in new if not any(x.endswith(y) or y.endswith(x) for x in lost)]
    return f"{' '.join(only_a)} / {' '.join(only_b)}" if only_a and only_b else ""


def _divergent_by_score(pairs: list[Pair], src_doc, tgt_doc, sv, tv, p: FlagParams) -> list[Flag]:
    """The beads of `_divergent` found by their similarity and length."""
    if len(pairs) < 4:
        return []
    sims = np.array([_sim(sv, tv, s, t) for s, t in pairs])
    slen = np.array([sum(len(src_doc.sentences[i].text) for i in s) for s, _ in pairs], float)
    tlen = np.array([sum(len(tgt_doc.sentences[j].text) for j in t) for _, t in pairs], float)
    ratio = np.log((tlen + 20.0) / (slen + 20.0))
    z_len = np.abs(ratio - np.median(ratio)) / max(1.4826 * _mad(ratio), 0.05)
    groups = [(len(s), len(t)) for s, t in pairs]
    z_sim, typical = np.zeros(len(pairs)), np.zeros(len(pairs))
    for key in set(groups):
        idx = np.array([g == key for g in groups])
        ref = idx if idx.sum() >= p.min_class else _fallback(groups, key, p.min_class)
        typical[idx] = np.median(sims[ref])
        z_sim[idx] = (typical[idx] - sims[idx]) / max(1.4826 * _mad(sims[ref]), p.min_scale)
    longer = np.exp(ratio - np.median(ratio)) - 1.0  # the target's length against the document's usual ratio
    score = z_sim + p.length_weight * np.maximum(z_len - 1.5, 0.0)
    flags = []
    for k in np.flatnonzero(score >= p.divergent_z):
        s, t = pairs[k]
        conf = round(float(1.0 / (1.0 + np.exp(-(score[k] - p.divergent_z - 1.0)))), 3)
        # said as an editor reads it: how far below the text's usual pairs, and a length out of the ordinary
        note = f"{len(s)}-{len(t)} bead, similarity {sims[k]:.2f} (usual here {typical[k]:.2f})"
        if z_len[k] > 1.5:
            note += f"; target {abs(longer[k]):.0%} {'longer' if longer[k] > 0 else 'shorter'} than usual"
        figures = _figures_differ(src_doc, tgt_doc, s, t)
        if figures:
            note += f"; figures differ: {figures}"
        flags.append(Flag(FlagType.DIVERGENT, Span.of(src_doc, s), Span.of(tgt_doc, t), conf,
                          round(float(score[k]), 3), note))
    return flags


def _figures_differ(src_doc: Document, tgt_doc: Document, s, t) -> str:
    """'1952 / 1953' when the numbers of two or more digits of the two sides differ (each side's unmatched
    ones, '-' for none), else ''. Runs that start with 0 are left out: date and time parts that a written-out
    date drops ("19/01/2024", "January 19, 2024"), and thousands groups ("000") that a rewording drops."""
    def numbers(doc, ids):
        return Counter(x for i in ids for x in numbers_in(doc.sentences[i].text) if x[0] != "0")

    a, b = numbers(src_doc, s), numbers(tgt_doc, t)
    if a == b:
        return ""
    only_a, only_b = sorted((a - b).elements()), sorted((b - a).elements())
    return f"{' '.join(only_a) or '-'} / {' '.join(only_b) or '-'}"


def _fallback(groups, key, min_class: int) -> np.ndarray:
    """A reference set for a rare bead size: all many-sided beads, or all beads when those are few too."""
    many = np.array([g != (1, 1) for g in groups])
    if key != (1, 1) and many.sum() >= min_class:
        return many
    return np.ones(len(groups), bool)


# ---- helpers ---------------------------------------------------------------------------------------------------

def reading_order(alignment: Alignment):
    """A sort key placing a flag at the bead where it shows in the target's reading order."""
    at_s, at_t = {}, {}
    for k, b in enumerate(alignment.beads):
        at_s.update((i, k) for i in b.src)
        at_t.update((j, k) for j in b.tgt)

    def key(f: Flag):
        k = at_t[f.tgt.sentences[0]] if f.tgt else at_s[f.src.sentences[0]]
        return (k, f.type is not FlagType.MOVED, f.src is None)

    return key
