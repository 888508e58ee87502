"""The cleanest fact for each field of a merged paper, chosen by content rules.

A cluster of items (records, or stored papers re-entering the merge) becomes one Paper:
the title from a line of its own over one run into an inline entry, the cleanest and most
agreed-on author list, the earliest date, every distinct abstract version (fullest first),
a readable stand-in title when no listing gave one, and provenance saying which source each
fact came from.  Every choice depends on content, never on input order, so a rebuild from
the same files gives the same papers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from reader.identities import normalise_text, paper_identities
from reader.models import LAYOUT_INLINE, LAYOUT_STORE, Paper, Record, SourceRef
from reader.sources.authors import is_clean_author_list

_SORT_FIELDS = ("title", "abstract", "arxiv_id", "date", "updated", "category", "doi")
_FACT_FIELDS = (
    *("authors", "authors_truncated", "affiliations", "category", "date", "updated"),
    *("arxiv_id", "doi", "has_code", "urls", "comments"),
)


@dataclass
class MergeItem:
    """A record, or a stored paper re-entering the merge, with its normalised forms.

    The merge fills ``norm_title`` and ``norm_abstracts`` once, before clustering.
    """

    sources: tuple[SourceRef, ...]
    fields: dict[str, object]
    title: str | None
    own_line: bool
    abstracts: tuple[str, ...]
    key: str | None = None
    aliases: tuple[str, ...] = ()
    provenance: Mapping[str, int] = field(default_factory=dict)
    sort_key: tuple = ()
    norm_title: str = ""
    norm_abstracts: tuple[str, ...] = ()

    def source_for(self, name: str) -> SourceRef:
        index = self.provenance.get(name, 0)
        return self.sources[index if 0 <= index < len(self.sources) else 0]


def item_from_record(record: Record) -> MergeItem:
    """RECORD as an item; its sort key orders by source and content, never by input order."""
    values = {name: getattr(record, name) for name in _FACT_FIELDS}
    return MergeItem(
        sources=(record.source,),
        fields=values,
        title=record.title.strip() if record.title and record.title.strip() else None,
        own_line=record.title_own_line,
        abstracts=(record.abstract,) if record.abstract and record.abstract.strip() else (),
        sort_key=(
            0,
            (record.source.file, record.source.line, record.source.layout),
            tuple(getattr(record, name) or "" for name in _SORT_FIELDS),
            record.authors,
        ),
    )


def item_from_paper(paper: Paper) -> MergeItem:
    """A stored PAPER as an item: a derived title is dropped (a real one may now win), and
    its key and aliases come along so the merge can keep them."""
    values = {name: getattr(paper, name) for name in _FACT_FIELDS}
    sources = paper.sources or (SourceRef(f"store:{paper.key}", 1, LAYOUT_STORE),)
    item = MergeItem(
        sources=sources,
        fields=values,
        title=None if paper.title_derived or not paper.title else paper.title,
        own_line=False,
        abstracts=tuple(v for v in (paper.abstract, *paper.abstract_versions) if v),
        key=paper.key,
        aliases=paper.aliases,
        provenance=paper.provenance,
        sort_key=(1, tuple((s.file, s.line, s.layout) for s in sources), (paper.key,)),
    )
    item.own_line = item.source_for("title").layout != LAYOUT_INLINE
    item.abstracts = tuple(dict.fromkeys(item.abstracts))
    return item


def _vote(values: Iterable[str]) -> str | None:
    """Most common value, then alphabetical: a content rule, never input order."""
    counts = Counter(v for v in values if v)
    if not counts:
        return None
    return min(counts, key=lambda v: (-counts[v], v))


def _names_key(authors: Sequence[str]) -> tuple[str, ...]:
    return tuple(normalise_text(a) for a in authors)


def _pick_authors(members: list[MergeItem]) -> MergeItem | None:
    """Clean over garbled, then agreeing with the other lists, then complete, then longer."""
    lists = [m for m in members if m.fields["authors"]]
    if len(lists) < 2:
        return lists[0] if lists else None
    keys = [_names_key(m.fields["authors"]) for m in lists]  # type: ignore[arg-type]

    def agrees(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        n = min(len(a), len(b))
        return a[:n] == b[:n]

    def rank(pos: int) -> tuple:
        item = lists[pos]
        authors = item.fields["authors"]
        agreement = sum(1 for k in keys if agrees(k, keys[pos])) - 1
        return (
            not is_clean_author_list(authors),  # type: ignore[arg-type]
            -agreement,
            bool(item.fields["authors_truncated"]),
            -len(authors),  # type: ignore[arg-type]
            tuple(authors),  # type: ignore[arg-type]
        )

    return lists[min(range(len(lists)), key=rank)]


def _versions(members: list[MergeItem]) -> list[tuple[str, str, MergeItem]]:
    """Distinct abstract versions, fullest first; truncated and near-identical copies dropped."""
    seen: list[tuple[str, str, MergeItem]] = []
    pool = sorted(
        (
            (text, norm, m)
            for m in members
            for text, norm in zip(m.abstracts, m.norm_abstracts, strict=True)
        ),
        key=lambda t: (-len(t[1]), t[0], t[2].sort_key),
    )
    for text, norm, item in pool:
        if not norm:
            continue
        if any(
            kept.startswith(norm) or fuzz.ratio(kept, norm, score_cutoff=97)
            for _t, kept, _i in seen
        ):
            continue
        seen.append((text, norm, item))
    return seen


def _derived_title(abstract: str, source: SourceRef) -> str:
    """A readable stand-in from the abstract: its first sentence, or its first 12 words."""
    text = " ".join(abstract.split())
    if not text:
        return f"Untitled entry ({source.file}:{source.line})"
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    words = sentence.split()
    if len(words) <= 15:
        return sentence
    return " ".join(words[:12]).rstrip(",;:") + "…"


def _union(members: list[MergeItem], name: str) -> tuple[str, ...]:
    values: list[str] = []
    for item in members:
        values.extend(v for v in item.fields[name] if v not in values)  # type: ignore[union-attr]
    return tuple(values)


def build_paper(members: list[MergeItem]) -> tuple[Paper, list[str]]:
    """One paper from a cluster, and its identities (primary first)."""
    if len(members) == 1 and len(members[0].sources) == 1 and len(members[0].abstracts) <= 1:
        return _build_single(members[0])
    members = sorted(members, key=lambda m: m.sort_key)
    sources = sorted(
        {s for m in members for s in m.sources}, key=lambda s: (s.file, s.line, s.layout)
    )
    provenance: dict[str, int] = {}

    def note(name: str, item: MergeItem | None) -> None:
        if item is not None and (name in ("title", "abstract") or item.fields.get(name)):
            provenance[name] = sources.index(item.source_for(name))

    titled = [m for m in members if m.title]
    counts = Counter(m.title for m in titled)
    title_item = min(
        titled,
        key=lambda m: (not m.own_line, -counts[m.title], -len(m.title or ""), m.title),
        default=None,
    )
    versions = _versions(members)
    abstract, _norm, abstract_item = versions[0] if versions else ("", "", None)
    note("abstract", abstract_item)
    if title_item is not None:
        title, derived = title_item.title or "", False
        note("title", title_item)
    else:
        title, derived = _derived_title(abstract, sources[0]), True
    author_item = _pick_authors(members)
    note("authors", author_item)
    dated = [m for m in members if m.fields["date"]]
    date_item = min(dated, key=lambda m: (m.fields["date"], m.sort_key), default=None)
    note("date", date_item)
    category = _vote(str(m.fields["category"]) for m in members if m.fields["category"])
    note("category", next((m for m in members if m.fields["category"] == category), None))
    arxiv_id = _vote(str(m.fields["arxiv_id"]) for m in members if m.fields["arxiv_id"])
    note("arxiv_id", next((m for m in members if m.fields["arxiv_id"] == arxiv_id), None))
    updates = [str(m.fields["updated"]) for m in members if m.fields["updated"]]
    paper = Paper(
        key="",
        title=title,
        title_derived=derived,
        authors=tuple(author_item.fields["authors"]) if author_item else (),  # type: ignore[arg-type]
        authors_truncated=bool(author_item.fields["authors_truncated"]) if author_item else False,
        affiliations=_union(members, "affiliations"),
        category=category,
        date=str(date_item.fields["date"]) if date_item else None,
        updated=max(updates) if updates else None,
        arxiv_id=arxiv_id,
        doi=_vote(str(m.fields["doi"]) for m in members if m.fields["doi"]),
        has_code=any(bool(m.fields["has_code"]) for m in members),
        urls=_union(members, "urls"),
        comments=_union(members, "comments"),
        abstract=abstract,
        abstract_versions=tuple(text for text, _n, _i in versions),
        sources=tuple(sources),
        provenance=provenance,
    )
    identities = paper_identities(
        not derived,
        normalise_text(title),
        arxiv_id,
        [norm for _t, norm, _i in versions],
        [m.norm_title for m in titled],
        sources[0],
    )
    return paper, identities


def _build_single(item: MergeItem) -> tuple[Paper, list[str]]:
    """The common case (a paper one listing named once), without the voting machinery."""
    f = item.fields
    abstract = item.abstracts[0] if item.abstracts and item.norm_abstracts[0] else ""
    title = item.title or _derived_title(abstract, item.sources[0])
    provenance = {
        name: 0
        for name, value in (
            ("title", item.title),
            ("authors", f["authors"]),
            ("date", f["date"]),
            ("category", f["category"]),
            ("abstract", abstract),
            ("arxiv_id", f["arxiv_id"]),
        )
        if value
    }
    paper = Paper(
        key="",
        title=title,
        title_derived=item.title is None,
        authors=tuple(f["authors"]),  # type: ignore[arg-type]
        authors_truncated=bool(f["authors_truncated"]) and bool(f["authors"]),
        affiliations=tuple(dict.fromkeys(f["affiliations"])),  # type: ignore[arg-type]
        category=f["category"],  # type: ignore[arg-type]
        date=f["date"],  # type: ignore[arg-type]
        updated=f["updated"],  # type: ignore[arg-type]
        arxiv_id=f["arxiv_id"],  # type: ignore[arg-type]
        doi=f["doi"],  # type: ignore[arg-type]
        has_code=bool(f["has_code"]),
        urls=tuple(dict.fromkeys(f["urls"])),  # type: ignore[arg-type]
        comments=tuple(dict.fromkeys(f["comments"])),  # type: ignore[arg-type]
        abstract=abstract,
        abstract_versions=(abstract,) if abstract else (),
        sources=item.sources,
        provenance=provenance,
    )
    norm = item.norm_abstracts[0] if abstract else ""
    return paper, paper_identities(
        item.title is not None, item.norm_title, f["arxiv_id"], [norm], [], item.sources[0]
    )
