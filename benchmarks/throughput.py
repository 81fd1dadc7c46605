"""Throughput of the extract stage against the bare spaCy model, in one process, on one generated corpus.

Run from the repository root::

    python -m benchmarks.throughput                  # 1,000,000 words (several minutes per side on 2 cores)
    python -m benchmarks.throughput --quick          # 100,000 words, a smoke run
    python -m benchmarks.throughput --json out.json  # also write every figure as JSON

What is measured, over the same article texts (see :mod:`benchmarks.corpus`; ``pip install gensim`` for
the Lee news corpus, otherwise the seeds alone):

- baseline: ``spacy.load(model)`` with its full default pipeline, ``nlp.pipe(texts)`` over whole raw
  articles, as a user of the bare model would run it;
- stage: the extract stage as ``python -m pipeline.extract`` runs it: ``normalize_text`` on each raw
  article, then ``pipeline.extract.run`` (sentence filter, the model plus the quantity components on the
  kept sentences, mentions with raw offsets, and whatever per-document steps ``run`` grows, such as
  attribution). Normalization is inside the timed loop and also reported on its own.

Words are whitespace-separated tokens of the raw articles. The corpus is cut into chunks and each chunk
is timed for both sides back to back, alternating which side goes first (AB BA AB ...), so that load
from other users of the machine falls on both. Then the same on two cores: both sides run their
single-process code on interleaved halves of each chunk in two forked workers (``run`` has no
``n_process`` and no longer goes through ``nlp.pipe``), and the bare model also runs with its own
``nlp.pipe(n_process=2)`` (row ``baseline-spacy``). Peak RSS: the high-water mark of this process, and,
to show the stage streams, fresh subprocesses (``--rss-probe``) that run only the stage over growing
prefixes of the corpus and sample their resident set as they go.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import importlib.metadata
import json
import multiprocessing
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

from benchmarks.corpus import GENSIM_HINT, Article, Sources, corpus_sha256, generate, load_sources
from pipeline.extract import Extractor, run
from pipeline.normalize import normalize_text
from pipeline.params import load_params
from pipeline.quantities import DEFAULT_MODEL
from pipeline.sentences import split_sentences

#: figures quoted in issue 3 (same kind of corpus, words/s, one core); not measured by this script
PEERS = {"quantulum3": (2300.0, 2300.0), "quantulum3 on NewsQuant": (3500.0, 4200.0), "CQE": (660.0, 780.0)}


@dataclass
class Timing:
    """One timed pass of one side over one chunk."""

    side: str  #: "baseline", "stage", or "baseline-spacy" (nlp.pipe's own n_process)
    n_process: int
    chunk: int
    order: int  #: 0 when this side ran first on the chunk
    words: int
    wall: float
    cpu: float  #: CPU seconds of this process (without worker processes)
    normalize: float = 0.0  #: seconds spent in normalize_text (stage only)
    mentions: int = 0


@dataclass
class Summary:
    side: str
    n_process: int
    words: int
    wall: float
    cpu: float
    normalize: float
    mentions: int
    words_per_s: float
    cpu_words_per_s: float


@dataclass
class RssProbe:
    words: int
    after_load_mb: float
    peak_mb: float  #: high-water RSS of the probe process (VmHWM)
    samples: list[tuple[int, float]] = field(default_factory=list)  #: (words done, RSS MB)


def current_rss_mb() -> float:
    """Resident set size now (Linux /proc); 0.0 where unavailable."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """High-water resident set. For this process, VmHWM where Linux has it: ``ru_maxrss`` survives
    ``exec``, so in a subprocess it would start at the size of the parent that forked it."""
    if who == resource.RUSAGE_SELF:
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024  # kB
        except (OSError, ValueError, IndexError):
            pass
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "spacy": importlib.metadata.version("spacy"),
        "platform": platform.platform(),
    }


def time_baseline(nlp: Language, texts: Sequence[str], n_process: int) -> tuple[float, float]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in nlp.pipe(texts, n_process=n_process):
        pass
    return time.perf_counter() - wall, time.process_time() - cpu


def time_stage(extractor: Extractor, articles: Iterable[Article]) -> tuple[float, float, float, int]:
    """(wall, cpu, normalize seconds, mentions) of the stage over ``articles``."""
    normalize = 0.0

    def docs() -> Iterator[tuple[Any, str]]:
        nonlocal normalize
        for article in articles:
            started = time.perf_counter()
            ndoc = normalize_text(article.text, article.doc)
            normalize += time.perf_counter() - started
            yield ndoc, article.text

    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    mentions = sum(1 for _ in run(docs(), extractor))
    return time.perf_counter() - wall, time.process_time() - cpu, normalize, mentions


def _shard_worker(job: Callable[[], tuple[Any, ...]], conn: Connection) -> None:
    conn.send(job())
    conn.close()


def time_sharded(jobs: Sequence[Callable[[], tuple[Any, ...]]]) -> tuple[float, list[tuple[Any, ...]]]:
    """Wall time of running ``jobs`` at once, one forked process each, and what each returned.

    Fork, not spawn: the workers inherit the loaded pipelines, as a long-running two-process service
    would have them, instead of pickling them or loading the model again."""
    context = multiprocessing.get_context("fork")
    gc.collect()
    started = time.perf_counter()
    workers = []
    for job in jobs:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_shard_worker, args=(job, send))
        process.start()
        workers.append((process, receive))
    results = [receive.recv() for _, receive in workers]
    for process, _ in workers:
        process.join()
    return time.perf_counter() - started, results


def chunked(articles: Sequence[Article], chunks: int) -> list[list[Article]]:
    """Contiguous chunks of about equal word counts."""
    total = sum(a.words for a in articles)
    out: list[list[Article]] = [[] for _ in range(chunks)]
    done = 0
    for article in articles:
        out[min(chunks - 1, done * chunks // total)].append(article)
        done += article.words
    return [c for c in out if c]


def time_side(nlp: Language, extractor: Extractor, chunk: list[Article], side: str, n_process: int) -> Timing:
    """One side over one chunk. ``side`` is baseline, stage, or baseline-spacy (n_process > 1: the
    bare model's own ``nlp.pipe(n_process=...)``). With n_process > 1, baseline and stage run their
    single-process code on interleaved shards of the chunk in forked workers: the stage applies its
    components itself (two phases), so ``nlp.pipe``'s n_process cannot reach it."""
    words = sum(a.words for a in chunk)
    texts = [a.text for a in chunk]
    if side == "baseline-spacy" or n_process == 1:
        if side == "stage":
            wall, cpu, normalize, mentions = time_stage(extractor, chunk)
            return Timing(side, n_process, 0, 0, words, wall, cpu, normalize, mentions)
        wall, cpu = time_baseline(nlp, texts, n_process)
        return Timing(side, n_process, 0, 0, words, wall, cpu)
    shards = [chunk[k::n_process] for k in range(n_process)]
    if side == "stage":
        wall, results = time_sharded([functools.partial(time_stage, extractor, shard) for shard in shards])
        return Timing(side, n_process, 0, 0, words, wall, 0.0, sum(r[2] for r in results), sum(r[3] for r in results))
    texts_of = [[a.text for a in shard] for shard in shards]
    wall, _ = time_sharded([functools.partial(time_baseline, nlp, t, 1) for t in texts_of])
    return Timing(side, n_process, 0, 0, words, wall, 0.0)


def measure(
    nlp: Language, extractor: Extractor, chunks: list[list[Article]], n_process: int, log: bool = True
) -> list[Timing]:
    """Every side over every chunk, the order of the sides rotating from chunk to chunk."""
    sides = ["baseline", "stage"] if n_process == 1 else ["baseline", "stage", "baseline-spacy"]
    timings = []
    for index, chunk in enumerate(chunks):
        order_of_sides = sides if index % 2 == 0 else sides[::-1]
        for order, side in enumerate(order_of_sides):
            timing = time_side(nlp, extractor, chunk, side, n_process)
            timing.chunk, timing.order = index, order
            timings.append(timing)
            if log:
                print(
                    f"  n_process={n_process} chunk {index + 1}/{len(chunks)} {side:14s} {timing.words:>9,} words "
                    f"{timing.wall:7.1f} s  {timing.words / timing.wall:7,.0f} words/s  load {os.getloadavg()[0]:.2f}",
                    file=sys.stderr,
                    flush=True,
                )
    return timings


def summarize(timings: list[Timing]) -> list[Summary]:
    out = []
    for key in sorted({(t.n_process, t.side) for t in timings}):
        group = [t for t in timings if (t.n_process, t.side) == key]
        words = sum(t.words for t in group)
        wall = sum(t.wall for t in group)
        cpu = sum(t.cpu for t in group)
        out.append(
            Summary(
                side=key[1],
                n_process=key[0],
                words=words,
                wall=wall,
                cpu=cpu,
                normalize=sum(t.normalize for t in group),
                mentions=sum(t.mentions for t in group),
                words_per_s=words / wall,
                cpu_words_per_s=words / cpu if cpu else 0.0,
            )
        )
    return out


def filter_stats(extractor: Extractor, articles: Iterable[Article]) -> dict[str, float]:
    """How much of the normalized text the stage's sentence filter lets through to the parser."""
    sentences = kept = words = kept_words = 0
    for article in articles:
        text = normalize_text(article.text, article.doc).text
        for start, end in split_sentences(text):
            sentence = text[start:end]
            n = len(sentence.split())
            sentences += 1
            words += n
            if extractor.may_hold_quantity(sentence):
                kept += 1
                kept_words += n
    return {
        "sentences": sentences,
        "kept_sentences": kept,
        "sentence_hit_rate": kept / sentences if sentences else 0.0,
        "word_hit_rate": kept_words / words if words else 0.0,
    }


def rss_probe(sources: Sources, words: int, seed: int, extractor: Extractor) -> RssProbe:
    """Stream a corpus prefix of ``words`` words through the stage, sampling RSS at every tenth."""
    time_stage(extractor, generate(sources, 2000, seed=seed + 1))  # warm up: first-call allocations
    probe = RssProbe(words, current_rss_mb(), 0.0)
    step, next_sample, done = max(1, words // 10), 0, 0

    def sampled() -> Iterator[Article]:
        nonlocal next_sample, done
        for article in generate(sources, words, seed=seed):
            yield article
            done += article.words
            if done >= next_sample:
                probe.samples.append((done, round(current_rss_mb(), 1)))
                next_sample += step

    time_stage(extractor, sampled())
    probe.peak_mb = peak_rss_mb()
    return probe


def run_probe_subprocess(args: argparse.Namespace, words: int) -> RssProbe:
    command = [sys.executable, "-m", "benchmarks.throughput", "--rss-probe", "--words", str(words)]
    command += ["--seed", str(args.seed), "--seed-share", str(args.seed_share), "--model", args.model]
    command += ["--rules", str(args.rules), "--seeds", str(args.seeds), "--batch-size", str(args.batch_size)]
    if args.seeds_only:
        command.append("--seeds-only")
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return RssProbe(data["words"], data["after_load_mb"], data["peak_mb"], [tuple(s) for s in data["samples"]])


def profile_stage(extractor: Extractor, articles: Sequence[Article], out: Path) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    time_stage(extractor, articles)
    profiler.disable()
    profiler.dump_stats(out)
    stats = pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative")
    stats.print_stats(40)


def format_table(summaries: list[Summary], probes: list[RssProbe]) -> str:
    lines = [
        f"{'side':14s} {'n_proc':>6s} {'words':>10s} {'wall s':>8s} {'words/s':>9s} {'CPU words/s':>11s} "
        f"{'normalize s':>11s} {'mentions':>9s}"
    ]
    for s in summaries:
        cpu = f"{s.cpu_words_per_s:11,.0f}" if s.n_process == 1 else f"{'-':>11s}"
        lines.append(
            f"{s.side:14s} {s.n_process:6d} {s.words:10,d} {s.wall:8.1f} {s.words_per_s:9,.0f} {cpu} "
            f"{s.normalize:11.1f} {s.mentions:9,d}"
        )
    by_key = {(s.n_process, s.side): s for s in summaries}
    for n_process in sorted({s.n_process for s in summaries}):
        base, stage = by_key.get((n_process, "baseline")), by_key.get((n_process, "stage"))
        if base and stage:
            line = f"ratio stage/baseline, n_process={n_process}: {stage.words_per_s / base.words_per_s:.2f}x wall"
            if n_process == 1:
                line += f", {stage.cpu_words_per_s / base.cpu_words_per_s:.2f}x CPU"
            spacy_mp = by_key.get((n_process, "baseline-spacy"))
            if spacy_mp:
                line += f"; vs nlp.pipe(n_process={n_process}) {stage.words_per_s / spacy_mp.words_per_s:.2f}x"
            lines.append(line)
    stage1 = by_key.get((1, "stage"))
    if stage1:
        for peer, (low, high) in PEERS.items():
            rate = stage1.words_per_s
            span = f"{rate / high:.1f}x" if low == high else f"{rate / high:.1f}-{rate / low:.1f}x"
            lines.append(f"stage (1 process) vs {peer} ({low:,.0f}-{high:,.0f} words/s, quoted in issue 3): {span}")
    for p in probes:
        samples = ", ".join(f"{w:,}:{mb:.0f}" for w, mb in p.samples)
        lines.append(
            f"RSS, stage only, {p.words:,} words: after load {p.after_load_mb:.0f} MB, peak {p.peak_mb:.0f} MB, "
            f"growth {p.peak_mb - p.after_load_mb:+.0f} MB; samples (words:MB) {samples}"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    params = load_params()
    paths = params.get("paths", {})
    settings = params.get("extract", {})
    description = (__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=description)
    parser.add_argument("--words", type=int, default=1_000_000, help="corpus size in words (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100,000 words, 2 chunks")
    parser.add_argument("--chunks", type=int, default=4, help="chunks timed AB/BA (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="corpus generator seed")
    parser.add_argument("--seed-share", type=float, default=0.25, help="expected share of words from seeds/")
    parser.add_argument("--seeds-only", action="store_true", help="do not use the Lee corpus even if installed")
    parser.add_argument("--no-n-process-2", dest="n_process_2", action="store_false", help="skip the 2-process run")
    parser.add_argument(
        "--rss-sizes", default="0.25,0.5,1", help="corpus fractions for the RSS subprocesses ('' to skip)"
    )
    parser.add_argument("--json", type=Path, help="write all figures to this JSON file")
    parser.add_argument("--profile", type=Path, help="instead of timing: cProfile the stage, dump stats here")
    parser.add_argument("--model", default=settings.get("model", DEFAULT_MODEL))
    parser.add_argument("--batch-size", type=int, default=int(settings.get("batch_size", 64)))
    parser.add_argument("--rules", type=Path, default=Path(paths.get("rules", "rules")))
    parser.add_argument("--seeds", type=Path, default=Path(paths.get("seeds", "seeds")))
    parser.add_argument("--rss-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.words, args.chunks = 100_000, 2
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sources = load_sources(args.seeds, use_lee=not args.seeds_only)

    if args.rss_probe:
        extractor = Extractor(args.model, args.rules, args.batch_size)
        print(json.dumps(asdict(rss_probe(sources, args.words, args.seed, extractor))))
        return 0

    for note in sources.notes:
        print(f"note: {note}", file=sys.stderr)
    articles = list(generate(sources, args.words, seed=args.seed, seed_share=args.seed_share))
    words = sum(a.words for a in articles)
    composition = {
        origin: sum(a.words for a in articles if a.origin == origin) for origin in sorted({a.origin for a in articles})
    }
    corpus = {
        "words": words,
        "articles": len(articles),
        "sha256": corpus_sha256(articles),
        "seed": args.seed,
        "words_by_origin": composition,
        "source_articles": {o: len(g) for o, g in sources.by_origin().items()},
        "notes": list(sources.notes),
    }
    print(f"corpus: {json.dumps(corpus)}", file=sys.stderr, flush=True)

    extractor = Extractor(args.model, args.rules, args.batch_size)
    if args.profile:
        profile_stage(extractor, articles, args.profile)
        return 0
    nlp = spacy.load(args.model)
    warm = articles[:3]
    time_baseline(nlp, [a.text for a in warm], 1)
    time_stage(extractor, warm)
    load = {"start": os.getloadavg()}

    filters = filter_stats(extractor, articles)
    print(f"sentence filter: {json.dumps(filters)}", file=sys.stderr, flush=True)

    chunks = chunked(articles, args.chunks)
    timings = measure(nlp, extractor, chunks, 1)
    if args.n_process_2:
        timings += measure(nlp, extractor, chunks, 2)
    load["end"] = os.getloadavg()
    peak_main = peak_rss_mb()

    probes = []
    for fraction in (float(f) for f in args.rss_sizes.split(",") if f.strip()):
        size = int(args.words * fraction)
        print(f"  RSS probe: stage only, {size:,} words, fresh process", file=sys.stderr, flush=True)
        probes.append(run_probe_subprocess(args, size))

    summaries = summarize(timings)
    print()
    print(f"machine: {json.dumps(machine())}; load average at start {load['start']}, end {load['end']}")
    print(f"corpus: {words:,} words in {len(articles):,} articles; words by origin {composition}")
    if "lee" not in composition:
        print(f"  (seeds only; for real news text: {GENSIM_HINT})")
    print(
        f"sentence filter: {filters['kept_sentences']:,} of {filters['sentences']:,} sentences kept "
        f"({filters['sentence_hit_rate']:.1%}; {filters['word_hit_rate']:.1%} of words)"
    )
    print(
        f"model {args.model}, batch_size {args.batch_size}; peak RSS of this process (both models loaded, "
        f"corpus in memory) {peak_main:.0f} MB"
    )
    print(format_table(summaries, probes))

    if args.json:
        result = {
            "machine": machine(),
            "load_average": load,
            "corpus": corpus,
            "model": args.model,
            "batch_size": args.batch_size,
            "sentence_filter": filters,
            "timings": [asdict(t) for t in timings],
            "summary": [asdict(s) for s in summaries],
            "peak_rss_mb_main": peak_main,
            "rss_probes": [asdict(p) for p in probes],
            "peers_words_per_s_quoted": PEERS,
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
