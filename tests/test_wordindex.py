"""reader.wordindex: tokens and the index built from them, against plain Python references."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from reader.text import fold_for_search, fold_for_words
from reader.wordindex import TokenIndex, positions, word_pieces

_WORD = re.compile(r"[^\W_]+")
_TEXT = st.text(
    alphabet=st.sampled_from(list("ab xyz_-.,$\\{}'^éÅßαΩ→≤²٣ ﬁ\n")) | st.characters(),
    max_size=60,
)


@given(_TEXT)
@settings(max_examples=400)
def test_word_pieces_are_the_alphanumeric_runs_of_folded_text(raw: str) -> None:
    folded = fold_for_search(raw)
    assert sorted(word_pieces(folded)) == sorted(_WORD.findall(folded))


@given(_TEXT)
@settings(max_examples=400)
def test_words_of_text_folded_without_its_spaces_joined_are_the_same(raw: str) -> None:
    assert word_pieces(fold_for_words(raw)) == word_pieces(fold_for_search(raw))


_TOKENS = st.lists(st.sampled_from(["a", "ab", "abc", "zeta", "ß", "αβ", "x1", "model"]))


@given(st.lists(_TOKENS, max_size=80), st.sets(st.sampled_from(["ab", "zeta", "nope"])))
@settings(max_examples=200)
def test_built_index_holds_each_token_at_the_papers_that_have_it(
    papers: list[list[str]], drop: set[str]
) -> None:
    n = len(papers)
    index = TokenIndex.build(n, enumerate(papers), drop=frozenset(drop))
    expected = {
        token: sorted({pos for pos, tokens in enumerate(papers) if token in tokens})
        for token in {t for tokens in papers for t in tokens} - drop
    }
    assert index.tokens() == sorted(expected)
    for token_id, token in enumerate(index.tokens()):
        assert positions(index.bits([token_id])) == expected[token]


def test_frequent_tokens_are_kept_as_bitsets_and_read_back_the_same() -> None:
    n = 5000  # "common" is in every paper: a bitset; "rare" in a few: a run of positions
    papers = [["common", "rare"] if pos % 1000 == 7 else ["common"] for pos in range(n)]
    index = TokenIndex.build(n, enumerate(papers))
    regions = {name: memoryview(bytes(buffer)) for name, buffer in index.regions().items()}
    assert len(regions["dense_ids"]) == 4 and len(regions["postings"]) == 5 * 4
    again = TokenIndex.from_regions(n, regions)
    assert positions(again.bits([0])) == list(range(n))
    assert positions(again.bits([1])) == [7, 1007, 2007, 3007, 4007]
