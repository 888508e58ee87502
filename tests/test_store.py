"""The paper store on real files: round trips, lookups, broken files, failed writes."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from tinydb import Query, TinyDB

from reader.atomicfile import (
    atomic_write_bytes,
    atomic_write_chunks,
    list_temps,
    remove_stale_temps,
    temp_prefix,
)
from reader.models import Paper, SourceRef
from reader.store import (
    SCHEMA_VERSION,
    OrjsonStorage,
    Store,
    StoreError,
    read_key_map,
    write_store,
)


def make_paper(i: int, **changes: object) -> Paper:
    fields: dict[str, object] = {
        "key": f"p{i:04d}",
        "aliases": (f"arxiv:2501.{i:05d}", f"title:{i}"),
        "title": f"Paper number {i} on $\\times$ diffusion",
        "authors": ("Ada Lovelace", "Kurt Gödel"),
        "authors_truncated": i % 2 == 0,
        "affiliations": ("tsinghua",),
        "category": "CV",
        "date": "2025-07-01",
        "updated": "2025-07-03" if i % 3 == 0 else None,
        "arxiv_id": f"2501.{i:05d}",
        "has_code": i % 4 == 0,
        "urls": (f"https://github.com/x/{i}",),
        "comments": ("12 pages",) if i % 5 == 0 else (),
        "abstract": f'Abstract {i}: we study "quotes", newlines\nand unicode ✓.',
        "abstract_versions": (
            f'Abstract {i}: we study "quotes", newlines\nand unicode ✓.',
            "older",
        ),
        "sources": (SourceRef("seeds/a.txt", i + 1, "inline"), SourceRef("b.txt", 7)),
        "provenance": {"title": 0, "abstract": 1},
    }
    fields.update(changes)
    return Paper(**fields)  # type: ignore[arg-type]


@pytest.fixture
def papers() -> list[Paper]:
    plain = Paper(key="bare")  # every field at its default
    one_version = make_paper(99, abstract_versions=("only",), abstract="only")
    return [make_paper(i) for i in range(20)] + [plain, one_version]


def test_round_trip_keeps_every_field_and_order(tmp_path: Path, papers: list[Paper]) -> None:
    path = tmp_path / "store.json"
    write_store(path, papers, {"built_at": "2026-01-14T10:00:00Z", "sources": ["a.txt"]})
    store = Store.open(path)
    assert store.papers == papers
    assert [p.key for p in store] == [p.key for p in papers]
    assert len(store) == len(papers)
    assert store.meta["schema_version"] == SCHEMA_VERSION
    assert store.meta["paper_count"] == len(papers)
    assert store.meta["built_at"] == "2026-01-14T10:00:00Z"
    assert store.path == path


def test_empty_store_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    write_store(path, [], {})
    assert Store.open(path).papers == []
    assert TinyDB(path).table("papers").all() == []


def test_file_is_a_tinydb_database(tmp_path: Path, papers: list[Paper]) -> None:
    path = tmp_path / "store.json"
    write_store(path, papers, {"as_of": "2026-01-14"})
    db = TinyDB(path)  # TinyDB's own default JSONStorage
    docs = db.table("papers").all()
    db.close()
    assert [d["key"] for d in docs] == [p.key for p in papers]
    # Compact documents still read back as the same papers through Paper.from_dict
    assert Paper.from_dict(docs[0]) == papers[0]
    assert "title_derived" not in docs[0]  # defaults are left out of the file


def test_orjson_storage_serves_tinydb_and_writes_loadable_stores(
    tmp_path: Path, papers: list[Paper]
) -> None:
    path = tmp_path / "store.json"
    write_store(path, papers, {})
    db = TinyDB(path, storage=OrjsonStorage)
    table = db.table("papers")
    assert table.search(Query().key == "p0003")[0]["title"] == papers[3].title
    os.unlink(path)  # the file is read once: queries keep working from memory
    assert len(table.search(Query().has_code == True)) == 5  # noqa: E712
    table.insert(make_paper(500).to_dict())
    db.close()
    store = Store.open(path)  # written atomically by the storage, loads again
    assert [p.key for p in store][-1] == "p0500"
    assert len(store) == len(papers) + 1


def _write_in_tinydb_layout(path: Path, papers: list[Paper]) -> None:
    """A valid store laid out as TinyDB itself writes it (indented, not a paper a line)."""
    tables = {
        "papers": {str(i): p.to_dict() for i, p in enumerate(papers, 1)},
        "meta": {"1": {"schema_version": 1}},
    }
    path.write_bytes(orjson.dumps(tables, option=orjson.OPT_INDENT_2))


def test_store_written_by_tinydb_in_another_layout_still_loads(
    tmp_path: Path, papers: list[Paper]
) -> None:
    path = tmp_path / "store.json"
    _write_in_tinydb_layout(path, papers)
    assert Store.open(path).papers == papers


def test_get_by_key_and_by_any_alias(tmp_path: Path, papers: list[Paper]) -> None:
    path = tmp_path / "store.json"
    write_store(path, papers, {})
    store = Store.open(path)
    assert store.get("p0007") == papers[7]
    assert store.get("arxiv:2501.00007") == papers[7]
    assert store.get("title:7") == papers[7]
    assert store.get("nothing") is None
    mapping = store.alias_map()
    assert mapping["title:12"] == "p0012"
    assert mapping["p0012"] == "p0012"
    assert store.alias_map() is mapping  # built once


def test_key_wins_over_another_papers_alias(tmp_path: Path) -> None:
    a = Paper(key="a", aliases=("b",))
    b = Paper(key="b")
    path = tmp_path / "store.json"
    write_store(path, [a, b], {})
    store = Store.open(path)
    assert store.get("b") == b
    assert store.alias_map()["b"] == "b"


def test_duplicate_keys_are_refused_and_nothing_written(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    with pytest.raises(StoreError, match="share the key 'x'"):
        write_store(path, [Paper(key="x"), Paper(key="x")], {})
    assert not path.exists()


def test_missing_store_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(StoreError, match=r"nope\.json.*reader build"):
        Store.open(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"not json at all", "not valid JSON"),
        (b'{"meta": {"1": {"schema_version": 1}}, "papers": {"1": {"key": "a"}', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2, 3]", "top level is not a JSON object"),
        (b"{}", "no 'meta' table"),
        (b'{"papers": {}}', "no 'meta' table"),
        (b'{"meta": {"1": {}}, "papers": {}}', "schema_version"),
        (b'{"meta": {"1": {"schema_version": "1"}}, "papers": {}}', "schema_version"),
        (b'{"meta": {"1": {"schema_version": 1}}, "papers": []}', "'papers' is not a table"),
        (b'{"meta": {"1": {"schema_version": 1}}, "papers": {"1": {"title": "x"}}}', "document 1"),
        (b'{"meta": {"1": {"schema_version": 1}}, "papers": {"1": 5}}', "document 1"),
        (
            b'{"meta": {"1": {"schema_version": 1}}, "papers": {"1": {"key": "a", "sources": [3]}}}',
            "document 1 is malformed",
        ),
    ],
)
def test_broken_store_raises_store_error_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=message) as info:
        Store.open(path)
    assert str(path) in str(info.value)


def test_truncated_framed_store_is_reported_not_half_loaded(
    tmp_path: Path, papers: list[Paper]
) -> None:
    path = tmp_path / "store.json"
    write_store(path, papers, {})
    data = path.read_bytes()
    for cut in (len(data) - 2, len(data) - 5, len(data) // 2, 20):
        path.write_bytes(data[:cut])
        with pytest.raises(StoreError, match="not valid JSON"):
            Store.open(path)


def test_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "future.json"
    write_store(path, [Paper(key="a")], {})
    path.write_bytes(path.read_bytes().replace(b'"schema_version":1', b'"schema_version":99'))
    with pytest.raises(StoreError, match=r"newer reader \(store schema 99"):
        Store.open(path)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory"):
        Store.open(tmp_path)


def test_write_store_creates_parent_dirs_and_replaces(tmp_path: Path, papers: list[Paper]) -> None:
    path = tmp_path / "deep" / "er" / "store.json"
    write_store(path, papers[:3], {})
    write_store(path, papers[3:5], {})
    assert [p.key for p in Store.open(path)] == ["p0003", "p0004"]
    assert list_temps(path) == []


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_failed_write_leaves_old_store_and_no_temp(
    tmp_path: Path, papers: list[Paper], monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "store.json"
    write_store(path, papers[:2], {"generation": "old"})
    before = path.read_bytes()

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="No space left on device") as info:
        write_store(path, papers, {"generation": "new"})
    monkeypatch.undo()
    assert info.value.errno == 28
    assert str(path) in str(info.value)
    assert path.read_bytes() == before
    assert Store.open(path).meta["generation"] == "old"
    assert list_temps(path) == []


def test_atomic_write_keeps_the_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old")
    path.chmod(0o600)
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o777 == 0o600


def test_remove_stale_temps_keeps_live_writers_temps(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    path.write_bytes(b"{}")
    dead_pid = _a_dead_pid()
    stale = tmp_path / f"{temp_prefix(path)}{dead_pid}-abcd1234"
    live = tmp_path / f"{temp_prefix(path)}{os.getppid()}-abcd1234"
    mine = tmp_path / f"{temp_prefix(path)}{os.getpid()}-abcd1234"
    other = tmp_path / ".other.json.tmp-1-x"
    for f in (stale, live, mine, other):
        f.write_bytes(b"partial")
    assert remove_stale_temps(path) == [stale]
    assert not stale.exists()
    assert live.exists() and mine.exists() and other.exists()
    assert set(list_temps(path)) == {live, mine}


def test_remove_stale_temps_removes_very_old_temps_even_if_pid_is_reused(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    old = tmp_path / f"{temp_prefix(path)}{os.getppid()}-abcd1234"
    old.write_bytes(b"partial")
    os.utime(old, (1_000_000, 1_000_000))
    assert remove_stale_temps(path) == [old]


def test_write_store_cleans_temps_of_dead_writers(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    stale = tmp_path / f"{temp_prefix(path)}{_a_dead_pid()}-00000000"
    stale.write_bytes(b'{"meta": {"1"')
    write_store(path, [Paper(key="a")], {})
    assert not stale.exists()


def _a_dead_pid() -> int:
    """The pid of a child that has exited and been reaped."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_abstract_versions_round_trip_in_every_shape(tmp_path: Path) -> None:
    papers = [
        Paper(key="none", abstract="text", abstract_versions=()),
        Paper(key="same", abstract="text", abstract_versions=("text",)),
        Paper(key="two", abstract="text", abstract_versions=("older", "text")),
        Paper(key="orphan", abstract="", abstract_versions=("only a version",)),
        Paper(key="empty"),
    ]
    path = tmp_path / "store.json"
    write_store(path, papers, {})
    assert Store.open(path).papers == papers


def test_interrupted_chunked_write_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    path.write_bytes(b"old")

    def chunks():
        yield b"new part one"
        raise KeyboardInterrupt  # Ctrl+C in the middle of a long build

    with pytest.raises(KeyboardInterrupt):
        atomic_write_chunks(path, chunks())
    assert path.read_bytes() == b"old"
    assert list_temps(path) == []


def test_load_in_batches_yields_meta_then_every_paper_in_order(tmp_path: Path) -> None:
    from reader.store import load_in_batches

    papers = [
        Paper(key=f"k{i:04d}", title=f"Paper {i}", date=f"2025-01-{1 + i % 28:02d}")
        for i in range(1234)
    ]
    path = tmp_path / "s.json"
    write_store(path, papers, {"built": "test"})
    chunks = list(load_in_batches(path, first=10, size=500))
    meta, batches = chunks[0], chunks[1:]
    assert meta["paper_count"] == 1234
    assert [len(b) for b in batches] == [10, 500, 500, 224]
    assert [p for b in batches for p in b] == Store.open(path).papers
    # A reader on another thread is offered a pause every few hundred papers, mid-batch too.
    read_when_asked = []
    chunks = load_in_batches(path, first=10, size=5000, give_way=lambda: read_when_asked.append(1))
    assert sum(map(len, list(chunks)[1:])) == 1234 and len(read_when_asked) == 1234 // 512


def test_load_in_batches_reports_a_damaged_file(tmp_path: Path) -> None:
    from reader.store import load_in_batches

    path = tmp_path / "s.json"
    write_store(path, [Paper(key=f"k{i}", title="t") for i in range(50)], {})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match=r"s\.json"):
        list(load_in_batches(path, first=5, size=5))


def test_app_loading_keeps_abstracts_on_disk_and_reads_them_back(tmp_path: Path) -> None:
    import dataclasses

    from reader.store import load_in_batches
    from reader.stored_abstracts import StoredPaper

    papers = [
        Paper(key="k1", title="One", abstract="Naïve $\\alpha$ abstract", date="2025-01-02"),
        Paper(
            key="k2",
            title="Two",
            abstract="Revised text.",
            abstract_versions=("Revised text.", 'Older text, "quoted"\nover lines.'),
            date="2025-01-01",
        ),
        Paper(key="k3", title="No abstract"),
    ]
    path = tmp_path / "s.json"
    write_store(path, papers, {})
    loaded = [p for batch in list(load_in_batches(path, first=1))[1:] for p in batch]
    assert all(isinstance(p, StoredPaper) for p in loaded)
    assert [p.abstract for p in loaded] == [p.abstract for p in papers]
    assert [p.abstract_versions for p in loaded] == [p.abstract_versions for p in papers]
    assert loaded == papers and papers == loaded
    assert [p.to_dict() for p in loaded] == [p.to_dict() for p in papers]

    # A rebuild replacing the file while the app is open changes nothing it reads.
    write_store(path, [dataclasses.replace(papers[1], abstract="Other.")], {})
    assert loaded[1].abstract == "Revised text."
    changed = dataclasses.replace(loaded[1], title="Renamed")
    assert (changed.title, changed.abstract_versions) == ("Renamed", papers[1].abstract_versions)


def test_plain_opening_holds_abstracts_in_memory(tmp_path: Path) -> None:
    from reader.store import load_in_batches
    from reader.stored_abstracts import StoredPaper

    path = tmp_path / "s.json"
    write_store(path, [Paper(key="k1", title="One", abstract="Text.")], {})
    loaded = list(load_in_batches(path, abstracts_on_disk=False))[1]
    assert type(loaded[0]) is Paper and loaded[0].abstract == "Text."
    assert not any(isinstance(p, StoredPaper) for p in Store.open(path).papers)


# ------------------------------------------- the key map a rebuild reads (not the papers)


def test_the_key_map_is_read_without_the_papers_and_equals_the_alias_map(
    tmp_path: Path, papers: list[Paper]
) -> None:
    odd = Paper(
        key='k"\\1',
        aliases=('source:C:\\dir\\"a].txt:3', "b", "title:1"),  # quotes, brackets, escapes
    )
    shadowed = Paper(key="b", aliases=("arxiv:2501.00003",))  # a key wins over an alias
    every = [*papers, odd, shadowed, Paper(key="ü-ß", aliases=("title:ü",))]
    path = tmp_path / "store.json"
    write_store(path, every, {})
    mapping = read_key_map(path)
    assert mapping == Store.open(path).alias_map()
    assert mapping['source:C:\\dir\\"a].txt:3'] == 'k"\\1' and mapping["b"] == "b"
    write_store(path, [], {})
    assert read_key_map(path) == {}


def test_a_key_map_of_a_store_laid_out_otherwise_opens_it(
    tmp_path: Path, papers: list[Paper]
) -> None:
    path = tmp_path / "store.json"
    _write_in_tinydb_layout(path, papers)
    assert read_key_map(path) == Store.open(path).alias_map() != {}


def test_a_key_map_of_a_broken_store_is_a_store_error(tmp_path: Path, papers: list[Paper]) -> None:
    path = tmp_path / "store.json"
    write_store(path, papers, {})
    data = path.read_bytes()
    for cut in (len(data) - 2, len(data) // 2, 20):  # cut short: never a partial map
        path.write_bytes(data[:cut])
        with pytest.raises(StoreError, match="not valid JSON"):
            read_key_map(path)
    path.write_bytes(data.replace(b'"2":{"key"', b'"77":{"key"'))  # not our numbering:
    assert read_key_map(path) == Store.open(path).alias_map() != {}  # read whole, as TinyDB's
    path.write_bytes(data.replace(b'"schema_version":1', b'"schema_version":99'))
    with pytest.raises(StoreError, match="newer reader"):
        read_key_map(path)
    with pytest.raises(StoreError, match="reader build"):
        read_key_map(tmp_path / "missing.json")
