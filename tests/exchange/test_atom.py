"""arXiv API Atom results and arXiv RSS listings, from recorded files."""

from __future__ import annotations

from pathlib import Path

from reader.merge import merge_records
from reader.sources import parse_listing

from .conftest import DATA


def test_api_results_give_every_field():
    result = parse_listing(DATA / "arxiv_api.atom.xml")
    assert result.layout == "atom"
    assert result.issues == []
    step3, rlver, old = result.records
    assert step3.title == (
        "Step-3 is Large yet Affordable: Model-system Co-design for Cost-effective Decoding"
    )
    assert step3.title_own_line
    assert step3.authors == ("StepFun", "Bin Wang", "Bojun Wang")
    assert step3.arxiv_id == "2507.19427"  # from http://arxiv.org/abs/2507.19427v2
    assert (step3.date, step3.updated) == ("2025-07-25", "2025-07-28")
    assert step3.category == "cs.LG"
    assert step3.comments == ("20 pages, 12 figures",)
    assert step3.abstract.startswith("Large language models (LLMs) face low hardware")
    assert step3.abstract.endswith("& sets a new Pareto frontier for LLM decoding.")
    assert step3.urls == ()  # abs and pdf links are implied by the id
    assert (step3.source.line, step3.source.layout) == (10, "atom")

    assert rlver.has_code
    assert rlver.urls == ("https://github.com/Tencent/DigitalHuman/tree/main/RLVER",)
    assert rlver.updated is None  # same as published

    assert old.arxiv_id == "hep-th/9901001"
    assert old.doi == "10.1016/S0550-3213(99)00123-4"
    assert old.category == "hep-th"  # arxiv:primary_category, not the first <category>
    assert "Nucl.Phys. B552 (1999) 1-20" in old.comments
    assert old.authors == ("Jörg Müller", "Endre Szemerédi")
    assert "<T^6/Z_3>" in old.abstract
    assert "http://dx.doi.org/10.1016/S0550-3213(99)00123-4" in old.urls


def test_rss_listing_takes_the_description_and_creators_apart():
    result = parse_listing(DATA / "arxiv_rss.xml")
    assert result.layout == "atom"
    assert result.issues == []
    new, replaced, old = result.records
    assert new.arxiv_id == "2507.19427"
    assert new.authors == ("StepFun", "Bin Wang", "Bojun Wang", "Changyi Wan")
    assert new.abstract.startswith("Large language models (LLMs) face")
    assert "Announce Type" not in new.abstract and "arXiv:" not in new.abstract
    assert new.date == "2025-07-29" and new.updated is None
    assert new.category == "cs.LG"

    # A replacement is announced today; the paper itself is older.
    assert (replaced.date, replaced.updated) == (None, "2025-07-29")
    assert replaced.doi == "10.48550/arXiv.2505.02847"
    assert "p < 0.01) & utterance-level" in replaced.abstract
    assert len(replaced.authors) == 13

    assert old.arxiv_id == "hep-th/9901001"
    assert old.has_code and old.urls == ("https://github.com/example/orbifolds",)
    assert [r.source.line for r in result.records] == [17, 30, 45]


def test_old_and_new_ids_in_any_spelling_merge_with_the_seeds(seed_files: list[Path]):
    seeds = [r for f in seed_files for r in parse_listing(f).records]
    feeds = [
        r
        for name in ("arxiv_api.atom.xml", "arxiv_rss.xml")
        for r in parse_listing(DATA / name).records
    ]
    alone = merge_records(seeds).papers
    merged = merge_records([*seeds, *feeds]).papers
    # Step-3 (v1, v2, no version), RLVER and SAGE are seed papers; hep-th/9901001 is new.
    assert len(merged) == len(alone) + 1
    step3 = next(p for p in merged if p.arxiv_id == "2507.19427")
    assert {s.layout for s in step3.sources} >= {"atom", "arxiv"}
    old = [p for p in merged if p.arxiv_id == "hep-th/9901001"]
    assert len(old) == 1 and len(old[0].sources) == 2


def test_truncated_feed_keeps_complete_entries_and_names_the_line():
    result = parse_listing(DATA / "bad" / "truncated.atom.xml")
    assert [r.arxiv_id for r in result.records] == ["2507.19427"]
    messages = [(i.line, i.message) for i in result.issues]
    assert (41, "malformed XML: no element found") in messages
    assert any(line == 39 and "never closed" in msg for line, msg in messages)
    assert all(i.file.endswith("truncated.atom.xml") for i in result.issues)


def test_one_broken_entry_costs_only_itself():
    result = parse_listing(DATA / "bad" / "mismatched_rss.xml")
    assert [r.arxiv_id for r in result.records] == ["2507.19427", "hep-th/9901001"]
    assert [(i.line, "mismatched tag" in i.message) for i in result.issues] == [
        (31, True),
        (31, True),
    ]


def test_api_error_feed_is_reported(tmp_path: Path):
    path = tmp_path / "error.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "  <title>ArXiv Query: id_list=1234.1234</title>\n"
        "  <entry>\n"
        "    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.1234</id>\n"
        "    <title>Error</title>\n"
        "    <summary>incorrect id format for 1234.1234</summary>\n"
        "  </entry>\n"
        "</feed>\n"
    )
    result = parse_listing(path)
    assert result.records == []
    assert [(i.line, i.message) for i in result.issues] == [
        (4, "arXiv API error: incorrect id format for 1234.1234")
    ]


def test_empty_search_result_is_a_warning_not_a_crash(tmp_path: Path):
    path = tmp_path / "empty.xml"
    path.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><title>q</title></feed>')
    result = parse_listing(path)
    assert result.layout == "atom" and result.records == []
    assert "no entries" in result.issues[0].message


def test_garbage_after_a_feed_root_is_an_error_with_a_line(tmp_path: Path):
    path = tmp_path / "junk.xml"
    path.write_text('<?xml version="1.0"?>\n<rss version="2.0">\n<<<>>> &&& \x01\n')
    result = parse_listing(path)
    assert result.records == []
    assert any(i.severity == "error" for i in result.issues)
    assert all(i.line >= 1 for i in result.issues)
