"""The footer: the active keys in one line, drawn by one widget.

Textual's Footer is a container with one widget per key, re-composed on every focus change;
styling those ~18 widgets was a fifth of the time to the first frame.  This draws the same
line (``key description``, one space apart) from ``screen.active_bindings`` as a single
Text, repaints when the bindings change, and maps a click back to its key.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.widget import Widget


class KeyBar(Widget):
    """The screen's shown bindings, one per action, in binding order; click runs the key."""

    COMPONENT_CLASSES = {  # noqa: RUF012 (Textual's own class-var convention)
        "key-bar--key",
        "key-bar--description",
        "key-bar--hover",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[tuple[int, int, str, bool]] = []  # start, end, key, enabled
        self._hover: int | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: object) -> None:
        self.refresh()

    def _shown(self) -> list[tuple[str, str, str, bool]]:
        """(key, shown key, description, enabled) for each action with a shown binding."""
        seen: set[str] = set()
        shown = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            shown.append(
                (
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    active.enabled,
                )
            )
        return shown

    def render(self) -> RenderResult:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        hover_style = self.get_component_rich_style("key-bar--hover")
        text = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []
        for number, (key, shown_key, description, enabled) in enumerate(self._shown()):
            start = len(text)
            text.append(shown_key, key_style)
            if description:
                text.append(" " + description, description_style)
            if not enabled:
                text.stylize("dim", start)
            if number == self._hover:
                text.stylize(hover_style, start)
            self._spans.append((start, len(text), key, enabled))
            text.append(" ")
        return text

    def _span_at(self, x: int) -> int | None:
        # Keys and descriptions are plain ASCII or single-cell symbols: cells == characters.
        for number, (start, end, _key, _enabled) in enumerate(self._spans):
            if start <= x < end:
                return number
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        hover = self._span_at(event.x)
        if hover != self._hover:
            self._hover = hover
            self.refresh()

    def on_leave(self) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        number = self._span_at(event.x)
        if number is None:
            return
        _start, _end, key, enabled = self._spans[number]
        if enabled:
            self.app.simulate_key(key)
        else:
            self.app.bell()
