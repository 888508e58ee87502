"""Golden facts for all 30 papers of the 5 seed listings (38 entries), parsed and merged."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.merge import MergeResult, merge_records
from reader.models import Paper
from reader.sources import parse_listing

# title (prefix), first author, authors_truncated, category, date, arxiv_id, has_code,
# number of sources, title_derived
GOLDEN = [
    ("Assessing how well a large language model (LLM) ", None, False, None, "2025-05-01", "2505.02847", False, 1, True),
    ("Beyond Temperature: Hyperfitting as a Late-Stage", "Meimingwei Li", True, "CL", "2026-05-21", None, False, 1, False),
    ("Code generation has been greatly enhanced by the", None, False, None, "2024-08-11", "2408.05715", False, 1, True),
    ("Energy-Based Preference Model Offers Better Offl", "Yuzhong Hong", True, "LG", "2024-12-18", None, False, 1, False),
    ("Existing post-training techniques for large lang", None, False, None, None, None, False, 1, True),
    ("Follow the TRACE: Exploiting Post-Click Trajecto", "Xinyue Zhang", False, "LG", "2026-04-25", None, True, 1, False),
    ("GUARD: Glocal Uncertainty-Aware Robust Decoding ", "Yuanhao Ding", True, "CL", "2025-08-28", None, True, 1, False),
    ("Internet services have led to the eruption of tr", None, False, None, "2024-09-27", "2409.19214", False, 1, True),
    ("Large language models (LLMs) excel at logical an", None, False, None, "2025-07-03", "2507.03112", True, 1, True),
    ("Large language models (LLMs) have made significa", None, False, None, None, None, False, 1, True),
    ("Meta learning is a promising paradigm in the era", None, False, None, "2024-10-30", "2410.22788", False, 1, True),
    ("Meta-learning is characterized by its ability to", None, False, None, "2024-09-10", "2409.06329", False, 1, True),
    ("Min-$k$ Sampling: Decoupling Truncation from Tem", "Yuanhao Ding", True, "AI", "2026-04-13", None, False, 1, False),
    ("Mixture-of-Experts (MoE) language models dramati", None, False, None, None, None, False, 1, True),
    ("Molecular generation plays an important role in ", None, False, None, "2025-04-22", "2504.15587", False, 1, True),
    ("Multimodal Large Language Models (MLLMs) demonst", None, False, None, None, None, True, 1, True),
    ("Predictable Scale: Part I, Step Law -- Optimal H", "Houyi Li", True, "LG", "2025-03-06", None, True, 2, False),
    ("STEP3-VL-10B Technical Report", "Ailin Huang", True, "CV", "2026-01-14", None, True, 2, False),
    ("Soprunov and Soprunova introduced the notion of ", None, False, None, "2024-05-31", "2406.00243", False, 1, True),
    ("Step 3.5 Flash: Open Frontier-Level Intelligence", "Ailin Huang", True, "CL", "2026-02-11", None, False, 4, False),
    ("Step-3 is Large yet Affordable: Model-system Co-", "StepFun", True, "LG", "2025-07-25", "2507.19427", False, 4, False),
    ("Step-Audio 2 Technical Report", "Boyong Wu", True, "CL", "2025-07-22", None, True, 1, False),
    ("Step-Audio: Unified Understanding and Generation", "Ailin Huang", True, "CL", "2025-02-17", None, True, 1, False),
    ("Step-DeepResearch Technical Report", "Chen Hu", True, "CL", "2025-12-23", None, False, 1, False),
    ("Supply chain networks are complex systems that a", None, False, None, None, None, False, 1, True),
    ("Test-Time Scaling (TTS) has proven effective in ", None, False, None, None, None, False, 1, True),
    ("The advent of Multimodal Large Language Models (", None, False, None, None, None, False, 1, True),
    ("This paper provides a review of the NTIRE 2025 c", None, False, None, "2025-04-20", "2504.14600", True, 1, True),
    ("Training Large Language Models (LLMs) is prohibi", None, False, None, None, None, True, 1, True),
    ("Uncertainty Sentence Sampling by Virtual Adversa", "Hanshan Zhang", True, "CL", "2022-10-26", None, False, 1, False),
]  # fmt: skip


@pytest.fixture(scope="module")
def merged() -> tuple[int, MergeResult]:
    seeds = sorted((Path(__file__).parent.parent / "seeds").glob("*.txt"))
    records = [r for path in seeds for r in parse_listing(path).records]
    return len(records), merge_records(records)


def _paper(result: MergeResult, prefix: str) -> Paper:
    (paper,) = [p for p in result.papers if p.title.startswith(prefix)]
    return paper


def test_counts(merged: tuple[int, MergeResult]) -> None:
    entries, result = merged
    assert entries == 38
    assert len(result.papers) == 30
    assert result.merges == 8
    assert len({p.key for p in result.papers}) == 30


@pytest.mark.parametrize("row", GOLDEN, ids=[row[0][:30] for row in GOLDEN])
def test_golden_facts(merged: tuple[int, MergeResult], row: tuple) -> None:
    title, first, truncated, category, date, arxiv_id, has_code, n_sources, derived = row
    paper = _paper(merged[1], title)
    assert (paper.authors[0] if paper.authors else None) == first
    assert paper.authors_truncated is truncated
    assert paper.category == category
    assert paper.date == date
    assert paper.arxiv_id == arxiv_id
    assert paper.has_code is has_code
    assert len(paper.sources) == n_sources
    assert paper.title_derived is derived
    assert paper.abstract and paper.abstract_versions[0] == paper.abstract
    if derived:
        assert len(paper.title) < 120


def test_step3(merged: tuple[int, MergeResult]) -> None:
    paper = _paper(merged[1], "Step-3 is Large")
    assert paper.title == (
        "Step-3 is Large yet Affordable: Model-system Co-design for Cost-effective Decoding"
    )
    assert paper.authors == ("StepFun", "Bin Wang", "Bojun Wang")
    assert paper.authors_truncated
    assert (paper.arxiv_id, paper.updated) == ("2507.19427", "2025-07-28")
    assert [s.file.split("/")[-1][:3] for s in paper.sources] == ["000", "001", "003", "004"]
    # The clean authors came from a listing, not the garbled arXiv block; the id from 003.
    assert paper.sources[paper.provenance["authors"]].layout != "arxiv"
    assert paper.sources[paper.provenance["arxiv_id"]].layout == "arxiv"
    assert paper.sources[paper.provenance["title"]].layout in {"blocks", "arxiv"}
    assert "arxiv:2507.19427" in paper.aliases


def test_step_law_keeps_both_abstracts(merged: tuple[int, MergeResult]) -> None:
    paper = _paper(merged[1], "Predictable Scale")
    assert len(paper.abstract_versions) == 2
    assert paper.abstract == paper.abstract_versions[0]
    assert {s.line for s in paper.sources} == {10, 18}


def test_other_facts(merged: tuple[int, MergeResult]) -> None:
    result = merged[1]
    assert _paper(result, "STEP3-VL-10B").date == "2026-01-14"
    assert _paper(result, "Uncertainty Sentence Sampling").affiliations == ("tsinghua",)
    ntire = _paper(result, "This paper provides a review of the NTIRE")
    assert ntire.urls[-1].endswith("NTIRE2025_RealWorld_Face_Restoration")
    assert _paper(result, "Soprunov").comments == ("10 pages. Comments welcome",)
