"""Score extracted mentions against the gold annotations: pure functions, no I/O.

Inputs are plain rows as read by :class:`csv.DictReader` (every value a string):

- predictions: rows of ``output/mentions.csv`` (``pipeline.types.MENTION_COLUMNS``), raw-article offsets
  ``[start, end)``;
- gold: rows of ``tests/gold/seeds_gold.csv`` (schema in ``tests/gold/GOLD_SCHEMA.md``); a gold row's raw
  span is the ``occurrence``-th occurrence of ``quote`` in the raw article;
- ``raw_texts``: ``{doc: raw article text}`` (the ``seeds/<doc>.txt`` files).

What every number means (the README quotes these definitions):

*Scored documents* are the documents that have at least one gold row and whose raw text is available.
Predictions in any other document are skipped: neither true nor false positives.

*Matching* is one-to-one, per document, by span overlap: a prediction and a gold mention can be paired when
their raw spans share at least one character. Among all pairings, a maximum matching is chosen, required
gold rows first (so a prediction is never spent on an optional row when a required row needs it), each gold
row preferring the prediction with the largest overlap. Ties break by position, so the result is deterministic.

*Detection*:
``tp`` = required gold rows matched to a prediction; ``fn`` = required gold rows left unmatched;
``fp`` = predictions that are matched to nothing and overlap no optional (``required=0``) gold row.
Predictions matched to, or overlapping, an optional row are ``ignored`` (no credit, no penalty).
``precision = tp / (tp + fp)``, ``recall = tp / (tp + fn)``, ``f1`` their harmonic mean (0 when undefined).

*Value F1*, *value+unit F1*, *tuple F1*: the same formulas, but a matched required pair counts as a true
positive only when the prediction also gets the named fields right; a matched pair that gets them wrong
counts as a false positive *and* a false negative (the standard strict F1). Fields compare as:
``value`` numerically (``Decimal``: ``5100000`` == ``5.1E+6``); ``unit`` after trimming, case-insensitively;
``entity`` as the exact canonical name (trimmed, case-sensitive: containment is not enough);
``year`` as an integer, an empty year equal only to an empty year. The full tuple is
(value, unit, entity, year).

*Field accuracy* (qualifier, entity, year, kind, unit, value): over the matched required pairs only, the
share whose predicted field equals the gold one. It answers "when we find the quantity, how often is this
field right", independently of detection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = [
    "FIELD_NAMES",
    "GoldError",
    "GoldMention",
    "Match",
    "Predicted",
    "f1_block",
    "field_equal",
    "locate_gold",
    "match_document",
    "match_all",
    "parse_predictions",
    "score_mentions",
]

#: fields whose accuracy is reported over matched required pairs
FIELD_NAMES: tuple[str, ...] = ("value", "unit", "qualifier", "kind", "entity", "year")
#: field sets that must all be right for a matched pair to count in the strict F1 scores
STRICT_SETS: dict[str, tuple[str, ...]] = {
    "value": ("value",),
    "value_unit": ("value", "unit"),
    "tuple": ("value", "unit", "entity", "year"),
}


class GoldError(ValueError):
    """A gold row cannot be located in its raw article (quote absent or occurrence too high)."""


@dataclass(frozen=True, slots=True)
class GoldMention:
    """A gold row with its raw span resolved."""

    doc: str
    start: int
    end: int
    required: bool
    row: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Predicted:
    """A predicted mention row with parsed offsets."""

    doc: str
    start: int
    end: int
    row: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Match:
    """The result of matching one document (or all of them)."""

    pairs: tuple[tuple[Predicted, GoldMention], ...]  #: matched (prediction, gold), gold required or not
    missed: tuple[GoldMention, ...]  #: required gold rows with no prediction
    false: tuple[Predicted, ...]  #: counted false positives
    ignored: tuple[Predicted, ...]  #: predictions on optional gold rows (matched or merely overlapping)


def _nth_occurrence(text: str, needle: str, n: int) -> int:
    pos = -1
    for _ in range(n):
        pos = text.find(needle, pos + 1)
        if pos < 0:
            return -1
    return pos


def locate_gold(gold_rows: Iterable[Mapping[str, str]], raw_texts: Mapping[str, str]) -> list[GoldMention]:
    """Resolve each gold row to its raw span; rows of documents without raw text are dropped.

    Raises :class:`GoldError` naming doc, quote and occurrence when a quote cannot be found: a gold file
    that disagrees with its articles must stop the evaluation, not silently score lower.
    """
    located: list[GoldMention] = []
    for row in gold_rows:
        doc = row["doc"]
        if doc not in raw_texts:
            continue
        quote = row["quote"]
        occurrence_text = (row.get("occurrence") or "1").strip()
        try:
            occurrence = int(occurrence_text)
        except ValueError as err:
            raise GoldError(f"{doc}: quote {quote!r}: occurrence {occurrence_text!r} is not an integer") from err
        if not quote or occurrence < 1:
            raise GoldError(f"{doc}: empty quote or occurrence < 1 in gold row {dict(row)!r}")
        start = _nth_occurrence(raw_texts[doc], quote, occurrence)
        if start < 0:
            raise GoldError(f"{doc}: quote {quote!r} occurrence {occurrence} not found in the raw article")
        required = (row.get("required") or "1").strip() != "0"
        located.append(GoldMention(doc, start, start + len(quote), required, row))
    return located


def parse_predictions(rows: Iterable[Mapping[str, str]]) -> list[Predicted]:
    """Parse offsets of mention rows; a row with unparsable offsets raises ``ValueError`` naming it."""
    parsed: list[Predicted] = []
    for row in rows:
        try:
            start, end = int(row["start"]), int(row["end"])
        except (KeyError, ValueError) as err:
            raise ValueError(f"mention row without integer start/end: {dict(row)!r}") from err
        parsed.append(Predicted(row["doc"], start, end, row))
    return parsed


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def match_document(predictions: Sequence[Predicted], gold: Sequence[GoldMention]) -> Match:
    """One-to-one maximum matching by span overlap within one document (see the module docstring).

    Kuhn's augmenting-path algorithm, visiting required gold rows before optional ones: a gold row matched
    once stays matched, so the required rows get a maximum matching before any optional row is considered.
    """
    preds = sorted(predictions, key=lambda p: (p.start, p.end))
    golds = sorted(gold, key=lambda g: (not g.required, g.start, g.end))
    candidates: list[list[int]] = []
    for g in golds:
        scored = [
            (-_overlap(p.start, p.end, g.start, g.end), abs(p.start - g.start), i)
            for i, p in enumerate(preds)
            if _overlap(p.start, p.end, g.start, g.end) > 0
        ]
        candidates.append([i for _, _, i in sorted(scored)])

    pred_to_gold: dict[int, int] = {}

    def augment(gi: int, seen: set[int]) -> bool:
        for pi in candidates[gi]:
            if pi in seen:
                continue
            seen.add(pi)
            if pi not in pred_to_gold or augment(pred_to_gold[pi], seen):
                pred_to_gold[pi] = gi
                return True
        return False

    for gi in range(len(golds)):
        augment(gi, set())

    matched_gold = set(pred_to_gold.values())
    pairs = tuple(sorted(((preds[pi], golds[gi]) for pi, gi in pred_to_gold.items()), key=lambda pg: pg[1].start))
    missed = tuple(g for gi, g in enumerate(golds) if g.required and gi not in matched_gold)
    false: list[Predicted] = []
    ignored: list[Predicted] = []
    for pi, p in enumerate(preds):
        if pi in pred_to_gold:
            if not golds[pred_to_gold[pi]].required:
                ignored.append(p)
            continue
        if any(not g.required and _overlap(p.start, p.end, g.start, g.end) > 0 for g in golds):
            ignored.append(p)
        else:
            false.append(p)
    return Match(pairs, tuple(sorted(missed, key=lambda g: g.start)), tuple(false), tuple(ignored))


def match_all(predictions: Iterable[Predicted], gold: Iterable[GoldMention]) -> Match:
    """Match every scored document (documents with gold); predictions elsewhere are dropped."""
    gold_by_doc: dict[str, list[GoldMention]] = {}
    for g in gold:
        gold_by_doc.setdefault(g.doc, []).append(g)
    pred_by_doc: dict[str, list[Predicted]] = {}
    for p in predictions:
        if p.doc in gold_by_doc:
            pred_by_doc.setdefault(p.doc, []).append(p)
    pairs: list[tuple[Predicted, GoldMention]] = []
    missed: list[GoldMention] = []
    false: list[Predicted] = []
    ignored: list[Predicted] = []
    for doc in sorted(gold_by_doc):
        m = match_document(pred_by_doc.get(doc, []), gold_by_doc[doc])
        pairs.extend(m.pairs)
        missed.extend(m.missed)
        false.extend(m.false)
        ignored.extend(m.ignored)
    return Match(tuple(pairs), tuple(missed), tuple(false), tuple(ignored))


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None


def _year(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(Decimal(text))  # tolerate "2017.0" from spreadsheet round-trips
    except (InvalidOperation, ValueError):
        return None


def field_equal(name: str, predicted: Mapping[str, str], gold: Mapping[str, str]) -> bool:
    """Whether one field of a prediction equals the gold one, compared as the module docstring says."""
    p, g = (predicted.get(name) or ""), (gold.get(name) or "")
    if name == "value":
        pv, gv = _decimal(p), _decimal(g)
        return pv is not None and gv is not None and pv == gv
    if name == "unit":
        return " ".join(p.split()).casefold() == " ".join(g.split()).casefold()
    if name == "year":
        return _year(p) == _year(g) and (bool(p.strip()) == bool(g.strip()))
    return p.strip() == g.strip()


def f1_block(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    """``{tp, fp, fn, precision, recall, f1}``; a ratio with a zero denominator is 0.0."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def score_mentions(
    mention_rows: Iterable[Mapping[str, str]],
    gold_rows: Iterable[Mapping[str, str]],
    raw_texts: Mapping[str, str],
) -> dict[str, object]:
    """All mention-level scores, as a nested dict of plain numbers (definitions in the module docstring).

    Keys: ``detection``, ``value``, ``value_unit``, ``tuple`` (each ``{tp, fp, fn, precision, recall, f1}``),
    ``accuracy`` (``{field: share}`` over matched required pairs), ``counts`` (documents scored, gold rows
    required/optional, predictions scored/ignored/skipped, matched required pairs).
    """
    rows = list(mention_rows)
    gold = locate_gold(gold_rows, raw_texts)
    predictions = parse_predictions(rows)
    scored_docs = {g.doc for g in gold}
    match = match_all(predictions, gold)

    required_pairs = [(p, g) for p, g in match.pairs if g.required]
    tp = len(required_pairs)
    fp = len(match.false)
    fn = len(match.missed)
    result: dict[str, object] = {"detection": f1_block(tp, fp, fn)}
    for label, names in STRICT_SETS.items():
        good = sum(1 for p, g in required_pairs if all(field_equal(n, p.row, g.row) for n in names))
        # a matched pair with a wrong field is both a wrong answer (fp) and a miss (fn)
        result[label] = f1_block(good, fp + (tp - good), fn + (tp - good))
    result["accuracy"] = {
        name: (sum(1 for p, g in required_pairs if field_equal(name, p.row, g.row)) / tp if tp else 0.0)
        for name in FIELD_NAMES
    }
    result["counts"] = {
        "docs_scored": len(scored_docs),
        "gold_required": sum(1 for g in gold if g.required),
        "gold_optional": sum(1 for g in gold if not g.required),
        "predictions_scored": sum(1 for p in predictions if p.doc in scored_docs) - len(match.ignored),
        "predictions_ignored_optional": len(match.ignored),
        "predictions_skipped_no_gold": sum(1 for p in predictions if p.doc not in scored_docs),
        "matched_required": tp,
    }
    return result
