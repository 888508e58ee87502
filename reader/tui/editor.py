"""Edit a note in the user's $VISUAL / $EDITOR with the app suspended.

The note goes to a private temp file, the editor runs with the terminal handed over
(``App.suspend``), and the text comes back with the editor's trailing newline removed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from textual.app import App, SuspendNotSupported


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else vi/nano if installed; raises RuntimeError when none."""
    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            return shlex.split(value)
    for fallback in ("vi", "nano"):
        found = shutil.which(fallback)
        if found:
            return [found]
    raise RuntimeError("No editor: set $EDITOR (for example EDITOR=nano).")


def edit_in_editor(app: App, text: str) -> str | None:
    """Run the editor on ``text``; the edited text, or None if the editor failed."""
    command = editor_command()
    handle, name = tempfile.mkstemp(prefix="reader-note-", suffix=".md")
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text + ("\n" if text and not text.endswith("\n") else ""))
        try:
            with app.suspend():
                result = subprocess.run([*command, str(path)], check=False)
        except SuspendNotSupported:
            if not app.is_headless:
                raise RuntimeError(
                    "This terminal cannot hand over to an editor; use n instead."
                ) from None
            # Headless (tests): nothing is on screen, so the editor can run as it is.
            result = subprocess.run([*command, str(path)], check=False, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(
                f"{command[0]} exited with status {result.returncode}; note unchanged."
            )
        edited = path.read_text(encoding="utf-8", errors="replace")
    finally:
        path.unlink(missing_ok=True)
    return edited.rstrip("\n")
