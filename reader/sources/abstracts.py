"""Layout (c): `Abstract:` lines and nothing else; records with an abstract and no title.

A non-blank line that does not start with `Abstract:` continues the abstract above it (a
wrapped line), so nothing is dropped silently.
"""

from __future__ import annotations

import re

from reader.models import LAYOUT_ABSTRACTS, ParseIssue, ParseResult, Record, SourceRef
from reader.sources import Layout, ParseOptions, sample_lines
from reader.sources.inline import find_urls, is_code_url

_LABEL = re.compile(r"\s*abstract\s*:\s*", re.IGNORECASE)


def detect(text: str) -> float:
    """Most non-blank lines start with `Abstract:`."""
    lines = sample_lines(text)
    if not lines:
        return 0.0
    labelled = sum(1 for ln in lines if _LABEL.match(ln, 0, 40))
    if not labelled:
        return 0.0
    return 0.9 * labelled / len(lines)


def parse(text: str, file: str, options: ParseOptions) -> ParseResult:
    """One record per `Abstract:` line; continuation lines are joined to it."""
    issues: list[ParseIssue] = []
    entries: list[tuple[int, list[str]]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        match = _LABEL.match(raw[:40])
        if match:
            entries.append((number, [raw[match.end() :].strip()]))
        elif entries:
            entries[-1][1].append(raw.strip())
        else:
            issues.append(ParseIssue(file, number, "text before the first 'Abstract:' skipped"))
    records: list[Record] = []
    for number, parts in entries:
        abstract = " ".join(p for p in parts if p)
        if not abstract:
            issues.append(ParseIssue(file, number, "empty 'Abstract:' line skipped"))
            continue
        urls = tuple(find_urls(abstract))
        records.append(
            Record(
                source=SourceRef(file, number, LAYOUT_ABSTRACTS),
                abstract=abstract,
                urls=urls,
                has_code=any(is_code_url(u) for u in urls),
            )
        )
    return ParseResult(file, LAYOUT_ABSTRACTS, records, issues)


#: (`detect` gives 0.9 times a share, which rounding can push a hair above 0.9)
LAYOUT = Layout(LAYOUT_ABSTRACTS, detect, parse, best_score=0.91)
