"""Where the per-article stages (normalize, extract, unclaimed) run, and how their work is cut up.

A stage builds an :class:`ArticleJob` (paths and settings; picklable), opens an engine from the
``engine:`` settings of params.yaml and maps the job over its articles:

- ``workers: 1`` (and ``scheduler: local``): :class:`~pipeline.engine.inprocess.InProcessEngine`, the
  stage's own process, no Dask;
- ``workers: N``: :class:`~pipeline.engine.cluster.ClusterEngine` on a LocalCluster of N processes;
- ``scheduler: tcp://host:port``: the same on a running Dask cluster.

Whichever engine runs it, the stage receives the outcomes in input order and writes the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.engine.base import Engine, EngineError, Tally, stream_rows
from pipeline.engine.batches import BYTES_PER_WORD, Batch, estimated_words, plan_batches
from pipeline.engine.inprocess import InProcessEngine
from pipeline.engine.job import ArticleJob, BatchResult, Done, Failed, LoadError, Outcome, TaskStats, peak_rss_mb
from pipeline.engine.settings import ENGINE_KEYS, EngineSettings, add_engine_arguments, engine_settings

__all__ = [
    "BYTES_PER_WORD",
    "ENGINE_KEYS",
    "ArticleJob",
    "Batch",
    "BatchResult",
    "Done",
    "Engine",
    "EngineError",
    "EngineSettings",
    "Failed",
    "InProcessEngine",
    "LoadError",
    "Outcome",
    "Tally",
    "TaskStats",
    "add_engine_arguments",
    "engine_settings",
    "estimated_words",
    "open_engine",
    "peak_rss_mb",
    "plan_batches",
    "stream_rows",
]


@contextmanager
def open_engine(settings: EngineSettings) -> Iterator[Engine]:
    """The engine the settings name, closed (its LocalCluster stopped) on exit."""
    if settings.in_process:
        yield InProcessEngine(settings.task_words)
        return
    # importing distributed takes about a second: only runs on a cluster pay for it
    from pipeline.engine.cluster import ClusterEngine

    if settings.scheduler == "local":
        engine = ClusterEngine.local(settings.workers, settings.task_words)
    else:
        engine = ClusterEngine.connect(settings.scheduler, settings.workers, settings.task_words)
    with engine:
        yield engine
