"""The as-of year of a figure, which is often not the publication year.

:class:`YearReader` reads *year cues* from text: explicit years (``in 2021``, ``as of the end of 2018``,
``2022 will see ...``), years relative to the article's own date (``last year``), and present-time words
(``now``, ``currently``), which stand for the publication year. Years that only name a baseline or a period
start (``up 10% over 2015``, ``higher than that in 2017``, ``since 2016``), a span (``2021-2025``) or a number
inside a quantity are not cues.

:func:`bind_year` picks the cue of one quantity in its sentence: a cue right after it (``1 trillion yuan in
2012``) is its own; else the nearest cue before it that no other quantity took, else the nearest before it,
else the nearest after it. :class:`Timeline` holds every cue of a document in text order, so that a year
stated once (``In 2021, ...``) governs the sentences after it until another is stated: within its paragraph
always, in later paragraphs only for statements not in the simple present (those speak of the publication
date), and a present-time cue (``Now there are ...``) moves the timeline to the publication year.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.safety.ruleregex import RulePattern

__all__ = ["Timeline", "YearCue", "YearReader", "bind_year", "opens_sentence"]

#: a year-like number not followed by a digit, a span or a unit sign
_YEAR = re.compile(r"(?<![\d.,-])((?:19|20)\d\d)(?![\d%-]|\s*[-–]\s*\d|\s*(?:trillion|billion|million)\b)")


#: a year inside a "since ..." clause starts a period: "Ever since the firm moved here in 2016, it has ..."
_SINCE = re.compile(r"\b(?:ever since|since)\b[^,;:.]*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class YearCue:
    start: int  #: absolute clean-text offsets
    end: int
    year: int
    source: str  #: explicit / relative / present / event
    text: str
    founding: bool = False  #: the year something was founded, launched, built ("founded in 2006")


@dataclass(frozen=True)
class YearReader:
    """Reads year cues; built from ``rules/attribution.yml`` (``years``) and the article's date."""

    present: re.Pattern[str]
    relative: Sequence[tuple[re.Pattern[str], int]]
    comparison: re.Pattern[str]  #: matches the words before a year that make it a baseline
    event: RulePattern  #: matches an event or document year ("the 2019 ... Conference"); a rule's pattern
    binding: re.Pattern[str]  #: matches what may stand between a quantity and its own year
    founding: re.Pattern[str]  #: matches a founding verb before a year in its clause
    published: int | None

    def cues(self, text: str, base: int = 0, skip: Sequence[tuple[int, int]] = ()) -> list[YearCue]:
        """Year cues of ``text`` (offsets shifted by ``base``), none inside the ``skip`` spans (absolute)."""
        events = [m.span() for m in self.event.finditer(text)]
        found: list[YearCue] = []
        for match in _YEAR.finditer(text):
            start, end = base + match.start(1), base + match.end(1)
            before = text[: match.start(1)]
            if any(a <= start < b for a, b in skip) or self.comparison.search(before) or _SINCE.search(before):
                continue
            source = "event" if any(a <= match.start(1) < b for a, b in events) else "explicit"
            founding = self.founding.search(before[-60:]) is not None
            found.append(YearCue(start, end, int(match.group(1)), source, match.group(1), founding))
        if self.published is not None:
            for regex, offset in self.relative:
                for match in regex.finditer(text):
                    if self.comparison.search(text[: match.start()]):
                        continue
                    cue = YearCue(
                        base + match.start(), base + match.end(), self.published + offset, "relative", match.group()
                    )
                    found.append(cue)
            for match in self.present.finditer(text):
                found.append(
                    YearCue(base + match.start(), base + match.end(), self.published, "present", match.group())
                )
        return sorted(_without_overlaps(found), key=lambda c: (c.start, c.end))


def _without_overlaps(cues: list[YearCue]) -> list[YearCue]:
    """ "so far this year": the longer cue wins over the cues inside it."""
    kept: list[YearCue] = []
    for cue in sorted(cues, key=lambda c: (c.start, -(c.end - c.start))):
        if not any(k.start <= cue.start and cue.end <= k.end for k in kept):
            kept.append(cue)
    return kept


def bind_year(
    start: int,
    end: int,
    cues: Sequence[YearCue],
    quantities: Sequence[tuple[int, int]],
    reader: YearReader,
    text: str,
) -> YearCue | None:
    """The cue of the quantity at ``[start, end)`` among its sentence's ``cues``; ``quantities`` are the
    sentence's quantity spans (absolute), ``text`` the document's clean text."""
    own = _bound_after(start, end, cues, quantities, reader, text)
    if own is not None:
        return own
    taken = {
        id(c)
        for s, e in quantities
        if (s, e) != (start, end)
        for c in [_bound_after(s, e, cues, quantities, reader, text)]
        if c is not None
    }
    plain = [c for c in cues if c.source != "event" and (c.end <= start or c.start >= end)]

    def distance(cue: YearCue) -> float:  # a cue before the quantity governs it more often than one after
        return start - cue.end if cue.end <= start else 1.5 * (cue.start - end)

    free = [c for c in plain if id(c) not in taken]
    if free or plain:
        return min(free or plain, key=lambda c: (distance(c), c.start))
    events = [c for c in cues if c.source == "event"]
    return events[0] if events else None


def _bound_after(
    start: int,
    end: int,
    cues: Sequence[YearCue],
    quantities: Sequence[tuple[int, int]],
    reader: YearReader,
    text: str,
) -> YearCue | None:
    for cue in cues:
        if cue.start < end or cue.start - end > 40 or cue.source == "event":
            continue
        if any(end <= s < cue.start for s, _e in quantities):
            return None
        if reader.binding.fullmatch(text[end : cue.start]):
            return cue
        return None
    return None


@dataclass
class Timeline:
    """The year cues of a document in text order, for the years a statement inherits: ``leads`` are the
    cues that govern what follows them (in the title, the lead paragraph, or opening a sentence:
    ``In 2021, ...``, ``Now ...``), ``cues`` all of them."""

    cues: list[YearCue]
    leads: list[YearCue]

    def lead_before(self, pos: int, lower: int = 0) -> YearCue | None:
        """The last lead cue in ``[lower, pos)``."""
        found = None
        for cue in self.leads:
            if cue.end > pos:
                break
            if cue.start >= lower and cue.source != "event":
                found = cue
        return found

    def nearest_in(self, start: int, end: int, pos: int, exclude: tuple[int, int]) -> YearCue | None:
        """The cue of ``[start, end)`` nearest to ``pos``, outside the ``exclude`` span, earlier ones first."""
        inside = [
            c
            for c in self.cues
            if start <= c.start < end and not exclude[0] <= c.start < exclude[1] and c.source != "event"
        ]
        return min(inside, key=lambda c: (abs(c.start - pos), c.start > pos), default=None)


def opens_sentence(cue: YearCue, sentence: str, sent_start: int) -> bool:
    """ "In 2021, ...", "Last year, ...", "2022 will see ...", "Now ...": the cue opens its sentence."""
    head = sentence[: cue.start - sent_start]
    return (
        re.fullmatch(r"\s*(?:(?:In|By|During|Throughout|For)\s+(?:the\s+(?:whole\s+)?(?:year\s+(?:of\s+)?)?)?)?", head)
        is not None
    )
