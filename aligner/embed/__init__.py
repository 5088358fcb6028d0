"""Sentence encoders behind one protocol; backends are picked by name and import their dependencies lazily.

    encode(texts) -> float32 (n, d), rows L2-normalised
    encode_windows(texts, max_k, dtype=float32) -> [k=1: (n, d), k=2: (n-1, d), ...]  vectors of k consecutive
        sentences (float16 halves the memory of long documents; the aligner computes in float32 either way)

The aligner never sees a model, only these arrays.
"""

from __future__ import annotations

import threading
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from ..errors import EncoderUnavailable, UnsupportedLanguage

DEFAULT_MODEL = "use-multilingual"


@runtime_checkable
class Encoder(Protocol):
    """What the aligner needs from a model."""

    name: str
    languages: frozenset[str] | None  # None: unknown, accept any

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_windows(self, texts: Sequence[str], max_k: int, dtype=np.float32) -> list[np.ndarray]: ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise rows in float32; a zero row is an error, never silently kept."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    if v.size and (not np.all(np.isfinite(v)) or np.any(norms == 0)):
        from ..errors import EncodingFailed

        raise EncodingFailed("the encoder returned a zero or non-finite vector")
    return v / np.maximum(norms, 1e-12)


def joined_windows(encoder, texts: Sequence[str], max_k: int, dtype=np.float32) -> list[np.ndarray]:
    """Window vectors by encoding the joined text of every window: exact, and k times the encoding work."""
    out = [encoder.encode(texts).astype(dtype, copy=False)]
    for k in range(2, max_k + 1):
        joined = [" ".join(texts[i:i + k]) for i in range(len(texts) - k + 1)]
        out.append(encoder.encode(joined).astype(dtype, copy=False) if joined
                   else np.zeros((0, out[0].shape[1]), dtype))
    return out


_instances: dict[str, Encoder] = {}
_lock = threading.Lock()


def get_encoder(name: str = DEFAULT_MODEL) -> Encoder:
    """One instance per model per process (however its name is written): each instance holds its own weights."""
    name = canonical(name)
    with _lock:
        if name not in _instances:
            _instances[name] = _create(name)
        return _instances[name]


def canonical(name: str) -> str:
    """The name under which the project stores model `name`: the default's one name, a local model folder's
    absolute path (st:/models/LaBSE, not st:./LaBSE/ or a link to it)."""
    if is_default(name):
        return DEFAULT_MODEL
    if name.startswith("st:") and name[3:]:
        from .st import local_model

        return "st:" + (local_model(name[3:]) or name[3:])
    return name


def is_default(name: str) -> bool:
    """Whether model name `name` means the bundled default encoder."""
    return name in (DEFAULT_MODEL, "use", "usem3")


def _create(name: str) -> Encoder:
    if is_default(name):
        from .use import USEEncoder

        return USEEncoder()
    if name.startswith("st:"):
        from .st import STEncoder

        return STEncoder(name[3:])
    raise EncoderUnavailable(
        f"unknown model {name!r}: use {DEFAULT_MODEL!r} (bundled) or 'st:<name or local path>' "
        "for a sentence-transformers model"
    )


def card_note(encoder: Encoder, *langs: str) -> str:
    """A warning when the model card of `encoder` (a sentence-transformers model) lists its languages and some of
    `langs` are not among them ('' otherwise): an English-only model aligns Spanish poorly, and says nothing."""
    listed = getattr(encoder, "card_languages", None)
    if not listed:
        return ""
    missing = sorted({x for x in (lang.lower() for lang in langs) if x not in listed and x.split("-")[0] not in listed})
    if not missing:
        return ""
    return (f"the model card of {encoder.name} lists {', '.join(sorted(listed))} only, not "
            f"{', '.join(map(repr, missing))}: its similarities there may be poor, and the alignment with them "
            "(a multilingual model, such as the default, covers both)")


def check_language(encoder: Encoder, lang: str, path: str = "") -> None:
    """Fail before encoding when the encoder is known not to cover `lang`."""
    langs = encoder.languages
    base = lang.lower().split("-")[0]
    if langs is not None and base not in langs and lang.lower() not in langs:
        where = f"{path}: " if path else ""
        raise UnsupportedLanguage(
            f"{where}language {lang!r} is not covered by the model {encoder.name!r} "
            f"(it covers: {', '.join(sorted(langs))}); pick another model with --model st:<name>"
        )
