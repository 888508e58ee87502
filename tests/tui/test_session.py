"""The app's state session without Textual: values not toggles, undo, outside changes."""

from __future__ import annotations

from pathlib import Path

from reader.models import Paper, PaperState
from reader.state import StateChange, StateStore
from reader.tui.session import Session, changes_anything, inverse_change

A = Paper(key="a", title="A")
B = Paper(key="b", title="B")


def test_inverse_change_restores_only_the_touched_fields() -> None:
    before = PaperState(read=True, starred=False, note="n", tags=("x",))
    change = StateChange(starred=True, add_tags=("x", "y"), remove_tags=("x",))
    inverse = inverse_change(before, change)
    assert inverse.starred is False and inverse.read is None and inverse.note is None
    assert inverse.add_tags == ("x",)  # x was there before: put it back
    assert inverse.remove_tags == ("y",)  # y was not: take it away
    assert not changes_anything(before, StateChange(read=True, note="n", add_tags=("x",)))


def test_apply_saves_at_once_and_undo_walks_back(tmp_path: Path) -> None:
    session = Session(StateStore(tmp_path))
    session.load()
    assert (
        session.apply([(A, StateChange(starred=True)), (B, StateChange(starred=True))], "star") == 2
    )
    assert StateStore(tmp_path).load().for_paper(B).starred
    assert session.apply([(A, StateChange(starred=True))], "star again") == 0  # nothing new
    session.apply([(A, StateChange(note="hello"))], "note")
    assert session.undo().label == "note"
    assert StateStore(tmp_path).load().for_paper(A).note == ""
    assert session.undo().label == "star"
    fresh = StateStore(tmp_path).load()
    assert not fresh.for_paper(A).starred and not fresh.for_paper(B).starred
    assert session.undo() is None


def test_changes_from_another_store_are_picked_up(tmp_path: Path) -> None:
    session = Session(StateStore(tmp_path))
    session.load()
    assert not session.reload_if_changed()
    StateStore(tmp_path).update(A, StateChange(read=True))
    assert session.reload_if_changed()
    assert session.state_of(A).read
    # Undo after an outside change writes values, so the other session's mark survives.
    session.apply([(B, StateChange(starred=True))], "star")
    session.undo()
    assert StateStore(tmp_path).load().for_paper(A).read
