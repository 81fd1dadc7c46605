"""Outside checks: test cases written by Recognizers-Text, Duckling and quantulum3 (vendored in
tests/data/peer_specs, licences beside them) run through our public API, ``extract_text``.

Three rates per file, scored by :mod:`benchmarks.peerspecs` (the rule of ``../shared/peer_specs/score.py``;
the last test checks both give the same verdicts when that file is present):

- value: records whose every expected number is among our values;
- unit: records with an expected unit whose numbers all come with that unit;
- negatives: records that expect nothing, and get nothing.

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
    FileScore,
    Prediction,
    our_quantities,
    read_records,
    score_predicted,
    score_record,
    spec_files,
)

DATA = Path(__file__).parent / "data" / "peer_specs"

#: file -> floors (value, unit, negatives), in percent; None where the file has no such record
FLOORS: dict[str, tuple[float, float | None, float | None]] = {
    "duckling/amount_of_money": (90.0, 67.0, 100.0),
    "duckling/distance": (90.0, 80.0, None),
    "duckling/numeral": (89.0, None, None),
    "duckling/quantity": (79.0, 70.0, None),
    "quantulum3/quantities": (84.0, 61.0, 87.0),
    "recognizers_text/currency_model": (95.0, 81.0, 28.0),
    "recognizers_text/dimension_model": (98.0, 78.0, 82.0),
    "recognizers_text/number_model": (88.0, None, 70.0),
    "recognizers_text/percent_model": (100.0, 73.0, 100.0),
}
#: all nine files together (value, unit, negatives): measured 90.2% (762/845), 72.9% (376/516), 73.1% (38/52)
OVERALL_FLOORS = (90.0, 72.0, 73.0)

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
    return {name: score_predicted(pairs) for name, pairs in predicted.items()}


def _check(name: str, score: FileScore, floors: tuple[float, float | None, float | None]) -> list[str]:
    problems = []
    rates = (score.value, score.unit, score.negatives)
    for label, rate, floor in zip(("value", "unit", "negatives"), rates, floors, strict=True):
        if floor is None:
            assert rate.total == 0, f"{name}: {label} has records now; record a floor"
            continue
        pct = rate.percent
        if pct is None or pct < floor:
            problems.append(f"{name} {label}: {rate} < floor {floor}%")
    return problems


def test_every_vendored_file_has_floors(scores: dict[str, FileScore]) -> None:
    assert sorted(scores) == sorted(FLOORS)


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
