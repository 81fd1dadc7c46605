"""Every module a stage imports is a dependency of its stage in dvc.yaml: a change to it reruns the stage.

The imports are read from the sources (``pipeline.cache.imported_modules``, the same list the per-article
cache fingerprints), so a new module cannot be forgotten in dvc.yaml without this test failing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.cache import imported_modules

ROOT = Path(__file__).resolve().parents[1]
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def _covered(path: str, deps: list[str]) -> bool:
    return any(path == dep or path.startswith(dep.rstrip("/") + "/") for dep in deps)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_deps_name_every_module_it_imports(stage: str) -> None:
    module = STAGES[stage]["cmd"].split("python -m ", 1)[1].split()[0]
    deps = [d if isinstance(d, str) else next(iter(d)) for d in STAGES[stage]["deps"]]
    missing = []
    for name in imported_modules(module):
        path = name.replace(".", "/")
        as_file, as_package = f"{path}.py", f"{path}/__init__.py"
        source = as_file if (ROOT / as_file).exists() else as_package
        if not _covered(source, deps):
            missing.append(source)
    assert not missing, f"dvc.yaml stage {stage!r} does not list {missing}"
