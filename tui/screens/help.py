"""The help screen: every key of the screen it was opened from, generated from the live bindings so it cannot
drift from what the keys do."""

from __future__ import annotations

from itertools import groupby
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

TEXTUAL_KEYS = {"command_palette", "quit", "app.focus_next", "app.focus_previous", "focus_next", "focus_previous"}
SECTIONS = {"move": "Move", "find": "Find", "edit": "Edit", "flag": "Flag and note", "pair": "Pairs and files",
            "app": "App"}


def key_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(section, keys, description) for every binding active on `screen`, in section order.

    Keys of one action are joined, and so are the next / previous keys of a binding group; the description is
    the binding's tooltip (its full text) when it has one.
    """
    rows: dict[tuple[str, str], list[str]] = {}
    for active in screen.active_bindings.values():
        b: Binding = active.binding
        if not b.description or b.system or (b.id is None and b.action not in TEXTUAL_KEYS):
            continue  # the scrolling keys of Textual's own widgets are not this app's keys
        section = SECTIONS.get((b.id or "app").split(".")[0], "App")
        what = f"Next / previous {b.group.description}" if b.group else (b.tooltip or b.description)
        shown = b.key_display or screen.app.get_key_display(b)
        keys = rows.setdefault((section, what), [])
        if shown not in keys:
            keys.append(shown)
    rank = {name: n for n, name in enumerate(SECTIONS.values())}
    order = sorted(rows, key=lambda ident: rank.get(ident[0], 99))
    return [(section, " ".join(rows[(section, what)]), what) for section, what in order]


class HelpScreen(ModalScreen[None]):
    """Keys of the screen below, by section; escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close help", id="app.close-help")]

    def __init__(self, rows: list[tuple[str, str, str]], title: str) -> None:
        super().__init__()
        self.rows, self.title_text = rows, title

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(f"[b]{self.title_text}[/b]  (escape closes; ctrl+p finds any action by name)",
                         classes="help-title")
            for section, rows in groupby(self.rows, key=lambda r: r[0]):
                table = Table.grid(padding=(0, 2))
                table.add_column(justify="right", width=14, style="bold")
                table.add_column()
                for _, keys, what in rows:
                    table.add_row(Text(keys, style="bold"), what)
                yield Static(Text(section, style="bold underline"), classes="help-section-title")
                yield Static(table, classes="help-section")
        yield Footer()
