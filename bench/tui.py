"""Speed of the review app on a 5,000-bead pair, driven headless with Pilot: opening the pair, and every edit and
navigation key from key press until the app is idle again (saved, redrawn).

    python bench/tui.py [--beads 5000] [--repeat 7] [--db PATH]

Targets (issue 6): open under 1 s, each operation under 50 ms. The pair is synthetic (made-up sentences in
paragraphs of four, mostly 1-1 beads with a few 2-1, 1-2, 1-0 and 0-1) and saved with a made-up alignment, so no
model is loaded; a re-alignment would time the encoder, not the app, and is left out. After `c` has confirmed the
beads above the cursor (about bead 2,000), a shift (`i`, `I`) moves every row from the cursor to the end of the
pair, about 3,000; the undo and redo rows step such a shift. The flags an edit makes the app derive again run in a
thread after the edit; the table's rows wait for them between repeats, untimed, and the last rows time them apart,
with made-up sentence vectors put in the embedding cache (the rows before them run with no flags on the pair).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]  # this file is bench/tui.py: as a script it would shadow the `tui` package

from textual.events import Key

from aligner.models import Alignment, Bead
from aligner.store import Store
from tui.app import create_app

WORDS = ["puerto", "ciudad", "museo", "barco", "obra", "calle", "plaza", "río", "puente", "torre", "mercado",
         "escuela", "hospital", "tren", "faro", "molino", "playa", "viñedo", "olivo", "cosecha"]
EN_WORDS = ["port", "city", "museum", "ship", "works", "street", "square", "river", "bridge", "tower", "market",
            "school", "hospital", "train", "lighthouse", "mill", "beach", "vineyard", "olive", "harvest"]


def synthetic_pair(beads: int, seed: int = 1, confidences: bool = True) -> tuple[str, str, Alignment]:
    """Source text, target text and an alignment of `beads` beads over them (with the aligner's confidences, or
    none, as a run made before they were kept)."""
    rng = random.Random(seed)
    shapes = rng.choices([(1, 1), (2, 1), (1, 2), (1, 0), (0, 1)], weights=[90, 3, 3, 2, 2], k=beads)
    src, tgt, out = [], [], []
    for a, b in shapes:
        s0, t0 = len(src), len(tgt)
        for _ in range(a):
            n = len(src)
            src.append(f"La frase {n} habla del {' y del '.join(rng.sample(WORDS, 3))} con {rng.randint(2, 999)} "
                       f"vecinos, según explicó ayer el ayuntamiento en un comunicado.")
        for _ in range(b):
            n = len(tgt)
            tgt.append(f"Sentence {n} is about the {' and the '.join(rng.sample(EN_WORDS, 3))}, the city council "
                       f"said yesterday in a statement.")
        score = round(rng.uniform(0.3, 0.95), 3) if a and b else 0.0
        sure = round(min(1.0, rng.betavariate(8, 1)), 3)  # the aligner's confidence: mostly sure, some doubtful
        out.append(Bead(tuple(range(s0, s0 + a)), tuple(range(t0, t0 + b)), score,
                        confidence=sure if confidences else None))

    def text(sents: list[str]) -> str:
        return "\n\n".join(" ".join(sents[k:k + 4]) for k in range(0, len(sents), 4))

    return text(src), text(tgt), Alignment(tuple(out), len(src), len(tgt))


def build(db: Path, beads: int, confidences: bool = True) -> None:
    src, tgt, alignment = synthetic_pair(beads, confidences=confidences)
    with Store.open(db) as store:
        s = store.add_document("es/big.txt", "es", src)
        t = store.add_document("en/big.txt", "en", tgt)
        store.add_pair("big", s, t)
        docs = store.documents_for("big")
        if (len(docs[0]), len(docs[1])) != (alignment.n_src, alignment.n_tgt):
            raise SystemExit(f"segmentation gave {len(docs[0])}/{len(docs[1])} sentences, expected "
                             f"{alignment.n_src}/{alignment.n_tgt}")
        store.save_alignment("big", alignment, {"model": "synthetic"})


# Each operation: (label, keys pressed before it, untimed; keys timed). Positions move down the document so that
# every repeat edits fresh beads.
OPS = [
    ("confirm (space)", [], ["space"]),
    ("confirm + next (enter)", [], ["enter"]),
    ("confirm all above (c)", [], ["c"]),
    ("merge with next (m)", ["down"], ["m"]),
    ("merge with previous (M)", ["down", "down"], ["M"]),
    ("move first sentence up (K)", ["down", "down"], ["K"]),
    ("move last sentence down (J)", ["down", "down"], ["J"]),
    ("shift side down (i)", ["down", "down"], ["i"]),
    ("shift side up (I)", [], ["I"]),
    ("undo a shift (i, then ctrl+z)", ["down", "down", "i"], ["ctrl+z"]),
    ("redo it (i, ctrl+z, then ctrl+y)", ["down", "down", "i", "ctrl+z"], ["ctrl+y"]),
    ("empty counterpart (x)", ["down", "down"], ["x"]),
    # past the beads the last edit made, x leaves a 1-0 bead and J on the bead above makes it a 2-0 one
    ("split a passage apart (S)", ["down"] * 4 + ["x", "up", "J", "down"], ["S"]),
    ("unflag (delete)", [], ["delete"]),
    ("undo (ctrl+z)", [], ["ctrl+z"]),
    ("redo (ctrl+y)", [], ["ctrl+y"]),
    ("next unconfirmed (u)", [], ["u"]),
    ("next doubtful (l)", [], ["l"]),
    ("next non-1-1 (o)", [], ["o"]),
    ("next match (n)", [], ["n"]),
    ("page down", [], ["pagedown"]),
    ("down", [], ["down"]),
]
FLAG_OPS = [
    ("next flag (f)", [], ["f"]),
    ("accept a flag (y)", ["f"], ["y"]),
    ("dismiss a flag (d)", ["f"], ["d"]),
    ("flag list: open it, go to the first (t, enter)", [], ["t", "enter"]),
]
SHOWN_OPS = [  # a dialog's opening until it is on screen; escape closes it afterwards, untimed
    ("flag list: open it until shown (t)", ["t"], ["escape"]),
]
MODAL_OPS = [
    ("split (s, enter: the first cut)", ["down", "down"], ["s"], ["enter"]),
    ("flag with note (!, v, enter)", ["down"], ["exclamation_mark"], ["v", "enter"]),
    ("go to bead (g 4000 enter: 5 keys)", [], ["g"], list("4000") + ["enter"]),
]


STORE_CPU = [0.0]  # CPU seconds spent inside the store's methods


def count_store_time() -> None:
    """Wrap the Store methods the app calls per edit, to show how much of an edit is the database's."""
    for name in ("apply_edit", "undo", "redo", "save_flags", "flag_records", "alignment", "documents_for"):
        method = getattr(Store, name)

        def timed_method(*args, __method=method, **kwargs):
            c0 = time.process_time()
            try:
                return __method(*args, **kwargs)
            finally:
                STORE_CPU[0] += time.process_time() - c0

        setattr(Store, name, timed_method)


async def flags_settled(app) -> None:
    """Wait, untimed, until the flags an edit asked for are derived again, so that their thread's work is not
    counted in the next key's CPU time."""
    while app.reflag_pending:
        await asyncio.sleep(0.02)


async def timed(pilot, keys: list[str]) -> tuple[float, float, float]:
    """(wall, cpu, store cpu) seconds from pressing `keys` until the app is idle. Pilot waits for idleness by
    sleeping, so wall time includes those waits (and other processes on a shared machine); CPU time is the work
    done in this process, store CPU the part of it inside aligner.store."""
    w0, c0, s0 = time.perf_counter(), time.process_time(), STORE_CPU[0]
    await pilot.press(*keys)
    await pilot.pause()
    return time.perf_counter() - w0, time.process_time() - c0, STORE_CPU[0] - s0


async def measure(pilot, label: str, before: list[str], keys: list[str], repeat: int, settle: bool = False,
                  after: list[str] = ()) -> tuple:
    """Median wall, CPU and store CPU of `keys` over `repeat` tries; with `settle`, until the flags are saved;
    `after`: keys pressed after each try, untimed (to close a dialog the keys opened)."""
    walls, cpus, stores = [], [], []
    for _ in range(repeat):
        if before:
            await pilot.press(*before)
            await pilot.pause()
            await flags_settled(pilot.app)
        w0, c0, s0 = time.perf_counter(), time.process_time(), STORE_CPU[0]
        await pilot.press(*keys)
        await pilot.pause()
        if settle:
            await flags_settled(pilot.app)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        stores.append(STORE_CPU[0] - s0)
        await flags_settled(pilot.app)
        if after:
            await pilot.press(*after)
            await pilot.pause()
    return label, statistics.median(walls), statistics.median(cpus), max(cpus), statistics.median(stores)


async def shown_after(pilot, key: str) -> tuple[float, float]:
    """(wall, cpu) seconds from a cursor move's key (sent as the terminal would) until the status line shows the
    bead below. Pilot's press and pause wait for the process to idle, which it does not while a thread derives
    flags."""
    app = pilot.app
    status = app.review.query_one("#status")
    want = f"bead {app.review.grid.cursor + 2}/"
    w0, c0 = time.perf_counter(), time.process_time()
    app._driver.send_message(Key(key, None))
    while want not in str(status.render()):
        await asyncio.sleep(0.001)
    return time.perf_counter() - w0, time.process_time() - c0


async def measure_during_flags(pilot, repeat: int) -> list[tuple]:
    """A cursor move until it is shown, alone and while the flags of the edit just before are being derived in
    their thread: the wall time is what the editor feels."""
    rows = []
    for busy in (False, True):
        walls, cpus, seen = [], [], 0
        for _ in range(repeat):
            await pilot.press("down", "x")
            await pilot.pause(pilot.app.REFLAG_DELAY + 0.1)  # the thread is at work now (on a big enough pair)
            if not busy:
                await flags_settled(pilot.app)
            seen += pilot.app.reflag_pending
            wall, cpu = await shown_after(pilot, "down")
            walls.append(wall)
            cpus.append(cpu)
            await flags_settled(pilot.app)
        label = f"down, until shown, flags at work ({seen} of {repeat})" if busy else "down, until shown"
        rows.append((label, statistics.median(walls), statistics.median(cpus), max(cpus), 0.0))
    return rows


def cache_vectors(db: Path, model: str = "synthetic", dim: int = 64, seed: int = 2) -> None:
    """Made-up sentence vectors in the embedding cache: a target sentence near its source sentence, an added one
    anywhere; enough for the flagger to find what the made-up alignment has."""
    rng = np.random.default_rng(seed)
    with Store.open(db) as store:
        p = store.pair("big")
        a = store.alignment("big")
        sv = rng.standard_normal((a.n_src, dim)).astype(np.float32)
        tv = rng.standard_normal((a.n_tgt, dim)).astype(np.float32)
        for b in a.beads:
            for j in b.tgt:
                if b.src:
                    tv[j] = sv[b.src[0]] + 0.6 * tv[j]
        for doc, vecs in ((p.src_doc, sv), (p.tgt_doc, tv)):
            store.store_windows(model, 1, store.sentence_hashes(doc), vecs / np.linalg.norm(vecs, axis=1)[:, None])


async def run(db: Path, repeat: int) -> list[tuple]:
    app = create_app(db, None, None)
    rows = []
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        rows.append(await measure(pilot, "open the pair (enter)", [], ["enter"], 1))
        rows.append(await measure(pilot, "reopen the pair (escape, enter)", ["escape"], ["enter"], repeat))
        await pilot.press("g", *"2000", "enter", "slash", *"en:ship", "enter")
        await pilot.pause()
        rows.append(await measure(pilot, "baseline: a key bound to nothing (f12)", [], ["f12"], repeat))
        for label, before, keys in OPS:
            rows.append(await measure(pilot, label, before, keys, repeat))
        for label, before, opener, answer in MODAL_OPS:
            rows.append(await measure(pilot, label + " (answer)", [*before, *opener], answer, repeat))
        cache_vectors(db)
        await pilot.press("escape", "enter")  # reopened: the session finds the vectors on its next edit
        await pilot.pause()
        await pilot.press("x")  # the first edit reads the vectors from the cache
        await pilot.pause()
        await flags_settled(app)
        n_flags = len(app.session.flags)
        rows.append(await measure(pilot, f"x, until its {n_flags} flags are derived again and saved", ["down", "down"],
                                  ["x"], repeat, settle=True))
        # reviewing the flagger's flags, with all of them in place
        for label, before, keys in FLAG_OPS:
            rows.append(await measure(pilot, f"{label}, among {n_flags}", before, keys, repeat))
        for label, keys, after in SHOWN_OPS:
            rows.append(await measure(pilot, f"{label}, among {n_flags}", [], keys, repeat, after=after))
        rows += await measure_during_flags(pilot, repeat)
        app.exit()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beads", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--db", type=Path, help="keep the project here (default: a temporary folder)")
    ap.add_argument("--no-confidences", action="store_true",
                    help="beads without the aligner's confidences (a run made before they were kept)")
    args = ap.parse_args()
    count_store_time()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        if not db.exists():
            t0 = time.perf_counter()
            build(db, args.beads, confidences=not args.no_confidences)
            print(f"built a {args.beads}-bead pair in {time.perf_counter() - t0:.1f} s")
        rows = asyncio.run(run(db, args.repeat))
    print(f"\n{'operation':<50} {'wall ms':>8} {'cpu ms':>8} {'max cpu':>8} {'store':>7} {'app':>7}  target")
    for label, wall, cpu, worst, store in rows:
        target = 1000 if label.startswith(("open", "reopen")) else 50
        if label.startswith("baseline") or "flags" in label:
            target_text = "-"  # the flags rows count a thread's work too: they are there for their wall time
        else:
            target_text = f"{target} ms {'ok' if cpu * 1000 < target else 'SLOW'}"
        print(f"{label:<50} {wall * 1000:>8.1f} {cpu * 1000:>8.1f} {worst * 1000:>8.1f} {store * 1000:>7.1f} "
              f"{(cpu - store) * 1000:>7.1f}  {target_text}")
    print("\nmedians of the repeats, in ms. wall: key press to idle, including Pilot's idle waits and whatever else "
          "runs on the machine; cpu: this process's work in that time (the baseline row is Pilot's and Textual's "
          "own cost of a key press; a dialog's answer row counts every key typed into it); store: the part inside "
          "aligner.store; app: cpu - store. The last three rows: an edit until the flags it changes are derived "
          "again in a thread and saved (CPU of both threads); a cursor move until the status line shows it, alone "
          "and while that thread works (the key sent as a terminal sends it: Pilot would wait for the process to "
          "idle).")

if __name__ == "__main__":
    main()
