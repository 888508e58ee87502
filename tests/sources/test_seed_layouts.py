"""Each parser on the real seed files: layout detected, entries counted, fields read."""

from __future__ import annotations

from pathlib import Path

from reader.sources import parse_listing


def _by_name(seed_files: list[Path], prefix: str) -> Path:
    return next(p for p in seed_files if p.name.startswith(prefix))


def test_every_seed_parses_cleanly(seed_files: list[Path]) -> None:
    results = [parse_listing(p) for p in seed_files]
    assert [r.layout for r in results] == ["inline", "blocks", "abstracts", "arxiv", "inline"]
    assert [len(r.records) for r in results] == [6, 3, 10, 10, 9]
    assert all(not r.issues for r in results)
    for result in results:
        for record in result.records:
            assert record.source.file == result.file
            assert record.source.layout == result.layout
            assert record.abstract


def test_inline_seed(seed_files: list[Path]) -> None:
    records = parse_listing(_by_name(seed_files, "000")).records
    first = records[0]
    assert (first.category, first.date, first.has_code) == ("CV", "2026-01-14", True)
    assert first.title == "STEP3-VL-10B Technical Report"
    assert first.authors == ("Ailin Huang", "Chengyuan Yao", "Chunrui Han")
    assert first.authors_truncated and not first.title_own_line
    assert records[1].affiliations == ("tsinghua",)
    assert records[1].date == "2022-10-26"
    assert [r.source.line for r in records] == [1, 4, 7, 10, 13, 16]
    assert "https://github.com/step-law/steplaw" in records[3].urls


def test_blocks_seed(seed_files: list[Path]) -> None:
    records = parse_listing(_by_name(seed_files, "001")).records
    assert [r.source.line for r in records] == [3, 10, 17]
    step3 = records[2]
    assert step3.title == (
        "Step-3 is Large yet Affordable: Model-system Co-design for Cost-effective Decoding"
    )
    assert step3.title_own_line
    assert step3.authors == ("StepFun", "Bin Wang", "Bojun Wang")
    assert step3.authors_truncated
    assert (step3.category, step3.date) == ("LG", "2025-07-25")
    assert records[0].date == "2026-01-14"


def test_abstracts_seed(seed_files: list[Path]) -> None:
    records = parse_listing(_by_name(seed_files, "002")).records
    assert [r.source.line for r in records] == [1, 2, 3, 8, 9, 10, 11, 16, 17, 18]
    assert all(r.title is None and not r.authors for r in records)
    assert records[-1].abstract.startswith("The impressive capabilities")


def test_arxiv_seed(seed_files: list[Path]) -> None:
    records = parse_listing(_by_name(seed_files, "003")).records
    step3 = records[0]
    assert step3.arxiv_id == "2507.19427"
    assert (step3.date, step3.updated) == ("2025-07-25", "2025-07-28")
    assert step3.title_own_line and step3.title.startswith("Step-3 is Large")
    assert step3.authors[:2] == ("Bin StepFun", "Bojun :")
    assert records[1].has_code
    assert records[1].urls == ("https://github.com/Tencent/DigitalHuman/tree/main/RLVER",)
    assert all(r.title is None for r in records[1:])
    ntire = records[4]
    assert ntire.has_code
    assert ntire.urls == (
        "https://www.cvlai.net/ntire/2025",
        "https://github.com/zhengchen1999/NTIRE2025_RealWorld_Face_Restoration",
    )
    assert ntire.comments[0].startswith("NTIRE 2025 webpage")
    assert records[8].comments == ("Accepted by Frontier of Computer Science",)
    assert records[9].comments == ("10 pages. Comments welcome",)
    assert records[9].updated is None
    assert [r.source.line for r in records] == [1, 9, 16, 21, 26, 33, 38, 43, 48, 55]


def test_detection_of_seeds_is_that_of_asking_every_layout(seed_files: list[Path]) -> None:
    from reader.sources import decode_listing, detect_layout
    from tests.sources.test_properties import _detect_asking_every_layout

    for path in seed_files:
        text, _issues = decode_listing(path.read_bytes(), str(path))
        assert text is not None
        layout, score = detect_layout(text)
        assert (layout.name if layout else None, score) == _detect_asking_every_layout(text)
