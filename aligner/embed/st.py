"""sentence-transformers backend (LaBSE, paraphrase-multilingual, e5 ...), given by hub name or local path.

Offline only: a hub name works when the model is already in the local Hugging Face cache.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import EncoderUnavailable, EncodingFailed
from . import joined_windows, normalise


class STEncoder:
    """A sentence-transformers model on the CPU; windows are encoded from their joined text."""

    languages = None

    def __init__(self, model: str, batch_size: int = 64):
        if not model:
            raise EncoderUnavailable("st: needs a model name or a local path, e.g. st:/models/LaBSE")
        self.model_ref = model
        self.name = f"st:{model}"
        self.batch_size = batch_size
        self._model = None

    def _load(self):
        if self._model is not None:
            return self._model
        local = Path(self.model_ref).expanduser()
        if not local.exists() and (self.model_ref.startswith(("/", ".", "~")) or "\\" in self.model_ref):
            raise EncoderUnavailable(f"{local}: no such folder (a local sentence-transformers model was asked for)")
        # huggingface_hub reads these when it is first imported: set them before, or it retries the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EncoderUnavailable(
                "the sentence-transformers backend is not installed: pip install 'aligner[st]' "
                "(install torch first, e.g. pip install torch==2.13.0 for the CPU build)"
            ) from None
        if local.exists() and not (local / "modules.json").exists() and not (local / "config.json").exists():
            raise EncoderUnavailable(f"{local}: not a sentence-transformers model folder (no modules.json)")
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # its "Loading weights" bar on stderr, even with --quiet
        except ImportError:
            pass
        try:
            # local_files_only: never wait on the network (huggingface_hub may have been imported by then)
            self._model = SentenceTransformer(str(local) if local.exists() else self.model_ref, device="cpu",
                                              local_files_only=True)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...: all mean "not loadable"
            if local.exists():
                raise EncoderUnavailable(
                    f"{local}: cannot load this folder as a sentence-transformers model "
                    f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
                ) from None
            raise EncoderUnavailable(
                f"cannot load the sentence-transformers model {self.model_ref!r} offline: it is neither a local "
                "folder nor in the local Hugging Face cache. Download it on a connected machine and pass "
                f"--model st:/path/to/model ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
            ) from None
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            # sentence-transformers 6 renamed get_sentence_embedding_dimension (which now warns)
            dim = getattr(model, "get_embedding_dimension", model.get_sentence_embedding_dimension)()
            return np.zeros((0, dim or 0), np.float32)
        try:
            vecs = model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                normalize_embeddings=True, show_progress_bar=False)
        except Exception as exc:
            raise EncodingFailed(f"{self.name} failed to encode: {exc}") from exc
        return normalise(vecs)

    def encode_windows(self, texts: Sequence[str], max_k: int, dtype=np.float32) -> list[np.ndarray]:
        return joined_windows(self, texts, max_k, dtype)
