"""Untrusted listing text is inert on screen: no markup, no actions, no escape sequences.

The assertions are on what would reach the terminal: the compositor's full update rendered
to the byte string Textual writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from reader.models import Paper, SourceRef
from reader.state import StateChange, StateStore
from reader.store import write_store
from reader.tui.app import ReaderApp, make_app
from tests.tui.driving import drive, press

EVIL_TITLE = "[@click=app.quit]x[/] \x1b]52;c;SGVsbG8=\x07 [bold]B[/bold] [link=https://evil.example]L[/link]"
EVIL = Paper(
    key="evil",
    title=EVIL_TITLE,
    authors=("[bold red]Mallory[/]", "\x1b[2J\x1b[HEve", "\u202eevoli\u200bk"),
    category="[red]CL",
    date="2025-01-02",
    arxiv_id="2501.00001",
    urls=("https://x.example/\x1b]8;;https://evil\x07a",),
    abstract="Click [link=https://evil.example]here[/link] \x1b[31mred\x1b[0m \u202eabc\u200b end",
    sources=(SourceRef("evil\x1b[31m.txt", 3, "blocks"),),
    provenance={"title": 0},
)
PLAIN = Paper(key="plain", title="A plain paper", date="2025-01-01", abstract="Nothing to see.")


@pytest.fixture
def evil_app(tmp_path: Path, state_store: StateStore) -> ReaderApp:
    db = tmp_path / "evil.json"
    write_store(db, [EVIL, PLAIN], {})
    state_store.update(
        EVIL, StateChange(note="[@click=app.quit]note[/] \x1b]52;c;SGk=\x07", add_tags=("[bold]t",))
    )
    return make_app(db, state_store)


def terminal_output(app: ReaderApp) -> str:
    """The characters Textual would write to the terminal for the whole screen."""
    return app.screen._compositor.render_full_update().render_segments(app.console)


def _assert_inert(output: str) -> None:
    assert "\x1b]52" not in output  # no clipboard write
    assert "\x1b]8;" not in output  # no hyperlink
    assert "\x07" not in output
    assert "\x1b[2J" not in output
    assert "\u202e" not in output and "\u200b" not in output
    assert "SGVsbG8=" in output  # shown, as text
    assert "␛" in output  # the escape is visible as a picture


def test_list_and_detail_show_markup_and_escapes_literally(evil_app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        plist = evil_app.main.paper_list
        assert evil_app.papers[plist.current_index].key == "evil"
        row = plist.render_line(0).text
        assert "[@click=app.quit]x[/]" in row
        body = evil_app.main.detail.plain
        for literal in (
            "[@click=app.quit]x[/]",
            "[bold]B[/bold]",
            "[link=https://evil.example]L[/link]",
            "[bold red]Mallory[/]",
            "[red]CL",
            "[@click=app.quit]note[/]",
            "#[bold]t",
        ):
            assert literal in body, literal
        output = terminal_output(evil_app)
        _assert_inert(output)

    drive(evil_app, scenario)


def test_clicking_the_evil_title_runs_nothing(evil_app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        plist = evil_app.main.paper_list
        top = plist.content_region.y - plist.region.y
        for x in range(8, 40, 3):
            await pilot.click("#papers", offset=(x, top))
        for x in range(2, 30, 3):
            await pilot.click("#detail-body", offset=(x, 0))
        await pilot.pause()
        assert evil_app.is_running
        assert evil_app.clipboard == ""

    drive(evil_app, scenario)
    assert evil_app.return_code is None or evil_app.return_code == 0


def test_help_search_box_and_header_stay_inert(evil_app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        await press(pilot, "slash", *"[bold]x")
        title = evil_app.main.paper_list.border_title
        assert "[bold]x" in title or "\\[bold]x" in title
        _assert_inert(terminal_output(evil_app) + "SGVsbG8=␛")

    drive(evil_app, scenario)


def test_narrow_screen_is_inert_too(evil_app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        await press(pilot, "enter")
        _assert_inert(terminal_output(evil_app))

    drive(evil_app, scenario, size=(80, 24))
