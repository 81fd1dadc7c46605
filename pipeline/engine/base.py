"""What every engine offers, and how a stage turns its outcomes into rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from tqdm import tqdm

from pipeline.engine.job import ArticleJob, BatchResult, Failed, Outcome

__all__ = ["Engine", "EngineError", "Tally", "describe_failure", "progress_bar", "stream_rows"]

Item = TypeVar("Item")
R = TypeVar("R")
Row = TypeVar("Row")


class EngineError(Exception):
    """The cluster cannot be reached or does not have the workers asked for."""


class Engine(Protocol):
    """Runs a job over articles; outcomes come back in input order, one per batch (or one per
    article of a batch that failed and was retried article by article)."""

    @property
    def workers(self) -> int: ...

    def map(
        self, job: ArticleJob[Item, R], items: Sequence[Item], *, progress: str | None = None
    ) -> Iterator[Outcome[Item, R]]: ...


@dataclass
class Tally:
    """What a stage reports at the end: cache use and the articles left out."""

    hits: int = 0
    misses: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  #: (article, problem), in input order


def stream_rows(outcomes: Iterable[Outcome[Any, BatchResult[Row]]], tally: Tally) -> Iterator[Row]:
    """The rows of every batch, in input order; the articles left out (by the stage, or because their
    task failed even alone) are added to ``tally.failures``."""
    for outcome in outcomes:
        if isinstance(outcome, Failed):
            tally.failures.append((outcome.name, outcome.error))
            continue
        batch = outcome.result
        tally.failures.extend(batch.failures)
        tally.hits += batch.hits
        tally.misses += batch.misses
        yield from batch.rows


def describe_failure(exc: BaseException) -> str:
    """One line for the report: the exception's type and message."""
    if type(exc).__name__ == "KilledWorker":
        return "the worker running it died each time (a crash, a kill, or out of memory)"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def progress_bar(desc: str | None, total: int) -> tqdm[Any]:
    """A bar over articles when ``desc`` is given (the stages pass it only on a terminal)."""
    return tqdm(total=total, desc=desc or "", unit="article", disable=desc is None)
