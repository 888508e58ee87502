"""`reader doctor`: look over the store and the per-user state and say what is wrong.

It only reads (and removes nothing): each finding says what was checked, what was found,
and what to do about a problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's outcome."""

    subject: str
    message: str
    is_problem: bool = False

    def line(self) -> str:
        from reader.text import inert_text

        mark = "PROBLEM" if self.is_problem else "ok"
        return f"[{mark:>7}] {self.subject}: {inert_text(self.message)}"


def run_checks(db_path: Path, state_store) -> list[Finding]:
    """Every check, store first; never raises for what it finds."""
    findings: list[Finding] = []
    store = _check_store(db_path, findings)
    if store is not None:
        _check_search_index(db_path, len(store), findings)
    _check_state(state_store, store, findings)
    return findings


def _check_store(db_path: Path, findings: list[Finding]):
    from reader.store import Store, StoreError

    subject = f"store {db_path}"
    temps = _temp_files_next_to(db_path)
    if temps:
        findings.append(
            Finding(
                subject,
                f"{len(temps)} temp file(s) left by an interrupted "
                f"write: {', '.join(p.name for p in temps)} (safe to delete)",
                True,
            )
        )
    if not db_path.exists():
        findings.append(Finding(subject, "missing (run `reader build`)", True))
        return None
    try:
        store = Store.open(db_path)
    except StoreError as exc:
        findings.append(Finding(subject, f"unreadable: {exc}", True))
        return None
    findings.append(Finding(subject, f"schema {store.schema_version}, {len(store)} papers"))
    keys = [paper.key for paper in store.papers]
    duplicates = len(keys) - len(set(keys))
    if duplicates:
        findings.append(Finding(subject, f"{duplicates} duplicate paper keys", True))
    owners: dict[str, str] = {}
    clashes = 0
    for paper in store.papers:
        for identity in paper.identities:
            if owners.setdefault(identity, paper.key) != paper.key:
                clashes += 1
    if clashes:
        findings.append(Finding(subject, f"{clashes} aliases claimed by two papers", True))
    return store


def _check_search_index(db_path: Path, papers: int, findings: list[Finding]) -> None:
    """The saved word indexes are a cache: out of date only costs the next launch time."""
    from reader.wordindex_file import file_stamp, load_word_indexes, word_index_path

    path = word_index_path(db_path)
    try:
        with open(db_path, "rb") as handle:
            stamp = file_stamp(handle.fileno())
    except OSError:
        return
    if load_word_indexes(path, stamp, papers) is not None:
        findings.append(Finding(f"search index {path}", "fits the store"))
    else:
        findings.append(
            Finding(
                f"search index {path}",
                "missing or made for another version of the store: the app rebuilds it in the "
                "background at its next launch (searches are slower until then)",
            )
        )


def _check_state(state_store, store, findings: list[Finding]) -> None:
    from reader.state import StateError

    path = Path(state_store.path)
    subject = f"state {path}"
    temps = _temp_files_next_to(path)
    if temps:
        findings.append(
            Finding(
                subject,
                f"{len(temps)} temp file(s) left by an interrupted "
                f"save: {', '.join(p.name for p in temps)}",
                True,
            )
        )
    corrupt = sorted(path.parent.glob(path.name + ".corrupt-*"))
    if corrupt:
        findings.append(
            Finding(
                subject,
                f"{len(corrupt)} corrupt copies moved aside earlier: "
                f"{', '.join(p.name for p in corrupt)} (inspect, then delete)",
                True,
            )
        )
    if _lock_is_held(path):
        findings.append(Finding(subject, "lock is held by another process (a running reader?)"))
    if not path.exists():
        findings.append(Finding(subject, "no state yet (nothing marked)"))
        return
    try:
        state = state_store.load()
    except StateError as exc:
        findings.append(Finding(subject, str(exc), True))
        return
    for warning in state.warnings:
        findings.append(Finding(subject, warning, True))
    findings.append(
        Finding(
            subject, f"{len(state.entries)} papers with marks, {len(state.searches)} saved searches"
        )
    )
    if store is None:
        return
    identities = store.alias_map()
    orphans = [key for key in state.entries if key not in identities]
    orphans = [key for key in orphans if not any(a in identities for a in state.aliases_of(key))]
    if orphans:
        findings.append(
            Finding(
                subject,
                f"{len(orphans)} marked papers match no paper in the "
                f"store (kept, not deleted): {', '.join(orphans[:10])}",
                True,
            )
        )


def _temp_files_next_to(path: Path) -> list[Path]:
    from reader.atomicfile import temp_prefix

    if not path.parent.is_dir():
        return []
    return sorted(p for p in path.parent.glob(temp_prefix(path) + "*") if p.is_file())


def _lock_is_held(path: Path) -> bool:
    from filelock import FileLock, Timeout

    lock_path = path.with_name(path.name + ".lock")
    if not lock_path.exists():
        return False
    try:
        with FileLock(str(lock_path), timeout=0):
            return False
    except Timeout:
        return True
    except OSError:
        return False
