"""One paper as one line of the list: marks, date, category, title, first author.

Pure functions over Paper/PaperState returning rich Text built from plain strings (never
markup), so a title like ``[@click=app.quit]`` is shown as it is written.  The widget passes
in its themed styles; nothing here touches Textual.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
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


def row_parts(
    paper: Paper,
    state: PaperState,
    *,
    width: int,
    title: str,
    selected: bool = False,
    styles: RowStyles = DEFAULT_STYLES,
) -> list[tuple[str, Style | None]]:
    """The row's pieces and their styles (None: the row's base style), ``width`` cells in all.

    ``title`` is the paper's display title (the caller caches ``display_text(paper.title)``).
    """
    parts: list[tuple[str, Style | None]] = [
        (MARK_SELECTED if selected else " ", styles.selected),
        (" " if state.read else MARK_UNREAD, styles.unread + styles.marks),
        (MARK_STARRED if state.starred else " ", styles.starred),
        (MARK_NOTE if state.note else " ", styles.marks),
        (MARK_TAGS if state.tags else " ", styles.marks),
    ]
    used = MARKS_WIDTH
    rest = width - MARKS_WIDTH
    if rest > DATE_WIDTH + 1 + 12:
        parts.append((" " + _fit(paper.date or "", DATE_WIDTH), styles.dim))
        rest -= DATE_WIDTH + 1
        used += DATE_WIDTH + 1
    if rest > CATEGORY_WIDTH + 1 + 12:
        parts.append((" " + _fit(display_text(paper.category or ""), CATEGORY_WIDTH), styles.dim))
        rest -= CATEGORY_WIDTH + 1
        used += CATEGORY_WIDTH + 1
    author_w = author_width(width)
    title_w = rest - 1 - (author_w + 1 if author_w else 0)
    parts.append((" " + _fit(title, title_w), None if state.read else styles.unread))
    used += 1 + max(title_w, 0)
    if author_w:
        parts.append((" " + _fit(first_author(paper, author_w), author_w), styles.author))
        used += 1 + author_w
    if used < width:
        parts.append((" " * (width - used), None))
    return parts


def row_text(
    paper: Paper,
    state: PaperState,
    *,
    width: int,
    title: str,
    selected: bool = False,
    styles: RowStyles = DEFAULT_STYLES,
) -> Text:
    """The list row for ``paper`` as rich Text, exactly ``width`` cells wide."""
    text = Text(style=styles.base, no_wrap=True, overflow="ellipsis", end="")
    parts = row_parts(paper, state, width=width, title=title, selected=selected, styles=styles)
    for piece, style in parts:
        text.append(piece, style)
    return text


def row_segments(
    paper: Paper,
    state: PaperState,
    *,
    width: int,
    title: str,
    selected: bool = False,
    styles: RowStyles = DEFAULT_STYLES,
    cursor: Style | None = None,
) -> list[Segment]:
    """The same row as Segments, styled as ``row_text(...).render()`` would style them
    (base, then the piece's style, then ``cursor`` over all), without building a Text:
    a list repaint after each keystroke draws every visible row."""
    base = styles.base
    parts = row_parts(paper, state, width=width, title=title, selected=selected, styles=styles)
    segments: list[Segment] = []
    last: Style | None = None
    for piece, style in parts:
        if style is not None and piece.isspace() and _shows_only_on_ink(style):
            style = None  # a blank's colour or weight shows nothing: one run with its neighbour
        combined = base if style is None else base + style
        if cursor is not None:
            combined += cursor
        if segments and combined == last:
            # Fewer, longer segments: Textual cuts, filters and crops every segment of every
            # line it repaints.
            segments[-1] = Segment(segments[-1].text + piece, combined)
        else:
            segments.append(Segment(piece, combined))
        last = combined
    return segments


def _shows_only_on_ink(style: Style) -> bool:
    """Is ``style`` invisible on spaces (no background, reverse or lines through or under)?"""
    return style.bgcolor is None and not (
        style.reverse or style.underline or style.underline2 or style.strike or style.overline
    )
