"""Scale-out of the extract stage: words/s on one worker (in-process) and on a 2-worker LocalCluster.

Run from the repository root::

    python -m benchmarks.scaleout                 # 1,000,000 words, 2 chunks timed AB/BA (several minutes)
    python -m benchmarks.scaleout --quick         # 100,000 words, a smoke run
    python -m benchmarks.scaleout --json out.json # also write every figure as JSON

The corpus is the one :mod:`benchmarks.throughput` uses (:mod:`benchmarks.corpus`; ``pip install -e
'.[bench]'`` for the Lee news corpus, otherwise the seeds alone), written to a temporary project and
normalized first (on its own LocalCluster, closed before anything is measured). Then the extract stage's
job (:class:`pipeline.extract.ExtractJob`, no per-article cache, model and batch size from params.yaml)
runs over the same normalized documents on two engines, as ``python -m pipeline.extract`` would run it:

- ``1 worker``: :class:`~pipeline.engine.InProcessEngine` (``engine.workers: 1``), in this process;
- ``2 workers``: :class:`~pipeline.engine.cluster.ClusterEngine` on a LocalCluster of 2 processes,
  started fresh for the run (so each worker's peak RSS is its own).

The corpus is cut into chunks of about equal words; on each chunk both engines run back to back, the
one going first alternating (AB, BA, ...), so load from other users of the machine falls on both. Each
engine loads its model before the first chunk (warm-up on a few articles; load times are reported
apart). Both engines' CSV text of each chunk must be identical (sha256), or the run fails.

Reported: words/s per engine and their ratio; tasks and the mean seconds a task computes; the
*overhead per task* on the cluster, ``(workers x wall - sum of task compute seconds) / tasks``: all
the time a worker was not computing (dispatch, result transfer, the tail where one worker waits for
the other), spread over the tasks; a pure dispatch figure from tasks that do nothing (one at a time:
round trip; many in flight: cost per task); the peak RSS of each worker (Linux VmHWM) after each
chunk, so whether memory stays flat as the corpus grows from the first chunk to the whole.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.corpus import GENSIM_HINT, Article, corpus_sha256, generate, load_sources
from benchmarks.throughput import chunked, machine
from pipeline.engine import BatchResult, Done, Engine, InProcessEngine, Outcome, Tally, peak_rss_mb, stream_rows
from pipeline.engine.cluster import ClusterEngine
from pipeline.extract import ExtractJob, write_mentions
from pipeline.normalize import NormalizeJob, case_collisions, report_rows
from pipeline.params import load_params
from pipeline.quantities import DEFAULT_MODEL

ONE, TWO = "1 worker", "2 workers"


@dataclass(frozen=True)
class NoopJob:
    """A job that does nothing: what is left of a task's time is the engine's."""

    @property
    def kind(self) -> str:
        return "noop"

    def resource_key(self) -> str:
        return "noop"

    def load(self) -> None:
        return None

    def weight(self, item: int) -> int:
        return 1

    def name(self, item: int) -> str:
        return str(item)

    def __call__(self, loaded: None, items: Sequence[int]) -> BatchResult[int]:
        return BatchResult(tuple(items))


@dataclass
class Run:
    """One engine over one chunk."""

    engine: str
    chunk: int
    order: int  #: 0 when this engine ran first on the chunk
    words: int
    articles: int
    wall: float
    tasks: int
    task_seconds: float  #: sum over tasks of the compute time inside the job
    task_cpu: float  #: sum over tasks of the worker's CPU time inside the job
    mentions: int
    sha256: str
    load_average: float
    client_cpu: float  #: CPU seconds of this process (with a LocalCluster: client and scheduler)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)  #: per worker pid, after this chunk


class _Digest(io.TextIOBase):
    """A text sink that only hashes what is written."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()

    def write(self, text: str) -> int:
        self.sha.update(text.encode("utf-8"))
        return len(text)


def write_project(articles: Iterable[Article], root: Path) -> list[Path]:
    seeds = root / "seeds"
    seeds.mkdir(parents=True)
    paths = []
    for article in articles:
        path = seeds / f"{article.doc}.txt"
        path.write_text(article.text, encoding="utf-8")
        paths.append(path)
    return paths


def normalize_project(root: Path, rules: Path, task_words: int) -> list[Path]:
    """Normalized documents of ``root/seeds`` into ``root/normalized``, on a LocalCluster closed after."""
    out = root / "normalized"
    out.mkdir()
    seeds = sorted((root / "seeds").iterdir())
    job = NormalizeJob(rules, 2_000_000, out, "", case_collisions(seeds))
    with ClusterEngine.local(2, task_words) as engine:
        report = list(report_rows(engine.map(job, seeds), Tally()))
    bad = [row for row in report if row.status != "ok"]
    if bad:
        raise RuntimeError(f"{len(bad)} generated article(s) could not be normalized: {bad[:3]}")
    return sorted(out.glob("*.json"))


def time_engine(name: str, engine: Engine, job: ExtractJob, paths: Sequence[Path], words: int) -> Run:
    """The stage's job over ``paths``, its CSV hashed as the stage would write it."""
    tasks: list[Done[Path, BatchResult[Any]]] = []

    def watched(outcomes: Iterator[Outcome[Path, BatchResult[Any]]]) -> Iterator[Outcome[Path, BatchResult[Any]]]:
        for outcome in outcomes:
            if isinstance(outcome, Done):
                tasks.append(outcome)
            yield outcome

    sink = _Digest()
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    mentions = write_mentions(stream_rows(watched(engine.map(job, paths)), Tally()), sink)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    peaks: dict[str, float] = {}
    for done in tasks:
        worker = str(done.stats.pid)
        peaks[worker] = max(peaks.get(worker, 0.0), done.stats.peak_rss_mb)
    return Run(
        engine=name,
        chunk=0,
        order=0,
        words=words,
        articles=len(paths),
        wall=wall,
        tasks=len(tasks),
        task_seconds=sum(done.stats.seconds for done in tasks),
        task_cpu=sum(done.stats.cpu_seconds for done in tasks),
        mentions=mentions,
        sha256=sink.sha.hexdigest(),
        load_average=load,
        client_cpu=cpu,
        peak_rss_mb=peaks,
    )


def warm_up(engine: ClusterEngine, job: ExtractJob, paths: Sequence[Path]) -> None:
    """One article per task until every worker has run one (and loaded its model)."""
    saved, engine.task_words = engine.task_words, 1
    try:
        for _ in range(5):
            pids = {o.stats.pid for o in engine.map(job, paths) if isinstance(o, Done)}
            if len(pids) >= engine.workers:
                return
        raise RuntimeError(f"warm-up reached {len(pids)} of {engine.workers} workers")
    finally:
        engine.task_words = saved


def dispatch_overhead(engine: ClusterEngine, round_trips: int = 30, pipelined: int = 400) -> dict[str, float]:
    """Milliseconds per task that does nothing: one at a time (round trip), and many in flight."""
    job = NoopJob()
    saved, engine.task_words = engine.task_words, 1
    try:
        list(engine.map(job, [0]))  # the workers load the (empty) resources
        started = time.perf_counter()
        for i in range(round_trips):
            list(engine.map(job, [i]))
        round_trip = (time.perf_counter() - started) / round_trips
        started = time.perf_counter()
        list(engine.map(job, list(range(pipelined))))
        per_task = (time.perf_counter() - started) / pipelined
    finally:
        engine.task_words = saved
    return {"round_trip_ms": round_trip * 1000, "pipelined_ms_per_task": per_task * 1000}


def measure(
    engines: dict[str, Engine], job: ExtractJob, chunks: list[list[Article]], normalized: dict[str, Path]
) -> list[Run]:
    runs = []
    names = list(engines)
    for index, chunk in enumerate(chunks):
        paths = [normalized[a.doc] for a in chunk]
        words = sum(a.words for a in chunk)
        order = names if index % 2 == 0 else names[::-1]
        for position, name in enumerate(order):
            run = time_engine(name, engines[name], job, paths, words)
            run.chunk, run.order = index, position
            if name == ONE:
                run.peak_rss_mb = {"this process": peak_rss_mb()}
            runs.append(run)
            print(
                f"  chunk {index + 1}/{len(chunks)} {name:9s} {words:>9,} words {run.wall:7.1f} s "
                f"{words / run.wall:7,.0f} words/s  {run.tasks} tasks  load {run.load_average:.2f}",
                file=sys.stderr,
                flush=True,
            )
        by_engine = {r.engine: r.sha256 for r in runs if r.chunk == index}
        if len(set(by_engine.values())) != 1:
            raise RuntimeError(f"chunk {index + 1}: the engines wrote different mentions: {by_engine}")
    return runs


def idle_cpu_share(seconds: float = 10.0) -> float:
    """Share of a core this process uses doing nothing (with a LocalCluster up: its scheduler's and
    client's periodic work)."""
    started, cpu = time.perf_counter(), time.process_time()
    time.sleep(seconds)
    return (time.process_time() - cpu) / (time.perf_counter() - started)


def summarize(runs: list[Run], workers: dict[str, int], idle: float) -> dict[str, dict[str, float]]:
    out = {}
    for name in dict.fromkeys(r.engine for r in runs):
        group = [r for r in runs if r.engine == name]
        words, wall = sum(r.words for r in group), sum(r.wall for r in group)
        tasks, busy = sum(r.tasks for r in group), sum(r.task_seconds for r in group)
        out[name] = {
            "words": words,
            "wall": wall,
            "words_per_s": words / wall,
            "tasks": tasks,
            "mean_task_s": busy / tasks,
            "words_per_busy_s": words / busy,  # one worker's speed while it computes
            "words_per_cpu_s": words / sum(r.task_cpu for r in group),  # ... per second of CPU it got
            "cpu_share": sum(r.task_cpu for r in group) / busy,  # of a core, while computing
            "overhead_ms_per_task": (workers[name] * wall - busy) / tasks * 1000,
            "busy_share": busy / (workers[name] * wall),
            "client_idle_share": idle,
            # beyond the idle share: what receiving, ordering and writing the results costs the client
            "client_cpu_s_per_1m_words": (sum(r.client_cpu for r in group) - idle * wall) / words * 1e6,
        }
    return out


def format_report(
    summary: dict[str, dict[str, float]], runs: list[Run], dispatch: dict[str, float], startup: dict[str, float]
) -> str:
    lines = [
        f"{'engine':10s} {'words':>10s} {'wall s':>8s} {'words/s':>9s} {'tasks':>6s} {'task s':>7s} "
        f"{'overhead ms/task':>17s} {'busy':>6s} {'words/s/worker busy':>20s} {'words/CPU s':>12s} "
        f"{'CPU share':>10s} {'start+load s':>13s}"
    ]
    for name, s in summary.items():
        lines.append(
            f"{name:10s} {s['words']:10,.0f} {s['wall']:8.1f} {s['words_per_s']:9,.0f} {s['tasks']:6.0f} "
            f"{s['mean_task_s']:7.2f} {s['overhead_ms_per_task']:17.1f} {s['busy_share']:6.1%} "
            f"{s['words_per_busy_s']:20,.0f} {s['words_per_cpu_s']:12,.0f} {s['cpu_share']:10.1%} "
            f"{startup[name]:13.1f}"
        )
    if ONE in summary and TWO in summary:
        ratio = summary[TWO]["words_per_s"] / summary[ONE]["words_per_s"]
        lines.append(f"speed-up, 2 workers over 1: {ratio:.2f}x (target >= 1.8x)")
        per_chunk = [
            next(r for r in runs if r.chunk == i and r.engine == ONE).wall
            / next(r for r in runs if r.chunk == i and r.engine == TWO).wall
            for i in sorted({r.chunk for r in runs})
        ]
        lines.append("per chunk: " + ", ".join(f"{x:.2f}x" for x in per_chunk))
        cpu_ratio = 2 * summary[TWO]["words_per_cpu_s"] * summary[TWO]["busy_share"] / summary[ONE]["words_per_cpu_s"]
        lines.append(
            f"with a full core per worker (the CPU each got, not the wall clock): {cpu_ratio:.2f}x; "
            f"the workers got {summary[TWO]['cpu_share']:.0%} of a core each while computing, "
            f"1 worker {summary[ONE]['cpu_share']:.0%}"
        )
        client = summary[TWO]["client_cpu_s_per_1m_words"]
        lines.append(
            f"this process (client and LocalCluster scheduler): {summary[TWO]['client_idle_share']:.1%} of a core "
            f"while idle, and {client:.1f} s of CPU per 1M words on top "
            f"(one core for the client keeps up with {1e6 / max(client, 1e-9):,.0f} words/s)"
        )
    lines.append(
        f"dispatch of an empty task on the cluster: {dispatch['round_trip_ms']:.1f} ms round trip, "
        f"{dispatch['pipelined_ms_per_task']:.1f} ms per task with many in flight"
    )
    done = 0
    for index in sorted({r.chunk for r in runs}):
        chunk = [r for r in runs if r.chunk == index]
        done += chunk[0].words
        peaks = "; ".join(
            f"{r.engine}: " + ", ".join(f"{mb:.0f}" for _, mb in sorted(r.peak_rss_mb.items())) for r in chunk
        )
        lines.append(f"peak RSS MB after {done:,} words (each engine's processes): {peaks}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    params = load_params()
    paths, settings, engine = params.get("paths", {}), params.get("extract", {}), params.get("engine") or {}
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaleout", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--words", type=int, default=1_000_000, help="corpus size in words (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100,000 words")
    parser.add_argument("--chunks", type=int, default=2, help="chunks timed AB/BA (default 2)")
    parser.add_argument("--task-words", type=int, default=int(engine.get("task_words", 10_000)))
    parser.add_argument("--seed", type=int, default=0, help="corpus generator seed")
    parser.add_argument("--seed-share", type=float, default=0.25, help="expected share of words from seeds/")
    parser.add_argument("--seeds-only", action="store_true", help="do not use the Lee corpus even if installed")
    parser.add_argument("--model", default=settings.get("model", DEFAULT_MODEL))
    parser.add_argument("--batch-size", type=int, default=int(settings.get("batch_size", 256)))
    parser.add_argument("--rules", type=Path, default=Path(paths.get("rules", "rules")))
    parser.add_argument("--seeds", type=Path, default=Path(paths.get("seeds", "seeds")))
    parser.add_argument("--json", type=Path, help="write all figures to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.words = 100_000
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sources = load_sources(args.seeds, use_lee=not args.seeds_only)
    for note in sources.notes:
        print(f"note: {note}", file=sys.stderr)
    articles = list(generate(sources, args.words, seed=args.seed, seed_share=args.seed_share))
    words = sum(a.words for a in articles)
    print(f"corpus: {words:,} words in {len(articles):,} articles", file=sys.stderr, flush=True)
    rules = args.rules.resolve()
    settings = {**load_params().get("extract", {}), "model": args.model, "batch_size": args.batch_size}
    load = {"start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="scaleout-") as tmp:
        root = Path(tmp)
        write_project(articles, root)
        started = time.perf_counter()
        normalized = {p.stem: p for p in normalize_project(root, rules, args.task_words)}
        print(f"normalized in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        job = ExtractJob(root / "seeds", rules, args.model, args.batch_size, "", settings)
        warm = [normalized[a.doc] for a in articles[:3]]
        startup: dict[str, float] = {}
        started = time.perf_counter()
        one = InProcessEngine(args.task_words)
        list(one.map(job, warm))
        startup[ONE] = time.perf_counter() - started
        started = time.perf_counter()
        with ClusterEngine.local(2, args.task_words) as two:
            warm_up(two, job, [normalized[a.doc] for a in articles[:40]])
            startup[TWO] = time.perf_counter() - started
            idle = idle_cpu_share()
            engines: dict[str, Engine] = {ONE: one, TWO: two}
            runs = measure(engines, job, chunked(articles, args.chunks), normalized)
            dispatch = dispatch_overhead(two)
    load["end"] = os.getloadavg()
    summary = summarize(runs, {ONE: 1, TWO: 2}, idle)

    print()
    print(f"machine: {json.dumps(machine())}; load average at start {load['start']}, end {load['end']}")
    origins = {o: sum(a.words for a in articles if a.origin == o) for o in sorted({a.origin for a in articles})}
    print(f"corpus: {words:,} words in {len(articles):,} articles; words by origin {origins}")
    if "lee" not in origins:
        print(f"  (seeds only; for real news text: {GENSIM_HINT})")
    print(
        f"model {args.model}, batch_size {args.batch_size}, task_words {args.task_words}; "
        f"both engines wrote identical mentions ({runs[-1].mentions:,} in the last chunk)"
    )
    print(format_report(summary, runs, dispatch, startup))
    if args.json:
        result = {
            "machine": machine(),
            "load_average": load,
            "corpus": {
                "words": words,
                "articles": len(articles),
                "sha256": corpus_sha256(articles),
                "by_origin": origins,
            },
            "settings": {"model": args.model, "batch_size": args.batch_size, "task_words": args.task_words},
            "runs": [asdict(r) for r in runs],
            "summary": summary,
            "dispatch": dispatch,
            "startup_s": startup,
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    # through the importable module: the cluster's workers must be able to import NoopJob
    from benchmarks.scaleout import main as benchmark_main

    sys.exit(benchmark_main())
