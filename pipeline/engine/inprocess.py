"""``workers: 1``: the stage's job runs in this process, batch after batch; no Dask involved."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from pipeline.engine.base import describe_failure, progress_bar
from pipeline.engine.batches import plan_batches
from pipeline.engine.job import ArticleJob, Done, Failed, LoadError, Outcome, Resources

__all__ = ["InProcessEngine"]

Item = TypeVar("Item")
R = TypeVar("R")


class InProcessEngine:
    """The calling process as the only worker: loads each job's model once and keeps it."""

    def __init__(self, task_words: int) -> None:
        self.task_words = task_words
        self.resources = Resources("in-process")

    @property
    def workers(self) -> int:
        return 1

    def map(
        self, job: ArticleJob[Item, R], items: Sequence[Item], *, progress: str | None = None
    ) -> Iterator[Outcome[Item, R]]:
        key = job.resource_key()
        with progress_bar(progress, len(items)) as bar:
            for batch in plan_batches(items, job.weight, self.task_words):
                yield from self._outcomes(job, key, batch.items)
                bar.update(len(batch.items))

    def _outcomes(self, job: ArticleJob[Item, R], key: str, items: tuple[Item, ...]) -> Iterator[Outcome[Item, R]]:
        """One batch; when it fails, each of its articles alone, so one bad article costs only itself."""
        try:
            output = self.resources.run(job, key, items)
        except LoadError:
            raise
        except Exception as exc:
            if len(items) == 1:
                yield Failed(items[0], job.name(items[0]), describe_failure(exc))
                return
            for item in items:
                yield from self._outcomes(job, key, (item,))
            return
        yield Done(items, output.result, output.stats)
