"""The embedding cache: window vectors by model, window size and text hash, so that re-aligning never encodes an
unchanged sentence again."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import StoreBase, sha1

# Window vectors are cached as float16: on the gold sets the beads are the same as with float32
# (bench/batch.py --check-f16), and the cache is half the size.
CACHE_DTYPE = np.float16


def window_hashes(texts: Sequence[str], max_k: int) -> list[list[str]]:
    """Cache keys of every window of k = 1..max_k consecutive sentences: [k-1][i] for sentences i..i+k-1."""
    return [[sha1("\n".join(texts[i:i + k])) for i in range(len(texts) - k + 1)] for k in range(1, max_k + 1)]


class EmbeddingCache(StoreBase):
    """Reading and writing cached window vectors."""

    def cached_windows(self, model: str, k: int, hashes: Sequence[str],
                       dtype=np.float32) -> tuple[np.ndarray | None, np.ndarray]:
        """Cached vectors of windows of k sentences by text hash: (`dtype` (len(hashes), d), zero rows where
        missing, or None when none is cached; bool (len(hashes),) found)."""
        where: dict[str, list[int]] = {}
        for i, h in enumerate(hashes):
            where.setdefault(h, []).append(i)
        found, out, keys = np.zeros(len(hashes), bool), None, list(where)
        with self._reading() as conn:
            for a in range(0, len(keys), 500):
                chunk = keys[a:a + 500]
                for h, stored, blob in conn.execute(
                        "SELECT sha1, dtype, vec FROM embeddings WHERE model = ? AND k = ? AND sha1 IN "
                        f"({','.join('?' * len(chunk))})", (model, k, *chunk)):
                    v = np.frombuffer(blob, stored)
                    if out is None:
                        out = np.zeros((len(hashes), len(v)), dtype)
                    out[where[h]] = v
                    found[where[h]] = True
        return out, found

    def has_windows(self, model: str, k: int, hashes: Sequence[str]) -> np.ndarray:
        """Which windows of k sentences the cache holds: bool (len(hashes),)."""
        held: set[str] = set()
        keys = list(set(hashes))
        with self._reading() as conn:
            for a in range(0, len(keys), 500):
                chunk = keys[a:a + 500]
                held.update(h for (h,) in conn.execute(
                    f"SELECT sha1 FROM embeddings WHERE model = ? AND k = ? AND sha1 IN ({','.join('?' * len(chunk))})",
                    (model, k, *chunk)))
        return np.fromiter((h in held for h in hashes), bool, len(hashes))

    def store_windows(self, model: str, k: int, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Cache window vectors: row i of `vectors` (float (len(hashes), d)) under hashes[i]; entries kept."""
        dtype = np.dtype(CACHE_DTYPE)
        vectors = np.asarray(vectors).astype(dtype, copy=False)
        with self.transaction():
            self._conn.executemany(
                "INSERT OR IGNORE INTO embeddings (model, sha1, k, dtype, vec) VALUES (?, ?, ?, ?, ?)",
                ((model, h, k, dtype.str, vectors[i].tobytes()) for i, h in enumerate(hashes)))
