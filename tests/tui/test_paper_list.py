"""The virtualised PaperList on its own: 100,000 rows, only visible rows painted, row layout."""

from __future__ import annotations

import asyncio
import time

from rich.cells import cell_len
from textual.app import App, ComposeResult

from reader.models import Paper, PaperState
from reader.paths import bundled_styles_dir
from reader.tui.paper_list import PaperList
from reader.tui.rows import first_author, row_text


class ListHost(App[None]):
    CSS_PATH = bundled_styles_dir() / "reader.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[object] = []

    def compose(self) -> ComposeResult:
        yield PaperList(id="papers")

    def on_paper_list_highlighted(self, event: PaperList.Highlighted) -> None:
        self.messages.append(event)

    def on_paper_list_opened(self, event: PaperList.Opened) -> None:
        self.messages.append(event)


def _papers(count: int) -> list[Paper]:
    return [
        Paper(
            key=f"k{i}",
            title=f"Paper number {i}",
            authors=("A. Author", "B. Other"),
            date=f"2025-01-{1 + i % 28:02d}",
        )
        for i in range(count)
    ]


def test_100k_rows_paint_only_what_is_on_screen() -> None:
    papers = _papers(100_000)

    async def main() -> None:
        app = ListHost()
        async with app.run_test(size=(100, 30)) as pilot:
            plist = app.query_one(PaperList)
            started = time.perf_counter()
            plist.set_papers(papers, lambda _p: PaperState())
            plist.set_rows(list(range(len(papers))))
            await pilot.pause()
            first = time.perf_counter() - started
            await pilot.press("G")
            await pilot.pause()
            assert plist.cursor == 99_999
            assert (
                "Paper number 99999"
                in plist.render_line(plist.scrollable_content_region.height - 1).text
            )
            await pilot.press("g", "pagedown", "pagedown", "j")
            await pilot.pause()
            # Only the rows that were on screen got a display title.
            assert len(plist._titles) < 4 * plist.size.height
            assert first < 2.0, f"first paint of 100k rows took {first:.2f}s"
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.messages[-1], PaperList.Opened)
            assert app.messages[-1].index == plist.cursor

    asyncio.run(main())


def test_set_rows_keeps_the_cursor_on_the_same_paper() -> None:
    papers = _papers(50)

    async def main() -> None:
        app = ListHost()
        async with app.run_test(size=(80, 20)) as pilot:
            plist = app.query_one(PaperList)
            plist.set_papers(papers, lambda _p: PaperState())
            plist.set_rows(list(range(50)))
            plist.cursor = 10
            await pilot.pause()
            plist.set_rows([3, 7, 10, 20])
            assert plist.current_index == 10
            plist.set_rows([1, 2])  # gone: the cursor stays in range
            assert plist.current_index in (1, 2)
            plist.set_rows([])
            assert plist.current_index is None
            await pilot.pause()
            assert (
                "No papers" in plist.render_line(0).text
                or plist.placeholder in plist.render_line(0).text
            )

    asyncio.run(main())


def test_row_is_exactly_the_width_with_marks() -> None:
    paper = Paper(
        key="k",
        title="T",
        authors=("Ada Lovelace", "C. Babbage"),
        category="cs.CL",
        date="2025-07-25",
    )
    state = PaperState(read=False, starred=True, note="n", tags=("x",))
    for width in (20, 40, 79, 120, 200):
        text = row_text(
            paper, state, width=width, title="A title that is rather long " * 5, selected=True
        )
        assert cell_len(text.plain) == width
        assert text.plain.startswith("✓●★✎#")
    assert first_author(paper) == "Ada Lovelace et al."
    wide = row_text(paper, state, width=120, title="Title").plain
    assert "2025-07-25" in wide and "cs.CL" in wide and "Ada Lovelace et al." in wide
