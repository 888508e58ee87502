"""Splitting run-together title+authors lines by structure, and judging author lists."""

from __future__ import annotations

import time

import pytest

from reader.sources.authors import (
    is_clean_author_list,
    is_person_name,
    parse_author_line,
    split_title_authors,
)


@pytest.mark.parametrize(
    ("line", "title", "first", "truncated"),
    [
        (
            "Step-DeepResearch Technical ReportChen Hu, Haikuo Du, Heng Wang et al.",
            "Step-DeepResearch Technical Report",
            "Chen Hu",
            True,
        ),
        (
            "Step-3 is Large yet Affordable: Model-system Co-design for Cost-effective "
            "DecodingStepFun, Bin Wang, Bojun Wang et al.",
            "Step-3 is Large yet Affordable: Model-system Co-design for Cost-effective Decoding",
            "StepFun",
            True,
        ),
        (
            "Predictable Scale: Part I, Step Law -- Optimal Hyperparameter Scaling Law in Large "
            "Language Model PretrainingHouyi Li, Wenzhen Zheng, Qiufeng Wang et al.",
            "Predictable Scale: Part I, Step Law -- Optimal Hyperparameter Scaling Law in Large "
            "Language Model Pretraining",
            "Houyi Li",
            True,
        ),
        (
            "Follow the TRACE: Exploiting Post-Click Trajectories for Online Delayed Conversion "
            "Rate PredictionXinyue Zhang, Yuanhao Ding, Xiang Ao",
            "Follow the TRACE: Exploiting Post-Click Trajectories for Online Delayed Conversion "
            "Rate Prediction",
            "Xinyue Zhang",
            False,
        ),
        (
            "STEP3-VL-10B Technical ReportAilin Huang, Chengyuan Yao, Chunrui Han et al.",
            "STEP3-VL-10B Technical Report",
            "Ailin Huang",
            True,
        ),
        (
            "Step-Audio 2 Technical ReportBoyong Wu, Chao Yan, Chen Hu et al.",
            "Step-Audio 2 Technical Report",
            "Boyong Wu",
            True,
        ),
        # Unseen shapes: a single author, accented names, particles, a title ending in ')'.
        ("A Study of Things (ASoT)Zoë Dupont", "A Study of Things (ASoT)", "Zoë Dupont", False),
        (
            "Graphs Are HardLudwig van Beethoven, Jean-Pierre O'Neil",
            "Graphs Are Hard",
            "Ludwig van Beethoven",
            False,
        ),
        # Surnames with an inner capital must not be cut in two (Le|Cun).
        (
            "Deep Learning ReviewYann LeCun, Yoshua Bengio, Geoffrey Hinton",
            "Deep Learning Review",
            "Yann LeCun",
            False,
        ),
        ("Scaling It UpMaria DeVries, Ian MacKay et al.", "Scaling It Up", "Maria DeVries", True),
        # A title ending in capitals: the split is before the name, not inside "ODEs".
        (
            "Learning Dynamics with Latent Neural ODEsYeeun Seong, Minjun Kim et al.",
            "Learning Dynamics with Latent Neural ODEs",
            "Yeeun Seong",
            True,
        ),
        ("Benchmarks for LLMsAnna Smith", "Benchmarks for LLMs", "Anna Smith", False),
    ],
)
def test_split_title_authors(line: str, title: str, first: str, truncated: bool) -> None:
    split = split_title_authors(line)
    assert split is not None
    got_title, authors = split
    assert got_title == title
    assert authors.authors[0] == first
    assert authors.truncated is truncated


def test_split_keeps_affiliations_after_dot() -> None:
    split = split_title_authors(
        "Uncertainty Sentence Sampling by Virtual Adversarial PerturbationHanshan Zhang, "
        "Zhen Zhang, Hongfei Jiang et al. · tsinghua"
    )
    assert split is not None
    assert split[0] == "Uncertainty Sentence Sampling by Virtual Adversarial Perturbation"
    assert split[1].authors == ("Hanshan Zhang", "Zhen Zhang", "Hongfei Jiang")
    assert split[1].truncated
    assert split[1].affiliations == ("tsinghua",)


@pytest.mark.parametrize(
    "line", ["", "no capitals here at all", "A Title With No Authors", "x" * 50_000]
)
def test_no_split(line: str) -> None:
    assert split_title_authors(line) is None


def test_split_is_linear_on_a_hostile_line() -> None:
    line = "aB, " * 4000 + "Title" * 2000
    start = time.perf_counter()
    split_title_authors(line[:19_000])
    assert time.perf_counter() - start < 1.0


def test_names() -> None:
    assert is_person_name("StepFun")
    assert is_person_name("Ka Man Li")
    assert is_person_name("Heung-Yeung Jiao")
    assert not is_person_name("Bojun :")
    assert not is_person_name("Bin StepFun")
    assert is_person_name("Yann LeCun")
    assert is_person_name("Ann McDonald")
    assert not is_person_name("Technical ReportChen Hu")
    assert not is_person_name("Agent 007")
    assert not is_person_name("one two three four five")


def test_garbled_list_is_not_clean() -> None:
    line = parse_author_line("Bin StepFun, Bojun :, Changyi Wang, Guanzhe Wang")
    assert not is_clean_author_list(line.authors)
    clean = parse_author_line("StepFun, Bin Wang, Bojun Wang et al.")
    assert clean.authors == ("StepFun", "Bin Wang", "Bojun Wang")
    assert clean.truncated
    assert is_clean_author_list(clean.authors)


@pytest.mark.parametrize(
    ("line", "authors", "truncated"),
    [
        ("Ann Lee, Bo Li, et al.", ("Ann Lee", "Bo Li"), True),
        ("Ann Lee,  \t et  al", ("Ann Lee",), True),
        ("Ann Lee ,et al.", ("Ann Lee",), True),
        ("Ann Lee ET AL.", ("Ann Lee",), True),
        ("et al.", (), True),
        ("Ann Lee,et al.  ", ("Ann Lee",), True),
        ("Ann Leeet al.", ("Ann Leeet al.",), False),  # `et` glued to a name: not `et al.`
        ("Ann Lee, Val", ("Ann Lee", "Val"), False),
        ("Ann Lee, Bo Lee  al.", ("Ann Lee", "Bo Lee  al."), False),
        # only the last 40 characters are searched (linear time): a stretched `et al` is kept
        ("Ann Lee, et" + " " * 50 + "al", ("Ann Lee", "et" + " " * 50 + "al"), False),
    ],
)
def test_et_al_found_by_its_spacing_and_commas(
    line: str, authors: tuple[str, ...], truncated: bool
) -> None:
    parsed = parse_author_line(line)
    assert (parsed.authors, parsed.truncated) == (authors, truncated)
