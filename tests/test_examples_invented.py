"""Rule examples and test sentences are invented, never copied from a benchmark or the dev set.

A copied sentence turns the benchmark into training data and its score into an in-sample figure. This
test reads NewsQuant (``../shared/benchmarks/newsquant/newsquant.jsonl``) and the dev-set articles
(``../shared/gold/dev/articles``) where the project's shared folder lies beside the repository (as in CI),
and fails on any line of ``rules/`` or ``tests/*.py`` that repeats 8 or more consecutive words of either.
The words are counted as ``../shared/hooks/copied_examples.py`` counts them. Without the shared folder
(a clone on its own) there is nothing to compare with, and the test says so and skips.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

RUN = 8
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,%$'-]*")


def shingles(text: str, n: int = RUN) -> set[str]:
    """Every run of ``n`` consecutive words (lower case, outer punctuation dropped)."""
    words = [w.lower().strip(".,'") for w in _WORD.findall(text)]
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def _sources(shared: Path) -> dict[str, str]:
    """Run of words -> where it comes from, for NewsQuant and the dev-set articles that exist."""
    seen: dict[str, str] = {}
    newsquant = shared / "benchmarks" / "newsquant" / "newsquant.jsonl"
    if newsquant.exists():
        for line in newsquant.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                for run in shingles(record.get("text", "")):
                    seen.setdefault(run, f"NewsQuant {record.get('id', '?')}")
    for article in sorted((shared / "gold" / "dev" / "articles").glob("*.txt")):
        for run in shingles(article.read_text(encoding="utf-8", errors="replace")):
            seen.setdefault(run, f"dev article {article.stem}")
    return seen


def _our_files(root: Path) -> Iterable[Path]:
    yield from sorted((root / "rules").rglob("*.yml"))
    yield from sorted((root / "tests").rglob("*.py"))


def test_shingles_count_words_as_the_hook_does() -> None:
    assert shingles("It rose 4.5% to $3.2 billion, the firm said on Monday.", 3) >= {
        "it rose 4.5%",
        "to 3.2 billion",
        "said on monday",
    }
    assert not shingles("too short", 3)


def test_no_line_repeats_a_benchmark_or_dev_sentence(pytestconfig: pytest.Config) -> None:
    root = pytestconfig.rootpath
    shared = root.parent / "shared"
    seen = _sources(shared)
    if not seen:
        pytest.skip(f"no NewsQuant or dev-set articles under {shared}: nothing to compare with")
    copies = []
    for path in _our_files(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            hit = next((run for run in shingles(line) if run in seen), None)
            if hit is not None:
                copies.append(f'{path.relative_to(root)}:{number}: repeats {seen[hit]}: "{hit}"')
    assert not copies, "rewrite each as an invented sentence of the same shape:\n" + "\n".join(copies)
