"""Size limits: how much text one article or one ``--stdin`` text may hold, and how long a piece of
text the spaCy model is given at once.

A text longer than ``max_bytes`` (params.yaml ``normalize.max_bytes``, :data:`DEFAULT_MAX_BYTES` when
unset) is refused with :class:`TextTooLarge`. Below that, any sentence goes through: one longer than
:data:`MAX_WINDOW_CHARS` (a run-on line, a table flattened into one line) is cut into windows at
whitespace, so the model never sees more than that at once (spaCy refuses texts over
``nlp.max_length`` and its memory grows with the text).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

__all__ = ["DEFAULT_MAX_BYTES", "MAX_WINDOW_CHARS", "TextTooLarge", "check_size", "windows"]

#: params.yaml ``normalize.max_bytes`` when it is not set
DEFAULT_MAX_BYTES = 2_000_000
#: the longest piece of text parsed at once (the longest sentence of the seeds and the dev set is 864)
MAX_WINDOW_CHARS = 5_000


class TextTooLarge(ValueError):
    """A text over the size limit."""


def check_size(size: int, max_bytes: int, what: str = "text") -> None:
    """Raise :class:`TextTooLarge` when ``size`` bytes exceed ``max_bytes``."""
    if size > max_bytes:
        raise TextTooLarge(f"{what} too large: {size:,} bytes (limit {max_bytes:,}, params.yaml normalize.max_bytes)")


def windows(
    text: str, spans: Iterable[tuple[int, int]], max_chars: int = MAX_WINDOW_CHARS
) -> Iterator[tuple[int, int]]:
    """The spans, each longer than ``max_chars`` cut into consecutive windows of at most ``max_chars``:
    after the last whitespace of the window, else after its last character that is not a letter or a
    digit, else at the limit. Windows are trimmed of surrounding whitespace and never empty."""
    for start, end in spans:
        while end - start > max_chars:
            limit = start + max_chars
            cut = _cut_point(text, start, limit)
            yield from _trimmed(text, start, cut)
            start = cut
        yield from _trimmed(text, start, end)


def _cut_point(text: str, start: int, limit: int) -> int:
    piece = text[start:limit]
    for k in range(len(piece) - 1, 0, -1):
        if piece[k].isspace():
            return start + k + 1
    for k in range(len(piece) - 1, 0, -1):
        if not piece[k].isalnum():
            return start + k + 1
    return limit


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end
