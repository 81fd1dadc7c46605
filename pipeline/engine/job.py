"""What an engine runs: a stage's job over batches of articles, and what comes back.

A *job* (:class:`ArticleJob`) is a small picklable object a stage builds from its arguments: paths (as
given: relative ones resolve in each worker's working directory, so workers start in the repository's
folder) and settings, never a loaded model. An engine calls ``job.load()`` once per worker process, keeps
the result in that process's :class:`Resources`, and then calls ``job(loaded, items)`` once per
batch. The result of a batch is a :class:`BatchResult`: the rows in input order, the articles left
out (with the problem), and the cache's hits and misses.

``job.resource_key()`` is computed by the client and again by each worker before it loads: it hashes
the code and rules the job depends on, so a worker whose repository differs from the client's (a
stale checkout, a different rules folder) refuses to run instead of writing different rows.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "ArticleJob",
    "BatchResult",
    "Done",
    "Failed",
    "LoadError",
    "Outcome",
    "Resources",
    "TaskOutput",
    "TaskStats",
    "peak_rss_mb",
]

Item = TypeVar("Item")
R = TypeVar("R")
Row = TypeVar("Row")
Item_contra = TypeVar("Item_contra", contravariant=True)
R_co = TypeVar("R_co", covariant=True)


class LoadError(Exception):
    """A worker could not load what the job needs (a broken rule file, a missing model, another
    version of the code): no article can succeed, so the run stops with this message."""


class ArticleJob(Protocol[Item_contra, R_co]):
    """One stage's work, shippable to a worker."""

    @property
    def kind(self) -> str:
        """Names the slot the loaded resources occupy in a worker (one slot per kind)."""
        ...

    def resource_key(self) -> str:
        """Hash of what :meth:`load` would load and of the code that uses it."""
        ...

    def load(self) -> Any:
        """The model, rules and cache fingerprint; called once per worker process and key."""
        ...

    def weight(self, item: Item_contra) -> int:
        """Estimated words of one article (the client sizes tasks with it)."""
        ...

    def name(self, item: Item_contra) -> str:
        """How a failure names the article."""
        ...

    def __call__(self, loaded: Any, items: Sequence[Item_contra]) -> R_co:
        """The stage's work on one batch, in input order."""
        ...


@dataclass(frozen=True, slots=True)
class BatchResult(Generic[Row]):
    """What one batch of a stage yields."""

    rows: tuple[Row, ...]
    failures: tuple[tuple[str, str], ...] = ()  #: (article, problem) of each article left out, in input order
    hits: int = 0  #: articles read from the per-article cache
    misses: int = 0  #: articles computed


@dataclass(frozen=True, slots=True)
class TaskStats:
    """Where and how one task ran."""

    worker: str  #: the worker's address, or "in-process"
    pid: int
    seconds: float  #: wall time inside the job on the worker
    cpu_seconds: float  #: CPU time of the worker process meanwhile (below ``seconds``: it waited for a core)
    peak_rss_mb: float  #: high-water resident set of the worker process after the task


@dataclass(frozen=True, slots=True)
class TaskOutput(Generic[R]):
    result: R
    stats: TaskStats


@dataclass(frozen=True, slots=True)
class Done(Generic[Item, R]):
    """A batch that ran: its items and result."""

    items: tuple[Item, ...]
    result: R
    stats: TaskStats


@dataclass(frozen=True, slots=True)
class Failed(Generic[Item]):
    """One article whose task failed even alone (an exception, or its worker died each time)."""

    item: Item
    name: str
    error: str


Outcome = Done[Item, R] | Failed[Item]


def peak_rss_mb() -> float:
    """High-water resident set of this process (Linux VmHWM; ``ru_maxrss`` elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Resources:
    """What jobs loaded in one process: one slot per job kind, replaced when its key changes, so a
    long-running worker holds at most one model per stage however many runs it serves."""

    where: str  #: the worker's address, for messages
    _slots: dict[str, tuple[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, job: ArticleJob[Any, Any], key: str) -> Any:
        slot = self._slots.get(job.kind)
        if slot is not None and slot[0] == key:
            return slot[1]
        try:
            local_key = job.resource_key()
        except Exception as exc:
            raise LoadError(f"{self.where}: cannot read the {job.kind} code or rules: {exc}") from None
        if local_key != key:
            raise LoadError(
                f"{self.where}: its {job.kind} code, rules or settings differ from the client's "
                "(update the repository on every machine and restart the workers)"
            )
        self._slots.pop(job.kind, None)  # free the old model before loading the new one
        try:
            loaded = job.load()
        except Exception as exc:
            raise LoadError(str(exc)) from None
        self._slots[job.kind] = (key, loaded)
        return loaded

    def run(self, job: ArticleJob[Item, R], key: str, items: Sequence[Item]) -> TaskOutput[R]:
        """Load (once) and run one batch; one batch at a time per process (spaCy pipelines are not
        meant to be shared between threads)."""
        with self._lock:
            loaded = self.get(job, key)
            started, cpu = time.perf_counter(), time.process_time()
            result = job(loaded, items)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        return TaskOutput(result, TaskStats(self.where, os.getpid(), seconds, cpu, peak_rss_mb()))
