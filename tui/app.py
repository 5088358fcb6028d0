"""The review app: owns the project store and the pair under review; screens ask it to open, edit, align and
export. Slow work runs in thread workers that only post messages (tui.messages)."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.screen import Screen

from aligner.edits import Edit, EditError, realign
from aligner.errors import AlignerError, StaleAlignment, StoreBusy
from aligner.models import Alignment

from . import jobs, nav, reflag
from .messages import JobDone, Progress, Realigned, Reflagged
from .screens.help import HelpScreen, key_rows
from .screens.modals import ConfirmModal, ProgressModal, PromptModal
from .screens.project import ProjectScreen
from .screens.review import ReviewScreen
from .session import PairSession, migrate_cursor_file, summarize_pairs



# The notices Textual itself gives, in markup (App.action_help_quit, the screenshot command): shown as markup.
_TEXTUAL_NOTICE = re.compile(r"Press \[b\][^\[\]]+\[/b\] to quit the app|Saved screenshot to \[\$text-success\][^\[\]]*")


class Reporter:
    """Progress callback handed to a thread worker: it only posts messages to the app."""

    def __init__(self, app: App, job: str) -> None:
        self.app, self.job = app, job

    def __call__(self, done: int, total: int | None, what: str = "") -> None:
        self.app.post_message(Progress(self.job, done, total, what))

    def finish(self, error: str | None = None, note: str = "") -> None:
        self.app.post_message(JobDone(self.job, error, note))


class ReviewApp(App):
    """aligner review: check and fix alignments from the keyboard, every edit saved as it happens."""

    CSS_PATH = "app.tcss"
    TITLE = "aligner review"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit", priority=True),
    ]

    def __init__(self, db_path: str | Path, pair: str | None = None, corpus: str | Path | None = None,
                 encoder_factory: jobs.EncoderFactory | None = None, model: str | None = None) -> None:
        super().__init__()
        self.db_path, self.start_pair = Path(db_path), pair
        self.corpus = Path(corpus) if corpus is not None else None
        self.encoder_factory = encoder_factory
        self.model = model  # `review --model`: the import's and `a`'s encoder (None: each pair keeps its own)
        self.store = None
        self.session: PairSession | None = None
        self._cursor_timer = None
        self._reflag_timer = None
        self._due: dict[str, PairSession] = {}  # pairs whose flags are due, by name: the open one, and any left
        self._reflagging: PairSession | None = None  # the pair whose flags a worker is deriving
        self.quit_note = ""  # said on the terminal after the app has gone
        self._busy = False  # a write gave up waiting for another process's lock, and none has succeeded since
        self._quitting = False  # quit asked while flags were due: the app exits once they are saved
        self._help_rows: dict[str, list] = {}  # the rows of each help screen installed
        self.project = ProjectScreen()
        self.review = ReviewScreen()

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Every notice of ours as plain text: they carry file and pair names, notes and errors, and Textual read
        '[/b]' in one as a closing tag (the app crashed) and '[draft]' as a style (the word vanished). Screens
        pass markup=True whatever they are given, so the choice is made here; Textual's own few notices (ctrl+c:
        "Press [b]ctrl+q[/b] to quit") keep their markup."""
        own = markup and _TEXTUAL_NOTICE.fullmatch(message) is not None
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=own)

    # --- start and stop -----------------------------------------------------------------------------------

    async def on_mount(self) -> None:
        self.install_screen(self.review, "review")  # kept when popped: its laid-out rows make reopening quick
        await self.push_screen(self.project)
        if not self.db_path.exists() and self.corpus is not None and self.corpus.is_dir():
            question = (f"There is no project database at {self.db_path} yet.\nImport the document pairs in "
                        f"{self.corpus}/ and align them now?")
            self.push_screen(ConfirmModal(question), self._import_answer)
        else:
            await self._open_store()

    def _import_answer(self, yes: bool | None) -> None:
        if not yes:
            self.exit(message="nothing to review: no project database", return_code=1)
            return
        self.push_screen(ProgressModal(f"Importing and aligning {self.corpus}/"))
        self._import_worker()

    @work(thread=True, exclusive=True, group="import")
    def _import_worker(self) -> None:
        jobs.import_corpus(self.db_path, self.corpus, Reporter(self, "import"), self.encoder_factory, self.model)

    async def _open_store(self) -> None:
        from aligner.store import Store

        try:
            self.store = Store.open(self.db_path, create=False)
        except AlignerError as exc:
            self.exit(message=str(exc), return_code=1)
            return
        try:
            migrate_cursor_file(self.store, self.db_path)
        except AlignerError as exc:
            self.notify(f"cursor positions of the older version not kept: {exc}", severity="warning")
        self.refresh_project()
        if self.start_pair:
            await self.open_pair(self.start_pair)

    def on_unmount(self) -> None:
        if self.store is not None:
            self._save_cursor()
            self._reflag_now()
            self.store.close()

    async def action_quit(self) -> None:
        """Quit. Flags due after the last edits are derived first, in the background and said so (on_unmount
        did it in a silent pause of a second or two); asked again meanwhile, it quits at once (they are then
        derived in the foreground on the way out)."""
        if self.reflag_pending and not self._quitting:
            self._quitting = True
            self.notify("saving the flags of your last edits, then quitting (press again to quit now)", timeout=10)
            self._flush_reflag()
            return
        self.exit()

    def refresh_project(self) -> None:
        self.project.show_pairs(f"[b]{escape(str(self.db_path))}[/b]  project", summarize_pairs(self.store))

    # --- pairs --------------------------------------------------------------------------------------------

    async def open_pair(self, name: str) -> None:
        """Open `name` for review where the editor last left it."""
        self._save_cursor()  # of the pair on screen, first: reopening it (reloaded) reads the cursor just saved
        try:
            session = PairSession.open(self.store, name)
        except AlignerError as exc:
            self.notify(str(exc), severity="error", timeout=6)
            return
        if not session.alignment.beads:
            self.notify(f"{name}: nothing to review", severity="warning")
            return
        if stale := self.store.pair(name).stale_note("re-align it with a on the project screen"):
            self.notify(stale, severity="warning", timeout=10)
        at = session.cursor  # mounting the grid reports its initial cursor, which must not overwrite this
        self._flush_reflag()
        self.session = session
        if self.screen is not self.review:
            await self.push_screen(self.review)
        self.review.load(at)
        self.call_after_refresh(_settle_heap)

    async def open_neighbour(self, step: int) -> None:
        """The next (step 1) or previous pair in the order the project screen lists them, sorted and filtered
        (the pair on screen counts even when the filter hides it); pairs not aligned are skipped."""
        aligned = {p.name for p in self.store.pairs() if p.run_id is not None}
        names = [r.name for r in self.project.shown() if r.name in aligned] if self.project.rows else sorted(aligned)
        if self.session.name not in names:
            names = sorted({*names, self.session.name}, key=lambda n: names.index(n) if n in names else -1)
        k = names.index(self.session.name) + step
        if 0 <= k < len(names):
            await self.open_pair(names[k])
        else:
            self.notify("no more pairs in that direction", timeout=2)

    def remember_cursor(self, k: int) -> None:
        """Note where the editor is; saved in the store a second after it moves, so a killed app loses at most
        that, and a held-down arrow key costs one write."""
        if self.session is not None:
            self.session.cursor = k
            if self._cursor_timer is None:
                self._cursor_timer = self.set_timer(1.0, self._save_cursor)

    def _save_cursor(self) -> None:
        if self._cursor_timer is not None:
            self._cursor_timer.stop()
        self._cursor_timer = None
        if self.session is None:
            return
        if self._busy and self.store.busy():  # tried again later, rather than freezing the app while it waits
            self._cursor_timer = self.set_timer(1.0, self._save_cursor)
            return
        try:
            self.session.save_cursor()
        except AlignerError as exc:  # a lost cursor position only costs a scroll next time
            self._busy = isinstance(exc, StoreBusy)
            self.notify(f"cursor position not saved: {exc}", severity="warning", timeout=4)

    def leave_pair(self) -> None:
        self._save_cursor()
        self._flush_reflag()
        self.pop_screen()
        self.refresh_project()
        if self.session is not None:  # the pair reviewed last (after ] and [ too), not the one opened first
            self.project.highlight(self.session.name)

    # --- edits --------------------------------------------------------------------------------------------

    def commit(self, edit: Edit, flag: tuple[str, str] | None = None) -> bool:
        """Save one edit in its own transaction, then show it; whether it was saved."""
        before, changed = self.session.alignment, []
        if not self.saving(lambda: changed.append(self.session.apply(edit)) if flag is None
                           else self.session.add_flag(edit, *flag)):
            return False
        if changed == [False] and not edit.op.startswith(("confirm", "unconfirm")):
            self.notify(f"nothing to change here ({edit.op.replace('_', ' ')})", timeout=3)  # not a silent key
            return False
        self._edited(before, edit.cursor)
        return True

    def undo(self) -> None:
        self._step(self.session.undo, "nothing to undo")

    def redo(self) -> None:
        self._step(self.session.redo, "nothing to redo")

    def _step(self, fn: Callable[[], tuple | None], nothing: str) -> None:
        before, step = self.session.alignment, []
        if self.saving(lambda: step.append(fn())):
            self._show_step(before, step[0], nothing)

    def saving(self, write: Callable[[], object]) -> bool:
        """Run one write of the editor's; on a library error say "not saved" and why, and return False. Once a
        write gave up waiting for another process's lock, the next ones are refused at once while that process
        still holds it, instead of each key freezing the app for the store's whole timeout."""
        if self._busy and self.store.busy():
            self.notify("not saved: the project is still busy: another process (a batch run?) is writing to it; "
                        "try again when it is done", severity="error", timeout=4)
            return False
        try:
            write()
        except StaleAlignment:  # another process re-aligned or edited the pair: show what it saved
            self._busy = False
            self.call_later(self._reload_pair, self.session.name)
            return False
        except AlignerError as exc:
            self._busy = isinstance(exc, StoreBusy)
            self.notify(f"not saved: {exc}", severity="error", timeout=8)
            return False
        self._busy = False
        return True

    async def _reload_pair(self, name: str) -> None:
        await self.open_pair(name)
        self.notify(f"{name}: aligned again or edited in another process meanwhile; this is what it saved (your "
                    f"last key was not applied: press it again if it still applies)", severity="warning", timeout=10)

    def _show_step(self, before: Alignment, step: tuple[int, tuple[int, int, int]] | None, nothing: str) -> None:
        if step is None:
            self.notify(nothing, timeout=2)
        else:
            self._edited(before, *step)

    def _edited(self, before: Alignment, cursor: int, stretch: tuple[int, int, int] | None = None) -> None:
        """Show the session's alignment after an edit of `before`; derive its flags again if sentences moved."""
        after = self.session.alignment
        stretch = stretch or nav.changed_stretch(before, after)
        if nav.links_changed(before, after, stretch):
            self.reflag()
        self.review.refresh_view(cursor, stretch)

    # --- flags derived again after edits ------------------------------------------------------------------

    REFLAG_DELAY = 0.3  # seconds without edits before the flags are derived again (a burst of edits costs one)

    def reflag(self) -> None:
        """Derive the current pair's flags again from its cached sentence vectors, in a thread worker once the
        edits pause (a 5,000-bead pair takes about a second of CPU), keeping review statuses and editor flags."""
        s = self.session
        if s is None or (s.stale and s.vectors is None):  # vectors missing: said so once, not tried again
            return
        self._due[s.name] = s
        if self._reflag_timer is not None:
            self._reflag_timer.stop()
        self._reflag_timer = self.set_timer(self.REFLAG_DELAY, self._start_reflag)

    @property
    def reflag_pending(self) -> bool:
        return bool(self._due) or self._reflagging is not None

    def _start_reflag(self) -> None:
        """Start the derivation of the next pair due (pairs the editor left first), unless one is under way: its
        end starts the next."""
        self._reflag_timer = None
        if self._reflagging is not None or not self._due:
            return
        name = next((n for n in self._due if self.session is None or n != self.session.name), None)
        s = self._due.pop(name if name is not None else next(iter(self._due)))
        self._reflagging = s
        self._reflag_worker(s, s.alignment, list(s.flags), s.vectors)

    def _flush_reflag(self) -> None:
        """Leaving a pair whose flags are due: derive them now rather than after the pause."""
        if self._due:
            if self._reflag_timer is not None:
                self._reflag_timer.stop()
                self._reflag_timer = None
            self._start_reflag()

    def _reflag_now(self) -> None:
        """On quitting with flags due or under way: derive them here, in the foreground (a second for a
        5,000-bead pair), so the database never keeps flags of an alignment it no longer has."""
        due = list(self._due.values()) + ([self._reflagging] if self._reflagging is not None else [])
        self._due.clear()
        for s in {id(s): s for s in due}.values():
            try:
                vectors = s.vectors or reflag.cached_vectors(self.store, s.name, s.src, s.tgt)
                s.save_derived(reflag.rederive(list(s.flags), s.alignment, s.src, s.tgt, vectors))
            except StaleAlignment:
                pass  # aligned again by another process: the new run has flags of its own
            except AlignerError as exc:  # flags are advice: the edits are saved; say why they are not
                self.quit_note += f"{s.name}: {exc} (`aligner flags {s.name} --recompute` derives them again)\n"

    @work(thread=True, group="reflag")
    def _reflag_worker(self, session: PairSession, alignment, previous: list[dict], vectors) -> None:
        from aligner.store import Store

        try:
            if vectors is None:
                with Store.open(self.db_path, readonly=True) as store:
                    vectors = reflag.cached_vectors(store, session.name, session.src, session.tgt)
            flags = reflag.rederive(previous, alignment, session.src, session.tgt, vectors)
        # flags are advice: the edit is saved whatever happens here, and the editor is told why they are stale
        except Exception as exc:  # noqa: BLE001
            error = str(exc) if isinstance(exc, AlignerError) else f"flags not refreshed: {type(exc).__name__}: {exc}"
            self.post_message(Reflagged(session, alignment, None, vectors, error))
            return
        self.post_message(Reflagged(session, alignment, flags, vectors))

    @on(Reflagged)
    def _reflagged(self, message: Reflagged) -> None:
        self._reflagging = None
        s = message.session  # the pair open now, or one the editor left meanwhile
        s.vectors = message.vectors
        if message.error:
            s.stale = message.error
            self.notify(message.error, severity="warning", timeout=10)
        elif s.alignment is message.alignment:  # else edited meanwhile: the next derivation is due
            try:
                s.save_derived(message.flags)  # the store keeps decisions made meanwhile (y, d) by key
            except StaleAlignment:
                pass  # aligned again by another process: the new run has flags of its own
            except AlignerError as exc:
                s.stale = f"flags not saved: {exc}"
                self.notify(s.stale, severity="error", timeout=10)
        if self._quitting and s.stale:  # said on the terminal too: the app is about to go
            self.quit_note += f"{s.name}: {s.stale} (`aligner flags {s.name} --recompute` derives them again)\n"
        current = self.session
        if current is not None and current is not s and current.name == s.name and not message.error:
            current.flags = self.store.flag_records(s.name)  # the pair was opened again meanwhile
        if current is not None and current.name == s.name:
            self.review.refresh_flags()
        elif self.screen is self.project:
            self.refresh_project()
        if self._due and self._reflag_timer is None:
            self._start_reflag()
        if self._quitting and not self.reflag_pending:
            self.exit()

    def realign(self, cursor: int) -> None:
        self._realign_worker(self.session, cursor)

    @work(thread=True, exclusive=True, group="realign")
    def _realign_worker(self, session: PairSession, cursor: int) -> None:
        from aligner.batch import EncoderSpec, pair_model

        base = session.alignment
        try:
            encoder = (self.encoder_factory or EncoderSpec(pair_model(session.store.pair(session.name))))()
            align = jobs.stretch_aligner(session.store, encoder, base.meta.get("params"), (session.src, session.tgt))
            edit = realign(base, cursor, session.src, session.tgt, align)
        except (AlignerError, EditError) as exc:
            self.post_message(JobDone("realign", str(exc)))
            return
        self.post_message(Realigned(session.name, base, edit))

    @on(Realigned)
    def _realigned(self, message: Realigned) -> None:
        if self.session is None or self.session.name != message.name:
            return
        if self.session.alignment is not message.base:  # edited meanwhile: applying it would undo those edits
            self.notify("the pair changed while it was being re-aligned; nothing saved, press r again",
                        severity="warning", timeout=6)
            return
        if [(b.src, b.tgt, b.status) for b in message.edit.alignment.beads] == \
                [(b.src, b.tgt, b.status) for b in message.base.beads]:
            self.notify("re-aligned: the aligner finds the same beads", timeout=3)
            return
        if self.commit(message.edit):
            self.notify(f"re-aligned: {message.edit.detail['beads']} beads", timeout=3)

    # --- slow jobs on the project screen ------------------------------------------------------------------

    def align_pair(self, name: str) -> None:
        self.project.show_progress(f"aligning {name}", 0, None)
        self._align_worker(name)

    @work(thread=True, exclusive=True, group="align")
    def _align_worker(self, name: str) -> None:
        jobs.align_pair(self.db_path, name, Reporter(self, "align"), self.encoder_factory, self.model)

    async def export_tmx(self, name: str | None) -> None:
        default = str(Path.cwd() / f"{name or self.db_path.stem}.tmx")
        what = f"pair {name}" if name else "the whole project"

        def chosen(path: str | None) -> None:
            if not path:
                return
            target = Path(path).expanduser()
            try:
                self.store.guard_output(target)  # the project or one of its documents: refused, not asked about
            except AlignerError as exc:
                self.notify(f"export failed: {exc}", title="export", severity="error", timeout=10)
                return
            if target.is_file():  # asked first: a memory written earlier, maybe edited since in a CAT tool
                self.push_screen(ConfirmModal(f"{target} exists. Replace it?"),
                                 lambda yes: self._export_worker(name, target) if yes else None)
            else:
                self._export_worker(name, target)

        await self.push_screen(PromptModal(f"Export {what} to TMX file", "file.tmx", default), chosen)

    @work(thread=True, exclusive=True, group="export")
    def _export_worker(self, name: str | None, path: Path) -> None:
        jobs.export_tmx(self.db_path, name, path, Reporter(self, "export"))

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        if isinstance(self.screen, ProgressModal):
            self.screen.advance(message.done, message.total, message.what)
        else:
            self.project.show_progress(f"{message.job}: {message.what}", message.done, message.total)

    @on(JobDone)
    async def _job_done(self, message: JobDone) -> None:
        if isinstance(self.screen, ProgressModal):
            self.pop_screen()
        self.project.hide_progress()
        if message.error:
            self.notify(message.error, title=f"{message.job} failed", severity="error", timeout=10)
        if message.job == "import" and message.note:  # files left unpaired or not read: said, and kept in view
            self.notify(message.note, title="import: files skipped or in doubt", severity="warning", timeout=20)
        elif not message.error and (message.note or message.job == "align"):
            self.notify(message.note or "aligned", title=message.job, timeout=5)
        if message.job == "import" and self.store is None:
            if message.error and not self.db_path.exists():  # nothing imported, and no project left
                self.exit(message=message.error, return_code=1)
                return
            await self._open_store()
        elif message.job == "align" and self.store is not None:
            self.refresh_project()
            s = self.session  # the pair on screen was re-aligned meanwhile: its edits would all be refused
            if s is not None and self.screen is self.review and \
                    self.store.pair(s.name).run_id != s.alignment.meta.get("run_id"):
                await self.open_pair(s.name)
                self.notify(f"{s.name}: re-aligned; this is the new alignment", timeout=5)

    # --- help and the command palette ---------------------------------------------------------------------

    async def action_help(self) -> None:
        """The keys of the screen on top. Each help screen is built once and kept (installed) while its keys stay
        the same: building it took 150-200 ms every time."""
        if isinstance(self.screen, HelpScreen):
            return
        name, title = ("help-review", "Review keys") if self.screen is self.review else ("help-project", "Project keys")
        rows = key_rows(self.screen)
        if self._help_rows.get(name) != rows:
            if name in self._help_rows:
                self.uninstall_screen(name)
            self.install_screen(HelpScreen(rows, title), name)
            self._help_rows[name] = rows
        await self.push_screen(name)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every described key of the current screen as a palette command, then Textual's own."""
        seen = set()
        for active in screen.active_bindings.values():
            b = active.binding
            if b.description and b.action not in seen and active.enabled:
                seen.add(b.action)
                yield SystemCommand(b.tooltip or b.description, f"key: {self.get_key_display(b)}",
                                    partial(self.run_action, b.action, active.node))
        yield from super().get_system_commands(screen)


def create_app(db_path: str | Path, pair: str | None = None, corpus: str | Path | None = "corpus",
               encoder_factory: jobs.EncoderFactory | None = None, model: str | None = None) -> ReviewApp:
    """The one way to build the app, for the command line and for tests (which pass a small encoder). model: the
    encoder of the first import and of `a` (re-align a pair); None: the default for a new pair, else the pair's."""
    return ReviewApp(db_path, pair, corpus, encoder_factory, model)


def _settle_heap() -> None:
    """Once a pair is on screen: collect what the pair left before it and freeze the rest, the new pair's beads,
    rows and texts included, out of the cyclic garbage collector's sight. Its full passes walked all of them, every
    few hundred edits, taking 150-300 ms on a key of a 5,000-bead pair (bench/tui.py, "max cpu"); now they walk
    only what was made since."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
