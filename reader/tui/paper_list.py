"""The paper list: a Line-API ScrollView that renders only the rows on screen.

Textual's OptionList/DataTable measure every row up front and ListView makes a widget per
row; at 100k papers that is seconds and hundreds of MB.  This widget keeps a list of paper
indices and paints the visible slice in ``render_line``, so 100,000 rows scroll like 30.
It never changes user state: it posts messages (Highlighted, Opened, SelectionChanged) and
the screen decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.color import Color as RichColor
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip

from reader.models import EMPTY_STATE, Paper, PaperState
from reader.text import display_text
from reader.tui.lines import set_virtual_height
from reader.tui.rows import RowStyles, row_segments

StateOf = Callable[[Paper], PaperState]


class _ListScrollBar(ScrollBar):
    """Textual's scrollbar, drawn again only when the bar it shows changes.

    The list's row count changes on nearly every keystroke, which repaints the scrollbar;
    the bar itself mostly looks the same, and drawing it through Textual's pipeline took
    ~3 ms of each keystroke's frame.  Working out the bar's cells is cheap (50 us), so
    they are the cache key.
    """

    _drawn: tuple[tuple, list[Strip]] | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        bar = self.render()
        if not isinstance(bar, ScrollBarRender):
            self._drawn = None
            return super().render_lines(crop)
        style = self.app.console.get_style(bar.style)
        size, thickness = self.size if not bar.vertical else self.size[::-1]
        cells = ScrollBarRender.render_bar(
            size=size,
            window_size=bar.window_size,
            virtual_size=bar.virtual_size,
            position=bar.position,
            vertical=bar.vertical,
            thickness=thickness,
            back_color=style.bgcolor or RichColor.parse("#555555"),
            bar_color=style.color or RichColor.parse("bright_magenta"),
        )
        key = (tuple(cells.segments), crop, self.size)
        if self._drawn is None or self._drawn[0] != key:
            self._drawn = (key, super().render_lines(crop))
        return self._drawn[1]

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn = None


class PaperList(ScrollView, can_focus=True):
    """Rows of papers (indices into ``papers``), a cursor, and a bulk selection."""

    COMPONENT_CLASSES = {  # noqa: RUF012 (Textual's own class-var convention)
        "paper-list--cursor",
        "paper-list--cursor-blurred",
        "paper-list--unread",
        "paper-list--starred",
        "paper-list--marks",
        "paper-list--selected",
        "paper-list--dim",
        "paper-list--author",
        "paper-list--placeholder",
    }

    BINDINGS = [  # noqa: RUF012
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "open", "Open", show=False),
        Binding("space,v", "toggle_select", "Select", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    @dataclass
    class Highlighted(Message):
        """The cursor moved to another paper (``index`` into papers, None when empty)."""

        paper_list: PaperList
        index: int | None

    @dataclass
    class Opened(Message):
        """Enter (or a double click) on a paper."""

        paper_list: PaperList
        index: int

    @dataclass
    class SelectionChanged(Message):
        """The bulk selection grew or shrank."""

        paper_list: PaperList
        count: int

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.papers: Sequence[Paper] = ()
        self.rows: Sequence[int] = ()
        self.selected: set[int] = set()
        self.placeholder = "Loading…"
        self._state_of: StateOf = lambda _paper: EMPTY_STATE
        self._titles: dict[int, str] = {}
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)
        self._version = 0  # bumped when marks or styles change: every cached strip is stale
        self._styles: RowStyles | None = None
        self._cursor_style = Style()
        self._last_posted: int | None = -1
        self._border_texts: dict[str, Text] = {}
        self._paint: tuple[int, int, bool] | None = None

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Widget.vertical_scrollbar with the caching bar (same steps as Textual's own)."""
        if self._vertical_scrollbar is None:
            bar = _ListScrollBar(
                vertical=True, name="vertical", thickness=self.scrollbar_size_vertical
            )
            bar.display = False
            self._vertical_scrollbar = bar
            self.app._start_widget(self, bar)
        return self._vertical_scrollbar

    # -- data in -------------------------------------------------------------------------

    def set_papers(self, papers: Sequence[Paper], state_of: StateOf) -> None:
        """A new store was loaded: forget rows, titles and selection."""
        self.papers = papers
        self._state_of = state_of
        self._titles.clear()
        self._version += 1
        self._strips.clear()
        self.selected.clear()
        self.set_rows(())

    def set_state_of(self, state_of: StateOf) -> None:
        """User state changed (here or in another process): repaint the marks."""
        self._state_of = state_of
        self.refresh_marks()

    def set_rows(self, rows: Sequence[int], *, keep: int | None = None) -> None:
        """Show ``rows``; keep the cursor on paper ``keep`` (default: the current one)."""
        current = self.current_index if keep is None else keep
        shown_before = self._shown_lines()
        self.rows = rows
        set_virtual_height(self, len(rows), repaint=False)
        position = 0
        if current is not None and rows:
            try:
                position = rows.index(current)
            except ValueError:
                position = min(self.cursor, len(rows) - 1)
        self.set_reactive(PaperList.cursor, max(position, 0))
        self._scroll_cursor_into_view(center=True)
        self._repaint_changed(shown_before)
        self._post_highlight()

    def _shown_lines(self) -> tuple[int, list[tuple[int, bool, bool] | None]]:
        """What each visible line shows now: the top row, then (paper, cursor, selected)."""
        top = round(self.scroll_y)
        rows, cursor, selected = self.rows, self.cursor, self.selected
        lines: list[tuple[int, bool, bool] | None] = []
        for row in range(top, top + self._page_height()):
            if row < len(rows):
                index = rows[row]
                lines.append((index, row == cursor, index in selected))
            else:
                lines.append(None)
        return top, lines

    def _repaint_changed(self, before: tuple[int, list[tuple[int, bool, bool] | None]]) -> None:
        """Repaint only the lines whose paper or marks changed.

        Repainting the whole list redraws every line of the screen it spans (Textual draws
        whole lines), on every keystroke; typing a longer word often keeps most lines.
        Strips stay cached by paper, not position, so a line showing a paper shown a moment
        ago is not drawn again either.
        """
        top, lines = self._shown_lines()
        old_top, old_lines = before
        if top != old_top or len(lines) != len(old_lines) or not self.rows or not old_lines[0]:
            self.refresh()  # scrolled, resized, or the placeholder line was or is shown
            return
        width = self.scrollable_content_region.width
        changed = [
            y for y, (old, new) in enumerate(zip(old_lines, lines, strict=True)) if old != new
        ]
        while changed:  # one region per run of changed lines
            start = end = changed.pop(0)
            while changed and changed[0] == end + 1:
                end = changed.pop(0)
            self.refresh(Region(0, start, width, end - start + 1))

    def set_titles(self, title: Text, subtitle: Text) -> None:
        """Set the border title and subtitle, repainting only the border lines that change.

        (Textual's border_title setter repaints the whole widget.)
        """
        for attribute, text, y in (
            ("_border_title", title, -1),
            ("_border_subtitle", subtitle, self.scrollable_content_region.height),
        ):
            if self._border_texts.get(attribute) == text:
                continue
            self._border_texts[attribute] = text.copy()
            content = self.render_str(Content.from_rich_text(text)).expand_tabs(4)
            setattr(self, attribute, content.split()[0])
            if self.is_mounted:
                # A region one line above (below) the content is the top (bottom) border.
                self.refresh(Region(-1, y, self.outer_size.width, 1))

    def refresh_marks(self) -> None:
        """Repaint rows after a state change without moving anything."""
        self._version += 1
        self._strips.clear()
        self.refresh()

    # -- what is where ---------------------------------------------------------------------

    @property
    def current_index(self) -> int | None:
        """The paper index under the cursor, or None when the list is empty."""
        if not self.rows:
            return None
        return self.rows[min(self.cursor, len(self.rows) - 1)]

    @property
    def current_paper(self) -> Paper | None:
        index = self.current_index
        return None if index is None else self.papers[index]

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height)

    # -- cursor ----------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)  # scrolling (below) repaints everything when it happens
        self.refresh_line(new)
        self._scroll_cursor_into_view()
        self._post_highlight()

    def _post_highlight(self) -> None:
        index = self.current_index
        if index != self._last_posted:
            self._last_posted = index
            self.post_message(self.Highlighted(self, index))

    def _scroll_cursor_into_view(self, *, center: bool = False) -> None:
        height = self._page_height()
        top = round(self.scroll_y)
        if center and not (top <= self.cursor < top + height):
            self.scroll_to(y=max(0, self.cursor - height // 2), animate=False)
        elif self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def move_to_index(self, index: int) -> bool:
        """Put the cursor on paper ``index`` if it is shown; True when it is."""
        try:
            self.cursor = self.rows.index(index)
        except ValueError:
            return False
        return True

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.cursor += self._page_height() - 1
        self.scroll_to(y=self.scroll_y + self._page_height() - 1, animate=False)

    def action_page_up(self) -> None:
        self.cursor -= self._page_height() - 1
        self.scroll_to(y=self.scroll_y - self._page_height() + 1, animate=False)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.rows) - 1

    def action_open(self) -> None:
        index = self.current_index
        if index is not None:
            self.post_message(self.Opened(self, index))

    def action_toggle_select(self) -> None:
        """Add the paper under the cursor to the bulk selection (or take it out), move on."""
        index = self.current_index
        if index is None:
            return
        self.selected.symmetric_difference_update({index})
        self.refresh_marks()
        self.post_message(self.SelectionChanged(self, len(self.selected)))
        self.cursor += 1

    def set_selection(self, indices: set[int]) -> None:
        """Replace the bulk selection (select all shown, clear)."""
        self.selected = set(indices)
        self.refresh_marks()
        self.post_message(self.SelectionChanged(self, len(self.selected)))

    # -- mouse -----------------------------------------------------------------------------

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = offset.y + round(self.scroll_y)
        if 0 <= row < len(self.rows):
            self.cursor = row
            if event.chain >= 2:
                self.action_open()

    def on_focus(self) -> None:
        self.refresh()  # strips are cached per focus state

    def on_blur(self) -> None:
        self.refresh()

    def on_resize(self) -> None:
        self._strips.clear()
        self._scroll_cursor_into_view()

    # -- painting --------------------------------------------------------------------------

    def _row_styles(self) -> RowStyles:
        style = self.get_component_rich_style
        return RowStyles(
            base=self.rich_style,
            unread=style("paper-list--unread"),
            starred=style("paper-list--starred"),
            marks=style("paper-list--marks"),
            selected=style("paper-list--selected"),
            dim=style("paper-list--dim"),
            author=style("paper-list--author"),
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        """Look the styles, width, focus and scroll up once per paint, not once per row."""
        self._styles = self._row_styles()
        cursor = "paper-list--cursor" if self.has_focus else "paper-list--cursor-blurred"
        self._cursor_style = self.get_component_rich_style(cursor)
        self._paint = (self.scrollable_content_region.width, round(self.scroll_y), self.has_focus)
        try:
            return super().render_lines(crop)
        finally:
            self._paint = None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def _title(self, index: int) -> str:
        title = self._titles.get(index)
        if title is None:
            title = self._titles[index] = display_text(self.papers[index].title) or "(untitled)"
        return title

    def render_line(self, y: int) -> Strip:
        paint = self._paint
        if paint is None:  # called on its own (tests), not from render_lines
            paint = (self.scrollable_content_region.width, round(self.scroll_y), self.has_focus)
        width, top, has_focus = paint
        styles = self._styles or self._row_styles()
        row = top + y
        if not self.rows or row >= len(self.rows):
            if y == 0 and not self.rows:
                text = Text(
                    self.placeholder, style=self.get_component_rich_style("paper-list--placeholder")
                )
                strip = Strip(text.render(self.app.console), text.cell_len)
                return strip.crop_extend(0, width, styles.base)
            return Strip.blank(width, styles.base)
        index = self.rows[row]
        is_cursor = row == self.cursor
        selected = index in self.selected
        key = (index, width, is_cursor, has_focus, selected, self._version)
        strip = self._strips.get(key)
        if strip is None:
            paper = self.papers[index]
            segments = row_segments(
                paper,
                self._state_of(paper),
                width=width,
                title=self._title(index),
                selected=selected,
                styles=styles,
                cursor=self._cursor_style if is_cursor else None,
            )
            strip = Strip(segments, width).crop_extend(0, width, styles.base)
            self._strips[key] = strip
        return strip
