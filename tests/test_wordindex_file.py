"""reader.wordindex_file: the saved word indexes are read back only when they fit exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.models import Paper
from reader.query import SearchIndex, parse_query, run_query
from reader.store import load_in_batches, write_store
from reader.wordindex import TokenIndex
from reader.wordindex_file import load_word_indexes, save_word_indexes, word_index_path

PAPERS = [
    Paper(
        key=f"k{i:03d}",
        title=f"Paper {i} on {'diffusion' if i % 3 else 'graphs'}",
        authors=(f"Author {i % 7}", "Ang Li"),
        date=f"2025-01-{1 + i % 28:02d}",
        abstract=f"We study model {i} and {'language' if i % 2 else 'vision'} tasks.",
    )
    for i in range(300)  # some tokens frequent enough to be kept as bitsets
]


def _indexes() -> dict[str, TokenIndex]:
    index = SearchIndex(PAPERS)
    index.build_word_indexes()
    return {"ti": index._ti_index, "au": index._au_index, "ab": index._ab_index}  # type: ignore[dict-item]


def _answers(index: SearchIndex) -> list[list[int]]:
    queries = ["diffusion", "graph", "vision", "studx", "author:li", "mod lang", "p"]
    return [run_query(parse_query(q), index, lambda p: p and None, sort="newest") for q in queries]


def _as_the_app_opens(db: Path) -> SearchIndex:
    """A SearchIndex over the store at DB, read in batches, with its saved word indexes."""
    batches = load_in_batches(db)
    meta = next(batches)
    papers = [p for batch in batches for p in batch]
    return SearchIndex(papers, words_file=word_index_path(db), store_stamp=meta["file_stamp"])


def test_saved_indexes_read_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "s.json.words"
    built = _indexes()
    save_word_indexes(path, "stamp", len(PAPERS), built)
    loaded = load_word_indexes(path, "stamp", len(PAPERS))
    assert loaded is not None
    for field in ("ti", "au", "ab"):
        assert len(loaded[field]) == len(built[field])
        every = range(len(built[field]))
        assert loaded[field].bits(every) == built[field].bits(every)
        assert [loaded[field].token(i) for i in every] == [built[field].token(i) for i in every]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],  # torn
        lambda data: data[:-9] + bytes([data[-9] ^ 1]) + data[-8:],  # one flipped bit
        lambda data: b"not an index" + data[12:],
        lambda data: b"",
    ],
)
def test_a_damaged_file_is_not_used(tmp_path: Path, damage) -> None:
    path = tmp_path / "s.json.words"
    save_word_indexes(path, "stamp", len(PAPERS), _indexes())
    path.write_bytes(damage(path.read_bytes()))
    assert load_word_indexes(path, "stamp", len(PAPERS)) is None


def test_indexes_of_another_store_version_are_not_used(tmp_path: Path) -> None:
    path = tmp_path / "s.json.words"
    save_word_indexes(path, "stamp", len(PAPERS), _indexes())
    assert load_word_indexes(path, "other", len(PAPERS)) is None
    assert load_word_indexes(path, "stamp", len(PAPERS) + 1) is None
    assert load_word_indexes(tmp_path / "missing.words", "stamp", len(PAPERS)) is None


def test_app_loading_saves_then_reuses_the_indexes_until_the_store_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "papers.json"
    write_store(db, PAPERS, {})

    first = _as_the_app_opens(db)
    first.build_word_indexes()
    assert word_index_path(db).exists()
    expected = _answers(first)

    builds = []  # one per index built: titles, authors, abstracts
    real_build = TokenIndex.from_runs
    monkeypatch.setattr(
        TokenIndex, "from_runs", lambda *a, **k: builds.append(1) or real_build(*a, **k)
    )
    second = _as_the_app_opens(db)
    second.build_word_indexes()
    assert builds == [] and _answers(second) == expected

    write_store(db, PAPERS[:-1], {})  # a rebuild: a new file, so the old indexes do not fit
    third = _as_the_app_opens(db)
    third.build_word_indexes()
    assert builds == [1, 1, 1] and len(third) == len(PAPERS) - 1


def test_an_unwritable_place_only_costs_a_rebuild(tmp_path: Path) -> None:
    index = SearchIndex(
        PAPERS, words_file=tmp_path / "no" / "such" / "dir" / "x.words", store_stamp="s"
    )
    index.build_word_indexes()
    assert index.word_indexes_ready and _answers(index) == _answers(SearchIndex(PAPERS))


def test_indexes_saved_at_build_time_are_read_back_at_launch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "papers.json"
    write_store(db, PAPERS, {})
    SearchIndex.save_for_store(db, PAPERS)
    expected = _answers(SearchIndex(PAPERS))
    # The launch must not rebuild them (every index, built here or by a worker, is made
    # by from_runs).
    monkeypatch.setattr(TokenIndex, "from_runs", None)
    index = _as_the_app_opens(db)
    index.build_word_indexes()
    assert _answers(index) == expected


def test_a_search_waits_for_saved_indexes_rather_than_scanning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "papers.json"
    write_store(db, PAPERS, {})
    SearchIndex.save_for_store(db, PAPERS)
    index = _as_the_app_opens(db)
    monkeypatch.setattr(index, "_abstracts_for_scan", None)  # scanning would fail loudly
    found = run_query(parse_query("vision"), index, lambda p: None, sort="newest")
    assert index.word_indexes_ready and len(found) == 150
