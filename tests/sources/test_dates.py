"""Dates: month names and ISO to YYYY-MM-DD, and the year of year-less dates."""

from __future__ import annotations

import datetime as dt
import os

from reader.sources import ParseOptions, parse_listing, parse_text
from reader.sources.dates import infer_listing_year, make_date, month_number, parse_iso_date


def test_basics() -> None:
    assert month_number("Sept") == 9
    assert month_number("january") == 1
    assert month_number("Foo") is None
    assert make_date(2026, 2, 30) is None
    assert parse_iso_date("2025-7-3") == "2025-07-03"
    assert parse_iso_date("2025-13-01") is None


def test_listing_year_is_one_past_the_newest_full_date() -> None:
    assert infer_listing_year([2022, 2025, 2024], "x", None).year == 2026


def test_as_of_overrides_and_rolls_back_a_year() -> None:
    listing = infer_listing_year([2020], "x", dt.date(2026, 3, 1))
    assert listing.resolve(1, 14) == "2026-01-14"
    assert listing.resolve(12, 20) == "2025-12-20"  # would be after as_of


def _inline(entries: list[tuple[str, str]]) -> str:
    return "".join(
        f"{head}\nA Title Of Some KindJane Doe, John Roe\nAn abstract sentence. And another.\n"
        for head, _ in entries
    )


def test_inline_year_less_dates_use_listing_year() -> None:
    text = _inline([("CVJan 14Code", ""), ("CLOct 26, 2022", ""), ("LGMar 6, 2025", "")])
    result = parse_text(text, "x.txt")
    assert [r.date for r in result.records] == ["2026-01-14", "2022-10-26", "2025-03-06"]


def test_as_of_option() -> None:
    text = _inline([("CVJan 14", ""), ("CLDec 26", ""), ("CLOct 26, 2022", "")])
    result = parse_text(text, "x.txt", ParseOptions(as_of=dt.date(2025, 6, 1)))
    assert [r.date for r in result.records] == ["2025-01-14", "2024-12-26", "2022-10-26"]


def test_no_full_dates_falls_back_to_mtime_with_warning(tmp_path) -> None:
    path = tmp_path / "l.txt"
    path.write_text(_inline([("CVJan 14", "")]))
    stamp = dt.datetime(2023, 5, 5).timestamp()
    os.utime(path, (stamp, stamp))
    result = parse_listing(path)
    assert result.records[0].date == "2023-01-14"
    assert any("modification year 2023" in i.message for i in result.issues)


def test_feb_30_is_a_warning_naming_the_line() -> None:
    text = _inline([("CVJan 14, 2025", ""), ("CLFeb 30, 2025", "")])
    result = parse_text(text, "x.txt")
    assert result.records[1].date is None
    assert [i.line for i in result.issues if "invalid date" in i.message] == [4]
    assert result.records[0].date == "2025-01-14"
