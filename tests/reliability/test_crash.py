"""SIGKILL writers at random instants: state and store always load, acknowledged data is there.

A zygote child imports reader once and forks one writer per round (real processes, started in
milliseconds); the test kills the writer after a random delay, then checks the files.
200 kills per suite by default, 2,000 with READER_LONG_TESTS=1.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

from reader.atomicfile import list_temps, remove_stale_temps
from reader.models import Paper, PaperState
from reader.state import StateChange, StateStore
from reader.store import Store, write_store
from tests.reliability._child import (
    STATE_PAPERS,
    apply_to_model,
    state_paper,
    store_papers,
)

CHILD = Path(__file__).with_name("_child.py")
LONG = os.environ.get("READER_LONG_TESTS") == "1"
KILLS = 2000 if LONG else 200


class Zygote:
    """The forking child: `fork(step)` starts a writer, `kill()` ends it and returns its acks."""

    def __init__(self, kind: str, target: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), "zygote", kind, str(target)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._line() == "ready"
        self.pid = 0
        self.acks: list[int] = []

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(
                f"child died: {self.proc.stderr.read() if self.proc.stderr else ''}"
            )
        return line.strip()

    def fork(self, start: int) -> list[int]:
        """Start a writer at step START and wait until it acknowledged its first save."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"fork {start}\n")
        self.proc.stdin.flush()
        kind, _, pid = self._line().partition(" ")
        assert kind == "pid"
        self.pid = int(pid)
        self.acks = []
        self._read_until("ack")
        return self.acks

    def _read_until(self, wanted: str) -> None:
        while True:
            kind, _, rest = self._line().partition(" ")
            if kind == "ack":
                self.acks.append(int(rest))
            elif kind == "error":
                raise AssertionError(f"writer failed: {rest}")
            elif kind == "exited":
                status = int(rest.split()[1])
                assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
                return
            if kind == wanted:
                return

    def kill(self) -> list[int]:
        """SIGKILL the writer; every step it acknowledged, in order."""
        os.kill(self.pid, signal.SIGKILL)
        self._read_until("exited")
        return self.acks

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@contextlib.contextmanager
def zygote(kind: str, target: Path) -> Iterator[Zygote]:
    z = Zygote(kind, target)
    try:
        yield z
    finally:
        z.close()


def marks(state: PaperState) -> tuple[bool, bool, str, tuple[str, ...]]:
    return state.read, state.starred, state.note, tuple(sorted(state.tags))


def test_killed_state_writer_never_loses_acknowledged_changes(tmp_path: Path) -> None:
    rnd = random.Random(20260114)
    model: dict[int, PaperState] = {}
    next_step = 0
    temps_seen = acked = saved_unacknowledged = 0
    with zygote("state", tmp_path) as z:
        for _ in range(KILLS):
            z.fork(next_step)
            time.sleep(rnd.uniform(0, 0.02))  # a random instant of a later save
            acks = z.kill()
            assert acks == list(range(next_step, next_step + len(acks)))
            for step in acks:
                apply_to_model(model, step)
            acked += len(acks)
            in_flight = next_step + len(acks)
            state_file = tmp_path / "state.json"
            temps_seen += len(list_temps(state_file)) + len(list_temps(tmp_path / "state.json.bak"))

            if state_file.exists():
                orjson.loads(state_file.read_bytes())  # plain JSON, whole
            state = StateStore(tmp_path).load()
            assert state.warnings == [] and not state.read_only
            on_disk = {j: marks(state.for_paper(state_paper(j))) for j in range(STATE_PAPERS)}
            with_in_flight = dict(model)
            apply_to_model(with_in_flight, in_flight)
            expected = {j: marks(model.get(j, PaperState())) for j in range(STATE_PAPERS)}
            if on_disk != expected:
                expected = {
                    j: marks(with_in_flight.get(j, PaperState())) for j in range(STATE_PAPERS)
                }
                assert on_disk == expected, (
                    f"acknowledged change lost (steps up to {in_flight - 1})"
                )
                model = with_in_flight
                saved_unacknowledged += 1
            next_step = in_flight + 1
    print(
        f"state: {KILLS} kills, {acked} acks, {temps_seen} temps, {saved_unacknowledged} in-flight"
    )
    assert acked > KILLS, "writers were killed before saving anything: the test proves nothing"
    assert temps_seen > 0, "no kill ever landed mid-write"
    # The next session sweeps the temps of killed writers
    StateStore(tmp_path).update(Paper(key="final"), StateChange(read=True))
    assert list_temps(tmp_path / "state.json") == []
    assert list_temps(tmp_path / "state.json.bak") == []


def test_killed_store_writer_leaves_old_or_new_store(tmp_path: Path) -> None:
    rnd = random.Random(7)
    path = tmp_path / "store.json"
    write_store(path, store_papers(0), {"generation": 0})
    on_disk, next_generation = 0, 1
    temps_removed = written = in_flight_written = 0
    with zygote("store", path) as z:
        for _ in range(KILLS):
            z.fork(next_generation)
            time.sleep(rnd.uniform(0, 0.03))  # a random instant of a later write
            acks = z.kill()
            assert acks == list(range(next_generation, next_generation + len(acks)))
            written += len(acks)
            last = acks[-1] if acks else on_disk
            in_flight = next_generation + len(acks)
            temps = list_temps(path)

            store = Store.open(path)  # never broken
            generation = store.meta["generation"]
            assert generation in (last, in_flight), (generation, last, in_flight)
            assert store.papers == store_papers(generation)

            removed = remove_stale_temps(path)
            assert sorted(removed) == temps
            assert list_temps(path) == []
            temps_removed += len(removed)
            in_flight_written += generation == in_flight
            on_disk, next_generation = generation, in_flight + 1
    print(
        f"store: {KILLS} kills, {written} acks, {temps_removed} temps, {in_flight_written} in-flight"
    )
    assert written > KILLS, "writers were killed before writing anything"
    assert temps_removed > 0, "no kill ever landed mid-write"
