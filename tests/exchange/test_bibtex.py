"""BibTeX import from a recorded file in the shapes Zotero, Scholar and arXiv write."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.sources import parse_listing

from .conftest import DATA


@pytest.fixture(scope="module")
def records():
    result = parse_listing(DATA / "papers.bib")
    assert result.layout == "bibtex"
    assert result.issues == []
    return result.records


def test_arxiv_export_entry(records):
    step3 = records[0]
    assert step3.title == (
        "Step-3 is Large yet Affordable: Model-system Co-design for Cost-effective Decoding"
    )
    assert step3.authors == ("StepFun", "Bin Wang", "Bojun Wang", "Changyi Wan")
    assert step3.authors_truncated  # "and others"
    assert step3.arxiv_id == "2507.19427"  # eprint 2507.19427v2 + archivePrefix arXiv
    assert step3.category == "cs.LG"
    assert step3.urls == ("https://arxiv.org/abs/2507.19427",)
    assert step3.date is None  # a year alone: the arXiv listings give the real day
    assert (step3.source.file, step3.source.line) == (str(DATA / "papers.bib"), 4)


def test_accents_names_and_escapes(records):
    old = records[1]
    assert old.title == "Anomalies on Orbifolds and the Szemerédi Regularity of N=1 Theories"
    assert old.authors == ("Jörg Müller", "Endre Szemerédi", "Barnes and Noble Collaboration")
    assert old.arxiv_id == "hep-th/9901001"
    assert old.doi == "10.1016/S0550-3213(99)00123-4"
    assert old.date is None  # year and month only, and an arXiv paper
    assert old.abstract == (
        "We compute gauge anomalies on orbifolds and relate them to a regularity lemma of "
        "Szemerédi. 50% of the coefficients are fixed by conformal invariance & the rest by "
        "ζ-regularisation."
    )
    assert old.comments == (
        "Nucl. Phys. B",
        "Code at https://github.com/example/orbifolds",
        "Keywords: anomalies, orbifolds",
    )
    assert old.has_code and old.urls == ("https://github.com/example/orbifolds",)
    assert old.source.line == 14


def test_scholar_string_macro_and_biblatex_date(records):
    sage = records[2]
    assert sage.arxiv_id == "2505.02847"  # journal = {arXiv preprint arXiv:2505.02847}
    assert sage.comments == ("Proceedings of ACL",)  # @string acl resolved
    assert sage.date == "2025-05-05"
    assert sage.authors == ("Bang Zhang", "Ruotian Ma", "Qingxuan Jiang")


def test_quoted_fields_doi_arxiv_id_and_escaped_url(records):
    doi_only = records[3]
    assert doi_only.title == "Quoted Title with a DOI-style arXiv id"
    assert doi_only.arxiv_id == "2507.03112"  # doi 10.48550/arXiv.2507.03112
    assert doi_only.authors == ("Jane Doe",)
    assert doi_only.date is None  # its DOI names an arXiv paper
    assert doi_only.urls == ("https://example.org/paper_one?a=1&b=2",)


def test_broken_file_imports_what_it_can_and_names_lines():
    path = DATA / "bad" / "broken.bib"
    result = parse_listing(path)
    assert [r.title for r in result.records] == [
        "A Good Entry Before the Damage",
        "A Good Entry After the Damage",
        "Same Key Again",
        "Second Title",
    ]
    found = {(i.line, i.message.split(":")[0].split(" (")[0]) for i in result.issues}
    assert found == {
        (7, "BibTeX block not readable, skipped"),
        (18, "duplicate citation key 'good1'"),
        (23, "field given twice"),
        (29, "entry 'empty' has neither a title nor an abstract; skipped"),
    }
    assert all(i.file == str(path) for i in result.issues)
    unreadable = next(i for i in result.issues if i.line == 7)
    assert "Was still looking for field-value closing" in unreadable.message


@pytest.mark.parametrize(
    "text",
    ["@misc{", "@article{x, title = {never closed", "@misc{a,}\n", '@misc{x, title="}'],
)
def test_hopeless_bibtex_is_an_error_not_a_crash(tmp_path: Path, text: str):
    path = tmp_path / "bad.bib"
    path.write_text(text)
    result = parse_listing(path)
    assert result.records == []
    assert any(i.severity == "error" and i.line == 1 for i in result.issues)


def test_journal_paper_dates_are_filled_from_year_and_month(tmp_path: Path):
    path = tmp_path / "journal.bib"
    path.write_text(
        "@article{a, title = {Year and Month}, year = {2019}, month = sep}\n"
        "@article{b, title = {Year Only}, year = 2018}\n"
        "@article{c, title = {Biblatex Month}, date = {2020-02}}\n"
        "@article{d, title = {Full Date}, date = {2021-03-04}, eprint = {2103.00001}}\n"
        "@article{e, title = {Bad Month}, year = {2017}, month = {13}}\n"
    )
    dates = [r.date for r in parse_listing(path).records]
    assert dates == ["2019-09-01", "2018-01-01", "2020-02-01", "2021-03-04", "2017-01-01"]


def test_bibtex_entry_does_not_move_a_listed_paper_to_january(seed_files: list[Path]):
    from reader.merge import merge_records

    seeds = [r for f in seed_files for r in parse_listing(f).records]
    papers = merge_records([*seeds, *parse_listing(DATA / "papers.bib").records]).papers
    step3 = next(p for p in papers if p.arxiv_id == "2507.19427")
    assert step3.date == "2025-07-25"
    assert any(s.layout == "bibtex" for s in step3.sources)
