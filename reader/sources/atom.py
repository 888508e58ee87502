"""arXiv feeds: API query results (Atom 1.0) and daily listings (RSS 2.0 from rss.arxiv.org).

feedparser does the XML (it survives the malformed feeds seen in the wild and reports where
they break); this module maps its entries onto Records.  An RSS item carries its arXiv id,
announce type and abstract in one ``description`` string
(``arXiv:2507.19427v1 Announce Type: new Abstract: ...``) and its authors as one comma
separated ``dc:creator``; both are taken apart here.  Entries cut short by an XML error are
skipped with an issue naming the line, never passed on half-read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

from reader.identifiers import normalise_arxiv_id
from reader.models import ParseIssue, ParseResult, Record, SourceRef
from reader.sources import Layout, ParseOptions

LAYOUT_NAME = "atom"

_PROLOGUE = re.compile(
    r"\s*(?:<\?xml[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>\s*)*", re.S
)
_ROOT = re.compile(r"<(?:(?P<prefix>[\w.-]+):)?(?P<name>feed|rss|RDF)\b", re.I)
_ENTRY_START = re.compile(r"<(?:[\w.-]+:)?(?:entry|item)(?=[\s>/])")
_ENTRY_END = re.compile(r"</(?:[\w.-]+:)?(?:entry|item)\s*>")
_RSS_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)$",
    re.S,
)
_URL = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")
_CODE_HOSTS = ("github.com/", "gitlab.com/", "bitbucket.org/", "codeberg.org/", "huggingface.co/")
_ISO_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")


def detect(text: str) -> float:
    """Sure when the root element is an Atom ``feed`` or an RSS ``rss`` / ``rdf:RDF``."""
    head = text[:65536]
    prologue = _PROLOGUE.match(head)
    rest = head[prologue.end() if prologue else 0 :]
    root = _ROOT.match(rest)
    if root is None:
        return 0.3 if rest.startswith("<?xml") or head.lstrip().startswith("<?xml") else 0.0
    name = root.group("name").lower()
    if name == "feed":
        return 0.99 if "http://www.w3.org/2005/Atom" in rest[:4096] else 0.9
    if name == "rss":
        return 0.99
    return 0.95 if "purl.org/rss" in rest[:4096] else 0.6


def parse(text: str, file: str, options: ParseOptions) -> ParseResult:
    """Every entry of an arXiv Atom or RSS feed as a Record; XML errors become issues.

    A malformed feed is reported at the line the XML parser stopped on; its complete entries
    are then parsed one by one (so one broken entry costs only itself) and entries left
    unclosed by a truncated file are skipped with an issue.
    """
    del options  # feeds carry full dates; nothing to infer
    feed = _feedparse(text)
    if feed is None:
        return ParseResult(
            file, LAYOUT_NAME, [], [ParseIssue(file, 1, "cannot read feed", "error")]
        )
    root = _root_tag(text)
    split_authors = str(feed.get("version") or "").startswith("rss") or (
        root is not None and root[1] != "feed"
    )
    spans = _entry_spans(text)
    issues: list[ParseIssue] = []
    records: list[Record] = []

    def add(entry: Mapping[str, Any], line: int) -> None:
        record, problem = _record(entry, SourceRef(file, line, LAYOUT_NAME), split_authors)
        if problem is not None:
            issues.append(ParseIssue(file, line, problem))
        if record is not None:
            records.append(record)

    if not feed.get("bozo"):
        entries = feed.entries
        for index, entry in enumerate(entries):
            add(entry, spans[index][0] if len(spans) == len(entries) else 1)
        if not entries:
            issues.append(ParseIssue(file, 1, "feed has no entries (an empty search result?)"))
        return ParseResult(file, LAYOUT_NAME, records, issues)

    exc = feed.get("bozo_exception")
    error_line = _exception_line(exc) or 1
    issues.append(ParseIssue(file, error_line, f"malformed XML: {_exception_message(exc)}"))
    if root is None or not spans:
        issues.append(ParseIssue(file, error_line, "no readable entries in this feed", "error"))
        return ParseResult(file, LAYOUT_NAME, records, issues)
    for start, _end, begin, finish in spans:
        if finish is None:
            issues.append(
                ParseIssue(file, start, "entry is never closed (file cut short?); skipped")
            )
            continue
        one = _feedparse(_wrap(root, text[begin:finish]))
        if one is None or one.get("bozo") or len(one.entries) != 1:
            exc = one.get("bozo_exception") if one is not None else None
            where = _exception_line(exc)
            line = start + where - 1 if where else start
            why = f" ({_exception_message(exc)})" if exc is not None else ""
            issues.append(ParseIssue(file, line, f"entry is not well-formed XML{why}; skipped"))
            continue
        add(one.entries[0], start)
    if all(issue.severity != "error" for issue in issues) and not records:
        issues.append(ParseIssue(file, error_line, "no readable entries in this feed", "error"))
    return ParseResult(file, LAYOUT_NAME, records, issues)


def _feedparse(text: str) -> Any:
    import feedparser  # imported here: heavy, and only needed for feed files

    try:
        return feedparser.parse(
            io.BytesIO(text.encode("utf-8", errors="replace")),
            response_headers={"content-type": "application/xml; charset=utf-8"},
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception:  # feedparser is tolerant; if it still fails, the caller reports it
        return None


def _root_tag(text: str) -> tuple[str, str, str] | None:
    """(opening tag on one line, local name lowercased, closing tag) of the feed's root."""
    prologue = _PROLOGUE.match(text)
    offset = prologue.end() if prologue else 0
    root = _ROOT.match(text, offset)
    if root is None:
        return None
    close = text.find(">", root.end())
    if close < 0:
        return None
    opening = " ".join(text[root.start() : close + 1].split())
    qualified = (
        f"{root.group('prefix')}:{root.group('name')}"
        if root.group("prefix")
        else root.group("name")
    )
    return opening, root.group("name").lower(), f"</{qualified}>"


def _wrap(root: tuple[str, str, str], entry_text: str) -> str:
    """One entry inside its feed's own root element, on the entry's own first line."""
    opening, name, closing = root
    declaration = '<?xml version="1.0" encoding="utf-8"?>'  # else feedparser adds a line
    if name == "rss":
        return f"{declaration}{opening}<channel>{entry_text}</channel>{closing}"
    return f"{declaration}{opening}{entry_text}{closing}"


def _exception_line(exc: object) -> int | None:
    getter = getattr(exc, "getLineNumber", None)
    if getter is None:
        return None
    try:
        line = int(getter())
    except (TypeError, ValueError):
        return None
    return line if line > 0 else None


def _exception_message(exc: object) -> str:
    getter = getattr(exc, "getMessage", None)
    if getter is not None:
        try:
            return str(getter())
        except Exception:
            pass
    return str(exc) or type(exc).__name__


def _entry_spans(text: str) -> list[tuple[int, int | None, int, int | None]]:
    """(start line, end line, start offset, end offset) of each entry/item; None if unclosed."""
    starts = [m.start() for m in _ENTRY_START.finditer(text)]
    ends = [m.end() for m in _ENTRY_END.finditer(text)]
    spans: list[tuple[int, int | None, int, int | None]] = []
    end_index = 0
    for i, start in enumerate(starts):
        limit = starts[i + 1] if i + 1 < len(starts) else len(text) + 1
        while end_index < len(ends) and ends[end_index] <= start:
            end_index += 1
        line = text.count("\n", 0, start) + 1
        if end_index < len(ends) and ends[end_index] <= limit:
            finish = ends[end_index]
            spans.append((line, text.count("\n", 0, finish) + 1, start, finish))
            end_index += 1
        else:
            spans.append((line, None, start, None))
    return spans


def _record(
    entry: Mapping[str, Any], source: SourceRef, split_authors: bool
) -> tuple[Record | None, str | None]:
    """One entry as a Record, or None and the reason it was skipped."""
    entry_id = str(entry.get("id") or "")
    title = _squash(entry.get("title"))
    summary = str(entry.get("summary") or "").strip()
    if "arxiv.org/api/errors" in entry_id:
        return None, f"arXiv API error: {_squash(summary) or title or entry_id}"

    arxiv_id = None
    announce_type = None
    match = _RSS_DESCRIPTION.match(summary)
    if match:  # RSS item: "arXiv:ID Announce Type: T Abstract: ..."
        arxiv_id = normalise_arxiv_id(match.group("id"))
        announce_type = match.group("type").lower()
        summary = match.group("abstract").strip()
    for candidate in (entry_id, entry.get("link"), entry_id.removeprefix("oai:arXiv.org:")):
        if arxiv_id:
            break
        arxiv_id = normalise_arxiv_id(str(candidate or ""))

    authors = _authors(entry, split_authors)
    if not title and not summary:
        return None, "entry has neither a title nor an abstract; skipped"

    published = _date(entry.get("published"))
    updated = _date(dict.get(entry, "updated") if isinstance(entry, dict) else None)  # no fallback
    if announce_type and announce_type.startswith("replace"):
        # A replacement is announced on the listing day; the first version is older.
        published, updated = None, published or updated
    if updated == published:
        updated = None

    comments = tuple(
        c
        for c in (_squash(entry.get("arxiv_comment")), _squash(entry.get("arxiv_journal_ref")))
        if c
    )
    journal = _squash(entry.get("arxiv_journal_reference"))
    if journal:
        comments += (journal,)
    urls = _urls(entry, arxiv_id, comments, summary)
    record = Record(
        source=source,
        title=title or None,
        title_own_line=bool(title),
        authors=authors,
        category=_category(entry),
        date=published,
        updated=updated,
        arxiv_id=arxiv_id,
        has_code=any(host in url for url in urls for host in _CODE_HOSTS),
        urls=urls,
        comments=comments,
        abstract=summary or None,
        doi=_squash(entry.get("arxiv_doi")) or _doi_from_links(entry) or None,
    )
    return record, None


def _squash(value: object) -> str:
    """Collapse the hard line wraps arXiv puts in titles and comments."""
    return " ".join(str(value).split()) if value else ""


def _authors(entry: Mapping[str, Any], split: bool) -> tuple[str, ...]:
    """Atom gives one name per author; RSS one ``dc:creator`` "A, B, C and D" to split."""
    names: list[str] = []
    for author in entry.get("authors") or ():
        name = author.get("name") if isinstance(author, Mapping) else None
        if not name:
            continue
        if not split:
            names.append(_squash(name))
            continue
        for part in str(name).split(","):
            for piece in re.split(r"\s+and\s+", part.strip()):
                piece = _squash(piece)
                if piece:
                    names.append(piece)
    return tuple(names)


def _category(entry: Mapping[str, Any]) -> str | None:
    primary = entry.get("arxiv_primary_category")
    if isinstance(primary, Mapping) and primary.get("term"):
        return str(primary["term"]).strip() or None
    for tag in entry.get("tags") or ():
        term = tag.get("term") if isinstance(tag, Mapping) else None
        if term and str(term).strip():
            return str(term).strip()
    return None


def _date(value: object) -> str | None:
    """``YYYY-MM-DD`` as written in the feed (its own time zone, not shifted to UTC)."""
    if not value:
        return None
    text = str(value)
    iso = _ISO_DATE.match(text)
    if iso:
        return iso.group(1)
    try:
        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _urls(
    entry: Mapping[str, Any], arxiv_id: str | None, comments: Sequence[str], abstract: str
) -> tuple[str, ...]:
    """Links that say something the arXiv id does not (doi, code); abs/pdf links are implied."""
    found: list[str] = []
    for link in entry.get("links") or ():
        href = str(link.get("href") or "").strip() if isinstance(link, Mapping) else ""
        if not href or _is_arxiv_page(href, arxiv_id):
            continue
        found.append(href)
    for text in (*comments, abstract):
        found.extend(_URL.findall(text))
    return tuple(dict.fromkeys(found))


def _is_arxiv_page(href: str, arxiv_id: str | None) -> bool:
    if "arxiv.org/" not in href:
        return False
    if re.search(r"arxiv\.org/(?:abs|pdf|list|rss)(?:/|$)", href) is None:
        return False
    return arxiv_id is None or normalise_arxiv_id(href.rstrip("/")) in (arxiv_id, None)


def _doi_from_links(entry: Mapping[str, Any]) -> str:
    for link in entry.get("links") or ():
        if isinstance(link, Mapping) and link.get("title") == "doi":
            href = str(link.get("href") or "")
            match = re.search(r"doi\.org/(10\..+)$", href)
            if match:
                return match.group(1)
    return ""


LAYOUT = Layout(LAYOUT_NAME, detect, parse, best_score=0.99)
