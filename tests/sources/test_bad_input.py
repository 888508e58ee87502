"""Bad input: truncated entries at every field, bad dates and ids, huge lines, no layout."""

from __future__ import annotations

import time

import pytest

from reader.sources import abstracts, arxiv_blocks, blocks, inline, parse_text

ABSTRACT = "We study a problem. We solve it well. It works."
ENTRY = f"CVJan 14, 2025Code\nA Good TitleAnn Lee, Bo Chen\n{ABSTRACT}\n"


def _messages(result, line: int) -> list[str]:
    return [i.message for i in result.issues if i.line == line]


def test_inline_header_without_title_or_abstract() -> None:
    result = parse_text(f"CLFeb 3, 2025\n{ENTRY}", "t.txt")
    assert len(result.records) == 1  # a bare header names no paper
    assert any("no title or abstract" in m for m in _messages(result, 1))
    assert result.records[0].title == "A Good Title"


def test_inline_unreadable_header_and_impossible_year() -> None:
    text = f"CLFoo 11, 2025\nLost TitleAnn Lee\n{ABSTRACT}\n{ENTRY}LGJul 25, 99999\n{ENTRY[19:]}"
    result = parse_text(text, "t.txt")
    assert result.layout == "inline"
    assert [r.source.line for r in result.records] == [4, 7]
    assert _messages(result, 1) == ["text before the first header line skipped"]
    assert result.records[1].date is None
    assert any("invalid date" in m for m in _messages(result, 7))


def test_inline_title_without_abstract() -> None:
    result = parse_text(f"CLFeb 3, 2025\nOther TitleAnn Lee\n{ENTRY}", "t.txt")
    assert result.records[0].title == "Other Title" and result.records[0].abstract is None
    assert any("no abstract" in m for m in _messages(result, 1))
    assert result.records[1].abstract == ABSTRACT


def test_inline_abstract_without_title() -> None:
    result = parse_text(f"CLFeb 3, 2025\n{ABSTRACT} More words here.\n{ENTRY}", "t.txt")
    assert result.records[0].title is None and result.records[0].abstract
    assert any("no title" in m for m in _messages(result, 1))


def test_inline_unsplittable_line_is_title_with_warning() -> None:
    result = parse_text(f"CLFeb 3, 2025\nno capitals anywhere\n{ABSTRACT}\n{ENTRY}", "t.txt")
    assert result.records[0].title == "no capitals anywhere"
    assert result.records[0].authors == ()
    assert _messages(result, 2)


def test_blocks_missing_fields() -> None:
    text = (
        "3 Papers\n\nCVJan 4, 2025\nOnly A Title\n\n"
        f"CVJan 5, 2025\nAnn Lee, Bo Chen\n\n{ABSTRACT}\n\n"
        f"CVJan 6, 2025\nFull Title\n\nAnn Lee\n\n{ABSTRACT}\n"
    )
    result = parse_text(text, "b.txt")
    assert [r.title for r in result.records] == ["Only A Title", None, "Full Title"]
    assert any("no abstract" in m for m in _messages(result, 3))
    assert any("no title" in m for m in _messages(result, 6))
    assert result.records[1].authors == ("Ann Lee", "Bo Chen")
    assert result.records[2].authors == ("Ann Lee",)


def test_arxiv_garbage_id_and_missing_created() -> None:
    text = (
        f"{ABSTRACT}\n\narXiv:not-an-id!!\nCreated: 2025-02-30\n\n"
        f"{ABSTRACT} Second.\n\narXiv:2501.00001\n\n"
        f"{ABSTRACT} Third.\n\narXiv:2501.00002\nCreated: 2025-01-03\n\n"
        f"{ABSTRACT} Cut off here"
    )
    result = parse_text(text, "d.txt")
    ids = [r.arxiv_id for r in result.records]
    assert ids == [None, "2501.00001", "2501.00002", None]
    assert any("no valid arXiv id" in m for m in _messages(result, 3))
    assert any("invalid Created" in m for m in _messages(result, 4))
    assert any("without a Created" in m for m in _messages(result, 8))
    assert any("no arXiv:/Created:" in m for m in _messages(result, 15))
    assert result.records[0].date is None and result.records[2].date == "2025-01-03"


def test_empty_and_unknown_layout() -> None:
    assert parse_text("", "e.txt").issues[0].severity == "error"
    assert parse_text("   \n\n", "e.txt").records == []
    result = parse_text("just some prose\nwith lines\nand nothing else\n", "p.txt")
    assert result.layout is None and result.issues[0].severity == "error"


@pytest.mark.parametrize("module", [inline, blocks, abstracts, arxiv_blocks])
def test_ten_megabyte_line_is_fast(module) -> None:
    hostile = [
        "a" * 10_000_000,
        "Ab, " * 2_500_000,
        " " * 10_000_000,
        ("CVJan 14 " * 1_100_000),
        "arXiv:" + "9" * 10_000_000,
    ]
    for text in hostile:
        start = time.perf_counter()
        module.detect(text)
        module.parse(text, "big.txt", __import__("reader.sources").sources.ParseOptions())
        assert time.perf_counter() - start < 1.0, (module.__name__, text[:20])
