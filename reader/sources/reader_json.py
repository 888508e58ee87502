"""reader's own JSON / JSON Lines export (`reader export --format json|jsonl`) read back.

Each exported paper becomes a Record carrying every fact it had (older abstract versions
as extra records of the same paper, so the merge keeps them all); its user marks (`read`,
`starred`, `note`, `tags`) and its key are offered separately (`state_from_export`,
`keys_from_export`) so an import into an empty store gives back the same papers, under the
same keys, with the same stars and notes.  JSON Lines of plain paper objects (``id``,
``listed``, ``categories``, ``comment``: the arXiv metadata dumps) are read too.

Never raises on bad input: a line that is not JSON, a truncated array or a field of the
wrong type is an issue naming the file and line; the readable papers still import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from reader.identifiers import normalise_arxiv_id
from reader.models import ParseIssue, ParseResult, Record, SourceRef
from reader.sources import Layout, ParseOptions, decode_listing

LAYOUT_NAME = "json"

#: The user-state fields an export may carry next to the paper's facts.
STATE_FIELDS = ("read", "starred", "note", "tags")

_ARRAY_START = re.compile(r"\s*\[\s*([{\]])")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WS = re.compile(r"[ \t\n\r]*")


def detect(text: str) -> float:
    """Sure for an array or lines of objects with ``key`` and ``title``; likely for papers."""
    head = text[:65536]
    stripped = head.lstrip()
    if _ARRAY_START.match(head):
        if _ARRAY_START.match(head).group(1) == "]":  # type: ignore[union-attr]
            return 0.9
        return _score_keys(head)
    if not stripped.startswith("{"):
        return 0.0
    first_line = stripped.split("\n", 1)[0]
    try:
        obj = json.loads(first_line)
    except ValueError:
        return 0.6  # looks like JSON Lines with a broken first line: say so when parsing
    return _score_keys(json.dumps(obj)) if isinstance(obj, dict) else 0.6


def _score_keys(head: str) -> float:
    if '"key"' in head and '"title"' in head:
        return 0.97
    if '"title"' in head or '"abstract"' in head:
        return 0.9
    return 0.6


def parse(text: str, file: str, options: ParseOptions) -> ParseResult:
    """Every exported paper as Records (its newest abstract last); bad objects are issues."""
    del options  # exported dates are complete
    objects, issues = read_objects(text, file)
    records: list[Record] = []
    for line, obj in objects:
        made, problems = paper_records(obj, file, line)
        records.extend(made)
        issues.extend(ParseIssue(file, line, problem) for problem in problems)
    if not records:
        issues.append(ParseIssue(file, 1, "no papers in this JSON file", "error"))
    return ParseResult(file, LAYOUT_NAME, records, issues)


def read_objects(text: str, file: str) -> tuple[list[tuple[int, Any]], list[ParseIssue]]:
    """(line, decoded value) of each array element or JSON line, and the issues met."""
    if _ARRAY_START.match(text):
        return _read_array(text, file)
    return _read_lines(text, file)


def _read_array(text: str, file: str) -> tuple[list[tuple[int, Any]], list[ParseIssue]]:
    fast = _read_array_by_lines(text)
    if fast is not None:
        return fast, []
    decoder = json.JSONDecoder()
    found: list[tuple[int, Any]] = []
    pos = _skip(text, _skip(text, 0) + 1)
    line, counted = 1, 0
    if pos < len(text) and text[pos] == "]":
        return found, _trailing(text, file, _skip(text, pos + 1))
    while True:
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            return found, [_json_issue(file, line, exc, f"element {len(found) + 1}")]
        except RecursionError:
            return found, [ParseIssue(file, line, "JSON nested too deeply", "error")]
        found.append((line, value))
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            return found, _trailing(text, file, _skip(text, pos + 1))
        line += text.count("\n", counted, pos)
        where = "end of file" if pos >= len(text) else repr(text[pos])
        problem = (
            f"JSON array cut short: expected ',' or ']' after element {len(found)}, found {where}"
        )
        return found, [ParseIssue(file, line, problem, "error")]


def _read_array_by_lines(text: str) -> list[tuple[int, Any]] | None:
    """Our own export's shape, ``[``, one element per line with a comma, ``]``: read line by
    line with orjson (several times faster).  None when the text is shaped otherwise or
    anything is off, so the careful reader finds and names the problem."""
    import orjson

    lines = text.split("\n")
    first, last = 0, len(lines) - 1
    while first < last and not lines[first].strip():
        first += 1
    while last > first and not lines[last].strip():
        last -= 1
    if first >= last or lines[first].strip() != "[" or lines[last].strip() != "]":
        return None
    found: list[tuple[int, Any]] = []
    body = [i for i in range(first + 1, last) if lines[i].strip()]
    for position, i in enumerate(body):
        raw = lines[i].strip()
        has_comma = raw.endswith(",")
        if has_comma != (position < len(body) - 1):
            return None
        try:
            found.append((i + 1, orjson.loads(raw[:-1] if has_comma else raw)))
        except (orjson.JSONDecodeError, RecursionError):
            return None
    return found


def _skip(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _trailing(text: str, file: str, pos: int) -> list[ParseIssue]:
    if pos >= len(text):
        return []
    line = text.count("\n", 0, pos) + 1
    return [ParseIssue(file, line, "text after the end of the JSON array ignored")]


def _json_issue(file: str, line: int, exc: json.JSONDecodeError, what: str) -> ParseIssue:
    """Named at the line the element starts on; the decoder's own position in the text."""
    where = f"line {exc.lineno} column {exc.colno}"
    return ParseIssue(file, line, f"{what} is not valid JSON ({exc.msg} at {where})", "error")


def _read_lines(text: str, file: str) -> tuple[list[tuple[int, Any]], list[ParseIssue]]:
    import orjson

    found: list[tuple[int, Any]] = []
    issues: list[ParseIssue] = []
    # Split on "\n" only: U+2028 and friends may sit raw inside JSON strings.
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            found.append((number, orjson.loads(raw)))
        except (orjson.JSONDecodeError, RecursionError):
            try:
                json.loads(raw)
            except json.JSONDecodeError as exc:
                why = f"{exc.msg}, column {exc.colno}"
            except RecursionError:
                why = "nested too deeply"
            else:  # orjson is stricter (e.g. lone surrogates); take the stdlib's reading
                found.append((number, json.loads(raw)))
                continue
            issues.append(ParseIssue(file, number, f"line is not valid JSON ({why}); skipped"))
    return found, issues


# ------------------------------------------------------------------ objects to records


def paper_records(obj: Any, file: str, line: int) -> tuple[list[Record], list[str]]:
    """Records for one exported paper (older abstract versions first), and any problems."""
    if not isinstance(obj, Mapping):
        return [], [f"expected a paper object, found {type(obj).__name__}; skipped"]
    problems: list[str] = []
    fields = _Fields(obj, problems)
    title = fields.text("title")
    abstract = fields.text("abstract")
    versions = [v for v in fields.texts("abstract_versions") if v.strip()]
    if not abstract and versions:
        abstract = versions[0]
    if not (title or abstract):
        return [], [*problems, "paper has neither a title nor an abstract; skipped"]
    derived = fields.flag("title_derived")
    arxiv_id = None
    for name in ("arxiv_id", "id"):
        raw = fields.text(name, quiet=True)
        if raw and arxiv_id is None:
            arxiv_id = normalise_arxiv_id(raw)
            if arxiv_id is None and name == "arxiv_id":
                problems.append(f"arxiv_id {raw!r} is not an arXiv id; ignored")
    category = fields.text("category") or next(iter(fields.texts("categories")), "")
    comments = fields.texts("comments") or [c for c in [fields.text("comment")] if c]
    source = SourceRef(file, line, LAYOUT_NAME)
    base = Record(
        source=source,
        title=None if derived else (title or None),
        title_own_line=bool(title) and not derived,
        arxiv_id=arxiv_id,
        abstract=None,
    )
    main = Record(
        source=source,
        title=base.title,
        title_own_line=base.title_own_line,
        authors=tuple(fields.texts("authors")),
        authors_truncated=fields.flag("authors_truncated"),
        affiliations=tuple(fields.texts("affiliations")),
        category=category or None,
        date=fields.date("date") or fields.date("listed"),
        updated=fields.date("updated"),
        arxiv_id=arxiv_id,
        doi=fields.text("doi") or None,
        has_code=fields.flag("has_code"),
        urls=tuple(fields.texts("urls")),
        comments=tuple(comments),
        abstract=abstract or None,
    )
    older = [
        Record(
            source=base.source,
            title=base.title,
            title_own_line=base.title_own_line,
            arxiv_id=arxiv_id,
            abstract=v,
        )
        for v in dict.fromkeys(versions)
        if v != abstract
    ]
    return [*older, main], problems


class _Fields:
    """Typed reads from an untrusted object: a wrong type is a problem, not a crash."""

    def __init__(self, obj: Mapping[str, Any], problems: list[str]) -> None:
        self.obj = obj
        self.problems = problems

    def _wrong(self, name: str, expected: str) -> None:
        found = type(self.obj[name]).__name__
        self.problems.append(f"field '{name}' should be {expected}, not {found}; ignored")

    def text(self, name: str, *, quiet: bool = False) -> str:
        value = self.obj.get(name)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if not quiet:
            self._wrong(name, "a string")
        return ""

    def texts(self, name: str) -> list[str]:
        value = self.obj.get(name)
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v for v in value if v.strip()]
        self._wrong(name, "a list of strings")
        return []

    def flag(self, name: str) -> bool:
        value = self.obj.get(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        self._wrong(name, "true or false")
        return False

    def date(self, name: str) -> str | None:
        value = self.text(name)
        if not value:
            return None
        if _DATE.match(value):
            return value
        self.problems.append(f"field '{name}' is not a YYYY-MM-DD date ({value!r}); ignored")
        return None


# ------------------------------------------------------------------ keys and user state


def _exported_objects(path: Path | str) -> Iterator[Mapping[str, Any]]:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return
    text, _issues = decode_listing(data, str(path))
    if text is None or detect(text) < 0.9:  # not a reader export (a .bib, a listing, ...)
        return
    objects, _problems = read_objects(text, str(path))
    for _line, obj in objects:
        if isinstance(obj, Mapping):
            yield obj


def _identities(obj: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    key = obj.get("key")
    if isinstance(key, str) and key:
        names.append(key)
    aliases = obj.get("aliases")
    if isinstance(aliases, list):
        names.extend(a for a in aliases if isinstance(a, str) and a)
    arxiv_id = normalise_arxiv_id(
        obj.get("arxiv_id") if isinstance(obj.get("arxiv_id"), str) else None
    )
    if arxiv_id:
        names.append(f"arxiv:{arxiv_id}")
    return names


def keys_from_export(path: Path | str) -> dict[str, str]:
    """Every exported identity (key and aliases) -> the exported key.

    Pass it as ``known_keys`` to `merge_records` so imported papers keep their keys.
    Unreadable files give an empty map (the import itself reports why).
    """
    keys: dict[str, str] = {}
    for obj in _exported_objects(path):
        names = _identities(obj)
        key = obj.get("key")
        if not isinstance(key, str) or not key:
            continue
        for name in names:
            keys.setdefault(name, key)
    return keys


def state_from_export(path: Path | str) -> dict[str, dict[str, Any]]:
    """Exported user marks, keyed by every identity of their paper (key and aliases).

    Values are PaperState-shaped dicts ``{"read", "starred", "note", "tags"}``; only papers
    whose export carried at least one state field appear.  Wrongly typed values are dropped.
    """
    states: dict[str, dict[str, Any]] = {}
    for obj in _exported_objects(path):
        if not any(name in obj for name in STATE_FIELDS):
            continue
        tags = obj.get("tags")
        state = {
            "read": obj.get("read") is True,
            "starred": obj.get("starred") is True,
            "note": obj.get("note") if isinstance(obj.get("note"), str) else "",
            "tags": [t for t in tags if isinstance(t, str) and t] if isinstance(tags, list) else [],
        }
        for name in _identities(obj):
            states.setdefault(name, state)
    return states


LAYOUT = Layout(LAYOUT_NAME, detect, parse, best_score=0.97)
