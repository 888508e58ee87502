"""First paint in a real terminal: launch `reader --db FILE` in tmux and watch the screen.

The clock starts just before tmux is asked to run the command (its server is already up, on
a private socket, so only the app's own start is timed) and stops at the first
``capture-pane`` that shows the list's ``shown/total`` counter for the whole store.  The
app's peak RSS is read from /proc before it is stopped.

Python's bytecode is cached (in the temp config dir, written by the warm-up launch), as it
is for an installed package: with PYTHONDONTWRITEBYTECODE set, as on the shared machine,
every edited module was compiled again on each launch.  The floor is the same measurement
of a Textual app showing one Static ("Papers 1/1", run as ``python paint.py --floor``),
launched alternately with the app, so the two share the machine's load.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

WIDTH, HEIGHT = 160, 48
POLL_S = 0.015  # each poll forks a tmux client: keep it light on 2 cores
TIMEOUT_S = 120.0


def reader_command(repo: Path) -> list[str]:
    """The installed console script next to this interpreter, else `python -m reader`."""
    script = Path(sys.executable).with_name("reader")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "reader"]


def counter_pattern(total: int) -> re.Pattern[str]:
    """``N/total`` as the app may print it: 1234/100000, 1,234 / 100,000, 100 000."""
    spelled = {str(total), f"{total:,}", f"{total:,}".replace(",", " "), f"{total:_}"}
    alternatives = "|".join(re.escape(s) for s in sorted(spelled, key=len, reverse=True))
    return re.compile(rf"(?<![\d,])[1-9][\d, _]*\s*/\s*(?:{alternatives})(?!\d)")


class Tmux:
    """A private tmux server (own socket), so nothing touches anyone else's sessions."""

    def __init__(self) -> None:
        self.socket = f"reader-bench-{os.getpid()}"
        self._run("new-session", "-d", "-s", "idle", "-x", str(WIDTH), "-y", str(HEIGHT))

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def launch(self, name: str, command: str) -> None:
        self._run("new-session", "-d", "-s", name, "-x", str(WIDTH), "-y", str(HEIGHT), command)
        self._run("set-option", "-t", name, "remain-on-exit", "on")

    def send_keys(self, name: str, *keys: str) -> None:
        self._run("send-keys", "-t", name, "-l", "".join(keys))

    def capture(self, name: str) -> str:
        return self._run("capture-pane", "-p", "-t", name)

    def pane_pid(self, name: str) -> int:
        return int(self._run("display-message", "-p", "-t", name, "#{pane_pid}").strip())

    def pane_dead(self, name: str) -> bool:
        return self._run("display-message", "-p", "-t", name, "#{pane_dead}").strip() == "1"

    def kill(self, name: str) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-session", "-t", name], check=False)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False)


def _peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return round(int(match.group(1)) / 1024, 1) if match else None


def _line_of(screen: str, found: re.Match[str]) -> str:
    start = screen.rfind("\n", 0, found.start()) + 1
    end = screen.find("\n", found.end())
    return screen[start : end if end >= 0 else None].strip()


def _still_loading(screen: str, found: re.Match[str]) -> bool:
    """Does the counter's line say the store is still being read ("… · loading…")?"""
    return "loading" in _line_of(screen, found).lower()


def launch_once(tmux: Tmux, name: str, command: str, total: int) -> dict[str, Any]:
    """One launch: seconds to first frame, seconds to the full list, app peak RSS."""
    pattern = counter_pattern(total)
    started = time.perf_counter()
    tmux.launch(name, command)
    first_frame = None
    listed = None
    complete = None
    list_line = ""
    screen = ""
    polls = 0
    pid = tmux.pane_pid(name)
    while time.perf_counter() - started < TIMEOUT_S:
        screen = tmux.capture(name)
        now = time.perf_counter() - started
        if first_frame is None and screen.strip():
            first_frame = now
        found = pattern.search(screen)
        if found and listed is None:
            listed = now
            list_line = _line_of(screen, found)
        if found and complete is None and not _still_loading(screen, found):
            complete = now
            break
        polls += 1
        if polls % 20 == 0 and tmux.pane_dead(name):
            break
        time.sleep(POLL_S)
    if listed is not None:
        time.sleep(1.0)  # let background work (index build) reach its peak too
    rss = _peak_rss_mb(pid)
    tmux.kill(name)
    result: dict[str, Any] = {
        "first_frame_s": round(first_frame, 3) if first_frame is not None else None,
        "list_s": round(listed, 3) if listed is not None else None,
        "all_loaded_s": round(complete, 3) if complete is not None else None,
        "list_line": list_line,
        "app_peak_rss_mb": rss,
    }
    if listed is None:
        result["screen"] = screen[-2000:]
    return result


TYPED = "qzx"  # typed into the search box; no paper has it, so it shows only there
TYPED_DELAYS_S = (0.05, 0.15, 0.3, 0.6)  # after the first rows are on screen


def typed_echo_once(
    tmux: Tmux, name: str, command: str, total: int, delay: float
) -> dict[str, Any]:
    """Launch, wait for the first rows, wait DELAY more, press ``/`` and type TYPED: how
    long until the search box shows it, while the rest of the store is still being read.
    What a user who starts typing at once feels (Pilot cannot show it: no real terminal)."""
    pattern = counter_pattern(total)
    started = time.perf_counter()
    tmux.launch(name, command)
    listed = sent = echoed = None
    loading_when_sent = None
    while time.perf_counter() - started < TIMEOUT_S:
        screen = tmux.capture(name)
        now = time.perf_counter()
        if listed is None:
            found = pattern.search(screen)
            if found:
                listed = now
                loading_when_sent = _still_loading(screen, found)
        elif sent is None and now - listed >= delay:
            tmux.send_keys(name, "/", *TYPED)
            sent = time.perf_counter()
        elif sent is not None and TYPED in screen:
            echoed = now
            break
        time.sleep(POLL_S if sent is None else 0.005)
    tmux.kill(name)
    return {
        "delay_s": delay,
        "echo_ms": round((echoed - sent) * 1000, 1) if echoed and sent else None,
        "still_loading": loading_when_sent,
    }


def floor_app() -> None:
    """The least a Textual app does before showing text: one Static, nothing else."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Floor(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("Papers 1/1")

    Floor().run()


def _median(values: list[float]) -> float | None:
    return sorted(values)[len(values) // 2] if values else None


def measure_paint(
    repo: Path, db: Path, total: int, state: Path | None = None, runs: int = 5
) -> dict[str, Any]:
    """A warm-up launch, then `runs` timed launches; median and worst of the timed ones.

    ``state`` is a state.json to start from (the user's history), copied into a temp
    config dir so the app's own saves never touch it.
    """
    if shutil.which("tmux") is None:
        return {"skipped": "tmux not installed"}
    config = Path(tempfile.mkdtemp(prefix="reader-bench-config-"))
    if state is not None and state.exists():
        shutil.copyfile(state, config / "state.json")
    env = {
        "PYTHONPYCACHEPREFIX": str(config / "pycache"),
        "READER_CONFIG_DIR": str(config),
        "READER_DB": str(db),
        "PYTHONPATH": str(repo),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
    }
    exports = "-u PYTHONDONTWRITEBYTECODE " + " ".join(
        f"{k}={shlex.quote(v)}" for k, v in env.items()
    )
    argv = [*reader_command(repo), "--db", str(db)]
    command = f"cd {shlex.quote(str(repo))} && exec env {exports} {shlex.join(argv)}"
    floor_argv = [sys.executable, str(Path(__file__).resolve()), "--floor"]
    floor_command = f"exec env {exports} {shlex.join(floor_argv)}"
    probe_log = config / "probe.log"
    probe = [sys.executable, str(Path(__file__).with_name("paint_probe.py")), str(probe_log)]
    probe_command = (
        f"cd {shlex.quote(str(repo))} && exec env {exports} "
        f"{shlex.join([*probe, '--', '--db', str(db)])}"
    )
    tmux = Tmux()
    try:
        launch_once(tmux, "warmup", command, total)
        launch_once(tmux, "floor-warmup", floor_command, 1)
        runs_out = []
        floor_runs = []
        for i in range(runs):
            runs_out.append(launch_once(tmux, f"run{i}", command, total))
            floor_runs.append(launch_once(tmux, f"floor{i}", floor_command, 1))
        typed = [
            typed_echo_once(tmux, f"typed{i}-{round(delay * 1000)}ms", command, total, delay)
            for i in range(2)
            for delay in TYPED_DELAYS_S
        ]
        launch_once(tmux, "probe", probe_command, total)
        timeline = probe_log.read_text().splitlines() if probe_log.exists() else []
    finally:
        tmux.close()
        shutil.rmtree(config, ignore_errors=True)
    times = [r["list_s"] for r in runs_out if r["list_s"] is not None]
    full = [r["all_loaded_s"] for r in runs_out if r["all_loaded_s"] is not None]
    frames = [r["first_frame_s"] for r in runs_out if r["first_frame_s"] is not None]
    rss = [r["app_peak_rss_mb"] for r in runs_out if r["app_peak_rss_mb"] is not None]
    floor = [r["list_s"] for r in floor_runs if r["list_s"] is not None]
    summary: dict[str, Any] = {
        "list_s_median": _median(times),
        "floor_list_s_median": _median(floor),
        "floor_list_s": floor,
        "command": command,
        "runs": runs_out,
        "list_s_max": max(times) if times else None,
        "all_loaded_s_median": _median(full),
        "first_frame_s_median": _median(frames),
        "app_peak_rss_mb": max(rss) if rss else None,
        "timeline": timeline,
        "typed_while_loading": typed,
        "typed_echo_ms_max": max(
            (t["echo_ms"] for t in typed if t["echo_ms"] is not None), default=None
        ),
    }
    if not times:
        screen = next((r["screen"] for r in runs_out if "screen" in r), "")
        lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
        summary["error"] = "the list never showed its shown/total counter"
        summary["stderr"] = lines[-6:]
    return summary


if __name__ == "__main__" and sys.argv[1:] == ["--floor"]:
    floor_app()
