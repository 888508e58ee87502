"""Abstracts kept in an unnamed temporary file during a big build, read back by number.

At 100k papers the abstracts were 134 MB of the build's memory, nearly a third of its peak,
yet the merge needs each text only to normalise it once (and a few to compare or to draft
a title from), and the store writer needs each once more.  So a big build writes every
distinct abstract here right after parsing and holds numbers instead: the texts sit in
the page cache, not in the process.  The abstract index worker reads the same file
(`reader.abstract_index.EarlyAbstractIndex`).

Papers drafted from spooled abstracts are `StoredPaper`s whose shelf is the spool: a
`place` names the numbers of a paper's abstract versions, the first its abstract.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from typing import IO

from reader.models import Paper
from reader.stored_abstracts import StoredPaper

__all__ = ["TextSpool"]


def _seek_and_read(fd: int, length: int, offset: int) -> bytes:  # no pread: Windows
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, length)


_pread = getattr(os, "pread", _seek_and_read)

_WRITE_BUFFER = 1 << 20


class TextSpool:
    """Distinct texts numbered 0, 1, ... in the order first added, in an unnamed file.

    Two phases: `add` texts (each distinct text is written once), then `seal`, after which
    `text` reads them back and the file can be shared with a worker (`fileno`, `offsets`).
    """

    def __init__(self, file: IO[bytes]) -> None:
        self._file: IO[bytes] | None = file
        self._numbers: dict[str, int] | None = {}
        #: Where text n starts in the file is offsets[n]; it ends at offsets[n + 1].
        self.offsets = array("Q", [0])
        self._fd = -1  # read back from here once sealed
        self._sets: list[tuple[int, ...]] = []  # version numbers of multi-version places
        self._last: tuple[int, tuple[str, tuple[str, ...]]] = (-1, ("", ()))

    @classmethod
    def create(cls) -> TextSpool | None:
        """An empty spool, or None if no temporary file can be made (keep texts in memory)."""
        try:
            file = tempfile.TemporaryFile(buffering=_WRITE_BUFFER)  # noqa: SIM115 (closed by close)
        except OSError:
            return None
        return cls(file)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def fileno(self) -> int:
        assert self._file is not None, "the spool is closed"
        return self._file.fileno()

    def add(self, text: str) -> int:
        """TEXT's number, writing it if it is new."""
        numbers = self._numbers
        assert numbers is not None and self._file is not None, "the spool is sealed"
        number = numbers.get(text)
        if number is None:
            number = numbers[text] = len(self.offsets) - 1
            self.offsets.append(self.offsets[-1] + self._file.write(text.encode()))
        return number

    def seal(self) -> None:
        """End adding: the texts are on file, and the table of them is let go."""
        if self._numbers is None:
            return
        self._numbers = None
        assert self._file is not None
        self._file.flush()
        self._fd = self._file.fileno()

    def text(self, number: int) -> str:
        """The text numbered NUMBER (after `seal`).

        Read with pread, not from a memory map: mapped pages of the file would count in
        this process's resident memory (all 134 MB of them at 100k papers, once touched).
        """
        assert self._fd >= 0, "texts are read back only once the spool is sealed"
        start = self.offsets[number]
        return _pread(self._fd, self.offsets[number + 1] - start, start).decode()

    # ------------------------------------------------ a shelf for StoredPaper

    def place(self, numbers: tuple[int, ...]) -> int:
        """Where a paper whose abstract versions are the texts NUMBERS (its abstract first)
        finds them: one int per paper, a small table entry only for several versions."""
        if len(numbers) == 1:
            return numbers[0] << 1
        self._sets.append(numbers)
        return (len(self._sets) - 1) << 1 | 1

    def abstracts(self, place: int) -> tuple[str, tuple[str, ...]]:
        """(abstract, abstract_versions) at PLACE.  The last answer is kept: a paper's two
        fields are read one after the other."""
        last_place, found = self._last
        if place == last_place:
            return found
        if place & 1:
            versions = tuple(map(self.text, self._sets[place >> 1]))
            found = (versions[0], versions)
        else:
            abstract = self.text(place >> 1)
            found = (abstract, (abstract,))
        self._last = (place, found)
        return found

    def number_of(self, paper: Paper) -> int | None:
        """The number of PAPER's abstract: -1 if it has none, None if it is not spooled here."""
        if isinstance(paper, StoredPaper) and paper.shelved_on(self):
            place = paper.shelf_place
            return self._sets[place >> 1][0] if place & 1 else place >> 1
        return None if paper.abstract else -1

    def close(self) -> None:
        self._fd = -1
        if self._file is not None:
            self._file.close()
            self._file = None
        self._numbers = None
