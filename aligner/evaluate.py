"""Alignment quality against a gold file: strict and lax precision, recall and F1 (Sennrich & Volk scoring,
as in the published Bleualign, Vecalign and Bertalign evaluations), plus added/dropped sentence detection.

Gold format: one link per line, `[src ids]:[tgt ids]`, 0-based, `[]` for an empty side.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import GoldFormatError, InputError
from .textio import read_text

Link = tuple[tuple[int, ...], tuple[int, ...]]
_LINE = re.compile(r"^\s*\[([\d,\s]*)\]\s*:\s*\[([\d,\s]*)\]\s*$")


def parse_links(text: str, name: str = "<gold>") -> list[Link]:
    """Parse gold-format text; a malformed line raises GoldFormatError naming the file and line."""
    links = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        if not m:
            raise GoldFormatError(f"{name}, line {no}: expected '[src ids]:[tgt ids]', got {line.strip()[:60]!r}")
        src = tuple(int(x) for x in m.group(1).replace(",", " ").split())
        tgt = tuple(int(x) for x in m.group(2).replace(",", " ").split())
        links.append((src, tgt))
    return links


def read_links(path: str | Path) -> list[Link]:
    return parse_links(read_text(path), str(path))


def format_links(links: Iterable[Link]) -> str:
    return "".join(f"[{', '.join(map(str, s))}]:[{', '.join(map(str, t))}]\n" for s, t in links)



def _explode_nulls(links: Iterable[Link]) -> list[Link]:
    """Drop empty links; a multi-sentence null link counts as one null link per sentence.

    Links are compared as sets, so a repeated link counts once (in document order).
    """
    out: dict[Link, None] = {}
    for s, t in links:
        if not s and not t:
            continue
        if not s:
            out.update(dict.fromkeys(((), (j,)) for j in t))
        elif not t:
            out.update(dict.fromkeys(((i,), ()) for i in s))
        else:
            out[(tuple(s), tuple(t))] = None
    return list(out)


@dataclass
class Counts:
    """Summed counts, so that figures can be micro-averaged over documents."""

    strict_p: int = 0
    lax_p: int = 0
    n_test: int = 0
    strict_r: int = 0
    lax_r: int = 0
    n_gold: int = 0
    added_tp: int = 0
    added_pred: int = 0
    added_gold: int = 0
    dropped_tp: int = 0
    dropped_pred: int = 0
    dropped_gold: int = 0
    docs: int = 0

    def __iadd__(self, other: "Counts") -> "Counts":
        for f in self.__dataclass_fields__:
            setattr(self, f, getattr(self, f) + getattr(other, f))
        return self

    def scores(self) -> "Scores":
        def div(a, b):
            return a / b if b else 0.0

        def f1(p, r):
            return 2 * p * r / (p + r) if p + r else 0.0

        sp, sr = div(self.strict_p, self.n_test), div(self.strict_r, self.n_gold)
        lp, lr = div(self.lax_p, self.n_test), div(self.lax_r, self.n_gold)
        return Scores(
            strict_p=sp, strict_r=sr, strict_f1=f1(sp, sr), lax_p=lp, lax_r=lr, lax_f1=f1(lp, lr),
            added_p=div(self.added_tp, self.added_pred), added_r=div(self.added_tp, self.added_gold),
            dropped_p=div(self.dropped_tp, self.dropped_pred), dropped_r=div(self.dropped_tp, self.dropped_gold),
            docs=self.docs,
        )


@dataclass
class Scores:
    strict_p: float
    strict_r: float
    strict_f1: float
    lax_p: float
    lax_r: float
    lax_f1: float
    added_p: float
    added_r: float
    dropped_p: float
    dropped_r: float
    docs: int = field(default=1)

    @property
    def added_f1(self) -> float:
        p, r = self.added_p, self.added_r
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def dropped_f1(self) -> float:
        p, r = self.dropped_p, self.dropped_r
        return 2 * p * r / (p + r) if p + r else 0.0


def _hits(test: list[Link], gold: list[Link]) -> tuple[int, int]:
    gold_set = set(gold)
    src_of: dict[int, set[int]] = {}
    tgt_of: dict[int, set[int]] = {}
    for k, (s, t) in enumerate(gold):
        for i in s:
            src_of.setdefault(i, set()).add(k)
        for j in t:
            tgt_of.setdefault(j, set()).add(k)
    strict = lax = 0
    for s, t in test:
        if (s, t) in gold_set:
            strict += 1
            lax += 1
            continue
        a = set().union(*(src_of.get(i, set()) for i in s)) if s else set()
        b = set().union(*(tgt_of.get(j, set()) for j in t)) if t else set()
        if a & b:
            lax += 1
    return strict, lax


def count(test_links: Iterable[Link], gold_links: Iterable[Link]) -> Counts:
    """Counts for one document."""
    test = _explode_nulls(test_links)
    gold = _explode_nulls(gold_links)
    c = Counts(docs=1)
    c.strict_p, c.lax_p = _hits(test, gold)
    c.n_test = len(test)
    test_pairs = [lk for lk in test if lk[0] and lk[1]]
    gold_pairs = [lk for lk in gold if lk[0] and lk[1]]
    c.strict_r, c.lax_r = _hits(gold_pairs, test_pairs)
    c.n_gold = len(gold_pairs)
    added_t = {t[0] for s, t in test if not s}
    added_g = {t[0] for s, t in gold if not s}
    dropped_t = {s[0] for s, t in test if not t}
    dropped_g = {s[0] for s, t in gold if not t}
    c.added_tp, c.added_pred, c.added_gold = len(added_t & added_g), len(added_t), len(added_g)
    c.dropped_tp, c.dropped_pred, c.dropped_gold = len(dropped_t & dropped_g), len(dropped_t), len(dropped_g)
    return c


def score(test_links: Iterable[Link], gold_links: Iterable[Link]) -> Scores:
    return count(test_links, gold_links).scores()


def pair_files(gold: Path, test: Path) -> list[tuple[Path, Path]]:
    """Gold and test files, or folders of files paired by name; unmatched names are an error.

    In a gold folder, documentation and side files (README*, *.md, *.json) are not gold files.
    """
    for p in (gold, test):
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
    if gold.is_file() and test.is_file():
        return [(gold, test)]
    if gold.is_dir() and test.is_dir():
        g = {p.name: p for p in sorted(gold.iterdir()) if p.is_file() and not p.name.startswith(".")
             and not p.name.upper().startswith("README") and p.suffix.lower() not in (".md", ".json")}
        t = {p.name: p for p in sorted(test.iterdir()) if p.is_file() and not p.name.startswith(".")}
        missing = sorted(set(g) - set(t))
        if missing:
            raise GoldFormatError(f"{test}: no test file for gold file(s) {', '.join(missing)}")
        if not g:
            raise GoldFormatError(f"{gold}: no gold files in this folder")
        return [(g[k], t[k]) for k in sorted(g)]
    raise GoldFormatError(f"{gold} and {test} must both be files or both be folders")


def evaluate_paths(gold: str | Path, test: str | Path, warn: Callable[[str], None] | None = None) -> Scores:
    """Micro-averaged scores over every file pair; `warn` gets what `link_problems` finds in each pair."""
    total = Counts()
    for g, t in pair_files(Path(gold), Path(test)):
        gold_links, test_links = read_links(g), read_links(t)
        if warn is not None:
            for problem in link_problems(gold_links, test_links, str(g), str(t)):
                warn(problem)
        total += count(test_links, gold_links)
    return total.scores()


def link_problems(gold: Sequence[Link], test: Sequence[Link], gold_name: str, test_name: str) -> list[str]:
    """What makes scores of `test` against `gold` doubtful, said per file: a sentence in two links, an empty link,
    and sentences one file links and the other does not (ids out of the other's range, files of two different
    documents). Only warnings: a public gold file has a sentence in two links (Text+Berg test1, 218)."""
    out = []
    for name, links in ((gold_name, gold), (test_name, test)):
        for side, k in (("source", 0), ("target", 1)):
            seen = Counter(i for link in links for i in link[k])
            twice = sorted(i for i, n in seen.items() if n > 1)
            if twice:
                out.append(f"{name}: {side} sentence{'s' if len(twice) > 1 else ''} {_some(twice)} in two links "
                           f"or more")
        if empty := sum(1 for s, t in links if not s and not t):
            out.append(f"{name}: {empty} empty link{'s' if empty > 1 else ''} ([]:[]), left out")
    for side, k in (("source", 0), ("target", 1)):
        g, t = ({i for link in links for i in link[k]} for links in (gold, test))
        if g != t:
            parts = [f"{len(ids)} only in {name} ({_some(sorted(ids))})"
                     for name, ids in ((gold_name, g - t), (test_name, t - g)) if ids]
            out.append(f"the files link different {side} sentences: {'; '.join(parts)}")
    return out


def _some(ids: list[int], n: int = 5) -> str:
    return ", ".join(map(str, ids[:n])) + (" ..." if len(ids) > n else "")
