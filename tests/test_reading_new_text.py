"""Number-reading slips seen on articles the rules were not written for (issue 11, category 5).

Every text here is invented, of the shape seen on new articles: grouping, counted nouns, units carried
between numbers, hedges, page furniture. Rule-level cases live in the rule files' ``examples``; these
are the behaviours of the code around the rules (the finder's carries, the number reader, the hedges,
the to-do list).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from spacy.language import Language

from pipeline.extract import Extractor, default_extractor, extract_text
from pipeline.hedges import share_hedges
from pipeline.normalize import normalize_text
from pipeline.numbers import find_numerals
from pipeline.quantities import singular
from pipeline.types import Quantity
from pipeline.unclaimed import unclaimed_in, unreadable_spans


def _found(nlp: Language, text: str) -> list[tuple[str, Decimal, str, str]]:
    doc = nlp(text)
    return [(text[q.start : q.end], q.value, q.unit, q.qualifier) for q in doc._.quantities]


# -- the number reader


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("The zone employs 1,40,000 workers.", Decimal(140000)),
        ("Deposits reached 12,34,56,789 rupees.", Decimal(123456789)),
        ("a grant of 2,40,000.50 rupees", Decimal("240000.5")),
        ("It had 12,345 staff.", Decimal(12345)),
        ("It had 1,234,567 visitors.", Decimal(1234567)),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_indian_grouping_is_read(text: str, value: Decimal) -> None:
    assert [n.value for n in find_numerals(text)] == [value]


def test_a_grouping_nobody_writes_is_not_read() -> None:
    assert find_numerals("spending reached 4,51234.7 billion yuan") == []
    assert find_numerals("a code 1,40,00 here") == []


def test_unreadable_digits_are_spans_the_reader_did_not_touch() -> None:
    text = "spending reached 4,51234.7 billion yuan, up 4.5% from 1,40,000"
    read = [(n.start, n.end) for n in find_numerals(text)]
    assert [text[a:b] for a, b in unreadable_spans(text, read)] == ["4,51234.7"]


@pytest.mark.slow
def test_unreadable_digits_are_listed_in_the_to_do_list() -> None:
    raw = "Title\n\nSpending reached 4,51234.7 billion yuan last year. The zone employs 1,40,000 workers.\n"
    extractor: Extractor = default_extractor()
    ndoc = normalize_text(raw, "t")
    spans = [(m.start, m.end) for m in extract_text(raw, extractor=extractor)]
    rows = unclaimed_in(ndoc, raw, spans, extractor)
    assert [(r.quote, r.reason) for r in rows] == [("4,51234.7", "unreadable digits")]
    assert "1,40,000 workers" in [raw[a:b] for a, b in spans]


# -- counted nouns


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("TEUs", "TEU"),
        ("SMEs", "SME"),
        ("PhDs", "PhD"),
        ("SME", "SME"),
        ("universities", "university"),
        ("Firms", "firm"),
    ],
)
def test_singular_keeps_an_abbreviation_in_capitals(word: str, expected: str) -> None:
    assert singular(word) == expected


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "quote", "unit"),
    [
        ("The survey took 2,500 person-years of fieldwork.", "2,500 person-years", "person-year"),
        ("The park now hosts 320 start-ups.", "320 start-ups", "start-up"),
        ("The group has 14 spin-offs.", "14 spin-offs", "spin-off"),
        ("The port handled 31 million TEUs last year.", "31 million TEUs", "TEU"),
        ("It houses 40 high-tech firms.", "40 high-tech firms", "firm"),
        ("The road is 12 kilometers long.", "12 kilometers", "km"),
        ("It signed a 30-year lease.", "30-year", "year"),
    ],
)
def test_the_counted_noun_or_unit(nlp: Language, text: str, quote: str, unit: str) -> None:
    assert [(q, u) for q, _, u, _ in _found(nlp, text)] == [(quote, unit)]


# -- units carried between numbers


@pytest.mark.slow
def test_no_unit_is_carried_from_a_time_frame(nlp: Language) -> None:
    found = _found(nlp, "Exports tripled in four years to 2,700.")
    assert [(q, u) for q, _, u, _ in found] == [("four years", "year"), ("2,700", "")]


@pytest.mark.slow
def test_a_duration_that_is_the_subject_still_carries(nlp: Language) -> None:
    found = _found(nlp, "The term was cut from six years to four.")
    assert [(q, u) for q, _, u, _ in found] == [("six years", "year"), ("four", "year")]


@pytest.mark.slow
def test_bare_numbers_listed_before_a_unit_share_it(nlp: Language) -> None:
    found = _found(nlp, "The three shares were 5.5, 13.1 and 81.4 percent respectively.")
    assert [(q, u) for q, _, u, _ in found] == [("5.5", "percent"), ("13.1", "percent"), ("81.4 percent", "percent")]


@pytest.mark.slow
def test_a_comma_alone_lends_no_unit(nlp: Language) -> None:
    found = _found(nlp, "Of the 12, 40% were new.")
    assert [(q, u) for q, _, u, _ in found] == [("12", ""), ("40%", "percent")]


@pytest.mark.slow
def test_a_clause_with_its_own_number_of_does_not_borrow_the_parallel_unit(nlp: Language) -> None:
    text = "The number of clinics will reach 800, and the number of beds is expected to reach 9,000."
    assert [(q, u) for q, _, u, _ in _found(nlp, text)] == [("800", "clinic"), ("9,000", "bed")]


@pytest.mark.slow
def test_a_year_after_in_is_no_range_end(nlp: Language) -> None:
    text = "Revenue grew from 3.2 billion yuan in 2018 to 7.9 billion yuan in 2022."
    assert _found(nlp, text) == [
        ("3.2 billion yuan", Decimal(3200000000), "CNY", "="),
        ("7.9 billion yuan", Decimal(7900000000), "CNY", "="),
    ]


# -- hedges


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "quote", "qualifier"),
    [
        ("Output rose 6 percent to surpass 3.1 trillion yuan in 2019.", "3.1 trillion yuan", ">"),
        ("The count of firms surpassing 8,000 was a record.", "8,000", ">"),
        ("Exports broke through 50 billion dollars.", "50 billion dollars", ">"),
        ("Sales climbed to the 2 trillion yuan mark.", "2 trillion yuan", ">="),
        ("Output climbed to 2.6 trillion yuan step.", "2.6 trillion yuan", ">="),
        ("The valley hosts 12,000-plus firms.", "12,000-plus firms", ">"),
        ("It wrote a 3-step plan.", "3-step plan", "="),
    ],
)
def test_hedge_words(nlp: Language, text: str, quote: str, qualifier: str) -> None:
    assert (quote, qualifier) in [(q, h) for q, _, _, h in _found(nlp, text)]


@pytest.mark.slow
def test_a_restatement_in_brackets_shares_the_hedge(nlp: Language) -> None:
    text = "GDP topped 3.2 trillion yuan (450 billion U.S. dollars) in 2021."
    assert [(q, h) for q, _, _, h in _found(nlp, text)] == [
        ("3.2 trillion yuan", ">"),
        ("450 billion U.S. dollars", ">"),
    ]


@pytest.mark.slow
def test_coordinated_amounts_share_the_hedge(nlp: Language) -> None:
    text = "Spending exceeded 2 billion yuan in 2015 and 5 billion yuan in 2020, with 30 labs and 12 hubs."
    assert [(q, h) for q, _, _, h in _found(nlp, text)] == [
        ("2 billion yuan", ">"),
        ("5 billion yuan", ">"),
        ("30 labs", "="),
        ("12 hubs", "="),
    ]


def _q(start: int, end: int, unit: str, qualifier: str, kind: str = "money") -> Quantity:
    return Quantity(start, end, Decimal(1), unit, qualifier, kind, "test")


def test_share_hedges_needs_a_written_hedge_and_the_right_gap() -> None:
    text = "over 5 yuan (1 dollar) and 2 yuan; 3 yuan"
    first, bracket, coordinated = _q(5, 11, "CNY", ">"), _q(13, 21, "USD", "="), _q(27, 33, "CNY", "=")
    apart = _q(35, 41, "CNY", "=")
    assert [text[q.start : q.end] for q in (first, bracket, coordinated, apart)] == [
        "5 yuan",
        "1 dollar",
        "2 yuan",
        "3 yuan",
    ]
    shared = share_hedges(text, [first, bracket], [True, False])
    assert [q.qualifier for q in shared] == [">", ">"]
    # a hedge the rule fixed (a range end) is not lent
    assert [q.qualifier for q in share_hedges(text, [first, bracket], [False, False])] == [">", "="]
    # "and" after the bracketed amount: the same unit is needed (USD then CNY: no)
    shared = share_hedges(text, [first, bracket, coordinated, apart], [True, False, False, False])
    assert [q.qualifier for q in shared] == [">", ">", "=", "="]


# -- page furniture, glued sentences and Chinese typesetting


@pytest.mark.slow
def test_font_size_controls_and_glued_sentences() -> None:
    raw = "Zone report\nUpdated: 2021-03-12\nA A A\nThe zone has 40 labs.Its R&D intensity reached 4.5%.The end.\n"
    found = [(m.quote, m.unit) for m in extract_text(raw)]
    assert found == [("40 labs", "lab"), ("4.5%", "percent")]


@pytest.mark.slow
def test_full_width_digits_brackets_and_glued_commas() -> None:
    raw = "Output grew ６．２％，to 95 billion yuan（US$13 billion）。It has 4 labs,2 hubs.\n"
    found = [(m.quote, m.value, m.unit) for m in extract_text(raw)]
    assert found == [
        ("６．２％", Decimal("6.2"), "percent"),
        ("95 billion yuan", Decimal(95000000000), "CNY"),
        ("US$13 billion", Decimal(13000000000), "USD"),
        ("4 labs", Decimal(4), "lab"),
        ("2 hubs", Decimal(2), "hub"),
    ]


@pytest.mark.slow
def test_a_list_shares_the_scale_and_unit_of_the_number_that_closes_it() -> None:
    raw = "Spending on roads, ports and rail was 2.5, 4 and 7.25 billion yuan respectively.\n"
    found = [(m.quote, m.value, m.unit) for m in extract_text(raw)]
    assert found == [
        ("2.5", Decimal(2500000000), "CNY"),
        ("4", Decimal(4000000000), "CNY"),
        ("7.25 billion yuan", Decimal(7250000000), "CNY"),
    ]
