"""Flags of the current alignment (added, dropped, moved, divergent, furniture passages, and those an editor made
by hand), kept by key so that a flag keeps its id and review status while it is found again."""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..errors import StoreError
from .documents import Documents

# Keys of the flags an editor made by hand (the review app writes them): re-alignments keep them.
EDITOR_KEY = "editor:"


class Flags(Documents):
    """Saving and reading flags, and their review status."""

    def save_flags(self, pair: str, flags: Iterable) -> None:
        """Make `flags` (aligner.flags.Flag objects or their to_dict()) the flags of the pair's current alignment.
        A flag keeps its id while its key stays; flags no longer given are removed."""
        rows = {}
        for f in flags:
            d = f if isinstance(f, dict) else f.to_dict()
            src, tgt = d.get("src") or {}, d.get("tgt") or {}
            key = d.get("key") or f"{d['type']}:{_label(src)}:{_label(tgt)}"
            rows[key] = (d["type"], d.get("status", "open"), json.dumps(src.get("sentences", [])),
                         json.dumps(tgt.get("sentences", [])), json.dumps(d))
        with self.transaction():
            p = self.pair(pair)
            if p.run_id is None:
                raise StoreError(f"{pair}: not aligned yet; nothing to flag")
            old = {k for (k,) in self._conn.execute("SELECT key FROM flags WHERE run_id = ?", (p.run_id,))}
            self._conn.executemany("DELETE FROM flags WHERE run_id = ? AND key = ?",
                                   ((p.run_id, k) for k in old - rows.keys()))
            self._conn.executemany(
                "INSERT INTO flags (run_id, key, type, status, src, tgt, data) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, key) DO UPDATE SET type = excluded.type, status = excluded.status, "
                "src = excluded.src, tgt = excluded.tgt, data = excluded.data",
                ((p.run_id, k, *r) for k, r in rows.items()))

    def flag_records(self, pair: str) -> list[dict]:
        """The flags of the current alignment as Flag.to_dict() dicts with their `id`, in saved order."""
        rows = self._q("SELECT f.id, f.status, f.data FROM flags f JOIN pairs p ON p.run_id = f.run_id "
                       "WHERE p.name = ? ORDER BY f.id", (pair,))
        return [{**json.loads(r["data"]), "id": r["id"], "status": r["status"]} for r in rows]

    def flags(self, pair: str) -> list:
        """The flags of the current alignment as aligner.flags.Flag objects."""
        from ..flags import Flag

        return [Flag.from_dict(d) for d in self.flag_records(pair)]

    def set_flag_status(self, flag_id: int, status) -> None:
        """Set a flag's review status: open, confirmed or dismissed (a FlagStatus or its value)."""
        status = getattr(status, "value", status)
        if status not in ("open", "confirmed", "dismissed"):
            raise StoreError(f"unknown flag status {status!r}: use open, confirmed or dismissed")
        with self.transaction():
            if self._conn.execute("UPDATE flags SET status = ? WHERE id = ?", (status, flag_id)).rowcount == 0:
                raise StoreError(f"{self.path}: no flag {flag_id}")


def _label(span: dict) -> str:
    ids = span.get("sentences") or []
    return "" if not ids else (str(ids[0]) if ids[0] == ids[-1] else f"{ids[0]}-{ids[-1]}")
