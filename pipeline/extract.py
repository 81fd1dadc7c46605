"""Stage 2, extract: ``output/normalized/*.json`` -> ``output/mentions.csv``.

For every normalized article: split the clean text into sentences (:mod:`pipeline.sentences`), keep
only the sentences that can hold a number (a cheap regex: digits or number words), run the spaCy
pipeline with the quantity components (:mod:`pipeline.quantities`) on those sentences only, batched,
and turn every quantity into a :class:`pipeline.types.Mention` whose offsets point into the raw article.

Invariants:
- ``raw[m.start:m.end] == m.quote`` for every mention (offsets mapped through the normalize stage's
  offset map; the raw article is re-read from ``seeds/`` and checked against its recorded hash);
- rows are sorted by doc, then start, then end; columns are ``pipeline.types.MENTION_COLUMNS``;
- the attribution fields (entity, measure, year, year_source, aspect) stay empty here; the attribution
  step fills them from the per-sentence spaCy Doc that :meth:`Extractor.pipe_sentences` yields;
- documents are streamed: one article's sentences are held only until its last sentence is parsed;
- a sentence longer than :data:`pipeline.safety.limits.MAX_WINDOW_CHARS` is parsed in windows cut at
  whitespace, so text of any length up to ``normalize.max_bytes`` goes through;
- one article whose processing fails is reported (``output/extract_report.csv``: ``doc, status,
  problem``; the error on stderr) and left out; the others still go through. The stage exits non-zero
  only for a broken rule file, unusable parameters, or when no article at all could be processed.

Incremental: with an :class:`pipeline.cache.ArticleCache` (``cache.dir`` in params.yaml), a document
whose normalized content, rules, ``extract.*`` params, model (name and version), spaCy version and
pipeline code are unchanged is read back from the cache instead of parsed; the rows are the same byte
for byte. Adding one article to a corpus re-processes that article only; changing a rule re-processes
everything.

CLI: ``python -m pipeline.extract`` (the stage), ``python -m pipeline.extract --stdin --jsonl``
(one text on stdin, one JSON mention per line on stdout).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

from spacy import about as spacy_about
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import get_package_version, minibatch
from tqdm import tqdm

from pipeline.attribute import AttributionRules, DocContext, SentenceInput, attribute_document, load_attribution_rules
from pipeline.cache import ArticleCache, fingerprint, imported_modules, module_sources
from pipeline.engine import (
    BatchResult,
    EngineError,
    LoadError,
    Tally,
    add_engine_arguments,
    engine_settings,
    estimated_words,
    open_engine,
    stream_rows,
)
from pipeline.normalize import InputProblem, NormalizedDoc, decode_article, load_normalized, normalize_text
from pipeline.params import load_params
from pipeline.quantities import DEFAULT_MODEL, QuantityRules, load_nlp
from pipeline.ruleio import RuleError
from pipeline.safety.csvcells import protect_row
from pipeline.safety.limits import DEFAULT_MAX_BYTES, check_size, windows
from pipeline.safety.rawtext import RawTextError, read_raw_text
from pipeline.safety.records import MENTION_LIST
from pipeline.sentences import split_sentences
from pipeline.types import MENTION_COLUMNS, Mention, Quantity

__all__ = [
    "ExtractJob",
    "Extractor",
    "SentenceQuantities",
    "default_extractor",
    "document_key",
    "extract_text",
    "main",
    "mentions_of",
    "run",
    "stage_fingerprint",
    "write_mentions",
]

T = TypeVar("T")
C = TypeVar("C")
#: model components run only on sentences that hold a quantity (the attribution step needs them there)
PHASE2 = ("parser", "ner")
#: components the stage never needs: nothing reads lemmas (attribution lemmatizes the few verbs it
#: looks at itself), and skipping the lemmatizer saves about 8% of the stage's time
SKIPPED = ("lemmatizer",)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_ORDINAL_TAIL = re.compile(r"(?:st|nd|rd|th)\b", re.IGNORECASE)
#: after a year-like number, a lower-case word that is not a function word may be its unit
_UNIT_AFTER_YEAR = re.compile(
    r"[ \t]?(?!(?:and|or|to|the|in|on|at|for|by|as|was|is|are|were|but|with|from|when|that|which|its|it|he|"
    r"she|they|we|a|an|of|has|had|have|will|this|after|before|until|since|s)\b)[a-z%°µ]"
)


@dataclass(frozen=True, slots=True)
class SentenceQuantities:
    """One sentence that holds at least one quantity."""

    start: int  #: clean-text span of the sentence in its document
    end: int
    doc: Doc  #: the spaCy Doc of the sentence (tags, parse, entities); its offsets start at ``start``
    quantities: tuple[Quantity, ...]  #: in document clean-text offsets


@dataclass
class _Pending(Generic[T]):
    context: T
    waiting: int
    found: list[SentenceQuantities]
    error: str = ""  #: set when one of its sentences could not be processed


@dataclass(frozen=True, slots=True)
class ArticleFailure:
    """An article the stage could not process, and why (one row of the stage report)."""

    doc: str
    problem: str


def describe(exc: BaseException) -> str:
    """An exception as one line for a report: its type and message."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def confidence_of(q: Quantity) -> float:
    """How sure the finder is that this is a quantity with this value and unit (attribution lowers it)."""
    rules = q.rule.split("+")
    first = rules[0]
    if first.startswith("ner."):
        return 0.5
    if first == "count.bare":
        return 0.7 if q.unit else 0.6
    return 0.9


class Extractor:
    """The spaCy pipeline plus the sentence filter; reuse one instance for many texts."""

    def __init__(self, model: str = DEFAULT_MODEL, rules_dir: str | Path = "rules", batch_size: int = 256) -> None:
        self.nlp: Language = load_nlp(model, rules_dir)
        self.attribution = load_attribution_rules(rules_dir)
        self.batch_size = batch_size
        finder = self.nlp.get_pipe("quantity_finder")
        vocab = finder.rules.vocab  # type: ignore[attr-defined]
        # a sentence can hold a quantity when it has a digit, a number word, or an ordinal (ranks)
        ordinals = "|".join(sorted(vocab.ordinals, key=len, reverse=True))
        self._words = vocab.words_re
        # "ranked second", "second place", "3rd spot", "rose to fourth", "ninth in the world": a rank
        # (rules/patterns/rank.yml) in a sentence without a number
        any_ordinal = rf"(?:{ordinals}|\d+(?:st|nd|rd|th))"
        self._rank = re.compile(
            rf"\brank\w*\s+(?:{ordinals})\b|\b{any_ordinal}[\s-]+(?:place|spot|position|ranked|placed|in)\b"
            rf"|\b(?:rose|risen|rise|rises|rising|climbed|climbs?|jumped|fell|fallen|dropped|slipped|moved|advanced)"
            rf"\s+to\s+(?:the\s+)?{any_ordinal}\b",
            re.IGNORECASE,
        )
        # "a kilogram", "an acre": one of a unit, with no digit in sight
        units = finder.rules.units.units  # type: ignore[attr-defined]
        names = sorted(
            {w for u in units if u.kind in ("other", "area", "money") for w in (*u.words, *u.symbols) if w.isalpha()},
            key=len,
            reverse=True,
        )
        self._article_unit = re.compile(rf"\ban?\s+(?:{'|'.join(map(re.escape, names))})\b", re.IGNORECASE)
        self._triggers = _trigger_regex(finder.rules)  # type: ignore[attr-defined]

    def may_hold_quantity(self, sentence: str) -> bool:
        """Cheap test before parsing: a digit group that is not a bare year nor an ordinal (``19th``),
        a number word, or a rank. Sentences failing it cannot yield a quantity."""
        for m in _DIGITS.finditer(sentence):
            digits = m.group()
            year_like = len(digits) == 4 and digits.isdigit() and 1800 <= int(digits) <= 2199
            if year_like and not _UNIT_AFTER_YEAR.match(sentence, m.end()):
                continue  # a bare year; "2000 milligrams" is kept
            if _ORDINAL_TAIL.match(sentence, m.end()):
                continue
            return True
        return (
            self._words.search(sentence) is not None
            or self._rank.search(sentence) is not None
            or self._article_unit.search(sentence) is not None
            or (self._triggers is not None and self._triggers.search(sentence) is not None)
        )

    def kept_sentences(self, text: str) -> list[tuple[int, int]]:
        """Spans of the sentences of one clean text that pass the filter (the others are never parsed); a
        sentence longer than ``MAX_WINDOW_CHARS`` comes as windows cut at whitespace."""
        return [(s, e) for s, e in windows(text, split_sentences(text)) if self.may_hold_quantity(text[s:e])]

    def parsed_sentences(self, text: str) -> list[Doc]:
        """Every sentence of one clean text the stage parses, as it parses it (``Doc._.rule_hits`` included):
        what a rule-example test looks at to see whether a rule fired where users' text goes."""
        spans = self.kept_sentences(text)
        docs: list[Doc] = []
        for doc, _, error in self._pipe_two_phase((text[s:e], None) for s, e in spans):
            if doc is None:
                raise RuntimeError(error)
            docs.append(doc)
        return docs

    def pipe_sentences(
        self, items: Iterable[tuple[str, T]], on_error: Callable[[T, str], None] | None = None
    ) -> Iterator[tuple[T, list[SentenceQuantities]]]:
        """For each ``(clean text, context)``: the sentences that hold quantities, in order.

        Streams: sentences of many texts are parsed in batches, and each text is yielded as soon as its
        last sentence is done, so memory stays flat however long the input is. A sentence longer than
        ``MAX_WINDOW_CHARS`` is parsed in windows. A text one of whose sentences fails is not yielded:
        ``on_error(context, problem)`` is called instead (without ``on_error``, the error is raised).
        """
        pending: deque[_Pending[T]] = deque()

        def feed() -> Iterator[tuple[str, tuple[_Pending[T], int, int]]]:
            for text, context in items:
                spans = self.kept_sentences(text)
                entry = _Pending(context, len(spans), [])
                pending.append(entry)
                for s, e in spans:
                    yield text[s:e], (entry, s, e)

        def ready() -> Iterator[tuple[T, list[SentenceQuantities]]]:
            while pending and pending[0].waiting == 0:
                done = pending.popleft()
                if not done.error:
                    yield done.context, done.found
                elif on_error is not None:
                    on_error(done.context, done.error)
                else:
                    raise RuntimeError(done.error)

        for sdoc, (entry, s, e), error in self._pipe_two_phase(feed()):
            if error or sdoc is None:
                entry.error = entry.error or f"sentence at {s}-{e}: {error}"
            elif found := sdoc._.quantities or []:
                shifted = tuple(_shift(q, s) for q in found)
                entry.found.append(SentenceQuantities(s, e, sdoc, shifted))
            entry.waiting -= 1
            yield from ready()
        yield from ready()

    def _pipe_two_phase(self, items: Iterable[tuple[str, C]]) -> Iterator[tuple[Doc | None, C, str]]:
        """Each (sentence, context) as (Doc, context, ``""``), or (None, context, problem) when it cannot
        be processed. A batch that fails is redone one sentence at a time, so one bad sentence costs only
        itself. See :meth:`_pipe_batches` for the two phases."""
        for batch in minibatch(items, self.batch_size):  # type: ignore[no-untyped-call]
            try:
                docs = self._process_batch([text for text, _ in batch])
            except Exception:  # noqa: BLE001 - isolate the sentence that fails, below
                docs = None
            if docs is not None:
                yield from ((doc, ctx, "") for doc, (_, ctx) in zip(docs, batch, strict=True))
                continue
            for text, ctx in batch:
                try:
                    (doc,) = self._process_batch([text])
                except Exception as exc:  # noqa: BLE001 - reported with its article, never fatal
                    yield None, ctx, describe(exc)
                    continue
                yield doc, ctx, ""

    def _process_batch(self, texts: list[str]) -> list[Doc]:
        """Phase 1 (tagger, rules) on every sentence; phase 2 (parser, NER, final
        selection) only on sentences where phase 1 proposed a quantity. The model's costliest parts
        thus run only where a quantity is, and those sentences still get the full analysis."""
        finder = self.nlp.get_pipe("quantity_finder")
        phase1 = [
            (n, p) for n, p in self.nlp.pipeline if n not in PHASE2 and n not in SKIPPED and n != "quantity_finder"
        ]
        phase2 = [(n, p) for n, p in self.nlp.pipeline if n in PHASE2]
        docs = [self.nlp.make_doc(text) for text in texts]
        docs = _apply(phase1, docs, self.batch_size)
        promising = [doc for doc in docs if finder.propose(doc)]  # type: ignore[attr-defined]
        for doc in _apply(phase2, promising, self.batch_size):
            finder.finalize(doc)  # type: ignore[attr-defined]
        for doc in docs:
            if doc._.quantities is None:
                doc._.quantities = []
        return docs

    def sentences_of(self, text: str) -> list[SentenceQuantities]:
        """The quantity-bearing sentences of one clean text."""
        for _, found in self.pipe_sentences([(text, None)]):
            return found
        return []


def _trigger_regex(rules: QuantityRules) -> re.Pattern[str] | None:
    """The rules' own filter triggers (``triggers`` in rules/patterns), as one whole-word regex."""
    words = sorted({w for item in rules.rules for w in item.rule.triggers}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, words))})(?!\w)", re.IGNORECASE)


def _apply(procs: Sequence[tuple[str, Any]], docs: list[Doc], batch_size: int) -> list[Doc]:
    for _name, proc in procs:
        piped = hasattr(proc, "pipe")
        docs = list(proc.pipe(docs, batch_size=batch_size)) if piped else [proc(doc) for doc in docs]
    return docs


def _shift(q: Quantity, offset: int) -> Quantity:
    def move(pos: int) -> int:
        return pos + offset if pos >= 0 else pos

    return dataclasses.replace(
        q,
        start=q.start + offset,
        end=q.end + offset,
        number_start=move(q.number_start),
        number_end=move(q.number_end),
        unit_start=move(q.unit_start),
        unit_end=move(q.unit_end),
    )


def mentions_of(
    ndoc: NormalizedDoc,
    raw: str,
    sentences: Iterable[SentenceQuantities],
    attribution: AttributionRules | None = None,
) -> list[Mention]:
    """Mentions with raw offsets for the quantities found in one normalized document, attributed
    (measure, entity, year, aspect; :mod:`pipeline.attribute`) when ``attribution`` rules are given."""
    inputs = [
        SentenceInput(s.start, s.end, s.doc, tuple(sorted(s.quantities, key=lambda q: q.start))) for s in sentences
    ]
    if attribution is not None:
        attributions = attribute_document(DocContext.build(ndoc, attribution), inputs)
    else:
        attributions = [[None] * len(s.quantities) for s in inputs]  # type: ignore[list-item]
    mentions: list[Mention] = []
    for sent, found in zip(inputs, attributions, strict=True):
        sentence_text = ndoc.text[sent.start : sent.end]
        for q, a in zip(sent.quantities, found, strict=True):
            start, end = ndoc.to_raw(q.start, q.end)
            confidence = confidence_of(q)
            mention = Mention(
                doc=ndoc.doc,
                start=start,
                end=end,
                quote=raw[start:end],
                value=q.value,
                unit=q.unit,
                qualifier=q.qualifier,
                kind=q.kind,
                confidence=confidence,
                rule=q.rule,
                sentence=sentence_text,
            )
            if a is not None:
                mention = dataclasses.replace(
                    mention,
                    unit=q.unit or a.unit,
                    measure=a.measure,
                    entity=a.entity,
                    year=a.year,
                    year_source=a.year_source,
                    aspect=a.aspect,
                    # the finder's certainty times how directly the fields were resolved
                    confidence=round(confidence * a.confidence, 2),
                    why=a.why,
                )
            mentions.append(mention)
    mentions.sort(key=lambda m: (m.doc, m.start, m.end))
    return mentions


_EXTRACTORS: dict[tuple[str, str], Extractor] = {}


def default_extractor(model: str = DEFAULT_MODEL, rules_dir: str | Path = "rules") -> Extractor:
    """One Extractor per (model, rules) per process: loading the model takes seconds."""
    key = (model, str(Path(rules_dir).resolve()))
    if key not in _EXTRACTORS:
        _EXTRACTORS[key] = Extractor(model, rules_dir)
    return _EXTRACTORS[key]


_PUBLISHED = re.compile(r"\d{4}(?:-\d{2}-\d{2})?")


def extract_text(
    text: str,
    published: str | None = None,
    *,
    extractor: Extractor | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Mention]:
    """Normalize one text and return its quantity mentions; offsets and quotes refer to ``text``
    (``text[m.start:m.end] == m.quote``; control characters are blanked in the clean text only).

    ``published`` (``YYYY-MM-DD`` or ``YYYY``) is kept for the attribution step; the quantities do not
    depend on it. A ValueError names the problem: a text over ``max_bytes`` (UTF-8;
    :class:`pipeline.safety.limits.TextTooLarge`), a ``published`` of another shape.
    """
    check_size(len(text.encode("utf-8", "surrogatepass")), max_bytes)
    if published and not _PUBLISHED.fullmatch(published):
        raise ValueError(f"published must be a date YYYY-MM-DD or a year YYYY, not {published!r}")
    extractor = extractor or default_extractor()
    ndoc = normalize_text(text, "text")
    if published:
        ndoc = dataclasses.replace(ndoc, published=published, published_source="stated")
    return mentions_of(ndoc, text, extractor.sentences_of(ndoc.text), extractor.attribution)


class StaleInput(Exception):
    """The raw article no longer matches the normalized document (rerun the normalize stage)."""


def read_raw(ndoc: NormalizedDoc, seeds: Path) -> str:
    """The raw article the normalized document was made from, read as normalize read it
    (:func:`pipeline.safety.rawtext.read_raw_text`); StaleInput when it is gone or changed."""
    try:
        return read_raw_text(seeds / ndoc.file_name, ndoc.encoding, ndoc.raw_sha256)
    except RawTextError as exc:
        raise StaleInput(str(exc)) from None


#: the modules whose code decides a document's mentions (their sources go into the cache fingerprint):
#: this module and every module of the package it imports, found in the sources, so none can be forgotten
EXTRACT_MODULES = tuple(imported_modules("pipeline.extract"))


def rules_digest(rules_dir: str | Path) -> str:
    """Hash of every file under ``rules_dir``: by path relative to it (a moved file is a change) and
    bytes; where the folder lives does not matter."""
    rules_dir = Path(rules_dir)
    rules = hashlib.sha256()
    for path in sorted(p for p in rules_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rules.update(path.relative_to(rules_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return rules.hexdigest()


def stage_fingerprint(extractor: Extractor, rules_dir: str | Path, settings: Mapping[str, Any]) -> str:
    """Everything besides the document that its mentions depend on: every file under ``rules_dir``,
    the ``extract.*`` params (``settings``, with the model name), the model's name and version, the
    spaCy version, and the code of :data:`EXTRACT_MODULES`."""
    meta = extractor.nlp.meta
    extra = [
        "rules=" + rules_digest(rules_dir),
        "extract=" + json.dumps(dict(settings), sort_keys=True, default=str),
        f"model={meta.get('lang', '')}_{meta.get('name', '')}=={meta.get('version', '')}",
        f"spacy=={spacy_about.__version__}",
    ]
    return fingerprint(module_sources(EXTRACT_MODULES), extra)


def document_key(ndoc: NormalizedDoc) -> str:
    """Content hash of one normalized document (its text, offsets, metadata and raw file hash)."""
    text = json.dumps(ndoc.to_json(), ensure_ascii=False, sort_keys=True)
    return f"{ndoc.doc}:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def _mention_to_json(mention: Mention) -> dict[str, Any]:
    # typed, not the CSV row: a cached Mention must equal the one just computed, field for field
    data = {f.name: getattr(mention, f.name) for f in dataclasses.fields(mention)}
    data["value"] = str(mention.value)
    return data


def _mention_from_json(data: dict[str, Any]) -> Mention:
    return Mention(**{**data, "value": Decimal(data["value"])})


@dataclass
class _Slot:
    """One document's place in the output order; ``mentions`` is None until it is known."""

    mentions: list[Mention] | None


def run(
    docs: Iterable[tuple[NormalizedDoc, str]],
    extractor: Extractor,
    cache: ArticleCache | None = None,
    *,
    progress: bool = False,
    total: int | None = None,
    failures: list[ArticleFailure] | None = None,
) -> Iterator[Mention]:
    """Mentions of every (normalized doc, raw text), streamed document by document, in input order.

    With a ``cache`` (built with :func:`stage_fingerprint`), a document seen before is read back and
    never parsed; the others are parsed and stored. ``progress`` shows a bar over documents
    (``total`` of them, when known). A document whose processing fails yields nothing and is
    appended to ``failures`` (without that list, the error is raised); it is never cached.
    """
    slots: deque[_Slot] = deque()

    def fail(context: tuple[NormalizedDoc, str, str, _Slot], problem: str) -> None:
        if failures is None:
            raise RuntimeError(f"{context[0].doc}: {problem}")
        failures.append(ArticleFailure(context[0].doc, problem))
        context[3].mentions = []

    def misses() -> Iterator[tuple[str, tuple[NormalizedDoc, str, str, _Slot]]]:
        for ndoc, raw in docs:
            key = document_key(ndoc) if cache is not None else ""
            hit = cache.get(key, MENTION_LIST) if cache is not None else None
            slot = _Slot([_mention_from_json(row) for row in hit] if hit is not None else None)
            slots.append(slot)
            if hit is None:
                yield ndoc.text, (ndoc, raw, key, slot)

    with tqdm(total=total, desc="extract", unit="article", disable=not progress) as bar:

        def ready() -> Iterator[Mention]:
            while slots and slots[0].mentions is not None:
                done = slots.popleft().mentions
                bar.update(1)
                yield from done or ()

        for context, sentences in extractor.pipe_sentences(misses(), fail):
            ndoc, raw, key, slot = context
            try:
                found = mentions_of(ndoc, raw, sentences, extractor.attribution)
            except Exception as exc:  # noqa: BLE001 - one article's failure is reported, never fatal
                fail(context, describe(exc))
                yield from ready()
                continue
            if cache is not None:
                cache.put(key, [_mention_to_json(m) for m in found])
            slot.mentions = found
            yield from ready()
        yield from ready()


def write_mentions(mentions: Iterable[Mention], out: io.TextIOBase | io.StringIO) -> int:
    """CSV with MENTION_COLUMNS, ``\\n`` line ends, text cells spreadsheet-safe
    (:mod:`pipeline.safety.csvcells`); returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MENTION_COLUMNS)
    n = 0
    for mention in mentions:
        row = mention.to_row()
        writer.writerow(protect_row([row[name] for name in MENTION_COLUMNS], MENTION_COLUMNS))
        n += 1
    return n


def mention_json(mention: Mention) -> str:
    row: dict[str, object] = dict(mention.to_row())
    row["start"], row["end"] = mention.start, mention.end
    row["year"] = mention.year
    row["confidence"] = mention.confidence
    return json.dumps(row, ensure_ascii=False)


def add_stage_arguments(parser: argparse.ArgumentParser, params: Mapping[str, Any]) -> None:
    """The command-line options every stage that runs the model shares (defaults from params.yaml)."""
    paths = params.get("paths", {})
    settings = params.get("extract", {})
    parser.add_argument("--normalized", type=Path, default=Path(paths.get("normalized", "output/normalized")))
    parser.add_argument("--seeds", type=Path, default=Path(paths.get("seeds", "seeds")), help="raw articles")
    parser.add_argument("--rules", type=Path, default=Path(paths.get("rules", "rules")))
    parser.add_argument("--model", default=settings.get("model", DEFAULT_MODEL))
    parser.add_argument("--batch-size", type=int, default=int(settings.get("batch_size", 64)))
    parser.add_argument(
        "--cache",
        default=(params.get("cache") or {}).get("dir", ".cache"),
        help="per-article cache folder or fsspec URL ('' turns it off)",
    )
    add_engine_arguments(parser, params)


def read_documents(
    paths_in: Sequence[Path], seeds: Path, skipped: list[str], failures: list[ArticleFailure] | None = None
) -> Iterator[tuple[NormalizedDoc, str]]:
    """Each normalized document with its raw text. One unreadable or stale article is reported on stderr,
    named in ``skipped`` (and in ``failures``, for the stage report) and left out; the others still go
    through."""
    for path in paths_in:
        try:
            ndoc = load_normalized(path)
            raw = read_raw(ndoc, seeds)
        except (StaleInput, OSError, ValueError, KeyError, TypeError) as exc:
            reason = str(exc) if isinstance(exc, StaleInput | OSError | ValueError) else describe(exc)
            print(f"error: {path}: {reason}; skipped", file=sys.stderr)
            skipped.append(path.name)
            if failures is not None:
                failures.append(ArticleFailure(path.stem, reason))
            continue
        yield ndoc, raw


def read_stdin(stream: io.BufferedIOBase | Any, max_bytes: int) -> str:
    """One text from a byte stream, read as an article is (at most ``max_bytes``, decoded like a file);
    ValueError past the limit, InputProblem when it is not text. Empty input is an empty text."""
    data = stream.read(max_bytes + 1)
    check_size(len(data), max_bytes, "input")
    if not data.strip():
        return ""
    return decode_article(data, max_bytes)[0]


def write_atomically(path: Path, write: Callable[[io.TextIOBase], int]) -> int:
    """Run ``write`` on a temporary file next to ``path`` and move it into place: a failure half-way
    leaves the previous output intact. The temporary file is unique to the call, so two runs at once
    never share one (the last to finish wins). Returns what ``write`` returns (the rows written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".partial")
    partial = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            n = write(fh)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return n


def write_report(path: Path, problems: Iterable[tuple[str, str, str]]) -> None:
    """A stage report: ``doc, status, problem``, one row per article not processed, sorted by doc."""

    def write(fh: io.TextIOBase) -> int:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["doc", "status", "problem"])
        rows = sorted(problems)
        writer.writerows([protect_row(row) for row in rows])
        return len(rows)

    write_atomically(path, write)


@dataclass(frozen=True)
class ExtractJob:
    """The stage's work on a batch of normalized documents, shipped to an engine (:mod:`pipeline.engine`):
    paths and settings only; each worker builds the :class:`Extractor` once and keeps it."""

    seeds: Path
    rules: Path
    model: str
    batch_size: int
    cache_dir: str  #: '' turns the per-article cache off; else a folder or fsspec URL every worker reaches
    settings: Mapping[str, Any]  #: the extract.* params (model and batch size included): the cache key

    @property
    def kind(self) -> str:
        return "extract"

    def resource_key(self) -> str:
        """Code, rules, settings and model version; a worker whose own differ refuses to run."""
        extra = [
            "rules=" + rules_digest(self.rules),
            "extract=" + json.dumps(dict(self.settings), sort_keys=True, default=str),
            f"model={self.model}=={get_package_version(self.model)}",
            f"spacy=={spacy_about.__version__}",
        ]
        return fingerprint(module_sources(EXTRACT_MODULES), extra)

    def load(self) -> tuple[Extractor, str]:
        extractor = Extractor(self.model, self.rules, self.batch_size)
        return extractor, stage_fingerprint(extractor, self.rules, self.settings)

    def weight(self, item: Path) -> int:
        return estimated_words(self.seeds / f"{item.stem}.txt")

    def name(self, item: Path) -> str:
        return item.stem

    def __call__(self, loaded: tuple[Extractor, str], items: Sequence[Path]) -> BatchResult[Mention]:
        extractor, stage = loaded
        cache = ArticleCache(self.cache_dir or None, "extract", stage)
        skipped: list[str] = []
        failures: list[ArticleFailure] = []
        docs = read_documents(items, self.seeds, skipped, failures)
        mentions = tuple(run(docs, extractor, cache, failures=failures))
        return BatchResult(mentions, tuple((f.doc, f.problem) for f in failures), cache.hits, cache.misses)


def main(argv: Sequence[str] | None = None) -> int:
    params = load_params()
    paths = params.get("paths", {})
    settings = params.get("extract", {})
    parser = argparse.ArgumentParser(prog="python -m pipeline.extract", description=(__doc__ or "").split("\n\n")[0])
    add_stage_arguments(parser, params)
    parser.add_argument("--out", type=Path, default=Path(paths.get("output", "output")) / "mentions.csv")
    parser.add_argument(
        "--report", type=Path, default=None, help="articles not processed (default: extract_report.csv beside --out)"
    )
    parser.add_argument("--stdin", action="store_true", help="read one text from stdin instead of the stage input")
    parser.add_argument("--jsonl", action="store_true", help="with --stdin: one JSON mention per line")
    parser.add_argument("--published", default=None, help="with --stdin: publication date (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    args.report = args.report or args.out.with_name("extract_report.csv")

    if args.stdin:
        return extract_stdin(args, params)
    try:
        engine_params = engine_settings(args)
    except RuleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    paths_in = sorted(args.normalized.glob("*.json"))
    if not paths_in:
        print(f"error: no normalized documents in {args.normalized}", file=sys.stderr)
        return 1

    settings = {**settings, "model": args.model, "batch_size": args.batch_size}
    job = ExtractJob(args.seeds, args.rules, args.model, args.batch_size, args.cache or "", settings)
    tally = Tally()
    try:
        with open_engine(engine_params) as engine:
            outcomes = engine.map(job, paths_in, progress="extract" if sys.stderr.isatty() else None)
            n = write_atomically(args.out, lambda fh: write_mentions(stream_rows(outcomes, tally), fh))
    except (LoadError, EngineError) as exc:  # a broken rule file, a cluster that cannot be reached
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    write_report(args.report, [(doc, "failed", problem) for doc, problem in tally.failures])
    for doc, problem in tally.failures:
        print(f"error: {doc}: {problem}; skipped", file=sys.stderr)
    done = len(paths_in) - len(tally.failures)
    print(
        f"extract: {n} mention(s) from {done} article(s) written to {args.out} "
        f"({tally.hits} unchanged, from the cache; {tally.misses} parsed"
        + (f"; {len(tally.failures)} not processed, see {args.report})" if tally.failures else ")")
    )
    return 1 if tally.failures and not done else 0


def extract_stdin(args: argparse.Namespace, params: Mapping[str, Any]) -> int:
    """``--stdin``: one text, its mentions on stdout (CSV, or JSON lines with ``--jsonl``)."""
    try:
        extractor = Extractor(args.model, args.rules, args.batch_size)
    except RuleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    max_bytes = int((params.get("normalize") or {}).get("max_bytes", DEFAULT_MAX_BYTES))
    try:
        mentions = extract_text(read_stdin(sys.stdin.buffer, max_bytes), args.published, extractor=extractor)
    except (ValueError, InputProblem) as exc:  # too large, not text, a bad --published
        print(f"error: stdin: {exc}", file=sys.stderr)
        return 2
    if args.jsonl:
        for mention in mentions:
            print(mention_json(mention))
    else:
        write_mentions(mentions, sys.stdout)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    # through the importable module: an engine ships pipeline.extract's job to its workers, which cannot
    # import a class of __main__
    from pipeline.extract import main as stage_main

    sys.exit(stage_main())
