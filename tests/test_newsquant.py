"""The NewsQuant benchmark script's fixed split and its general unit mapping (no benchmark data here:
the figures come from ``python -m benchmarks.newsquant``, recorded in benchmarks/README.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from benchmarks.newsquant import Conventions, counted_phrase, half_of
from pipeline.types import Quantity


@pytest.mark.parametrize(("sentence_id", "half"), [("nq-0000", "dev"), ("nq-0001", "test"), ("nq-0588", "dev")])
def test_split_is_by_id_parity(sentence_id: str, half: str) -> None:
    assert half_of(sentence_id) == half


def test_codes_and_symbols_take_the_first_name_units_yml_gives() -> None:
    conventions = Conventions({"CNY": "yuan", "km2": "square kilometer"}, {})
    assert conventions.name("CNY") == "yuan"
    assert conventions.name("CNY per km2") == "yuan per square kilometer"
    assert conventions.name("widget") == "widget"


def _count(text: str, number: str, phrase: str, unit: str) -> Quantity:
    n, p = text.index(number), text.index(phrase)
    return Quantity(
        n, p + len(phrase), Decimal(1), unit, "=", "count", "count.noun", n, n + len(number), p, p + len(phrase)
    )


@pytest.mark.parametrize(
    ("text", "number", "phrase", "unit", "expected"),
    [
        ("It sells 50 different products.", "50", "different products", "product", "different product"),
        ("Labs found 30 viruses.", "30", "viruses", "virus", "virus"),
        ("Some 40 people came.", "40", "people", "person", "people"),
    ],
)
def test_counted_phrase_as_written_with_our_singular_only_for_a_suffix(
    text: str, number: str, phrase: str, unit: str, expected: str
) -> None:
    conventions = Conventions({}, {"people": "person"})
    assert counted_phrase(_count(text, number, phrase, unit), text, unit, conventions) == expected
