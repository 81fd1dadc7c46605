"""Incremental runs: a full run on >= 1,000 generated articles vs the rerun after adding one article.

Run from the repository root::

    python -m benchmarks.incremental                    # 1,000 articles, both modes (several minutes)
    python -m benchmarks.incremental --articles 50      # a smoke run
    python -m benchmarks.incremental --mode process     # one mode only (process or cli)
    python -m benchmarks.incremental --json out.json    # also write every figure as JSON

Setup: a fresh project folder (``--workdir``, default a temporary one) gets the project's ``rules/``,
``params.yaml``, ``reviews.csv`` and ``tests/gold``, and ``seeds/`` holds the generated articles
(:mod:`benchmarks.corpus`: seeds plus, when gensim is installed, the Lee news corpus; deterministic). The
cache (``cache.dir`` of params.yaml) lives in the project folder and starts empty. Then:

1. full run: normalize, extract, consolidate (the stages that make claims.csv), then unclaimed, evaluate
   and report;
2. one more article (the generator's next one) is added to ``seeds/`` and every stage runs again.

Two modes, the same steps:

- ``process``: one Python process, as a session that keeps the model loaded. normalize, consolidate,
  evaluate and report run through their ``main()``; extract and unclaimed through their ``run()`` with
  the same arguments ``main()`` would use and one :class:`pipeline.extract.Extractor` loaded once
  before both runs (its load time is reported on its own). This measures the work a rerun does.
- ``cli``: each stage as ``dvc repro`` runs it, ``python -m pipeline.<stage>`` in the project folder,
  so interpreter start-up, imports and the model load count, in every stage, in both runs. The
  package's code is copied into the project folder first so that edits to the working tree during the
  benchmark cannot change the code between the two runs.

The headline is the ratio rerun / full of normalize + extract + consolidate; every stage's own times are
listed too, with the cache hit counts the stages print.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import itertools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.corpus import corpus_sha256, generate, load_sources

#: the stages whose sum is the headline ratio (the ones that make claims.csv)
CORE = ("normalize", "extract", "consolidate")
#: the rest of ``dvc repro``, timed too
REST = ("unclaimed", "evaluate", "report")


@dataclass
class StageTime:
    stage: str
    seconds: float
    output: str  #: the stage's last stdout line (counts, cache hits)


@dataclass
class Run:
    label: str
    stages: list[StageTime] = field(default_factory=list)

    def seconds(self, names: tuple[str, ...]) -> float:
        return sum(s.seconds for s in self.stages if s.stage in names)


def make_project(root: Path, articles: int, seed: int) -> tuple[Path, str, tuple[str, str]]:
    """A project folder with ``articles`` generated articles; returns it, the corpus digest and one more
    article (name, text): the generator's next."""
    project = root / "project"
    if project.exists():
        shutil.rmtree(project)
    project.mkdir(parents=True)
    shutil.copytree("rules", project / "rules")
    for name in ("params.yaml", "reviews.csv"):
        shutil.copy(name, project / name)
    shutil.copytree("tests/gold", project / "tests" / "gold")
    seeds = project / "seeds"
    seeds.mkdir()
    sources = load_sources("seeds")
    for note in sources.notes:
        print(f"note: {note}", file=sys.stderr)
    # the word budget is never reached: the first articles + 1 are taken
    generated = list(itertools.islice(generate(sources, 10**12, seed=seed), articles + 1))
    for article in generated[:articles]:
        (seeds / f"{article.doc}.txt").write_text(article.text, encoding="utf-8")
    extra = generated[articles]
    return project, corpus_sha256(generated[:articles]), (extra.doc, extra.text)


# ---------------------------------------------------------------------------------------------
# cli mode


def _cli_stage(project: Path, stage: str) -> StageTime:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", f"pipeline.{stage}"], cwd=project, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{stage} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return StageTime(stage, seconds, lines[-1] if lines else "")


def _freeze_code(project: Path) -> None:
    """``python -m`` puts the working folder first on sys.path: a copy of the package there is the
    code both runs use, whatever happens to the working tree meanwhile."""
    import pipeline

    shutil.copytree(Path(pipeline.__path__[0]), project / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))


# ---------------------------------------------------------------------------------------------
# process mode


@contextlib.contextmanager
def _inside(project: Path) -> Iterator[None]:
    here = Path.cwd()
    os.chdir(project)
    try:
        yield
    finally:
        os.chdir(here)


def _process_stages(stages: tuple[str, ...]) -> tuple[dict[str, Callable[[], str]], float]:
    """The stages as callables (run inside the project folder) and the model load time."""
    from pipeline import consolidate, evaluate, extract, normalize, report, unclaimed
    from pipeline.cache import ArticleCache, fingerprint, module_sources
    from pipeline.params import load_params

    params = load_params("params.yaml")
    settings: dict[str, Any] = dict(params["extract"])
    start = time.perf_counter()
    extractor = extract.Extractor(settings["model"], "rules", int(settings["batch_size"]))
    load_seconds = time.perf_counter() - start

    def quiet(main: Callable[[list[str]], int]) -> Callable[[], str]:
        def call() -> str:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = main([])
            if code != 0:
                raise SystemExit(f"{main.__module__} failed ({code}):\n{out.getvalue()}")
            lines = [line for line in out.getvalue().splitlines() if line.strip()]
            return lines[-1] if lines else ""

        return call

    def docs() -> Iterator[tuple[normalize.NormalizedDoc, str]]:
        for path in sorted(Path("output/normalized").glob("*.json")):
            ndoc = normalize.load_normalized(path)
            yield ndoc, extract.read_raw(ndoc, Path("seeds"))

    # the code in memory is the same in both runs: fingerprint it once (the stages re-read their sources
    # from disk, so an edit to the working tree during the benchmark would look like a code change)
    extract_fp = extract.stage_fingerprint(extractor, "rules", settings)
    unclaimed_fp = fingerprint(module_sources(["pipeline.unclaimed"]), [extract_fp])

    # what extract.main() does, with the model already loaded
    def run_extract() -> str:
        cache = ArticleCache(params["cache"]["dir"], "extract", extract_fp)
        with open("output/mentions.csv", "w", encoding="utf-8", newline="\n") as fh:
            n = extract.write_mentions(extract.run(docs(), extractor, cache), fh)
        return f"extract: {n} mention(s) ({cache.hits} unchanged, from the cache; {cache.misses} parsed)"

    # what unclaimed.main() does, with the model already loaded
    def run_unclaimed() -> str:
        cache = ArticleCache(params["cache"]["dir"], "unclaimed", unclaimed_fp)
        spans = unclaimed.read_mention_spans(Path("output/mentions.csv"))
        with open("output/unclaimed.csv", "w", encoding="utf-8", newline="\n") as fh:
            n = unclaimed.write_unclaimed(unclaimed.run(docs(), spans, extractor, cache), fh)
        return f"unclaimed: {n} number(s) ({cache.hits} unchanged, from the cache)"

    table: dict[str, Callable[[], str]] = {
        "normalize": quiet(normalize.main),
        "extract": run_extract,
        "consolidate": quiet(consolidate.main),
        "unclaimed": run_unclaimed,
        "evaluate": quiet(lambda argv: evaluate.main([*argv, "--quiet"])),
        "report": quiet(report.main),
    }
    return {name: table[name] for name in stages}, load_seconds


def _process_stage(call: Callable[[], str], stage: str) -> StageTime:
    start = time.perf_counter()
    output = call()
    return StageTime(stage, time.perf_counter() - start, output)


# ---------------------------------------------------------------------------------------------


def _cached(output: str) -> str:
    m = re.search(r"\((\d+) unchanged", output)
    return m.group(1) if m else ""


def measure(mode: str, root: Path, articles: int, seed: int, stages: tuple[str, ...]) -> dict[str, Any]:
    project, digest, (name, text) = make_project(root / mode, articles, seed)
    words = sum(len(p.read_text(encoding="utf-8").split()) for p in (project / "seeds").glob("*.txt"))
    print(f"[{mode}] {articles} articles, {words} words, corpus sha256 {digest[:16]}", file=sys.stderr)
    load_seconds = None
    runs = []
    with _inside(project):
        if mode == "cli":
            _freeze_code(project)
            calls: dict[str, Callable[[], StageTime]] = {s: functools.partial(_cli_stage, project, s) for s in stages}
        else:
            table, load_seconds = _process_stages(stages)
            calls = {s: functools.partial(_process_stage, table[s], s) for s in stages}
            print(f"[{mode}] model loaded once in {load_seconds:.1f} s", file=sys.stderr)
        for label in ("full", "rerun"):
            if label == "rerun":
                (project / "seeds" / f"{name}.txt").write_text(text, encoding="utf-8")
            run = Run(label)
            for stage in stages:
                timed = calls[stage]()
                print(f"[{mode}] {label:>5} {stage:<12} {timed.seconds:7.1f} s  {timed.output}", file=sys.stderr)
                run.stages.append(timed)
            runs.append(run)
    full, rerun = runs
    return {
        "mode": mode,
        "articles": articles,
        "words": words,
        "corpus_sha256": digest,
        "model_load_s": None if load_seconds is None else round(load_seconds, 2),
        "core_full_s": round(full.seconds(CORE), 2),
        "core_rerun_s": round(rerun.seconds(CORE), 2),
        "core_ratio": round(rerun.seconds(CORE) / full.seconds(CORE), 4),
        "all_full_s": round(full.seconds(stages), 2),
        "all_rerun_s": round(rerun.seconds(stages), 2),
        "all_ratio": round(rerun.seconds(stages) / full.seconds(stages), 4),
        "full": asdict(full),
        "rerun": asdict(rerun),
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        f"mode `{result['mode']}`, {result['articles']} articles ({result['words']} words)"
        + (f", model loaded once in {result['model_load_s']} s (not in the times)" if result["model_load_s"] else ""),
        "",
        "| stage | full run (s) | rerun, +1 article (s) | read from the cache in the rerun |",
        "|---|---:|---:|---:|",
    ]
    for a, b in zip(result["full"]["stages"], result["rerun"]["stages"], strict=True):
        lines.append(f"| {a['stage']} | {a['seconds']:.1f} | {b['seconds']:.1f} | {_cached(b['output'])} |")
    lines.append(
        f"| **normalize + extract + consolidate** | **{result['core_full_s']:.1f}** | **{result['core_rerun_s']:.1f}**"
        f" | ratio **{result['core_ratio']:.1%}** |"
    )
    if len(result["full"]["stages"]) > len(CORE):
        lines.append(
            f"| all stages | {result['all_full_s']:.1f} | {result['all_rerun_s']:.1f} "
            f"| ratio {result['all_ratio']:.1%} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.incremental", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="articles in the full run (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="corpus generator seed")
    parser.add_argument("--mode", choices=("process", "cli", "both"), default="both")
    parser.add_argument("--workdir", type=Path, default=None, help="project folder parent (default: a temp dir)")
    parser.add_argument("--core-only", action="store_true", help="time normalize, extract, consolidate only")
    parser.add_argument("--json", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)

    stages = CORE if args.core_only else CORE + REST
    modes = ("process", "cli") if args.mode == "both" else (args.mode,)
    results = []
    with tempfile.TemporaryDirectory(prefix="incremental-") as tmp:
        root = (args.workdir or Path(tmp)).resolve()
        for mode in modes:
            results.append(measure(mode, root, args.articles, args.seed, stages))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\n{machine}\n")
    for result in results:
        print(table(result) + "\n")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
