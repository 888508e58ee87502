"""Merging rules: one paper per real paper, cleanest facts, order independence, stable keys."""

from __future__ import annotations

import gzip
import json
import random
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.identities import (
    HEAD_MIN_CHARS,
    HEAD_MIN_WORDS,
    TAIL_MIN_WORDS,
    Normalised,
    normalise_text,
)
from reader.merge import merge_records
from reader.models import Paper, Record, SourceRef
from reader.sources import parse_listing

SEEDS = sorted((Path(__file__).parent.parent / "seeds").glob("*.txt"))
SCALE = Path(__file__).parent.parent.parent / "shared" / "data" / "arxiv-2025.jsonl.gz"

LLM_A = (
    "Large language models (LLMs) have shown remarkable capabilities across many tasks. "
    "In this work we study retrieval for legal documents and propose a new benchmark with "
    "thousands of annotated cases, finding that current systems fail on long statutes."
)
LLM_B = (
    "Large language models (LLMs) have shown remarkable capabilities across many tasks. "
    "We introduce a method for protein folding that distils structure predictors into small "
    "networks, matching accuracy at a fraction of the cost on three benchmarks."
)


def _seed_records(skip: str | None = None) -> list[Record]:
    return [
        r
        for path in SEEDS
        if skip is None or not path.name.startswith(skip)
        for r in parse_listing(path).records
    ]


def _rec(line: int, file: str = "f.txt", layout: str = "inline", **kw) -> Record:
    return Record(source=SourceRef(file, line, layout), **kw)


def _dicts(papers: list[Paper]) -> list[dict]:
    return [p.to_dict() for p in papers]


def test_order_independent_on_seeds() -> None:
    records = _seed_records()
    expected = _dicts(merge_records(records).papers)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = records[:]
        rng.shuffle(shuffled)
        assert _dicts(merge_records(shuffled).papers) == expected


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(38))))
def test_order_independent_any_permutation(order: list[int]) -> None:
    records = _seed_records()
    expected = _dicts(merge_records(records).papers)
    assert _dicts(merge_records([records[i] for i in order]).papers) == expected


def test_keys_stable_when_a_later_file_adds_the_arxiv_id() -> None:
    before = {p.title: p.key for p in merge_records(_seed_records(skip="003")).papers}
    after = merge_records(_seed_records()).papers
    after_keys = {p.title: p.key for p in after}
    assert before.items() <= after_keys.items()
    step3 = next(p for p in after if p.title.startswith("Step-3 is Large"))
    assert step3.arxiv_id == "2507.19427"
    assert step3.key == before[step3.title]
    assert "arxiv:2507.19427" in step3.aliases


def test_keys_are_10_hex_and_unique() -> None:
    papers = merge_records(_seed_records()).papers
    assert all(len(p.key) == 10 and int(p.key, 16) >= 0 for p in papers)
    assert len({p.key for p in papers}) == len(papers)
    identities = [i for p in papers for i in p.identities]
    assert len(identities) == len(set(identities))


def test_known_keys_keep_an_abstract_only_papers_key() -> None:
    first = merge_records([_rec(1, "a.txt", "abstracts", abstract=LLM_A)]).papers[0]
    assert first.title_derived
    known = {identity: first.key for identity in first.identities}
    titled = _rec(3, "b.txt", "blocks", title="Legal Retrieval", title_own_line=True,
                  abstract=LLM_A)  # fmt: skip
    fresh = merge_records([titled, _rec(1, "a.txt", "abstracts", abstract=LLM_A)]).papers
    assert len(fresh) == 1 and fresh[0].key != first.key  # title identity wins when new
    kept = merge_records(
        [titled, _rec(1, "a.txt", "abstracts", abstract=LLM_A)], known_keys=known
    ).papers
    assert [p.key for p in kept] == [first.key]
    assert not kept[0].title_derived and kept[0].title == "Legal Retrieval"


def test_existing_papers_join_the_merge_with_their_keys() -> None:
    stored = merge_records(_seed_records(skip="003")).papers
    added = [r for r in _seed_records() if "003_" in r.source.file]
    result = merge_records(added, existing=stored)
    assert len(result.papers) == 30
    assert {p.key for p in stored} <= {p.key for p in result.papers}
    step3 = next(p for p in result.papers if p.title.startswith("Step-3 is Large"))
    assert step3.arxiv_id == "2507.19427" and len(step3.sources) == 4
    assert step3.authors[:3] == ("StepFun", "Bin Wang", "Bojun Wang")
    assert result.merges == len(added) + len(stored) - 30
    # Importing the same files again changes nothing.
    again = merge_records(added, existing=result.papers)
    assert _dicts(again.papers) == _dicts(result.papers)


def test_key_collision_is_extended_deterministically() -> None:
    one = merge_records([_rec(1, title="Alpha Paper", abstract=LLM_A)]).papers[0]
    other = _rec(2, title="Beta Paper", abstract=LLM_B)
    # Pretend an old store gave Beta's would-be key to some unrelated identity.
    beta_key = merge_records([other]).papers[0].key
    result = merge_records([other], known_keys={"title:000000000000": beta_key})
    assert result.papers[0].key != beta_key
    assert result.papers[0].key.startswith(beta_key)
    assert one.key != beta_key


def test_shared_title_prefix_and_generic_openings_never_merge() -> None:
    records = [
        _rec(1, title="GUARD: Glocal Uncertainty-Aware Robust Decoding", abstract=LLM_A),
        _rec(4, title="GUARD: Guideline Upholding for Adherence", abstract=LLM_B),
        _rec(1, "c.txt", "abstracts", abstract=LLM_A.replace("legal", "medical")[:150] + " x y"),
        _rec(2, "c.txt", "abstracts", abstract=LLM_B),
    ]
    result = merge_records(records)
    titles = sorted(p.title for p in result.papers)
    assert titles[:2] != titles[2:]
    guard = [p for p in result.papers if p.title.startswith("GUARD")]
    assert len(guard) == 2
    # The abstract-only copy of LLM_B joins its titled paper; the altered LLM_A does not.
    beta = next(p for p in guard if "Guideline" in p.title)
    assert len(beta.sources) == 2


def test_same_title_merges_across_day_apart_dates() -> None:
    result = merge_records(
        [
            _rec(1, "a.txt", title="Deep Things", date="2025-03-02", abstract=LLM_A),
            _rec(1, "b.txt", title="Deep things.", date="2025-03-01"),
        ]
    )
    (paper,) = result.papers
    assert paper.date == "2025-03-01"
    assert paper.sources[paper.provenance["date"]].file == "b.txt"


def test_same_title_but_different_ids_or_abstracts_stay_apart() -> None:
    ids = merge_records(
        [
            _rec(1, title="Deep Things", arxiv_id="2501.00001"),
            _rec(5, title="Deep Things", arxiv_id="2501.00002"),
        ]
    )
    assert len(ids.papers) == 2
    assert any("different arXiv id" in i.message for i in ids.issues)
    abstracts = merge_records(
        [_rec(1, title="Deep Things", abstract=LLM_A), _rec(5, title="Deep Things",
                                                             abstract="Totally unrelated words about cooking pasta and sauce.")]
    )  # fmt: skip
    assert len(abstracts.papers) == 2
    assert len({p.key for p in abstracts.papers}) == 2


def test_arxiv_id_joins_whatever_the_titles() -> None:
    result = merge_records(
        [
            _rec(1, title="A Title", arxiv_id="2501.00001"),
            _rec(1, "d.txt", "arxiv", title="A Retitled Paper", title_own_line=True,
                 arxiv_id="2501.00001"),
        ]
    )  # fmt: skip
    (paper,) = result.papers
    assert paper.title == "A Retitled Paper"  # own line beats split


def test_truncated_abstract_copy_is_one_version() -> None:
    result = merge_records(
        [
            _rec(1, "a.txt", "abstracts", abstract=LLM_A),
            _rec(1, "b.txt", title="Legal Retrieval", abstract=LLM_A[:203]),
        ]
    )
    (paper,) = result.papers
    assert paper.abstract_versions == (LLM_A,)
    assert paper.title == "Legal Retrieval"


def test_title_ties_broken_by_content_not_order() -> None:
    records = [
        _rec(1, "a.txt", title="Deep Things: A Study", abstract=LLM_A),
        _rec(1, "b.txt", title="Deep Things - A Study", abstract=LLM_A),
        _rec(1, "c.txt", title="Deep Things - A Study", abstract=LLM_A),
    ]
    for order in (records, records[::-1]):
        (paper,) = merge_records(order).papers
        assert paper.title == "Deep Things - A Study"  # two listings say so


def test_garbled_authors_lose_to_a_clean_truncated_list() -> None:
    (paper,) = merge_records(
        [
            _rec(1, "d.txt", "arxiv", title="T", title_own_line=True, arxiv_id="2501.00001",
                 authors=("Bin StepFun", "Bojun :", "Changyi Wang", "Guanzhe Wang")),
            _rec(1, "a.txt", title="T", authors=("StepFun", "Bin Wang"), authors_truncated=True),
        ]
    ).papers  # fmt: skip
    assert paper.authors == ("StepFun", "Bin Wang") and paper.authors_truncated


def test_fields_union_any_latest_and_vote() -> None:
    (paper,) = merge_records(
        [
            _rec(1, "a.txt", title="T", category="CL", urls=("https://x.org/1",), has_code=True,
                 comments=("c1",), affiliations=("mit",), updated="2025-01-02"),
            _rec(1, "b.txt", title="T", category="LG", urls=("https://x.org/2",),
                 comments=("c1", "c2"), affiliations=("eth",), updated="2025-03-04"),
            _rec(1, "c.txt", title="T", category="LG"),
        ]
    ).papers  # fmt: skip
    assert paper.category == "LG"
    assert paper.urls == ("https://x.org/1", "https://x.org/2")
    assert paper.comments == ("c1", "c2")
    assert paper.affiliations == ("mit", "eth")
    assert paper.has_code and paper.updated == "2025-03-04"


def test_derived_title_is_readable() -> None:
    (short,) = merge_records([_rec(1, abstract="We solve graphs. Then more text.")]).papers
    assert short.title == "We solve graphs." and short.title_derived
    (long_,) = merge_records([_rec(1, abstract=LLM_A.replace(".", ",", 1))]).papers
    assert (
        long_.title
        == "Large language models (LLMs) have shown remarkable capabilities across many tasks, In…"
    )


def test_entries_with_nothing_to_match_stay_separate() -> None:
    result = merge_records([_rec(1, title="Only Title"), _rec(2), _rec(3)])
    assert len(result.papers) == 3
    assert len({p.key for p in result.papers}) == 3


@pytest.mark.skipif(not SCALE.exists(), reason="scale corpus ../shared/data absent")
def test_merging_thousands_of_real_papers_is_fast() -> None:
    records = []
    with gzip.open(SCALE, "rt") as handle:
        for index, line in enumerate(handle):
            if index == 8000:
                break
            data = json.loads(line)
            records.append(
                _rec(index + 1, "big.txt", title=data["title"], abstract=data["abstract"],
                     arxiv_id=data["id"] if index % 2 else None, date=data["listed"])
            )  # fmt: skip
            if index % 10 == 0:
                records.append(_rec(index + 1, "abs.txt", "abstracts", abstract=data["abstract"]))
    start = time.perf_counter()
    result = merge_records(records)
    assert time.perf_counter() - start < 8.0
    assert len(result.papers) >= 7990


_WORDS = ["word", "Large", "LLMs", "42", "models", "Straße", "naïve", "İstanbul", "ﬁne"]
_TEXT_PIECES = st.sampled_from(
    _WORDS * 4
    + [",", ".", "(", ")", "-", "_", "{", "}", "$x$", "\\'e", '{\\"o}', "\\", "e\u0301", "Σ"]
)
_SEPARATORS = st.sampled_from(["", " ", " ", " ", " ", "  ", "\n", "\u00a0", "\u2003"])
#: Long texts (the ends are normalised apart only past ~530 characters) of words, markup,
#: accents and odd spaces, glued or separated.
_RAW_TEXTS = st.lists(
    st.tuples(_TEXT_PIECES, _SEPARATORS).map("".join), min_size=80, max_size=300
).map("".join)


@settings(max_examples=100, deadline=None)
@given(_RAW_TEXTS)
def test_normalised_ends_are_exact_parts_of_the_whole(raw: str) -> None:
    form = Normalised(raw)
    whole = normalise_text(raw)
    assert form.whole == whole
    assert whole.startswith(form.head) and whole[len(form.head) : len(form.head) + 1] in ("", " ")
    assert whole.endswith(form.tail)
    assert len(form.tail) == len(whole) or whole[-len(form.tail) - 1] == " "
    if form.head != whole:
        assert len(form.head) >= HEAD_MIN_CHARS and len(form.head.split()) >= HEAD_MIN_WORDS
    if form.tail != whole:
        assert len(form.tail.split()) >= TAIL_MIN_WORDS
