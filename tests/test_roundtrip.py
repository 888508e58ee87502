"""Property tests across layers: a listing written in a seed layout parses back to its facts,
and those facts survive merge -> store -> load unchanged; merging ignores input order."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.merge import merge_records
from reader.sources import ParseOptions, parse_text
from reader.store import Store, write_store

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)
capitalised = word.map(str.capitalize)
person = st.tuples(capitalised, capitalised).map(" ".join)
title = st.lists(capitalised, min_size=3, max_size=9).map(" ".join)
sentence = st.lists(word, min_size=8, max_size=30).map(lambda ws: " ".join(ws).capitalize() + ".")
abstract = st.lists(sentence, min_size=2, max_size=5).map(" ".join)
category = st.sampled_from(["CL", "CV", "LG", "AI", "RO", "IR"])
day = st.dates(min_value=date(2015, 1, 1), max_value=date(2025, 12, 31))
paper_facts = st.fixed_dictionaries(
    {
        "title": title,
        "authors": st.lists(person, min_size=1, max_size=4, unique=True),
        "truncated": st.booleans(),
        "abstract": abstract,
        "category": category,
        "date": day,
        "code": st.booleans(),
    }
)


def blocks_listing(papers: list[dict]) -> str:
    """Layout (b): `N Papers`, then blank-line separated header/title/authors/abstract."""
    parts = [f"{len(papers)} Papers", ""]
    for paper in papers:
        when = paper["date"]
        header = f"{paper['category']}{MONTHS[when.month - 1]} {when.day}, {when.year}"
        authors = ", ".join(paper["authors"]) + (" et al." if paper["truncated"] else "")
        parts += [
            header + ("Code" if paper["code"] else ""),
            paper["title"],
            "",
            authors,
            "",
            paper["abstract"],
            "",
        ]
    return "\n".join(parts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(paper_facts, min_size=1, max_size=5, unique_by=lambda p: p["title"]))
def test_listing_parses_back_to_its_facts(papers: list[dict]) -> None:
    result = parse_text(blocks_listing(papers), "gen.txt", ParseOptions(as_of=date(2026, 1, 1)))
    assert not [i for i in result.issues if i.severity == "error"]
    assert len(result.records) == len(papers)
    for record, paper in zip(result.records, papers, strict=True):
        assert record.title == paper["title"]
        assert record.authors == tuple(paper["authors"])
        assert record.authors_truncated == paper["truncated"]
        assert record.abstract == paper["abstract"]
        assert record.category == paper["category"]
        assert record.date == paper["date"].isoformat()
        assert record.has_code == paper["code"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    papers=st.lists(paper_facts, min_size=1, max_size=6, unique_by=lambda p: p["title"]),
    rnd=st.randoms(use_true_random=False),
)
def test_parse_merge_store_load_round_trip(
    papers: list[dict], rnd: random.Random, tmp_path: Path
) -> None:
    records = parse_text(blocks_listing(papers), "gen.txt").records
    merged = merge_records(records).papers
    shuffled = list(records)
    rnd.shuffle(shuffled)
    again = merge_records(shuffled).papers
    assert sorted(p.to_dict()["key"] for p in again) == sorted(p.key for p in merged)
    assert {p.key: p.to_dict() for p in again} == {p.key: p.to_dict() for p in merged}

    path = tmp_path / f"store-{rnd.random()}.json"
    write_store(path, merged, {"test": True})
    loaded = Store.open(path)
    assert [p.to_dict() for p in loaded.papers] == [p.to_dict() for p in merged]
    for paper in merged:
        assert loaded.get(paper.key) == paper
