"""The throughput benchmark's corpus generator: deterministic, sized as asked, built from its sources.

No timing here: speed is measured by ``python -m benchmarks.throughput`` and recorded in benchmarks/README.md.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks.corpus import (
    Sources,
    corpus_sha256,
    generate,
    load_lee,
    load_seeds,
    split_into_sentences,
)

SEEDS = Path("tests/data/seeds")  # fixed copies of the founding articles


@pytest.fixture(scope="module")
def seed_sources() -> Sources:
    return Sources(tuple(load_seeds(SEEDS)))


def test_same_seed_same_corpus(seed_sources: Sources) -> None:
    first = corpus_sha256(generate(seed_sources, 20_000, seed=7))
    again = corpus_sha256(generate(seed_sources, 20_000, seed=7))
    other = corpus_sha256(generate(seed_sources, 20_000, seed=8))
    assert first == again
    assert first != other


def test_word_count_reaches_the_size_asked(seed_sources: Sources) -> None:
    articles = list(generate(seed_sources, 20_000, seed=0))
    total = sum(a.words for a in articles)
    assert all(a.words == len(a.text.split()) for a in articles)
    # stops at the first article that reaches the size: overshoot is below one article
    assert 20_000 <= total < 20_000 + max(a.words for a in articles)
    assert total - articles[-1].words < 20_000


def test_a_smaller_corpus_is_a_prefix_of_a_larger_one(seed_sources: Sources) -> None:
    small = [a.text for a in generate(seed_sources, 5_000, seed=3)]
    large = [a.text for a in generate(seed_sources, 15_000, seed=3)]
    assert large[: len(small)] == small


def test_articles_are_recombined_not_copied(seed_sources: Sources) -> None:
    originals = {path.read_text(encoding="utf-8") for path in SEEDS.glob("*.txt")}
    texts = [a.text for a in generate(seed_sources, 20_000, seed=0)]
    assert len(set(texts)) == len(texts)
    assert not originals & set(texts)


def test_lee_lines_become_articles_and_origins_get_their_share(tmp_path: Path, seed_sources: Sources) -> None:
    # the Lee files are one article per line in cp1252 (a pound sign is byte 0xA3); a repeated line counts once
    line = "Fire crews battled 100 blazes on Monday. About 500 residents left. The storm eased overnight. "
    lee_file = tmp_path / "lee.cor"
    lee_file.write_bytes(((line * 20) + "It cost \xa33,000.\n").encode("cp1252") * 2 + b"\n")
    lee = load_lee([lee_file])
    assert len(lee) == 1
    assert lee[0].origin == "lee" and "£3,000." in lee[0].paragraphs[-1][-1]
    sources = Sources(seed_sources.articles + tuple(lee))
    words: Counter[str] = Counter()
    for article in generate(sources, 60_000, seed=1, seed_share=0.25):
        words[article.origin] += article.words
    assert 0.15 < words["seed"] / sum(words.values()) < 0.35


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It rose 4.5 per cent. Mr. Smith said so.", ["It rose 4.5 per cent.", "Mr. Smith said so."]),
        ('He said "yes." Then he left!', ['He said "yes."', "Then he left!"]),
        ("J. Howard spoke. 2,000 came.", ["J. Howard spoke.", "2,000 came."]),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_split_into_sentences(text: str, expected: list[str]) -> None:
    assert split_into_sentences(text) == expected
