"""What the user's marks mean: entries, their identities, and how a change applies to them.

``UserState`` is a read-only snapshot of ``state.json`` with cheap lookups by any identity;
``apply_change`` edits the file's parsed content for one ``StateChange``.  Values are set,
never toggled, so two sessions saving over each other merge.  Entries are keyed by paper
key and remember the paper's identities, so a rebuild that gives a paper new aliases never
orphans its marks.  Reading, locking and writing the file is ``reader.state.StateStore``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reader.models import EMPTY_STATE, Paper, PaperState

#: The state file's format version and name (StateStore reads and writes it).
STATE_SCHEMA = 1
STATE_FILE = "state.json"
_MARK_FIELDS = ("read", "starred", "note", "tags")


class StateError(Exception):
    """A change could not be saved; the message says why and what to do."""


@dataclass(frozen=True)
class StateChange:
    """New values for one paper; None / empty means leave that field as it is."""

    read: bool | None = None
    starred: bool | None = None
    note: str | None = None
    add_tags: Sequence[str] = ()
    remove_tags: Sequence[str] = ()


@dataclass(frozen=True)
class StateEntry:
    """One stored entry: the marks and every identity the paper had when they were made."""

    key: str
    state: PaperState
    aliases: tuple[str, ...] = ()

    @property
    def identities(self) -> tuple[str, ...]:
        return (self.key, *self.aliases)


def _entry_from_raw(key: str, raw: Any) -> StateEntry | None:
    """A StateEntry, or None when the stored entry has a shape we do not understand."""
    if not isinstance(raw, dict):
        return None
    note = raw.get("note", "")
    tags = raw.get("tags", [])
    changed = raw.get("changed", {})
    aliases = raw.get("aliases", [])
    if not (
        isinstance(note, str)
        and isinstance(tags, list)
        and all(isinstance(t, str) for t in tags)
        and isinstance(changed, dict)
        and isinstance(aliases, list)
        and all(isinstance(a, str) for a in aliases)
    ):
        return None
    state = PaperState(
        read=bool(raw.get("read", False)),
        starred=bool(raw.get("starred", False)),
        note=note,
        tags=tuple(tags),
        changed={str(k): str(v) for k, v in changed.items()},
    )
    return StateEntry(key, state, tuple(a for a in aliases if a != key))


def _merge_states(states: Sequence[PaperState]) -> PaperState:
    """Several entries for one paper: read/starred OR, distinct notes joined, tags united."""
    notes: list[str] = []
    tags: list[str] = []
    changed: dict[str, str] = {}
    for state in states:
        if state.note and state.note not in notes:
            notes.append(state.note)
        tags.extend(t for t in state.tags if t not in tags)
        for name, when in state.changed.items():
            if when > changed.get(name, ""):
                changed[name] = when
    return PaperState(
        read=any(s.read for s in states),
        starred=any(s.starred for s in states),
        note="\n\n".join(notes),
        tags=tuple(tags),
        changed=changed,
    )


def _add_identities(index: dict[str, tuple[str, ...]], entry: StateEntry) -> None:
    """Copy-on-write: index values are tuples, so a copied dict never shares a mutation."""
    for identity in entry.identities:
        keys = index.get(identity, ())
        if entry.key not in keys:
            index[identity] = (*keys, entry.key)


def _drop_identities(index: dict[str, tuple[str, ...]], entry: StateEntry) -> None:
    for identity in entry.identities:
        keys = tuple(k for k in index.get(identity, ()) if k != entry.key)
        if keys:
            index[identity] = keys
        else:
            index.pop(identity, None)


class UserState:
    """A snapshot of one user's state file; cheap `for_paper` lookups by any identity."""

    def __init__(
        self,
        raw: Mapping[str, Any] | None = None,
        *,
        warnings: Sequence[str] = (),
        read_only: bool = False,
        path: Path | None = None,
    ) -> None:
        raw = raw or {}
        self.path = path
        self.read_only = read_only
        self.warnings: list[str] = list(warnings)
        self.schema_version: int = raw.get("schema_version", STATE_SCHEMA)
        self.entries: dict[str, StateEntry] = {}
        self._index: dict[str, tuple[str, ...]] = {}
        raw_entries = raw.get("entries", {})
        for key, value in (raw_entries if isinstance(raw_entries, dict) else {}).items():
            entry = _entry_from_raw(str(key), value)
            if entry is None:
                self.warnings.append(
                    f"{path or STATE_FILE}: entry {key!r} has an unknown shape; kept but ignored"
                )
            else:
                self.entries[entry.key] = entry
                _add_identities(self._index, entry)
        self.searches = _searches(raw)
        self._cache: dict[tuple[str, tuple[str, ...]], PaperState] = {}

    def after_changes(
        self, raw: Mapping[str, Any], touched: Iterable[str], warnings: Sequence[str]
    ) -> UserState:
        """The state after changes to the TOUCHED entries of RAW, without rebuilding the rest."""
        new = object.__new__(UserState)
        new.path, new.read_only, new.schema_version = self.path, False, STATE_SCHEMA
        new.warnings = list(warnings)
        new.entries = dict(self.entries)
        new._index = dict(self._index)
        raw_entries = raw["entries"]
        for key in touched:
            old = new.entries.pop(key, None)
            if old is not None:
                _drop_identities(new._index, old)
            entry = _entry_from_raw(key, raw_entries[key]) if key in raw_entries else None
            if entry is not None:
                new.entries[key] = entry
                _add_identities(new._index, entry)
        new.searches = _searches(raw)
        new._cache = {}
        return new

    def __len__(self) -> int:
        return len(self.entries)

    def marked_identities(self) -> frozenset[str]:
        """Every identity that has marks: run_query's `marked=`, so `-is:read` over 100k
        papers looks at the marked few instead of asking for_paper 100k times."""
        return frozenset(self._index)

    def identity_index(self) -> dict[str, tuple[str, ...]]:
        """A copy of identity -> entry keys, for apply_change to extend while it edits."""
        return dict(self._index)

    def aliases_of(self, key: str) -> tuple[str, ...]:
        """The identities stored with the entry KEY (for finding orphans, e.g. in doctor)."""
        entry = self.entries.get(key)
        return entry.aliases if entry is not None else ()

    def matching_keys(self, paper: Paper) -> list[str]:
        """Keys of every entry that shares an identity with PAPER (its key first)."""
        index = self._index
        found: list[str] = []
        for identity in paper.identities:
            for key in index.get(identity, ()):
                if key not in found:
                    found.append(key)
        if len(found) > 1 and paper.key in found:
            found.remove(paper.key)
            found.insert(0, paper.key)
        return found

    def for_paper(self, paper: Paper) -> PaperState:
        """The user's marks on PAPER, found by key or any alias; EMPTY_STATE when unmarked."""
        index = self._index
        if index.keys().isdisjoint(paper.aliases):  # the common cases, at C speed
            keys = index.get(paper.key)
            if keys is None:
                return EMPTY_STATE
            if len(keys) == 1:
                return self.entries[keys[0]].state
        cached = self._cache.get((paper.key, paper.aliases))  # aliases: a rebuilt paper may differ
        if cached is not None:
            return cached
        keys = self.matching_keys(paper)
        if not keys:
            state = EMPTY_STATE
        elif len(keys) == 1:
            state = self.entries[keys[0]].state
        else:
            state = _merge_states([self.entries[k].state for k in keys])
        self._cache[paper.key, paper.aliases] = state
        return state


def _searches(raw: Mapping[str, Any]) -> dict[str, str]:
    searches = raw.get("searches", {})
    if not isinstance(searches, dict):
        return {}
    return {str(k): v for k, v in searches.items() if isinstance(v, str)}


def apply_change(
    raw: dict[str, Any],
    index: dict[str, tuple[str, ...]],
    paper: Paper,
    change: StateChange,
    when: str,
) -> list[str]:
    """Set CHANGE's values on every entry of PAPER in RAW (or a new one); the keys touched."""
    entries = raw["entries"]
    keys = list(
        dict.fromkeys(k for i in paper.identities for k in index.get(i, ()) if k in entries)
    )
    for key in keys or [paper.key]:
        entry = entries.setdefault(key, {})
        if _entry_from_raw(key, entry) is None:
            raise StateError(
                f"entry {key!r} in the state file has a shape this reader does not understand; "
                "fix or remove it by hand (nothing was changed)"
            )
        changed = entry.setdefault("changed", {})
        for name in ("read", "starred", "note"):
            value = getattr(change, name)
            if value is not None and entry.get(name, "" if name == "note" else False) != value:
                entry[name] = value
                changed[name] = when
        if change.add_tags or change.remove_tags:
            tags = [t for t in entry.get("tags", []) if t not in change.remove_tags]
            tags.extend(t for t in dict.fromkeys(change.add_tags) if t not in tags)
            if tags != entry.get("tags", []):
                entry["tags"] = tags
                changed["tags"] = when
        aliases = list(entry.get("aliases", []))
        aliases.extend(i for i in paper.identities if i != key and i not in aliases)
        entry["aliases"] = aliases
        if any(entry.get(name) for name in _MARK_FIELDS):
            _add_identities(index, StateEntry(key, EMPTY_STATE, tuple(aliases)))
        else:
            del entries[key]  # unmarked again: the file only holds marked papers
    return keys or [paper.key]
