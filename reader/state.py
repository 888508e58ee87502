"""The user's state file: load it, and save changes safely across processes.

``state.json`` in the config dir holds only papers the user marked, so saving a change costs
the same at 30 papers or 100,000.  Every change takes a cross-process lock, re-reads the
file, applies just that change (see ``reader.userstate``), keeps the previous good file as
``state.json.bak`` and replaces the file atomically.  A corrupt file is moved aside, never
silently replaced; a file from a newer schema is never overwritten.

What the content means (UserState, StateChange, StateEntry) lives in ``reader.userstate``
and is re-exported here, where callers have always imported it from.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout

from reader.atomicfile import atomic_write_bytes, remove_stale_temps
from reader.models import Paper
from reader.userstate import (
    STATE_FILE,
    STATE_SCHEMA,
    StateChange,
    StateEntry,
    StateError,
    UserState,
    apply_change,
)

__all__ = [
    "LOCK_TIMEOUT",
    "STATE_FILE",
    "STATE_SCHEMA",
    "StateChange",
    "StateEntry",
    "StateError",
    "StateStore",
    "UserState",
]

LOCK_TIMEOUT = 10.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _entry_line(key: str, entry: Any) -> bytes:
    return b'"%b":%b' % (orjson.dumps(key)[1:-1], orjson.dumps(entry))


def _encode(raw: Mapping[str, Any], lines: Mapping[str, bytes]) -> bytes:
    """JSON with one entry per line (LINES: key -> encoded entry, in order): small, readable."""
    head = orjson.dumps({k: v for k, v in raw.items() if k != "entries"})[:-1]
    body = b",\n".join(lines.values())
    return b'%b,\n"entries":{\n%b%b}}\n' % (head, body, b"\n" if lines else b"")


class StateStore:
    """The state file in DIRECTORY: load it, and save changes safely across processes."""

    def __init__(
        self, directory: Path | None = None, *, lock_timeout: float = LOCK_TIMEOUT
    ) -> None:
        if directory is None:
            from reader.paths import config_dir

            directory = config_dir()
        self.directory = Path(directory)
        self.path = self.directory / STATE_FILE
        self.backup_path = self.directory / f"{STATE_FILE}.bak"
        self.lock_path = self.directory / f"{STATE_FILE}.lock"
        self.lock_timeout = lock_timeout
        self._lock: FileLock | None = None
        self._signature: tuple[int, int, int] | None = None
        #: (bytes, parsed content, UserState) of the file as we last read or wrote it, and
        #: each entry's encoded line once we wrote it (only changed entries are re-encoded).
        self._known: tuple[bytes, dict[str, Any], UserState] | None = None
        self._lines: dict[str, bytes] | None = None
        self._swept = False
        self.state: UserState | None = None

    # ------------------------------------------------------------ reading

    def _read(self, path: Path) -> tuple[bytes | None, tuple[int, int, int] | None]:
        """Bytes and (mtime_ns, size, inode) of PATH, or (None, None) when it does not exist."""
        try:
            with open(path, "rb") as handle:
                st = os.fstat(handle.fileno())
                return handle.read(), (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            return None, None

    def _parse(self, path: Path, data: bytes) -> tuple[dict[str, Any] | None, str]:
        """(content, "") when DATA is a usable state file, else (None, why not)."""
        try:
            raw = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            return None, f"not valid JSON ({exc})"
        if not isinstance(raw, dict):
            return None, "not a JSON object"
        version = raw.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            return None, f"bad or missing schema_version {version!r}"
        if not isinstance(raw.get("entries", {}), dict) or not isinstance(
            raw.get("searches", {}), dict
        ):
            return None, "'entries' or 'searches' is not an object"
        return raw, ""

    def _newer_message(self, version: int) -> str:
        return (
            f"{self.path} was written by a newer reader (state schema {version}, this version "
            f"knows up to {STATE_SCHEMA}); shown read-only and never overwritten; upgrade reader"
        )

    def _recover(self, why: str, data: bytes) -> tuple[dict[str, Any], list[str]]:
        """Under the lock: move the corrupt file aside, bring back the last good copy."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.directory / f"{STATE_FILE}.corrupt-{stamp}"
        os.replace(self.path, aside)
        message = f"{self.path} could not be read ({why}); moved it to {aside.name}"
        backup, _ = self._read(self.backup_path)
        parsed, backup_why = (
            self._parse(self.backup_path, backup) if backup is not None else (None, "missing")
        )
        if parsed is not None and parsed["schema_version"] <= STATE_SCHEMA:
            atomic_write_bytes(self.path, backup)  # type: ignore[arg-type]
            return parsed, [
                f"{message} and restored the last good copy from {self.backup_path.name}"
            ]
        return {}, [
            f"{message}; no usable last good copy ({self.backup_path.name}: {backup_why}), starting empty"
        ]

    def _read_only(self, message: str) -> UserState:
        self.state = UserState(warnings=[message], read_only=True, path=self.path)
        self._known = self._lines = None
        return self.state

    def _current(
        self, data: bytes | None, parsed: tuple[dict[str, Any] | None, str] | None = None
    ) -> tuple[dict[str, Any], UserState, bool]:
        """(content, its UserState, writable) of DATA just read from the state file.

        Bytes we parsed or wrote last are not parsed again (a toggle stays cheap with
        thousands of entries); a corrupt file is moved aside and the .bak restored (callers
        hold the lock for that).
        """
        if data is None:
            return {}, UserState(path=self.path), True
        known = self._known
        if known is not None and data == known[0]:
            return known[1], known[2], True
        raw, why = parsed or self._parse(self.path, data)
        warnings: list[str] = []
        if raw is None:
            raw, warnings = self._recover(why, data)
        version = raw.get("schema_version", STATE_SCHEMA)
        if version > STATE_SCHEMA:
            warnings.append(self._newer_message(version))
            return raw, UserState(raw, warnings=warnings, read_only=True, path=self.path), False
        return raw, UserState(raw, warnings=warnings, path=self.path), True

    def load(self) -> UserState:
        """Read the state file (recovering from corruption); never raises for bad content."""
        try:
            data, signature = self._read(self.path)
            known = self._known
            parsed = None
            if data is not None and (known is None or data != known[0]):
                parsed = self._parse(self.path, data)
            if parsed is not None and parsed[0] is None:
                with self._locked():  # recovery moves files: only under the lock
                    data, _ = self._read(self.path)
                    raw, state, writable = self._current(data)
                    data, signature = self._read(self.path)
            else:
                raw, state, writable = self._current(data, parsed)
        except StateError as exc:
            return self._read_only(f"{self.path} could not be read nor recovered ({exc})")
        except OSError as exc:
            return self._read_only(
                f"{self.path} cannot be read ({exc.strerror or exc}); changes cannot be saved"
            )
        if self._known is None or state is not self._known[2]:
            self._lines = None  # encoded lines belong to the content we last wrote
        self._known = (data, raw, state) if writable and data is not None else None
        self._signature = signature
        self.state = state
        return state

    def reload_if_changed(self) -> UserState | None:
        """A fresh UserState when the file changed since our last load or save, else None.

        Compares (mtime_ns, size, inode): one stat call, cheap enough for a 1 s poll.
        """
        try:
            st = os.stat(self.path)
            signature: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            signature = None
        except OSError:
            return None
        if signature == self._signature and self.state is not None:
            return None
        return self.load()

    # ------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._lock is None:
            self._lock = FileLock(str(self.lock_path), timeout=self.lock_timeout)
        try:
            self._lock.acquire(poll_interval=0.002)  # a contended toggle waits ms, not 50 ms
        except Timeout:
            raise StateError(
                f"could not lock {self.lock_path} within {self.lock_timeout:g} s: another reader "
                "process is saving or hung; try again, or remove the lock file if none is running"
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    def _keep_backup(self) -> None:
        """state.json.bak := the current (good) state.json, by hardlink where possible."""
        tmp = self.directory / f".{STATE_FILE}.bak.tmp-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        try:
            os.link(self.path, tmp)
            os.replace(tmp, self.backup_path)
        except FileNotFoundError:
            return
        except OSError:
            pass
        else:
            # A writer killed between this link and its replace leaves .bak and state.json as
            # one inode; rename() between two links of one file is a no-op that keeps TMP.
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            return
        with contextlib.suppress(OSError):
            tmp.unlink()
        atomic_write_bytes(self.backup_path, self.path.read_bytes())  # no hardlinks here

    def _change(
        self, edit: Callable[[dict[str, Any], dict[str, tuple[str, ...]]], list[str]]
    ) -> UserState:
        """Lock, re-read, EDIT the content in place, keep .bak, write atomically, release."""
        try:
            with self._locked():
                cached = self._known[2] if self._known is not None else None
                data, _ = self._read(self.path)
                raw, base, writable = self._current(data)
                if not writable:
                    version = raw["schema_version"]
                    raise StateError(
                        f"{self.path} was written by a newer reader (state schema {version}, this "
                        f"version knows up to {STATE_SCHEMA}); not saving, to never overwrite it; "
                        "upgrade reader"
                    )
                self._known = None  # RAW is edited in place from here on
                if not self._swept:  # temps of writers killed mid-save, once per session
                    remove_stale_temps(self.path)
                    remove_stale_temps(self.backup_path)
                    self._swept = True
                raw["schema_version"] = STATE_SCHEMA
                raw.setdefault("entries", {})
                raw.setdefault("searches", {})
                lines = self._lines if base is cached and self._lines is not None else None
                self._lines = None
                touched = edit(raw, base.identity_index())
                entries = raw["entries"]
                if lines is None:
                    lines = {k: _entry_line(k, v) for k, v in entries.items()}
                else:
                    for key in touched:
                        if key in entries:
                            lines[key] = _entry_line(key, entries[key])
                        else:
                            lines.pop(key, None)
                data = _encode(raw, lines)
                if self.path.exists():
                    self._keep_backup()
                atomic_write_bytes(self.path, data)
                st = os.stat(self.path)
                self._signature = (st.st_mtime_ns, st.st_size, st.st_ino)
                state = base.after_changes(raw, touched, [] if base is cached else base.warnings)
                self._known = (data, raw, state)
                self._lines = lines
        except OSError as exc:
            raise StateError(
                f"could not save your change to {self.path}: {exc.strerror or exc}"
            ) from exc
        self.state = state
        return state

    def update(self, paper: Paper, change: StateChange) -> UserState:
        """Save one change for PAPER (lock, re-read, apply, write); the state now on disk."""
        return self.update_many([(paper, change)])

    def update_many(self, changes: Iterable[tuple[Paper, StateChange]]) -> UserState:
        """Save several changes under one lock and one write."""
        changes = list(changes)
        when = _now()

        def edit(raw: dict[str, Any], index: dict[str, tuple[str, ...]]) -> list[str]:
            touched: list[str] = []
            for paper, change in changes:
                touched.extend(apply_change(raw, index, paper, change, when))
            return touched

        return self._change(edit)

    def save_search(self, name: str, query: str) -> UserState:
        """Remember QUERY under NAME (replacing an older one of that name)."""

        def edit(raw: dict[str, Any], _: object) -> list[str]:
            raw["searches"][name] = query
            return []

        return self._change(edit)

    def delete_search(self, name: str) -> UserState:
        """Forget the saved search NAME (no error when there is none)."""

        def edit(raw: dict[str, Any], _: object) -> list[str]:
            raw["searches"].pop(name, None)
            return []

        return self._change(edit)
