"""Worker processes of the build: plain ``python -c`` processes fed through pipes.

Not multiprocessing: nothing of the caller's main module is imported again in a worker,
nothing is forked from a possibly threaded process (the app may build from a worker
thread), and each worker runs in its own session, so a terminal's Ctrl+C reaches only the
parent, which then stops them.  A worker first reads the parent's ``sys.path`` from stdin,
then runs one function of ours; see `reader.build` (parsing) and `reader.abstract_index`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
from typing import IO


def worker_code(module: str, function: str) -> str:
    """The ``python -c`` program of a worker that runs MODULE.FUNCTION()."""
    return (
        "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
        f"from {module} import {function}; {function}()"
    )


def spawn(code: str, *, pass_fds: tuple[int, ...] = ()) -> subprocess.Popen[bytes] | None:
    """A worker running CODE (see `worker_code`), given this sys.path and PASS_FDS open;
    None if it could not be started."""
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
            pass_fds=pass_fds,
        )
        assert process.stdin is not None
        pickle.dump(sys.path, process.stdin)
        process.stdin.flush()
    except (OSError, ValueError):
        if process is not None:
            stop(process)
        return None
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    """Kill a worker (a no-op if it has ended), reap it and close its pipes."""
    with contextlib.suppress(OSError):
        process.kill()
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        process.wait(timeout=10)
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def answer_pipe() -> IO[bytes]:
    """In a worker: the pipe its answers go to (stdout).  Anything a library prints goes to
    stderr instead, and Ctrl+C is left to the parent (never a traceback here)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return results
