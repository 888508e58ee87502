"""reader.textspool: a big build's abstracts kept on file and read back by number."""

from __future__ import annotations

import dataclasses
import os

from reader.models import Paper
from reader.stored_abstracts import StoredPaper, shelve
from reader.textspool import TextSpool

TEXTS = [
    "We study diffusion models.",
    'Ünïcödé, \\LaTeX{} and $x^2$: M\\"uller’s δ-stable noise.',
    "We study diffusion models.",
    "A third abstract.",
]


def test_each_distinct_text_is_written_once_and_read_back(spool: TextSpool) -> None:
    numbers = [spool.add(text) for text in TEXTS]
    spool.seal()
    assert numbers == [0, 1, 0, 2] and len(spool) == 3
    assert [spool.text(n) for n in numbers] == TEXTS
    distinct = dict.fromkeys(TEXTS)
    assert os.fstat(spool.fileno()).st_size == sum(len(t.encode()) for t in distinct)
    assert list(spool.offsets) == [0, 26, 26 + len(TEXTS[1].encode()), spool.offsets[-1]]


def _shelved(spool: TextSpool, numbers: tuple[int, ...]) -> StoredPaper:
    paper = StoredPaper("k1", (), "A title", authors=("Ana Müller",))
    shelve(paper, spool, spool.place(numbers))
    return paper


def test_papers_shelved_on_a_spool_are_the_papers_holding_their_abstracts(
    spool: TextSpool,
) -> None:
    for text in TEXTS:
        spool.add(text)
    spool.seal()
    one = _shelved(spool, (1,))
    several = _shelved(spool, (2, 0))
    held = Paper(
        "k1",
        (),
        "A title",
        authors=("Ana Müller",),
        abstract=TEXTS[1],
        abstract_versions=(TEXTS[1],),
    )
    assert one == held and held == one
    assert one.abstract_versions == (TEXTS[1],)
    assert several.abstract == TEXTS[3] and several.abstract_versions == (TEXTS[3], TEXTS[0])
    assert several.to_dict() == dataclasses.replace(several).to_dict()
    # Which text an index worker files for each paper: the first version's number.
    assert [spool.number_of(p) for p in (one, several)] == [1, 2]
    assert spool.number_of(held) is None  # an abstract held as text is not on the spool
    assert spool.number_of(Paper("k2", (), "Untitled")) == -1


def test_an_empty_spool_seals_and_closes(spool: TextSpool) -> None:
    spool.seal()
    assert len(spool) == 0
    spool.close()
    spool.close()
