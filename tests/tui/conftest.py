"""Fixtures for the app tests: a real store built from the seeds, a real StateStore in tmp.

The seed store is built once per session with a fixed ``as_of`` date (dates like "Feb 11"
take their year from it) and file names reduced to the seed's base name, so screens and
snapshots never depend on the clock or on where the checkout lives.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from reader.build import build_store
from reader.models import Paper
from reader.state import StateStore
from reader.store import Store, write_store
from reader.tui.app import ReaderApp, make_app

AS_OF = date(2026, 7, 1)
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _portable(paper: Paper) -> Paper:
    sources = tuple(dataclasses.replace(s, file=Path(s.file).name) for s in paper.sources)
    return dataclasses.replace(paper, sources=sources)


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 30 seed papers in a store file (read-only for tests: never modified)."""
    work = tmp_path_factory.mktemp("seed-store")
    built = work / "built.json"
    build_store(sorted(SEEDS.glob("*.txt")), built, as_of=AS_OF)
    store = Store.open(built)
    db = work / "papers.json"
    write_store(
        db,
        [_portable(p) for p in store.papers],
        {"built_from": "seeds", "as_of": AS_OF.isoformat()},
    )
    return db


@pytest.fixture(scope="session")
def seed_papers(seed_db: Path) -> list[Paper]:
    return list(Store.open(seed_db).papers)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def state_store(state_dir: Path) -> StateStore:
    return StateStore(state_dir)


@pytest.fixture
def app(seed_db: Path, state_store: StateStore) -> ReaderApp:
    return make_app(seed_db, state_store)
