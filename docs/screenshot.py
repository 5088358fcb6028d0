"""Make docs/review.svg, the README's picture of the review app: the sample corpus imported and aligned with the
default model, one pair opened and partly reviewed from the keyboard, at 120x36.

    python docs/screenshot.py [--pair alzheimer-salamanca] [--out docs/review.svg]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from aligner.batch import align_all, import_corpus
from aligner.store import Store
from tui.app import create_app

ROOT = Path(__file__).resolve().parent.parent
# an editor's first minute on the pair: confirm the headline, split the photo caption and credit off the 1-3
# bead that holds them, flag them as furniture, and go on to the next bead
KEYS = ["enter", "s", "0", "-", "2", "enter", "exclamation_mark", "f", "enter", "down"]


async def shoot(db: Path, pair: str, out: Path) -> None:
    app = create_app(db, pair, None)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        for key in KEYS:
            await pilot.press(key)
            await pilot.pause()
        while app.reflag_pending:  # the split's flags are derived again in a thread: show them, not 'updating'
            await pilot.pause(0.1)
        await pilot.pause()
        app.save_screenshot(filename=out.name, path=str(out.parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pair", default="alzheimer-salamanca")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "review.svg")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "project.db"
        with Store.open(db) as store:
            import_corpus(store, ROOT / "corpus")
        align_all(db)
        asyncio.run(shoot(db, args.pair, args.out.resolve()))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
