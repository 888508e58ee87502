"""Papers out of reader: BibTeX, a Markdown reading list, CSV, JSON and JSON Lines.

Titles, abstracts and notes are untrusted text; every format escapes what would break it
(BibTeX specials and braces, Markdown link and emphasis syntax, CSV quoting, JSON string
escapes) so any paper exports to a file its readers parse back to the same text.  The
JSON formats are what `reader import` reads back (`reader.sources.reader_json`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Sequence

from reader.identifiers import arxiv_abs_url
from reader.models import Paper, PaperState
from reader.text import latex_to_unicode

EXPORT_FORMATS = ("bibtex", "markdown", "csv", "json", "jsonl")

StateOf = Callable[[Paper], PaperState]

CSV_COLUMNS = (
    *("key", "arxiv_id", "title", "authors", "date", "updated", "category", "doi", "url"),
    *("abstract", "comments", "read", "starred", "note", "tags"),
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\^{}",
}
#: One pass over the text: specials to their escapes, control characters to spaces.
_BIBTEX_TABLE = str.maketrans(
    {**_BIBTEX_ESCAPES, **{chr(c): " " for c in (*range(0x20), 0x7F) if chr(c) not in "\t\n\r"}}
)
#: ``` `` ``` and ``''`` would become curly quotes in LaTeX: a ``{}`` between keeps them.
_TEX_QUOTES = re.compile(r"([`'])(?=\1)")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_STOPWORDS = frozenset(("a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "is"))
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]!|~])")
#: What would start a heading, list, quote or rule if the text began a line.
_MARKDOWN_LEADING = re.compile(r"^(?:([#+\-=])|(\d+)([.)]))")


def export_papers(papers: Sequence[Paper], state_of: StateOf, fmt: str) -> str:
    """All `papers` in format `fmt` (one of EXPORT_FORMATS), with the user's marks."""
    writers = {
        "bibtex": export_bibtex,
        "markdown": export_markdown,
        "csv": export_csv,
        "json": export_json,
        "jsonl": export_jsonl,
    }
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r} (choose from {', '.join(EXPORT_FORMATS)})")
    return writers[fmt](papers, state_of)


# ------------------------------------------------------------------------------- JSON


def export_json(papers: Sequence[Paper], state_of: StateOf) -> str:
    """A JSON array, one paper object per line (so import issues name a useful line)."""
    from reader.render import json_line

    if not papers:
        return "[]\n"
    return "[\n" + ",\n".join(json_line(p, state_of(p)) for p in papers) + "\n]\n"


def export_jsonl(papers: Sequence[Paper], state_of: StateOf) -> str:
    """JSON Lines: one paper object per line."""
    from reader.render import json_line

    return "".join(json_line(p, state_of(p)) + "\n" for p in papers)


# ------------------------------------------------------------------------------- CSV


def export_csv(papers: Sequence[Paper], state_of: StateOf) -> str:
    """A header row, then one row per paper; lists joined with ``; ``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for paper in papers:
        state = state_of(paper)
        writer.writerow(
            (
                paper.key,
                paper.arxiv_id or "",
                paper.title,
                "; ".join(paper.authors) + ("; et al." if paper.authors_truncated else ""),
                paper.date or "",
                paper.updated or "",
                paper.category or "",
                paper.doi or "",
                paper_url(paper),
                paper.abstract,
                "; ".join(paper.comments),
                "yes" if state.read else "no",
                "yes" if state.starred else "no",
                state.note,
                "; ".join(state.tags),
            )
        )
    return out.getvalue()


def paper_url(paper: Paper) -> str:
    """Where a reader of the export can open the paper: arXiv, else DOI, else its first URL."""
    if paper.arxiv_id:
        return arxiv_abs_url(paper.arxiv_id)
    if paper.doi:
        return f"https://doi.org/{paper.doi}"
    return paper.urls[0] if paper.urls else ""


# ------------------------------------------------------------------------------- Markdown


def export_markdown(papers: Sequence[Paper], state_of: StateOf) -> str:
    """A reading list: a task-list item per paper (checked when read), then its details."""
    lines = ["# Reading list", "", f"{len(papers)} papers.", ""]
    for paper in papers:
        state = state_of(paper)
        title = _md_text(latex_to_unicode(paper.title) or "(untitled)")
        url = paper_url(paper)
        linkable = url.startswith(("https://", "http://"))
        link = f"[{title}](<{_md_url(url)}>)" if linkable else title
        star = " ★" if state.starred else ""
        lines.append(f"- [{'x' if state.read else ' '}] {link}{star}")
        authors = ", ".join(latex_to_unicode(a) for a in paper.authors)
        if paper.authors_truncated:
            authors += " et al."
        facts = [f for f in (authors, paper.date or "", paper.category or "") if f]
        if facts:
            lines.append("  " + _md_text(" · ".join(facts)))
        if state.tags:
            lines.append("  Tags: " + ", ".join(f"`{_md_code(t)}`" for t in state.tags))
        if state.note.strip():
            note_lines = [ln for ln in state.note.strip().splitlines() if ln.strip()] or [""]
            lines.append("  > **Note:** " + _md_text(note_lines[0]))
            lines.extend("  > " + _md_text(ln) for ln in note_lines[1:])
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_text(text: str) -> str:
    """Untrusted text as literal Markdown on one line: no links, emphasis, HTML or headings."""
    text = " ".join(_CONTROLS.sub(" ", text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    return _MARKDOWN_LEADING.sub(_escape_leading, text, count=1)


def _escape_leading(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return match.group(2) + "\\" + match.group(3)


def _md_url(url: str) -> str:
    """A URL safe inside ``<...>``: no spaces, angle brackets or newlines."""
    return re.sub(r"[\s<>]", lambda m: f"%{ord(m.group()):02X}", url)


def _md_code(text: str) -> str:
    return " ".join(text.split()).replace("`", "'")


# ------------------------------------------------------------------------------- BibTeX


def export_bibtex(papers: Sequence[Paper], state_of: StateOf) -> str:
    """One ``@misc`` (arXiv) or ``@article`` (DOI only) entry per paper, unique keys."""
    taken: set[str] = set()
    entries = [_bibtex_entry(p, state_of(p), _citation_key(p, taken)) for p in papers]
    return "\n".join(entries)


def _citation_key(paper: Paper, taken: set[str]) -> str:
    """``lastname + year + first title word``, then ``a``, ``b``, ... on a clash."""
    first_author = latex_to_unicode(paper.authors[0]).split() if paper.authors else []
    last = _ascii_word(first_author[-1]) if first_author else ""
    year = (paper.date or "")[:4] if (paper.date or "")[:4].isdigit() else "nd"
    words = (_ascii_word(w) for w in latex_to_unicode(paper.title).split()[:12])
    kept = [w for w in words if w]
    word = next((w for w in kept if w not in _STOPWORDS), kept[0] if kept else "")
    base = f"{last or 'anon'}{year}{word}"
    key, n = base, 0
    while key in taken:
        key = base + _suffix(n)
        n += 1
    taken.add(key)
    return key


def _suffix(n: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa, ..."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _bibtex_entry(paper: Paper, state: PaperState, key: str) -> str:
    fields: list[tuple[str, str]] = [("title", _bib_text(paper.title))]
    if paper.authors:
        names = [_bib_name(a) for a in paper.authors]
        if paper.authors_truncated:
            names.append("others")
        fields.append(("author", " and ".join(names)))
    date = paper.date or ""
    if date[:4].isdigit():
        fields.append(("year", date[:4]))
    if len(date) >= 7 and date[5:7].isdigit() and 1 <= int(date[5:7]) <= 12:
        fields.append(("month", _MONTHS[int(date[5:7]) - 1]))
    if len(date) == 10:
        fields.append(("date", date))
    if paper.arxiv_id:
        fields.append(("eprint", paper.arxiv_id))
        fields.append(("archivePrefix", "arXiv"))
        if paper.category:
            fields.append(("primaryClass", _bib_text(paper.category)))
    if paper.doi:
        fields.append(("doi", _bib_verbatim(paper.doi)))
    url = paper_url(paper)
    if url:
        fields.append(("url", _bib_verbatim(url)))
    if paper.abstract:
        fields.append(("abstract", _bib_text(paper.abstract)))
    if state.note.strip():
        fields.append(("note", _bib_literal(state.note)))
    if state.tags:
        fields.append(("keywords", _bib_literal(", ".join(state.tags))))
    kind = "misc" if paper.arxiv_id or not paper.doi else "article"
    body = ",\n".join(
        f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}"  # jan..dec macros
        for name, value in fields
    )
    return f"@{kind}{{{key},\n{body}\n}}\n"


def _bib_escape(text: str) -> str:
    """Every BibTeX/LaTeX special escaped; doubled quotes split so they stay literal."""
    text = " ".join(text.translate(_BIBTEX_TABLE).split())
    if "``" in text or "''" in text:
        text = _TEX_QUOTES.sub(r"\1{}", text)
    return text


def _bib_text(text: str) -> str:
    """Listing text (LaTeX-flavoured): rendered to Unicode, then every special escaped."""
    return _bib_escape(latex_to_unicode(text))


def _bib_literal(text: str) -> str:
    """User text (notes, tags): taken literally, every special escaped."""
    return _bib_escape(text)


def _bib_verbatim(text: str) -> str:
    """URLs and DOIs, kept exact so they stay clickable; only braces and backslashes (which
    would unbalance the field) and whitespace are percent-encoded."""
    return re.sub(r"[\\{}\s]", lambda m: f"%{ord(m.group()):02X}", text.strip())


def _bib_name(name: str) -> str:
    """A display name for the author list; braced when it holds `and` or a comma."""
    text = _bib_text(name)
    if re.search(r"\band\b", text, re.I) or "," in text:
        return "{" + text + "}"
    return text
