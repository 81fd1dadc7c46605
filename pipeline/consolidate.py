"""Consolidate stage: quantity mentions -> one deduplicated claims table, disagreements flagged.

Inputs: ``output/mentions.csv`` (columns ``MENTION_COLUMNS``, one row per mention) and the user-edited
``reviews.csv`` (columns ``claim_id, decision, note``; decision ``accepted`` / ``rejected`` /
``corrected:<value>``; a missing file means no reviews, a malformed one stops the run with
``reviews.csv:<line>: <reason>``: every ``claim_id`` must look like one (``c-`` and 12 hex digits), and
a quoted field must close where it should, so a note with a runaway quote, which would swallow the
reviews after it, stops the run at the line where it starts; a file that is not UTF-8 (or UTF-16 with
a byte-order mark) names the first line that is not).
Outputs: ``output/claims.csv`` (``CLAIM_COLUMNS``), ``output/conflicts.csv`` and
``output/orphan_reviews.csv``. :func:`run` is pure; :func:`main` only reads, calls it and writes.

Grouping key
    ``(entity, measure, unit, aspect)``, compared after collapsing whitespace and case. For
    ``kind=count`` the counted noun already lives in the canonical measure (``national high-tech
    enterprise``), so the key's unit is ``count`` rather than the noun lemma: ``11,230 State-level
    high-tech companies`` and ``totaling 11230`` (both measure ``national high-tech enterprise``)
    compare although their lemmas differ. A mention with no entity or no measure (attribution not
    run or failed) is never grouped: it passes through as its own ``single`` claim, because grouping
    unattributed numbers by unit alone would flag every pair of percentages as a conflict.

Years
    ``year_source`` explicit / relative / context means the text states the year ("stated");
    published / unknown (or anything else) means it does not ("floating"). Within a key, stated mentions are clustered
    per stated year; each floating mention then joins a value-compatible stated cluster (the one
    whose year is closest to, and preferably not after, its own publication year); floating
    mentions left over are clustered among themselves. Clustering is greedy interval stabbing
    (:func:`pipeline.intervals.stab_clusters`): every member of a cluster is compatible with every
    other, and the result does not depend on input order.

Status
    ``single`` one source; ``duplicate`` two or more sources in one row. Two clusters of one key whose
    common value intervals do not overlap are in *conflict* unless both years are stated and differ;
    connected clusters form one conflict group (``status=conflict``, shared ``conflict_group`` id
    ``cg-<hash>``, ``reason`` lists every side: ``58 (004, 2018, year from publication date) vs 67
    (003, 2022, year from publication date)``; hedged values read ``over 90000000000``). Never
    resolved by majority vote: every side keeps its own row. Clusters of one key with different
    stated years and no conflict are ``timeseries`` rows sharing ``ts-<hash of key>`` in the same
    ``conflict_group`` column (the contract has one group column) and a ``series: 2017: 11230;
    2019: 14000`` reason. Doc ids in reasons are shortened to their 3-digit prefix when no other input
    document shares it, else the full stem.

Currency restatements
    ``868 million yuan ($130 million)``: two money mentions, next to each other in one document
    (at most ``conversion_max_gap`` characters apart, a ``(`` between them when the sentence is
    known, no digit between), in different currencies, whose ratio lies within
    [1/``conversion_max_rate``, ``conversion_max_rate``] (default 30000: wide enough for VND or IDR per
    USD, no exchange-rate table) are one fact. The second is attached to the first's claim as a source
    and takes no part in grouping or conflicts.

Claim row
    The representative member is the one with the narrowest interval (then stated year, then doc and
    offset): it gives value, qualifier, unit, kind, and the displayed entity and measure. ``year`` is the
    stated year when any member states one (``year_source`` the strongest: explicit > relative >
    context), else the earliest publication year. ``claim_id`` is ``c-`` + 12 hex of a SHA-256 over
    the normalized key, year, qualifier and value: independent of row and document order, so an
    added article changes only the rows it joins. ``sources`` lists every member's raw span as
    ``doc:start-end`` joined by ``;`` (sorted by doc, start); ``quotes`` the matching quotes joined by
    `` | `` in the same order. ``review`` is ``decision`` or ``decision; note`` from reviews.csv.

conflicts.csv
    One row per source mention of every claim in a conflict group: ``conflict_group, claim_id, doc,
    quote, value, year, year_source, reason, unit, qualifier, start, end`` (the mention's own value,
    year and span; the group's reason). orphan_reviews.csv: ``line, claim_id, decision, note`` for
    every review whose claim_id no longer exists, in file order.

Params (``consolidate:`` in params.yaml, all optional, unknown keys rejected)
    ``tolerance_about`` 0.05, ``tolerance_nearly`` 0.10, ``tolerance_exact`` 0 (see
    :mod:`pipeline.intervals`), ``open_bound_ratio`` null, ``conversion_max_gap`` 24,
    ``conversion_max_rate`` 30000.

Determinism
    Mentions are sorted canonically before anything else; rows are sorted conflicts first, then entity,
    measure, unit, aspect, group, year, value, claim_id; CSV is UTF-8 with ``\\n`` line endings, so two
    runs, or a shuffled input, give byte-identical files. Text cells are spreadsheet-safe and document
    ids in ``sources`` are escaped (:mod:`pipeline.safety.csvcells`).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import math
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipeline.intervals import Interval, Tolerances, mention_interval, stab_clusters
from pipeline.linkage.measures import cluster_measures, is_generic, same_measure
from pipeline.params import load_params
from pipeline.ruleio import RuleError, StrictModel
from pipeline.safety.csvcells import VERBATIM_COLUMNS, join_sources, protect_row, unprotect
from pipeline.types import CLAIM_COLUMNS, MENTION_COLUMNS, QUALIFIERS, Claim, Mention, format_decimal

__all__ = [
    "CONFLICT_COLUMNS",
    "ORPHAN_COLUMNS",
    "ConsolidateParams",
    "ConsolidateResult",
    "InputError",
    "Review",
    "ReviewsError",
    "csv_text",
    "main",
    "mentions_from_rows",
    "parse_reviews",
    "run",
]

CONFLICT_COLUMNS: tuple[str, ...] = (
    "conflict_group",
    "claim_id",
    "doc",
    "quote",
    "value",
    "year",
    "year_source",
    "reason",
    "unit",
    "qualifier",
    "start",
    "end",
)
ORPHAN_COLUMNS: tuple[str, ...] = ("line", "claim_id", "decision", "note")
REVIEW_COLUMNS: tuple[str, ...] = ("claim_id", "decision", "note")

#: year_source values meaning the text itself states the year
STATED_SOURCES = ("explicit", "relative", "context")
_SOURCE_RANK = {"explicit": 0, "relative": 1, "context": 2, "published": 3, "unknown": 4}
_YEAR_PHRASE = {
    "explicit": "year stated",
    "relative": "year stated relative to publication",
    "context": "year from context",
    "published": "year from publication date",
    "unknown": "year unknown",
}
_HEDGE_WORD = {"=": "", "~": "about ", ">": "over ", ">=": "at least ", "<": "under ", "<=": "up to ", "~<": "nearly "}


class InputError(ValueError):
    """mentions.csv (or its DataFrame) is malformed; the message names the row."""


class ReviewsError(ValueError):
    """reviews.csv is malformed; the message reads ``<file>:<line>: <reason>``."""


class ConsolidateParams(StrictModel):
    """The ``consolidate:`` section of params.yaml (unknown keys are errors)."""

    tolerance_about: Decimal = Decimal("0.05")  #: relative slack either side of ``around``
    tolerance_nearly: Decimal = Decimal("0.10")  #: how far below ``nearly N`` the truth may be
    tolerance_exact: Decimal = Decimal("0")  #: relative slack of an unhedged value beyond its rounding
    open_bound_ratio: Decimal | None = Decimal("1.5")  #: cap on ``over``/``under``; None = unbounded
    conversion_max_gap: int = 24  #: characters between an amount and its parenthetical restatement
    conversion_max_rate: Decimal = Decimal("30000")  #: plausibility band of a currency ratio
    measure_similarity: float = 0.5  #: word overlap for two measures to be compared at all
    conflict_similarity: float = 0.8  #: word overlap for two measures to be confidently one (a conflict)
    conflict_min_confidence: float = 0.0  #: attribution confidence both sides of a conflict need

    def tolerances(self) -> Tolerances:
        return Tolerances(
            about=self.tolerance_about,
            nearly=self.tolerance_nearly,
            exact=self.tolerance_exact,
            open_bound_ratio=self.open_bound_ratio,
        )


@dataclass(frozen=True, slots=True)
class Review:
    """One reviewer decision from reviews.csv."""

    claim_id: str
    decision: str
    note: str = ""
    line: int = 0

    def text(self) -> str:
        return f"{self.decision}; {self.note}" if self.note else self.decision


@dataclass(frozen=True, slots=True)
class ConsolidateResult:
    """Everything the stage writes, already in output order."""

    claims: tuple[Claim, ...]
    conflicts: tuple[dict[str, str], ...]
    orphan_reviews: tuple[Review, ...]

    def claims_csv(self) -> str:
        return csv_text(CLAIM_COLUMNS, [c.to_row() for c in self.claims])

    def conflicts_csv(self) -> str:
        return csv_text(CONFLICT_COLUMNS, self.conflicts)

    def orphans_csv(self) -> str:
        rows = [
            {"line": str(r.line), "claim_id": r.claim_id, "decision": r.decision, "note": r.note}
            for r in self.orphan_reviews
        ]
        return csv_text(ORPHAN_COLUMNS, rows)


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> str:
    """Canonical CSV: header, fixed column order, minimal quoting, ``\\n`` line endings, text cells
    that no spreadsheet reads as a formula (:func:`pipeline.safety.csvcells.protect_row`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(protect_row([row.get(name, "") for name in columns], columns))
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# input


def _cell(raw: Any) -> str:
    """A DataFrame cell or CSV field as text; pandas gives NaN for empty cells."""
    if raw is None:
        return ""
    if isinstance(raw, float):
        if math.isnan(raw):
            return ""
        return repr(raw)
    return str(raw)


def _text_cell(name: str, raw: Any) -> str:
    """A cell as the text that was written (spreadsheet protection taken off text columns)."""
    text = _cell(raw)
    return text if name in VERBATIM_COLUMNS else unprotect(text)


def _as_int(text: str) -> int:
    # pandas turns an int column with blanks into floats (2017.0)
    number = Decimal(text)
    if number != number.to_integral_value():
        raise ValueError(f"not an integer: {text!r}")
    return int(number)


def mentions_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Mention]:
    """Rows of mentions.csv (strings) or DataFrame records -> Mentions; errors name the data row."""
    mentions: list[Mention] = []
    for number, row in enumerate(rows, start=1):
        missing = [name for name in MENTION_COLUMNS if name not in row]
        if missing:
            raise InputError(f"mentions row {number}: missing column(s) {', '.join(missing)}")
        cells = {name: _text_cell(name, row[name]).strip() for name in MENTION_COLUMNS}
        try:
            value = Decimal(cells["value"])
            if not value.is_finite():
                raise ValueError(f"value is not finite: {cells['value']!r}")
            if cells["qualifier"] not in QUALIFIERS:
                raise ValueError(f"unknown qualifier {cells['qualifier']!r}")
            mentions.append(
                Mention(
                    doc=cells["doc"],
                    start=_as_int(cells["start"]),
                    end=_as_int(cells["end"]),
                    quote=_cell(row["quote"]),
                    value=value,
                    unit=cells["unit"],
                    qualifier=cells["qualifier"],
                    kind=cells["kind"],
                    measure=cells["measure"],
                    entity=cells["entity"],
                    year=_as_int(cells["year"]) if cells["year"] else None,
                    year_source=cells["year_source"],
                    aspect=cells["aspect"],
                    confidence=float(cells["confidence"]) if cells["confidence"] else 0.0,
                    rule=cells["rule"],
                    why=cells["why"],
                    sentence=_text_cell("sentence", row["sentence"]),
                )
            )
        except (InvalidOperation, ValueError) as exc:
            reason = "bad number" if isinstance(exc, InvalidOperation) else str(exc)
            raise InputError(f"mentions row {number} ({cells['doc']}:{cells['start']}): {reason}") from None
    return mentions


def _to_mentions(mentions: Sequence[Mention] | Any) -> list[Mention]:
    if hasattr(mentions, "to_dict"):  # a pandas DataFrame
        return mentions_from_rows(mentions.to_dict("records"))
    return list(mentions)


#: what a claim id looks like (``_assign_claim_ids``): c- and 12 hex digits, -2, -3 ... for a twin
CLAIM_ID = re.compile(r"c-[0-9a-f]{12}(?:-[0-9]+)?")
_SWALLOWED = re.compile(r"\n\s*c-[0-9a-f]{12}\b")


def parse_reviews(text: str, source: str = "reviews.csv") -> list[Review]:
    """Parse reviews.csv text; raise :class:`ReviewsError` naming the line and the reason."""
    text = text.removeprefix("\ufeff")  # spreadsheets save a BOM
    # strict: a stray quote is an error at the line where its field starts, never a note that quietly
    # runs on over the reviews below it
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    reviews: list[Review] = []
    seen: dict[str, int] = {}
    next_line = 1
    while True:
        line = next_line
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ReviewsError(
                f"{source}:{line}: a quoted field opened on this line does not close properly ({exc}, "
                f"seen at line {reader.line_num}); double any quote inside a quoted note"
            ) from None
        next_line = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            if sorted(header) != sorted(REVIEW_COLUMNS):
                raise ReviewsError(
                    f"{source}:{line}: header must be {', '.join(REVIEW_COLUMNS)}; found {', '.join(header)}"
                )
            continue
        if len(row) != len(header):
            raise ReviewsError(f"{source}:{line}: expected {len(header)} fields, found {len(row)}")
        cells = dict(zip(header, row, strict=True))
        claim_id = cells["claim_id"].strip()
        decision = cells["decision"].strip()
        if not claim_id:
            raise ReviewsError(f"{source}:{line}: empty claim_id")
        if not CLAIM_ID.fullmatch(claim_id):
            raise ReviewsError(f"{source}:{line}: claim_id {claim_id[:40]!r} is not a claim id (c- and 12 hex digits)")
        swallowed = next((cell for cell in row if _SWALLOWED.search(cell)), None)
        if swallowed is not None:
            raise ReviewsError(
                f"{source}:{line}: a quoted field runs over a line that reads like another review "
                f"({_SWALLOWED.search(swallowed).group().strip()}...); close the quote on its own line"  # type: ignore[union-attr]
            )
        if decision in ("accepted", "rejected"):
            pass
        elif decision.startswith("corrected:"):
            corrected = decision.removeprefix("corrected:").strip()
            try:
                if not Decimal(corrected).is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                raise ReviewsError(f"{source}:{line}: corrected value {corrected!r} is not a plain number") from None
            decision = f"corrected:{corrected}"
        else:
            raise ReviewsError(f"{source}:{line}: decision {decision!r} is not accepted, rejected or corrected:<value>")
        if claim_id in seen:
            raise ReviewsError(f"{source}:{line}: claim_id {claim_id} already reviewed on line {seen[claim_id]}")
        seen[claim_id] = line
        reviews.append(Review(claim_id, decision, cells["note"].strip(), line))
    return reviews


# ---------------------------------------------------------------------------------------------------
# core


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


Key = tuple[str, str, str, str]


@dataclass(slots=True)
class _Item:
    index: int  #: position in the canonical order
    mention: Mention
    interval: Interval
    stated_year: int | None
    key: Key
    high: Decimal | None = None  #: the upper end when this item is a range's low end


@dataclass(slots=True)
class _Cluster:
    key: Key
    stated_year: int | None
    members: list[_Item]
    common: Interval
    attached: list[_Item] = field(default_factory=list)  #: currency restatements
    status: str = ""
    group: str = ""
    reason: str = ""
    claim_id: str = ""


def _unit_class(m: Mention) -> str:
    """Counts compare by their measure (the counted noun lives there), everything else by its unit."""
    return "count" if m.kind == "count" else _norm(m.unit)


def _aspect_family(m: Mention) -> str:
    """A share of something, a change of it ("3,000 new enterprises", "grew 8%") and its level ("14,000
    enterprises") are three facts. A target is a level: a translation's future tense ("will reach 12.6
    trillion") often turns a result into one."""
    if m.aspect in ("share", "change"):
        return m.aspect
    return "level"


def _block(m: Mention) -> tuple[str, str]:
    """Mentions are compared only inside a block: one entity, one unit class."""
    return _norm(m.entity), _unit_class(m)


def _grouping_keys(mentions: Sequence[Mention], threshold: float) -> list[Key]:
    """The key of each mention: its block, its measure cluster inside the block, its aspect family."""
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, m in enumerate(mentions):
        blocks[_block(m)].append(index)
    keys: list[Key] = [("", "", "", "")] * len(mentions)
    for (entity, unit), members in blocks.items():
        labels = cluster_measures((_norm(mentions[i].measure) for i in members), threshold)
        measure_of = {i: _measure_label(mentions[i], labels, unit) for i in members}
        _adopt_restated(mentions, members, measure_of)
        for i in members:
            m = mentions[i]
            if not entity or not measure_of[i]:
                keys[i] = ("", "", f"unattributed {m.doc}:{m.start}-{m.end}", _norm(m.aspect))
            else:
                keys[i] = (entity, measure_of[i], unit, _aspect_family(m))
    return keys


def _measure_label(m: Mention, labels: Mapping[str, str], unit: str) -> str:
    """A rank compares by its entity and position only: what is ranked is written too loosely to compare
    ("retained the second spot", "second-ranked global hub"), so ranks never conflict either."""
    return "rank" if unit == "rank" else labels[_norm(m.measure)]


def _adopt_restated(mentions: Sequence[Mention], members: Sequence[int], measure_of: dict[int, str]) -> None:
    """A figure whose measure the text does not name takes the measure of the same value stated in the same
    article (a headline and its body, a sentence repeated by the translation), when exactly one such
    measure exists."""
    named: dict[tuple[str, Decimal], set[str]] = defaultdict(set)
    for i in members:
        if not is_generic(measure_of[i]):
            named[(mentions[i].doc, mentions[i].value)].add(measure_of[i])
    for i in members:
        if is_generic(measure_of[i]):
            found = named.get((mentions[i].doc, mentions[i].value), set())
            if len(found) == 1:
                measure_of[i] = next(iter(found))


def _canonical_order(m: Mention) -> tuple[Any, ...]:
    return (
        m.doc,
        m.start,
        m.end,
        m.quote,
        m.value,
        m.unit,
        m.qualifier,
        m.entity,
        m.measure,
        m.aspect,
        -1 if m.year is None else m.year,
        m.year_source,
        m.kind,
        m.rule,
    )


def _find_conversions(items: Sequence[_Item], params: ConsolidateParams) -> dict[int, list[_Item]]:
    """Primary item index -> the currency restatements attached to it."""
    by_doc: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_doc[item.mention.doc].append(item)
    attached: dict[int, list[_Item]] = {}
    used: set[int] = set()
    band_low, band_high = 1 / params.conversion_max_rate, params.conversion_max_rate
    for doc_items in by_doc.values():
        doc_items.sort(key=lambda it: (it.mention.start, it.mention.end, it.index))
        for first, second in zip(doc_items, doc_items[1:], strict=False):
            a, b = first.mention, second.mention
            if first.index in used or a.kind != "money" or b.kind != "money":
                continue
            if _norm(a.unit) == _norm(b.unit) or a.value <= 0 or b.value <= 0:
                continue
            gap = b.start - a.end
            if not 0 <= gap <= params.conversion_max_gap:
                continue
            if not band_low <= a.value / b.value <= band_high:
                continue
            if not _restated_in_parentheses(a, b, gap, params.conversion_max_gap):
                continue
            attached.setdefault(first.index, []).append(second)
            used.update((first.index, second.index))
    return attached


def _find_ranges(items: Sequence[_Item]) -> dict[int, _Item]:
    """A range's two ends ("aged between 18 and 45": ``>=`` 18, ``<=`` 45, from a ``range.*`` rule) are one
    claim: the low end's item takes the interval [18, 45] and the high end is attached to it as a source."""
    by_doc: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_doc[item.mention.doc].append(item)
    ranges: dict[int, _Item] = {}
    for doc_items in by_doc.values():
        doc_items.sort(key=lambda it: (it.mention.start, it.mention.end, it.index))
        for low, high in zip(doc_items, doc_items[1:], strict=False):
            a, b = low.mention, high.mention
            if not (_range_rule(a) and _range_rule(b) and a.qualifier in (">=", ">") and b.qualifier in ("<=", "<")):
                continue
            if a.value > b.value or b.start - a.end > 24 or _norm(a.unit) != _norm(b.unit) or low.index in ranges:
                continue
            low.interval = Interval(low.interval.low, high.interval.high, high.interval.high_open)
            low.high = b.value
            ranges[low.index] = high
    return ranges


def _range_rule(m: Mention) -> bool:
    return any(part.startswith("range.") for part in m.rule.split("+"))


def _restated_in_parentheses(a: Mention, b: Mention, gap: int, max_gap: int) -> bool:
    """``a (b)`` in one sentence; without a usable sentence only a 3-character gap such as `` (`` counts."""
    if a.sentence and b.sentence:
        if a.sentence != b.sentence:
            return False
        i = a.sentence.find(a.quote)
        j = a.sentence.find(b.quote, i + len(a.quote)) if i >= 0 else -1
        if i >= 0 and j >= 0:
            between = a.sentence[i + len(a.quote) : j]
            return (
                ("(" in between or "（" in between)
                and len(between) <= max_gap
                and not any(ch.isdigit() for ch in between)
            )
    return gap <= 3


def _cluster_key(key: Key, items: list[_Item]) -> list[_Cluster]:
    clusters: list[_Cluster] = []

    def common_of(group: list[_Item]) -> Interval:
        common = group[0].interval
        for it in group[1:]:
            narrowed = common.intersect(it.interval)
            if narrowed is None:  # stab_clusters guarantees a common point
                raise AssertionError("cluster without a common value")
            common = narrowed
        return common

    for year in sorted({it.stated_year for it in items if it.stated_year is not None}):
        same_year = [it for it in items if it.stated_year == year]
        for group in stab_clusters(same_year, lambda it: it.interval):
            clusters.append(_Cluster(key, year, group, common_of(group)))

    leftover: list[_Item] = []
    floating = sorted(
        (it for it in items if it.stated_year is None),
        key=lambda it: (it.interval.high, it.interval.low, it.index),
    )
    for it in floating:
        published = it.mention.year
        candidates = [
            c
            for c in clusters
            if c.stated_year is not None and c.common.overlaps(it.interval) and _reported_then(c.stated_year, published)
        ]
        if not candidates:
            leftover.append(it)
            continue

        def closeness(c: _Cluster, published: int | None = published) -> tuple[int, int, int]:
            year = c.stated_year or 0
            if published is None:
                return (0, 0, year)
            return (0 if year <= published else 1, abs(published - year), year)

        best = min(candidates, key=closeness)
        best.members.append(it)
        narrowed = best.common.intersect(it.interval)
        if narrowed is None:  # candidates overlap it by construction
            raise AssertionError("joined a cluster without a common value")
        best.common = narrowed
    for group in stab_clusters(sorted(leftover, key=lambda it: it.index), lambda it: it.interval):
        clusters.append(_Cluster(key, None, group, common_of(group)))
    for c in clusters:
        c.members.sort(key=lambda it: it.index)
    return _merge_restatements(clusters)


def _reported_then(stated_year: int, published: int | None) -> bool:
    """A figure dated only by its article's publication can be a report of a stated year's figure when it
    was published that year or the next (statistics come out months later); three years later it is no
    longer the same figure ("18,650 now" in 2021 is not "over 14,000 as of 2018")."""
    return published is None or 0 <= published - stated_year <= 1


def _representative(c: _Cluster) -> _Item:
    return min(
        c.members,
        key=lambda it: (
            it.interval.width,
            it.stated_year is None,
            _SOURCE_RANK.get(it.mention.year_source, 9),
            it.index,
        ),
    )


def _claim_year(c: _Cluster) -> tuple[int | None, str]:
    if c.stated_year is not None:
        sources = [it.mention.year_source for it in c.members if it.stated_year is not None]
        return c.stated_year, min(sources, key=lambda s: _SOURCE_RANK[s])
    years = [it.mention.year for it in c.members if it.mention.year is not None]
    if not years:
        return None, "unknown"
    year = min(years)
    sources = [it.mention.year_source for it in c.members if it.mention.year == year]
    source = min(sources, key=lambda s: _SOURCE_RANK.get(s, 9))
    return year, source if source in _SOURCE_RANK else "published"


def _short_doc_names(docs: Iterable[str]) -> dict[str, str]:
    docs = sorted(set(docs))
    prefixes: dict[str, list[str]] = defaultdict(list)
    for doc in docs:
        head = doc.split("_", 1)[0]
        if len(head) == 3 and head.isdigit():
            prefixes[head].append(doc)
    short = {doc: doc for doc in docs}
    for head, owners in prefixes.items():
        if len(owners) == 1:
            short[owners[0]] = head
    return short


def _side_text(c: _Cluster, short: Mapping[str, str]) -> str:
    rep_item = _representative(c)
    rep = rep_item.mention
    seen: list[str] = []
    for it in c.members:
        m = it.mention
        year = str(m.year) if m.year is not None else "no year"
        phrase = _YEAR_PHRASE.get(m.year_source, "year unknown")
        part = f"{short[m.doc]}, {year}, {phrase}"
        if part not in seen:
            seen.append(part)
    value = format_decimal(rep.value) + (f"-{format_decimal(rep_item.high)}" if rep_item.high is not None else "")
    hedge = "" if rep_item.high is not None else _HEDGE_WORD.get(rep.qualifier, "")
    return f"{hedge}{value} ({'; '.join(seen)})"


#: measures that only name the kind of quantity: too generic to say two values describe one fact
GENERIC_MEASURES = frozenset({"", "duration", "age", "area", "rank", "count", "money", "percent", "ratio", "other"})


def _relate(clusters: list[_Cluster], short: Mapping[str, str], params: ConsolidateParams) -> None:
    """Set status, group and reason of the clusters of one key.

    Values under a generic measure ("duration": a 10-year programme and 17 years at the top) may merge
    when equal but never conflict or form a series: nothing says they are the same fact.
    """
    if clusters and is_generic(clusters[0].key[1]):
        for c in clusters:
            c.status = _plain_status(c)
        return
    n = len(clusters)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if _disagree(clusters[i], clusters[j], params):
                parent[find(i)] = find(j)
    components: dict[int, list[_Cluster]] = defaultdict(list)
    for i in range(n):
        components[find(i)].append(clusters[i])

    for c in clusters:
        c.status = _plain_status(c)
    for members in components.values():
        if len(members) < 2:
            continue
        sides = sorted(members, key=lambda c: (_representative(c).mention.value, c.claim_id))
        group = "cg-" + _hash(*members[0].key, *sorted(c.claim_id for c in members))[:10]
        reason = " vs ".join(_side_text(c, short) for c in sides) + _publication_note(sides)
        for c in members:
            c.status, c.group, c.reason = "conflict", group, reason
    dated = [c for c in clusters if c.status != "conflict" and c.stated_year is not None]
    by_measure: dict[str, list[_Cluster]] = defaultdict(list)
    for c in dated:  # a series needs the very same measure, not only a similar one
        by_measure[_norm(_representative(c).mention.measure)].append(c)
    for measure, series in sorted(by_measure.items()):
        if len({c.stated_year for c in series}) < 2:
            continue
        series.sort(key=lambda c: (c.stated_year or 0, _representative(c).mention.value, c.claim_id))
        group = "ts-" + _hash(*series[0].key, measure)[:10]
        steps = "; ".join(
            f"{c.stated_year}: {_HEDGE_WORD[_representative(c).mention.qualifier]}"
            f"{format_decimal(_representative(c).mention.value)}"
            for c in series
        )
        for c in series:
            c.status, c.group, c.reason = "timeseries", group, f"series: {steps}"


def _plain_status(c: _Cluster) -> str:
    """``duplicate`` when two statements say it; a range's high end is the same statement as its low end."""
    statements = len(c.members) + sum(1 for it in c.attached if not _range_rule(it.mention))
    return "duplicate" if statements >= 2 else "single"


def _disagree(a: _Cluster, b: _Cluster, params: ConsolidateParams) -> bool:
    """Two clusters of one key are in conflict: values that cannot both hold, no stated year apart, in
    different articles (two values in one article are two facts), each side confidently attributed and
    its measure confidently the same as the other's."""
    if a.common.overlaps(b.common):
        return False
    if a.stated_year is not None and b.stated_year is not None and a.stated_year != b.stated_year:
        return False  # the text dates each value: a series, not a disagreement
    if {it.mention.doc for it in a.members} & {it.mention.doc for it in b.members}:
        return False
    ra, rb = _representative(a).mention, _representative(b).mention
    if min(ra.confidence, rb.confidence) < params.conflict_min_confidence:
        return False
    return same_measure(_norm(ra.measure), _norm(rb.measure), params.conflict_similarity)


def _publication_note(sides: Sequence[_Cluster]) -> str:
    """ "; published 2018 vs 2022: may be growth" when only publication dates tell the sides apart."""
    floating = [c for c in sides if c.stated_year is None]
    if not floating:
        return ""
    years = sorted(
        {
            it.mention.year
            for c in sides
            for it in c.members
            if it.mention.year is not None and it.mention.year_source not in STATED_SOURCES
        }
    )
    if len(years) < 2:
        return ""
    return f"; published {' vs '.join(map(str, years))}: may be growth"


def _merge_restatements(clusters: list[_Cluster]) -> list[_Cluster]:
    """One value stated again for a later year (``five centres`` in 2017 and in 2019), or again without a
    year, is one claim, not a series: a series needs values that differ. The merged claim keeps the
    earliest stated year."""
    out: list[_Cluster] = []
    by_value: dict[tuple[Decimal, str], _Cluster] = {}
    for c in sorted(clusters, key=lambda c: (c.stated_year is None, c.stated_year or 0, c.members[0].index)):
        rep = _representative(c).mention
        same = by_value.get((rep.value, rep.qualifier))
        if same is None:
            out.append(c)
            if c.stated_year is not None:
                by_value[(rep.value, rep.qualifier)] = c
            continue
        narrowed = same.common.intersect(c.common)
        if narrowed is None:
            out.append(c)
            continue
        same.members.extend(c.members)
        same.members.sort(key=lambda it: it.index)
        same.common = narrowed
    return out


def _assign_claim_ids(clusters: list[_Cluster]) -> None:
    taken: set[str] = set()
    for c in sorted(clusters, key=lambda c: c.members[0].index):
        rep_item = _representative(c)
        rep = rep_item.mention
        year, _ = _claim_year(c)
        value = format_decimal(rep.value) + (f"-{format_decimal(rep_item.high)}" if rep_item.high is not None else "")
        base = "c-" + _hash(*c.key, "" if year is None else str(year), rep.qualifier, value)[:12]
        claim_id, suffix = base, 2
        while claim_id in taken:  # same key, year and value in two clusters: only with odd hedges
            claim_id, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(claim_id)
        c.claim_id = claim_id


def _build_claim(c: _Cluster, review: str) -> Claim:
    rep_item = _representative(c)
    rep = rep_item.mention
    year, year_source = _claim_year(c)
    sources = sorted((it.mention for it in c.members + c.attached), key=lambda m: (m.doc, m.start, m.end, m.quote))
    return Claim(
        claim_id=c.claim_id,
        status=c.status,
        entity=rep.entity,
        measure=rep.measure,
        value=rep.value,
        value_high=rep_item.high,
        unit=rep.unit,
        qualifier="=" if rep_item.high is not None else rep.qualifier,
        year=year,
        year_source=year_source,
        aspect=rep.aspect,
        kind=rep.kind,
        n_sources=len(sources),
        sources=join_sources((m.doc, m.start, m.end) for m in sources),
        quotes=" | ".join(" ".join(m.quote.split()) for m in sources),
        conflict_group=c.group,
        reason=c.reason,
        review=review,
    )


def _row_order(claim: Claim) -> tuple[Any, ...]:
    return (
        claim.status != "conflict",
        _norm(claim.entity),
        _norm(claim.measure),
        _norm(claim.unit),
        _norm(claim.aspect),
        claim.conflict_group,
        claim.year is not None,
        claim.year or 0,
        claim.value,
        claim.qualifier,
        claim.claim_id,
    )


def run(
    mentions: Sequence[Mention] | Any,
    reviews: Sequence[Review] | None = None,
    params: ConsolidateParams | Mapping[str, Any] | None = None,
) -> ConsolidateResult:
    """Group mentions into claims, flag conflicts and series, merge reviews. Pure and deterministic."""
    if params is None:
        params = ConsolidateParams()
    elif not isinstance(params, ConsolidateParams):
        params = ConsolidateParams.model_validate(dict(params))
    tolerances = params.tolerances()
    ordered = sorted(_to_mentions(mentions), key=_canonical_order)

    items: list[_Item] = []
    keys = _grouping_keys(ordered, params.measure_similarity)
    for index, m in enumerate(ordered):
        if m.qualifier not in QUALIFIERS:
            raise InputError(f"mention {m.doc}:{m.start}-{m.end}: unknown qualifier {m.qualifier!r}")
        stated = m.year if m.year is not None and m.year_source in STATED_SOURCES else None
        interval = mention_interval(m.quote, m.value, m.qualifier, tolerances)
        items.append(_Item(index, m, interval, stated, keys[index]))

    conversions = _find_conversions(items, params)
    for low, high in _find_ranges(items).items():
        conversions.setdefault(low, []).append(high)
    restatements = {it.index for attached in conversions.values() for it in attached}
    by_key: dict[Key, list[_Item]] = defaultdict(list)
    for it in items:
        if it.index not in restatements:
            by_key[it.key].append(it)

    short = _short_doc_names(m.doc for m in ordered)
    clusters: list[_Cluster] = []
    for key in sorted(by_key):
        key_clusters = _cluster_key(key, by_key[key])
        for c in key_clusters:
            for it in c.members:
                c.attached.extend(conversions.get(it.index, []))
        clusters.extend(key_clusters)
    _assign_claim_ids(clusters)
    clusters_of: dict[Key, list[_Cluster]] = defaultdict(list)
    for c in clusters:
        clusters_of[c.key].append(c)
    for key in sorted(by_key):
        _relate(clusters_of.get(key, []), short, params)

    review_by_id = {r.claim_id: r for r in reviews or ()}
    claims = sorted(
        (_build_claim(c, review_by_id[c.claim_id].text() if c.claim_id in review_by_id else "") for c in clusters),
        key=_row_order,
    )
    known = {c.claim_id for c in claims}
    orphans = tuple(r for r in reviews or () if r.claim_id not in known)

    cluster_by_id = {c.claim_id: c for c in clusters}
    conflict_rows: list[dict[str, str]] = []
    for claim in claims:
        if claim.status != "conflict":
            continue
        c = cluster_by_id[claim.claim_id]
        for m in sorted((it.mention for it in c.members + c.attached), key=lambda m: (m.doc, m.start, m.end)):
            conflict_rows.append(
                {
                    "conflict_group": claim.conflict_group,
                    "claim_id": claim.claim_id,
                    "doc": m.doc,
                    "quote": m.quote,
                    "value": format_decimal(m.value),
                    "year": "" if m.year is None else str(m.year),
                    "year_source": m.year_source,
                    "reason": claim.reason,
                    "unit": m.unit,
                    "qualifier": m.qualifier,
                    "start": str(m.start),
                    "end": str(m.end),
                }
            )
    return ConsolidateResult(tuple(claims), tuple(conflict_rows), orphans)


# ---------------------------------------------------------------------------------------------------
# CLI


def read_mentions(path: Path) -> list[Mention]:
    """Read mentions.csv (columns MENTION_COLUMNS)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)  # mentions_from_rows takes the spreadsheet protection off
        missing = [name for name in MENTION_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
        return mentions_from_rows(reader)


def read_reviews(path: Path) -> list[Review]:
    """reviews.csv, or no reviews when the file does not exist. UTF-8 (a BOM is fine) or UTF-16 with a
    byte-order mark; anything else is a ReviewsError naming the file and the first line that is not."""
    if not path.exists():
        return []
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return parse_reviews(data.decode("utf-16"), str(path))
        except UnicodeDecodeError as exc:
            raise ReviewsError(f"{path}: UTF-16 byte-order mark but invalid UTF-16 ({exc.reason})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReviewsError(
            f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x}); save reviews.csv as CSV UTF-8"
        ) from None
    return parse_reviews(text, str(path))


def _load_params(path: Path) -> tuple[dict[str, Any], ConsolidateParams]:
    data = load_params(path)
    paths = data.get("paths") or {}
    try:
        params = ConsolidateParams.model_validate(data.get("consolidate") or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(step) for step in first["loc"])
        raise RuleError(path, None, f"consolidate.{where}", first["msg"]) from None
    return paths, params


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pipeline.consolidate [--mentions F] [--reviews F] [--output-dir D] [--params F]``."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.consolidate", description=__doc__.split("\n")[0])
    parser.add_argument("--params", default="params.yaml", help="params file (paths: and consolidate:)")
    parser.add_argument("--mentions", help="mentions CSV (default <paths.output>/mentions.csv)")
    parser.add_argument("--reviews", help="reviewer decisions (default paths.reviews)")
    parser.add_argument("--output-dir", help="where claims/conflicts/orphan_reviews.csv go (default paths.output)")
    args = parser.parse_args(argv)
    try:
        paths, params = _load_params(Path(args.params))
        output = Path(args.output_dir or paths.get("output", "output"))
        mentions_path = Path(args.mentions) if args.mentions else Path(paths.get("output", "output")) / "mentions.csv"
        reviews_path = Path(args.reviews or paths.get("reviews", "reviews.csv"))
        mentions = read_mentions(mentions_path)
        reviews = read_reviews(reviews_path)
        result = run(mentions, reviews, params)
    except (RuleError, ValueError, OSError) as exc:  # InputError, ReviewsError are ValueErrors
        print(f"consolidate: error: {exc}", file=sys.stderr)
        return 1
    _write(output / "claims.csv", result.claims_csv())
    _write(output / "conflicts.csv", result.conflicts_csv())
    _write(output / "orphan_reviews.csv", result.orphans_csv())
    n_conflict_groups = len({c.conflict_group for c in result.claims if c.status == "conflict"})
    print(
        f"consolidate: {len(mentions)} mentions -> {len(result.claims)} claims, "
        f"{n_conflict_groups} conflict groups, {len(result.orphan_reviews)} orphan reviews"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
