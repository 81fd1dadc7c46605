"""Jobs and invented articles for the engine tests, in a module of their own so that worker processes
can import the jobs (a class of a test module run by pytest is not importable by name)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.engine import BatchResult

#: an item that makes the job raise, and one that kills the process running it
UNLUCKY = 13
POISON = 666


@dataclass(frozen=True)
class SquareJob:
    """Squares integers. Each row also says which load of the resources produced it (pid, load time),
    so a test can count loads per process."""

    tag: str = "v1"  #: the resource key: a new tag means new resources
    pause: float = 0.0  #: seconds per item, to keep a worker busy

    @property
    def kind(self) -> str:
        return "square"

    def resource_key(self) -> str:
        return self.tag

    def load(self) -> tuple[int, int]:
        return os.getpid(), time.monotonic_ns()

    def weight(self, item: int) -> int:
        return 10

    def name(self, item: int) -> str:
        return f"item {item}"

    def __call__(self, loaded: tuple[int, int], items: Sequence[int]) -> BatchResult[tuple[int, int, int]]:
        if UNLUCKY in items:
            raise ValueError(f"{UNLUCKY} is unlucky")
        if POISON in items:
            os._exit(3)  # what a crash in native code looks like from outside
        time.sleep(self.pause * len(items))
        return BatchResult(tuple((i * i, *loaded) for i in items), hits=len(items) % 2, misses=1)


@dataclass(frozen=True)
class BrokenLoadJob(SquareJob):
    """Its resources cannot be loaded (as with a broken rule file)."""

    def load(self) -> tuple[int, int]:
        raise ValueError("rules/units.yml: rule 'x' field 'pattern': broken on purpose")


@dataclass(frozen=True)
class PerProcessKeyJob(SquareJob):
    """Sees different code in every process (as a worker with a stale checkout would)."""

    def resource_key(self) -> str:
        return f"pid {os.getpid()}"


def loads_of(rows: Sequence[Any]) -> set[tuple[int, int]]:
    """The distinct (pid, load time) pairs behind some rows of a SquareJob."""
    return {(pid, stamp) for _, pid, stamp in rows}


PLACES = ["Lakeside", "Northgate", "Riverton", "Hillcrest", "Port Amber", "Greenfield"]
THINGS = [("research institutes", 1), ("start-up companies", 30), ("kindergartens", 5), ("patents", 200)]


def invented_article(rng: random.Random, number: int) -> str:
    """A short made-up news article: a title, a date line and a few paragraphs of numbers with units,
    hedges and years."""
    place = rng.choice(PLACES)
    year = rng.randint(2015, 2022)
    things, scale = rng.choice(THINGS)
    count = rng.randint(2, 900) * scale
    lines = [
        f"{place} reports growth in its technology sector ({number})",
        "",
        f"Updated: {year + 1}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        "",
        f"By the end of {year}, {place} had {count:,} {things}, up {rng.randint(2, 40)}% from the year before.",
        f"The city spent about CNY {rng.randint(11, 99) / 10} billion on research, nearly {rng.randint(2, 6)} "
        f"percent of its GDP, and plans to build {rng.randint(3, 30)} new laboratories covering "
        f"{rng.randint(10, 90)} square kilometers.",
        "",
        f"More than {rng.randint(1, 9) * 1000} engineers work in the {rng.choice(PLACES)} park, which opened "
        f"in {rng.randint(1990, 2010)} with {rng.choice(['two', 'three', 'five'])} companies.",
    ]
    if number % 3 == 0:
        lines += ["", f"Officials said {rng.randint(100, 999)} million yuan would go to schools by {year + 3}."]
    return "\n".join(lines) + "\n"


def write_invented_seeds(seeds: Path, count: int, seed: int = 15) -> list[Path]:
    """``count`` invented articles as ``seeds/NNN_invented.txt``."""
    seeds.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for number in range(count):
        path = seeds / f"{number:03d}_invented.txt"
        path.write_text(invented_article(rng, number), encoding="utf-8")
        paths.append(path)
    return paths
