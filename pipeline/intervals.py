"""Value intervals: what range of true values a written, hedged, rounded number allows.

A mention says ``over 5.1 million`` or ``around 2,243`` or ``510 Ten thousand``; to decide whether two
mentions can state the same fact, each becomes a closed interval of :class:`~decimal.Decimal` bounds
(``Decimal('Infinity')`` for an open side) and two mentions are *compatible* when their intervals
overlap. Nothing here knows about entities or years: that is the consolidate stage.

Rounding (implied precision): a written number is only as precise as its last written digit, scaled
by its scale word. ``5.1 million`` has a last digit worth 0.1 million, so it stands for
[5.05M, 5.15M); ``510 Ten thousand`` is worth 10,000 per digit: [5.095M, 5.105M); ``11,230`` and
``Twelve`` are exact to +-0.5; ``4.13%`` is +-0.005. The digits are read from the quote; when the
quote has no digits (word numbers) or its digits do not relate to the value by a power of ten, an
integral value is taken as exact to +-0.5 and a fractional one to half its last decimal place.
Trailing zeros of an integer are read as significant (``2,700`` is +-0.5, not +-50): a hedge word, not
a round number, is what widens an interval, so round figures from different sources still conflict.

Qualifiers (h = half the implied precision, v = value, |v| its magnitude):

====== ===================================================== =====================================
``=``  [v - h - exact*|v|, v + h + exact*|v|)                 ``exact`` defaults to 0
``~``  [v - h - about*|v|, v + h + about*|v|)                 ``about`` defaults to 0.05
``~<`` [v - h - nearly*|v|, v + h)                            ``nearly`` defaults to 0.10
``>``  [v, +inf)  (``>=`` the same)                           ``over 5.1 million`` is [5.1M, inf)
``<``  (-inf, v]  (``<=`` the same)
====== ===================================================== =====================================

``open_bound_ratio`` (default ``None``: unbounded) caps the open side of ``>``/``<`` at ``v*ratio`` and
``v/ratio`` for a positive v, for corpora where "more than 10" must not absorb "500".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

__all__ = [
    "INF",
    "Interval",
    "Tolerances",
    "compatible",
    "mention_interval",
    "stab_clusters",
    "value_interval",
    "written_precision",
]

INF = Decimal("Infinity")
_ZERO = Decimal(0)
_HALF = Decimal("0.5")

# A written number: digits with optional thousands commas and a decimal part (``2,243``, ``CNY4.99``).
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class Interval:
    """``[low, high]``, or ``[low, high)`` when ``high_open``; ``-INF``/``INF`` for an unbounded side.

    Rounding makes the upper side open (``5.1 million`` is [5.05M, 5.15M): 5.15M would be written
    5.2 million), so ``2,243`` and ``2,244`` do not touch; a hedge bound (``up to 45``) is closed.
    """

    low: Decimal
    high: Decimal
    high_open: bool = False

    def intersect(self, other: Interval) -> Interval | None:
        low = max(self.low, other.low)
        if self.high == other.high:
            high, high_open = self.high, self.high_open or other.high_open
        elif self.high < other.high:
            high, high_open = self.high, self.high_open
        else:
            high, high_open = other.high, other.high_open
        if low < high or (low == high and not high_open):
            return Interval(low, high, high_open)
        return None

    def overlaps(self, other: Interval) -> bool:
        return self.intersect(other) is not None

    @property
    def width(self) -> Decimal:
        return self.high - self.low


@dataclass(frozen=True, slots=True)
class Tolerances:
    """Relative tolerances per hedge; the consolidate stage fills them from params.yaml."""

    about: Decimal = Decimal("0.05")
    nearly: Decimal = Decimal("0.10")
    exact: Decimal = Decimal("0")
    open_bound_ratio: Decimal | None = None


def _is_power_of_ten(ratio: Decimal) -> bool:
    if ratio <= 0:
        return False
    digits = ratio.normalize().as_tuple().digits
    return digits == (1,)


def written_precision(quote: str, value: Decimal) -> Decimal:
    """Place value of the last written digit, in the units of ``value`` (``5.1 million`` -> 100000).

    A number written in parts (``1 billion 100 million``, a calque of 11亿) is as precise as its last
    non-zero digit: the zeros of its last part only fill the place the next part would take."""
    magnitude = abs(value)
    if len(_NUMBER.findall(quote)) >= 2 and re.search(r"\d\s+[a-zA-Z]+\s+\d", quote) and magnitude >= 10:
        return _last_nonzero_place(magnitude)
    for match in _NUMBER.finditer(quote):
        text = match.group().replace(",", "")
        written = Decimal(text)
        if written == 0:
            continue
        ratio = magnitude / written
        if not _is_power_of_ten(ratio):
            continue
        decimals = len(text.split(".", 1)[1]) if "." in text else 0
        return ratio.scaleb(-decimals)
    if magnitude == magnitude.to_integral_value():
        return Decimal(1)
    exponent = magnitude.normalize().as_tuple().exponent
    return Decimal(1).scaleb(int(exponent))


def _last_nonzero_place(magnitude: Decimal) -> Decimal:
    """10 ** (the place of the last non-zero digit): 1105000000 -> 1000000, 1100000000 -> 100000000."""
    digits, exponent = magnitude.normalize().as_tuple()[1:]
    return Decimal(1).scaleb(int(exponent)) if digits else Decimal(1)


def value_interval(value: Decimal, qualifier: str, precision: Decimal, tol: Tolerances) -> Interval:
    """The interval of true values that ``qualifier value`` (written with ``precision``) allows."""
    half = precision * _HALF
    size = abs(value)
    ratio = tol.open_bound_ratio
    if qualifier == "=":
        return Interval(value - half - tol.exact * size, value + half + tol.exact * size, True)
    if qualifier == "~":
        return Interval(value - half - tol.about * size, value + half + tol.about * size, True)
    if qualifier == "~<":
        return Interval(value - half - tol.nearly * size, value + half, True)
    if qualifier in (">", ">="):
        high = value * ratio if ratio is not None and value > 0 else INF
        return Interval(value, high)
    if qualifier in ("<", "<="):
        low = value / ratio if ratio is not None and value > 0 else -INF
        return Interval(low, value)
    raise ValueError(f"unknown qualifier {qualifier!r}")


def mention_interval(quote: str, value: Decimal, qualifier: str, tol: Tolerances) -> Interval:
    """Interval of one mention: precision read from its quote, width from its hedge."""
    return value_interval(value, qualifier, written_precision(quote, value), tol)


def compatible(a: Interval, b: Interval) -> bool:
    """Two statements can both be true of the same fact."""
    return a.overlaps(b)


T = TypeVar("T")


def stab_clusters(items: Sequence[T], interval_of: Callable[[T], Interval]) -> list[list[T]]:
    """Partition ``items`` into the fewest groups whose intervals share a common point.

    Greedy interval stabbing: the smallest upper bound left is a point every interval starting at or
    below it contains, so each group is pairwise compatible (overlap alone is not transitive: ``~100``
    overlaps ``~106`` and ``~106`` overlaps ``~112``, but one fact cannot be both 100 and 112).
    The result depends only on the intervals and on the order of ``items`` for exact ties, so callers
    pass items in a canonical order.
    """

    def order_key(i: int) -> tuple[Decimal, bool, Decimal, int]:
        iv = interval_of(items[i])
        return (iv.high, not iv.high_open, iv.low, i)  # an open end sorts before a closed one

    order = sorted(range(len(items)), key=order_key)
    taken = [False] * len(items)
    groups: list[list[T]] = []
    for i in order:
        if taken[i]:
            continue
        point, point_open = interval_of(items[i]).high, interval_of(items[i]).high_open
        group = []
        for j in order:
            low = interval_of(items[j]).low
            if not taken[j] and (low < point or (low == point and not point_open)):
                taken[j] = True
                group.append(j)
        groups.append([items[j] for j in sorted(group)])
    return groups
