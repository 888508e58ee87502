"""Two processes saving state at once on the same papers: no update lost, no exception."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reader.models import Paper
from reader.state import StateStore
from tests.reliability._child import CONCURRENT_PAPERS, CONCURRENT_STEPS, concurrent_steps

CHILD = Path(__file__).with_name("_child.py")


def expected_marks() -> dict[str, dict]:
    """What the file must hold once both roles finished: each role's last value, all tags."""
    marks: dict[str, dict] = {
        f"c{j}": {"starred": False, "note": "", "tags": set()} for j in range(CONCURRENT_PAPERS)
    }
    for role in ("a", "b"):
        for paper, change in concurrent_steps(role):
            mark = marks[paper.key]
            if change.starred is not None:
                mark["starred"] = change.starred
            if change.note is not None:
                mark["note"] = change.note
            mark["tags"] |= set(change.add_tags)
    return marks


def test_two_processes_saving_at_once_lose_nothing(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, str(CHILD), "concurrent", role, str(tmp_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in ("a", "b")
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:  # both start hammering the same file together
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = [proc.communicate(timeout=240) for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert err == ""
        assert out.strip() == f"done {CONCURRENT_STEPS}"

    state = StateStore(tmp_path).load()
    assert state.warnings == []
    expected = expected_marks()
    total_tags = 0
    for key, want in expected.items():
        got = state.for_paper(Paper(key=key))
        assert got.starred == want["starred"], key
        assert got.note == want["note"], key
        assert set(got.tags) == want["tags"], f"{key}: lost tags {want['tags'] - set(got.tags)}"
        total_tags += len(got.tags)
    assert total_tags == 2 * CONCURRENT_STEPS  # every single change of both processes
