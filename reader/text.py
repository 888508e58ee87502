"""Text as shown and as searched: LaTeX to Unicode, folding for search, terminal safety.

Listing text is untrusted and LaTeX-flavoured.  Everything that reaches a screen goes
through `display_text` (or `as_rich_text`), so escape sequences, bidi tricks and Rich
markup stay inert; everything that is searched goes through `fold_for_search`, so
``szemeredi`` finds ``Szemer\\'edi``.

Rich markup is made inert by never parsing it: callers build ``rich.text.Text(display_text(s))``
(or `as_rich_text`), never a markup string and never ``Text.from_markup``.

The LaTeX converter is a small linear tokenizer, not a full TeX parser: it takes macro
symbols from pylatexenc's tables but never uses pylatexenc's parser, which treats a bare
``%`` as a comment and drops the rest of an abstract.  It never raises: on any surprise
the input comes back unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from rich.text import Text

__all__ = ["as_rich_text", "display_text", "fold_for_search", "inert_text", "latex_to_unicode"]

# --------------------------------------------------------------------------- LaTeX


def _words(text: str) -> list[str]:
    return text.split()


# Accent macros -> combining mark (composed with NFC afterwards).
_ACCENTS = dict(
    zip("'`^\"~=.uvHckrdb", "\u0301\u0300\u0302\u0308\u0303\u0304\u0307\u0306\u030c"
        "\u030b\u0327\u0328\u030a\u0323\u0331", strict=True)
)  # fmt: skip
# Text-mode letters that swallow the following space (``Stra\ss e``).
_LETTERS = dict(zip(_words("ss o O ae AE oe OE aa AA l L i j"), "ßøØæÆœŒåÅłŁıȷ", strict=True))
# Macros whose single argument is shown as is (style only).
_STYLE = frozenset(_words(
    "emph textbf textit texttt textsc textrm textsf textsl textup textmd textnormal text "
    "mbox hbox mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak mathscr mathnormal "
    "boldsymbol bm operatorname underline overline hat widehat tilde widetilde bar vec dot "
    "ddot check breve acute grave mathring uline ensuremath small large Large"
))  # fmt: skip
# Macros that vanish with no argument (sizing, spacing hints, delimiter modifiers).
_NOTHING = frozenset(_words(
    "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr middle "
    "displaystyle textstyle scriptstyle limits nolimits relax noindent centering "
    "protect xspace normalfont bfseries itshape rmfamily sffamily ttfamily scshape "
    "tiny scriptsize footnotesize normalsize huge Huge"
))  # fmt: skip
_DROP_WITH_ARG = frozenset(_words("label vspace hspace phantom footnotemark"))
_CITE = frozenset(_words("cite citep citet citealp citeauthor citeyear autocite parencite"))
_REF = frozenset(_words("ref eqref autoref cref Cref pageref url path"))
_SPACES = {
    **dict.fromkeys(_words(", ; : quad qquad \\ newline par enspace thinspace"), " "),
    " ": " ",
    "!": "",
}
_ESCAPED = {"%": "%", "&": "&", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}", "|": "‖", "-": ""}
_SUPER = dict(zip("0123456789+-=()niaeoxhijklmnprstuvwyABDEGHIJKLMNOPRTUVW",
                  "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵃᵉᵒˣʰⁱʲᵏˡᵐⁿᵖʳˢᵗᵘᵛʷʸᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ", strict=True))  # fmt: skip
_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True))  # fmt: skip

# One token: a control word/symbol, a math shift, a brace, a script mark, or a run of text.
_TOKEN = re.compile(r"\\(?:[A-Za-z]+\*?|.)|\$\$?|[{}^_~]|``|''|[^\\${}^_~`']+|[`'\\]", re.S)
_NEEDS_WORK = re.compile(r"[\\$]|``")


@lru_cache(maxsize=1)
def _symbols() -> dict[str, str]:
    """Zero-argument macros -> text, from pylatexenc's tables (imported only when needed)."""
    table: dict[str, str] = {}
    try:
        from pylatexenc.latex2text import get_default_latex_context_db

        db = get_default_latex_context_db()
        for spec in db.iter_macro_specs():
            repl = getattr(spec, "simplify_repl", None)
            args = getattr(getattr(spec, "args_parser", None), "argspec", "")
            if isinstance(repl, str) and "%" not in repl and not args:
                table[spec.macroname] = repl
    except Exception:  # pragma: no cover - pylatexenc missing or changed: keep going
        pass
    table.update(
        {
            "times": "×",
            "in": "∈",
            "dots": "…",
            "ldots": "…",
            "cdots": "⋯",
            "log": "log",
            "sim": "∼",
            "approx": "≈",
            "textasciitilde": "~",
            "LaTeX": "LaTeX",
            "TeX": "TeX",
            "textbackslash": "\\",
            "ast": "∗",
            "%": "%",
        }
    )
    return table


class _Converter:
    """Walks the token list once; ``pos`` only moves forward, so the run is linear."""

    def __init__(self, text: str) -> None:
        self.tokens = _TOKEN.findall(text)
        self.pos = 0
        self.symbols = _symbols()

    def run(self) -> str:
        return "".join(self._until(closing=None, math=False))

    def _next(self) -> str | None:
        if self.pos < len(self.tokens):
            self.pos += 1
            return self.tokens[self.pos - 1]
        return None

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _until(self, closing: str | None, math: bool) -> list[str]:
        out: list[str] = []
        while (tok := self._next()) is not None:
            if tok == closing:
                return out
            if tok == "{":
                out.extend(self._until("}", math))
            elif tok == "}":
                continue  # stray closing brace: drop it
            elif tok in ("$", "$$"):
                if math and closing == "}":
                    self.pos -= 1  # unclosed group inside math: let the math end here
                    return out
                if math:
                    out.append(tok)  # a dollar that does not close this math: literal
                elif self._math_closes(tok):
                    out.extend(self._until(tok, math=True))
                else:
                    out.append(tok)
            elif tok.startswith("\\"):
                out.append(self._macro(tok[1:], math))
            elif math and tok in ("^", "_"):
                out.append(self._script(tok))
            elif math and tok == "~":
                out.append(" ")
            elif not math and tok == "``":
                out.append("“")
            elif not math and tok == "''":
                out.append("”")
            else:
                out.append(tok)
        return out

    def _math_closes(self, shift: str) -> bool:
        """Pandoc's rule, loosened: ``$x$`` and ``$ O(n)$`` are math, ``$5 and $10`` is not."""
        if self.pos >= len(self.tokens):
            return False
        open_spaced = self.tokens[self.pos][:1].isspace()
        for i in range(self.pos, len(self.tokens)):
            if self.tokens[i] == shift:
                if i == self.pos:
                    return False
                after = self.tokens[i + 1] if i + 1 < len(self.tokens) else ""
                close_spaced = self.tokens[i - 1][-1:].isspace()
                return not (open_spaced and close_spaced) and not after[:1].isdigit()
        return False

    def _arg(self, math: bool) -> str:
        """One macro argument: a braced group, a control sequence, or one character."""
        while (tok := self._peek()) is not None and tok.isspace():
            self.pos += 1
        tok = self._next()
        if tok is None:
            return ""
        if tok == "{":
            return "".join(self._until("}", math))
        if tok.startswith("\\"):
            return self._macro(tok[1:], math)
        if len(tok) > 1 and tok not in ("$", "$$", "``", "''"):
            self.pos -= 1  # split a text run: take its first char, leave the rest
            self.tokens[self.pos] = tok[1:]
            return tok[0]
        return tok

    def _script(self, mark: str) -> str:
        body = self._arg(math=True)
        table = _SUPER if mark == "^" else _SUB
        if body and all(ch in table for ch in body):
            return "".join(table[ch] for ch in body)
        return mark + (body if len(body) <= 1 else f"({body})")

    def _macro(self, name: str, math: bool) -> str:
        if name in _ESCAPED:
            return _ESCAPED[name]
        if name in _ACCENTS:
            base = self._arg(math)
            if not base:
                return name
            base = {"ı": "i", "ȷ": "j"}.get(base[:1], base[:1]) + base[1:]
            return unicodedata.normalize("NFC", base[:1] + _ACCENTS[name] + base[1:])
        if name in _SPACES:
            return _SPACES[name]
        if name in _LETTERS and not math:
            if self._peek_is_space():
                self.tokens[self.pos] = self.tokens[self.pos][1:]  # TeX eats one space
            return _LETTERS[name]
        if name in _STYLE:
            return self._arg(math)
        if name in _NOTHING:
            return ""
        if name in _DROP_WITH_ARG:
            self._arg(math)
            return ""
        if name in _CITE:
            return f"[{self._arg(math)}]"
        if name in _REF:
            return self._arg(math)
        if name == "href":
            url = self._arg(math)
            label = self._arg(math)
            return label or url
        if name in ("frac", "dfrac", "tfrac", "nicefrac"):
            top, bottom = self._arg(math), self._arg(math)
            return f"{top}/{bottom}"
        if name == "sqrt":
            body = self._arg(math)
            return "√" + (body if len(body) <= 1 else f"({body})")
        symbol = self.symbols.get(name)
        if symbol is not None:
            return symbol
        written = "\\" + name  # unknown: keep it readable as written, braces and all
        while self._peek() == "{":
            self.pos += 1
            written += "{" + "".join(self._until("}", math)) + "}"
        return written

    def _peek_is_space(self) -> bool:
        tok = self._peek()
        return tok is not None and tok[:1].isspace()


def latex_to_unicode(text: str) -> str:
    """Readable Unicode for LaTeX-flavoured listing text; never raises (returns the input)."""
    if not text or not _NEEDS_WORK.search(text):
        return text
    try:
        return _Converter(text).run()
    except Exception:  # any surprise (deep nesting, odd input): show the text as written
        return text


# --------------------------------------------------------------------------- folding

# Letters NFKD leaves whole that people type without their stroke.
_FOLD_LETTERS = dict(
    zip("øØłŁđĐæÆœŒıȷþðħ", _words("o o l l d d ae ae oe oe i j th d h"), strict=True)
)
_FOLD_LETTER = re.compile("[" + "".join(_FOLD_LETTERS) + "]")


@lru_cache(maxsize=1)
def _combining_marks() -> re.Pattern[str]:
    """Every combining mark of the BMP as a class of ranges (fast in `re`; built once)."""
    marks = [cp for cp in range(0x300, 0x10000) if unicodedata.combining(chr(cp))]
    spans: list[list[int]] = []
    for cp in marks:
        if spans and spans[-1][1] == cp - 1:
            spans[-1][1] = cp
        else:
            spans.append([cp, cp])
    body = "".join(re.escape(chr(a)) + "-" + re.escape(chr(b)) for a, b in spans)
    return re.compile(f"[{body}]+")


def _drop_marks(text: str) -> str:
    text = _combining_marks().sub("", text)
    # Any character beyond the BMP?  (UTF-16 makes those 4 bytes; a C pass, not max().)
    if len(text.encode("utf-16-le", "surrogatepass")) > 2 * len(text):  # rare: the slow way
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text


def authors_line(authors: Sequence[str]) -> str:
    """A paper's authors as the one line searching reads (folded with `fold_for_search`)."""
    return ", ".join(authors)


def fold_for_search(text: str) -> str:
    """The form all searching compares: no LaTeX, no accents, casefolded, single spaces."""
    if not text:
        return ""
    if text.isascii() and "\\" not in text and "$" not in text and "``" not in text:
        return " ".join(text.lower().split())
    return " ".join(fold_for_words(text).split())


def fold_for_words(text: str) -> str:
    """`fold_for_search` with its whitespace left as it is: for text that is split into
    words next (at 100k papers, joining the 15k LaTeX abstracts' words cost 0.15 s)."""
    if text.isascii() and "\\" not in text and "$" not in text and "``" not in text:
        return text.lower()
    text = latex_to_unicode(text)
    if not text.isascii():
        if _FOLD_LETTER.search(text):
            text = _FOLD_LETTER.sub(lambda m: _FOLD_LETTERS[m.group()], text)
        text = unicodedata.normalize("NFKD", text)
        if not text.isascii():
            text = _drop_marks(text)
    return text.casefold()


# --------------------------------------------------------------------------- terminal safety

_INVISIBLE = [
    *(0x061C, 0x200E, 0x200F, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x180E, 0x00AD),
    *range(0x202A, 0x202F),  # LRE RLE PDF LRO RLO
    *range(0x2061, 0x2070),  # invisible operators, LRI RLI FSI PDI, deprecated formats
    *range(0xE0000, 0xE0080),  # tag characters (hidden ASCII)
]


def _inert_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {cp: None for cp in _INVISIBLE}
    for cp in range(0x20):
        table[cp] = chr(0x2400 + cp)  # ␀ .. ␟ : ESC shows as ␛
    for cp in (0x09, 0x0A, 0x0B, 0x0C, 0x0D):
        table[cp] = " "
    table[0x7F] = "␡"
    for cp in range(0x80, 0xA0):  # C1 controls (8-bit CSI, OSC, ST ...): removed
        table[cp] = None
    table[0x85] = " "  # NEL
    table[0x2028] = table[0x2029] = " "
    return table


_INERT = _inert_table()
_SURROGATE = re.compile("[\ud800-\udfff]")


def inert_text(text: str) -> str:
    """Terminal-safe text: controls become visible pictures (␛), bidi/zero-width removed.

    No escape sequence (ANSI CSI, OSC 52 clipboard, OSC 8 links) can act because its ESC /
    BEL / ST bytes no longer exist; line breaks and tabs become spaces.
    """
    if text.isprintable():
        return text
    text = text.translate(_INERT)
    return _SURROGATE.sub("\ufffd", text)  # lone surrogates cannot be encoded for output


def display_text(text: str) -> str:
    """What the CLI and TUI print for titles, authors and abstracts: readable and inert."""
    if not text:
        return ""
    return " ".join(inert_text(latex_to_unicode(text)).split())


def as_rich_text(text: str, style: str = "") -> Text:
    """A Rich Text of `display_text(text)`; markup such as ``[bold]`` stays literal."""
    return Text(display_text(text), style=style)
