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

On a cluster every worker reads and writes the cache itself, so ``cache.dir`` must be a place they all
reach: a folder on a shared file system, or an fsspec URL (``s3://bucket/claims-cache``,
``gs://...``; the filesystem's package, such as s3fs, installed on every machine). A URL's entries are
written in one put (atomic on object stores); a half-written entry elsewhere fails validation and is
computed again.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import fsspec
from pydantic import BaseModel, TypeAdapter

from pipeline.safety.records import validated

__all__ = ["ArticleCache", "fingerprint", "imported_modules", "is_url", "module_sources"]

log = logging.getLogger("pipeline.cache")


def module_sources(modules: Iterable[str]) -> list[Path]:
    """The source files of the named modules (``pipeline.normalize`` -> its .py file)."""
    paths = []
    for name in modules:
        module = importlib.import_module(name)
        if module.__file__:
            paths.append(Path(module.__file__))
    return paths


def imported_modules(root: str, package: str = "pipeline") -> list[str]:
    """``root`` and every module of ``package`` it imports, directly or through others, read from the
    sources (not from ``sys.modules``, which depends on what else the process imported): a change to any of
    them must invalidate what ``root`` cached. Sorted, so the fingerprint does not depend on discovery order."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):  # "pipeline.extract.main": a name, not a module
            continue
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        seen.add(name)
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                todo.extend(a.name for a in node.names if a.name.split(".")[0] == package)
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == package:
                todo.append(node.module)
                todo.extend(f"{node.module}.{a.name}" for a in node.names)  # "from pipeline.x import module"
    return sorted(seen)


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


def is_url(root: str | Path) -> bool:
    """``s3://...``, ``file:///...``: a location fsspec opens, not a plain folder."""
    return "://" in str(root)


class ArticleCache:
    """JSON results of one stage, one file per (article content, fingerprint)."""

    def __init__(self, root: str | Path | None, namespace: str, fingerprint: str) -> None:
        self.url = f"{str(root).rstrip('/')}/{namespace}" if root and is_url(root) else None
        self.root = Path(root) / namespace if root and self.url is None else None
        self.fingerprint = fingerprint
        self.hits = 0
        self.misses = 0

    def _key(self, content_hash: str) -> str:
        key = hashlib.sha256(f"{self.fingerprint}:{content_hash}".encode()).hexdigest()
        return f"{key[:2]}/{key}.json"

    def _path(self, content_hash: str) -> Path:
        assert self.root is not None
        return self.root / self._key(content_hash)

    def _where(self, content_hash: str) -> str:
        return f"{self.url}/{self._key(content_hash)}" if self.url is not None else str(self._path(content_hash))

    def get(self, content_hash: str, model: TypeAdapter[Any] | type[BaseModel] | None = None) -> Any | None:
        """The value stored under ``content_hash``, or None (a miss). With ``model``, a value that does
        not fit it is a miss too (logged)."""
        if self.root is None and self.url is None:
            self.misses += 1
            return None
        path = self._where(content_hash)
        try:
            if self.url is not None:
                entry = json.loads(_fs_read(path))
            else:
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

    def _invalid(self, path: str, reason: str) -> None:
        log.warning("cache: ignoring invalid entry %s: %s", path, reason)
        self.misses += 1

    def put(self, content_hash: str, value: Any) -> None:
        if self.url is not None:
            entry = {"key": content_hash, "value": value}
            _fs_write(self._where(content_hash), json.dumps(entry, ensure_ascii=False).encode("utf-8"))
            return
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


def _fs_read(url: str) -> bytes:
    fs, path = fsspec.core.url_to_fs(url)
    data: bytes = fs.cat_file(path)
    return data


def _fs_write(url: str, data: bytes) -> None:
    fs, path = fsspec.core.url_to_fs(url)
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    fs.pipe_file(path, data)
