"""A deterministic news corpus of any size for the throughput benchmark, generated, never committed.

Sources:
- the seed articles (``seeds/*.txt``): the target domain, number-dense machine-translated news;
- the Lee news corpus (ABC news articles) that the gensim wheel ships under
  ``gensim/test/test_data/lee_background.cor`` and ``lee.cor`` (one article per line, cp1252). gensim is
  not a dependency of the project: ``pip install gensim`` to get it; without it the corpus is built from
  the seeds alone and :func:`load_sources` says so in ``Sources.notes``.

Generation: articles are drawn with a seeded :class:`random.Random` (the same seed gives the same corpus,
byte for byte), each from one source article whose sentences are each, with probability ``swap``,
replaced by a sentence of another article of the same origin. Every generated article is thus new text
with the sentence-level statistics of real news (sentence length, share of sentences that hold a number),
which is what the extract stage's speed depends on. ``seed_share`` sets the expected share of words drawn
from the seeds. Output articles look like the seeds: a title line, a blank line, paragraphs separated by
blank lines. Words are counted as whitespace-separated tokens of the raw article text.
"""

from __future__ import annotations

import hashlib
import importlib.util
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Article",
    "SourceArticle",
    "Sources",
    "corpus_sha256",
    "find_lee_corpus",
    "generate",
    "load_lee",
    "load_seeds",
    "load_sources",
    "split_into_sentences",
]

LEE_FILES = ("lee_background.cor", "lee.cor")
GENSIM_HINT = "pip install gensim  (the wheel ships the Lee news corpus; gensim is not a project dependency)"

# a sentence ends at . ! ? (optionally followed by a closing quote or bracket), then whitespace, then
# something that can open a sentence; abbreviations and initials are checked separately
_BOUNDARY = re.compile(r"[.!?][\"'”’)]?(?=\s+[\"'“‘(]?[A-Z0-9])")
_LAST_WORD = re.compile(r"(\S+)$")
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "prof", "st", "mt", "gen", "lt", "col", "sgt", "gov", "sen", "rep", "rev", "no", "vs"]
    + ["inc", "ltd", "co", "corp", "jr", "sr"]
)


@dataclass(frozen=True, slots=True)
class SourceArticle:
    """One real article, as a title and paragraphs of sentences."""

    origin: str  #: "seed" or "lee"
    name: str
    title: str
    paragraphs: tuple[tuple[str, ...], ...]

    @property
    def words(self) -> int:
        return len(self.title.split()) + sum(len(s.split()) for p in self.paragraphs for s in p)


@dataclass(frozen=True, slots=True)
class Sources:
    """The real articles the corpus is recombined from, grouped by origin."""

    articles: tuple[SourceArticle, ...]
    notes: tuple[str, ...] = field(default=())  #: what was missing and how to get it

    def by_origin(self) -> dict[str, list[SourceArticle]]:
        groups: dict[str, list[SourceArticle]] = {}
        for article in self.articles:
            groups.setdefault(article.origin, []).append(article)
        return groups


@dataclass(frozen=True, slots=True)
class Article:
    """One generated article."""

    doc: str
    text: str
    words: int
    origin: str  #: origin of the article it was built on
    base: str  #: name of that source article


def split_into_sentences(text: str) -> list[str]:
    """Sentences of one paragraph. Deliberately independent of ``pipeline.sentences``: the corpus
    must not change when the pipeline's splitter is improved."""
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        before = _LAST_WORD.search(text, 0, m.start())
        word = before.group(1).lower().lstrip("\"'“‘(") if before else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        sentences.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


def load_seeds(seeds_dir: str | Path) -> list[SourceArticle]:
    """The seed articles: first line is the title, every other non-empty line a paragraph."""
    articles = []
    for path in sorted(Path(seeds_dir).glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if not lines:
            continue
        paragraphs = tuple(tuple(split_into_sentences(line)) for line in lines[1:])
        articles.append(SourceArticle("seed", path.stem, lines[0], tuple(p for p in paragraphs if p)))
    return articles


def find_lee_corpus() -> list[Path]:
    """The Lee corpus files inside an installed gensim, found without importing gensim (importing it
    loads scipy and takes seconds). Empty when gensim is not installed."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        return []
    found = []
    for location in spec.submodule_search_locations:
        for name in LEE_FILES:
            path = Path(location) / "test" / "test_data" / name
            if path.is_file():
                found.append(path)
    return found


def load_lee(paths: Iterable[Path], rng_seed: int = 0) -> list[SourceArticle]:
    """Lee articles (one per line, cp1252: a stray pound sign is byte 0xA3), de-duplicated.

    They have no paragraphs and no titles: paragraphs of 2-4 sentences are cut with a seeded generator,
    and the title is the first words of the first sentence.
    """
    rng = random.Random(f"lee-{rng_seed}")
    articles: list[SourceArticle] = []
    seen: set[str] = set()
    for path in paths:
        for number, line in enumerate(path.read_bytes().decode("cp1252").splitlines()):
            line = " ".join(line.split())
            if not line or line in seen:
                continue
            seen.add(line)
            sentences = split_into_sentences(line)
            paragraphs: list[tuple[str, ...]] = []
            while sentences:
                size = rng.randint(2, 4)
                paragraphs.append(tuple(sentences[:size]))
                sentences = sentences[size:]
            title = " ".join(paragraphs[0][0].split()[: rng.randint(5, 9)]).rstrip(",.;:")
            articles.append(SourceArticle("lee", f"{path.stem}:{number}", title, tuple(paragraphs)))
    return articles


def load_sources(seeds_dir: str | Path, *, use_lee: bool = True) -> Sources:
    """Seeds plus, when gensim is installed, the Lee corpus."""
    articles = load_seeds(seeds_dir)
    notes: list[str] = []
    if not articles:
        raise FileNotFoundError(f"no seed articles (*.txt) in {seeds_dir}")
    if use_lee:
        lee_paths = find_lee_corpus()
        if lee_paths:
            articles.extend(load_lee(lee_paths))
        else:
            notes.append(f"gensim is not installed: the corpus is built from the seeds alone. Fix: {GENSIM_HINT}")
    return Sources(tuple(articles), tuple(notes))


def _origin_weights(sources: Sources, seed_share: float) -> list[float]:
    """Per-article draw weights giving each origin its share of the expected words: an article of
    origin o is drawn with weight share(o) / words(o), so origin o yields share(o) of the words."""
    groups = sources.by_origin()
    if len(groups) == 1:
        shares = {origin: 1.0 for origin in groups}
    else:
        others = (1 - seed_share) / (len(groups) - 1)
        shares = {origin: (seed_share if origin == "seed" else others) for origin in groups}
    totals = {origin: sum(a.words for a in group) for origin, group in groups.items()}
    return [shares[a.origin] / totals[a.origin] for a in sources.articles]


def generate(
    sources: Sources, words: int, *, seed: int = 0, seed_share: float = 0.25, swap: float = 0.3
) -> Iterator[Article]:
    """Articles until at least ``words`` words have been produced (lazily: nothing is held)."""
    if not 0 <= seed_share <= 1 or not 0 <= swap <= 1:
        raise ValueError("seed_share and swap are probabilities")
    rng = random.Random(seed)
    weights = _origin_weights(sources, seed_share)
    pools = {o: [s for a in group for p in a.paragraphs for s in p] for o, group in sources.by_origin().items()}
    produced = 0
    number = 0
    while produced < words:
        (base,) = rng.choices(sources.articles, weights=weights)
        pool = pools[base.origin]
        paragraphs = []
        for paragraph in base.paragraphs:
            # headings and one-liners stay; in prose a share of sentences comes from other articles
            if len(paragraph) == 1 and len(paragraph[0].split()) < 12:
                paragraphs.append(paragraph[0])
                continue
            sentences = [rng.choice(pool) if rng.random() < swap else s for s in paragraph]
            paragraphs.append(" ".join(sentences))
        text = base.title + "\n\n" + "\n\n".join(paragraphs) + "\n"
        count = len(text.split())
        yield Article(f"gen{number:06d}", text, count, base.origin, base.name)
        produced += count
        number += 1


def corpus_sha256(articles: Iterable[Article]) -> str:
    """A digest of the generated texts, to check determinism."""
    digest = hashlib.sha256()
    for article in articles:
        digest.update(article.text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()
