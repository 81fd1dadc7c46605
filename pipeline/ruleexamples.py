"""The examples every rule file carries: an invented sentence and what the extract stage must make of it.

A pattern rule holds its own (``rules/patterns/*.yml``); a vocabulary file (``units.yml``, ``scales.yml``,
``numerals.yml``, ``qualifiers.yml``) holds a top-level ``examples`` list that shows its entries in use.
``tests/test_quantity_rules.py`` runs each through ``pipeline.extract.extract_text``, the path a user's
text takes (normalization, sentence filter, parse, attribution).
"""

from __future__ import annotations

from decimal import Decimal

from pipeline.ruleio import StrictModel

__all__ = ["ExpectedQuantity", "RuleExample"]


class ExpectedQuantity(StrictModel):
    """One mention the example must yield, in order: its quote and, where given, the other fields."""

    quote: str
    value: Decimal | None = None
    unit: str | None = None
    qualifier: str | None = None
    kind: str | None = None


class RuleExample(StrictModel):
    """``expect: []`` means no mention at all; ``xfail`` marks a known gap (run as a strict xfail)."""

    text: str
    expect: list[ExpectedQuantity]
    xfail: str | None = None
