"""y / o links, x export, ? help, the command palette, q quit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

from reader.tui.app import ReaderApp
from reader.tui.dialogs import ExportScreen, HelpScreen
from reader.tui.keys import ALL_KEYS
from tests.tui.driving import drive, press, saved


def _move_to(app: ReaderApp, predicate) -> int:
    plist = app.main.paper_list
    for row, index in enumerate(plist.rows):
        if predicate(app.papers[index]):
            plist.cursor = row
            return index
    raise AssertionError("no such paper in the seeds")


def test_y_copies_the_arxiv_link(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        _move_to(app, lambda p: p.arxiv_id == "2507.19427")
        await press(pilot, "y")
        assert app.clipboard == "https://arxiv.org/abs/2507.19427"

    drive(app, scenario)


def test_o_without_a_browser_says_so_and_copies(
    app: ReaderApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)

    async def scenario(pilot: Pilot) -> None:
        _move_to(app, lambda p: p.arxiv_id == "2507.19427")
        await press(pilot, "o")
        assert app.clipboard == "https://arxiv.org/abs/2507.19427"
        assert any("No browser here" in str(n.message) for n in app._notifications)

    drive(app, scenario)


def test_y_on_a_paper_without_links_says_so(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        _move_to(app, lambda p: not p.arxiv_id and not p.urls and not p.doi)
        await press(pilot, "y")
        assert app.clipboard == ""
        assert any("no link" in str(n.message) for n in app._notifications)

    drive(app, scenario)


def test_x_exports_what_is_shown(app: ReaderApp, tmp_path: Path, state_dir: Path) -> None:
    target = tmp_path / "out.json"

    async def scenario(pilot: Pilot) -> None:
        await press(pilot, "s", "slash", *"step", "enter")
        shown = [app.papers[i].key for i in app.main.paper_list.rows]
        await press(pilot, "x")
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#export-format").value = "json"
        await pilot.pause()
        path = app.screen.query_one("#export-path", Input)
        path.value = str(target)
        await press(pilot, "enter")
        data = json.loads(target.read_text())
        assert [p["key"] for p in data] == shown
        assert any("Exported" in str(n.message) for n in app._notifications)

    drive(app, scenario)


def test_x_exports_the_selection_as_bibtex(app: ReaderApp, tmp_path: Path) -> None:
    target = tmp_path / "picked.bib"

    async def scenario(pilot: Pilot) -> None:
        await press(pilot, "space", "space")
        await press(pilot, "x")
        assert "(selected)" in str(app.screen.query_one(".dialog-title").render())
        app.screen.query_one("#export-path", Input).value = str(target)
        await press(pilot, "enter")
        assert target.read_text().count("@") == 2

    drive(app, scenario)


def test_help_lists_every_key(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-body Static").content
        text = "".join(str(cell) for column in table.columns for cell in column._cells)
        for key in ALL_KEYS:
            assert key.shown_keys in text
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)

    drive(app, scenario)


def test_palette_offers_every_action_and_runs_them(app: ReaderApp, state_dir: Path) -> None:
    async def scenario(pilot: Pilot) -> None:
        titles = [c.title for c in app.get_system_commands(app.main)]
        for key in ALL_KEYS:
            if key.action != "saved_search_key" and not key.action.startswith("app."):
                assert any(key.description in t for t in titles), key
        paper = app.main.paper_list.current_paper
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Star (s)")
        await pilot.pause(0.3)
        await press(pilot, "enter")
        assert saved(state_dir, paper).starred

    drive(app, scenario)


def test_q_quits(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        await press(pilot, "q")
        assert not app.is_running

    drive(app, scenario)
