"""reader.query: the query language, its errors, filtering, folding and sorting.

Every search test runs twice: on a fresh index that answers by scanning, and on one whose
word indexes are built -- the two must give the same answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reader.merge import merge_records
from reader.models import EMPTY_STATE, Paper, PaperState
from reader.query import SORT_KEYS, QueryError, SearchIndex, parse_query, run_query
from reader.sources import ParseOptions, parse_listing
from reader.wordindex import TokenIndex

from .conftest import SEEDS_DIR

PAPERS = [
    Paper(  # 0
        key="k-diffusion",
        aliases=("2507.19427",),
        title="Latent Diffusion Models for High-Resolution Images",
        authors=("Ang Li", r"Endre Szemer\'edi", "Jean-Luc Picard"),
        category="cs.CV",
        date="2025-03-01",
        arxiv_id="2507.19427",
        has_code=True,
        abstract="We scale diffusion\nmodels 10$\\times$ and study large language models.",
    ),
    Paper(  # 1
        key="k-transformer",
        title="Transformers for Text Classification",
        authors=("Bo Lin",),
        category="CL",
        date="2024-01-02",
        abstract="A diffusion process over tokens.",
        doi="10.1000/xyz",
    ),
    Paper(  # 2
        key="k-undated",
        title="Undated Notes on Graphs",
        authors=("Zoë Quinn",),
        category="math.CO",
        abstract="",
    ),
    Paper(  # 3
        key="k-mink",
        aliases=("hep-th/9901001",),
        title="Min-$k$ Sampling: Decoupling Truncation",
        authors=("Yuanhao Ding", "Meimingwei Li"),
        category="cs.CL",
        date="2026-04-13",
        arxiv_id="hep-th/9901001",
        abstract="Top-$p$ and Min-$k$ sampling for large language models.",
    ),
    Paper(  # 4
        key="k-agents",
        title="Agents That Plan",
        authors=("Lina Schmidt",),
        category="AI",
        date="2025-11-20",
        has_code=True,
        abstract="An agent framework; no diffusion here? Yes, diffusion-free planning.",
    ),
    Paper(  # 5
        key="k-old",
        title="An Old Paper on Sampling",
        authors=("Ann Old",),
        category="LG",
        date="2019-06-01",
        abstract="Classic Monte Carlo sampling.",
    ),
]

STATES = {
    "k-transformer": PaperState(read=True, starred=True, tags=("ToDo",)),
    "k-mink": PaperState(read=True, note="re-read section 3"),
    "k-old": PaperState(starred=True, tags=("classic", "todo")),
}


def state_of(paper: Paper) -> PaperState:
    return STATES.get(paper.key, EMPTY_STATE)


@pytest.fixture(params=["scanning", "indexed", "saved"])
def index(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[SearchIndex]:
    built = SearchIndex(PAPERS)
    if request.param == "indexed":
        built.build_word_indexes()
        assert built.word_indexes_ready
    elif request.param == "saved":  # built, written beside the store, read back
        words = tmp_path / "store.json.words"
        SearchIndex(PAPERS, words_file=words, store_stamp="v1").build_word_indexes()
        assert words.exists()
        built = SearchIndex(PAPERS, words_file=words, store_stamp="v1")
        monkeypatch.setattr(TokenIndex, "from_runs", None)  # reading back, never rebuilding
        built.build_word_indexes()
        assert built.word_indexes_ready
    else:
        monkeypatch.setattr(built, "build_word_indexes", lambda **_: None)
    yield built
    if request.param == "scanning":
        assert not built.word_indexes_ready  # the scanning path really was the one tested


def keys(index: SearchIndex, text: str, sort: str = "newest") -> list[str]:
    return [
        index.papers[i].key.removeprefix("k-")
        for i in run_query(parse_query(text), index, state_of, sort=sort)
    ]


# --------------------------------------------------------------------------- parsing


def test_parse_terms_in_order() -> None:
    query = parse_query('Diffusion -author:li "Large  Language" cat:cs.CL year:2024..2025 -is:read')
    kinds = [(t.kind, t.value, t.negated) for t in query.terms]
    assert kinds == [
        ("word", "diffusion", False),
        ("author", "li", True),
        ("phrase", "large language", False),
        ("cat", "cs.cl", False),
        ("year", "2024..2025", False),
        ("is", "read", True),
    ]
    assert (query.terms[4].low, query.terms[4].high) == (2024, 2025)
    assert query.has_free_words and not query.is_empty
    assert query.words == ("diffusion", "large language")


def test_empty_and_field_only_queries() -> None:
    assert parse_query("").is_empty and parse_query("   ").is_empty
    assert not parse_query("cat:CL -is:read").has_free_words
    assert not parse_query("-diffusion").has_free_words


def test_field_names_are_case_insensitive_and_values_can_be_quoted() -> None:
    query = parse_query('AUTHOR:"Ang Li" Year:2025.. IS:Starred')
    assert [(t.kind, t.value) for t in query.terms] == [
        ("author", "ang li"),
        ("year", "2025.."),
        ("is", "starred"),
    ]
    assert (query.terms[1].low, query.terms[1].high) == (2025, 9999)
    assert parse_query("year:..2020").terms[0].low == 0


def test_arxiv_ids_in_any_spelling_parse_to_one_id() -> None:
    for spelling in ("2507.19427", "arXiv:2507.19427v2", "https://arxiv.org/abs/2507.19427v1"):
        assert parse_query(f"id:{spelling}").terms[0].value == "2507.19427"


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("foo:x", "unknown field 'foo:'", 0),
        ("diffusion bar:baz", "unknown field 'bar:'", 10),
        ("year:abc", "year must be YYYY or YYYY..YYYY, not 'abc'", 5),
        ("year:2025..2024", "year range 2025..2024 runs backwards", 5),
        ('"unclosed phrase', "unclosed quote", 0),
        ('author:"ang', "unclosed quote", 7),
        ("-", "'-' must be followed by a term to exclude", 0),
        ("a - b", "'-' must be followed by a term to exclude", 2),
        ("is:bogus", "is: takes starred, unread, read, noted, tagged, not 'bogus'", 3),
        ("has:wings", "has: takes code, abstract, doi, arxiv, not 'wings'", 4),
        ("author:", "'author:' needs a value", 7),
    ],
)
def test_malformed_queries_say_what_and_where(text: str, message: str, position: int) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert caught.value.message.startswith(message)
    assert caught.value.position == position
    assert f"column {position + 1}" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_unknown_sort_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sort"):
        run_query(parse_query(""), SearchIndex(PAPERS), state_of, sort="random")


# --------------------------------------------------------------------------- free words


def test_empty_query_lists_everything_newest_first_undated_last(index: SearchIndex) -> None:
    assert keys(index, "") == ["mink", "agents", "diffusion", "transformer", "old", "undated"]


def test_free_words_match_title_authors_and_abstract(index: SearchIndex) -> None:
    assert keys(index, "diffusion") == ["agents", "diffusion", "transformer"]
    assert keys(index, "picard") == ["diffusion"]  # an author
    assert keys(index, "monte") == ["old"]  # abstract only


def test_every_free_word_must_match(index: SearchIndex) -> None:
    assert keys(index, "diffusion tokens") == ["transformer"]
    assert keys(index, "diffusion nowhere") == []


def test_free_words_match_inside_words(index: SearchIndex) -> None:
    assert keys(index, "former") == ["transformer"]
    assert keys(index, "DIFFU") == ["agents", "diffusion", "transformer"]


def test_short_words_match_word_starts_in_title_and_authors(index: SearchIndex) -> None:
    assert keys(index, "tr") == ["mink", "transformer"]  # Truncation, Transformers
    assert keys(index, "li") == ["mink", "agents", "diffusion", "transformer"]  # Li, Lina, Lin


def test_accents_and_latex_fold(index: SearchIndex) -> None:
    assert keys(index, "szemeredi") == ["diffusion"]
    assert keys(index, "Szemerédi") == ["diffusion"]
    assert keys(index, "zoe") == ["undated"]
    assert keys(index, "min-k") == ["mink"]
    assert keys(index, '"10×"') == ["diffusion"]


def test_typos_in_title_and_author_words_still_match(index: SearchIndex) -> None:
    assert keys(index, "difusion") == ["diffusion"]  # fuzzy in titles, never in abstracts
    assert keys(index, "transfomers") == ["transformer"]
    assert keys(index, "szemeredy") == ["diffusion"]


def test_negated_words(index: SearchIndex) -> None:
    assert keys(index, "-diffusion") == ["mink", "old", "undated"]
    assert keys(index, "sampling -monte") == ["mink"]


def test_phrases_are_exact_but_span_line_breaks(index: SearchIndex) -> None:
    assert keys(index, '"diffusion models"') == ["diffusion"]  # "diffusion\nmodels" in the abstract
    assert keys(index, '"large language models"') == ["mink", "diffusion"]
    assert keys(index, '"language large"') == []
    assert keys(index, '"ang li"') == ["diffusion"]
    assert keys(index, '-"large language"') == ["agents", "transformer", "old", "undated"]
    assert keys(index, '"min-k sampling"') == ["mink"]


# --------------------------------------------------------------------------- field terms


def test_author(index: SearchIndex) -> None:
    assert keys(index, "author:li") == ["mink", "agents", "diffusion", "transformer"]
    assert keys(index, 'author:"ang li"') == ["diffusion"]
    assert keys(index, 'author:"li ang"') == []
    assert keys(index, "author:luc") == ["diffusion"]  # Jean-Luc
    assert keys(index, "author:szemeredi") == ["diffusion"]
    assert keys(index, "-author:li") == ["old", "undated"]


def test_category_short_and_full_forms(index: SearchIndex) -> None:
    assert keys(index, "cat:CL") == ["mink", "transformer"]
    assert keys(index, "cat:cs.CL") == ["mink", "transformer"]
    assert keys(index, "cat:cv") == ["diffusion"]
    assert keys(index, "cat:cs") == ["mink", "diffusion"]
    assert keys(index, "-cat:CL") == ["agents", "diffusion", "old", "undated"]


def test_year_and_ranges(index: SearchIndex) -> None:
    assert keys(index, "year:2025") == ["agents", "diffusion"]
    assert keys(index, "year:2024..2025") == ["agents", "diffusion", "transformer"]
    assert keys(index, "year:2025..") == ["mink", "agents", "diffusion"]
    assert keys(index, "year:..2020") == ["old"]
    assert keys(index, "-year:2025") == ["mink", "transformer", "old", "undated"]


def test_has(index: SearchIndex) -> None:
    assert keys(index, "has:code") == ["agents", "diffusion"]
    assert keys(index, "-has:code") == ["mink", "transformer", "old", "undated"]
    assert keys(index, "has:doi") == ["transformer"]
    assert keys(index, "has:arxiv") == ["mink", "diffusion"]
    assert keys(index, "-has:abstract") == ["undated"]


@pytest.mark.parametrize(
    "spelling",
    [
        "2507.19427",
        "arXiv:2507.19427",
        "2507.19427v3",
        "https://arxiv.org/abs/2507.19427v1",
        "arxiv.org/pdf/2507.19427",
    ],
)
def test_id_in_any_spelling(index: SearchIndex, spelling: str) -> None:
    assert keys(index, f"id:{spelling}") == ["diffusion"]


def test_old_style_ids_keys_and_negation(index: SearchIndex) -> None:
    assert keys(index, "id:arXiv:hep-th/9901001v2") == ["mink"]
    assert keys(index, "key:k-old") == ["old"]
    assert keys(index, "key:K-OLD") == []  # keys are exact
    assert keys(index, "-id:2507.19427") == ["mink", "agents", "transformer", "old", "undated"]


def test_user_state_terms(index: SearchIndex) -> None:
    assert keys(index, "is:starred") == ["transformer", "old"]
    assert keys(index, "is:read") == ["mink", "transformer"]
    assert keys(index, "is:unread") == ["agents", "diffusion", "old", "undated"]
    assert keys(index, "-is:read") == keys(index, "is:unread")
    assert keys(index, "is:noted") == ["mink"]
    assert keys(index, "is:tagged") == ["transformer", "old"]
    assert keys(index, "tag:todo") == ["transformer", "old"]  # tags compare folded
    assert keys(index, "tag:classic -is:starred") == []
    assert keys(index, "sampling is:unread") == ["old"]


def test_marked_identities_give_the_same_answers_with_fewer_questions(index: SearchIndex) -> None:
    asked: list[str] = []

    def counting_state_of(paper: Paper) -> PaperState:
        asked.append(paper.key)
        return state_of(paper)

    for text in ("-is:read", "is:starred", "tag:todo", "is:unread cat:cs", "is:noted"):
        expected = run_query(parse_query(text), index, state_of)
        asked.clear()
        got = run_query(parse_query(text), index, counting_state_of, marked=list(STATES))
        assert got == expected
        assert set(asked) <= set(STATES)
    asked.clear()
    run_query(parse_query("cat:CL is:read"), index, counting_state_of)
    assert sorted(asked) == ["k-mink", "k-transformer"]  # only papers still in the running
    asked.clear()
    run_query(parse_query("diffusion"), index, counting_state_of)
    assert asked == []


def test_terms_combine(index: SearchIndex) -> None:
    assert keys(index, "cat:CV diffusion has:code year:2025 author:li") == ["diffusion"]
    assert keys(index, "sampling -cat:LG") == ["mink"]


# --------------------------------------------------------------------------- sorting


def test_sort_orders(index: SearchIndex) -> None:
    assert keys(index, "", "oldest") == [
        "old",
        "transformer",
        "diffusion",
        "agents",
        "mink",
        "undated",
    ]
    assert keys(index, "", "title") == [
        "agents",
        "old",
        "diffusion",
        "mink",
        "transformer",
        "undated",
    ]
    assert keys(index, "sampling", "title") == ["old", "mink"]


def test_relevance_puts_title_hits_first_and_falls_back_to_newest(index: SearchIndex) -> None:
    assert keys(index, "diffusion", "relevance") == ["diffusion", "agents", "transformer"]
    assert keys(index, "sampling", "relevance") == ["mink", "old"]
    assert keys(index, "li", "relevance") == ["mink", "agents", "diffusion", "transformer"]
    assert keys(index, "cat:CL", "relevance") == keys(index, "cat:CL", "newest")
    assert keys(index, "", "relevance") == keys(index, "")


@pytest.mark.parametrize("sort", SORT_KEYS)
def test_results_are_indices_into_the_papers_given(index: SearchIndex, sort: str) -> None:
    found = run_query(parse_query("a"), index, state_of, sort=sort)
    assert len(found) == len(set(found))
    assert all(0 <= i < len(PAPERS) for i in found)


def test_an_empty_collection() -> None:
    empty = SearchIndex([])
    for text in ("", "diffusion", "-is:read", "cat:CL"):
        assert run_query(parse_query(text), empty, state_of) == []


# --------------------------------------------------------------------------- real seeds, bigger sets


@pytest.fixture(scope="module")
def seed_papers() -> list[Paper]:
    records = []
    for path in sorted(SEEDS_DIR.glob("*.txt")):
        records += parse_listing(path, ParseOptions()).records
    return merge_records(records).papers


def find(papers: list[Paper], text: str) -> list[Paper]:
    index = SearchIndex(papers)
    return [papers[i] for i in run_query(parse_query(text), index, lambda p: EMPTY_STATE)]


def test_seed_papers_fold_latex_and_accents(seed_papers: list[Paper]) -> None:
    assert len(seed_papers) == 30
    assert any("Szemer\\'edi" in p.abstract for p in find(seed_papers, "szemeredi"))
    assert find(seed_papers, "min-k")[0].title.startswith("Min-$k$ Sampling")
    step3 = find(seed_papers, "id:arXiv:2507.19427v1")
    assert [p.title[:6] for p in step3] == ["Step-3"]
    assert find(seed_papers, "cat:cs.CV step3")[0].title.startswith("STEP3-VL-10B")


def synthetic(n: int) -> list[Paper]:
    words = [
        "diffusion",
        "transformer",
        "graph",
        "agent",
        "sampling",
        "vision",
        "language",
        "robot",
    ]
    return [
        Paper(
            key=f"p{i}",
            title=f"{words[i % 8].title()} {words[(i * 3) % 8]} study {i}",
            authors=(f"Author{i % 97} Li", f"Zhang Wei{i % 13}"),
            category=["cs.CV", "cs.CL", "cs.LG"][i % 3],
            date=f"{2020 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}" if i % 50 else None,
            has_code=i % 4 == 0,
            abstract=f"We study {words[(i * 5) % 8]} at scale {i} with Szemer\\'edi bounds."
            if i % 7
            else "",
        )
        for i in range(n)
    ]


def test_background_build_gives_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    papers = synthetic(4000)  # above the size built at once
    queries = [
        "diffusion",
        "graph language",
        "szemeredi",
        "author:li",
        "cat:CV diffusion",
        "-has:code agent",
        "zhang wei1",
    ]
    scanning = SearchIndex(papers)
    monkeypatch.setattr(scanning, "build_word_indexes", lambda **_: None)
    before = {q: run_query(parse_query(q), scanning, state_of, sort="relevance") for q in queries}
    assert not scanning.word_indexes_ready
    index = SearchIndex(papers)
    index.build_word_indexes(background=True)
    deadline = time.monotonic() + 120
    while not index.word_indexes_ready and time.monotonic() < deadline:
        time.sleep(0.05)
    assert index.word_indexes_ready
    after = {q: run_query(parse_query(q), index, state_of, sort="relevance") for q in queries}
    assert after == before
    assert all(after[q] for q in queries)


def test_larger_collection_counts(
    index_factory: Callable[[list[Paper]], SearchIndex] = SearchIndex,
) -> None:
    papers = synthetic(3000)
    index = index_factory(papers)
    found = run_query(parse_query("cat:CL has:code"), index, state_of)
    expected = [i for i, p in enumerate(papers) if p.category == "cs.CL" and p.has_code]
    assert sorted(found) == expected
    dated = [papers[i].date for i in run_query(parse_query(""), index, state_of) if papers[i].date]
    assert dated == sorted(dated, reverse=True)


def test_search_scans_instead_of_waiting_for_a_running_build() -> None:
    """A build in progress elsewhere (the app's loader thread) must not block a search."""
    import threading

    papers = synthetic(4000)
    index = SearchIndex(papers)
    expected = run_query(parse_query("diffusion"), SearchIndex(papers), state_of)
    index._build_lock.acquire()  # what a long build running in another thread looks like
    try:
        results: list[list[int]] = []
        searches = threading.Thread(
            target=lambda: results.extend(
                run_query(parse_query(q), index, state_of) for q in ("diffusion",) * 3
            )
        )
        searches.start()
        searches.join(timeout=30)
        assert not searches.is_alive(), "a search waited for the word-index build"
        assert results[0] == expected
        assert not index.word_indexes_ready
    finally:
        index._build_lock.release()
