"""Driving the app in Pilot tests: wait for workers, press keys, read the saved state back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot

from reader.models import Paper, PaperState
from reader.state import StateStore


def saved(state_dir: Path, paper: Paper) -> PaperState:
    """What a fresh process would read from the state file for ``paper``."""
    return StateStore(state_dir).load().for_paper(paper)


async def settle(pilot: Pilot) -> None:
    """Let workers finish and their messages land."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def press(pilot: Pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def drive(
    app: App, scenario: Callable[[Pilot], Awaitable[None]], size: tuple[int, int] = (160, 48)
) -> None:
    """Run ``scenario`` against ``app`` in a headless terminal, after the store is loaded."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())
