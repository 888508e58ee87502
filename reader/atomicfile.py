"""Crash-safe file replacement: a reader of PATH sees the old bytes or the new, never a mix.

The new content goes to a temp file in the same directory (same filesystem, so the rename is
atomic), is flushed and fsynced, then renamed over PATH with ``os.replace``; the directory is
fsynced so the rename itself survives a power cut.  Any failure removes the temp and leaves
the old file untouched.  A writer killed mid-write leaves only its temp behind, named
``.<name>.tmp-<pid>-<random>`` so `remove_stale_temps` can recognise and clean it later.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

_TMP_MARK = ".tmp-"
#: A temp older than this is stale even if its pid now belongs to another live process.
STALE_AFTER_SECONDS = 6 * 3600


def temp_prefix(path: Path) -> str:
    """The name prefix shared by every temp file of PATH (``.papers.json.tmp-``)."""
    return f".{path.name}{_TMP_MARK}"


def _fsync_dir(directory: Path) -> None:
    """Persist a rename; filesystems that cannot fsync a directory are tolerated."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _existing_mode(path: Path) -> int | None:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace PATH with DATA atomically and durably.

    Raises OSError (with errno and the file name) when anything fails; the previous
    content of PATH is then intact and no temp file is left behind.
    """
    atomic_write_chunks(path, (data,))


def atomic_write_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """`atomic_write_bytes` for content produced piece by piece (never all in memory at once).

    CHUNKS is consumed while the temp file is written; an exception it raises (e.g. Ctrl+C
    during a long build) removes the temp and leaves PATH as it was.
    """
    path = Path(path)
    directory = path.parent
    tmp = directory / f"{temp_prefix(path)}{os.getpid()}-{secrets.token_hex(4)}"
    mode = _existing_mode(path)
    replaced = False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        replaced = True
        _fsync_dir(directory)
    except BaseException as exc:
        if not replaced:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError):
            what = "could not finish saving" if replaced else "could not save"
            raise OSError(exc.errno, f"{what} ({exc.strerror or exc})", str(path)) from exc
        raise


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def list_temps(path: Path) -> list[Path]:
    """Every temp file of PATH that exists now (live writers' and stale ones)."""
    path = Path(path)
    prefix = temp_prefix(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    return sorted(path.parent / name for name in names if name.startswith(prefix))


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove temps left next to PATH by writers that died; return what was removed.

    A temp is stale when the pid in its name no longer runs, or when it is older than
    `STALE_AFTER_SECONDS` (the pid may have been reused).  A live writer's temp is kept.
    """
    path = Path(path)
    prefix = temp_prefix(path)
    removed: list[Path] = []
    now = time.time()
    for tmp in list_temps(path):
        pid_text = tmp.name[len(prefix) :].split("-", 1)[0]
        try:
            pid = int(pid_text)
        except ValueError:
            continue  # not one of ours
        try:
            age = now - tmp.stat().st_mtime
        except OSError:
            continue  # already gone
        if pid == os.getpid() or (_pid_alive(pid) and age < STALE_AFTER_SECONDS):
            continue
        try:
            tmp.unlink()
        except FileNotFoundError:
            continue
        except OSError:
            continue
        removed.append(tmp)
    return removed
