"""`aligner review`: open the review app. Textual is imported only when this command runs.

The command lives here, with the app, and reaches the `aligner` command line through the `aligner.commands` entry
point (pyproject.toml), so that the library never imports the UI.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("name", required=False)
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), default="aligner.db",
              envvar="ALIGNER_DB", show_default=True, show_envvar=True, help="Project database.")
@click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default="corpus", show_default=True,
              help="Folder to import from (es/, en/) when the database does not exist yet.")
@click.option("--model", help="Encoder of that first import, and of `a` (align a pair again): 'use-multilingual' "
                                "(bundled) or 'st:<name or local path>' [default: the pair's own model; "
                                "use-multilingual for a new project].")
def review(name, db, corpus, model):
    """Review and fix alignments from the keyboard; open pair NAME directly if given."""
    if model:  # a model that cannot be loaded is said here, not after the import in the app
        from aligner.embed import get_encoder
        from aligner.errors import AlignerError

        try:
            encoder = get_encoder(model)
            if check := getattr(encoder, "check", None):
                check()
        except AlignerError as exc:
            raise click.ClickException(str(exc)) from None
        model = encoder.name
    if name and db.is_file():  # a typo in NAME is said here, with the pairs there are, not in an empty app
        from aligner.errors import StoreBusy, StoreError
        from aligner.store import Store

        try:
            with Store.open(db, readonly=True) as store:
                store.pair(name)  # "no pair named 'X' (pairs: ...)"
        except StoreBusy:
            pass  # the app waits and says so itself
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
    from .app import create_app

    app = create_app(db, name, corpus, model=model)
    app.run()
    if app.quit_note:
        click.echo(app.quit_note.rstrip(), err=True)
    if app.return_code:
        raise SystemExit(app.return_code)
