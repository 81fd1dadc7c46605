"""Consolidation at scale: seconds and peak memory of ``pipeline.consolidate.run`` on 10k, 100k and 1M
synthetic mentions.

Run from the repository root::

    python -m benchmarks.consolidate_scale                      # 10,000 / 100,000 / 1,000,000 mentions
    python -m benchmarks.consolidate_scale --sizes 10000,100000 # other sizes
    python -m benchmarks.consolidate_scale --json out.json

Each size runs in a fresh subprocess, so its peak RSS (Linux VmHWM) is its own: the generated mentions
(held as a real run holds what it read from mentions.csv) plus what ``run`` allocates. Only ``run``
is timed; generation is reported apart. The script uses nothing of consolidate but ``run()`` and the
:class:`pipeline.types.Mention` and :class:`~pipeline.types.Claim` types, so it measures any core
behind that API. Targets (issue 15): 1M mentions in <= 120 s and <= 4 GiB.

The mentions (deterministic for a seed) have the structure of many articles reporting statistics:

- *facts*: (entity, measure, year) with a true value; an entity's measure grows year on year, so one
  entity and measure give a time series. Entities are drawn with Zipf weights (a few big cities are
  in thousands of articles, most places in a handful), measures with flatter ones, from vocabularies
  of 36,000 invented place and institution names and 300 measures (counts, money, shares, areas);
- *restatements*: each fact is stated by 1 + Geometric(0.45) articles (mean 2.2, capped at 20),
  each its own way: the exact figure (``18,650 enterprises``), rounded with a scale word (``5.1
  million``), or hedged (``about``, ``over``: rounded down, ``nearly``: rounded up), so duplicates must
  be recognized through rounding and hedges;
- *years*: 60% state the year (explicit, from context, or relative); the others float and carry their
  publication year (the fact's year or the next);
- *conflicts*: 4% of restatements give a wrong figure (0.6-0.9x or 1.1-1.5x the truth);
- *currency restatements*: 15% of yuan amounts are followed by their dollar value in brackets
  (``CNY 868 million ($130 million)``); 12% of mentions have no entity (attribution failed).

Articles hold about 12 mentions each; every mention has a raw span, a quote and a sentence.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import gc
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from pipeline.consolidate import run
from pipeline.types import Mention, format_decimal

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
TARGET_SECONDS, TARGET_GIB = 120.0, 4.0

_PLACE_HEADS = (
    "North South East West Lake River Hill Stone Green Red Silver Golden Pine Oak Sea Sun Moon Star Iron Cloud"
)
_PLACE_TAILS = "field port ton bridge vale ford mouth side wood haven gate burg shire crest view"
_ORGANISATIONS = ("", " District", " Province", " High-tech Zone", " University", " Institute of Technology")
_MODIFIERS = (
    *("", "new ", "registered ", "national ", "provincial "),
    *("foreign-funded ", "private ", "listed ", "state-owned ", "high-growth "),
)


@dataclass(frozen=True, slots=True)
class MeasureKind:
    """One measure head: its unit, kind, aspect and the range of its base values."""

    head: str  #: the measure phrase's head (counted noun, or the thing measured)
    unit: str
    kind: str
    aspect: str
    low: int  #: log10 range of a base value
    high: int


_HEADS = (
    MeasureKind("high-tech enterprise", "enterprise", "count", "level", 2, 5),
    MeasureKind("patent application", "application", "count", "level", 3, 6),
    MeasureKind("university", "university", "count", "level", 1, 2),
    MeasureKind("hospital bed", "bed", "count", "level", 3, 5),
    MeasureKind("resident", "resident", "count", "level", 5, 8),
    MeasureKind("R&D worker", "worker", "count", "level", 3, 6),
    MeasureKind("start-up", "start-up", "count", "level", 2, 4),
    MeasureKind("visitor", "visitor", "count", "level", 4, 7),
    MeasureKind("vehicle", "vehicle", "count", "level", 4, 7),
    MeasureKind("R&D investment", "CNY", "money", "level", 7, 11),
    MeasureKind("GDP", "CNY", "money", "level", 9, 12),
    MeasureKind("export value", "CNY", "money", "level", 8, 11),
    MeasureKind("tax revenue", "CNY", "money", "level", 8, 11),
    MeasureKind("venture funding", "CNY", "money", "level", 6, 9),
    MeasureKind("share of GDP", "percent", "percent", "share", 0, 1),
    MeasureKind("growth rate", "percent", "percent", "change", 0, 1),
    MeasureKind("urbanization rate", "percent", "percent", "share", 1, 1),
    MeasureKind("built-up area", "km2", "area", "level", 1, 3),
    MeasureKind("green space", "km2", "area", "level", 0, 2),
    MeasureKind("office space", "m2", "area", "level", 4, 7),
    MeasureKind("industrial output", "CNY", "money", "level", 9, 12),
    MeasureKind("retail sales", "CNY", "money", "level", 8, 11),
    MeasureKind("foreign investment", "USD", "money", "level", 7, 10),
    MeasureKind("kindergarten", "kindergarten", "count", "level", 1, 3),
    MeasureKind("5G base station", "station", "count", "level", 2, 5),
    MeasureKind("charging pile", "pile", "count", "level", 3, 5),
    MeasureKind("train trip", "trip", "count", "level", 4, 7),
    MeasureKind("unemployment rate", "percent", "percent", "level", 0, 1),
    MeasureKind("savings deposit", "CNY", "money", "level", 9, 12),
    MeasureKind("science park", "park", "count", "level", 0, 2),
)
_SCALES = ((Decimal(10**9), "billion"), (Decimal(10**6), "million"))
_ROUNDING = {"nearest": ROUND_HALF_UP, "down": ROUND_FLOOR, "up": ROUND_CEILING}
_HEDGES = {"=": "", "~": "about ", ">": "over ", "~<": "nearly "}
_USD_PER_CNY = Decimal("0.14")


def entity_names() -> list[str]:
    """36,000 invented place and institution names (``Northlakeport High-tech Zone``)."""
    heads, tails = _PLACE_HEADS.split(), _PLACE_TAILS.split()
    names = [f"{a}{b.lower()}{t}" for a in heads for b in heads for t in tails]
    return [f"{name}{org}" for org in _ORGANISATIONS for name in names]


def measure_names() -> list[tuple[str, MeasureKind]]:
    return [(f"{modifier}{kind.head}", kind) for kind in _HEADS for modifier in _MODIFIERS]


def zipf_weights(n: int, exponent: float) -> list[float]:
    total, weights = 0.0, []
    for rank in range(1, n + 1):
        total += rank**-exponent
        weights.append(total)
    return weights  # cumulative


def rounded(value: Decimal, digits: int, direction: str) -> Decimal:
    """``value`` to ``digits`` significant digits, to nearest, down or up."""
    step = Decimal(1).scaleb(value.adjusted() - digits + 1)
    return (value / step).quantize(Decimal(1), rounding=_ROUNDING[direction]) * step


def written(value: Decimal, kind: MeasureKind) -> str:
    """How an article writes ``value``: ``5.1 million``, ``18,650``, ``12.5``."""
    for base, word in _SCALES:
        if abs(value) >= base and kind.kind != "percent":
            return f"{format_decimal(value / base)} {word}"
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return format_decimal(value)


def quote_of(value: Decimal, qualifier: str, kind: MeasureKind) -> str:
    number = written(value, kind)
    if kind.kind == "money":
        number = f"CNY {number}" if kind.unit == "CNY" else f"${number}"
    elif kind.kind == "percent":
        number = f"{number}%"
    elif kind.kind == "area":
        number = f"{number} square {'kilometers' if kind.unit == 'km2' else 'meters'}"
    else:
        number = f"{number} {kind.head}s"
    return _HEDGES[qualifier] + number


def restatement(truth: Decimal, kind: MeasureKind, rng: random.Random) -> tuple[Decimal, str]:
    """One article's way of writing ``truth``: the value it states and its qualifier."""
    form = rng.random()
    if kind.kind == "percent":
        if form < 0.6:
            return truth, "="
        return (rounded(truth, 2, "nearest"), "~") if form < 0.85 else (rounded(truth, 2, "down"), ">")
    if form < 0.3 and truth < 10**6:
        return truth, "="  # the exact figure
    if form < 0.55:
        return (rounded(truth, 3, "nearest"), "=") if truth >= 10**6 else (truth, "=")
    if form < 0.75:
        return rounded(truth, 2, "nearest"), "~"
    if form < 0.9:
        return rounded(truth, 2, "down"), ">"
    return rounded(truth, 2, "up"), "~<"


def true_value(kind: MeasureKind, entity: str, measure: str, year: int, seed: int) -> Decimal:
    """A fact's value: a base for (entity, measure) that grows every year."""
    rng = random.Random(f"{seed}:{entity}:{measure}")
    if kind.kind == "percent":
        return Decimal(f"{rng.uniform(0.5, 60) * (1 + 0.01 * (year - 2012)):.1f}")
    base = 10 ** rng.uniform(kind.low, kind.high + 1)
    growth = 1 + rng.uniform(0.0, 0.15)
    value = Decimal(int(base * growth ** (year - 2012)))
    return rounded(value, 4, "nearest") if value >= 10**5 else value


@dataclass
class _Article:
    name: str
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Shape:
    """The shares the generator draws with (module docstring)."""

    wrong: float = 0.04  #: restatements with a wrong figure
    stated: float = 0.6  #: restatements that state their year
    unattributed: float = 0.12  #: mentions without an entity
    converted: float = 0.15  #: yuan amounts followed by their dollar value


def generate_mentions(size: int, seed: int = 0, shape: Shape = Shape()) -> Iterator[Mention]:
    """``size`` synthetic mentions (see the module docstring), deterministic for ``seed``."""
    rng = random.Random(seed)
    entities, measures = entity_names(), measure_names()
    entity_weights, measure_weights = zipf_weights(len(entities), 1.05), zipf_weights(len(measures), 0.7)
    articles = [_Article(f"{n:07d}_synthetic") for n in range(max(1, size // 12))]
    produced = 0
    while produced < size:
        (entity,) = rng.choices(entities, cum_weights=entity_weights)
        ((measure, kind),) = rng.choices(measures, cum_weights=measure_weights)
        year = rng.randint(2012, 2023)
        truth = true_value(kind, entity, measure, year, seed)
        sources = 1
        while sources < 20 and rng.random() < 0.55:
            sources += 1
        for article in rng.sample(articles, min(sources, len(articles))):
            for mention in _restate(truth, kind, entity, measure, year, article, rng, shape):
                yield mention
                produced += 1
                if produced >= size:
                    return


def _restate(
    truth: Decimal,
    kind: MeasureKind,
    entity: str,
    measure: str,
    year: int,
    article: _Article,
    rng: random.Random,
    shape: Shape,
) -> list[Mention]:
    if rng.random() < shape.wrong:  # a wrong or outdated figure
        truth = rounded(truth * Decimal(str(rng.choice((rng.uniform(0.6, 0.9), rng.uniform(1.1, 1.5))))), 4, "nearest")
    value, qualifier = restatement(truth, kind, rng)
    quote = quote_of(value, qualifier, kind)
    stated = rng.random() < shape.stated
    source = rng.choices(("explicit", "context", "relative"), (7, 2, 1))[0] if stated else "published"
    mention_year = year if stated else year + rng.randint(0, 1)
    who = "" if rng.random() < shape.unattributed else entity
    start = article.offset + rng.randint(40, 400)
    common: dict[str, Any] = {
        "doc": article.name,
        "measure": measure,
        "entity": who,
        "year": mention_year,
        "year_source": source,
        "aspect": kind.aspect,
        "confidence": 0.9,
        "rule": "synthetic",
    }
    first = Mention(
        start=start, end=start + len(quote), quote=quote, value=value, unit=kind.unit, qualifier=qualifier,
        kind=kind.kind, sentence=f"In {year}, {entity} reported {quote} ({measure}).", **common,
    )  # fmt: skip
    article.offset = first.end
    if kind.unit != "CNY" or rng.random() >= shape.converted:
        return [first]
    usd = rounded(value * _USD_PER_CNY, 2, "nearest")
    usd_quote = f"${written(usd, kind)}"
    sentence = f"In {year}, {entity} reported {quote} ({usd_quote}) in {measure}."
    second = Mention(
        start=first.end + 2, end=first.end + 2 + len(usd_quote), quote=usd_quote, value=usd, unit="USD",
        qualifier=qualifier if qualifier in ("=", "~") else "~", kind="money", sentence=sentence, **common,
    )  # fmt: skip
    article.offset = second.end
    first = dataclasses.replace(first, sentence=sentence)
    return [first, second]


def current_rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def structure(mentions: Sequence[Mention]) -> dict[str, Any]:
    """What the input looks like: blocks (entity, measure, unit, aspect) and their sizes."""
    blocks = collections.Counter(
        (m.entity.casefold(), m.measure.casefold(), m.unit, m.aspect) for m in mentions if m.entity and m.measure
    )
    sizes = sorted(blocks.values(), reverse=True)
    return {
        "docs": len({m.doc for m in mentions}),
        "entities": len({m.entity for m in mentions if m.entity}),
        "blocks": len(blocks),
        "largest_block": sizes[0] if sizes else 0,
        "blocks_over_1000": sum(1 for s in sizes if s > 1000),
        "floating_share": round(sum(1 for m in mentions if m.year_source == "published") / len(mentions), 3),
    }


def measure_one(size: int, seed: int) -> dict[str, Any]:
    """Generate ``size`` mentions and time ``run`` on them (in this process)."""
    started = time.perf_counter()
    mentions = list(generate_mentions(size, seed))
    generation = time.perf_counter() - started
    shape = structure(mentions)
    gc.collect()
    input_mb = current_rss_mb()
    started = time.perf_counter()
    result = run(mentions)
    seconds = time.perf_counter() - started
    statuses = collections.Counter(claim.status for claim in result.claims)
    groups = len({claim.conflict_group for claim in result.claims if claim.status == "conflict"})
    return {
        "mentions": len(mentions),
        "generate_s": round(generation, 2),
        "run_s": round(seconds, 2),
        "rss_with_input_mb": round(input_mb, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "claims": len(result.claims),
        "statuses": dict(sorted(statuses.items())),
        "conflict_groups": groups,
        **shape,
    }


def run_subprocess(size: int, seed: int, timeout: float, memory_gib: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.consolidate_scale", "--one", str(size), "--seed", str(seed)]
    command += ["--memory-gib", str(memory_gib)]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"mentions": size, "error": f"not done after {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"mentions": size, "error": f"exit {done.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(lines[-1])
    result["subprocess_s"] = round(time.perf_counter() - started, 1)
    return result


def format_table(results: Sequence[dict[str, Any]]) -> str:
    lines = [
        f"{'mentions':>10s} {'run s':>8s} {'peak RSS MB':>12s} {'with input MB':>14s} {'claims':>9s} "
        f"{'conflict groups':>16s} {'blocks':>8s} {'largest block':>14s} {'within target':>14s}"
    ]
    for r in results:
        if "error" in r:
            lines.append(f"{r['mentions']:10,d} {r['error']}")
            continue
        ok = r["mentions"] < 1_000_000 or (r["run_s"] <= TARGET_SECONDS and r["peak_rss_mb"] <= TARGET_GIB * 1024)
        lines.append(
            f"{r['mentions']:10,d} {r['run_s']:8.1f} {r['peak_rss_mb']:12,.0f} {r['rss_with_input_mb']:14,.0f} "
            f"{r['claims']:9,d} {r['conflict_groups']:16,d} {r['blocks']:8,d} {r['largest_block']:14,d} "
            f"{('yes' if ok else 'NO') if r['mentions'] >= 1_000_000 else '-':>14s}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.consolidate_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma-separated mention counts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per size (default 1800)")
    parser.add_argument("--memory-gib", type=float, default=12, help="address-space cap per size (shared machine)")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one is not None:
        cap = int(args.memory_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        print(json.dumps(measure_one(args.one, args.seed)))
        return 0

    results = []
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        print(f"  {size:,} mentions: fresh process ...", file=sys.stderr, flush=True)
        results.append(run_subprocess(size, args.seed, args.timeout, args.memory_gib))
        print(f"    {json.dumps(results[-1])}", file=sys.stderr, flush=True)
    print(f"load average {os.getloadavg()}; targets for 1M mentions: <= {TARGET_SECONDS:.0f} s, <= {TARGET_GIB} GiB")
    print(format_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
