"""Author lists by structure: name checks, `et al.`, ` · affiliation`, and title/author splits.

Listings run a title and its authors together (`…Technical ReportChen Hu, Haikuo Du et al.`).
The split point is found by structure, not by knowing the paper: it sits where an uppercase
letter directly follows a non-space character, and what follows must read as a list of
person names.  The earliest such point wins.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: Lines longer than this are not searched for a title/author split (linear-time guard).
MAX_SPLIT_LINE = 20_000
#: A single name longer than this is not a name.
MAX_NAME_CHARS = 80

_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|[-'’.])*")
_NAME_PARTS = re.compile(r"[-'’.]")
_PARTICLES = frozenset(
    {
        "de", "del", "della", "der", "di", "da", "das", "dos", "du", "la", "le", "van", "von",
        "den", "ten", "ter", "bin", "al", "el", "y", "zu",
    }
)  # fmt: skip
#: A possible split point: a character after a non-space one that is not ASCII other than A-Z
#: (so every uppercase letter; the caller checks `isupper` for the non-ASCII ones).
_CANDIDATE = re.compile(r"[^\s\x00-@\[-\x7f](?<=\S.)")  # char first: a fast charset scan
_AUTHOR_SEPARATORS = re.compile(r",|\band\b")
_AFFILIATION_SEPARATORS = re.compile(r"\s*(?:·|;|,)\s*")
_ET_AL = re.compile(r",?\s*\bet\s+al\b\.?\s*$", re.IGNORECASE)
#: Surname prefixes that take an inner capital: Le|Cun, De|Vries, Mc|Donald, Mac|Kay.  Any
#: other run before an inner capital (Report|Chen, Step|Fun, DEs|Yeeun) is a title word
#: glued to a name.
NAME_PREFIXES = frozenset(
    {"mc", "mac", "o", "d", "l", "de", "di", "da", "du", "la", "le", "van", "von", "st", "fitz"}
)


@dataclass(frozen=True, slots=True)
class AuthorLine:
    """An author line taken apart: names, whether `et al.` cut it, affiliations after ` · `."""

    authors: tuple[str, ...]
    truncated: bool
    affiliations: tuple[str, ...]


def _inner_capitals_ok(part: str) -> bool:
    """Each run before an inner capital is a surname prefix (LeCun, McDonald, DeLaCruz)."""
    start = 0
    for index in range(1, len(part)):
        if part[index].isupper():
            if part[start:index].casefold() not in NAME_PREFIXES:
                return False
            start = index
    return True


#: Per-token verdict bits for `is_person_name` (a token's verdict never depends on context).
_PARTICLE, _UPPER_START, _OK_ALONE, _OK_IN_NAME = 1, 2, 4, 8


@functools.lru_cache(maxsize=1 << 16)
def _token_verdict(token: str) -> int:
    """What `is_person_name` needs to know of one token, as bits (cached: names repeat)."""
    bits = _PARTICLE if token.casefold() in _PARTICLES else 0
    if token[:1].isupper():
        bits |= _UPPER_START
    if _TOKEN.fullmatch(token):
        bits |= _OK_ALONE
        # "Jean-Pierre", "O'Neil", "McDonald" are names; "ReportChen" is a title word glued on.
        if not _has_upper(token[1:]) or all(
            _inner_capitals_ok(part) for part in _NAME_PARTS.split(token) if part
        ):
            bits |= _OK_IN_NAME
    return bits


def _has_upper(text: str) -> bool:
    if text.isascii():  # the usual case, without a Python loop
        return text.lower() != text
    return any(ch.isupper() for ch in text)


def _reads_as_person_name(name: str) -> bool:
    """Does ``name`` read as one person's name (1-4 name-like tokens, no digits)?

    Free internal capitals are allowed only in a one-word name (`StepFun`); a person's name
    may have them only after a surname prefix (`LeCun`, `McDonald`, `DeVries`), so a title
    word glued to a name (`ReportChen Hu`, `ODEsYeeun Seong`) or a garbled name
    (`Bin StepFun`) is refused; `Jean-Pierre` and `O'Neil` pass.
    """
    if not name or len(name) > MAX_NAME_CHARS:
        return False
    tokens = name.split()
    if not 1 <= len(tokens) <= 6:
        return False
    # Free inner capitals only for a one-word name (an organisation: StepFun, DeepMind);
    # in a person's name they mean a title word glued on (`ODEsYeeun Seong`).
    need = _OK_ALONE if len(tokens) == 1 else _OK_IN_NAME
    particles = 0
    upper = False
    for token in tokens:
        bits = _token_verdict(token)
        if not bits & need:
            return False
        particles += bits & _PARTICLE
        upper = upper or bool(bits & _UPPER_START)
    return upper and 1 <= len(tokens) - particles <= 4


#: Cached: author names repeat across a listing.  Split candidates (`Feature LearningTianyi
#: Zhao`) are nearly all unique, so they go to the uncached test and leave the cache to names.
is_person_name = functools.lru_cache(maxsize=1 << 16)(_reads_as_person_name)


def is_clean_author_list(authors: tuple[str, ...] | list[str]) -> bool:
    """True when every item is a plausible person name (no `:` or stray tokens)."""
    return bool(authors) and all(is_person_name(a) for a in authors)


def _split_affiliations(text: str) -> tuple[str, tuple[str, ...]]:
    if " · " not in text:
        return text, ()
    head, _, tail = text.partition(" · ")
    return head, tuple(filter(None, map(str.strip, _AFFILIATION_SEPARATORS.split(tail))))


def _strip_et_al(text: str) -> tuple[str, bool]:
    """Drop a trailing `et al.` (searched in the last 40 chars only: linear time)."""
    end = text.rstrip()
    end = end[:-1] if end.endswith(".") else end
    if end[-2:].lower() != "al":
        return text, False  # no `al` or `al.` at the end: no need for the regex
    offset = max(0, len(text) - 40)
    # A match's `et` can only sit just before the whitespace before that `al`: search from
    # the comma or whitespace leading to it instead of trying every one of the 40 positions.
    head = end[:-2]
    before = head.rstrip()
    if len(before) < len(head) and before[-2:].lower() == "et":
        lead = before[:-2].rstrip()
        offset = max(offset, len(lead) - lead.endswith(","))
    match = _ET_AL.search(text, offset)
    if not match:
        return text, False
    return text[: match.start()], True


def parse_author_line(text: str) -> AuthorLine:
    """Take an author line as given: `A, B et al. · affil` -> names, truncated, affiliations."""
    text = text.strip()
    text, affiliations = _split_affiliations(text)
    text, truncated = _strip_et_al(text)
    parts = _AUTHOR_SEPARATORS.split(text) if "and" in text else text.split(",")
    return AuthorLine(tuple(filter(None, map(str.strip, parts))), truncated, affiliations)


def looks_like_author_line(text: str) -> bool:
    """Does a whole line read as an author list (used to tell authors from abstract)?"""
    if len(text) > MAX_SPLIT_LINE:
        return False
    line = parse_author_line(text)
    return is_clean_author_list(line.authors)


def _is_name_item(item: str) -> bool:
    """`is_person_name`, without caching the long items (a title with the first name) that
    are never names and would push real names out of the cache."""
    return len(item) <= MAX_NAME_CHARS and is_person_name(item)


def split_title_authors(text: str) -> tuple[str, AuthorLine] | None:
    """Split a run-together `TitleAuthor, Author et al. · affil` line, or None if no split.

    Candidates are positions where an uppercase letter follows a non-space character; the
    remainder must be a comma-separated list of names whose first name passes the strict
    check.  The earliest valid candidate wins.  Linear in the line length.
    """
    text = text.strip()
    if not text or len(text) > MAX_SPLIT_LINE:
        return None
    body, affiliations = _split_affiliations(text)
    body, truncated = _strip_et_al(body)
    body = body.rstrip().rstrip(",").rstrip()
    items = body.split(",")
    # Every item after the k-th comma is a name exactly when k >= names_from (walked from
    # the end, stopping at the first item that is not a name).
    names_from = len(items) - 1
    while names_from > 0 and _is_name_item(items[names_from].strip()):
        names_from -= 1
    # Only the last MAX_NAME_CHARS of each item from `names_from` on can hold the split.
    start = sum(map(len, items[:names_from])) + names_from  # each item before, and its comma
    for k in range(names_from, len(items)):
        end = start + len(items[k])
        for match in _CANDIDATE.finditer(body, max(start, end - MAX_NAME_CHARS), end):
            i = match.start()
            if not body[i].isupper():  # the pattern lets every non-ASCII character through
                continue
            first = body[i:end].strip()
            if not _reads_as_person_name(first):
                continue
            title = body[:i].strip()
            if not title:
                continue
            rest = [first] + [item.strip() for item in items[k + 1 :]]
            return title, AuthorLine(tuple(rest), truncated, affiliations)
        start = end + 1
    return None
