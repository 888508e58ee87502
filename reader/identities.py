"""What a paper is known by: normalised text, fingerprints, identities and stable keys.

Kept apart from the merge so the rules that decide a paper's key (and so where the user's
marks land after a rebuild) sit in one short place.  Not to be confused with
``reader.identifiers``, which normalises arXiv ids themselves.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reader.models import SourceRef

if TYPE_CHECKING:
    from reader.textspool import TextSpool

#: Words of an abstract's opening hashed into its ``abs:`` identity.
IDENTITY_WORDS = 20

_LATEX_ACCENT = re.compile(r"\\[^A-Za-z\s]|[{}$]")
_NON_WORD = re.compile(r"[\W_]+")
#: ASCII letters and digits lowercased, everything else a space, as a bytes table: on the
#: merge's abstracts bytes.translate+split is ~1.5x faster than casefold+str.translate+split.
_ASCII_WORDS = bytes(ord(chr(i).lower()) if chr(i).isalnum() else 32 for i in range(256))
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def normalise_text(text: str) -> str:
    """Casefolded words only: LaTeX accents and markup, accents and punctuation dropped."""
    return _normalise(text, "\\" in text or "$" in text or "{" in text)


def _normalise(text: str, latex: bool) -> str:
    if latex:
        text = _LATEX_ACCENT.sub("", text).replace("\\", " ")
    if text.isascii():  # fast path: most listing text
        return b" ".join(text.encode("ascii").translate(_ASCII_WORDS).split()).decode("ascii")
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


#: What `Normalised.head`, and the tail `closing` is taken from, are guaranteed to hold
#: when they are not the whole text.
HEAD_MIN_CHARS = 200
HEAD_MIN_WORDS = 21
TAIL_MIN_WORDS = 6
_HEAD_RAW = 250
_TAIL_RAW = 80
#: Words of an abstract's ends that block it with others in the merge, taken from at most
#: END_CHARS characters of the end.
END_WORDS = 6
END_CHARS = 300


class Normalised:
    """``normalise_text(raw)``, its opening and closing computed first, the whole on demand.

    Normalising never joins text across a space, so the two ends of a long abstract can be
    normalised on their own (a fifth of the work) and are exact: ``head`` is a word-aligned
    prefix of the whole with at least HEAD_MIN_CHARS characters and HEAD_MIN_WORDS words,
    or the whole; its tail likewise a suffix with at least TAIL_MIN_WORDS words.  Most
    abstracts never need more (no near-duplicate), so ``whole`` waits until asked.

    Of the tail only ``closing`` is kept, the merge's blocking key: `>` and its last
    END_WORDS words (made once per text, and the very string the merge's table holds).

    Given a SPOOL where RAW is text NUMBER, the form keeps that number instead of RAW and
    reads it back when asked (a big build's abstracts stay out of memory, see
    `reader.textspool`).  Forms order by their raw texts, and one text has one form in a
    merge, so identity is equality.
    """

    __slots__ = ("_raw", "_whole", "closing", "head", "number", "spool")

    def __init__(self, raw: str, spool: TextSpool | None = None, number: int = -1) -> None:
        self._raw = raw if spool is None else None
        self.spool = spool
        self.number = number
        self._whole: str | None = None
        latex = "\\" in raw or "$" in raw or "{" in raw
        head = tail = ""
        if len(raw) > _HEAD_RAW + _TAIL_RAW + 200:
            cut = raw.find(" ", _HEAD_RAW)
            cut_tail = raw.rfind(" ", 0, len(raw) - _TAIL_RAW)
            if cut != -1 and cut_tail > cut:
                head, tail = raw[:cut], raw[cut_tail + 1 :]
                if not latex and head.isascii() and tail.isascii():  # `_normalise`'s fast path
                    head = b" ".join(head.encode().translate(_ASCII_WORDS).split()).decode()
                    tail = b" ".join(tail.encode().translate(_ASCII_WORDS).split()).decode()
                else:
                    head, tail = _normalise(head, latex), _normalise(tail, latex)
                if (
                    len(head) < HEAD_MIN_CHARS
                    or head.count(" ") < HEAD_MIN_WORDS - 1
                    or tail.count(" ") < TAIL_MIN_WORDS - 1
                ):
                    head = ""  # the ends cannot stand for the whole: normalise it all
        if not head:
            head = tail = self._whole = _normalise(raw, latex)
        self.head = head
        last = tail[-END_CHARS:].rsplit(maxsplit=END_WORDS)[-END_WORDS:]
        self.closing = ">" + " ".join(last)

    @property
    def raw(self) -> str:
        raw = self._raw
        if raw is None:
            assert self.spool is not None
            return self.spool.text(self.number)
        return raw

    @property
    def whole(self) -> str:
        if self._whole is None:
            self._whole = normalise_text(self.raw)
        return self._whole

    def __lt__(self, other: Normalised | str) -> bool:
        return self.raw < (other.raw if isinstance(other, Normalised) else other)

    def __gt__(self, other: Normalised | str) -> bool:
        return self.raw > (other.raw if isinstance(other, Normalised) else other)


def fingerprint(text: str, chars: int = 12) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()[:chars]


def paper_identities(
    titled: bool,
    norm_title: str,
    arxiv_id: object,
    norm_abstracts: Sequence[str],
    other_titles: Sequence[str],
    first: SourceRef,
) -> list[str]:
    """A paper's identities, primary first: title fingerprint > arXiv id > abstract opening."""
    identities: list[str] = []
    blake2b = hashlib.blake2b  # `fingerprint` inlined: called twice for each of 100k papers
    if titled:
        identities.append("title:" + blake2b(norm_title.encode(), digest_size=16).hexdigest()[:12])
    if arxiv_id:
        identities.append(f"arxiv:{arxiv_id}")
    for norm in norm_abstracts:
        if norm:
            opening = " ".join(norm[:600].split(maxsplit=IDENTITY_WORDS)[:IDENTITY_WORDS])
            identities.append("abs:" + blake2b(opening.encode(), digest_size=16).hexdigest()[:12])
    if other_titles:
        titles = {norm_title} if titled else set()
        for t in other_titles:
            if t and t not in titles:  # a repeated title would give a repeated identity
                titles.add(t)
                identities.append("title:" + fingerprint(t))
    if not identities:
        identities.append(f"source:{first.file}:{first.line}")
    if len(identities) > 1 and (other_titles or len(norm_abstracts) > 1):
        return list(dict.fromkeys(identities))  # only these can repeat an identity
    return identities


def new_key(identity: str, taken: set[str], reserved: set[str]) -> str:
    """10 hex chars of the identity's hash; a collision extends it deterministically."""
    digest = hashlib.blake2b(identity.encode("utf-8"), digest_size=32).hexdigest()
    key = digest[:10]
    if key not in taken and key not in reserved:  # nearly always
        return key
    for length in range(12, len(digest) + 1, 2):
        if digest[:length] not in taken and digest[:length] not in reserved:
            return digest[:length]
    counter = 1
    while f"{digest[:10]}-{counter}" in taken or f"{digest[:10]}-{counter}" in reserved:
        counter += 1
    return f"{digest[:10]}-{counter}"
