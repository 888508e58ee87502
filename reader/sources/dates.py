"""Listing dates to ``YYYY-MM-DD``: month names, ISO dates, and the year of year-less dates.

A listing prints recent entries without a year (`Jan 14`) and older ones with it
(`Oct 26, 2022`).  The year of a year-less date is the year the listing was made, which we
infer from the file itself (never from today's clock alone, so a rebuild next year gives the
same dates): full dates in the same listing are older, so the listing year is one past the
newest full date.  ``ParseOptions.as_of`` overrides the inference.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from dataclasses import dataclass

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip

#: Regex alternation of month names, longest first so `June` wins over `Jun`.
MONTH_PATTERN = "|".join(sorted(_MONTHS, key=len, reverse=True))

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def month_number(name: str) -> int | None:
    """`Jan`, `january`, `Sept` -> month number; anything else -> None."""
    return _MONTHS.get(name.strip().rstrip(".").casefold())


@functools.lru_cache(maxsize=1 << 12)
def make_date(year: int, month: int, day: int) -> str | None:
    """A valid calendar date as ``YYYY-MM-DD``, or None (`Feb 30`).  Cached: a listing's
    entries share a few hundred dates, and so then do their records (one string per date
    instead of one per entry: 4.5 MB of the 100k build's records)."""
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_iso_date(text: str) -> str | None:
    """``2025-7-3`` / ``2025-07-03`` -> ``2025-07-03``; invalid -> None."""
    match = _ISO.fullmatch(text.strip())
    if not match:
        return None
    return make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


@dataclass(frozen=True, slots=True)
class ListingYear:
    """How year-less dates of one listing get their year, and why (for a warning)."""

    year: int | None
    as_of: dt.date | None = None
    note: str | None = None  # set when the year was a fallback the user should know about

    def resolve(self, month: int, day: int) -> str | None:
        """The ISO date of a year-less `month day`, or None if no year is known or invalid."""
        if self.as_of is not None:
            value = make_date(self.as_of.year, month, day)
            if value is not None and value > self.as_of.isoformat():
                return make_date(self.as_of.year - 1, month, day)
            if value is None and (month, day) == (2, 29):
                return make_date(self.as_of.year - 1, month, day)
            return value
        if self.year is None:
            return None
        return make_date(self.year, month, day)


def infer_listing_year(full_years: list[int], file: str, as_of: dt.date | None) -> ListingYear:
    """The listing's own year: from ``as_of``, else newest full date + 1, else file mtime."""
    if as_of is not None:
        return ListingYear(as_of.year, as_of)
    if full_years:
        return ListingYear(max(full_years) + 1)
    try:
        mtime = os.stat(file).st_mtime
    except (OSError, ValueError):
        return ListingYear(
            None, note="no full dates in this listing and no --as-of: year-less dates left empty"
        )
    year = dt.datetime.fromtimestamp(mtime).year
    return ListingYear(
        year,
        note=f"no full dates in this listing: year-less dates take the file's "
        f"modification year {year} (use --as-of to set the listing date)",
    )
