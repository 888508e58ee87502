"""Where reader's files live: bundled seeds and styles, the store, the per-user state.

Nothing is created or read at import time; every function only computes a path.
Environment overrides (READER_DB, READER_CONFIG_DIR) let tests and users move everything.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "reader"


def _bundled_dir(name: str) -> Path:
    """A data folder shipped in the wheel (reader/_bundled/NAME) or, from a source tree, ./NAME."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "_bundled" / name
    if installed.is_dir():
        return installed
    return package_dir.parent / name


def bundled_seeds_dir() -> Path:
    """The listing files the default store is built from."""
    return _bundled_dir("seeds")


def bundled_styles_dir() -> Path:
    """The app's .tcss style sheets."""
    return _bundled_dir("styles")


def default_db_path() -> Path:
    """The store: READER_DB, else `papers.json` in the platformdirs user data dir."""
    override = os.environ.get("READER_DB")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "papers.json"


def config_dir() -> Path:
    """Per-user state: READER_CONFIG_DIR, else the platformdirs user config dir."""
    override = os.environ.get("READER_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))
