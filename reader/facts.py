"""The cleanest fact for each field of a merged paper, chosen by content rules.

A cluster of items (records, or stored papers re-entering the merge) becomes one Paper:
the title from a line of its own over one run into an inline entry, the cleanest and most
agreed-on author list, the earliest date, every distinct abstract version (fullest first),
a readable stand-in title when no listing gave one, and provenance saying which source each
fact came from.  Every choice depends on content, never on input order, so a rebuild from
the same files gives the same papers.
"""

from __future__ import annotations

import dataclasses
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from types import MappingProxyType
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from reader.identities import Normalised, normalise_text, paper_identities
from reader.models import LAYOUT_INLINE, LAYOUT_STORE, PAPER_FIELDS, Paper, Record, SourceRef
from reader.sources.authors import is_clean_author_list
from reader.stored_abstracts import StoredPaper, shelve

if TYPE_CHECKING:
    from reader.textspool import TextSpool

#: `Paper` fields after key and aliases, in order: drafts give them positionally.
DRAFT_FIELDS = PAPER_FIELDS[2:]
if tuple(f.name for f in dataclasses.fields(Paper)) != ("key", "aliases", *DRAFT_FIELDS):
    raise ImportError("reader.facts drafts papers in PAPER_FIELDS order, which Paper no longer has")

_SOURCE_ORDER = attrgetter("file", "line", "layout")
_SORT_KEY = attrgetter("sort_key")
_NO_PROVENANCE: Mapping[str, int] = MappingProxyType({})


@dataclass(slots=True)
class MergeItem:
    """A record, or a stored paper re-entering the merge, with its texts normalised once.

    ``forms`` holds one `Normalised` per abstract (its text is ``form.raw``), shared by
    every item with that abstract.  ``sort_key`` orders items by content; once the merge
    has sorted them, it is their rank.
    """

    sources: tuple[SourceRef, ...]
    facts: Record | Paper  # authors, date, arxiv_id, ...: the fields both have
    title: str | None
    own_line: bool
    norm_title: str
    forms: tuple[Normalised, ...]
    sort_key: tuple | int
    key: str | None = None
    aliases: tuple[str, ...] = ()
    provenance: Mapping[str, int] = field(default_factory=lambda: _NO_PROVENANCE)

    @property
    def norm_abstracts(self) -> tuple[str, ...]:
        return tuple(form.whole for form in self.forms)

    def source_for(self, name: str) -> SourceRef:
        index = self.provenance.get(name, 0)
        return self.sources[index if 0 <= index < len(self.sources) else 0]


@dataclass(frozen=True)
class SpooledAbstracts:
    """The merge's abstracts, written to SPOOL: the number of each record's abstract (-1:
    none) and of each stored paper's distinct versions (see `spool_abstracts`)."""

    spool: TextSpool
    of_records: array
    of_papers: list[tuple[int, ...]]


def spool_abstracts(
    spool: TextSpool, records: Sequence[Record], papers: Sequence[Paper] = ()
) -> SpooledAbstracts:
    """Write every distinct abstract of RECORDS and PAPERS to SPOOL, and seal it.  The merge
    then normalises each once and lets go of the texts (`merge_records(spooled=...)`)."""
    add = spool.add
    of_records = array(
        "i",
        [
            add(text) if text and not text.isspace() else -1
            for text in map(attrgetter("abstract"), records)
        ],
    )
    of_papers = [tuple(map(add, _paper_abstracts(paper))) for paper in papers]
    spool.seal()
    return SpooledAbstracts(spool, of_records, of_papers)


def _paper_abstracts(paper: Paper) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in (paper.abstract, *paper.abstract_versions) if v))


def item_from_record(
    record: Record,
    known: dict[str, Normalised] | dict[int, Normalised],
    titles: dict[str, tuple[str, str | None, str]],
    owned: bool = False,
    spooled: SpooledAbstracts | None = None,
    number: int = -1,
) -> MergeItem:
    """RECORD as an item; its sort key orders by source and content, never by input order.

    KNOWN maps abstracts already seen in this merge to their forms (normalised once), TITLES
    titles to their first copy, stripped and normalised.  An OWNED record (the merge's to
    change) repeating a text takes the first copy's object, so the repeat can be freed.
    With SPOOLED abstracts, the record's is text NUMBER there, KNOWN maps numbers, and an
    owned record lets go of its abstract (its form reads it back when needed)."""
    source = record.source
    raw_title = record.title
    if raw_title:
        seen = titles.get(raw_title)
        if seen is None:
            title = raw_title.strip() or None
            seen = titles[raw_title] = (raw_title, title, normalise_text(title) if title else "")
        elif owned and seen[0] is not raw_title:
            object.__setattr__(record, "title", seen[0])
        raw_title, title, norm_title = seen
    else:
        title, norm_title = None, ""
    abstract = record.abstract
    form: Normalised | str  # in the sort key: texts order like their forms
    if spooled is not None and number >= 0:
        form = known.get(number)  # type: ignore[call-overload]
        if form is None:
            form = known[number] = Normalised(abstract, spooled.spool, number)  # type: ignore[index,arg-type]
        if owned:
            object.__setattr__(record, "abstract", None)
        forms: tuple[Normalised, ...] = (form,)
    elif abstract and not abstract.isspace():
        form = known.get(abstract)  # type: ignore[call-overload]
        if form is None:
            form = known[abstract] = Normalised(abstract)  # type: ignore[index]
        elif owned and form.raw is not abstract:
            object.__setattr__(record, "abstract", form.raw)
        forms = (form,)
    else:
        form = abstract or ""
        forms = ()
    # Positional: the most common item is built 100k times a merge.
    return MergeItem(
        (source,),
        record,
        title,
        record.title_own_line,
        norm_title,
        forms,
        (
            0,
            source.file,
            source.line,
            source.layout,
            raw_title or "",
            form,
            record.arxiv_id or "",
            record.date or "",
            record.updated or "",
            record.category or "",
            record.doi or "",
            record.authors,
        ),
        None,
        (),
        _NO_PROVENANCE,
    )


def item_from_paper(
    paper: Paper,
    known: dict[str, Normalised] | dict[int, Normalised],
    spooled: SpooledAbstracts | None = None,
    numbers: tuple[int, ...] = (),
) -> MergeItem:
    """A stored PAPER as an item: a derived title is dropped (a real one may now win), and
    its key and aliases come along so the merge can keep them.  With SPOOLED abstracts, its
    versions are the texts NUMBERS there, and KNOWN maps numbers."""
    sources = paper.sources or (SourceRef(f"store:{paper.key}", 1, LAYOUT_STORE),)
    title = None if paper.title_derived or not paper.title else paper.title
    forms: list[Normalised] = []
    if spooled is not None:
        spool = spooled.spool
        for number in numbers:
            form = known.get(number)  # type: ignore[call-overload]
            if form is None:
                form = known[number] = Normalised(spool.text(number), spool, number)  # type: ignore[index]
            forms.append(form)
    else:
        for text in _paper_abstracts(paper):
            form = known.get(text)  # type: ignore[call-overload]
            if form is None:
                form = known[text] = Normalised(text)  # type: ignore[index]
            forms.append(form)
    item = MergeItem(
        sources=sources,
        facts=paper,
        title=title,
        own_line=False,
        norm_title=normalise_text(title) if title else "",
        forms=tuple(forms),
        sort_key=(1, tuple(_SOURCE_ORDER(s) for s in sources), (paper.key,)),
        key=paper.key,
        aliases=paper.aliases,
        provenance=paper.provenance,
    )
    item.own_line = item.source_for("title").layout != LAYOUT_INLINE
    return item


def _vote(values: Iterable[str]) -> str | None:
    """Most common value, then alphabetical: a content rule, never input order."""
    counts: dict[str, int] = {}
    for value in values:
        if value:
            counts[value] = counts.get(value, 0) + 1
    if len(counts) < 2:
        return next(iter(counts), None)
    return min(counts, key=lambda v: (-counts[v], v))


def _pick_authors(members: list[MergeItem]) -> MergeItem | None:
    """Clean over garbled, then agreeing with the other lists, then complete, then longer."""
    lists = [m for m in members if m.facts.authors]
    if len(lists) < 2:
        return lists[0] if lists else None
    if len({tuple(m.facts.authors) for m in lists}) == 1:  # type: ignore[arg-type]
        # One list in several copies: cleanliness, agreement and length tie; completeness decides.
        return min(lists, key=lambda m: bool(m.facts.authors_truncated))
    # Copies of one paper mostly repeat one author list: judge each distinct list once.
    judged: dict[tuple[str, ...], tuple[bool, tuple[str, ...]]] = {}
    for m in lists:
        authors = tuple(m.facts.authors)  # type: ignore[arg-type]
        if authors not in judged:
            names = tuple(normalise_text(a) for a in authors)
            judged[authors] = (not is_clean_author_list(authors), names)
    keys = Counter(judged[tuple(m.facts.authors)][1] for m in lists)  # type: ignore[arg-type]

    def agreement(names: tuple[str, ...]) -> int:
        return sum(
            count for other, count in keys.items() if other[: len(names)] == names[: len(other)]
        )

    def rank(item: MergeItem) -> tuple:
        authors = tuple(item.facts.authors)  # type: ignore[arg-type]
        garbled, names = judged[authors]
        return (
            garbled,
            -agreement(names),
            bool(item.facts.authors_truncated),
            -len(authors),
            authors,
        )

    return min(lists, key=rank)


def _version_order(version: tuple[Normalised, str, MergeItem]) -> tuple:
    return (-len(version[1]), version[0], version[2].sort_key)  # forms order by their text


def _versions(members: list[MergeItem]) -> list[tuple[Normalised, str, MergeItem]]:
    """Distinct abstract versions, fullest first; truncated and near-identical copies dropped.

    Each is (form, normalised, item); when all copies share one text (nine clusters in ten)
    its normalised form is the exact opening (`Normalised.head`), enough for its identity.
    """
    forms = [form for m in members for form in m.forms]
    if forms and all(form is forms[0] for form in forms):
        form = forms[0]
        if not form.head:
            return []
        return [(form, form.head, min((m for m in members if m.forms), key=_SORT_KEY))]
    pool = [(form, form.whole, m) for m in members for form in m.forms]
    pool.sort(key=_version_order)
    seen: list[tuple[Normalised, str, MergeItem]] = []
    for version in pool:
        norm = version[1]
        if not norm:
            continue
        for _t, kept, _i in seen:
            if kept.startswith(norm) or fuzz.ratio(kept, norm, score_cutoff=97):
                break
        else:
            seen.append(version)
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
        for value in getattr(item.facts, name):
            if value not in values:
                values.append(value)
    return tuple(values)


def paper_draft(members: list[MergeItem]) -> tuple[Paper, list[str]]:
    """A cluster's paper as a draft (every field but the key and aliases, left empty: the
    merge gives them once every paper's identities are known), and its identities (primary
    first)."""
    if len(members) == 1 and len(members[0].sources) == 1 and len(members[0].forms) <= 1:
        return _single_draft(members[0])
    members = sorted(members, key=_SORT_KEY)
    distinct: dict[tuple[str, int, str], SourceRef] = {}  # by value, without SourceRef hashing
    for m in members:
        for source in m.sources:
            distinct.setdefault(_SOURCE_ORDER(source), source)
    order = sorted(distinct)
    sources = [distinct[k] for k in order]
    position = {k: index for index, k in enumerate(order)}

    # One pass gathers what the choices below read (a pass per field cost more than they did).
    titled: list[MergeItem] = []
    counts: dict[str | None, int] = {}
    dated: list[MergeItem] = []
    updates: list[str] = []
    categories: list[str] = []
    arxiv_ids: list[str] = []
    dois: list[str] = []
    has_code = False
    for m in members:
        f = m.facts
        if m.title:
            titled.append(m)
            counts[m.title] = counts.get(m.title, 0) + 1
        if f.date:
            dated.append(m)
        if f.updated:
            updates.append(str(f.updated))
        if f.has_code:
            has_code = True
        if f.category:
            categories.append(str(f.category))
        if f.arxiv_id:
            arxiv_ids.append(str(f.arxiv_id))
        if f.doi:
            dois.append(str(f.doi))
    title_item = (
        titled[0]
        if len(titled) == 1
        else min(
            titled,
            key=lambda m: (not m.own_line, -counts[m.title], -len(m.title or ""), m.title),
            default=None,
        )
    )
    versions = _versions(members)
    abstract_item = versions[0][2] if versions else None
    # Provenance names the source of each field's value, in this order (abstract first).
    provenance: dict[str, int] = {}
    if abstract_item is not None:
        provenance["abstract"] = position[_SOURCE_ORDER(abstract_item.source_for("abstract"))]
    if title_item is not None:
        title, norm_title, derived = title_item.title or "", title_item.norm_title, False
        provenance["title"] = position[_SOURCE_ORDER(title_item.source_for("title"))]
    else:
        abstract = versions[0][0].raw if versions else ""
        title, norm_title, derived = _derived_title(abstract, sources[0]), "", True
    author_item = _pick_authors(members)
    if author_item is not None and author_item.facts.authors:
        provenance["authors"] = position[_SOURCE_ORDER(author_item.source_for("authors"))]
    date_item = (
        dated[0]
        if len(dated) == 1
        else min(dated, key=lambda m: (m.facts.date, m.sort_key), default=None)
    )
    if date_item is not None:
        provenance["date"] = position[_SOURCE_ORDER(date_item.source_for("date"))]
    category = _vote(categories)
    item = next((m for m in members if m.facts.category == category), None) if category else None
    if item is not None:
        provenance["category"] = position[_SOURCE_ORDER(item.source_for("category"))]
    arxiv_id = _vote(arxiv_ids)
    item = next((m for m in members if m.facts.arxiv_id == arxiv_id), None) if arxiv_id else None
    if item is not None:
        provenance["arxiv_id"] = position[_SOURCE_ORDER(item.source_for("arxiv_id"))]
    draft = _drafted(
        (
            title,
            derived,
            tuple(author_item.facts.authors) if author_item else (),
            bool(author_item.facts.authors_truncated) if author_item else False,
            _union(members, "affiliations"),
            category,
            str(date_item.facts.date) if date_item else None,
            max(updates) if updates else None,
            arxiv_id,
            _vote(dois),
            has_code,
            _union(members, "urls"),
            _union(members, "comments"),
        ),
        [form for form, _n, _i in versions],
        tuple(sources),
        provenance,
    )
    identities = paper_identities(
        not derived,
        norm_title,
        arxiv_id,
        [norm for _t, norm, _i in versions],
        [m.norm_title for m in titled],
        sources[0],
    )
    return draft, identities


def _drafted(
    fields: tuple, forms: Sequence[Normalised], sources: tuple[SourceRef, ...], provenance: Mapping
) -> Paper:
    """A draft of FIELDS (title .. comments, in order) whose abstract versions are FORMS:
    their texts, or a StoredPaper reading them from the spool they are written to."""
    spool = forms[0].spool if forms else None
    if spool is not None and (len(forms) == 1 or all(form.spool is spool for form in forms)):
        draft = StoredPaper("", (), *fields, "", (), sources, provenance)
        shelve(draft, spool, spool.place(tuple([form.number for form in forms])))
        return draft
    texts = tuple([form.raw for form in forms])
    return Paper("", (), *fields, texts[0] if texts else "", texts, sources, provenance)


def _distinct(values: Sequence[str]) -> tuple[str, ...]:
    if len(values) < 2 and type(values) is tuple:
        return values
    return tuple(dict.fromkeys(values))


#: A lone item's provenance (every fact from its one source), by which of these it has
#: (bit n: _SINGLE_FACTS[n]), shared by all such papers as the store's loader shares them
#: (a dict each was 15 MB at 100k).
_SINGLE_FACTS = ("title", "authors", "date", "category", "abstract", "arxiv_id")
_SINGLE_PROVENANCE: list[Mapping[str, int]] = [
    {name: 0 for bit, name in enumerate(_SINGLE_FACTS) if has >> bit & 1} for has in range(64)
]


def _single_draft(item: MergeItem) -> tuple[Paper, list[str]]:
    """The common case (a paper one listing named once), without the voting machinery."""
    f = item.facts
    authors = f.authors
    arxiv_id = f.arxiv_id
    has_abstract = bool(item.forms and item.forms[0].head)
    provenance = _SINGLE_PROVENANCE[
        (1 if item.title else 0)
        | (2 if authors else 0)
        | (4 if f.date else 0)
        | (8 if f.category else 0)
        | (16 if has_abstract else 0)
        | (32 if arxiv_id else 0)
    ]
    title = item.title
    if title is None:
        title = _derived_title(item.forms[0].raw if has_abstract else "", item.sources[0])
    draft = _drafted(
        (
            title,
            item.title is None,
            tuple(authors),
            bool(f.authors_truncated) and bool(authors),
            _distinct(f.affiliations),
            f.category,
            f.date,
            f.updated,
            arxiv_id,
            f.doi,
            bool(f.has_code),
            _distinct(f.urls),
            _distinct(f.comments),
        ),
        item.forms if has_abstract else (),
        item.sources,
        provenance,
    )
    norms = (item.forms[0].head,) if has_abstract else ()  # exact opening: enough for the id
    identities = paper_identities(
        item.title is not None, item.norm_title, arxiv_id, norms, (), item.sources[0]
    )
    return draft, identities
