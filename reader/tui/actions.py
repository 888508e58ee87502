"""What the main screen's keys do: triage actions on the cursor paper or the bulk selection.

A mixin for MainScreen (kept apart so each module stays readable).  Every state change goes
through ``app.save_changes`` with explicit values (``read=True``), never toggles, so undo
and concurrent sessions behave.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reader.models import Paper
from reader.state import StateChange
from reader.tui.detail import primary_link
from reader.tui.dialogs import (
    ConfirmScreen,
    ExportScreen,
    HelpScreen,
    PromptScreen,
    parse_tag_edit,
    tags_prompt,
)
from reader.tui.filters import FilterSpec, saved_search_options

if TYPE_CHECKING:
    from reader.tui.app import ReaderApp

#: Marking this many papers read or unread at once asks first.
BULK_CONFIRM = 10


def _plural(count: int, word: str = "paper") -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


class TriageActions:
    """Actions of MainScreen; relies on its widgets and reactives."""

    app: ReaderApp
    papers: Any
    paper_list: Any
    detail: Any
    filters: Any
    wide: bool
    show_filters: bool
    detail_open: bool
    _filters_auto: bool
    _note_opened_detail: bool = False
    _note_return: Any = None

    # -- targets ---------------------------------------------------------------------------

    def _targets(self) -> list[Paper]:
        """The bulk selection (in list order) or else the paper under the cursor."""
        plist = self.paper_list
        if plist.selected:
            chosen = plist.selected
            in_rows = [i for i in plist.rows if i in chosen]
            rest = sorted(chosen.difference(in_rows))
            return [self.papers[i] for i in [*in_rows, *rest]]
        paper = plist.current_paper
        return [] if paper is None else [paper]

    def _state(self, paper: Paper) -> Any:
        return self.app.session.state_of(paper)

    # -- panes -----------------------------------------------------------------------------

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_search(self) -> None:
        # `/` is a priority binding (focus must move before the keys typed after it are
        # handed on); inside a text box it stays a character.
        from textual.actions import SkipAction
        from textual.widgets import Input, TextArea

        if isinstance(self.app.focused, Input | TextArea):
            raise SkipAction()
        if not self.show_filters:
            self._filters_auto = True
            self.show_filters = True
        self.filters.focus_search()

    def action_toggle_filters(self) -> None:
        self._filters_auto = False
        self.show_filters = not self.show_filters

    def action_open(self) -> None:
        """Show the paper's detail and mark it read, as a mail reader does."""
        paper = self.paper_list.current_paper
        if paper is None:
            return
        self.app.save_changes([(paper, StateChange(read=True))], "mark read", quiet=True)
        self.detail_open = True
        self.detail.focus()

    def action_back(self) -> None:
        """Esc: leave the editor, the search box or the detail; else clear selection, search."""
        focused = self.app.focused
        if self.detail.editing:
            # Leaving the editor saves the note; go back where `n` was pressed.
            self.set_focus(self._note_return)
            if self._note_opened_detail:
                self.detail_open = False
        elif focused is not None and self.filters in focused.ancestors_with_self:
            self.focus_results()  # type: ignore[attr-defined]
        elif self.detail_open or (
            focused is not None and self.detail in focused.ancestors_with_self
        ):
            self.detail_open = False
            self.set_focus(self.paper_list)
        elif self.paper_list.selected:
            self.paper_list.set_selection(set())
        elif self.filters.spec != FilterSpec(sort=self.filters.spec.sort):
            self.filters.apply(FilterSpec(sort=self.filters.spec.sort))

    def action_next_unread(self) -> None:
        plist = self.paper_list
        count = len(plist.rows)
        for step in range(1, count + 1):
            row = (plist.cursor + step) % count
            if not self._state(self.papers[plist.rows[row]]).read:
                plist.cursor = row
                return
        self.app.notify("No unread papers in this list.", markup=False)

    def action_select_all(self) -> None:
        plist = self.paper_list
        plist.set_selection(set() if plist.selected else set(plist.rows))

    # -- marks -----------------------------------------------------------------------------

    def _set_marks(self, field: str, verb: str, unverb: str, *, confirm: bool) -> None:
        papers = self._targets()
        if not papers:
            return
        value = not all(getattr(self._state(p), field) for p in papers)
        changes = [(p, StateChange(**{field: value})) for p in papers]
        label = f"{verb if value else unverb} {_plural(len(papers))}"

        def save(ok: bool | None = True) -> None:
            if ok:
                self.app.save_changes(changes, label)

        if confirm and len(papers) >= BULK_CONFIRM:
            self.app.push_screen(ConfirmScreen(f"{label.capitalize()}?"), save)
        else:
            save()

    def action_toggle_read(self) -> None:
        self._set_marks("read", "mark read", "mark unread", confirm=True)

    def action_toggle_star(self) -> None:
        self._set_marks("starred", "star", "unstar", confirm=False)

    def action_edit_tags(self) -> None:
        papers = self._targets()
        if not papers:
            return
        current = sorted({t for p in papers for t in self._state(p).tags})

        def done(answer: str | None) -> None:
            if not answer:
                return
            add, remove = parse_tag_edit(answer)
            if add or remove:
                changes = [(p, StateChange(add_tags=add, remove_tags=remove)) for p in papers]
                self.app.save_changes(changes, f"tag {_plural(len(papers))}")

        self.app.push_screen(tags_prompt(current, len(papers)), done)

    # -- notes -----------------------------------------------------------------------------

    def action_edit_note(self) -> None:
        paper = self.paper_list.current_paper
        if paper is None:
            return
        from_list = self.app.focused is self.paper_list
        self._note_opened_detail = from_list and not self.wide and not self.detail_open
        self._note_return = self.paper_list if from_list else self.detail.body
        if not self.wide:
            self.detail_open = True
        self._show_detail(self.paper_list.current_index)  # type: ignore[attr-defined]
        self.detail.begin_note(self._state(paper).note)

    def save_note(self, index: int, text: str) -> None:
        paper = self.papers[index]
        if text != self._state(paper).note:
            self.app.save_changes([(paper, StateChange(note=text))], "edit note")

    def action_edit_note_external(self) -> None:
        paper = self.paper_list.current_paper
        if paper is None:
            return
        text = self.app.edit_externally(self._state(paper).note)
        if text is not None and text != self._state(paper).note:
            self.app.save_changes([(paper, StateChange(note=text))], "edit note")

    # -- links -----------------------------------------------------------------------------

    def action_copy_link(self) -> None:
        paper = self.paper_list.current_paper
        link = primary_link(paper) if paper is not None else None
        if link is None:
            self.app.notify("This paper has no link.", markup=False)
            return
        self.app.copy_to_clipboard(link)
        self.app.notify(f"Copied {link}", markup=False)

    def action_open_link(self) -> None:
        paper = self.paper_list.current_paper
        link = primary_link(paper) if paper is not None else None
        if link is None:
            self.app.notify("This paper has no link.", markup=False)
            return
        self.app.open_link(link)

    # -- export, undo, saved searches ------------------------------------------------------

    def action_export(self) -> None:
        from reader.export import EXPORT_FORMATS

        plist = self.paper_list
        if plist.selected:
            papers, what = self._targets(), "selected"
        else:
            papers, what = [self.papers[i] for i in plist.rows], "shown"
        if not papers:
            self.app.notify("Nothing to export.", markup=False)
            return

        def done(answer: tuple[str, str] | None) -> None:
            if answer:
                fmt, path = answer
                self.app.export(papers, fmt, Path(path).expanduser())

        self.app.push_screen(ExportScreen(EXPORT_FORMATS, len(papers), what, Path.cwd()), done)

    def action_undo(self) -> None:
        self.app.undo()

    def action_save_search(self) -> None:
        text = self.filters.spec.query_text()
        if not text:
            self.app.notify("Type a query or set a filter first, then save it.", markup=False)
            return

        def done(name: str | None) -> None:
            if name and name.strip():
                self.app.save_search(name.strip(), text)

        self.app.push_screen(
            PromptScreen("Save search", f"Query: {text}", placeholder="name"), done
        )

    def action_saved_search(self, number: int) -> None:
        searches = saved_search_options(self.app.session.searches)
        if not 1 <= number <= len(searches):
            self.app.notify(f"No saved search {number} (S saves the current query).", markup=False)
            return
        self.recall_search(searches[number - 1][0])

    def recall_search(self, name: str) -> None:
        query = self.app.session.searches.get(name)
        if query is None:
            return
        self.filters.apply(replace(FilterSpec(), text=query, sort=self.filters.spec.sort))
        self.app.notify(f"Saved search: {name}", markup=False)

    # -- quit ------------------------------------------------------------------------------

    def action_quit(self) -> None:
        """Save a note being edited, then leave."""
        taken = self.detail.take_note()
        if taken is not None:
            self.save_note(*taken)
        self.app.exit()
