"""``workers: N`` or a scheduler address: the stage's job runs on a Dask cluster.

- ``scheduler: local``: a ``LocalCluster`` of N single-threaded worker processes on this machine,
  started for the run and stopped after it;
- ``scheduler: tcp://host:port``: a running scheduler (``dask scheduler``; workers started with
  ``dask worker tcp://host:port --nthreads 1``, or by dask-kubernetes / dask-jobqueue); the run waits
  until ``workers`` of them have joined.

Each worker holds a :class:`ResourcePlugin`: the object that owns what the jobs load, so a worker
loads the spaCy model and the rules once (per stage and per change of code or rules), never per task.

Tasks are batches of articles (:mod:`pipeline.engine.batches`), submitted a window at a time (four
per worker thread) and collected as they finish; a reorder buffer hands them to the stage in input
order, so what the stage writes is the same as in one process. A worker that dies takes nothing with
it: the scheduler runs its tasks again elsewhere. A batch that fails (an exception, or its worker died
``distributed.scheduler.allowed-failures`` times) is retried article by article; an article that
fails alone is reported as :class:`~pipeline.engine.job.Failed` and the run goes on. A
:class:`~pipeline.engine.job.LoadError` stops the run: no article could succeed.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import dask
from distributed import Client, Future, LocalCluster, as_completed, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from pipeline.engine.base import EngineError, describe_failure, progress_bar
from pipeline.engine.batches import Batch, plan_batches
from pipeline.engine.job import ArticleJob, Done, Failed, LoadError, Outcome, Resources, TaskOutput

__all__ = ["LOCAL_CLUSTER_CONFIG", "PLUGIN_NAME", "ClusterEngine", "ResourcePlugin", "run_on_worker"]

Item = TypeVar("Item")
R = TypeVar("R")
PLUGIN_NAME = "numeric-claims-resources"
#: tasks in flight or waiting to be handed over in order, per worker thread
WINDOW_PER_THREAD = 4
#: Dask settings of a LocalCluster: a worker holds only the task it runs (saturation 1.0), so one that
#: dies takes no innocent queued task with it; and none of the periodic work meant for dashboards and
#: interactive use (a statistical profile of each worker every 10 ms, event-loop ticks every 20 ms,
#: system monitor, work stealing, memory manager), which took 3% of each worker's core and 4% of the
#: client's while idle (about 1% and 2% without it)
LOCAL_CLUSTER_CONFIG: dict[str, object] = {
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.scheduler.work-stealing": False,
    "distributed.scheduler.active-memory-manager.start": False,
}


class ResourcePlugin(WorkerPlugin):
    """Installed on every worker (also on one that joins or restarts later): owns that worker's
    :class:`Resources`. Idempotent, so a long-running worker keeps its model across runs."""

    idempotent = True

    def __init__(self) -> None:
        self.resources: Resources | None = None

    def setup(self, worker: Any) -> None:
        self.resources = Resources(str(worker.address))

    def teardown(self, worker: Any) -> None:
        self.resources = None


def run_on_worker(job: ArticleJob[Item, R], key: str, items: Sequence[Item]) -> TaskOutput[R]:
    """The task: one batch on the worker that runs it, with that worker's resources."""
    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN_NAME)
    if not isinstance(plugin, ResourcePlugin) or plugin.resources is None:
        raise LoadError(f"{worker.address}: the {PLUGIN_NAME} plugin is not installed")
    output: TaskOutput[R] = plugin.resources.run(job, key, items)
    return output


@dataclass
class _Slot(Generic[Item, R]):
    """One batch's place in the output order; split into one part per article after a failure."""

    batch: Batch[Item]
    parts: list[tuple[Item, ...]]
    outcomes: list[Outcome[Item, R] | None] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(o is not None for o in self.outcomes)


class ClusterEngine:
    """A Dask client, and the LocalCluster behind it when this engine started one."""

    def __init__(self, client: Client, task_words: int, cluster: LocalCluster | None = None) -> None:
        self.client = client
        self.task_words = task_words
        self.cluster = cluster
        self._plugin_registered = False

    @classmethod
    def local(cls, workers: int, task_words: int) -> ClusterEngine:
        """A LocalCluster of ``workers`` processes, one thread each (spaCy holds the GIL)."""
        with dask.config.set(LOCAL_CLUSTER_CONFIG):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: several runs may share the machine
                silence_logs=logging.ERROR,
            )
        return cls(Client(cluster), task_words, cluster)

    @classmethod
    def connect(cls, address: str, workers: int, task_words: int, timeout: float = 120) -> ClusterEngine:
        """A running scheduler (reached within 30 s); waits up to ``timeout`` seconds for ``workers`` workers."""
        try:
            client = Client(address, timeout=30)
        except OSError as exc:
            raise EngineError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            client.wait_for_workers(workers, timeout=timeout)
        except TimeoutError:
            joined = len(client.nthreads())
            client.close()
            raise EngineError(
                f"{address}: {joined} worker(s) joined within {timeout:.0f} s, engine.workers asks for {workers}"
            ) from None
        engine = cls(client, task_words)
        engine._warn_about_threads()
        return engine

    def __enter__(self) -> ClusterEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    @property
    def workers(self) -> int:
        return len(self.client.nthreads())

    def threads(self) -> int:
        return sum(self.client.nthreads().values()) or 1

    def _warn_about_threads(self) -> None:
        threaded = [address for address, threads in self.client.nthreads().items() if threads > 1]
        if threaded:
            print(
                f"warning: {len(threaded)} worker(s) have several threads; each runs one batch at a time "
                "(start workers with --nthreads 1 and one worker per core)",
                file=sys.stderr,
            )

    def map(
        self, job: ArticleJob[Item, R], items: Sequence[Item], *, progress: str | None = None
    ) -> Iterator[Outcome[Item, R]]:
        if type(job).__module__ == "__main__":
            raise EngineError(f"{type(job).__name__} is defined in __main__: a worker can only run a job it can import")
        key = job.resource_key()
        if not self._plugin_registered:
            self.client.register_plugin(ResourcePlugin(), name=PLUGIN_NAME)
            self._plugin_registered = True
        batches = plan_batches(items, job.weight, self.task_words)
        window = WINDOW_PER_THREAD * self.threads()
        slots: deque[_Slot[Item, R]] = deque()
        running: dict[Future[TaskOutput[R]], tuple[_Slot[Item, R], int]] = {}
        finished = as_completed()
        exhausted = False
        try:
            with progress_bar(progress, len(items)) as bar:
                while True:
                    while not exhausted and len(slots) < window:
                        batch = next(batches, None)
                        if batch is None:
                            exhausted = True
                            break
                        slot: _Slot[Item, R] = _Slot(batch, [batch.items], [None])
                        slots.append(slot)
                        self._submit(job, key, slot, 0, running, finished)
                    while slots and slots[0].complete:
                        done = slots.popleft()
                        yield from (o for o in done.outcomes if o is not None)
                        bar.update(len(done.batch.items))
                    if not running:
                        break
                    future = next(finished)
                    owner, part = running.pop(future)
                    self._settle(job, key, future, owner, part, running, finished)
        finally:
            if running:
                self.client.cancel(list(running))

    def _submit(
        self,
        job: ArticleJob[Item, R],
        key: str,
        slot: _Slot[Item, R],
        part: int,
        running: dict[Future[TaskOutput[R]], tuple[_Slot[Item, R], int]],
        finished: as_completed,
    ) -> None:
        split = len(slot.parts) > 1
        name = f"{job.kind}-{slot.batch.index}{f'.{part}' if split else ''}-{uuid.uuid4().hex[:12]}"
        # an article retried alone goes ahead of later batches: the output waits for it
        future = self.client.submit(run_on_worker, job, key, slot.parts[part], key=name, priority=1 if split else 0)
        running[future] = (slot, part)
        finished.add(future)

    def _settle(
        self,
        job: ArticleJob[Item, R],
        key: str,
        future: Future[TaskOutput[R]],
        slot: _Slot[Item, R],
        part: int,
        running: dict[Future[TaskOutput[R]], tuple[_Slot[Item, R], int]],
        finished: as_completed,
    ) -> None:
        """Record a finished task; split a failed batch into single articles; stop on a LoadError."""
        items = slot.parts[part]
        if future.status == "finished":
            output: TaskOutput[R] = future.result()
            slot.outcomes[part] = Done(items, output.result, output.stats)
            return
        exc = future.exception() if future.status == "error" else None
        if isinstance(exc, LoadError):
            raise exc
        if len(items) == 1:
            error = describe_failure(exc) if exc is not None else f"task {future.status}"
            slot.outcomes[part] = Failed(items[0], job.name(items[0]), error)
            return
        slot.parts = [(item,) for item in items]
        slot.outcomes = [None] * len(items)
        for index in range(len(items)):
            self._submit(job, key, slot, index, running, finished)
