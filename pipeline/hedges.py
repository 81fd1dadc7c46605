"""Hedges that govern more than the number they are written before.

The qualifier matcher of :mod:`pipeline.quantities` reads the words right before and after one number
(``more than 2.4 trillion yuan``). Two shapes of news text put one hedge over two numbers:

- a restatement in brackets, the same amount in another currency or unit: ``surpassed 2.4 trillion yuan
  (354 billion US dollars)`` -- the dollars are hedged as the yuan are;
- coordinated amounts after one hedging verb, each with an optional time adjunct: ``exceeded 1 trillion
  yuan in 2012 and 2 trillion yuan in 2019`` -- both exceeded.

:func:`share_hedges` hands the earlier quantity's hedge to the later one in these two shapes only, and
only to a quantity that has no hedge of its own. Pure: text and quantities in, quantities out.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from pipeline.types import Quantity

__all__ = ["share_hedges"]

#: "2.4 trillion yuan (354 billion US dollars)": only an opening bracket between the two
_BRACKET = re.compile(r"\s*\(\s*")
#: "1 trillion yuan in 2012 and 2 trillion yuan": a conjunction, after an optional time adjunct
_COORDINATED = re.compile(
    r"(?:\s+(?:in|by|as\s+of|at\s+the\s+end\s+of)\s+(?:19|20)\d\d)?\s*,?\s+(?:and|or)\s+", re.IGNORECASE
)


def share_hedges(text: str, quantities: Sequence[Quantity], written: Sequence[bool]) -> list[Quantity]:
    """``quantities`` in text order; ``written[k]``: whether quantity k's qualifier comes from a hedge word
    around it (not from a rule, a range, or the ``=`` default). A quantity with ``=`` by default takes
    the hedge written on the quantity before it, in the two shapes above."""
    out = list(quantities)
    for k in range(1, len(out)):
        q, before = out[k], out[k - 1]
        if q.qualifier != "=" or written[k] or not written[k - 1] or before.qualifier == "=":
            continue
        gap = text[before.end : q.start]
        restated = _BRACKET.fullmatch(gap) is not None and before.kind == q.kind
        coordinated = _COORDINATED.fullmatch(gap) is not None and bool(q.unit) and before.unit == q.unit
        if restated or coordinated:
            out[k] = dataclasses.replace(q, qualifier=before.qualifier)
    return out
