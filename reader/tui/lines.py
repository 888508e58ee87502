"""Virtual sizes without layout passes, for the Line-API views and the search box."""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget


def set_virtual_size(widget: Widget, size: Size, *, repaint: bool = True) -> None:
    """Set ``widget.virtual_size`` and its scrollbars without a screen-wide layout pass."""
    if widget.virtual_size == size:
        return
    widget.set_reactive(Widget.virtual_size, size)
    widget._scroll_update(size)
    if repaint:
        widget.refresh()


def set_virtual_height(view: ScrollView, height: int, *, repaint: bool = True) -> None:
    """Change how many lines ``view`` scrolls over without a screen-wide layout pass.

    ``Widget.virtual_size`` is a layout reactive: setting it re-arranges and re-renders the
    whole screen (tens of ms with the filter pane's controls), on every search result and
    every cursor move in the detail.  Only this view's scrollbars depend on it, so update
    those and repaint the view (``repaint=False``: the caller repaints what changed).
    (Relies on Textual's ``_scroll_update``; textual is pinned.)
    """
    size = Size(0, max(0, height))
    if view.virtual_size == size:
        return
    set_virtual_size(view, size, repaint=repaint)
    max_y = max(0, size.height - view.scrollable_content_region.height)
    if view.scroll_y > max_y:
        view.set_reactive(ScrollView.scroll_y, max_y)
        view.set_reactive(ScrollView.scroll_target_y, max_y)
    if repaint:
        view.refresh()
