"""How well the adaptation flags find known edits: synthetic adaptations of real parallel documents.

From the gold parallel documents in ../shared/gold (Text+Berg de->fr, TransRead read fr->en so that English is
the adaptation), every seed builds adaptations with known edits on the target side: deleted paragraphs and
sentences (dropped), passages from another document of the set (added), a paragraph moved far away (moved),
merged and split sentences (no flag expected), a clause added to or cut from a sentence (divergent), and web
furniture (share lines, link lead-ins, captions with credits, related-article lists). It aligns them with the
default aligner, derives the flags and reports precision and recall per flag type, per passage (a passage is
found when at least half of its sentences carry the right flag; a flag is right when at least half of its
sentences belong to passages of its type) and per sentence, averaged over seeds. A second table scores the added
and dropped sentences against the null links of the real gold alignments (whole documents, no edits).

    python bench/adaptation.py [--gold-dir ../shared/gold] [--seeds 6] [--max-links 200] [--oracle]
                               [--plain-confidence] [--min-confidence X]

"ranking AP" is the average precision of each type's flags ordered by confidence: how well confidence puts the
right flags first (a random order scores the passage precision).

Embeddings: every real sentence is encoded once; USE token features are cached per text and window vectors
composed from them, so a synthetic adaptation only encodes its new sentences.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aligner.align import AlignParams  # noqa: E402
from aligner.embed import get_encoder  # noqa: E402
from aligner.evaluate import read_links  # noqa: E402
from aligner.flags import FlagParams, FlagType, derive_flags  # noqa: E402
from aligner.models import Alignment, Bead, Document, Sentence  # noqa: E402
from aligner.pipeline import align_documents  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TYPES = [FlagType.ADDED, FlagType.DROPPED, FlagType.MOVED, FlagType.DIVERGENT, FlagType.FURNITURE]
TARGETS = {FlagType.ADDED: ("F1", 0.90), FlagType.DROPPED: ("F1", 0.90), FlagType.MOVED: ("F1", 0.80),
           FlagType.FURNITURE: ("P", 0.95)}


# ---- real documents --------------------------------------------------------------------------------------------

@dataclass
class Real:
    """A gold document pair: sentences and links, in the direction the benchmark uses."""

    name: str
    src_lang: str
    tgt_lang: str
    src: list[str]
    tgt: list[str]
    links: list[tuple[tuple[int, ...], tuple[int, ...]]]


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def load_reals(gold: Path) -> dict[str, list[Real]]:
    """Text+Berg test (de->fr) and TransRead reversed (fr->en); ParIce is Icelandic, which USE does not cover."""
    sets: dict[str, list[Real]] = {"textberg de>fr": [], "transread fr>en": []}
    tb = gold / "textberg-de-fr"
    for k in range(7):
        sets["textberg de>fr"].append(Real(f"test{k}", "de", "fr", _lines(tb / f"test{k}.de"),
                                           _lines(tb / f"test{k}.fr"), read_links(tb / f"test{k}.defr")))
    for d in sorted(p for p in (gold / "transread-en-fr").iterdir() if p.is_dir()):
        links = [(t, s) for s, t in read_links(d / "gold.enfr")]
        sets["transread fr>en"].append(Real(d.name, "fr", "en", _lines(d / "fr.txt"), _lines(d / "en.txt"), links))
    return sets


# ---- embeddings ------------------------------------------------------------------------------------------------

class Windows:
    """Window vectors of any list of sentences, encoding each distinct text once (USE features per text)."""

    def __init__(self, encoder, max_k: int):
        self.enc, self.max_k = encoder, max_k
        self.cache: dict[str, tuple] = {}
        self.composable = hasattr(encoder, "features") and hasattr(encoder, "compose")
        self.encoded = 0

    def __call__(self, texts: list[str]) -> list[np.ndarray]:
        if not self.composable:
            self.encoded += len(texts)
            return self.enc.encode_windows(texts, self.max_k)
        new = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if new:
            f = self.enc.features(new)
            self.encoded += len(new)
            for k, t in enumerate(new):
                self.cache[t] = (f.bos[k], f.inner[k], f.eos[k], f.lens[k])
        rows = [self.cache[t] for t in texts]
        from aligner.embed.use import Features

        f = Features(*(np.stack([r[c] for r in rows]) for c in range(3)), np.array([r[3] for r in rows]))
        return [self.enc.compose(f, k) for k in range(1, self.max_k + 1)]


# ---- synthetic adaptations -------------------------------------------------------------------------------------

@dataclass
class Item:
    """One target sentence being built, and where it came from."""

    text: str
    kind: str                     # orig | added | furniture | moved
    links: tuple[int, ...] = ()   # base links it translates
    passage: int = -1             # gold passage id for added / furniture / moved


@dataclass
class Gold:
    """Known edits: passages per type as sets of ('s', id) / ('t', id)."""

    passages: list[tuple[FlagType, set]] = field(default_factory=list)

    def add(self, kind: FlagType, ids: set) -> None:
        if ids:
            self.passages.append((kind, ids))


@dataclass
class Piece:
    """A stretch of a real document without its null links, cut into pseudo-paragraphs of links."""

    name: str
    src_lang: str
    tgt_lang: str
    links: list[tuple[list[str], list[str]]]    # (source sentences, target sentences) per link
    paras: list[list[int]]                       # link indices per paragraph


def make_pieces(reals: list[Real], max_links: int, seed: int = 0) -> list[Piece]:
    rng = random.Random(seed)
    out = []
    for r in reals:
        links = [([r.src[i] for i in s], [r.tgt[j] for j in t]) for s, t in r.links if s and t][:max_links]
        paras, k = [], 0
        while k < len(links):
            n = rng.randint(2, 6)
            paras.append(list(range(k, min(k + n, len(links)))))
            k += n
        out.append(Piece(r.name, r.src_lang, r.tgt_lang, links, paras))
    return out


def build_document(paragraphs: list[list[str]], lang: str, path: str) -> Document:
    """A Document from paragraphs of sentences, with offsets into the joined text."""
    parts, sents, pos = [], [], 0
    for p, para in enumerate(paragraphs):
        if p:
            parts.append("\n\n")
            pos += 2
        for k, s in enumerate(para):
            if k:
                parts.append(" ")
                pos += 1
            sents.append(Sentence(len(sents), s, p, pos, pos + len(s)))
            parts.append(s)
            pos += len(s)
    return Document(path, lang, "".join(parts), tuple(sents))


def source_document(piece: Piece) -> tuple[Document, list[list[int]]]:
    """The source side and, per link, its source sentence ids."""
    paras, ids, n = [], [], 0
    for para in piece.paras:
        texts = []
        for li in para:
            src = piece.links[li][0]
            ids.append(list(range(n, n + len(src))))
            n += len(src)
            texts += src
        paras.append(texts)
    return build_document(paras, piece.src_lang, piece.name), ids


# ---- web furniture, written independently of the detector's patterns -------------------------------------------

NAMES = {"fr": ["Claire Dubois", "Marc Lefèvre", "Julie Martin", "Antoine Roux", "Sophie Garnier", "Luc Bernard"],
         "en": ["Laura Green", "Tom Walsh", "Priya Nair", "Daniel Ortiz", "Emma Clarke", "Sam Holloway"]}
MONTHS = {"fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
          "en": "January February March April May June July August September October November December".split()}
SHARE = {"fr": ["Partager sur Facebook Twitter WhatsApp", "Partager", "Facebook Twitter LinkedIn E-mail",
                "Partager cet article", "Suivez-nous sur Instagram", "Imprimer"],
         "en": ["Share on Facebook Twitter WhatsApp", "Share", "Facebook Twitter LinkedIn Email",
                "Share this article", "Follow us on Instagram", "Print"]}
LEADIN = {"fr": ["À lire aussi : {}", "Lire aussi : {}", "Sur le même sujet : {}", "LIRE AUSSI - {}",
                 "Vous pourriez aussi aimer : {}"],
          "en": ["You might be interested in: {}", "Read also: {}", "Related: {}", "READ MORE: {}",
                 "See also: {}"]}
CREDIT = {"fr": ["Photo : AFP/{}", "© {} / AFP", "(Photo : {})", "Crédit photo : {}", "REUTERS/{}"],
          "en": ["Photo: AP/{}", "© {} / Reuters", "(Photo: {})", "Photo credit: {}", "EFE/ {}"]}
HEADS = {"fr": ["Les plus lus", "À la une", "Dernières actualités", "Culture", "Montagne", "Sur le même sujet"],
         "en": ["Most read", "Latest news", "Related articles", "Culture", "Outdoors", "More on this story"]}


def _date(lang: str, rng: random.Random) -> str:
    d, m, y = rng.randint(1, 28), rng.randint(0, 11), rng.randint(2019, 2025)
    forms = ([f"{d} {MONTHS['fr'][m]} {y}", f"Publié le {d:02d}/{m + 1:02d}/{y} à {rng.randint(6, 22)}h{d:02d}",
              f"Mis à jour le {d} {MONTHS['fr'][m]} {y}", f"Le {d} {MONTHS['fr'][m]} {y}"] if lang == "fr" else
             [f"{MONTHS['en'][m]} {d}, {y}", f"{d} {MONTHS['en'][m]} {y}", f"Published {MONTHS['en'][m]} {d}, {y}",
              f"Updated {MONTHS['en'][m][:3]} {d}, {y}"])
    return rng.choice(forms)


def _headline(donor: list[str], rng: random.Random) -> str:
    words = rng.choice(donor).split()[:rng.randint(6, 12)]
    return " ".join(words).rstrip(".,;:")


def furniture_block(lang: str, rng: random.Random, donor: list[str], kind: str) -> list[list[str]]:
    """Paragraphs of one piece of furniture: share | link | caption | related (list of dated items)."""
    name = rng.choice(NAMES[lang])
    if kind == "share":
        return [[rng.choice(SHARE[lang])]]
    if kind == "link":
        return [[rng.choice(LEADIN[lang]).format(_headline(donor, rng))]]
    if kind == "caption":
        return [[rng.choice(donor), rng.choice(CREDIT[lang]).format(name)]]
    paras = [[rng.choice(SHARE[lang])], [rng.choice(HEADS[lang])]]
    for _ in range(rng.randint(2, 4)):
        if rng.random() < 0.3:
            paras.append([rng.choice(donor)])
        paras.append([_headline(donor, rng)])
        if rng.random() < 0.7:
            k = rng.randrange(max(1, len(donor) - 2))
            paras.append(donor[k:k + rng.randint(1, 2)])
        paras.append([rng.choice(NAMES[lang])])
        paras.append([_date(lang, rng)])
    return paras


# ---- the edits --------------------------------------------------------------------------------------------------

def _merge(a: str, b: str) -> str:
    a = a.rstrip()
    a = a[:-1] if a[-1:] in ".!?" else a
    return f"{a}; {b[:1].lower()}{b[1:]}" if b else a


def _split(t: str) -> list[str] | None:
    """Cut a long sentence at the comma nearest its middle, or None."""
    commas = [k for k, c in enumerate(t) if c == "," and 25 < k < len(t) - 25]
    if len(t.split()) < 18 or not commas:
        return None
    k = min(commas, key=lambda c: abs(c - len(t) / 2))
    second = t[k + 1:].strip()
    return [t[:k] + ".", second[:1].upper() + second[1:]]


def adapt(piece: Piece, src_ids: list[list[int]], donor: list[str], rng: random.Random):
    """The adaptation of one piece and its gold passages.

    Edits touch distinct paragraphs with an untouched paragraph between them, so each edit stays one passage.
    """
    lang = piece.tgt_lang
    paras = [[Item(t, "orig", (li,)) for li in para for t in piece.links[li][1]] for para in piece.paras]
    gold = Gold()
    n = len(paras)
    free = set(range(1, n - 1))
    scale = max(1, round(len(piece.links) / 100))

    def take(cond=lambda p: True):
        options = sorted(p for p in free if cond(p))
        if not options:
            return None
        p = rng.choice(options)
        free.difference_update({p - 1, p, p + 1})
        return p

    def donor_run(k: int) -> list[str]:
        start = rng.randrange(max(1, len(donor) - k))
        return donor[start:start + k]

    pid = iter(range(10 ** 6))
    one_one = [li for li, (s, t) in enumerate(piece.links) if len(s) == len(t) == 1]
    # in-paragraph edits: merge, split, clause added or cut (divergent), sentence dropped or added
    for kind in ["merge"] * 2 * scale + ["split", "clause", "cut", "drop1", "add1"] * scale:
        p = take(lambda p: sum(it.links[0] in one_one for it in paras[p]) >= 2)
        if p is None:
            continue
        items = paras[p]
        k = rng.choice([k for k, it in enumerate(items) if it.links[0] in one_one])
        it = items[k]
        if kind == "merge":
            nxt = [j for j in (k + 1, k - 1) if 0 <= j < len(items) and items[j].links[0] in one_one]
            if nxt:
                a, b = sorted((k, nxt[0]))
                items[a:b + 1] = [Item(_merge(items[a].text, items[b].text), "orig", items[a].links + items[b].links)]
        elif kind == "split" and (parts := _split(it.text)):
            items[k:k + 1] = [Item(x, "orig", it.links) for x in parts]
        elif kind == "clause":
            extra = " ".join(rng.choice(donor).split()[:rng.randint(8, 16)]).rstrip(".,;:")
            items[k] = Item(f"{it.text.rstrip('.')}, {extra[:1].lower()}{extra[1:]}.", "orig", it.links)
            gold.add(FlagType.DIVERGENT, {("s", i) for i in src_ids[it.links[0]]} | {("t", ("L", it.links[0]))})
        elif kind == "cut" and (parts := _split(it.text)):
            items[k] = Item(parts[0], "orig", it.links)
            gold.add(FlagType.DIVERGENT, {("s", i) for i in src_ids[it.links[0]]} | {("t", ("L", it.links[0]))})
        elif kind == "drop1":
            del items[k]
            gold.add(FlagType.DROPPED, {("s", i) for i in src_ids[it.links[0]]})
        elif kind == "add1":
            q = next(pid)
            items[k + 1:k + 1] = [Item(t, "added", passage=q) for t in donor_run(rng.randint(1, 2))]
    # paragraph edits: drop, move far, add; then furniture between paragraphs and at the end
    for _ in range(scale):
        p = take()
        if p is not None:
            gold.add(FlagType.DROPPED, {("s", i) for it in paras[p] for li in it.links for i in src_ids[li]})
            paras[p] = []
    moves = []
    for _ in range(scale):
        p = take(lambda p: 1 <= len(paras[p]) <= 5)
        if p is None:
            continue
        span = len(paras[p])
        dests = [d for d in free if abs(d - p) >= 4 and
                 sum(len(x) for x in paras[min(p, d) + 1:max(p, d)]) >= 2 * span + 2]
        if not dests:
            continue
        d = rng.choice(sorted(dests))
        free.difference_update({d - 1, d, d + 1})
        q = next(pid)
        moves.append((d, [Item(it.text, "moved", it.links, q) for it in paras[p]]))
        paras[p] = []
    inserts = []
    for _ in range(scale):
        p = take()
        if p is not None:
            q = next(pid)
            inserts.append((p, [[Item(t, "added", passage=q) for t in donor_run(rng.randint(1, 4))]]))
    for _ in range(2 * scale):
        p = take()
        if p is not None:
            q = next(pid)
            block = furniture_block(lang, rng, donor, rng.choice(["share", "link", "caption"]))
            inserts.append((p, [[Item(t, "furniture", passage=q) for t in para] for para in block]))
    for d, items in moves:
        inserts.append((d, [items]))
    out: list[list[Item]] = []
    after = defaultdict(list)
    for p, block in inserts:
        after[p] += block
    for p, para in enumerate(paras):
        out.append(para)
        out += after[p]
    q = next(pid)
    out += [[Item(t, "furniture", passage=q) for t in para]
            for para in furniture_block(lang, rng, donor, "related")]
    return _finish(out, src_ids, gold, piece)


def _finish(paras: list[list[Item]], src_ids, gold: Gold, piece: Piece):
    """Number the target sentences; turn link references and passage ids into gold sentence sets."""
    paras = [p for p in paras if p]
    texts, j = [], 0
    tgt_of_link, passages, kinds = defaultdict(set), defaultdict(set), {}
    for para in paras:
        for it in para:
            if it.kind in ("orig", "moved"):
                for li in it.links:
                    tgt_of_link[li].add(j)
            if it.passage >= 0:
                passages[it.passage].add(("t", j))
                kinds[it.passage] = it.kind
                if it.kind == "moved":
                    passages[it.passage] |= {("s", i) for li in it.links for i in src_ids[li]}
            j += 1
        texts.append([it.text for it in para])
    kind_of = {"added": FlagType.ADDED, "furniture": FlagType.FURNITURE, "moved": FlagType.MOVED}
    for q, ids in passages.items():
        gold.add(kind_of[kinds[q]], ids)
    resolved = Gold()
    for kind, ids in gold.passages:
        out = set()
        for side, x in ids:
            out |= {("t", j) for j in tgt_of_link[x[1]]} if isinstance(x, tuple) else {(side, x)}
        resolved.add(kind, out)
    moved = {li for para in paras for it in para if it.kind == "moved" for li in it.links}
    pairs = _pairs({li: (src_ids[li], sorted(ts)) for li, ts in tgt_of_link.items() if li not in moved})
    tgt = build_document(texts, piece.tgt_lang, piece.name + "*")
    return tgt, resolved, gold_alignment(pairs, sum(map(len, src_ids)), len(tgt))


def _pairs(links: dict[int, tuple[list[int], list[int]]]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Links that share a target sentence (a merge) joined into one bead, in order."""
    groups: list[tuple[set, set]] = []
    for li in sorted(links):
        s, t = links[li]
        if groups and groups[-1][1] & set(t):
            groups[-1][0].update(s)
            groups[-1][1].update(t)
        else:
            groups.append((set(s), set(t)))
    return [(tuple(sorted(s)), tuple(sorted(t))) for s, t in groups]


def gold_alignment(pairs, n_src: int, n_tgt: int) -> Alignment:
    """The true alignment of a synthetic adaptation: its pairs, and one-sided beads for everything else."""
    beads, i, j = [], 0, 0
    for s, t in sorted(pairs):
        beads += [Bead((k,), ()) for k in range(i, s[0])] + [Bead((), (k,)) for k in range(j, t[0])]
        beads.append(Bead(s, t))
        i, j = s[-1] + 1, t[-1] + 1
    beads += [Bead((k,), ()) for k in range(i, n_src)] + [Bead((), (k,)) for k in range(j, n_tgt)]
    al = Alignment(tuple(beads), n_src, n_tgt)
    al.validate()
    return al


# ---- scoring ----------------------------------------------------------------------------------------------------

def flag_sets(flags, min_confidence: float = 0.0) -> list[tuple[FlagType, set, float]]:
    """Each flag as (type, {('s', id), ('t', id)}, confidence); added and dropped flags below min_confidence
    left out."""
    out = []
    for f in flags:
        if f.type in (FlagType.ADDED, FlagType.DROPPED) and f.confidence < min_confidence:
            continue
        ids = {("s", i) for i in (f.src.sentences if f.src else ())}
        ids |= {("t", j) for j in (f.tgt.sentences if f.tgt else ())}
        out.append((f.type, ids, f.confidence))
    return out


def average_precision(conf: list[float], right: list[bool]) -> float:
    """How well confidence ranks the right flags first: the mean, over right flags, of the precision among the
    flags at least as confident (ties share their group's precision). A random order scores the precision."""
    if not any(right):
        return float("nan")
    order = np.argsort(-np.asarray(conf, float), kind="stable")
    c, r = np.asarray(conf, float)[order], np.asarray(right, float)[order]
    ends = np.r_[np.flatnonzero(np.diff(c) != 0), len(c) - 1]  # last index of each group of equal confidence
    hits = np.cumsum(r)[ends]
    gained = np.diff(np.r_[0.0, hits])
    return float(np.sum(gained * hits / (ends + 1)) / hits[-1])


class Tally:
    """Passage and sentence counts per flag type, summed over documents."""

    def __init__(self):
        self.c = defaultdict(lambda: np.zeros(7, np.int64))
        self.ranked = defaultdict(list)  # per type: (confidence, right) of every flag

    def add(self, pred: list[tuple[FlagType, set, float]], gold: Gold) -> None:
        for kind in TYPES:
            g = [ids for k, ids in gold.passages if k is kind]
            p = [(ids, conf) for k, ids, conf in pred if k is kind]
            g_all = set().union(*g) if g else set()
            p_all = set().union(*(ids for ids, _ in p)) if p else set()
            found = sum(len(ids & p_all) * 2 >= len(ids) for ids in g)
            right = [len(ids & g_all) * 2 >= len(ids) for ids, _ in p]
            self.ranked[kind] += [(conf, ok) for (_, conf), ok in zip(p, right, strict=True)]
            self.c[kind] += [found, len(g), sum(right), len(p), len(g_all & p_all), len(g_all), len(p_all)]

    def scores(self, kind: FlagType) -> dict:
        found, n_gold, right, n_pred, hit, sg, sp = self.c[kind]
        d = lambda a, b: a / b if b else float("nan")  # noqa: E731
        f1 = lambda p, r: 2 * p * r / (p + r) if p + r else 0.0  # noqa: E731
        pp, pr, sp_, sr = d(right, n_pred), d(found, n_gold), d(hit, sp), d(hit, sg)
        ranked = self.ranked[kind]
        ap = average_precision([c for c, _ in ranked], [ok for _, ok in ranked]) if ranked else float("nan")
        return {"pP": pp, "pR": pr, "pF1": f1(pp, pr), "sP": sp_, "sR": sr, "sF1": f1(sp_, sr), "AP": ap,
                "n_gold": int(n_gold), "n_pred": int(n_pred)}


# ---- running ----------------------------------------------------------------------------------------------------

def run_synthetic(sets: dict[str, list[Real]], windows: Windows, seeds: int, max_links: int, params: AlignParams,
                  oracle: bool = False, flag_params: FlagParams | None = None,
                  min_confidence: float = 0.0) -> tuple[list[Tally], list[Tally], dict]:
    """One Tally per seed over every piece of every set, with the aligner's alignment and (oracle) with the
    true one, which isolates the flagger's own errors; also timing figures. Added and dropped flags below
    `min_confidence` are left out."""
    flag_params = flag_params or FlagParams()
    pieces = {name: make_pieces(reals, max_links) for name, reals in sets.items()}
    sources = {(name, p.name): source_document(p) for name, ps in pieces.items() for p in ps}
    src_win = {key: windows(doc.texts) for key, (doc, _) in sources.items()}
    tallies, oracles, t_align, t_flag, docs = [], [], 0.0, 0.0, 0
    for seed in range(seeds):
        tally, tally_o = Tally(), Tally()
        for name, ps in pieces.items():
            for k, piece in enumerate(ps):
                rng = random.Random(f"{seed}:{name}:{piece.name}")
                donor = [t for link in ps[(k + 1 + rng.randrange(len(ps) - 1)) % len(ps)].links for t in link[1]]
                src, src_ids = sources[(name, piece.name)]
                tgt, gold, true = adapt(piece, src_ids, donor, rng)
                tw = windows(tgt.texts)
                t0 = time.perf_counter()
                al = align_documents(src, tgt, windows.enc, params, windows=(src_win[(name, piece.name)], tw))
                t1 = time.perf_counter()
                flags = derive_flags(al, src, tgt, src_win[(name, piece.name)][0], tw[0], flag_params)
                t2 = time.perf_counter()
                t_align += t1 - t0
                t_flag += t2 - t1
                docs += 1
                tally.add(flag_sets(flags, min_confidence), gold)
                if oracle:
                    tally_o.add(flag_sets(derive_flags(true, src, tgt, src_win[(name, piece.name)][0], tw[0],
                                                       flag_params), min_confidence), gold)
        tallies.append(tally)
        oracles.append(tally_o)
    return tallies, oracles, {"docs": docs, "align_s": t_align, "flag_s": t_flag}


def run_real(sets: dict[str, list[Real]], windows: Windows, params: AlignParams) -> dict[str, np.ndarray]:
    """Added and dropped sentences against the gold null links of whole real documents.

    Moved and furniture flags count on the side they cover: both mean 'not translated in place'.
    Returns, per set, counts [added tp, pred, gold, dropped tp, pred, gold] for the flags and for the
    aligner's own one-sided beads, then the number of sentences flagged furniture (all false: these documents
    have none) and of sentences in all.
    """
    out = {}
    for name, reals in sets.items():
        c = np.zeros(14, np.int64)
        for r in reals:
            src = build_document([r.src], r.src_lang, r.name)
            tgt = build_document([r.tgt], r.tgt_lang, r.name)
            sw, tw = windows(src.texts), windows(tgt.texts)
            al = align_documents(src, tgt, windows.enc, params, windows=(sw, tw))
            flags = derive_flags(al, src, tgt, sw[0], tw[0])
            add_g = {j for s, t in r.links if not s for j in t}
            drop_g = {i for s, t in r.links if not t for i in s}
            add_f = {j for f in flags if f.type is not FlagType.DIVERGENT and f.tgt for j in f.tgt.sentences}
            drop_f = {i for f in flags if f.type is not FlagType.DIVERGENT and f.src for i in f.src.sentences}
            add_a = {j for b in al.beads if not b.src for j in b.tgt}
            drop_a = {i for b in al.beads if not b.tgt for i in b.src}
            furniture = sum(len(f.src.sentences if f.src else ()) + len(f.tgt.sentences if f.tgt else ())
                            for f in flags if f.type is FlagType.FURNITURE)
            c += [len(add_f & add_g), len(add_f), len(add_g), len(drop_f & drop_g), len(drop_f), len(drop_g),
                  len(add_a & add_g), len(add_a), len(add_g), len(drop_a & drop_g), len(drop_a), len(drop_g),
                  furniture, len(src) + len(tgt)]
        out[name] = c
    return out


def _fmt(x: float) -> str:
    return "  –  " if x != x else f"{x:.3f}"


def flag_table(tallies: list[Tally], with_targets: bool = True) -> None:
    """Per flag type: passage and sentence precision and recall, mean over seeds (sd across seeds)."""
    print("| flag | passages gold / flagged | passage P | passage R | passage F1 | sentence P | sentence R "
          "| ranking AP | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in TYPES:
        per = [t.scores(kind) for t in tallies]
        m = {k: float(np.nanmean([p[k] for p in per])) for k in per[0]}
        sd = {k: float(np.nanstd([p[k] for p in per])) for k in per[0]}
        target = ""
        if with_targets and kind in TARGETS:
            metric, goal = TARGETS[kind]
            value = m["pF1"] if metric == "F1" else m["pP"]
            target = f"passage {metric} ≥ {goal:.2f}: {'met' if value >= goal else 'MISSED'}"
        gold_n = sum(p["n_gold"] for p in per)
        pred_n = sum(p["n_pred"] for p in per)
        print(f"| {kind.value} | {gold_n} / {pred_n} | {_fmt(m['pP'])} ({sd['pP']:.3f}) | {_fmt(m['pR'])} "
              f"({sd['pR']:.3f}) | {_fmt(m['pF1'])} | {_fmt(m['sP'])} | {_fmt(m['sR'])} | {_fmt(m['AP'])} | {target} |")


def real_table(real: dict) -> None:
    print("| set | flags: added P / R | flags: dropped P / R | aligner 0-1: added P / R "
          "| aligner 1-0: dropped P / R | furniture flagged (false) |")
    print("|---|---|---|---|---|---|")
    d = lambda a, b: a / b if b else float("nan")  # noqa: E731
    for name, c in real.items():
        print(f"| {name} | {_fmt(d(c[0], c[1]))} / {_fmt(d(c[0], c[2]))} ({c[1]} flagged, {c[2]} gold) "
              f"| {_fmt(d(c[3], c[4]))} / {_fmt(d(c[3], c[5]))} ({c[4]} flagged, {c[5]} gold) "
              f"| {_fmt(d(c[6], c[7]))} / {_fmt(d(c[6], c[8]))} | {_fmt(d(c[9], c[10]))} / {_fmt(d(c[9], c[11]))} "
              f"| {c[12]} of {c[13]} sentences |")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold-dir", type=Path, default=ROOT.parent / "shared" / "gold")
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--max-links", type=int, default=200, help="links per piece (the start of each document)")
    ap.add_argument("--no-real", action="store_true", help="skip the real gold null-link table")
    ap.add_argument("--oracle", action="store_true",
                    help="also flag the true alignment of each adaptation: the flagger's own errors")
    ap.add_argument("--per-set", action="store_true", help="one table per gold set as well")
    ap.add_argument("--sets", default="textberg de>fr,transread fr>en")
    ap.add_argument("--plain-confidence", action="store_true",
                    help="added and dropped confidence from unlikeness alone, without the size and merge evidence")
    ap.add_argument("--min-confidence", type=float, default=0.0,
                    help="leave out added and dropped flags below this confidence (what a threshold would buy)")
    args = ap.parse_args(argv)
    if not args.gold_dir.is_dir():
        sys.exit(f"{args.gold_dir}: no gold folder (use --gold-dir)")
    t0 = time.perf_counter()
    params = AlignParams()
    sets = {k: v for k, v in load_reals(args.gold_dir).items() if k in args.sets.split(",")}
    windows = Windows(get_encoder(), params.max_side)
    fp = FlagParams(evidence_chars=None, beside_merge=1.0) if args.plain_confidence else FlagParams()
    run = partial(run_synthetic, windows=windows, seeds=args.seeds, max_links=args.max_links, params=params,
                  flag_params=fp, min_confidence=args.min_confidence)
    runs = {"all": run(sets, oracle=args.oracle)}
    if args.per_set and len(sets) > 1:
        runs.update({k: run({k: v}) for k, v in sets.items()})
    real = {} if args.no_real else run_real(sets, windows, params)
    tallies, oracles, timing = runs["all"]
    print(f"\nSynthetic adaptations of {', '.join(sets)}: {timing['docs']} documents ({args.seeds} seeds x "
          f"{timing['docs'] // args.seeds} pieces of up to {args.max_links} links), default AlignParams; "
          "mean over seeds (sd across seeds)\n")
    flag_table(tallies)
    if args.oracle:
        print("\nThe same adaptations flagged on their true alignment (the flagger's own errors)\n")
        flag_table(oracles, with_targets=False)
    for name, (t, _, _) in runs.items():
        if name != "all":
            print(f"\n{name} only\n")
            flag_table(t)
    if real:
        print("\nReal gold null links (whole documents, no edits): added and dropped sentences; moved and furniture "
              "flags count on the side they cover\n")
        real_table(real)
    print(f"\n{windows.encoded} sentences encoded; alignment {timing['align_s']:.1f} s, flags {timing['flag_s']:.1f} s "
          f"(synthetic, all seeds); total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
