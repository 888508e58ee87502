"""What `reader import` adds on top of a build: listings fetched from URLs, and the user's
marks carried in a reader JSON export (`--with-state`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from reader.models import ParseIssue, Record
from reader.sources import ParseOptions


def fetch_records(
    urls: Sequence[str], *, as_of: date | None = None
) -> tuple[list[Record], list[ParseIssue]]:
    """Fetch and parse each URL (arXiv Atom API, RSS, any listing); failures become issues."""
    from reader.sources.fetch import fetch_listing

    records: list[Record] = []
    issues: list[ParseIssue] = []
    for url in urls:
        result = fetch_listing(url, ParseOptions(as_of=as_of))
        records.extend(result.records)
        issues.extend(result.issues)
    return records, issues


def restore_exported_state(paths: Sequence[str | Path], store, state_store) -> int:
    """Apply the read/starred/note/tags of reader JSON exports to the matching papers.

    Papers are matched on any identity (key, arXiv id, fingerprints), so marks land on the
    right paper even when the store gave it another key.  Returns how many papers changed.
    """
    from reader.sources.reader_json import state_from_export
    from reader.state import StateChange

    exported: dict[str, dict] = {}
    for path in paths:
        for identity, marks in state_from_export(path).items():
            exported.setdefault(identity, marks)
    if not exported:
        return 0
    changes = []
    for paper in store.papers:
        marks = next((exported[i] for i in paper.identities if i in exported), None)
        if marks is None or not (
            marks["read"] or marks["starred"] or marks["note"] or marks["tags"]
        ):
            continue  # an export lists every paper; only marked ones carry state to restore
        changes.append(
            (
                paper,
                StateChange(
                    read=marks["read"],
                    starred=marks["starred"],
                    note=marks["note"],
                    add_tags=tuple(marks["tags"]),
                ),
            )
        )
    if changes:
        state_store.update_many(changes)
    return len(changes)
