"""Small listings in every layout, including shapes the seeds never show."""

from __future__ import annotations

from reader.sources import abstracts, arxiv_blocks, blocks, inline, parse_text

ABSTRACT = "We study a problem. We solve it well. Code at https://gitlab.com/a/b)."


def test_inline_dotted_categories_and_long_months() -> None:
    text = (
        f"cs.CLSeptember 3, 2024Code\nGraph Things(GT)Ann Lee, Bo Chen · MIT · ETH\n{ABSTRACT}\n"
        f"q-bio.NCJanuary 2\nAnother TitleZoë Dupont et al.\n{ABSTRACT}\n"
    )
    result = parse_text(text, "s.txt")
    assert result.layout == "inline"
    one, two = result.records
    assert (one.category, one.date, one.has_code) == ("cs.CL", "2024-09-03", True)
    assert one.title == "Graph Things(GT)"
    assert one.affiliations == ("MIT", "ETH")
    assert one.urls == ("https://gitlab.com/a/b",)
    assert (two.category, two.date) == ("q-bio.NC", "2025-01-02")
    assert two.authors == ("Zoë Dupont",) and two.authors_truncated


def test_blocks_without_blank_lines_and_count_mismatch() -> None:
    text = f"2 Papers\nCVJan 4, 2024\nA Title\nAnn Lee, Bo Chen\n{ABSTRACT}\n"
    result = parse_text(text, "b.txt")
    assert result.layout == "blocks"
    (record,) = result.records
    assert record.title == "A Title" and record.authors == ("Ann Lee", "Bo Chen")
    assert record.has_code  # gitlab URL in the abstract
    assert any("says 2 papers" in i.message and i.line == 1 for i in result.issues)


def test_abstracts_continuation_lines() -> None:
    text = "Abstract: First one.\ncontinues here.\n\nAbstract:Second.\n"
    result = parse_text(text, "a.txt")
    assert result.layout == "abstracts"
    assert [r.abstract for r in result.records] == ["First one. continues here.", "Second."]
    assert [r.source.line for r in result.records] == [1, 4]


def test_arxiv_versioned_id_category_and_title_only() -> None:
    text = (
        "A Title On Its Own\n\nSome abstract text here.\n\nCode: https://github.com/x/y.\n"
        "arXiv:2501.01234v3 [cs.LG]\nCreated: 2025-01-02 Updated: 2025-02-03\n"
    )
    result = parse_text(text, "d.txt")
    assert result.layout == "arxiv"
    (record,) = result.records
    assert record.arxiv_id == "2501.01234"
    assert record.category == "cs.LG"
    assert record.title == "A Title On Its Own" and record.title_own_line
    assert record.abstract == "Some abstract text here."
    assert record.urls == ("https://github.com/x/y",) and record.has_code


def test_detectors_score_only_their_own_layout() -> None:
    samples = {
        "inline": f"CVJan 14\nTitleAnn Lee\n{ABSTRACT}\n",
        "blocks": f"1 Papers\n\nCVJan 14\nTitle\n\nAnn Lee\n\n{ABSTRACT}\n",
        "abstracts": f"Abstract:{ABSTRACT}\n",
        "arxiv": f"{ABSTRACT}\n\narXiv:2501.01234\nCreated: 2025-01-02\n",
    }
    modules = {"inline": inline, "blocks": blocks, "abstracts": abstracts, "arxiv": arxiv_blocks}
    for name, text in samples.items():
        scores = {other: mod.detect(text) for other, mod in modules.items()}
        assert max(scores, key=scores.__getitem__) == name, (name, scores)
