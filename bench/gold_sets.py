"""The public gold sets in ../shared/gold as (name, source file, target file, gold file, languages) entries.

Shared by the benchmark scripts; the data is read in place and never copied into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = Path(os.environ.get("ALIGNER_GOLD_DIR", ROOT.parent / "shared" / "gold"))


def textberg(split: str = "test"):
    d = GOLD / "textberg-de-fr"
    names = ["dev"] if split == "dev" else [f"test{k}" for k in range(7)]
    return [(n, d / f"{n}.de", d / f"{n}.fr", d / f"{n}.defr", "de", "fr") for n in names]


def transread():
    d = GOLD / "transread-en-fr"
    return [(p.name, p / "en.txt", p / "fr.txt", p / "gold.enfr", "en", "fr")
            for p in sorted(d.iterdir()) if p.is_dir()]


def parice():
    d = GOLD / "parice-en-is"
    return [(p.stem, p, d / "isl" / p.name, d / "gold" / p.name, "en", "is")
            for p in sorted((d / "eng").iterdir())]


def sample_corpus():
    c = ROOT / "corpus"
    return [(p.stem, p, c / "en" / p.name, c / "gold" / p.name, "es", "en")
            for p in sorted((c / "es").glob("*.txt")) if (c / "gold" / p.name).exists()]


SETS = {
    "textberg-test": lambda: textberg("test"),
    "textberg-dev": lambda: textberg("dev"),
    "transread": transread,
    "parice-en-is": parice,
    "sample-corpus": sample_corpus,
}
