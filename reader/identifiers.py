"""arXiv identifiers in every spelling users meet, reduced to one canonical form.

`arXiv:2507.19427v2`, `2507.19427`, `https://arxiv.org/abs/2507.19427v1`, `hep-th/9901001v3`
and `arXiv:hep-th/9901001` all name a paper; the canonical form drops the prefix and the
version so they compare equal.
"""

from __future__ import annotations

import re

# New style (2007-04 onward): YYMM.NNNN or YYMM.NNNNN, optional version.
_NEW_ID = r"(?P<new>\d{4}\.\d{4,5})"
# Old style: archive(.SUBJ)/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136.
_OLD_ID = r"(?P<old>[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})"
_ID_BODY = rf"(?:{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?"

_EXACT = re.compile(
    rf"^\s*(?:arxiv\s*:\s*|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)?{_ID_BODY}"
    rf"(?:\.pdf)?\s*$",
    re.IGNORECASE,
)


def normalise_arxiv_id(text: str | None) -> str | None:
    """The canonical id for a string that is exactly an arXiv id (in any spelling), else None."""
    if not text:
        return None
    match = _EXACT.match(text)
    if not match:
        return None
    if match.group("new"):
        return match.group("new")
    old = match.group("old")
    archive, number = old.split("/", 1)
    return f"{archive.lower()}/{number}" if "." not in archive else f"{archive}/{number}"


def arxiv_version(text: str | None) -> int | None:
    """The version number of a versioned id (`2507.19427v2` -> 2), else None."""
    if not text:
        return None
    match = _EXACT.match(text)
    if not match or not match.group("version"):
        return None
    return int(match.group("version"))


def arxiv_abs_url(arxiv_id: str) -> str:
    """The abstract page of a canonical id."""
    return f"https://arxiv.org/abs/{arxiv_id}"


def arxiv_pdf_url(arxiv_id: str) -> str:
    """The PDF of a canonical id."""
    return f"https://arxiv.org/pdf/{arxiv_id}"
