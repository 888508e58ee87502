"""Records to papers: one paper per real paper, the cleanest fact for each field, stable keys.

Records are first put in a content order (never input order), then joined with union-find
over small blocks (same arXiv id, same normalised title, same abstract opening or closing)
so 100k records merge in seconds; within a block rapidfuzz decides.  Different arXiv ids
never join.  Each paper's key is derived from its primary identity (title fingerprint before
arXiv id, so a later file adding the id keeps the key) unless an earlier store already gave
one of its identities a key, which is then kept.

This module owns the grouping and the keys' assignment; ``reader.facts`` chooses each
field's value within a group and ``reader.identities`` says what a paper is known by.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from reader.facts import MergeItem, build_paper, item_from_paper, item_from_record
from reader.identities import new_key, normalise_text
from reader.models import Paper, ParseIssue, Record

#: Abstract openings/closings shared by more items than this are re-blocked more finely.
MAX_BLOCK = 200
OPENING_WORDS = 6
PREFIX_CHARS = 200


@dataclass(frozen=True)
class MergeResult:
    """Merged papers (sorted by key), how many items were folded into others, and issues."""

    papers: list[Paper]
    merges: int
    issues: list[ParseIssue] = field(default_factory=list)


class _UnionFind:
    """Union-find whose components never join two different arXiv ids."""

    def __init__(self, items: list[MergeItem]) -> None:
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


def _abstracts_match(a: MergeItem, b: MergeItem) -> bool:
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


def _clearly_different(a: MergeItem, b: MergeItem) -> bool:
    x = next(filter(None, a.norm_abstracts), "")
    y = next(filter(None, b.norm_abstracts), "")
    if not x or not y:
        return False
    return fuzz.ratio(x[:PREFIX_CHARS], y[:PREFIX_CHARS]) < 60 and fuzz.token_set_ratio(x, y) < 60


def _cluster(items: list[MergeItem], issues: list[ParseIssue]) -> list[list[int]]:
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


def _fine_blocks(items: list[MergeItem], members: list[int]) -> Iterable[list[int]]:
    if len(members) < 2:
        return []
    if len(members) <= MAX_BLOCK:
        return [members]
    finer: dict[str, list[int]] = defaultdict(list)
    for index in members:
        for text in items[index].norm_abstracts:
            finer[text[:PREFIX_CHARS]].append(index)
    return [sorted(set(v)) for _k, v in sorted(finer.items()) if 1 < len(v) <= MAX_BLOCK]


def _match_block(items: list[MergeItem], block: list[int], uf: _UnionFind) -> None:
    for pos, b in enumerate(block):
        for a in block[:pos]:
            if uf.find(a) != uf.find(b) and _abstracts_match(items[a], items[b]):
                uf.union(a, b)


def merge_records(
    records: Sequence[Record],
    *,
    existing: Sequence[Paper] = (),
    known_keys: Mapping[str, str] | None = None,
) -> MergeResult:
    """Merge parsed records (and papers already stored) into one paper per real paper."""
    issues: list[ParseIssue] = []
    items = [item_from_record(r) for r in records] + [item_from_paper(p) for p in existing]
    items.sort(key=lambda i: i.sort_key)
    for item in items:
        item.norm_title = normalise_text(item.title) if item.title else ""
        item.norm_abstracts = tuple(normalise_text(a) for a in item.abstracts)
    clusters = _cluster(items, issues)
    built = [(build_paper([items[i] for i in c]), [items[i] for i in c]) for c in clusters]
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
        key = free[0] if free else new_key(identities[0], taken, reserved)
        taken.add(key)
        aliases = sorted((set(unique) | old | old_aliases) - {key})
        papers.append(_replace_key(paper, key, tuple(aliases)))
    papers.sort(key=lambda p: p.key)
    return MergeResult(papers, len(items) - len(papers), issues)


def _replace_key(paper: Paper, key: str, aliases: tuple[str, ...]) -> Paper:
    return dataclasses.replace(paper, key=key, aliases=aliases)
