"""Pydantic models of what the per-article stages write, to validate data read back from disk.

``output/normalized/<doc>.json`` (:class:`NormalizedRecord`) and the per-article cache entries of
normalize (the same document), extract (a list of :class:`MentionRecord`) and unclaimed (a list of
:class:`UnclaimedRecord`) are checked before use: a cache entry of the wrong shape (``[]`` where a
document belongs, ``{}``, a row missing a field) is a cache miss, never a crash nor a silently empty
article; a normalized document of the wrong shape is reported and skipped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

__all__ = [
    "MENTION_LIST",
    "UNCLAIMED_LIST",
    "MentionRecord",
    "NormalizedRecord",
    "UnclaimedRecord",
    "validated",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Offsets(_Record):
    clean_length: int = Field(ge=0)
    raw_length: int = Field(ge=0)
    segments: list[Annotated[list[int], Field(min_length=5, max_length=5)]]


class _Section(_Record):
    heading: str
    heading_start: int
    heading_end: int
    start: int
    end: int


class _Removal(_Record):
    rule: str
    start: int
    end: int
    text: str


class NormalizedRecord(_Record):
    """One normalized document as :meth:`pipeline.normalize.NormalizedDoc.to_json` writes it."""

    doc: str = Field(min_length=1)
    file: str = ""
    raw_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    encoding: str
    title: str
    byline: str
    source: str
    site: str
    published: str = Field(pattern=r"^(?:\d{4}(?:-\d{2}-\d{2})?)?$")
    published_source: str
    published_rule: str
    sections: list[_Section]
    removed: list[_Removal]
    repairs: dict[str, int]
    text: str
    offsets: _Offsets


class MentionRecord(_Record):
    """One cached mention (the fields of :class:`pipeline.types.Mention`, ``value`` as text)."""

    doc: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    quote: str
    value: str
    unit: str
    qualifier: str
    kind: str
    measure: str
    entity: str
    year: int | None
    year_source: str
    aspect: str
    confidence: float
    rule: str
    why: str
    sentence: str

    def model_post_init(self, context: Any, /) -> None:
        if not Decimal(self.value).is_finite():
            raise ValueError(f"value {self.value!r} is not a finite number")


class UnclaimedRecord(_Record):
    """One cached row of ``output/unclaimed.csv``."""

    doc: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    quote: str
    reason: str
    rule: str
    sentence: str


MENTION_LIST: TypeAdapter[list[MentionRecord]] = TypeAdapter(list[MentionRecord])
UNCLAIMED_LIST: TypeAdapter[list[UnclaimedRecord]] = TypeAdapter(list[UnclaimedRecord])

M = TypeVar("M")


def validated(data: Any, adapter: TypeAdapter[M] | type[BaseModel]) -> str:
    """``""`` when ``data`` fits the model or adapter, else the first problem, for a log line."""
    try:
        if isinstance(adapter, TypeAdapter):
            adapter.validate_python(data)
        else:
            adapter.model_validate(data)
    except (ValidationError, ValueError, ArithmeticError) as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(step) for step in first["loc"]) or "(top)"
            return f"{where}: {first['msg']}"
        return str(exc)
    return ""
