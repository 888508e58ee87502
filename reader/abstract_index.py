"""The abstract word index, built in two processes when there are many abstracts.

Tokenising 100k abstracts and filing ~11M (word, paper) pairs is pure Python work of about
ten seconds on a small machine, and `reader build` does it once per store.  With two CPUs a
worker process indexes the later part of the abstracts while this one indexes the rest
(and whatever else the caller has to do), then `TokenIndex.combine` joins the two.  The
worker is one of `reader.workers`; if it cannot start or fails, this process indexes its
part too.  The result is the same index either way.

`reader build` starts earlier still (`EarlyAbstractIndex`): the abstracts are known once the
files are parsed (and written to the build's `reader.textspool.TextSpool`), and the merge
that follows uses one CPU.  A worker tokenises every distinct abstract meanwhile, reading
them from the spool, and once the papers are ordered it only files their token ids under
paper positions.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import count, pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from reader import workers
from reader.atomicfile import remove_stale_temps
from reader.gcpause import paused_collector
from reader.text import authors_line, fold_for_search, fold_for_words
from reader.wordindex import TokenIndex, TokenRuns, plain_ascii_words, word_pieces
from reader.wordindex_file import save_word_indexes

if TYPE_CHECKING:
    from reader.models import Paper
    from reader.textspool import TextSpool

__all__ = ["EarlyAbstractIndex", "abstract_tokens", "build_abstract_index", "is_plain"]

#: Fewer abstracts than this are indexed here: a worker costs ~0.3 s to start.
PARALLEL_FROM = 20_000
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_SHORT_TOKENS = frozenset(a + b for a in _ALNUM for b in ["", *_ALNUM])
_WORKER_CODE = workers.worker_code("reader.abstract_index", "worker_main")
_EARLY_WORKER_CODE = workers.worker_code("reader.abstract_index", "early_worker_main")


def is_plain(text: str) -> bool:
    """ASCII with nothing for LaTeX to do: its folded form is just lower-cased."""
    return text.isascii() and "\\" not in text and "$" not in text and "``" not in text


def abstract_tokens(text: str) -> set[str]:
    """The words of an abstract as the index files them (three characters or more)."""
    tokens = _all_words(text)
    tokens -= _SHORT_TOKENS  # pieces under three characters never search abstracts
    return tokens


def _all_words(text: str) -> set[str]:
    return set(plain_ascii_words(text) if is_plain(text) else word_pieces(fold_for_words(text)))


def _index_of(n: int, texts: Sequence[str], start: int = 0) -> TokenIndex:
    """The index of the `abstract_tokens` of TEXTS at positions START..."""
    with paused_collector():  # a token set per text, no cycles
        tokenised = _TokenisedTexts(texts)
    at = range(start, start + len(texts))
    return tokenised.index(n, array("i", range(len(texts))), (), at=at)


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
        return _index_of(n, texts)
    split = n * 2 // 5  # this process also does `meanwhile`: the worker takes more
    worker = _start_worker(n, split, texts[split:])
    try:
        if meanwhile is not None:
            meanwhile()
        first = _index_of(n, texts[:split])
        second = _worker_result(worker, n) if worker is not None else None
    finally:
        if worker is not None:
            workers.stop(worker)
    if second is None:
        second = _index_of(n, texts[split:], split)
    return TokenIndex.combine(n, [first, second])


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _start_worker(n: int, start: int, texts: Sequence[str]) -> subprocess.Popen[bytes] | None:
    """A worker already given its abstracts, or None if it could not be started."""
    process = workers.spawn(_WORKER_CODE)
    if process is None:
        return None
    try:
        assert process.stdin is not None
        pickle.dump((n, start, list(texts)), process.stdin, pickle.HIGHEST_PROTOCOL)
        process.stdin.close()
    except (OSError, ValueError):
        workers.stop(process)
        return None
    return process


class EarlyAbstractIndex:
    """The abstract index, built by a worker while this process merges and writes the store.

    `start` early, with the spool the abstracts will be written to; `receive` once they are
    (before the merge); `place` the papers in store order after it; `save` has the worker
    index them, sort the other fields' tokens and write the word-index file (or says it
    could not: then build it here, as without this).  `close` stops the worker, also on an
    error or Ctrl+C in between.

    The worker also finds the authors' words: it is done with the abstracts about when this
    process is done writing the store, and the titles' and authors' words are 0.4 s each
    at 100k papers, the last work of the build.
    """

    def __init__(self, process: subprocess.Popen[bytes], spool: TextSpool) -> None:
        self._process: subprocess.Popen[bytes] | None = process
        self._spool = spool  # the texts are here, and the worker reads them from it too
        self._placed = False
        self._sender: threading.Thread | None = None  # the last message still being sent
        self._sent = True  # every message so far reached the pipe

    @classmethod
    def start(cls, spool: TextSpool, *, cpus: int | None = None) -> EarlyAbstractIndex | None:
        """A started worker that shares SPOOL's file, or None on one CPU or if it could not
        be started."""
        if (cpus if cpus is not None else _cpus()) < 2:
            return None
        process = workers.spawn(_EARLY_WORKER_CODE, pass_fds=(spool.fileno(),))
        if process is None:
            return None
        early = cls(process, spool)
        if not early._send(spool.fileno()):
            early.close()
            return None
        return early

    def receive(self) -> None:
        """The spool is sealed: the worker reads and tokenises its texts.  Fewer than
        PARALLEL_FROM are not worth it: the worker stops."""
        if self._process is None:
            return
        if len(self._spool) < PARALLEL_FROM:
            self.close()
            return
        # Where each text lies, not the texts: the worker would read 100 MB from a pipe only
        # as fast as it unpickles, and this process would wait for it instead of merging.
        if not self._send(self._spool.offsets.tobytes()):
            self.close()

    def place(self, papers: Sequence[Paper]) -> None:
        """Tell the worker the PAPERS in store order (positions 0..n-1): it files their
        abstracts and finds their authors' words while this process goes on (writing the
        store, say).  Papers whose abstract is not on the spool are sent as text."""
        if self._process is None or self._placed:
            return
        number_of = self._spool.number_of
        chosen = array("i", [-1]) * len(papers)
        extra: list[tuple[int, str]] = []
        authors: list[str] = []
        for pos, paper in enumerate(papers):
            number = number_of(paper)
            if number is None:
                extra.append((pos, paper.abstract))
            else:
                chosen[pos] = number
            authors.append(authors_line(paper.authors))
        self._placed = True
        self._send_in_background((len(papers), chosen.tobytes(), extra, authors))

    def save(
        self,
        path: Path,
        stamp: str,
        papers: Sequence[Paper],
        other_fields: Callable[[], Mapping[str, TokenRuns]],
    ) -> bool | None:
        """Have the worker index the abstracts and authors of PAPERS (the same as `place`
        was given, if it was called) and save them to PATH, for store version STAMP, with
        the titles' index made from the `TokenRuns` that OTHER_FIELDS gives (``{"ti": ...}``,
        computed here while the worker files the abstracts).

        True once saved; False if the file could not be written (a cache: the app builds
        it again); None if the worker is gone (build and save them here instead).  The
        indexes never come back to this process, and it never sorts postings: at 100k that
        is 45 MB of indexes and 40 MB of numpy arrays and numpy itself it need not hold.
        """
        self.place(papers)
        if self._process is None:
            return None
        try:
            self._send_in_background((str(path), stamp, dict(other_fields())))
            assert self._sender is not None
            self._sender.join()  # it joined the ones before it
            if not self._sent:
                return None
            assert self._process.stdout is not None
            try:
                saved = pickle.load(self._process.stdout)
            except (OSError, EOFError, ValueError, pickle.UnpicklingError):
                return None
            return saved if isinstance(saved, bool) else None
        finally:
            self.close()
            # A worker stopped while saving (Ctrl+C, a crash) leaves its temp file behind.
            with contextlib.suppress(OSError):
                remove_stale_temps(path)

    def close(self) -> None:
        """Stop the worker (the spool is the caller's)."""
        if self._process is not None:
            workers.stop(self._process)  # also ends a sender thread blocked on the pipe
            self._process = None
        if self._sender is not None:
            self._sender.join()
            self._sender = None

    def _send(self, message: object) -> bool:
        process = self._process
        assert process is not None and process.stdin is not None
        try:
            pickle.dump(message, process.stdin, pickle.HIGHEST_PROTOCOL)
            process.stdin.flush()
        except (OSError, ValueError):
            self._sent = False
        return self._sent

    def _send_in_background(self, message: object) -> None:
        """`_send` MESSAGE from a thread, after any message before it.  For small messages
        only (see `receive`): the worker reads one only when done with the one before."""
        previous = self._sender

        def send() -> None:
            if previous is not None:
                previous.join()
            if self._sent:
                self._send(message)

        self._sender = threading.Thread(target=send, daemon=True, name="abstract-index-send")
        self._sender.start()


def _worker_result(process: subprocess.Popen[bytes], n: int) -> TokenIndex | None:
    assert process.stdout is not None
    try:
        regions = pickle.load(process.stdout)
        buffers = {name: memoryview(buffer) for name, buffer in regions.items()}
        return TokenIndex.from_regions(n, buffers, check=False)  # a worker of ours made them
    except (OSError, EOFError, ValueError, KeyError, TypeError, pickle.UnpicklingError):
        return None


def worker_main() -> None:
    """A worker: (n, start, texts) from stdin, the index's regions to stdout."""
    results = workers.answer_pipe()
    n, start, texts = pickle.load(sys.stdin.buffer)
    regions = {name: bytes(buffer) for name, buffer in _index_of(n, texts, start).regions().items()}
    pickle.dump(regions, results, pickle.HIGHEST_PROTOCOL)
    results.flush()


def early_worker_main() -> None:
    """An `EarlyAbstractIndex` worker: the spool's descriptor, the spool's offsets once
    its texts are written, (n, chosen, extra, authors lines), (path, stamp, the other
    fields' token runs); it saves the word indexes to path and answers whether it could.

    The texts are tokenised at once, each to an array of token ids; when the papers'
    positions arrive (and any abstract not on the spool), the postings are filed in
    position order, so they come out ascending with nothing to sort."""
    results = workers.answer_pipe()
    spool_fd = pickle.load(sys.stdin.buffer)
    offsets = array("Q")
    offsets.frombytes(pickle.load(sys.stdin.buffer))
    with paused_collector():  # a token set per text, no cycles
        tokenised = _TokenisedTexts(_spooled_texts(spool_fd, offsets))
    os.close(spool_fd)
    n, chosen_bytes, extra, authors = pickle.load(sys.stdin.buffer)
    chosen = array("i")
    chosen.frombytes(chosen_bytes)
    with paused_collector():
        indexes = {"ab": tokenised.index(n, chosen, extra)}
        del tokenised
        words = map(word_pieces, map(fold_for_search, authors))
        indexes["au"] = TokenIndex.from_token_runs(n, TokenRuns.of(enumerate(words)))
        del authors
        path, stamp, other_fields = pickle.load(sys.stdin.buffer)
        for field, runs in other_fields.items():
            indexes[field] = TokenIndex.from_token_runs(n, runs)
        del other_fields
    try:
        save_word_indexes(Path(path), stamp, n, indexes)
    except OSError:
        saved = False
    else:
        saved = True
    pickle.dump(saved, results, pickle.HIGHEST_PROTOCOL)
    results.flush()


def _spooled_texts(fd: int, offsets: array) -> Iterable[str]:
    """The texts of a `TextSpool` whose file is open on FD, one at a time (read, not
    mapped: mapped pages would count in this process's memory)."""
    with os.fdopen(fd, "rb", buffering=1 << 20, closefd=False) as spool:
        spool.seek(0)
        for start, end in pairwise(offsets):
            yield spool.read(end - start).decode()


class _TokenisedTexts:
    """Texts as token ids (one flat array cut by offsets), numbered in the order given."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.ids: defaultdict[str, int] = defaultdict(count().__next__)
        self.flat = array("I")
        self.offsets = array("Q", [0])
        for text in texts:
            self.add(text)

    def add(self, text: str) -> int:
        """Tokenise one more text; its number.  Short words are kept here and dropped at
        the end: taking them out of each text's set cost a fifth of the tokenising."""
        self.flat.extend(map(self.ids.__getitem__, _all_words(text)))
        self.offsets.append(len(self.flat))
        return len(self.offsets) - 2

    def index(
        self,
        n: int,
        chosen: array,
        extra: Sequence[tuple[int, str]],
        *,
        at: Sequence[int] | None = None,
    ) -> TokenIndex:
        """The index of N papers: position p holds text CHOSEN[p] (none if -1), or the
        text EXTRA gives for p.  AT: the positions CHOSEN stands for, if not 0, 1, ..."""
        for pos, text in extra:
            chosen[pos] = self.add(text)
        places = range(len(chosen)) if at is None else at
        held = [
            (place, number) for place, number in zip(places, chosen, strict=True) if number >= 0
        ]
        offsets = self.offsets
        starts = array("Q", (offsets[number] for _, number in held))
        ends = array("Q", (offsets[number + 1] for _, number in held))
        vocab = list(self.ids)
        positions = array("I", (place for place, _ in held))
        return TokenIndex.from_runs(
            n, vocab, self.flat, starts, ends, positions, drop=_SHORT_TOKENS
        )
