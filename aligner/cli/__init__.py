"""The command line: a thin click layer over the library. Each command parses, calls one library function, and
turns a library error into a message (exit 1); bad usage exits 2. One module per group of commands."""

from __future__ import annotations

import click

from ..errors import AlignerError


class AlignerGroup(click.Group):
    """Turns library errors into one-line messages instead of tracebacks, and adds the commands that other
    packages declare under the `aligner.commands` entry point (the review app's `review`), loaded only when run
    or listed, so the library imports no UI."""

    def _plugins(self) -> dict:
        from importlib.metadata import entry_points

        return {ep.name: ep for ep in entry_points(group="aligner.commands")}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is None and (ep := self._plugins().get(name)) is not None:
            command = ep.load()
        return command

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


from . import core, corpus, export, flags, project  # noqa: E402, F401  (each module adds its commands to `cli`)


def main():
    cli(prog_name="aligner")
