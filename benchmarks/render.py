"""Render real arXiv papers into listing files in the four seed layouts, for the benchmark.

The corpus (``../shared/data/arxiv-2025.jsonl.gz``) holds real papers as JSON; a build must be
measured on listing *files*, so this writes them the way the seeds look:

(a) inline:    ``CVJan 14, 2025Code`` header, ``Title`` run into ``A, B, C et al.``, abstract
(b) blocks:    ``N Papers`` header, blank-line separated header/title/authors/abstract blocks
(c) abstracts: ``Abstract:`` lines only
(d) arxiv:     title, full authors, blank, abstract, blank, comment, blank, ``arXiv:ID``,
               ``Created: YYYY-MM-DD``

About a fifth of the papers are listed a second time in another file (often another layout),
as in the seeds, so the merge has real work to do.  Sizes beyond the corpus get varied copies
(new ids, other authors, altered titles and abstract openings/closings) that must not merge.
"""

from __future__ import annotations

import gzip
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import orjson

#: Bump when the rendered text changes, so cached renders are rebuilt.
RENDER_VERSION = 4
ENTRIES_PER_FILE = 400
#: Share of papers listed a second time (the seeds: 38 entries for 30 papers).
DUPLICATE_SHARE = 0.22
PRIMARY_WEIGHTS = {"inline": 0.40, "blocks": 0.25, "arxiv": 0.30, "abstracts": 0.05}
SECOND_WEIGHTS = {"inline": 0.30, "blocks": 0.25, "arxiv": 0.20, "abstracts": 0.25}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
GITHUB = re.compile(r"github\.com/", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")

COPY_PREFIXES = (
    "Revisiting",
    "Towards",
    "Rethinking",
    "Scaling Up",
    "On",
    "Beyond",
    "Learning from",
    "Efficient",
    "Robust",
    "Unifying",
    "Understanding",
    "Probing",
)
COPY_SUFFIXES = (
    " at Scale",
    " in the Wild",
    ": A Second Look",
    " Revisited",
    " for Low-Resource Settings",
    " under Distribution Shift",
    ": Lessons Learned",
    " with Fewer Labels",
    "",
)
COPY_OPENINGS = (
    "We revisit {t} and ask which of its design choices actually matter.",
    "This paper takes a second, more critical look at {t}.",
    "Much recent work builds on {t}, yet its failure modes remain poorly understood.",
    "We study {t} in a setting that its original evaluation did not consider.",
    "Starting from {t}, we ask whether its gains survive a change of data and scale.",
    "Reproducing {t} turned out to be harder than expected, which motivates this study.",
)
COPY_CLOSINGS = (
    "Across {k} benchmarks we measure an average gain of {x} points over the original {t}.",
    "Our analysis suggests that {k} simple changes explain most of the reported gains of {t}.",
    "We release {k} ablations and a reference implementation to ease comparison with {t}.",
    "With {x}x less compute, the revised model matches or beats the original {t}.",
)


@dataclass(frozen=True, slots=True)
class SourcePaper:
    """One paper as the corpus gives it, whitespace already collapsed."""

    id: str
    listed: str
    title: str
    authors: tuple[str, ...]
    category: str
    comment: str
    abstract: str

    @property
    def has_code(self) -> bool:
        return bool(GITHUB.search(self.comment) or GITHUB.search(self.abstract))


@dataclass
class Manifest:
    """What was rendered: enough to check a parse and a merge against it."""

    version: int
    papers: int
    copies: int
    entries: int
    duplicates: int
    files: list[str] = field(default_factory=list)
    entries_by_file: dict[str, int] = field(default_factory=dict)
    entries_by_layout: dict[str, int] = field(default_factory=dict)
    bytes: int = 0

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2)


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _short_category(categories: Sequence[str]) -> str:
    primary = categories[0] if categories else "cs.AI"
    return primary.rsplit(".", 1)[-1]


def read_corpus(path: Path) -> list[SourcePaper]:
    """Every paper in the gzipped JSON-lines corpus, in file order."""
    papers: list[SourcePaper] = []
    with gzip.open(path, "rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = orjson.loads(line)
            papers.append(
                SourcePaper(
                    id=row["id"],
                    listed=row["listed"],
                    title=_clean(row["title"]),
                    authors=tuple(_clean(a) for a in row["authors"] if _clean(a)),
                    category=_short_category(row.get("categories") or ()),
                    comment=_clean(row.get("comment")),
                    abstract=_clean(row["abstract"]),
                )
            )
    return papers


def _sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s]


def _title_phrase(title: str, words: int = 10) -> str:
    return " ".join(title.split()[:words]).rstrip(":,;.")


def _varied_copy(n: int, base: SourcePaper, other: SourcePaper, third: SourcePaper) -> SourcePaper:
    """A plausible new paper from a real one; it must not merge with it or anything else.

    New id, other first authors, an altered title, and the abstract's opening and closing
    replaced by new sentences naming the base title (so no two papers share an opening or a
    closing, which is what real duplicates share); the middle keeps the base's real text.
    """
    prefix = COPY_PREFIXES[n % len(COPY_PREFIXES)]
    suffix = COPY_SUFFIXES[(n // len(COPY_PREFIXES)) % len(COPY_SUFFIXES)]
    title = f"{prefix} {base.title}{suffix}"
    phrase = _title_phrase(base.title)
    middle = _sentences(base.abstract)
    middle = middle[1:-1] if len(middle) > 3 else middle
    opening = COPY_OPENINGS[n % len(COPY_OPENINGS)].format(t=phrase)
    closing = COPY_CLOSINGS[(n // 7) % len(COPY_CLOSINGS)].format(
        x=1 + (n * 37 % 97) / 10, k=2 + n % 9, t=_title_phrase(base.title, 4)
    )
    abstract = " ".join([opening, *middle, closing])
    authors = tuple(other.authors[1:2]) + tuple(third.authors[:1]) + base.authors[2:4]
    month = 1 + (n // 90000)
    return SourcePaper(
        id=f"27{month:02d}.{n % 90000 + 1:05d}",
        listed=base.listed,
        title=title,
        authors=authors or other.authors,
        category=base.category,
        comment=base.comment,
        abstract=abstract,
    )


def select_papers(
    corpus: Sequence[SourcePaper], size: int, seed: int = 7
) -> tuple[list[SourcePaper], int]:
    """``size`` distinct papers: a spread sample of the corpus, topped up with varied copies."""
    rng = random.Random(seed)
    if size <= len(corpus):
        chosen = sorted(rng.sample(range(len(corpus)), size))
        return [corpus[i] for i in chosen], 0
    papers = list(corpus)
    copies = size - len(corpus)
    for n in range(copies):
        base = corpus[n % len(corpus)]
        other = corpus[rng.randrange(len(corpus))]
        third = corpus[rng.randrange(len(corpus))]
        papers.append(_varied_copy(n, base, other, third))
    papers.sort(key=lambda p: p.listed)
    return papers, copies


def _header(paper: SourcePaper) -> str:
    year, month, day = paper.listed.split("-")
    code = "Code" if paper.has_code else ""
    return f"{paper.category}{MONTHS[int(month) - 1]} {int(day)}, {year}{code}"


def _short_authors(paper: SourcePaper) -> str:
    if len(paper.authors) > 3:
        return ", ".join(paper.authors[:3]) + " et al."
    return ", ".join(paper.authors)


def render_inline(papers: Sequence[SourcePaper]) -> str:
    out = []
    for p in papers:
        out.append(f"{_header(p)}\n{p.title}{_short_authors(p)}\n{p.abstract}\n")
    return "".join(out)


def render_blocks(papers: Sequence[SourcePaper]) -> str:
    blocks = [f"{_header(p)}\n{p.title}\n\n{_short_authors(p)}\n\n{p.abstract}" for p in papers]
    return f"{len(papers)} Papers\n\n" + "\n\n".join(blocks) + "\n"


def render_abstracts(papers: Sequence[SourcePaper]) -> str:
    out = []
    for i, p in enumerate(papers):
        out.append(f"Abstract:{p.abstract}\n")
        if i % 7 == 6:  # the seeds have runs of blank lines between groups
            out.append("\n" * (1 + i % 4))
    return "".join(out)


def render_arxiv(papers: Sequence[SourcePaper]) -> str:
    out = []
    for i, p in enumerate(papers):
        parts = [f"{p.title}\n{', '.join(p.authors)}\n\n{p.abstract}\n\n"]
        if p.comment:
            parts.append(f"{p.comment}\n\n")
        created = f"Created: {p.listed}"
        if i % 5 == 0:
            updated = date.fromisoformat(p.listed) + timedelta(days=1 + i % 9)
            created += f" Updated: {updated.isoformat()}"
        parts.append(f"arXiv:{p.id}\n{created}\n\n")
        out.append("".join(parts))
    return "".join(out)


RENDERERS = {
    "inline": render_inline,
    "blocks": render_blocks,
    "abstracts": render_abstracts,
    "arxiv": render_arxiv,
}


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _second_version(paper: SourcePaper, rng: random.Random) -> SourcePaper:
    """A relisting: usually identical, sometimes a revised abstract (last sentence dropped)."""
    if rng.random() < 0.1:
        sentences = _sentences(paper.abstract)
        if len(sentences) > 3:
            return SourcePaper(**{**asdict(paper), "abstract": " ".join(sentences[:-1])})
    return paper


def _chunks(items: Sequence[SourcePaper], size: int) -> Iterator[Sequence[SourcePaper]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def render_listings(papers: Sequence[SourcePaper], out_dir: Path, seed: int = 11) -> Manifest:
    """Write the listing files for ``papers`` into ``out_dir``; returns what was written."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    series: dict[str, list[SourcePaper]] = {}
    duplicates = 0
    for paper in papers:
        first = _pick(rng, PRIMARY_WEIGHTS)
        series.setdefault(first, []).append(paper)
        if rng.random() < DUPLICATE_SHARE:
            second = _pick(rng, SECOND_WEIGHTS)
            series.setdefault(f"{second}-relisted", []).append(_second_version(paper, rng))
            duplicates += 1
    manifest = Manifest(RENDER_VERSION, len(papers), 0, sum(map(len, series.values())), duplicates)
    for name in sorted(series):
        layout = name.split("-")[0]
        for number, chunk in enumerate(_chunks(series[name], ENTRIES_PER_FILE), start=1):
            path = out_dir / f"{name}-{number:04d}.txt"
            data = RENDERERS[layout](chunk).encode("utf-8")
            path.write_bytes(data)
            manifest.files.append(path.name)
            manifest.entries_by_file[path.name] = len(chunk)
            manifest.entries_by_layout[layout] = manifest.entries_by_layout.get(layout, 0) + len(
                chunk
            )
            manifest.bytes += len(data)
    return manifest


def render_size(corpus: Sequence[SourcePaper], size: int, out_dir: Path) -> Manifest:
    """Render ``size`` distinct papers into ``out_dir`` (reused if already rendered)."""
    manifest_path = out_dir / "manifest.json"
    if manifest_path.exists():
        cached = orjson.loads(manifest_path.read_bytes())
        if cached.get("version") == RENDER_VERSION and cached.get("papers") == size:
            return Manifest(**cached)
    listings = out_dir / "listings"
    if listings.exists():
        for old in listings.iterdir():
            old.unlink()
    papers, copies = select_papers(corpus, size)
    manifest = render_listings(papers, listings)
    manifest.copies = copies
    manifest_path.write_bytes(manifest.to_json())
    return manifest
