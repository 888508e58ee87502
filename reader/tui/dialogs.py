"""Modal screens: help, confirm, tags, name a saved search, export.

Each returns its answer through ``dismiss`` and never touches state or files itself; the
main screen acts on the answer.  Untrusted strings (tags, queries) go in as rich Text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from reader.paths import bundled_styles_dir
from reader.text import inert_text
from reader.tui.keys import ALL_KEYS

QUERY_HELP = (
    ("words", "fuzzy match on title and authors, substring in the abstract"),
    ('"a phrase"', "exact phrase"),
    ("author:NAME", "an author"),
    ("cat:CL", "category"),
    ("year:2025  year:2024..2025", "year or range"),
    ("is:unread is:read is:starred is:noted", "your marks"),
    ("has:code", "papers with code"),
    ("tag:NAME", "your tags"),
    ("id:2507.19427", "an arXiv id"),
    ("-term", "negate any term"),
)


def parse_tag_edit(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``+a -b c`` -> (add ("a", "c"), remove ("b",)); ``#`` prefixes are dropped."""
    add: list[str] = []
    remove: list[str] = []
    for word in text.split():
        target = remove if word.startswith("-") else add
        name = word.lstrip("+-").lstrip("#").strip()
        if name and name not in target:
            target.append(name)
    return tuple(add), tuple(remove)


class HelpScreen(ModalScreen[None]):
    """Every key and the query language, on one scrollable page."""

    CSS_PATH = bundled_styles_dir() / "help_screen.tcss"

    BINDINGS = [  # noqa: RUF012
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold cyan", no_wrap=True)
        keys.add_column()
        for key in ALL_KEYS:
            keys.add_row(Text(key.shown_keys), Text(key.help or key.description))
        query = Table.grid(padding=(0, 2))
        query.add_column(style="bold green", no_wrap=True)
        query.add_column()
        for term, meaning in QUERY_HELP:
            query.add_row(Text(term), Text(meaning))
        with Vertical(id="help-box"):
            yield Label("reader: keys", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(keys)
                yield Label("Query language", classes="dialog-title")
                yield Static(query)
            yield Label("Esc, q or ? closes", classes="dialog-hint")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question (marking many papers read asks first)."""

    CSS_PATH = bundled_styles_dir() / "confirm_screen.tcss"

    BINDINGS = [  # noqa: RUF012
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(Text(self.question), id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button("Yes (y)", id="yes", variant="primary")
                yield Button("No (n)", id="no")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class PromptScreen(ModalScreen[str | None]):
    """One line of input with a title; Enter answers, Esc cancels."""

    CSS_PATH = bundled_styles_dir() / "prompt_screen.tcss"

    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012

    def __init__(self, title: str, hint: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield Static(Text(self.hint), id="prompt-hint")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label("Enter saves · Esc cancels", classes="dialog-hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def tags_prompt(current: Sequence[str], count: int) -> PromptScreen:
    """The `t` dialog: shows the current tags, takes ``+name -name``."""
    what = "this paper" if count == 1 else f"{count} selected papers"
    have = " ".join(f"#{inert_text(t)}" for t in current) or "(none)"
    return PromptScreen(
        f"Tags for {what}",
        f"Current: {have}\nType names to add, -name to remove (e.g. +toread -later).",
        placeholder="+name -name",
    )


class ExportScreen(ModalScreen[tuple[str, str] | None]):
    """Pick a format and a file for `x`; answers (format, path)."""

    CSS_PATH = bundled_styles_dir() / "export_screen.tcss"

    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012

    EXTENSIONS = {"bibtex": "bib", "markdown": "md", "csv": "csv", "json": "json", "jsonl": "jsonl"}  # noqa: RUF012

    def __init__(self, formats: Sequence[str], count: int, what: str, directory: Path) -> None:
        super().__init__()
        self.formats = tuple(formats)
        self.count = count
        self.what = what
        self.directory = directory

    def _default_path(self, fmt: str) -> str:
        return str(self.directory / f"reader-export.{self.EXTENSIONS.get(fmt, fmt)}")

    def compose(self) -> ComposeResult:
        first = self.formats[0] if self.formats else "bibtex"
        with Vertical(id="export-box"):
            yield Label(Text(f"Export {self.count} papers ({self.what})"), classes="dialog-title")
            yield Select(
                [(Text(f), f) for f in self.formats],
                value=first,
                allow_blank=False,
                id="export-format",
            )
            yield Input(value=self._default_path(first), id="export-path")
            yield Label("Enter in the file box exports · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        path = self.query_one("#export-path", Input)
        known = {self._default_path(f) for f in self.formats}
        if path.value in known:
            path.value = self._default_path(str(event.value))

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value:
            self.dismiss((str(self.query_one("#export-format", Select).value), value))

    def action_cancel(self) -> None:
        self.dismiss(None)
