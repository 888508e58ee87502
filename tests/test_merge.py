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

from reader.facts import spool_abstracts
from reader.identities import (
    END_CHARS,
    END_WORDS,
    HEAD_MIN_CHARS,
    HEAD_MIN_WORDS,
    Normalised,
    normalise_text,
)
from reader.merge import _agreeing_pairs, _titles_agree, merge_records
from reader.models import Paper, Record, SourceRef
from reader.sources import parse_listing
from reader.stored_abstracts import StoredPaper
from reader.textspool import TextSpool

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


def test_released_records_merge_the_same() -> None:
    """The build hands its records over (release_records): the same papers, the list emptied,
    and a record repeating an earlier one's title and abstract left holding that copy."""
    expected = _dicts(merge_records(_seed_records() + _seed_records()).papers)
    first, again = _seed_records(), _seed_records()  # equal texts, distinct strings
    owned = first + again
    assert _dicts(merge_records(owned, release_records=True).papers) == expected
    assert owned == []
    repeats = [(a, b) for a, b in zip(first, again, strict=True) if a.abstract and a.title]
    assert repeats and all(b.abstract is a.abstract and b.title is a.title for a, b in repeats)


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
    if form.head != whole:
        assert len(form.head) >= HEAD_MIN_CHARS and len(form.head.split()) >= HEAD_MIN_WORDS
    # As if taken from the whole: the tail kept enough words.
    closing = whole[-END_CHARS:].rsplit(maxsplit=END_WORDS)[-END_WORDS:]
    assert form.closing == ">" + " ".join(closing)


# Real abstracts (arXiv metadata is CC0) of papers the 100k benchmark merged wrongly: the same
# abstract under another title (2510.09021 and 2510.27094 share it word for word), and a
# paper whose opening a later, differently titled paper reuses (2601.19659, 2606.16256).
PROOF_GRADING = (  # arXiv:2510.09021
    "State-of-the-art (SOTA) LLMs have progressed from struggling on proof-based Olympiad"
    " problems to solving most of the IMO 2025 problems, with leading systems reportedly "
    "handling 5 of 6 problems. Given this progress, we assess how well these models can "
    "grade proofs: detecting errors, judging their severity, and assigning fair scores "
    "beyond binary correctness. We study proof-analysis capabilities using a corpus of 90"
    " Gemini 2.5 Pro-generated solutions that we grade on a 1-4 scale with detailed error"
    " annotations, and on MathArena solution sets for IMO/USAMO 2025 scored on a 0-7 "
    "scale. Our analysis shows that models can reliably flag incorrect (including subtly "
    "incorrect) solutions but exhibit calibration gaps in how partial credit is assigned."
    " To address this, we introduce agentic workflows that extract and analyze reference "
    "solutions and automatically derive problem-specific rubrics for a multi-step grading"
    " process. We instantiate and compare different design choices for the grading "
    "workflows, and evaluate their trade-offs. Across our annotated corpus and MathArena,"
    " our proposed workflows achieve higher agreement with human grades and more "
    "consistent handling of partial credit across metrics. We release all code, data, and"
    " prompts/logs to facilitate future research."
)
KEEPLORA = (  # arXiv:2601.19659
    "Continual learning for pre-trained vision-language models requires balancing three "
    "competing objectives: retaining pre-trained knowledge, preserving knowledge from a "
    "sequence of learned tasks, and maintaining the plasticity to acquire new knowledge. "
    "This paper presents a simple but effective approach called KeepLoRA to effectively "
    "balance these objectives. We first analyze the knowledge retention mechanism within "
    "the model parameter space and find that general knowledge is mainly encoded in the "
    "principal subspace, while task-specific knowledge is encoded in the residual "
    "subspace. Motivated by this finding, KeepLoRA learns new tasks by restricting LoRA "
    "parameter updates in the residual subspace to prevent interfering with previously "
    "learned capabilities. Specifically, we infuse knowledge for a new task by projecting"
    " its gradient onto a subspace orthogonal to both the principal subspace of pre-"
    "trained model and the dominant directions of previous task features. Our theoretical"
    " and empirical analyses confirm that KeepLoRA balances the three objectives and "
    "achieves state-of-the-art performance. The implementation code is available at "
    "https://github.com/MaolinLuo/KeepLoRA."
)
KEEPLORA_PP = (  # arXiv:2606.16256
    "Continual learning for pre-trained vision-language models requires balancing three "
    "competing objectives: retaining pre-trained knowledge, preserving knowledge from a "
    "sequence of learned tasks, and maintaining the plasticity to acquire new knowledge. "
    "This paper presents KeepLoRA++, balancing these objectives through a unified dual-"
    "dimensional knowledge retention mechanism. We analyze knowledge distribution of "
    "Transformer architecture from both inter-layer and intra-layer perspectives. The "
    "inter-layer perspective examines how retention is distributed across layers, while "
    "the intra-layer perspective focuses on the parameter space within each layer. Our "
    "analysis reveals a structural property: general transferable knowledge is mainly "
    "encoded in the shallow layers and the principal subspace of the parameters, while "
    "task-specific adaptations are localized in the deep layers and the residual "
    "subspace. Motivated by this insight, KeepLoRA++ introduces a layer-scaled residual "
    "gradient adaptation method. New tasks are learned by restricting LoRA parameter "
    "updates to the residual subspace, combined with a shallow-to-deep layer scaling, to "
    "prevent interference with previously acquired capabilities. Specifically, the "
    "gradient of a new task is projected onto a subspace orthogonal to both the principal"
    " subspace of the pre-trained model and the dominant directions of previous task "
    "features, while simultaneously assigning smaller update magnitudes to shallow layers"
    " and larger ones to deeper layers. Our theoretical analysis and empirical "
    "evaluations confirm that KeepLoRA++ successfully balances these three competing "
    "objectives, consistently outperforming representative baselines across image "
    "classification, visual question answering, and video understanding tasks."
)


def test_one_abstract_under_two_titles_is_two_papers() -> None:
    records = [
        _rec(5, "d.txt", "arxiv", title="RefGrader: Automated Grading of Mathematical "
             "Competition Proofs using Agentic Workflows", title_own_line=True,
             arxiv_id="2510.09021", abstract=PROOF_GRADING),
        _rec(9, "a.txt", title="CombiGraph-Vis: A Curated Multimodal Olympiad Benchmark for "
             "Discrete Mathematical Reasoning", abstract=PROOF_GRADING),
    ]  # fmt: skip
    assert len(merge_records(records).papers) == 2


def test_a_title_run_into_its_authors_still_merges() -> None:
    title = (
        "RefGrader: Automated Grading of Mathematical Competition Proofs using Agentic Workflows"
    )
    records = [
        _rec(5, "d.txt", "arxiv", title=title, title_own_line=True, abstract=PROOF_GRADING),
        _rec(9, "a.txt", title=title + "Hamed Mahdavi, Pouria Mahdavinia", abstract=PROOF_GRADING),
    ]
    assert len(merge_records(records).papers) == 1


def test_an_untitled_copy_joins_the_paper_it_repeats_not_one_sharing_its_opening() -> None:
    revised = KEEPLORA_PP.rsplit(". ", 1)[0] + "."  # a relisting with its last sentence cut
    records = [
        _rec(1, "a.txt", title="KeepLoRA: Continual Learning with Residual Gradient "
             "Adaptation", authors=("Mao-Lin Luo", "Zi-Hao Zhou"), abstract=KEEPLORA),
        _rec(1, "c.txt", "abstracts", abstract=KEEPLORA),
        _rec(4, "b.txt", "blocks", title="KeepLoRA++: Continual Learning with Layer-Scaled "
             "Residual Gradient Adaptation", title_own_line=True,
             authors=("Mao-Lin Luo", "Yi-Lin Zhang"), abstract=KEEPLORA_PP),
        _rec(8, "d.txt", "arxiv", title="KeepLoRA++: Continual Learning with Layer-Scaled "
             "Residual Gradient Adaptation", title_own_line=True, arxiv_id="2606.16256",
             abstract=revised),
    ]  # fmt: skip
    for order in (records, records[::-1], records[1:] + records[:1]):
        papers = sorted(merge_records(order).papers, key=lambda p: p.title)
        assert [(p.title[:10], len(p.sources)) for p in papers] == [
            ("KeepLoRA++", 2),
            ("KeepLoRA: ", 2),
        ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["", "a", "ab", "abc", "b", "ba", "a b", "abd"]), min_size=2))
def test_agreeing_pairs_are_every_pair_whose_titles_allow_a_match(titles: list[str]) -> None:
    block = list(range(len(titles)))
    expected = {
        (a, b)
        for b in block
        for a in block[:b]
        if not titles[a] or not titles[b] or _titles_agree(titles[a], titles[b])
    }
    pairs = _agreeing_pairs(block, titles)
    assert len(pairs) == len(set(pairs)) and set(pairs) == expected


# ------------------------------------------- abstracts on a spool (a big build's memory)


def test_a_merge_of_spooled_abstracts_gives_the_same_papers() -> None:
    held = merge_records(_seed_records())
    records = _seed_records()
    given = list(records)
    spool = TextSpool.create()
    assert spool is not None
    try:
        spooled = spool_abstracts(spool, records)
        merged = merge_records(records, release_records=True, spooled=spooled)
        assert _dicts(merged.papers) == _dicts(held.papers)
        assert merged.merges == held.merges
        # The records let go of their abstracts; the papers read theirs from the spool.
        assert records == [] and all(r.abstract is None for r in given)
        with_abstract = [p for p in merged.papers if p.abstract]
        assert with_abstract and all(isinstance(p, StoredPaper) for p in with_abstract)
    finally:
        spool.close()


def test_an_import_with_spooled_abstracts_gives_the_same_papers() -> None:
    stored = merge_records(_seed_records(skip="004")).papers
    more = [r for p in SEEDS if p.name.startswith("004") for r in parse_listing(p).records]
    assert stored and more
    held = merge_records(list(more), existing=stored)
    spool = TextSpool.create()
    assert spool is not None
    try:
        spooled = spool_abstracts(spool, more, stored)
        merged = merge_records(more, existing=stored, release_records=True, spooled=spooled)
        assert _dicts(merged.papers) == _dicts(held.papers)
    finally:
        spool.close()


def test_spooled_forms_order_by_their_text() -> None:
    spool = TextSpool.create()
    assert spool is not None
    try:
        texts = [LLM_B, LLM_A, "Zebrafish."]
        spooled = [Normalised(t, spool, spool.add(t)) for t in texts]
        spool.seal()
        held = [Normalised(t) for t in texts]
        assert [f.raw for f in sorted(spooled)] == sorted(texts)
        assert [f.raw for f in sorted(held)] == sorted(texts)
        # A text (blank, say) against a form: str gives way to Normalised.__gt__.
        assert "" < spooled[0] and not spooled[0] < "" and spooled[2] > spooled[0]  # noqa: SIM300
        assert spooled[0].head == held[0].head and spooled[0].whole == held[0].whole
    finally:
        spool.close()
