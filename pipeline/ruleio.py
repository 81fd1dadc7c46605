"""Loading rule files: strict YAML, pydantic validation, errors that name file, rule id and field.

Every file under ``rules/`` goes through :func:`load_rules`. A broken file stops the run with a
:class:`RuleError` whose message reads ``rules/x.yml: rule 'money.code' field 'pattern': reason``.
Duplicate keys are rejected by the loader (PyYAML silently keeps the last one), unknown keys by the
pydantic models (``extra='forbid'``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["RuleError", "StrictModel", "load_rules", "load_yaml", "rules_fingerprint"]


class RuleError(Exception):
    """A rule file is malformed. The message names the file, the rule id and the field."""

    def __init__(self, path: str | Path, rule_id: str | None, field: str | None, reason: str) -> None:
        self.path = str(path)
        self.rule_id = rule_id
        self.field = field
        self.reason = reason
        where = self.path
        if rule_id:
            where += f": rule {rule_id!r}"
        if field:
            where += f" field {field!r}"
        super().__init__(f"{where}: {reason}")


class StrictModel(BaseModel):
    """Base for rule-file models: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

M = TypeVar("M", bound=BaseModel)


def load_yaml(path: str | Path) -> Any:
    """Parse one YAML file, rejecting duplicate keys. Errors name the file and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(path, None, None, f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise RuleError(path, None, None, f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleError(path, None, None, f"{line}invalid YAML: {problem}") from exc


def _rule_id_at(data: Any, loc: tuple[int | str, ...]) -> str | None:
    """Walk the raw data along a pydantic error location and return the nearest enclosing ``id``."""
    found: str | None = None
    node = data
    for step in loc:
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            found = node["id"]
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
    if isinstance(node, dict) and isinstance(node.get("id"), str):
        found = node["id"]
    return found


def _field_of(loc: tuple[int | str, ...]) -> str:
    names = [str(step) for step in loc if not isinstance(step, int)]
    return ".".join(names) if names else "(file)"


def load_rules(path: str | Path, model: type[M]) -> M:
    """Load ``path`` and validate it against ``model``; raise :class:`RuleError` on the first problem."""
    data = load_yaml(path)
    if data is None:
        raise RuleError(path, None, None, "file is empty")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise RuleError(path, _rule_id_at(data, loc), _field_of(loc), first["msg"]) from None
    except RuleError as exc:  # raised by a model validator that knows the rule id
        raise RuleError(path, exc.rule_id, exc.field, exc.reason) from None


def check_unique_ids(path: str | Path, ids: Iterable[str], seen: dict[str, str] | None = None) -> None:
    """Rule ids are unique across all files; ``seen`` maps id -> file for the files loaded so far."""
    seen = {} if seen is None else seen
    for rule_id in ids:
        if rule_id in seen:
            raise RuleError(path, rule_id, "id", f"duplicate rule id (also in {seen[rule_id]})")
        seen[rule_id] = str(path)


def rules_fingerprint(paths: Iterable[str | Path]) -> str:
    """A hash of the rule files' bytes, for caches keyed on the rules in force."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(str(path.as_posix()).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()
