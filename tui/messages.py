"""Messages the app's thread workers post: they never touch widgets, the app reacts to these on its own thread."""

from __future__ import annotations

from textual.message import Message

from aligner.edits import Edit
from aligner.models import Alignment


class Progress(Message):
    """A slow job advanced: `done` of `total` steps, now on `what`."""

    def __init__(self, job: str, done: int, total: int, what: str = "") -> None:
        super().__init__()
        self.job, self.done, self.total, self.what = job, done, total, what


class JobDone(Message):
    """A slow job finished; `error` is a message for the editor when it failed, `note` what it did."""

    def __init__(self, job: str, error: str | None = None, note: str = "") -> None:
        super().__init__()
        self.job, self.error, self.note = job, error, note


class Realigned(Message):
    """A re-alignment of an unconfirmed stretch of pair `name`, computed from the alignment `base`."""

    def __init__(self, name: str, base: Alignment, edit: Edit) -> None:
        super().__init__()
        self.name, self.base, self.edit = name, base, edit


class Reflagged(Message):
    """Flags derived again for `alignment` of the pair open in `session`, or `error` saying why they could not
    be; `vectors` are the sentence vectors used, kept for the next time."""

    def __init__(self, session, alignment: Alignment, flags: list[dict] | None, vectors, error: str = "") -> None:
        super().__init__()
        self.session, self.alignment, self.flags, self.vectors, self.error = session, alignment, flags, vectors, error
