"""Shared fixtures: a fast deterministic encoder and small document pairs written into tmp_path."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

from aligner.embed import joined_windows, normalise

# The property tests draw the same examples on every run (whether a commit lands must not hang on a seed);
# HYPOTHESIS_PROFILE=explore draws new ones each time, to find what the fixed ones do not (README).
settings.register_profile("fixed", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))

_WORD = re.compile(r"\w+")


class FakeEncoder:
    """Hashed bag of words: sentences that share words are similar, so made-up 'translations' that keep their
    key words align. Picklable by reference, so a spawned worker can build its own; `delay` seconds per call
    makes a batch slow enough to interrupt."""

    name = "fake"
    languages = frozenset({"es", "en"})
    delay = 0.0
    dim = 64

    def __init__(self):
        self.calls: list[int] = []  # sentences per encode_windows call

    def encode(self, texts):
        out = np.full((len(texts), self.dim), 0.05, np.float32)
        for i, text in enumerate(texts):
            for w in _WORD.findall(text.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        return normalise(out) if len(texts) else np.zeros((0, self.dim), np.float32)

    def encode_windows(self, texts, max_k, dtype=np.float32):
        self.calls.append(len(texts))
        if self.delay:
            time.sleep(self.delay)
        return joined_windows(self, texts, max_k, dtype)


class SlowFakeEncoder(FakeEncoder):
    name = "slow-fake"
    delay = 0.4


WORDS = ("albaricoque baobab ciruela dátil endrina frambuesa granada higo istmo jengibre kiwi lima mango "
         "níspero olivo papaya quinoa rábano sandía tomate uva vainilla wasabi yuca zanahoria").split()


# what each migration added, taken away again: a file as an older aligner left it
_UNDO = {2: ["DROP TABLE view_state"], 3: ["ALTER TABLE edits DROP COLUMN format"], 4: ["DROP TABLE flag_reviews"],
         5: ["ALTER TABLE beads DROP COLUMN confidence"]}


def as_schema(path: Path, version: int) -> None:
    """Turn a project file made by this aligner into one as the aligner of schema `version` left it."""
    import sqlite3

    from aligner.store import MIGRATIONS

    assert max(_UNDO) == len(MIGRATIONS), "a new migration needs its undo here"
    conn = sqlite3.connect(path)
    with conn:
        for v in range(len(MIGRATIONS), version, -1):
            for sql in _UNDO[v]:
                conn.execute(sql)
        conn.execute("DELETE FROM schema_migrations WHERE version > ?", (version,))
    conn.close()


def made_up_pair(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """n Spanish-looking sentences and their 'English' counterparts sharing two rare words and a number each."""
    rng = np.random.default_rng(seed)
    src, tgt = [], []
    for i in range(n):
        a, b = rng.choice(WORDS, 2, replace=False)
        num = int(rng.integers(100, 999))
        src.append(f"La frase {num} habla de {a} con {b}.")
        tgt.append(f"Sentence {num} is about {a} with {b}.")
    return src, tgt


def write_pair(root: Path, name: str, src: list[str], tgt: list[str], src_lang: str = "es",
               tgt_lang: str = "en") -> tuple[Path, Path]:
    """root/es/NAME.txt and root/en/NAME.txt, one paragraph per sentence (so sentence ids are line numbers)."""
    paths = []
    for lang, lines in ((src_lang, src), (tgt_lang, tgt)):
        (root / lang).mkdir(parents=True, exist_ok=True)
        p = root / lang / f"{name}.txt"
        p.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
        paths.append(p)
    return paths[0], paths[1]


@pytest.fixture
def corpus(tmp_path) -> Path:
    """tmp_path/corpus with three made-up pairs of 6, 8 and 10 sentences."""
    root = tmp_path / "corpus"
    for k, (name, n) in enumerate((("alpha", 6), ("beta", 8), ("gamma", 10))):
        write_pair(root, name, *made_up_pair(n, seed=k))
    return root


@pytest.fixture
def fake_model(monkeypatch):
    """Make `get_encoder('fake')` (and 'slow-fake') return fake encoders in this process."""
    from aligner import embed

    monkeypatch.setitem(embed._instances, "fake", FakeEncoder())
    monkeypatch.setitem(embed._instances, "slow-fake", SlowFakeEncoder())
    return embed._instances["fake"]


@contextlib.contextmanager
def holding_lock(db: Path, pair: str, seconds: float):
    """Another process holding the project's write lock (a transaction that confirms the pair's first bead) for
    `seconds`; the block runs once it holds it, and the process is waited for at the end."""
    script = textwrap.dedent(f"""
        import time
        from aligner.store import Store
        s = Store.open({str(db)!r})
        with s.transaction():
            s.set_status({pair!r}, [0], "confirmed")
            print("locked", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        proc.wait(30)
