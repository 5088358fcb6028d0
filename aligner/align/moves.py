"""The bead types the dynamic programme may use, as named moves on the (source, target) lattice."""

from __future__ import annotations

import enum


class Move(tuple, enum.Enum):
    """A bead type: (source sentences, target sentences) it consumes."""

    DELETE = (1, 0)
    INSERT = (0, 1)
    ONE_ONE = (1, 1)
    ONE_TWO = (1, 2)
    TWO_ONE = (2, 1)
    TWO_TWO = (2, 2)
    ONE_THREE = (1, 3)
    THREE_ONE = (3, 1)
    ONE_FOUR = (1, 4)
    FOUR_ONE = (4, 1)
    TWO_THREE = (2, 3)
    THREE_TWO = (3, 2)

    @property
    def src(self) -> int:
        return tuple.__getitem__(self, 0)  # the tuple itself: Enum's .value is a slow descriptor

    @property
    def tgt(self) -> int:
        return tuple.__getitem__(self, 1)

    @property
    def kind(self) -> str:
        return f"{self.src}-{self.tgt}"


def pair_moves(max_side: int = 3, max_total: int = 4) -> list[Move]:
    """Moves with both sides non-empty, at most `max_side` sentences a side and `max_total` in all."""
    return [m for m in Move if m.src >= 1 and m.tgt >= 1 and m.src <= max_side and m.tgt <= max_side
            and m.src + m.tgt <= max_total]
