"""The abstract word index, built in two processes when there are many abstracts.

Tokenising 100k abstracts and filing ~12M (word, paper) pairs is pure Python work of tens
of seconds on a small machine, and `reader build` does it once per store.  With two CPUs a
worker process indexes the later part of the abstracts while this one indexes the rest
(and whatever else the caller has to do), then `TokenIndex.combine` joins the two.  The
worker is a plain ``python -c`` process fed through pipes, as in `reader.build`: nothing is
forked from a possibly threaded process, it runs in its own session so a terminal Ctrl+C
reaches only this process (which then kills it), and if it cannot start or fails, this
process indexes its part too.  The result is the same index either way.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence

from reader.text import fold_for_search
from reader.wordindex import TokenIndex, plain_ascii_words, word_pieces

__all__ = ["abstract_tokens", "build_abstract_index", "is_plain"]

#: Fewer abstracts than this are indexed here: a worker costs ~0.3 s to start.
PARALLEL_FROM = 20_000
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_SHORT_TOKENS = frozenset(a + b for a in _ALNUM for b in ["", *_ALNUM])
_WORKER_CODE = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from reader.abstract_index import worker_main; worker_main()"
)


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
    if not sys.executable:
        return None
    process = None
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_CODE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert process.stdin is not None
        pickle.dump(sys.path, process.stdin)
        pickle.dump((n, start, list(texts)), process.stdin, pickle.HIGHEST_PROTOCOL)
        process.stdin.close()
    except (OSError, ValueError):
        if process is not None:
            _stop(process)
        return None
    return process


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
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us; never a traceback
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints cannot corrupt results
    n, start, texts = pickle.load(sys.stdin.buffer)
    index = TokenIndex.build(n, enumerate(map(abstract_tokens, texts), start))
    regions = {name: bytes(buffer) for name, buffer in index.regions().items()}
    pickle.dump(regions, results, pickle.HIGHEST_PROTOCOL)
    results.flush()
