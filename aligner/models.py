"""Frozen value types shared by every layer: sentences, documents, beads and alignments."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its 0-based id in the document, paragraph index and character span in the original text."""

    id: int
    text: str
    paragraph: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Document:
    """A segmented document; `text` is the decoded file content that sentence offsets point into."""

    path: str
    lang: str
    text: str
    sentences: tuple[Sentence, ...]

    def __len__(self) -> int:
        return len(self.sentences)

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.sentences]

    @property
    def paragraphs(self) -> list[int]:
        return [s.paragraph for s in self.sentences]


class BeadStatus(str, enum.Enum):
    """Review state of a bead."""

    AUTO = "auto"
    CONFIRMED = "confirmed"
    EDITED = "edited"
    FLAGGED = "flagged"


@dataclass(frozen=True, slots=True)
class Bead:
    """A link between consecutive source sentences and consecutive target sentences; one side may be empty."""

    src: tuple[int, ...]
    tgt: tuple[int, ...]
    score: float = 0.0
    status: BeadStatus = BeadStatus.AUTO
    # how sure the aligner was of this bead (its posterior probability, align.posterior); None when unknown: an
    # editor's bead, or a run made before confidences were kept. Not part of a bead's identity.
    confidence: float | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        """The bead type as editors say it: '1-1', '2-1', '0-1' ..."""
        return f"{len(self.src)}-{len(self.tgt)}"

    @property
    def is_null(self) -> bool:
        return not self.src or not self.tgt


@dataclass(frozen=True, slots=True)
class Alignment:
    """A monotone sequence of beads covering every source and target sentence exactly once."""

    beads: tuple[Bead, ...]
    n_src: int
    n_tgt: int
    meta: dict = field(default_factory=dict, compare=False)

    def __len__(self) -> int:
        return len(self.beads)

    def links(self) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        return [(b.src, b.tgt) for b in self.beads]

    def with_beads(self, beads) -> "Alignment":
        return replace(self, beads=tuple(beads), meta=dict(self.meta))

    def validate(self) -> None:
        """Raise ValueError unless the beads cover 0..n_src-1 and 0..n_tgt-1 in order, each once."""
        i, j = check_consecutive(self.beads)
        if (i, j) != (self.n_src, self.n_tgt):
            raise ValueError(f"beads cover {i}/{self.n_src} source and {j}/{self.n_tgt} target sentences")


def check_consecutive(beads: Iterable[Bead], start: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """Raise ValueError unless each bead is non-empty and continues, on each side, where the one before ended
    (from `start`); returns where the last one ends: the (source, target) sentence after it."""
    i, j = start
    for b in beads:
        if not b.src and not b.tgt:
            raise ValueError("empty bead")
        if b.src and b.src != tuple(range(i, i + len(b.src))):
            raise ValueError(f"source ids {b.src} do not continue at {i}")
        if b.tgt and b.tgt != tuple(range(j, j + len(b.tgt))):
            raise ValueError(f"target ids {b.tgt} do not continue at {j}")
        i, j = i + len(b.src), j + len(b.tgt)
    return i, j


def common_ends(old: Sequence[Bead], new: Sequence[Bead]) -> tuple[int, int]:
    """How many beads two alignments share at the start and, after those, at the end. Beads an edit did not
    touch are the very same objects, so identity settles most comparisons before equality is tried."""
    lo, top = 0, min(len(old), len(new))
    while lo < top and (old[lo] is new[lo] or old[lo] == new[lo]):
        lo += 1
    hi = 0
    while hi < top - lo and (old[-1 - hi] is new[-1 - hi] or old[-1 - hi] == new[-1 - hi]):
        hi += 1
    return lo, hi
