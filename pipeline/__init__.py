"""Numeric-claims pipeline: find, normalize, attribute and consolidate numeric claims in news text.

Stages (each ``python -m pipeline.<stage>``, wired in ``dvc.yaml``): normalize -> extract ->
consolidate -> evaluate / report.
"""

from __future__ import annotations

from pipeline.textmap import OffsetMap, to_raw
from pipeline.types import Claim, Mention, Quantity

__all__ = ["Claim", "Mention", "OffsetMap", "Quantity", "to_raw"]
