"""The app's hold on the user's state: save every change at once, undo, pick up outside changes.

No Textual here: the app calls these methods and shows what they return or raise.  Changes
are always *values* (read=True), never toggles, so two sessions merging under the state
file's lock cannot flip each other's marks; undo writes back the values from before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reader.models import EMPTY_STATE, Paper, PaperState
from reader.state import StateChange, StateStore, UserState

UNDO_DEPTH = 100


@dataclass(frozen=True, slots=True)
class UndoStep:
    """What to write to put things back, and what it was called ("star 3 papers")."""

    label: str
    changes: tuple[tuple[Paper, StateChange], ...]


def inverse_change(before: PaperState, change: StateChange) -> StateChange:
    """The change that restores ``before`` for exactly the fields ``change`` touches."""
    return StateChange(
        read=before.read if change.read is not None else None,
        starred=before.starred if change.starred is not None else None,
        note=before.note if change.note is not None else None,
        add_tags=tuple(t for t in change.remove_tags if t in before.tags),
        remove_tags=tuple(t for t in change.add_tags if t not in before.tags),
    )


def changes_anything(state: PaperState, change: StateChange) -> bool:
    """False when applying ``change`` would leave ``state`` as it is (nothing to save)."""
    return (
        (change.read is not None and change.read != state.read)
        or (change.starred is not None and change.starred != state.starred)
        or (change.note is not None and change.note != state.note)
        or any(t not in state.tags for t in change.add_tags)
        or any(t in state.tags for t in change.remove_tags)
    )


class Session:
    """The loaded UserState, the StateStore it came from, and this session's undo stack."""

    def __init__(self, state_store: StateStore) -> None:
        self.state_store = state_store
        self.user: UserState | None = None
        self.undo_stack: list[UndoStep] = []
        self._marked: tuple[UserState | None, frozenset[str]] = (None, frozenset())

    def load(self) -> UserState:
        """Read the state file (the app calls this in a thread worker)."""
        self.user = self.state_store.load()
        return self.user

    def state_of(self, paper: Paper) -> PaperState:
        """The user's marks on ``paper`` (empty before the state is loaded)."""
        user = self.user
        return EMPTY_STATE if user is None else user.for_paper(paper)

    def marked(self) -> frozenset[str]:
        """Every identity with marks (run_query's ``marked=``: `is:`/`-is:` terms then look at
        the marked few papers, not ask state_of about 100k); cached per loaded state."""
        user = self.user
        if user is None:
            return frozenset()
        if self._marked[0] is not user:
            self._marked = (user, user.marked_identities())
        return self._marked[1]

    @property
    def searches(self) -> dict[str, str]:
        return {} if self.user is None else dict(self.user.searches)

    def apply(self, changes: Sequence[tuple[Paper, StateChange]], label: str) -> int:
        """Save ``changes`` now (one locked write) and remember how to undo them.

        Returns how many papers actually changed.  Raises OSError/StateError from the store;
        then nothing is recorded and the in-memory state is as before.
        """
        effective = [(p, c) for p, c in changes if changes_anything(self.state_of(p), c)]
        if not effective:
            return 0
        undo = tuple((p, inverse_change(self.state_of(p), c)) for p, c in effective)
        if len(effective) == 1:
            self.user = self.state_store.update(*effective[0])
        else:
            self.user = self.state_store.update_many(effective)
        self.undo_stack.append(UndoStep(label, undo))
        del self.undo_stack[:-UNDO_DEPTH]
        return len(effective)

    def undo(self) -> UndoStep | None:
        """Write back the values from before the last change; None when there is nothing."""
        if not self.undo_stack:
            return None
        step = self.undo_stack[-1]
        self.user = self.state_store.update_many(list(step.changes))
        self.undo_stack.pop()
        return step

    def save_search(self, name: str, query: str) -> None:
        self.user = self.state_store.save_search(name, query)

    def delete_search(self, name: str) -> None:
        self.user = self.state_store.delete_search(name)

    def reload_if_changed(self) -> bool:
        """True when another process changed the state file and it was re-read."""
        fresh = self.state_store.reload_if_changed()
        if fresh is None:
            return False
        self.user = fresh
        return True
