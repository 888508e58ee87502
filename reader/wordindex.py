"""Word indexes behind the search box: token -> papers, held as bitsets.

A set of papers is a Python int whose bit ``p`` is paper position ``p``: AND, OR and NOT of
100k papers are a few microseconds in C, and turning a bitset back into positions is a
linear C pass (`positions`).  A `TokenIndex` maps every word of one field (titles, authors,
abstracts) to the papers holding it; frequent words keep a bitset, rare ones an array.
Finding the words that *contain* a piece of a query is a scan of the small vocabulary
string, never of the text itself, so a keystroke never reads 100 MB of abstracts.

Tokens are the alphanumeric runs of `reader.text.fold_for_search` output (`word_pieces`),
so "a piece occurs inside some word of the field" means exactly "the piece is a substring
of the folded field", which is what the scanning fallback in `reader.query` checks.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict, deque
from collections.abc import Iterable
from itertools import accumulate, compress, repeat

from rapidfuzz import fuzz, process

__all__ = ["TokenIndex", "bits_from_flags", "bits_from_positions", "positions", "word_pieces"]

# ASCII text -> lower-case alphanumerics separated by spaces (bytes >= 128 left alone).
_ASCII_WORDS = bytes(
    (c + 32 if 65 <= c <= 90 else c) if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) else 32
    for c in range(128)
) + bytes(range(128, 256))
_WORD = re.compile(r"[^\W_]+")
_TO_01 = bytes.maketrans(b"\x00\x01", b"01")
_FROM_01 = bytes.maketrans(b"01", b"\x00\x01")
_LAST = "\U0010ffff"


def word_pieces(folded: str) -> list[str]:
    """The alphanumeric runs of already folded text: the tokens every index holds."""
    if folded.isascii():
        return folded.encode().translate(_ASCII_WORDS).decode().split()
    return _WORD.findall(folded)


def plain_ascii_words(raw: str) -> list[str]:
    """`word_pieces(fold_for_search(raw))` for ASCII text with no LaTeX, without folding."""
    return raw.encode().translate(_ASCII_WORDS).decode().split()


def bits_from_flags(flags: bytes | bytearray) -> int:
    """A bitset from one 0/1 byte per position."""
    if not flags:
        return 0
    return int(flags.translate(_TO_01)[::-1], 2)


def bits_from_positions(items: Iterable[int], n: int) -> int:
    """A bitset holding the given positions (all < n)."""
    flags = bytearray(n)
    deque(map(flags.__setitem__, items, repeat(1)), maxlen=0)
    return bits_from_flags(flags)


def positions(bits: int) -> list[int]:
    """The positions set in a bitset, ascending."""
    if not bits:
        return []
    digits = bin(bits)[:1:-1].encode().translate(_FROM_01)
    return list(compress(range(len(digits)), digits))


def _new_postings() -> array:
    return array("I")


class TokenIndex:
    """One field's vocabulary and, for every token, the papers (positions) that hold it."""

    def __init__(
        self, n: int, token_sets: Iterable[tuple[int, Iterable[str]]], *, fuzzy: bool = False
    ) -> None:
        postings: defaultdict[str, array] = defaultdict(_new_postings)
        get, add = postings.__getitem__, array.append
        for pos, tokens in token_sets:
            deque(
                map(add, map(get, tokens), repeat(pos)), maxlen=0
            )  # all in C: no per-token bytecode
        self.n = n
        self.vocab: list[str] = sorted(postings)
        dense = max(n // 32, 64)  # above this many papers a bitset is smaller than an array
        # A bitset (int >= 0) for frequent tokens, ~position (int < 0) for a token in one
        # paper only (most of the vocabulary), an array of positions for the rest.
        self._postings: list[array | int] = [
            bits_from_positions(p, n) if len(p) >= dense else ~p[0] if len(p) == 1 else p
            for p in map(postings.__getitem__, self.vocab)
        ]
        del postings
        self._blob = "\n".join(self.vocab) + "\n"
        self._starts = array("L", accumulate((len(t) + 1 for t in self.vocab), initial=0))
        self._buckets: dict[str, tuple[list[str], list[int]]] = {}
        if fuzzy:
            for token_id, token in enumerate(self.vocab):
                if len(token) >= 4:
                    words, ids = self._buckets.setdefault(token[0], ([], []))
                    words.append(token)
                    ids.append(token_id)

    def __len__(self) -> int:
        return len(self.vocab)

    def containing(self, piece: str) -> list[int]:
        """Ids of the tokens that contain ``piece``."""
        starts = self._starts
        pattern = re.compile(re.escape(piece) + "[^\n]*")
        return [bisect_right(starts, m.start()) - 1 for m in pattern.finditer(self._blob)]

    def prefixed(self, piece: str) -> range:
        """Ids of the tokens that start with ``piece`` (a range: the vocabulary is sorted)."""
        return range(bisect_left(self.vocab, piece), bisect_left(self.vocab, piece + _LAST))

    def similar(self, piece: str, cutoff: float) -> list[int]:
        """Ids of tokens within a typo or two of ``piece`` (same first letter, fuzz.ratio).

        Only for an index built with ``fuzzy=True``.
        """
        words, ids = self._buckets.get(piece[:1], ((), ()))
        found = process.extract(piece, words, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        return [ids[i] for _, _, i in found]

    def bits(self, token_ids: Iterable[int]) -> int:
        """The papers holding any of the given tokens."""
        acc = 0
        flags: bytearray | None = None
        for token_id in token_ids:
            postings = self._postings[token_id]
            if isinstance(postings, int) and postings >= 0:
                acc |= postings
                continue
            if flags is None:
                flags = bytearray(self.n)
            if isinstance(postings, int):
                flags[~postings] = 1
            else:
                deque(map(flags.__setitem__, postings, repeat(1)), maxlen=0)
        if flags is not None:
            acc |= bits_from_flags(flags)
        return acc
