"""The index `reader.query.run_query` runs on: text folded once, every filter a bitset.

Positions are the papers in newest-first order, so a bitset read out in position order is
already sorted by date.  Field terms become cached bitsets; free words become bitsets from
the word indexes (`reader.wordindex`), or from scanning while those are being built.
"""

from __future__ import annotations

import contextlib
import operator
import re
import sys
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from itertools import compress, repeat
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from reader.abstract_index import EarlyAbstractIndex, build_abstract_index, is_plain
from reader.models import EMPTY_STATE, Paper, PaperState, newest_first_order
from reader.text import authors_line, fold_for_search
from reader.wordindex import (
    TokenIndex,
    TokenRuns,
    bits_from_flags,
    bits_from_positions,
    positions,
    word_pieces,
)
from reader.wordindex_file import (
    file_stamp,
    load_word_indexes,
    save_word_indexes,
    word_index_path,
)

if TYPE_CHECKING:
    from reader.query import Query, Term

__all__ = ["SearchIndex"]

_CACHE_SIZE = 512
_RANK_LIMIT = 3000  # fuzz-rank the best tier only when it is this small
_BACKGROUND_FROM = 3000  # smaller collections build their word indexes at once
_SAVED_WAIT = 10.0  # seconds a search waits for saved word indexes being read back
_STARRED, _READ, _NOTE, _TAGS = (attrgetter(a) for a in ("starred", "read", "note", "tags"))
_HAS = {"code": "has_code", "abstract": "abstract", "doi": "doi", "arxiv": "arxiv_id"}


class SearchIndex:
    """Every paper's searchable text folded once, field filters as bitsets, word indexes.

    Construction is cheap (titles and authors folded, dates sorted).  The word indexes
    (titles, authors, abstracts) cost seconds at 100k papers, so `build_word_indexes` makes
    them at once for small collections and in a background thread for large ones (from the
    second query on, or whenever the caller asks).  Until they exist, queries give the same
    results by scanning, only slower and without typo tolerance.
    """

    def __init__(
        self,
        papers: Sequence[Paper],
        *,
        words_file: Path | None = None,
        store_stamp: str | None = None,
    ) -> None:
        """PAPERS in store order; WORDS_FILE keeps the word indexes of the store version
        STORE_STAMP (`reader.wordindex_file`), read back instead of rebuilt when it fits."""
        self.papers: list[Paper] = list(papers)
        self._words_file = words_file if store_stamp else None
        self._store_stamp = store_stamp or ""
        #: Set once saved word indexes were tried (or there are none to try).
        self._saved_checked = threading.Event()
        if self._words_file is None or not self._words_file.exists():
            self._saved_checked.set()
        n = self._n = len(self.papers)
        self._index_of: list[int] = newest_first_order(self.papers)
        dates = [p.date or "" for p in self.papers]
        self._pp: list[Paper] = list(map(self.papers.__getitem__, self._index_of))
        self._in_store_order = self._index_of == list(range(n))
        self._dated = n - dates.count("")
        self._ti = [fold_for_search(p.title) for p in self._pp]
        self._au = [fold_for_search(authors_line(p.authors)) for p in self._pp]
        years = (int(d[:4]) if d[:4].isdigit() else 0 for d in sorted(dates, reverse=True))
        self._years = array("H", years)
        # One string per distinct category, not two new ones per paper (~10 MB at 100k).
        short: dict[str | None, str] = {}
        archive: dict[str | None, str] = {}
        for category in {p.category for p in self._pp}:
            folded = (category or "").casefold()
            short[category] = sys.intern(folded.rsplit(".", 1)[-1])
            archive[category] = sys.intern(folded.split(".", 1)[0] if "." in folded else "")
        self._cat_short = [short[p.category] for p in self._pp]
        self._cat_archive = [archive[p.category] for p in self._pp]
        self._all = (1 << n) - 1
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, int] = OrderedDict()
        self._title_order: list[int] | None = None
        self._identities: dict[str, int | list[int]] | None = None
        self._categories: tuple[dict[str, int], dict[str, int]] | None = None
        self._scan_abstracts: list[str] | None = None
        self._ti_index: TokenIndex | None = None
        self._au_index: TokenIndex | None = None
        self._ab_index: TokenIndex | None = None
        self._builder: threading.Thread | None = None
        self._build_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._runs = 0

    def __len__(self) -> int:
        return self._n

    @property
    def word_indexes_ready(self) -> bool:
        """True once free words are answered from the indexes rather than by scanning."""
        return self._ab_index is not None

    def build_word_indexes(self, *, background: bool = False) -> None:
        """Build the identity, title, author and abstract indexes (idempotent, thread-safe)."""
        if background:
            # Never wait on _build_lock here: a build already running (e.g. the app's loader
            # thread) holds it for seconds, and a search must scan meanwhile, not freeze.
            if self._ab_index is not None or self._build_lock.locked():
                return
            with self._start_lock:
                if self._builder is None and self._ab_index is None:
                    self._builder = threading.Thread(
                        target=self.build_word_indexes, name="reader-search-index", daemon=True
                    )
                    self._builder.start()
            return
        with self._build_lock:
            if self._ab_index is None:
                saved = None
                if self._words_file is not None:
                    saved = load_word_indexes(self._words_file, self._store_stamp, self._n)
                if saved is None:
                    self._saved_checked.set()  # nothing to wait for: searches scan meanwhile
                    saved = self._new_word_indexes()
                self._take_word_indexes(saved)
            self._identities_map()
            self._category_bits()

    def _take_word_indexes(self, indexes: dict[str, TokenIndex]) -> None:
        indexes["ti"].prepare_typo_search()  # else the first 5-letter word pays for it
        indexes["au"].prepare_typo_search()
        self._ti_index, self._au_index = indexes["ti"], indexes["au"]
        self._ab_index = indexes["ab"]
        self._scan_abstracts = None  # the scanning fallback's copy is no longer needed
        self._saved_checked.set()

    def _new_word_indexes(self, *, parallel: bool = False) -> dict[str, TokenIndex]:
        """Word indexes built from the papers, and saved when there is a place for them.

        PARALLEL shares the abstracts with a worker process (`reader.abstract_index`)."""
        n = self._n
        built: dict[str, TokenIndex] = {}

        def titles_and_authors() -> None:
            built["ti"] = TokenIndex.build(n, enumerate(map(word_pieces, self._ti)))
            built["au"] = TokenIndex.build(n, enumerate(map(word_pieces, self._au)))

        abstracts = [paper.abstract for paper in self._pp]
        built["ab"] = build_abstract_index(
            n, abstracts, parallel=parallel, meanwhile=titles_and_authors
        )
        del abstracts
        if self._words_file is not None:  # a cache: failing to keep it only costs time
            with contextlib.suppress(OSError):
                save_word_indexes(self._words_file, self._store_stamp, n, built)
        return built

    @classmethod
    def save_for_store(
        cls, db_path: Path, papers: Sequence[Paper], early: EarlyAbstractIndex | None = None
    ) -> None:
        """Build and save the word indexes of the store just written at DB_PATH from the
        same PAPERS in the same order, so the app's first launch reads them back.  EARLY
        is a worker that was given the abstracts before the merge: it indexes them and the
        authors and saves the file, while the titles' tokens are counted here."""
        with open(db_path, "rb") as handle:
            stamp = file_stamp(handle.fileno())
        words_file = word_index_path(db_path)
        if early is not None:
            in_order = [papers[i] for i in newest_first_order(papers)]

            def titles() -> dict[str, TokenRuns]:
                folded = (fold_for_search(paper.title) for paper in in_order)
                return {"ti": TokenRuns.of(enumerate(map(word_pieces, folded)))}

            if early.save(words_file, stamp, in_order, titles) is not None:
                return
        index = cls(papers, words_file=words_file, store_stamp=stamp)
        index._new_word_indexes(parallel=True)

    # ------------------------------------------------------------------ running

    def run(
        self,
        query: Query,
        state_of: Callable[[Paper], PaperState],
        sort: str,
        marked: Iterable[str] | None = None,
    ) -> list[int]:
        """Positions matching ``query`` in ``sort`` order, as indices into ``papers``."""
        self._runs += 1
        if self._ab_index is None and any(
            t.kind in ("word", "phrase", "author") for t in query.terms
        ):
            if not self._saved_checked.is_set():
                # Saved indexes are read back in about a second: wait for them rather than
                # scan (which would read every abstract back from the store file).
                self.build_word_indexes(background=True)
                self._saved_checked.wait(timeout=_SAVED_WAIT)
            if self._ab_index is not None:
                pass
            elif self._n < _BACKGROUND_FROM:
                self.build_word_indexes()
            elif self._runs >= 2:
                self.build_word_indexes(background=True)
        bits = self._all
        for term in query.terms:
            if term.kind not in ("is", "tag"):
                hits = self._term_bits(term)
                bits = bits & ~hits if term.negated else bits & hits
                if not bits:
                    return []
        state_terms = [t for t in query.terms if t.kind in ("is", "tag")]
        if state_terms:
            bits = self._apply_state_terms(state_terms, bits, state_of, marked)
        if sort == "relevance" and query.has_free_words:
            found = self._ranked(query, bits)
        elif sort == "title":
            found = self._in_title_order(bits)
        else:
            found = positions(bits)
            if sort == "oldest":
                cut = bisect_left(found, self._dated)
                found = found[:cut][::-1] + found[cut:]
        if self._in_store_order:  # the usual case: the store is written newest first
            return found
        return list(map(self._index_of.__getitem__, found))

    def _term_bits(self, term: Term) -> int:
        kind, value = term.kind, term.value
        if kind == "word":
            return self._word_bits(value)[0]
        if kind == "phrase":
            return self._cached(("phrase", value), lambda: self._phrase_bits(value))
        if kind == "author":
            ready = self._au_index is not None
            return self._cached(("author", value, ready), lambda: self._author_bits(value))
        return self._cached(
            ("field", kind, value, term.low, term.high), lambda: self._field_bits(term)
        )

    def _cached(self, key: tuple, compute: Callable[[], int]) -> int:
        with self._lock:
            bits = self._cache.get(key)
            if bits is not None:
                self._cache.move_to_end(key)
                return bits
        bits = compute()
        with self._lock:
            self._cache[key] = bits
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return bits

    def _field_bits(self, term: Term) -> int:
        kind, value = term.kind, term.value
        if kind == "year":
            wanted = [y for y in set(self._years) if y and term.low <= y <= term.high]
            hits = 0
            for year in wanted:
                hits |= bits_from_flags(bytes(map(year.__eq__, self._years)))
            return hits
        if kind == "cat":  # cat:CL and cat:cs.CL both mean CL or cs.CL; cat:cs means cs.*
            short, archive = self._category_bits()
            hits = short.get(value.rsplit(".", 1)[-1], 0)
            return hits | archive.get(value, 0) if "." not in value else hits
        if kind == "has":
            return bits_from_flags(bytes(map(bool, map(attrgetter(_HAS[value]), self._pp))))
        hits = self._identity_positions(value)  # id: and key:
        if kind == "key":
            hits = [pos for pos in hits if value in self._pp[pos].identities]
        return bits_from_positions(hits, self._n)

    def _category_bits(self) -> tuple[dict[str, int], dict[str, int]]:
        """Bitsets of every category (short form, e.g. "cl") and archive ("cs"), in one pass."""
        if self._categories is None:
            self._categories = (
                _group_bits(self._cat_short, self._n),
                _group_bits(self._cat_archive, self._n),
            )
        return self._categories

    def _identities_map(self) -> dict[str, int | list[int]]:
        """Every identity (lower-cased key, alias, arXiv id) -> its position, or positions.

        Nearly every identity names one paper, so the value is a bare position and the
        strings are the papers' own (most are lower-case already): ~25 MB at 100k papers
        where a list per identity and a lower-cased copy of each cost ~80 MB.
        """
        if self._identities is None:
            identities: dict[str, int | list[int]] = {}
            setdefault = identities.setdefault
            for pos, paper in enumerate(self._pp):
                for ident in {paper.key, *paper.aliases, paper.arxiv_id or ""}:
                    if not ident:
                        continue
                    if not ident.islower():
                        ident = ident.lower()
                    held = setdefault(ident, pos)
                    if held == pos:
                        continue
                    if isinstance(held, int):
                        identities[ident] = [held, pos]
                    else:
                        held.append(pos)
            self._identities = identities
        return self._identities

    def _identity_positions(self, ident: str) -> list[int] | tuple[int, ...]:
        held = self._identities_map().get(ident.lower(), ())
        return (held,) if isinstance(held, int) else held

    def _apply_state_terms(
        self,
        terms: list[Term],
        bits: int,
        state_of: Callable[[Paper], PaperState],
        marked: Iterable[str] | None,
    ) -> int:
        """Ask ``state_of`` only about papers still in the running (and marked, if known)."""
        asked = bits
        if marked is not None:
            spots = [pos for ident in marked for pos in self._identity_positions(ident)]
            asked &= bits_from_positions(spots, self._n)
        asked_at = positions(asked)
        states = list(map(state_of, map(self._pp.__getitem__, asked_at)))
        unasked = bits & ~asked
        for term in terms:
            passing = bits_from_positions(_passing(term, asked_at, states), self._n)
            empty_passes = bool(list(_passing(term, [0], [EMPTY_STATE])))
            hits = passing | (unasked if empty_passes else 0)
            bits = bits & ~hits if term.negated else bits & hits
        return bits

    # ------------------------------------------------------------------ words

    def _piece_bits(self, field: str, piece: str) -> int:
        """Papers whose field (ti, au, ab) holds a word containing ``piece``.

        A piece shorter than three characters matches word starts in titles and authors only.
        """
        index = {"ti": self._ti_index, "au": self._au_index, "ab": self._ab_index}[field]
        key = (field, piece, index is not None)
        return self._cached(key, lambda: self._compute_piece_bits(field, piece, index))

    def _compute_piece_bits(self, field: str, piece: str, index: TokenIndex | None) -> int:
        short = len(piece) < 3
        if field == "ab" and short:
            return 0
        if index is not None:
            ids = list(index.prefixed(piece) if short else index.containing(piece))
            if field != "ab" and len(piece) >= 5:
                ids += index.similar(piece, _typo_cutoff(piece))
            return index.bits(ids)
        if field == "ab":
            texts = map(str.lower, self._abstracts_for_scan())
        else:
            texts = iter(self._ti if field == "ti" else self._au)
        if short:
            starts = re.compile(r"(?<![^\W_])" + re.escape(piece)).search
            return bits_from_flags(bytes(map(bool, map(starts, texts))))
        hits = bits_from_flags(bytes(map(str.__contains__, texts, repeat(piece))))
        if field != "ab" and len(piece) >= 5:
            hits |= self._scan_similar(self._ti if field == "ti" else self._au, piece)
        return hits

    def _scan_similar(self, texts: list[str], piece: str) -> int:
        """Typo matches without a vocabulary: the same rule as `TokenIndex.similar`."""
        cutoff = _typo_cutoff(piece)
        rough = process.extract(
            piece, texts, scorer=fuzz.partial_ratio, score_cutoff=cutoff - 20, limit=None
        )
        hits = [
            pos
            for _, _, pos in rough
            if any(
                len(t) >= 4 and t[0] == piece[0] and fuzz.ratio(piece, t) >= cutoff
                for t in word_pieces(texts[pos])
            )
        ]
        return bits_from_positions(hits, self._n)

    def _abstracts_for_scan(self) -> list[str]:
        scan = self._scan_abstracts
        if scan is None:
            scan = [
                p.abstract if is_plain(p.abstract) else fold_for_search(p.abstract)
                for p in self._pp
            ]
            if self._ab_index is None:
                self._scan_abstracts = scan
        return scan

    def _word_bits(self, word: str) -> tuple[int, int, int]:
        """(anywhere, in title or authors, in title) bitsets for one free word."""
        pieces = word_pieces(word)
        if not pieces:  # punctuation only: a plain substring of title or authors
            ti = bits_from_flags(bytes(map(str.__contains__, self._ti, repeat(word))))
            au = bits_from_flags(bytes(map(str.__contains__, self._au, repeat(word))))
            return ti | au, ti | au, ti
        anywhere = in_ta = in_title = self._all
        for piece in pieces:
            ti = self._piece_bits("ti", piece)
            ta = ti | self._piece_bits("au", piece)
            anywhere &= ta | self._piece_bits("ab", piece)
            in_ta &= ta
            in_title &= ti
        return anywhere, in_ta, in_title

    def _phrase_bits(self, phrase: str) -> int:
        candidates = self._all
        for piece in word_pieces(phrase):
            if len(piece) >= 3:
                candidates &= self._word_bits(piece)[0]
        spaced = re.compile(r"\s+".join(map(re.escape, phrase.split()))).search
        hits = [pos for pos in positions(candidates) if self._holds_phrase(pos, phrase, spaced)]
        return bits_from_positions(hits, self._n)

    def _holds_phrase(self, pos: int, phrase: str, spaced: Callable[[str], object]) -> bool:
        """Phrase in the folded title, authors or abstract (any whitespace in the abstract)."""
        if phrase in self._ti[pos] or phrase in self._au[pos]:
            return True
        abstract = self._pp[pos].abstract
        if is_plain(abstract):
            return spaced(abstract.lower()) is not None
        return phrase in fold_for_search(abstract)

    def _author_bits(self, name: str) -> int:
        """Papers with one author whose name has words starting with each word of ``name``."""
        pieces = word_pieces(name)
        if not pieces:
            return 0
        search = re.compile(r"(?<![^\W_])" + r"[^\w,]+".join(map(re.escape, pieces))).search
        if self._au_index is None:
            return bits_from_flags(bytes(map(bool, map(search, self._au))))
        candidates = self._all
        for piece in pieces:
            candidates &= self._au_index.bits(self._au_index.prefixed(piece))
        if len(pieces) == 1:
            return candidates
        hits = [pos for pos in positions(candidates) if search(self._au[pos])]
        return bits_from_positions(hits, self._n)

    # ------------------------------------------------------------------ ordering

    def _in_title_order(self, bits: int) -> list[int]:
        if self._title_order is None:
            self._title_order = sorted(range(self._n), key=self._ti.__getitem__)
        digits = bin(bits)[:1:-1].encode()
        digits += b"0" * (self._n - len(digits))
        chosen = map((49).__eq__, map(digits.__getitem__, self._title_order))  # 49 == ord("1")
        return list(compress(self._title_order, chosen))

    def _ranked(self, query: Query, bits: int) -> list[int]:
        """Title hits first (fuzz-ranked when few), then title-or-author hits, then the rest."""
        in_ta = in_title = self._all
        for term in query.terms:
            if term.kind == "word" and not term.negated:
                _, ta, ti = self._word_bits(term.value)
                in_ta &= ta
                in_title &= ti
        best = positions(bits & in_title)
        if 1 < len(best) <= _RANK_LIMIT:
            text = " ".join(query.words)
            score = {
                pos: fuzz.token_set_ratio(text, self._ti[pos], processor=default_process)
                for pos in best
            }
            best.sort(key=lambda pos: -score[pos])  # stable: newest first among equals
        rest = bits & ~in_title
        return best + positions(rest & in_ta) + positions(rest & ~in_ta)


def _group_bits(values: list[str], n: int) -> dict[str, int]:
    groups: dict[str, list[int]] = {}
    for pos, value in enumerate(values):
        if value:
            groups.setdefault(value, []).append(pos)
    return {value: bits_from_positions(spots, n) for value, spots in groups.items()}


def _passing(term: Term, at: list[int], states: list[PaperState]) -> Iterable[int]:
    """The positions (from ``at``) whose state passes an is:/tag: term, tested at C speed."""
    value = term.value
    if term.kind == "tag":
        tagged = [
            (pos, s.tags) for pos, s in compress(zip(at, states, strict=True), map(_TAGS, states))
        ]
        return [pos for pos, tags in tagged if any(fold_for_search(t) == value for t in tags)]
    if value == "starred":
        flags = map(_STARRED, states)
    elif value == "read":
        flags = map(_READ, states)
    elif value == "unread":
        flags = map(operator.not_, map(_READ, states))
    elif value == "noted":
        flags = map(bool, map(str.strip, map(_NOTE, states)))
    else:  # tagged
        flags = map(_TAGS, states)
    return compress(at, flags)


def _typo_cutoff(piece: str) -> float:
    """fuzz.ratio a word must reach to count as a typo of ``piece`` (about one per 6 letters)."""
    return 85.0 if len(piece) < 8 else 80.0
