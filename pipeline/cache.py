"""Per-article result cache, so a rerun re-processes only the articles that changed.

DVC reruns a whole stage when any input changes (one new article in ``seeds/``); stages use this
cache to skip articles whose result cannot have changed. A result is keyed by the article's content
hash plus a *fingerprint* of everything else it depends on: the rule files, the parameters, the model
name and version, and the source code of the modules involved. Changing any of these changes every
key, so everything is re-processed (correctly); adding an article adds one key.

The cache lives in ``cache.dir`` (params.yaml, default ``.cache/``), outside ``output/`` where DVC would
delete it, is ignored by git, and is always safe to delete. Entries are written atomically, through a
temporary file unique to the writing process. Each entry names its own key, and is validated on read
(against the pydantic models of :mod:`pipeline.safety.records`): an entry that is not valid JSON, belongs
to another key or has the wrong shape is a miss, logged, never a crash nor an article silently emptied.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from pipeline.safety.records import validated

__all__ = ["ArticleCache", "fingerprint", "module_sources"]

log = logging.getLogger("pipeline.cache")


def module_sources(modules: Iterable[str]) -> list[Path]:
    """The source files of the named modules (``pipeline.normalize`` -> its .py file)."""
    paths = []
    for name in modules:
        module = importlib.import_module(name)
        if module.__file__:
            paths.append(Path(module.__file__))
    return paths


def fingerprint(files: Iterable[Path], extra: Iterable[str] = ()) -> str:
    """Hash of the files' bytes (in sorted order of their names) and the extra strings."""
    digest = hashlib.sha256()
    for path in sorted({Path(p) for p in files}, key=lambda p: p.as_posix()):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    for item in extra:
        digest.update(item.encode())
        digest.update(b"\0")
    return digest.hexdigest()


class ArticleCache:
    """JSON results of one stage, one file per (article content, fingerprint)."""

    def __init__(self, root: str | Path | None, namespace: str, fingerprint: str) -> None:
        self.root = Path(root) / namespace if root else None
        self.fingerprint = fingerprint
        self.hits = 0
        self.misses = 0

    def _path(self, content_hash: str) -> Path:
        assert self.root is not None
        key = hashlib.sha256(f"{self.fingerprint}:{content_hash}".encode()).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    def get(self, content_hash: str, model: TypeAdapter[Any] | type[BaseModel] | None = None) -> Any | None:
        """The value stored under ``content_hash``, or None (a miss). With ``model``, a value that does
        not fit it is a miss too (logged)."""
        if self.root is None:
            self.misses += 1
            return None
        path = self._path(content_hash)
        try:
            with open(path, encoding="utf-8") as fh:
                entry = json.load(fh)
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError) as exc:
            self._invalid(path, f"unreadable ({exc})")
            return None
        if not isinstance(entry, dict) or entry.get("key") != content_hash or "value" not in entry:
            self._invalid(path, "not an entry of this cache (no matching key)")
            return None
        problem = validated(entry["value"], model) if model is not None else ""
        if problem:
            self._invalid(path, problem)
            return None
        self.hits += 1
        return entry["value"]

    def _invalid(self, path: Path, reason: str) -> None:
        log.warning("cache: ignoring invalid entry %s: %s", path, reason)
        self.misses += 1

    def put(self, content_hash: str, value: Any) -> None:
        if self.root is None:
            return
        path = self._path(content_hash)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{os.getpid()}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"key": content_hash, "value": value}, fh, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
