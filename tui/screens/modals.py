"""Small modal dialogs with typed results: yes/no, a line of text, a choice from a list, a flag with its note."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, ProgressBar
from textual.widgets.option_list import Option

from ..nav import FLAG_KINDS


class Dialog(ModalScreen):
    """A modal that answers once: a second enter typed before it has gone must not dismiss the screen below."""

    answered = False

    def answer(self, result) -> None:
        if not self.answered and self.is_current:
            self.answered = True
            self.dismiss(result)


class ConfirmModal(Dialog, ModalScreen[bool]):
    """A yes/no question; y, n and escape answer it from the keyboard."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "reply(True)", "Yes"), Binding("n,escape", "reply(False)", "No")]

    def __init__(self, question: str) -> None:
        super().__init__(classes="dialog")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.question, classes="dialog-title", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", id="yes", variant="primary")
                yield Button("No (n)", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.answer(event.button.id == "yes")

    def action_reply(self, yes: bool) -> None:
        self.answer(yes)


class PromptModal(Dialog, ModalScreen[str | None]):
    """One line of text; enter submits, escape cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__(classes="dialog")
        self.title_text, self.placeholder, self.value = title, placeholder, value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Input(self.value, placeholder=self.placeholder)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.answer(event.value)

    def action_cancel(self) -> None:
        self.answer(None)


class SplitModal(Dialog, ModalScreen[tuple[int, int] | None]):
    """Where to split a bead: type how many source and target sentences the first part keeps ('2-0'), or move
    through the listed cuts with the arrows; enter splits, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"), Binding("down", "step(1)", show=False),
        Binding("up", "step(-1)", show=False)]

    def __init__(self, title: str, points: Sequence[tuple[int, int]], labels: Sequence[str]) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.points, self.labels = title, list(points), list(labels)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Input(placeholder="sentences in the first part, source-target: e.g. 1-0 (enter splits)")
            yield OptionList(*(Option(text) for text in self.labels))

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def _typed(self, text: str) -> tuple[int, int] | None:
        text = text.strip()
        digits = [int(d) for d in re.findall(r"\d+", text)]
        if re.fullmatch(r"\d\d", text):  # "20" for 2-0
            digits = [int(c) for c in text]
        point = tuple(digits) if len(digits) == 2 else None
        return point if point in self.points else None

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        point = self._typed(event.value)
        if point is not None:
            self.query_one(OptionList).highlighted = self.points.index(point)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        point = self._typed(event.value)
        if point is None and event.value.strip():
            self.notify(f"no such cut: {event.value!r}", severity="warning")
            return
        self.answer(point or self.points[self.query_one(OptionList).highlighted or 0])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.answer(self.points[event.option_index])

    def action_step(self, step: int) -> None:
        options = self.query_one(OptionList)
        options.highlighted = max(0, min((options.highlighted or 0) + step, len(self.points) - 1))

    def action_cancel(self) -> None:
        self.answer(None)


class FlagModal(Dialog, ModalScreen[tuple[str, str] | None]):
    """Flag a run of beads: pick the kind (a, d, v, f or arrows and enter), then type an optional note."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")] + [
        Binding(kind[0] if kind != "divergent" else "v", f"kind('{kind}')", show=False) for kind in FLAG_KINDS]

    def __init__(self, first: int, last: int) -> None:
        super().__init__(classes="dialog")
        self.span = f"bead {first + 1}" if first == last else f"beads {first + 1}-{last + 1}"
        self.kind: str | None = None

    def compose(self) -> ComposeResult:
        keys = {"added": "a", "dropped": "d", "divergent": "v", "furniture": "f"}
        with Vertical(classes="dialog-box"):
            yield Label(f"Flag {self.span} as", classes="dialog-title")
            yield OptionList(*(Option(f"{keys[k]}  {k}", id=k) for k in FLAG_KINDS), id="kinds")
            yield Input(placeholder="note (optional), enter to save", id="note")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_kind(event.option.id)

    def action_kind(self, kind: str) -> None:
        self.kind = kind
        self.query_one("#kinds", OptionList).highlighted = FLAG_KINDS.index(kind)
        self.query_one("#note", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if self.kind is None:
            self.kind = FLAG_KINDS[self.query_one("#kinds", OptionList).highlighted or 0]
        self.answer((self.kind, event.value.strip()))

    def action_cancel(self) -> None:
        self.answer(None)


class ProgressModal(ModalScreen[None]):
    """Progress of a slow job the app cannot be used during (the first import); the job closes it."""

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog")
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Label("", id="progress-what", markup=False)
            yield ProgressBar(total=None, id="progress-bar")

    def advance(self, done: int, total: int, what: str) -> None:
        self.query_one(ProgressBar).update(total=total, progress=done)
        self.query_one("#progress-what", Label).update(what)


class OneLineOptionList(OptionList):
    """An OptionList whose every option is one line (its CSS cuts them: `text-wrap: nowrap`). OptionList measures
    the height of every option, wrapping its text, on every layout, and sums them again for its own height: half
    the time it takes to open a list of 500 flags. Here the line table is one line an option, made without
    measuring anything. It fills OptionList's own line cache (textual is pinned; tests/test_tui.py checks the
    list's lines, keys and clicks)."""

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.option_count

    def _update_lines(self) -> None:
        if not self.scrollable_content_region:
            return
        cache, n = self._line_cache, self.option_count
        if len(cache.lines) != n:
            cache.clear()
            cache.lines.extend((k, 0) for k in range(n))
            cache.heights.update(dict.fromkeys(range(n), 1))
            cache.index_to_line.update((k, k) for k in range(n))
        size = Size(self.scrollable_content_region.width - self._get_left_gutter_width(), n)
        if size != self.virtual_size:
            self.virtual_size = size
            self._scroll_update(size)


class FlagListModal(Dialog, ModalScreen[int | None]):
    """A list of flags to go to: the arrows move, enter goes to the highlighted one's bead, escape stays."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, rows: Sequence[str], beads: Sequence[int]) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.rows, self.beads = title, list(rows), list(beads)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield OneLineOptionList(*(Option(Text(row)) for row in self.rows), id="flags")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.answer(self.beads[event.option_index])

    def action_cancel(self) -> None:
        self.answer(None)
