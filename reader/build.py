"""Files to a written store: parse every listing, merge with what is kept, write atomically.

`reader build` replaces the store (keeping every paper's key through the old store's
aliases); `reader import` merges more files into it.  Nothing is written until the merge
is done, and the write itself is atomic, so an error or Ctrl+C at any point leaves the old
store as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import operator
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]

from reader import workers
from reader.models import Paper, ParseIssue, ParseResult, Record, SourceRef
from reader.sources import ParseOptions, iter_listing_files, parse_listing

if TYPE_CHECKING:
    from reader.abstract_index import EarlyAbstractIndex
    from reader.textspool import TextSpool

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
    meanwhile: Callable[[], object] | None = None,
) -> ParsedFiles:
    """Parse every file below `paths`; a file that fails is reported and skipped.

    Enough listing text is parsed in worker processes (see `parse_workers`); the result is
    the same as parsing in order here, and so is the sequence of progress calls.
    MEANWHILE (other work of the caller's) runs here once the workers have their first
    files, before this process parses any.
    """
    from reader.gcpause import paused_collector

    options = ParseOptions(as_of=as_of)
    expanded = list(iter_listing_files(paths))
    jobs = [(path, source_label(path)) for path, problem in expanded if problem is None]
    parsed = ParsedFiles()
    workers = parse_workers([path for path, _label in jobs])
    # Closing the iterator (also on Ctrl+C or an error below) stops any worker processes.
    results_of = _parse_jobs(jobs, options, workers, meanwhile)
    with paused_collector(), contextlib.closing(results_of) as results:
        for done, (path, problem) in enumerate(expanded):
            if progress:
                progress("parse", done, len(expanded))
            if problem is not None:
                parsed.issues.append(problem)
                parsed.failed_files += 1
                continue
            result = next(results)
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
                        ParseIssue(
                            str(path), 1, f"no entries found ({result.layout} layout)", "error"
                        )
                    )
                parsed.failed_files += 1
    if not jobs and meanwhile is not None:  # never started
        meanwhile()
    if progress:
        progress("parse", len(expanded), len(expanded))
    return parsed


#: Less listing text than this is parsed in this process alone: starting a worker costs
#: more (~0.2 s) than it would save.
PARALLEL_MIN_BYTES = 16 << 20


def parse_workers(files: Sequence[Path]) -> int:
    """How many worker processes should parse `files` alongside this one: one per CPU beyond
    the first, if there are at least two files and PARALLEL_MIN_BYTES of text; else 0."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if not cpus or cpus < 2 or len(files) < 2:
        return 0
    total = 0
    for path in files:
        with contextlib.suppress(OSError):
            total += os.path.getsize(path)
    return min(cpus - 1, len(files) - 1) if total >= PARALLEL_MIN_BYTES else 0


def _parse_jobs(
    jobs: Sequence[tuple[Path, str]],
    options: ParseOptions,
    workers: int,
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[ParseResult]:
    """One ParseResult per (path, label) job, in order: parsed here, or shared with `workers`
    processes (after MEANWHILE runs here).  Closing the iterator stops the workers."""
    pool = _ParseWorkers.start(workers, jobs, options) if workers else None
    if pool is None:
        if meanwhile is not None:
            meanwhile()
        for path, label in jobs:
            yield parse_listing(path, options, label=label)
        return
    done = 0
    try:
        if meanwhile is not None:
            meanwhile()
        while done < len(jobs):
            result = pool.result(done)
            done += 1
            yield result
    finally:
        pool.stop(kill=done < len(jobs))


#: A worker: reads sys.path then jobs (pickles) from stdin, writes PlainResults to stdout.
_WORKER_CODE = workers.worker_code("reader.build", "parse_worker_main")
#: Jobs a worker holds at once: the next is already in its pipe when it finishes one.
_JOBS_IN_FLIGHT = 2


class _ParseWorkers:
    """Worker processes sharing the jobs with this process, in order of the job list.

    Whoever is free takes the next job: a worker through its feeder thread, this process
    whenever it needs a result a worker has not delivered yet.  A worker that dies leaves
    its jobs to this process, so the results are always those of parsing here.

    The workers are `reader.workers` processes: Ctrl+C reaches only this process, which
    then stops them.
    """

    def __init__(
        self,
        processes: list[subprocess.Popen[bytes]],
        jobs: Sequence[tuple[Path, str]],
        options: ParseOptions,
    ) -> None:
        self._processes = processes
        self._jobs = jobs
        self._options = options
        self._next_job = 0
        self._results: dict[int, ParseResult | PlainResult] = {}
        self._orphans: set[int] = set()  # taken by a worker that died before answering
        self._failed = False
        self._changed = threading.Condition()
        #: Results that came from workers (the rest were parsed here).
        self.from_workers = 0
        self._feeders = [
            threading.Thread(target=self._feed, args=(process,), daemon=True, name="parse-feeder")
            for process in processes
        ]
        for feeder in self._feeders:
            feeder.start()

    @classmethod
    def start(
        cls, count: int, jobs: Sequence[tuple[Path, str]], options: ParseOptions
    ) -> _ParseWorkers | None:
        """`count` workers on `jobs`, or None if no worker could be started."""
        processes: list[subprocess.Popen[bytes]] = []
        for _ in range(count):
            process = workers.spawn(_WORKER_CODE)
            if process is None:
                for started in processes:
                    workers.stop(started)
                return None
            assert process.stdout is not None
            _widen_pipe(process.stdout)
            processes.append(process)
        return cls(processes, jobs, options)

    def _take_job(self) -> int | None:
        """The next job for a worker (None once all are taken or the pool failed)."""
        with self._changed:
            if self._failed or self._next_job >= len(self._jobs):
                return None
            self._next_job += 1
            return self._next_job - 1

    def _feed(self, process: subprocess.Popen[bytes]) -> None:
        """Keep `process` busy with jobs and collect its answers; any failure ends the pool's
        share of the work (this process does the rest)."""
        assert process.stdin is not None and process.stdout is not None
        in_flight: list[int] = []
        try:
            while True:
                while len(in_flight) < _JOBS_IN_FLIGHT and (index := self._take_job()) is not None:
                    in_flight.append(index)  # before sending: a failed send orphans it too
                    path, label = self._jobs[index]
                    pickle.dump((str(path), label, self._options), process.stdin)
                    process.stdin.flush()
                if not in_flight:
                    return
                plain = pickle.load(process.stdout)
                with self._changed:
                    self._results[in_flight.pop(0)] = plain
                    self.from_workers += 1
                    self._changed.notify_all()
        except Exception:  # a worker died or a pipe broke
            with self._changed:
                self._failed = True
                self._orphans.update(in_flight)
                self._changed.notify_all()

    def result(self, index: int) -> ParseResult:
        """Job `index`'s result; while a worker still has it, parse later jobs here."""
        while True:
            with self._changed:
                if index in self._results:
                    found = self._results.pop(index)
                    return found if isinstance(found, ParseResult) else _from_plain(found)
                if index in self._orphans or index >= self._next_job:
                    self._orphans.discard(index)
                    self._next_job = max(self._next_job, index + 1)
                    mine = index
                elif self._next_job < len(self._jobs):
                    mine = self._next_job
                    self._next_job += 1
                else:
                    self._changed.wait()
                    continue
            path, label = self._jobs[mine]
            parsed = parse_listing(path, self._options, label=label)
            if mine == index:
                return parsed
            with self._changed:
                self._results[mine] = parsed

    def stop(self, *, kill: bool) -> None:
        """End the workers: at once (`kill`), or by closing their input once all is done."""
        with self._changed:
            self._failed = self._failed or kill
        for process in self._processes:
            if kill:
                workers.stop(process)
            else:
                with contextlib.suppress(OSError):
                    process.stdin.close()  # type: ignore[union-attr]
        for feeder in self._feeders:
            feeder.join()
        for process in self._processes:
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                process.wait(timeout=10)
            for pipe in (process.stdin, process.stdout):
                with contextlib.suppress(OSError):
                    pipe.close()  # type: ignore[union-attr]


#: A listing's records pickled are ~0.6 MB: a pipe that holds them lets a worker write its
#: answer and go on, and the feeder read it in one go (a 64 KB pipe costs a GIL hand-over
#: per chunk while this process is parsing).
_PIPE_BYTES = 1 << 20


def _widen_pipe(pipe: IO[bytes]) -> None:
    """Grow a pipe's buffer to _PIPE_BYTES where the system allows (Linux); else leave it."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl else None
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), set_size, _PIPE_BYTES)


def parse_worker_main() -> None:
    """The loop of a parse worker process (see `_ParseWorkers`)."""
    jobs = sys.stdin.buffer
    results = workers.answer_pipe()
    while True:
        try:
            path, label, options = pickle.load(jobs)
        except EOFError:
            return
        pickle.dump(_parse_plain(path, label, options), results, pickle.HIGHEST_PROTOCOL)
        results.flush()


#: A ParseResult as plain tuples: pickling frozen slotted dataclasses field by field is
#: ~20x slower than pickling tuples of their values.
PlainResult = tuple[
    str,
    str | None,
    list[tuple[tuple[str, int, str], tuple[Any, ...]]],
    list[tuple[str, int, str, str]],
]
_RECORD_FIELDS = operator.attrgetter(*[f.name for f in dataclasses.fields(Record)][1:])


def _parse_plain(path: str, label: str, options: ParseOptions) -> PlainResult:
    """parse_listing in a worker, returned as plain tuples."""
    result = parse_listing(path, options, label=label)
    records = [
        ((r.source.file, r.source.line, r.source.layout), _RECORD_FIELDS(r)) for r in result.records
    ]
    issues = [(i.file, i.line, i.message, i.severity) for i in result.issues]
    return result.file, result.layout, records, issues


def _from_plain(plain: PlainResult) -> ParseResult:
    file, layout, records, issues = plain
    return ParseResult(
        file,
        layout,
        [Record(SourceRef(*source), *fields) for source, fields in records],
        [ParseIssue(*issue) for issue in issues],
    )


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
    from reader.gcpause import paused_collector

    started = time.perf_counter()
    spool = _abstract_spool(paths)
    early = None
    if spool is not None:
        from reader.abstract_index import EarlyAbstractIndex

        early = EarlyAbstractIndex.start(spool)
    # Records, papers and indexes hold no reference cycles: with the collector on, its full
    # passes over the whole heap cost a 100k build about 1 s of CPU (12.1-12.4 s vs 10.6-12.2).
    usual_switch = sys.getswitchinterval()
    sys.setswitchinterval(BUILD_SWITCH_S)
    try:
        with paused_collector():
            return _build(paths, db_path, as_of, replace, progress, records, started, spool, early)
    finally:
        sys.setswitchinterval(usual_switch)
        if early is not None:
            early.close()
        if spool is not None:
            spool.close()


#: GIL switch interval during a build.  The threads that feed the workers (parse jobs and
#: results, the index worker's messages) wait for the GIL after every pipe read or write
#: while this thread parses or merges: at the default 5 ms the parse worker sat idle for a
#: third of the parse.  At 100k (A/B, 2 runs each): parse 3.2 -> 2.9 s, the parse worker's
#: share of the CPU 1.4 -> 1.8 s, store + index 10.7 -> 10.1 s.
BUILD_SWITCH_S = 0.0005


#: Listing text from which `reader build` keeps the abstracts on a `TextSpool` during the
#: merge and has a worker index them meanwhile (about 20k abstracts: fewer take little
#: memory, and are indexed faster here than a worker starts).
EARLY_INDEX_MIN_BYTES = 24 << 20


def _abstract_spool(paths: Sequence[Path | str]) -> TextSpool | None:
    """A spool for the abstracts when the listings are big enough, else None."""
    total = 0
    for path, problem in iter_listing_files(paths):
        if problem is None:
            with contextlib.suppress(OSError):
                total += os.path.getsize(path)
    if total < EARLY_INDEX_MIN_BYTES:
        return None
    from reader.textspool import TextSpool

    return TextSpool.create()


def _build(
    paths: Sequence[Path | str],
    db_path: Path,
    as_of: date | None,
    replace: bool,
    progress: ProgressCallback | None,
    records: Sequence[Record],
    started: float,
    spool: TextSpool | None,
    early: EarlyAbstractIndex | None,
) -> BuildReport:
    from reader.facts import spool_abstracts
    from reader.merge import merge_records
    from reader.store import Store, StoreError, read_key_map, write_store

    old_keys: dict[str, str] = {}
    unreadable_store: StoreError | None = None

    def read_old_keys() -> None:
        """A rebuild keeps the keys of the store it replaces: only its key map is read (its
        papers would be 2 s and 250 MB at 100k), while a worker parses."""
        nonlocal old_keys, unreadable_store
        if replace and db_path.exists():
            try:
                old_keys = read_key_map(db_path)
            except StoreError as exc:
                unreadable_store = exc

    parsed = parse_paths(paths, as_of=as_of, progress=progress, meanwhile=read_old_keys)
    all_records = parsed.records  # the merge empties it (`release_records`)
    all_records += records
    parsed.records = []
    report = BuildReport(
        files=len(parsed.files),
        entries=len(all_records),
        failed_files=parsed.failed_files,
        issues=list(parsed.issues),
    )

    existing: list[Paper] = []
    known_keys: dict[str, str] = dict(parsed.exported_keys)
    known_keys.update(old_keys)  # the store's own keys win
    del old_keys
    if not replace and db_path.exists():
        try:
            old = Store.open(db_path)
        except StoreError as exc:
            raise BuildError(f"cannot import into the existing store: {exc}") from exc
        known_keys.update(old.alias_map())
        existing = list(old.papers)
        del old

    if not all_records:
        detail = "; ".join(str(issue) for issue in report.errors[:5])
        raise BuildError(
            "no entries found in the given files, store left unchanged"
            + (f" ({detail})" if detail else "")
        )

    # A big build writes the abstracts to the spool: the merge holds numbers, not texts,
    # and the index worker tokenises them meanwhile.
    spooled = None
    if spool is not None:
        try:
            spooled = spool_abstracts(spool, all_records, existing)
        except OSError:  # no room for the spool file, say: keep the texts in memory
            if early is not None:
                early.close()
                early = None
            spool.close()
    if early is not None:
        early.receive()
    if progress:
        progress("merge", 0, 1)
    merged = merge_records(
        all_records,
        existing=existing,
        known_keys=known_keys,
        release_records=True,
        spooled=spooled,
    )
    del spooled, known_keys
    existing_count = len(existing)
    existing.clear()  # the merge made them papers again
    report.issues.extend(merged.issues)
    report.papers = len(merged.papers)
    report.merges = merged.merges
    report.new_papers = report.papers - existing_count
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
    if early is not None:  # it files the abstracts while the store is written
        early.place(ordered)
    write_store(db_path, ordered, build_meta(parsed.files, as_of, report, replace))
    report.seconds = time.perf_counter() - started
    if progress:
        progress("write", 1, 1)
        progress("index", 0, 1)
    save_search_index(db_path, ordered, early)
    report.index_seconds = time.perf_counter() - started - report.seconds
    if progress:
        progress("index", 1, 1)
    return report


def save_search_index(
    db_path: Path, papers: Sequence[Paper], early: EarlyAbstractIndex | None = None
) -> None:
    """Write the word indexes beside the new store so the app's first launch can search at
    once.  Only a cache: if it cannot be written, the app builds it again."""
    from reader.searchindex import SearchIndex

    with contextlib.suppress(OSError):
        SearchIndex.save_for_store(db_path, papers, early)


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
