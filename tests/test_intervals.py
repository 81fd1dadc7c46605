"""Value intervals from hedges and rounding, and the compatibility test built on them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.intervals import (
    INF,
    Interval,
    Tolerances,
    compatible,
    mention_interval,
    stab_clusters,
    written_precision,
)

D = Decimal
TOL = Tolerances()


@pytest.mark.parametrize(
    ("quote", "value", "precision"),
    [
        ("5.1 million professional talents", "5100000", "100000"),
        ("510 Ten thousand people", "5100000", "10000"),
        ("11,230 State-level high-tech companies", "11230", "1"),
        ("11230", "11230", "1"),
        ("CNY4.99 billion", "4990000000", "10000000"),
        ("4.13%", "4.13", "0.01"),
        ("$130 million", "130000000", "1000000"),
        ("1.5 times", "1.5", "0.1"),
        ("Twelve full-time academicians", "12", "1"),
        ("hundreds of billions", "100000000000", "1"),
        ("top 1%of", "1", "1"),
        ("1.27 quadrillion calculations per second", "1270000000000000", "10000000000000"),
        # digits unrelated to the value by a power of ten: fall back to the value itself
        ("3 national “double innovation” demonstration bases", "3", "1"),
        ("half a percent", "0.5", "0.1"),
    ],
    ids=lambda x: str(x),
)
def test_written_precision(quote: str, value: str, precision: str) -> None:
    assert written_precision(quote, D(value)) == D(precision)


def iv(quote: str, value: str, qualifier: str = "=", tol: Tolerances = TOL) -> Interval:
    return mention_interval(quote, D(value), qualifier, tol)


def test_over_is_open_above() -> None:
    assert iv("5.1 million", "5100000", ">") == Interval(D(5100000), INF)
    assert iv("45", "45", "<=") == Interval(-INF, D(45))


def test_rounding_of_scaled_value() -> None:
    assert iv("5.1 million", "5100000") == Interval(D(5050000), D(5150000), high_open=True)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # issue 5's own example: 'over 5.1 million' ~ '510 Ten thousand'
        (("over 5.1 million", "5100000", ">"), ("510 Ten thousand people", "5100000", "="), True),
        (("over 5.1 million", "5100000", ">"), ("510 Ten thousand people", "5100000", ">"), True),
        # 'more than 90 billion' vs 'reached 90 billion'
        (("90 billion yuan", "90000000000", ">"), ("90 billion yuan", "90000000000", "="), True),
        (("58 colleges and universities", "58", "="), ("67 well -known universities", "67", "="), False),
        (("18,650", "18650", "="), ("11230", "11230", "="), False),
        (("2,243 scientists", "2243", "~"), ("2,300 scientists", "2300", "="), True),
        (("2,243 scientists", "2243", "~"), ("2,400 scientists", "2400", "="), False),
        (("2,243 scientists", "2243", "="), ("2,244 scientists", "2244", "="), False),
        (("500 projects", "500", "~<"), ("460 projects", "460", "="), True),
        (("500 projects", "500", "~<"), ("501 projects", "501", "="), False),
        (("5.1 million", "5100000", "="), ("5,140,000", "5140000", "="), True),
        (("5.1 million", "5100000", "="), ("5,200,000", "5200000", "="), False),
        (("over 5.1 million", "5100000", ">"), ("5,098,000", "5098000", "="), False),
        (("4.13%", "4.13", "="), ("4.1%", "4.1", "="), True),
        (("4.13%", "4.13", "="), ("4.2%", "4.2", "="), False),
        (("up to 45", "45", "<="), ("between 18", "18", ">="), True),
        (("under 10", "10", "<"), ("over 20", "20", ">"), False),
    ],
    ids=lambda x: f"{x[2]}{x[0]}" if isinstance(x, tuple) else str(x),
)
def test_compatible(a: tuple[str, str, str], b: tuple[str, str, str], expected: bool) -> None:
    assert compatible(iv(*a), iv(*b)) is expected
    assert compatible(iv(*b), iv(*a)) is expected


def test_tolerances_are_knobs() -> None:
    wide = Tolerances(about=D("0.10"))
    assert not compatible(iv("2,243", "2243", "~"), iv("2,450", "2450"))
    assert compatible(iv("2,243", "2243", "~", wide), iv("2,450", "2450"))
    capped = Tolerances(open_bound_ratio=D(2))
    assert compatible(iv("more than 10", "10", ">"), iv("500", "500"))
    assert not compatible(iv("more than 10", "10", ">", capped), iv("500", "500"))
    assert iv("under 10", "10", "<", capped) == Interval(D(5), D(10))


def test_unknown_qualifier_is_an_error() -> None:
    with pytest.raises(ValueError, match="qualifier"):
        iv("5", "5", "about")


def test_stab_clusters_chain_is_split() -> None:
    # ~100 overlaps ~106 and ~106 overlaps ~112, but one fact cannot be both 100 and 112
    items = [iv("100", "100", "~"), iv("106", "106", "~"), iv("112", "112", "~")]
    groups = stab_clusters(items, lambda i: i)
    assert len(groups) == 2
    assert sorted(len(g) for g in groups) == [1, 2]


intervals = st.builds(
    lambda lo, width, high_open: Interval(D(lo), D(lo) + D(width) + (1 if high_open else 0), high_open),
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=0, max_value=10),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(intervals, max_size=12), st.randoms(use_true_random=False))
def test_stab_clusters_properties(items: list[Interval], rnd: object) -> None:
    groups = stab_clusters(items, lambda i: i)

    def as_sets(gs: list[list[Interval]]) -> list[list[tuple[Decimal, Decimal, bool]]]:
        return sorted(sorted((i.low, i.high, i.high_open) for i in g) for g in gs)

    # a partition ...
    assert sorted(x for g in as_sets(groups) for x in g) == sorted((i.low, i.high, i.high_open) for i in items)
    # ... of groups sharing a common point ...
    for g in groups:
        common: Interval | None = g[0]
        for i in g[1:]:
            common = common.intersect(i) if common else None
        assert common is not None
    # ... that does not depend on input order
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert as_sets(stab_clusters(shuffled, lambda i: i)) == as_sets(groups)
