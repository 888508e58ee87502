"""The filter pane: the search box plus controls that write terms of the one query language.

Every control maps to a query term (status -> ``is:unread``, category -> ``cat:CL``, years ->
``year:2024..2025``, has-code -> ``has:code``) so the pane, the search box, saved searches and
``reader list QUERY`` all mean the same thing.  The pane only posts messages; the screen runs
the search.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from reader.text import inert_text
from reader.tui.lines import set_virtual_size

STATUSES = ("all", "unread", "starred", "noted", "read")
SORTS = ("newest", "oldest", "title", "relevance")
STATUS_TERMS = {
    "unread": "is:unread",
    "starred": "is:starred",
    "noted": "is:noted",
    "read": "is:read",
}
ANY = ""


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """What the pane asks for: the typed text and the controls' values."""

    text: str = ""
    status: str = "all"
    category: str = ANY
    year_from: str = ""
    year_to: str = ""
    has_code: bool = False
    sort: str = "newest"

    def terms(self) -> list[str]:
        """The controls as query terms, in a fixed order."""
        terms = []
        if self.status in STATUS_TERMS:
            terms.append(STATUS_TERMS[self.status])
        if self.category:
            terms.append(f"cat:{self.category}")
        low, high = (
            y.strip() if len(y.strip()) == 4 else "" for y in (self.year_from, self.year_to)
        )
        if low and high:
            terms.append(f"year:{low}..{high}" if low != high else f"year:{low}")
        elif low:
            terms.append(f"year:{low}..")
        elif high:
            terms.append(f"year:..{high}")
        if self.has_code:
            terms.append("has:code")
        return terms

    def query_text(self) -> str:
        """The one query string the search runs: control terms, then the typed text."""
        return " ".join([*self.terms(), self.text.strip()]).strip()


class SearchInput(Input):
    """The search box; typing repaints the box, not the whole screen.

    Textual's Input sets its (layout-triggering) virtual size from the text width on every
    keystroke, which re-lays out the whole screen; the box's size never depends on it, so
    only its own scroll state is updated.
    """

    on_text: Callable[[str], None] | None = None
    """Called with the new text in the same turn as the keystroke (Input.Changed comes later)."""

    def _watch_value(self, value: str) -> None:
        set_virtual_size(self, Size(self.content_width, 1))  # Input's own set is then a no-op
        super()._watch_value(value)
        if self.on_text is not None:
            self.on_text(value)


class QueryNote(Widget):
    """The line(s) under the search box: a query error, a note such as "Indexing…", or none.

    A Static would re-lay out the whole screen on every change of text (its height is auto)
    and the error colour came from a class on the pane (a restyle of all its widgets); the
    note re-lays out only when its number of lines changes and colours its own text.
    """

    COMPONENT_CLASSES = {"query-note--error"}  # noqa: RUF012

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""
        self.error = False
        self._lines = 0

    def show(self, text: str, *, error: bool) -> None:
        self.text, self.error = text, error and bool(text)
        width = self.content_region.width
        lines = self._count_lines(width) if width else -1
        self.refresh(layout=lines != self._lines)
        self._lines = lines

    def _count_lines(self, width: int) -> int:
        if not self.text:
            return 0
        return len(Text(self.text).wrap(self.app.console, max(width, 1)))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._lines = self._count_lines(width)
        return self._lines

    def render(self) -> Text:
        style = self.get_component_rich_style("query-note--error") if self.error else ""
        return Text(self.text, style=style)


def saved_search_options(searches: Mapping[str, str]) -> list[tuple[str, str]]:
    """Saved searches in the order keys 1-9 recall them (by name)."""
    return sorted(searches.items())


class FilterPane(VerticalScroll):
    """Search box, status/category/year/code/sort controls and the saved searches."""

    BINDINGS = [  # noqa: RUF012
        Binding("delete", "delete_saved", "Delete saved search", show=False),
    ]

    @dataclass
    class Changed(Message):
        """Any control or the search text changed."""

        pane: FilterPane
        spec: FilterSpec

    @dataclass
    class Submitted(Message):
        """Enter in the search box: the user wants the results."""

        pane: FilterPane

    @dataclass
    class SavedChosen(Message):
        """A saved search was picked from the list."""

        pane: FilterPane
        name: str

    @dataclass
    class SavedDeleted(Message):
        """Delete pressed on a saved search."""

        pane: FilterPane
        name: str

    def __init__(
        self,
        *,
        id: str | None = None,
        classes: str | None = None,
        on_change: Callable[[FilterSpec], None] | None = None,
    ) -> None:
        """``on_change`` is called with the new spec at once; without it, Changed is posted."""
        super().__init__(id=id, classes=classes)
        self.spec = FilterSpec()
        self._on_change = on_change
        self._message: tuple[str, bool] = ("", True)
        self._categories: list[str] = []
        self._searches: Mapping[str, str] = {}
        self._controls_started = False
        self._controls_mounted = False
        self._when_mounted: list[Callable[[], object]] = []

    def compose(self) -> ComposeResult:
        """Only the search box at first; `mount_controls` adds the rest after the first paint."""
        yield Label("Search", classes="filter-label")
        search = SearchInput(
            placeholder="words author: cat: year: is: tag: -not",
            id="search",
            compact=True,
        )
        search.on_text = lambda text: self._changed(text=text)
        yield search
        yield QueryNote(id="query-message")

    def mount_controls(self, then: Callable[[], object] | None = None) -> None:
        """Add the status/category/year/code/sort controls and the saved searches; THEN
        is called once they are in.

        Their ~20 widgets (a Select is six) took a tenth of a second of styling before the
        first frame; the first paint needs only the list, so they come right after it.
        """
        if then is not None:
            self._when_mounted.append(then)
        if self._controls_mounted:
            self._call_when_mounted()
        elif not self._controls_started:
            self._controls_started = True
            self.call_later(self._mount_controls)

    async def _mount_controls(self) -> None:
        await self.mount_all(self._controls())
        self._controls_mounted = True
        # Anything set while they were being mounted (categories, a recalled search).
        self.set_categories(self._categories)
        self.set_saved(self._searches)
        self._set_controls(self.spec)
        self._call_when_mounted()

    def _call_when_mounted(self) -> None:
        waiting, self._when_mounted = self._when_mounted, []
        for callback in waiting:
            callback()

    def _controls(self) -> list[Widget]:
        spec = self.spec
        category = spec.category if spec.category in self._categories else ANY
        return [
            Label("Status", classes="filter-label"),
            _choice([(Text(s.capitalize()), s) for s in STATUSES], spec.status, "status"),
            Label("Category", classes="filter-label"),
            _choice(self._category_options(), category, "category"),
            Label("Years (from - to)", classes="filter-label"),
            Horizontal(
                Input(
                    spec.year_from,
                    placeholder="from",
                    id="year-from",
                    restrict=r"\d{0,4}",
                    compact=True,
                ),
                Input(
                    spec.year_to, placeholder="to", id="year-to", restrict=r"\d{0,4}", compact=True
                ),
                id="years",
            ),
            Checkbox("Has code", spec.has_code, id="has-code", compact=True),
            Label("Sort", classes="filter-label"),
            _choice([(Text(s.capitalize()), s) for s in SORTS], spec.sort, "sort"),
            Label("Saved searches (1-9)", classes="filter-label"),
            OptionList(*self._saved_options(), id="saved", compact=True),
        ]

    # -- data in ---------------------------------------------------------------------------

    def _category_options(self) -> list[tuple[Text, str]]:
        return [(Text("Any"), ANY)] + [(Text(inert_text(c)), c) for c in self._categories]

    def _saved_options(self) -> list[Option]:
        options = []
        for number, (name, query) in enumerate(saved_search_options(self._searches), start=1):
            label = Text(f"{number if number <= 9 else ' '} ", style="bold")
            label.append(inert_text(name))
            label.append(f"  {inert_text(query)}", style="dim")
            options.append(Option(label, id=name))
        return options

    def set_categories(self, categories: Sequence[str]) -> None:
        """Offer the categories present in the store."""
        self._categories = list(categories)
        if not self._controls_mounted:
            return
        select = self.query_one("#category", Select)
        current = select.value
        with self.prevent(Select.Changed):
            select.set_options(self._category_options())
            select.value = current if current in categories else ANY

    def set_saved(self, searches: Mapping[str, str]) -> None:
        """Show the saved searches, numbered as keys 1-9 recall them."""
        self._searches = dict(searches)
        if not self._controls_mounted:
            return
        saved = self.query_one("#saved", OptionList)
        saved.clear_options()
        saved.add_options(self._saved_options())

    def set_message(self, message: str, *, error: bool = True) -> None:
        """A query error, a note (``error=False``), or nothing, under the search box."""
        if (message, error) == self._message:
            return
        self._message = (message, error)
        self.query_one("#query-message", QueryNote).show(inert_text(message), error=error)

    def apply(self, spec: FilterSpec) -> None:
        """Set every control to ``spec`` (recalling a saved search, clearing), then post once."""
        self.spec = spec  # first: the search box then reports no change of its own
        with self.prevent(Input.Changed):
            self.query_one("#search", Input).value = spec.text
        self._set_controls(spec)
        self._announce(spec)

    def _set_controls(self, spec: FilterSpec) -> None:
        if not self._controls_mounted:
            return  # they are created with the spec's values
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            self.query_one("#status", Select).value = spec.status
            category = self.query_one("#category", Select)
            try:
                category.value = spec.category
            except Exception:  # a category not in this store: fall back to any
                category.value = ANY
            self.query_one("#year-from", Input).value = spec.year_from
            self.query_one("#year-to", Input).value = spec.year_to
            self.query_one("#has-code", Checkbox).value = spec.has_code
            self.query_one("#sort", Select).value = spec.sort

    def focus_search(self) -> None:
        # Focus at once, not after the next refresh: keys typed right after `/` are
        # already queued and must reach the box, not the list (where `s` stars).
        self.screen.set_focus(self.query_one("#search", Input))

    # -- events ----------------------------------------------------------------------------

    def _changed(self, **values: object) -> None:
        spec = replace(self.spec, **values)  # type: ignore[arg-type]
        if spec != self.spec:
            self.spec = spec
            self._announce(spec)

    def _announce(self, spec: FilterSpec) -> None:
        if self._on_change is not None:
            self._on_change(spec)
        else:
            self.post_message(self.Changed(self, spec))

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed(text=event.value)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(self))

    @on(Input.Changed, "#year-from")
    def _year_from(self, event: Input.Changed) -> None:
        event.stop()
        self._changed(year_from=event.value)

    @on(Input.Changed, "#year-to")
    def _year_to(self, event: Input.Changed) -> None:
        event.stop()
        self._changed(year_to=event.value)

    @on(Select.Changed, "#status")
    def _status(self, event: Select.Changed) -> None:
        event.stop()
        self._changed(status=str(event.value))

    @on(Select.Changed, "#category")
    def _category(self, event: Select.Changed) -> None:
        event.stop()
        self._changed(category=str(event.value))

    @on(Select.Changed, "#sort")
    def _sort(self, event: Select.Changed) -> None:
        event.stop()
        self._changed(sort=str(event.value))

    @on(Checkbox.Changed, "#has-code")
    def _has_code(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._changed(has_code=event.value)

    @on(OptionList.OptionSelected, "#saved")
    def _saved(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.SavedChosen(self, event.option.id))

    def action_delete_saved(self) -> None:
        if not self._controls_mounted:
            return
        saved = self.query_one("#saved", OptionList)
        if saved.has_focus and saved.highlighted is not None:
            option = saved.get_option_at_index(saved.highlighted)
            if option.id is not None:
                self.post_message(self.SavedDeleted(self, option.id))


def _choice(options: list[tuple[Text, str]], value: str, id: str) -> Select:
    """One of the pane's drop-downs: never blank, compact."""
    return Select(options, value=value, allow_blank=False, id=id, compact=True)
