"""Layout (d): arXiv-style blocks ending in `arXiv:ID` and `Created: DATE [Updated: DATE]`.

Before those two lines a block holds an optional title line with its authors line (one
paragraph), the abstract paragraph, and optional comment paragraphs and `Code: URL` lines.
An entry ends at its `Created:` line (or at an `arXiv:` line with no `Created:` after it),
so a damaged entry never swallows the next one.
"""

from __future__ import annotations

import re

from reader.identifiers import normalise_arxiv_id
from reader.models import LAYOUT_ARXIV, ParseIssue, ParseResult, Record, SourceRef
from reader.sources import Layout, ParseOptions
from reader.sources.authors import parse_author_line
from reader.sources.dates import make_date, month_number, parse_iso_date
from reader.sources.inline import find_urls, is_code_url, looks_like_prose

_ARXIV = re.compile(r"\s*arxiv\s*:\s*(?P<rest>.*)", re.IGNORECASE)
_CREATED = re.compile(
    r"\s*created\s*:\s*(?P<created>.*?)(?:\s+updated\s*:\s*(?P<updated>.*?))?\s*", re.IGNORECASE
)
_CODE = re.compile(r"\s*code\s*:\s*(?P<rest>.*)", re.IGNORECASE)
_MONTH_DATE = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
_BRACKET_CAT = re.compile(r"\[([A-Za-z\-]+(?:\.[A-Za-z\-]+)?)\]")
#: arXiv:/Created:/Code: lines longer than this are garbage, not looked into further.
MAX_MARKER_LINE = 400


def _is_arxiv(line: str) -> re.Match[str] | None:
    return _ARXIV.match(line) if len(line) <= MAX_MARKER_LINE else None


def _is_created(line: str) -> re.Match[str] | None:
    return _CREATED.fullmatch(line) if len(line) <= MAX_MARKER_LINE else None


def detect(text: str) -> float:
    """`arXiv:` and `Created:` lines close the blocks."""
    lines = [ln for ln in text[:200_000].split("\n") if ln.strip()]
    if not lines:
        return 0.0
    ids = sum(1 for ln in lines if _is_arxiv(ln))
    created = sum(1 for ln in lines if _is_created(ln))
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
    block: list[tuple[int, str]] = []
    following = _next_nonblank(lines)
    for index, raw in enumerate(lines):
        number = index + 1
        block.append((number, raw))
        if _is_created(raw):
            records.append(_record(block, file, issues))
            block = []
        elif _is_arxiv(raw):
            nxt = following[index]
            if nxt is None or not _is_created(lines[nxt]):
                issues.append(ParseIssue(file, number, "arXiv: line without a Created: line"))
                records.append(_record(block, file, issues))
                block = []
    if any(raw.strip() for _n, raw in block):
        start = next(n for n, raw in block if raw.strip())
        issues.append(
            ParseIssue(file, start, "entry has no arXiv:/Created: lines (truncated entry)")
        )
        records.append(_record(block, file, issues))
    kept = [r for r in records if r.title or r.abstract or r.arxiv_id]  # else: names no paper
    return ParseResult(file, LAYOUT_ARXIV, kept, issues)


def _next_nonblank(lines: list[str]) -> list[int | None]:
    result: list[int | None] = [None] * len(lines)
    nxt: int | None = None
    for index in range(len(lines) - 1, -1, -1):
        result[index] = nxt
        if lines[index].strip():
            nxt = index
    return result


def _record(block: list[tuple[int, str]], file: str, issues: list[ParseIssue]) -> Record:
    start = next((n for n, raw in block if raw.strip()), block[0][0])
    arxiv_id = category = date = updated = None
    urls: list[str] = []
    has_code = False
    paragraphs: list[list[tuple[int, str]]] = [[]]
    for number, raw in block:
        line = raw.strip()
        if not line:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        if created := _is_created(raw):
            date = _parse_date(created.group("created"))
            if date is None:
                issues.append(ParseIssue(file, number, "invalid Created: date"))
            if created.group("updated") is not None:
                updated = _parse_date(created.group("updated"))
                if updated is None:
                    issues.append(ParseIssue(file, number, "invalid Updated: date"))
            continue
        if marker := _is_arxiv(raw):
            rest = marker.group("rest").strip()
            arxiv_id = normalise_arxiv_id(rest.split()[0]) if rest else None
            if arxiv_id is None:
                issues.append(ParseIssue(file, number, "arXiv: line holds no valid arXiv id"))
            if cat := _BRACKET_CAT.search(rest):
                category = cat.group(1)
            continue
        if (code := _CODE.match(line)) and len(line) <= MAX_MARKER_LINE:
            found = find_urls(code.group("rest"))
            urls.extend(u for u in found if u not in urls)
            has_code = True
            continue
        paragraphs[-1].append((number, line))
    paragraphs = [p for p in paragraphs if p]
    title = None
    authors: tuple[str, ...] = ()
    truncated = False
    affiliations: tuple[str, ...] = ()
    if paragraphs and _is_title_paragraph(paragraphs[0], len(paragraphs)):
        head = paragraphs.pop(0)
        title = head[0][1]
        if len(head) >= 2:
            author_line = parse_author_line(head[1][1])
            authors = author_line.authors
            truncated, affiliations = author_line.truncated, author_line.affiliations
        if len(head) > 2:
            paragraphs.insert(0, head[2:])
    abstract = None
    if paragraphs:
        abstract = " ".join(text for _n, text in paragraphs.pop(0))
    else:
        issues.append(ParseIssue(file, start, "entry has no abstract (truncated entry)"))
    comments = tuple(" ".join(text for _n, text in p) for p in paragraphs)
    for text in (*comments, abstract or ""):
        urls.extend(u for u in find_urls(text) if u not in urls)
    has_code = has_code or any(is_code_url(u) for u in urls)
    return Record(
        source=SourceRef(file, start, LAYOUT_ARXIV),
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


def _is_title_paragraph(paragraph: list[tuple[int, str]], count: int) -> bool:
    """A short non-prose first line, then an author line (or an abstract paragraph after)."""
    first = paragraph[0][1]
    if looks_like_prose(first) or len(first) > 300:
        return False
    if len(paragraph) >= 2:
        second = paragraph[1][1]
        items = [i for i in second[:5000].split(",") if i.strip()]
        return bool(items) and sum(len(i) for i in items) / len(items) < 40
    return count >= 2 and not first.endswith(".")


LAYOUT = Layout(LAYOUT_ARXIV, detect, parse)
