"""Adaptation flags derived from an alignment: what the target added, dropped, moved or rewrote, and the web
page furniture present on one side only.

Pure functions on a finished alignment plus sentence vectors (float32 (n, d), L2-normalised, one per sentence);
nothing here loads a model. Thresholds are calibrated per document from its own beads, since similarity levels
differ between encoders, language pairs and genres.

The steps of `derive_flags`: set web furniture apart (rules, kept precise); read the beads as pairs and
one-sided sentences, splitting beads that translate nothing and giving back lines the aligner left alone next to
the bead they complete; match one-sided passages that translate each other (across gaps: moved; within one gap:
a missed link, no flag); what stays one-sided is added or dropped; pairs far below their size class are divergent.
bench/adaptation.py measures each step on synthetic adaptations of real parallel texts.
"""

from .derive import derive_flags, reading_order, rederive
from .furniture import furniture_mask, strong_furniture
from .model import (
    Flag,
    FlagParams,
    FlagStatus,
    FlagType,
    Pair,
    Span,
    Summary,
    carry_status,
    summarize,
)

__all__ = [
    "Flag",
    "FlagParams",
    "FlagStatus",
    "FlagType",
    "Pair",
    "Span",
    "Summary",
    "carry_status",
    "derive_flags",
    "reading_order",
    "rederive",
    "furniture_mask",
    "strong_furniture",
    "summarize",
]
