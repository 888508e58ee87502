"""Child processes for the reliability tests: writers that get SIGKILLed, and concurrent users.

``python _child.py zygote state|store DIR`` imports reader once, then for every ``fork N`` line
on stdin forks a worker (a real process, cheap to start) that saves in a loop from step N,
writing ``ack N`` after each save returned; the zygote reports ``pid P`` and, once the
worker died, ``exited P STATUS``.  ``python _child.py concurrent ROLE DIR`` waits for ``go``
and then makes 500 changes as ROLE (a or b).  The step functions are shared with the tests,
so the parent knows exactly what each acknowledged step wrote.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reader.models import Paper, PaperState, SourceRef
from reader.state import StateChange, StateStore
from reader.store import write_store

STATE_PAPERS = 30
STORE_PAPERS = 300
CONCURRENT_PAPERS = 100
CONCURRENT_STEPS = 500


# ---------------------------------------------------------------- state steps


def state_paper(j: int, variant: int = 0) -> Paper:
    """Paper j; variant 1 has another key but shares an alias (as after a rebuild)."""
    if variant:
        return Paper(key=f"k{j}-v2", aliases=(f"arxiv:2501.{j:05d}", f"k{j}"))
    return Paper(key=f"k{j}", aliases=(f"arxiv:2501.{j:05d}",))


def state_step(i: int) -> tuple[int, int, StateChange]:
    """Step i: (paper index, variant, change); deterministic, so the parent can replay it."""
    rnd = random.Random(i)
    j = rnd.randrange(STATE_PAPERS)
    variant = rnd.randrange(2)
    kind = rnd.randrange(5)
    if kind == 0:
        change = StateChange(starred=rnd.random() < 0.6)
    elif kind == 1:
        change = StateChange(read=rnd.random() < 0.6)
    elif kind == 2:
        change = StateChange(note="" if rnd.random() < 0.2 else f"note of step {i} ✓\nline 2")
    elif kind == 3:
        change = StateChange(add_tags=(f"t{rnd.randrange(4)}",))
    else:
        change = StateChange(remove_tags=(f"t{rnd.randrange(4)}",))
    return j, variant, change


def apply_to_model(model: dict[int, PaperState], step: int) -> None:
    """What step i does to the expected marks (the same semantics as StateStore)."""
    j, _, change = state_step(step)
    old = model.get(j, PaperState())
    tags = [t for t in old.tags if t not in change.remove_tags]
    tags.extend(t for t in change.add_tags if t not in tags)
    model[j] = PaperState(
        read=old.read if change.read is None else change.read,
        starred=old.starred if change.starred is None else change.starred,
        note=old.note if change.note is None else change.note,
        tags=tuple(tags),
    )


def run_state_worker(directory: Path, start: int) -> None:
    store = StateStore(directory)
    for i in range(start, start + 1_000_000):
        j, variant, change = state_step(i)
        store.update(state_paper(j, variant), change)
        os.write(1, b"ack %d\n" % i)


# ---------------------------------------------------------------- store steps


def store_papers(generation: int) -> list[Paper]:
    """The papers of store generation g: sizes and text differ from one generation to the next."""
    count = STORE_PAPERS + (generation % 3) * 40
    return [
        Paper(
            key=f"p{n}",
            aliases=(f"arxiv:2502.{n:05d}",),
            title=f"Generation {generation} paper {n}",
            authors=("A. Author", "B. Author"),
            date="2025-07-01",
            abstract=f"Abstract {n} of generation {generation}. " * 8,
            sources=(SourceRef("listing.txt", n + 1, "inline"),),
        )
        for n in range(count)
    ]


def run_store_worker(path: Path, start: int) -> None:
    for generation in range(start, start + 1_000_000):
        write_store(path, store_papers(generation), {"generation": generation})
        os.write(1, b"ack %d\n" % generation)


# ---------------------------------------------------------------- concurrent users


def concurrent_steps(role: str) -> list[tuple[Paper, StateChange]]:
    """500 changes: stars on one half of the papers, notes on the other, a unique tag each.

    Role a stars papers 0-49 and writes notes on 50-99; role b the other way round, so both
    keep changing the same entries and any lost update shows as a missing value or tag.
    """
    steps = []
    for i in range(CONCURRENT_STEPS):
        j = (i // 2) % 50
        star_paper = j if role == "a" else 50 + j
        note_paper = 50 + j if role == "a" else j
        if i % 2 == 0:
            change = StateChange(starred=(i // 50) % 2 == 0, add_tags=(f"{role}{i}",))
            steps.append((Paper(key=f"c{star_paper}"), change))
        else:
            change = StateChange(note=f"{role} note {i}", add_tags=(f"{role}{i}",))
            steps.append((Paper(key=f"c{note_paper}"), change))
    return steps


def run_concurrent(role: str, directory: Path) -> None:
    store = StateStore(directory, lock_timeout=60)
    steps = concurrent_steps(role)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        sys.exit(2)
    for paper, change in steps:
        store.update(paper, change)
    print(f"done {len(steps)}", flush=True)


# ---------------------------------------------------------------- zygote


def run_zygote(kind: str, target: Path) -> None:
    worker = run_state_worker if kind == "state" else run_store_worker
    os.write(1, b"ready\n")
    for line in sys.stdin:
        command, _, arg = line.partition(" ")
        if command != "fork":
            break
        pid = os.fork()
        if pid == 0:
            try:
                worker(target, int(arg))
            except BaseException as exc:
                os.write(1, f"error {exc!r}\n".encode())
                os._exit(3)
            os._exit(0)
        os.write(1, b"pid %d\n" % pid)
        _, status = os.waitpid(pid, 0)
        os.write(1, b"exited %d %d\n" % (pid, status))


if __name__ == "__main__":
    mode, arg, where = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if mode == "zygote":
        run_zygote(arg, where)
    else:
        run_concurrent(arg, where)
