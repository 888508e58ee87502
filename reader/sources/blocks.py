"""Layout (b): an `N Papers` header, then entries of header, title, authors and abstract lines.

Fields sit on lines of their own (blank lines between them are allowed); a header line
starts each entry, so a missing field shows as a short entry and a warning, never as the
next entry's text.
"""

from __future__ import annotations

import re

from reader.models import LAYOUT_BLOCKS, ParseIssue, ParseResult, Record, SourceRef
from reader.sources import SAMPLE_CHARS, Layout, ParseOptions, sample_lines
from reader.sources.authors import looks_like_author_line, parse_author_line
from reader.sources.inline import (
    DateResolver,
    Header,
    header_record,
    is_header,
    looks_like_prose,
    records_under_headers,
    split_at_headers,
)

_COUNT = re.compile(r"\s*(\d{1,7})\s+(?:papers?|entries|results)\s*", re.IGNORECASE)


def detect(text: str) -> float:
    """An `N Papers` first line followed by header-led entries."""
    lines = sample_lines(text)
    if not lines:
        return 0.0
    if len(lines[0]) < 40 and _COUNT.fullmatch(lines[0]) is not None:
        return 0.97 if any(is_header(ln) for ln in lines[:2000]) else 0.6
    # Header-led entries separated by blank lines (fields on their own lines), no count line.
    if is_header(lines[0]) and text.find("\n\n", 0, SAMPLE_CHARS) >= 0:
        return 0.55
    return 0.0


def parse(text: str, file: str, options: ParseOptions) -> ParseResult:
    """Records from a blocks listing; missing fields are warnings naming the entry's line."""
    issues: list[ParseIssue] = []
    resolver = DateResolver(file, options)
    preamble, entries = split_at_headers(text, resolver)
    count: tuple[int, int] | None = None
    for number, raw in preamble:
        match = _COUNT.fullmatch(raw) if len(raw) < 40 else None
        if match and count is None:
            count = (number, int(match.group(1)))
        else:
            issues.append(ParseIssue(file, number, "text before the first entry skipped"))
    records = records_under_headers(entries, resolver, file, issues, _record)
    if count is not None and count[1] != len(records):
        issues.append(
            ParseIssue(
                file, count[0], f"header says {count[1]} papers but {len(records)} entries found"
            )
        )
    return ParseResult(file, LAYOUT_BLOCKS, records, issues)


def _record(
    header: Header,
    body: list[tuple[int, str]],
    file: str,
    date: str | None,
    issues: list[ParseIssue],
) -> Record:
    title: str | None = None
    authors: tuple[str, ...] = ()
    truncated = False
    affiliations: tuple[str, ...] = ()
    abstract: str | None = None
    rest = [text for _n, text in body]
    title_line, author_text, rest = _assign_fields(rest)
    if title_line is not None:
        title = title_line
    else:
        issues.append(ParseIssue(file, header.line, "entry has no title line (truncated entry)"))
    if author_text is not None:
        line = parse_author_line(author_text)
        authors, truncated, affiliations = line.authors, line.truncated, line.affiliations
    else:
        issues.append(ParseIssue(file, header.line, "entry has no authors line"))
    if rest:
        abstract = " ".join(rest)
    else:
        issues.append(ParseIssue(file, header.line, "entry has no abstract (truncated entry)"))
    return header_record(
        header,
        SourceRef(file, header.line, LAYOUT_BLOCKS),
        title=title,
        title_own_line=title is not None,
        authors=authors,
        truncated=truncated,
        affiliations=affiliations,
        date=date,
        abstract=abstract,
    )


def _is_author_list(text: str) -> bool:
    """An author line that cannot be a title: several names, or a name with `et al.`."""
    line = parse_author_line(text)
    return looks_like_author_line(text) and (len(line.authors) > 1 or line.truncated)


def _assign_fields(lines: list[str]) -> tuple[str | None, str | None, list[str]]:
    """Fields are positional (title, authors, abstract); short entries are told apart by shape."""
    if len(lines) >= 3:
        return lines[0], lines[1], lines[2:]
    if len(lines) == 2:
        first, second = lines
        if looks_like_prose(second):
            if _is_author_list(first):
                return None, first, [second]
            return first, None, [second]
        if looks_like_author_line(second):
            return first, second, []
        return first, None, [second]
    if len(lines) == 1:
        if looks_like_prose(lines[0]):
            return None, None, lines
        if _is_author_list(lines[0]):
            return None, lines[0], []
        return lines[0], None, []
    return None, None, []


LAYOUT = Layout(LAYOUT_BLOCKS, detect, parse, best_score=0.97)
