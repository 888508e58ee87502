"""`reader` with a stopwatch: where the time to first paint goes, in a real terminal.

    python benchmarks/paint_probe.py LOG -- --db FILE

Runs `reader.cli.main` exactly as the console script does, after hooking a few points to
append ``seconds-since-start event`` lines to LOG: imports done, the app's first compositor
refresh, each write of a frame to the terminal (with the list's row count), the store
loaded.  `paint.py` runs it once per size beside the timed launches (never as one of them).
"""

from __future__ import annotations

import sys
import time
from typing import Any

STARTED = time.perf_counter()


def main() -> int:
    log_path, argv = sys.argv[1], sys.argv[sys.argv.index("--") + 1 :]
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)

    def mark(event: str) -> None:
        log.write(f"{time.perf_counter() - STARTED:.4f} {event}\n")

    import reader.cli

    mark("cli imported")
    from textual.app import App
    from textual.screen import Screen

    import reader.tui.app

    mark("app imported")
    display = App._display
    refresh = Screen._compositor_refresh
    seen = {"frames": 0, "rows": -1}

    def timed_display(self: Any, screen: Any, renderable: Any) -> None:
        display(self, screen, renderable)
        if renderable is None:
            return
        seen["frames"] += 1
        rows = _rows(self)
        if seen["frames"] == 1 or rows != seen["rows"]:
            mark(f"frame {seen['frames']} written, list rows={rows}")
            seen["rows"] = rows

    def timed_refresh(self: Any) -> None:
        if seen["frames"] == 0:
            mark("first compositor refresh starts")
        refresh(self)

    App._display = timed_display  # type: ignore[method-assign]
    Screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]
    mark("run")
    try:
        return reader.cli.main(argv)
    finally:
        mark("exit")


def _rows(app: Any) -> int:
    from reader.tui.paper_list import PaperList

    try:
        return len(app.query_one(PaperList).rows)
    except Exception:
        return -1


if __name__ == "__main__":
    raise SystemExit(main())
