"""Project commands on the SQLite store: add, align-all, status, show, report, prune."""

from __future__ import annotations

import io
import shlex
import signal
import sys
from pathlib import Path

import click

from ..align import AlignParams
from ..embed import DEFAULT_MODEL
from ..export import counted
from . import cli
from .core import lang_option, removed_if_left_empty, shown

STATUSES = ("auto", "confirmed", "edited", "flagged")


def db_option(f):
    return click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default="aligner.db",
                        envvar="ALIGNER_DB", show_default=True, show_envvar=True,
                        help="The project database.")(f)


BATCH_TIMEOUT = 60.0  # seconds add and align-all wait for another process writing to the project


def _open(db: Path, create: bool = False, timeout: float = 10.0):
    from ..store import Store

    return Store.open(db, timeout, create=create)


def not_aligned(store, info) -> str:
    """Why pair `info` has no alignment, and what to do: a file that could not be read or segmented must be
    fixed and imported again (aligning it again would fail again); other failures and new pairs call for
    `align-all`."""
    if not info.error:
        from ..batch import batch_running

        if (pid := batch_running(store.path)) is not None:  # nothing to run: it is on its way
            return (f"{info.name}: not aligned yet ({info.status.value}); `aligner align-all` is running on this "
                    f"project now{f' (process {pid})' if pid else ''}: once it is done, this pair is aligned if it "
                    "was among its pairs, else `aligner align-all` aligns it")
        return f"{info.name}: not aligned yet ({info.status.value}); run `aligner align-all`"
    broken = _broken(store, info)
    advice = (f"fix the file{'s' if len(broken) > 1 else ''}, then run `aligner add` again and `aligner align-all`"
              if broken else f"run `aligner align-all {info.name}` again once the cause is fixed")
    return f"{info.name}: alignment failed: {info.error}\n{advice}"


def warn_if_stale(info) -> None:
    """Say on stderr when pair `info`'s files were imported again since its alignment was made: what is shown or
    exported is the aligned version of the text, with its review, not the new files."""
    if info.stale:
        click.echo(f"note: {info.stale_note()}", err=True)


@cli.command()
@click.argument("corpus", type=click.Path(exists=True, path_type=Path))
@db_option
@lang_option("--src-lang", "es", help="Source language (and folder).")
@lang_option("--tgt-lang", "en", help="Target language (and folder).")
@click.option("--presegmented", is_flag=True, help="Files are one sentence per line.")
def add(corpus, db, src_lang, tgt_lang, presegmented):
    """Import the articles of CORPUS: CORPUS/es/NAME.* with CORPUS/en/NAME.* (the folders are named by --src-lang
    and --tgt-lang), paired by name, or the pairs CORPUS/pairs.csv lists (columns name,src,tgt and optionally
    src_lang,tgt_lang; commas, semicolons or tabs). A changed file becomes a new version of its pair; hidden
    files and editors' backups (a.txt~, a.txt.bak) are ignored. Exits 1 when a file could not be imported
    (unreadable, empty, binary, two files of one name, a bad pairs.csv row); the others are imported all the
    same. A file with no counterpart is only a warning."""
    from ..batch import import_corpus

    with removed_if_left_empty(db):
        with _open(db, create=True, timeout=BATCH_TIMEOUT) as store:
            if store.busy():
                click.echo(f"{db}: another process is writing to the project; waiting for it (up to "
                           f"{BATCH_TIMEOUT:g} s)", err=True)
            report = import_corpus(store, corpus, src_lang, tgt_lang, presegmented)
        for level, line in report.said(corpus):
            click.echo(f"{level}: {line}", err=True)
        if not (report.added or report.changed or report.unchanged):
            raise click.ClickException(f"{corpus}: no document pairs found")
    for label, names in (("added", report.added), ("changed", report.changed)):
        if names:
            click.echo(f"{label}: {', '.join(names)}")
    click.echo(f"{db}: {counted(len(report.added), 'pair')} added, {len(report.changed)} changed, "
               f"{len(report.unchanged)} unchanged" + (f"; {counted(len(report.problems), 'problem')} (above)"
                                                       if report.problems else ""))
    if report.problems:  # a script can tell (the pairs that were read are imported)
        click.get_current_context().exit(1)


@cli.command("align-all")
@click.argument("names", nargs=-1)
@db_option
@click.option("--model", help="Encoder for every pair: 'use-multilingual' (bundled) or 'st:<name or local path>' "
                                "[default: each pair keeps the model that aligned it; use-multilingual for a new "
                                "pair].")
@click.option("--force", is_flag=True,
              help="Align every pair again, even those up to date, and the memories `import tmx` read.")
@click.option("-j", "--jobs", type=click.IntRange(1), help="Worker processes [default: one per core; one for a small batch, where a pool costs more "
                   "than it gains].")
@click.option("--threads", type=click.IntRange(1), help="BLAS threads per worker [default: cores / jobs].")
@click.option("--max-side", type=click.IntRange(1, 4),
              help=f"Most sentences on one side of a bead [default: the pair's own; {AlignParams.max_side} for a "
                   "new pair].")
@click.option("--skip", type=float,
              help="Score of leaving a sentence unaligned (added or dropped); lower makes them rarer [default: the "
                   f"pair's own; {AlignParams.skip} for a new pair].")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def align_all_cmd(ctx, names, db, model, force, jobs, threads, max_side, skip, quiet):
    """Align every pair that is new, changed or failed (or NAMES). Interrupt at will: finished pairs are saved,
    and the next run goes on with the rest. Exits 1 when a pair failed (the others are aligned all the same).

    A pair aligned before keeps its model, --max-side and --skip unless they are given: given, they align again
    every pair aligned otherwise."""
    from ..batch import align_all

    with _open(db) as store:  # a clear message for a missing or foreign file, or an unknown name, before any
        if names:             # worker starts (and before the progress bar)
            store.pairs(names)
        if store.busy():
            click.echo(f"{db}: another process is writing to the project; waiting for it (up to "
                       f"{BATCH_TIMEOUT:g} s)", err=True)
    signal.signal(signal.SIGTERM, _interrupt)
    chosen = {k: v for k, v in (("max_side", max_side), ("skip", skip)) if v is not None}
    with _ProgressBar(quiet) as bar:
        summary = align_all(db, model=model, params=chosen, jobs=jobs, threads=threads, force=force,
                            names=names or None, progress=bar.update, timeout=BATCH_TIMEOUT)
    if not model:
        for m, n in summary.models.items():
            if m != DEFAULT_MODEL:
                click.echo(f"note: {counted(n, 'pair')} {'keeps' if n == 1 else 'keep'} {m}, the model that aligned "
                           f"{'it' if n == 1 else 'them'} before (--model chooses one for all)", err=True)
    done = f"aligned {counted(len(summary.aligned), 'pair')}"
    if summary.aligned and summary.seconds and summary.sentences:
        done += (f" ({summary.sentences:,} sentences in {summary.seconds:.1f} s, "
                 f"{summary.sentences / summary.seconds:,.0f}/s; {counted(summary.workers, 'worker')})")
    click.echo(f"{done}; {summary.skipped} up to date" + (f"; {len(summary.failed)} failed" if summary.failed else ""))
    if summary.imported:
        n = len(summary.imported)
        click.echo(f"note: {n} imported memor{'y' if n == 1 else 'ies'} ({', '.join(summary.imported[:3])}"
                   f"{', ...' if n > 3 else ''}) kept as imported, with {'its' if n == 1 else 'their'} scores; "
                   f"`aligner align-all --force NAME` aligns one with the model", err=True)
    for note in summary.notes:
        click.echo(f"warning: {note}", err=True)
    for name, message in summary.warnings:
        click.echo(f"warning: {name}: {message}", err=True)
    for name, kept, before in summary.review:
        if kept < before:
            click.echo(f"note: {name}: review work kept on {kept} of the {counted(before, 'bead')} you confirmed, "
                       f"flagged or edited; the others' sentences changed, or the new alignment draws their beads "
                       f"differently", err=True)
    for name, pairs, why in summary.blocked:
        them = "it" if len(pairs) == 1 else "them"
        hint = _align_all_again(ctx, db, "--model", "MODEL", *pairs[:10]) + (" ..." if len(pairs) > 10 else "")
        click.echo(f"error: {', '.join(pairs[:10])}{', ...' if len(pairs) > 10 else ''}: left as they are: the model "
                   f"{them} {'were' if len(pairs) > 1 else 'was'} aligned (or tried) with, {name}, cannot be loaded "
                   f"now ({why}); `{hint}` aligns {them} with another", err=True)
    if summary.fatal:
        click.echo(f"error: {summary.fatal}; the batch stopped: {counted(len(summary.pending), 'pair')} not aligned",
                   err=True)
    if summary.failed:  # each error was printed as it came
        click.echo(f"{len(summary.failed)} failed: {', '.join(name for name, _ in summary.failed)}", err=True)
        if broken := _broken_files(db, [name for name, _ in summary.failed]):
            click.echo(f"{', '.join(broken)}: fix the file{'s' if len(broken) > 1 else ''}, then run `aligner add` "
                       f"again (align-all aligns a file as it was imported)", err=True)
    if summary.interrupted:
        # the same choices, or the rest would be aligned otherwise (and the others again)
        again = _align_all_again(ctx, db, *(["--model", model] if model else []),
                                 *(["--max-side", str(max_side)] if max_side is not None else []),
                                 *([f"--skip={skip!r}"] if skip is not None else []))
        if not summary.pending:
            click.echo("interrupted: nothing was left to align", err=True)
        elif force:  # up to date before --force: a plain run would take them as done
            shown = " ".join(summary.pending[:10])
            click.echo(f"interrupted: {counted(len(summary.pending), 'pair')} left; `{again} --force "
                       f"{shown}`{' ...' if len(summary.pending) > 10 else ''} finishes them (without --force, "
                       f"align-all takes those up to date as done)", err=True)
        else:
            named = shlex.join(names) if names else ""  # only the pairs asked for, not the rest of the project
            click.echo(f"interrupted: {counted(len(summary.pending), 'pair')} left; `{again}{' ' + named if named else ''}` "
                       f"finishes them", err=True)
        ctx.exit(130)
    if summary.failed or summary.blocked or summary.fatal:
        ctx.exit(1)


def _say_if_busy(store, db: Path) -> None:
    """Say that the command waits for another writer, rather than hang without a word until it fails."""
    if store.busy():
        click.echo(f"{db}: another process is writing to the project; waiting for it (up to {store.timeout:g} s)",
                   err=True)


def _align_all_again(ctx: click.Context, db: Path, *args: str) -> str:
    """An `aligner align-all` command line to run next, on the same project (--db when it was given)."""
    return shlex.join(["aligner", "align-all", *(["--db", str(db)] if _given(ctx, "db") else []), *args])


def _given(ctx: click.Context, param: str) -> bool:
    """Whether option `param` was given on the command line or by its environment variable (not defaulted)."""
    from click.core import ParameterSource

    return ctx.get_parameter_source(param) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def _broken(store, info) -> list[dict]:
    """The documents of pair `info` stored with an error (undecodable, empty, binary): fixed only by `add`."""
    return [d for d in map(store.document_info, (info.src_doc, info.tgt_doc)) if d["error"]]


def _broken_files(db: Path, names: list[str]) -> list[str]:
    """The files of pairs `names` that were imported with an error."""
    with _open(db) as store:
        return [d["path"] for name in names for d in _broken(store, store.pair(name))]


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class _ProgressBar:
    """Pairs and sentences done, rate and time left, on stderr."""

    def __init__(self, quiet: bool):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                                 console=Console(stderr=True), disable=quiet)
        self.pairs = self.sentences = None

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def update(self, event) -> None:
        if self.pairs is None:
            self.pairs = self.progress.add_task("pairs", total=event.total_pairs, rate="")
            self.sentences = self.progress.add_task("sentences", total=event.total_sentences, rate="")
        for task, done in ((self.pairs, event.done_pairs), (self.sentences, event.done_sentences)):
            self.progress.update(task, completed=done)
            speed = self.progress.tasks[task].speed
            self.progress.update(task, rate=f"{speed:,.1f}/s" if speed else "")
        if event.error:
            from rich.markup import escape

            self.progress.console.print(f"[red]failed[/red]: {escape(f'{event.pair}: {event.error.splitlines()[0]}')}",
                                        soft_wrap=True)


@cli.command()
@db_option
def status(db):
    """Pairs, sentences, beads by type and status, flags, doubtful beads and review progress of each document
    pair."""
    import polars as pl

    with _open(db) as store:
        frame = project_frame(store)
        beads = store.bead_counts()
        changed = [p.name for p in store.pairs() if p.stale]  # also a changed pair whose new files failed to align
    if frame.is_empty():
        click.echo(f"{db}: no pairs yet; import some with `aligner add CORPUS`")
        return
    shown = frame.select("pair", "status", "src", "tgt", "beads", "1-1", "null", "merged", "confirmed", "edited",
                         "flagged", pl.col("flags").alias("open flags"), "doubtful", pl.format("{}%", (100.0 * pl.col("reviewed_beads") / pl.max_horizontal(pl.col("beads"), 1)).round(0)
                                   .cast(pl.Int64))
                         .alias("reviewed"))
    with _table_config():
        click.echo(shown)
        if beads:
            kinds = (pl.DataFrame(beads).pivot("status", index="kind", values="beads", aggregate_function="sum")
                     .fill_null(0))
            kinds = kinds.select("kind", *[s for s in STATUSES if s in kinds.columns]).sort("kind")
            click.echo("beads by type and status, all pairs:")
            click.echo(kinds)
    total_beads = int(frame["beads"].sum())
    reviewed = int(frame["reviewed_beads"].sum())
    sentences = int(frame["src"].sum()) + int(frame["tgt"].sum())
    click.echo(f"{counted(frame.height, 'pair')}, {counted(sentences, 'sentence')}, {counted(total_beads, 'bead')}, "
               f"{reviewed:,} reviewed ({100 * reviewed / max(total_beads, 1):.0f}%), "
               f"{counted(int(frame['flags'].sum()), 'open flag')}")
    models = frame.filter(pl.col("beads") > 0).group_by("model").len().sort("len", "model", descending=[True, False])
    if models.height:  # the scores, flags and cached vectors are a model's; align-all keeps each pair's
        click.echo("aligned with: " + ", ".join(f"{m} ({counted(n, 'pair')})" for m, n in models.iter_rows()))
    for row in frame.filter(pl.col("error").is_not_null()).iter_rows(named=True):
        click.echo(f"failed: {row['pair']}: {row['error'].splitlines()[0]}", err=True)
    from ..batch import batch_running

    if (pid := batch_running(db)) is not None:
        click.echo(f"note: `aligner align-all` is aligning this project now{f' (process {pid})' if pid else ''}: "
                   "what it has not reached yet shows as before", err=True)
    if changed:
        click.echo(f"changed: {', '.join(changed)}: src and tgt count the sentences of the new files; the beads, "
                   "review and flags are those of the version aligned before (`aligner align-all` aligns the new "
                   "files and carries the review work over)", err=True)


def _table_config():
    import polars as pl

    return pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
                     tbl_width_chars=200, fmt_str_lengths=60)


def project_frame(store):
    """One row per pair: status, sentences, beads by type and status, open flags, review progress, error, doubtful
    beads (automatic pairs the aligner was unsure of)."""
    import polars as pl

    counts: dict[str, dict[str, int]] = {}
    for r in store.bead_counts():
        c = counts.setdefault(r["pair"], {})
        group = "1-1" if r["kind"] == "1-1" else "null" if "0" in r["kind"].split("-") else "merged"
        c[group] = c.get(group, 0) + r["beads"]
        c[r["status"]] = c.get(r["status"], 0) + r["beads"]
    flags, doubtful = store.open_flag_counts(), store.doubtful_counts()
    rows = []
    for p in store.pairs():
        c = counts.get(p.name, {})
        rows.append({"pair": p.name, "status": p.status.value, "src": p.n_src, "tgt": p.n_tgt, "beads": p.beads,
                     "1-1": c.get("1-1", 0), "null": c.get("null", 0), "merged": c.get("merged", 0),
                     **{s: c.get(s, 0) for s in STATUSES}, "flags": flags.get(p.name, 0),
                     "reviewed_beads": p.reviewed, "reviewed_pct": round(100.0 * p.reviewed / p.beads, 1) if p.beads else 0.0,
                     "model": p.model, "updated": p.updated, "src_path": p.src_path, "tgt_path": p.tgt_path,
                     "error": p.error, "doubtful": doubtful.get(p.name, 0)})
    schema = {"pair": pl.String, "status": pl.String, "src": pl.Int64, "tgt": pl.Int64, "beads": pl.Int64,
              "1-1": pl.Int64, "null": pl.Int64, "merged": pl.Int64, **{s: pl.Int64 for s in STATUSES},
              "flags": pl.Int64, "reviewed_beads": pl.Int64, "reviewed_pct": pl.Float64, "model": pl.String,
              "updated": pl.String, "src_path": pl.String, "tgt_path": pl.String, "error": pl.String,
              "doubtful": pl.Int64}  # last: a column added later, after those a script may read by position
    return pl.DataFrame(rows, schema=schema)


@cli.command()
@click.argument("name")
@db_option
@click.option("--flagged", is_flag=True, help="Only beads that are flagged or touch a flag.")
def show(name, db, flagged):
    """The alignment of pair NAME, coloured by score, with how sure the aligner was of each bead and its flags."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..flags import FlagStatus
    from ..store import is_editor, visible_flags

    with _open(db) as store:
        info = store.pair(name)
        if info.run_id is None:
            raise click.ClickException(not_aligned(store, info))
        warn_if_stale(info)
        flags = visible_flags(store.flag_records(name), store.alignment(name).beads)  # as the app shows them
        from ..export import IMPORTED_MODEL

        # the scores are the model's (and align-all keeps it): said under the table
        made = "imported from a TMX file" if info.model == IMPORTED_MODEL else f"aligned with {info.model}"
        table = Table(title=escape(f"{name}: {info.src_path} ({info.src_lang}) / {info.tgt_path} ({info.tgt_lang})"),
                      caption=escape(made), expand=True)
        for col, kw in (("#", {"justify": "right", "style": "dim"}), ("type", {}), ("score", {"justify": "right"}),
                        ("sure", {"justify": "right"}), ("status", {}), (info.src_lang, {"ratio": 1}),
                        (info.tgt_lang, {"ratio": 1}), ("flags", {})):
            table.add_column(col, no_wrap=col not in (info.src_lang, info.tgt_lang), **kw)
        for k, row in enumerate(store.iter_beads([name])):
            if flagged and not row.is_flagged:
                continue
            table.add_row(str(k + 1), row.kind, _score(row), _sure(row), row.status.value,
                          shown(row.src) or "[dim]—[/dim]", shown(row.tgt) or "[dim]—[/dim]",
                          ", ".join(row.flags), style=_row_style(row))
    console = Console()
    console.print(table)
    if flags:
        console.print(f"flags ({len(flags)}):")
        for f in flags:
            where = " / ".join(f"{side} {_ids(f[side]['sentences'])}" for side in ("src", "tgt") if f.get(side))
            status = "editor" if is_editor(f) else FlagStatus(f["status"]).word
            console.print(f"  [{'dim' if f['status'] == 'dismissed' else 'bold'}]{f['type']}[/] {where}  "
                          f"confidence {f.get('confidence', 0):.2f}  {status}  {shown(f.get('note') or '')}")
    if info.error:
        console.print(f"[red]last run failed[/red]: {escape(info.error)}")


def _score(row) -> str:
    if not row.src_ids or not row.tgt_ids or row.score == 0.0:  # 0.0: a pair an editor made, which has none
        return "[dim]-[/dim]"
    colour = "green" if row.score >= 0.7 else "yellow" if row.score >= 0.5 else "red"
    return f"[{colour}]{row.score:.2f}[/{colour}]"


def _sure(row) -> str:
    """How sure the aligner was of the bead, red when the review app calls it doubtful."""
    from ..align.posterior import is_doubtful, sure

    shown = "-" if row.confidence is None else sure(row.confidence)  # none: an editor's bead, or an older run
    doubtful = is_doubtful(row.confidence, row.status, bool(row.src_ids and row.tgt_ids), row.score)
    return f"[red]{shown}[/red]" if doubtful else (f"[dim]{shown}[/dim]" if row.confidence is None else shown)


def _row_style(row) -> str:
    if row.is_flagged:
        return "on grey23"
    return "dim" if not row.src_ids or not row.tgt_ids else ""


def _ids(ids) -> str:
    return str(ids[0]) if len(ids) == 1 else f"{ids[0]}-{ids[-1]}"


@cli.command()
@click.argument("name", required=False)
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "parquet"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (needed for parquet) instead of standard output.")
@click.option("--html", "html", type=click.Path(dir_okay=False, path_type=Path),
              help="With NAME: write a self-contained HTML page of the pair, side by side, with its flags.")
def report(name, db, fmt, output, html):
    """The figures of `status`, one row per pair, as CSV, JSON or Parquet; or, with NAME --html FILE, the
    pair's side-by-side page with every flag highlighted."""
    if html or name:
        if not name:
            raise click.UsageError("--html writes one pair's page: give the pair's NAME (`aligner report NAME --html "
                                   "FILE`; `aligner status` lists the pairs)")
        if not html:
            raise click.UsageError("report NAME writes that pair's HTML page: give --html FILE (without NAME, "
                                   "`aligner report --format csv|json|parquet` gives every pair's figures)")
        given = click.get_current_context().get_parameter_source("fmt") is not click.core.ParameterSource.DEFAULT
        if output or given:
            raise click.UsageError("NAME --html FILE writes the pair's HTML page only: -o and --format are for every "
                                   "pair's figures (`aligner report --format csv|json|parquet -o FILE`, without NAME)")
        from .flags import write_pair_report

        with _open(db) as store:
            try:
                written = write_pair_report(store, name, html)
            except OSError as exc:
                raise click.ClickException(f"{html}: cannot write ({exc.strerror or exc})") from None
        click.echo(f"wrote {written}", err=True)
        return
    with _open(db) as store:
        frame = project_frame(store)
        if output:
            store.guard_output(output)
    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet needs -o FILE")
    if not output:
        sys.stdout.write(frame.write_csv() if fmt == "csv" else frame.write_json() + "\n")
        return
    data = io.BytesIO()  # one row per pair: built in memory, so that every format fails to write alike
    {"csv": frame.write_csv, "json": frame.write_json, "parquet": frame.write_parquet}[fmt](data)
    if fmt == "json":
        data.write(b"\n")
    try:
        output.write_bytes(data.getvalue())
    except OSError as exc:
        raise click.ClickException(f"{output}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"wrote {counted(frame.height, 'pair')} to {output}", err=True)


@cli.command()
@click.argument("names", nargs=-1, required=True)
@db_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def remove(names, db, yes):
    """Remove pairs NAMES from the project, with their alignments, review work, edit history and flags (the
    files on disk are not touched; `aligner prune` then gives the space back)."""
    from ..store import remove_pairs

    with _open(db) as store:
        store.pairs(names)  # an unknown name fails before asking
        if not yes:
            question = (f"remove {counted(len(set(names)), 'pair')} ({', '.join(dict.fromkeys(names))}) and their "
                        f"review work from {db}?")
            try:
                answer = click.confirm(question, err=True)
            except click.Abort:  # no answer: stdin is not a terminal, or it ended (Ctrl-C at one: aborted)
                if sys.stdin.isatty():
                    raise
                raise click.UsageError("removing pairs asks first, and no answer came: add --yes in a script") \
                    from None
            if not answer:
                raise click.Abort()
        _say_if_busy(store, db)
        removed = remove_pairs(store, list(dict.fromkeys(names)))
    click.echo(f"removed {counted(removed['pairs'], 'pair')} ({counted(removed['runs'], 'run')}, "
               f"{counted(removed['beads'], 'bead')}, {counted(removed['edits'], 'edit')}, "
               f"{counted(removed['flags'], 'flag')}); `aligner prune` gives the space back")


@cli.command()
@db_option
@click.option("--keep-runs", type=click.IntRange(1), default=1, show_default=True, metavar="N",
              help="Runs to keep per pair, newest first; the current run is always kept.")
@click.option("--cache", is_flag=True, help="Also remove cached vectors that no pair's current documents need.")
def prune(db, keep_runs, cache):
    """Remove old runs (with their beads, edit history and flags), document versions no pair or kept run uses
    and, with --cache, unneeded cached vectors; then compact the file. Undo history of removed runs is lost."""
    from ..store import prune as prune_store

    with _open(db, timeout=60.0) as store:
        _say_if_busy(store, db)
        report = prune_store(store, keep_runs=keep_runs, cache=cache)
    for line in report.lines():
        click.echo(line)
