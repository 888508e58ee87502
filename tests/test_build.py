"""build_store: Ctrl+C at any stage leaves the old store exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.build import build_store
from tests.conftest import SEEDS_DIR


@pytest.mark.parametrize("stage", ["parse", "merge", "write"])
def test_interrupt_leaves_old_store(stage: str, tmp_path: Path) -> None:
    db = tmp_path / "papers.json"
    build_store([SEEDS_DIR / "001_ee71652e9c7f4cc8.txt"], db)
    before = db.read_bytes()

    def interrupt(at: str, done: int, total: int) -> None:
        if at == stage:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_store([SEEDS_DIR], db, progress=interrupt)
    assert db.read_bytes() == before
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
