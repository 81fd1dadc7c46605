"""Unit tests of :mod:`pipeline.safety` and the number bounds: the small pieces issue 13 is built from."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from pipeline.numbers import MAX_DIGITS, find_numerals, parse_number, within_bounds
from pipeline.safety.csvcells import join_sources, protect, protect_row, split_sources, unprotect
from pipeline.safety.limits import TextTooLarge, check_size, windows
from pipeline.safety.rawtext import blank_controls
from pipeline.safety.ruleregex import compile_rule_regex, nested_quantifier


@pytest.mark.parametrize(
    ("value", "inside"),
    [
        ("0", True),
        ("-5", True),
        ("9" * MAX_DIGITS, True),
        ("9" * (MAX_DIGITS + 1), False),
        ("1E+27", True),
        ("1E+28", False),
        ("1E-28", True),
        ("1E-29", False),
        ("1.000000000000000000000000000000000", True),  # trailing zeros are not significant
        ("Infinity", False),
        ("NaN", False),
    ],
)
def test_within_bounds(value: str, inside: bool) -> None:
    assert within_bounds(Decimal(value)) is inside


@pytest.mark.parametrize("text", ["9" * 29, "1e309", "3 9/0", "3 0/0", "9000000000000000000000 billion", "9" * 5000])
def test_unreadable_numbers_are_named_never_raised(text: str) -> None:
    unreadable: list = []
    found = find_numerals(f"It was {text} people.", unreadable=unreadable)
    assert [n.text for n in found if n.text.strip() == text] == []
    assert [f"It was {text} people."[u.start : u.end] for u in unreadable] == [text]
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("40 000 people", [40000]),
        ("1 234 567 890 123 stars", [1234567890123]),
        ("591 592 593 594 595 596", [591, 592, 593, 594, 595, 596]),
        ("2019 1 200", [2019, 1, 200]),
    ],
)
def test_space_grouped_numbers(text: str, values: list[int]) -> None:
    assert [n.value for n in find_numerals(text)] == [Decimal(v) for v in values]


@pytest.mark.parametrize(
    ("pattern", "engine"),
    [
        (r"(a+)+$", "re2"),  # nested quantifiers: harmless in linear time
        (r"\A\s+|\s+\Z", "re2"),  # \Z is translated to RE2's \z
        (r"(?<=\S) {2,}(?=\S)", "re"),  # a look-around: backtracking engine, no nesting
        (r"\b(\w+)(?:,\s(?:and\s)?\1\b){2,}", "re"),  # a backreference, no nesting
        (r"\b(\w+)(?:,\s+(?:and\s+)?\1\b){2,}", "re"),  # nested, but each repetition pinned by its comma
        (r"(?<![\w.,])\d{1,3}(?:\s?\+\s?(?:\d{1,3}|N)\b)+", "re"),  # pinned by the plus sign
    ],
)
def test_rule_regex_engine(pattern: str, engine: str) -> None:
    assert type(compile_rule_regex(pattern, re.MULTILINE)).__module__.split(".")[0] == engine


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(?=a)(a+)+$", "nests quantifiers"),
        (r"(?<!x)(?:\w+\s+){0,3}", "nests quantifiers"),
        (r"(\w)\1(?:a{1,5})+", "nests quantifiers"),
        (r"(?=,)(?:,(?:b+c+)+)+", "nests quantifiers"),  # the comma pins the outer group, not the inner one
        (r"a[", "invalid regular expression"),
    ],
)
def test_rule_regex_refused(pattern: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        compile_rule_regex(pattern)


def test_nested_quantifier_ignores_optional_groups() -> None:
    assert nested_quantifier(r"(?:\w+\s+)?(?:\w+\s+)?") == ""
    assert nested_quantifier(r"(?:\w+\s+)*") != ""


def test_re2_matches_a_pathological_line_at_once() -> None:
    regex = compile_rule_regex(r"(a+)+$")
    assert regex.search("a" * 100_000 + "!") is None


@pytest.mark.parametrize("text", ["=1+1", "+SUM(1)", "-x", "@x", "\tx", "\rx", "'=x", "''-x", "'", "", "abc", "'abc"])
def test_protect_round_trips_and_defuses(text: str) -> None:
    cell = protect(text)
    assert unprotect(cell) == text
    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_protect_row_keeps_numbers_qualifiers_and_quotes() -> None:
    columns = ("doc", "value", "qualifier", "quote", "sentence")
    assert protect_row(["-d", "-5", "=", "-5 yuan", "-5 yuan it fell"], columns) == [
        "'-d",
        "-5",
        "=",
        "-5 yuan",
        "'-5 yuan it fell",
    ]


def test_sources_survive_any_document_id() -> None:
    entries = [("a;b", 1, 5), ("50%;|x", 2, 3), ("c:d", 10, 20), ("plain", 0, 1)]
    text = join_sources(entries)
    assert split_sources(text) == entries
    assert join_sources([("000_ab", 3, 9)]) == "000_ab:3-9"  # ordinary ids are written as before


def test_windows_cut_long_spans_at_whitespace() -> None:
    text = "word " * 3000
    spans = list(windows(text, [(0, len(text))], max_chars=1000))
    assert all(e - s <= 1000 for s, e in spans)
    assert " ".join(text[s:e] for s, e in spans).split() == text.split()
    assert list(windows("short one", [(0, 9)], max_chars=1000)) == [(0, 9)]
    glued = "9" * 2500
    assert [e - s for s, e in windows(glued, [(0, 2500)], max_chars=1000)] == [1000, 1000, 500]


def test_blank_controls_keeps_offsets() -> None:
    text, count = blank_controls("a\x00b\x1fc\td\ne\r\x85")
    assert (text, count) == ("a b c\td\ne\r ", 3)


def test_size_limit() -> None:
    check_size(10, 10)
    with pytest.raises(TextTooLarge, match="too large: 11 bytes"):
        check_size(11, 10)
