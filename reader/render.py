"""Papers as terminal text and as JSON for the CLI.

Listing text is untrusted: everything meant for a person goes through `display_text`, and
JSON escapes the characters a terminal would act on (C1 controls, bidi overrides,
zero-width marks) besides the ones JSON always escapes, so `reader list --json` is safe
to print and still decodes to the exact text.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from reader.identifiers import arxiv_abs_url, arxiv_pdf_url
from reader.models import Paper, PaperState
from reader.text import display_text, inert_text

_UNSAFE_IN_JSON = re.compile("[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _escape_unsafe(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def paper_json(paper: Paper, state: PaperState) -> dict[str, Any]:
    """The JSON object of a paper with the user's marks."""
    data = paper.to_dict()
    data.update(read=state.read, starred=state.starred, note=state.note, tags=list(state.tags))
    return data


def _dumps(value: Any, indent: bool = False) -> str:
    option = orjson.OPT_INDENT_2 if indent else 0
    return _UNSAFE_IN_JSON.sub(_escape_unsafe, orjson.dumps(value, option=option).decode())


def json_line(paper: Paper, state: PaperState, *, indent: bool = False) -> str:
    """One paper as a JSON object (one line unless indent)."""
    return _dumps(paper_json(paper, state), indent)


def json_array(papers: Sequence[Paper], state_of: Callable[[Paper], PaperState]) -> str:
    """Papers as a JSON array (what `reader list --json` prints)."""
    return _dumps([paper_json(paper, state_of(paper)) for paper in papers])


def marks(state: PaperState) -> str:
    """Three mark columns: unread, starred, noted."""
    return (
        ("·" if not state.read else " ")
        + ("★" if state.starred else " ")
        + ("✎" if state.note else " ")
    )


def list_line(paper: Paper, state: PaperState) -> str:
    """key, date, category, marks, title (and first author): one line a paper."""
    author = display_text(paper.authors[0]) if paper.authors else ""
    more = " et al." if len(paper.authors) > 1 or paper.authors_truncated else ""
    title = display_text(paper.title)
    if paper.title_derived:
        title = f"[untitled] {title}"
    return (
        f"{paper.key}  {paper.date or '----------'}  {display_text(paper.category or '-'):<6} "
        f"{marks(state)} {title}" + (f" — {author}{more}" if author else "")
    )


def _wrapped(text: str, width: int = 88, indent: str = "  ") -> list[str]:
    return textwrap.wrap(
        display_text(text), width, initial_indent=indent, subsequent_indent=indent
    ) or [indent]


def show_lines(paper: Paper, state: PaperState) -> list[str]:
    """One paper in full, for `reader show`."""
    lines = [
        display_text(paper.title)
        + ("  (title derived from the abstract)" if paper.title_derived else ""),
        "",
    ]
    authors = ", ".join(display_text(a) for a in paper.authors)
    if paper.authors_truncated:
        authors += " et al."
    fields: list[tuple[str, str]] = [
        ("Key", paper.key),
        ("Authors", authors or "(none given)"),
        ("Affiliations", ", ".join(display_text(a) for a in paper.affiliations)),
        ("Category", display_text(paper.category or "")),
        ("Date", paper.date or ""),
        ("Updated", paper.updated or ""),
        ("DOI", display_text(paper.doi or "")),
    ]
    if paper.arxiv_id:
        fields.append(
            (
                "arXiv",
                f"{paper.arxiv_id}  {arxiv_abs_url(paper.arxiv_id)}  "
                f"{arxiv_pdf_url(paper.arxiv_id)}",
            )
        )
    fields.append(("Code", "yes" if paper.has_code else "no"))
    status = ["read" if state.read else "unread"]
    if state.starred:
        status.append("starred")
    fields.append(("Status", ", ".join(status)))
    fields.append(("Tags", " ".join(display_text(t) for t in state.tags)))
    lines += [f"{name + ':':<14}{value}" for name, value in fields if value]
    for url in paper.urls:
        lines.append(f"{'URL:':<14}{inert_text(url)}")
    for comment in paper.comments:
        lines.append(f"{'Comment:':<14}{display_text(comment)}")
    if state.note:
        lines += ["", "Note:"]
        lines += ["  " + inert_text(line) for line in state.note.split("\n")]
    lines += ["", "Abstract:", *_wrapped(paper.abstract)]
    for number, version in enumerate(paper.abstract_versions[1:], start=2):
        lines += ["", f"Abstract, version {number} of {len(paper.abstract_versions)} (older):"]
        lines += _wrapped(version)
    lines += ["", "Sources:"]
    for index, source in enumerate(paper.sources):
        facts = sorted(f for f, i in paper.provenance.items() if i == index)
        detail = f"  [{', '.join(facts)}]" if facts else ""
        lines.append(f"  {inert_text(source.file)}:{source.line} ({source.layout}){detail}")
    if paper.aliases:
        lines += ["", "Aliases: " + " ".join(inert_text(a) for a in paper.aliases)]
    return lines


def report_lines(report, path: Path, verb: str) -> Iterator[str]:
    """The summary of a build or import: counts first, then each issue with file:line."""
    issues = report.issues
    yield (
        f"{verb} {path}: {report.files} files, {report.entries} entries, "
        f"{report.papers} papers ({report.merges} merged), "
        f"{len(report.warnings)} warnings, {len(report.errors)} errors "
        f"in {report.seconds:.2f} s"
        + (f" (+ search index {report.index_seconds:.2f} s)" if report.index_seconds else "")
    )
    for issue in issues[:200]:
        yield f"  {issue.severity}: {inert_text(issue.file)}:{issue.line}: {inert_text(issue.message)}"
    if len(issues) > 200:
        yield f"  ... and {len(issues) - 200} more"
