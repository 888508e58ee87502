"""Moving around: j/k/arrows, g/G, PgUp/PgDn, u, Enter/Esc, f, mouse clicks, resizing."""

from __future__ import annotations

import sys

import pytest
from textual.pilot import Pilot

from reader.text import display_text
from reader.tui.app import LOADING_SWITCH_S, ReaderApp
from tests.tui.driving import drive, press, saved


def test_store_loads_in_the_background_and_lists_every_paper(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        plist = app.main.paper_list
        assert len(plist.rows) == 30
        assert "Papers 30/30" in plist.border_title
        dates = [app.papers[i].date or "" for i in plist.rows]
        dated = [d for d in dates if d]
        assert dated == sorted(dated, reverse=True)  # newest first
        assert app.main.detail.index == plist.current_index

    drive(app, scenario)


def test_loading_hands_the_gil_over_often_then_as_before(
    app: ReaderApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # So keys typed while a big store loads show at once (the event loop needs the GIL back
    # after every wait); the interpreter's usual interval returns, also after a failure.
    seen: list[float] = []

    def load_all(self: ReaderApp) -> None:
        seen.append(sys.getswitchinterval())
        raise RuntimeError("disk gone")

    usual = sys.getswitchinterval()
    monkeypatch.setattr(ReaderApp, "_load_all", load_all)
    with pytest.raises(RuntimeError):
        app._load()
    assert seen == [LOADING_SWITCH_S] and usual > LOADING_SWITCH_S
    assert sys.getswitchinterval() == usual


def test_cursor_keys_move_through_the_list(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        plist = app.main.paper_list
        await press(pilot, "j", "j", "down")
        assert plist.cursor == 3
        await press(pilot, "k", "up")
        assert plist.cursor == 1
        await press(pilot, "G")
        assert plist.cursor == 29
        await press(pilot, "g")
        assert plist.cursor == 0
        await press(pilot, "end")
        assert plist.cursor == 29
        await press(pilot, "home", "pagedown")
        page = plist.scrollable_content_region.height - 1
        assert plist.cursor == min(page, 29)
        await press(pilot, "pageup")
        assert plist.cursor == 0
        await press(pilot, "k")  # stays on the first row
        assert plist.cursor == 0

    drive(app, scenario, size=(80, 24))


def test_highlight_follows_cursor_in_the_detail_pane(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        await press(pilot, "j", "j")
        plist, detail = app.main.paper_list, app.main.detail
        assert detail.index == plist.current_index
        body = detail.plain
        assert display_text(plist.current_paper.title) in body

    drive(app, scenario)


def test_enter_opens_and_marks_read_and_r_undoes_it(app: ReaderApp, state_dir) -> None:
    async def scenario(pilot: Pilot) -> None:
        paper = app.main.paper_list.current_paper
        assert not saved(state_dir, paper).read
        await press(pilot, "enter")
        assert saved(state_dir, paper).read
        assert app.main.detail_open
        assert app.focused is app.main.detail.body
        await press(pilot, "r")
        assert not saved(state_dir, paper).read
        await press(pilot, "escape")
        assert not app.main.detail_open
        assert app.focused is app.main.paper_list

    drive(app, scenario)


def test_narrow_terminal_detail_covers_the_list_and_esc_returns(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        main = app.main
        assert main.has_class("-narrow")
        assert not main.query_one("#detail").display
        await press(pilot, "j", "enter")
        assert main.query_one("#detail").display
        assert not main.query_one("#papers").display
        await press(pilot, "j", "j")  # scrolls the detail, not the list
        assert main.paper_list.cursor == 1
        await press(pilot, "escape")
        assert main.query_one("#papers").display
        assert app.focused is main.paper_list

    drive(app, scenario, size=(80, 24))


def test_u_jumps_to_the_next_unread_paper(app: ReaderApp, state_dir) -> None:
    async def scenario(pilot: Pilot) -> None:
        plist = app.main.paper_list
        await press(pilot, "j", "r", "j", "r", "k", "k")  # rows 1 and 2 read, cursor on row 0
        assert plist.cursor == 0
        await press(pilot, "u")
        assert plist.cursor == 3
        assert not saved(state_dir, plist.current_paper).read

    drive(app, scenario)


def test_f_toggles_the_filter_pane(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        main = app.main
        assert main.query_one("#filters").display  # wide: shown
        await press(pilot, "f")
        assert not main.query_one("#filters").display
        await press(pilot, "f")
        assert main.query_one("#filters").display

    drive(app, scenario)


def test_resizing_keeps_the_cursor_and_selection(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        main = app.main
        await press(pilot, "j", "j", "space", "j", "j", "j")
        paper = main.paper_list.current_index
        selected = set(main.paper_list.selected)
        for size in [(80, 24), (60, 16), (200, 60), (80, 24), (160, 48)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert main.paper_list.current_index == paper
            assert main.paper_list.selected == selected
        assert main.has_class("-wide")

    drive(app, scenario, size=(160, 48))


def test_clicking_a_row_moves_the_cursor_and_double_click_opens(app: ReaderApp, state_dir) -> None:
    async def scenario(pilot: Pilot) -> None:
        plist = app.main.paper_list
        offset = plist.content_region.y - plist.region.y
        await pilot.click("#papers", offset=(10, offset + 4))
        await pilot.pause()
        assert plist.cursor == 4
        paper = plist.current_paper
        await pilot.click("#papers", offset=(10, offset + 4), times=2)
        await pilot.pause()
        assert saved(state_dir, paper).read

    drive(app, scenario)


def test_a_missing_store_is_built_from_the_seeds_with_progress(tmp_path, state_store) -> None:
    from reader.tui.app import make_app
    from tests.tui.conftest import SEEDS

    db = tmp_path / "new" / "papers.json"
    app = make_app(db, state_store, seeds=[SEEDS])
    stages: list[str] = []

    async def scenario(pilot: Pilot) -> None:
        assert db.exists()
        assert len(app.main.paper_list.rows) == 30
        assert not app.main.query_one("#loading-box").display

    from reader.tui.main_screen import MainScreen

    show_progress = MainScreen.show_progress

    def recording(self, stage: str, done: int, total: int) -> None:
        stages.append(stage)
        show_progress(self, stage, done, total)

    MainScreen.show_progress = recording
    try:
        drive(app, scenario)
    finally:
        MainScreen.show_progress = show_progress
    assert stages, "the build showed no progress"


def test_an_unreadable_store_is_reported_and_the_app_keeps_running(tmp_path, state_store) -> None:
    from reader.tui.app import make_app

    db = tmp_path / "broken.json"
    db.write_text("this is not a store")
    app = make_app(db, state_store)

    async def scenario(pilot: Pilot) -> None:
        assert app.is_running
        assert str(db) in app.main.paper_list.placeholder
        assert any(n.severity == "error" for n in app._notifications)
        await press(pilot, "j", "s", "slash", "x")  # nothing to act on: no crash
        assert app.is_running

    drive(app, scenario)


def test_the_store_loader_pauses_while_keys_come_in(tmp_path, state_store) -> None:
    """Keys typed while a big store loads show at once: the loader gives way meanwhile."""
    import threading
    import time

    from reader.tui import app as app_module
    from reader.tui.app import make_app
    from tests.tui.conftest import SEEDS

    app = make_app(tmp_path / "papers.json", state_store, seeds=[SEEDS])
    took: list[float] = []

    def loader_step() -> None:
        started = time.monotonic()
        app._give_way_to_keys()  # what the loader thread calls every few hundred papers
        took.append(time.monotonic() - started)

    async def scenario(pilot: Pilot) -> None:
        await pilot.pause(app_module.TYPING_PAUSE_S)
        loader_step()  # no key for a while: no pause
        await press(pilot, "j")
        thread = threading.Thread(target=loader_step)
        thread.start()
        while thread.is_alive():
            await pilot.pause(0.02)

    drive(app, scenario)
    assert took[0] < 0.05
    assert 0.1 <= took[1] < app_module.TYPING_PAUSE_S + 1.0
