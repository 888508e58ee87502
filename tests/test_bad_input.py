"""Every file in tests/data/bad: a clear message naming file and line, no traceback, and
nothing already stored is lost."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from reader.cli import main
from tests.conftest import SEEDS_DIR

BAD = Path(__file__).parent / "data" / "bad"
LISTINGS = sorted(p for p in BAD.iterdir() if p.is_file())
#: Files that are fine once decoded (encodings and line ends users really have).
READABLE = {"utf16_bom.txt", "utf8_bom.txt", "crlf.txt", "cr_only.txt"}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "store.json"
    assert main(["build", str(SEEDS_DIR), "--db", str(path)]) == 0
    return path


@pytest.fixture
def store(seeded_store: Path, tmp_path: Path) -> Path:
    path = tmp_path / "store.json"
    shutil.copy(seeded_store, path)
    return path


def keys_in(capsys, store: Path) -> set[str]:
    code, out, err = run(capsys, "list", "--json", "--db", str(store))
    assert code in (0, 1), err
    return {paper["key"] for paper in json.loads(out)}


def test_corpus_is_big_enough() -> None:
    assert len(LISTINGS) >= 30


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda p: p.name)
def test_build_bad_file(listing: Path, store: Path, capsys) -> None:
    before = store.read_bytes()
    started = time.perf_counter()
    code, out, err = run(capsys, "build", str(listing), "--db", str(store))
    assert time.perf_counter() - started < 20, "a parser took far too long (non-linear?)"
    text = out + err
    assert "internal error" not in text and "Traceback" not in text
    if listing.name in READABLE:
        assert code == 0, text
        assert len(keys_in(capsys, store)) >= 2
        return
    # Anything else is either refused (non-zero, store as it was) or imported with warnings.
    if code != 0:
        assert re.search(re.escape(listing.name) + r":\d+", text), text
    if code != 0 and "no entries" in text:
        assert store.read_bytes() == before
    if code == 0:
        assert re.search(re.escape(listing.name) + r":\d+", text) or "0 warnings" in text


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda p: p.name)
def test_import_bad_file_keeps_what_is_stored(listing: Path, store: Path, capsys) -> None:
    before = keys_in(capsys, store)
    _code, out, err = run(capsys, "import", str(listing), "--db", str(store))
    assert "internal error" not in out + err
    assert before <= keys_in(capsys, store)


def test_ten_megabyte_line(tmp_path: Path, store: Path, capsys) -> None:
    listing = tmp_path / "long.txt"
    listing.write_text("CLFeb 11\n" + "word " * 2_000_000 + "\nAbstract.\n", encoding="utf-8")
    started = time.perf_counter()
    _code, out, err = run(capsys, "import", str(listing), "--db", str(store))
    assert time.perf_counter() - started < 20
    assert "internal error" not in out + err


def test_directory_with_unreadable_file(tmp_path: Path, store: Path, capsys) -> None:
    folder = tmp_path / "listings"
    folder.mkdir()
    shutil.copy(SEEDS_DIR / "001_ee71652e9c7f4cc8.txt", folder / "good.txt")
    (folder / "dangling.txt").symlink_to(tmp_path / "missing-target.txt")
    code, out, err = run(capsys, "build", str(folder), "--db", str(store))
    assert code == 1
    assert "dangling.txt" in out + err
    assert len(keys_in(capsys, store)) == 3


@pytest.mark.parametrize(
    "name", ["not_json.json", "truncated_json.json", "wrong_shape.json", "newer_schema.json"]
)
def test_bad_store_file(name: str, tmp_path: Path, capsys) -> None:
    store = tmp_path / name
    shutil.copy(BAD / "stores" / name, store)
    before = store.read_bytes()
    code, _, err = run(capsys, "list", "--db", str(store))
    assert code == 1
    assert name in err and "internal error" not in err
    code, _out, err = run(capsys, "import", str(SEEDS_DIR), "--db", str(store))
    assert code == 1
    assert store.read_bytes() == before


def test_rebuild_over_corrupt_store_moves_it_aside(tmp_path: Path, capsys) -> None:
    store = tmp_path / "store.json"
    shutil.copy(BAD / "stores" / "not_json.json", store)
    code, _out, err = run(capsys, "build", str(SEEDS_DIR), "--db", str(store))
    assert code == 0, err
    aside = list(tmp_path.glob("store.json.corrupt-*"))
    assert (
        len(aside) == 1 and aside[0].read_bytes() == (BAD / "stores" / "not_json.json").read_bytes()
    )
    assert len(keys_in(capsys, store)) == 30


@pytest.mark.parametrize("name", ["corrupt.json", "binary.json"])
def test_corrupt_state_is_moved_aside_not_replaced(
    name: str, store: Path, capsys, isolated_home: Path
) -> None:
    config = isolated_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    shutil.copy(BAD / "states" / name, config / "state.json")
    code, _out, err = run(capsys, "list", "--db", str(store))
    assert code == 0
    assert "state" in err.lower()
    aside = list(config.glob("state.json.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == (BAD / "states" / name).read_bytes()


def test_newer_state_schema_is_never_overwritten(store: Path, capsys, isolated_home: Path) -> None:
    config = isolated_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    shutil.copy(BAD / "states" / "newer_schema.json", config / "state.json")
    key = sorted(keys_in(capsys, store))[0]
    code, _out, err = run(capsys, "star", key, "--db", str(store))
    assert code == 1
    assert "newer" in err.lower() or "schema" in err.lower()
    assert (config / "state.json").read_bytes() == (
        BAD / "states" / "newer_schema.json"
    ).read_bytes()
