"""Word indexes behind the search box: token -> papers, held as bitsets.

A set of papers is a Python int whose bit ``p`` is paper position ``p``: AND, OR and NOT of
100k papers are a few microseconds in C, and turning a bitset back into positions is a
linear C pass (`positions`).  A `TokenIndex` maps every word of one field (titles, authors,
abstracts) to the papers holding it; frequent words keep a bitset, rare ones a run of
positions in one flat array.
Finding the words that *contain* a piece of a query is a scan of the small vocabulary
string, never of the text itself, so a keystroke never reads 100 MB of abstracts.

Tokens are the alphanumeric runs of `reader.text.fold_for_search` output (`word_pieces`),
so "a piece occurs inside some word of the field" means exactly "the piece is a substring
of the folded field", which is what the scanning fallback in `reader.query` checks.
"""

from __future__ import annotations

import operator
import re
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence, Set
from itertools import accumulate, compress, count, repeat
from typing import Any, NamedTuple

from rapidfuzz import fuzz, process

from reader.gcpause import paused_collector

__all__ = [
    "TokenIndex",
    "TokenRuns",
    "bits_from_flags",
    "bits_from_positions",
    "positions",
    "word_pieces",
]

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
    # Split at ASCII first (bytes.translate is C): most words of a folded abstract are plain,
    # and only the others go through the (three times slower) Unicode regex.  (surrogatepass:
    # a lone surrogate read from a file passes through, and is no word.)
    cut = folded.encode(errors="surrogatepass").translate(_ASCII_WORDS)
    words = cut.decode(errors="surrogatepass").split()
    plain = [word for word in words if word.isascii()]
    if len(plain) < len(words):
        plain += _WORD.findall(" ".join([word for word in words if not word.isascii()]))
    return plain


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


class TokenRuns(NamedTuple):
    """Papers' tokens as numbers: paper ``at[i]`` holds ``vocab[ids[bounds[i]:bounds[i + 1]]]``.

    The Python half of building an index (numpy does the rest, `TokenIndex.from_token_runs`),
    small enough to hand to another process: a few bytes per token, not per posting."""

    vocab: list[str]
    ids: array
    bounds: array
    at: array

    @classmethod
    def of(cls, token_sets: Iterable[tuple[int, Iterable[str]]]) -> TokenRuns:
        """The runs of (position, tokens) pairs."""
        numbered: defaultdict[str, int] = defaultdict(count().__next__)
        number = numbered.__getitem__
        ids, at, bounds = array("I"), array("I"), array("Q", [0])
        with paused_collector():  # a token list per paper, no cycles
            for pos, tokens in token_sets:
                ids.extend(map(number, tokens))
                at.append(pos)
                bounds.append(len(ids))
        return cls(list(numbered), ids, bounds, at)


class TokenIndex:
    """One field's vocabulary and, for every token, the papers (positions) that hold it.

    Flat, so that 100k abstracts cost tens of megabytes rather than hundreds, and so the
    whole index can be saved and read back as a few buffers (`regions`, `from_regions`):
    the vocabulary is one newline-joined string, the postings one array of positions cut
    by an offsets array.  Tokens held by many papers (at least ``n // 32``) keep a bitset
    instead (packed little-endian bytes, ``(n + 7) // 8`` each), which is also smaller.
    """

    def __init__(
        self,
        n: int,
        blob: str,
        starts: Sequence[int],
        offsets: Sequence[int],
        postings: Sequence[int],
        dense_ids: Sequence[int],
        dense_bytes: bytes | memoryview,
    ) -> None:
        self.n = n
        self._blob = blob
        self._starts = starts
        self._offsets = offsets
        self._postings = postings
        self._dense_slot = {token_id: slot for slot, token_id in enumerate(dense_ids)}
        self._dense_bytes = dense_bytes
        self._dense_cache: dict[int, int] = {}
        self._buckets: dict[str, tuple[list[str], list[int]]] | None = None

    @classmethod
    def build(
        cls,
        n: int,
        token_sets: Iterable[tuple[int, Iterable[str]]],
        *,
        drop: Set[str] = frozenset(),
    ) -> TokenIndex:
        """The index of N papers from (position, tokens) pairs; tokens in DROP left out."""
        return cls.from_token_runs(n, TokenRuns.of(token_sets), drop=drop)

    @classmethod
    def from_token_runs(
        cls, n: int, runs: TokenRuns, *, drop: Set[str] = frozenset()
    ) -> TokenIndex:
        """The index of N papers from `TokenRuns`; tokens in DROP left out."""
        bounds = runs.bounds
        return cls.from_runs(n, runs.vocab, runs.ids, bounds[:-1], bounds[1:], runs.at, drop=drop)

    @classmethod
    def from_runs(
        cls,
        n: int,
        vocab: Sequence[str],
        ids: Sequence[int],
        starts: Sequence[int],
        ends: Sequence[int],
        at: Sequence[int],
        *,
        drop: Set[str] = frozenset(),
    ) -> TokenIndex:
        """The index of N papers where paper AT[i] holds the tokens ``VOCAB[IDS[STARTS[i]:
        ENDS[i]]]`` (buffers of unsigned ints); tokens in DROP, or held by none, left out.

        Filing ten million (token, paper) pairs one by one is seconds of Python; numpy sorts
        them as one array of ``token rank << 32 | position`` keys in well under one."""
        import numpy as np  # only building needs it: the app reads saved indexes without

        vocab_order = sorted(range(len(vocab)), key=vocab.__getitem__)
        rank = np.empty(len(vocab), np.uint64)
        rank[vocab_order] = np.arange(len(vocab), dtype=np.uint64)
        keys = _pair_keys(rank, ids, starts, ends, at)
        keys.sort()
        halves = keys.view(np.uint32).reshape(-1, 2)  # [position, rank] per key
        if sys.byteorder == "big":
            halves = halves[:, ::-1]
        ranks = len(vocab)
        held_from = np.searchsorted(halves[:, 1], np.arange(ranks + 1, dtype=np.uint32))
        counts = np.diff(held_from)
        kept = counts > 0
        if drop:
            kept[rank[[i for i, token in enumerate(vocab) if token in drop]]] = False
        kept_ranks = np.flatnonzero(kept)
        tokens = [vocab[vocab_order[r]] for r in kept_ranks.tolist()]
        dense = counts >= max(n // 32, 64)  # above this many papers a bitset is the smaller form
        sparse = kept & ~dense
        postings = array("I")
        postings.frombytes(halves[:, 0][np.repeat(sparse, counts)].tobytes())  # uint32 already
        offsets = array("Q", [0])
        offsets.frombytes(np.cumsum(np.where(sparse, counts, 0)[kept], dtype=np.uint64).tobytes())
        dense_ids = array("I")
        dense_ids.frombytes(np.flatnonzero(dense[kept]).astype(np.uint32).tobytes())
        width = (n + 7) // 8
        dense_parts = []
        for r in kept_ranks[dense[kept_ranks]].tolist():
            flags = np.zeros(width * 8, np.bool_)
            flags[halves[held_from[r] : held_from[r + 1], 0]] = True
            dense_parts.append(np.packbits(flags, bitorder="little").tobytes())
        blob = "".join(token + "\n" for token in tokens)  # no tokens: no lines
        text_starts = array("Q", accumulate((len(t) + 1 for t in tokens), initial=0))
        return cls(n, blob, text_starts, offsets, postings, dense_ids, b"".join(dense_parts))

    @classmethod
    def combine(cls, n: int, parts: Sequence[TokenIndex]) -> TokenIndex:
        """One index from PARTS built over disjoint ranges of positions, lowest first."""
        tokens = sorted(set().union(*(part.tokens() for part in parts)))
        found_in = [dict(zip(part.tokens(), range(len(part)), strict=True)) for part in parts]
        flat, offsets, dense_ids = array("I"), array("Q", [0]), array("I")
        dense_parts: list[bytes] = []
        width = (n + 7) // 8
        for token_id, token in enumerate(tokens):
            held = [
                (part, ids[token])
                for part, ids in zip(parts, found_in, strict=True)
                if token in ids
            ]
            if any(part._dense_slot.get(at) is not None for part, at in held):
                bits = 0  # frequent in one part (same n, same threshold): frequent overall
                for part, at in held:
                    bits |= part.bits((at,))
                dense_ids.append(token_id)
                dense_parts.append(bits.to_bytes(width, "little"))
            else:
                for part, at in held:
                    flat.extend(part._postings[part._offsets[at] : part._offsets[at + 1]])
            offsets.append(len(flat))
        blob = "".join(token + "\n" for token in tokens)  # no tokens: no lines
        starts = array("Q", accumulate((len(t) + 1 for t in tokens), initial=0))
        return cls(n, blob, starts, offsets, flat, dense_ids, b"".join(dense_parts))

    def tokens(self) -> list[str]:
        """The vocabulary, in token id order."""
        return self._blob.split("\n")[:-1]

    def regions(self) -> dict[str, bytes | memoryview]:
        """The buffers `from_regions` reads back (native byte order)."""
        return {
            "blob": self._blob.encode(),
            "starts": _as_bytes(self._starts, "Q"),
            "offsets": _as_bytes(self._offsets, "Q"),
            "postings": _as_bytes(self._postings, "I"),
            "dense_ids": _as_bytes(array("I", self._dense_slot), "I"),
            "dense_bytes": self._dense_bytes,
        }

    @classmethod
    def from_regions(
        cls, n: int, regions: Mapping[str, memoryview], *, check: bool = True
    ) -> TokenIndex:
        """An index over buffers written by `regions`; ValueError when they do not fit.
        CHECK=False trusts buffers this program has just made (0.1 s at 100k abstracts)."""
        blob = bytes(regions["blob"]).decode()
        starts = regions["starts"].cast("Q")
        offsets = regions["offsets"].cast("Q")
        postings = regions["postings"].cast("I")
        dense_ids = regions["dense_ids"].cast("I")
        dense_bytes = regions["dense_bytes"]
        tokens = len(starts) - 1
        if check and (
            tokens < 0
            or len(offsets) != tokens + 1
            or starts[-1] != len(blob)
            or blob.count("\n") != tokens
            or offsets[-1] != len(postings)
            or any(map(operator.gt, offsets, offsets[1:]))
            or len(dense_bytes) != len(dense_ids) * ((n + 7) // 8)
            or any(token_id >= tokens for token_id in dense_ids)
            or (len(postings) and max(postings) >= n)
        ):
            raise ValueError("word index regions do not fit together")
        return cls(n, blob, starts, offsets, postings, dense_ids, dense_bytes)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def token(self, token_id: int) -> str:
        return self._blob[self._starts[token_id] : self._starts[token_id + 1] - 1]

    def containing(self, piece: str) -> list[int]:
        """Ids of the tokens that contain ``piece``."""
        starts = self._starts
        pattern = re.compile(re.escape(piece) + "[^\n]*")
        return [bisect_right(starts, m.start()) - 1 for m in pattern.finditer(self._blob)]

    def prefixed(self, piece: str) -> range:
        """Ids of the tokens that start with ``piece`` (a range: the vocabulary is sorted)."""
        ids = range(len(self))
        return range(
            bisect_left(ids, piece, key=self.token),
            bisect_left(ids, piece + _LAST, key=self.token),
        )

    def prepare_typo_search(self) -> None:
        """Group the tokens by first letter for `similar` (a fraction of a second at 100k)."""
        if self._buckets is None:
            buckets: dict[str, tuple[list[str], list[int]]] = {}
            for token_id, token in enumerate(self._blob.split("\n")[:-1]):
                if len(token) >= 4:
                    words, ids = buckets.setdefault(token[0], ([], []))
                    words.append(token)
                    ids.append(token_id)
            self._buckets = buckets

    def similar(self, piece: str, cutoff: float) -> list[int]:
        """Ids of tokens within a typo or two of ``piece`` (same first letter, fuzz.ratio)."""
        self.prepare_typo_search()
        assert self._buckets is not None
        words, ids = self._buckets.get(piece[:1], ((), ()))
        found = process.extract(piece, words, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        return [ids[i] for _, _, i in found]

    def bits(self, token_ids: Iterable[int]) -> int:
        """The papers holding any of the given tokens."""
        acc = 0
        flags: bytearray | None = None
        offsets, postings = self._offsets, self._postings
        for token_id in token_ids:
            slot = self._dense_slot.get(token_id)
            if slot is not None:
                acc |= self._dense_bits(token_id, slot)
                continue
            start, end = offsets[token_id], offsets[token_id + 1]
            if flags is None:
                flags = bytearray(self.n)
            if end - start == 1:
                flags[postings[start]] = 1
            else:
                deque(map(flags.__setitem__, postings[start:end], repeat(1)), maxlen=0)
        if flags is not None:
            acc |= bits_from_flags(flags)
        return acc

    def _dense_bits(self, token_id: int, slot: int) -> int:
        bits = self._dense_cache.get(token_id)
        if bits is None:
            width = (self.n + 7) // 8
            chunk = self._dense_bytes[slot * width : (slot + 1) * width]
            bits = self._dense_cache[token_id] = int.from_bytes(chunk, "little")
        return bits


def _as_bytes(values: Sequence[int], typecode: str) -> bytes | memoryview:
    if isinstance(values, memoryview):
        return values.cast("B")
    if isinstance(values, array) and values.typecode == typecode:
        return memoryview(values).cast("B")
    return memoryview(array(typecode, values)).cast("B")


def _pair_keys(
    rank: Any,
    ids: Sequence[int],
    starts: Sequence[int],
    ends: Sequence[int],
    at: Sequence[int],
) -> Any:
    """``rank[token] << 32 | position`` for every (token, paper) pair of `TokenIndex.from_runs`,
    gathered a few thousand papers at a time so no temporary is as big as the result."""
    import numpy as np

    ids = np.asarray(ids)
    starts = np.asarray(starts, np.int64)
    lengths = np.asarray(ends, np.int64) - starts
    at = np.asarray(at, np.uint64)
    keys = np.empty(int(lengths.sum()), np.uint64)
    done = 0
    for low in range(0, len(starts), 4096):
        run_lengths = lengths[low : low + 4096]
        size = int(run_lengths.sum())
        if not size:
            continue
        shift = starts[low : low + 4096] - (np.cumsum(run_lengths) - run_lengths)
        chunk = keys[done : done + size]
        np.take(rank, ids[np.arange(size) + np.repeat(shift, run_lengths)], out=chunk)
        chunk <<= np.uint64(32)
        chunk |= np.repeat(at[low : low + 4096], run_lengths)
        done += size
    return keys
