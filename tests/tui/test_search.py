"""Search as you type, the filter controls, bad queries, saved searches and 1-9."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList, Select

from reader.query import SearchIndex, parse_query, run_query
from reader.state import StateChange, StateStore
from reader.tui.app import ReaderApp
from reader.tui.dialogs import PromptScreen
from reader.tui.filters import FilterSpec, QueryNote
from tests.tui.driving import drive, press


def _titles(app: ReaderApp) -> list[str]:
    return [app.papers[i].title for i in app.main.paper_list.rows]


def _expected(app: ReaderApp, text: str, sort: str = "newest") -> list[int]:
    index = SearchIndex(app.papers)
    return run_query(parse_query(text), index, app.session.state_of, sort=sort)


def test_slash_search_filters_as_you_type_and_enter_moves_to_results(
    app: ReaderApp, state_dir: Path
) -> None:
    async def scenario(pilot: Pilot) -> None:
        main = app.main
        await press(pilot, "slash")
        assert app.focused is main.query_one("#search", Input)
        await press(pilot, *"step")
        assert main.paper_list.rows == _expected(app, "step")
        assert 0 < len(main.paper_list.rows) < 30
        assert f"Papers {len(main.paper_list.rows)}/30 · step" in main.paper_list.border_title
        await press(pilot, "enter")
        assert app.focused is main.paper_list
        await press(pilot, "j")  # the next key acts on the results
        assert main.paper_list.cursor == 1

    drive(app, scenario)


def test_narrow_search_shows_the_pane_then_hides_it(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        main = app.main
        assert not main.query_one("#filters").display
        await press(pilot, "slash")
        assert main.query_one("#filters").display
        await press(pilot, *"audio", "enter")
        assert not main.query_one("#filters").display
        assert all("audio" in t.lower() or "Audio" in t for t in _titles(app)[:1])
        assert "audio" in main.paper_list.border_title

    drive(app, scenario, size=(80, 24))


def test_malformed_query_says_why_and_keeps_the_last_good_result(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        main = app.main
        await press(pilot, "slash", *"step")
        good = list(main.paper_list.rows)
        await press(pilot, *' "unclosed')
        note = main.query_one("#query-message", QueryNote)
        assert "unclosed quote" in str(note.render())
        assert note.error
        assert main.paper_list.rows == good
        await press(pilot, *'"')  # closes the quote: valid again
        assert not note.error and not note.text

    drive(app, scenario)


def test_esc_clears_the_search(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        main = app.main
        await press(pilot, "slash", *"audio", "enter")
        assert len(main.paper_list.rows) < 30
        await press(pilot, "escape")
        assert main.query_one("#search", Input).value == ""
        assert len(main.paper_list.rows) == 30

    drive(app, scenario)


def test_status_filter(app: ReaderApp, state_store: StateStore) -> None:
    async def scenario(pilot: Pilot) -> None:
        main = app.main
        await press(pilot, "s", "j", "r", "j", "n")
        await pilot.press(*"a note")
        await press(pilot, "escape")
        status = main.query_one("#status", Select)
        for value, text in [
            ("starred", "is:starred"),
            ("unread", "is:unread"),
            ("read", "is:read"),
            ("noted", "is:noted"),
        ]:
            status.value = value
            await press(pilot)
            assert main.paper_list.rows == _expected(app, text), value
            assert text in main.paper_list.border_title
        assert len(main.paper_list.rows) == 1
        status.value = "all"
        await press(pilot)
        assert len(main.paper_list.rows) == 30

    drive(app, scenario)


def test_category_year_code_and_sort_controls(app: ReaderApp) -> None:
    async def scenario(pilot: Pilot) -> None:
        main = app.main
        main.query_one("#category", Select).value = "CL"
        await press(pilot)
        assert main.paper_list.rows == _expected(app, "cat:CL")
        assert all(app.papers[i].category == "CL" for i in main.paper_list.rows)
        main.query_one("#category", Select).value = ""
        main.query_one("#year-from", Input).value = "2025"
        main.query_one("#year-to", Input).value = "2025"
        await press(pilot)
        assert main.paper_list.rows == _expected(app, "year:2025")
        assert all((app.papers[i].date or "").startswith("2025") for i in main.paper_list.rows)
        main.query_one("#year-to", Input).value = ""
        await press(pilot)
        assert main.paper_list.rows == _expected(app, "year:2025..")
        main.query_one("#year-from", Input).value = ""
        main.query_one("#has-code", Checkbox).value = True
        await press(pilot)
        assert main.paper_list.rows == _expected(app, "has:code")
        assert all(app.papers[i].has_code for i in main.paper_list.rows)
        main.query_one("#has-code", Checkbox).value = False
        for sort in ("oldest", "title", "relevance", "newest"):
            main.query_one("#sort", Select).value = sort
            await press(pilot)
            assert main.paper_list.rows == _expected(app, "", sort), sort
            assert f"sort: {sort}" in main.paper_list.border_subtitle

    drive(app, scenario)


def test_filter_spec_writes_query_terms() -> None:
    spec = FilterSpec(
        text="diffusion",
        status="unread",
        category="cs.CL",
        year_from="2024",
        year_to="2025",
        has_code=True,
    )
    assert spec.query_text() == "is:unread cat:cs.CL year:2024..2025 has:code diffusion"
    assert FilterSpec(year_to="2020").query_text() == "year:..2020"
    assert FilterSpec().query_text() == ""
    for text in [spec.query_text(), FilterSpec(year_to="2020").query_text()]:
        parse_query(text)  # every control writes valid query language


def test_save_a_search_and_recall_it_with_a_digit(app: ReaderApp, state_dir: Path) -> None:
    async def scenario(pilot: Pilot) -> None:
        main = app.main
        await press(pilot, "slash", *"audio", "enter")
        await press(pilot, "S")
        assert isinstance(app.screen, PromptScreen)
        await press(pilot, *"sound", "enter")
        assert StateStore(state_dir).load().searches == {"sound": "audio"}
        await press(pilot, "escape")  # clear the search
        assert len(main.paper_list.rows) == 30
        await press(pilot, "1")
        assert main.query_one("#search", Input).value == "audio"
        assert main.paper_list.rows == _expected(app, "audio")
        await press(pilot, "escape", "2")
        assert any("No saved search 2" in str(n.message) for n in app._notifications)

    drive(app, scenario)


def test_saved_searches_from_another_process_appear_and_can_be_chosen(
    app: ReaderApp, state_dir: Path
) -> None:
    async def scenario(pilot: Pilot) -> None:
        main = app.main
        StateStore(state_dir).save_search("b-starred", "is:starred")
        StateStore(state_dir).save_search("a-code", "has:code")
        StateStore(state_dir).update(app.papers[0], StateChange(starred=True))
        for _ in range(40):
            await pilot.pause(0.05)
            if app.session.searches:
                break
        await press(pilot, "2")  # sorted by name: 1 a-code, 2 b-starred
        assert main.paper_list.rows == [0]
        await press(pilot, "1")
        assert main.paper_list.rows == _expected(app, "has:code")

    drive(app, scenario)


def test_saved_search_list_in_the_filter_pane_recalls_and_deletes(
    app: ReaderApp, state_dir: Path
) -> None:
    StateStore(state_dir).save_search("audio", "audio")

    async def scenario(pilot: Pilot) -> None:
        main = app.main
        saved = main.query_one("#saved", OptionList)
        assert saved.option_count == 1
        saved.focus()
        await press(pilot, "down", "enter")
        assert main.query_one("#search", Input).value == "audio"
        assert app.focused is main.paper_list  # choosing a search moves to the results
        saved.focus()
        await press(pilot, "delete")
        assert StateStore(state_dir).load().searches == {}
        assert saved.option_count == 0

    drive(app, scenario)
