"""Records to papers: one paper per real paper, the cleanest fact for each field, stable keys.

Records are first put in a content order (never input order), then joined with union-find
over small blocks (same arXiv id, same normalised title, same abstract opening or closing)
so 100k records merge in seconds; within a block rapidfuzz decides, and abstract matches
join best first.  Different arXiv ids never join, nor do abstract matches join papers whose
titles disagree.  Each paper's key is derived from its primary identity (title fingerprint
before arXiv id, so a later file adding the id keeps the key) unless an earlier store
already gave one of its identities a key, which is then kept.

This module owns the grouping and the keys' assignment; ``reader.facts`` chooses each
field's value within a group and ``reader.identities`` says what a paper is known by.
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter

from rapidfuzz import fuzz

from reader.facts import (
    MergeItem,
    SpooledAbstracts,
    item_from_paper,
    item_from_record,
    paper_draft,
)
from reader.heap import give_back_freed_memory
from reader.identities import (
    END_CHARS,
    END_WORDS,
    HEAD_MIN_CHARS,
    HEAD_MIN_WORDS,
    TAIL_MIN_WORDS,
    Normalised,
    new_key,
)
from reader.models import Paper, ParseIssue, Record

#: Abstract openings/closings shared by more items than this are re-blocked more finely.
MAX_BLOCK = 200
PREFIX_CHARS = 200
#: A truncated copy shares at least this many leading characters with the full abstract.
TRUNCATED_SHARE = 80
# Blocking and the first tests of a pair read only the exact ends of each abstract.
assert TRUNCATED_SHARE <= PREFIX_CHARS <= HEAD_MIN_CHARS
assert min(HEAD_MIN_WORDS, TAIL_MIN_WORDS) >= END_WORDS


#: Records whose abstracts are let go of (see `merge_records`'s SPOOLED) before the C heap
#: is trimmed: else their 100+ MB at 100k would stay mapped while the items grow.
_TRIM_EVERY = 16384


@dataclass(frozen=True)
class MergeResult:
    """Merged papers (sorted by key), how many items were folded into others, and issues."""

    papers: list[Paper]
    merges: int
    issues: list[ParseIssue] = field(default_factory=list)


class _UnionFind:
    """Union-find whose components never join two different arXiv ids, nor (when asked)
    two sets of titles of which none agrees with the other.

    A component holds at most one id (a union that would bring a second is refused), so
    each root keeps that id or None, and the normalised titles of its members (one item's
    title as it is: a 1-tuple each was 6 MB at 100k).
    """

    def __init__(self, items: list[MergeItem], indexes: list[int]) -> None:
        self.parent = indexes[:]  # 0..n-1
        self.ids: list[object] = [i.facts.arxiv_id or None for i in items]
        self.titles: list[str | tuple[str, ...]] = [i.norm_title for i in items]

    def find(self, a: int) -> int:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: int, b: int, *, titles_agree: bool = False) -> bool:
        """Join A's and B's components; False if their arXiv ids differ, or if TITLES_AGREE
        is asked and both have titles of which none agrees with one of the other's."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        id_a, id_b = self.ids[ra], self.ids[rb]
        if id_a and id_b and id_a != id_b:
            return False
        titles_a, titles_b = _as_tuple(self.titles[ra]), _as_tuple(self.titles[rb])
        if (
            titles_agree
            and titles_a
            and titles_b
            and not any(_titles_agree(x, y) for x in titles_a for y in titles_b)
        ):
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.ids[ra] = id_a or id_b
        if titles_b:
            self.titles[ra] = tuple(dict.fromkeys((*titles_a, *titles_b)))
        return True


def _as_tuple(titles: str | tuple[str, ...]) -> tuple[str, ...]:
    if type(titles) is str:
        return (titles,) if titles else ()
    return titles  # type: ignore[return-value]


def _titles_agree(x: str, y: str) -> bool:
    """Normalised titles of one paper: equal, or one cut short or run on by a listing whose
    title runs into its authors (`magistral` and `magistralmistral ai abhinav rastogi`)."""
    return x.startswith(y) or y.startswith(x)


def _abstracts_match(a: MergeItem, b: MergeItem) -> bool:
    """Same paper by abstract: near-equal openings, or one a truncated copy of the other.

    Two titled entries whose titles disagree are different papers whatever their abstracts
    (the same abstract under another title is another paper); this also spares most pairs
    of a block sharing a common opening any comparison.  Decided on the exact openings
    (`Normalised.head`, at least PREFIX_CHARS long or whole) where they suffice, so most
    pairs never normalise their whole abstracts.
    """
    retitled = bool(a.norm_title and b.norm_title and a.norm_title != b.norm_title)
    if retitled and not _titles_agree(a.norm_title, b.norm_title):
        return False
    for fx in a.forms:
        hx = fx.head
        if not hx:
            continue
        for fy in b.forms:
            hy = fy.head
            if not hy:
                continue
            if fx is fy:  # one text: every test below passes, without normalising it whole
                return True
            if hx[:TRUNCATED_SHARE] == hy[:TRUNCATED_SHARE]:  # else neither truncates the other
                x, y = fx.whole, fy.whole
                short, long_ = (y, x) if len(y) < len(x) else (x, y)
                if len(short) >= TRUNCATED_SHARE and long_.startswith(
                    short[: max(TRUNCATED_SHARE, len(short) - 20)]
                ):
                    return True
            if fuzz.ratio(hx[:PREFIX_CHARS], hy[:PREFIX_CHARS], score_cutoff=90) < 90:
                continue
            if not retitled:
                return True
            # One title run on or cut short: only near-identical abstracts.
            if fuzz.ratio(fx.whole, fy.whole, score_cutoff=90) >= 90:
                return True
    return False


def _clearly_different(a: MergeItem, b: MergeItem) -> bool:
    fx = next((f for f in a.forms if f.head), None)
    fy = next((f for f in b.forms if f.head), None)
    if fx is None or fy is None:
        return False
    return (
        fuzz.ratio(fx.head[:PREFIX_CHARS], fy.head[:PREFIX_CHARS]) < 60
        and fuzz.token_set_ratio(fx.whole, fy.whole) < 60
    )


def _cluster(
    items: list[MergeItem], indexes: list[int], issues: list[ParseIssue]
) -> list[list[int]]:
    uf = _UnionFind(items, indexes)
    find = uf.find
    # Blocks by arXiv id, title and abstract ends: each dict maps a key to the first index
    # that has it, and its `shared` dict to the indexes of all that have it (in index order)
    # once a second does.  Most keys are had by one item: a list each was 25 MB at 100k.
    by_id: dict[str, int] = {}
    by_title: dict[str, int] = {}
    by_words: dict[str, int] = {}
    shared_id: dict[str, list[int]] = {}
    shared_title: dict[str, list[int]] = {}
    shared_words: dict[str, list[int]] = {}
    for index, item in zip(indexes, items, strict=True):
        arxiv_id = uf.ids[index]
        if arxiv_id:
            key = str(arxiv_id)
            if (first := by_id.setdefault(key, index)) != index:
                _share(shared_id, key, first, index)
        if (key := item.norm_title) and (first := by_title.setdefault(key, index)) != index:
            _share(shared_title, key, first, index)
        for form in item.forms:
            head = form.head[:END_CHARS].split(maxsplit=END_WORDS)[:END_WORDS]
            if len(head) == END_WORDS:
                key = "<" + " ".join(head)
                if (first := by_words.setdefault(key, index)) != index:
                    _share(shared_words, key, first, index)
                key = form.closing
                if (first := by_words.setdefault(key, index)) != index:
                    _share(shared_words, key, first, index)
    del by_id, by_title, by_words
    # In the order of their first items (as before, when every key had a list).
    for members in sorted(shared_id.values()):
        for other in members[1:]:
            uf.union(members[0], other)
    for members in sorted(shared_title.values()):
        for pos, b in enumerate(members):
            for a in members[:pos]:
                if find(a) == find(b) or _clearly_different(items[a], items[b]):
                    continue
                if not uf.union(a, b):
                    src = items[b].sources[0]
                    issues.append(
                        ParseIssue(
                            src.file,
                            src.line,
                            "same title as another entry but a different arXiv id "
                            f"({items[a].facts.arxiv_id} vs {items[b].facts.arxiv_id}): "
                            "kept apart",
                        )
                    )
                    break
    # Abstract matches join best first, and never two components whose titles disagree:
    # an entry without a title that matches two differently titled papers joins the one
    # whose abstract it repeats, not both.
    joined = [find(i) for i in range(len(items))]
    titles = [item.norm_title for item in items]
    matches: dict[tuple[int, int], float] = {}
    # Each pair is judged on its own and the matches join in their own order below, so the
    # blocks' order does not matter.
    blocks: Iterable[list[int]]
    for members in shared_words.values():
        # Appended in index order, each once: sorted.
        blocks = (members,) if len(members) == 2 else _fine_blocks(items, members)
        for block in blocks:
            for a, b in _agreeing_pairs(block, titles):
                if (
                    joined[a] != joined[b]
                    and (a, b) not in matches
                    and _abstracts_match(items[a], items[b])
                ):
                    matches[a, b] = _likeness(items[a], items[b])
    del shared_words, joined, titles
    for a, b in sorted(matches, key=lambda pair: (-matches[pair], pair)):
        uf.union(a, b, titles_agree=True)
    matches.clear()
    groups: dict[int, list[int]] = defaultdict(list)
    for index in indexes:
        groups[find(index)].append(index)
    return [groups[root] for root in sorted(groups)]


def _share(shared: dict[str, list[int]], key: str, first: int, index: int) -> None:
    """Note INDEX under KEY, which FIRST had first (see `_cluster`)."""
    members = shared.get(key)
    if members is None:
        shared[key] = [first, index]
    elif members[-1] != index:  # an item's two abstracts may share an end
        members.append(index)


def _fine_blocks(items: list[MergeItem], members: list[int]) -> Iterable[list[int]]:
    if len(members) < 2:
        return []
    if len(members) <= MAX_BLOCK:
        return [members]
    finer: dict[str, list[int]] = defaultdict(list)
    for index in members:
        for form in items[index].forms:
            finer[form.head[:PREFIX_CHARS]].append(index)
    return [sorted(set(v)) for _k, v in sorted(finer.items()) if 1 < len(v) <= MAX_BLOCK]


def _agreeing_pairs(block: list[int], titles: list[str]) -> list[tuple[int, int]]:
    """The pairs (a < b) of BLOCK whose titles agree or of which one has none: no other
    pair's abstracts can match (`_abstracts_match`).  Sorting the titles finds the agreeing
    ones without trying every pair of a large block of common openings."""
    if len(block) == 2:
        a, b = block
        x, y = titles[a], titles[b]
        return [(a, b)] if not x or not y or _titles_agree(x, y) else []
    titled = sorted((titles[i], i) for i in block if titles[i])
    pairs = []
    for n, (title, a) in enumerate(titled):
        for other, b in titled[n + 1 :]:
            if not other.startswith(title):  # the titles it starts run on right after it
                break
            pairs.append((a, b) if a < b else (b, a))
    for a in block:
        if not titles[a]:
            pairs.extend((a, b) if a < b else (b, a) for b in block if titles[b] or b < a)
    return pairs


def _likeness(a: MergeItem, b: MergeItem) -> float:
    """How alike two matching items' abstracts are (100: the same text)."""
    best = 0.0
    for fx in a.forms:
        for fy in b.forms:
            if fx.head and fy.head:
                best = max(best, 100.0 if fx is fy else fuzz.ratio(fx.whole, fy.whole))
    return best


def merge_records(
    records: Sequence[Record],
    *,
    existing: Sequence[Paper] = (),
    known_keys: Mapping[str, str] | None = None,
    release_records: bool = False,
    spooled: SpooledAbstracts | None = None,
) -> MergeResult:
    """Merge parsed records (and papers already stored) into one paper per real paper.

    RELEASE_RECORDS: RECORDS is a list the merge may empty once it has read it, so each
    record is freed as soon as its paper is drafted (the build's peak memory is the merge's).
    SPOOLED: the records' and papers' abstracts are on a spool (`facts.spool_abstracts`);
    released records then let go of theirs, and the papers read them back from the spool.
    """
    # The merge allocates a few containers per record and frees almost none until it is
    # done, and none of them form cycles: with the collector on, its full passes over the
    # growing heap took half of a 100k-record merge.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _merge(records, existing, known_keys or {}, release_records, spooled)
    finally:
        if collecting:
            gc.enable()


def _merge(
    records: Sequence[Record],
    existing: Sequence[Paper],
    known: Mapping[str, str],
    release_records: bool,
    spooled: SpooledAbstracts | None,
) -> MergeResult:
    issues: list[ParseIssue] = []
    forms: dict[str, Normalised] | dict[int, Normalised] = {}
    titles: dict[str, tuple[str, str | None, str]] = {}
    items: list[MergeItem | None]
    if spooled is None:
        items = [item_from_record(r, forms, titles, release_records) for r in records]
        items += [item_from_paper(p, forms) for p in existing]
    else:
        items = []
        numbers = spooled.of_records
        for start in range(0, len(records), _TRIM_EVERY):
            end = start + _TRIM_EVERY
            items += [
                item_from_record(r, forms, titles, release_records, spooled, number)
                for r, number in zip(records[start:end], numbers[start:end], strict=True)
            ]
            if release_records:  # these records let go of their abstracts: hand them back
                give_back_freed_memory()
        items += [
            item_from_paper(p, forms, spooled, numbers)
            for p, numbers in zip(existing, spooled.of_papers, strict=True)
        ]
    del forms, titles
    if release_records:
        records.clear()  # type: ignore[attr-defined]
    items.sort(key=attrgetter("sort_key"))
    # Ranks replace the key tuples (the same order from here).  One list of the indexes'
    # ints serves as the ranks, the union-find's and the blocks' (each making its own was
    # 4 MB at 100k).
    indexes = list(range(len(items)))
    for rank, item in zip(indexes, items, strict=True):
        item.sort_key = rank  # type: ignore[union-attr]
    clusters = _cluster(items, indexes, issues)  # type: ignore[arg-type]
    del indexes
    merges = len(items) - len(clusters)
    reserved = set(known.values()) | {m.key for m in items if m.key}  # type: ignore[union-attr]
    stored = any(m.key or m.aliases for m in items)  # type: ignore[union-attr]
    drafts, identities, carried = _drafts(items, clusters, stored)
    del items, clusters
    identity_owners = Counter(chain.from_iterable(identities))
    taken: set[str] = set()
    papers: list[Paper] = []
    if stored or known:
        for n in _key_order(drafts, identities):
            if stored:
                kept, aliases = _kept_key(identities[n], carried[n], known, identity_owners, taken)
            else:
                kept, aliases = _known_key(identities[n], known, identity_owners, taken)
            key = kept or new_key(identities[n][0], taken, reserved)
            taken.add(key)
            aliases.discard(key)
            papers.append(_named(drafts[n], key, tuple(sorted(aliases))))
    else:  # a fresh build: every key is new, and no key is an identity (they have a colon)
        shared = {i for i, owners in identity_owners.items() if owners > 1}
        del identity_owners
        for n in _key_order(drafts, identities):
            names = identities[n]
            identities[n] = None  # type: ignore[call-overload]
            key = new_key(names[0], taken, reserved)
            taken.add(key)
            if not shared.isdisjoint(names):
                names = [i for i in names if i not in shared]
            papers.append(_named(drafts[n], key, tuple(sorted(names))))
    papers.sort(key=attrgetter("key"))
    return MergeResult(papers, merges, issues)


def _drafts(
    items: list[MergeItem | None], clusters: list[list[int]], stored: bool
) -> tuple[list[Paper], list[list[str]], list[tuple[set[str], set[str]]]]:
    """Each cluster's draft paper (`paper_draft`) and identities; when papers from a store
    take part, also the keys and aliases its members carried.  Each item (and the record it
    holds) is let go once drafted, so the drafts grow in the room the items leave."""
    drafts: list[Paper] = []
    identities: list[list[str]] = []
    carried: list[tuple[set[str], set[str]]] = []
    for members in clusters:
        if len(members) == 1:
            group = [items[members[0]]]
            items[members[0]] = None
        else:
            group = [items[i] for i in members]
            for i in members:
                items[i] = None
        draft, names = paper_draft(group)  # type: ignore[arg-type]
        drafts.append(draft)
        identities.append(names)
        if stored:
            carried.append(
                (
                    {m.key for m in group if m.key},  # type: ignore[union-attr]
                    set(chain.from_iterable(m.aliases for m in group)),  # type: ignore[union-attr]
                )
            )
    return drafts, identities, carried


def _named(draft: Paper, key: str, aliases: tuple[str, ...]) -> Paper:
    """DRAFT with its key and aliases: given here, once, before the paper leaves the merge
    (drafting a tuple and then a Paper from it held both for every paper)."""
    object.__setattr__(draft, "key", key)
    object.__setattr__(draft, "aliases", aliases)
    return draft


def _kept_key(
    identities: list[str],
    carried: tuple[set[str], set[str]],
    known: Mapping[str, str],
    owners: Counter[str],
    taken: set[str],
) -> tuple[str | None, set[str]]:
    """The key a paper keeps from an earlier store (None: give it a new one) and its
    aliases; CARRIED are the keys and aliases its members had in that store."""
    unique = [i for i in identities if owners[i] == 1]
    aliases = set(unique)
    old = set(carried[0])
    aliases.update(carried[1])
    if known:
        old.update(known[i] for i in unique if i in known)
    if not old:
        return None, aliases
    free = sorted(k for k in old if k not in taken)
    return (free[0] if free else None), aliases | old


def _known_key(
    identities: list[str], known: Mapping[str, str], owners: Counter[str], taken: set[str]
) -> tuple[str | None, set[str]]:
    """`_kept_key` when no stored paper takes part (a rebuild: KNOWN holds the old store's
    keys), quicker for the usual paper, whose identities name one old key or none."""
    unique = [i for i in identities if owners[i] == 1]
    old = {key for i in unique if (key := known.get(i)) is not None}
    if not old:
        return None, set(unique)
    if len(old) == 1:
        (key,) = old
        return (None if key in taken else key), {*unique, key}
    free = sorted(old - taken)
    return (free[0] if free else None), set(unique) | old


def _key_order(drafts: list[Paper], identities: list[list[str]]) -> list[int]:
    """Who claims a key first: by primary identity, ties by sources (content, not input)."""
    primary = [names[0] for names in identities]
    order = sorted(range(len(drafts)), key=primary.__getitem__)
    counts = Counter(primary)
    if len(counts) == len(primary):
        return order
    for identity, count in counts.items():
        if count > 1:
            start = bisect_left(order, identity, key=primary.__getitem__)
            order[start : start + count] = sorted(
                order[start : start + count], key=lambda n: _source_key(drafts[n])
            )
    return order


def _source_key(draft: Paper) -> list[tuple[str, int, str]]:
    return [(s.file, s.line, s.layout) for s in draft.sources]
