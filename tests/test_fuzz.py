"""Fuzzing ``extract_text`` (issue 13): random text made of what numbers are made of never breaks it.

Texts mix random Unicode with digits, separators, fractions, exponents, scale words, currency signs and
hedges. For each: no exception, no more than a second, and every mention's quote is exactly
``text[start:end]``. 2,000 examples, derandomized (the same examples on every run, no database written).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract import Extractor, default_extractor, extract_text

pytestmark = pytest.mark.slow

PIECES = [
    *"0123456789",
    "12",
    "305",
    "4,096",
    "1 200 000",
    "7.25",
    ".5",
    "00",
    "9" * 30,
    ",",
    ".",
    " ",
    "  ",
    "\u00a0",
    "\u2009",
    "\n",
    "/",
    "1/2",
    "3 9/0",
    "0/0",
    "½",
    "¾",
    "-",
    "−",
    "–",
    "+",
    "^",
    "e",
    "E",
    "e309",
    "e-5",
    "×10^",
    "x10",
    "%",
    " per cent",
    " percent",
    "$",
    "US$",
    "¥",
    "€",
    "£",
    "CNY",
    "RMB",
    "HK$",
    " yuan",
    " dollars",
    " million",
    " billion",
    " bn",
    "m",
    "k",
    "K",
    " Ten thousand",
    " hundred million",
    " times",
    " people",
    " km2",
    " square meters",
    " of",
    " and",
    " to",
    " between",
    " about ",
    " over ",
    " nearly ",
    " at least ",
    "one",
    " twenty-five",
    " a dozen",
    " half",
    "(",
    ")",
    '"',
    "'",
    "The ",
    " in 2021",
    ";",
]

texts = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=3)),
    max_size=16,
).map("".join)


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return default_extractor()


@settings(
    max_examples=2000,
    deadline=timedelta(seconds=1),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts)
def test_extract_text_never_raises_and_quotes_are_exact(extractor: Extractor, text: str) -> None:
    for mention in extract_text(text, extractor=extractor):
        assert text[mention.start : mention.end] == mention.quote
        assert mention.value.is_finite()
