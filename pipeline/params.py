"""Reading ``params.yaml``: the single place where paths and knobs are declared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.ruleio import load_yaml

__all__ = ["load_params"]


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    """The parameters as a dict; a missing file yields the defaults the stages document."""
    path = Path(path)
    data = load_yaml(path) if path.exists() else None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data
