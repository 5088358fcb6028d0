"""Adaptation flags: each type on small hand-made alignments with hand-made vectors, the furniture rules, the
serialisation the store relies on, the CLI, and (slow) the sample corpus against its edits files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import make_doc
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.cli import cli
from aligner.flags import (
    Flag,
    FlagParams,
    FlagStatus,
    FlagType,
    Span,
    carry_status,
    derive_flags,
    furniture_mask,
    strong_furniture,
    summarize,
)
from aligner.models import Alignment, Bead, BeadStatus

ROOT = Path(__file__).resolve().parent.parent
DIM = 64


# ---- hand-made documents, vectors and alignments ----------------------------------------------------------------



class Meanings:
    """One random unit vector per meaning; a translation shares its source's meaning, plus a little noise."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.table: dict[str, np.ndarray] = {}

    def vec(self, key: str, noise: float = 0.15) -> np.ndarray:
        if key not in self.table:
            self.table[key] = self.rng.normal(size=DIM)
        v = self.table[key] / np.linalg.norm(self.table[key]) + self.rng.normal(scale=noise / np.sqrt(DIM), size=DIM)
        return (v / np.linalg.norm(v)).astype(np.float32)

    def vecs(self, keys: list[str]) -> np.ndarray:
        return np.stack([self.vec(k) for k in keys])


def prose(key: str, n_words: int = 12) -> str:
    """A plain sentence whose words carry its meaning key, so lengths stay comparable across sides (words of two
    letters and more: a line without any is the aligner's and the flagger's debris, align.wordless)."""
    return " ".join([key] + [f"wd{k}" for k in range(n_words - 1)]) + "."


def beads(*spec) -> tuple[Bead, ...]:
    """beads((0,), (0,)), ... from pairs of id tuples."""
    return tuple(Bead(tuple(s), tuple(t)) for s, t in spec)


def one_to_one(n: int, i0: int = 0, j0: int = 0) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    return [((i0 + k,), (j0 + k,)) for k in range(n)]


def flags_of(kind: FlagType, flags: list[Flag]) -> list[Flag]:
    return [f for f in flags if f.type is kind]


def paragraphs_of(keys: list[str], sizes: list[int]) -> list[list[str]]:
    out, k = [], 0
    for n in sizes:
        out.append([prose(x) for x in keys[k:k + n]])
        k += n
    return out


# ---- added and dropped ------------------------------------------------------------------------------------------

def test_added_runs_are_flagged_per_paragraph_with_offsets():
    m = Meanings(1)
    src_keys = [f"m{k}" for k in range(10)]
    tgt_keys = src_keys[:4] + ["new1", "new2", "new3"] + src_keys[4:]
    src = make_doc(paragraphs_of(src_keys, [4, 3, 3]), "es")
    tgt = make_doc(paragraphs_of(tgt_keys, [4, 2, 1, 3, 3]))
    al = Alignment(beads(*one_to_one(4), ((), (4,)), ((), (5,)), ((), (6,)), *one_to_one(6, 4, 7)), 10, 13)
    flags = derive_flags(al, src, tgt, m.vecs(src_keys), m.vecs(tgt_keys))
    added = flags_of(FlagType.ADDED, flags)
    assert [f.tgt.sentences for f in added] == [(4, 5), (6,)]  # one flag per paragraph
    assert [f.tgt.paragraphs for f in added] == [(1,), (2,)]
    first = added[0].tgt
    assert tgt.text[first.start:first.end] == f"{prose('new1')} {prose('new2')}"
    assert all(f.src is None for f in added)
    # both are unlike the source; the two-sentence passage carries more evidence than the lone line
    assert added[0].confidence > 0.5 and 0.2 < added[1].confidence < added[0].confidence
    assert not flags_of(FlagType.DROPPED, flags) and not flags_of(FlagType.MOVED, flags)


def test_dropped_passage():
    m = Meanings(2)
    src_keys = [f"m{k}" for k in range(12)]
    tgt_keys = src_keys[:5] + src_keys[8:]
    src = make_doc(paragraphs_of(src_keys, [5, 3, 4]), "es")
    tgt = make_doc(paragraphs_of(tgt_keys, [5, 4]))
    al = Alignment(beads(*one_to_one(5), ((5,), ()), ((6,), ()), ((7,), ()), *one_to_one(4, 8, 5)), 12, 9)
    flags = derive_flags(al, src, tgt, m.vecs(src_keys), m.vecs(tgt_keys))
    (dropped,) = flags_of(FlagType.DROPPED, flags)
    assert dropped.src.sentences == (5, 6, 7) and dropped.src.paragraphs == (1,) and dropped.tgt is None
    assert src.text[dropped.src.start:dropped.src.end] == " ".join(prose(k) for k in src_keys[5:8])
    assert dropped.key == "dropped:5-7:"
    assert len(flags) == 1


def test_a_short_line_beside_a_merge_ranks_below_a_whole_added_passage():
    """Both are one-sided and unlike the source, but only the long passage carries evidence of its own: a line
    of a few words next to a 2-1 pair is where the aligner's own fragments lie, so it comes last by confidence."""
    m = Meanings(4)
    src_keys = [f"m{k}" for k in range(9)]
    tgt_keys = src_keys[:2] + ["m2", "short"] + src_keys[4:6] + ["long1", "long2"] + src_keys[6:]
    src = make_doc(paragraphs_of(src_keys, [4, 5]), "es")
    tgt_paras = [[prose(k) for k in tgt_keys[:3]] + ["Why?"], [prose(k) for k in tgt_keys[4:6]],
                 [prose("long1", 25), prose("long2", 25)], [prose(k) for k in tgt_keys[8:]]]
    tgt = make_doc(tgt_paras)
    al = Alignment(beads(*one_to_one(2), ((2, 3), (2,)), ((), (3,)), ((4,), (4,)), ((5,), (5,)), ((), (6,)),
                         ((), (7,)), *one_to_one(3, 6, 8)), 9, 11)
    sv, tv = m.vecs(src_keys), m.vecs(tgt_keys)
    sv[3] = m.vec("m2")  # source 3 is the second half of the meaning that target 2 merges
    added = flags_of(FlagType.ADDED, derive_flags(al, src, tgt, sv, tv))
    assert [f.tgt.sentences for f in added] == [(3,), (6, 7)]
    short, long = added
    assert long.confidence > 0.8
    assert short.confidence < 0.5 * long.confidence


def test_a_missed_link_inside_one_gap_is_not_a_flag():
    """1-0 then 0-1 that translate each other: the aligner missed a link; nothing was added or dropped."""
    m = Meanings(3)
    keys = [f"m{k}" for k in range(8)]
    src = make_doc([[prose(k) for k in keys]], "es")
    tgt = make_doc([[prose(k) for k in keys]])
    al = Alignment(beads(*one_to_one(3), ((3,), ()), ((), (3,)), *one_to_one(4, 4, 4)), 8, 8)
    assert derive_flags(al, src, tgt, m.vecs(keys), m.vecs(keys)) == []


def test_a_link_the_editor_took_apart_stays_apart():
    """The same 1-0 and 0-1 made by an editor (edited beads) are their decision: dropped and added, not a missed
    link; a split-off half made by hand is not rejoined to its neighbour either."""
    from dataclasses import replace

    m = Meanings(3)
    keys = [f"m{k}" for k in range(8)]
    src = make_doc([[prose(k) for k in keys]], "es")
    tgt = make_doc([[prose(k) for k in keys]])
    al = Alignment(beads(*one_to_one(3), ((3,), ()), ((), (3,)), *one_to_one(4, 4, 4)), 8, 8)
    edited = al.with_beads([replace(b, status=BeadStatus.EDITED) if b.is_null else b for b in al.beads])
    flags = derive_flags(edited, src, tgt, m.vecs(keys), m.vecs(keys))
    assert [(f.type, f.src and f.src.sentences, f.tgt and f.tgt.sentences) for f in flags] == [
        (FlagType.DROPPED, (3,), None), (FlagType.ADDED, None, (3,))]


def test_the_rest_of_a_split_sentence_left_alone_by_the_aligner_is_no_addition():
    """The target splits source sentence 3 in two and adds an unrelated sentence; the aligner left both halves'
    second part one-sided. The half rejoins its pair (it raises the pair's similarity); the addition stays."""
    m = Meanings(6)
    src_keys = [f"m{k}" for k in range(8)]
    half_a, half_b = m.vec("m3") + m.vec("x"), m.vec("m3") - m.vec("x")
    src_vecs = m.vecs(src_keys)
    src_vecs[3] = m.vec("m3")
    tgt_vecs = np.vstack([m.vecs(src_keys[:3]), [half_a / np.linalg.norm(half_a)], [half_b / np.linalg.norm(half_b)],
                          m.vecs(["unrelated"]), m.vecs(src_keys[4:])]).astype(np.float32)
    src = make_doc([[prose(k) for k in src_keys]], "es")
    tgt = make_doc([[prose(k) for k in src_keys[:3]] + [prose("m3a"), prose("m3b"), prose("unrelated")]
                    + [prose(k) for k in src_keys[4:]]])
    al = Alignment(beads(*one_to_one(4), ((), (4,)), ((), (5,)), *one_to_one(4, 4, 6)), 8, 10)
    flags = derive_flags(al, src, tgt, src_vecs, tgt_vecs)
    assert [f.tgt.sentences for f in flags_of(FlagType.ADDED, flags)] == [(5,)]
    without = derive_flags(al, src, tgt, src_vecs, tgt_vecs, FlagParams(reattach_gain=None))
    assert [f.tgt.sentences for f in flags_of(FlagType.ADDED, without)] == [(4, 5)]
    by_hand = al.with_beads(al.beads[:4] + (Bead((), (4,), 0.0, BeadStatus.EDITED),) + al.beads[5:])
    flags = derive_flags(by_hand, src, tgt, src_vecs, tgt_vecs)  # split off by an editor: it stays added
    assert [f.tgt.sentences for f in flags_of(FlagType.ADDED, flags)] == [(4, 5)]


# ---- moved ------------------------------------------------------------------------------------------------------

def moved_case(seed: int = 4):
    """Source paragraphs A B C D E F; the target puts B (3 sentences) after E: A C D E B F."""
    m = Meanings(seed)
    groups = {g: [f"{g}{k}" for k in range(3)] for g in "ABCDEF"}
    src_keys = [k for g in "ABCDEF" for k in groups[g]]
    tgt_keys = [k for g in "ACDEBF" for k in groups[g]]
    src = make_doc([[prose(k) for k in groups[g]] for g in "ABCDEF"], "es")
    tgt = make_doc([[prose(k) for k in groups[g]] for g in "ACDEBF"])
    spec = one_to_one(3) + [((i,), ()) for i in range(3, 6)] + one_to_one(9, 6, 3) \
        + [((), (j,)) for j in range(12, 15)] + one_to_one(3, 15, 15)
    return Alignment(beads(*spec), 18, 18), src, tgt, m.vecs(src_keys), m.vecs(tgt_keys)


def test_moved_paragraph_is_one_linked_flag():
    al, src, tgt, sv, tv = moved_case()
    flags = derive_flags(al, src, tgt, sv, tv)
    (moved,) = flags_of(FlagType.MOVED, flags)
    assert moved.src.sentences == (3, 4, 5) and moved.tgt.sentences == (12, 13, 14)
    assert moved.src.paragraphs == (1,) and moved.tgt.paragraphs == (4,)
    assert moved.side == "both" and moved.confidence > 0.8
    assert not flags_of(FlagType.ADDED, flags) and not flags_of(FlagType.DROPPED, flags)


def test_moved_passage_is_found_when_the_aligner_glued_part_of_it_to_a_neighbour():
    al, src, tgt, sv, tv = moved_case(5)
    spec = [(b.src, b.tgt) for b in al.beads]
    spec[2] = ((2, 3), (2,))  # source sentence 3 (first of B) glued to the 1-1 before it
    del spec[3]
    flags = derive_flags(Alignment(beads(*spec), 18, 18), src, tgt, sv, tv)
    (moved,) = flags_of(FlagType.MOVED, flags)
    assert moved.src.sentences == (3, 4, 5) and moved.tgt.sentences == (12, 13, 14)


def test_a_sentence_rewritten_inside_a_moved_paragraph_moves_with_it():
    al, src, tgt, sv, tv = moved_case(6)
    tv = tv.copy()
    tv[14] = Meanings(60).vec("rewritten beyond recognition")  # the last sentence of B, where it landed
    flags = derive_flags(al, src, tgt, sv, tv)
    (moved,) = flags_of(FlagType.MOVED, flags)
    assert moved.src.sentences == (3, 4, 5) and moved.tgt.sentences == (12, 13, 14)
    assert not flags_of(FlagType.ADDED, flags)


def test_unrelated_drop_and_addition_are_not_a_move():
    al, src, tgt, sv, tv = moved_case(6)
    tv = tv.copy()
    rng = np.random.default_rng(9)
    tv[12:15] = rng.normal(size=(3, DIM)).astype(np.float32)
    tv[12:15] /= np.linalg.norm(tv[12:15], axis=1, keepdims=True)
    flags = derive_flags(al, src, tgt, sv, tv)
    assert not flags_of(FlagType.MOVED, flags)
    assert [f.src.sentences for f in flags_of(FlagType.DROPPED, flags)] == [(3, 4, 5)]
    assert [f.tgt.sentences for f in flags_of(FlagType.ADDED, flags)] == [(12, 13, 14)]


# ---- divergent --------------------------------------------------------------------------------------------------

def divergent_case(mix: float, long_target: bool = False, seed: int = 7):
    """Twenty 1-1 beads and six 2-1 beads; bead 10's target means something else in proportion `mix`."""
    m = Meanings(seed)
    src_keys = [f"m{k}" for k in range(32)]
    src = make_doc([[prose(k) for k in src_keys]], "es")
    tgt_sents, tv, spec, j = [], [], [], 0
    i = 0
    while i < 32:
        if i >= 20:
            spec.append(((i, i + 1), (j,)))
            tgt_sents.append(prose(src_keys[i], 24))
            v = m.vec(src_keys[i]) + m.vec(src_keys[i + 1])
            i += 2
        else:
            spec.append(((i,), (j,)))
            text = prose(src_keys[i], 36 if (i == 10 and long_target) else 12)
            tgt_sents.append(text)
            v = m.vec(src_keys[i])
            if i == 10:
                v = (1 - mix) * v + mix * m.vec("elsewhere")
            i += 1
        tv.append(v / np.linalg.norm(v))
        j += 1
    tgt = make_doc([tgt_sents])
    return Alignment(beads(*spec), 32, len(tgt_sents)), src, tgt, m.vecs(src_keys), np.stack(tv).astype(np.float32)


def test_divergent_bead_is_the_one_far_below_its_size_class():
    al, src, tgt, sv, tv = divergent_case(0.7)
    (div,) = flags_of(FlagType.DIVERGENT, derive_flags(al, src, tgt, sv, tv))
    assert div.src.sentences == (10,) and div.tgt.sentences == (10,) and div.score >= 3.5


def test_an_added_clause_shows_in_the_length_ratio():
    al, src, tgt, sv, tv = divergent_case(0.25, long_target=True)
    (div,) = flags_of(FlagType.DIVERGENT, derive_flags(al, src, tgt, sv, tv))
    assert div.tgt.sentences == (10,)
    assert "longer than usual" in div.note and "(usual here 0." in div.note


def test_a_divergent_note_names_the_figures_that_differ():
    al, src, tgt, sv, tv = divergent_case(0.7)
    src_texts, tgt_texts = [x.text for x in src.sentences], [x.text for x in tgt.sentences]
    src_texts[10] = "Built in 1952 at 2,450 m, on 03/05/1952."
    tgt_texts[10] = "Built in 1953 at 2,450 m, on 3 May 1952."
    flags = derive_flags(al, make_doc([src_texts], "es"), make_doc([tgt_texts]), sv, tv)
    (div,) = flags_of(FlagType.DIVERGENT, flags)
    assert div.note.endswith("figures differ: 1952 / 1953")  # 450 on both sides; the 03 and 05 date parts left out
    src_texts[10] = tgt_texts[10]
    (same,) = flags_of(FlagType.DIVERGENT, derive_flags(al, make_doc([src_texts], "es"), make_doc([tgt_texts]),
                                                         sv, tv))
    assert "figures" not in same.note


def test_a_changed_figure_flags_a_bead_however_similar_its_sides():
    """"al 23%" adapted as "at 32%": the sides mean the same to the vectors (similarity above the text's usual),
    and no flag was raised; a changed figure is what a newsroom editor checks first. A figure only added (a
    conversion beside the original) or only written out, or "1977" as "77", raises none."""
    al, src, tgt, sv, tv = divergent_case(0.0)  # every bead alike: nothing divergent by similarity
    src_texts, tgt_texts = [x.text for x in src.sentences], [x.text for x in tgt.sentences]

    def divergent(s_text: str, t_text: str, ks: int = 4, kt: int = 4) -> list:
        ss, ts = list(src_texts), list(tgt_texts)
        ss[ks], ts[kt] = s_text, t_text
        return flags_of(FlagType.DIVERGENT, derive_flags(al, make_doc([ss], "es"), make_doc([ts]), sv, tv))

    (div,) = divergent("El paro bajó al 23% en 2024.", "Unemployment fell to 32% in 2024.")
    assert div.src.sentences == div.tgt.sentences == (4,)
    assert div.note == "1-1 bead, figures differ: 23 / 32" and div.confidence == 0.5
    assert divergent("Costó 20 millones de euros.", "It cost 20 million euros ($22 million).") == []
    assert divergent("Tenía 15 años.", "She was fifteen.") == []
    assert divergent("En 1977 llegó.", "In '77 he arrived.") == []
    (two_one,) = divergent("Tenía 40 años.", "She was 41.", ks=22, kt=21)  # the 2-1 bead of sources 22 and 23
    assert two_one.src.sentences == (22, 23) and two_one.tgt.sentences == (21,)


def test_no_divergence_when_every_bead_is_alike():
    al, src, tgt, sv, tv = divergent_case(0.0)
    assert derive_flags(al, src, tgt, sv, tv) == []


def test_after_an_edit_a_divergent_flag_on_an_unchanged_bead_stays():
    """An edit elsewhere moves the document's similarity levels a little; a divergent flag on a bead the edit did
    not touch stays (with its review status), one on a bead the edit changed goes."""
    from aligner.flags import rederive

    al, src, tgt, sv, tv = divergent_case(0.0)  # nothing divergent now
    old = Flag(FlagType.DIVERGENT, Span.of(src, [10]), Span.of(tgt, [10]), 0.6, 5.0, "1-1 bead")
    previous = [{**old.to_dict(), "status": "confirmed", "id": 1}]
    assert rederive(previous, al, src, tgt, sv, tv) == []
    (kept,) = rederive(previous, al, src, tgt, sv, tv, after_edit=True)
    assert kept["key"] == "divergent:10:10" and kept["status"] == "confirmed" and kept["note"] == "1-1 bead"
    merged = al.with_beads(al.beads[:10] + (Bead((10, 11), (10, 11)),) + al.beads[12:])
    assert rederive(previous, merged, src, tgt, sv, tv, after_edit=True) == []


# ---- furniture --------------------------------------------------------------------------------------------------

FURNITURE_LINES = [
    "Share on Facebook Twitter WhatsApp", "Facebook Twitter Share", "Compartir en Facebook", "Partager",
    "You might be interested in: The roots of the crisis", "Te puede interesar: Las claves del conflicto",
    "Lee también: Así fue la noche electoral", "À lire aussi : La montagne en hiver", "Related articles",
    "Photo: EFE / Joan Miralles", "EFE/ Paolo Aguilar", "REUTERS/Stringer", "(AP Photo/Martin Mejia)",
    "Foto: Europa Press", "© Claire Dubois / AFP", "September 27, 2023", "27 de septiembre de 2023",
    "Publié le 02/03/2021 à 14h02", "Le 17 août 2019", "MOST RECENT", "Lo más leído", "Síguenos en Twitter",
    "Protesters march in Lima on Thursday. (Photo: EFE)", "Por Laura Gimeno | 3 de octubre de 2024",
]
PROSE_LINES = [
    "The protests continued on Thursday in Lima.", "Share prices fell sharply after the announcement.",
    "He works for Reuters in Madrid.", "Photographs of the flood spread quickly on social media.",
    "By Friday the river had gone down.", "Te lo digo en serio.", "Related questions were left for later.",
    "The 3 men left before dawn.", "September was the wettest month since 1961.", "Facebook fined again in Europe",
    "Read more slowly, she told the class.", "Home.", "Follow the river until you reach the bridge.",
    "CHAPTER 8 Cunegund's Story", "1. August 1998 war ein heisser Tag .",
]


@pytest.mark.parametrize("line", FURNITURE_LINES)
def test_strong_furniture_lines(line):
    assert strong_furniture(line)


@pytest.mark.parametrize("line", PROSE_LINES)
def test_prose_is_not_furniture(line):
    assert not strong_furniture(line)


def furniture_case():
    """A target page with share buttons, a caption and credit, a link, and a related-articles list; the source
    has none of it. Returns (alignment, src, tgt, sv, tv, expected furniture target ids)."""
    m = Meanings(11)
    body = [f"m{k}" for k in range(8)]
    tgt_paras = [
        [prose(body[0])], ["Share on Facebook Twitter WhatsApp"],
        ["Rescue teams wade through a flooded street on Tuesday.", "Photo: EFE / Joan Miralles"],
        [prose(k) for k in body[1:4]], ["You might be interested in: Why the coast keeps flooding"],
        [prose(k) for k in body[4:8]], ["Share on Facebook Twitter WhatsApp"], ["Related articles"],
        ["Valencia approves a flood plan"], ["Laura Gimeno"], ["October 3, 2024"],
        ["The towns that learned to live with the river"], ["A look back at a year of rebuilding."],
        ["Pau Soler"], ["September 18, 2024"],
    ]
    tgt = make_doc(tgt_paras)
    src = make_doc([[prose(body[0])], [prose(k) for k in body[1:4]], [prose(k) for k in body[4:8]]], "es")
    body_at = {0: 0, 1: 4, 2: 5, 3: 6, 4: 8, 5: 9, 6: 10, 7: 11}
    spec, j = [], 0
    for j in range(len(tgt)):
        i = next((s for s, t in body_at.items() if t == j), None)
        spec.append(((i,), (j,)) if i is not None else ((), (j,)))
    tv = np.stack([m.vec(body[[s for s, t in body_at.items() if t == j][0]]) if j in body_at.values()
                   else m.vec(f"furniture{j}") for j in range(len(tgt))])
    expected = [j for j in range(len(tgt)) if j not in body_at.values()]
    return Alignment(beads(*spec), 8, len(tgt)), src, tgt, m.vecs(body), tv, expected


def test_furniture_is_reported_apart_from_additions():
    al, src, tgt, sv, tv, expected = furniture_case()
    flags = derive_flags(al, src, tgt, sv, tv)
    furniture = flags_of(FlagType.FURNITURE, flags)
    assert sorted(j for f in furniture for j in f.tgt.sentences) == expected
    assert [f.tgt.sentences for f in furniture][-1] == tuple(range(12, len(tgt)))  # the list is one passage
    assert not flags_of(FlagType.ADDED, flags)


def test_furniture_present_on_both_sides_is_not_flagged():
    m = Meanings(12)
    src = make_doc([[prose("a")], ["Compartir en Facebook Twitter"], [prose("b")]], "es")
    tgt = make_doc([[prose("a")], ["Share on Facebook Twitter"], [prose("b")]])
    al = Alignment(beads(*one_to_one(3)), 3, 3)
    sv = m.vecs(["a", "share", "b"])
    assert derive_flags(al, src, tgt, sv, sv.copy()) == []


def test_weak_lines_count_only_next_to_furniture():
    doc = make_doc([["Laura Gimeno"], [prose("x")], ["Laura Gimeno"], ["October 3, 2024"]])
    cand = np.ones(len(doc), bool)
    strong = np.array([strong_furniture(s.text) for s in doc.sentences])
    assert furniture_mask(doc, cand, strong).tolist() == [False, False, True, True]


def _related_list(first_item: list[list[str]], teaser: str = "A look back at a year of rebuilding.") -> list[list[str]]:
    return [[prose("body")], ["Most read"], *first_item, ["Laura Gimeno"], ["October 3, 2024"],
            ["The towns that learned to live with the river"], [teaser], ["Pau Soler"], ["September 18, 2024"]]


def _mask(paras: list[list[str]], not_candidates: tuple[int, ...] = ()) -> list[int]:
    doc = make_doc(paras)
    cand = np.ones(len(doc), bool)
    cand[0] = False  # the article's own last sentence, aligned
    cand[list(not_candidates)] = False
    strong = np.array([strong_furniture(s.text) for s in doc.sentences])
    return np.flatnonzero(furniture_mask(doc, cand, strong)).tolist()


def test_a_related_list_reaches_back_to_its_heading():
    """The first item holds an extra paragraph, so it is longer than the items after it: the heading, not the
    length of the later items, bounds it."""
    paras = _related_list([[prose("extra")], [prose("more")], ["Valencia approves a flood plan"],
                           [prose("teaser one")]])
    assert _mask(paras) == list(range(1, 12))


def test_a_byline_the_aligner_glued_to_a_bead_still_joins_the_list():
    paras = _related_list([["Valencia approves a flood plan"]])
    # sentence 3, "Laura Gimeno", sits in a bead with some source sentence: not a candidate, yet a list line
    assert _mask(paras, not_candidates=(3,)) == list(range(1, 9))


def test_a_long_teaser_framed_by_headline_byline_and_date_is_furniture():
    long_teaser = " ".join(["The river rose again"] + [f"and word{k}" for k in range(60)]) + "."
    paras = _related_list([["Valencia approves a flood plan"]], teaser=long_teaser)
    assert len(long_teaser.split()) > 100
    assert _mask(paras) == list(range(1, 9))


# ---- values the store and the TUI rely on -----------------------------------------------------------------------

def test_flag_round_trips_through_a_dict_and_keeps_its_key():
    al, src, tgt, sv, tv = moved_case()
    for f in derive_flags(al, src, tgt, sv, tv):
        d = json.loads(json.dumps(f.to_dict()))
        assert Flag.from_dict(d) == f and d["key"] == f.key


def test_carry_status_keeps_review_of_unchanged_flags():
    span = Span((1, 2), (0,), 10, 40)
    old = [Flag(FlagType.ADDED, None, span, 0.9, status=FlagStatus.DISMISSED)]
    new = [Flag(FlagType.ADDED, None, span, 0.8), Flag(FlagType.ADDED, None, Span((5,), (1,), 50, 60), 0.7)]
    assert [f.status for f in carry_status(old, new)] == [FlagStatus.DISMISSED, FlagStatus.OPEN]


def test_summary_counts_and_words():
    al, src, tgt, sv, tv = moved_case()
    tgt_keys_added = derive_flags(al, src, tgt, sv, tv)
    s = summarize(tgt_keys_added, src, tgt)
    assert s.counts["moved"] == 1 and s.words_moved == 36 and s.words_added == 0


def test_vectors_must_match_the_documents():
    al, src, tgt, sv, tv = moved_case()
    with pytest.raises(ValueError, match="one sentence vector per sentence"):
        derive_flags(al, src, tgt, sv[:-1], tv)


@st.composite
def random_alignment(draw):
    """A valid monotone alignment of up to 30 x 30 sentences with random bead shapes and random vectors."""
    shapes = draw(st.lists(st.sampled_from([(1, 1), (1, 1), (1, 1), (1, 0), (0, 1), (2, 1), (1, 2), (2, 2)]),
                           min_size=1, max_size=25))
    spec, i, j = [], 0, 0
    for a, b in shapes:
        spec.append((tuple(range(i, i + a)), tuple(range(j, j + b))))
        i, j = i + a, j + b
    seed = draw(st.integers(0, 10_000))
    return spec, i, j, seed


@settings(max_examples=60, deadline=None)
@given(random_alignment())
def test_any_alignment_gives_consistent_flags(case):
    spec, n, m, seed = case
    if n == 0 or m == 0:
        return
    rng = np.random.default_rng(seed)
    src = make_doc([[prose(f"s{k}") for k in range(n)]], "es")
    tgt = make_doc([[prose(f"t{k}") for k in range(m)]])
    sv = rng.normal(size=(n, DIM)).astype(np.float32)
    tv = rng.normal(size=(m, DIM)).astype(np.float32)
    sv /= np.linalg.norm(sv, axis=1, keepdims=True)
    tv /= np.linalg.norm(tv, axis=1, keepdims=True)
    flags = derive_flags(Alignment(beads(*spec), n, m), src, tgt, sv, tv)
    seen: set = set()
    for f in flags:
        assert 0.0 <= f.confidence <= 1.0
        assert (f.src is not None) == (f.type in (FlagType.DROPPED, FlagType.MOVED, FlagType.DIVERGENT)) or \
            f.type is FlagType.FURNITURE
        assert (f.tgt is not None) == (f.type in (FlagType.ADDED, FlagType.MOVED, FlagType.DIVERGENT)) or \
            f.type is FlagType.FURNITURE
        if f.type is not FlagType.DIVERGENT:
            for side, span in (("s", f.src), ("t", f.tgt)):
                for x in span.sentences if span else ():
                    assert (side, x) not in seen  # a sentence is added, dropped, moved or furniture at most once
                    seen.add((side, x))
        assert Flag.from_dict(f.to_dict()) == f


# ---- the command line --------------------------------------------------------------------------------------------

def test_cli_flags_on_two_files(tmp_path, fake_model):
    src = tmp_path / "es.txt"
    tgt = tmp_path / "en.txt"
    body = [f"La frase {k} habla de tomate{k} y mango{k}." for k in range(8)]
    trans = [f"Sentence {k} is about tomate{k} and mango{k}." for k in range(8)]
    src.write_text("\n\n".join(body), encoding="utf-8")
    tgt.write_text("\n\n".join(trans[:4] + ["Share on Facebook Twitter WhatsApp"] + trans[4:]
                               + ["Totally new text about papaya and quinoa arrives here."]), encoding="utf-8")
    out = tmp_path / "report.html"
    r = CliRunner().invoke(cli, ["flags", "--src", str(src), "--tgt", str(tgt), "--model", "fake",
                                 "--html", str(out), "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    kinds = {(d["type"], tuple(d["tgt"]["sentences"])) for d in rows if d["tgt"]}
    assert ("furniture", (4,)) in kinds and ("added", (9,)) in kinds
    assert "<!DOCTYPE html>" in out.read_text(encoding="utf-8")


def test_cli_flags_usage_errors(tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["flags"]).exit_code == 2
    assert runner.invoke(cli, ["flags", "--src", "a.txt"]).exit_code == 2
    r = runner.invoke(cli, ["flags", "pair", "--db", str(tmp_path / "none.db")])
    assert r.exit_code == 1 and "no project database" in r.output


def test_cli_flags_on_a_stored_pair_and_status_survives_recompute(tmp_path, fake_model):
    from aligner.store import Store

    root = tmp_path / "corpus"
    for lang, extra in (("es", []), ("en", ["Totally new text about papaya and quinoa arrives here."])):
        (root / lang).mkdir(parents=True)
        lines = [f"La frase {k} habla de tomate{k} y mango{k}." if lang == "es" else
                 f"Sentence {k} is about tomate{k} and mango{k}." for k in range(8)]
        (root / lang / "delta.txt").write_text("\n\n".join(lines[:5] + extra + lines[5:]), encoding="utf-8")
    db = tmp_path / "p.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["add", str(root), "--db", str(db)]).exit_code == 0
    assert runner.invoke(cli, ["align-all", "--db", str(db), "--model", "fake", "--quiet"]).exit_code == 0
    with Store.open(db) as store:
        store.save_flags("delta", [])  # as if aligned before flags existed: `flags` derives and saves them
    r = runner.invoke(cli, ["flags", "delta", "--db", str(db), "--json"])
    assert r.exit_code == 0, r.output
    (added,) = [json.loads(x) for x in r.stdout.splitlines()]
    assert added["type"] == "added" and added["tgt"]["sentences"] == [5]
    with Store.open(db) as store:
        (record,) = store.flag_records("delta")
        store.set_flag_status(record["id"], FlagStatus.DISMISSED)
    out = tmp_path / "delta.html"
    r = runner.invoke(cli, ["flags", "delta", "--db", str(db), "--recompute", "--model", "fake", "--html", str(out)])
    assert r.exit_code == 0, r.output
    assert "[dismissed]" in r.output and out.exists()
    r = runner.invoke(cli, ["flags", "delta", "--db", str(db), "--status", "open"])
    assert r.output.startswith("0 of 1 flag (")
    # the counts leave the dismissed flag out, and say so (they read "0 added" beside "1 of 1 flag")
    r = runner.invoke(cli, ["flags", "delta", "--db", str(db), "--status", "dismissed"])
    assert "1 of 1 flag (1 dismissed; the others: 0 added, " in r.output
    with Store.open(db) as store:  # accepted in the review app (y): the same word here, as status and filter
        store.set_flag_status(store.flag_records("delta")[0]["id"], FlagStatus.CONFIRMED)
    for status in ("accepted", "confirmed"):
        r = runner.invoke(cli, ["flags", "delta", "--db", str(db), "--status", status])
        assert "[accepted]" in r.output and "1 of 1 flag (" in r.output


def aligned_eta(tmp_path: Path) -> Path:
    """A project with pair 'eta' (eight 1-1 sentences) aligned with the fake model: its database."""
    root = tmp_path / "corpus"
    for lang in ("es", "en"):
        (root / lang).mkdir(parents=True)
        lines = [f"La frase {k} habla de tomate{k} y mango{k}." if lang == "es" else
                 f"Sentence {k} is about tomate{k} and mango{k}." for k in range(8)]
        (root / lang / "eta.txt").write_text("\n\n".join(lines), encoding="utf-8")
    db = tmp_path / "p.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["add", str(root), "--db", str(db)]).exit_code == 0
    assert runner.invoke(cli, ["align-all", "--db", str(db), "--model", "fake", "--quiet"]).exit_code == 0
    return db


def test_cli_flags_lists_stored_flags_in_reading_order(tmp_path, fake_model):
    # flags made in the review app are saved after the derived ones; the list shows them where they stand
    from aligner.store import Store

    db, runner = aligned_eta(tmp_path), CliRunner()
    with Store.open(db) as store:
        src, tgt = store.documents_for("eta")
        late = Flag(FlagType.ADDED, None, Span.of(tgt, [6]), 0.9)
        early = Flag(FlagType.DROPPED, Span.of(src, [1]), None, 0.9)
        store.save_flags("eta", [late, early])
    r = runner.invoke(cli, ["flags", "eta", "--db", str(db), "--json"])
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["type"] for x in r.stdout.splitlines()] == ["dropped", "added"]


def test_cli_flags_show_the_editors_flags_that_show_and_recompute_keeps_them(tmp_path, fake_model):
    """An editor's flag (made in the review app) is listed while its bead is flagged, not once cleared (its
    record stays, for undo); deriving the flags again keeps both records."""
    from aligner.store import EDITOR_KEY, Store

    db, runner = aligned_eta(tmp_path), CliRunner()
    with Store.open(db) as store:
        src, tgt = store.documents_for("eta")
        store.set_status("eta", [2], "flagged")
        mine = [{**Flag(FlagType.DIVERGENT, Span.of(src, [k]), Span.of(tgt, [k]), 1.0, 1.0, note,
                        FlagStatus.CONFIRMED).to_dict(), "key": f"{EDITOR_KEY}divergent:{k}:{k}",
                 "made": f"2026-11-27T10:0{k}:00+00:00"} for k, note in ((2, "ask the author"), (4, "cleared"))]
        store.save_flags("eta", store.flag_records("eta") + mine)
    r = runner.invoke(cli, ["flags", "eta", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "ask the author" in r.output and "cleared" not in r.output
    r = runner.invoke(cli, ["show", "eta", "--db", str(db)])
    assert r.exit_code == 0 and "ask the author" in r.output and "cleared" not in r.output and "editor" in r.output
    r = runner.invoke(cli, ["flags", "eta", "--db", str(db), "--recompute", "--model", "fake"])
    assert r.exit_code == 0, r.output
    assert "ask the author" in r.output and "cleared" not in r.output
    with Store.open(db) as store:
        keys = {f["key"] for f in store.flag_records("eta")}
    assert {f"{EDITOR_KEY}divergent:2:2", f"{EDITOR_KEY}divergent:4:4"} <= keys


# ---- the sample corpus (real encoder) ----------------------------------------------------------------------------

def _edits(name: str) -> list[dict]:
    return json.loads((ROOT / "corpus" / "gold" / f"{name}.edits.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_sample_corpus_flags_find_the_marked_edits():
    from aligner.align import AlignParams
    from aligner.embed import get_encoder
    from aligner.pipeline import align_documents, embed_document
    from aligner.segment import load_document

    names = sorted(p.stem for p in (ROOT / "corpus" / "gold").glob("*.edits.json"))
    names = [n.removesuffix(".edits") for n in names]
    assert names, "the sample corpus has no edits files"
    encoder, k = get_encoder(), AlignParams().max_side
    found = total = right = flagged = 0
    misses = []
    for name in names:
        src = load_document(ROOT / "corpus" / "es" / f"{name}.txt", "es")
        tgt = load_document(ROOT / "corpus" / "en" / f"{name}.txt", "en")
        ws, wt = embed_document(encoder, src, k), embed_document(encoder, tgt, k)
        flags = derive_flags(align_documents(src, tgt, encoder, windows=(ws, wt)), src, tgt, ws[0], wt[0])
        got = {t: set() for t in FlagType}
        for f in flags:
            got[f.type] |= {("s", i) for i in (f.src.sentences if f.src else ())}
            got[f.type] |= {("t", j) for j in (f.tgt.sentences if f.tgt else ())}
        gold = {t: set() for t in FlagType}
        for e in _edits(name):
            if e["type"] in ("merge", "split"):
                continue
            ids = {("s", i) for i in e["src"]} | {("t", j) for j in e["tgt"]}
            gold[FlagType(e["type"])] |= ids
            total += 1
            hit = len(ids & got[FlagType(e["type"])]) * 2 >= len(ids)
            found += hit
            if not hit:
                misses.append((name, e["type"], e["src"], e["tgt"]))
        for f in flags:
            if f.type is FlagType.DIVERGENT:
                continue
            ids = {("s", i) for i in (f.src.sentences if f.src else ())} | \
                {("t", j) for j in (f.tgt.sentences if f.tgt else ())}
            flagged += 1
            right += len(ids & gold[f.type]) * 2 >= len(ids)
    print(f"\nsample corpus: {found}/{total} marked passages found, {right}/{flagged} flags right; misses {misses}")
    assert found / total >= 0.9, misses
    assert right / flagged >= 0.85
    moved = [e for n in names for e in _edits(n) if e["type"] == "moved"]
    assert all((n, "moved", e["src"], e["tgt"]) not in misses for n in names for e in moved)


def test_a_filtered_list_keeps_each_flags_number_and_the_page_says_it_holds_all(tmp_path, fake_model):
    """`flags --type dropped` numbered its one flag "1" where the full list and the HTML page call it #2; the page
    written beside a filtered list held every flag without a word; `report NAME --html F -o X --format parquet`
    ignored -o and --format."""
    root = tmp_path / "corpus"
    es = [f"La frase {k} habla de tomate{k} y mango{k}." for k in range(10)]
    en = [f"Sentence {k} is about tomate{k} and mango{k}." for k in range(10)]
    en.insert(2, "Totally new text about papaya and quinoa arrives here.")
    del en[8]  # source sentence 7 has no translation
    for lang, lines in (("es", es), ("en", en)):
        (root / lang).mkdir(parents=True)
        (root / lang / "theta.txt").write_text("\n\n".join(lines), encoding="utf-8")
    db = str(tmp_path / "p.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["add", str(root), "--db", db]).exit_code == 0
    assert runner.invoke(cli, ["align-all", "--db", db, "--model", "fake", "--quiet"]).exit_code == 0
    full = runner.invoke(cli, ["flags", "theta", "--db", db]).stdout.splitlines()
    assert full[0].split()[:2] == ["1", "added"] and full[1].split()[:2] == ["2", "dropped"]
    page = tmp_path / "theta.html"
    r = runner.invoke(cli, ["flags", "theta", "--db", db, "--type", "dropped", "--html", str(page)])
    assert r.stdout.splitlines()[0] == full[1]  # the same number, 2
    assert f"note: {page} holds every flag; --type and --status chose this list only" in r.stderr
    assert 'href="#flag-1">2</a>' in page.read_text(encoding="utf-8")  # #2 on the page too
    r = runner.invoke(cli, ["report", "theta", "--db", db, "--html", str(page), "-o", str(tmp_path / "x.parquet"),
                            "--format", "parquet"])
    assert r.exit_code == 2 and "-o and --format are for every pair's figures" in r.stderr
    assert not (tmp_path / "x.parquet").exists()


def test_the_terminal_marks_direction_controls_instead_of_applying_them(tmp_path, fake_model):
    """A right-to-left override in an added sentence reversed the rest of the line in `aligner flags` (and `show`,
    `align`'s table): marked ⟨RLO⟩ now; the stored text keeps the character."""
    from aligner.textio import mark_controls

    assert mark_controls("a \u202eb\u202c c") == "a ⟨RLO⟩b⟨PDF⟩ c" and mark_controls("plain") == "plain"
    src, tgt = tmp_path / "es.txt", tmp_path / "en.txt"
    body = [f"La frase {k} habla de tomate{k} y mango{k}." for k in range(8)]
    trans = [f"Sentence {k} is about tomate{k} and mango{k}." for k in range(8)]
    src.write_text("\n\n".join(body), encoding="utf-8")
    tgt.write_text("\n\n".join(trans + ["Totally new \u202etext about papaya\u202c and quinoa arrives here."]),
                   encoding="utf-8")
    r = CliRunner().invoke(cli, ["flags", "--src", str(src), "--tgt", str(tgt), "--model", "fake"])
    assert r.exit_code == 0, r.output
    assert "Totally new ⟨RLO⟩text about papaya⟨PDF⟩ and quinoa" in r.stdout and "\u202e" not in r.stdout
    r = CliRunner().invoke(cli, ["align", str(src), str(tgt), "--model", "fake", "--format", "table"],
                           env={"COLUMNS": "200"})
    assert "⟨RLO⟩" in r.stdout and "\u202e" not in r.stdout
