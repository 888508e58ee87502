"""No text makes an importer raise: hypothesis feeds them fragments of their own formats."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.sources import ParseOptions, atom, bibtex, reader_json

FRAGMENTS = {
    "atom": [
        '<?xml version="1.0"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        '<rss version="2.0"><channel>',
        "<entry>",
        "</entry>",
        "<item>",
        "</item>",
        "<title>T</title>",
        "<id>http://arxiv.org/abs/2507.19427v2</id>",
        "<summary>arXiv:2507.19427v1 Announce Type: new Abstract: x</summary>",
        "<dc:creator>A, B and C</dc:creator>",
        "<published>2025-13-45T00:00:00Z</published>",
        "<pubDate>Mon, 99 Foo 2025</pubDate>",
        '<link href="http://arxiv.org/pdf/x"/>',
        "&amp;",
        "&bogus;",
        "<![CDATA[",
        "]]>",
        "</feed>",
    ],
    "bibtex": [
        "@misc{",
        "@article(",
        "@string{a = ",
        "@comment{",
        "key,",
        "title = {",
        "author = ",
        '"',
        "{",
        "}",
        " and ",
        "others",
        "Last, First",
        "\\'e",
        "\\",
        "$",
        "month = jul,",
        "year = 2025,",
        "date = {2025-02-30}",
        "eprint = {2507.19427v2}, archivePrefix = {arXiv}",
        "doi = {10.48550/arXiv.x}",
        "#",
        "%",
        "\n",
    ],
    "json": [
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        '"title"',
        '"key"',
        '"abstract_versions"',
        '"authors"',
        '"date"',
        '"arxiv_id"',
        '"2507.19427v2"',
        "null",
        "true",
        "1e999",
        '"\\ud800"',
        "\n",
        '{"title": "x", "abstract": "y"}',
    ],
}
LAYOUTS = {"atom": atom.LAYOUT, "bibtex": bibtex.LAYOUT, "json": reader_json.LAYOUT}


def _texts(name: str) -> st.SearchStrategy[str]:
    pieces = st.one_of(st.sampled_from(FRAGMENTS[name]), st.text(max_size=8))
    return st.lists(pieces, max_size=30).map("".join)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_no_text_crashes_an_importer(name: str):
    layout = LAYOUTS[name]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_texts(name))
    def check(text: str) -> None:
        score = layout.detect(text)
        assert 0.0 <= score <= 1.0
        result = layout.parse(text, "fuzz.txt", ParseOptions())
        assert all(issue.file == "fuzz.txt" and issue.line >= 1 for issue in result.issues)
        assert all(record.source.line >= 1 for record in result.records)
        assert result.records or result.issues  # nothing is ever dropped silently

    check()
