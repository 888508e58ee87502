"""The abstract word index, built in two processes when there are many abstracts.

Tokenising 100k abstracts and filing ~12M (word, paper) pairs is pure Python work of tens
of seconds on a small machine, and `reader build` does it once per store.  With two CPUs a
worker process indexes the later part of the abstracts while this one indexes the rest
(and whatever else the caller has to do), then `TokenIndex.combine` joins the two.  The
worker is a plain ``python -c`` process fed through pipes, as in `reader.build`: nothing is
forked from a possibly threaded process, it runs in its own session so a terminal Ctrl+C
reaches only this process (which then kills it), and if it cannot start or fails, this
process indexes its part too.  The result is the same index either way.

`reader build` starts earlier still (`EarlyAbstractIndex`): the abstracts are known once the
files are parsed, and the merge that follows uses one CPU.  A worker indexes every distinct
abstract under a provisional number meanwhile, and once the papers are ordered it only
renumbers its postings to paper positions.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
from array import array
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import IO

from reader.gcpause import paused_collector
from reader.text import fold_for_search
from reader.wordindex import TokenIndex, bits_from_flags, plain_ascii_words, word_pieces

__all__ = ["EarlyAbstractIndex", "abstract_tokens", "build_abstract_index", "is_plain"]

#: Fewer abstracts than this are indexed here: a worker costs ~0.3 s to start.
PARALLEL_FROM = 20_000
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_SHORT_TOKENS = frozenset(a + b for a in _ALNUM for b in ["", *_ALNUM])
_WORKER_CODE = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from reader.abstract_index import worker_main; worker_main()"
)
_EARLY_WORKER_CODE = _WORKER_CODE.replace("worker_main", "early_worker_main")


def is_plain(text: str) -> bool:
    """ASCII with nothing for LaTeX to do: its folded form is just lower-cased."""
    return text.isascii() and "\\" not in text and "$" not in text and "``" not in text


def abstract_tokens(text: str) -> set[str]:
    """The words of an abstract as the index files them (three characters or more)."""
    tokens = set(plain_ascii_words(text) if is_plain(text) else word_pieces(fold_for_search(text)))
    tokens -= _SHORT_TOKENS  # pieces under three characters never search abstracts
    return tokens


def build_abstract_index(
    n: int,
    texts: Sequence[str],
    *,
    parallel: bool = False,
    meanwhile: Callable[[], object] | None = None,
) -> TokenIndex:
    """The index of TEXTS (paper positions 0..n-1), shared with a worker when PARALLEL.

    MEANWHILE (other work of the caller's) runs here while the worker runs.
    """
    if not parallel or n < PARALLEL_FROM or _cpus() < 2:
        if meanwhile is not None:
            meanwhile()
        return TokenIndex.build(n, enumerate(map(abstract_tokens, texts)))
    split = n * 2 // 5  # this process also does `meanwhile`: the worker takes more
    worker = _start_worker(n, split, texts[split:])
    try:
        if meanwhile is not None:
            meanwhile()
        first = TokenIndex.build(n, enumerate(map(abstract_tokens, texts[:split])))
        second = _worker_result(worker, n) if worker is not None else None
    finally:
        if worker is not None:
            _stop(worker)
    if second is None:
        second = TokenIndex.build(n, enumerate(map(abstract_tokens, texts[split:]), split))
    return TokenIndex.combine(n, [first, second])


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _start_worker(n: int, start: int, texts: Sequence[str]) -> subprocess.Popen[bytes] | None:
    """A worker already given its abstracts, or None if it could not be started."""
    process = _spawn(_WORKER_CODE)
    if process is None:
        return None
    try:
        assert process.stdin is not None
        pickle.dump((n, start, list(texts)), process.stdin, pickle.HIGHEST_PROTOCOL)
        process.stdin.close()
    except (OSError, ValueError):
        _stop(process)
        return None
    return process


def _spawn(code: str) -> subprocess.Popen[bytes] | None:
    """A worker process running CODE, given this sys.path; None if it could not start."""
    if not sys.executable:
        return None
    process = None
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert process.stdin is not None
        pickle.dump(sys.path, process.stdin)
        process.stdin.flush()
    except (OSError, ValueError):
        if process is not None:
            _stop(process)
        return None
    return process


class EarlyAbstractIndex:
    """The abstract index, built by a worker while this process merges and writes the store.

    `start` before the merge, with every abstract a paper may end up with; `receive` hands
    them over once they are known; `finish` with the papers' abstracts in store order gives
    the index (or None: then build it here, as without this).  `close` stops the worker,
    also on an error or Ctrl+C in between.
    """

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process: subprocess.Popen[bytes] | None = process
        self._number: dict[str, int] = {}

    @classmethod
    def start(cls, *, cpus: int | None = None) -> EarlyAbstractIndex | None:
        """A started worker, or None on one CPU or if it could not be started."""
        if (cpus if cpus is not None else _cpus()) < 2:
            return None
        process = _spawn(_EARLY_WORKER_CODE)
        return cls(process) if process is not None else None

    def receive(self, abstracts: Iterable[str | None]) -> None:
        """Give the worker ABSTRACTS (in any order; newest first makes its renumbering
        cheap).  Fewer than PARALLEL_FROM distinct ones are not worth it: the worker stops."""
        number: dict[str, int] = {}
        for text in abstracts:
            if text and text not in number:
                number[text] = len(number)
        if len(number) < PARALLEL_FROM:
            self.close()
            return
        self._number = number
        if not self._send(list(number)):
            self.close()

    def finish(
        self, abstracts: Sequence[str], *, meanwhile: Callable[[], object] | None = None
    ) -> TokenIndex | None:
        """The index of ABSTRACTS (paper positions 0..n-1), or None if the worker is gone.
        MEANWHILE runs here while the worker renumbers (if the worker is still there)."""
        if self._process is None:
            return None
        n = len(abstracts)
        number, taken = self._number, bytearray(len(self._number))
        chosen = array("i", [-1]) * n
        extra: list[tuple[int, str]] = []  # abstracts the worker has not seen (or shared)
        for pos, text in enumerate(abstracts):
            at = number.get(text, -1)
            if at >= 0 and not taken[at]:
                taken[at] = 1
                chosen[pos] = at
            elif text:
                extra.append((pos, text))
        try:
            if not self._send((n, chosen.tobytes(), extra)):
                return None
            if meanwhile is not None:
                meanwhile()
            return _worker_result(self._process, n)
        finally:
            self.close()

    def close(self) -> None:
        if self._process is not None:
            _stop(self._process)
            self._process = None

    def _send(self, payload: object) -> bool:
        assert self._process is not None and self._process.stdin is not None
        try:
            pickle.dump(payload, self._process.stdin, pickle.HIGHEST_PROTOCOL)
            self._process.stdin.flush()
        except (OSError, ValueError):
            return False
        return True


def _worker_result(process: subprocess.Popen[bytes], n: int) -> TokenIndex | None:
    assert process.stdout is not None
    try:
        regions = pickle.load(process.stdout)
        return TokenIndex.from_regions(n, {k: memoryview(v) for k, v in regions.items()})
    except (OSError, EOFError, ValueError, KeyError, TypeError, pickle.UnpicklingError):
        return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        process.kill()
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        process.wait(timeout=10)
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def worker_main() -> None:
    """A worker: (n, start, texts) from stdin, the index's regions to stdout."""
    results = _results_pipe()
    n, start, texts = pickle.load(sys.stdin.buffer)
    _answer(results, TokenIndex.build(n, enumerate(map(abstract_tokens, texts), start)))


def early_worker_main() -> None:
    """An `EarlyAbstractIndex` worker: texts, then (n, chosen, extra); the regions back.

    The texts are indexed under their own numbers at once; when the papers' positions
    arrive, each token's numbers become positions (texts no paper kept are dropped) and the
    abstracts it had not seen are indexed at their positions."""
    results = _results_pipe()
    texts = pickle.load(sys.stdin.buffer)  # all at once: the sender waits until it is read
    count = len(texts)
    by_number = TokenIndex.postings_of(enumerate(map(abstract_tokens, texts)))
    del texts
    n, chosen_bytes, extra = pickle.load(sys.stdin.buffer)
    chosen = array("i")
    chosen.frombytes(chosen_bytes)
    with paused_collector():  # many lists and arrays, no cycles
        found = _renumbered(by_number, count, chosen, n, extra)
    _answer(results, TokenIndex.from_postings(n, found))


def _renumbered(
    by_number: dict[str, array],
    count: int,
    chosen: array,
    n: int,
    extra: Sequence[tuple[int, str]],
) -> dict[str, Sequence[int]]:
    """Token -> ascending positions, from token -> numbers of COUNT texts and CHOSEN
    (position -> text number, -1 for EXTRA's positions, which are indexed here)."""
    position = array("I", [n]) * count  # n: no paper kept this text
    for pos, number in enumerate(chosen):
        if number >= 0:
            position[number] = pos
    more: defaultdict[str, list[int]] = defaultdict(list)
    for pos, text in extra:
        for token in abstract_tokens(text):
            more[token].append(pos)
    kept, dense_from = n.__gt__, TokenIndex.dense_from(n)
    found: dict[str, Sequence[int] | int] = {}
    for token in list(by_number):
        numbers = by_number.pop(token)  # freed as we go
        places = more.pop(token, ())
        if len(numbers) >= dense_from:  # frequent: a bitset, in any order
            flags = bytearray(n + 1)
            deque(map(flags.__setitem__, map(position.__getitem__, numbers), repeat(1)), maxlen=0)
            deque(map(flags.__setitem__, places, repeat(1)), maxlen=0)
            del flags[n]
            held: Sequence[int] | int = bits_from_flags(flags)
        else:
            held = array("I", sorted([*filter(kept, map(position.__getitem__, numbers)), *places]))
        if held:
            found[token] = held
    for token, places in more.items():
        found[token] = array("I", places)  # ascending, as EXTRA is
    return found


def _results_pipe() -> IO[bytes]:
    """This worker's answer pipe (stdout); stray prints go to stderr instead."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us; never a traceback
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return results


def _answer(results: IO[bytes], index: TokenIndex) -> None:
    regions = {name: bytes(buffer) for name, buffer in index.regions().items()}
    pickle.dump(regions, results, pickle.HIGHEST_PROTOCOL)
    results.flush()
