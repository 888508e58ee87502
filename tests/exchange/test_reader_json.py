"""reader's own JSON / JSON Lines export read back: same papers, same keys, same marks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.export import export_papers
from reader.merge import merge_records
from reader.models import EMPTY_STATE, Paper, PaperState
from reader.sources import parse_listing
from reader.sources.reader_json import keys_from_export, state_from_export

from .conftest import DATA

#: What `reader import` of an export must give back; sources name the import file instead.
FACTS = [f for f in Paper.__dataclass_fields__ if f not in ("sources", "provenance")]


@pytest.fixture(scope="module")
def seed_papers() -> list[Paper]:
    from tests.conftest import SEEDS_DIR

    records = [r for f in sorted(SEEDS_DIR.glob("*.txt")) for r in parse_listing(f).records]
    papers = merge_records(records).papers
    assert len(papers) == 30
    return papers


def _marks(papers: list[Paper]) -> dict[str, PaperState]:
    return {
        papers[0].key: PaperState(read=True, starred=True, note="first\nsecond", tags=("t1",)),
        papers[5].key: PaperState(note='quotes " and \\ backslash', tags=("a", "b")),
    }


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_export_then_import_gives_the_same_papers_and_keys(
    tmp_path: Path, seed_papers: list[Paper], fmt: str
):
    marks = _marks(seed_papers)
    path = tmp_path / f"export.{fmt}"
    path.write_text(export_papers(seed_papers, lambda p: marks.get(p.key, EMPTY_STATE), fmt))

    result = parse_listing(path)
    assert result.layout == "json" and result.issues == []
    again = merge_records(result.records, known_keys=keys_from_export(path)).papers
    assert [p.key for p in again] == [p.key for p in seed_papers]
    for before, after in zip(seed_papers, again, strict=True):
        assert {f: getattr(after, f) for f in FACTS} == {f: getattr(before, f) for f in FACTS}
        assert {s.file for s in after.sources} == {str(path)}

    restored = state_from_export(path)
    for paper in again:
        found = next((restored[i] for i in paper.identities if i in restored), None)
        want = marks.get(paper.key, EMPTY_STATE)
        assert found == {**want.to_dict(), "tags": list(want.tags)}


def test_keys_survive_without_the_key_map_too(tmp_path: Path, seed_papers: list[Paper]):
    path = tmp_path / "export.jsonl"
    path.write_text(export_papers(seed_papers, lambda p: EMPTY_STATE, "jsonl"))
    again = merge_records(parse_listing(path).records).papers
    assert [p.key for p in again] == [p.key for p in seed_papers]


def test_records_carry_every_fact_and_their_line(tmp_path: Path, papers, state_of):
    path = tmp_path / "nasty.json"
    path.write_text(export_papers(papers, state_of, "json"))
    result = parse_listing(path)
    assert result.issues == []
    main = [r for r in result.records if r.authors or r.date or r.doi or r.urls]
    step3 = next(r for r in main if r.arxiv_id == "2507.19427")
    assert step3.source.line == 2  # "[" on line 1, one paper per line
    assert (step3.authors_truncated, step3.has_code, step3.updated) == (True, True, "2025-07-28")
    nasty = next(r for r in main if r.arxiv_id == "hep-th/9901001")
    assert nasty.title == papers[1].title and nasty.abstract == papers[1].abstract
    assert nasty.comments == papers[1].comments and nasty.urls == ("javascript:alert(1)",)
    # The older abstract version travels as its own record of the same paper.
    older = [r for r in result.records if r.abstract == "Decoding is cheaper."]
    assert len(older) == 1 and older[0].arxiv_id == "2507.19427"


def test_pretty_printed_array_names_each_element_line(tmp_path: Path, papers, state_of):
    path = tmp_path / "pretty.json"
    data = json.loads(export_papers(papers[2:], state_of, "json"))
    path.write_text(json.dumps(data, indent=2))
    result = parse_listing(path)
    assert result.issues == []
    starts = [n for n, line in enumerate(path.read_text().splitlines(), 1) if line == "  {"]
    assert [r.source.line for r in result.records] == starts
    assert [r.title for r in result.records] == [p.title for p in papers[2:]]


def test_truncated_array_keeps_what_came_before():
    path = DATA / "bad" / "truncated.json"
    result = parse_listing(path)
    assert [r.title for r in result.records] == ["First Paper"]
    (issue,) = result.issues
    assert (issue.file, issue.line, issue.severity) == (str(path), 3, "error")
    assert issue.message.startswith("element 2 is not valid JSON")


def test_bad_json_lines_are_skipped_one_by_one():
    path = DATA / "bad" / "mixed.jsonl"
    result = parse_listing(path)
    assert [(r.title, r.source.line) for r in result.records] == [
        ("Good Line", 1),
        ("Wrong Types", 4),
        ("After A Blank Line", 7),
    ]
    good, wrong, after = result.records
    assert good.arxiv_id == "2507.19427"
    assert (wrong.authors, wrong.date, wrong.has_code) == ((), None, False)
    assert after.arxiv_id is None
    issues = [(i.line, i.message) for i in result.issues]
    assert issues[0][0] == 2 and issues[0][1].startswith("line is not valid JSON")
    assert (3, "expected a paper object, found list; skipped") in issues
    assert (4, "field 'authors' should be a list of strings, not str; ignored") in issues
    assert (4, "field 'has_code' should be true or false, not str; ignored") in issues
    assert (4, "field 'date' is not a YYYY-MM-DD date ('July 2025'); ignored") in issues
    assert (5, "paper has neither a title nor an abstract; skipped") in issues
    assert (7, "arxiv_id 'not-an-id' is not an arXiv id; ignored") in issues


def test_arxiv_metadata_lines_import_too():
    result = parse_listing(DATA / "arxiv_metadata.jsonl")
    assert result.layout == "json" and result.issues == []
    step3, old = result.records
    assert (step3.arxiv_id, step3.date, step3.category) == ("2507.19427", "2025-07-28", "cs.LG")
    assert old.arxiv_id == "hep-th/9901001" and old.comments == ("14 pages",)
    assert old.authors == ("Jörg Müller",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "no papers in this JSON file"),
        ('[{"title": "x"}] trailing', "text after the end of the JSON array ignored"),
        ('[{"title": "x"} {"title": "y"}]', "JSON array cut short: expected ',' or ']'"),
        ('{"key": "only", "title": 5}', "field 'title' should be a string, not int; ignored"),
    ],
)
def test_odd_json_is_described(tmp_path: Path, text: str, message: str):
    path = tmp_path / "odd.json"
    path.write_text(text)
    result = parse_listing(path)
    assert any(i.message.startswith(message) for i in result.issues), result.issues


def test_state_and_keys_of_an_unreadable_file_are_empty(tmp_path: Path):
    assert state_from_export(tmp_path / "missing.json") == {}
    assert keys_from_export(tmp_path / "missing.json") == {}
    plain = tmp_path / "plain.jsonl"
    plain.write_text('{"key": "k", "title": "No marks here"}\n')
    assert state_from_export(plain) == {}
    assert keys_from_export(plain) == {"k": "k"}
    for other in (DATA / "papers.bib", DATA / "arxiv_rss.xml"):
        assert state_from_export(other) == {} and keys_from_export(other) == {}
