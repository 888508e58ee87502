"""reader.abstract_index: the abstract index is the same built here or shared with a worker."""

from __future__ import annotations

import sys

import pytest

from reader import abstract_index
from reader.abstract_index import abstract_tokens, build_abstract_index
from reader.text import fold_for_search
from reader.wordindex import TokenIndex, word_pieces

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


def _early(texts: list[str]) -> abstract_index.EarlyAbstractIndex:
    early = abstract_index.EarlyAbstractIndex.start(cpus=2)
    assert early is not None
    early.receive(texts)
    return early


def test_an_early_worker_renumbers_to_the_same_index(small_parallel: None) -> None:
    # The worker sees every abstract of the parsed records, in another order, some of them
    # never kept; the papers' abstracts include a shared one, an unseen one and an empty one.
    # "ghostword" is frequent among the texts seen but rare among the papers.
    drafts = [f"ghostword draft {i}" for i in range(70)]
    seen = [*reversed(TEXTS[:300]), "a revised version nobody kept", *drafts, *TEXTS[300:350]]
    papers = [*TEXTS[:350], TEXTS[7], "an abstract the worker never saw: zebrafish", ""]
    papers += [drafts[3], "ghostword final"]
    serial = TokenIndex.build(len(papers), enumerate(map(abstract_tokens, papers)))
    # The worker also indexes the authors (folded, in store order) it is given at the end.
    authors = [fold_for_search(f"Ana Müller, Bo Chen {i % 40}") for i in range(len(papers))]
    authors_here = TokenIndex.build(len(papers), enumerate(map(word_pieces, authors)))
    ran = []
    early = _early(seen)
    found = early.finish(papers, authors=authors, meanwhile=lambda: ran.append(1))
    assert ran == [1]
    assert found is not None and set(found) == {"ab", "au"} and _same(found["ab"], serial)
    assert _bytes(found["ab"]) == _bytes(serial) and _bytes(found["au"]) == _bytes(authors_here)
    assert "zebrafish" in found["ab"].tokens() and "revised" not in found["ab"].tokens()
    assert "muller" in found["au"].tokens()
    assert early._process is None  # finished workers are gone


def _bytes(index: TokenIndex) -> dict[str, bytes]:
    return {name: bytes(buffer) for name, buffer in index.regions().items()}


def test_papers_placed_before_finishing_give_the_same_index(small_parallel: None) -> None:
    papers = [*TEXTS[100:], *TEXTS[:100]]
    early = _early(TEXTS)
    early.place(papers)  # the worker files them while the store is written
    found = early.finish(papers)
    serial = TokenIndex.build(len(papers), enumerate(map(abstract_tokens, papers)))
    assert found is not None and set(found) == {"ab"} and _same(found["ab"], serial)


def test_an_early_worker_is_not_kept_for_few_abstracts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(abstract_index, "PARALLEL_FROM", 10_000)
    early = _early(TEXTS)
    assert early._process is None and early.finish(TEXTS) is None


def test_a_failed_early_worker_leaves_the_index_to_this_process(
    small_parallel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(abstract_index, "_EARLY_WORKER_CODE", "import sys; sys.exit(3)")
    early = _early(TEXTS)
    assert early.finish(TEXTS) is None
    monkeypatch.setattr(abstract_index.sys, "executable", "")
    assert abstract_index.EarlyAbstractIndex.start(cpus=2) is None
    assert abstract_index.EarlyAbstractIndex.start(cpus=1) is None
