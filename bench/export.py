"""Streaming check: export a store of N synthetic 1-1 units to TMX (or a table format) and print time and peak
memory; a TMX is then read back with the streaming reader that `import tmx` uses. Each step runs in a fresh child
process so that its peak RSS is its own; two sizes show whether memory grows with the size of the memory.

    python bench/export.py                     # 20,000 and 200,000 units, TMX
    python bench/export.py --units 200000 --format parquet --keep /tmp/bench
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

WORDS_ES = ["el", "gato", "la", "casa", "dijo", "que", "&", "<", ">", '"sí"', "'no'", "año", "niño", "café",
            "€100", "<b>negrita</b>", "😀", "una", "vez", "había", "entonces", "después", "mañana", "porque", "aunque"]
WORDS_EN = ["the", "cat", "the", "house", "said", "that", "&", "<", ">", '"yes"', "'no'", "year", "child", "coffee",
            "€100", "<b>bold</b>", "😀", "once", "upon", "there", "was", "then", "later", "tomorrow", "because",
            "although"]


def sentences(words: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(words, k=rng.randint(6, 30))).capitalize() + "." for _ in range(n)]


def build(db: Path, units: int) -> float:
    """A project with one pair of `units` sentences a side, aligned 1-1, two thirds of it confirmed."""
    from aligner.models import Alignment, Bead, BeadStatus
    from aligner.store import Store

    t0 = time.perf_counter()
    with Store.open(db) as store:
        src = store.add_document("bench.es.txt", "es", "\n".join(sentences(WORDS_ES, units, 1)) + "\n",
                                 presegmented=True)
        tgt = store.add_document("bench.en.txt", "en", "\n".join(sentences(WORDS_EN, units, 2)) + "\n",
                                 presegmented=True)
        store.add_pair("bench", src, tgt)
        status = (BeadStatus.CONFIRMED, BeadStatus.EDITED, BeadStatus.AUTO)
        beads = tuple(Bead((i,), (i,), 0.5 + (i % 50) / 100, status[i % 3]) for i in range(units))
        store.save_alignment("bench", Alignment(beads, units, units), {"model": "bench"})
    return time.perf_counter() - t0


def peak_rss_mb() -> float:
    """The process's peak resident memory. VmHWM rather than ru_maxrss: Linux carries ru_maxrss over fork + exec,
    so a child started by a parent that has just built a big store would report the parent's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def export_child(db: Path, out: Path, fmt: str, trace: bool) -> dict:
    """Runs in the child: export, then report time, units and peak memory."""
    from aligner.export import export_file
    from aligner.store import Store

    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    with Store.open(db, create=False) as store:
        summary = export_file(store.iter_beads(), out, fmt)
    seconds = time.perf_counter() - t0
    result = {"format": fmt, "units": summary.written, "seconds": round(seconds, 2),
              "peak_rss_mb": peak_rss_mb(),
              "file_mb": round(out.stat().st_size / 2**20, 1)}
    if trace:
        result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    return result


def read_child(tmx: Path) -> dict:
    """Runs in the child: read the exported memory back with our streaming reader (what `import tmx` uses)."""
    from aligner.tmx import read_tmx

    t0 = time.perf_counter()
    _, units = read_tmx(tmx)
    n = sum(1 for _ in units)
    return {"read_back_units": n, "read_seconds": round(time.perf_counter() - t0, 2), "read_peak_rss_mb": peak_rss_mb()}


def baseline_child(fmt: str) -> dict:
    """The same imports and nothing else: what the interpreter, sqlite (and polars for tables) cost."""
    import aligner.export
    import aligner.store  # noqa: F401

    if fmt != "tmx":
        import polars  # noqa: F401
    return {"format": fmt, "baseline_rss_mb": peak_rss_mb()}


def child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--format", default="tmx")
    ap.add_argument("--trace", action="store_true", help="Also measure the Python heap with tracemalloc (slower).")
    ap.add_argument("--keep", type=Path, help="Keep the databases and exports in this folder.")
    ap.add_argument("--child", nargs=3, metavar=("DB", "OUT", "FORMAT"), help=argparse.SUPPRESS)
    ap.add_argument("--baseline", metavar="FORMAT", help=argparse.SUPPRESS)
    ap.add_argument("--read", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.baseline:
        print(json.dumps(baseline_child(args.baseline)))
        return
    if args.read:
        print(json.dumps(read_child(args.read)))
        return
    if args.child:
        db, out, fmt = args.child
        print(json.dumps(export_child(Path(db), Path(out), fmt, args.trace)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(json.dumps(child("--baseline", args.format)))
        for n in args.units:
            db = folder / f"bench-{n}.db"
            db.unlink(missing_ok=True)
            built = build(db, n)
            extra = ["--trace"] if args.trace else []
            out = folder / f"bench-{n}.{args.format}"
            result = child("--child", str(db), str(out), args.format, *extra)
            result["build_seconds"] = round(built, 1)
            result["units_per_second"] = round(result["units"] / result["seconds"])
            if args.format == "tmx":
                result.update(child("--read", str(out)))
            print(json.dumps(result))


if __name__ == "__main__":
    main()
