"""pipeline.sentences: the regex splitter."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.sentences import split_sentences


def _texts(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("It rose 4.13%. Then it fell.", ["It rose 4.13%.", "Then it fell."]),
        ("Mr. Smith paid the U.S. Treasury. It was late.", ["Mr. Smith paid the U.S. Treasury.", "It was late."]),
        ("See No. 5 on the list. Done!", ["See No. 5 on the list.", "Done!"]),
        ("Heading\nBody text here. More.", ["Heading", "Body text here.", "More."]),
        ('"Yes," he said. "No." She left.', ['"Yes," he said.', '"No."', "She left."]),
        ("J. Smith came. He left.", ["J. Smith came.", "He left."]),
        ("Is it? Yes. 200 startups are here.", ["Is it?", "Yes.", "200 startups are here."]),
        ("no terminal punctuation", ["no terminal punctuation"]),
        ("  \n\n  ", []),
    ],
)
def test_split(text: str, sentences: list[str]) -> None:
    assert _texts(text) == sentences


def test_spans_are_trimmed_ordered_and_inside_the_text() -> None:
    text = Path("tests/data/seeds/004_d6665c47d6482ba5.txt").read_text(encoding="utf-8")
    spans = split_sentences(text)
    assert spans
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        assert "\n" not in text[start:end]
        previous_end = end


def test_decimal_is_not_a_boundary() -> None:
    assert _texts("The ratio was 4.13 in 2017. Next.") == ["The ratio was 4.13 in 2017.", "Next."]
