"""The review app driven from the keyboard with Pilot; every test asserts on the database afterwards."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import (
    FakeEncoder,
    SlowFakeEncoder,
    holding_lock,
    made_up_pair,
    write_pair,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.models import Alignment, Bead, BeadStatus
from aligner.store import Store, visible_flags
from tui import nav
from tui.app import create_app
from tui.screens.help import HelpScreen
from tui.screens.modals import ConfirmModal, FlagModal, PromptModal, SplitModal
from tui.screens.project import ProjectScreen
from tui.screens.review import ReviewScreen

pytestmark = pytest.mark.anyio
AUTO, CONF, EDIT, FLAG = BeadStatus.AUTO, BeadStatus.CONFIRMED, BeadStatus.EDITED, BeadStatus.FLAGGED
SIZE = (120, 36)

ES = (
    "El puerto de Valdemar abrió sus puertas en 1901. La ciudad celebró la inauguración con 300 invitados.\n\n"
    "Durante 40 años fue el muelle más activo de la costa. Los barcos traían sal, vino y 12 tipos de madera. "
    "Hoy queda poco de aquel tráfico.\n\n"
    "El museo del puerto recibe 8.000 visitantes al año. La entrada cuesta 5 euros y es gratuita los domingos. "
    "El alcalde anunció una ampliación para 2026.\n\n"
    "Las obras durarán 18 meses. El presupuesto es de 2 millones. Síguenos en Facebook y Twitter.\n")
EN = (
    "The port of Valdemar opened in 1901. The city celebrated with 300 guests.\n\n"
    "For 40 years it was the busiest dock on the coast. Ships brought salt, wine and 12 kinds of timber. "
    "Little of that traffic remains.\n\n"
    "The port museum gets 8,000 visitors a year. Entry costs 5 euros, free on Sundays. "
    "Valdemar is two hours from the capital by train.\n\n"
    "The 18-month works will cost 2 million.\n")


def valdemar_beads() -> list[Bead]:
    """A made-up alignment of ES/EN with one bead of each kind: confirmed, low score, dropped, added, 2-1."""
    return [Bead((0,), (0,), 0.91, CONF), Bead((1,), (1,), 0.84), Bead((2,), (2,), 0.88), Bead((3,), (3,), 0.8),
            Bead((4,), (4,), 0.31), Bead((5,), (5,), 0.86), Bead((6,), (6,), 0.79), Bead((7,), (), 0.0),
            Bead((), (7,), 0.0), Bead((8, 9), (8,), 0.72), Bead((10,), (), 0.0)]


def build_project(path: Path, pairs: int = 2) -> Path:
    """A project with the pair 'valdemar' (hand-made text and alignment) and, for pairs=2, a made-up 'zeta'."""
    with Store.open(path) as store:
        s = store.add_document("es/valdemar.txt", "es", ES)
        t = store.add_document("en/valdemar.txt", "en", EN)
        store.add_pair("valdemar", s, t)
        store.save_alignment("valdemar", Alignment(tuple(valdemar_beads()), 11, 9), {"model": "fake"})
        if pairs > 1:
            src, tgt = made_up_pair(6, seed=3)
            s = store.add_document("es/zeta.txt", "es", "\n\n".join(src))
            t = store.add_document("en/zeta.txt", "en", "\n\n".join(tgt))
            store.add_pair("zeta", s, t)
            beads = [Bead((k,), (k,), 0.9) for k in range(6)]
            store.save_alignment("zeta", Alignment(tuple(beads), 6, 6), {"model": "fake"})
    return path


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def db(tmp_path) -> Path:
    return build_project(tmp_path / "project.db")


def app_for(db: Path, pair: str | None = "valdemar", corpus: Path | None = None):
    return create_app(db, pair, corpus, encoder_factory=FakeEncoder)


def saved(db: Path, pair: str = "valdemar") -> Alignment:
    """The alignment as a fresh process would read it."""
    with Store.open(db) as store:
        return store.alignment(pair)


def links(a: Alignment) -> list:
    return [(b.src, b.tgt) for b in a.beads]


async def go_to(pilot, bead: int) -> None:
    """Put the cursor on bead number `bead` (1-based) with the go-to prompt."""
    await pilot.press("g", *str(bead), "enter")
    await pilot.pause()


def cursor(app) -> int:
    return app.review.grid.cursor


# --- confirming ---------------------------------------------------------------------------------------------

async def test_space_confirms_and_unconfirms(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 2)
        await pilot.press("space")
        assert saved(db).beads[1].status is CONF
        await pilot.press("space")
        assert saved(db).beads[1].status is AUTO


async def test_enter_confirms_and_moves_to_next_unconfirmed(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 2)
        await pilot.press("enter")
        await pilot.pause()
        assert saved(db).beads[1].status is CONF and cursor(pilot.app) == 2


async def test_c_confirms_everything_above(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        await pilot.press("c")
        assert [b.status for b in saved(db).beads[:5]] == [CONF] * 4 + [AUTO]


# --- structural edits ---------------------------------------------------------------------------------------

async def test_merge_with_next_and_previous(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 2)
        await pilot.press("m")
        assert links(saved(db))[1] == ((1, 2), (1, 2)) and saved(db).beads[1].status is EDIT
        await go_to(pilot, 4)
        await pilot.press("M")
        assert links(saved(db))[2] == ((3, 4), (3, 4))


async def test_merge_refused_next_to_a_confirmed_bead(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 2)
        await pilot.press("M")
        await pilot.pause()
        assert links(saved(db)) == links(Alignment(tuple(valdemar_beads()), 11, 9))
        assert any("confirmed" in str(n.message) for n in pilot.app._notifications)


async def test_split_at_a_chosen_sentence(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 10)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, SplitModal)
        await pilot.press("1", "-", "1", "enter")  # the first part keeps one source and one target sentence
        await pilot.pause()
        assert links(saved(db))[9:11] == [((8,), (8,)), ((9,), ())]
        # or with the arrows: cuts of the 1-1 bead 10 are (0,1) then (1,0)
        await pilot.press("s", "down", "enter")
        await pilot.pause()
        assert links(saved(db))[9:11] == [((8,), ()), ((), (8,))]


async def test_move_first_sentence_up_and_last_down_per_side(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 10)
        await pilot.press("J")  # source side: sentence 9 goes down into bead 11
        assert links(saved(db))[9:] == [((8,), (8,)), ((9, 10), ())]
        await pilot.press("right", "K")  # target side of bead 10: its only sentence goes up into bead 9
        await pilot.pause()
        assert links(saved(db))[8:10] == [((), (7, 8)), ((8,), ())]


async def test_split_a_dropped_passage_into_single_sentences_undo_and_redo(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 10)
        await pilot.press("J")  # bead 11 becomes a dropped passage of two sentences, 9 and 10
        await go_to(pilot, 11)
        await pilot.press("S")
        split = links(saved(db))
        assert split[10:] == [((9,), ()), ((10,), ())] and len(split) == 12
        assert [b.status for b in saved(db).beads[10:]] == [EDIT, EDIT] and cursor(pilot.app) == 10
        with Store.open(db) as store:
            assert store.history("valdemar")[-1].op == "split_one_sided"
        await pilot.press("ctrl+z")
        assert links(saved(db))[10:] == [((9, 10), ())]
        await pilot.press("ctrl+y")
        assert links(saved(db)) == split
        await go_to(pilot, 10)
        await pilot.press("S")  # a two-sided bead: refused, with a notice
        await pilot.pause()
        assert links(saved(db)) == split
        assert any("both sides" in str(n.message) for n in pilot.app._notifications)


async def test_undo_and_redo_of_confirm_above_keep_the_cursor_where_the_change_ends(db):
    """Undoing "confirm above" at bead 9 sent the cursor to bead 1, the first bead of the change."""
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 9)
        await pilot.press("c")
        assert [b.status for b in saved(db).beads[1:8]] == [CONF] * 7
        await pilot.press("ctrl+z")
        assert saved(db).beads[1].status is BeadStatus.AUTO and cursor(pilot.app) == 7  # the last bead it changed
        await pilot.press("ctrl+y")
        assert saved(db).beads[1].status is CONF and cursor(pilot.app) == 7
        await go_to(pilot, 1)
        await pilot.press("ctrl+z")  # from above the change: its first bead
        assert cursor(pilot.app) == 1


async def test_flagging_a_flagged_bead_again_changes_its_kind_and_note(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 8)
        await pilot.press("exclamation_mark", "d", "enter")
        await pilot.pause()
        await pilot.press("exclamation_mark", "v", *"note", "enter")
        await pilot.pause()
    from aligner.store import visible_flags

    with Store.open(db) as store:
        shown = visible_flags(store.flag_records("valdemar"), store.alignment("valdemar").beads)
    assert [(f["type"], f["note"]) for f in shown if f["key"].startswith("editor:")] == [("divergent", "note")]


async def test_a_key_that_changes_nothing_says_so(db):
    """i on the last bead, whose active side is empty, did nothing and said nothing."""
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.press("end", "i")
        await pilot.pause()
        assert [n.message for n in pilot.app._notifications] == ["nothing to change here (shift down)"]
        with Store.open(db) as store:
            assert store.history("valdemar") == []


async def test_shift_a_side_down_and_up(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 6)
        await pilot.press("right", "i")
        a = saved(db)
        assert links(a)[5:8] == [((5,), ()), ((6,), (5,)), ((7,), (6,))]
        await pilot.press("I")
        assert links(saved(db))[5:7] == [((5,), (5,)), ((6,), (6,))]


async def test_x_gives_an_empty_counterpart(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        await pilot.press("x")
        assert links(saved(db))[4:6] == [((4,), ()), ((), (4,))]


async def test_realign_the_unconfirmed_stretch_keeps_confirmed_beads(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 6)
        await pilot.press("space")  # bead 6 confirmed: the stretch is beads 7..11
        await go_to(pilot, 8)
        await pilot.press("r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        a = saved(db)
        assert a.beads[0].status is CONF and a.beads[5].status is CONF
        assert links(a)[:6] == links(Alignment(tuple(valdemar_beads()), 11, 9))[:6]
        a.validate()
        with Store.open(db) as store:
            assert store.history("valdemar")[-1].op == "realign"


async def test_a_realignment_overtaken_by_an_edit_is_dropped(db):
    app = create_app(db, "valdemar", None, encoder_factory=SlowFakeEncoder)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 8)
        await pilot.press("r", "up", "space")  # an edit while the aligner is still at work
        await app.workers.wait_for_complete()
        await pilot.pause()
    with Store.open(db) as store:
        assert [e.op for e in store.history("valdemar")] == ["confirm"]
    assert links(saved(db)) == links(Alignment(tuple(valdemar_beads()), 11, 9))


# --- flags and notes ----------------------------------------------------------------------------------------

async def test_flag_a_marked_run_with_a_note(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 4)
        await pilot.press("v", "down", "exclamation_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, FlagModal)
        await pilot.press("v", *"a vivid fad", "enter")  # the kind keys type into the note once it has focus
        await pilot.pause()
        assert [b.status for b in saved(db).beads[3:5]] == [FLAG, FLAG]
        with Store.open(db) as store:
            mine = [f for f in store.flag_records("valdemar") if f["key"].startswith("editor:")]
        assert [(f["type"], f["note"], f["src"]["sentences"]) for f in mine] == [("divergent", "a vivid fad", [3, 4])]
        assert "a vivid fad" in str(pilot.app.review.query_one("#detail").render())


async def test_flag_kinds_and_unflag(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        for bead, key, kind in ((8, "d", "dropped"), (9, "a", "added"), (11, "f", "furniture")):
            await go_to(pilot, bead)
            await pilot.press("exclamation_mark", key, "enter")
            await pilot.pause()
            assert pilot.app.review.flag_kinds[bead - 1] == kind
        assert [saved(db).beads[k].status for k in (7, 8, 10)] == [FLAG] * 3
        await pilot.press("delete")
        assert saved(db).beads[10].status is AUTO


async def test_clearing_a_flag_gives_back_the_confirmations_it_covered(db):
    """Bead 1 confirmed, then flagged with bead 2, then the flag cleared: bead 1 came back unreviewed, the
    editor's confirmation lost without a word. Now it is confirmed again, and bead 2 unreviewed as it was."""
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 1)
        await pilot.press("v", "down", "exclamation_mark", "v", "enter")
        await pilot.pause()
        assert [b.status for b in saved(db).beads[:2]] == [FLAG, FLAG]
        await pilot.press("delete")
        await pilot.pause()
        assert [b.status for b in saved(db).beads[:2]] == [CONF, AUTO]
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert [b.status for b in saved(db).beads[:2]] == [FLAG, FLAG]
        await go_to(pilot, 2)  # flagged again as another kind: the newest flag still knows bead 1 was confirmed
        await pilot.press("exclamation_mark", "d", "enter")
        await pilot.pause()
        await pilot.press("delete")
        await pilot.pause()
        assert [b.status for b in saved(db).beads[:2]] == [CONF, AUTO]


async def test_the_status_line_names_the_side_left_and_right_make_active(db):
    """The status line said "src side" after → had made the target side active (it caught up on the next move)."""
    async with app_for(db).run_test(size=SIZE) as pilot:
        status = pilot.app.review.query_one("#status")
        assert "src side" in str(status.render())
        await pilot.press("right")
        await pilot.pause()
        assert pilot.app.review.grid.side == "tgt" and "tgt side" in str(status.render())
        await pilot.press("left")
        await pilot.pause()
        assert "src side" in str(status.render())


async def test_go_to_names_the_pairs_own_bead_and_sentence_numbers(db):
    """The go-to prompt said "bead (120) or sentence (es 45, en 45)" whatever the pair: read as its size."""
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await pilot.pause()
        modal = pilot.app.screen
        assert isinstance(modal, PromptModal)
        assert modal.title_text == "Go to bead (1-11) or sentence (es 0-10, en 0-8)"
        await pilot.press(*"en 8", "enter")
        await pilot.pause()
        assert cursor(pilot.app) == 9  # the 2-1 bead holding target sentence 8


async def test_the_flag_dialog_scrolls_to_the_note_on_a_short_terminal(db):
    """At 60x16 the dialog was cut below the kinds: the note field, where typing went, could not be seen."""
    async with app_for(db).run_test(size=(60, 16)) as pilot:
        await pilot.press("exclamation_mark", "a")
        await pilot.pause()
        modal = pilot.app.screen
        assert isinstance(modal, FlagModal)
        box, note = modal.query_one(".dialog-box"), modal.query_one("#note")
        assert note.has_focus
        assert box.scroll_y > 0 and box.content_region.contains_region(note.region), (box.content_region, note.region)
        await pilot.press(*"caption", "enter")
        await pilot.pause()
    assert saved(db).beads[0].status is FLAG


async def test_a_bead_taller_than_the_view_is_read_to_its_end_before_the_cursor_moves_on(tmp_path):
    """A 3-1 bead of long sentences filled more than an 80x24 terminal: down went to the next bead, and the end of
    this one could not be reached from the keyboard. Down now scrolls through it first; up goes back the same."""
    src = ["Frase " + " ".join(f"palabra{k}{w} larga" for w in range(40)) + "." for k in range(3)] + ["Fin del texto."]
    tgt = [" ".join(f"word{w} long" for w in range(90)) + ".", "End of the text."]
    db = tmp_path / "tall.db"
    with Store.open(db) as store:
        s = store.add_document("es/tall.txt", "es", " ".join(src[:3]) + "\n\n" + src[3])
        t = store.add_document("en/tall.txt", "en", tgt[0] + "\n\n" + tgt[1])
        store.add_pair("tall", s, t)
        beads = (Bead((0, 1, 2), (0,), 0.8), Bead((3,), (1,), 0.9))
        store.save_alignment("tall", Alignment(beads, 4, 2), {"model": "fake"})
    app = app_for(db, pair="tall")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        grid = app.review.grid
        height, end = grid.scrollable_content_region.height, grid._tops[1]
        assert end > height  # the bead does not fit
        seen = [int(grid.scroll_y)]
        while cursor(app) == 0:
            await pilot.press("down")
            await pilot.pause()
            seen.append(int(grid.scroll_y))
        assert len(seen) > 2 and seen[-2] + height >= end  # its last line was in view before the cursor moved on
        await pilot.press("up")  # back to the tall bead, from its top
        await pilot.pause()
        assert cursor(app) == 0
        assert int(grid.scroll_y) <= grid._tops[0] + 3


async def test_enter_on_a_bead_you_flagged_is_refused_and_the_cursor_stays(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 3)
        await pilot.press("exclamation_mark", "d", "enter")
        await pilot.pause()
        await pilot.press("enter")  # confirm + next: refused, so no moving on past the bead it names
        await pilot.pause()
        assert cursor(pilot.app) == 2 and saved(db).beads[2].status is FLAG
        assert any("carries your flag" in n.message for n in pilot.app._notifications)
        await go_to(pilot, 4)
        await pilot.press("enter")
        assert cursor(pilot.app) == 4 and saved(db).beads[3].status is CONF


async def test_delete_on_one_bead_of_a_flagged_passage_clears_the_whole_flag(db):
    """Clearing one bead of a three-bead flag left the flag listed over all three (and in `aligner flags`); the
    flag is one passage, so delete clears it, and a marked run still clears just the beads marked."""
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 2)
        await pilot.press("v", "down", "down", "exclamation_mark", "v", *"one", "enter")
        await pilot.pause()
        assert [b.status for b in saved(db).beads[1:4]] == [FLAG] * 3
        await go_to(pilot, 3)
        await pilot.press("delete")
        await pilot.pause()
        assert [b.status for b in saved(db).beads[1:4]] == [AUTO] * 3
        assert not any(f["key"].startswith("editor:") for f in pilot.app.session.flag_list() for f in [f[1]])
        await pilot.press("ctrl+z")  # the whole flag comes back
        assert [b.status for b in saved(db).beads[1:4]] == [FLAG] * 3
        await go_to(pilot, 3)
        await pilot.press("v", "delete")  # a marked run of one bead: that bead only
        assert [b.status for b in saved(db).beads[1:4]] == [FLAG, AUTO, FLAG]
        # ... and the flag now covers the two beads left: in the flag list, `aligner flags` and `aligner show`
        await pilot.pause()
        mine = [f for _, f in pilot.app.session.flag_list() if f["key"].startswith("editor:")]
        assert [(f["src"]["sentences"], f["tgt"]["sentences"]) for f in mine] == [([1, 3], [1, 3])]
    with Store.open(db) as store:
        shown = [f for f in visible_flags(store.flag_records("valdemar"), store.alignment("valdemar").beads)
                 if f["key"].startswith("editor:")]
        assert [f["src"]["sentences"] for f in shown] == [[1, 3]]
        kept = [f for f in store.flag_records("valdemar") if f["key"].startswith("editor:")]
        assert [f["src"]["sentences"] for f in kept] == [[1, 2, 3]]  # the record stays whole, for an undo


# --- flags derived again after edits ---------------------------------------------------------------------------

def cache_vectors(db: Path, pair: str = "valdemar") -> None:
    """Put the fake encoder's sentence vectors of the pair into the embedding cache, as align-all would."""
    from aligner.batch import embed_cached

    with Store.open(db) as store:
        encoder = FakeEncoder()
        for doc in store.documents_for(pair):
            for k, hashes, vectors in embed_cached(store, encoder, doc.texts, 1)[1]:
                store.store_windows(encoder.name, k, hashes, vectors)


async def flags_settled(pilot) -> None:
    """Wait until the flags the last edit asked for are derived and saved."""
    deadline = time.monotonic() + 20
    while pilot.app.reflag_pending:
        assert time.monotonic() < deadline, "the flags were never derived again"
        await pilot.pause(0.05)
    await pilot.pause()


def flag_keys(db: Path) -> dict[str, str]:
    with Store.open(db) as store:
        return {f["key"]: f["status"] for f in store.flag_records("valdemar")}


def one_sided_flags(alignment, src, tgt, sv, tv):
    """A stand-in for the flagger, whose tuning is not under test here: every one-sided bead is flagged."""
    from aligner.flags import Flag, FlagType, Span

    return [Flag(FlagType.ADDED, None, Span.of(tgt, b.tgt), 0.9) if not b.src else
            Flag(FlagType.DROPPED, Span.of(src, b.src), None, 0.9) for b in alignment.beads if not (b.src and b.tgt)]


async def test_flags_are_derived_again_after_an_edit(db, monkeypatch):
    from aligner.flags import derive as flagger

    monkeypatch.setattr(flagger, "derive_flags", one_sided_flags)
    cache_vectors(db)
    async with app_for(db).run_test(size=SIZE) as pilot:
        pilot.app.REFLAG_DELAY = 0.05
        await go_to(pilot, 9)  # the added passage, target sentence 7
        await pilot.press("exclamation_mark", "a", "enter")  # an editor's flag on it
        await pilot.pause()
        await go_to(pilot, 5)
        await pilot.press("right", "x")  # target sentence 4 loses its counterpart: an added passage
        await flags_settled(pilot)
        keys = flag_keys(db)
        assert keys["added::4"] == "open" and keys["dropped:4:"] == "open"
        assert "editor:added::7" in keys and pilot.app.review.flag_kinds[5] == "added"
        status = str(pilot.app.review.query_one("#status").render())
        open_ = sum(v == "open" for k, v in keys.items() if not k.startswith("editor:"))
        assert "updating flags" not in status and "flags stale" not in status and f"open flags {open_}" in status
        store = pilot.app.store
        store.set_flag_status(next(f["id"] for f in store.flag_records("valdemar") if f["key"] == "added::4"),
                              "dismissed")
        pilot.app.session.flags = store.flag_records("valdemar")
        await go_to(pilot, 2)
        await pilot.press("m")  # another edit: the dismissed flag stays dismissed
        await flags_settled(pilot)
        assert flag_keys(db)["added::4"] == "dismissed"
        await pilot.press("ctrl+z", "ctrl+z")  # sentence 4 is paired again: its flags go, the editor's stays
        await flags_settled(pilot)
        keys = flag_keys(db)
        assert "added::4" not in keys and "dropped:4:" not in keys and "editor:added::7" in keys
        await pilot.press("ctrl+y")  # the flag is found again: it comes back with the editor's decision
        await flags_settled(pilot)
        assert flag_keys(db)["added::4"] == "dismissed"


async def test_the_flags_saved_after_an_edit_are_the_flaggers(db):
    """After an edit, the stored flags are what the flagger derives from the edited alignment, as the command
    line would derive them: computed here from the library, not from the app's own helper."""
    from aligner.flags import derive_flags

    cache_vectors(db)
    before = set(flag_keys(db))
    async with app_for(db).run_test(size=SIZE) as pilot:
        pilot.app.REFLAG_DELAY = 0.05
        await go_to(pilot, 10)
        await pilot.press("right", "x")
        await flags_settled(pilot)
    with Store.open(db) as store:
        src, tgt = store.documents_for("valdemar")
        alignment = store.alignment("valdemar")
    enc = FakeEncoder()
    expected = {f.key for f in derive_flags(alignment, src, tgt, enc.encode(src.texts), enc.encode(tgt.texts))}
    assert ((), (8,)) in links(alignment) and not any(8 in b.tgt and b.src for b in alignment.beads)
    assert set(flag_keys(db)) == expected
    # the project had no flags before the edit; detaching bead 10's target side (source 8-9 : target 8) leaves
    # target 8 added and source 8-9 dropped, as the editor made them (the flagger no longer rejoins source 8)
    assert before == set() and {"dropped:8-9:", "added::8"} <= expected


async def test_missing_vectors_are_reported_not_computed(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        pilot.app.REFLAG_DELAY = 0.05
        await go_to(pilot, 5)
        await pilot.press("x")
        await flags_settled(pilot)
        assert links(saved(db))[4:6] == [((4,), ()), ((), (4,))]  # the edit is saved all the same
        assert flag_keys(db) == {}
        assert "flags stale" in str(pilot.app.review.query_one("#status").render())
        assert any("aligner flags valdemar --recompute" in str(n.message) for n in pilot.app._notifications)


# --- undo and redo, also across a restart ---------------------------------------------------------------------

async def test_undo_and_redo(db):
    before = links(saved(db))
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 2)
        await pilot.press("m")
        merged = links(saved(db))
        await pilot.press("ctrl+z")
        assert links(saved(db)) == before
        await pilot.press("ctrl+y")
        assert links(saved(db)) == merged


async def test_undo_and_redo_across_a_restart(db):
    before = links(saved(db))
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 2)
        await pilot.press("m", "down", "space")
    after = saved(db)
    assert after.beads[2].status is CONF
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+z")
        assert saved(db).beads[2].status is AUTO
        await pilot.press("ctrl+z")
        assert links(saved(db)) == before
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+y", "ctrl+y")
        assert saved(db) == after


# --- navigation -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key,back,matches", [
    ("u", "U", list(range(1, 11))), ("l", "L", [4]), ("o", "O", [7, 8, 9, 10]), ("f", "F", [])])
async def test_next_and_previous_of_each_kind(db, key, back, matches):
    async with app_for(db).run_test(size=SIZE) as pilot:
        seen = []
        for _ in matches + [None]:  # one press more than there are matches: the cursor stays on the last
            await pilot.press(key)
            seen.append(cursor(pilot.app))
        assert seen == matches + [matches[-1] if matches else 0]
        await pilot.press("end")
        seen = []
        for _ in matches:
            await pilot.press(back)
            seen.append(cursor(pilot.app))
        assert seen == [k for k in reversed(matches) if k < 10] + ([matches[0]] if 10 in matches else [])


async def test_doubtful_beads_are_those_the_aligner_was_unsure_of_when_it_says(tmp_path):
    """With the aligner's confidences, a bead is doubtful by its confidence, not by its score: a well-scored bead
    the aligner was unsure of is coloured, counted and found with l; a low score it was sure of is not. A flag's
    colour shows over it, and `l`, the status line and the project screen count it all the same. The detail pane
    says how sure the aligner was."""
    from aligner.flags import Flag, FlagType, Span
    from tui.session import summarize_pairs

    path = build_project(tmp_path / "sure.db", pairs=1)
    sure = [0.99, 0.95, 0.41, 0.98, 0.97, 0.66, 0.99, 0.9, 0.9, 0.93, 0.9]  # beads 3 and 6 in doubt
    with Store.open(path) as store:
        beads = [replace(b, confidence=c) for b, c in zip(valdemar_beads(), sure)]
        store.save_alignment("valdemar", Alignment(tuple(beads), 11, 9), {"model": "fake"})
        src, tgt = store.documents_for("valdemar")
        # the flagger's divergent flag on bead 6: coloured as divergent, still doubtful for `l` and the counts
        store.save_flags("valdemar", [Flag(FlagType.DIVERGENT, Span.of(src, [5]), Span.of(tgt, [5]), 0.5, 3.0,
                                           "1-1 bead, similarity 0.86")])
        assert [p.doubtful for p in summarize_pairs(store)] == [2]  # the project screen's column
    async with app_for(path).run_test(size=SIZE) as pilot:
        seen = []
        for _ in range(3):
            await pilot.press("l")
            seen.append(cursor(pilot.app))
        assert seen == [2, 5, 5]  # bead 5 (score 0.31, 97% sure) is not among them
        await pilot.press("L")
        assert cursor(pilot.app) == 2
        review = pilot.app.review
        assert "score 0.880  auto  sure 41%" in str(review.query_one("#detail").render())
        assert "doubtful 2" in str(review.query_one("#status").render())
        shown = [nav.bead_state(b, review.flag_kinds.get(k)) for k, b in enumerate(pilot.app.session.alignment.beads)]
        assert shown[2] == "doubtful" and shown[5] == "divergent"


async def test_flagged_navigation_finds_editor_flags(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 6)
        await pilot.press("exclamation_mark", "v", "enter", "home", "f")
        assert cursor(pilot.app) == 5
        await pilot.press("end", "F")
        assert cursor(pilot.app) == 5


async def test_goto_bead_and_sentence(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 7)
        assert cursor(pilot.app) == 6
        await pilot.press("g", *"es 9", "enter")
        assert cursor(pilot.app) == 9
        await pilot.press("g", *"en 7", "enter")
        assert cursor(pilot.app) == 8


async def test_regex_search_on_either_side_and_again(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.press("slash", *r"en:\d+ (guests|visitors)", "enter")
        assert cursor(pilot.app) == 1
        await pilot.press("n")
        assert cursor(pilot.app) == 5
        await pilot.press("N")
        assert cursor(pilot.app) == 1
        await pilot.press("slash", *"es:domingos", "enter")
        assert cursor(pilot.app) == 6


async def test_movement_keys(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.press("down", "j", "down")
        assert cursor(pilot.app) == 3
        await pilot.press("up", "k")
        assert cursor(pilot.app) == 1
        await pilot.press("end")
        assert cursor(pilot.app) == 10
        await pilot.press("home", "pagedown")
        assert cursor(pilot.app) > 3
        await pilot.press("pageup")
        assert cursor(pilot.app) == 0


async def test_next_and_previous_pair(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert pilot.app.session.name == "zeta"
        await pilot.press("right_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert pilot.app.session.name == "valdemar"


async def test_next_pair_follows_the_project_screens_order(db):
    async with app_for(db, pair=None).run_test(size=SIZE) as pilot:
        await pilot.press("S")  # names descending: zeta, valdemar
        await pilot.press("down", "enter")
        await pilot.pause()
        assert pilot.app.session.name == "valdemar"
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert pilot.app.session.name == "valdemar"  # the last on the screen
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert pilot.app.session.name == "zeta"


async def test_reopening_a_pair_returns_to_where_it_was_left(db):
    async with app_for(db, pair=None).run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        await go_to(pilot, 7)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ProjectScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert cursor(pilot.app) == 6
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert cursor(pilot.app) == 6
        await go_to(pilot, 3)
    with Store.open(db) as store:  # kept in the project, not beside it
        assert store.view_state("valdemar") == {"cursor": 2}
    assert not db.with_name(db.name + ".review.json").exists()
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert cursor(pilot.app) == 2


async def test_cursors_of_the_older_side_file_move_into_the_store(db):
    side = db.with_name(db.name + ".review.json")
    side.write_text('{"valdemar": 5, "zeta": 3, "gone": 1}', encoding="utf-8")
    with Store.open(db) as store:
        store.save_view_state("zeta", {"cursor": 1})  # the store's own state wins
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert cursor(pilot.app) == 5
    assert not side.exists()
    with Store.open(db) as store:
        assert store.view_state("valdemar") == {"cursor": 5} and store.view_state("zeta") == {"cursor": 1}


# --- help, palette, export ----------------------------------------------------------------------------------

async def test_help_lists_every_key_of_the_screen(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        text = " ".join(what for _, _, what in help_screen.rows)
        for b in ReviewScreen.BINDINGS:
            assert (b.tooltip if not b.group else b.group.description) in text
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ReviewScreen)
        await pilot.press("question_mark")  # kept: the same screen again, not built anew (150-200 ms)
        assert pilot.app.screen is help_screen
        await pilot.press("escape", "escape", "question_mark")  # the project screen has its own keys
        await pilot.pause()
        assert pilot.app.screen is not help_screen and pilot.app.screen.title_text == "Project keys"


async def test_command_palette_has_an_entry_for_each_action(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = {c.title for c in pilot.app.get_system_commands(pilot.app.screen)}
        for b in ReviewScreen.BINDINGS:
            assert b.tooltip in titles
        await pilot.press("ctrl+p", *"merge the bead with the next", "enter")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert links(saved(db))[0] == ((0,), (0,))  # bead 1 is confirmed: refused, nothing saved
        await pilot.press("down", "ctrl+p", *"merge the bead with the next", "enter")
        await pilot.pause(0.3)
        assert links(saved(db))[1] == ((1, 2), (1, 2))


async def test_export_pair_and_project_to_tmx(db, tmp_path):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PromptModal)
        field = pilot.app.screen.query_one("Input")
        field.value = str(tmp_path / "pair.tmx")
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.press("E")
        await pilot.pause()
        pilot.app.screen.query_one("Input").value = str(tmp_path / "all.tmx")
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    pair, everything = (tmp_path / "pair.tmx").read_text(), (tmp_path / "all.tmx").read_text()
    assert pair.count("<tu>") + pair.count("<tu ") == 8  # eleven beads, three one-sided
    assert "Valdemar" in pair and "x-document" in everything and everything.count("<tu") > pair.count("<tu")


async def test_an_export_onto_the_project_database_is_refused(db):
    before = db.read_bytes()
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.press("E")
        await pilot.pause()
        pilot.app.screen.query_one("Input").value = str(db)
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert any("that is the project database" in str(n.message) for n in pilot.app._notifications)
    assert db.read_bytes()[:16] == before[:16] == b"SQLite format 3\x00"
    assert len(saved(db).beads) == 11


async def test_an_export_over_an_existing_file_asks_first(db, tmp_path):
    target = tmp_path / "old.tmx"
    target.write_text("kept", encoding="utf-8")
    async with app_for(db).run_test(size=SIZE) as pilot:
        for answer in ("n", "y"):
            await pilot.press("E")
            await pilot.pause()
            pilot.app.screen.query_one("Input").value = str(target)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(pilot.app.screen, ConfirmModal)
            await pilot.press(answer)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert (target.read_text(encoding="utf-8") == "kept") is (answer == "n")
    assert "<tmx" in target.read_text(encoding="utf-8")


async def test_an_export_to_a_missing_folder_says_so_plainly(db, tmp_path):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await pilot.press("E")
        await pilot.pause()
        target = tmp_path / "no such folder" / "x.tmx"
        pilot.app.screen.query_one("Input").value = str(target)
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        messages = [str(n.message) for n in pilot.app._notifications]
        assert any(m.startswith(f"export failed: cannot write {target} (") and ".part" not in m for m in messages)



class Finished:
    """Collects what a job posts when it ends, as the app's Reporter would."""

    def __init__(self):
        self.error = self.note = None

    def finish(self, error=None, note=""):
        self.error, self.note = error, note


def with_unaligned_pairs(db: Path) -> Path:
    """db plus 'broken' (its alignment failed) and 'fresh' (never aligned)."""
    with Store.open(db) as store:
        for name in ("broken", "fresh"):
            s = store.add_document(f"es/{name}.txt", "es", "Una frase.")
            t = store.add_document(f"en/{name}.txt", "en", "A sentence.")
            store.add_pair(name, s, t)
        store.record_failure("broken", "encoder crashed")
    return db


def test_the_apps_export_of_an_unaligned_pair_says_why_and_writes_nothing(db, tmp_path):
    from tui import jobs

    with_unaligned_pairs(db)
    for name, why in (("broken", "broken: alignment failed: encoder crashed"), ("fresh", "fresh: not aligned yet")):
        done, target = Finished(), tmp_path / f"{name}.tmx"
        jobs.export_tmx(db, name, target, done)
        assert done.error.startswith(f"export failed: nothing written: {why}") and not target.exists()


def test_the_apps_whole_project_export_leaves_unaligned_pairs_out_and_names_them(db, tmp_path):
    from tui import jobs

    with_unaligned_pairs(db)
    done, target = Finished(), tmp_path / "all.tmx"
    jobs.export_tmx(db, None, target, done)
    assert done.error is None and done.note.endswith("left out, not aligned: broken, fresh")
    assert "Valdemar" in target.read_text(encoding="utf-8")


def test_the_apps_export_of_a_project_with_no_aligned_pair_is_an_error(tmp_path):
    from tui import jobs

    db = tmp_path / "p.db"
    with Store.open(db) as store:
        store.add_pair("fresh", store.add_document("es/f.txt", "es", "Una frase."),
                       store.add_document("en/f.txt", "en", "A sentence."))
    done, target = Finished(), tmp_path / "all.tmx"
    jobs.export_tmx(db, None, target, done)
    assert "no pair of the project is aligned" in done.error and not target.exists()

# --- the project screen ---------------------------------------------------------------------------------------

async def test_a_pair_whose_files_changed_opens_on_the_version_it_aligned(db):
    """`aligner add` imported a shorter Spanish file; until the pair is aligned again, the app shows the text the
    alignment was made on (it crashed: the beads named sentences past the new file's end), and says so."""
    with Store.open(db) as store:
        store.add_pair("valdemar", store.add_document("es/valdemar.txt", "es", "Una sola frase nueva."),
                       store.pair("valdemar").tgt_doc)
        assert store.pair("valdemar").stale
        from tui.session import summarize_pairs

        assert summarize_pairs(store)[0].cells()[3] == "11 (changed)"  # the project screen says so, as status
    app = app_for(db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReviewScreen) and len(app.session.src) == 11
        assert any("its files changed since it was aligned" in n.message for n in app._notifications)
        await pilot.press("down", "space")
        await pilot.pause()
    assert saved(db).beads[1].status is BeadStatus.CONFIRMED


async def test_leaving_a_pair_highlights_it_on_the_project_screen(db):
    """After ] to the next pair, escape showed the project screen with the first pair still highlighted, so `a`
    and `e` acted on a pair other than the one just reviewed."""
    async with app_for(db, pair=None).run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.session.name == "valdemar"
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert pilot.app.session.name == "zeta"
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.project.selected() == "zeta"


async def test_project_screen_sort_filter_and_open(db):
    async with app_for(db, pair=None).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ProjectScreen)
        table = screen.query_one("DataTable")
        assert [table.get_row_at(k)[0] for k in range(table.row_count)] == ["valdemar", "zeta"]
        await pilot.press("S")
        assert table.get_row_at(0)[0] == "zeta"
        await pilot.press("s")
        assert screen.sort_key == "n_src"
        await pilot.pause()
        header = pilot.app.export_screenshot().replace("&#160;", " ")
        assert "es ▼" in header and "pair ▼" not in header  # the arrow follows the sort (it stayed on "pair")
        await pilot.press("slash", *"zet")
        assert table.row_count == 1
        await pilot.press("escape")
        assert table.row_count == 2
        await pilot.press("slash", *"zet", "enter")  # enter opens the pair the filter left
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReviewScreen) and pilot.app.session.name == "zeta"
        await pilot.press("escape", "s")  # back: the keys act on the list, not typed into the filter box
        await pilot.pause()
        assert pilot.app.screen is screen and screen.query_one("#filter").value == "zet"
        assert pilot.app.focused is table and screen.sort_key != "n_src"


def test_the_last_edit_column_keeps_the_editors_last_edit_after_a_re_alignment(db):
    """Re-aligning starts a new edit log and carries the review work over: the pair's last edit is still the
    editor's (the column showed -- once the pair had been re-aligned)."""
    from tui.session import summarize_pairs

    with Store.open(db) as store:
        from aligner import edits

        e = edits.confirm(store.alignment("valdemar"), 1)
        store.apply_edit("valdemar", e.alignment, e.op, e.detail)
        edited = store.history("valdemar")[-1].date
        rows = {p.name: p.last_edit for p in summarize_pairs(store)}
        assert rows["valdemar"] and rows["zeta"] == ""
        store.save_alignment("valdemar", Alignment(tuple(valdemar_beads()), 11, 9), {"model": "fake"})
        assert store.history("valdemar") == [] and store.alignment("valdemar").beads[1].status is BeadStatus.CONFIRMED
        assert store.last_edit_dates() == {"valdemar": edited}
        assert {p.name: p.last_edit for p in summarize_pairs(store)} == rows
        store.undo("valdemar")  # nothing to undo in the new run: the old edit stays the last
        assert store.last_edit_dates() == {"valdemar": edited}


def test_project_screen_and_status_count_the_same_open_flags(db):
    from click.testing import CliRunner

    from aligner.cli import cli
    from aligner.cli.project import project_frame
    from tui.session import summarize_pairs

    span = {"sentences": [1], "paragraphs": [0], "start": 0, "end": 1}
    flags = [{"type": t, "src": span if t != "added" else None, "tgt": span if t != "dropped" else None,
              "confidence": 0.5, "score": 0.1, "note": "", "status": s}
             for t, s in (("added", "open"), ("dropped", "dismissed"), ("divergent", "confirmed"))]
    with Store.open(db) as store:
        store.save_flags("valdemar", flags + [{**flags[2], "status": "confirmed", "key": "editor:divergent:1:1"},
                                              {**flags[0], "status": "open", "key": "import:moved:1:1"}])
        screen = {p.name: p.flags for p in summarize_pairs(store)}
        status = dict(project_frame(store).select("pair", "flags").iter_rows())
        from tui.session import PairSession

        status_line = PairSession.open(store, "valdemar").open_flags()
    assert screen == status == {"valdemar": 1, "zeta": 0} and status_line == 1
    shown = CliRunner().invoke(cli, ["status", "--db", str(db)])
    assert "open flags" in shown.stdout and "1 open flag" in shown.stdout


async def test_align_a_pair_in_the_background(db):
    app = create_app(db, None, None, encoder_factory=SlowFakeEncoder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert app.project.has_class("-busy")
        await pilot.press("S")  # the screen still answers while the pair aligns
        assert app.project.descending
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.project.has_class("-busy")
        note = next(n.message for n in app._notifications if "review work kept on" in n.message)
        assert note.startswith("valdemar: aligned; ") and note.endswith("the edits before it can no longer be undone")
    with Store.open(db) as store:
        assert len(store.runs("valdemar")) == 2
        assert store.pair("valdemar").model == "slow-fake"
        assert store.alignment("valdemar").beads[0].status is CONF  # review work is carried over


async def test_re_aligning_a_pair_from_the_app_keeps_its_model_and_parameters(db, monkeypatch):
    """`a` re-aligned a pair aligned with a sentence-transformers model (or other settings) with the defaults."""
    import aligner.batch as batch
    from aligner.align import AlignParams

    with Store.open(db) as store:
        store.save_alignment("valdemar", Alignment(tuple(valdemar_beads()), 11, 9),
                             {"model": "st:/models/labse", "params": AlignParams(skip=-0.2).to_dict()})
    asked = []
    monkeypatch.setattr(batch, "EncoderSpec", lambda model: asked.append(model) or SlowFakeEncoder)
    app = create_app(db, None, None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert asked == ["st:/models/labse"]
    with Store.open(db) as store:
        assert store.pair("valdemar").params["skip"] == -0.2
    asked.clear()
    with Store.open(db) as store:  # (the fake encoder's name is the model of the run `a` made)
        store.save_alignment("valdemar", Alignment(tuple(valdemar_beads()), 11, 9), {"model": "st:/models/labse"})
    async with create_app(db, "valdemar", None).run_test(size=SIZE) as pilot:  # and r, around the cursor
        await go_to(pilot, 3)
        await pilot.press("r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    assert asked == ["st:/models/labse"]


async def test_a_pair_open_while_it_is_re_aligned_shows_the_new_run(db):
    """`a` on the project screen, then the pair opened before the job ends: the new run replaces what is on
    screen, so that the next edit is saved (each was refused as made on a replaced run)."""
    app = create_app(db, None, None, encoder_factory=SlowFakeEncoder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "enter")
        await pilot.pause()
        assert app.session.name == "valdemar"
        await app.workers.wait_for_complete()
        await pilot.pause()
        with Store.open(db) as store:
            assert app.session.alignment.meta["run_id"] == store.pair("valdemar").run_id
        k = next(k for k, b in enumerate(app.session.alignment.beads) if b.status is BeadStatus.AUTO)
        app.review.grid.cursor = k
        await pilot.press("space")
        await pilot.pause()
        assert not any("replaced by a new run" in str(n.message) for n in app._notifications)
    assert saved(db).beads[k].status is CONF


async def test_no_database_offers_to_import_the_corpus(tmp_path):
    root = tmp_path / "corpus"
    for name, n in (("alpha", 5), ("beta", 7)):
        write_pair(root, name, *made_up_pair(n, seed=n))
    db = tmp_path / "new.db"
    async with app_for(db, pair=None, corpus=root).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("y")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        table = pilot.app.project.query_one("DataTable")
        assert table.row_count == 2
    with Store.open(db) as store:
        assert [p.name for p in store.pairs()] == ["alpha", "beta"] and all(p.beads for p in store.pairs())


async def test_the_first_import_says_which_files_it_skipped(tmp_path):
    """A file without its counterpart, or one that could not be read, was said nowhere in the app (`aligner add`
    warns of both): the editor thought every article was there."""
    root = tmp_path / "corpus"
    write_pair(root, "alpha", *made_up_pair(5, seed=5))
    (root / "en" / "stray.txt").write_text("No partner.\n", encoding="utf-8")
    (root / "es" / "bad.txt").write_bytes(b"\x00\x01\x02\xff\xfe broken")
    (root / "en" / "bad.txt").write_text("Fine.\n", encoding="utf-8")
    app = app_for(tmp_path / "new.db", pair=None, corpus=root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("y")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        said = [n for n in app._notifications if n.title == "import: files skipped or in doubt"]
        assert said and said[0].severity == "warning"
        assert "stray.txt: no counterpart in the other language; skipped" in said[0].message
        assert "bad: " in said[0].message
        assert app.project.query_one("DataTable").row_count == 2


async def test_an_import_that_finds_no_pairs_says_so_and_leaves_no_project(tmp_path):
    """A corpus folder with no pairs: the app said only that the new, empty project had no pairs, and left it."""
    root = tmp_path / "corpus"
    (root / "es").mkdir(parents=True)
    (root / "en").mkdir()
    (root / "es" / "solo.txt").write_text("Solo en español.\n", encoding="utf-8")
    db = tmp_path / "new.db"
    app = app_for(db, pair=None, corpus=root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("y")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        said = " ".join(map(str, app._exit_renderables))  # printed on the terminal once the app has gone
    assert app.return_code == 1 and f"{root}: no document pairs found" in said
    assert not db.exists()


async def test_keys_typed_ahead_of_a_dialog_go_into_it(db):
    """A fast typist's 'g 4 enter enter' all arrive before the dialog is up: the digits must reach the dialog and
    the second enter must not dismiss the review screen behind it."""
    from textual.events import Key

    app = app_for(db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key, char in (("g", "g"), ("4", "4"), ("enter", "\r"), ("enter", "\r")):
            app._driver.send_message(Key(key, char))
        for _ in range(40):  # on a loaded machine the four keys take a while to go through
            await pilot.pause(0.1)
            if isinstance(app.screen, ReviewScreen) and cursor(app) == 3:
                break
        await pilot.pause(0.3)  # and nothing more happens after them
        assert isinstance(app.screen, ReviewScreen) and cursor(app) == 3
    with Store.open(db) as store:
        assert store.history("valdemar") == []


def test_a_flag_shows_through_a_confirmation():
    """Confirming a bead (or every bead above with c) settles its alignment, not the flags on it."""
    assert nav.bead_state(Bead((0,), (), 0.0, CONF), "dropped") == "dropped"
    assert nav.bead_state(Bead((0,), (0,), 0.9, CONF), "furniture") == "furniture"
    assert nav.bead_state(Bead((0,), (0,), 0.9, CONF)) == nav.bead_state(Bead((0,), (), 0.0, CONF)) == "confirmed"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(BeadStatus)), st.sampled_from(["1-1", "1-0", "0-1", "2-1"]),
                          st.floats(0, 1)), min_size=1, max_size=30),
       st.dictionaries(st.integers(0, 29), st.sampled_from(nav.FLAG_KINDS), max_size=5))
def test_status_counts_agree_with_the_state_of_each_bead(rows, flags):
    beads, i, j = [], 0, 0
    for status, kind, score in rows:
        a, b = map(int, kind.split("-"))
        beads.append(Bead(tuple(range(i, i + a)), tuple(range(j, j + b)), score, status))
        i, j = i + a, j + b
    alignment = Alignment(tuple(beads), i, j)
    flags = {k: v for k, v in flags.items() if k < len(beads)}
    expected = Counter(nav.bead_state(b, flags.get(k)) for k, b in enumerate(beads))
    got = nav.counts(alignment, flags)
    assert {s: got[s] for s in nav.STATES} == {s: expected.get(s, 0) for s in nav.STATES}
    assert got["edited beads"] == sum(b.status is BeadStatus.EDITED for b in beads)
    assert got["flagged beads"] == sum(b.status is BeadStatus.FLAGGED for b in beads)


# --- a kill between two edits -----------------------------------------------------------------------------------

KILLED = """
import asyncio, sys
sys.path.insert(0, {tests!r})
from conftest import FakeEncoder
from aligner.store import Store
from tui.app import create_app

async def main():
    app = create_app({db!r}, "valdemar", None, encoder_factory=FakeEncoder)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("g", "2", "enter", "m")
        # Pilot's press returns once the process looks idle, a guess from CPU time; the kill must come after the
        # commit, so wait until another connection sees the edit in the file
        with Store.open({db!r}, readonly=True) as reader:
            for _ in range(600):
                if [e.op for e in reader.history("valdemar")] == ["merge_next"]:
                    break
                await asyncio.sleep(0.05)
            else:
                notes = [str(n.message) for n in app._notifications]
                sys.exit(f"the first edit was not saved: cursor {{app.review.grid.cursor}}, notices {{notes}}")
        open({marker!r}, "w").close()
        await asyncio.Event().wait()  # the editor pauses before the next edit: the kill comes now
        await pilot.press("down", "m")

asyncio.run(main())
"""


def test_a_kill_between_two_edits_keeps_the_first(db, tmp_path):
    marker, err = tmp_path / "first-edit-done", tmp_path / "app-stderr.txt"
    script = KILLED.format(tests=str(Path(__file__).parent), db=str(db), marker=str(marker))
    with err.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], cwd=Path(__file__).parent.parent,
                                stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, f"the app process died before its first edit: {err.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "the first edit never happened"
            time.sleep(0.05)
    finally:
        proc.kill()  # SIGKILL: no clean-up of any kind in the app
        proc.wait()
    with Store.open(db) as store:
        assert store.integrity_check() == "ok"
        assert links(store.alignment("valdemar"))[1] == ((1, 2), (1, 2))
        assert [e.op for e in store.history("valdemar")] == ["merge_next"]


# --- the flagger's flags, reviewed from the keyboard -----------------------------------------------------------

def save_flaggers_flags(db: Path) -> None:
    """Flags as the flagger would leave them on valdemar: a divergent run over beads 2-4, the dropped and added
    sentences of beads 8 and 9, the furniture line of bead 11 (confidences 0.4, 0.6, 0.8, 0.95)."""
    from aligner.flags import Flag, FlagType, Span

    with Store.open(db) as store:
        src, tgt = store.documents_for("valdemar")
        flags = [Flag(FlagType.DIVERGENT, Span.of(src, [1, 2, 3]), Span.of(tgt, [1, 2, 3]), 0.4, 5.0,
                      "1-1 bead, similarity 0.31 (z 5.0)"),
                 Flag(FlagType.DROPPED, Span.of(src, [7]), None, 0.6, 0.2, "Hoy queda poco"),
                 Flag(FlagType.ADDED, None, Span.of(tgt, [7]), 0.8, 0.1, "Valdemar is two hours"),
                 Flag(FlagType.FURNITURE, Span.of(src, [10]), None, 0.95, 1.0, "Síguenos en Facebook")]
        store.save_flags("valdemar", [f.to_dict() for f in flags])


def flag_status(db: Path) -> dict[str, str]:
    return {k.split(":")[0]: v for k, v in flag_keys(db).items()}


async def test_the_flaggers_flags_are_accepted_dismissed_and_opened_again(db):
    save_flaggers_flags(db)
    async with app_for(db).run_test(size=SIZE) as pilot:
        review = pilot.app.review
        await go_to(pilot, 11)  # the furniture line: its empty side says why, as its colour does
        assert "en  (nothing: web furniture on the other side only)" in str(review.query_one("#detail").render())
        await go_to(pilot, 9)  # the added sentence
        assert "added (open, confidence 0.80)" in str(review.query_one("#detail").render())
        assert "es  (nothing: added passage)" in str(review.query_one("#detail").render())
        assert 8 not in review.grid.settled
        await pilot.press("y")
        assert flag_status(db)["added"] == "confirmed" and review.flag_kinds[8] == "added"
        assert review.grid.settled == {8}  # drawn dim: accepted, nothing left to do there
        assert pilot.app._notifications and list(pilot.app._notifications)[-1].message == "added: accepted"
        await pilot.pause()  # accepted in every word the app has for it ("confirmed" is a bead's state)
        assert "added (accepted, confidence 0.80)" in str(review.query_one("#detail").render())
        assert [f["status"] for _, f in pilot.app.session.flag_list() if f["type"] == "added"] == ["confirmed"]
        assert any(" added " in row and " accepted " in row
                   for row in (nav.flag_row(k, f) for k, f in pilot.app.session.flag_list()))
        await pilot.press("y")  # again: open
        assert flag_status(db)["added"] == "open" and not review.grid.settled
        await pilot.press("delete")
        assert flag_status(db)["added"] == "dismissed" and 8 not in review.flag_kinds
        assert "dismissed" in str(review.query_one("#detail").render())  # still shown, to open it again
        await pilot.press("d")
        assert flag_status(db)["added"] == "open" and review.flag_kinds[8] == "added"
        await go_to(pilot, 8)
        await pilot.press("v", "down", "d")  # a marked run: both flags at once
        assert flag_status(db)["added"] == flag_status(db)["dropped"] == "dismissed"
        await go_to(pilot, 1)
        await pilot.press("y")
        assert any("no flag of the flagger here" in str(n.message) for n in pilot.app._notifications)
    assert links(saved(db)) == links(Alignment(tuple(valdemar_beads()), 11, 9))  # no edit of the alignment
    with Store.open(db) as store:  # an export keeps the beads of dismissed flags only
        flagged = {(r.src_ids, r.tgt_ids): r.flags for r in store.iter_beads(["valdemar"])}
    assert flagged[((7,), ())] == () and flagged[((), (7,))] == () and flagged[((10,), ())] == ("furniture",)


def test_a_bead_the_editor_flagged_is_never_drawn_settled(db):
    """Dim means nothing is left to do; a bead carrying the editor's own flag is their open question."""
    from tui.session import PairSession

    save_flaggers_flags(db)
    with Store.open(db) as store:
        added = next(f["id"] for f in store.flag_records("valdemar") if f["type"] == "added")
        store.set_flag_status(added, "confirmed")
        assert PairSession.open(store, "valdemar").settled_beads() == {8}
        store.set_status("valdemar", [8], "flagged")
        assert PairSession.open(store, "valdemar").settled_beads() == set()


async def test_f_stops_once_per_flag_and_t_lists_them_by_confidence(db):
    save_flaggers_flags(db)
    async with app_for(db).run_test(size=SIZE) as pilot:
        stops = []
        for _ in range(4):
            await pilot.press("f")
            stops.append(cursor(pilot.app) + 1)
        assert stops == [2, 8, 9, 11]  # the divergent run of beads 2-4 is one stop
        await pilot.press("F", "F", "F")
        assert cursor(pilot.app) + 1 == 2  # back to the first bead of the run
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("enter")  # the most confident open flag: the furniture line
        await pilot.pause()
        assert cursor(pilot.app) + 1 == 11
        await pilot.press("y", "t")
        await pilot.pause()
        await pilot.press("enter")  # accepted flags come after the open ones: now the added sentence
        await pilot.pause()
        assert cursor(pilot.app) + 1 == 9


async def test_the_flag_list_moves_with_the_keys_and_the_mouse(db):
    """Rows in the order of the list (open flags first, most confident first: furniture 11, added 9, dropped 8,
    the divergent run at 2); the keys move the highlight, escape stays put, enter or a click goes to a flag."""
    from textual.widgets import OptionList

    save_flaggers_flags(db)
    async with app_for(db).run_test(size=SIZE) as pilot:
        async def choose(*keys):
            await pilot.press("home", "t")
            await pilot.pause()
            await pilot.press(*keys)
            await pilot.pause()
            return cursor(pilot.app) + 1

        assert await choose("down", "enter") == 9
        assert await choose("end", "up", "enter") == 8
        assert await choose("pagedown", "enter") == 2  # the last row: the list is shorter than a page
        assert await choose("down", "down", "escape") == 1  # nothing chosen: the cursor stays
        await pilot.press("t")
        await pilot.pause()
        rows = pilot.app.screen.query_one(OptionList)
        kinds = [str(rows.get_option_at_index(k).prompt).split()[1] for k in range(rows.option_count)]
        assert kinds == ["furniture", "added", "dropped", "divergent"]
        await pilot.click(rows, offset=(5, 3))  # the third row, under the list's top border
        await pilot.pause()
        assert cursor(pilot.app) + 1 == 8


async def test_the_flag_list_gives_each_flag_one_line_under_its_header(db):
    """Rows as long as FLAG_ROW are cut to the list's width, not wrapped onto a second line (which halved the
    rows in view), and the header's columns stand over the rows' in an 80-column terminal as in a wide one."""
    from textual.widgets import Label, OptionList

    from aligner.flags import Flag, FlagType, Span
    from tui import nav

    with Store.open(db) as store:
        src, tgt = store.documents_for("valdemar")
        long_note = "a note " * 20
        store.save_flags("valdemar", [Flag(FlagType.DROPPED, Span.of(src, [k]), None, 0.5, 0.2, long_note).to_dict()
                                      for k in range(len(src))] +
                         [Flag(FlagType.ADDED, None, Span.of(tgt, [k]), 0.4, 0.2, long_note).to_dict()
                          for k in range(len(tgt))])
    n = len(src) + len(tgt)
    for size in (SIZE, (80, 30)):
        async with app_for(db).run_test(size=size) as pilot:
            await pilot.press("t")
            await pilot.pause()
            rows = pilot.app.screen.query_one(OptionList)
            prompts = [str(rows.get_option_at_index(k).prompt) for k in range(rows.option_count)]
            assert rows.option_count == n and all(len(p) == nav.FLAG_ROW for p in prompts)
            assert rows.virtual_size.height == rows.option_count  # one line a flag
            header = str(pilot.app.screen.query_one(".dialog-title", Label).render()).splitlines()[-1]
            column = header.index("kind")
            assert prompts[0][column - 2:].startswith("dropped")  # under it, past the border and padding
            assert rows.content_region.x - pilot.app.screen.query_one(".dialog-title").content_region.x == 2
            await pilot.press("end")  # the last flag, scrolled into view, line for line
            await pilot.pause()
            view = rows.scrollable_content_region.height
            assert view < n and rows.highlighted == n - 1 and rows.scroll_offset.y == n - view
            await pilot.press("pageup")
            await pilot.pause()
            chosen = rows.highlighted
            assert chosen < n - 1 and chosen >= rows.scroll_offset.y  # in view
            await pilot.press("enter")
            await pilot.pause()
            assert cursor(pilot.app) == pilot.app.session.flag_list()[chosen][0]


async def test_space_leaves_an_editors_flag_alone(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        await pilot.press("exclamation_mark", "v")
        await pilot.press(*"check the date", "enter")
        await pilot.pause()
        await pilot.press("space")
        assert saved(db).beads[4].status is FLAG
        assert any("carries your flag" in str(n.message) for n in pilot.app._notifications)
        assert "your flag: divergent  check the date" in str(pilot.app.review.query_one("#detail").render())


async def test_an_unflagged_bead_is_no_longer_flagged_in_exports_until_the_unflag_is_undone(db):
    def export_flags() -> tuple:
        with Store.open(db) as store:
            return next(r.flags for r in store.iter_beads(["valdemar"]) if r.src_ids == (4,))

    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        await pilot.press("exclamation_mark", "v", "enter")
        await pilot.pause()
        assert export_flags() == ("divergent",)
        await pilot.press("delete")
        assert export_flags() == ()  # the record stays (for the undo) but no longer counts
        await pilot.press("ctrl+z")
        assert export_flags() == ("divergent",)


async def test_realign_keeps_flagged_beads_and_the_cursor(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 7)
        await pilot.press("exclamation_mark", "d", "enter")  # an editor's flag on bead 7, in the stretch 2..11
        await pilot.pause()
        await go_to(pilot, 10)  # the 2-1 bead: source 8-9
        await pilot.press("r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        a = saved(pilot.app.db_path)
        assert a.beads[6].status is FLAG and links(a)[6] == ((6,), (6,))
        assert 8 in a.beads[cursor(pilot.app)].src  # still on source sentence 8
        assert "editor:dropped:6:6" in flag_keys(db)
        with Store.open(db) as store:
            assert store.history("valdemar")[-1].op == "realign"


async def test_flags_due_when_the_editor_leaves_the_pair_or_quits_are_still_derived(db, monkeypatch):
    from aligner.flags import derive as flagger

    monkeypatch.setattr(flagger, "derive_flags", one_sided_flags)
    cache_vectors(db)
    async with app_for(db).run_test(size=SIZE) as pilot:
        pilot.app.REFLAG_DELAY = 30.0  # the pause would never come: leaving the pair must start the derivation
        await go_to(pilot, 5)
        await pilot.press("right", "x", "right_square_bracket")  # an edit, then at once the next pair
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert pilot.app.session.name == "zeta"
        assert flag_keys(db)["added::4"] == "open"  # valdemar's flags follow its edit
        await pilot.press("left_square_bracket")
        await go_to(pilot, 3)
        await pilot.press("right", "x")  # another edit, then quit at once
    assert "added::2" in flag_keys(db)


async def test_flags_that_cannot_be_derived_on_quitting_are_said_on_the_terminal(db):
    app = app_for(db)  # no sentence vectors cached: the derivation fails
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 3)
        await pilot.press("right", "x", "ctrl+q")
        await wait_until(pilot, lambda: not app.is_running, "the app quits once the derivation has ended")
    assert "valdemar: " in app.quit_note and "aligner flags valdemar --recompute" in app.quit_note


async def test_quitting_with_flags_due_says_so_and_quits_once_they_are_saved(db, monkeypatch):
    """ctrl+q right after an edit froze the screen for a second or two, saying nothing, while the flags were
    derived on the way out; now the app says it saves them and quits when they are saved."""
    from aligner.flags import derive as flagger

    monkeypatch.setattr(flagger, "derive_flags", slow_one_sided_flags(3.0))  # slower than any pause below
    cache_vectors(db)
    app = app_for(db)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 3)
        await pilot.press("right", "x", "ctrl+q")
        await pilot.pause()
        assert app.is_running and any("saving the flags of your last edits" in n.message for n in app._notifications)
        await wait_until(pilot, lambda: not app.is_running, "the app quits once the flags are saved")
    assert "added::2" in flag_keys(db)


# --- review statuses, editors' flags and derivations that overlap ----------------------------------------------

def slow_one_sided_flags(delay: float = 0.6):
    def derive(*args):
        time.sleep(delay)
        return one_sided_flags(*args)
    return derive


async def wait_until(pilot, cond, what: str) -> None:
    deadline = time.monotonic() + 20
    while not cond():
        assert time.monotonic() < deadline, what
        await pilot.pause(0.02)


async def edit_then_wait_for_a_slow_derivation(pilot) -> None:
    """Give target sentence 4 (bead 5) an empty counterpart, then wait until its flags' slow derivation runs."""
    pilot.app.REFLAG_DELAY = 0.05
    await go_to(pilot, 5)
    await pilot.press("right", "x")
    await wait_until(pilot, lambda: pilot.app._reflagging is not None, "no derivation started")


async def test_a_dismissal_made_while_the_flags_are_derived_is_kept(db, monkeypatch):
    """y and d work while the flags are being derived after an edit (they were refused for that second or two,
    "press again in a moment"): the decision is kept by the flag's key and survives the derivation's save."""
    from aligner.flags import derive as flagger

    monkeypatch.setattr(flagger, "derive_flags", slow_one_sided_flags(2.0))  # long enough to press d meanwhile
    cache_vectors(db)
    async with app_for(db).run_test(size=SIZE) as pilot:
        app = pilot.app
        app.REFLAG_DELAY = 0.05
        await go_to(pilot, 5)
        await pilot.press("right", "x")  # target 4 alone: added::4
        await flags_settled(pilot)
        await go_to(pilot, 2)
        await pilot.press("m")  # another edit: a slow derivation starts
        await wait_until(pilot, lambda: app._reflagging is not None, "no derivation started")
        await go_to(pilot, 5)  # the added sentence, one bead up after the merge
        await pilot.press("d")
        assert app._reflagging is not None and flag_keys(db)["added::4"] == "dismissed"
        assert not any("being updated" in str(n.message) for n in app._notifications)
        await flags_settled(pilot)
        assert flag_keys(db)["added::4"] == "dismissed"  # the derivation that started before it kept it
        await pilot.press("d")  # now the flags are fresh: d opens it again
        assert flag_keys(db)["added::4"] == "open"


async def test_a_left_pair_gets_the_flags_of_its_last_edit_when_derivations_overlap(db, monkeypatch):
    from aligner.flags import derive as flagger

    monkeypatch.setattr(flagger, "derive_flags", slow_one_sided_flags())
    cache_vectors(db)
    cache_vectors(db, "zeta")
    async with app_for(db).run_test(size=SIZE) as pilot:
        await edit_then_wait_for_a_slow_derivation(pilot)
        await go_to(pilot, 3)
        await pilot.press("x")  # edited again while its flags are derived: due once more
        await pilot.press("right_square_bracket")  # then at once the next pair, edited too
        await go_to(pilot, 2)
        await pilot.press("right", "x")
        await flags_settled(pilot)
        assert {"added::4", "added::2"} <= set(flag_keys(db))  # valdemar: both of its edits
        with Store.open(db) as store:
            assert any(f["key"] == "added::1" for f in store.flag_records("zeta"))


async def test_a_pair_opened_again_while_its_flags_are_derived_shows_them(db, monkeypatch):
    from aligner.flags import derive as flagger

    monkeypatch.setattr(flagger, "derive_flags", slow_one_sided_flags())
    cache_vectors(db)
    async with app_for(db).run_test(size=SIZE) as pilot:
        app = pilot.app
        await edit_then_wait_for_a_slow_derivation(pilot)
        await pilot.press("right_square_bracket", "left_square_bracket")  # away and back while it works
        await flags_settled(pilot)
        assert app.session.name == "valdemar"
        assert any(f["key"] == "added::4" for f in app.session.flags)
        assert app.review.flag_kinds.get(5) == "added"


async def test_reviewing_a_flag_derived_away_meanwhile_is_a_notice(db):
    save_flaggers_flags(db)
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 9)
        with Store.open(db) as other:  # another process derives the flags again: the added one goes
            other.save_flags("valdemar", [f for f in other.flag_records("valdemar") if f["type"] != "added"])
        await pilot.press("y")
        assert any("not saved" in str(n.message) for n in pilot.app._notifications)
        assert "added" not in {f["type"] for f in pilot.app.session.flags}  # read again: shows what is saved


async def test_the_flag_list_takes_two_flags_on_one_bead(db):
    save_flaggers_flags(db)
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 9)
        await pilot.press("exclamation_mark", "a", "enter")  # the editor's flag beside the flagger's
        await pilot.pause()
        await go_to(pilot, 1)
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert cursor(pilot.app) + 1 == 11  # the most confident open flag


async def test_flagging_a_sentence_again_replaces_the_old_cleared_flag(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        await pilot.press("exclamation_mark", "v", *"old", "enter")
        await pilot.pause()
        await pilot.press("delete")
        await pilot.press("v", "down", "exclamation_mark", "d", "enter")  # beads 5-6 as dropped
        await pilot.pause()
        await go_to(pilot, 5)
        detail = str(pilot.app.review.query_one("#detail").render())
        assert "your flag: dropped" in detail and "divergent" not in detail
        await pilot.press("enter")  # confirm and next: refused on a flagged bead
        assert saved(db).beads[4].status is FLAG
    with Store.open(db) as store:
        flags = {r.src_ids: r.flags for r in store.iter_beads(["valdemar"])}
    assert flags[(4,)] == ("dropped",) and flags[(5,)] == ("dropped",)


def test_an_imported_pairs_flags_are_derived_again_from_the_default_models_vectors(tmp_path):
    """`aligner flags` derives an imported pair's flags with the default model and caches its vectors there; the
    app must find them there too (the pair's own model, tmx-import, has none)."""
    from aligner.batch import embed_cached
    from aligner.embed import DEFAULT_MODEL
    from aligner.export import IMPORTED_MODEL
    from tui import reflag

    path = build_project(tmp_path / "p.db", pairs=1)
    with Store.open(path) as store:
        store.save_alignment("valdemar", Alignment(tuple(valdemar_beads()), 11, 9), {"model": IMPORTED_MODEL})
        src, tgt = store.documents_for("valdemar")
        with pytest.raises(reflag.VectorsMissing, match=DEFAULT_MODEL):
            reflag.cached_vectors(store, "valdemar", src, tgt)
        encoder = FakeEncoder()
        for doc in (src, tgt):
            for k, hashes, vectors in embed_cached(store, encoder, doc.texts, 1)[1]:
                store.store_windows(DEFAULT_MODEL, k, hashes, vectors)
        sv, tv = reflag.cached_vectors(store, "valdemar", src, tgt)
    assert sv.shape[0] == len(src) and tv.shape[0] == len(tgt)


async def test_a_flag_inside_another_is_a_stop_and_is_settled_on_its_own(db):
    """A furniture line inside a divergent run: f stops at both starts, and d on the bead they share dismisses
    the open furniture flag, not the divergent one the editor accepted before."""
    from aligner.flags import Flag, FlagType, Span

    with Store.open(db) as store:
        src, tgt = store.documents_for("valdemar")
        store.save_flags("valdemar", [
            Flag(FlagType.DIVERGENT, Span.of(src, [1, 2, 3]), Span.of(tgt, [1, 2, 3]), 0.4, 5.0, "run").to_dict(),
            Flag(FlagType.FURNITURE, None, Span.of(tgt, [2]), 0.9, 1.0, "line").to_dict()])
    async with app_for(db).run_test(size=SIZE) as pilot:
        stops = []
        for _ in range(2):
            await pilot.press("f")
            stops.append(cursor(pilot.app) + 1)
        assert stops == [2, 3]
        await pilot.press("F")
        assert cursor(pilot.app) + 1 == 2
        await pilot.press("y")  # bead 2: only the divergent run
        await go_to(pilot, 3)
        await pilot.press("d")  # bead 3: both; the open one is settled
        assert flag_status(db) == {"divergent": "confirmed", "furniture": "dismissed"}
        await pilot.press("d")  # none open now: the one not dismissed yet (the divergent run) is
        assert flag_status(db) == {"divergent": "dismissed", "furniture": "dismissed"}
        await pilot.press("d")  # all dismissed: open them again
        assert flag_status(db) == {"divergent": "open", "furniture": "open"}


async def test_a_realignment_that_changes_nothing_is_no_edit(db):
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 8)
        for _ in range(2):  # the second finds what the first made
            await pilot.press("r")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        assert any("the aligner finds the same beads" in str(n.message) for n in pilot.app._notifications)
    with Store.open(db) as store:
        assert [e.op for e in store.history("valdemar")] == ["realign"]


async def test_while_another_process_holds_the_project_edits_are_refused_at_once_after_the_first(db):
    """The first edit waits the store's timeout and says "not saved: busy"; the next ones, while the other process
    still holds the lock, are refused at once (each key froze the app for the whole timeout); undo too, which
    crashed the app; once the lock is gone an edit saves again."""
    app = app_for(db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.store.timeout = 2.0  # each refused key would wait this long
        app.store._conn.execute("PRAGMA busy_timeout = 2000")
        with holding_lock(db, "zeta", 6):
            await go_to(pilot, 2)
            await pilot.press("space")
            assert any("not saved" in n.message and "the project is busy" in n.message for n in app._notifications)
            started, before = time.monotonic(), len(app._notifications)
            await pilot.press("space", "ctrl+z", "space")
            assert time.monotonic() - started < 2.0  # three keys, not three waits of 2 s
            messages = [n.message for n in app._notifications][before:]
            assert messages == [("not saved: the project is still busy: another process (a batch run?) is writing "
                                 "to it; try again when it is done")] * 3
            assert app.session.alignment.beads[1].status is BeadStatus.AUTO
        await pilot.press("space")
        await pilot.pause()
    assert saved(db).beads[1].status is BeadStatus.CONFIRMED


async def test_a_pair_aligned_again_by_another_process_is_reloaded_and_no_decision_goes_astray(db):
    """`y` on a flag after `aligner align-all --force` ran elsewhere said "added: confirmed" but wrote the decision
    to the old run's flag, which nobody sees; undo worked on the new run behind the screen's back. Now the key is
    refused, the pair is loaded again, and the same key then works on what is shown."""
    span = {"sentences": [7], "paragraphs": [0], "start": 0, "end": 1}
    added = {"type": "added", "src": None, "tgt": span, "confidence": 0.8, "score": 0.0, "note": "", "status": "open"}
    with Store.open(db) as store:
        store.save_flags("valdemar", [added])
    app = app_for(db)
    async with app.run_test(size=SIZE) as pilot:
        for key in ("y", "ctrl+z"):
            await go_to(pilot, 9)  # the added sentence
            shown = app.session.alignment.meta["run_id"]
            with Store.open(db) as other:  # another process aligns the pair again
                other.save_alignment("valdemar", Alignment(tuple(valdemar_beads()), 11, 9), {"model": "fake"})
                other.save_flags("valdemar", [added])
                new_run = other.pair("valdemar").run_id
            await pilot.press(key)
            await pilot.pause()
            assert app.session.alignment.meta["run_id"] == new_run != shown
            messages = [n.message for n in app._notifications]
            assert any("aligned again or edited in another process" in m for m in messages), messages
            app._notifications.clear()
            with Store.open(db) as store:
                assert {r["status"] for r in store._q("SELECT status FROM flags")} == {"open"}
        await go_to(pilot, 9)
        await pilot.press("y")
        await pilot.pause()
    with Store.open(db) as store:
        assert [f["status"] for f in store.flag_records("valdemar")] == ["confirmed"]


async def test_a_pair_reloaded_after_another_process_aligned_it_keeps_the_cursor_where_the_editor_was(db):
    """The reload read the cursor saved in the store before saving the one on screen (saved a second after each
    move): it opened the pair where the editor had been a moment before, not on the bead in hand."""
    app = app_for(db)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        await pilot.press("down", "down")  # the cursor on bead 7, not saved yet
        await pilot.pause()
        assert cursor(app) == 6
        with Store.open(db) as other:  # another process aligns the pair again, beads unchanged
            other.save_alignment("valdemar", Alignment(tuple(valdemar_beads()), 11, 9), {"model": "fake"})
        await pilot.press("space")
        await pilot.pause()
        assert any("aligned again or edited in another process" in n.message for n in app._notifications)
        assert cursor(app) == 6


async def test_flags_derived_after_an_edit_do_not_land_on_a_run_another_process_made_meanwhile(db):
    """An edit makes the flags due; another process aligns the pair again before they are derived: they describe
    the alignment on screen, so they are dropped, not saved over the new run's flags."""
    cache_vectors(db)
    span = {"sentences": [7], "paragraphs": [0], "start": 0, "end": 1}
    added = {"type": "added", "src": None, "tgt": span, "confidence": 0.8, "score": 0.0, "note": "", "status": "open"}
    app = app_for(db)
    async with app.run_test(size=SIZE) as pilot:
        app.REFLAG_DELAY = 30.0  # the derivation waits for the pair to be left, after the other process's run
        await go_to(pilot, 2)
        await pilot.press("x")  # sentences move: the flags are due
        assert app.reflag_pending
        with Store.open(db) as other:
            other.save_alignment("valdemar", Alignment(tuple(valdemar_beads()), 11, 9), {"model": "fake"})
            other.save_flags("valdemar", [added])
        await pilot.press("escape")  # leaving the pair derives its flags now
        await flags_settled(pilot)
        assert not any("flags not saved" in n.message for n in app._notifications)
    with Store.open(db) as store:
        assert [(f["type"], f["tgt"]["sentences"]) for f in store.flag_records("valdemar")] == [("added", [7])]


async def test_a_pair_once_open_is_frozen_out_of_the_collectors_sight_and_let_go_at_the_next(db):
    """Opening a pair freezes the heap (the collector's full passes took 150-300 ms on a key of a big pair); the
    pair left behind is unfrozen and collected when the next one opens, not kept for good."""
    import gc
    import weakref

    try:
        async with app_for(db).run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert gc.get_freeze_count() > 0

            class Loop:  # garbage in a reference cycle: only the collector frees it, never a frozen one
                pass

            loop = Loop()
            loop.me = loop
            pilot.app.session.loop = loop
            first, cycle = weakref.ref(pilot.app.session), weakref.ref(loop)
            del loop
            await pilot.app.open_pair("valdemar")  # frozen now, with the session
            await pilot.pause()
            pilot.app.session.loop = None  # the cycle is garbage, frozen
            await pilot.app.open_pair("zeta")
            await pilot.pause()
            assert pilot.app.session.name == "zeta" and first() is None and cycle() is None
    finally:
        gc.unfreeze()


@pytest.mark.slow
def test_realigning_a_stretch_at_the_top_of_a_pair_draws_what_the_whole_alignment_drew(tmp_path):
    """almadraba-ascenso (sample corpus), the beads above bead 20 re-aligned (`r`) after bead 20 was confirmed:
    the stretch holds an added passage and lines of web furniture, so its own length ratio was 1.69 where the
    pair's is 1.09, and the aligner glued the furniture and the added passage to the sentences before them. With
    the pair's ratio the stretch comes back as the whole alignment drew it."""
    from aligner import edits
    from aligner.embed import get_encoder
    from aligner.pipeline import align_documents
    from tui.jobs import stretch_aligner

    corpus = Path(__file__).resolve().parents[1] / "corpus"
    with Store.open(tmp_path / "p.db") as store:
        s = store.add_document("es/a.txt", "es", (corpus / "es" / "almadraba-ascenso.txt").read_text("utf-8"))
        t = store.add_document("en/a.txt", "en", (corpus / "en" / "almadraba-ascenso.txt").read_text("utf-8"))
        store.add_pair("a", s, t)
        src, tgt = store.documents_for("a")
        encoder = get_encoder()
        whole = align_documents(src, tgt, encoder)
        anchored = edits.confirm(whole, 19).alignment
        e = edits.realign(anchored, 0, src, tgt, stretch_aligner(store, encoder, None, (src, tgt)))
    assert e.detail["last"] == 18 and any(len(b.src) != len(b.tgt) for b in whole.beads[:19])
    assert [(b.src, b.tgt) for b in e.alignment.beads] == [(b.src, b.tgt) for b in whole.beads]


async def test_an_80_column_terminal_still_shows_the_open_flags_on_the_status_line(db):
    """A narrow terminal cuts the status line's end: the count that says whether the pair is done comes before
    the others."""
    save_flaggers_flags(db)
    async with app_for(db).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        status = pilot.app.review.query_one("#status")
        line = str(status.render())
        assert "reviewed 1 (9%)" in line and line.index("open flags 4") + 12 <= status.content_region.width


def test_undo_of_an_edit_that_changed_the_number_of_beads_keeps_the_cursor_on_its_sentence(db):
    """A re-alignment that merged beads above the cursor, undone: the cursor stays on the bead of the sentence it
    was on, not on the bead of the same number (which is another sentence once the beads above it split again)."""
    from aligner import edits
    from tui.session import PairSession

    with Store.open(db) as store:
        s = PairSession.open(store, "valdemar")
        a = s.alignment
        # beads 1-3 as one, bead 4 as it was, beads 5-6 as one: a re-alignment of beads 1-6 into three
        merged = a.with_beads((Bead((0, 1, 2), (0, 1, 2), 0.8), a.beads[3], Bead((4, 5), (4, 5), 0.8)) + a.beads[6:])
        assert s.apply(edits.Edit(merged, 1, "realign", {"first": 0, "last": 5, "beads": 3}))
        s.cursor = 1  # the bead of es 3 / en 3, now bead 2 (bead 4 before)
        at, stretch = s.undo()
        assert stretch == (0, 3, 6) and s.alignment.beads[at].src == (3,) and at == 3


def test_the_last_edit_column_is_short_enough_for_80_columns():
    from datetime import date

    from tui.session import PairSummary, _compact

    today = date(2026, 11, 28)
    assert _compact("2026-11-28 05:22", today) == "today 05:22"
    assert _compact("2026-11-27 18:40", today) == "27 Nov 18:40"
    assert _compact("2025-03-02 09:00", today) == "2025-03-02"
    summary = PairSummary("almadraba-ascenso", 52, 50, 52, 10.0, 3, 2, "2025-03-02 09:00")
    assert summary.cells()[-1] == "2025-03-02" and max(len(c) for c in summary.cells()[1:]) <= 12


async def test_notices_show_square_brackets_as_written(db):
    """A notice carrying '[/b]' (a note, a file name) crashed the app: Textual read it as a closing tag."""
    app = app_for(db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.review.notify("note [/b] on nota[1].txt [draft]", severity="warning")  # as a screen passes it
        await pilot.pause(0.3)
        shown = [n for n in app._notifications if "nota[1]" in n.message]
        assert shown and not shown[0].markup
        assert app.is_running and app.return_code is None


async def test_ctrl_c_says_how_to_quit_in_words_not_markup(db):
    """Every notice went out as plain text, Textual's own too: ctrl+c showed "Press [b]ctrl+q[/b] to quit"."""
    from textual.content import Content

    app = app_for(db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        said = [n for n in app._notifications if "to quit the app" in n.message]
        assert said and said[0].markup
        assert Content.from_markup(said[0].message).plain == "Press ctrl+q to quit the app"


async def test_notices_stand_above_the_status_line(db):
    """A notice covered the right end of the status line (the counts, the marked run) while it showed."""
    from textual.widgets._toast import Toast

    app = app_for(db)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause(0.3)
        toasts, status = list(app.screen.query(Toast)), app.review.query_one("#status").region
        assert toasts and all(not t.region.overlaps(status) for t in toasts), ([t.region for t in toasts], status)


async def test_a_pair_named_with_square_brackets_shows_its_name(tmp_path):
    """Titles and dialogs read a name such as 'nota[/b]' as markup: the review title broke on it."""
    db = tmp_path / "p.db"
    with Store.open(db) as store:
        s = store.add_document("es/nota[b].txt", "es", ES)
        t = store.add_document("en/nota[b].txt", "en", EN)
        store.add_pair("nota[/b]", s, t)
        store.save_alignment("nota[/b]", Alignment(tuple(valdemar_beads()), 11, 9), {"model": "fake"})
    app = app_for(db, pair="nota[/b]")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        title = str(app.review.query_one("#review-title").render())
        assert "nota[/b]   es: nota[b].txt   ↔   en: nota[b].txt" in title
        await pilot.press("escape")  # the project screen lists it
        await pilot.pause()
        assert "nota[/b]" in str(app.project.query_one("DataTable").get_row_at(0)[0]).replace("\\", "")
        assert app.is_running


async def test_a_project_that_can_only_be_read_is_reviewed_without_saving_and_says_why(db, monkeypatch):
    """A project in a read-only folder opens as an unchanging file: moving about must not fail on the cursor it
    keeps, and an edit says why it cannot be saved."""
    opened = Store.open

    def read_only(path, *a, **k):
        store = opened(path, *a, **k)
        store.close()
        return Store._connect(Path(path), 10.0, "immutable")

    before = links(saved(db))
    monkeypatch.setattr(Store, "open", read_only)
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 4)
        await pilot.press("down", "down", "up")
        await pilot.press("m")
        await pilot.pause()
        pilot.app._save_cursor()  # as its timer does
        await pilot.pause()
        said = " ".join(str(n.message) for n in pilot.app._notifications)
        assert "its folder is not writable" in said and "cursor position not saved" not in said
    monkeypatch.setattr(Store, "open", opened)
    assert links(saved(db)) == before


async def test_a_read_only_project_file_is_reviewed_without_cursor_warnings(db, monkeypatch):
    """A project file made read-only (its folder writable) warned 'cursor position not saved' at every move."""
    import aligner.store.base as base

    real = base.os.access
    monkeypatch.setattr(base.os, "access", lambda p, mode, *a, **k: False if (mode == base.os.W_OK and
                                                                              Path(p) == db) else real(p, mode))
    async with app_for(db).run_test(size=SIZE) as pilot:
        await go_to(pilot, 4)
        await pilot.press("down", "up", "m")
        await pilot.pause()
        pilot.app._save_cursor()
        await pilot.pause()
        said = " ".join(str(n.message) for n in pilot.app._notifications)
        assert "the project file is read-only" in said and "cursor position not saved" not in said
