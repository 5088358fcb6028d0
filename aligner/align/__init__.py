"""Sentence alignment by dynamic programming over window similarities: kernels (`dp`, `score`, `band`) apart
from the driver that chains them."""

from .driver import AlignParams, align_windows, wordless
from .moves import Move

__all__ = ["AlignParams", "Move", "align_windows", "wordless"]
