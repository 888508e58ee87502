"""The Textual app: loads the store in the background, owns the user state and every save.

``make_app(db_path, state_store, seeds=...)`` builds it from its inputs (never globals) so
tests run it on tmp files.  The frame paints at once; a thread worker builds the store from
the seeds when there is none (with visible progress), opens it, reads the state and posts
``Loaded``; the search index follows with ``IndexReady``.  Widgets only post messages; the
app saves each change at once through the Session and polls the state file every second so
changes made by the CLI or another SSH session appear within 1-2 s.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from reader.models import Paper, newest_first_order
from reader.paths import bundled_styles_dir
from reader.state import StateChange, StateError, StateStore
from reader.tui.editor import edit_in_editor
from reader.tui.keys import LIST_KEYS, SCREEN_KEYS
from reader.tui.main_screen import MainScreen
from reader.tui.session import Session

POLL_SECONDS = 1.0
GIL_WAIT = 3.0  # s the loader waits for a paint before going on regardless
TYPING_PAUSE_S = 0.3  # the loader reads on once no key came for this long
FIRST_BATCH_WAIT = 0.5  # s the first frame may wait for the first rows of an existing store
LOADING_SWITCH_S = 0.001  # GIL switch interval while the loader thread works (see _load)


def browser_available() -> bool:
    """Is there a browser `webbrowser` can show a page in without taking over this terminal?"""
    if sys.platform in ("darwin", "win32") or os.environ.get("BROWSER"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class ReaderApp(App[int]):
    """Triage papers: list, detail and filters; read / star / note / tags saved at once."""

    TITLE = "reader"
    # The main screen's sheet is the app's (not MainScreen.CSS_PATH): a screen's own sheet
    # is loaded by re-parsing every sheet, twice, before the first frame.
    CSS_PATH = [  # noqa: RUF012
        bundled_styles_dir() / "reader.tcss",
        bundled_styles_dir() / "main_screen.tcss",
    ]
    # Our own palette binding (Textual then adds no hidden one), so the footer lists it.
    BINDINGS = [Binding("ctrl+p", "command_palette", "Palette", key_display="^p")]  # noqa: RUF012

    @dataclass
    class Progress(Message):
        stage: str
        done: int
        total: int

    @dataclass
    class Batch(Message):
        """More papers read (``papers`` grows in place; the first ``count`` are ready)."""

        papers: list[Paper]
        count: int
        total: int

    @dataclass
    class Loaded(Message):
        papers: list[Paper]
        rows: list[int]
        categories: list[str]

    @dataclass
    class IndexReady(Message):
        index: Any

    @dataclass
    class LoadFailed(Message):
        message: str

    def __init__(
        self, db_path: Path, state_store: StateStore, *, seeds: Sequence[Path] | None = None
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.seeds = list(seeds) if seeds else None
        self.session = Session(state_store)
        self.papers: list[Paper] = []
        self._screen_is_ready = False
        self._held_messages: list[Message] = []
        self._screen_drawn = threading.Event()
        self._all_drawn = threading.Event()
        self._first_batch = threading.Event()
        self._last_key_at = 0.0  # time.monotonic() of the last key (see _give_way_to_keys)
        self._early_batch: ReaderApp.Batch | None = None
        self._shown_early: ReaderApp.Batch | None = None

    def get_default_screen(self) -> Screen:
        return MainScreen()

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        assert isinstance(screen, MainScreen)
        return screen

    def on_load(self) -> None:
        """Start reading the store before the screen is even composed."""
        self.run_worker(self._load, thread=True, group="load", exit_on_error=False)

    def on_mount(self) -> None:
        self.set_interval(POLL_SECONDS, self._poll_state)

    def screen_ready(self) -> None:
        """MainScreen's widgets exist: show whatever the loader sent meanwhile.

        Before the first frame: when a store exists its first rows are milliseconds away, so
        wait for them (the loader has the GIL meanwhile) and paint them in the first frame
        rather than paint an empty frame first and the rows in a second one.
        """
        waited = self.db_path.exists() and self._first_batch.wait(FIRST_BATCH_WAIT)
        if waited and self._early_batch is not None:
            self._shown_early = self._early_batch
            self._show(self._shown_early)
        self._screen_is_ready = True
        held, self._held_messages = self._held_messages, []
        for message in held:
            self._show(message)

    def first_screen_settled(self) -> None:
        """The first rows and the widgets mounted after them are drawn: the loader reads on.

        Before that, a key typed at once waited 0.4-1.6 s (tmux, 100k papers) for the GIL
        while the loader thread read the rest of the store; 0.12-0.14 s after it."""
        self._screen_drawn.set()

    # -- loading (thread) ------------------------------------------------------------------

    def _load(self) -> None:
        """Build the store if needed, read the state, then the store a batch at a time.

        The first small batch goes to the screen at once (first paint long before a 100k
        store is read); the date order and the search index follow when all is in.

        Meanwhile the interpreter hands the GIL over every LOADING_SWITCH_S instead of
        every 5 ms: the event loop needs it back after each wait, many times per key, and a
        key typed while a 100k store loaded took 0.4 s to show (under 0.1 s so).
        """
        usual = sys.getswitchinterval()
        sys.setswitchinterval(LOADING_SWITCH_S)
        try:
            self._load_all()
        finally:
            sys.setswitchinterval(usual)

    def _load_all(self) -> None:
        from reader.store import load_in_batches

        papers: list[Paper] = []
        try:
            if not self.db_path.exists() and self.seeds:
                from reader.build import build_store

                self.post_message(self.Progress("starting", 0, 1))
                build_store(
                    self.seeds,
                    self.db_path,
                    progress=lambda stage, done, total: self.post_message(
                        self.Progress(stage, done, total)
                    ),
                )
            self.session.load()
            batches = load_in_batches(self.db_path, give_way=self._give_way_to_keys)
            meta = next(batches)
            total = int(meta.get("paper_count") or 0)
            for batch in batches:
                papers.extend(batch)
                message = self.Batch(papers, len(papers), max(total, len(papers)))
                first = not self._first_batch.is_set()
                if first:
                    self._early_batch = message
                    self._first_batch.set()
                self.post_message(message)
                # A CPU-bound thread slows the event loop badly (GIL convoy): read the rest
                # only once the first rows are on screen.
                self._screen_drawn.wait(timeout=GIL_WAIT)
                if first:
                    # The first key typed in the search box needs the query code (~60
                    # modules).  Imported by the event loop while this thread reads, every
                    # file it opens hands the GIL over: the screen froze for 1.8 s (tmux,
                    # 100k).  Here it takes its 35 ms.
                    import reader.query  # noqa: F401
        except (
            Exception
        ) as exc:  # StoreError, BuildError, StateError, OSError: say it, keep running
            self.post_message(self.LoadFailed(f"Could not open {self.db_path}: {exc}"))
            return
        finally:
            self._first_batch.set()  # an empty or unreadable store: the screen waits no more
        categories = sorted({p.category for p in papers if p.category})
        self.post_message(self.Loaded(papers, newest_first_order(papers), categories))
        self._all_drawn.wait(timeout=GIL_WAIT)  # the whole list on screen before indexing
        from reader.query import SearchIndex
        from reader.wordindex_file import word_index_path

        index = SearchIndex(  # word indexes saved beside the store are read back, not rebuilt
            papers, words_file=word_index_path(self.db_path), store_stamp=meta.get("file_stamp")
        )
        self.post_message(self.IndexReady(index))
        # Field terms work now; free words get their word indexes next (seconds at 100k),
        # still in this thread, so typing never waits for them.
        build_word_indexes = getattr(index, "build_word_indexes", None)
        if build_word_indexes is not None:
            build_word_indexes()
        # Millions of long-lived objects now (papers, indexes): keep them out of the
        # collector's full passes, which otherwise stall a keystroke every few seconds.
        gc.freeze()

    def _give_way_to_keys(self) -> None:
        """In the loader thread: pause while the user is typing.

        The event loop needs the GIL back after every wait, many times per key; with this
        thread reading the store, each time costs a switch interval, and keys typed while a
        100k store loaded took 0.5-1 s to show.  Reading pauses instead (a key press
        extends it), so the store is in a little later only for someone who types."""
        while time.monotonic() - self._last_key_at < TYPING_PAUSE_S:
            time.sleep(0.01)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._last_key_at = time.monotonic()
        await super().on_event(event)

    @on(Progress)
    @on(Batch)
    @on(Loaded)
    @on(IndexReady)
    @on(LoadFailed)
    def _loader_says(self, message: Message) -> None:
        if message is self._shown_early:
            return  # screen_ready showed it already
        if self._screen_is_ready:
            self._show(message)
        else:
            self._held_messages.append(message)

    def _show(self, message: Message) -> None:
        main = self.main
        if isinstance(message, self.Progress):
            main.show_progress(message.stage, message.done, message.total)
        elif isinstance(message, self.Batch):
            self.papers = message.papers
            main.show_batch(message.papers, message.count, message.total)
        elif isinstance(message, self.Loaded):
            self.papers = message.papers
            main.show_papers(message.papers, message.rows, message.categories)
            self.call_after_refresh(self._all_drawn.set)
            for warning in getattr(self.session.user, "warnings", ()):
                self.notify(
                    str(warning), title="State", severity="warning", timeout=10, markup=False
                )
        elif isinstance(message, self.IndexReady):
            main.set_index(message.index)
        elif isinstance(message, self.LoadFailed):
            main.show_failure(message.message)
            self.notify(message.message, title="Store", severity="error", timeout=15, markup=False)

    async def action_quit(self) -> None:
        """Ctrl+Q, the palette's Quit and `q` all save a note being edited first."""
        if self.screen_stack and isinstance(self.screen_stack[0], MainScreen):
            self.main.action_quit()
        else:
            self.exit()

    # -- state -----------------------------------------------------------------------------

    def _poll_state(self) -> None:
        if self.session.user is None:
            return
        try:
            changed = self.session.reload_if_changed()
        except (OSError, StateError) as exc:
            self.notify(f"Could not re-read the state: {exc}", severity="warning", markup=False)
            return
        if changed:
            self.main.state_changed()

    def save_changes(
        self, changes: Sequence[tuple[Paper, StateChange]], label: str, *, quiet: bool = False
    ) -> bool:
        """Save at once; on failure say so clearly and keep running. True when saved."""
        if self.session.user is None:
            return False
        try:
            count = self.session.apply(changes, label)
        except (OSError, StateError) as exc:
            self.notify(
                f"Not saved ({label}): {exc}",
                title="Save failed",
                severity="error",
                timeout=10,
                markup=False,
            )
            return False
        if count:
            self.main.state_changed()
            if not quiet and (len(changes) > 1 or label.startswith(("tag", "edit"))):
                self.notify(f"{label.capitalize()} (z undoes)", markup=False)
        return True

    def undo(self) -> None:
        try:
            step = self.session.undo()
        except (OSError, StateError) as exc:
            self.notify(f"Undo failed: {exc}", severity="error", markup=False)
            return
        if step is None:
            self.notify("Nothing to undo.", markup=False)
            return
        self.main.state_changed()
        self.notify(f"Undone: {step.label}", markup=False)

    def save_search(self, name: str, query: str) -> None:
        try:
            self.session.save_search(name, query)
        except (OSError, StateError) as exc:
            self.notify(f"Search not saved: {exc}", severity="error", markup=False)
            return
        self.main.state_changed()
        self.notify(f"Saved search {name!r}: {query}", markup=False)

    def delete_search(self, name: str) -> None:
        try:
            self.session.delete_search(name)
        except (OSError, StateError) as exc:
            self.notify(f"Search not deleted: {exc}", severity="error", markup=False)
            return
        self.main.state_changed()
        self.notify(f"Deleted saved search {name!r}", markup=False)

    # -- outside the app: editor, browser, export -------------------------------------------

    def edit_externally(self, text: str) -> str | None:
        """The note edited in $VISUAL/$EDITOR (the app is suspended meanwhile), or None."""
        try:
            return edit_in_editor(self, text)
        except (OSError, RuntimeError) as exc:
            self.notify(str(exc), title="Editor", severity="error", timeout=8, markup=False)
            return None

    def open_link(self, url: str) -> None:
        if not browser_available():
            self.copy_to_clipboard(url)
            self.notify(
                f"No browser here (no DISPLAY; over SSH?). Link copied instead: {url}",
                severity="warning",
                markup=False,
            )
            return
        self.run_worker(partial(self._open_in_browser, url), thread=True, group="browser")

    def _open_in_browser(self, url: str) -> None:
        import webbrowser

        try:
            opened = webbrowser.open(url, new=2)
        except webbrowser.Error:
            opened = False
        message = f"Opened {url}" if opened else f"No browser could open {url}"
        self.call_from_thread(self.notify, message, markup=False)

    def export(self, papers: Sequence[Paper], fmt: str, path: Path) -> None:
        self.run_worker(partial(self._export, list(papers), fmt, path), thread=True, group="export")

    def _export(self, papers: list[Paper], fmt: str, path: Path) -> None:
        from reader.export import export_papers

        try:
            text = export_papers(papers, self.session.state_of, fmt)
            path.write_text(text, encoding="utf-8")
        except (OSError, ValueError) as exc:
            self.call_from_thread(
                self.notify, f"Export failed: {exc}", severity="error", timeout=10, markup=False
            )
            return
        self.call_from_thread(self.notify, f"Exported {len(papers)} papers to {path}", markup=False)

    # -- command palette: every action by name ---------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if not isinstance(screen, MainScreen):
            return
        for key in LIST_KEYS:
            yield SystemCommand(
                f"{key.description} ({key.shown_keys})",
                key.help or key.description,
                getattr(screen.paper_list, f"action_{key.action}"),
            )
        for key in SCREEN_KEYS:
            if key.action == "saved_search_key" or key.action.startswith("app."):
                continue
            yield SystemCommand(
                f"{key.description} ({key.shown_keys})",
                key.help or key.description,
                getattr(screen, f"action_{key.action}"),
            )
        for number, name in enumerate(sorted(self.session.searches), start=1):
            yield SystemCommand(
                f"Saved search: {name}" + (f" ({number})" if number <= 9 else ""),
                self.session.searches[name],
                partial(screen.recall_search, name),
            )


def make_app(
    db_path: Path, state_store: StateStore, *, seeds: Sequence[Path] | None = None
) -> ReaderApp:
    """The app on ``db_path`` with ``state_store``; builds the store from ``seeds`` if missing."""
    return ReaderApp(db_path, state_store, seeds=seeds)
