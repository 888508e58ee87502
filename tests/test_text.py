"""reader.text: LaTeX to Unicode, folding for search, and terminal safety of shown text."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from reader.text import as_rich_text, display_text, fold_for_search, inert_text, latex_to_unicode

from .conftest import SEEDS_DIR

# --------------------------------------------------------------------------- LaTeX


@pytest.mark.parametrize(
    ("latex", "shown"),
    [
        (r"$\times$", "×"),
        (r"10$\times$-20$\times$", "10×-20×"),
        (r"Min-$k$", "Min-k"),
        (r"Top-$p$", "Top-p"),
        (r"Szemer\'edi", "Szemerédi"),
        (r"0.094\%", "0.094%"),
        (r"$2.6\%$", "2.6%"),
        (r"$c\in(0,1]$", "c∈(0,1]"),
        (r"\emph{x}", "x"),
        (r"\textbf{Min-$k$ Sampling}", "Min-k Sampling"),
        (r"MF$^2$ and SR$^{2}$-Net", "MF² and SR²-Net"),
        (r"$x_{ij}$", "xᵢⱼ"),
        (r"$\alpha$-Fairness", "α-Fairness"),
        (r"\citep{wang2023simple}", "[wang2023simple]"),
        (r"Stra\ss e {\"o} \"{u} \c{c} \'\i", "Straße ö ü ç í"),
        (r"$\{0,1,\dots,N-1\}^n$", "{0,1,…,N-1}ⁿ"),
        (r"$\frac{1}{2}$", "1/2"),
        (r"\& \_ \# \{ \}", "& _ # { }"),
        (r"``quoted''", "“quoted”"),
    ],
)
def test_latex_becomes_readable_unicode(latex: str, shown: str) -> None:
    assert latex_to_unicode(latex) == shown


def test_unknown_macros_stay_readable() -> None:
    assert (
        latex_to_unicode(r"\ourmethod{} beats \foo{bar} baz") == r"\ourmethod{} beats \foo{bar} baz"
    )


def test_dollars_that_are_money_stay_dollars() -> None:
    assert latex_to_unicode("costs $5 and $10 now") == "costs $5 and $10 now"
    assert latex_to_unicode("a lone $ sign") == "a lone $ sign"


def test_a_bare_percent_is_not_a_comment() -> None:
    """pylatexenc's parser would drop everything after a bare % (arXiv abstracts have them)."""
    assert latex_to_unicode(r"up 92% with $x$ and 3\% more") == "up 92% with x and 3% more"


def test_text_without_latex_is_returned_as_is() -> None:
    text = "Plain title: no markup, 100% ASCII"
    assert latex_to_unicode(text) is text


@pytest.mark.parametrize(
    "nasty", ["{" * 5000 + "x", "\\", "$", "$$", "x$^{2$ and more", "\\" * 7, "}{}{$$}$"]
)
def test_latex_never_raises(nasty: str) -> None:
    assert isinstance(latex_to_unicode(nasty), str)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab $\\{}^_~'`\"%&xe0 \n")), max_size=60))
def test_latex_never_raises_on_arbitrary_text(text: str) -> None:
    assert isinstance(latex_to_unicode(text), str)


def test_seed_snippets_read_well() -> None:
    """Every LaTeX-bearing line of the real seeds converts without leftover math markers."""
    seen = 0
    for path in sorted(SEEDS_DIR.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "$\\times$" in line or "Szemer\\'edi" in line or "Min-$k$" in line:
                shown = latex_to_unicode(line)
                assert "$\\times$" not in shown and "\\'" not in shown and "$k$" not in shown
                seen += 1
    assert seen >= 3


# --------------------------------------------------------------------------- folding


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        (r"Szemer\'edi", "szemeredi"),
        ("Szemerédi", "szemeredi"),
        ("  Hello \n  World ", "hello world"),
        ("Łukasz Kaiser", "lukasz kaiser"),
        ("Straße", "strasse"),
        ("Ærøskøbing", "aeroskobing"),
        ("ﬁne-tuning", "fine-tuning"),
        (r"Min-$k$ Sampling", "min-k sampling"),
    ],
)
def test_fold_for_search(text: str, folded: str) -> None:
    assert fold_for_search(text) == folded


def test_fold_is_idempotent_on_folded_text() -> None:
    once = fold_for_search(r"Endre Szemer\'edi, Łukasz and ÆSIR")
    assert fold_for_search(once) == once


# --------------------------------------------------------------------------- terminal safety

HOSTILE = (
    "A\x1b[31mred\x1b[0m title"  # ANSI colour
    "\x1b]52;c;ZXZpbA==\x07"  # OSC 52 clipboard write
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\"  # OSC 8 hyperlink
    "\x9b2J"  # 8-bit CSI: clear screen
    "\u202eevil\u202c \u2066iso\u2069 \u200bzero\u200dwidth\ufeff \u200e\u200f\u061c"
    "\nnext\tline\r"
)
BIDI_AND_INVISIBLE = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u200c\u200d\u2060\ufeff"


def test_inert_text_shows_escapes_as_pictures() -> None:
    shown = inert_text(HOSTILE)
    assert shown == (
        "A␛[31mred␛[0m title␛]52;c;ZXZpbA==␇␛]8;;https://evil.example␛\\link␛]8;;␛\\2J"
        "evil iso zerowidth  next line "
    )


def test_inert_text_leaves_no_control_or_bidi_character() -> None:
    everything = "".join(chr(c) for c in range(0x00, 0xA0)) + BIDI_AND_INVISIBLE
    shown = inert_text(everything)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", shown)
    assert not set(shown) & set(BIDI_AND_INVISIBLE)
    assert "␛" in shown and "␇" in shown and "␀" in shown


def test_inert_text_keeps_ordinary_text_untouched() -> None:
    text = "Szemerédi — 10× faster [bold]not markup[/]"
    assert inert_text(text) is text


def test_inert_text_replaces_lone_surrogates() -> None:
    assert inert_text("bad \udcff byte") == "bad \ufffd byte"


def test_display_text_is_latex_free_inert_and_single_spaced() -> None:
    shown = display_text("Min-$k$\x1b[2J  rises\n\n10$\\times$ \u202e[bold red]x[/]")
    assert shown == "Min-k␛[2J rises 10× [bold red]x[/]"
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown


@pytest.mark.parametrize(
    "markup",
    ["[bold red]boom[/]", "[/]", "[link=https://evil.example]x[/link]", "[@click=app.quit]q[/]"],
)
def test_rich_markup_stays_literal(markup: str) -> None:
    text = as_rich_text(f"Title {markup}")
    assert isinstance(text, Text)
    assert text.plain == f"Title {markup}"
    assert not text.spans
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    console.print(text)
    assert f"Title {markup}" in console.export_text()


def test_what_reaches_the_terminal_has_no_escape_from_the_listing() -> None:
    console = Console(file=None, record=True, width=300, force_terminal=True, color_system=None)
    console.print(as_rich_text(HOSTILE))
    out = console.export_text(styles=False)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert not set(out) & set(BIDI_AND_INVISIBLE)


def test_as_rich_text_applies_the_style_to_the_whole_text() -> None:
    text = as_rich_text("[b]x[/b]", style="bold")
    assert text.plain == "[b]x[/b]" and str(text.style) == "bold"


def test_core_text_module_does_not_import_textual() -> None:
    code = "import sys, reader.text, reader.query; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
