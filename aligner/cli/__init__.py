"""The command line: a thin click layer over the library. Each command parses, calls one library function, and
turns a library error into a message (exit 1); bad usage exits 2. One module per group of commands."""

from __future__ import annotations

import click

from ..errors import AlignerError


class AlignerGroup(click.Group):
    """Turns library errors into one-line messages instead of tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except AlignerError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=AlignerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aligner")
def cli():
    """Align Spanish originals with their English adaptations, review them, export TMX."""


def _register():
    from . import core  # noqa: F401  (each module adds its commands to `cli`)

    for name in ("corpus", "project", "export", "review", "flags"):
        try:
            __import__(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise


_register()


def main():
    cli(prog_name="aligner")
