"""Plain data passed between the layers: records from listings, merged papers, user marks.

Frozen dataclasses with no behaviour beyond conversion to and from JSON-ready dicts, so the
parsers, the merger, the store, the CLI and the app all speak one vocabulary and none of
them needs Textual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Layout names a Record can come from (the four seed layouts, then importers).
LAYOUT_INLINE = "inline"  # (a) "CVJan 14Code" header, title+authors run together, abstract
LAYOUT_BLOCKS = "blocks"  # (b) "N Papers" header, blank-line separated blocks, fields on own lines
LAYOUT_ABSTRACTS = "abstracts"  # (c) "Abstract:" lines and nothing else
LAYOUT_ARXIV = "arxiv"  # (d) arXiv-style blocks ending in arXiv:ID / Created: DATE
LAYOUT_STORE = "store"  # a paper already in the store, re-entering a merge (import)


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a fact came from: a file and the 1-based line its entry starts on."""

    file: str
    line: int
    layout: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "layout": self.layout}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SourceRef:
        return cls(str(data["file"]), int(data["line"]), str(data.get("layout", "")))


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """A problem found in input, always naming file and line, never an exception."""

    file: str
    line: int
    message: str
    severity: str = "warning"  # "warning": entry skipped or degraded; "error": file unusable

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class Record:
    """One entry in one listing, with exactly the facts that listing gave.

    ``title_own_line`` is True when the listing gave the title on a line of its own (layouts b
    and d); a title split out of a run-together title+authors line is less trustworthy and
    loses to it in a merge.  Dates are ``YYYY-MM-DD`` strings or None.
    """

    source: SourceRef
    title: str | None = None
    title_own_line: bool = False
    authors: tuple[str, ...] = ()
    authors_truncated: bool = False
    affiliations: tuple[str, ...] = ()
    category: str | None = None
    date: str | None = None
    updated: str | None = None
    arxiv_id: str | None = None
    has_code: bool = False
    urls: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()
    abstract: str | None = None
    doi: str | None = None


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What a parser made of one file: its layout, the records, and every issue found."""

    file: str
    layout: str | None
    records: list[Record] = field(default_factory=list)
    issues: list[ParseIssue] = field(default_factory=list)


#: Fields of a paper in JSON output, in order (the contract of `reader list --json`).
PAPER_FIELDS = (
    "key",
    "aliases",
    "title",
    "title_derived",
    "authors",
    "authors_truncated",
    "affiliations",
    "category",
    "date",
    "updated",
    "arxiv_id",
    "doi",
    "has_code",
    "urls",
    "comments",
    "abstract",
    "abstract_versions",
    "sources",
    "provenance",
)


@dataclass(frozen=True, slots=True)
class Paper:
    """One real paper, merged from every record that named it.

    ``key`` never changes once given (rebuilds and imports keep it); ``aliases`` holds every
    other identity the paper was ever known by (arXiv id, title and abstract fingerprints,
    former keys) so user state can always find it.  ``provenance`` maps a field name to the
    index in ``sources`` of the record whose value won.
    """

    key: str
    aliases: tuple[str, ...] = ()
    title: str = ""
    title_derived: bool = False
    authors: tuple[str, ...] = ()
    authors_truncated: bool = False
    affiliations: tuple[str, ...] = ()
    category: str | None = None
    date: str | None = None
    updated: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    has_code: bool = False
    urls: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()
    abstract: str = ""
    abstract_versions: tuple[str, ...] = ()
    sources: tuple[SourceRef, ...] = ()
    provenance: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `reader list --json` (without user state)."""
        return {
            "key": self.key,
            "aliases": list(self.aliases),
            "title": self.title,
            "title_derived": self.title_derived,
            "authors": list(self.authors),
            "authors_truncated": self.authors_truncated,
            "affiliations": list(self.affiliations),
            "category": self.category,
            "date": self.date,
            "updated": self.updated,
            "arxiv_id": self.arxiv_id,
            "doi": self.doi,
            "has_code": self.has_code,
            "urls": list(self.urls),
            "comments": list(self.comments),
            "abstract": self.abstract,
            "abstract_versions": list(self.abstract_versions),
            "sources": [s.to_dict() for s in self.sources],
            "provenance": dict(self.provenance),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Paper:
        """Inverse of `to_dict`; tolerates missing optional fields (older stores)."""
        return cls(
            key=str(data["key"]),
            aliases=tuple(data.get("aliases") or ()),
            title=str(data.get("title") or ""),
            title_derived=bool(data.get("title_derived", False)),
            authors=tuple(data.get("authors") or ()),
            authors_truncated=bool(data.get("authors_truncated", False)),
            affiliations=tuple(data.get("affiliations") or ()),
            category=data.get("category"),
            date=data.get("date"),
            updated=data.get("updated"),
            arxiv_id=data.get("arxiv_id"),
            doi=data.get("doi"),
            has_code=bool(data.get("has_code", False)),
            urls=tuple(data.get("urls") or ()),
            comments=tuple(data.get("comments") or ()),
            abstract=str(data.get("abstract") or ""),
            abstract_versions=tuple(data.get("abstract_versions") or ()),
            sources=tuple(SourceRef.from_dict(s) for s in data.get("sources") or ()),
            provenance=dict(data.get("provenance") or {}),
        )

    @property
    def identities(self) -> tuple[str, ...]:
        """The key and every alias: all names this paper answers to."""
        return (self.key, *self.aliases)


@dataclass(frozen=True, slots=True)
class PaperState:
    """One user's marks on one paper. ``changed`` maps a field to its ISO-8601 change time."""

    read: bool = False
    starred: bool = False
    note: str = ""
    tags: tuple[str, ...] = ()
    changed: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.read or self.starred or self.note or self.tags)

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "starred": self.starred,
            "note": self.note,
            "tags": list(self.tags),
        }


EMPTY_STATE = PaperState()


def newest_first_order(papers: Sequence[Paper]) -> list[int]:
    """Indices of PAPERS by date, newest first, undated last; ties keep their order.

    The list's default order and the search index's positions."""
    dates = [paper.date or "" for paper in papers]
    return sorted(range(len(papers)), key=dates.__getitem__, reverse=True)
