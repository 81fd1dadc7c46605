"""Records passed between stages: :class:`Quantity`, :class:`Mention`, :class:`Claim`.

Values are :class:`~decimal.Decimal` (binary floats make ``0.07 * 1e4 == 700.0000000000001``) and are
written with :func:`format_decimal`. Offsets are half-open. ``Quantity`` offsets are in the clean
text of a normalized document; ``Mention`` offsets are in the raw article (mapped through the
offset map), so ``raw[start:end] == quote`` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

__all__ = [
    "CLAIM_COLUMNS",
    "KINDS",
    "MENTION_COLUMNS",
    "QUALIFIERS",
    "Claim",
    "Mention",
    "Quantity",
    "format_decimal",
]

#: hedges, from the words around a number
QUALIFIERS = ("=", "~", ">", ">=", "<", "<=", "~<")
#: what sort of quantity a mention is
KINDS = ("count", "money", "percent", "area", "ratio", "rank", "duration", "rate", "age", "other")


def format_decimal(value: Decimal | None) -> str:
    """Canonical plain decimal text: ``5100000``, ``42.7``, ``0.5`` (no exponent, no trailing zeros)."""
    if value is None:
        return ""
    # format() needs no decimal context: a value of any size is written, never rounded or refused
    if value == value.to_integral_value():
        return format(value, ".0f")
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number found in clean text, normalized: what the extract stage finds before attribution."""

    start: int  #: clean-text offset of the quote (number plus scale, unit, counted noun)
    end: int
    value: Decimal
    unit: str  #: canonical unit: ISO currency, ``percent``, ``km2``, ``times``, or counted-noun lemma
    qualifier: str  #: one of QUALIFIERS
    kind: str  #: one of KINDS
    rule: str  #: id(s) of the rule(s) that produced it, ``+``-joined
    number_start: int = -1  #: clean offsets of the number itself inside the quote (for highlighting)
    number_end: int = -1
    unit_start: int = -1  #: clean offsets of the counted noun / unit word, -1 if none
    unit_end: int = -1


@dataclass(frozen=True, slots=True)
class Mention:
    """One quantity mention with provenance and attribution: one row of ``output/mentions.csv``."""

    doc: str
    start: int  #: raw-article offsets, half-open
    end: int
    quote: str  #: ``raw[start:end]``
    value: Decimal
    unit: str
    qualifier: str
    kind: str
    measure: str = ""
    entity: str = ""
    year: int | None = None
    year_source: str = ""  #: explicit / relative / context / published / unknown
    aspect: str = ""  #: level / change / share / rank / target
    confidence: float = 0.0
    rule: str = ""
    why: str = ""
    sentence: str = ""  #: the clean sentence the quantity sits in

    def to_row(self) -> dict[str, str]:
        row: dict[str, str] = {}
        for f in fields(self):
            v: Any = getattr(self, f.name)
            if isinstance(v, Decimal):
                row[f.name] = format_decimal(v)
            elif v is None:
                row[f.name] = ""
            elif isinstance(v, float):
                row[f.name] = f"{v:.2f}"
            else:
                row[f.name] = str(v)
        return row


MENTION_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Mention))

#: claims.csv column order, fixed by the output contract
CLAIM_COLUMNS: tuple[str, ...] = (
    "claim_id",
    "status",
    "entity",
    "measure",
    "value",
    "unit",
    "qualifier",
    "year",
    "year_source",
    "aspect",
    "kind",
    "n_sources",
    "sources",
    "quotes",
    "conflict_group",
    "reason",
    "review",
)


@dataclass(frozen=True, slots=True)
class Claim:
    """One distinct claim: one row of ``output/claims.csv`` (column order in CLAIM_COLUMNS)."""

    claim_id: str
    status: str  #: single / duplicate / conflict / timeseries
    entity: str
    measure: str
    value: Decimal
    unit: str
    qualifier: str
    year: int | None
    year_source: str
    aspect: str
    kind: str
    n_sources: int
    sources: str  #: ``;``-joined ``doc:start-end``
    quotes: str  #: `` | ``-joined quotes
    conflict_group: str = ""
    reason: str = ""
    review: str = ""
    value_high: Decimal | None = None  #: the upper end of a range ("aged between 18 and 45": value 18, high 45)

    def to_row(self) -> dict[str, str]:
        row: dict[str, str] = {}
        for name in CLAIM_COLUMNS:
            v: Any = getattr(self, name)
            if isinstance(v, Decimal):
                row[name] = format_decimal(v)
            elif v is None:
                row[name] = ""
            else:
                row[name] = str(v)
        if self.value_high is not None:
            row["value"] = f"{format_decimal(self.value)}-{format_decimal(self.value_high)}"
        return row
