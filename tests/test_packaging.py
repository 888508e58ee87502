"""The installed package (not the source tree) carries its seeds and styles."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = (
    "import json, reader, reader.paths as p\n"
    "print(json.dumps({'module': reader.__file__,"
    " 'seeds': sorted(x.name for x in p.bundled_seeds_dir().glob('*.txt')),"
    " 'styles': sorted(x.name for x in p.bundled_styles_dir().glob('*.tcss'))}))\n"
)


def _installed_probe(cwd: Path) -> dict | None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=cwd, capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        return None
    return json.loads(result.stdout)


def test_installed_wheel_finds_seeds_and_styles(tmp_path: Path) -> None:
    probe = _installed_probe(tmp_path)
    repo = Path(__file__).resolve().parent.parent
    if probe is None or Path(probe["module"]).resolve().is_relative_to(repo):
        pytest.skip("reader is not installed as a package in this environment (pip install .)")
    assert len(probe["seeds"]) == 5
    assert probe["styles"], "no .tcss shipped in the wheel"


def test_installed_script_builds_from_bundled_seeds(tmp_path: Path) -> None:
    script = shutil.which("reader")
    if script is None:
        pytest.skip("the reader console script is not on PATH (pip install .)")
    db = tmp_path / "papers.json"
    result = subprocess.run(
        [script, "build", "--db", str(db)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "30 papers" in result.stdout
