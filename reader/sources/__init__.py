"""Listing files to records: decoding, layout detection by structure, one parser per layout.

Every public function here reports problems as `ParseIssue`s naming file and line and never
raises on bad text: an unreadable, binary or unknown file yields a result with no records and
an error issue, so the other files of a build still import.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reader.models import ParseIssue, ParseResult


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Knobs a parser may need. ``as_of`` fixes the listing date for year-less dates."""

    as_of: date | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """A listing layout: how sure we are a text is in it (0..1), and how to parse it."""

    name: str
    detect: Callable[[str], float]
    parse: Callable[[str, str, ParseOptions], ParseResult]
    #: The highest score `detect` can return: a layout that can no longer beat the best
    #: score found is not asked (detecting costs ~10% of parsing a listing).
    best_score: float = 1.0


#: Files larger than this are refused outright (a listing is kilobytes to a few hundred MB).
MAX_FILE_BYTES = 1 << 30
#: Below this detection confidence a file is "in no known layout".
MIN_CONFIDENCE = 0.5
#: Line-based detectors judge a file by its first this many characters.
SAMPLE_CHARS = 200_000


def known_layouts() -> tuple[Layout, ...]:
    """Every layout, most specific first (imported lazily: no work at import time)."""
    from reader.sources import abstracts, arxiv_blocks, atom, bibtex, blocks, inline, reader_json

    return (
        arxiv_blocks.LAYOUT,
        blocks.LAYOUT,
        abstracts.LAYOUT,
        inline.LAYOUT,
        atom.LAYOUT,
        bibtex.LAYOUT,
        reader_json.LAYOUT,
    )


def decode_listing(data: bytes, file: str) -> tuple[str | None, list[ParseIssue]]:
    """Bytes to text: BOM-aware UTF-8/UTF-16, CRLF folded; binary or undecodable is an issue."""
    issues: list[ParseIssue] = []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            return None, [ParseIssue(file, 1, f"invalid UTF-16 text ({exc.reason})", "error")]
        return _fold_newlines(text), issues
    if b"\x00" in data[:65536]:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        return None, [ParseIssue(file, line, "binary file (NUL byte), not a listing", "error")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        issues.append(
            ParseIssue(
                file,
                line,
                f"invalid UTF-8 at byte {exc.start}; undecodable bytes replaced with U+FFFD",
            )
        )
        text = data.decode("utf-8", errors="replace")
    return _fold_newlines(text), issues


def _fold_newlines(text: str) -> str:
    if "\r" not in text:  # the usual case: one scan instead of two replace passes (~5x faster)
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sample_lines(text: str) -> tuple[str, ...]:
    """The non-blank lines of the first SAMPLE_CHARS characters of `text`: what the
    line-based detectors look at (split once per text in `detect_layout`)."""
    current = _detecting
    if current is not None and current[0] is text:
        return current[1]
    return tuple(filter(str.strip, text[:SAMPLE_CHARS].split("\n")))


#: (text, its sample lines) while `detect_layout` runs the detectors over that text.
_detecting: tuple[str, tuple[str, ...]] | None = None


def detect_layout(text: str) -> tuple[Layout | None, float]:
    """The layout whose structure fits the text best, and its confidence (a tie goes to the
    layout listed first in `known_layouts`)."""
    global _detecting
    layouts = known_layouts()
    best: Layout | None = None
    best_score = 0.0
    best_rank = len(layouts)
    # Another thread detecting at the same time only costs a second split: the cache is
    # checked by identity and is per text.
    _detecting = (text, sample_lines(text))
    try:
        # Those that can score highest are asked first, so the others can often be skipped.
        for rank in sorted(range(len(layouts)), key=lambda r: -layouts[r].best_score):
            layout = layouts[rank]
            if layout.best_score < best_score or (
                layout.best_score == best_score and rank > best_rank
            ):
                continue  # cannot win
            try:
                score = layout.detect(text)
            except Exception:  # a detector bug must not stop a build
                score = 0.0
            if score > best_score or (score == best_score and score > 0 and rank < best_rank):
                best, best_score, best_rank = layout, score, rank
    finally:
        _detecting = None
    if best_score < MIN_CONFIDENCE:
        return None, best_score
    return best, best_score


def parse_text(text: str, file: str, options: ParseOptions | None = None) -> ParseResult:
    """Parse already-decoded listing text; the layout is detected from its structure."""
    options = options or ParseOptions()
    if not text.strip():
        return ParseResult(file, None, [], [ParseIssue(file, 1, "empty file, no entries", "error")])
    layout, _score = detect_layout(text)
    if layout is None:
        return ParseResult(
            file,
            None,
            [],
            [
                ParseIssue(
                    file,
                    1,
                    "not in any known listing layout (expected category/date headers, "
                    "an 'N Papers' header, 'Abstract:' lines or arXiv-style blocks)",
                    "error",
                )
            ],
        )
    try:
        return layout.parse(text, file, options)
    except Exception as exc:  # parsers should not raise; if one does, report, don't crash
        return ParseResult(
            file,
            layout.name,
            [],
            [ParseIssue(file, 1, f"internal error parsing {layout.name} layout: {exc!r}", "error")],
        )


def parse_listing(
    path: Path | str, options: ParseOptions | None = None, *, label: str | None = None
) -> ParseResult:
    """Read and parse one listing file; OS errors become issues, not exceptions.

    `label` is the name records and issues give the file (default: the path as given).
    """
    file = label or str(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            return ParseResult(
                file, None, [], [ParseIssue(file, 1, f"file too large ({size} bytes)", "error")]
            )
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return ParseResult(
            file, None, [], [ParseIssue(file, 1, f"cannot read: {exc.strerror or exc}", "error")]
        )
    return parse_bytes(data, file, options)


def parse_bytes(data: bytes, file: str, options: ParseOptions | None = None) -> ParseResult:
    """Decode and parse a listing's raw bytes (a file's or a download's)."""
    text, issues = decode_listing(data, file)
    if text is None:
        return ParseResult(file, None, [], issues)
    result = parse_text(text, file, options)
    if issues:
        return ParseResult(result.file, result.layout, result.records, issues + result.issues)
    return result


def iter_listing_files(paths: Iterable[Path | str]) -> Iterator[tuple[Path, ParseIssue | None]]:
    """Expand files and folders (recursively, sorted, hidden files skipped).

    Yields ``(path, None)`` for each file to parse, or ``(path, issue)`` for a path that
    cannot be used (missing, unreadable folder), so callers report it and go on.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            try:
                children = sorted(path.rglob("*"))
            except OSError as exc:
                yield path, ParseIssue(str(path), 0, f"cannot list folder: {exc}", "error")
                continue
            for child in children:
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                if child.is_file():
                    yield child, None
                elif not child.is_dir():
                    yield (
                        child,
                        ParseIssue(
                            str(child),
                            0,
                            "not a readable file (dangling link or special file)",
                            "error",
                        ),
                    )
        elif path.exists():
            yield path, None
        else:
            yield path, ParseIssue(str(path), 0, "no such file or folder", "error")
