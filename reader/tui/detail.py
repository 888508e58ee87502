"""The detail pane: everything known about one paper, where each fact came from, the note.

``detail_text`` is a pure function (Paper + PaperState -> rich Text built from plain strings,
never markup) so it can be tested without an app.  ``DetailPane`` shows it in a scrolling
container with an inline note editor (TextArea) that posts ``NoteEdited`` when left.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Region
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reader.identifiers import arxiv_abs_url, arxiv_pdf_url
from reader.models import Paper, PaperState
from reader.text import display_text, inert_text
from reader.tui.lines import set_virtual_height

LABEL = "bold"
DIM = "dim"


def paper_links(paper: Paper) -> list[str]:
    """The paper's links, best first: arXiv abs page and PDF, DOI, then listing URLs."""
    links: list[str] = []
    if paper.arxiv_id:
        links += [arxiv_abs_url(paper.arxiv_id), arxiv_pdf_url(paper.arxiv_id)]
    if paper.doi:
        links.append(f"https://doi.org/{paper.doi}")
    links += [url for url in paper.urls if url not in links]
    return links


def primary_link(paper: Paper) -> str | None:
    """The one link `y` copies and `o` opens."""
    links = paper_links(paper)
    return links[0] if links else None


def note_lines(note: str) -> list[str]:
    """A note keeps its line breaks, but every line is made inert."""
    return [inert_text(line) for line in note.splitlines()]


def _field(text: Text, label: str, value: str) -> None:
    if value:
        text.append(f"{label}: ", LABEL)
        text.append(value)
        text.append("\n")


def _abstracts(paper: Paper) -> list[str]:
    """Every version of the abstract, newest first, without repeats."""
    versions: list[str] = []
    for abstract in (paper.abstract, *paper.abstract_versions):
        if abstract and abstract not in versions:
            versions.append(abstract)
    return versions


def provenance_lines(paper: Paper) -> list[str]:
    """One line per source record: ``file:line (layout): fields it supplied``."""
    won: dict[int, list[str]] = defaultdict(list)
    for name, index in sorted(paper.provenance.items()):
        won[index].append(name)
    lines = []
    for index, source in enumerate(paper.sources):
        where = f"{source.file}:{source.line}"
        if source.layout:
            where += f" ({source.layout})"
        facts = ", ".join(won.get(index, ())) or "merged"
        lines.append(inert_text(f"{where}: {facts}"))
    return lines


def detail_text(paper: Paper, state: PaperState) -> Text:
    """The full detail of one paper as inert rich Text."""
    text = Text(end="")
    text.append(display_text(paper.title) or "(untitled)", "bold underline")
    if paper.title_derived:
        text.append("  (title derived from the abstract)", DIM)
    text.append("\n\n")
    authors = ", ".join(display_text(a) for a in paper.authors)
    if paper.authors and paper.authors_truncated:
        authors += " et al."
    _field(text, "Authors", authors)
    _field(text, "Affiliations", "; ".join(display_text(a) for a in paper.affiliations))
    _field(text, "Category", display_text(paper.category or ""))
    dates = display_text(paper.date or "")
    if paper.updated and paper.updated != paper.date:
        dates += f" (updated {display_text(paper.updated)})"
    _field(text, "Date", dates)
    _field(text, "arXiv", display_text(paper.arxiv_id or ""))
    _field(text, "DOI", display_text(paper.doi or ""))
    if paper.arxiv_id:
        _field(text, "Abstract page", arxiv_abs_url(paper.arxiv_id))
        _field(text, "PDF", arxiv_pdf_url(paper.arxiv_id))
    for url in paper.urls:
        label = "Code" if "github" in url or "gitlab" in url else "Link"
        _field(text, label, inert_text(url))
    if paper.has_code and not paper.urls:
        _field(text, "Code", "available (no link given)")
    for comment in paper.comments:
        _field(text, "Comment", display_text(comment))
    status = ["read" if state.read else "unread"]
    if state.starred:
        status.append("★ starred")
    _field(text, "Status", " · ".join(status))
    _field(text, "Tags", " ".join(f"#{inert_text(tag)}" for tag in state.tags))
    if state.note:
        text.append("Note:\n", LABEL)
        for line in note_lines(state.note):
            text.append(f"  {line}\n")
    versions = _abstracts(paper)
    for number, abstract in enumerate(versions):
        heading = "Abstract"
        if len(versions) > 1:
            heading += " (newest)" if number == 0 else f" (earlier version {number})"
        text.append(f"\n{heading}\n", LABEL)
        text.append(display_text(abstract))
        text.append("\n")
    lines = provenance_lines(paper)
    if lines:
        text.append("\nSources\n", LABEL)
        for line in lines:
            text.append(f"  {line}\n", DIM)
    text.rstrip()
    return text


class DetailBody(ScrollView, can_focus=True):
    """The detail text, wrapped once per paper and painted line by line.

    A Line-API view: showing another paper repaints this region only, instead of a
    screen-wide layout pass (which made every cursor move cost a full-screen render).
    """

    BINDINGS = [  # noqa: RUF012
        Binding("j,down", "scroll_down", "Scroll down", show=False),
        Binding("k,up", "scroll_up", "Scroll up", show=False),
        Binding("pagedown,space", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("g,home", "scroll_home", "Top", show=False),
        Binding("G,end", "scroll_end", "Bottom", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = Text("Nothing selected.", style=DIM)
        self._lines: list[Strip] = []
        self._wrapped_at = -1
        self._base = Style()

    def set_text(self, text: Text, *, home: bool) -> None:
        self.text = text
        self._wrapped_at = -1
        if home:
            self.scroll_to(y=0, animate=False)
        self._wrap()

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or width == self._wrapped_at:
            return
        console = self.app.console
        lines = self.text.wrap(console, width, overflow="fold")
        self._lines = [Strip(list(line.render(console)), line.cell_len) for line in lines]
        self._wrapped_at = width
        set_virtual_height(self, len(self._lines))
        self.refresh()

    def on_resize(self) -> None:
        self._wrap()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._wrap()
        self._base = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = round(self.scroll_y) + y
        if row >= len(self._lines):
            return Strip.blank(width, self._base)
        return self._lines[row].crop_extend(0, width, self._base).apply_style(self._base)


class DetailPane(Vertical):
    """One paper's detail, with an inline note editor (TextArea) that saves when left."""

    @dataclass
    class NoteEdited(Message):
        """The inline note editor lost focus with this text for paper ``index``."""

        detail: DetailPane
        index: int
        text: str

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.index: int | None = None
        self._editing: int | None = None
        self._editor: Any = None

    def compose(self) -> ComposeResult:
        yield DetailBody(id="detail-body")

    def mount_editor(self) -> Any:
        """The inline note editor (a TextArea), mounted after the first paint or on first use."""
        if self._editor is None:
            from textual.widgets import TextArea

            self._editor = TextArea(id="note-editor", soft_wrap=True, tab_behavior="focus")
            self.mount(self._editor, before=0)
        return self._editor

    @property
    def body(self) -> DetailBody:
        return self.query_one("#detail-body", DetailBody)

    @property
    def plain(self) -> str:
        """The shown text, without styles (what tests and screen readers see)."""
        return self.body.text.plain

    def focus(self, scroll_visible: bool = True) -> DetailPane:
        """Focus goes to the scrolling text (or the editor while a note is being edited)."""
        target = self._editor if self.editing else self.body
        target.focus(scroll_visible)
        return self

    def show(self, index: int | None, paper: Paper | None, state: PaperState | None) -> None:
        """Show ``paper`` (or an empty message); keeps the scroll when it is the same paper."""
        if paper is None or index is None or state is None:
            self.index = None
            self.body.set_text(Text("No paper selected.", style=DIM), home=True)
            return
        home = index != self.index
        self.index = index
        self.body.set_text(detail_text(paper, state), home=home)

    @property
    def editing(self) -> bool:
        return self._editing is not None

    def begin_note(self, note: str) -> None:
        """Open the inline editor on the shown paper's note and focus it."""
        if self.index is None:
            return
        editor = self.mount_editor()
        editor.load_text(note)
        self._editing = self.index
        self.add_class("-editing")
        editor.focus()
        editor.move_cursor(editor.document.end)

    def take_note(self) -> tuple[int, str] | None:
        """Close the editor and hand back (paper index, text), or None when not editing."""
        if self._editing is None:
            return None
        index, self._editing = self._editing, None
        self.remove_class("-editing")
        return index, self._editor.text

    def finish_note(self) -> None:
        """Close the editor and post its text (called when the editor loses focus)."""
        taken = self.take_note()
        if taken is not None:
            self.post_message(self.NoteEdited(self, *taken))

    def on_descendant_blur(self, event: object) -> None:
        if self._editing is not None and not self._editor.has_focus:
            self.finish_note()
