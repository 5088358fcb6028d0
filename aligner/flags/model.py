"""What a flag is: its type, review status, the sentence spans it covers, the flagger's knobs, and the summary
an editor reads first. Plain data, no numpy.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, replace
from typing import Iterable, Sequence

from ..models import Document


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

    @property
    def word(self) -> str:
        """The status as editors read it: a confirmed flag is 'accepted' (the review app's `y`)."""
        return "accepted" if self is FlagStatus.CONFIRMED else self.value


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
    reattach_gain: float = 0.02   # a one-sided sentence joins the pair next to it when that raises its similarity
                                  # this much (after moved passages are matched); None: never
    evidence_chars: float | None = 100.0  # an added or dropped passage of this many characters keeps 63% of
                                          # its confidence, a longer one more: a short line says little about
                                          # itself (None: size does not count)
    beside_merge: float = 0.7     # confidence factor of an added or dropped lone sentence next to a merged pair


Pair = tuple[tuple[int, ...], tuple[int, ...]]


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
    """Counts and words of the flags an editor has not dismissed."""
    flags = [f for f in flags if f.status is not FlagStatus.DISMISSED]
    counts = {t.value: sum(f.type is t for f in flags) for t in FlagType}

    def words(kind: FlagType, doc: Document, side: str) -> int:
        spans = [getattr(f, side) for f in flags if f.type is kind and getattr(f, side)]
        return sum(len(doc.sentences[i].text.split()) for s in spans for i in s.sentences)

    furniture = words(FlagType.FURNITURE, tgt_doc, "tgt") + words(FlagType.FURNITURE, src_doc, "src")
    return Summary(counts, words(FlagType.ADDED, tgt_doc, "tgt"), words(FlagType.DROPPED, src_doc, "src"),
                   words(FlagType.MOVED, tgt_doc, "tgt"), furniture)
