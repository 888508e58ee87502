"""Keystroke to filtered list drawn, inside the real app driven by Pilot at 160x48.

The app is built with `make_app` on the benchmark store and a state dir with some history.
Two hooks (this is a throwaway process) stamp the clock: `PaperList.set_rows` (a search
result reached the list) and `Screen._compositor_refresh` (the screen was drawn).  For each
key: t0 just before the press; "drawn" is the first compositor refresh after the last
`set_rows` that followed the key.  A key whose query does not change the rows (an
incomplete ``author:``) counts its first redraw instead and is reported separately.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

SETTLE_S = 0.25  # no new rows/draws for this long after a key: the app is done with it
KEY_TIMEOUT_S = 20.0


class Clock:
    """Timestamps of list updates and screen draws."""

    def __init__(self) -> None:
        self.rows: list[float] = []
        self.draws: list[float] = []

    def install(self) -> None:
        from textual.screen import Screen

        from reader.tui.paper_list import PaperList

        clock = self
        set_rows = PaperList.set_rows
        compositor_refresh = Screen._compositor_refresh

        def timed_set_rows(self: Any, rows: Any, **kwargs: Any) -> None:
            set_rows(self, rows, **kwargs)
            clock.rows.append(time.perf_counter())

        def timed_refresh(self: Any) -> None:
            compositor_refresh(self)
            clock.draws.append(time.perf_counter())

        PaperList.set_rows = timed_set_rows  # type: ignore[method-assign]
        Screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]

    def last_activity(self) -> float:
        return max(self.rows[-1:] + self.draws[-1:], default=0.0)


class AppStopped(RuntimeError):
    """The app under test exited (crashed) while the benchmark waited on it."""


async def _tick(app: Any, seconds: float = 0.005) -> None:
    await asyncio.sleep(seconds)
    if not app.is_running:
        raise AppStopped("the app stopped while being measured")


async def _settle(app: Any, clock: Clock, since: float) -> None:
    """Wait until workers are done and nothing was updated or drawn for SETTLE_S."""
    deadline = time.perf_counter() + KEY_TIMEOUT_S
    while time.perf_counter() < deadline:
        await _tick(app, 0.01)
        busy = any(w.is_running for w in app.workers)
        quiet = time.perf_counter() - max(clock.last_activity(), since) > SETTLE_S
        if not busy and quiet:
            return


def _latency(clock: Clock, t0: float) -> tuple[float | None, float | None]:
    """(ms from t0 to the list drawn, ms from t0 to the rows set; None: rows unchanged)."""
    rows = [t for t in clock.rows if t >= t0]
    anchor = rows[-1] if rows else t0
    rows_ms = (anchor - t0) * 1000 if rows else None
    draws = [t for t in clock.draws if t >= anchor]
    if not draws:
        return None, rows_ms
    return (draws[0] - t0) * 1000, rows_ms


def _loaded(app: Any) -> bool:
    return not getattr(app.screen, "still_loading", False)


def _index_ready(app: Any) -> bool:
    """The screen holds its SearchIndex (word indexes may still be built lazily later)."""
    return getattr(app.screen, "index", True) is not None


async def _milestones(app: Any, clock: Clock, started: float) -> dict[str, float | None]:
    """Seconds from `started` to: first frame, first rows drawn, whole store drawn, index."""
    from reader.tui.paper_list import PaperList

    paper_list = app.query_one(PaperList)
    marks: dict[str, float | None] = {
        "first_frame_s": clock.draws[0] if clock.draws else None,
        "list_s": None,
        "all_loaded_s": None,
        "index_ready_s": None,
    }
    loaded_at = None
    deadline = started + 90
    while time.perf_counter() < deadline:
        now = time.perf_counter()
        drawn_rows = bool(
            paper_list.rows and clock.rows and clock.draws and clock.draws[-1] >= clock.rows[-1]
        )
        if marks["list_s"] is None and drawn_rows:
            marks["list_s"] = next(t for t in clock.draws if t >= clock.rows[0])
        if loaded_at is None and drawn_rows and _loaded(app):
            loaded_at = now
        if marks["all_loaded_s"] is None and loaded_at is not None:
            marks["all_loaded_s"] = next((t for t in clock.draws if t >= clock.rows[-1]), None)
        if marks["index_ready_s"] is None and _index_ready(app):
            marks["index_ready_s"] = now
        if all(v is not None for v in marks.values()):
            break
        await _tick(app)
    return {k: None if v is None else round(v - started, 3) for k, v in marks.items()}


async def _drive(work: Path, texts: list[str]) -> dict[str, Any]:
    from steps import user_state_dir

    from reader.state import StateStore
    from reader.tui.app import make_app
    from reader.tui.paper_list import PaperList

    state_dir = user_state_dir(work, "keys")
    clock = Clock()
    clock.install()
    started = time.perf_counter()
    app = make_app(work / "papers.json", StateStore(state_dir))
    samples: list[dict[str, Any]] = []
    async with app.run_test(size=(160, 48)) as pilot:
        paper_list = app.query_one(PaperList)
        ready = await _milestones(app, clock, started)  # type steady-state, not during load
        total = len(paper_list.rows)
        await _settle(app, clock, time.perf_counter())
        await pilot.press("slash")
        await _settle(app, clock, time.perf_counter())
        previous = ""
        for text in texts:
            if not text.startswith(previous) or len(text) != len(previous) + 1:
                await pilot.press("ctrl+u")  # a new query: clear the box (not timed)
                await _settle(app, clock, time.perf_counter())
                previous = ""
            key = text[len(previous)]
            t0 = time.perf_counter()
            await pilot.press(key)
            await _settle(app, clock, t0)
            ms, rows_ms = _latency(clock, t0)
            samples.append(
                {
                    "text": text,
                    "ms": ms,
                    "rows_ms": rows_ms,
                    "rows_changed": rows_ms is not None,
                    "shown": len(paper_list.rows),
                }
            )
            previous = text
    return {"ready": ready, "total": total, "samples": samples}


async def _startup(work: Path) -> dict[str, Any]:
    from steps import user_state_dir

    from reader.state import StateStore
    from reader.tui.app import make_app
    from reader.tui.paper_list import PaperList

    clock = Clock()
    clock.install()
    state_dir = user_state_dir(work, "startup")
    started = time.perf_counter()
    app = make_app(work / "papers.json", StateStore(state_dir))
    async with app.run_test(size=(160, 48)):
        marks = await _milestones(app, clock, started)
        rows = len(app.query_one(PaperList).rows)
    return {**marks, "rows": rows}


EARLY_TEXT = "diffusion"


async def _early(work: Path) -> dict[str, Any]:
    """Type EARLY_TEXT the moment the first rows are drawn (store and index still loading)."""
    from steps import user_state_dir

    from reader.state import StateStore
    from reader.tui.app import make_app
    from reader.tui.paper_list import PaperList

    clock = Clock()
    clock.install()
    started = time.perf_counter()
    app = make_app(work / "papers.json", StateStore(user_state_dir(work, "early")))
    per_key: list[list[Any]] = []
    async with app.run_test(size=(160, 48)) as pilot:
        paper_list = app.query_one(PaperList)
        while not (paper_list.rows and clock.rows and clock.draws[-1] >= clock.rows[0]):
            await _tick(app)
        typing_at = time.perf_counter() - started
        await pilot.press("slash")
        for i, key in enumerate(EARLY_TEXT):
            t0 = time.perf_counter()
            await pilot.press(key)
            deadline = t0 + 60
            while time.perf_counter() < deadline:  # this key's rows, drawn
                rows = [t for t in clock.rows if t >= t0]
                if rows and any(t >= rows[-1] for t in clock.draws):
                    break
                await _tick(app)
            await _tick(app, 0.05)
            ms, _rows_ms = _latency(clock, t0)
            echo = next((t for t in clock.draws if t >= t0), None)
            per_key.append(
                [
                    EARLY_TEXT[: i + 1],
                    None if ms is None else round(ms, 1),
                    None if echo is None else round((echo - t0) * 1000, 1),
                ]
            )
        done_at = time.perf_counter() - started
    waits = [ms for _text, ms, _echo in per_key if ms is not None]
    echoes = [echo for _text, _ms, echo in per_key if echo is not None]
    return {
        "typing_at_s": round(typing_at, 3),
        "results_drawn_at_s": round(done_at, 3),
        # Until the whole store is read a key's "rows" are the next batch's, not a search.
        "early_key_max_ms": round(max(waits), 1) if waits else None,
        "early_echo_max_ms": round(max(echoes), 1) if echoes else None,
        "early_keys": per_key,
    }


def measure_early(work: Path) -> dict[str, Any]:
    """The first search typed while a big store is still loading: does any key stall?"""
    return asyncio.run(_early(work))


def measure_startup(work: Path) -> dict[str, Any]:
    """In-process launch to list drawn (Pilot, 160x48): imports, then make_app to list drawn."""
    from steps import peak_rss_mb

    started = time.perf_counter()
    import reader.tui.app  # noqa: F401  (timed: the app's import cost)

    import_s = time.perf_counter() - started
    result = asyncio.run(_startup(work))
    return {"import_s": round(import_s, 3), **result, "peak_rss_mb": round(peak_rss_mb(), 1)}


def measure_keys(work: Path) -> dict[str, Any]:
    """Per-key latencies while typing the benchmark's query sequence, with p50/p95."""
    from steps import peak_rss_mb, percentiles, typed_prefixes

    result = asyncio.run(_drive(work, typed_prefixes()))
    samples = result.pop("samples")
    result.update(result.pop("ready"))
    filtered = [s["ms"] for s in samples if s["ms"] is not None and s["rows_changed"]]
    unchanged = [s["ms"] for s in samples if s["ms"] is not None and not s["rows_changed"]]
    return {
        **result,
        "key_ms": percentiles(filtered),
        "key_to_rows_ms": percentiles([s["rows_ms"] for s in samples if s["rows_changed"]]),
        "no_filter_key_ms": percentiles(unchanged),
        "undrawn_keys": sum(1 for s in samples if s["ms"] is None),
        "per_key": [
            [s["text"], None if s["ms"] is None else round(s["ms"], 1), s["shown"]] for s in samples
        ],
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
