"""The main screen: filter pane, paper list and detail pane, and the search that feeds them.

Layout is driven by reactives that only toggle CSS classes (``-wide``/``-narrow``,
``-filters``, ``-detail-open``); styles/main_screen.tcss does the visual work.
A search the word indexes can answer runs at once, in the keystroke's own turn (the box and
the list then change in one frame).  Until those indexes exist, searches scan in one thread
worker fed from a single "latest request" slot, so typing never queues work: a keystroke
while a search runs just replaces the pending request.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer

from reader.models import Paper
from reader.text import inert_text
from reader.tui.actions import TriageActions
from reader.tui.detail import DetailPane
from reader.tui.filters import FilterPane, FilterSpec
from reader.tui.keybar import KeyBar
from reader.tui.keys import screen_bindings
from reader.tui.paper_list import PaperList

WIDE_COLUMNS = 120
DETAIL_DELAY = 0.15  # s of no typing before the detail follows the top result


def query_module() -> Any:
    """reader.query, imported on first use (rapidfuzz and the index code: not at startup)."""
    import reader.query

    return reader.query


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One search to run: the parsed query, its text (for the header) and the sort."""

    query: object
    text: str
    sort: str
    keep: int | None = None


class MainScreen(TriageActions, Screen):
    """Three panes side by side when wide; list with toggling filters and detail when narrow."""

    BINDINGS = screen_bindings()

    wide = reactive(True, init=False)
    show_filters = reactive(True, init=False)
    detail_open = reactive(False, init=False)
    # Not `loading`: that is Widget's own reactive (covers the widget and disables it).
    building = reactive(False, init=False)

    @dataclass
    class SearchDone(Message):
        """A search worker finished: rows to show for ``request``."""

        request: SearchRequest
        rows: list[int]

    def __init__(self) -> None:
        super().__init__()
        self.papers: Sequence[Paper] = ()
        self.index: object | None = None
        self.shown_query = ""
        self._search_lock = threading.Lock()
        self._pending: SearchRequest | None = None
        self._searching = False
        self._last_request: tuple[str, str] | None = None
        self._filters_auto = False
        self.total_papers = 0
        self._detail_timer: Timer | None = None
        self.still_loading = False
        self._progress: tuple[Any, Any] | None = None

    def compose(self) -> ComposeResult:
        # Layout classes before the children exist, so they are styled once, not restyled.
        self._layout_for(self.app.size.width)
        # Panes straight on the screen, no containers: every widget under the list's lines
        # is drawn and cut again on each repaint of the list (each keystroke).
        yield FilterPane(id="filters", on_change=self._filters_changed)
        yield PaperList(id="papers")
        yield DetailPane(id="detail")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.paper_list.border_title = Text("Papers")
        self.detail.border_title = Text("Paper")
        self.detail.border_subtitle = Text("n note · e editor · y copy link · Esc back")
        self.filters.border_title = Text("Filters")
        self.paper_list.focus()
        self._layout_for(self.size.width)
        # Now, not after a refresh: a first batch already read then makes the first frame.
        self.app.screen_ready()

    def _after_first_rows(self) -> None:
        """The first rows are on screen: add what the first frame did without, then let the
        app's loader read on (see `ReaderApp.first_screen_settled`)."""
        self.detail.mount_editor()
        self.filters.mount_controls(
            then=lambda: self.call_after_refresh(self.app.first_screen_settled)
        )

    # -- widgets ---------------------------------------------------------------------------

    @property
    def paper_list(self) -> PaperList:
        return self.query_one("#papers", PaperList)

    @property
    def detail(self) -> DetailPane:
        return self.query_one("#detail", DetailPane)

    @property
    def filters(self) -> FilterPane:
        return self.query_one("#filters", FilterPane)

    # -- layout ----------------------------------------------------------------------------

    def _layout_for(self, width: int) -> None:
        wide = width >= WIDE_COLUMNS
        if not self.is_mounted:  # from compose: no watchers yet (one restyle, below)
            self.set_reactive(MainScreen.show_filters, wide)
            self.set_reactive(MainScreen.wide, wide)
        else:
            if wide != self.wide:
                self.show_filters = wide
            self.wide = wide
        self._apply_classes()

    def on_resize(self, event: object) -> None:
        self._layout_for(self.size.width)

    def _apply_classes(self) -> None:
        """Set the layout classes in one go: each separate change restyles the whole screen
        (~0.1 s with every widget mounted), so five set_class calls cost half a second."""
        wanted = {
            "-wide": self.wide,
            "-narrow": not self.wide,
            "-filters": self.show_filters,
            "-detail-open": self.detail_open,
        }
        current = set(self.classes)
        new = (current - wanted.keys()) | {name for name, on in wanted.items() if on}
        if new != current:
            self.set_classes(new)

    def watch_wide(self) -> None:
        self._apply_classes()

    def watch_show_filters(self, shown: bool) -> None:
        self._apply_classes()
        if not shown and self.focused is not None and self.filters in self.focused.ancestors:
            self.set_focus(self.paper_list)

    def watch_detail_open(self, opened: bool) -> None:
        self._apply_classes()
        if (
            not opened
            and not self.wide
            and self.focused is not None
            and self.detail in self.focused.ancestors_with_self
        ):
            self.set_focus(self.paper_list)

    def watch_building(self, building: bool) -> None:
        """The progress box exists only once a store is being built (mounted on demand)."""
        for box in self.query("#loading-box"):
            box.display = building

    # -- data in (called by the app) -------------------------------------------------------

    def show_progress(self, stage: str, done: int, total: int) -> None:
        """Building or loading the store: say what is happening."""
        from textual.widgets import Label, ProgressBar

        if self._progress is None:
            label = Label("Loading…", id="loading-label")
            bar = ProgressBar(id="loading-bar", show_eta=False)
            self._progress = (label, bar)
            self.mount(Vertical(label, bar, id="loading-box"), before=0)
        label, bar = self._progress
        self.building = True
        label.update(Text(inert_text(f"Building the store: {stage} {done}/{total}")))
        bar.update(total=max(total, 1), progress=done)
        self.paper_list.placeholder = f"Building the store: {stage}…"
        self.paper_list.refresh()

    def show_batch(self, papers: Sequence[Paper], count: int, total: int) -> None:
        """Part of the store is read: show it (in store order) while the rest comes."""
        plist = self.paper_list
        if self.papers is not papers:
            self.building = False
            self.papers = papers
            plist.placeholder = "No papers match."
            plist.set_papers(papers, self.app.session.state_of)
            self.filters.set_saved(self.app.session.searches)
            self.call_after_refresh(self._after_first_rows)
        self.total_papers = total
        self.still_loading = count < total
        plist.set_rows(range(count))
        self._update_title()

    def show_papers(
        self, papers: Sequence[Paper], rows: Sequence[int], categories: Sequence[str]
    ) -> None:
        """The whole store is read: date order, categories; searches wait for the index."""
        plist = self.paper_list
        self.building = False
        if self.papers is not papers:
            self.papers = papers
            plist.set_papers(papers, self.app.session.state_of)
            self.filters.set_saved(self.app.session.searches)
        self.total_papers = len(papers)
        self.still_loading = False
        self.call_after_refresh(self._after_first_rows)
        plist.placeholder = "No papers match." if papers else "The store is empty."
        self.filters.set_categories(categories)
        rows = list(rows)
        # Still on the first row: stay on the first row of the date order (the batches came
        # in store order, which is not always by date); else keep the paper the user is on.
        plist.set_rows(rows, keep=rows[0] if rows and plist.cursor == 0 else None)
        self._update_title()

    def show_failure(self, message: str) -> None:
        self.building = False
        self.call_after_refresh(self._after_first_rows)
        self.paper_list.placeholder = inert_text(message)
        self.paper_list.refresh()

    def set_index(self, index: object) -> None:
        """The search index is ready: run whatever the user asked for meanwhile."""
        self.index = index
        self._last_request = None
        self.request_search()

    def state_changed(self) -> None:
        """User state changed (here or elsewhere): repaint marks, the detail and saved searches."""
        self.paper_list.set_state_of(self.app.session.state_of)
        self.filters.set_saved(self.app.session.searches)
        self._show_detail(self.paper_list.current_index)
        self._update_title()

    # -- search ----------------------------------------------------------------------------

    def _filters_changed(self, spec: FilterSpec) -> None:
        """The pane calls this in the same turn as the keystroke or click (not a message)."""
        self.request_search()

    def request_search(self, *, keep: int | None = None, force: bool = False) -> None:
        """Parse the pane's query; on success hand it to the search worker (never queues)."""
        spec: FilterSpec = self.filters.spec
        text = spec.query_text()
        try:
            query = query_module().parse_query(text)
        except query_module().QueryError as exc:
            self.filters.set_message(
                f"{exc.message} (column {exc.position + 1}); showing the last good result"
            )
            return
        self.filters.set_message("")
        if not force and self._last_request == (text, spec.sort):
            return
        self._last_request = (text, spec.sort)
        request = SearchRequest(query, text, spec.sort, keep)
        if self.index is None:
            self._pending = request
            if text:
                self.filters.set_message("Indexing the store; results follow…", error=False)
            return
        if getattr(self.index, "word_indexes_ready", False):
            self._search_now(request)
            return
        with self._search_lock:
            self._pending = request
            if self._searching:
                return
            self._searching = True
        self.run_worker(self._search_loop, thread=True, group="search", exit_on_error=False)

    def _search_now(self, request: SearchRequest) -> None:
        """Answer from the word indexes here and now (milliseconds, even at 100k papers).

        Called in the same turn as the keystroke, so the search box and the list change in
        one frame; a worker would add a thread hop and, Textual drawing at most 60 frames a
        second, usually a wait for the next frame after the box's own.  Scans (indexes not
        built yet) still go to the worker.
        """
        with self._search_lock:
            self._pending = None  # whatever the worker has not started is stale now
        try:
            rows = self._rows_for(request)
        except Exception as exc:  # a bug in a search must not take the app down
            self.filters.set_message(f"Search failed: {exc}")
            return
        self._show_result(request, rows)

    def _rows_for(self, request: SearchRequest) -> list[int]:
        """The request run over the index, with the user's marks (read, starred, tags)."""
        return query_module().run_query(
            request.query,
            self.index,
            self.app.session.state_of,
            sort=request.sort,
            marked=self.app.session.marked(),
        )

    def _search_loop(self) -> None:
        """Run the newest pending request until there is none (in a thread)."""
        while True:
            with self._search_lock:
                request, self._pending = self._pending, None
                if request is None:
                    self._searching = False
                    return
            try:
                rows = self._rows_for(request)
            except Exception as exc:  # a bug in a search must not wedge every later search
                self.app.call_from_thread(self.filters.set_message, f"Search failed: {exc}")
                continue
            self.post_message(self.SearchDone(request, rows))

    @on(SearchDone)
    def _search_done(self, event: SearchDone) -> None:
        self._show_result(event.request, event.rows)

    def _show_result(self, request: SearchRequest, rows: list[int]) -> None:
        if self._last_request != (request.text, request.sort):
            return  # a newer request is on its way
        self.shown_query = request.text
        self.paper_list.set_rows(rows, keep=request.keep)
        self._update_title()

    def _update_title(self) -> None:
        plist = self.paper_list
        title = Text(f"Papers {len(plist.rows)}/{self.total_papers}")
        if self.still_loading:
            title.append(" · loading…")
        if self.shown_query:
            title.append(" · ")
            title.append(inert_text(self.shown_query))
        parts = []
        if plist.selected:
            parts.append(f"{len(plist.selected)} selected")
        parts.append(f"sort: {self.filters.spec.sort}")
        plist.set_titles(title, Text(" · ".join(parts)))

    # -- list and detail messages ----------------------------------------------------------

    @on(PaperList.Highlighted)
    def _highlighted(self, event: PaperList.Highlighted) -> None:
        if self._typing():
            # While a query is typed the top result changes on every key: paint the detail
            # once typing pauses, so each keystroke only redraws the list.
            if self._detail_timer is not None:
                self._detail_timer.stop()
            self._detail_timer = self.set_timer(DETAIL_DELAY, self._show_current_detail)
        else:
            self._show_detail(event.index)

    def _typing(self) -> bool:
        focused = self.focused
        return focused is not None and focused.id == "search"

    def _show_current_detail(self) -> None:
        self._detail_timer = None
        self._show_detail(self.paper_list.current_index)

    @on(PaperList.Opened)
    def _opened(self, event: PaperList.Opened) -> None:
        self.action_open()

    @on(PaperList.SelectionChanged)
    def _selection_changed(self, event: PaperList.SelectionChanged) -> None:
        self._update_title()

    @on(FilterPane.Submitted)
    def _search_submitted(self, event: FilterPane.Submitted) -> None:
        self.focus_results()

    @on(FilterPane.SavedChosen)
    def _saved_chosen(self, event: FilterPane.SavedChosen) -> None:
        self.recall_search(event.name)
        self.focus_results()

    @on(FilterPane.SavedDeleted)
    def _saved_deleted(self, event: FilterPane.SavedDeleted) -> None:
        self.app.delete_search(event.name)

    @on(DetailPane.NoteEdited)
    def _note_edited(self, event: DetailPane.NoteEdited) -> None:
        self.save_note(event.index, event.text)

    def _show_detail(self, index: int | None) -> None:
        paper = None if index is None else self.papers[index]
        state = self.app.session.state_of(paper) if paper is not None else None
        if self.detail.editing and self.detail.index == index:
            return
        self.detail.show(index, paper, state)  # type: ignore[arg-type]

    def focus_results(self) -> None:
        """Leave the search box for the list, hiding the filters if `/` showed them."""
        if self._filters_auto:
            self._filters_auto = False
            self.show_filters = False
        # At once: `Enter` then `s` typed together must star the result, not type an s.
        self.set_focus(self.paper_list)
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._show_current_detail()
