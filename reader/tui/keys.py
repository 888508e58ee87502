"""Every key of the main screen in one table: the bindings, the `?` help and the palette.

Keeping one table means the footer, the help screen and the command palette can never
disagree about what a key does.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Key:
    """One action: its keys (Textual names), the label shown for them, what it does."""

    keys: str
    action: str
    description: str
    label: str = ""
    footer: bool = True
    help: str = ""
    #: Checked before the key reaches the focused widget, so the action's focus change is in
    #: place for the keys typed right after it (see `action_search`).
    priority: bool = False

    @property
    def shown_keys(self) -> str:
        return self.label or self.keys


#: Keys handled by the paper list itself (listed in help and palette, bound in PaperList).
LIST_KEYS: tuple[Key, ...] = (
    Key("j,down", "cursor_down", "Next paper", "j/↓", footer=False),
    Key("k,up", "cursor_up", "Previous paper", "k/↑", footer=False),
    Key("g,home", "first", "First paper", "g", footer=False),
    Key("G,end", "last", "Last paper", "G", footer=False),
    Key("pagedown", "page_down", "Page down", "PgDn", footer=False),
    Key("pageup", "page_up", "Page up", "PgUp", footer=False),
    Key(
        "space,v",
        "toggle_select",
        "Select for bulk",
        "v/space",
        help="add the paper to the bulk selection (or take it out) and move on",
    ),
)

#: Keys bound on the main screen (work wherever focus is, unless a text box takes them).
SCREEN_KEYS: tuple[Key, ...] = (
    Key("question_mark", "help", "Help", "?"),
    Key(
        "slash",
        "search",
        "Search",
        "/",
        help="type a query; Enter moves to the results",
        priority=True,
    ),
    Key("enter", "open", "Open", "⏎", help="show the detail and mark the paper read"),
    Key(
        "escape",
        "back",
        "Back",
        "Esc",
        help="close the detail or editor, clear the selection or the search",
    ),
    Key("r", "toggle_read", "Read", help="toggle read (on the selection when there is one)"),
    Key("s", "toggle_star", "Star", help="toggle star (on the selection when there is one)"),
    Key("n", "edit_note", "Note", help="edit the note inline; saved when you leave the box"),
    Key("e", "edit_note_external", "Editor", help="edit the note in $EDITOR"),
    Key("t", "edit_tags", "Tags", help="add or remove tags (+name -name)"),
    Key("y", "copy_link", "Copy", help="copy the paper's link (OSC 52, works over SSH)"),
    Key("o", "open_link", "Browser", help="open the paper's link in a browser"),
    Key("u", "next_unread", "Unread"),
    Key("f", "toggle_filters", "Filters"),
    Key("V", "select_all", "Select all", "V", help="select every paper shown (again: clear)"),
    Key("x", "export", "Export", help="export the selection, or everything shown"),
    Key("z", "undo", "Undo", help="undo the last state change of this session"),
    Key("S", "save_search", "Save search", "S", footer=False, help="name the current query"),
    Key(
        "1,2,3,4,5,6,7,8,9",
        "saved_search_key",
        "Saved search",
        "1-9",
        footer=False,
        help="recall saved search 1-9",
    ),
    Key("q", "quit", "Quit"),
    Key(
        "ctrl+p",
        "app.command_palette",
        "Palette",
        "^p",
        help="command palette: every action by name",
    ),
)

ALL_KEYS = LIST_KEYS + SCREEN_KEYS


def screen_bindings() -> list[Binding]:
    """The main screen's bindings (digits get one binding each, passing the number)."""
    bindings = []
    for key in SCREEN_KEYS:
        if key.action.startswith("app."):
            continue  # bound on the app (see ReaderApp.BINDINGS)
        if key.action == "saved_search_key":
            for digit in range(1, 10):
                bindings.append(
                    Binding(
                        str(digit), f"saved_search({digit})", f"Saved search {digit}", show=False
                    )
                )
            continue
        bindings.append(
            Binding(
                key.keys,
                key.action,
                key.description,
                show=key.footer,
                key_display=key.label or None,
                priority=key.priority,
            )
        )
    return bindings
