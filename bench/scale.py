"""Time and peak memory of one long document pair: 1k, 5k, 10k, 20k, 50k sentences per side.

The pair is made by concatenating the TransRead novels (English-French, ../shared/gold) until the size is
reached. Each size runs in its own process so that its peak memory (max RSS) is its own. The encoder and BLAS
run on one thread, so that the CPU seconds measure the work itself: on a shared machine wall time follows the
load of the other processes, and idle BLAS threads spinning add CPU time that is not work.

    python bench/scale.py [--sizes 1000,5000,10000,20000,50000]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def texts(size: int) -> tuple[list[str], list[str]]:
    from gold_sets import transread

    src, tgt = [], []
    while len(src) < size or len(tgt) < size:
        for _, s, t, _, _, _ in transread():
            src += Path(s).read_text(encoding="utf-8").splitlines()
            tgt += Path(t).read_text(encoding="utf-8").splitlines()
    return src[:size], tgt[:size]


def one(size: int) -> dict:
    import numpy as np

    from aligner.align import AlignParams, align_windows
    from aligner.align.numbers import number_counts
    from aligner.embed import get_encoder

    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    src, tgt = texts(size)
    enc = get_encoder()
    enc.threads = 1
    enc.encode(["warm up"])
    p = AlignParams()
    t0, c0 = time.perf_counter(), time.process_time()
    sw = enc.encode_windows(src, p.max_side, dtype=np.float16)  # as aligner.pipeline does
    tw = enc.encode_windows(tgt, p.max_side, dtype=np.float16)
    t1, c1 = time.perf_counter(), time.process_time()
    a = align_windows(sw, tw, np.array([len(x) for x in src], float), np.array([len(x) for x in tgt], float), p,
                      None, None, number_counts(src), number_counts(tgt))  # no paragraphs: one sentence a line
    t2, c2 = time.perf_counter(), time.process_time()
    return dict(size=size, embed_s=t1 - t0, align_s=t2 - t1, total_s=t2 - t0, embed_cpu=c1 - c0,
                align_cpu=c2 - c1, cpu_s=c2 - c0, beads=len(a), band_cells=a.meta["band_cells"],
                peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,5000,10000,20000,50000")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    print(f"# {date.today()} · {platform.processor() or platform.machine()} · model use-multilingual")
    print("| sentences per side | embed s (CPU) | align s (CPU) | total s (CPU) | CPU growth when doubled "
          "| band cells | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    prev = None
    for size in map(int, args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        growth = ""
        if prev:
            # time growth normalised to a doubling of the length
            ratio = r["cpu_s"] / prev["cpu_s"]
            growth = f"{ratio ** (__import__('math').log(2) / __import__('math').log(size / prev['size'])):.2f}"
        print(f"| {size:,} | {r['embed_s']:.1f} ({r['embed_cpu']:.1f}) | {r['align_s']:.1f} ({r['align_cpu']:.1f}) "
              f"| {r['total_s']:.1f} ({r['cpu_s']:.1f}) | {growth} | "
              f"{r['band_cells']:,} | {r['peak_mb']:.0f} |", flush=True)
        prev = r


if __name__ == "__main__":
    main()
