"""What each `reader` subcommand does, on top of build, store, state, query and export.

Output for people goes through `reader.render` (terminal-safe text); output for scripts is
JSON with every dangerous character escaped.  State changes go through `StateStore`, the
same path the app uses, so a running app sees them within a second or two.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from reader.cli import EXIT_FAIL, EXIT_OK, EXIT_USAGE, CommandError
from reader.models import Paper
from reader.paths import bundled_seeds_dir, default_db_path


def run_command(args: argparse.Namespace) -> int:
    """Dispatch a parsed subcommand."""
    handler: Callable[[argparse.Namespace], int] = {
        "build": cmd_build,
        "import": cmd_import,
        "list": cmd_list,
        "show": cmd_show,
        "star": cmd_mark,
        "unstar": cmd_mark,
        "read": cmd_mark,
        "unread": cmd_mark,
        "note": cmd_note,
        "tag": cmd_tag,
        "export": cmd_export,
        "searches": cmd_searches,
        "doctor": cmd_doctor,
    }[args.command]
    return handler(args)


def known_error_message(exc: BaseException) -> str | None:
    """One-line messages for the failures users can cause (bad store, locked state, ...)."""
    from reader.build import BuildError
    from reader.query import QueryError
    from reader.state import StateError
    from reader.store import StoreError

    if isinstance(exc, BuildError | StoreError | StateError):
        return str(exc)
    if isinstance(exc, QueryError):
        return f"bad query: {exc.message}"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return None


# -- store and state access -------------------------------------------------------------


def db_path_of(args: argparse.Namespace) -> tuple[Path, bool]:
    """The store path, and whether it is the default one (which may be built on first use)."""
    if getattr(args, "db", None):
        return Path(args.db).expanduser(), False
    return default_db_path(), True


def open_store(args: argparse.Namespace):  # -> reader.store.Store
    """Open the store; the default one is built from the bundled seeds on first use."""
    from reader.store import Store

    path, is_default = db_path_of(args)
    if not path.exists():
        if not is_default:
            raise CommandError(f"no store at {path} (create it with: reader build --db {path})")
        _progress_note(f"first run: building the store at {path} from the bundled seeds")
        report = _run_build([bundled_seeds_dir()], path, replace=True, as_of=None)
        _print_report(report, path, "Built")
    return Store.open(path)


def open_state():  # -> reader.state.StateStore
    from reader.state import StateStore

    return StateStore()


def resolve_papers(store, keys: Sequence[str]) -> list[Paper]:
    """Papers for keys or aliases; unknown keys are an error naming them."""
    papers: list[Paper] = []
    missing: list[str] = []
    for key in keys:
        paper = store.get(key) or _by_arxiv_id(store, key)
        if paper is None:
            missing.append(key)
        else:
            papers.append(paper)
    if missing:
        raise CommandError("no paper with key " + ", ".join(repr(k) for k in missing))
    return papers


def _by_arxiv_id(store, text: str) -> Paper | None:
    from reader.identifiers import normalise_arxiv_id

    arxiv_id = normalise_arxiv_id(text)
    return store.get(f"arxiv:{arxiv_id}") if arxiv_id else None


# -- build and import -------------------------------------------------------------------


def _parse_as_of(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of wants YYYY-MM-DD, got {text!r}", EXIT_USAGE) from None


def _run_build(paths, db_path: Path, *, replace: bool, as_of: date | None, records=()):
    from reader.build import build_store

    with _progress_bar() as progress:
        return build_store(
            paths, db_path, as_of=as_of, replace=replace, progress=progress, records=records
        )


def cmd_build(args: argparse.Namespace) -> int:
    path, _ = db_path_of(args)
    paths = [Path(p) for p in args.paths] or [bundled_seeds_dir()]
    report = _run_build(paths, path, replace=True, as_of=_parse_as_of(args.as_of))
    _print_report(report, path, "Built")
    return EXIT_FAIL if report.failed_files else EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from reader.imports import fetch_records, restore_exported_state

    path, is_default = db_path_of(args)
    if not path.exists() and is_default:
        open_store(args)  # first use: start from the seeds, then import on top
    local = [p for p in args.paths if "://" not in p]
    urls = [p for p in args.paths if "://" in p]
    records, fetch_issues = fetch_records(urls, as_of=_parse_as_of(args.as_of))
    report = _run_build(
        [Path(p) for p in local],
        path,
        replace=not path.exists(),
        as_of=_parse_as_of(args.as_of),
        records=records,
    )
    report.issues[:0] = fetch_issues
    report.failed_files += sum(1 for issue in fetch_issues if issue.severity == "error")
    _print_report(report, path, "Imported into")
    if args.with_state:
        from reader.store import Store

        restored = restore_exported_state(local, Store.open(path), open_state())
        print(f"Restored state for {restored} papers.")
    return EXIT_FAIL if report.failed_files else EXIT_OK


def _print_report(report, path: Path, verb: str) -> None:
    from reader.render import report_lines

    for line in report_lines(report, path, verb):
        print(line, file=sys.stderr if line.startswith(("  warning", "  error")) else sys.stdout)


class _progress_bar:
    """A Rich progress bar on stderr when it is a terminal; silent otherwise."""

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in self._tasks:
                self._tasks[stage] = self._progress.add_task(stage, total=max(total, 1))
            self._progress.update(self._tasks[stage], completed=done, total=max(total, 1))

        return update

    def __exit__(self, *exc_info) -> None:
        if hasattr(self, "_progress"):
            self._progress.stop()


def _progress_note(message: str) -> None:
    print(f"reader: {message}", file=sys.stderr)


# -- reading ----------------------------------------------------------------------------


def _query_papers(args: argparse.Namespace, store, state) -> list[Paper]:
    from reader.query import SearchIndex, parse_query, run_query
    from reader.wordindex_file import word_index_path

    query = parse_query(" ".join(args.query))
    index = SearchIndex(  # the word indexes saved at build time, when they fit
        store.papers, words_file=word_index_path(store.path), store_stamp=store.file_stamp
    )
    sort = args.sort or ("relevance" if query.has_free_words else "newest")
    order = run_query(query, index, state.for_paper, sort=sort, marked=state.marked_identities())
    papers = [index.papers[i] for i in order]
    limit = getattr(args, "limit", None)
    return papers[:limit] if limit is not None and limit >= 0 else papers


def cmd_list(args: argparse.Namespace) -> int:
    from reader.query import QueryError
    from reader.render import json_array, json_line, list_line

    store = open_store(args)
    state = open_state().load()
    _warn(state.warnings)
    try:
        papers = _query_papers(args, store, state)
    except QueryError as exc:
        raise CommandError(f"bad query: {exc.message}", EXIT_USAGE) from None
    out = sys.stdout
    if args.json:
        out.write(json_array(papers, state.for_paper) + "\n")
    elif args.jsonl:
        for paper in papers:
            out.write(json_line(paper, state.for_paper(paper)) + "\n")
    else:
        for paper in papers:
            out.write(list_line(paper, state.for_paper(paper)) + "\n")
    return EXIT_OK if papers else EXIT_FAIL


def cmd_show(args: argparse.Namespace) -> int:
    from reader.render import json_line, show_lines

    store = open_store(args)
    state = open_state().load()
    _warn(state.warnings)
    (paper,) = resolve_papers(store, [args.key])
    paper_state = state.for_paper(paper)
    if args.json:
        sys.stdout.write(json_line(paper, paper_state, indent=True) + "\n")
    else:
        sys.stdout.write("\n".join(show_lines(paper, paper_state)) + "\n")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from reader.atomicfile import atomic_write_bytes
    from reader.export import export_papers
    from reader.query import QueryError

    store = open_store(args)
    state = open_state().load()
    try:
        papers = _query_papers(args, store, state)
    except QueryError as exc:
        raise CommandError(f"bad query: {exc.message}", EXIT_USAGE) from None
    text = export_papers(papers, state.for_paper, args.format)
    if args.output:
        atomic_write_bytes(Path(args.output), text.encode("utf-8"))
        print(f"Exported {len(papers)} papers to {args.output} ({args.format}).", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    return EXIT_OK if papers else EXIT_FAIL


# -- changing state ---------------------------------------------------------------------


def cmd_mark(args: argparse.Namespace) -> int:
    from reader.state import StateChange

    change = {
        "star": StateChange(starred=True),
        "unstar": StateChange(starred=False),
        "read": StateChange(read=True),
        "unread": StateChange(read=False),
    }[args.command]
    store = open_store(args)
    papers = resolve_papers(store, args.keys)
    open_state().update_many([(paper, change) for paper in papers])
    verb = {
        "star": "Starred",
        "unstar": "Unstarred",
        "read": "Marked read",
        "unread": "Marked unread",
    }[args.command]
    print(f"{verb}: {len(papers)} paper{'s' if len(papers) != 1 else ''}.")
    return EXIT_OK


def cmd_note(args: argparse.Namespace) -> int:
    from reader.state import StateChange
    from reader.text import inert_text

    store = open_store(args)
    (paper,) = resolve_papers(store, [args.key])
    states = open_state()
    if not args.text:
        note = states.load().for_paper(paper).note
        if sys.stdout.isatty():
            note = "\n".join(inert_text(line) for line in note.split("\n"))
        if note:
            sys.stdout.write(note if note.endswith("\n") else note + "\n")
        return EXIT_OK
    text = sys.stdin.read() if args.text == ["-"] else " ".join(args.text)
    states.update(paper, StateChange(note=text.rstrip("\n")))
    print("Note cleared." if not text.strip() else "Note saved.")
    return EXIT_OK


def cmd_tag(args: argparse.Namespace) -> int:
    from reader.state import StateChange

    add = [c.lstrip("+") for c in args.changes if not c.startswith("-")]
    remove = [c[1:] for c in args.changes if c.startswith("-")]
    bad = [t for t in (*add, *remove) if not t or any(ch.isspace() for ch in t)]
    if bad or not (add or remove):
        raise CommandError("tag wants +name or -name (no spaces)", EXIT_USAGE)
    store = open_store(args)
    (paper,) = resolve_papers(store, [args.key])
    state = open_state().update(paper, StateChange(add_tags=tuple(add), remove_tags=tuple(remove)))
    tags = state.for_paper(paper).tags
    print("Tags: " + (" ".join(tags) if tags else "(none)"))
    return EXIT_OK


def cmd_searches(args: argparse.Namespace) -> int:
    from reader.query import QueryError, parse_query
    from reader.text import display_text

    states = open_state()
    if args.action == "list":
        for name, query in states.load().searches.items():
            print(f"{display_text(name)}\t{display_text(query)}")
        return EXIT_OK
    if not args.name:
        raise CommandError(f"searches {args.action} wants a NAME", EXIT_USAGE)
    if args.action == "delete":
        states.delete_search(args.name)
        print(f"Deleted saved search {display_text(args.name)!r}.")
        return EXIT_OK
    query = " ".join(args.query)
    try:
        parse_query(query)  # refuse to save a query that cannot run
    except QueryError as exc:
        raise CommandError(f"bad query: {exc.message}", EXIT_USAGE) from None
    states.save_search(args.name, query)
    print(f"Saved search {display_text(args.name)!r}.")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from reader.doctor import run_checks

    path, _ = db_path_of(args)
    findings = run_checks(path, open_state())
    problems = 0
    for finding in findings:
        print(finding.line())
        problems += finding.is_problem
    print(f"{problems} problem{'s' if problems != 1 else ''} found.")
    return EXIT_FAIL if problems else EXIT_OK


def _warn(warnings: Sequence[str]) -> None:
    from reader.text import inert_text

    for warning in warnings:
        print(f"reader: warning: {inert_text(warning)}", file=sys.stderr)


# -- the app ----------------------------------------------------------------------------


def open_app(args: argparse.Namespace) -> int:
    """Open the Textual app on the chosen store (building the default one on first run)."""
    path, is_default = db_path_of(args)
    seeds = None
    if not path.exists():
        if not is_default:
            raise CommandError(f"no store at {path} (create it with: reader build --db {path})")
        seeds = [bundled_seeds_dir()]
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise CommandError(
            "the app needs a terminal; use `reader list` or `reader show` in scripts", EXIT_USAGE
        )
    from reader.tui.app import make_app

    app = make_app(path, open_state(), seeds=seeds)
    app.run()
    return int(app.return_code or 0)
