"""hypothesis: no text makes any parser or detector crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reader.sources import (
    ParseOptions,
    abstracts,
    arxiv_blocks,
    authors,
    blocks,
    inline,
    parse_text,
)

# Text built from listing-like pieces finds parser edges faster than uniform noise.
PIECES = st.sampled_from(
    [
        "\n", "\n\n", " ", "CVJan 14", "CLFeb 30, 2025", "Code", "3 Papers", "Abstract:",
        "arXiv:", "2507.19427v2", "Created: ", "2025-07-25", " Updated: ", "2025-13-40",
        "Code: https://github.com/a/b.", "Ann Lee, Bo Chen", " et al.", " · tsinghua",
        "Title WordsZoë", ":", ",", "$\\times$", "\x1b[31m", "\ufeff", "\r",
    ]
)  # fmt: skip
LISTINGISH = st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=40).map("".join)
MODULES = (inline, blocks, abstracts, arxiv_blocks)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(), LISTINGISH))
def test_parse_text_never_raises(text: str) -> None:
    result = parse_text(text, "h.txt", ParseOptions())
    assert all(r.source.line >= 1 for r in result.records)
    assert all(i.severity != "error" or not result.records for i in result.issues)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(), LISTINGISH))
def test_each_parser_survives_any_text(text: str) -> None:
    for module in MODULES:
        score = module.detect(text)
        assert 0.0 <= score <= 1.0
        result = module.parse(text, "h.txt", ParseOptions())
        for record in result.records:
            assert 1 <= record.source.line <= text.count("\n") + 1
    authors.split_title_authors(text)
    authors.parse_author_line(text)
