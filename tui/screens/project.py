"""The project screen: every document pair with its review progress; sort, filter, open, (re)align, export."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, ProgressBar, Static

from ..session import PairSummary

COLUMNS = [("pair", "name"), ("es", "n_src"), ("en", "n_tgt"), ("beads", "beads"), ("reviewed", "confirmed"),
           ("open flags", "flags"), ("doubtful", "doubtful"), ("last edit", "last_edit")]


class ProjectScreen(Screen):
    """All document pairs of the project; the app refreshes it after every change."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="pair.open", tooltip="Open the pair for review", priority=True),
        Binding("a", "align", "(Re)align", id="pair.align", tooltip="Align the pair again, in the background"),
        Binding("s", "sort(1)", "Sort", id="pair.sort", tooltip="Sort by the next column"),
        Binding("S", "reverse", "Reverse sort", show=False, id="pair.reverse", tooltip="Reverse the sort order"),
        Binding("slash", "filter", "Filter", id="pair.filter", tooltip="Filter the pairs by name"),
        Binding("e", "export(False)", "Export pair", show=False, id="pair.export",
                tooltip="Export the selected pair to TMX"),
        Binding("E", "export(True)", "Export project", id="pair.export-all", tooltip="Export every pair to TMX"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="pair.clear-filter",
                tooltip="Clear the filter"),
        Binding("q", "app.quit", "Quit", id="app.quit", tooltip="Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[PairSummary] = []
        self.sort_key, self.descending, self.text = "name", False, ""

    def compose(self) -> ComposeResult:
        yield Static("", id="project-title")
        yield Input(placeholder="filter pairs by name (enter opens the highlighted pair, the filter stays; "
                                "escape clears)", id="filter")
        yield DataTable(id="pairs", cursor_type="row", zebra_stripes=True)
        yield Label("", id="job-label", markup=False)
        yield ProgressBar(id="job-bar", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        self._fill()
        self.query_one(DataTable).focus()

    def show_pairs(self, title: str, rows: list[PairSummary]) -> None:
        self.query_one("#project-title", Static).update(title)
        self.rows = rows
        self._fill()

    def shown(self) -> list[PairSummary]:
        """The rows as the screen lists them: filtered and sorted (`]` and `[` in the review screen follow it)."""
        rows = [r for r in self.rows if self.text.lower() in r.name.lower()]
        rows.sort(key=lambda r: getattr(r, self.sort_key), reverse=self.descending)
        return rows

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        selected = self.selected()
        table.clear(columns=True)  # the header is drawn again only with new columns: the sort arrow moves
        arrow = "▼" if self.descending else "▲"
        for title, key in COLUMNS:
            table.add_column(f"{title} {arrow}" if key == self.sort_key else title, key=key)
        rows = self.shown()
        for r in rows:
            name, *figures = r.cells()
            table.add_row(escape(name), *figures, key=r.name)  # a string cell is read as markup: 'nota[/b]' broke it
        if selected in {r.name for r in rows}:
            table.move_cursor(row=table.get_row_index(selected))
        elif rows:
            table.move_cursor(row=min(keep, len(rows) - 1))

    def highlight(self, name: str) -> None:
        """Put the cursor on pair `name` when the list shows it."""
        table = self.query_one(DataTable)
        if name in {r.name for r in self.shown()}:
            table.move_cursor(row=table.get_row_index(name))

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @on(DataTable.RowSelected)
    async def _row_selected(self, event: DataTable.RowSelected) -> None:
        await self.app.open_pair(event.row_key.value)

    async def action_open(self) -> None:
        if (name := self.selected()) is not None:
            # from the filter box too (enter is a priority key): back from the pair, the keys go to the list,
            # not into the box as text
            self.query_one(DataTable).focus()
            await self.app.open_pair(name)

    def action_align(self) -> None:
        if (name := self.selected()) is not None:
            self.app.align_pair(name)

    def action_sort(self, step: int) -> None:
        keys = [k for _, k in COLUMNS]
        self.sort_key = keys[(keys.index(self.sort_key) + step) % len(keys)]
        self._fill()

    def action_reverse(self) -> None:
        self.descending = not self.descending
        self._fill()

    def action_filter(self) -> None:
        self.add_class("-filtering")
        self.query_one("#filter", Input).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.text = event.value
        self._fill()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.remove_class("-filtering")
        self.query_one(DataTable).focus()

    async def action_export(self, everything: bool) -> None:
        name = self.selected()
        if everything or name is not None:
            await self.app.export_tmx(None if everything else name)

    def show_progress(self, what: str, done: int, total: int | None) -> None:
        """Show a running job; total None is an unknown amount of work."""
        self.add_class("-busy")
        self.query_one("#job-label", Label).update(what)
        self.query_one(ProgressBar).update(total=total, progress=done)

    def hide_progress(self) -> None:
        self.remove_class("-busy")
