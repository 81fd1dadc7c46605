"""The ``claims`` command (installed by ``pip install -e .``).

- ``claims run [dvc repro options]``: run the pipeline (``dvc repro``) in the current project;
- ``claims explain "sentence" [--published YYYY]``: what the extract stage does with one sentence
  (:mod:`pipeline.explain`).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="claims", description="Numeric claims pipeline.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{run,explain}")
    commands.add_parser("run", help="run the pipeline (dvc repro); extra options go to dvc repro", add_help=False)
    commands.add_parser("explain", help="explain one sentence (python -m pipeline.explain --help)", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "explain":
        from pipeline.explain import main as explain_main  # loads spaCy: only when asked

        return explain_main(rest)
    dvc = shutil.which("dvc")
    if dvc is None:
        print("error: dvc is not installed (pip install -e .)", file=sys.stderr)
        return 2
    return subprocess.call([dvc, "repro", *rest])


if __name__ == "__main__":
    sys.exit(main())
