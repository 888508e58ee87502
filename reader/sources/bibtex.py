"""BibTeX files (from Zotero, Google Scholar, arXiv's own export, or `reader export`).

bibtexparser 2 splits the file and reports every block it could not read with its line;
this module turns entries into Records: LaTeX accents and escapes to Unicode (through the
same converter the screen uses, plus the few escapes our own exporter writes), ``Last,
First`` names to ``First Last``, ``eprint``/``archivePrefix``/``primaryClass`` (and the
Google Scholar and DOI spellings of an arXiv id) to the canonical id, ``date`` or
``year``/``month`` to ``YYYY-MM-DD``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

from reader.identifiers import normalise_arxiv_id
from reader.models import ParseIssue, ParseResult, Record, SourceRef
from reader.sources import Layout, ParseOptions

LAYOUT_NAME = "bibtex"

_ENTRY_TYPES = frozenset(
    (
        *("article", "book", "booklet", "conference", "inbook", "incollection"),
        *("inproceedings", "manual", "mastersthesis", "misc", "online", "phdthesis"),
        *("proceedings", "techreport", "unpublished", "report", "thesis", "software"),
        *("dataset", "electronic", "preprint", "string", "preamble", "comment"),
    )
)
_BLOCK_START = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]", re.M)
_AT_BLOCK = re.compile(r"@[ \t]*([A-Za-z]+)[ \t]*[{(]")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_YEAR = re.compile(r"\b(\d{4})\b")
_URL = re.compile(r"https?://[^\s<>\"'{}\\]+[^\s<>\"'{}\\.,;:!?)\]]")
_CODE_HOSTS = ("github.com/", "gitlab.com/", "bitbucket.org/", "codeberg.org/", "huggingface.co/")
#: Escapes the converter does not map to the character our exporter meant; swapped around it.
_PLACEHOLDERS = {
    r"\textasciicircum{}": ("\ue000", "^"),
    r"\textbraceleft{}": ("\ue001", "{"),
    r"\textbraceright{}": ("\ue002", "}"),
}
_URL_ESCAPES = re.compile(r"\\([_%&#$~])")


def detect(text: str) -> float:
    """Sure when the first block is ``@type{``; likely when any line opens a known entry."""
    for line in text[:65536].splitlines():  # the first line that is not blank or a % comment
        line = line.lstrip()
        if line and not line.startswith("%"):
            first = _BLOCK_START.match(line)
            if first:
                return 0.98 if first.group(1).lower() in _ENTRY_TYPES else 0.9
            break
    kinds = list(_block_kinds(text, 1 << 20))
    if any(kind in _ENTRY_TYPES for kind in kinds):
        return 0.9
    return 0.6 if kinds else 0.0


def _block_kinds(text: str, limit: int) -> Iterator[str]:
    """The type of every line in text[:limit] that opens a block (`@type{`), lowercased.

    Found from each `@` (a fast string search), keeping those with only spaces or tabs
    before them on their line.
    """
    at = text.find("@", 0, limit)
    while at >= 0:
        match = _AT_BLOCK.match(text, at, limit)
        if match and not text[text.rfind("\n", 0, at) + 1 : at].strip(" \t"):
            yield match.group(1).lower()
        at = text.find("@", at + 1, limit)


def parse(text: str, file: str, options: ParseOptions) -> ParseResult:
    """Every entry as a Record; unreadable blocks become issues naming their line."""
    del options  # BibTeX dates are explicit
    import bibtexparser  # imported here: only BibTeX imports pay for it
    from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry

    # bibtexparser also logs each failed block; we report them as issues instead.
    logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
    logging.getLogger("bibtexparser").propagate = False
    try:
        library = bibtexparser.parse_string(text)
    except Exception as exc:  # the splitter is tolerant; a crash still must not escape
        issue = ParseIssue(file, 1, f"cannot read BibTeX: {exc}", "error")
        return ParseResult(file, LAYOUT_NAME, [], [issue])

    issues: list[ParseIssue] = []
    entries: list[Any] = list(library.entries)
    for block in library.failed_blocks:
        line = _line(block)
        salvage = getattr(block, "ignore_error_block", None)
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(salvage, Entry):
            first = _line(block.previous_block)
            issues.append(
                ParseIssue(
                    file,
                    line,
                    f"duplicate citation key '{block.key}' (first used at line {first}); "
                    "entry imported anyway",
                )
            )
            entries.append(salvage)
        elif isinstance(block, DuplicateFieldKeyBlock) and isinstance(salvage, Entry):
            fields = ", ".join(sorted(block.duplicate_keys))
            issues.append(
                ParseIssue(file, line, f"field given twice ({fields}); the last value is used")
            )
            entries.append(salvage)
        else:
            issues.append(
                ParseIssue(file, line, f"BibTeX block not readable, skipped: {_reason(block)}")
            )

    records: list[Record] = []
    for entry in sorted(entries, key=_line):
        if entry.entry_type.lower() in ("string", "preamble", "comment"):
            continue
        record, problem = _record(entry, file)
        if problem:
            issues.append(ParseIssue(file, _line(entry), problem))
        if record is not None:
            records.append(record)
    if not records:
        issues.append(ParseIssue(file, 1, "no readable BibTeX entries in this file", "error"))
    return ParseResult(file, LAYOUT_NAME, records, issues)


def _line(block: Any) -> int:
    """bibtexparser counts lines from 0; issues and sources count from 1."""
    start = getattr(block, "start_line", None)
    return start + 1 if isinstance(start, int) and start >= 0 else 1


def _reason(block: Any) -> str:
    error = getattr(block, "error", None)
    reason = getattr(error, "abort_reason", None) or (str(error) if error else "")
    reason = " ".join(str(reason).split())
    return reason or "syntax error"


def _record(entry: Any, file: str) -> tuple[Record | None, str | None]:
    fields: dict[str, str] = {}
    for key, field in entry.fields_dict.items():
        value = field.value
        fields[key.lower()] = value if isinstance(value, str) else str(value)

    title = decode_latex(fields.get("title", ""))
    abstract = decode_latex(fields.get("abstract", ""))
    if not title and not abstract:
        return None, f"entry '{entry.key}' has neither a title nor an abstract; skipped"
    authors, truncated = _authors(fields.get("author", ""))

    comments: list[str] = []
    for name in ("journal", "booktitle"):
        venue = decode_latex(fields.get(name, ""))
        if venue and normalise_arxiv_id(_scholar_arxiv(venue)) is None:
            comments.append(venue)
    note = decode_latex(fields.get("note", ""))
    if note:
        comments.append(note)
    keywords = decode_latex(fields.get("keywords", ""))
    if keywords:
        comments.append(f"Keywords: {keywords}")

    urls = [_plain(fields[name]) for name in ("url", "howpublished") if _is_url(fields.get(name))]
    for text in (fields.get("note", ""), fields.get("howpublished", ""), abstract):
        urls.extend(_plain(url) for url in _URL.findall(text))
    urls = list(dict.fromkeys(url for url in urls if url))
    doi = re.sub(
        r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", _plain(fields.get("doi", "")), flags=re.I
    )

    arxiv_id = _arxiv_id(fields, doi)
    record = Record(
        source=SourceRef(file, _line(entry), LAYOUT_NAME),
        title=title or None,
        title_own_line=bool(title),
        authors=authors,
        authors_truncated=truncated,
        category=_plain(fields.get("primaryclass", "")) or None,
        date=_date(fields, arxiv_id),
        arxiv_id=arxiv_id,
        has_code=any(host in url for url in urls for host in _CODE_HOSTS),
        urls=tuple(urls),
        comments=tuple(comments),
        abstract=abstract or None,
        doi=doi or None,
    )
    return record, None


def decode_latex(value: str) -> str:
    """A BibTeX field value as plain Unicode text on one line (never raises)."""
    if not value:
        return ""
    text = value
    for escape, (placeholder, _char) in _PLACEHOLDERS.items():
        text = text.replace(escape, placeholder)
    if "\\" in text or "$" in text:
        from reader.text import latex_to_unicode  # here: it imports Rich, and detection must not

        text = latex_to_unicode(text)
    else:  # no macros: every brace is BibTeX case protection
        text = text.replace("{", "").replace("}", "")
    for placeholder, char in _PLACEHOLDERS.values():
        text = text.replace(placeholder, char)
    return " ".join(text.split())


def _authors(value: str) -> tuple[tuple[str, ...], bool]:
    """``A and Last, First and others`` -> (("A", "First Last"), truncated=True)."""
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    if not value.strip():
        return (), False
    try:
        raw_names = split_multiple_persons_names(" ".join(value.split()))
    except Exception:
        raw_names = re.split(r"\s+and\s+", value)
    names: list[str] = []
    truncated = False
    for raw in raw_names:
        raw = raw.strip()
        if raw.lower() == "others":
            truncated = True
            continue
        if _top_level_comma(raw):
            with contextlib.suppress(Exception):  # odd names stay as written
                raw = parse_single_name_into_parts(raw, strict=False).merge_first_name_first
        name = decode_latex(raw)
        if name:
            names.append(name)
    return tuple(names), truncated


def _top_level_comma(name: str) -> bool:
    depth = 0
    for char in name:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            return True
    return False


def _plain(value: str) -> str:
    """A URL, DOI or code field: braces and TeX escapes off, no other decoding."""
    value = value.strip()
    if value.startswith("\\url{") and value.endswith("}"):
        value = value[5:-1]
    return _URL_ESCAPES.sub(r"\1", value.replace("{", "").replace("}", "")).strip()


def _is_url(value: str | None) -> bool:
    return bool(value) and _plain(value).startswith(("http://", "https://"))


def _date(fields: Mapping[str, str], arxiv_id: str | None) -> str | None:
    """``YYYY-MM-DD`` from ``date`` (biblatex) or ``year``/``month``.

    A date without its day (or month) is filled with 01, but only for papers with no arXiv
    id: an arXiv paper is dated exactly by its listings, and the merge keeps the earliest
    date, so a made-up 1 January would win over the real one.
    """
    match = _DATE.match(_plain(fields.get("date", "")))
    if match:
        year, month, day = match.group(1), match.group(2), match.group(3)
    else:
        found = _YEAR.search(_plain(fields.get("year", "")))
        if not found:
            return None
        number = _month(fields.get("month", ""))
        year, month, day = found.group(1), str(number) if number else None, None
    if (month is None or day is None) and arxiv_id:
        return None
    month, day = month or "1", day or "1"
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _month(value: str) -> int | None:
    text = _plain(value).lower().rstrip(".")
    if text.isdigit():
        return int(text) if 1 <= int(text) <= 12 else None
    return _MONTHS.get(text) or _MONTHS.get(text[:3])


def _arxiv_id(fields: Mapping[str, str], doi: str | None) -> str | None:
    prefix = _plain(fields.get("archiveprefix", "") or fields.get("eprinttype", "")).lower()
    eprint = _plain(fields.get("eprint", ""))
    if eprint and prefix in ("arxiv", ""):
        found = normalise_arxiv_id(eprint)
        if found:
            return found
    if doi and doi.lower().startswith("10.48550/arxiv."):
        found = normalise_arxiv_id(doi[len("10.48550/arxiv.") :])
        if found:
            return found
    for name in ("journal", "booktitle", "url", "note"):
        found = normalise_arxiv_id(_scholar_arxiv(_plain(fields.get(name, ""))))
        if found:
            return found
    return None


def _scholar_arxiv(text: str) -> str:
    """Google Scholar's ``arXiv preprint arXiv:2507.19427`` -> ``arXiv:2507.19427``."""
    match = re.search(r"(?:arxiv\.org/(?:abs|pdf)/|arXiv:)\s*(\S+?)(?:\.pdf)?\s*$", text, re.I)
    return f"arXiv:{match.group(1)}" if match else text


LAYOUT = Layout(LAYOUT_NAME, detect, parse, best_score=0.98)
