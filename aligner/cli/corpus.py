"""`aligner align-corpus`: the demo job on a corpus folder, with no database."""

from __future__ import annotations

from pathlib import Path

import click

from ..embed import DEFAULT_MODEL
from . import cli


@cli.command("align-corpus")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path), default="corpus")
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Encoder name.")
@click.option("--quiet", is_flag=True, help="Print only the scores, not the alignments.")
def align_corpus(root, model, quiet):
    """Align every ROOT/es/NAME.txt with ROOT/en/NAME.txt; score against ROOT/gold/NAME.txt when present."""
    from ..corpus import corpus_pairs
    from ..embed import get_encoder
    from ..evaluate import Counts, count, read_links
    from ..export import counted
    from ..pipeline import align_documents
    from ..segment import load_document
    from .core import _print_table

    pairs, unmatched = corpus_pairs(root)
    for path in unmatched:
        click.echo(f"warning: {path}: no counterpart in the other language; skipped", err=True)
    if not pairs:
        raise click.ClickException(f"{root}: no document pairs found")
    encoder = get_encoder(model)
    total = Counts()
    for pair in pairs:
        s, t = load_document(pair.src, "es"), load_document(pair.tgt, "en")
        alignment = align_documents(s, t, encoder)
        if not quiet:
            click.secho(f"\n{pair.name}: {len(s)} es / {len(t)} en sentences, {counted(len(alignment), 'bead')}",
                        bold=True)
            _print_table(alignment, s, t)
        if pair.gold:
            c = count(alignment.links(), read_links(pair.gold))
            total += c
            sc = c.scores()
            click.echo(f"{pair.name}: strict F1 {sc.strict_f1:.3f}  lax F1 {sc.lax_f1:.3f}  added P/R "
                       f"{sc.added_p:.2f}/{sc.added_r:.2f}  dropped P/R {sc.dropped_p:.2f}/{sc.dropped_r:.2f}")
    if total.docs:
        sc = total.scores()
        click.secho(f"all {counted(total.docs, 'pair')}: strict P {sc.strict_p:.3f} R {sc.strict_r:.3f} "
                    f"F1 {sc.strict_f1:.3f} | lax F1 {sc.lax_f1:.3f}", bold=True)
