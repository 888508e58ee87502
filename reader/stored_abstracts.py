"""Papers whose abstracts stay in the store file until something reads them.

Abstracts are over half of a store in memory (~135 MB of 240 MB at 100k papers) while the
app shows one at a time, so `reader.store.load_in_batches` hands the app `StoredPaper`s:
Papers that remember where their document lies in the store file and read their abstract
from there when asked (a ~2 KB positioned read and one JSON parse, tens of microseconds).
The file stays open, so a rebuild replacing the store (a new inode) cannot change what an
open app reads.  A StoredPaper is a Paper to every caller: equal to the eager Paper with
the same fields, and `dataclasses.replace` gives one whose abstracts are held in memory.

Any `Shelf` will do: a big build shelves its papers on the `reader.textspool.TextSpool`
its abstracts were written to.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from typing import Any, Protocol

import orjson

from reader.models import Paper

__all__ = ["AbstractShelf", "Shelf", "StoredPaper", "shelve"]

_CACHE_SIZE = 256
_ABSTRACT = Paper.__dict__["abstract"]  # Paper's own slots, used when abstracts are held
_VERSIONS = Paper.__dict__["abstract_versions"]
_FIELDS = tuple(Paper.__dataclass_fields__)


class Shelf(Protocol):
    """Where a StoredPaper's abstracts are: ``abstracts(place)`` gives them back."""

    def abstracts(self, place: int) -> tuple[str, tuple[str, ...]]: ...


class AbstractShelf:
    """An open store file that gives back the abstracts of the document at an offset."""

    def __init__(self, path: os.PathLike[str] | str, fd: int) -> None:
        """Take over FD, open on the store file at PATH (named in errors)."""
        self.path = os.fspath(path)
        self._fd = fd
        self._closer = weakref.finalize(self, os.close, self._fd)
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, tuple[str, tuple[str, ...]]] = OrderedDict()

    @staticmethod
    def place(offset: int, length: int) -> int:
        """Where a document lies, packed in one int (one small object per paper)."""
        return offset << 32 | length

    def abstracts(self, place: int) -> tuple[str, tuple[str, ...]]:
        """(abstract, abstract_versions) of the document at ``place``."""
        with self._lock:
            found = self._cache.get(place)
            if found is not None:
                self._cache.move_to_end(place)
                return found
        offset, length = place >> 32, place & 0xFFFFFFFF
        doc = _loads(self.path, self._read(offset, length))
        abstract = doc.get("abstract") or ""
        versions = doc.get("abstract_versions")
        if versions is None:
            found = (abstract, (abstract,) if abstract else ())
        else:
            found = (abstract, tuple(abstract if v == abstract else v for v in versions))
        with self._lock:
            self._cache[place] = found
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def _read(self, offset: int, length: int) -> bytes:
        pread = getattr(os, "pread", None)
        if pread is not None:
            return pread(self._fd, length, offset)
        with self._lock:  # no pread (Windows): seek and read under the lock
            os.lseek(self._fd, offset, os.SEEK_SET)
            return os.read(self._fd, length)

    def close(self) -> None:
        self._closer()


def _loads(path: str, data: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict):  # the file under an open app cannot change: a disk fault
        raise OSError(f"{path}: cannot read an abstract back from the store")
    return doc


class StoredPaper(Paper):
    """A Paper whose ``abstract`` and ``abstract_versions`` are read from its shelf on use."""

    __slots__ = ("_place", "_shelf")

    @property  # type: ignore[override]
    def abstract(self) -> str:
        try:
            shelf, place = self._shelf, self._place
        except AttributeError:  # made by dataclasses.replace: abstracts given, held in slots
            return _ABSTRACT.__get__(self)
        return shelf.abstracts(place)[0]

    @abstract.setter
    def abstract(self, value: str) -> None:
        _ABSTRACT.__set__(self, value)

    @property  # type: ignore[override]
    def abstract_versions(self) -> tuple[str, ...]:
        try:
            shelf, place = self._shelf, self._place
        except AttributeError:
            return _VERSIONS.__get__(self)
        return shelf.abstracts(place)[1]

    @abstract_versions.setter
    def abstract_versions(self, value: tuple[str, ...]) -> None:
        _VERSIONS.__set__(self, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Paper):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _FIELDS)

    __hash__ = Paper.__hash__

    def shelved_on(self, shelf: Shelf) -> bool:
        """Whether this paper reads its abstracts from SHELF."""
        return getattr(self, "_shelf", None) is shelf

    @property
    def shelf_place(self) -> int:
        """Where on its shelf its abstracts are (see `shelved_on`)."""
        return self._place


def shelve(paper: StoredPaper, shelf: Shelf, place: int) -> None:
    """Point PAPER (made with object.__new__) at its document on SHELF."""
    _SET_SHELF(paper, shelf)
    _SET_PLACE(paper, place)


_SET_SHELF = StoredPaper.__dict__["_shelf"].__set__
_SET_PLACE = StoredPaper.__dict__["_place"].__set__
