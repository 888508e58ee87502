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
    detect_layout,
    inline,
    known_layouts,
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


def _detect_asking_every_layout(text: str) -> tuple[str | None, float]:
    best, best_score = None, 0.0
    for layout in known_layouts():
        score = layout.detect(text)
        assert score <= layout.best_score, layout.name
        if score > best_score:
            best, best_score = layout.name, score
    return (best, best_score) if best_score >= 0.5 else (None, best_score)


#: Texts every layout's detector scores high on (a tie or near-tie between layouts).
DETECTABLE = st.sampled_from(
    [
        "CVJan 14\nA TitleAnn Lee, Bo Chen\nAn abstract.\n",
        "2 Papers\n\nCVJan 14\nTitle\n\nAnn Lee\n\nAbstract text.\n",
        "Abstract: one\nAbstract: two\n",
        "Title\nAnn Lee\n\nAbstract.\n\narXiv:2507.19427\nCreated: 2025-07-25\n",
        '[{"key": "k", "title": "t"}]',
        '{"title": "t"}\n',
        "@article{x, title={T}}\n",
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>',
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(DETECTABLE, PIECES, st.text(max_size=10)), max_size=12).map("".join))
def test_detection_skips_only_layouts_that_cannot_win(text: str) -> None:
    layout, score = detect_layout(text)
    assert (layout.name if layout else None, score) == _detect_asking_every_layout(text)
