"""The `reader` command through its public face: argv in, exit code and output out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reader.cli import main
from tests.conftest import SEEDS_DIR


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "store.json"
    code, out, _ = run(capsys, "build", str(SEEDS_DIR), "--db", str(path))
    assert code == 0, out
    return path


def listed(capsys, db: Path, *query: str) -> list[dict]:
    code, out, err = run(capsys, "list", *query, "--json", "--db", str(db))
    assert code in (0, 1), err
    return json.loads(out)


def test_build_reports_counts(tmp_path: Path, capsys) -> None:
    code, out, _ = run(capsys, "--db", str(tmp_path / "s.json"), "build", str(SEEDS_DIR))
    assert code == 0
    assert "5 files, 38 entries, 30 papers (8 merged)" in out


def test_default_build_uses_bundled_seeds_and_env_db(capsys, isolated_home: Path) -> None:
    code, out, _ = run(capsys, "build")
    assert code == 0
    assert Path(os.environ["READER_DB"]).exists()
    assert "30 papers" in out


def test_list_json_has_every_field_and_state(db: Path, capsys) -> None:
    papers = listed(capsys, db)
    assert len(papers) == 30
    expected = {
        "key",
        "aliases",
        "title",
        "title_derived",
        "authors",
        "authors_truncated",
        "affiliations",
        "category",
        "date",
        "updated",
        "arxiv_id",
        "has_code",
        "urls",
        "comments",
        "abstract",
        "abstract_versions",
        "sources",
        "read",
        "starred",
        "note",
    }
    for paper in papers:
        assert expected <= set(paper)
        assert all({"file", "line"} <= set(source) for source in paper["sources"])
        for field in ("date", "updated"):
            assert paper[field] is None or len(paper[field]) == 10


def test_list_plain_is_one_line_a_paper(db: Path, capsys) -> None:
    code, out, _ = run(capsys, "list", "--db", str(db))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 30
    assert any("STEP3-VL-10B Technical Report" in line and "2026-01-14" in line for line in lines)


def test_db_option_before_or_after(db: Path, capsys) -> None:
    first = run(capsys, "--db", str(db), "list", "--json")[1]
    second = run(capsys, "list", "--json", "--db", str(db))[1]
    third = run(capsys, "list", f"--db={db}", "--json")[1]
    assert json.loads(first) == json.loads(second) == json.loads(third)


def test_star_note_tag_round_trip(db: Path, capsys) -> None:
    paper = next(p for p in listed(capsys, db) if p["arxiv_id"] == "2507.19427")
    key = paper["key"]
    assert run(capsys, "star", key, "--db", str(db))[0] == 0
    assert run(capsys, "note", key, "check", "the", "ablations", "--db", str(db))[0] == 0
    assert run(capsys, "tag", key, "+todo", "+llm", "--db", str(db))[0] == 0
    assert run(capsys, "tag", key, "-llm", "--db", str(db))[0] == 0
    _code, out, _ = run(capsys, "show", key, "--json", "--db", str(db))
    shown = json.loads(out)
    assert (shown["starred"], shown["note"], shown["tags"]) == (
        True,
        "check the ablations",
        ["todo"],
    )
    assert run(capsys, "note", key, "--db", str(db))[1] == "check the ablations\n"
    assert [p["key"] for p in listed(capsys, db, "is:starred")] == [key]
    assert [p["key"] for p in listed(capsys, db, "tag:todo")] == [key]
    assert run(capsys, "unstar", key, "--db", str(db))[0] == 0
    assert listed(capsys, db, "is:starred") == []


def test_show_accepts_alias_and_arxiv_id(db: Path, capsys) -> None:
    for spelling in ("2507.19427", "arXiv:2507.19427v2", "arxiv:2507.19427"):
        code, out, err = run(capsys, "show", spelling, "--db", str(db))
        assert code == 0, err
        assert "Step-3 is Large yet Affordable" in out


def test_negated_query_term_is_not_an_option(db: Path, capsys) -> None:
    code, _out, _ = run(
        capsys, "read", *[p["key"] for p in listed(capsys, db)[:5]], "--db", str(db)
    )
    assert code == 0
    unread = listed(capsys, db, "-is:read")
    assert len(unread) == 25


def test_list_exit_codes(db: Path, capsys) -> None:
    assert run(capsys, "list", "cat:CV", "--db", str(db))[0] == 0
    assert run(capsys, "list", "xyzzyplughnotaword", "--db", str(db))[0] == 1
    code, _, err = run(capsys, "list", "year:abc", "--db", str(db))
    assert code == 2
    assert "bad query" in err


def test_unknown_key_is_a_clear_error(db: Path, capsys) -> None:
    code, _, err = run(capsys, "star", "nosuchkey", "--db", str(db))
    assert code == 1
    assert "no paper with key 'nosuchkey'" in err


def test_missing_explicit_store_is_a_clear_error(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "list", "--db", str(tmp_path / "nope.json"))
    assert code == 1
    assert "no store at" in err


def test_state_survives_rebuild_and_import(db: Path, tmp_path: Path, capsys) -> None:
    """Marks made on a paper known only by title keep holding after a file supplies its id."""
    without_arxiv = tmp_path / "partial"
    without_arxiv.mkdir()
    for seed in SEEDS_DIR.glob("*.txt"):
        if not seed.name.startswith("003"):
            (without_arxiv / seed.name).write_bytes(seed.read_bytes())
    store = tmp_path / "partial.json"
    assert run(capsys, "build", str(without_arxiv), "--db", str(store))[0] == 0
    step3 = next(p for p in listed(capsys, store) if p["title"].startswith("Step-3 is Large"))
    assert step3["arxiv_id"] is None
    assert run(capsys, "star", step3["key"], "--db", str(store))[0] == 0
    assert (
        run(capsys, "import", str(SEEDS_DIR / "003_7a31137c7f8dde59.txt"), "--db", str(store))[0]
        == 0
    )
    after = next(p for p in listed(capsys, store) if p["title"].startswith("Step-3 is Large"))
    assert (after["key"], after["arxiv_id"], after["starred"]) == (step3["key"], "2507.19427", True)
    assert run(capsys, "build", str(SEEDS_DIR), "--db", str(store))[0] == 0
    rebuilt = next(p for p in listed(capsys, store) if p["title"].startswith("Step-3 is Large"))
    assert (rebuilt["key"], rebuilt["starred"]) == (step3["key"], True)
    assert len(listed(capsys, store)) == 30


def test_failed_build_leaves_store_untouched(db: Path, capsys) -> None:
    before = db.read_bytes()
    code, _, err = run(capsys, "build", str(SEEDS_DIR / "nope.txt"), "--db", str(db))
    assert code == 1
    assert "nope.txt" in err
    assert db.read_bytes() == before


def test_json_output_escapes_terminal_controls(tmp_path: Path, capsys) -> None:
    listing = tmp_path / "evil.txt"
    listing.write_text(
        "CLFeb 11\nEvil \x1b]52;c;SGVsbG8=\x07Title \u202eRight\u202cEve Mallory, Trudy Intruder\n"
        "Abstract with \x1b[2J and \x9b31m.\n",
        encoding="utf-8",
    )
    store = tmp_path / "evil.json"
    assert run(capsys, "build", str(listing), "--db", str(store))[0] == 0
    _, out, _ = run(capsys, "list", "--json", "--db", str(store))
    assert not any(ch in out for ch in "\x1b\x07\x9b\u202e\u202c")
    assert "\x1b]52" in json.loads(out)[0]["title"]  # the data itself is kept exactly
    _, plain, _ = run(capsys, "list", "--db", str(store))
    _, shown, _ = run(capsys, "show", json.loads(out)[0]["key"], "--db", str(store))
    for text in (plain, shown):
        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e\u202c")


def test_core_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import reader.sources, reader.models, reader.merge, reader.store, reader.state\n"
        "import reader.query, reader.text, reader.cli, reader.commands, reader.build\n"
        "import reader.render, reader.doctor, reader.export\n"
        "from reader.cli import main\n"
        "main(['list', '--json'])\n"
        "assert 'textual' not in sys.modules, 'the core imported textual'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr


def test_doctor_reports_orphans_and_temp_files(db: Path, capsys) -> None:
    code, out, _ = run(capsys, "doctor", "--db", str(db))
    assert code == 0, out
    (db.parent / f".{db.name}.tmp-999999-abc").write_bytes(b"partial")
    code, out, _ = run(capsys, "doctor", "--db", str(db))
    assert code == 1
    assert "temp file" in out


def test_export_import_round_trip_with_state(
    db: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = listed(capsys, db)
    starred, noted = papers[0]["key"], papers[1]["key"]
    assert run(capsys, "star", starred, "--db", str(db))[0] == 0
    assert run(capsys, "note", noted, "a note", "--db", str(db))[0] == 0
    export = tmp_path / "all.jsonl"
    code, _, err = run(capsys, "export", "--format", "jsonl", "-o", str(export), "--db", str(db))
    assert code == 0, err
    # A fresh user (new config dir) and a fresh store: everything comes back from the export.
    monkeypatch.setenv("READER_CONFIG_DIR", str(tmp_path / "fresh-config"))
    fresh = tmp_path / "fresh.json"
    code, out, err = run(capsys, "import", str(export), "--with-state", "--db", str(fresh))
    assert code == 0, err
    assert "Restored state for 2 papers" in out
    again = {p["key"]: p for p in listed(capsys, fresh)}
    assert set(again) == {p["key"] for p in papers}
    for paper in papers:
        for field in ("title", "authors", "arxiv_id", "abstract", "date", "category"):
            assert again[paper["key"]][field] == paper[field]
    assert again[starred]["starred"] and again[noted]["note"] == "a note"


@pytest.mark.parametrize("fmt", ["bibtex", "markdown", "csv", "json", "jsonl"])
def test_export_formats_to_stdout(db: Path, fmt: str, capsys) -> None:
    code, out, err = run(capsys, "export", "cat:CL", "--format", fmt, "--db", str(db))
    assert code == 0, err
    assert "Step 3.5 Flash" in out


def test_saved_searches(db: Path, capsys) -> None:
    assert run(capsys, "searches", "save", "todo", "is:unread", "cat:CL", "--db", str(db))[0] == 0
    code, out, _ = run(capsys, "searches", "--db", str(db))
    assert out == "todo\tis:unread cat:CL\n"
    code, _, err = run(capsys, "searches", "save", "broken", "year:abc", "--db", str(db))
    assert code == 2 and "bad query" in err
    assert run(capsys, "searches", "delete", "todo", "--db", str(db))[0] == 0
    assert run(capsys, "searches", "--db", str(db))[1] == ""


def test_doctor_reports_marks_whose_paper_is_gone(db: Path, tmp_path: Path, capsys) -> None:
    only_003 = next(p for p in listed(capsys, db) if p["arxiv_id"] == "2406.00243")
    assert run(capsys, "star", only_003["key"], "--db", str(db))[0] == 0
    code, out, _ = run(capsys, "doctor", "--db", str(db))
    assert code == 0, out
    # Rebuild without the file that listed it: the star is kept, and doctor says so.
    assert (
        run(capsys, "build", str(SEEDS_DIR / "000_729da12e29e03aff.txt"), "--db", str(db))[0] == 0
    )
    code, out, _ = run(capsys, "doctor", "--db", str(db))
    assert code == 1
    assert "1 marked papers match no paper in the store (kept, not deleted)" in out


def test_doctor_says_whether_the_search_index_fits_the_store(db: Path, capsys) -> None:
    code, out, _ = run(capsys, "doctor", "--db", str(db))
    assert code == 0 and "search index" in out and "fits the store" in out
    words = db.with_name(db.name + ".words")
    words.write_bytes(words.read_bytes()[:-8])  # torn: the app would rebuild it
    code, out, _ = run(capsys, "doctor", "--db", str(db))
    assert code == 0 and "rebuilds it" in out
