"""Accuracy and speed on the public gold sets (../shared/gold) and the sample corpus.

Prints, per set: strict and lax P/R/F1, added and dropped sentence P/R, embedding and alignment time, and the
ratio of the end-to-end time to the embed-once floor (encoding every sentence of both sides once).
Our rows use window vectors composed inside the encoder, stored as float16 as the pipeline does.
`--baseline` adds Bertalign's published scoring (its margin: the similarity with the sentences beside a bead,
subtracted; log2 length penalty; skip -0.1; beads up to 5 sentences) run in our DP on real window embeddings
(each window's joined text encoded), the peers' method.
`--variants` adds our scoring on real window embeddings (what composing windows costs in accuracy), on
float32 windows (what float16 costs), without the paragraph penalty (only documents with paragraphs differ), and
with a flat merge penalty instead (what the paragraph penalty gains that fewer merges alone would not).
Then, for our rows, the beads the review app marks doubtful (the aligner's confidence under its threshold) and how
many of the aligner's mistakes they hold, beside what a similarity threshold marks.

    python bench/gold.py [--sets textberg-test,transread,...] [--baseline] [--variants]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gold_sets import SETS  # noqa: E402

from aligner.align import AlignParams, align_windows, wordless  # noqa: E402
from aligner.align.numbers import number_counts  # noqa: E402
from aligner.align.posterior import DOUBTFUL, LOW_SCORE, is_doubtful  # noqa: E402
from aligner.embed import check_language, get_encoder, joined_windows  # noqa: E402
from aligner.errors import UnsupportedLanguage  # noqa: E402
from aligner.evaluate import Counts, _explode_nulls, count, read_links  # noqa: E402
from aligner.pipeline import WINDOW_DTYPE  # noqa: E402
from aligner.segment import load_document  # noqa: E402

BERTALIGN = AlignParams(tau=0.0, len_weight=0.0, len_mult=True, neighbour_margin=1.0, part_weight=0.0, skip=-0.1,
                        max_side=4, max_total=5, para_penalty=0.0, number_weight=0.0)


def run_set(name: str, params: AlignParams, windows: str = "composed", free: bool = True) -> dict:
    """windows: composed (float16, as the pipeline), composed32, or real (joined text of each window encoded);
    free: lines with no word stand alone for nothing, as the pipeline has them (align.wordless; off for
    Bertalign's method, which has no such rule)."""
    enc = get_encoder()
    total = Counts()
    floor = embed = align = 0.0
    review = []  # per bead: confidence, similarity, whether a pair bead, whether a gold bead
    presegmented = name != "sample-corpus"
    for doc, src, tgt, gold, sl, tl in SETS[name]():
        s = load_document(src, sl, presegmented)
        t = load_document(tgt, tl, presegmented)
        check_language(enc, sl, str(src))
        check_language(enc, tl, str(tgt))
        t0 = time.perf_counter()
        enc.encode(s.texts), enc.encode(t.texts)
        t1 = time.perf_counter()
        if windows == "real":
            sw, tw = joined_windows(enc, s.texts, params.max_side), joined_windows(enc, t.texts, params.max_side)
        else:
            dtype = WINDOW_DTYPE if windows == "composed" else np.float32
            sw = enc.encode_windows(s.texts, params.max_side, dtype=dtype)
            tw = enc.encode_windows(t.texts, params.max_side, dtype=dtype)
        t2 = time.perf_counter()
        # paragraphs as the pipeline passes them (the one-sentence-per-line gold sets have none)
        a = align_windows(sw, tw, np.array([len(x) for x in s.texts], float),
                          np.array([len(x) for x in t.texts], float), params,
                          np.array([x.paragraph for x in s.sentences]), np.array([x.paragraph for x in t.sentences]),
                          number_counts(s.texts), number_counts(t.texts),
                          src_free=wordless(s.texts) if free else None, tgt_free=wordless(t.texts) if free else None)
        t3 = time.perf_counter()
        links = read_links(gold)
        total += count(a.links(), links)
        right = {(tuple(x), tuple(y)) for x, y in _explode_nulls(links)}
        review += [(b.confidence, b.score, not b.is_null, (b.src, b.tgt) in right) for b in a.beads]
        floor += t1 - t0
        embed += t2 - t1
        align += t3 - t2
    sc = total.scores()
    return dict(set=name, docs=sc.docs, **{k: getattr(sc, k) for k in (
        "strict_p", "strict_r", "strict_f1", "lax_p", "lax_r", "lax_f1", "added_p", "added_r", "dropped_p",
        "dropped_r")}, embed_s=embed, align_s=align, floor_s=floor, ratio=(embed + align) / floor, review=review)


def review_rows(name: str, review: list[tuple]) -> list[str]:
    """Which pair beads a reviewer is sent to, and how many of the aligner's wrong pair beads they hold: those the
    review app marks doubtful (confidence under its threshold), those under its old similarity threshold, and as
    many as the first rule marks, lowest similarity first (the best a similarity threshold could do with that
    budget). One-sided beads are left out: the app shows them as added or dropped passages anyway."""
    pairs = [(c, s, ok) for c, s, pair, ok in review if pair]
    wrong = sum(not ok for *_, ok in pairs)
    doubtful = [ok for c, _, ok in pairs if is_doubtful(c, "auto", True)]  # the aligner's beads are automatic
    by_score = sorted((s, ok) for _, s, ok in pairs)
    rules = [(f"confidence < {DOUBTFUL}", doubtful),
             (f"similarity < {LOW_SCORE}", [ok for s, ok in by_score if s < LOW_SCORE]),
             ("as many, lowest similarity", [ok for _, ok in by_score[:len(doubtful)]])]
    rows = []
    for label, got in rules:
        missed = sum(not ok for ok in got)
        rows.append(f"| {name} | {label} | {len(got) / len(pairs):.1%} | {missed / max(len(got), 1):.0%} | "
                    f"{missed / max(wrong, 1):.0%} ({missed} of {wrong}) |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="textberg-test,textberg-dev,transread,sample-corpus,parice-en-is")
    ap.add_argument("--baseline", action="store_true", help="also run Bertalign's scoring on real windows")
    ap.add_argument("--variants", action="store_true", help="also run ours on real windows and on float32")
    args = ap.parse_args()
    get_encoder().encode(["warm up"])
    print(f"# {date.today()} · {platform.processor() or platform.machine()} · "
          f"{__import__('os').cpu_count()} cores · model use-multilingual")
    print("| set | method | strict P / R / F1 | lax F1 | added P / R | dropped P / R | embed s | align s "
          "| x embed-once |")
    print("|---|---|---|---|---|---|---|---|---|")
    runs = [("ours", AlignParams(), "composed")]
    if args.variants:
        runs += [("ours, real windows", AlignParams(), "real"), ("ours, float32 windows", AlignParams(), "composed32"),
                 ("ours, no paragraph penalty", AlignParams(para_penalty=0.0), "composed"),
                 ("ours, no number signal", AlignParams(number_weight=0.0), "composed"),
                 ("ours, merge penalty 0.05 instead", AlignParams(para_penalty=0.0, merge_penalty=0.05), "composed")]
    if args.baseline:
        runs.append(("Bertalign method, real windows", BERTALIGN, "real"))
    reviews = []
    for name in args.sets.split(","):
        for label, params, real in runs:
            try:
                r = run_set(name, params, real, free=params is not BERTALIGN)
            except UnsupportedLanguage as exc:
                print(f"| {name} | {label} | not run: {str(exc).split(':', 1)[-1].strip()[:70]}… |||||||")
                break
            print(f"| {name} | {label} | {r['strict_p']:.3f} / {r['strict_r']:.3f} / {r['strict_f1']:.3f} | "
                  f"{r['lax_f1']:.3f} | {r['added_p']:.2f} / {r['added_r']:.2f} | "
                  f"{r['dropped_p']:.2f} / {r['dropped_r']:.2f} | {r['embed_s']:.1f} | {r['align_s']:.1f} | "
                  f"{r['ratio']:.2f} |", flush=True)
            if label == "ours":
                reviews += review_rows(name, r["review"])
    print("\nPair beads the review app marks doubtful (ours, default settings): their share of all pair beads, how many"
          "\nof them are wrong (strict: not a gold bead), and the share of the aligner's wrong pair beads they hold.\n")
    print("| set | rule | pair beads marked | wrong among them | wrong pair beads caught |")
    print("|---|---|---|---|---|")
    print("\n".join(reviews))


if __name__ == "__main__":
    main()
