"""The ``engine:`` block of params.yaml: where the per-article stages run.

.. code-block:: yaml

    engine:
      scheduler: local   # or the address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786
      workers: 1         # 1 with local: in this process, no Dask; N > 1 with local: a LocalCluster of N
                         # processes; with an address: wait until N workers have joined
      task_words: 10000  # words of articles per task (estimated from file sizes)

Every stage command line can override the three keys (``--scheduler``, ``--workers``, ``--task-words``)
without touching params.yaml. A bad value is an error naming params.yaml and the key.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from pipeline.ruleio import RuleError, StrictModel

__all__ = ["ENGINE_KEYS", "EngineSettings", "add_engine_arguments", "engine_settings"]

#: the keys of ``engine:`` a stage reads (dvc.yaml lists them as the stage's params)
ENGINE_KEYS = ("scheduler", "workers", "task_words")
_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss)://\S+$")


class EngineSettings(StrictModel):
    """Validated ``engine:`` settings."""

    scheduler: str = "local"
    workers: int = Field(default=1, ge=1)
    task_words: int = Field(default=10_000, ge=1)

    @field_validator("scheduler")
    @classmethod
    def _local_or_address(cls, value: str) -> str:
        if value != "local" and not _ADDRESS.match(value):
            raise ValueError("must be 'local' or a Dask scheduler address such as tcp://host:8786")
        return value

    @property
    def in_process(self) -> bool:
        """One worker on this machine: the stage runs in the calling process, without Dask."""
        return self.scheduler == "local" and self.workers == 1


def add_engine_arguments(parser: argparse.ArgumentParser, params: Mapping[str, Any]) -> None:
    """``--scheduler``, ``--workers``, ``--task-words``; defaults from params.yaml's ``engine:``."""
    engine = params.get("engine") or {}
    group = parser.add_argument_group("engine (defaults from params.yaml engine:)")
    group.add_argument("--scheduler", default=engine.get("scheduler", "local"), help="'local' or tcp://host:port")
    group.add_argument("--workers", type=int, default=engine.get("workers", 1), help="worker processes")
    group.add_argument("--task-words", type=int, default=engine.get("task_words", 10_000), help="words per task")


def engine_settings(args: argparse.Namespace, source: str | Path = "params.yaml") -> EngineSettings:
    """The settings from parsed arguments; a bad value raises :class:`RuleError` naming ``engine.<key>``."""
    values = {"scheduler": args.scheduler, "workers": args.workers, "task_words": args.task_words}
    try:
        return EngineSettings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(step) for step in first["loc"])
        raise RuleError(source, None, f"engine.{where}", first["msg"]) from None
