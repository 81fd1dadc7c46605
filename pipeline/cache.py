"""Per-article result cache, so a rerun re-processes only the articles that changed.

DVC reruns a whole stage when any input changes (one new article in ``seeds/``); stages use this
cache to skip articles whose result cannot have changed. A result is keyed by the article's content
hash plus a *fingerprint* of everything else it depends on: the rule files, the parameters, the model
name and version, and the source code of the modules involved. Changing any of these changes every
key, so everything is re-processed (correctly); adding an article adds one key.

The cache lives in ``cache.dir`` (params.yaml, default ``.cache/``), outside ``output/`` where DVC would
delete it, is ignored by git, and is always safe to delete. Entries are written atomically.

On a cluster every worker reads and writes the cache itself, so ``cache.dir`` must be a place they all
reach: a folder on a shared file system, or an fsspec URL (``s3://bucket/claims-cache``,
``gs://...``; the filesystem's package, such as s3fs, installed on every machine). A URL's entries are
written in one put (atomic on object stores); a half-written entry elsewhere reads as a miss and is
computed again.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import fsspec

__all__ = ["ArticleCache", "fingerprint", "is_url", "module_sources"]


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

    def get(self, content_hash: str) -> Any | None:
        if self.root is None and self.url is None:
            self.misses += 1
            return None
        try:
            if self.url is not None:
                value = json.loads(_fs_read(f"{self.url}/{self._key(content_hash)}"))
            else:
                with open(self._path(content_hash), encoding="utf-8") as fh:
                    value = json.load(fh)
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, content_hash: str, value: Any) -> None:
        if self.url is not None:
            _fs_write(f"{self.url}/{self._key(content_hash)}", json.dumps(value, ensure_ascii=False).encode("utf-8"))
            return
        if self.root is None:
            return
        path = self._path(content_hash)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, ensure_ascii=False)
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
