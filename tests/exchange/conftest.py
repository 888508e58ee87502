"""Shared samples for the import/export tests: recorded files and papers with nasty text."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.models import EMPTY_STATE, Paper, PaperState

DATA = Path(__file__).parent / "data"

#: Untrusted text that breaks naive writers of every format we export.
NASTY = (
    "He said \"hi\", then 'bye'; {braces} } unbalanced { & 100% $5 #1 a_b ~x ^y "
    "back\\slash \\textbf{no} @misc{evil, <b>bold</b> [link](javascript:alert(1)) *em* "
    "`code` ``quoted'' | pipe,\nnew line\r\n\ttab é 中文 😀 \u2028sep =SUM(A1)"
)


@pytest.fixture
def papers() -> list[Paper]:
    """Four papers: a full arXiv one, a nasty one, a key clash with the first, a bare one."""
    return [
        Paper(
            key="k-step3",
            aliases=("arxiv:2507.19427",),
            title="Step-3 is Large yet Affordable: Model-system Co-design for Cost-effective Decoding",
            authors=("StepFun", "Bin Wang", "Jörg Müller"),
            authors_truncated=True,
            category="cs.LG",
            date="2025-07-25",
            updated="2025-07-28",
            arxiv_id="2507.19427",
            has_code=True,
            urls=("https://github.com/stepfun-ai/Step3",),
            comments=("20 pages, 12 figures",),
            abstract="Decoding is 10$\\times$ cheaper; error 0.094\\% of the optimum.",
            abstract_versions=(
                "Decoding is 10$\\times$ cheaper; error 0.094\\% of the optimum.",
                "Decoding is cheaper.",
            ),
        ),
        Paper(
            key="k-nasty",
            title=NASTY,
            authors=("Conan O'Brien", "Barnes and Noble", "Szemer\\'edi, Endre"),
            category="hep-th",
            date="1999-01-02",
            arxiv_id="hep-th/9901001",
            doi="10.1016/S0550-3213(99)00123-4",
            urls=("javascript:alert(1)",),
            comments=(NASTY,),
            abstract=NASTY,
            abstract_versions=(NASTY,),
        ),
        Paper(
            key="k-step3-again",
            title="Step-3 Revisited: Same Author, Same Year, Same First Word",
            authors=("StepFun",),
            date="2025-12-01",
            doi="10.5555/step3.again",
            abstract="A second paper whose citation key would clash with the first.",
            abstract_versions=("A second paper whose citation key would clash with the first.",),
        ),
        Paper(
            key="k-bare",
            title="Bare",
            abstract="Only a title and an abstract.",
            abstract_versions=("Only a title and an abstract.",),
        ),
    ]


@pytest.fixture
def states() -> dict[str, PaperState]:
    return {
        "k-step3": PaperState(
            read=True,
            starred=True,
            note="Read §3 first.\nThen 100% & more.",
            tags=("to-read", "a_b"),
        ),
        "k-nasty": PaperState(starred=True, note=NASTY, tags=("x{y}", "50%")),
    }


@pytest.fixture
def state_of(states: dict[str, PaperState]):
    return lambda paper: states.get(paper.key, EMPTY_STATE)
