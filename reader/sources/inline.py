"""Layout (a): `CATMon D[, YYYY][Code]` header, one title+authors line, one abstract line.

This module also holds the line primitives the other listing layouts share: the header line
(category, date, code flag) and URL finding, so every layout reads them the same way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from reader.models import LAYOUT_INLINE, ParseIssue, ParseResult, Record, SourceRef
from reader.sources import Layout, ParseOptions, sample_lines
from reader.sources.authors import split_title_authors
from reader.sources.dates import MONTH_PATTERN, ListingYear, infer_listing_year, make_date
from reader.sources.dates import month_number as _month_number

#: A header line is short; longer lines are never tried against the header pattern.
MAX_HEADER_LINE = 80

_HEADER = re.compile(
    r"(?P<cat>[A-Za-z][A-Za-z\-]*(?:\.[A-Za-z\-]+)?)??"
    rf"(?P<mon>(?i:{MONTH_PATTERN}))\.?\s*(?P<day>\d{{1,3}})"
    r"(?:,\s*(?P<year>\d{1,9}))?\s*(?P<code>Code)?"
)
_DIGIT = re.compile(r"\d")
_URL = re.compile(r"https?://[^\s<>\"'`{}|\\^\[\]]+")
_URL_TRAIL = ".,;:!?)]}'\"”’>"
_CODE_HOSTS = re.compile(
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co|bitbucket\.org|"
    r"codeberg\.org)/",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Header:
    """A parsed header line; ``date`` is filled once the listing year is known."""

    line: int
    category: str | None
    month: int
    day: int
    year: int | None
    has_code: bool


def parse_header(text: str, line: int) -> Header | None:
    """`CVJan 14Code`, `cs.CLOct 26, 2022`, `LGMar 6, 2025Code` -> Header; else None."""
    fields = _header_fields(text)
    return None if fields is None else Header(line, *fields)


def is_header(text: str) -> bool:
    """Is `text` a header line (as `parse_header` reads it, without building the Header)?"""
    return _header_fields(text) is not None


#: A header's (category, month, day, year, has code).
HeaderFields = tuple[str | None, int, int, int | None, bool]


def _header_fields(text: str) -> HeaderFields | None:
    # Most lines are titles and abstracts: a long line with no space at either end to strip
    # is refused before any copy or regex.
    if len(text) > MAX_HEADER_LINE and not text[0].isspace() and not text[-1].isspace():
        return None
    return _stripped_header(text.strip())


def _stripped_header(text: str) -> HeaderFields | None:
    if not text or len(text) > MAX_HEADER_LINE or not _DIGIT.search(text):
        return None  # (a header has a day: most short titles and names go no further)
    return _stripped_header_fields(text)


@functools.lru_cache(maxsize=4096)
def _stripped_header_fields(text: str) -> HeaderFields | None:
    """Cached: a listing repeats the same few header lines (`CVMar 18, 2025`) many times."""
    match = _HEADER.fullmatch(text)
    if not match:
        return None
    month = _month_number(match.group("mon"))
    if month is None:
        return None
    year = int(match.group("year")) if match.group("year") else None
    return match.group("cat"), month, int(match.group("day")), year, bool(match.group("code"))


def find_urls(text: str) -> list[str]:
    """URLs in free text, with trailing punctuation (`.`, `,`, `)`) stripped."""
    urls: list[str] = []
    if "http" not in text:
        return urls
    for match in _URL.finditer(text):
        url = match.group(0)
        while url and url[-1] in _URL_TRAIL:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            url = url[:-1]
        if len(url) > len("https://") and url not in urls:
            urls.append(url)
    return urls


def looks_like_prose(text: str) -> bool:
    """Long text with sentences (an abstract), as opposed to a title or a name list."""
    return len(text) > 300 or text.count(". ") >= 2


def is_code_url(url: str) -> bool:
    """A link to a code host (GitHub, GitLab, Hugging Face, ...) means the paper has code."""
    return bool(_CODE_HOSTS.match(url))


@dataclass(slots=True)
class DateResolver:
    """Resolves header dates once the whole listing has been seen (year-less dates need it)."""

    file: str
    options: ParseOptions
    headers: list[Header] = field(default_factory=list)
    extra_years: list[int] = field(default_factory=list)

    def listing_year(self) -> ListingYear:
        years = [h.year for h in self.headers if h.year is not None] + self.extra_years
        years = [y for y in years if 1900 <= y <= 2200]  # a typo'd year must not shift the rest
        return infer_listing_year(years, self.file, self.options.as_of)

    def resolve(self, issues: list[ParseIssue]) -> dict[int, str | None]:
        """header line -> ISO date; invalid dates (`Feb 30`) become warnings naming the line."""
        listing = None
        dates: dict[int, str | None] = {}
        for header in self.headers:
            if header.year is not None:
                value = make_date(header.year, header.month, header.day)
            else:
                if listing is None:
                    listing = self.listing_year()
                    if listing.note:
                        issues.append(ParseIssue(self.file, header.line, listing.note))
                value = listing.resolve(header.month, header.day)
                if value is None and listing.year is None and listing.as_of is None:
                    dates[header.line] = None
                    continue
            if value is None:
                issues.append(
                    ParseIssue(self.file, header.line, f"invalid date {_describe(header)}")
                )
            dates[header.line] = value
        return dates


def _describe(header: Header) -> str:
    text = f"month {header.month} day {header.day}"
    return f"{text} {header.year}" if header.year else text


def detect(text: str) -> float:
    """Most lines belong to entries of a header line followed by two non-header lines."""
    lines = sample_lines(text)
    if not lines:
        return 0.0
    # (the long-line refusal of `_header_fields` done here too: no call for most lines)
    heads = [
        i
        for i, ln in enumerate(lines)
        if (len(ln) <= MAX_HEADER_LINE or ln[0].isspace() or ln[-1].isspace()) and is_header(ln)
    ]
    if not heads:
        return 0.0
    well_formed = sum(1 for a, b in zip(heads, [*heads[1:], len(lines)], strict=True) if b - a == 3)
    coverage = min(1.0, 3 * well_formed / len(lines))
    return _FLOOR_SCORE + _COVERAGE_SCORE * coverage


_FLOOR_SCORE, _COVERAGE_SCORE = 0.4, 0.55


#: Non-blank lines as (line number, stripped text).
Lines = list[tuple[int, str]]


def split_at_headers(text: str, resolver: DateResolver) -> tuple[Lines, list[tuple[Header, Lines]]]:
    """Group non-blank lines under the header line that starts each entry (layouts a and b).

    Returns the lines before the first header (the layout decides what they may be) and the
    entries; every header is also handed to `resolver` for the listing-year inference.
    """
    preamble: Lines = []
    entries: list[tuple[Header, Lines]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        fields = _stripped_header(line) if len(line) <= MAX_HEADER_LINE else None
        if fields is not None:
            header = Header(number, *fields)
            entries.append((header, []))
            resolver.headers.append(header)
        elif entries:
            entries[-1][1].append((number, line))
        else:
            preamble.append((number, raw))
    return preamble, entries


def records_under_headers(
    entries: list[tuple[Header, Lines]],
    resolver: DateResolver,
    file: str,
    issues: list[ParseIssue],
    make_record: Callable[[Header, Lines, str, str | None, list[ParseIssue]], Record],
) -> list[Record]:
    """One record per entry with a body; a bare header is a warning, not a paper."""
    dates = resolver.resolve(issues)
    return [
        make_record(header, body, file, dates.get(header.line), issues)
        for header, body in entries
        if body or _skip_empty(header, file, issues)
    ]


def parse(text: str, file: str, options: ParseOptions) -> ParseResult:
    """Records from an inline listing; a truncated entry is a warning, the rest still parses."""
    issues: list[ParseIssue] = []
    resolver = DateResolver(file, options)
    preamble, entries = split_at_headers(text, resolver)
    if preamble:
        issues.append(ParseIssue(file, preamble[0][0], "text before the first header line skipped"))
    records = records_under_headers(entries, resolver, file, issues, _record)
    return ParseResult(file, LAYOUT_INLINE, records, issues)


def _skip_empty(header: Header, file: str, issues: list[ParseIssue]) -> bool:
    """A header with nothing under it names no paper: say so and leave it out."""
    issues.append(
        ParseIssue(file, header.line, "entry has a header but no title or abstract; skipped")
    )
    return False


def _record(
    header: Header,
    body: list[tuple[int, str]],
    file: str,
    date: str | None,
    issues: list[ParseIssue],
) -> Record:
    source = SourceRef(file, header.line, LAYOUT_INLINE)
    title = None
    authors: tuple[str, ...] = ()
    truncated = False
    affiliations: tuple[str, ...] = ()
    abstract = None
    if body:
        number, line = body[0]
        split = split_title_authors(line)
        if split is None and len(body) == 1 and looks_like_prose(line):
            abstract = line
            issues.append(
                ParseIssue(file, header.line, "entry has no title line (truncated entry)")
            )
            body = []
        elif split is None:
            title = line
            issues.append(
                ParseIssue(file, number, "could not tell the authors from the title; kept as title")
            )
        else:
            title, author_line = split
            authors, truncated = author_line.authors, author_line.truncated
            affiliations = author_line.affiliations
        if len(body) == 1:
            issues.append(ParseIssue(file, header.line, "entry has no abstract (truncated entry)"))
        elif body:
            abstract = " ".join(text for _n, text in body[1:])
            if len(body) > 2:
                issues.append(
                    ParseIssue(file, body[2][0], "extra lines after the abstract joined to it")
                )
    return header_record(
        header,
        source,
        title=title,
        title_own_line=False,
        authors=authors,
        truncated=truncated,
        affiliations=affiliations,
        date=date,
        abstract=abstract,
    )


def header_record(
    header: Header,
    source: SourceRef,
    *,
    title: str | None,
    title_own_line: bool,
    authors: tuple[str, ...],
    truncated: bool,
    affiliations: tuple[str, ...],
    date: str | None,
    abstract: str | None,
) -> Record:
    """The record of a header-led entry (layouts a and b): category and `Code` from the
    header, URLs from the abstract (a code-host URL also means has-code)."""
    urls = tuple(find_urls(abstract or ""))
    return Record(
        source=source,
        title=title,
        title_own_line=title_own_line,
        authors=authors,
        authors_truncated=truncated,
        affiliations=affiliations,
        category=header.category,
        date=date,
        has_code=header.has_code or any(is_code_url(u) for u in urls),
        urls=urls,
        abstract=abstract,
    )


LAYOUT = Layout(LAYOUT_INLINE, detect, parse, best_score=_FLOOR_SCORE + _COVERAGE_SCORE)
