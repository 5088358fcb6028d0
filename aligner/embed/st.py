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
        self.model_ref = local_model(model) or model
        self.name = f"st:{self.model_ref}"
        self.batch_size = batch_size
        self._model = None

    @property
    def card_languages(self) -> frozenset[str] | None:
        """The languages the model card (README.md of the model, its `language:` metadata) lists, or None when it
        lists none, says 'multilingual', or cannot be read. Advice, unlike `languages`: cards are often terse."""
        if not hasattr(self, "_card"):
            self._card = _card_languages(self.model_ref)
        return self._card

    def check(self) -> None:
        """What can be told without loading the model (which takes seconds and memory): the backend is installed,
        a local model is a model folder, a hub name is in the local cache. Raises EncoderUnavailable."""
        import importlib.util

        # huggingface_hub reads these when it is first imported: set them before, or it retries the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        local = Path(self.model_ref).expanduser()
        if not local.exists() and (self.model_ref.startswith(("/", ".", "~")) or "\\" in self.model_ref):
            raise EncoderUnavailable(f"{local}: no such folder (a local sentence-transformers model was asked for)")
        if importlib.util.find_spec("sentence_transformers") is None:
            raise EncoderUnavailable(
                "the sentence-transformers backend is not installed: pip install 'aligner[st]' "
                "(install torch first, e.g. pip install torch==2.13.0 for the CPU build)"
            )
        if local.exists():
            if not local.is_dir() or not ((local / "modules.json").exists() or (local / "config.json").exists()):
                raise EncoderUnavailable(f"{local}: not a sentence-transformers model folder (no modules.json)")
        elif not _in_hub_cache(self.model_ref):
            raise EncoderUnavailable(_not_offline(self.model_ref))

    def _load(self):
        if self._model is not None:
            return self._model
        self.check()
        local = Path(self.model_ref).expanduser()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # installed, but torch (say) is not
            raise EncoderUnavailable(
                f"the sentence-transformers backend cannot be imported ({exc}): pip install 'aligner[st]' "
                "(install torch first, e.g. pip install torch==2.13.0 for the CPU build)"
            ) from None

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
            raise EncoderUnavailable(f"{_not_offline(self.model_ref)} ({type(exc).__name__}: "
                                     f"{str(exc).splitlines()[0][:200]})") from None
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


def local_model(ref: str) -> str | None:
    """The absolute path of a local model folder `ref`, links resolved (the name the project stores: the same
    from any folder, however it was typed), or None for a hub name."""
    local = Path(ref).expanduser()
    return str(local.resolve()) if local.exists() else None


def _not_offline(ref: str) -> str:
    return (f"cannot load the sentence-transformers model {ref!r} offline: it is neither a local folder nor in the "
            "local Hugging Face cache. Download it on a connected machine and pass --model st:/path/to/model")


def _hub_repos(ref: str) -> tuple[str, ...]:
    """The hub repositories a model name may mean: itself, and for a bare name the sentence-transformers one,
    which the library also tries ('all-MiniLM-L6-v2')."""
    return (ref,) if "/" in ref else (ref, f"sentence-transformers/{ref}")


def _in_hub_cache(ref: str) -> bool:
    """Whether hub model `ref` (or sentence-transformers/`ref`, which the library also tries) is in the local
    Hugging Face cache; True when that cannot be told (the load then says what is wrong)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return True
    for repo in _hub_repos(ref):
        for name in ("modules.json", "config.json"):
            try:
                if isinstance(try_to_load_from_cache(repo, name), str):
                    return True
            except Exception:  # noqa: BLE001 - a malformed name: the load says so
                return True
    return False


def _card_languages(ref: str) -> frozenset[str] | None:
    local = Path(ref).expanduser()
    card: Path | None = local / "README.md" if local.is_dir() else None
    if card is None:
        try:
            from huggingface_hub import try_to_load_from_cache

            found = [f for repo in _hub_repos(ref) if isinstance(f := try_to_load_from_cache(repo, "README.md"), str)]
            card = Path(found[0]) if found else None
        except Exception:  # noqa: BLE001 - no card to read: nothing said
            return None
    try:
        import yaml

        text = card.read_text(encoding="utf-8") if card else ""
        if not text.startswith("---"):
            return None
        meta = yaml.safe_load(text.split("---", 2)[1]) or {}
    except Exception:  # noqa: BLE001 - a card without readable metadata says nothing
        return None
    langs = meta.get("language") if isinstance(meta, dict) else None
    if isinstance(langs, str):
        langs = [langs]
    if not isinstance(langs, list) or not langs:
        return None
    codes = frozenset(str(x).lower() for x in langs)
    return None if "multilingual" in codes else codes
