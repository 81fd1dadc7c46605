"""Measure phrases as word sets, compared by overlap.

``R&D expenditure`` and ``R&D expenditure`` match exactly; ``enterprise R&D expenditure`` and ``R&D
expenditure`` share two of three words (similar, yet not the same measure: one is a part of the other);
``CNY`` or ``percent`` name only the unit and are *generic*: nothing says two such figures are one fact.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

__all__ = ["GENERIC", "cluster_measures", "is_generic", "signature", "similarity"]

#: words that carry no meaning of their own in a measure
_STOP = frozenset(
    [
        "of",
        "the",
        "and",
        "in",
        "for",
        "on",
        "to",
        "a",
        "an",
        "by",
        "from",
        "with",
        "at",
        "as",
        "per",
        "its",
        "their",
        "total",
        "number",
        "amount",
        "overall",
        "annual",
        "whole",
        "all",
        "each",
        "every",
    ]
)
#: measures that only name the kind or unit of a quantity
GENERIC = frozenset(
    [
        "duration",
        "age",
        "area",
        "rank",
        "count",
        "money",
        "percent",
        "ratio",
        "other",
        "cny",
        "usd",
        "hkd",
        "eur",
        "gbp",
        "jpy",
        "times",
        "year",
        "km2",
        "m2",
        "percentage",
        "point",
    ]
)
_WORD = re.compile(r"[a-z0-9&]+(?:[-'][a-z0-9&]+)*|/")


def _fold(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def signature(measure: str) -> frozenset[str]:
    """The content words of a measure, folded to the singular. A share's base is marked ("/gdp"): "X / Y",
    "share of Y" and "proportion of Y" have the base Y; "Y / Z" is another measure."""
    text = measure.lower()
    base = ""
    for marker in (" / ", "share of ", "proportion of ", "percentage of "):
        if marker in text:
            text, base = text.split(marker, 1)
            break
    words = {_fold(w) for w in _WORD.findall(text) if w not in _STOP and w != "/"}
    words |= {"/" + _fold(w) for w in _WORD.findall(base) if w not in _STOP and w != "/"}
    return frozenset(words)


def is_generic(measure: str) -> bool:
    words = signature(measure)
    return not words or words <= GENERIC


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two signatures (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def cluster_measures(measures: Iterable[str], threshold: float) -> dict[str, str]:
    """Each measure -> the label of its cluster. Greedy complete linkage from the most frequent measure:
    a measure joins the first cluster all of whose members it matches at ``threshold`` or more. Generic
    measures stay alone. Only clusters sharing a word with the measure are looked at (an inverted index),
    so a block of many distinct measures costs about one pass. Deterministic: ties are broken by the text."""
    counts = Counter(measures)
    order = sorted(counts, key=lambda m: (-counts[m], m))
    clusters: list[list[frozenset[str]]] = []
    leaders: list[str] = []
    by_word: dict[str, list[int]] = {}
    label: dict[str, str] = {}
    for measure in order:
        words = signature(measure)
        if is_generic(measure):
            label[measure] = measure
            continue
        candidates = sorted({k for w in words for k in by_word.get(w, ())})
        chosen = next(
            (k for k in candidates if all(similarity(words, other) >= threshold for other in clusters[k])), None
        )
        if chosen is None:
            chosen = len(clusters)
            clusters.append([])
            leaders.append(measure)
        clusters[chosen].append(words)
        for w in words:
            if not by_word.setdefault(w, []) or by_word[w][-1] != chosen:
                by_word[w].append(chosen)
        label[measure] = leaders[chosen]
    return label


def same_measure(a: str, b: str, threshold: float, signatures: Mapping[str, frozenset[str]] | None = None) -> bool:
    """A confident match: neither generic, overlap at ``threshold`` or more."""
    if is_generic(a) or is_generic(b):
        return False
    sa = signatures[a] if signatures and a in signatures else signature(a)
    sb = signatures[b] if signatures and b in signatures else signature(b)
    return similarity(sa, sb) >= threshold
