"""Tasks are batches of whole articles of about ``task_words`` words each, in input order.

Words are estimated from file sizes (:data:`BYTES_PER_WORD`), so the client never reads an article to
plan the work. A task of about 10,000 words keeps a worker busy for a second or so: long enough that
the few milliseconds of dispatch are noise, short enough that the last tasks of a run end together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

__all__ = ["BYTES_PER_WORD", "Batch", "estimated_words", "plan_batches"]

T = TypeVar("T")
#: UTF-8 bytes per whitespace-separated word of an English news article, space included (6.8 on the
#: seed articles)
BYTES_PER_WORD = 7


@dataclass(frozen=True, slots=True)
class Batch(Generic[T]):
    index: int  #: position in the run
    items: tuple[T, ...]
    words: int  #: estimated


def estimated_words(path: Path) -> int:
    """Words of an article file, from its size; 1 when it cannot be read (the task will say why)."""
    try:
        return max(1, path.stat().st_size // BYTES_PER_WORD)
    except OSError:
        return 1


def plan_batches(items: Iterable[T], weight: Callable[[T], int], task_words: int) -> Iterator[Batch[T]]:
    """Consecutive items grouped until a group reaches ``task_words``; an article larger than that
    is a task of its own. Lazy: items are weighed as they are reached."""
    group: list[T] = []
    words = index = 0
    for item in items:
        group.append(item)
        words += weight(item)
        if words >= task_words:
            yield Batch(index, tuple(group), words)
            group, words, index = [], 0, index + 1
    if group:
        yield Batch(index, tuple(group), words)
