"""build_store: Ctrl+C at any stage leaves the old store exactly as it was."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest

from reader.build import build_store
from reader.searchindex import SearchIndex
from reader.sources import parse_listing
from tests.conftest import REPO_ROOT, SEEDS_DIR


def _old_store(tmp_path: Path) -> Path:
    db = tmp_path / "papers.json"
    build_store([SEEDS_DIR / "001_ee71652e9c7f4cc8.txt"], db)
    return db


def _interrupted_build_keeps(db: Path, paths: list[Path], stage: str, step: int = -1) -> None:
    """Ctrl+C at STAGE (at its STEP-th progress call, or the first) of a build over PATHS
    leaves DB byte for byte as it was."""
    before = db.read_bytes()

    def interrupt(at: str, done: int, total: int) -> None:
        if at == stage and step in (-1, done):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_store(paths, db, progress=interrupt)
    assert db.read_bytes() == before


@pytest.mark.parametrize("stage", ["parse", "merge", "write"])
def test_interrupt_leaves_old_store(stage: str, tmp_path: Path) -> None:
    _interrupted_build_keeps(_old_store(tmp_path), [SEEDS_DIR], stage)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["papers.json", "papers.json.words"]


def test_build_saves_the_search_index_the_app_reads_back(tmp_path: Path) -> None:
    from reader.store import load_in_batches
    from reader.wordindex_file import load_word_indexes, word_index_path

    db = tmp_path / "papers.json"
    report = build_store([SEEDS_DIR], db)
    batches = load_in_batches(db)
    meta = next(batches)
    assert report.index_seconds > 0
    assert load_word_indexes(word_index_path(db), meta["file_stamp"], report.papers) is not None


def test_store_is_written_newest_first(tmp_path: Path) -> None:
    from reader.store import Store

    db = tmp_path / "papers.json"
    build_store([SEEDS_DIR], db)
    dates = [p.date for p in Store.open(db).papers]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True)
    assert dates[len(dated) :] == [None] * (len(dates) - len(dated))


# ---------------------------------------------------------------- parsing in worker processes


def _mixed_folder(tmp_path: Path) -> Path:
    """Seeds, every bad-input sample, a nested folder and a dangling link: all outcomes."""
    import shutil

    folder = tmp_path / "in"
    shutil.copytree(SEEDS_DIR, folder / "seeds")
    shutil.copytree(REPO_ROOT / "tests" / "data" / "bad", folder / "bad")
    (folder / "dangling.txt").symlink_to(folder / "missing.txt")
    return folder


def _watch_worker_pools(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every worker pool parse_paths starts (None where none could start), for inspection."""
    import reader.build

    started: list = []
    start = reader.build._ParseWorkers.start

    def watched(cls: type, *args: object) -> object:
        started.append(start(*args))
        return started[-1]

    monkeypatch.setattr(reader.build._ParseWorkers, "start", classmethod(watched))
    return started


def _parse(paths: list[Path], monkeypatch: pytest.MonkeyPatch, workers: int) -> tuple:
    import reader.build

    calls: list[tuple[str, int, int]] = []
    monkeypatch.setattr(reader.build, "parse_workers", lambda files: workers)
    parsed = reader.build.parse_paths(
        paths, as_of=date(2026, 7, 1), progress=lambda *call: calls.append(call)
    )
    return parsed, calls


def test_workers_parse_exactly_as_this_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.build

    started = _watch_worker_pools(monkeypatch)
    folder = _mixed_folder(tmp_path)
    serial, serial_calls = _parse([folder], monkeypatch, 0)

    def slowly(*args: object, **kwargs: object) -> object:  # so workers get jobs too
        time.sleep(0.02)
        return parse_listing(*args, **kwargs)

    monkeypatch.setattr(reader.build, "parse_listing", slowly)
    pooled, pooled_calls = _parse([folder], monkeypatch, 2)
    assert len(started) == 1 and not started[0]._failed
    assert started[0].from_workers > 0
    assert pooled == serial
    assert pooled_calls == serial_calls
    assert serial.failed_files > 3 and len(serial.records) > 50  # the folder has every outcome
    assert all(process.poll() is not None for process in started[0]._processes)


def test_workers_that_cannot_start_or_die_leave_the_parsing_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.build

    folder = _mixed_folder(tmp_path)
    serial, _calls = _parse([folder], monkeypatch, 0)
    monkeypatch.setattr(reader.build, "_WORKER_CODE", "import sys; sys.exit(3)")
    assert _parse([folder], monkeypatch, 2)[0] == serial
    one_job_then_die = (
        "import os, pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
        "from reader.build import _parse_plain; job = pickle.load(sys.stdin.buffer); "
        "pickle.dump(_parse_plain(*job), sys.stdout.buffer); sys.stdout.flush(); os._exit(1)"
    )
    monkeypatch.setattr(reader.build, "_WORKER_CODE", one_job_then_die)
    assert _parse([folder], monkeypatch, 2)[0] == serial
    monkeypatch.setattr(reader.build.sys, "executable", "")
    assert _parse([folder], monkeypatch, 2)[0] == serial


def test_a_job_whose_sending_fails_is_parsed_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker that dies before its job is written: the write fails (broken pipe), and the
    # job must still be done (it once was lost, and the build waited for it forever).
    import pickle

    import reader.build

    folder = _mixed_folder(tmp_path)
    serial, _calls = _parse([folder], monkeypatch, 0)

    class JobsCannotBeSent:
        HIGHEST_PROTOCOL = pickle.HIGHEST_PROTOCOL
        load = staticmethod(pickle.load)

        @staticmethod
        def dump(obj: object, file: object, *args: object) -> None:
            if isinstance(obj, tuple):  # a job (sys.path, sent first, is a list)
                raise BrokenPipeError
            pickle.dump(obj, file, *args)

    monkeypatch.setattr(reader.build, "pickle", JobsCannotBeSent)
    assert _parse([folder], monkeypatch, 2)[0] == serial


def test_interrupt_while_workers_parse_stops_them_and_leaves_old_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.build

    db = _old_store(tmp_path)
    started = _watch_worker_pools(monkeypatch)
    monkeypatch.setattr(reader.build, "parse_workers", lambda files: 2)
    _interrupted_build_keeps(db, [_mixed_folder(tmp_path)], "parse", 2)
    assert started and all(process.poll() is not None for process in started[0]._processes)


def test_parse_workers_only_for_enough_text(tmp_path: Path) -> None:
    from reader.build import PARALLEL_MIN_BYTES, parse_workers

    small = [SEEDS_DIR / name for name in sorted(p.name for p in SEEDS_DIR.iterdir())]
    assert parse_workers(small) == 0
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * PARALLEL_MIN_BYTES)
    assert parse_workers([big]) == 0  # one file: nothing to share out
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert parse_workers([big, small[0]]) == (1 if (cpus or 1) >= 2 else 0)  # + this process


# ---------------------------------------------------- the abstract index built during the merge


def _saved_indexes(db: Path) -> dict:
    from reader.store import load_in_batches
    from reader.wordindex_file import load_word_indexes, word_index_path

    meta = next(load_in_batches(db))
    saved = load_word_indexes(word_index_path(db), meta["file_stamp"], meta["papers"])
    assert saved is not None
    return {field: {k: bytes(v) for k, v in saved[field].regions().items()} for field in saved}


def _watch_early_workers(monkeypatch: pytest.MonkeyPatch) -> list:
    from reader import abstract_index

    started: list = []
    real_start = abstract_index.EarlyAbstractIndex.start

    def start(*args: object, **kwargs: object) -> object:
        early = real_start(*args, **kwargs)
        started.append((early, early._process if early else None))
        return early

    monkeypatch.setattr(abstract_index.EarlyAbstractIndex, "start", start)
    return started


def _built_alone_then_as_a_big_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, list]:
    """The seeds' store built as usual, then the next builds watched and treated as big
    ones (a spool for the abstracts, an early index worker)."""
    import reader.build
    from reader import abstract_index

    alone = tmp_path / "alone.json"
    build_store([SEEDS_DIR], alone)
    started = _watch_early_workers(monkeypatch)
    monkeypatch.setattr(reader.build, "EARLY_INDEX_MIN_BYTES", 0)
    monkeypatch.setattr(abstract_index, "PARALLEL_FROM", 1)
    return alone, started


def test_an_early_abstract_worker_saves_the_same_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone, started = _built_alone_then_as_a_big_build(tmp_path, monkeypatch)
    early = tmp_path / "early.json"
    # The worker saves them: the build process never builds the word indexes itself.
    monkeypatch.setattr(SearchIndex, "_new_word_indexes", None)
    report = build_store([SEEDS_DIR], early)
    assert report.papers == 30
    assert len(started) == 1 and started[0][1] is not None
    assert started[0][1].poll() is not None  # the worker is done
    assert _saved_indexes(early) == _saved_indexes(alone)
    # The abstracts went through a spool file instead of memory: the same store.
    assert _papers_lines(early) == _papers_lines(alone)


def test_a_spool_file_that_cannot_be_written_leaves_the_abstracts_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from reader.textspool import TextSpool

    alone, started = _built_alone_then_as_a_big_build(tmp_path, monkeypatch)

    def disk_full(self: TextSpool, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(TextSpool, "add", disk_full)
    full = tmp_path / "full.json"
    assert build_store([SEEDS_DIR], full).papers == 30
    assert _papers_lines(full) == _papers_lines(alone)
    assert _saved_indexes(full) == _saved_indexes(alone)
    assert len(started) == 1 and (started[0][1] is None or started[0][1].poll() is not None)


def _papers_lines(db: Path) -> list[bytes]:
    return db.read_bytes().splitlines()[1:]  # the first line holds the build time


def test_interrupt_during_the_merge_stops_the_early_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.build
    from reader import abstract_index

    db = _old_store(tmp_path)
    started = _watch_early_workers(monkeypatch)
    monkeypatch.setattr(reader.build, "EARLY_INDEX_MIN_BYTES", 0)
    monkeypatch.setattr(abstract_index, "PARALLEL_FROM", 1)
    _interrupted_build_keeps(db, [SEEDS_DIR], "merge")
    assert started and started[0][1].poll() is not None


def test_a_build_switches_threads_faster_and_then_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    import reader.build

    before = sys.getswitchinterval()
    during = []
    real_build = reader.build._build

    def watched(*args: object) -> object:
        during.append(sys.getswitchinterval())
        return real_build(*args)

    monkeypatch.setattr(reader.build, "_build", watched)
    build_store([SEEDS_DIR], tmp_path / "papers.json")
    assert during == [pytest.approx(reader.build.BUILD_SWITCH_S)]
    assert sys.getswitchinterval() == before
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(reader.build.BuildError):
        build_store([empty], tmp_path / "none.json")
    assert sys.getswitchinterval() == before


def test_a_rebuild_reads_only_the_old_stores_keys_and_keeps_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.store import Store

    db = tmp_path / "papers.json"
    first = sorted(SEEDS_DIR.glob("*.txt"))[:3]
    build_store(first, db)
    keys_before = {p.key: p.aliases for p in Store.open(db).papers}
    # Its papers are 2 s and 250 MB at 100k: a rebuild must not load them.
    monkeypatch.setattr(Store, "open", None)
    build_store([SEEDS_DIR], db)
    monkeypatch.undo()
    after = {p.key: p for p in Store.open(db).papers}
    assert len(after) == 30 and set(keys_before) <= set(after)
