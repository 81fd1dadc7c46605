"""Numeric-claims pipeline: find, normalize, attribute and consolidate numeric claims in news text.

Stages (each ``python -m pipeline.<stage>``, wired in ``dvc.yaml``): normalize -> extract ->
consolidate -> evaluate / report.
"""

from __future__ import annotations

from pipeline.textmap import OffsetMap, to_raw
from pipeline.types import Claim, Mention, Quantity

__all__ = ["Claim", "Mention", "OffsetMap", "Quantity", "extract_text", "to_raw"]


def extract_text(text: str, published: str | None = None) -> list[Mention]:
    """Quantity mentions of one text (see :func:`pipeline.extract.extract_text`).

    Imported lazily: loading spaCy takes seconds and most stages do not need it.
    """
    from pipeline.extract import extract_text as _extract_text

    return _extract_text(text, published)
