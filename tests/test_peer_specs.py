"""Outside checks: test cases written by Recognizers-Text, Duckling and quantulum3 (vendored in
tests/data/peer_specs, licences beside them) run through our public API, ``extract_text``.

Four rates per file, scored by :mod:`benchmarks.peerspecs` (the first three by the rule of
``../shared/peer_specs/score.py``; the last test checks both give the same verdicts when that file is
present):

- value: records whose every expected number is among our values;
- unit: records with an expected unit whose numbers all come with that unit;
- negatives: records that expect nothing, and get nothing;
- negatives of the suite's type: records that expect nothing, and get nothing of the one type their suite
  scores (no amount of money for a currency model: ``All 70 of us`` is no lek), as the suites mean them.

Each rate must stay at or above the floor recorded here: our measured rate, rounded down. quantulum3's
rates beside them were measured with ``python -m benchmarks.peerspecs --system quantulum3`` (quantulum3
0.10.0, the ``bench`` extra); the figures are in benchmarks/README.md.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from benchmarks.peerspecs import (
    SUITE_TYPES,
    FileScore,
    Prediction,
    our_quantities,
    read_records,
    score_predicted,
    score_record,
    spec_files,
    typed_negative_ok,
)

DATA = Path(__file__).parent / "data" / "peer_specs"

Floors = tuple[float, float | None, float | None, float | None]

#: file -> floors (value, unit, negatives, negatives of the suite's type), in percent; None where the file
#: has no such record
FLOORS: dict[str, Floors] = {
    "duckling/amount_of_money": (91.0, 81.0, 100.0, 100.0),
    "duckling/distance": (90.0, 88.0, None, None),
    "duckling/numeral": (89.0, None, None, None),
    "duckling/quantity": (79.0, 70.0, None, None),
    "quantulum3/quantities": (86.0, 70.0, 87.0, 87.0),
    "recognizers_text/currency_model": (95.0, 86.0, 28.0, 100.0),
    "recognizers_text/dimension_model": (98.0, 82.0, 82.0, 100.0),
    "recognizers_text/number_model": (88.0, None, 70.0, 100.0),
    "recognizers_text/percent_model": (100.0, 73.0, 100.0, 100.0),
}
#: all nine files together (value, unit, negatives, negatives of the suite's type): measured 90.4% (764/845),
#: 80.4% (415/516), 73.1% (38/52), 98.1% (51/52)
OVERALL_FLOORS: Floors = (90.0, 80.0, 73.0, 98.0)

pytestmark = pytest.mark.slow


Predicted = dict[str, list[tuple[dict[str, Any], list[Prediction]]]]


@pytest.fixture(scope="module")
def predicted() -> Predicted:
    """Every vendored record with what ``extract_text`` makes of its input, per file."""
    return {
        name: [(record, our_quantities(record["input"])) for record in read_records(DATA / f"{name}.jsonl")]
        for name in spec_files(DATA)
    }


@pytest.fixture(scope="module")
def scores(predicted: Predicted) -> dict[str, FileScore]:
    return {name: score_predicted(pairs, SUITE_TYPES[name]) for name, pairs in predicted.items()}


def _check(name: str, score: FileScore, floors: Floors) -> list[str]:
    problems = []
    for (label, rate), floor in zip(score.rates().items(), floors, strict=True):
        if floor is None:
            assert rate.total == 0, f"{name}: {label} has records now; record a floor"
            continue
        pct = rate.percent
        if pct is None or pct < floor:
            problems.append(f"{name} {label}: {rate} < floor {floor}%")
    return problems


def test_every_vendored_file_has_floors(scores: dict[str, FileScore]) -> None:
    assert sorted(scores) == sorted(FLOORS) == sorted(SUITE_TYPES)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_rates_stay_above_floors(scores: dict[str, FileScore], name: str) -> None:
    assert not _check(name, scores[name], FLOORS[name])


def test_overall_rates_stay_above_floors(scores: dict[str, FileScore]) -> None:
    total = FileScore()
    for score in scores.values():
        total.merge(score)
    assert not _check("all files", total, OVERALL_FLOORS)


def test_data_is_vendored_with_licences() -> None:
    assert (DATA / "README.md").exists()
    assert sorted(p.name for p in (DATA / "LICENSES").iterdir())


FIVE_KM = {"value": 5, "unit": "Kilometre", "type": "distance"}
TEN_POUNDS = {"value": 10, "unit": "Pound", "type": "amount-of-money"}


@pytest.mark.parametrize(
    ("expected", "predicted", "verdict"),
    [
        ([], [], ("neg", True, None)),
        ([], [{"value": 3}], ("neg", False, None)),
        ([FIVE_KM], [{"value": 5.0, "unit": "kilometre"}], ("pos", True, True)),
        ([FIVE_KM], [{"value": 5.0, "unit": "mile"}], ("pos", True, False)),
        ([TEN_POUNDS], [{"value": 10, "unit": "GBP"}], ("pos", True, True)),
        ([{"value": None, "min": 3, "max": 5, "unit": None, "type": "numeral"}], [{"value": 4, "min": 3, "max": 5}],
         ("pos", True, None)),
        ([{"value": 7, "unit": "dimensionless", "type": "quantity"}], [{"value": 7.0}], ("pos", True, None)),
        ([{"value": None, "unit": "Dollar", "type": "amount-of-money"}], [], ("unscored", False, None)),
    ],
    ids=["negative kept empty", "negative broken", "unit right", "unit wrong", "pound is money here", "range ends",
         "dimensionless", "no number"],
)  # fmt: skip
def test_scoring_rule(expected: list[dict[str, object]], predicted: list[dict[str, object]], verdict: tuple) -> None:  # type: ignore[type-arg]
    got = score_record(expected, predicted)
    assert (got.kind, got.ok, got.unit_ok) == verdict


@pytest.mark.parametrize(
    ("predicted", "suite_type", "ok"),
    [
        ([], "money", True),
        ([{"value": 70.0, "unit": "", "kind": "count"}], "money", True),  # "All 70 of us": no lek
        ([{"value": 70.0, "unit": "ALL", "kind": "money"}], "money", False),
        ([{"value": 180.0, "unit": "millilitre", "kind": "other"}], "number", True),  # "the 180ml liquid"
        ([{"value": 5.0, "unit": "solution", "kind": "count"}], "number", False),
        ([{"value": 2.0}], "dimension", True),  # no kind: a plain number
        ([{"value": 2.0, "unit": "inch", "kind": "other"}], "dimension", False),  # "for 2 in april"
        ([{"value": 23.0, "unit": "JPY", "kind": "money"}], None, False),  # a suite of every type
    ],
    ids=["nothing", "a count is no amount", "an amount", "a volume is no plain number", "a count is a number",
         "no kind", "a length", "every type"],
)  # fmt: skip
def test_negatives_of_the_suites_type(predicted: list[dict[str, object]], suite_type: str | None, ok: bool) -> None:
    assert typed_negative_ok(predicted, suite_type) is ok


def test_same_verdicts_as_the_shared_scorer(pytestconfig: pytest.Config, predicted: Predicted) -> None:
    """Our scorer against ``../shared/peer_specs/score.py`` on every vendored record, when it is there."""
    path = pytestconfig.rootpath.parent / "shared" / "peer_specs" / "score.py"
    if not path.exists():
        pytest.skip(f"{path} not found (a clone without the project's shared folder): nothing to compare with")
    spec = importlib.util.spec_from_file_location("shared_peer_score", path)
    assert spec is not None and spec.loader is not None
    shared = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shared)
    differ = []
    for pairs in predicted.values():
        for record, found in pairs:
            theirs = shared.score_record(record, found)
            ours = score_record(record["expected"], found)
            if (ours.kind, ours.ok, ours.unit_ok) != (theirs["kind"], theirs.get("ok", False), theirs.get("unit_ok")):
                differ.append(record["id"])
    assert not differ, differ
