"""reader.abstract_index: the abstract index is the same built here or shared with a worker."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from reader import abstract_index
from reader.abstract_index import abstract_tokens, build_abstract_index
from reader.models import Paper
from reader.stored_abstracts import StoredPaper, shelve
from reader.text import fold_for_search
from reader.textspool import TextSpool
from reader.wordindex import TokenIndex, TokenRuns, word_pieces
from reader.wordindex_file import load_word_indexes

TEXTS = [
    f"We study {'diffusion' if i % 3 else 'graph'} models ({i}) with Szemer\\'edi's lemma, "
    f"{'rare' + str(i) if i % 50 == 0 else 'common'} words and $\\alpha$-stable noise."
    for i in range(400)
]


def _same(a: TokenIndex, b: TokenIndex) -> bool:
    every = range(len(b))
    return a.tokens() == b.tokens() and all(a.bits((i,)) == b.bits((i,)) for i in every)


@pytest.fixture
def small_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(abstract_index, "PARALLEL_FROM", 10)
    monkeypatch.setattr(abstract_index, "_cpus", lambda: 2)


def test_a_worker_process_gives_the_same_index(small_parallel: None) -> None:
    serial = TokenIndex.build(len(TEXTS), enumerate(map(abstract_tokens, TEXTS)))
    ran = []
    shared = build_abstract_index(len(TEXTS), TEXTS, parallel=True, meanwhile=lambda: ran.append(1))
    assert ran == [1]
    assert "szemeredi" in shared.tokens() and "rare350" in shared.tokens()
    assert _same(shared, serial)


def test_without_a_worker_this_process_does_it_all(
    small_parallel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", "")
    serial = TokenIndex.build(len(TEXTS), enumerate(map(abstract_tokens, TEXTS)))
    assert _same(build_abstract_index(len(TEXTS), TEXTS, parallel=True), serial)


def test_combined_parts_equal_one_index() -> None:
    n = len(TEXTS)
    whole = TokenIndex.build(n, enumerate(map(abstract_tokens, TEXTS)))
    parts = [
        TokenIndex.build(n, enumerate(map(abstract_tokens, TEXTS[i : i + 150]), i))
        for i in range(0, n, 150)
    ]
    assert _same(TokenIndex.combine(n, parts), whole)


# ------------------------------------------------- indexed during the merge (reader build)


def _early(spool: TextSpool, texts: list[str]) -> abstract_index.EarlyAbstractIndex:
    """A worker given TEXTS through SPOOL, as `reader build` gives the parsed abstracts."""
    early = abstract_index.EarlyAbstractIndex.start(spool, cpus=2)
    assert early is not None
    for text in texts:
        spool.add(text)
    spool.seal()
    early.receive()
    return early


def _papers(
    spool: TextSpool, abstracts: list[str], authors: list[tuple[str, ...]] | None = None
) -> list[Paper]:
    """Papers with these ABSTRACTS (and AUTHORS): read from SPOOL where it has them (as a
    big build's papers are), else held as text."""
    on_spool = {spool.text(n): n for n in range(len(spool))}
    papers: list[Paper] = []
    for i, text in enumerate(abstracts):
        names = authors[i] if authors else ()
        if text in on_spool:
            paper = StoredPaper(f"k{i}", (), f"Title {i}", authors=names)
            shelve(paper, spool, spool.place((on_spool[text],)))
        else:
            paper = Paper(f"k{i}", (), f"Title {i}", authors=names, abstract=text)
        assert paper.abstract == text
        papers.append(paper)
    return papers


def test_an_early_worker_renumbers_to_the_same_index(
    small_parallel: None, spool: TextSpool, tmp_path: Path
) -> None:
    # The worker sees every abstract of the parsed records, in another order, some of them
    # never kept; the papers' abstracts include a shared one, one held as text (not on the
    # spool) and an empty one.
    # "ghostword" is frequent among the texts seen but rare among the papers.
    drafts = [f"ghostword draft {i}" for i in range(70)]
    seen = [*reversed(TEXTS[:300]), "a revised version nobody kept", *drafts, *TEXTS[300:350]]
    papers = [*TEXTS[:350], TEXTS[7], "an abstract the worker never saw: zebrafish", ""]
    papers += [drafts[3], "ghostword final"]
    n = len(papers)
    # The worker finds the authors' words; the titles' come as token runs counted here.
    # It sorts them all and saves them.
    authors = [('Ana M\\"uller', f"Bo Chen {i % 40}") for i in range(n)]
    titles = [[f"title{i % 7}", "common"] for i in range(n)]
    ran = []

    def other_fields() -> dict[str, TokenRuns]:
        ran.append(1)
        return {"ti": TokenRuns.of(enumerate(titles))}

    early = _early(spool, seen)
    in_order = _papers(spool, papers, authors)
    assert early.save(tmp_path / "x.words", "v1", in_order, other_fields) is True
    assert ran == [1] and early._process is None  # finished workers are gone
    saved = load_word_indexes(tmp_path / "x.words", "v1", n)
    assert saved is not None
    abstracts_here = TokenIndex.build(n, enumerate(map(abstract_tokens, papers)))
    folded = (fold_for_search(", ".join(names)) for names in authors)
    authors_here = TokenIndex.build(n, enumerate(map(word_pieces, folded)))
    titles_here = TokenIndex.build(n, enumerate(titles))
    assert _bytes(saved["ab"]) == _bytes(abstracts_here) and _same(saved["ab"], abstracts_here)
    assert _bytes(saved["au"]) == _bytes(authors_here)
    assert _bytes(saved["ti"]) == _bytes(titles_here)
    assert "zebrafish" in saved["ab"].tokens() and "revised" not in saved["ab"].tokens()
    assert "muller" in saved["au"].tokens()


def _bytes(index: TokenIndex) -> dict[str, bytes]:
    return {name: bytes(buffer) for name, buffer in index.regions().items()}


def _fields(n: int) -> Callable[[], dict[str, TokenRuns]]:
    return lambda: {"ti": TokenRuns.of(enumerate([["t"]] * n))}


def test_papers_placed_before_saving_give_the_same_index(
    small_parallel: None, spool: TextSpool, tmp_path: Path
) -> None:
    texts = [*TEXTS[100:], *TEXTS[:100]]
    early = _early(spool, TEXTS)
    papers = _papers(spool, texts)
    early.place(papers)  # the worker files them while the store is written
    assert early.save(tmp_path / "x.words", "v1", papers, _fields(400)) is True
    saved = load_word_indexes(tmp_path / "x.words", "v1", len(papers))
    serial = TokenIndex.build(len(papers), enumerate(map(abstract_tokens, texts)))
    assert saved is not None and _same(saved["ab"], serial)


def test_a_file_the_worker_cannot_write_is_reported(
    small_parallel: None, spool: TextSpool, tmp_path: Path
) -> None:
    early = _early(spool, TEXTS)
    nowhere = tmp_path / "no" / "such" / "dir" / "x.words"
    assert early.save(nowhere, "v1", _papers(spool, TEXTS), _fields(400)) is False
    assert not nowhere.parent.exists()


def test_an_early_worker_is_not_kept_for_few_abstracts(
    monkeypatch: pytest.MonkeyPatch, spool: TextSpool, tmp_path: Path
) -> None:
    monkeypatch.setattr(abstract_index, "PARALLEL_FROM", 10_000)
    early = _early(spool, TEXTS)
    assert early._process is None
    assert early.save(tmp_path / "x.words", "v1", _papers(spool, TEXTS), _fields(400)) is None


def test_a_failed_early_worker_leaves_the_index_to_this_process(
    small_parallel: None, monkeypatch: pytest.MonkeyPatch, spool: TextSpool, tmp_path: Path
) -> None:
    monkeypatch.setattr(abstract_index, "_EARLY_WORKER_CODE", "import sys; sys.exit(3)")
    early = _early(spool, TEXTS)
    assert early.save(tmp_path / "x.words", "v1", _papers(spool, TEXTS), _fields(400)) is None
    assert not (tmp_path / "x.words").exists()
    monkeypatch.setattr(abstract_index.sys, "executable", "")
    assert abstract_index.EarlyAbstractIndex.start(spool, cpus=2) is None
    assert abstract_index.EarlyAbstractIndex.start(spool, cpus=1) is None


_DIES_WHILE_SAVING = """
import os, pickle, sys
sys.path[:] = pickle.load(sys.stdin.buffer)
from pathlib import Path
from reader.atomicfile import temp_prefix
for _ in range(4):  # spool descriptor, its offsets, placement, (path, stamp, token runs)
    message = pickle.load(sys.stdin.buffer)
path = Path(message[0])
(path.parent / f"{temp_prefix(path)}{os.getpid()}-dead").write_bytes(b"half an index")
os._exit(1)
"""


def test_a_worker_that_dies_while_saving_leaves_no_temp_file(
    small_parallel: None, monkeypatch: pytest.MonkeyPatch, spool: TextSpool, tmp_path: Path
) -> None:
    monkeypatch.setattr(abstract_index, "_EARLY_WORKER_CODE", _DIES_WHILE_SAVING)
    early = _early(spool, TEXTS)
    assert early.save(tmp_path / "x.words", "v1", _papers(spool, TEXTS), _fields(400)) is None
    assert list(tmp_path.iterdir()) == []
