"""The scale benchmark: real arXiv papers rendered into listing files, measured end to end.

    python benchmarks/run.py --sizes 1k,10k,100k [--data PATH] [--steps build,load,...]
    python benchmarks/run.py --sizes 100k --profile build      # cProfile one step

Prints one table (a row per size) with the targets of issue 5, and writes the raw figures to
benchmarks/out/results.json.  Rendered listings and stores live in a temp dir
($TMPDIR/reader-bench, reused between runs).  Every step that measures time or memory runs
in a fresh Python process, one at a time.  See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "arxiv-2025.jsonl.gz"
OUT = HERE / "out" / "results.json"
CHILD_STEPS = (
    "parse",
    "premark",
    "build",
    "load",
    "floor_load",
    "startup",
    "early",
    "query",
    "toggle",
    "keys",
)
ALL_STEPS = (
    "parse",
    "build",
    "load",
    "floor_load",
    "paint",
    "startup",
    "early",
    "query",
    "keys",
    "toggle",
)
STEP_TIMEOUT_S = 600
DEFAULT_STEPS = (
    "build",
    "load",
    "floor_load",
    "paint",
    "startup",
    "early",
    "query",
    "keys",
    "toggle",
)

TARGETS = (
    ("build from listing files", "<= 10 s at 100k (>= 10k papers/s)"),
    ("launch to list on screen", "<= 1.5 s at 100k (<= 0.5 s at 10k)"),
    ("keystroke to filtered list drawn", "p95 <= 50 ms"),
    ("star / read / note saved to disk", "<= 10 ms, independent of store size"),
    ("peak memory", "<= 400 MB"),
)


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def size_label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(HERE), str(REPO), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def run_child(step: str, work: Path, profile: bool = False) -> dict[str, Any]:
    """Run one step in a fresh interpreter; its last stdout line is the JSON result."""
    argv = [sys.executable, str(HERE / "run.py"), "--child", step, "--work", str(work)]
    if profile:
        argv.append("--child-profile")
        done = subprocess.run(argv, env=_child_env(), cwd=REPO, check=False)
        return {"returncode": done.returncode}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv,
            env=_child_env(),
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            timeout=STEP_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {STEP_TIMEOUT_S} s (killed)"}
    wall = round(time.perf_counter() - started, 2)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-12:]
        return {"error": f"exit {done.returncode}", "stderr": tail, "wall_s": wall}
    lines = done.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": "no result line", "stdout": lines[-5:], "wall_s": wall}
    result["wall_s"] = wall
    return result


def child_main(step: str, work: Path, profile: bool) -> int:
    """Inside the fresh process: run the step, print its figures as one JSON line."""
    sys.path[:0] = [str(HERE), str(REPO)]
    from steps import STEPS

    if not profile:
        print(json.dumps(STEPS[step](work)))
        return 0
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    result = STEPS[step](work)
    profiler.disable()
    print(f"\n{step}: {json.dumps(result)[:600]}\n")
    stats = pstats.Stats(profiler)
    stats.strip_dirs().sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    return 0


def render(data: Path, sizes: list[int], root: Path) -> dict[int, dict[str, Any]]:
    """Listing files per size (cached in root/<size>/listings); returns the manifests."""
    sys.path[:0] = [str(HERE)]
    from render import read_corpus, render_size

    corpus = None
    manifests = {}
    for size in sizes:
        work = root / size_label(size)
        manifest_path = work / "manifest.json"
        started = time.perf_counter()
        if corpus is None and not _cached(manifest_path, size):
            corpus = read_corpus(data)
        manifest = render_size(corpus or [], size, work)
        seconds = time.perf_counter() - started
        manifests[size] = {
            "files": len(manifest.files),
            "entries": manifest.entries,
            "papers": manifest.papers,
            "relisted": manifest.duplicates,
            "copies": manifest.copies,
            "mb": round(manifest.bytes / 1e6, 1),
            "seconds": round(seconds, 2),
            "by_layout": manifest.entries_by_layout,
        }
        print(
            f"[{size_label(size)}] listings: {manifest.entries} entries for {manifest.papers} "
            f"papers ({manifest.duplicates} relisted, {manifest.copies} varied copies) in "
            f"{len(manifest.files)} files, {manifest.bytes / 1e6:.1f} MB ({seconds:.1f} s)",
            flush=True,
        )
    return manifests


def _cached(manifest_path: Path, size: int) -> bool:
    from render import RENDER_VERSION

    if not manifest_path.exists():
        return False
    cached = json.loads(manifest_path.read_text())
    return cached.get("version") == RENDER_VERSION and cached.get("papers") == size


def measure_size(work: Path, steps: list[str], expected: int) -> dict[str, Any]:
    from paint import measure_paint

    figures: dict[str, Any] = {}
    needs_history = {"startup", "early", "query", "keys", "toggle", "paint"}
    for step in steps:
        if step in needs_history and "premark" not in figures and (work / "papers.json").exists():
            figures["premark"] = run_child("premark", work)
        needs_store = step not in ("parse", "build")
        if needs_store and not (work / "papers.json").exists():
            figures[step] = {"error": "no store (build step failed or not run)"}
            continue
        print(f"  {step} ...", end="", flush=True)
        load_before = round(os.getloadavg()[0], 2)
        if step == "paint":
            total = figures.get("load", {}).get("papers") or _store_size(work)
            history = work / "state-premarked" / "state.json"
            figures[step] = measure_paint(REPO, work / "papers.json", total, history)
        else:
            figures[step] = run_child(step, work)
        figures[step]["loadavg_before"] = load_before
        print(" " + _short(figures[step]), flush=True)
    figures["expected_papers"] = expected
    return figures


def _store_size(work: Path) -> int:
    result = run_child("load", work)
    return int(result.get("papers", 0))


def _short(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"ERROR {result['error']}: {' | '.join(result.get('stderr', []))[-400:]}"
    hidden = ("runs", "command", "hits", "screen", "per_key", "per_text", "cold_per_text")
    keep = {k: v for k, v in result.items() if k not in hidden}
    return json.dumps(keep)[:300]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1k,10k,100k", help="comma list, e.g. 1k,10k,100k")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="arxiv-2025.jsonl.gz")
    parser.add_argument("--steps", default=",".join(DEFAULT_STEPS), help=",".join(ALL_STEPS))
    parser.add_argument("--work", type=Path, help="where listings and stores go (temp dir)")
    parser.add_argument("--profile", metavar="STEP", choices=CHILD_STEPS, help="cProfile a step")
    parser.add_argument("--out", type=Path, default=OUT, help="raw figures as JSON")
    parser.add_argument("--child", choices=CHILD_STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--child-profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        return child_main(args.child, args.work, args.child_profile)

    if not args.data.exists():
        print(f"benchmark skipped: corpus not found at {args.data} (pass --data PATH)")
        return 0
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    root = args.work or Path(tempfile.gettempdir()) / "reader-bench"
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = set(steps) - set(ALL_STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    manifests = render(args.data, sizes, root)

    if args.profile:
        for size in sizes:
            work = root / size_label(size)
            if args.profile != "build" and not (work / "papers.json").exists():
                run_child("build", work)
            if args.profile in ("startup", "early", "query", "keys", "toggle"):
                run_child("premark", work)
            print(f"\n=== profile of {args.profile} at {size_label(size)} ===", flush=True)
            run_child(args.profile, work, profile=True)
        return 0

    from report import print_table

    results: dict[str, Any] = {"sizes": {}, "targets": dict(TARGETS), "started": time.ctime()}
    for size in sizes:
        label = size_label(size)
        print(f"[{label}] measuring", flush=True)
        figures = measure_size(root / label, steps, size)
        figures["listings"] = manifests[size]
        results["sizes"][label] = figures
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))
    print()
    print_table(results, TARGETS)
    print(f"\nraw figures: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
