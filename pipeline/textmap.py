"""The offset map between clean text and the raw article.

Normalization edits the raw text (repairs, furniture removal). :class:`EditableText` applies edits
while remembering, for every clean character, which raw characters it came from. The result
compresses into :class:`OffsetMap`: a short list of aligned segments ``[clean_start, clean_end,
raw_start, raw_end]``. A segment is either a *copy* (same length on both sides, character for
character) or a *replacement* (clean text produced from a raw span, possibly of another length).

Invariant used by every later stage: :meth:`OffsetMap.to_raw` maps a half-open clean span to a
half-open raw span, monotonically, and for copy segments ``clean[i] == raw[to_raw(i, i+1)]``.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Edit", "EditableText", "OffsetMap", "Segment", "to_raw"]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace clean ``[start, end)`` with ``replacement``."""

    start: int
    end: int
    replacement: str


class EditableText:
    """Clean text under construction, with the origin in the raw text of every clean character.

    Origins are kept as runs (a copied run of raw characters, or the text an edit produced from a raw
    span), not per character: memory grows with the number of edits, not with the text, so a 2 MB
    article normalizes in a few times its own size.
    """

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.text = raw
        # runs in clean order: (length, raw_lo, raw_hi, is_copy); a copy run maps character k to
        # raw[raw_lo + k]; a replacement run maps each of its characters to raw[raw_lo:raw_hi]
        self._runs: list[tuple[int, int, int, int]] = [(len(raw), 0, len(raw), 1)] if raw else []
        self._starts: list[int] = [0] if raw else []

    def _run_at(self, pos: int) -> int:
        return bisect.bisect_right(self._starts, pos) - 1

    def _lo(self, pos: int) -> int:
        k = self._run_at(pos)
        _length, lo, _hi, is_copy = self._runs[k]
        return lo + (pos - self._starts[k]) if is_copy else lo

    def _hi(self, pos: int) -> int:
        k = self._run_at(pos)
        _length, lo, hi, is_copy = self._runs[k]
        return lo + (pos - self._starts[k]) + 1 if is_copy else hi

    def _slice(self, start: int, end: int) -> Iterable[tuple[int, int, int, int]]:
        """The runs covering clean ``[start, end)``, cut to it."""
        if end <= start:
            return
        k = self._run_at(start)
        while k < len(self._runs) and self._starts[k] < end:
            length, lo, hi, is_copy = self._runs[k]
            c0 = self._starts[k]
            a, b = max(start, c0), min(end, c0 + length)
            if is_copy:
                yield b - a, lo + (a - c0), lo + (b - c0), 1
            else:
                yield b - a, lo, hi, 0
            k += 1

    def apply(self, edits: Iterable[Edit]) -> None:
        """Apply non-overlapping edits given in clean coordinates of the current text."""
        ordered = sorted(edits, key=lambda e: (e.start, e.end))
        if not ordered:
            return
        text = self.text
        out: list[str] = []
        runs: list[tuple[int, int, int, int]] = []
        pos = 0
        for edit in ordered:
            if edit.start < pos or edit.end < edit.start or edit.end > len(text):
                raise ValueError(f"overlapping or out-of-range edit {edit}")
            out.append(text[pos : edit.start])
            runs.extend(self._slice(pos, edit.start))
            if edit.end > edit.start:
                raw_lo, raw_hi = self._lo(edit.start), self._hi(edit.end - 1)
            else:  # insertion: anchored between two raw characters
                anchor = self._hi(edit.start - 1) if edit.start > 0 else (self._lo(0) if text else 0)
                raw_lo = raw_hi = anchor
            out.append(edit.replacement)
            if edit.replacement:
                runs.append((len(edit.replacement), raw_lo, raw_hi, 0))
            pos = edit.end
        out.append(text[pos:])
        runs.extend(self._slice(pos, len(text)))
        self.text = "".join(out)
        self._runs = runs
        self._starts = list(itertools.accumulate((r[0] for r in runs[:-1]), initial=0)) if runs else []

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Raw span of the current clean span (used while edits are still being applied)."""
        if end <= start:
            if start < len(self.text):
                return self._lo(start), self._lo(start)
            return len(self.raw), len(self.raw)
        return self._lo(start), self._hi(end - 1)

    def raw_pieces(self, start: int, end: int) -> list[tuple[int, int]]:
        """The raw spans the clean span ``[start, end)`` came from, merged where contiguous.

        A clean span can straddle text cut earlier; its origin is then several raw pieces.
        """
        pieces: list[tuple[int, int]] = []
        for _length, lo, hi, _is_copy in self._slice(start, end):
            if pieces and lo <= pieces[-1][1]:
                pieces[-1] = (pieces[-1][0], max(pieces[-1][1], hi))
            else:
                pieces.append((lo, hi))
        return pieces

    def offset_map(self) -> OffsetMap:
        """Join the runs into aligned segments: neighbouring copies of consecutive raw text, and
        neighbouring replacements of the same raw span, are one segment."""
        segments: list[list[int]] = []
        pos = 0
        for length, lo, hi, is_copy in self._runs:
            last = segments[-1] if segments else None
            if last is not None and last[4] == is_copy and (last[3] == lo if is_copy else last[2:4] == [lo, hi]):
                last[1] = pos + length
                last[3] = hi
            else:
                segments.append([pos, pos + length, lo, hi, is_copy])
            pos += length
        return OffsetMap(tuple((a, b, c, d, e) for a, b, c, d, e in segments), len(self.text), len(self.raw))


# (clean_start, clean_end, raw_start, raw_end, is_copy)
Segment = tuple[int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Aligned segments from clean to raw text; see the module docstring."""

    segments: tuple[Segment, ...]
    clean_length: int
    raw_length: int

    def _segment(self, clean_pos: int) -> Segment | None:
        k = bisect.bisect_right(self.segments, (clean_pos, _BIG)) - 1
        return self.segments[k] if k >= 0 else None

    def _raw_start(self, pos: int) -> int:
        seg = self._segment(pos)
        if seg is None:
            return 0
        c0, c1, r0, r1, is_copy = seg
        if pos >= c1:
            return r1
        return r0 + (pos - c0) if is_copy else r0

    def _raw_end(self, pos: int) -> int:
        """Raw end of a clean span that ends at ``pos`` (exclusive)."""
        seg = self._segment(pos - 1)
        if seg is None:
            return 0
        c0, _c1, r0, r1, is_copy = seg
        return r0 + (pos - c0) if is_copy else r1

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Map clean ``[start, end)`` to raw ``[raw_start, raw_end)``."""
        if not 0 <= start <= end <= self.clean_length:
            raise ValueError(f"clean span [{start}, {end}) outside text of length {self.clean_length}")
        if start == end:
            pos = self._raw_start(start) if start < self.clean_length else self.raw_length
            return pos, pos
        return self._raw_start(start), self._raw_end(end)

    def from_raw(self, raw_start: int, raw_end: int) -> tuple[int, int]:
        """Smallest clean span holding every clean character that came from raw ``[raw_start, raw_end)``.

        Returns an empty span at the nearest clean position when nothing of that raw span survived.
        """
        lo: int | None = None
        hi: int | None = None
        for c0, c1, r0, r1, is_copy in self.segments:
            if is_copy:
                a, b = max(r0, raw_start), min(r1, raw_end)
                if a < b:
                    lo = c0 + (a - r0) if lo is None else lo
                    hi = c0 + (b - r0)
            elif r0 < raw_end and raw_start < r1 or (r0 == r1 and raw_start <= r0 <= raw_end):
                lo = c0 if lo is None else lo
                hi = c1
        if lo is None or hi is None:
            k = next((seg[0] for seg in self.segments if seg[2] >= raw_end), self.clean_length)
            return k, k
        return lo, hi

    def to_json(self) -> dict[str, object]:
        return {
            "clean_length": self.clean_length,
            "raw_length": self.raw_length,
            "segments": [list(seg) for seg in self.segments],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OffsetMap:
        segments = tuple((int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in data["segments"])
        return cls(segments, int(data["clean_length"]), int(data["raw_length"]))


_BIG = 1 << 62


def to_raw(offset_map: OffsetMap, start: int, end: int) -> tuple[int, int]:
    """Map a clean span of a normalized document to its raw span: ``to_raw(doc.offsets, s, e)``."""
    return offset_map.to_raw(start, end)
