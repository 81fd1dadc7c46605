"""Attribution on text the rules were never written for: names found in the text, years bound to their
figures, measures from the owning phrase. Every sentence here is invented, of the shapes seen in
machine-translated news about Chinese technology hubs; none names a place listed in rules/entities.yml
unless the test is about that list.

Each case runs through the production path (``extract_text``: normalize, pre-filter, parse, attribution)
and checks the first mention whose quote is given.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.attribute import load_attribution_rules
from pipeline.attribution.names import DocNames
from pipeline.extract import extract_text
from pipeline.types import Mention

ROOT = Path(__file__).resolve().parents[1]
RULES = load_attribution_rules(ROOT / "rules")

pytestmark = pytest.mark.slow


def _mention(text: str, quote: str, published: str = "2023-06-01") -> Mention:
    found = [m for m in extract_text(text, published=published) if m.quote == quote]
    assert found, f"no mention {quote!r} in {[m.quote for m in extract_text(text, published=published)]}"
    return found[0]


# --- names: canonical forms, keys, types -------------------------------------------------------

FINDER = RULES.name_finder


@pytest.mark.parametrize(
    ("surface", "canonical"),
    [
        ("Xiamen hi tech Zone", "Xiamen Hi-tech Zone"),
        ("xiamen High -tech Zone", "Xiamen Hi-tech Zone"),
        ("the Xiamen high-tech Zone's", "Xiamen Hi-tech Zone"),
        ("Jiangxi Province", "Jiangxi Province"),
    ],
)
def test_canonical_name_unifies_case_spacing_and_spelling(surface: str, canonical: str) -> None:
    assert FINDER.canonical(surface) == canonical


def test_keys_drop_administrative_suffixes() -> None:
    assert FINDER.key("Jiangxi Province") == FINDER.key("Jiangxi") == "jiangxi"
    assert FINDER.key("Xiamen city") == FINDER.key("Xiamen")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Xiamen Torch Hi-tech Zone", "zone"),
        ("Zhangjiang Science Park", "park"),
        ("Fujian Provincial Bureau of Statistics", "authority"),
        ("Report on Regional Innovation", "document"),
        ("Lanzhou", "name"),
    ],
)
def test_type_comes_from_the_head_word(name: str, kind: str) -> None:
    assert FINDER.type_of(name) == kind


@pytest.mark.parametrize("example", RULES.cues.names.examples, ids=lambda e: e.text[:40])
def test_name_rule_example(example) -> None:  # type: ignore[no-untyped-def]
    assert [n.canonical for n in FINDER.find(example.text)] == example.expect


def test_a_name_known_by_another_name_is_one_entity() -> None:
    text = "Lanzhou New Area, also known as the Gansu Gateway, grew fast. The Gansu Gateway hosts 900 firms."
    names = DocNames.build(FINDER, text)
    assert {n.canonical for n in names.names if n.type != "document"} == {"Lanzhou New Area"}


def test_the_main_entity_weighs_title_and_lead() -> None:
    text = "Nanchang Hi-tech Zone posts record year\n\nNanchang Hi-tech Zone reported growth. Beijing praised it."
    names = DocNames.build(FINDER, text, "Nanchang Hi-tech Zone posts record year", 70)
    assert names.main is not None and names.main.canonical == "Nanchang Hi-tech Zone"


# --- entities -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quote", "entity"),
    [
        ("Lanzhou's software revenue rose 9 percent last year.", "9 percent", "Lanzhou"),
        (
            "The software revenue of the Xiamen Torch Hi-tech Zone reached 80 billion yuan.",
            "80 billion yuan",
            "Xiamen Torch Hi-tech Zone",
        ),
        (
            "Three cities led the province: Xiamen (310 billion yuan) and Fuzhou (280 billion yuan).",
            "280 billion yuan",
            "Fuzhou",
        ),
        ("Kunming's output ranked first in Yunnan, reaching 120 billion yuan.", "120 billion yuan", "Kunming"),
        (
            "Guiyang Hi-tech Zone held a meeting. The zone's exports grew 14 percent.",
            "14 percent",
            "Guiyang Hi-tech Zone",
        ),
        (
            "According to the Hunan Provincial Bureau of Statistics, the province's output grew 4.5 percent.",
            "4.5 percent",
            "Hunan",
        ),
    ],
    ids=lambda v: str(v)[:30],
)
def test_entity_is_read_from_the_text(text: str, quote: str, entity: str) -> None:
    assert _mention(text, quote).entity == entity


def test_a_comparison_scope_is_not_the_entity() -> None:
    got = _mention("Taiyuan Science Park ranks first in China with 2,300 startups.", "2,300 startups")
    assert got.entity == "Taiyuan Science Park"


# --- years --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quote", "year", "source"),
    [
        ("Its exports reached 2 billion yuan in 2017 and 5 billion yuan in 2021.", "2 billion yuan", 2017, "explicit"),
        ("Its exports reached 2 billion yuan in 2017 and 5 billion yuan in 2021.", "5 billion yuan", 2021, "explicit"),
        ("Revenue rose 12 percent over 2020 to 8 billion yuan.", "8 billion yuan", 2023, "published"),
        ("The park's output grew 6 percent last year.", "6 percent", 2022, "relative"),
        ("The park now has 420 incubators.", "420 incubators", 2023, "published"),
        ("By 2027 the park will host 900 research teams.", "900 research teams", 2027, "explicit"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_year_is_the_figure_own(text: str, quote: str, year: int, source: str) -> None:
    got = _mention(text, quote)
    assert (got.year, got.year_source) == (year, source)


def test_a_lead_year_governs_later_paragraphs_of_past_statements() -> None:
    text = (
        "In 2021, the zone's output reached 90 billion yuan.\n\n"
        "Exports also grew by 8 percent.\n\n"
        "The zone is home to 300 laboratories."
    )
    assert _mention(text, "8 percent").year == 2021
    assert (_mention(text, "300 laboratories").year, _mention(text, "300 laboratories").year_source) == (
        2023,
        "published",
    )


def test_a_founding_year_is_not_the_year_of_what_follows() -> None:
    text = "The academy was founded in 2009. It has 1,500 researchers."
    assert _mention(text, "1,500 researchers").year == 2023


def test_publication_date_from_a_bare_date_line_and_the_file_name() -> None:
    from pipeline.normalize import normalize_text

    dated = normalize_text("Title of it\n\n2020-04-03 10:11\n\nThe park has 5 labs.\n", "x")
    assert (dated.published, dated.published_source) == ("2020-04-03", "stated")
    named = normalize_text("The park has 5 labs.\n", "412_example_2019_park")
    assert (named.published, named.published_source) == ("2019", "file name")


# --- measures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quote", "measure"),
    [
        (
            "Enterprises' R&D spending in the province reached 40 billion yuan.",
            "40 billion yuan",
            "enterprise R&D expenditure",
        ),
        ("Total spending on research and development hit 55 billion yuan.", "55 billion yuan", "R&D expenditure"),
        ("The region's regional GDP stood at 300 billion yuan.", "300 billion yuan", "GDP"),
        ("Its exports grew 7.1 percent at constant prices.", "7.1 percent", "export at constant prices"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_measure_from_the_owning_phrase(text: str, quote: str, measure: str) -> None:
    assert _mention(text, quote).measure == measure


def test_respectively_gives_each_figure_its_item() -> None:
    text = "Exports of phones, tablets and chips rose 3 percent, 5 percent and 9 percent respectively."
    measures = [m.measure for m in extract_text(text, published="2023-01-01") if m.kind == "percent"]
    assert [m.split()[0] for m in measures] == ["phone", "tablet", "chip"]
