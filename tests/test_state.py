"""Per-user state on real files: values, aliases, merging, backups, corruption, failures."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from reader.atomicfile import list_temps
from reader.models import EMPTY_STATE, Paper
from reader.state import STATE_SCHEMA, StateChange, StateError, StateStore

PAPER = Paper(key="k1", aliases=("arxiv:2501.00001", "title:step-law"))


def stored(directory: Path) -> dict:
    return orjson.loads((directory / "state.json").read_bytes())


def test_fresh_directory_is_empty_and_load_creates_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "config"
    state = StateStore(directory).load()
    assert state.for_paper(PAPER) is EMPTY_STATE
    assert state.entries == {} and state.searches == {} and state.warnings == []
    assert not directory.exists()


def test_default_directory_is_the_config_dir(isolated_home: Path) -> None:
    assert StateStore().path == isolated_home / "config" / "state.json"


def test_changes_are_saved_and_read_back_by_another_store(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    after = store.update(PAPER, StateChange(starred=True, note="re-read §3", add_tags=("llm",)))
    mark = after.for_paper(PAPER)
    assert (mark.starred, mark.read, mark.note, mark.tags) == (True, False, "re-read §3", ("llm",))
    assert set(mark.changed) == {"starred", "note", "tags"}
    again = StateStore(tmp_path).load().for_paper(PAPER)
    assert (again.starred, again.note, again.tags) == (True, "re-read §3", ("llm",))
    raw = stored(tmp_path)
    assert raw["schema_version"] == STATE_SCHEMA
    assert raw["entries"]["k1"]["aliases"] == ["arxiv:2501.00001", "title:step-law"]


def test_values_are_set_not_toggled(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.update(PAPER, StateChange(read=True))
    state = store.update(PAPER, StateChange(read=True))
    assert state.for_paper(PAPER).read is True
    state = store.update(PAPER, StateChange(starred=True))
    assert state.for_paper(PAPER).read is True  # untouched field kept


def test_tags_add_and_remove(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.update(PAPER, StateChange(add_tags=("a", "b", "a")))
    state = store.update(PAPER, StateChange(add_tags=("c",), remove_tags=("a",)))
    assert state.for_paper(PAPER).tags == ("b", "c")


def test_unmarked_papers_leave_the_file(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.update(PAPER, StateChange(starred=True, note="x"))
    state = store.update(PAPER, StateChange(starred=False, note=""))
    assert state.for_paper(PAPER) is EMPTY_STATE
    assert stored(tmp_path)["entries"] == {}


def test_state_follows_a_paper_whose_key_changed(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.update(PAPER, StateChange(starred=True, note="keep me"))
    rebuilt = Paper(key="k-new", aliases=("title:step-law", "arxiv:2501.00001v2"))
    state = StateStore(tmp_path).load()
    assert state.for_paper(rebuilt).note == "keep me"
    # A change through the new paper updates the old entry and records the new identities
    state = store.update(rebuilt, StateChange(read=True))
    mark = state.for_paper(rebuilt)
    assert (mark.read, mark.starred, mark.note) == (True, True, "keep me")
    assert set(stored(tmp_path)["entries"]["k1"]["aliases"]) >= {"k-new", "arxiv:2501.00001v2"}
    unrelated = Paper(key="other", aliases=("arxiv:2501.99999",))
    assert state.for_paper(unrelated) is EMPTY_STATE


def test_several_entries_of_one_paper_are_merged(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    first = Paper(key="a", aliases=("arxiv:1",))
    second = Paper(key="b", aliases=("title:t",))
    store.update(first, StateChange(read=True, note="from a", add_tags=("x",)))
    store.update(second, StateChange(starred=True, note="from b", add_tags=("y",)))
    merged_paper = Paper(key="a", aliases=("arxiv:1", "title:t", "b"))
    mark = StateStore(tmp_path).load().for_paper(merged_paper)
    assert (mark.read, mark.starred) == (True, True)
    assert mark.note == "from a\n\nfrom b"
    assert mark.tags == ("x", "y")
    # Setting a value on the merged paper sets it on every entry: no stale OR resurrects it
    state = store.update(merged_paper, StateChange(starred=False, note="one note"))
    mark = state.for_paper(merged_paper)
    assert (mark.starred, mark.note) == (False, "one note")
    assert StateStore(tmp_path).load().for_paper(merged_paper) == mark


def test_update_many_is_one_write(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    papers = [Paper(key=f"p{i}") for i in range(50)]
    state = store.update_many([(p, StateChange(read=True)) for p in papers])
    assert all(state.for_paper(p).read for p in papers)
    assert not (tmp_path / "state.json.bak").exists()  # only one write happened
    assert len(StateStore(tmp_path).load().entries) == 50


def test_saved_searches(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.save_search("diffusion", "diffusion is:unread")
    state = store.save_search("mine", "author:li")
    assert state.searches == {"diffusion": "diffusion is:unread", "mine": "author:li"}
    state = store.delete_search("diffusion")
    assert StateStore(tmp_path).load().searches == {"mine": "author:li"}
    assert store.delete_search("absent").searches == {"mine": "author:li"}


def test_backup_holds_the_previous_good_version(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.update(PAPER, StateChange(note="first"))
    first = (tmp_path / "state.json").read_bytes()
    store.update(PAPER, StateChange(note="second"))
    assert (tmp_path / "state.json.bak").read_bytes() == first
    assert b"second" in (tmp_path / "state.json").read_bytes()
    assert list_temps(tmp_path / "state.json") == []
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_corrupt_file_is_moved_aside_and_backup_restored(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.update(PAPER, StateChange(starred=True, note="good"))
    store.update(PAPER, StateChange(note="better"))
    (tmp_path / "state.json").write_bytes(b'{"schema_version": 1, "entries": {"k1": {"no')
    state = StateStore(tmp_path).load()
    assert state.for_paper(PAPER).note == "good"  # the last good copy
    assert len(state.warnings) == 1
    assert "moved it to state.json.corrupt-" in state.warnings[0]
    assert "restored the last good copy" in state.warnings[0]
    [aside] = tmp_path.glob("state.json.corrupt-*")
    assert aside.read_bytes().startswith(b'{"schema_version": 1, "entries": {"k1": {"no')
    assert stored(tmp_path)["entries"]["k1"]["note"] == "good"
    # Saving works again
    StateStore(tmp_path).update(PAPER, StateChange(read=True))
    assert StateStore(tmp_path).load().for_paper(PAPER).read


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xff binary", b"[]", b'{"entries": {}}', b'{"schema_version": 1, "entries": []}'],
)
def test_corrupt_file_without_backup_starts_empty_and_is_kept(
    tmp_path: Path, content: bytes
) -> None:
    (tmp_path / "state.json").write_bytes(content)
    store = StateStore(tmp_path)
    state = store.load()
    assert state.entries == {}
    assert "no usable last good copy" in state.warnings[0]
    [aside] = tmp_path.glob("state.json.corrupt-*")
    assert aside.read_bytes() == content
    store.update(PAPER, StateChange(starred=True))
    assert StateStore(tmp_path).load().for_paper(PAPER).starred


def test_corruption_found_while_saving_is_recovered_too(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.update(PAPER, StateChange(note="one"))
    store.update(PAPER, StateChange(starred=True))
    (tmp_path / "state.json").write_bytes(b"garbage")
    state = store.update(PAPER, StateChange(read=True))
    mark = state.for_paper(PAPER)
    assert (mark.note, mark.starred, mark.read) == ("one", False, True)  # .bak + this change
    assert any("corrupt" in w for w in state.warnings)
    assert len(list(tmp_path.glob("state.json.corrupt-*"))) == 1


def test_newer_schema_is_read_only_and_never_overwritten(tmp_path: Path) -> None:
    future = {
        "schema_version": STATE_SCHEMA + 1,
        "entries": {"k1": {"starred": True, "aliases": [], "fancy": {"new": 1}}},
        "searches": {},
    }
    content = orjson.dumps(future)
    (tmp_path / "state.json").write_bytes(content)
    store = StateStore(tmp_path)
    state = store.load()
    assert state.read_only
    assert state.for_paper(PAPER).starred  # still shown
    assert "newer reader" in state.warnings[0]
    with pytest.raises(StateError, match=r"newer reader \(state schema 2"):
        store.update(PAPER, StateChange(read=True))
    with pytest.raises(StateError, match="newer reader"):
        store.save_search("x", "y")
    assert (tmp_path / "state.json").read_bytes() == content
    assert not list(tmp_path.glob("state.json.corrupt-*"))


def test_entry_of_unknown_shape_is_kept_and_reported(tmp_path: Path) -> None:
    raw = {"schema_version": 1, "entries": {"odd": {"tags": "not-a-list"}}, "searches": {}}
    (tmp_path / "state.json").write_bytes(orjson.dumps(raw))
    store = StateStore(tmp_path)
    assert "unknown shape" in store.load().warnings[0]
    store.update(PAPER, StateChange(starred=True))
    assert stored(tmp_path)["entries"]["odd"] == {"tags": "not-a-list"}
    with pytest.raises(StateError, match=r"'odd'.*does not understand"):
        store.update(Paper(key="odd"), StateChange(starred=True))


def test_state_path_that_cannot_be_read_gives_a_read_only_view(tmp_path: Path) -> None:
    (tmp_path / "state.json").mkdir()
    store = StateStore(tmp_path)
    state = store.load()
    assert state.read_only and "cannot be read" in state.warnings[0]
    with pytest.raises(StateError, match="could not save"):
        store.update(PAPER, StateChange(starred=True))


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failed_save_keeps_the_old_file_and_a_later_save_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    store = StateStore(tmp_path)
    store.update(PAPER, StateChange(note="safe"))
    before = (tmp_path / "state.json").read_bytes()

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(StateError, match=r"could not save your change.*No space left"):
        store.update(PAPER, StateChange(note="lost", starred=True))
    monkeypatch.undo()
    assert (tmp_path / "state.json").read_bytes() == before
    assert list_temps(tmp_path / "state.json") == []
    # The failed change must not sneak into the next save from an in-memory copy
    state = store.update(PAPER, StateChange(read=True))
    mark = state.for_paper(PAPER)
    assert (mark.note, mark.starred, mark.read) == ("safe", False, True)
    assert StateStore(tmp_path).load().for_paper(PAPER) == mark


def test_reload_if_changed_sees_other_writers_only(tmp_path: Path) -> None:
    mine, other = StateStore(tmp_path), StateStore(tmp_path)
    mine.load()
    assert mine.reload_if_changed() is None
    mine.update(PAPER, StateChange(read=True))
    assert mine.reload_if_changed() is None  # our own write is not news
    other.update(PAPER, StateChange(starred=True))
    fresh = mine.reload_if_changed()
    assert fresh is not None and fresh.for_paper(PAPER).starred
    assert mine.reload_if_changed() is None
    # and the next save through `mine` keeps the other's change
    state = mine.update(PAPER, StateChange(note="n"))
    assert state.for_paper(PAPER).starred


def test_save_merges_with_changes_made_elsewhere_since_load(tmp_path: Path) -> None:
    mine, other = StateStore(tmp_path), StateStore(tmp_path)
    a, b = Paper(key="a"), Paper(key="b")
    mine.update(a, StateChange(starred=True))
    other.update(b, StateChange(note="from other"))
    state = mine.update(a, StateChange(read=True))  # mine never reloaded
    assert state.for_paper(b).note == "from other"
    assert state.for_paper(a).starred and state.for_paper(a).read


def test_lock_held_elsewhere_gives_a_clear_error(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, filelock\n"
            f"lock = filelock.FileLock({str(tmp_path / 'state.json.lock')!r})\n"
            "lock.acquire(); print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        store = StateStore(tmp_path, lock_timeout=0.2)
        with pytest.raises(StateError, match=r"could not lock .*state\.json\.lock within 0\.2 s"):
            store.update(PAPER, StateChange(starred=True))
    finally:
        holder.kill()
        holder.wait()
    assert StateStore(tmp_path).update(PAPER, StateChange(starred=True)).for_paper(PAPER).starred


def test_toggle_cost_does_not_grow_with_marked_papers(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.update_many(
        [(Paper(key=f"p{i}", aliases=(f"a{i}",)), StateChange(read=True)) for i in range(2000)]
    )
    times = []
    for i in range(21):
        start = time.perf_counter()
        store.update(PAPER, StateChange(starred=i % 2 == 0))
        times.append(time.perf_counter() - start)
    times.sort()
    assert times[10] < 0.025, f"median toggle {times[10] * 1000:.1f} ms with 2000 marked papers"


def test_state_and_store_modules_do_not_import_textual() -> None:
    code = (
        "import sys, reader.state, reader.store, reader.atomicfile; print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_backup_after_a_writer_died_between_link_and_replace(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.update(PAPER, StateChange(note="one"))
    store.update(PAPER, StateChange(note="two"))
    # What a writer killed right after hardlinking the backup leaves: one inode, two names
    (tmp_path / "state.json.bak").unlink()
    os.link(tmp_path / "state.json", tmp_path / "state.json.bak")
    current = (tmp_path / "state.json").read_bytes()
    StateStore(tmp_path).update(PAPER, StateChange(note="three"))
    assert (tmp_path / "state.json.bak").read_bytes() == current
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_next_session_sweeps_temps_of_killed_writers(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.update(PAPER, StateChange(note="one"))
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    for name in (f".state.json.tmp-{pid}-0badc0de", f".state.json.bak.tmp-{pid}"):
        (tmp_path / name).write_bytes(b"partial")
    StateStore(tmp_path).update(PAPER, StateChange(note="two"))
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_marked_identities_cover_keys_and_aliases(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    paper = Paper(key="k1", aliases=("arxiv:2507.19427", "title:abc"))
    state = store.update(paper, StateChange(starred=True))
    assert state.marked_identities() >= {"k1", "arxiv:2507.19427", "title:abc"}
    state = store.update(paper, StateChange(starred=False))
    assert "k1" not in state.marked_identities()
