"""Read, star, note (inline and $EDITOR), tags, bulk selection and undo: each saved at once."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from reader.state import StateChange, StateStore
from reader.tui.actions import BULK_CONFIRM
from reader.tui.app import ReaderApp
from reader.tui.dialogs import ConfirmScreen
from tests.tui.driving import drive, press, saved


def test_s_stars_and_unstars_the_paper_on_disk(app: ReaderApp, state_dir: Path) -> None:
    async def scenario(pilot: Pilot) -> None:
        await press(pilot, "j")
        paper = app.main.paper_list.current_paper
        await press(pilot, "s")
        assert saved(state_dir, paper).starred
        assert "★" in app.main.paper_list.render_line(1).text
        await press(pilot, "s")
        assert not saved(state_dir, paper).starred

    drive(app, scenario)


def test_r_toggles_read(app: ReaderApp, state_dir: Path) -> None:
    async def scenario(pilot: Pilot) -> None:
        paper = app.main.paper_list.current_paper
        await press(pilot, "r")
        assert saved(state_dir, paper).read
        assert "●" not in app.main.paper_list.render_line(0).text[:3]
        await press(pilot, "r")
        assert not saved(state_dir, paper).read

    drive(app, scenario)


def test_n_edits_the_note_inline_and_saves_on_leaving(app: ReaderApp, state_dir: Path) -> None:
    async def scenario(pilot: Pilot) -> None:
        paper = app.main.paper_list.current_paper
        await press(pilot, "n")
        editor = app.main.query_one("#note-editor", TextArea)
        assert app.focused is editor
        await pilot.press(*"good [bold]idea[/]")
        await press(pilot, "enter", *"line two")
        assert saved(state_dir, paper).note == ""  # not yet: saved when leaving
        await press(pilot, "escape")
        assert saved(state_dir, paper).note == "good [bold]idea[/]\nline two"
        body = app.main.detail.plain
        assert "good [bold]idea[/]" in body
        assert "✎" in app.main.paper_list.render_line(0).text

    drive(app, scenario)


def test_quitting_while_editing_a_note_saves_it(app: ReaderApp, state_dir: Path) -> None:
    edited = []

    async def scenario(pilot: Pilot) -> None:
        edited.append(app.main.paper_list.current_paper)
        await press(pilot, "n")
        await pilot.press(*"keep me")
        await pilot.press("ctrl+q")  # q would go into the note

    drive(app, scenario)
    assert saved(state_dir, edited[0]).note == "keep me"


def test_e_edits_the_note_in_editor(
    app: ReaderApp, state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "fake-editor"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nopen(sys.argv[1], 'a').write('from the editor\\n')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDITOR", str(script))

    async def scenario(pilot: Pilot) -> None:
        paper = app.main.paper_list.current_paper
        await press(pilot, "e")
        assert saved(state_dir, paper).note == "from the editor"
        await press(pilot, "e")
        assert saved(state_dir, paper).note == "from the editor\nfrom the editor"

    drive(app, scenario)


def test_e_with_a_failing_editor_leaves_the_note(
    app: ReaderApp, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "false")

    async def scenario(pilot: Pilot) -> None:
        paper = app.main.paper_list.current_paper
        await press(pilot, "e")
        assert saved(state_dir, paper).note == ""
        assert any("exited with status" in str(n.message) for n in app._notifications)

    drive(app, scenario)


def test_t_adds_and_removes_tags(app: ReaderApp, state_dir: Path) -> None:
    async def scenario(pilot: Pilot) -> None:
        paper = app.main.paper_list.current_paper
        await press(pilot, "t")
        await pilot.press(*"toread +ml #later")
        await press(pilot, "enter")
        assert set(saved(state_dir, paper).tags) == {"toread", "ml", "later"}
        await press(pilot, "t")
        await pilot.press(*"-ml")
        await press(pilot, "enter")
        assert set(saved(state_dir, paper).tags) == {"toread", "later"}
        assert "#" in app.main.paper_list.render_line(0).text[:6]

    drive(app, scenario)


def test_bulk_select_then_star_and_undo(app: ReaderApp, state_dir: Path) -> None:
    async def scenario(pilot: Pilot) -> None:
        plist = app.main.paper_list
        await press(pilot, "space", "v", "j", "space")  # rows 0, 1 and 3
        chosen = [app.papers[plist.rows[r]] for r in (0, 1, 3)]
        assert len(plist.selected) == 3
        assert "3 selected" in plist.border_subtitle
        await press(pilot, "s")
        assert all(saved(state_dir, p).starred for p in chosen)
        assert not saved(state_dir, app.papers[plist.rows[2]]).starred
        await press(pilot, "z")
        assert not any(saved(state_dir, p).starred for p in chosen)
        await press(pilot, "escape")
        assert not plist.selected

    drive(app, scenario)


def test_marking_many_read_asks_first(app: ReaderApp, state_dir: Path) -> None:
    async def scenario(pilot: Pilot) -> None:
        await press(pilot, "V")
        assert len(app.main.paper_list.selected) == 30 >= BULK_CONFIRM
        await press(pilot, "r")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert not any(saved(state_dir, p).read for p in app.papers)
        await press(pilot, "r")
        await press(pilot, "y")
        assert all(saved(state_dir, p).read for p in app.papers)
        await press(pilot, "z")  # undo the whole bulk change
        assert not any(saved(state_dir, p).read for p in app.papers)
        await press(pilot, "V")
        assert not app.main.paper_list.selected

    drive(app, scenario)


def test_undo_restores_values_in_order(app: ReaderApp, state_dir: Path) -> None:
    async def scenario(pilot: Pilot) -> None:
        paper = app.main.paper_list.current_paper
        await press(pilot, "s", "r", "t")
        await pilot.press(*"x")
        await press(pilot, "enter")
        assert saved(state_dir, paper).tags == ("x",)
        await press(pilot, "z")
        assert saved(state_dir, paper).tags == ()
        assert saved(state_dir, paper).read
        await press(pilot, "z")
        assert not saved(state_dir, paper).read
        assert saved(state_dir, paper).starred
        await press(pilot, "z")
        assert not saved(state_dir, paper).starred
        await press(pilot, "z")
        assert any("Nothing to undo" in str(n.message) for n in app._notifications)

    drive(app, scenario)


def test_changes_from_another_process_show_within_two_seconds(
    app: ReaderApp, state_dir: Path
) -> None:
    async def scenario(pilot: Pilot) -> None:
        plist = app.main.paper_list
        paper = plist.current_paper
        StateStore(state_dir).update(paper, StateChange(starred=True, note="from the CLI"))
        for _ in range(40):
            await pilot.pause(0.05)
            if "★" in plist.render_line(0).text:
                break
        assert "★" in plist.render_line(0).text
        assert "from the CLI" in app.main.detail.plain

    drive(app, scenario)


@pytest.mark.skipif(os.name != "posix", reason="replaces the config dir with a file")
def test_a_failed_save_is_reported_and_the_app_keeps_running(
    app: ReaderApp, state_dir: Path
) -> None:
    async def scenario(pilot: Pilot) -> None:
        await press(pilot, "s")  # creates the state dir
        for child in state_dir.iterdir():
            child.unlink()
        state_dir.rmdir()
        state_dir.write_text("not a directory")  # every save now fails with an OSError
        await press(pilot, "j", "s")
        assert any(
            n.severity == "error" and "Not saved" in str(n.message) for n in app._notifications
        )
        assert app.is_running
        await press(pilot, "j")
        assert app.main.paper_list.cursor == 2

    drive(app, scenario)


def test_search_box_keeps_letters_out_of_the_triage_keys(app: ReaderApp, state_dir: Path) -> None:
    async def scenario(pilot: Pilot) -> None:
        paper = app.main.paper_list.current_paper
        await press(pilot, "slash")
        await press(pilot, *"rsq")
        assert app.main.query_one("#search", Input).value == "rsq"
        assert saved(state_dir, paper).is_empty
        assert app.is_running

    drive(app, scenario)


def test_t_on_a_selection_tags_every_selected_paper(app: ReaderApp, state_dir: Path) -> None:
    async def scenario(pilot: Pilot) -> None:
        plist = app.main.paper_list
        await press(pilot, "space", "space", "space")
        chosen = [app.papers[plist.rows[r]] for r in range(3)]
        await press(pilot, "t")
        await pilot.press(*"batch")
        await press(pilot, "enter")
        assert all(saved(state_dir, p).tags == ("batch",) for p in chosen)
        assert not saved(state_dir, app.papers[plist.rows[3]]).tags
        await press(pilot, "z")
        assert not any(saved(state_dir, p).tags for p in chosen)

    drive(app, scenario)


def test_clicking_a_key_in_the_footer_runs_it(app: ReaderApp, state_dir: Path) -> None:
    """The footer is one KeyBar widget: a click on "s Star" stars, like pressing s."""

    async def scenario(pilot: Pilot) -> None:
        bar = app.main.query_one("#keys")
        line = str(bar.render())
        assert "s Star" in line and "? Help" in line
        paper = app.main.paper_list.current_paper
        await pilot.click("#keys", offset=(line.index("s Star") + 2, 0))
        await press(pilot)
        assert saved(state_dir, paper).starred

    drive(app, scenario)
