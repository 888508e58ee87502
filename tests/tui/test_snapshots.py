"""A few screens as SVG snapshots at 80x24 and 160x48 (pytest-textual-snapshot).

Deterministic by construction: the seed store is built with a fixed ``as_of`` and base file
names (see conftest), the state starts empty in tmp, and no step shows a clock or a toast.
Update after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the SVGs before committing them.
"""

from __future__ import annotations

from textual.pilot import Pilot

from reader.tui.app import ReaderApp
from tests.tui.driving import settle


def _steps(*keys: str):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def test_wide_three_panes_with_marks(snap_compare, app: ReaderApp) -> None:
    assert snap_compare(app, terminal_size=(160, 48), run_before=_steps("j", "s", "j", "r", "j"))


def test_wide_search_results(snap_compare, app: ReaderApp) -> None:
    keys = ("slash", *"step audio", "enter")
    assert snap_compare(app, terminal_size=(160, 48), run_before=_steps(*keys))


def test_narrow_list(snap_compare, app: ReaderApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=_steps("j", "space", "j"))


def test_narrow_detail_over_the_list(snap_compare, app: ReaderApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=_steps("G", "enter"))


def test_narrow_help(snap_compare, app: ReaderApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=_steps("question_mark"))
