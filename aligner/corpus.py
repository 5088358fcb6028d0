"""The sample-corpus layout: corpus/es/NAME.txt with corpus/en/NAME.txt, and corpus/gold/NAME.txt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InputError


@dataclass(frozen=True)
class CorpusPair:
    name: str
    src: Path
    tgt: Path
    gold: Path | None


def corpus_pairs(root: str | Path, src_lang: str = "es", tgt_lang: str = "en") -> tuple[list[CorpusPair], list[Path]]:
    """Pairs of root/SRC_LANG/NAME.* with root/TGT_LANG/NAME.* by file stem, and the files left unmatched."""
    root = Path(root)
    sdir, tdir = root / src_lang, root / tgt_lang
    for d in (sdir, tdir):
        if not d.is_dir():
            raise InputError(f"{d}: no such folder (expected {root}/{src_lang}/ and {root}/{tgt_lang}/)")
    src = {p.stem: p for p in sorted(sdir.iterdir()) if p.is_file() and not p.name.startswith(".")}
    tgt = {p.stem: p for p in sorted(tdir.iterdir()) if p.is_file() and not p.name.startswith(".")}
    pairs = []
    for name in sorted(src.keys() & tgt.keys()):
        gold = root / "gold" / f"{name}.txt"
        pairs.append(CorpusPair(name, src[name], tgt[name], gold if gold.is_file() else None))
    unmatched = [src[k] for k in sorted(src.keys() - tgt.keys())] + [tgt[k] for k in sorted(tgt.keys() - src.keys())]
    return pairs, unmatched
