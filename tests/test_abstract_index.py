"""reader.abstract_index: the abstract index is the same built here or shared with a worker."""

from __future__ import annotations

import sys

import pytest

from reader import abstract_index
from reader.abstract_index import abstract_tokens, build_abstract_index
from reader.wordindex import TokenIndex

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
