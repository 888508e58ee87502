"""The benchmark table: one row per size, as Markdown (pastes into the README and notes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Cell = Callable[[dict[str, Any]], str]


def _get(figures: dict[str, Any], *path: str) -> Any:
    node: Any = figures
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _num(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return format(value, fmt)


def _pair(figures: dict[str, Any], *path: str) -> str:
    node = _get(figures, *path)
    if not isinstance(node, dict):
        return "-"
    return f"{_num(node.get('p50'), '.1f')} / {_num(node.get('p95'), '.1f')}"


def _err(figures: dict[str, Any], step: str) -> str | None:
    node = figures.get(step)
    if isinstance(node, dict) and ("error" in node or "skipped" in node):
        return "ERR" if "error" in node else "skip"
    if node is None:
        return "-"
    return None


def _papers(f: dict[str, Any]) -> str:
    built = _get(f, "build", "papers") or _get(f, "load", "papers")
    return f"{_num(built, ',')} / {f.get('expected_papers', 0):,}"


COLUMNS: Sequence[tuple[str, str, Cell]] = (
    ("papers built/expected", "build", _papers),
    ("build s", "build", lambda f: _num(_get(f, "build", "seconds"), ".2f")),
    ("+ index s", "build", lambda f: _num(_get(f, "build", "index_seconds"), ".2f")),
    ("build papers/s", "build", lambda f: _num(_get(f, "build", "papers_per_s"), ",.0f")),
    ("build RSS MB", "build", lambda f: _num(_get(f, "build", "peak_rss_mb"), ".0f")),
    (
        "largest worker RSS MB",
        "build",
        lambda f: _num(_get(f, "build", "worker_peak_rss_mb"), ".0f"),
    ),
    ("load s", "load", lambda f: _num(_get(f, "load", "seconds"), ".2f")),
    ("load RSS MB", "load", lambda f: _num(_get(f, "load", "peak_rss_mb"), ".0f")),
    ("floor load s", "floor_load", lambda f: _num(_get(f, "floor_load", "seconds"), ".2f")),
    ("floor RSS MB", "floor_load", lambda f: _num(_get(f, "floor_load", "peak_rss_mb"), ".0f")),
    ("launch→list s (tmux)", "paint", lambda f: _num(_get(f, "paint", "list_s_median"), ".2f")),
    (
        "floor: one-Static Textual app s",
        "paint",
        lambda f: _num(_get(f, "paint", "floor_list_s_median"), ".2f"),
    ),
    (
        "launch→all loaded s",
        "paint",
        lambda f: _num(_get(f, "paint", "all_loaded_s_median"), ".2f"),
    ),
    ("app RSS MB", "paint", lambda f: _num(_get(f, "paint", "app_peak_rss_mb"), ".0f")),
    (
        "typed at once (tmux): worst echo ms",
        "paint",
        lambda f: _num(_get(f, "paint", "typed_echo_ms_max"), ",.0f"),
    ),
    ("key→drawn ms p50/p95", "keys", lambda f: _pair(f, "keys", "key_ms")),
    (
        "typed while loading (Pilot): worst key echo ms",
        "early",
        lambda f: _num(_get(f, "early", "early_echo_max_ms"), ",.0f"),
    ),
    (
        "typed while loading: last key answered at s",
        "early",
        lambda f: _num(_get(f, "early", "results_drawn_at_s"), ".2f"),
    ),
    ("query ms p50/p95", "query", lambda f: _pair(f, "query", "query_ms")),
    ("scan floor ms p50/p95", "query", lambda f: _pair(f, "query", "floor_ms")),
    ("toggle ms p50/p95", "toggle", lambda f: _pair(f, "toggle", "toggle_ms")),
    ("fsync floor ms p50", "toggle", lambda f: _num(_get(f, "toggle", "floor_ms", "p50"), ".1f")),
)


def table_lines(results: dict[str, Any]) -> list[str]:
    headers = ["size", *(name for name, _step, _cell in COLUMNS)]
    rows = []
    for label, figures in results["sizes"].items():
        row = [label]
        for _name, step, cell in COLUMNS:
            row.append(_err(figures, step) or cell(figures))
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return lines


def verdicts(results: dict[str, Any]) -> list[str]:
    """Each target of issue 5 against the measured figures: 'meets' or 'MISSES', with why."""
    sizes = results["sizes"]
    lines = []

    def check(label: str, what: str, value: Any, limit: float, unit: str, more: bool = False):
        if value is None:
            return
        ok = value >= limit if more else value <= limit
        verdict = "meets " if ok else "MISSES"
        lines.append(
            f"  {verdict} {what} at {label}: {value:,.2f} {unit} (target {'>=' if more else '<='} {limit:,} {unit})"
        )

    for label, f in sizes.items():
        if label == "100k":
            check(label, "build", _get(f, "build", "seconds"), 10, "s")
            check(label, "build + search index", _get(f, "build", "total_seconds"), 10, "s")
            check(label, "launch to list", _get(f, "paint", "list_s_median"), 1.5, "s")
        if label == "10k":
            check(label, "launch to list", _get(f, "paint", "list_s_median"), 0.5, "s")
        check(label, "keystroke p95", _get(f, "keys", "key_ms", "p95"), 50, "ms")
        check(
            label,
            "worst key echo of a search typed while loading",
            _get(f, "early", "early_echo_max_ms"),
            50,
            "ms",
        )
        check(label, "toggle p95", _get(f, "toggle", "toggle_ms", "p95"), 10, "ms")
        app_rss = [_get(f, "paint", "app_peak_rss_mb"), _get(f, "keys", "peak_rss_mb")]
        app_rss = [v for v in app_rss if v is not None]
        if app_rss:
            check(label, "app peak RSS", max(app_rss), 400, "MB")
        check(label, "build peak RSS", _get(f, "build", "peak_rss_mb"), 400, "MB")
    return lines


def print_table(results: dict[str, Any], targets: Sequence[tuple[str, str]]) -> None:
    for line in table_lines(results):
        print(line)
    print("\nTargets (issue 5, this 2-core machine):")
    for what, target in targets:
        print(f"  - {what}: {target}")
    checked = verdicts(results)
    if checked:
        print("\nAgainst the targets:")
        print("\n".join(checked))
    problems = [
        f"  - {label} {step}: {node.get('error')} {' | '.join(node.get('stderr', []))[-300:]}"
        for label, figures in results["sizes"].items()
        for step, node in figures.items()
        if isinstance(node, dict) and "error" in node
    ]
    if problems:
        print("\nSteps that failed:")
        print("\n".join(problems))
