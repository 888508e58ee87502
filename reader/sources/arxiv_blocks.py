"""Layout (d): arXiv-style blocks ending in `arXiv:ID` and `Created: DATE [Updated: DATE]`.

Before those two lines a block holds an optional title line with its authors line (one
paragraph), the abstract paragraph, and optional comment paragraphs and `Code: URL` lines.
An entry ends at its `Created:` line (or at an `arXiv:` line with no `Created:` after it),
so a damaged entry never swallows the next one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from reader.identifiers import normalise_arxiv_id
from reader.models import LAYOUT_ARXIV, ParseIssue, ParseResult, Record, SourceRef
from reader.sources import Layout, ParseOptions, sample_lines
from reader.sources.authors import parse_author_line
from reader.sources.dates import make_date, month_number, parse_iso_date
from reader.sources.inline import find_urls, is_code_url, looks_like_prose

_ARXIV = re.compile(r"\s*arxiv\s*:\s*(?P<rest>.*)", re.IGNORECASE)
_CREATED = re.compile(
    r"\s*created\s*:\s*(?P<created>.*?)(?:\s+updated\s*:\s*(?P<updated>.*?))?\s*", re.IGNORECASE
)
#: What every arXiv: or Created: line starts with (a cheap test before the full patterns).
_MARKER_PREFIX = re.compile(r"\s*(?:(arxiv)|created)\s*:", re.IGNORECASE)
_CODE = re.compile(r"\s*code\s*:\s*(?P<rest>.*)", re.IGNORECASE)
_MONTH_DATE = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
_BRACKET_CAT = re.compile(r"\[([A-Za-z\-]+(?:\.[A-Za-z\-]+)?)\]")
#: arXiv:/Created:/Code: lines longer than this are garbage, not looked into further.
MAX_MARKER_LINE = 400


def detect(text: str) -> float:
    """`arXiv:` and `Created:` lines close the blocks."""
    lines = sample_lines(text)
    if not lines:
        return 0.0
    markers = _markers(lines)
    created = sum(1 for is_created, _match in markers.values() if is_created)
    ids = len(markers) - created
    if ids and created:
        return 0.95
    if ids or created:
        return 0.6 if (ids + created) * 10 >= len(lines) else 0.3
    return 0.0


def _parse_date(text: str) -> str | None:
    text = text.strip()
    value = parse_iso_date(text)
    if value is None:
        match = _MONTH_DATE.fullmatch(text)
        month = month_number(match.group(1)) if match else None
        if match and month:
            value = make_date(int(match.group(3)), month, int(match.group(2)))
    return value


def parse(text: str, file: str, options: ParseOptions) -> ParseResult:
    """Records from arXiv-style blocks; bad ids and dates are warnings, the record is kept."""
    issues: list[ParseIssue] = []
    records: list[Record] = []
    lines = text.split("\n")
    markers = _markers(lines)
    start = 0  # first line of the entry being read
    for index, (created, _match) in markers.items():
        if not created:  # an arXiv: line ends its entry only when no Created: line follows
            nxt = index + 1
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            if nxt < len(lines) and nxt in markers and markers[nxt][0]:
                continue
            issues.append(ParseIssue(file, index + 1, "arXiv: line without a Created: line"))
        records.append(_record(lines, start, index + 1, markers, file, issues))
        start = index + 1
    first = next((i for i in range(start, len(lines)) if lines[i].strip()), None)
    if first is not None:
        issues.append(
            ParseIssue(file, first + 1, "entry has no arXiv:/Created: lines (truncated entry)")
        )
        records.append(_record(lines, start, len(lines), markers, file, issues))
    kept = [r for r in records if r.title or r.abstract or r.arxiv_id]  # else: names no paper
    return ParseResult(file, LAYOUT_ARXIV, kept, issues)


#: Line index -> (True for a Created: line, False for an arXiv: line, and its match).
Markers = dict[int, tuple[bool, re.Match[str]]]


#: The first characters a marker line can start with (besides whitespace).
_MARKER_FIRST = frozenset("aAcC")


def _markers(lines: Sequence[str]) -> Markers:
    """The arXiv: and Created: lines: a first-character test, then a prefix match."""
    markers: Markers = {}
    maybe = [
        i for i, raw in enumerate(lines) if raw[:1] in _MARKER_FIRST or raw[:1].isspace()
    ]  # (most lines start otherwise: one pass without a regex call per line)
    for index in maybe:
        raw = lines[index]
        if len(raw) <= MAX_MARKER_LINE and (prefix := _MARKER_PREFIX.match(raw)):
            if prefix.group(1) is None:
                if created := _CREATED.fullmatch(raw):
                    markers[index] = (True, created)
            elif arxiv := _ARXIV.match(raw):
                markers[index] = (False, arxiv)
    return markers


@functools.lru_cache(maxsize=4096)
def _cached_date(text: str) -> str | None:
    return _parse_date(text)


def _record(
    lines: list[str], lo: int, hi: int, markers: Markers, file: str, issues: list[ParseIssue]
) -> Record:
    """The record of the entry on lines[lo:hi] (0-based; issues name 1-based lines)."""
    start = 0  # 1-based number of the entry's first non-blank line
    arxiv_id = category = date = updated = None
    urls: list[str] = []
    has_code = False
    paragraphs: list[list[str]] = []
    paragraph: list[str] | None = None  # the one being read; a blank line ends it
    for index in range(lo, hi):
        line = lines[index].strip()
        if not line:
            paragraph = None
            continue
        start = start or index + 1
        marker = markers.get(index)
        if marker is not None and marker[0]:
            created = marker[1]
            date = _cached_date(created.group("created"))
            if date is None:
                issues.append(ParseIssue(file, index + 1, "invalid Created: date"))
            if created.group("updated") is not None:
                updated = _cached_date(created.group("updated"))
                if updated is None:
                    issues.append(ParseIssue(file, index + 1, "invalid Updated: date"))
            continue
        if marker is not None:
            rest = marker[1].group("rest").strip()
            arxiv_id = normalise_arxiv_id(rest.split()[0]) if rest else None
            if arxiv_id is None:
                issues.append(ParseIssue(file, index + 1, "arXiv: line holds no valid arXiv id"))
            if cat := _BRACKET_CAT.search(rest):
                category = cat.group(1)
            continue
        # (a stripped line starts with its first letter: only c or C can begin `Code:`)
        if line[0] in "cC" and (code := _CODE.match(line)) and len(line) <= MAX_MARKER_LINE:
            found = find_urls(code.group("rest"))
            urls.extend(u for u in found if u not in urls)
            has_code = True
            continue
        if paragraph is None:
            paragraph = []
            paragraphs.append(paragraph)
        paragraph.append(line)
    title = None
    authors: tuple[str, ...] = ()
    truncated = False
    affiliations: tuple[str, ...] = ()
    if paragraphs and _is_title_paragraph(paragraphs[0], len(paragraphs)):
        head = paragraphs.pop(0)
        title = head[0]
        if len(head) >= 2:
            author_line = parse_author_line(head[1])
            authors = author_line.authors
            truncated, affiliations = author_line.truncated, author_line.affiliations
        if len(head) > 2:
            paragraphs.insert(0, head[2:])
    abstract = None
    if paragraphs:
        abstract = " ".join(paragraphs.pop(0))
    else:
        issues.append(ParseIssue(file, start or lo + 1, "entry has no abstract (truncated entry)"))
    comments = tuple(" ".join(p) for p in paragraphs)
    for text in (*comments, abstract or ""):
        if found := find_urls(text):
            urls.extend(u for u in found if u not in urls)
    has_code = has_code or any(is_code_url(u) for u in urls)
    return Record(
        source=SourceRef(file, start or lo + 1, LAYOUT_ARXIV),
        title=title,
        title_own_line=title is not None,
        authors=authors,
        authors_truncated=truncated,
        affiliations=affiliations,
        category=category,
        date=date,
        updated=updated,
        arxiv_id=arxiv_id,
        has_code=has_code,
        urls=tuple(urls),
        comments=comments,
        abstract=abstract,
    )


def _is_title_paragraph(paragraph: list[str], count: int) -> bool:
    """A short non-prose first line, then an author line (or an abstract paragraph after)."""
    first = paragraph[0]
    if looks_like_prose(first) or len(first) > 300:
        return False
    if len(paragraph) >= 2:
        items = [i for i in paragraph[1][:5000].split(",") if i.strip()]
        return bool(items) and sum(map(len, items)) / len(items) < 40
    return count >= 2 and not first.endswith(".")


LAYOUT = Layout(LAYOUT_ARXIV, detect, parse, best_score=0.95)
