"""The query language of the search box and `reader list QUERY`.

One language everywhere.  Free words must all match; each matches a paper when every
alphanumeric piece of it occurs inside a word of the (folded) title, authors or abstract --
``diffu`` finds "diffusion", ``szemeredi`` finds ``Szemer\\'edi``.  Pieces under three
characters match word starts in titles and authors only; title and author words also
match with a typo or two (rapidfuzz, never over abstracts).  Field terms: ``author:NAME``
(word starts of one author's name), ``cat:CL`` / ``cat:cs.CL`` / ``cat:cs``, ``year:2025``,
``year:2024..2025`` (open ends allowed), ``is:starred|unread|read|noted|tagged``,
``has:code|abstract|doi|arxiv``, ``id:ARXIV-ID`` (any spelling), ``key:KEY``, ``tag:NAME``.
``-term`` negates any term; ``"a phrase"`` is matched exactly (after folding).

A query is parsed once into a `Query`; `run_query` answers it from a `SearchIndex`
(see `reader.searchindex`), and rendering code should show text with `reader.text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reader.identifiers import normalise_arxiv_id
from reader.models import Paper, PaperState
from reader.searchindex import SearchIndex
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
    marked: Iterable[str] | None = None,
) -> list[int]:
    """Indices into ``index.papers`` matching ``query``, in ``sort`` order.

    ``state_of`` is only called for ``is:``/``tag:`` terms, and only for papers still in the
    running.  ``marked`` (optional) names every identity (key or alias) that has any user
    state; given it, ``state_of`` is called for those papers alone and every other paper
    counts as unmarked -- what keeps ``-is:read`` fast at 100k papers.
    """
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort {sort!r}; expected one of {', '.join(SORT_KEYS)}")
    return index.run(query, state_of, sort, marked)
