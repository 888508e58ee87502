"""The `reader` command: argparse subcommands over the core, and the app with none.

No Textual import here (the app is imported only when it is opened), so `reader list` and
friends start fast.  Every failure a user can cause ends in a one-line message and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from reader import __version__

#: Subcommands whose free arguments are a query (may start with "-", e.g. -is:read).
QUERY_COMMANDS = frozenset({"list", "export"})
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CommandError(Exception):
    """A failure to report as `reader: error: MESSAGE` with an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    """All subcommands; `--db` is pulled out of argv beforehand so it goes anywhere."""
    parser = argparse.ArgumentParser(
        prog="reader",
        description="Triage research-paper listings. With no command, opens the app.",
        epilog="Every command takes --db FILE (or READER_DB) to choose the store.",
    )
    parser.add_argument("--version", action="version", version=f"reader {__version__}")
    parser.add_argument(
        "--db", metavar="FILE", help="the store file (default: READER_DB or the user data dir)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = sub.add_parser("build", help="build the store from listing files (replaces it)")
    build.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (default: the bundled seeds)"
    )
    build.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="the listing date for dates given without a year"
    )

    imp = sub.add_parser("import", help="merge more listings, BibTeX, Atom/RSS or JSON exports")
    imp.add_argument("paths", nargs="+", metavar="PATH|URL")
    imp.add_argument("--as-of", metavar="YYYY-MM-DD")
    imp.add_argument(
        "--with-state",
        action="store_true",
        help="also restore read/starred/notes/tags from a reader JSON export",
    )

    lst = sub.add_parser("list", help="one line a paper; QUERY uses the search language")
    lst.add_argument("query", nargs="*", metavar="QUERY")
    lst.add_argument("--sort", choices=("newest", "oldest", "title", "relevance"))
    lst.add_argument("--limit", type=int, metavar="N")
    fmt = lst.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="a JSON array of paper objects")
    fmt.add_argument("--jsonl", action="store_true", help="one JSON object a line")

    show = sub.add_parser("show", help="one paper in full (any alias works as KEY)")
    show.add_argument("key", metavar="KEY")
    show.add_argument("--json", action="store_true")

    for name, help_text in (
        ("star", "star papers"),
        ("unstar", "remove stars"),
        ("read", "mark papers read"),
        ("unread", "mark papers unread"),
    ):
        marker = sub.add_parser(name, help=help_text)
        marker.add_argument("keys", nargs="+", metavar="KEY")

    note = sub.add_parser("note", help="print a note, or set it from TEXT or stdin (-)")
    note.add_argument("key", metavar="KEY")
    note.add_argument("text", nargs="*", metavar="TEXT")

    tag = sub.add_parser("tag", help="add (+name or name) and remove (-name) tags")
    tag.add_argument("key", metavar="KEY")
    tag.add_argument("changes", nargs=argparse.REMAINDER, metavar="+NAME|-NAME")

    export = sub.add_parser("export", help="export papers matching QUERY")
    export.add_argument("query", nargs="*", metavar="QUERY")
    export.add_argument(
        "--format", "-f", required=True, choices=("bibtex", "markdown", "csv", "json", "jsonl")
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    export.add_argument("--sort", choices=("newest", "oldest", "title", "relevance"))

    searches = sub.add_parser("searches", help="list, save or delete saved searches")
    searches.add_argument("action", nargs="?", choices=("list", "save", "delete"), default="list")
    searches.add_argument("name", nargs="?")
    searches.add_argument("query", nargs="*")

    sub.add_parser("doctor", help="check the store and the per-user state")
    return parser


def extract_db_option(argv: list[str]) -> tuple[list[str], str | None]:
    """Remove `--db FILE` / `--db=FILE` wherever it stands (before `--`)."""
    rest: list[str] = []
    db: str | None = None
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            rest.extend(argv[index:])
            break
        if token == "--db":
            if index + 1 >= len(argv):
                raise CommandError("--db needs a FILE", EXIT_USAGE)
            db = argv[index + 1]
            index += 2
            continue
        if token.startswith("--db="):
            db = token[len("--db=") :]
            index += 1
            continue
        rest.append(token)
        index += 1
    return rest, db


def split_query_tokens(
    parser: argparse.ArgumentParser, argv: list[str]
) -> tuple[list[str], list[str]]:
    """Separate a subcommand's own options from query terms (which may look like options).

    `reader list -is:read --json` must read `-is:read` as a negated query term.
    """
    subparser = _subparser(parser, argv[0])
    takes_value: set[str] = set()
    flags: set[str] = {"-h", "--help"}
    for action in subparser._actions:
        for option in action.option_strings:
            (flags if action.nargs == 0 else takes_value).add(option)
    options: list[str] = [argv[0]]
    query: list[str] = []
    index = 1
    while index < len(argv):
        token = argv[index]
        name = token.split("=", 1)[0]
        if token == "--":
            query.extend(argv[index + 1 :])
            break
        if name in flags or (name in takes_value and "=" in token):
            options.append(token)
        elif token in takes_value:
            options.extend(argv[index : index + 2])
            index += 1
        else:
            query.append(token)
        index += 1
    return options, query


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise KeyError(name)


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """argv to a namespace with `db` and, for query commands, `query` filled in."""
    parser = build_parser()
    rest, db = extract_db_option(list(argv))
    query: list[str] | None = None
    if rest and rest[0] in QUERY_COMMANDS:
        rest, query = split_query_tokens(parser, rest)
    args = parser.parse_args(rest)
    if db is not None:
        args.db = db
    if query is not None:
        args.query = query
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `reader` script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_arguments(argv)
        if args.command is None:
            from reader.commands import open_app

            return open_app(args)
        from reader.commands import run_command

        return run_command(args)
    except CommandError as exc:
        _error(str(exc))
        return exc.code
    except KeyboardInterrupt:
        _error("interrupted; nothing was changed")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `reader list | head`: the reader went away; not an error worth a message.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("READER_DEBUG"):
            raise
        from reader.commands import known_error_message

        message = known_error_message(exc)
        if message is None:
            message = f"internal error: {exc!r} (set READER_DEBUG=1 for a traceback)"
        _error(message)
        return EXIT_FAIL


def _error(message: str) -> None:
    from reader.text import inert_text

    sys.stderr.write(f"reader: error: {inert_text(message)}\n")
    sys.stderr.flush()
