"""One benchmark step per function, each run in a fresh process by `run.py --child STEP`.

A fresh process per step keeps peak RSS (``ru_maxrss``) honest: it is the high-water mark of
exactly that step plus the interpreter and imports, as a user running it would see.  Each
function returns a JSON-ready dict of raw figures.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

#: The listing date the rendered files are read "as of" (the corpus ends 2026-07-01).
AS_OF = date(2026, 7, 1)

#: What a user types, key by key; each string is typed into an empty search box.
TYPED_QUERIES = (
    "diffusion mod",
    "author:li",
    "cat:CV diffusion",
    "-is:read",
    "llm agent",
    "year:2025 transformer",
)
#: The prefixes the issue names are all prefixes of the strings above ("dif", "diffu", ...).
TOGGLES = 50
PREMARKED = 1000


def worker_peak_rss_mb() -> float:
    """The peak RSS of the largest worker process this process has waited for, in MB (an
    upper bound: on Linux a child's figure starts from this process's RSS when it forked)."""
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB.

    VmHWM from /proc (the high-water mark of this exec's own memory): on Linux
    ``ru_maxrss`` carries over the parent's RSS through fork+exec, which would charge a
    step for the harness that launched it.  Elsewhere, ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/max of a list of milliseconds (nearest-rank p95, as latency figures go)."""
    if not samples_ms:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    ordered = sorted(samples_ms)
    rank = max(0, min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1))
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 3),
        "p95": round(ordered[rank], 3),
        "max": round(ordered[-1], 3),
    }


def typed_prefixes() -> list[str]:
    """Every search-box text a user passes through typing TYPED_QUERIES, in order."""
    texts: list[str] = []
    for query in TYPED_QUERIES:
        texts.extend(query[: i + 1] for i in range(len(query)))
    return texts


# ---------------------------------------------------------------- build


def step_build(work: Path) -> dict[str, Any]:
    """Parse + merge + write the store from the rendered listing files."""
    listings = work / "listings"
    db = work / "papers.json"
    if db.exists():
        db.unlink()
    files = sorted(listings.glob("*.txt"))
    started = time.perf_counter()
    try:
        from reader.build import build_store
    except ImportError:
        figures = _compose_build(files, db)
    else:
        report = build_store(files, db, as_of=AS_OF)
        figures = {
            "via": "reader.build.build_store",
            "files": report.files,
            "entries": report.entries,
            "papers": report.papers,
            "merges": report.merges,
            "issues": len(report.issues),
            "errors": sum(1 for i in report.issues if i.severity == "error"),
            # The store is written (and usable) at report.seconds; the search index saved
            # after it is a cache the app could rebuild, so it is timed on its own.
            "store_seconds": round(report.seconds, 3),
            "index_seconds": round(report.index_seconds, 3),
        }
    total = time.perf_counter() - started
    seconds = figures.get("store_seconds") or total
    figures.update(
        seconds=round(seconds, 3),
        total_seconds=round(total, 3),
        papers_per_s=round(figures["papers"] / seconds, 1),
        entries_per_s=round(figures["entries"] / seconds, 1),
        peak_rss_mb=round(peak_rss_mb(), 1),
        worker_peak_rss_mb=round(worker_peak_rss_mb(), 1),
        store_mb=round(db.stat().st_size / 1e6, 1),
    )
    return figures


def _compose_build(files: Sequence[Path], db: Path) -> dict[str, Any]:
    """The build before reader.build lands: parse_listing, merge_records, write_store."""
    from reader.merge import merge_records
    from reader.sources import ParseOptions, parse_listing
    from reader.store import write_store

    options = ParseOptions(as_of=AS_OF)
    records, issues = [], []
    for path in files:
        result = parse_listing(path, options)
        records.extend(result.records)
        issues.extend(result.issues)
    merged = merge_records(records)
    write_store(db, merged.papers, {"as_of": AS_OF.isoformat()})
    return {
        "via": "parse_listing+merge_records+write_store",
        "files": len(files),
        "entries": len(records),
        "papers": len(merged.papers),
        "merges": merged.merges,
        "issues": len(issues) + len(merged.issues),
        "errors": sum(1 for i in issues if i.severity == "error"),
    }


def step_parse(work: Path) -> dict[str, Any]:
    """Parse only, per file: does each rendered file give back its entries?"""
    import orjson

    from reader.sources import ParseOptions, parse_listing

    manifest = orjson.loads((work / "manifest.json").read_bytes())
    options = ParseOptions(as_of=AS_OF)
    wrong: dict[str, list[int]] = {}
    layouts: dict[str, str] = {}
    total = 0
    started = time.perf_counter()
    for name, expected in manifest["entries_by_file"].items():
        result = parse_listing(work / "listings" / name, options)
        total += len(result.records)
        layouts[name] = result.layout or "?"
        if len(result.records) != expected:
            wrong[name] = [expected, len(result.records)]
    seconds = time.perf_counter() - started
    mislabelled = {name: layout for name, layout in layouts.items() if not name.startswith(layout)}
    return {
        "seconds": round(seconds, 3),
        "entries_expected": manifest["entries"],
        "entries_parsed": total,
        "files_wrong_count": wrong,
        "files_wrong_layout": mislabelled,
    }


# ---------------------------------------------------------------- load


def step_load(work: Path) -> dict[str, Any]:
    """Store.open: the whole store into memory, as the app and the CLI do."""
    from reader.store import Store

    before = peak_rss_mb()
    started = time.perf_counter()
    store = Store.open(work / "papers.json")
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "papers": len(store),
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def step_floor_load(work: Path) -> dict[str, Any]:
    """The floor: one plain orjson.loads of the store file (no Paper objects)."""
    import orjson

    before = peak_rss_mb()
    started = time.perf_counter()
    data = orjson.loads((work / "papers.json").read_bytes())
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "tables": len(data),
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


# ---------------------------------------------------------------- query


def user_state_dir(work: Path, name: str) -> Path:
    """A fresh state dir for one step, holding a copy of the premarked history.

    The history is written once per store by `step_premark` in its own process, so the
    steps that measure memory do not pay for the extra store load that marking needs.
    """
    import shutil

    source = work / "state-premarked" / "state.json"
    target = work / f"state-{name}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    if source.exists():
        shutil.copyfile(source, target / "state.json")
    return target


def step_premark(work: Path) -> dict[str, Any]:
    """Write the premarked history for this store (not a measurement)."""
    import shutil

    from reader.store import Store

    state_dir = work / "state-premarked"
    shutil.rmtree(state_dir, ignore_errors=True)
    premark(state_dir, Store.open(work / "papers.json").papers)
    return {"marked": PREMARKED}


def premark(state_dir: Path, papers: Sequence[Any], count: int = PREMARKED) -> None:
    """Give the user a realistic history: some papers read, a few starred."""
    from reader.state import StateChange, StateStore

    stride = max(1, len(papers) // max(1, count))
    chosen = papers[::stride][:count]
    changes = [
        (paper, StateChange(read=True, starred=(i % 10 == 0) or None))
        for i, paper in enumerate(chosen)
    ]
    StateStore(state_dir).update_many(changes)


def step_query(work: Path) -> dict[str, Any]:
    """Pure query time (parse_query + run_query over a SearchIndex), and the substring floor.

    Twice: "cold" on an index fresh from its constructor (what the app has the moment the
    list is up: its first word search waits for the word indexes `reader build` saved),
    then "warm" on a second index whose word indexes were read back first, so caches
    filled by the cold pass do not flatter the warm one.
    """
    from reader.query import SearchIndex
    from reader.state import StateStore
    from reader.store import Store

    db = work / "papers.json"
    store = Store.open(db)
    user = StateStore(user_state_dir(work, "query")).load()
    saved = _saved_word_indexes(db)
    started = time.perf_counter()
    index = SearchIndex(store.papers, **saved)
    index_seconds = time.perf_counter() - started
    cold, _hits = _run_sequence(index, user.for_paper)
    del index

    index = SearchIndex(store.papers, **saved)
    started = time.perf_counter()
    build = getattr(index, "build_word_indexes", None)
    if callable(build):
        build()
    words_seconds = time.perf_counter() - started
    warm, hits = _run_sequence(index, user.for_paper)
    floor = _substring_floor(store.papers)
    return {
        "index_seconds": round(index_seconds, 3),
        "word_index_seconds": round(words_seconds, 3),
        "query_ms": percentiles([ms for _text, ms, _n in warm]),
        "cold_query_ms": percentiles([ms for _text, ms, _n in cold]),
        "floor_ms": floor,
        "hits": {q: hits[q] for q in TYPED_QUERIES},
        "per_text": warm,
        "cold_per_text": cold,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def _saved_word_indexes(db: Path) -> dict[str, Any]:
    """SearchIndex arguments that read back the word indexes saved beside DB, as the app
    does (none for a reader without them)."""
    try:
        from reader.store import file_stamp
        from reader.wordindex_file import word_index_path
    except ImportError:
        return {}
    with open(db, "rb") as handle:
        return {"words_file": word_index_path(db), "store_stamp": file_stamp(handle.fileno())}


def _run_sequence(index: Any, state_of: Any) -> tuple[list[list[Any]], dict[str, int]]:
    """[text, ms, hits] for every typed prefix, and hits by text."""
    from reader.query import QueryError, parse_query, run_query

    rows: list[list[Any]] = []
    hits: dict[str, int] = {}
    for text in typed_prefixes():
        t0 = time.perf_counter()
        try:
            found = run_query(parse_query(text), index, state_of)
        except QueryError:
            found = []
        ms = (time.perf_counter() - t0) * 1000
        hits[text] = len(found)
        rows.append([text, round(ms, 2), len(found)])
    return rows, hits


def _substring_floor(papers: Sequence[Any]) -> dict[str, float]:
    """The least a search can do: lower-case substring tests over title+authors+abstract."""
    haystacks = [f"{p.title}\n{', '.join(p.authors)}\n{p.abstract}".lower() for p in papers]
    samples: list[float] = []
    for text in typed_prefixes():
        words = [w.split(":", 1)[-1].lstrip("-").lower() for w in text.split()]
        words = [w for w in words if w]
        t0 = time.perf_counter()
        _ = [i for i, hay in enumerate(haystacks) if all(w in hay for w in words)]
        samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


# ---------------------------------------------------------------- toggle


def step_toggle(work: Path) -> dict[str, Any]:
    """Star/unstar one paper and have it on disk, with a realistic state file behind it."""
    from reader.state import StateChange, StateStore
    from reader.store import Store

    store = Store.open(work / "papers.json")
    state_dir = user_state_dir(work, "toggle")
    states = StateStore(state_dir)
    paper = store.papers[len(store.papers) // 2]
    samples: list[float] = []
    for i in range(TOGGLES):
        t0 = time.perf_counter()
        states.update(paper, StateChange(starred=(i % 2 == 0)))
        samples.append((time.perf_counter() - t0) * 1000)
    state_file = state_dir / "state.json"
    return {
        "toggle_ms": percentiles(samples),
        "floor_ms": _write_floor(state_file),
        "state_kb": round(state_file.stat().st_size / 1024, 1),
    }


def _write_floor(state_file: Path) -> dict[str, float]:
    """The least a durable save can do: write the same bytes to a temp, fsync, replace."""
    data = state_file.read_bytes()
    target = state_file.with_name("floor.json")
    samples: list[float] = []
    for _ in range(TOGGLES):
        t0 = time.perf_counter()
        temp = target.with_suffix(".tmp")
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
        samples.append((time.perf_counter() - t0) * 1000)
    target.unlink()
    return percentiles(samples)


def step_keys(work: Path) -> dict[str, Any]:
    """Keystroke to filtered list drawn, inside the real app (Pilot at 160x48)."""
    from keys import measure_keys

    return measure_keys(work)


def step_startup(work: Path) -> dict[str, Any]:
    """Launch to list drawn inside the process (Pilot), split into import and app start."""
    from keys import measure_startup

    return measure_startup(work)


def step_early(work: Path) -> dict[str, Any]:
    """Type a search the moment the list appears, while the store and index still load."""
    from keys import measure_early

    return measure_early(work)


STEPS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "parse": step_parse,
    "premark": step_premark,
    "build": step_build,
    "load": step_load,
    "floor_load": step_floor_load,
    "query": step_query,
    "toggle": step_toggle,
    "keys": step_keys,
    "startup": step_startup,
    "early": step_early,
}
