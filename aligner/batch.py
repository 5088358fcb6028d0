"""Batch work on a project: import a corpus folder, and align every pair that needs it on all cores.

The parent process is the store's only writer. Workers (a 'spawn' process pool, so no thread or open database of
the parent leaks into them) each load the encoder once, read documents and cached window vectors through a
read-only connection, and send back the alignment, its flags and the window vectors they had to compute; the
parent commits each finished pair in one transaction. An interrupt loses at most the pairs in flight, and the
next run skips every pair already committed. Progress goes to a callback: no terminal code here.
"""

from __future__ import annotations

import contextlib
import csv
import json
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .align import AlignParams
from .embed import DEFAULT_MODEL, Encoder, canonical, card_note, check_language, get_encoder
from .errors import AlignerError, EncoderUnavailable, InputError, StoreBusy, StoreError
from .langcheck import lang_code, likely_language, not_covered
from .models import Alignment, BeadStatus
from .segment import unsplit_note
from .store import (
    CACHE_DTYPE,
    EDITOR_KEY,
    IMPORTED_KEY,
    PairInfo,
    PairStatus,
    Store,
    is_kept,
    sentence_id_map,
    window_hashes,
)

CHUNK = 1000  # sentences encoded per call: bounds the encoder's working memory on long documents
# Below this many sentences a pool costs more than it gains: each worker loads its own encoder (1.5 s), and one
# process with two BLAS threads encodes about 1.25x as fast as with one.
POOL_MIN_SENTENCES = 2000
DEFAULT_PARAMS = AlignParams()
BIG_PAIR = 2 * CHUNK  # sentences, both sides: a pair this big has its encoding shared out among the workers


# ---- import ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FoundPair:
    """Two files that belong together, from the folder layout or a pairs.csv manifest."""

    name: str
    src: Path
    tgt: Path
    src_lang: str
    tgt_lang: str


@dataclass
class ImportReport:
    """What `import_corpus` did: pairs new, changed (new document versions) or unchanged; files it could not
    pair; problems: (name or path, message) for files stored with an error or not read at all; doubts: the same
    for files that look written in another language than their folder's (a guess: they are imported)."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unmatched: list[Path] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    doubts: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # pairs of the project whose files under root are gone

    def warnings(self, root: str | Path) -> list[str]:
        """What the user must hear about the import, one line each: files left unpaired, files that could not be
        imported, language doubts, pairs whose files are gone (what `aligner add` and the review app say)."""
        return [line for _, line in self.said(root)]

    def said(self, root: str | Path) -> list[tuple[str, str]]:
        """The lines of `warnings`, each with its level: 'error' for a file that could not be imported (`add`
        exits 1 for them), 'warning' for the others."""
        folded: dict[str, list[Path]] = {}
        for path in self.unmatched:
            folded.setdefault(Path(path).stem.casefold(), []).append(Path(path))

        def hint(path) -> str:  # 'Riada.txt' beside 'riada.txt': paired by name, and names differ in case
            near = [q for q in folded[Path(path).stem.casefold()] if q.parent != Path(path).parent]
            return f" ({near[0]} differs only in letter case: rename one)" if near else ""

        out = [("warning", f"{path}: no counterpart in the other language{hint(path)}; skipped")
               for path in self.unmatched]
        out += [("error", f"{name}: {message}") for name, message in self.problems]
        out += [("warning", f"{name}: {message}") for name, message in self.doubts]
        if self.missing:
            out.append(("warning", f"{root}: the files of {', '.join(self.missing)} are gone; the project keeps "
                                   f"{'their alignments' if len(self.missing) > 1 else 'its alignment'} "
                                   f"(`aligner remove NAME` drops a pair)"))
        return out


def doubts(doc, path, lang: str, presegmented: bool = False, model: str | None = None) -> list[str]:
    """What may be wrong with a document that was read: it looks written in another language than `lang` (in the
    wrong folder?), or it has a 'sentence' with no end (segment.unsplit_note). Said by `add`, and again by
    `align-all`, whose result they spoil."""
    out = []
    if other := likely_language(doc.text, lang):
        note = not_covered(other, model)
        out.append(f"{path} looks written in {other!r}, not {lang!r}: is it in the right folder?"
                   + (f" And {note}." if note else ""))
    if long := unsplit_note(doc, presegmented):
        out.append(long)
    return out


_SCRATCH_SUFFIXES = frozenset({".bak", ".swp", ".swo", ".tmp", ".orig", ".part"})


def is_scratch(name: str) -> bool:
    """A file that is no document of the corpus: hidden ('.DS_Store'), an editor's backup or swap file ('a.txt~',
    'a.txt.bak', '.a.txt.swp', '#a.txt#'), an office lock file ('~$a.docx') or a partial download."""
    return (name.startswith((".", "~$")) or name.endswith("~") or (name.startswith("#") and name.endswith("#"))
            or Path(name).suffix.lower() in _SCRATCH_SUFFIXES)

def find_pairs(root: str | Path, src_lang: str = "es", tgt_lang: str = "en") -> tuple[list[FoundPair], list[Path],
                                                                                          list[tuple[str, str]]]:
    """The pairs under `root`: root/pairs.csv when present (or root itself if it is the manifest), else
    root/SRC_LANG/NAME.* with root/TGT_LANG/NAME.* by file stem. Returns (pairs, unmatched files, problems)."""
    root = Path(root)
    if root.is_file():
        return _read_manifest(root, src_lang, tgt_lang)
    if (root / "pairs.csv").is_file():
        return _read_manifest(root / "pairs.csv", src_lang, tgt_lang)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder or manifest")
    sides, problems, unreadable = [], [], set()
    for lang in (src_lang, tgt_lang):
        folder = root / lang
        if not folder.is_dir():
            raise InputError(f"{folder}: no such folder (expected {root}/{src_lang}/ and {root}/{tgt_lang}/ with "
                             "files paired by name, or a pairs.csv manifest with columns name,src,tgt)")
        by_stem: dict[str, list[Path]] = {}
        for p in sorted(folder.iterdir()):
            if is_scratch(p.name):
                continue
            if p.is_file():
                by_stem.setdefault(p.stem, []).append(p)
            elif why := _not_a_document(p):  # said, and its counterpart is no file "without a counterpart"
                problems.append((p.stem, f"{p}: {why}; skipped"))
                unreadable.add(p.stem)
        for stem, paths in by_stem.items():
            if len(paths) > 1:
                problems.append((stem, (f"{len(paths)} files named {stem}.* in {folder}: "
                                        f"{', '.join(p.name for p in paths)}; keep one")))
        sides.append(by_stem)
    # a name with several files on a side is a problem (above), not a file without a counterpart
    src, tgt = ({s: ps[0] for s, ps in side.items() if len(ps) == 1} for side in sides)
    pairs = [FoundPair(n, src[n], tgt[n], src_lang, tgt_lang) for n in sorted(src.keys() & tgt.keys())]
    unmatched = [src[n] for n in sorted(src.keys() - sides[1].keys() - unreadable)] + \
                [tgt[n] for n in sorted(tgt.keys() - sides[0].keys() - unreadable)]
    return pairs, unmatched, problems


def _not_a_document(p: Path) -> str | None:
    """Why an entry of a language folder that is not a regular file cannot be a document, when it looks meant as
    one: a link to nothing (a missing target, or a loop), a folder named like a file ('a.txt/'). A plain subfolder
    ('old/') is no document, and nothing is said of it."""
    if p.is_symlink() and not p.exists():
        return "a link that leads nowhere (its target is missing, or the links loop)"
    if p.is_dir() and p.suffix.lower() in _TEXT_SUFFIXES:  # not 'archive.2023/'
        return "a folder, not a file"
    return None


_TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".html", ".htm", ".xml", ".srt", ".vtt"})


def _read_manifest(path: Path, src_lang: str, tgt_lang: str):
    """pairs.csv: columns name, src, tgt (paths relative to the manifest), optional src_lang, tgt_lang."""
    from .textio import read_text

    numbered = [(k, line) for k, line in enumerate(read_text(path).splitlines(), 1)
                 if line.strip() and not line.lstrip().startswith("#")]  # comments and blank lines left out
    lines = [line for _, line in numbered]
    # commas, or the semicolons (a spreadsheet in a Spanish or French locale) or tabs the header is split by
    delimiter = max(",;\t", key=lines[0].count) if lines else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [column.strip().lower() for column in next(reader, [])]  # "Name, Src, Tgt" as a spreadsheet saves it
    need = {"name", "src", "tgt"}
    if not need <= set(header):
        raise InputError(f"{path}: expected a header with columns name,src,tgt (optional: src_lang,tgt_lang)"
                         + (f", found {', '.join(repr(c) for c in header)}" if header else ""))
    rows = [dict(zip(header, cells + [""] * (len(header) - len(cells)))) for cells in reader]
    if not rows:
        raise InputError(f"{path}: lists no pairs (a row per pair under the header name,src,tgt)")
    pairs, unmatched, problems, seen = [], [], [], set()
    for (line, _), r in zip(numbered[1:], rows):
        name = (r["name"] or "").strip()
        if not name or name in seen:
            problems.append((f"{path}:{line}", "missing name" if not name else f"pair {name!r} listed twice"))
            continue
        seen.add(name)
        if empty := [column for column in ("src", "tgt") if not (r[column] or "").strip()]:
            problems.append((name, f"{path}:{line}: no file in column {' nor '.join(empty)}"))
            continue
        src, tgt = path.parent / r["src"].strip(), path.parent / r["tgt"].strip()
        missing = [p for p in (src, tgt) if not p.is_file()]
        if missing:  # the row's problem says it all; its other file may well be in another row
            problems.append((name, f"{path}:{line}: no such file: {', '.join(map(str, missing))}"))
            continue
        try:
            langs = [lang_code((r.get(column) or "").strip() or default)  # a blank cell: the default
                     for column, default in (("src_lang", src_lang), ("tgt_lang", tgt_lang))]
        except ValueError as exc:
            problems.append((name, f"{path}:{line}: {exc}"))
            continue
        pairs.append(FoundPair(name, src, tgt, *langs))
    return pairs, unmatched, problems


def import_corpus(store: Store, root: str | Path, src_lang: str = "es", tgt_lang: str = "en",
                  presegmented: bool = False) -> ImportReport:
    """Import every pair under `root` (see `find_pairs`), each in one transaction. A changed file becomes a new
    document version and marks its pair changed; files that cannot be paired or read are reported, and the
    others are imported all the same."""
    pairs, unmatched, problems = find_pairs(root, src_lang, tgt_lang)
    report = ImportReport(unmatched=unmatched, problems=problems)
    known = {p.name for p in store.pairs()}
    for fp in pairs:
        try:
            data = fp.src.read_bytes(), fp.tgt.read_bytes()
        except OSError as exc:
            report.problems.append((fp.name, f"{exc.filename}: cannot be read ({exc.strerror})"))
            continue
        with store.transaction():
            ids = [store.add_document(p, lang, d, presegmented)
                   for p, lang, d in zip((fp.src, fp.tgt), (fp.src_lang, fp.tgt_lang), data)]
            _, changed = store.add_pair(fp.name, *ids)
        (report.unchanged if not changed else report.changed if fp.name in known else report.added).append(fp.name)
        for doc_id, path, lang in zip(ids, (fp.src, fp.tgt), (fp.src_lang, fp.tgt_lang)):
            error = store.document_info(doc_id)["error"]
            if error:
                report.problems.append((fp.name, f"{error} (the pair cannot be aligned until the file is fixed)"))
            elif changed:
                doc = store.document(doc_id)
                report.doubts += [(fp.name, d) for d in doubts(doc, path, lang, presegmented)]
    found = {fp.name for fp in pairs}
    report.missing = [p.name for p in store.pairs()
                      if p.name not in found and _gone_from(Path(root), p, store.path.parent)]
    return report


def _gone_from(root: Path, p: PairInfo, project_dir: Path) -> bool:
    """Whether a file of pair `p` was under `root` and no longer exists there. A pair imported from a TMX file
    names its documents FILE#NAME.LANG: the file is what counts."""
    paths = [_where(Path(x.split("#", 1)[0]), root, project_dir) for x in (p.src_path, p.tgt_path)]
    return None not in paths and not all(path.exists() for path in paths)


def _where(stored: Path, root: Path, project_dir: Path) -> Path | None:
    """The file a stored document path names under `root`, or None when it is not under it. `add` keeps the path
    as it was typed, relative to the folder it ran in, which may not be this one: a relative path is also read
    from the project's folder, and from root's parent when it starts with root's name (`add corpus/` run next to
    it)."""
    root = root.resolve()
    bases = [Path.cwd(), project_dir] + ([root.parent] if stored.parts[:1] == (root.name,) else [])
    for candidate in [stored] if stored.is_absolute() else [base / stored for base in bases]:
        try:
            candidate.resolve().relative_to(root)
        except ValueError:
            continue
        return candidate
    return None


# ---- alignment -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EncoderSpec:
    """Loads an encoder by name inside a worker: picklable, unlike the encoder itself."""

    model: str = DEFAULT_MODEL

    def __call__(self) -> Encoder:
        return get_encoder(self.model)


@dataclass
class PairResult:
    """A worker's answer for one pair: the alignment, flags (Flag.to_dict()) and newly computed window vectors
    [(k, hashes, vectors CACHE_DTYPE (m, d))], or the error that stopped it."""

    name: str
    src_doc: int
    tgt_doc: int
    sentences: int
    model: str = ""
    alignment: Alignment | None = None
    flags: list[dict] | None = None
    windows: list[tuple[int, list[str], np.ndarray]] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    error: str | None = None
    doubts: list[str] = field(default_factory=list)  # a document in another language, a text with no sentence end
    fatal: bool = False  # the error is the encoder's (a model that cannot be loaded), not the pair's


@dataclass(frozen=True)
class BatchEvent:
    """Progress after the start and after each finished pair (`pair`, with `error` when it failed)."""

    total_pairs: int
    total_sentences: int
    done_pairs: int
    done_sentences: int
    pair: str | None = None
    error: str | None = None


@dataclass
class BatchSummary:
    """What `align_all` did: pairs aligned and failed (name, error), skipped as up to date, and left pending by
    an interrupt; warnings (name, message) for aligned pairs with a problem (flags that could not be derived)."""

    aligned: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0
    pending: list[str] = field(default_factory=list)
    interrupted: bool = False
    sentences: int = 0
    seconds: float = 0.0
    workers: int = 0
    threads: int = 0
    warnings: list[tuple[str, str]] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)  # imported memories left as they were (among skipped)
    models: dict[str, int] = field(default_factory=dict)  # pairs to align (aligned or not in the end) per model
    blocked: list[tuple[str, list[str], str]] = field(default_factory=list)  # (model, pairs, why): the model that
                                               # aligned these pairs cannot be loaded now; they are left as they are
    fatal: str | None = None  # a model that did not load stopped the batch after other pairs were committed
    notes: list[str] = field(default_factory=list)  # warnings on the batch as a whole (a model's languages)
    review: list[tuple[str, int, int]] = field(default_factory=list)  # (name, beads kept, beads reviewed before)
                                                                       # per re-aligned pair with review work


def needs_alignment(p: PairInfo, model: str, params: AlignParams) -> bool:
    """New, changed, failed last time, or aligned with another model or other parameters; not a memory that
    `aligner import tmx` read (someone else's alignment, scores and confidences: aligned only with --force)."""
    if is_imported(p):
        return False
    # the stored name as this version writes it (st:./m/ as st:/abs/m): the same model is no reason
    same = p.model == model or canonical(p.model or "") == model
    return p.status is not PairStatus.ALIGNED or not same or p.params != params.to_dict()


# The parameters a user chooses (align-all --max-side, --skip): a pair keeps its own when it is aligned again
# without them. The others are the aligner's own and follow the release (a new default aligns the pair again).
USER_PARAMS = ("max_side", "skip")


def pair_model(p: PairInfo) -> str:
    """The encoder that aligned pair `p` (its scores and cached vectors are that model's); the default for a pair
    never aligned, or imported from a TMX file, which no encoder aligned."""
    from .export import IMPORTED_MODEL

    return p.model if p.model and p.model != IMPORTED_MODEL else DEFAULT_MODEL


def pair_settings(p: PairInfo, model: str | None = None,
                  params: AlignParams | dict | None = None) -> tuple[str, AlignParams]:
    """The model and parameters to align pair `p` with: `model`, else the one that aligned it (pair_model);
    `params` when an AlignParams, else the pair's own USER_PARAMS with `params` (a dict of fields) over them, over
    the defaults."""
    model = model or pair_model(p)
    if isinstance(params, AlignParams):
        return model, params
    from .export import IMPORTED_MODEL

    own = {} if p.model == IMPORTED_MODEL else {k: v for k, v in (p.params or {}).items() if k in USER_PARAMS}
    return model, AlignParams(**{**own, **(params or {})})


def is_imported(p: PairInfo) -> bool:
    """A pair whose current alignment is an imported memory, as it was imported."""
    from .export import IMPORTED_MODEL

    return p.model == IMPORTED_MODEL and p.status is PairStatus.ALIGNED and not p.stale


def align_all(db: str | Path, *, model: str | None = None, params: AlignParams | dict | None = None,
              jobs: int | None = None, threads: int | None = None, force: bool = False,
              names: Sequence[str] | None = None, progress: Callable[[BatchEvent], None] | None = None,
              encoder_factory: Callable[[], Encoder] | None = None, timeout: float = 60.0) -> BatchSummary:
    """Align every pair of the project at `db` that needs it (all of them with `force`), largest first.

    model: the encoder for every pair; None: each pair keeps the one that aligned it (the default for a new pair).
    params: an AlignParams for every pair, or a dict of fields (max_side, skip) over each pair's own (see
    pair_settings). jobs: worker processes (default: one per core; one for small batches, where the work runs in
    this process). threads: BLAS threads per worker (default: the cores shared out). encoder_factory: a picklable
    callable returning the encoder, for every pair (default: the model by name). A model that was asked for and
    cannot be loaded raises EncoderUnavailable before any pair is written; the pairs of a model of their own that
    cannot be loaded are left as they are (summary.blocked), and one that fails to load once others were committed
    stops the batch (summary.fatal). Ctrl-C returns a summary with interrupted=True; every
    pair finished before it is committed, and so is every chunk of a big pair already encoded.
    """
    t0 = time.perf_counter()
    given = encoder_factory or (EncoderSpec(model) if model else None)
    # encoders load their weights on first use: making one is cheap, and checks the name
    fixed = given() if given else None
    summary = BatchSummary()
    with _one_batch_at_a_time(Path(db)), Store.open(db, timeout) as store:
        with store.transaction():  # another writer holding the file: wait for it (up to timeout) or fail, now
            pass                   # rather than after encoding every sentence
        pairs = store.pairs(names)

        def settings(p: PairInfo) -> tuple[str, AlignParams]:
            # a pair never aligned: the model of its last attempt, which failed (a file to fix, say)
            tried = None if fixed or p.model else _last_model(store, p)
            name, chosen = pair_settings(p, tried, params)
            return (fixed.name if fixed else canonical(name)), chosen

        wanted = {p.name: settings(p) for p in pairs}
        todo = [p for p in pairs if force or needs_alignment(p, *wanted[p.name])]
        todo.sort(key=lambda p: -(p.n_src + p.n_tgt))
        summary.skipped = len(pairs) - len(todo)
        summary.imported = [p.name for p in pairs if not force and is_imported(p)]
        groups: dict[tuple[str, str], list[PairInfo]] = {}  # one per model and parameters, usually one in all
        for p in todo:
            name, chosen = wanted[p.name]
            groups.setdefault((name, json.dumps(chosen.to_dict(), sort_keys=True)), []).append(p)
        factories = {name: given or EncoderSpec(name) for name, _ in groups}
        encoders = {}
        for name, factory in factories.items():  # a missing model folder or backend: said once, before any work
            try:
                encoders[name] = fixed or factory()
                if check := getattr(encoders[name], "check", None):
                    check()
            except EncoderUnavailable as exc:
                if given:  # the model asked for: nothing can be done
                    raise
                # the model that aligned these pairs, gone since: they are left as they are, the others aligned
                blocked = [p for key, group in groups.items() if key[0] == name for p in group]
                summary.blocked.append((name, [p.name for p in blocked], str(exc)))
                groups = {key: group for key, group in groups.items() if key[0] != name}
                todo = [p for p in todo if p not in blocked]
        for (name, _), group in groups.items():
            summary.models[name] = summary.models.get(name, 0) + len(group)
            note = card_note(encoders[name], *{lang for p in group for lang in (p.src_lang, p.tgt_lang)})
            if note and note not in summary.notes:  # once per model, whatever its groups of parameters
                summary.notes.append(note)
        run = _Run(store, todo, params if isinstance(params, AlignParams) else DEFAULT_PARAMS, "", progress,
                   summary)
        cores = os.cpu_count() or 1
        workers = jobs or (cores if run.total >= POOL_MIN_SENTENCES else 1)
        if not any(p.n_src + p.n_tgt >= BIG_PAIR for p in todo):
            workers = min(workers, len(todo))
        summary.workers = max(1, workers)
        summary.threads = threads or max(1, cores // summary.workers)
        try:
            run.event()
            for (name, chosen), group in groups.items():
                run.model, run.params = encoders[name].name, AlignParams(**json.loads(chosen))
                _align_group(run, group, factories[name], encoders[name], threads)
        except KeyboardInterrupt:
            summary.interrupted = True
        except EncoderUnavailable as exc:  # a model that passed the checks but does not load: the batch stops,
            if not run.done:               # keeping the pairs committed before (another model's group)
                raise
            summary.fatal = str(exc)
        left = [p.name for p in todo if p.name not in run.done]
        if summary.interrupted and left:  # pairs removed meanwhile are not pending, but said
            gone = [name for name in left if not store.has_pair(name)]
            summary.warnings += [(name, "removed from the project while the batch ran; skipped") for name in gone]
            left = [name for name in left if name not in gone]
        if summary.interrupted and left and not force:  # a commit may land just as the interrupt arrives: counted
            still = {p.name for p in store.pairs(left) if needs_alignment(p, *settings(p))}
            summary.aligned += [name for name in left if name not in still and name not in summary.aligned]
            left = [name for name in left if name in still]
        summary.pending = left if summary.interrupted or summary.fatal else []
    summary.seconds = time.perf_counter() - t0
    return summary


def _last_model(store: Store, p: PairInfo) -> str | None:
    """The model of the last attempt to align pair `p` (a failed one, for a pair never aligned), if any."""
    from .export import IMPORTED_MODEL

    runs = store.runs(p.name)
    model = runs[-1]["model"] if runs else ""
    return model if model and model != IMPORTED_MODEL else None


def _align_group(run: "_Run", todo: list[PairInfo], factory, encoder: Encoder, threads: int | None) -> None:
    """Align the pairs `todo`, which share run.model and run.params, in a pool or here."""
    workers = run.summary.workers
    # With fewer pairs than workers (one big pair, say), the pool only shares out the encoding: the pairs are then
    # aligned here, once the workers are gone, so that one process holds the window vectors while no idle worker
    # holds an encoder (835 + 88 + 180 MB over three processes for 20,000 sentences a side, before).
    if workers > 1 and len(todo) >= workers:
        _run_pool(run, todo, factory, encoder, workers, run.summary.threads)
        return
    if workers > 1:
        _run_pool(run, todo, factory, encoder, workers, run.summary.threads, pairs=False)
    if threads and hasattr(encoder, "threads"):
        encoder.threads = threads  # before its weights load
    for p in todo:
        run.finish(align_pair(run.store, encoder, p.name, run.params, write_cache=True))


@contextlib.contextmanager
def _one_batch_at_a_time(db: Path):
    """Hold the project's batch lock (an flock on DB.align-all.lock, which the system lets go when the process
    ends, however it ends) for one align_all: a second one at the same time would align every pair again
    (StoreBusy instead). Without flock (Windows), or where the lock file cannot be made (a read-only folder, which
    the store reports itself), no lock. The holder removes the file as it lets go, so that none is left beside
    the project; a process that locked a file just removed so tries again on the new one."""
    try:
        import fcntl  # noqa: F401 - no flock (Windows): no lock
    except ImportError:
        yield
        return
    path = Path(f"{db}.align-all.lock")
    while True:
        try:
            lock = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError:
            yield
            return
        try:  # a few tries: `status` looks at the lock (batch_running) for an instant
            _flock_soon(lock)
        except OSError:
            lock.seek(0)
            pid = lock.read().strip()
            lock.close()
            raise StoreBusy(f"{db}: another `aligner align-all` is aligning this project"
                            f"{f' (process {pid})' if pid.isdigit() else ''}; wait for it to finish, or stop it "
                            "first") from None
        if _same_file(lock, path):
            break
        lock.close()  # its holder removed it as we opened it: lock the file that stands there now
    with lock:
        try:
            lock.seek(0)
            lock.truncate()
            lock.write(str(os.getpid()))
            lock.flush()
            yield
        finally:
            path.unlink(missing_ok=True)  # while held, so that no file is left beside the project


def _flock_soon(f, tries: int = 10) -> None:
    """Lock `f` exclusively, trying again for about half a second (OSError when another holds it still)."""
    import fcntl

    for k in range(tries):
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError:
            if k == tries - 1:
                raise
            time.sleep(0.05)


def batch_running(db: str | Path) -> str | None:
    """Whether an `aligner align-all` holds the project's batch lock now: its process id ('' when unknown), or
    None. Makes no lock file; without flock (Windows), None."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        with open(f"{db}.align-all.lock", encoding="utf-8") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                pid = f.read().strip()
                return pid if pid.isdigit() else ""
            fcntl.flock(f, fcntl.LOCK_UN)
    except OSError:
        return None
    return None


def _same_file(f, path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    own = os.fstat(f.fileno())
    return (own.st_ino, own.st_dev) == (st.st_ino, st.st_dev)


class _Run:
    """One align_all call as the parent sees it: the store (whose only writer it is), progress and the summary."""

    def __init__(self, store: Store, todo: list[PairInfo], params: AlignParams, model: str, progress,
                 summary: BatchSummary):
        self.store, self.todo, self.params, self.model = store, todo, params, model
        self.progress, self.summary = progress, summary
        self.total = sum(p.n_src + p.n_tgt for p in todo)
        self.pairs_done = self.sentences_done = 0
        self.done: set[str] = set()
        self.credited: dict[str, int] = {}  # sentences of a pair counted already, as its chunks were encoded

    def event(self, pair: str | None = None, error: str | None = None) -> None:
        if self.progress:
            self.progress(BatchEvent(len(self.todo), self.total, self.pairs_done, self.sentences_done, pair, error))

    def finish(self, result: PairResult) -> None:
        if result.fatal:  # the model, not the pair: nothing is written, and the batch stops
            raise EncoderUnavailable(result.error)
        kept = _commit(self.store, result, self.params, self.summary)
        self.done.add(result.name)
        self.pairs_done += 1
        self.sentences_done += result.sentences - self.credited.pop(result.name, 0)
        if result.error is None and kept:  # the summary's rate counts the sentences aligned, not failed pairs'
            self.summary.sentences += result.sentences
        self.event(result.name, result.error if kept else None)

    def chunk_done(self, name: str, sentences: int, windows: list) -> None:
        with self.store.transaction():
            for k, hashes, vectors in windows:
                self.store.store_windows(self.model, k, hashes, vectors)
        self.credited[name] = self.credited.get(name, 0) + sentences
        self.sentences_done += sentences
        self.event()


def _run_pool(run: _Run, todo: list[PairInfo], factory, encoder: Encoder, workers: int, threads: int,
              pairs: bool = True) -> None:
    """Feed the work to a pool, two tasks per worker in flight. A pair is one task, except a big one: its
    encoding goes out first in chunks whose vectors the parent caches, then the pair itself is aligned from the
    cache. A worker that dies fails the pairs it had; the pool is started again for the rest.

    pairs=False: only the chunks of the big pairs; the caller aligns every pair itself afterwards."""
    max_k = run.params.max_side
    tasks: deque = deque()
    chunks_left: dict[str, int] = {}
    for p in todo:
        jobs = _chunk_jobs(run.store, encoder, p, max_k) if p.n_src + p.n_tgt >= BIG_PAIR else []
        chunks_left[p.name] = len(jobs)
        tasks.extend(("chunk", p, job) for job in jobs)
        if not jobs and pairs:
            tasks.append(("pair", p, None))
    ctx = multiprocessing.get_context("spawn")
    while tasks:
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(str(run.store.path), factory, run.params, threads, os.getpid()))
        running: dict = {}
        broken = False
        try:
            while tasks or running:
                while tasks and len(running) < 2 * workers:
                    kind, p, job = task = tasks.popleft()
                    fut = pool.submit(_work, p.name) if kind == "pair" else pool.submit(_encode_chunk, *job, max_k)
                    running[fut] = task
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    kind, p, job = running.pop(fut)
                    try:
                        value = fut.result()
                    except BrokenProcessPool:
                        broken, value = True, None
                    except Exception:  # noqa: BLE001 - a failed chunk: the pair's own task redoes it, reporting why
                        value = None
                    if kind == "pair":
                        run.finish(value or PairResult(p.name, p.src_doc, p.tgt_doc, p.n_src + p.n_tgt, error=(
                            "a worker process died while this pair was in progress (out of memory?)")))
                        continue
                    if value is not None:
                        run.chunk_done(p.name, job[3] - job[1], value)
                    chunks_left[p.name] -= 1
                    if chunks_left[p.name] == 0 and pairs:
                        tasks.appendleft(("pair", p, None))
                if broken:  # the others in flight broke with it: a new pool takes them
                    tasks.extendleft(running.values())
                    break
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown(wait=True, cancel_futures=True)


def _chunk_jobs(store: Store, encoder: Encoder, p: PairInfo, max_k: int) -> list[tuple[int, int, int, int]]:
    """(document id, start, stop, last) encoding jobs that fill the cache for a big pair (see encode_spans);
    none when the pair cannot be aligned, so that its own task reports why."""
    try:
        docs = store.document(p.src_doc), store.document(p.tgt_doc)
        for doc in docs:
            check_language(encoder, doc.lang, doc.path)
    except AlignerError:
        return []
    jobs = []
    for doc_id, doc in zip((p.src_doc, p.tgt_doc), docs):
        hashes = window_hashes(doc.texts, max_k)
        missing = [~store.has_windows(encoder.name, k, hashes[k - 1]) for k in range(1, max_k + 1)]
        jobs += [(doc_id, *span) for span in encode_spans(missing, max_k, CHUNK)]
    return jobs


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now: their pairs are lost anyway, and a long one would hold up the exit for minutes."""
    # taken first: shutdown() forgets them (pool._processes = None), and the workers ignore Ctrl-C, so an idle one
    # would live on and hold the exit (multiprocessing joins its children) for good
    procs = list((getattr(pool, "_processes", None) or {}).values())  # no public API before Python 3.14
    for proc in procs:
        proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)


def _commit(store: Store, r: PairResult, params: AlignParams, summary: BatchSummary) -> bool:
    """Write one pair's result: cached vectors, run, beads and flags in one transaction, or its failure. A pair
    removed from the project while it was being aligned is skipped, with a warning, and the batch goes on
    (False)."""
    info = {"model": r.model, "params": params.to_dict(), "figures": r.figures, "src_doc": r.src_doc,
            "tgt_doc": r.tgt_doc}
    if r.error is None:
        try:
            with store.transaction():  # the check inside it: no `aligner remove` can land between the two
                if not store.has_pair(r.name):
                    return _removed(r, summary)
                for k, hashes, vectors in r.windows:
                    store.store_windows(r.model, k, hashes, vectors)
                old = store.pair(r.name)
                previous = store.flag_records(r.name) if old.run_id is not None else []
                before = _reviewed(store.alignment(r.name)) if old.run_id is not None else 0
                store.save_alignment(r.name, r.alignment, info)
                store.save_flags(r.name, _carry_flags(store, r, old, previous))
                if before:
                    summary.review.append((r.name, _reviewed(store.alignment(r.name)), before))
            summary.aligned.append(r.name)
            summary.warnings += [(r.name, d) for d in r.doubts]
            if r.figures.get("flags_error"):
                summary.warnings.append((r.name, f"no flags: {r.figures['flags_error']}"))
            return True
        except AlignerError as exc:
            r.error = str(exc)
    with store.transaction():
        if not store.has_pair(r.name):
            return _removed(r, summary)
        store.record_failure(r.name, r.error, info)
    summary.failed.append((r.name, r.error))
    return True


def _removed(r: PairResult, summary: BatchSummary) -> bool:
    summary.warnings.append((r.name, "removed from the project while it was being aligned; skipped"))
    return False


def _reviewed(a) -> int:
    """Beads of alignment `a` an editor confirmed, flagged or edited: the review work a new run may lose (more
    than the review progress, which leaves edited beads out until they are confirmed)."""
    return sum(b.status is not BeadStatus.AUTO for b in a.beads)


def _carry_flags(store: Store, r: PairResult, old: PairInfo, previous: list[dict]) -> list[dict]:
    """The new run's flags with the review work done on the old run's (`previous`, flag records) where their
    sentences are unchanged (by content hash; ids follow sentences inserted or removed elsewhere): a derived flag
    found again (same type and sentences) keeps its review status; a flag an editor made (key EDITOR_KEY...),
    or that an imported memory brought (IMPORTED_KEY...), is kept whole, kind, note and status, also when deriving
    the new flags failed (r.flags None)."""
    from .flags import Flag

    flags = list(r.flags or [])
    if not previous:
        return flags
    last = next(x for x in store.runs(r.name) if x["id"] == old.run_id)
    maps, docs = None, None
    if (last["src_doc"], last["tgt_doc"]) != (r.src_doc, r.tgt_doc):
        maps = tuple(sentence_id_map(store.sentence_hashes(a), store.sentence_hashes(b))
                     for a, b in ((last["src_doc"], r.src_doc), (last["tgt_doc"], r.tgt_doc)))
    status, kept = {}, []
    for f in previous:
        moved = _moved_flag(f, maps)
        if moved is None:
            continue
        if not is_kept(f):  # the flagger's: derived again; the editor's and an imported memory's: kept whole
            status[Flag.from_dict(moved).key] = f["status"]
            continue
        if maps is not None:  # offsets and paragraphs in the new document versions
            docs = docs or (store.document(r.src_doc), store.document(r.tgt_doc))
            for side, doc in zip(("src", "tgt"), docs):
                if moved.get(side):
                    moved[side] = _span(doc, moved[side]["sentences"])
            prefix = EDITOR_KEY if f["key"].startswith(EDITOR_KEY) else IMPORTED_KEY
            moved["key"] = prefix + Flag.from_dict(moved).key
        kept.append({k: v for k, v in moved.items() if k != "id"})
    return [{**f, "status": status.get(f["key"], f["status"])} for f in flags] + kept


def _moved_flag(f: dict, maps: tuple[dict[int, int], dict[int, int]] | None) -> dict | None:
    """The flag record with its sentence ids in the new documents (`maps`: old id -> new id per side, None when
    the documents are the same), or None when one of its sentences changed or they are no longer consecutive."""
    if maps is None:
        return dict(f)
    out = dict(f)
    for side, m in zip(("src", "tgt"), maps):
        if not f.get(side):
            continue
        ids = [m.get(i) for i in f[side]["sentences"]]
        if None in ids or ids != list(range(ids[0], ids[0] + len(ids))):
            return None
        out[side] = {**f[side], "sentences": ids}
    return out


def _span(doc, ids: list[int]) -> dict:
    from dataclasses import asdict

    from .flags import Span

    return asdict(Span.of(doc, ids))


# ---- the work on one pair (in a worker, or here) ---------------------------------------------------------------

_worker: dict = {}


def _init_worker(db: str, factory, params: AlignParams, threads: int, parent: int) -> None:
    """Once per worker: ignore Ctrl-C (the parent stops us), cap BLAS threads, load the encoder, open the store."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:
        pass  # optional: without it the BLAS library picks its own thread count
    encoder = factory()
    if hasattr(encoder, "threads"):
        encoder.threads = threads  # USE reads it when its weights load, on first use
    _worker.update(encoder=encoder, store=Store.open(db, readonly=True), params=params)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent was killed (SIGKILL leaves no chance to stop it) must not live on."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _work(name: str) -> PairResult:
    return align_pair(_worker["store"], _worker["encoder"], name, _worker["params"])


def _encode_chunk(doc_id: int, start: int, stop: int, last: int, max_k: int) -> list[tuple[int, list[str],
                                                                                          np.ndarray]]:
    """Vectors of the windows that begin at sentences start..last-1 of a document: [(k, hashes, vectors)]."""
    if _worker.get("doc_id") != doc_id:  # the chunks of one document come in a row: read it once
        _worker["doc_id"], _worker["texts"] = doc_id, _worker["store"].document(doc_id).texts
    texts = _worker["texts"][start:stop]
    fresh = _worker["encoder"].encode_windows(texts, max_k)
    hashes = window_hashes(texts, max_k)
    return [(k, hashes[k - 1][:last - start], fresh[k - 1][:last - start].astype(CACHE_DTYPE))
            for k in range(1, max_k + 1) if len(hashes[k - 1])]


def align_pair(store: Store, encoder: Encoder, name: str, params: AlignParams,
               write_cache: bool = False) -> PairResult:
    """Align one pair from the store, encoding only the windows its embedding cache lacks. Never raises for a
    problem of the pair's own (undecodable or empty file, unsupported language): the result carries the error.

    write_cache: cache the new vectors of a long document as they come (in the writer's own process) instead of
    returning them; that holds less in memory, and an interrupt keeps what was encoded."""
    from .pipeline import align_documents

    try:
        p = store.pair(name)
    except StoreError as exc:  # removed (`aligner remove`) since the batch began: _commit skips it
        return PairResult(name, 0, 0, 0, model=encoder.name, error=str(exc))
    result = PairResult(name, p.src_doc, p.tgt_doc, p.n_src + p.n_tgt, model=encoder.name)
    computed = []

    def sink(batch: list[tuple[int, list[str], np.ndarray]]) -> None:
        with store.transaction():
            for k, hashes, vectors in batch:
                store.store_windows(encoder.name, k, hashes, vectors)
        computed.append(sum(len(h) for _, h, _ in batch))

    t0 = time.perf_counter()
    try:
        src, tgt = store.document(p.src_doc), store.document(p.tgt_doc)
        check_language(encoder, src.lang, src.path)
        check_language(encoder, tgt.lang, tgt.path)
        result.doubts = [d for doc, doc_id in ((src, p.src_doc), (tgt, p.tgt_doc))
                         for d in doubts(doc, doc.path, doc.lang, bool(store.document_info(doc_id)["presegmented"]),
                                         encoder.name)]
        # a long document's vectors go to the cache as they come; a short one's with the pair (one commit)
        ws, new_s, cached_s = embed_cached(store, encoder, src.texts, params.max_side,
                                           sink=sink if write_cache and len(src) > CHUNK else None)
        wt, new_t, cached_t = embed_cached(store, encoder, tgt.texts, params.max_side,
                                           sink=sink if write_cache and len(tgt) > CHUNK else None)
        t1 = time.perf_counter()
        result.alignment = align_documents(src, tgt, encoder, params, windows=(ws, wt))
        t2 = time.perf_counter()
    except EncoderUnavailable as exc:
        result.error, result.fatal = str(exc), True
        return result
    except AlignerError as exc:
        result.error = str(exc)
        return result
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the batch: the pair fails, with the trace
        result.error = f"internal error: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}"
        return result
    result.windows = new_s + new_t
    result.figures = {"embed_s": round(t1 - t0, 3), "align_s": round(t2 - t1, 3),
                      "windows_cached": cached_s + cached_t,
                      "windows_computed": sum(len(h) for _, h, _ in result.windows) + sum(computed)}
    try:
        from .flags import derive_flags

        result.flags = [f.to_dict() for f in derive_flags(result.alignment, src, tgt, ws[0], wt[0])]
    except Exception as exc:  # noqa: BLE001 - flags are advice: the alignment stands, the summary says so
        result.figures["flags_error"] = f"{type(exc).__name__}: {exc}"
    result.figures["flags_s"] = round(time.perf_counter() - t2, 3)
    return result


def embed_cached(store: Store, encoder: Encoder, texts: Sequence[str], max_k: int, chunk: int = CHUNK,
                 sink: Callable[[list], None] | None = None):
    """Window vectors of a document for k = 1..max_k, CACHE_DTYPE (n-k+1, d) each (the aligner computes in
    float32 a chunk at a time; float16 halves the memory of a long document), encoding only the windows the
    cache lacks, in runs of at most `chunk` sentences. Returns (windows, new [(k, hashes, vectors)], cached count);
    with a `sink`, each run's new vectors go to sink([(k, hashes, vectors)]) at once instead (`new` stays empty).

    Fresh vectors are rounded to the cache's precision, so an alignment does not depend on what was cached.
    """
    hashes = window_hashes(texts, max_k)
    cached = [store.cached_windows(encoder.name, k, hashes[k - 1], CACHE_DTYPE) for k in range(1, max_k + 1)]
    out = [vecs for vecs, _ in cached]
    missing = [~found for _, found in cached]
    new: list = []
    for start, stop, last in encode_spans(missing, max_k, chunk):
        fresh = encoder.encode_windows(list(texts[start:stop]), max_k)
        batch = []
        for k in range(1, max_k + 1):
            rows = np.flatnonzero(missing[k - 1][start:last])
            if not len(rows):
                continue
            vectors = fresh[k - 1][rows].astype(CACHE_DTYPE)
            if out[k - 1] is None:
                out[k - 1] = np.zeros((len(hashes[k - 1]), vectors.shape[1]), CACHE_DTYPE)
            out[k - 1][start + rows] = vectors
            batch.append((k, [hashes[k - 1][start + i] for i in rows], vectors))
        if sink:
            sink(batch)
        else:
            new += batch
    dim = next(w.shape[1] for w in out if w is not None)
    out = [w if w is not None else np.zeros((0, dim), CACHE_DTYPE) for w in out]
    return out, new, int(sum(int(f.sum()) for _, f in cached))


def encode_spans(missing: list[np.ndarray], max_k: int, chunk: int) -> list[tuple[int, int, int]]:
    """Where to run the encoder so that every missing window is computed: (start, stop, last) means encode
    sentences start..stop-1 and keep the windows that begin before `last`.

    missing[k-1]: bool (n-k+1,), the windows of k sentences the cache lacks. Each maximal run of sentences
    touched by a missing window is cut into pieces of `chunk` window starts, each with the max_k-1 sentences
    that the windows of its last starts reach into.
    """
    n = len(missing[0])
    delta = np.zeros(n + 1, np.int64)
    starts = np.zeros(n, bool)
    for k, m in enumerate(missing, 1):
        idx = np.flatnonzero(m)
        np.add.at(delta, idx, 1)
        np.add.at(delta, idx + k, -1)
        starts[idx] = True
    touched = np.concatenate([[False], np.cumsum(delta[:n]) > 0, [False]])
    edges = np.flatnonzero(touched[1:] != touched[:-1])
    out = []
    for a, b in zip(edges[0::2].tolist(), edges[1::2].tolist()):
        for c in range(a, b, chunk):
            last = min(c + chunk, b)
            if starts[c:last].any():
                out.append((c, min(last + max_k - 1, b), last))
    return out
