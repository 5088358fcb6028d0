"""What the review app looks like, at a fixed terminal size (snapshots under tests/__snapshots__; Textual is pinned,
so a Textual upgrade means regenerating them with `pytest --snapshot-update` and looking at the diff)."""

from __future__ import annotations

import time

import pytest
from conftest import FakeEncoder
from test_tui import build_project

from aligner import edits
from aligner import store as store_module
from aligner.flags import Flag, FlagType, Span
from aligner.store import Store
from tui.app import create_app

SIZE = (120, 36)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project in the working directory (so the title shows a short path) with fixed edit dates."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(store_module, "now", lambda: "2025-01-15T09:30:00+00:00")
    monkeypatch.setenv("TZ", "UTC")  # the project screen shows edit times in local time
    time.tzset()
    return build_project(tmp_path / "project.db")


def every_state(db) -> None:
    """Give the valdemar pair one bead in each colour state: confirmed, edited, flagged, low score, dropped,
    added, divergent and furniture (the last two as the flagger would mark them)."""
    with Store.open(db) as store:
        a = store.alignment("valdemar")
        store.apply_edit("valdemar", edits.merge_next(a, 1).alignment, "merge_next", {"bead": 1})
        store.set_status("valdemar", [2], "flagged")
        src, tgt = store.documents_for("valdemar")
        store.save_flags("valdemar", [
            Flag(FlagType.DIVERGENT, Span.of(src, [8, 9]), Span.of(tgt, [8]), 0.8, 4.1, "length z 3.2"),
            Flag(FlagType.FURNITURE, Span.of(src, [10]), None, 0.95, 1.0, "Síguenos en Facebook y Twitter."),
        ])


def app(db, pair=None):
    return create_app(db.name, pair, None, encoder_factory=FakeEncoder)


def test_project_screen(project, snap_compare):
    every_state(project)
    assert snap_compare(app(project), terminal_size=SIZE)


def test_review_screen_every_state(project, snap_compare):
    every_state(project)
    assert snap_compare(app(project, "valdemar"), press=["g", "6", "enter"], terminal_size=SIZE)


def test_help_screen(project, snap_compare):
    assert snap_compare(app(project, "valdemar"), press=["question_mark"], terminal_size=SIZE)


def test_flag_modal(project, snap_compare):
    every_state(project)
    assert snap_compare(app(project, "valdemar"), press=["g", "6", "enter", "v", "down", "exclamation_mark", "v"],
                        terminal_size=SIZE)
