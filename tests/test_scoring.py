"""Mention scoring against gold: span matching, the strict F1 scores, field accuracies, skipped documents."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.scoring import (
    GoldError,
    field_equal,
    locate_gold,
    match_document,
    parse_predictions,
    score_mentions,
)

GOLD_DIR = Path("tests/gold")
SEEDS = Path("tests/data/seeds")  # fixed copies of the founding articles, never seeds/

RAW = {
    "a": "Shenzhen now has 18,650 national high-tech enterprises and 12 labs. It has 12 labs again.",
    "b": "The park gathered 67 well-known universities over 10 years.",
}


def gold_row(
    doc: str,
    quote: str,
    value: str,
    unit: str,
    *,
    occurrence: int = 1,
    required: str = "1",
    entity: str = "Shenzhen",
    year: str = "2021",
    qualifier: str = "=",
    kind: str = "count",
) -> dict[str, str]:
    return {
        "doc": doc,
        "quote": quote,
        "occurrence": str(occurrence),
        "value": value,
        "unit": unit,
        "measure": "",
        "entity": entity,
        "year": year,
        "qualifier": qualifier,
        "kind": kind,
        "required": required,
        "note": "",
    }


def pred(
    doc: str,
    quote: str,
    value: str,
    unit: str,
    *,
    occurrence: int = 1,
    entity: str = "Shenzhen",
    year: str = "2021",
    qualifier: str = "=",
    kind: str = "count",
    shift: tuple[int, int] = (0, 0),
) -> dict[str, str]:
    """A predicted mention at the ``occurrence``-th place of ``quote``, its span optionally shifted."""
    start = -1
    for _ in range(occurrence):
        start = RAW[doc].index(quote, start + 1)
    return {
        "doc": doc,
        "start": str(start + shift[0]),
        "end": str(start + len(quote) + shift[1]),
        "quote": quote,
        "value": value,
        "unit": unit,
        "qualifier": qualifier,
        "kind": kind,
        "entity": entity,
        "year": year,
    }


GOLD = [
    gold_row("a", "18,650 national high-tech enterprises", "18650", "enterprise"),
    gold_row("a", "12 labs", "12", "lab"),
    gold_row("a", "12 labs", "12", "lab", occurrence=2),
    gold_row(
        "b", "67 well-known universities", "67", "university", entity="Shenzhen Virtual University Park", year="2022"
    ),
    gold_row("b", "10 years", "10", "year", required="0", kind="duration"),
]


def perfect() -> list[dict[str, str]]:
    return [
        pred("a", "18,650 national high-tech enterprises", "18650", "enterprise"),
        pred("a", "12 labs", "12", "lab"),
        pred("a", "12 labs", "12", "lab", occurrence=2),
        pred(
            "b",
            "67 well-known universities",
            "67",
            "university",
            entity="Shenzhen Virtual University Park",
            year="2022",
        ),
    ]


def test_gold_occurrence_picks_the_nth_match() -> None:
    located = locate_gold(GOLD, RAW)
    first, second = located[1], located[2]
    assert RAW["a"][first.start : first.end] == "12 labs"
    assert second.start > first.start and RAW["a"][second.start : second.end] == "12 labs"


@pytest.mark.parametrize(
    "row",
    [gold_row("a", "13 labs", "13", "lab"), gold_row("a", "12 labs", "12", "lab", occurrence=3)],
    ids=["absent quote", "occurrence too high"],
)
def test_unlocatable_gold_stops_the_evaluation(row: dict[str, str]) -> None:
    with pytest.raises(GoldError, match="a: quote"):
        locate_gold([row], RAW)


def test_perfect_predictions_score_one() -> None:
    scores = score_mentions(perfect(), GOLD, RAW)
    for block in ("detection", "value", "value_unit", "tuple"):
        assert scores[block] == {"tp": 4, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert scores["accuracy"] == {name: 1.0 for name in ("value", "unit", "qualifier", "kind", "entity", "year")}
    assert scores["counts"]["gold_optional"] == 1  # type: ignore[index]


def test_miss_and_false_positive_counted() -> None:
    predictions = perfect()[:-1] + [pred("b", "gathered", "1", "x")]
    det = score_mentions(predictions, GOLD, RAW)["detection"]
    assert det == {"tp": 3, "fp": 1, "fn": 1, "precision": 0.75, "recall": 0.75, "f1": 0.75}


def test_optional_gold_is_neither_hit_nor_miss() -> None:
    with_optional = perfect() + [pred("b", "10 years", "10", "year")]
    scores = score_mentions(with_optional, GOLD, RAW)
    assert scores["detection"]["fp"] == 0 and scores["detection"]["tp"] == 4  # type: ignore[index]
    assert scores["counts"]["predictions_ignored_optional"] == 1  # type: ignore[index]
    # and missing it costs nothing
    assert score_mentions(perfect(), GOLD, RAW)["detection"]["fn"] == 0  # type: ignore[index]


def test_partial_overlap_matches_and_matching_is_one_to_one() -> None:
    # "18,650" alone overlaps the gold quote: a match; a second prediction on the same gold row is false
    predictions = perfect()[1:] + [
        pred("a", "18,650", "18650", "enterprise"),
        pred("a", "national high-tech enterprises", "1", "enterprise"),
    ]
    det = score_mentions(predictions, GOLD, RAW)["detection"]
    assert (det["tp"], det["fp"], det["fn"]) == (4, 1, 0)  # type: ignore[index]


def test_one_prediction_spanning_two_gold_rows_counts_once() -> None:
    raw = {"c": "5 labs and 6 parks"}
    gold = [gold_row("c", "5 labs", "5", "lab"), gold_row("c", "6 parks", "6", "park")]
    predictions = [{"doc": "c", "start": "0", "end": "18", "quote": raw["c"], "value": "5", "unit": "lab"}]
    det = score_mentions(predictions, gold, raw)["detection"]
    assert (det["tp"], det["fp"], det["fn"]) == (1, 0, 1)  # type: ignore[index]


def test_maximum_matching_reassigns_instead_of_losing_a_gold_row() -> None:
    # the wide prediction prefers gold 1 (larger overlap) but only it can reach gold 2: both must be matched
    raw = {"c": "aaaa bbbb"}
    gold = [gold_row("c", "aaaa", "1", "a"), gold_row("c", "bbbb", "2", "b")]
    wide = {"doc": "c", "start": "0", "end": "6", "quote": "aaaa b"}
    narrow = {"doc": "c", "start": "1", "end": "3", "quote": "aa"}
    match = match_document(parse_predictions([wide, narrow]), locate_gold(gold, raw))
    assert len(match.pairs) == 2 and not match.missed and not match.false


def test_required_row_wins_over_optional_row() -> None:
    raw = {"c": "aged between 18 and 45"}
    gold = [gold_row("c", "between 18", "18", "year", required="0"), gold_row("c", "18 and 45", "45", "year")]
    one = {"doc": "c", "start": "13", "end": "15", "quote": "18"}
    match = match_document(parse_predictions([one]), locate_gold(gold, raw))
    assert [g.required for _, g in match.pairs] == [True] and not match.missed


def test_documents_without_gold_are_skipped() -> None:
    raw = dict(RAW, z="Nothing annotated here: 99 balloons.")
    extra = {"doc": "z", "start": "24", "end": "35", "quote": "99 balloons", "value": "99", "unit": "balloon"}
    scores = score_mentions(perfect() + [extra], GOLD, raw)
    assert scores["detection"]["fp"] == 0  # type: ignore[index]
    assert scores["counts"]["predictions_skipped_no_gold"] == 1  # type: ignore[index]


def test_wrong_field_is_a_false_positive_and_a_miss_in_strict_f1() -> None:
    predictions = perfect()
    predictions[0] = dict(predictions[0], value="18000")  # wrong value
    predictions[1] = dict(predictions[1], unit="laboratory")  # wrong unit
    predictions[3] = dict(predictions[3], entity="Shenzhen")  # containment is not enough
    scores = score_mentions(predictions, GOLD, RAW)
    assert scores["detection"]["f1"] == 1.0  # type: ignore[index]
    assert scores["value"] == {"tp": 3, "fp": 1, "fn": 1, "precision": 0.75, "recall": 0.75, "f1": 0.75}
    assert scores["value_unit"]["tp"] == 2  # type: ignore[index]
    assert scores["tuple"]["tp"] == 1 and scores["tuple"]["fp"] == 3  # type: ignore[index]
    accuracy = scores["accuracy"]
    assert accuracy["value"] == 0.75 and accuracy["unit"] == 0.75 and accuracy["entity"] == 0.75  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "predicted", "gold", "equal"),
    [
        ("value", "5.1E+6", "5100000", True),
        ("value", "42.70", "42.7", True),
        ("value", "", "0", False),
        ("unit", " CNY ", "cny", True),
        ("unit", "patent  application", "patent application", True),
        ("entity", "Shenzhen", "Shenzhen Virtual University Park", False),
        ("entity", "shenzhen", "Shenzhen", False),
        ("year", "2017.0", "2017", True),
        ("year", "", "", True),
        ("year", "", "2017", False),
        ("qualifier", ">", ">=", False),
    ],
)
def test_field_equal(name: str, predicted: str, gold: str, equal: bool) -> None:
    assert field_equal(name, {name: predicted}, {name: gold}) is equal


def test_gold_file_scores_perfectly_against_itself() -> None:
    """The committed gold locates in the committed seeds, and gold-as-prediction scores exactly 1."""
    with (GOLD_DIR / "seeds_gold.csv").open(encoding="utf-8", newline="") as handle:
        gold = list(csv.DictReader(handle))
    raw = {p.stem: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    located = locate_gold(gold, raw)
    assert len(located) == len(gold)
    predictions = [dict(g.row, start=str(g.start), end=str(g.end)) for g in located]
    scores = score_mentions(predictions, gold, raw)
    assert scores["tuple"]["f1"] == 1.0  # type: ignore[index]
    assert scores["counts"]["gold_required"] == sum(1 for g in gold if g["required"] == "1")  # type: ignore[index]
