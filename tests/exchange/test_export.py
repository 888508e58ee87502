"""Every export format parses back with a real parser, whatever the papers' text holds."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import bibtexparser
import pytest
from markdown_it import MarkdownIt

from reader.export import CSV_COLUMNS, EXPORT_FORMATS, export_papers
from reader.models import EMPTY_STATE, PAPER_FIELDS
from reader.sources import parse_listing
from reader.text import latex_to_unicode

from .conftest import NASTY


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_formats_and_unknown_format(papers, state_of):
    assert EXPORT_FORMATS == ("bibtex", "markdown", "csv", "json", "jsonl")
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        export_papers(papers, state_of, "xml")


# ------------------------------------------------------------------------------ BibTeX


def test_bibtex_is_valid_with_unique_keys_and_arxiv_fields(papers, state_of):
    out = export_papers(papers, state_of, "bibtex")
    library = bibtexparser.parse_string(out)
    assert library.failed_blocks == []
    keys = [e.key for e in library.entries]
    assert keys == ["stepfun2025step3", "obrien1999he", "stepfun2025step3a", "anonndbare"]
    step3 = {k: f.value for k, f in library.entries[0].fields_dict.items()}
    assert step3["eprint"] == "2507.19427"
    assert step3["archivePrefix"] == "arXiv"
    assert step3["primaryClass"] == "cs.LG"
    assert step3["url"] == "https://arxiv.org/abs/2507.19427"
    assert step3["author"] == "StepFun and Bin Wang and Jörg Müller and others"
    assert (step3["year"], step3["month"], step3["date"]) == ("2025", "jul", "2025-07-25")
    assert step3["keywords"] == r"to-read, a\_b"
    assert "  month = jul,\n" in out  # the standard macro, so styles print the month name
    again = {k: f.value for k, f in library.entries[2].fields_dict.items()}
    assert library.entries[2].entry_type == "article"  # a DOI and no arXiv id
    assert again["doi"] == "10.5555/step3.again"
    assert again["url"] == "https://doi.org/10.5555/step3.again"


def test_bibtex_escapes_every_special_and_keeps_unicode(papers, state_of):
    out = export_papers(papers, state_of, "bibtex")
    # A note is taken literally: every special character shows up escaped.
    note_line = next(line for line in out.splitlines() if line.startswith("  note = {He said"))
    for escaped in (r"\&", r"\%", r"\$", r"\#", r"\_", r"\{", r"\}", r"\textasciitilde{}"):
        assert escaped in note_line
    assert r"\^{}" in note_line and r"back\textbackslash{}slash" in note_line
    assert "é 中文 😀" in note_line and "``" not in note_line
    assert "\n" not in note_line and "\u2028" not in out
    # Listing text is LaTeX-flavoured: rendered to Unicode first, then escaped.
    title_line = next(line for line in out.splitlines() if line.startswith("  title = {He said"))
    assert "textbf" not in title_line and "no @misc" in title_line
    assert "{Szemerédi, Endre}" in out


def test_bibtex_round_trips_through_the_importer(tmp_path: Path, papers, state_of):
    path = tmp_path / "out.bib"
    path.write_text(export_papers(papers, state_of, "bibtex"))
    result = parse_listing(path)
    assert result.layout == "bibtex" and result.issues == []
    assert len(result.records) == len(papers)
    for paper, record in zip(papers, result.records, strict=True):
        assert record.title == _one_line(latex_to_unicode(paper.title))
        assert record.abstract == _one_line(latex_to_unicode(paper.abstract))
        assert record.authors == tuple(latex_to_unicode(a) for a in paper.authors)
        assert record.authors_truncated == paper.authors_truncated
        assert record.arxiv_id == paper.arxiv_id
        assert record.doi == paper.doi
        assert record.date == paper.date
        state = state_of(paper)
        if state.note:
            assert _one_line(state.note) in record.comments
        if state.tags:
            assert f"Keywords: {', '.join(state.tags)}" in record.comments
    nasty = result.records[1]
    assert nasty.authors == ("Conan O'Brien", "Barnes and Noble", "Szemerédi, Endre")
    assert nasty.comments[0] == _one_line(NASTY)


# ------------------------------------------------------------------------------ CSV


def test_csv_round_trips_exactly(papers, state_of):
    out = export_papers(papers, state_of, "csv")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 1 + len(papers)
    by_column = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    step3, nasty, _again, bare = by_column
    assert step3["authors"] == "StepFun; Bin Wang; Jörg Müller; et al."
    assert (step3["read"], step3["starred"], step3["tags"]) == ("yes", "yes", "to-read; a_b")
    assert step3["note"] == "Read §3 first.\nThen 100% & more."
    assert step3["url"] == "https://arxiv.org/abs/2507.19427"
    assert nasty["title"] == NASTY and nasty["abstract"] == NASTY and nasty["note"] == NASTY
    assert nasty["comments"] == NASTY
    assert bare == {**bare, "authors": "", "date": "", "read": "no", "note": "", "url": ""}


# ------------------------------------------------------------------------------ Markdown


def test_markdown_reading_list_structure(papers, state_of):
    out = export_papers(papers, state_of, "markdown")
    lines = out.splitlines()
    assert lines[:3] == ["# Reading list", "", "4 papers."]
    items = [line for line in lines if line.startswith("- [")]
    assert len(items) == len(papers)  # nasty newlines never start a new item
    assert items[0].startswith("- [x] [Step-3 is Large yet Affordable")
    assert items[0].endswith("(<https://arxiv.org/abs/2507.19427>) ★")
    assert "  StepFun, Bin Wang, Jörg Müller et al. · 2025\\-07\\-25 · cs.LG" not in lines
    assert "  StepFun, Bin Wang, Jörg Müller et al. · 2025-07-25 · cs.LG" in lines
    assert "  Tags: `to-read`, `a_b`" in lines
    assert "  > **Note:** Read §3 first." in lines
    assert all(not line or line.startswith(("#", "4 papers", "- [", "  ")) for line in lines)


def test_markdown_keeps_untrusted_text_literal(papers, state_of):
    html = MarkdownIt("commonmark").render(export_papers(papers, state_of, "markdown"))
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs == [
        "https://arxiv.org/abs/2507.19427",
        "https://arxiv.org/abs/hep-th/9901001",
        "https://doi.org/10.5555/step3.again",
    ]
    assert "<b>" not in html and "<em>" not in html
    assert html.count("<code>") == 4  # the four tags; the title's `code` stays literal
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "[link](javascript:alert(1))" in html  # shown as text, not a link
    assert html.count("<li>") == len(papers) and "<h1>" in html and html.count("<h") == 1


# ------------------------------------------------------------------------------ JSON


def test_json_is_an_array_of_papers_with_marks(papers, state_of):
    data = json.loads(export_papers(papers, state_of, "json"))
    assert [d["key"] for d in data] == [p.key for p in papers]
    for item, paper in zip(data, papers, strict=True):
        assert list(item) == [*PAPER_FIELDS, "read", "starred", "note", "tags"]
        assert item["title"] == paper.title
        assert {k: item[k] for k in ("read", "starred", "note")} == {
            k: getattr(state_of(paper), k) for k in ("read", "starred", "note")
        }
    assert data[1]["note"] == NASTY and data[1]["tags"] == ["x{y}", "50%"]


def test_jsonl_is_one_object_per_line_even_with_line_separators(papers, state_of):
    out = export_papers(papers, state_of, "jsonl")
    assert len(out.splitlines()) == len(papers)  # U+2028 escaped, not raw
    assert [json.loads(line)["abstract"] for line in out.splitlines()][1] == NASTY


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_formats_round_trip_through_the_importer(tmp_path: Path, papers, state_of, fmt):
    path = tmp_path / f"out.{fmt}"
    path.write_text(export_papers(papers, state_of, fmt))
    result = parse_listing(path)
    assert result.layout == "json" and result.issues == []
    main = {r.source.line: r for r in result.records if r.abstract != "Decoding is cheaper."}
    for paper, record in zip(papers, main.values(), strict=True):
        assert record.title == paper.title and record.abstract == paper.abstract
        assert record.authors == paper.authors and record.arxiv_id == paper.arxiv_id
        assert (record.date, record.updated, record.doi) == (paper.date, paper.updated, paper.doi)
        assert (record.urls, record.comments) == (paper.urls, paper.comments)


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_nothing_to_export_is_still_valid(fmt):
    out = export_papers([], lambda p: EMPTY_STATE, fmt)
    if fmt == "json":
        assert json.loads(out) == []
    elif fmt == "csv":
        assert out == ",".join(CSV_COLUMNS) + "\n"
    elif fmt == "markdown":
        assert "0 papers." in out
    else:
        assert out == ""
