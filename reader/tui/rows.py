"""One paper as one line of the list: marks, date, category, title, first author.

Pure functions over Paper/PaperState returning rich Text built from plain strings (never
markup), so a title like ``[@click=app.quit]`` is shown as it is written.  The widget passes
in its themed styles; nothing here touches Textual.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

from reader.models import Paper, PaperState
from reader.text import display_text

MARK_SELECTED = "✓"
MARK_UNREAD = "●"
MARK_STARRED = "★"
MARK_NOTE = "✎"
MARK_TAGS = "#"

DATE_WIDTH = 10
CATEGORY_WIDTH = 7
MARKS_WIDTH = 5


class RowStyles(NamedTuple):
    """The rich styles a row is painted with (taken from the widget's component classes)."""

    base: Style = Style()
    unread: Style = Style(bold=True)
    starred: Style = Style(color="yellow", bold=True)
    marks: Style = Style(color="cyan")
    selected: Style = Style(color="magenta", bold=True)
    dim: Style = Style(dim=True)
    author: Style = Style(italic=True)


DEFAULT_STYLES = RowStyles()


def author_width(width: int) -> int:
    """How many cells the first-author column gets at a given row width (0 = hidden)."""
    if width >= 110:
        return 24
    if width >= 72:
        return 16
    return 0


def first_author(paper: Paper, width: int = 0) -> str:
    """The first author, with ``et al.`` when there are more (or the list was cut short).

    Given a ``width``, a name too long for it keeps ``et al.`` and drops given names first
    ("Meimingwei Li et al." -> "Li et al.").
    """
    if not paper.authors:
        return ""
    name = display_text(paper.authors[0])
    more = len(paper.authors) > 1 or paper.authors_truncated
    full = f"{name} et al." if more else name
    if not width or cell_len(full) <= width or not more:
        return full
    surname = name.split()[-1] if name.split() else name
    return f"{surname} et al."


def _fit(text: str, width: int) -> str:
    """Cut or pad to exactly ``width`` cells, with an ellipsis when cut."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def row_text(
    paper: Paper,
    state: PaperState,
    *,
    width: int,
    title: str,
    selected: bool = False,
    styles: RowStyles = DEFAULT_STYLES,
) -> Text:
    """The list row for ``paper``, exactly ``width`` cells wide.

    ``title`` is the paper's display title (the caller caches ``display_text(paper.title)``).
    """
    text = Text(style=styles.base, no_wrap=True, overflow="ellipsis", end="")
    text.append(MARK_SELECTED if selected else " ", styles.selected)
    text.append(" " if state.read else MARK_UNREAD, styles.unread + styles.marks)
    text.append(MARK_STARRED if state.starred else " ", styles.starred)
    text.append(MARK_NOTE if state.note else " ", styles.marks)
    text.append(MARK_TAGS if state.tags else " ", styles.marks)
    rest = width - MARKS_WIDTH
    if rest > DATE_WIDTH + 1 + 12:
        text.append(" " + _fit(paper.date or "", DATE_WIDTH), styles.dim)
        rest -= DATE_WIDTH + 1
    if rest > CATEGORY_WIDTH + 1 + 12:
        text.append(" " + _fit(display_text(paper.category or ""), CATEGORY_WIDTH), styles.dim)
        rest -= CATEGORY_WIDTH + 1
    author_w = author_width(width)
    title_w = rest - 1 - (author_w + 1 if author_w else 0)
    title_style = styles.unread if not state.read else Style()
    text.append(" " + _fit(title, title_w), title_style)
    if author_w:
        text.append(" " + _fit(first_author(paper, author_w), author_w), styles.author)
    if cell_len(text.plain) < width:
        text.append(" " * (width - cell_len(text.plain)))
    return text
