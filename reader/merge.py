"""Records to papers: one paper per real paper, the cleanest fact for each field, stable keys.

Records are first put in a content order (never input order), then joined with union-find
over small blocks (same arXiv id, same normalised title, same abstract opening or closing)
so 100k records merge in seconds; within a block rapidfuzz decides.  Different arXiv ids
never join.  Each paper's key is derived from its primary identity (title fingerprint before
arXiv id, so a later file adding the id keeps the key) unless an earlier store already gave
one of its identities a key, which is then kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from reader.models import (
    LAYOUT_INLINE,
    LAYOUT_STORE,
    Paper,
    ParseIssue,
    Record,
    SourceRef,
)
from reader.sources.authors import is_clean_author_list

#: Abstract openings/closings shared by more items than this are re-blocked more finely.
MAX_BLOCK = 200
OPENING_WORDS = 6
PREFIX_CHARS = 200
IDENTITY_WORDS = 20
_SORT_FIELDS = ("title", "abstract", "arxiv_id", "date", "updated", "category", "doi")
_FACT_FIELDS = (
    *("authors", "authors_truncated", "affiliations", "category", "date", "updated"),
    *("arxiv_id", "doi", "has_code", "urls", "comments"),
)


@dataclass(frozen=True)
class MergeResult:
    """Merged papers (sorted by key), how many items were folded into others, and issues."""

    papers: list[Paper]
    merges: int
    issues: list[ParseIssue] = field(default_factory=list)


@dataclass
class _Item:
    """A record, or a stored paper re-entering the merge, with its normalised forms."""

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


_LATEX_ACCENT = re.compile(r"\\[^A-Za-z\s]|[{}$]")
_NON_WORD = re.compile(r"[\W_]+")
_ASCII_PUNCT = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalnum()})
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def normalise_text(text: str) -> str:
    """Casefolded words only: LaTeX accents and markup, accents and punctuation dropped."""
    if "\\" in text or "$" in text or "{" in text:
        text = _LATEX_ACCENT.sub("", text).replace("\\", " ")
    if text.isascii():  # fast path: most listing text
        return " ".join(text.casefold().translate(_ASCII_PUNCT).split())
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def fingerprint(text: str, chars: int = 12) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()[:chars]


def _from_record(record: Record) -> _Item:
    values = {name: getattr(record, name) for name in _FACT_FIELDS}
    return _Item(
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


def _from_paper(paper: Paper) -> _Item:
    values = {name: getattr(paper, name) for name in _FACT_FIELDS}
    sources = paper.sources or (SourceRef(f"store:{paper.key}", 1, LAYOUT_STORE),)
    item = _Item(
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


class _UnionFind:
    """Union-find whose components never join two different arXiv ids."""

    def __init__(self, items: list[_Item]) -> None:
        self.parent = list(range(len(items)))
        self.ids = [{i.fields["arxiv_id"]} - {None} for i in items]

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def conflict(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        return bool(self.ids[ra] and self.ids[rb] and self.ids[ra] != self.ids[rb])

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.conflict(ra, rb):
            return False
        ra, rb = min(ra, rb), max(ra, rb)
        self.parent[rb] = ra
        self.ids[ra] |= self.ids[rb]
        return True


def _abstracts_match(a: _Item, b: _Item) -> bool:
    """Same paper by abstract: near-equal openings, or one a truncated copy of the other."""
    for x in filter(None, a.norm_abstracts):
        for y in filter(None, b.norm_abstracts):
            short, long_ = sorted((x, y), key=len)
            if len(short) >= 80 and long_.startswith(short[: max(80, len(short) - 20)]):
                return True
            if fuzz.ratio(x[:PREFIX_CHARS], y[:PREFIX_CHARS]) < 90:
                continue
            if not (a.norm_title and b.norm_title) or a.norm_title == b.norm_title:
                return True
            if fuzz.ratio(x, y) >= 90:  # differently titled: only near-identical abstracts
                return True
    return False


def _clearly_different(a: _Item, b: _Item) -> bool:
    x = next(filter(None, a.norm_abstracts), "")
    y = next(filter(None, b.norm_abstracts), "")
    if not x or not y:
        return False
    return fuzz.ratio(x[:PREFIX_CHARS], y[:PREFIX_CHARS]) < 60 and fuzz.token_set_ratio(x, y) < 60


def _cluster(items: list[_Item], issues: list[ParseIssue]) -> list[list[int]]:
    uf = _UnionFind(items)
    by_id: dict[str, list[int]] = defaultdict(list)
    by_title: dict[str, list[int]] = defaultdict(list)
    by_words: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        if item.fields["arxiv_id"]:
            by_id[str(item.fields["arxiv_id"])].append(index)
        if item.norm_title:
            by_title[item.norm_title].append(index)
        for text in item.norm_abstracts:
            head = text[:300].split()[:OPENING_WORDS]
            if len(head) == OPENING_WORDS:
                by_words["<" + " ".join(head)].append(index)
                by_words[">" + " ".join(text[-300:].split()[-OPENING_WORDS:])].append(index)
    for members in by_id.values():
        for other in members[1:]:
            uf.union(members[0], other)
    for members in by_title.values():
        for pos, b in enumerate(members):
            for a in members[:pos]:
                if uf.find(a) == uf.find(b) or _clearly_different(items[a], items[b]):
                    continue
                if not uf.union(a, b):
                    src = items[b].sources[0]
                    issues.append(
                        ParseIssue(
                            src.file,
                            src.line,
                            "same title as another entry but a different arXiv id "
                            f"({items[a].fields['arxiv_id']} vs {items[b].fields['arxiv_id']}): "
                            "kept apart",
                        )
                    )
                    break
    for key in sorted(by_words):
        for block in _fine_blocks(items, sorted(set(by_words[key]))):
            _match_block(items, block, uf)
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(items)):
        groups[uf.find(index)].append(index)
    return [groups[root] for root in sorted(groups)]


def _fine_blocks(items: list[_Item], members: list[int]) -> Iterable[list[int]]:
    if len(members) < 2:
        return []
    if len(members) <= MAX_BLOCK:
        return [members]
    finer: dict[str, list[int]] = defaultdict(list)
    for index in members:
        for text in items[index].norm_abstracts:
            finer[text[:PREFIX_CHARS]].append(index)
    return [sorted(set(v)) for _k, v in sorted(finer.items()) if 1 < len(v) <= MAX_BLOCK]


def _match_block(items: list[_Item], block: list[int], uf: _UnionFind) -> None:
    for pos, b in enumerate(block):
        for a in block[:pos]:
            if uf.find(a) != uf.find(b) and _abstracts_match(items[a], items[b]):
                uf.union(a, b)


def _vote(values: Iterable[str]) -> str | None:
    """Most common value, then alphabetical: a content rule, never input order."""
    counts = Counter(v for v in values if v)
    if not counts:
        return None
    return min(counts, key=lambda v: (-counts[v], v))


def _names_key(authors: Sequence[str]) -> tuple[str, ...]:
    return tuple(normalise_text(a) for a in authors)


def _pick_authors(members: list[_Item]) -> _Item | None:
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


def _versions(members: list[_Item]) -> list[tuple[str, str, _Item]]:
    """Distinct abstract versions, fullest first; truncated and near-identical copies dropped."""
    seen: list[tuple[str, str, _Item]] = []
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


def _union(members: list[_Item], name: str) -> tuple[str, ...]:
    values: list[str] = []
    for item in members:
        values.extend(v for v in item.fields[name] if v not in values)  # type: ignore[union-attr]
    return tuple(values)


def _build_paper(members: list[_Item]) -> tuple[Paper, list[str]]:
    """One paper from a cluster, and its identities (primary first)."""
    if len(members) == 1 and len(members[0].sources) == 1 and len(members[0].abstracts) <= 1:
        return _build_single(members[0])
    members = sorted(members, key=lambda m: m.sort_key)
    sources = sorted(
        {s for m in members for s in m.sources}, key=lambda s: (s.file, s.line, s.layout)
    )
    provenance: dict[str, int] = {}

    def note(name: str, item: _Item | None) -> None:
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
    identities = _identities(
        not derived,
        normalise_text(title),
        arxiv_id,
        [norm for _t, norm, _i in versions],
        [m.norm_title for m in titled],
        sources[0],
    )
    return paper, identities


def _build_single(item: _Item) -> tuple[Paper, list[str]]:
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
    return paper, _identities(
        item.title is not None, item.norm_title, f["arxiv_id"], [norm], [], item.sources[0]
    )


def _identities(
    titled: bool,
    norm_title: str,
    arxiv_id: object,
    norm_abstracts: Sequence[str],
    other_titles: Sequence[str],
    first: SourceRef,
) -> list[str]:
    """A paper's identities, primary first: title fingerprint > arXiv id > abstract opening."""
    identities: list[str] = []
    if titled:
        identities.append("title:" + fingerprint(norm_title))
    if arxiv_id:
        identities.append(f"arxiv:{arxiv_id}")
    for norm in norm_abstracts:
        if norm:
            identities.append("abs:" + fingerprint(" ".join(norm[:600].split()[:IDENTITY_WORDS])))
    identities.extend("title:" + fingerprint(t) for t in other_titles if t)
    if not identities:
        identities.append(f"source:{first.file}:{first.line}")
    return list(dict.fromkeys(identities))


def _new_key(identity: str, taken: set[str], reserved: set[str]) -> str:
    """10 hex chars of the identity's hash; a collision extends it deterministically."""
    digest = hashlib.blake2b(identity.encode("utf-8"), digest_size=32).hexdigest()
    for length in range(10, len(digest) + 1, 2):
        if digest[:length] not in taken and digest[:length] not in reserved:
            return digest[:length]
    counter = 1
    while f"{digest[:10]}-{counter}" in taken or f"{digest[:10]}-{counter}" in reserved:
        counter += 1
    return f"{digest[:10]}-{counter}"


def merge_records(
    records: Sequence[Record],
    *,
    existing: Sequence[Paper] = (),
    known_keys: Mapping[str, str] | None = None,
) -> MergeResult:
    """Merge parsed records (and papers already stored) into one paper per real paper."""
    issues: list[ParseIssue] = []
    items = [_from_record(r) for r in records] + [_from_paper(p) for p in existing]
    items.sort(key=lambda i: i.sort_key)
    for item in items:
        item.norm_title = normalise_text(item.title) if item.title else ""
        item.norm_abstracts = tuple(normalise_text(a) for a in item.abstracts)
    clusters = _cluster(items, issues)
    built = [(_build_paper([items[i] for i in c]), [items[i] for i in c]) for c in clusters]
    known = dict(known_keys or {})
    identity_owners = Counter(ident for (_p, idents), _m in built for ident in idents)
    order = sorted(
        range(len(built)),
        key=lambda n: (
            built[n][0][1][0],
            [(s.file, s.line, s.layout) for s in built[n][0][0].sources],
        ),
    )
    taken: set[str] = set()
    reserved = set(known.values()) | {m.key for m in items if m.key}
    papers: list[Paper] = []
    for n in order:
        (paper, identities), members = built[n]
        unique = [i for i in identities if identity_owners[i] == 1]
        old = {m.key for m in members if m.key} | {known[i] for i in unique if i in known}
        old_aliases = {a for m in members for a in m.aliases}
        free = sorted(k for k in old if k not in taken)
        key = free[0] if free else _new_key(identities[0], taken, reserved)
        taken.add(key)
        aliases = sorted((set(unique) | old | old_aliases) - {key})
        papers.append(_replace_key(paper, key, tuple(aliases)))
    papers.sort(key=lambda p: p.key)
    return MergeResult(papers, len(items) - len(papers), issues)


def _replace_key(paper: Paper, key: str, aliases: tuple[str, ...]) -> Paper:
    return dataclasses.replace(paper, key=key, aliases=aliases)
