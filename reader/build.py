"""Files to a written store: parse every listing, merge with what is kept, write atomically.

`reader build` replaces the store (keeping every paper's key through the old store's
aliases); `reader import` merges more files into it.  Nothing is written until the merge
is done, and the write itself is atomic, so an error or Ctrl+C at any point leaves the old
store as it was.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reader.models import Paper, ParseIssue, Record
from reader.sources import ParseOptions, iter_listing_files, parse_listing

#: progress(stage, done, total): stage is "parse", "merge" or "write".
ProgressCallback = Callable[[str, int, int], None]


class BuildError(Exception):
    """A build that could not produce a store; the existing store is untouched."""


@dataclass
class BuildReport:
    """What a build or import did, for the CLI to print and tests to check."""

    files: int = 0
    entries: int = 0
    papers: int = 0
    merges: int = 0
    failed_files: int = 0
    issues: list[ParseIssue] = field(default_factory=list)
    new_papers: int = 0
    #: Until the store was written; the search index written after it is `index_seconds`.
    seconds: float = 0.0
    index_seconds: float = 0.0

    @property
    def errors(self) -> list[ParseIssue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[ParseIssue]:
        return [issue for issue in self.issues if issue.severity != "error"]


@dataclass
class ParsedFiles:
    """Records from a set of paths, with per-file bookkeeping."""

    records: list[Record] = field(default_factory=list)
    issues: list[ParseIssue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    failed_files: int = 0
    #: identity -> key carried by reader JSON exports, so a round trip keeps every key.
    exported_keys: dict[str, str] = field(default_factory=dict)


def parse_paths(
    paths: Iterable[Path | str],
    *,
    as_of: date | None = None,
    progress: ProgressCallback | None = None,
) -> ParsedFiles:
    """Parse every file below `paths`; a file that fails is reported and skipped."""
    options = ParseOptions(as_of=as_of)
    expanded = list(iter_listing_files(paths))
    parsed = ParsedFiles()
    for done, (path, problem) in enumerate(expanded):
        if progress:
            progress("parse", done, len(expanded))
        if problem is not None:
            parsed.issues.append(problem)
            parsed.failed_files += 1
            continue
        result = parse_listing(path, options, label=source_label(path))
        parsed.files.append(str(path))
        parsed.issues.extend(result.issues)
        parsed.records.extend(result.records)
        if result.layout == "json":
            from reader.sources.reader_json import keys_from_export

            for identity, key in keys_from_export(path).items():
                parsed.exported_keys.setdefault(identity, key)
        if not result.records:
            if not any(issue.severity == "error" for issue in result.issues):
                parsed.issues.append(
                    ParseIssue(str(path), 1, f"no entries found ({result.layout} layout)", "error")
                )
            parsed.failed_files += 1
    if progress:
        progress("parse", len(expanded), len(expanded))
    return parsed


def source_label(path: Path) -> str:
    """How provenance names a file: bundled seeds as `seeds/NAME` (the same on every machine
    and install), any other file as the path the user gave."""
    from reader.paths import bundled_seeds_dir

    try:
        if path.resolve().parent == bundled_seeds_dir().resolve():
            return f"seeds/{path.name}"
    except OSError:
        pass
    return str(path)


def build_store(
    paths: Sequence[Path | str],
    db_path: Path,
    *,
    as_of: date | None = None,
    replace: bool = True,
    progress: ProgressCallback | None = None,
    records: Sequence[Record] = (),
) -> BuildReport:
    """Parse `paths` (plus ready-made `records`), merge, and write the store at `db_path`.

    replace=True rebuilds from the given files only (keys survive through the old store's
    aliases); replace=False merges into the existing papers.  Raises BuildError, leaving the
    store untouched, when no file yields an entry or the existing store cannot be read for
    an import.
    """
    from reader.merge import merge_records
    from reader.store import Store, StoreError, write_store

    started = time.perf_counter()
    parsed = parse_paths(paths, as_of=as_of, progress=progress)
    all_records = [*parsed.records, *records]
    report = BuildReport(
        files=len(parsed.files),
        entries=len(all_records),
        failed_files=parsed.failed_files,
        issues=list(parsed.issues),
    )

    existing: list[Paper] = []
    known_keys: dict[str, str] = dict(parsed.exported_keys)
    unreadable_store: StoreError | None = None
    if db_path.exists():
        try:
            old = Store.open(db_path)
        except StoreError as exc:
            if not replace:
                raise BuildError(f"cannot import into the existing store: {exc}") from exc
            unreadable_store = exc
        else:
            known_keys.update(old.alias_map())  # the store's own keys win
            if not replace:
                existing = list(old.papers)

    if not all_records:
        detail = "; ".join(str(issue) for issue in report.errors[:5])
        raise BuildError(
            "no entries found in the given files, store left unchanged"
            + (f" ({detail})" if detail else "")
        )

    if progress:
        progress("merge", 0, 1)
    merged = merge_records(all_records, existing=existing, known_keys=known_keys)
    report.issues.extend(merged.issues)
    report.papers = len(merged.papers)
    report.merges = merged.merges
    report.new_papers = report.papers - len(existing)
    if progress:
        progress("merge", 1, 1)
        progress("write", 0, 1)
    if unreadable_store is not None:
        moved_aside = _move_aside(db_path)
        report.issues.append(
            ParseIssue(
                str(db_path),
                0,
                f"existing store unreadable ({unreadable_store}); kept as {moved_aside.name}, "
                "rebuilt fresh",
            )
        )
    ordered = newest_first(merged.papers)
    write_store(db_path, ordered, build_meta(parsed.files, as_of, report, replace))
    report.seconds = time.perf_counter() - started
    if progress:
        progress("write", 1, 1)
        progress("index", 0, 1)
    save_search_index(db_path, ordered)
    report.index_seconds = time.perf_counter() - started - report.seconds
    if progress:
        progress("index", 1, 1)
    return report


def save_search_index(db_path: Path, papers: Sequence[Paper]) -> None:
    """Write the word indexes beside the new store so the app's first launch can search at
    once.  Only a cache: if it cannot be written, the app builds it again."""
    from reader.searchindex import SearchIndex

    with contextlib.suppress(OSError):
        SearchIndex.save_for_store(db_path, papers)


def newest_first(papers: Sequence[Paper]) -> list[Paper]:
    """Store order = the default list order (newest first, undated last, then by key), so an
    app reading the store in batches can paint its first screen before the rest arrives."""
    ordered = sorted(papers, key=lambda paper: paper.key)
    ordered.sort(key=lambda paper: paper.date or "", reverse=True)
    return ordered


def build_meta(
    files: Sequence[str], as_of: date | None, report: BuildReport, replace: bool
) -> dict[str, Any]:
    """The store's meta record: what it was built from and when."""
    return {
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "as_of": as_of.isoformat() if as_of else None,
        "operation": "build" if replace else "import",
        "files": list(files),
        "entries": report.entries,
        "papers": report.papers,
    }


def _move_aside(path: Path) -> Path:
    """Keep an unreadable store under a new name instead of overwriting it."""
    target = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
    path.replace(target)
    return target
