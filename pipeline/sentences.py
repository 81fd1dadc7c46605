"""A fast regular-expression sentence splitter for (machine-translated) news text.

``split_sentences(text)`` returns half-open ``(start, end)`` spans in the given text, trimmed of
surrounding whitespace, in order, never empty. Rules, in the order they apply:

- a line break ends a sentence (paragraphs, headings and list items are separate sentences);
- ``.``, ``!``, ``?`` (and ``;`` never) end a sentence when followed, after optional closing quotes
  or brackets, by whitespace and then something that can start a sentence (a capital, a digit, an
  opening quote or bracket);
- not after a known abbreviation (``Mr.``, ``No.``, ``U.S.``, ``Jan.``, ``e.g.``), a single capital
  initial (``J. Smith``), and never inside a number (``4.13``), because the period there is not
  followed by whitespace.

It is much faster than a parser-based splitter and good enough to decide which sentences can hold a
number, which is all the extract stage asks of it before it runs the spaCy model on those sentences.
"""

from __future__ import annotations

import re

__all__ = ["ABBREVIATIONS", "split_sentences"]

#: words that end with a period without ending the sentence (compared lower-case, without the period)
_ABBREVIATION_TEXT = """
    mr mrs ms dr prof sr jr st mt gen col lt sgt capt cmdr adm gov sen rep rev hon pres supt
    no nos vol vols art arts sec ch fig figs op pp p para
    inc ltd co corp bros plc llc dept univ assn est approx
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thurs fri sat sun
    e.g i.e etc vs cf al viz ca
    u.s u.k u.n e.u u.s.a p.m a.m d.c
"""
ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())

# a candidate boundary: terminal punctuation, optional closers, whitespace (no line break: those are
# handled first), then a character that can open a sentence
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=[ \t]+[\"'“‘(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_LINE = re.compile(r"[^\n]+")


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the period at ``dot`` closes an abbreviation or an initial rather than a sentence."""
    m = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
    if m is None:
        return False
    word = m.group(1).lower().rstrip(".")
    if word in ABBREVIATIONS:
        return True
    # a single capital initial ("J. Smith"), but not a sentence ending in a one-letter word ("I.")
    return len(word) == 1 and text[m.start(1)].isupper() and text[m.start(1)] != "I"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text``: half-open, trimmed, in order, non-empty."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        start = line.start()
        line_end = line.end()
        for b in _BOUNDARY.finditer(text, line.start(), line_end):
            closed = b.group()[-1] in "\"'”’)]"  # a closing quote after "No." ends the sentence
            single_dot = text[b.start()] == "." and b.group().count(".") == 1
            if single_dot and not closed and _is_abbreviation(text, b.start()):
                continue
            _add(text, start, b.end(), spans)
            start = b.end()
        _add(text, start, line_end, spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
