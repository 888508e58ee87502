"""The query language of the search box and `reader list QUERY`, and the index it runs on.

One language everywhere: free words (fuzzy over title+authors, substring over abstracts),
field terms (``author:li cat:CL year:2024..2025 is:unread has:code id:2507.19427 tag:x
key:K``), ``-term`` negation and ``"quoted phrases"``.  A query is parsed once into a
`Query`; a `SearchIndex` folds every paper's text once; `run_query` filters with the cheap
terms first and fuzz-ranks only what is left, so a keystroke stays fast at 100k papers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from reader.identifiers import normalise_arxiv_id
from reader.models import Paper, PaperState
from reader.text import fold_for_search

__all__ = ["SORT_KEYS", "Query", "QueryError", "SearchIndex", "Term", "parse_query", "run_query"]

SORT_KEYS = ("newest", "oldest", "title", "relevance")

FIELDS = ("author", "cat", "year", "is", "has", "id", "tag", "key")
IS_VALUES = ("starred", "unread", "read", "noted", "tagged")
HAS_VALUES = ("code", "abstract", "doi", "arxiv")


class QueryError(ValueError):
    """A malformed query: ``message`` says what is wrong, ``position`` where (0-based)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at column {position + 1})")
        self.message = message
        self.position = position


@dataclass(frozen=True, slots=True)
class Term:
    """One parsed term.  ``kind`` is "word", "phrase" or a field name; ``value`` is folded."""

    kind: str
    value: str
    negated: bool = False
    position: int = 0
    low: int = 0  # year ranges
    high: int = 0


@dataclass(frozen=True)
class Query:
    """A parsed query: the text it came from and its terms, in order."""

    text: str
    terms: tuple[Term, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.terms

    @property
    def has_free_words(self) -> bool:
        return any(t.kind in ("word", "phrase") and not t.negated for t in self.terms)

    @property
    def words(self) -> tuple[str, ...]:
        """The positive free words and phrases, folded (what relevance ranks by)."""
        return tuple(t.value for t in self.terms if t.kind in ("word", "phrase") and not t.negated)


_FIELD_LIKE = re.compile(r"([A-Za-z]+):")
_YEAR = re.compile(r"^(\d{4})?(?:(\.\.)(\d{4})?)?$")


def parse_query(text: str) -> Query:
    """Parse the query language; raises QueryError naming the problem and its column."""
    terms: list[Term] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        negated = False
        if text[i] == "-":
            negated = True
            i += 1
            if i >= n or text[i].isspace():
                raise QueryError("'-' must be followed by a term to exclude", start)
        field = None
        match = _FIELD_LIKE.match(text, i)
        if match:
            field = match.group(1).lower()
            if field not in FIELDS:
                raise QueryError(
                    f"unknown field '{match.group(1)}:' (known: {', '.join(f + ':' for f in FIELDS)})",
                    i,
                )
            i = match.end()
        value_at = i
        if i < n and text[i] == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise QueryError("unclosed quote", i)
            raw = text[i + 1 : close]
            quoted = True
            i = close + 1
        else:
            j = i
            while j < n and not text[j].isspace():
                j += 1
            raw = text[i:j]
            quoted = False
            i = j
        if field is None:
            value = fold_for_search(raw)
            if value:
                terms.append(Term("phrase" if quoted else "word", value, negated, start))
            elif not quoted:
                raise QueryError("nothing to search for", start)
            continue
        terms.append(_field_term(field, raw, negated, start, value_at))
    return Query(text, tuple(terms))


def _field_term(field: str, raw: str, negated: bool, start: int, value_at: int) -> Term:
    raw = raw.strip()
    if not raw:
        raise QueryError(f"'{field}:' needs a value", value_at)
    if field == "year":
        match = _YEAR.match(raw)
        if not match or not (match.group(1) or match.group(3)):
            raise QueryError(f"year must be YYYY or YYYY..YYYY, not '{raw}'", value_at)
        low = int(match.group(1)) if match.group(1) else 0
        high = int(match.group(3)) if match.group(3) else 9999
        if not match.group(2):
            high = low
        if low > high:
            raise QueryError(f"year range {low}..{high} runs backwards", value_at)
        return Term(field, raw, negated, start, low, high)
    if field == "is":
        value = raw.lower()
        if value not in IS_VALUES:
            raise QueryError(f"is: takes {', '.join(IS_VALUES)}, not '{raw}'", value_at)
        return Term(field, value, negated, start)
    if field == "has":
        value = raw.lower()
        if value not in HAS_VALUES:
            raise QueryError(f"has: takes {', '.join(HAS_VALUES)}, not '{raw}'", value_at)
        return Term(field, value, negated, start)
    if field == "id":
        return Term(field, normalise_arxiv_id(raw) or raw.lower(), negated, start)
    if field == "key":
        return Term(field, raw, negated, start)
    if field == "cat":
        return Term(field, raw.casefold(), negated, start)
    if field == "author":
        value = fold_for_search(raw).replace("-", " ")
        return Term(field, " ".join(value.split()), negated, start)
    return Term(field, fold_for_search(raw), negated, start)  # tag


def run_query(
    query: Query,
    index: SearchIndex,
    state_of: Callable[[Paper], PaperState],
    *,
    sort: str = "newest",
) -> list[int]:
    """Indices into ``index.papers`` matching ``query``, in ``sort`` order."""
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort {sort!r}; expected one of {', '.join(SORT_KEYS)}")
    return index.run(query, state_of, sort)


# --------------------------------------------------------------------------- index

_FUZZ_MAX = 256  # fuzzy matching looks at this much of title+authors (long author lists)


def _short_category(category: str) -> str:
    return category.rsplit(".", 1)[-1]


class SearchIndex:
    """Every paper's searchable text, folded once, plus per-field arrays for cheap filters.

    Build it once per loaded store (in a thread worker for a large store); queries never
    fold text again.
    """

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.papers: list[Paper] = list(papers)
        self.titles: list[str] = []
        self.authors: list[str] = []  # " a b, c d": word starts are found by " " + name
        self.title_authors: list[str] = []
        self.abstracts: list[str] = []
        self.years: list[int] = []
        self.categories: list[tuple[str, str, str]] = []  # (full, short, archive), folded
        self.identities: dict[str, list[int]] = {}
        for i, paper in enumerate(self.papers):
            title = fold_for_search(paper.title)
            authors = ", ".join(fold_for_search(a) for a in paper.authors)
            self.titles.append(title)
            self.authors.append(" " + authors.replace("-", " "))
            self.title_authors.append(f"{title} {authors}" if authors else title)
            self.abstracts.append(fold_for_search(paper.abstract))
            date = paper.date or ""
            self.years.append(int(date[:4]) if date[:4].isdigit() else 0)
            full = (paper.category or "").casefold()
            archive = full.split(".", 1)[0] if "." in full else ""
            self.categories.append((full, _short_category(full), archive))
            for ident in {paper.key, *paper.aliases, paper.arxiv_id or ""}:
                if ident:
                    self.identities.setdefault(ident.lower(), []).append(i)
        dated = sorted(
            (i for i, p in enumerate(self.papers) if p.date),
            key=lambda i: (self.papers[i].date, self.titles[i]),
        )
        undated = [i for i, p in enumerate(self.papers) if not p.date]
        self.order_newest: list[int] = dated[::-1] + undated
        self.order_oldest: list[int] = dated + undated
        self.order_title: list[int] = sorted(range(len(self.papers)), key=self.titles.__getitem__)

    def __len__(self) -> int:
        return len(self.papers)

    # The matching of one term, for one candidate list; returns those that match.
    def _match(self, term: Term, cands: list[int], state: list[PaperState] | None) -> list[int]:
        kind, value = term.kind, term.value
        papers = self.papers
        if kind == "word":
            return self._word_matches(value, cands)
        if kind == "phrase":
            ta, ab = self.title_authors, self.abstracts
            return [i for i in cands if value in ta[i] or value in ab[i]]
        if kind == "author":
            needle = " " + value
            return [i for i in cands if needle in self.authors[i]]
        if kind == "cat":
            cats = self.categories
            if "." in value:
                full, short = value, _short_category(value)
                return [i for i in cands if cats[i][0] == full or cats[i][1] == short]
            return [i for i in cands if value in (cats[i][1], cats[i][2])]
        if kind == "year":
            low, high, years = term.low, term.high, self.years
            return [i for i in cands if low <= years[i] <= high]
        if kind == "has":
            if value == "code":
                return [i for i in cands if papers[i].has_code]
            if value == "abstract":
                return [i for i in cands if papers[i].abstract]
            if value == "doi":
                return [i for i in cands if papers[i].doi]
            return [i for i in cands if papers[i].arxiv_id]
        if kind in ("id", "key"):
            hits = set(self.identities.get(value.lower(), ()))
            if kind == "key":
                hits = {i for i in hits if value in papers[i].identities}
            return [i for i in cands if i in hits]
        assert state is not None
        if kind == "is":
            if value == "starred":
                return [i for i in cands if state[i].starred]
            if value == "read":
                return [i for i in cands if state[i].read]
            if value == "unread":
                return [i for i in cands if not state[i].read]
            if value == "noted":
                return [i for i in cands if state[i].note.strip()]
            return [i for i in cands if state[i].tags]
        # tag
        return [i for i in cands if any(fold_for_search(t) == value for t in state[i].tags)]

    def _word_matches(self, word: str, cands: list[int]) -> list[int]:
        ta, ab = self.title_authors, self.abstracts
        hits = [i for i in cands if word in ta[i] or word in ab[i]]
        if len(word) < 4:
            return hits
        found = set(hits)
        rest = {i: ta[i][:_FUZZ_MAX] for i in cands if i not in found}
        fuzzy = process.extract(
            word, rest, scorer=fuzz.partial_ratio, score_cutoff=_cutoff(word), limit=None
        )
        found.update(key for _, _, key in fuzzy)
        return [i for i in cands if i in found]

    def run(self, query: Query, state_of: Callable[[Paper], PaperState], sort: str) -> list[int]:
        cands = list(range(len(self.papers)))
        state = None
        if any(t.kind in ("is", "tag") for t in query.terms):
            state = [state_of(p) for p in self.papers]
        for term in sorted(query.terms, key=_term_cost):
            hits = self._match(term, cands, state)
            if term.negated:
                gone = set(hits)
                cands = [i for i in cands if i not in gone]
            else:
                cands = hits
            if not cands:
                return []
        keep = set(cands)
        if sort == "relevance" and query.has_free_words:
            return self._ranked(query, cands)
        order = {"oldest": self.order_oldest, "title": self.order_title}.get(
            sort, self.order_newest
        )
        return [i for i in order if i in keep]

    def _ranked(self, query: Query, cands: list[int]) -> list[int]:
        words = query.words
        newest_rank = {i: r for r, i in enumerate(self.order_newest)}
        scores: dict[int, float] = {}
        for i in cands:
            title, ta = self.titles[i], self.title_authors[i]
            score = 0.0
            for w in words:
                if w in title:
                    score += 3.0 if re.search(rf"\b{re.escape(w)}\b", title) else 2.0
                elif w in ta:
                    score += 1.5
                else:
                    score += 1.0
            scores[i] = score
        return sorted(cands, key=lambda i: (-scores[i], newest_rank[i]))


def _cutoff(word: str) -> float:
    """Fuzzy threshold: about one typo per five letters."""
    return 100.0 if len(word) < 4 else 85.0 if len(word) < 8 else 80.0


_COSTS = {"id": 0, "key": 0, "year": 1, "cat": 1, "has": 1, "is": 2, "tag": 2, "author": 3}


def _term_cost(term: Term) -> int:
    return _COSTS.get(term.kind, 5)
