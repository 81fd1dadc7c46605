"""pipeline.numbers: pure value normalization (no spaCy)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.numbers import find_numerals, is_year_like, parse_number, parse_ordinal, plural_forms


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2,243", "2243"),
        ("11230", "11230"),
        ("4.13", "4.13"),
        (".001", "0.001"),
        ("-5", "-5"),
        ("minus 130", "-130"),
        ("Twelve", "12"),
        ("one hundred and twenty-three", "123"),
        ("twenty five", "25"),
        ("a dozen", "12"),
        ("two dozen", "24"),
        ("3 dozens", "36"),
        ("a couple", "2"),
        ("4.99 billion", "4990000000"),
        ("3.6bn", "3600000000"),
        ("5 mn", "5000000"),
        ("1.27 quadrillion", "1270000000000000"),
        ("510 Ten thousand", "5100000"),
        ("102.8 thousand", "102800"),
        ("100 million", "100000000"),
        ("two million three hundred thousand", "2300000"),
        ("2 1/2", "2.5"),
        ("½", "0.5"),
        ("2½", "2.5"),
        ("three quarters", "0.75"),
        ("a half", "0.5"),
        ("one and a half", "1.5"),
        ("one hundred and three quarters", "100.75"),
        ("hundreds of billions", "100000000000"),
        ("tens of thousands", "10000"),
        ("12 lakhs", "1200000"),
    ],
)
def test_parse_number(text: str, value: str) -> None:
    assert parse_number(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "hello", "million", "a", "2 five", "the"])
def test_not_a_number(text: str) -> None:
    assert parse_number(text) is None


def test_values_are_exact_decimals() -> None:
    assert parse_number("0.07 thousand") == Decimal("70")
    assert str(parse_number("4.99 billion")) == "4990000000"


@pytest.mark.parametrize(("text", "value"), [("second", 2), ("first", 1), ("21st", 21), ("twenty-first", 21)])
def test_parse_ordinal(text: str, value: int) -> None:
    assert parse_ordinal(text) == value


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("spent more than CNY4.99 billion in 2020", [("4.99 billion", "4990000000"), ("2020", "2020")]),
        ("exceeds 510 Ten thousand people", [("510 Ten thousand", "5100000")]),
        ("They built a million dollar bridge.", [("a million", "1000000")]),
        ("the 19th China Hi-Tech Fair and the 2nd round", []),
        ("in the 1990s", []),
        ("Time:2022.07.12", []),
        ("between 18 and 45", [("18", "18"), ("45", "45")]),
        ("2017-2021", [("2017", "2017"), ("2021", "2021")]),
        ("a rate of 1e10 and 2.48×10−5", [("1e10", "10000000000"), ("2.48×10−5", "0.0000248")]),
        ("25k or 40k, 4.3M sales", [("25k", "25000"), ("40k", "40000"), ("4.3M", "4300000")]),
        ("one of them", [("one", "1")]),
        ("tens of thousands of pilgrims", [("tens of thousands", "10000")]),
    ],
)
def test_find_numerals(text: str, found: list[tuple[str, str]]) -> None:
    assert [(n.text, str(n.value)) for n in find_numerals(text, glued_prefixes=("CNY",))] == found


def test_numeral_spans_are_substrings() -> None:
    text = "Newly added 3193 state-level high-tech enterprises, totaling 11230, and two dozen more."
    for n in find_numerals(text):
        assert text[n.start : n.end] == n.text
        assert parse_number(n.text) is not None


def test_glued_million_only_after_currency() -> None:
    import re

    money = re.compile(r"\$\s?$")
    assert [n.text for n in find_numerals("raised $5m", money_before=money)] == ["5m"]
    assert [n.text for n in find_numerals("a 37m tower", money_before=money)] == ["37"]


@pytest.mark.parametrize(("text", "year"), [("2017", True), ("1800", True), ("2,017", False), ("20170", False)])
def test_is_year_like(text: str, year: bool) -> None:
    assert is_year_like(text) is year


def test_plural_forms() -> None:
    assert plural_forms("half") >= {"halves"}
    assert plural_forms("city") >= {"cities"}
    assert plural_forms("inch") >= {"inches"}


#: find_numerals: (text, [(phrase, value), ...])
GRAMMAR: list[tuple[str, list[tuple[str, str]]]] = [
    ("three billions", [("three billions", "3000000000")]),
    ("12 lakhs", [("12 lakhs", "1200000")]),
    ("3 dozens and two hundred dozens", [("3 dozens", "36"), ("two hundred dozens", "2400")]),
    ("half a dozen eggs", [("half a dozen", "6")]),
    ("half a million people", [("half a million", "500000")]),
    ("the second half of the year", []),
    ("two hundred point zero three", [("two hundred point zero three", "200.03")]),
    ("nine point nought four", [("nine point nought four", "9.04")]),
    ("two point two million", [("two point two million", "2200000")]),
    ("at one point in March", [("one", "1")]),
    ("three thousand million", [("three thousand million", "3000000000")]),
    ("one million two thousand", [("one million two thousand", "1002000")]),
    ("one million and a half", [("one million and a half", "1500000")]),
    ("five billion and three quarters", [("five billion and three quarters", "5750000000")]),
    ("one and a half", [("one and a half", "1.5")]),
    ("40 000 and 1\u202f234\u202f567.89", [("40 000", "40000"), ("1\u202f234\u202f567.89", "1234567.89")]),
    ("in 2019 100 companies", [("2019", "2019"), ("100", "100")]),
    ("scored 3 100-meter runs", [("3", "3"), ("100", "100")]),
    ("1⁄32 of a quart", [("1⁄32", "0.03125")]),
    ("fell to $-50.8bn", [("-50.8bn", "-50800000000")]),
]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("it has 35m of its devices", ["35m"]),
        ("output of 1.2m tons", ["1.2m"]),
        ("20m people", ["20m"]),
        ("a 37m tower", ["37"]),
        ("the 3m is tall", ["3"]),
        ("the 37m (121ft)-long skeleton", ["37", "121"]),
    ],
)
def test_glued_million_before_a_counted_plural(text: str, found: list[str]) -> None:
    assert [n.text for n in find_numerals(text)] == found


@pytest.mark.xfail(strict=True, reason="the plural-noun cue cannot tell a race (100m hurdles) from a count")
def test_glued_m_before_a_plural_sport_event() -> None:
    assert [str(n.value) for n in find_numerals("the 100m hurdles")] == ["100"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a trillionth", "0.000000000001"),
        ("a hundred trillionths", "0.0000000001"),
        ("a hundred thousand trillionths", "0.0000001"),
        ("one twenty-fifth", "0.04"),
        ("twenty twenty fifths", "0.8"),
        ("one hundred thirty-fifths", str(Decimal(100) / 35)),
        ("one million two thousand two hundred three fifths", "200440.6"),
        ("ninety - five hundred fifths", "1900"),
        ("one hundred and three and two fifths", "103.4"),
        ("twenty and three fifths", "20.6"),
        ("one billion and three quarters million", "1000750000"),
        ("two thirds of a million", str(Decimal(2) / 3 * 1000000)),
        ("three quarters of a million", "750000"),
        ("3 million and a half", "3500000"),
        ("2 and a half", "2.5"),
        ("3 hundred and 21", "321"),
        ("4 thousand 3 hundred and 21", "4321"),
        ("3 hundred and one", "301"),
        ("6 crore and two hundred", "60000200"),
        ("three cr twelve lac fifty-six thousand seven hundred twenty-one", "31256721"),
        ("three hundred krores", "3000000000"),
        ("three hundred koti", "3000000000"),
        ("12 lkhs", "1200000"),
        ("100K", "100000"),
        (".0012G", "1200000"),
        ("1 point 1", "1.1"),
        ("point 77", "0.77"),
        ("one twenty two", "122"),
    ],
)
def test_parse_number_fractions_mixed_and_spoken(text: str, value: str) -> None:
    assert parse_number(text) == Decimal(value)


@pytest.mark.parametrize("text", ["1 point 1.5", "point seven", "3 hundred and 2.5"])
def test_spoken_point_and_mixed_phrases_reject_odd_forms(text: str) -> None:
    assert parse_number(text) is None


#: find_numerals: (text, [(phrase, value), ...])
FRACTIONS_AND_GUARDS: list[tuple[str, list[tuple[str, str]]]] = [
    ("three twenty-firsts", [("three twenty-firsts", str(Decimal(3) / 21))]),
    ("a twenty-first", [("a twenty-first", str(Decimal(1) / 21))]),
    ("a millionth of a second", [("a millionth", "0.000001")]),
    (
        "two hundred thirty two and a thirtieth",
        [("two hundred thirty two and a thirtieth", str(232 + Decimal(1) / 30))],
    ),
    ("1.1^23 and 2.5^-1", [("1.1^23", str(Decimal("1.1") ** 23)), ("2.5^-1", "0.4")]),
    ("-1.1^--23", [("-1.1^--23", str(-(Decimal("1.1") ** 23)))]),
    ("8x2^10 bits", [("8x2^10", "8192")]),
    ("-.0012G and -1200K", [("-.0012G", "-1200000"), ("-1200K", "-1200000")]),
    ("I count 6 crore and two hundred", [("6 crore and two hundred", "60000200")]),
    ("2 and a half years", [("2 and a half", "2.5")]),
    # ranks, durations and prose stay what they are
    ("a twenty-first century city", []),
    ("the twenty-first century", []),
    ("its one hundred twenty-first session", []),
    ("a fiftieth anniversary", []),
    ("the millionth visitor", []),
    ("one hundred tenth anniversary", [("one hundred", "100")]),
    ("one twenty-second clip", [("one", "1")]),
    ("the first twenty seconds", [("twenty", "20")]),
    ("at this point 77 people", [("77", "77")]),
    ("minus point 5 and\npoint 77", [("minus point 5", "-0.5"), ("point 77", "0.77")]),
    ("made his point 3 times", [("3", "3")]),
    ("raised $5 million and 300 employees", [("5 million", "5000000"), ("300", "300")]),
    ("five million and one investor", [("five million and one", "5000001")]),
    ("Ward 5 Cr Smith and three Cr Jones", [("5", "5"), ("three", "3")]),
    ("Rs 500cr and three hundred Cr", [("500cr", "5000000000"), ("three hundred Cr", "3000000000")]),
]


#: find_numerals: (text, [(phrase, value), ...])
SCALE_LETTERS_AND_SIGNS: list[tuple[str, list[tuple[str, str]]]] = [
    ("2.33 k", [("2.33 k", "2330")]),
    ("1,674.5 G", [("1,674.5 G", "1674500000000")]),
    ("1,674,200.5 M", [("1,674,200.5 M", "1674200500000")]),
    ("1.2b", [("1.2b", "1200000000")]),
    ("- 1 4/5", [("- 1 4/5", "-1.8")]),
    ("Totals:\n- 1,200,000\n", [("- 1,200,000", "-1200000")]),
    # a letter after a plain integer, or with a word after it, is a label, a unit or kelvin
    ("ran 10 k.", [("10", "10")]),
    ("Section 5b", [("5", "5")]),
    ("1.5 M NaCl at 4.2 K", [("1.5", "1.5"), ("4.2", "4.2")]),
    # a hyphen opening a line of prose is a bullet; between words it is a dash
    ("x\n- 3 new centres\n- 5 more", [("3", "3"), ("5", "5")]),
    ("prices rose - 5 today", [("5", "5")]),
]


@pytest.mark.parametrize(("text", "found"), GRAMMAR + FRACTIONS_AND_GUARDS + SCALE_LETTERS_AND_SIGNS)
def test_find_numerals_phrases(text: str, found: list[tuple[str, str]]) -> None:
    assert [(n.text, str(n.value)) for n in find_numerals(text)] == found
