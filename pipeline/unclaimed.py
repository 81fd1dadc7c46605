"""Unclaimed numbers: ``output/normalized`` + ``output/mentions.csv`` -> ``output/unclaimed.csv``.

Every number-like span of every clean text that did not become a mention, with the reason: the
analyst's to-do list for new rules. A span is *number-like* when :func:`pipeline.numbers.find_numerals`
reads it as a number (digits or number words, ``5`` of ``5G``, ``19`` of ``COVID-19``) or it is a
digit ordinal (``19th``). It is *claimed* when its raw span overlaps a mention's raw span.

Reasons (column ``reason``; ``rule`` names the rule where one decided):

- ``excluded by rule``: an exclusion of ``rules/patterns/exclusions.yml`` vetoed the number (``rule`` is
  its id: ``exclude.year``, ``exclude.tech_name``, ``exclude.quoted_title`` ...);
- ``bare year``, ``part of a date``, ``ordinal``, ``ordinal in a name``: the extract stage's sentence
  filter never parsed the sentence (it holds only years and digit ordinals), or nothing proposed the
  number; told apart by a cheap look at the words around it (no rule; ``rule`` is ``filter``);
- ``word number without a unit``: a rule proposed the number (``rule``) but a number word with no
  unit (``one of them``) is not read as a count;
- ``not chosen``: a rule proposed it (``rule``) but an overlapping quantity won;
- ``no rule matched``: nothing proposed it as a quantity (no unit found, and the model did not tag it
  as a number);
- ``unreadable digits``: digits with separators that the number reader cannot read at all (a grouping
  that is neither thousands nor Indian lakhs, ``3,30782.9``): listed so that no number is lost silently;
- ``unreadable number``: a number phrase whose value cannot be read: more digits or a larger exponent
  than :mod:`pipeline.numbers` bounds (``rule`` says which), or no value at all (``3 9/0``).

One article that cannot be processed is reported on stderr and skipped; the others go through.
Sentences are read in the same windows as the extract stage (:func:`pipeline.safety.limits.windows`).

Only what is needed is re-run: sentences that pass the sentence filter and hold a number no mention
covers go through the tokenizer, the tagger and the finder's :meth:`~pipeline.quantities.QuantityFinder.propose`
(no parser, no NER), which tell which exclusion vetoed each number and which rules proposed it.
With a cache (``cache.dir``) a document whose content, mentions, rules and code are unchanged is not
looked at again.

Invariants: ``raw[start:end] == quote``; rows sorted by doc, start, end; columns ``UNCLAIMED_COLUMNS``;
``\\n`` line ends; deterministic.

CLI: ``python -m pipeline.unclaimed``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from spacy.tokens import Doc
from tqdm import tqdm

from pipeline.cache import ArticleCache, fingerprint, imported_modules, module_sources
from pipeline.engine import (
    BatchResult,
    EngineError,
    LoadError,
    Tally,
    engine_settings,
    estimated_words,
    open_engine,
    stream_rows,
)
from pipeline.extract import (
    PHASE2,
    ArticleFailure,
    ExtractJob,
    Extractor,
    add_stage_arguments,
    describe,
    document_key,
    read_documents,
    write_atomically,
)
from pipeline.normalize import NormalizedDoc
from pipeline.numbers import UnreadableNumber, find_numerals, is_year_like
from pipeline.params import load_params
from pipeline.ruleio import RuleError
from pipeline.safety.csvcells import protect_row, unprotect
from pipeline.safety.limits import windows
from pipeline.safety.records import UNCLAIMED_LIST
from pipeline.sentences import split_sentences

__all__ = [
    "REASONS",
    "UNCLAIMED_COLUMNS",
    "Unclaimed",
    "UnclaimedJob",
    "classify_cheaply",
    "main",
    "number_spans",
    "run",
    "unclaimed_in",
    "unreadable_spans",
    "write_unclaimed",
]

REASONS = (
    "excluded by rule",
    "bare year",
    "part of a date",
    "ordinal",
    "ordinal in a name",
    "word number without a unit",
    "not chosen",
    "no rule matched",
    "unreadable digits",
    "unreadable number",
)
#: the ``rule`` of reasons decided by the cheap look, not by a rule file
FILTER = "filter"

#: digits with separators, standing alone (not the tail of a word or a code)
_SEPARATED_DIGITS = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)+(?![\w])")
_DIGIT_ORDINAL = re.compile(r"(?<![\w.,])\d+(?:st|nd|rd|th)\b", re.IGNORECASE)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# "December 7, 2014", "Jan. 2019", "in May 2020": a month name (and a day) just before the year
_MONTH_BEFORE = re.compile(rf"\b(?:{_MONTHS})\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?,?)?\s+$", re.IGNORECASE)
# "7 December 2014", "2019-05", "2019/05", "2019.07.12", "2019年": the year glued into a date
_MONTH_AFTER = re.compile(rf"^\s+(?:{_MONTHS})\b|^[-/.]\d{{1,2}}\b", re.IGNORECASE)
_DAY_MONTH_BEFORE = re.compile(rf"\b\d{{1,2}}\s+(?:{_MONTHS})\.?,?\s+$|\d{{1,2}}[-/.]$", re.IGNORECASE)
# an ordinal in a name: "19th China Hi-Tech Fair", "14th Five-Year Plan" (a capital follows)
_CAPITAL_AFTER = re.compile(r"^[\s-]+[A-Z]")


@dataclass(frozen=True, slots=True)
class Unclaimed:
    """One number-like span that is not (part of) a mention: one row of ``output/unclaimed.csv``."""

    doc: str
    start: int  #: raw-article offsets, half-open
    end: int
    quote: str  #: ``raw[start:end]``
    reason: str  #: one of REASONS
    rule: str  #: the exclusion that vetoed it, the rule(s) that proposed it, or ``filter``
    sentence: str  #: the clean sentence

    def to_row(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


UNCLAIMED_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Unclaimed))


def number_spans(
    text: str, extractor: Extractor, unreadable: list[UnreadableNumber] | None = None
) -> list[tuple[int, int]]:
    """Half-open spans of the number-like phrases of ``text``, in order: numerals and digit ordinals.
    Number phrases that cannot be read are left out, and appended to ``unreadable`` when given."""
    tokens = extractor.nlp.get_pipe("quantity_tokens")
    bad: list[UnreadableNumber] = []
    found = {
        (n.start, n.end)
        for n in find_numerals(text, tokens.vocab, tokens.glued, tokens.money_before, bad)  # type: ignore[attr-defined]
    }
    found |= {(m.start(), m.end()) for m in _DIGIT_ORDINAL.finditer(text)}
    found = {span for span in found if not any(b.start < span[1] and span[0] < b.end for b in bad)}
    if unreadable is not None:
        unreadable.extend(bad)
    return sorted(found)


def unreadable_spans(text: str, read: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Half-open spans of separated digits (``3,30782.9``) that no span of ``read`` (the numbers the
    reader found, :func:`number_spans`) touches: the reader could not make a number of them."""
    spans = [(m.start(), m.end()) for m in _SEPARATED_DIGITS.finditer(text)]
    return [span for span in spans if not _overlaps(span, read)]


def classify_cheaply(text: str, start: int, end: int) -> str:
    """Why a year-like number or a digit ordinal at ``text[start:end]`` is not a quantity, from the
    words around it alone: ``part of a date``, ``bare year``, ``ordinal in a name``, ``ordinal``;
    ``no rule matched`` for anything else."""
    number = text[start:end]
    if is_year_like(number):
        before, after = text[max(0, start - 24) : start], text[end : end + 16]
        if _MONTH_BEFORE.search(before) or _MONTH_AFTER.match(after) or _DAY_MONTH_BEFORE.search(before):
            return "part of a date"
        return "bare year"
    if _DIGIT_ORDINAL.fullmatch(number) or re.match(r"(?:st|nd|rd|th)\b", text[end : end + 3], re.IGNORECASE):
        tail = end if _DIGIT_ORDINAL.fullmatch(number) else end + 2
        return "ordinal in a name" if _CAPITAL_AFTER.match(text[tail : tail + 3]) else "ordinal"
    return "no rule matched"


@dataclass(frozen=True, slots=True)
class _Open:
    """A number no mention covers, in a sentence that needs the finder to explain it."""

    start: int  #: clean offsets in the document
    end: int
    sentence_start: int


def _overlaps(span: tuple[int, int], covered: Sequence[tuple[int, int]]) -> bool:
    return any(s < span[1] and span[0] < e for s, e in covered)


def _propose(extractor: Extractor, texts: list[str]) -> list[Doc]:
    """Tokenizer, tagger and the quantity components' phase 1 (:meth:`QuantityFinder.propose`), as the
    extract stage runs them before deciding whether to parse a sentence."""
    nlp = extractor.nlp
    finder = nlp.get_pipe("quantity_finder")
    docs = [nlp.make_doc(text) for text in texts]
    for name, proc in nlp.pipeline:
        if name in PHASE2 or name == "quantity_finder":
            continue
        if hasattr(proc, "pipe"):
            docs = list(proc.pipe(docs, batch_size=extractor.batch_size))
        else:
            docs = [proc(doc) for doc in docs]
    for doc in docs:
        finder.propose(doc)  # type: ignore[attr-defined]
    return docs


def _reason_from_proposal(doc: Doc, start: int, end: int, sentence: str) -> tuple[str, str]:
    """Reason and rule for the number at sentence offsets ``[start, end)`` of a proposed ``doc``."""
    span = doc.char_span(start, end, alignment_mode="expand")
    proposal = doc._.proposal
    if span is None or len(span) == 0 or proposal is None:
        return classify_cheaply(sentence, start, end), FILTER
    candidates, vetoed, _ = proposal
    tokens = range(span.start, span.end)
    for i in tokens:
        if i in vetoed:
            return "excluded by rule", str(vetoed[i].rule.id)
    proposers = sorted({c.rule_id for c in candidates if c.numeral[0] < span.end and span.start < c.numeral[1]})
    if proposers:
        words = bool(doc[span.start]._.numeral_words)
        unitless = all(not c.unit for c in candidates if c.rule_id in proposers)
        reason = "word number without a unit" if words and unitless else "not chosen"
        return reason, "+".join(proposers)
    cheap = classify_cheaply(sentence, start, end)
    return cheap, FILTER if cheap != "no rule matched" else ""


def unclaimed_in(
    ndoc: NormalizedDoc, raw: str, mention_spans: Sequence[tuple[int, int]], extractor: Extractor
) -> list[Unclaimed]:
    """The unclaimed numbers of one document, given the raw spans of its mentions."""
    text = ndoc.text
    rows: list[Unclaimed] = []
    to_parse: dict[int, list[_Open]] = defaultdict(list)
    sentence_end: dict[int, int] = {}

    def add(start: int, end: int, reason: str, rule: str, sentence: str) -> None:
        raw_start, raw_end = ndoc.to_raw(start, end)
        rows.append(Unclaimed(ndoc.doc, raw_start, raw_end, raw[raw_start:raw_end], reason, rule, sentence))

    for s, e in windows(text, split_sentences(text)):
        sentence = text[s:e]
        unreadable: list[UnreadableNumber] = []
        read = number_spans(sentence, extractor, unreadable)
        for bad in unreadable:
            if not _overlaps(ndoc.to_raw(s + bad.start, s + bad.end), mention_spans):
                add(s + bad.start, s + bad.end, "unreadable number", bad.reason, sentence)
        for a, b in unreadable_spans(sentence, [*read, *((bad.start, bad.end) for bad in unreadable)]):
            if not _overlaps(ndoc.to_raw(s + a, s + b), mention_spans):
                add(s + a, s + b, "unreadable digits", "", sentence)
        open_spans = [(s + a, s + b) for a, b in read if not _overlaps(ndoc.to_raw(s + a, s + b), mention_spans)]
        if not open_spans:
            continue
        if not extractor.may_hold_quantity(sentence):
            for a, b in open_spans:
                add(a, b, classify_cheaply(text, a, b), FILTER, sentence)
            continue
        to_parse[s] = [_Open(a, b, s) for a, b in open_spans]
        sentence_end[s] = e
    starts = sorted(to_parse)
    docs = _propose(extractor, [text[s : sentence_end[s]] for s in starts])
    for s, doc in zip(starts, docs, strict=True):
        sentence = text[s : sentence_end[s]]
        for item in to_parse[s]:
            reason, rule = _reason_from_proposal(doc, item.start - s, item.end - s, sentence)
            add(item.start, item.end, reason, rule, sentence)
        doc._.proposal = None
    rows.sort(key=lambda r: (r.doc, r.start, r.end))
    return rows


def run(
    docs: Iterable[tuple[NormalizedDoc, str]],
    mentions: Mapping[str, Sequence[tuple[int, int]]],
    extractor: Extractor,
    cache: ArticleCache | None = None,
    *,
    progress: bool = False,
    total: int | None = None,
    failures: list[ArticleFailure] | None = None,
) -> Iterator[Unclaimed]:
    """Unclaimed numbers of every (normalized doc, raw text), given each doc's mention raw spans. A
    document whose processing fails yields nothing and is appended to ``failures`` (without that list,
    the error is raised)."""
    for ndoc, raw in tqdm(docs, total=total, desc="unclaimed", unit="article", disable=not progress):
        spans = sorted(mentions.get(ndoc.doc, ()))
        key = ""
        if cache is not None:
            spans_text = ";".join(f"{s}-{e}" for s, e in spans)
            key = f"{document_key(ndoc)}:{hashlib.sha256(spans_text.encode()).hexdigest()}"
            hit = cache.get(key, UNCLAIMED_LIST)
            if hit is not None:
                yield from (Unclaimed(**row) for row in hit)
                continue
        try:
            found = unclaimed_in(ndoc, raw, spans, extractor)
        except Exception as exc:  # noqa: BLE001 - one article's failure is reported, never fatal
            if failures is None:
                raise
            failures.append(ArticleFailure(ndoc.doc, describe(exc)))
            continue
        if cache is not None:
            cache.put(key, [asdict(row) for row in found])
        yield from found


def read_mention_spans(path: Path) -> dict[str, list[tuple[int, int]]]:
    """Raw spans of the mentions in ``mentions.csv``, per doc."""
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            spans[unprotect(row["doc"])].append((int(row["start"]), int(row["end"])))
    return dict(spans)


def write_unclaimed(rows: Iterable[Unclaimed], out: io.TextIOBase | io.StringIO) -> int:
    """CSV with UNCLAIMED_COLUMNS, ``\\n`` line ends, text cells spreadsheet-safe; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UNCLAIMED_COLUMNS)
    n = 0
    for row in rows:
        cells = row.to_row()
        writer.writerow(protect_row([cells[name] for name in UNCLAIMED_COLUMNS], UNCLAIMED_COLUMNS))
        n += 1
    return n


#: one article for the engine: its normalized document and the raw spans of its mentions
UnclaimedItem = tuple[Path, tuple[tuple[int, int], ...]]


@dataclass(frozen=True)
class UnclaimedJob:
    """The stage's work on a batch of normalized documents with their mention spans, shipped to an
    engine (:mod:`pipeline.engine`); each worker builds the :class:`Extractor` once."""

    seeds: Path
    rules: Path
    model: str
    batch_size: int
    cache_dir: str  #: '' turns the per-article cache off; else a folder or fsspec URL every worker reaches
    settings: Mapping[str, Any]  #: the extract.* params (model and batch size included)

    @property
    def kind(self) -> str:
        return "unclaimed"

    def _extract(self) -> ExtractJob:
        return ExtractJob(self.seeds, self.rules, self.model, self.batch_size, self.cache_dir, self.settings)

    def resource_key(self) -> str:
        return fingerprint(module_sources(imported_modules("pipeline.unclaimed")), [self._extract().resource_key()])

    def load(self) -> tuple[Extractor, str]:
        extractor, extract_stage = self._extract().load()
        # what extract depends on, plus this module's own code
        return extractor, fingerprint(module_sources(imported_modules("pipeline.unclaimed")), [extract_stage])

    def weight(self, item: UnclaimedItem) -> int:
        return estimated_words(self.seeds / f"{item[0].stem}.txt")

    def name(self, item: UnclaimedItem) -> str:
        return item[0].stem

    def __call__(self, loaded: tuple[Extractor, str], items: Sequence[UnclaimedItem]) -> BatchResult[Unclaimed]:
        extractor, stage = loaded
        cache = ArticleCache(self.cache_dir or None, "unclaimed", stage)
        skipped: list[str] = []
        failures: list[ArticleFailure] = []
        docs = read_documents([path for path, _ in items], self.seeds, skipped, failures)
        spans = {path.stem: list(found) for path, found in items}
        rows = tuple(run(docs, spans, extractor, cache, failures=failures))
        return BatchResult(rows, tuple((f.doc, f.problem) for f in failures), cache.hits, cache.misses)


def main(argv: Sequence[str] | None = None) -> int:
    params = load_params()
    paths = params.get("paths", {})
    settings: dict[str, Any] = dict(params.get("extract") or {})
    output = Path(paths.get("output", "output"))
    parser = argparse.ArgumentParser(prog="python -m pipeline.unclaimed", description=(__doc__ or "").split("\n\n")[0])
    add_stage_arguments(parser, params)
    parser.add_argument("--mentions", type=Path, default=output / "mentions.csv")
    parser.add_argument("--out", type=Path, default=output / "unclaimed.csv")
    args = parser.parse_args(argv)

    try:
        engine_params = engine_settings(args)
    except RuleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    paths_in = sorted(args.normalized.glob("*.json"))
    if not paths_in:
        print(f"error: no normalized documents in {args.normalized}", file=sys.stderr)
        return 1
    if not args.mentions.is_file():
        print(f"error: {args.mentions} does not exist; run the extract stage first", file=sys.stderr)
        return 1
    mentions = read_mention_spans(args.mentions)
    items = [(path, tuple(mentions.get(path.stem, ()))) for path in paths_in]
    settings = {**settings, "model": args.model, "batch_size": args.batch_size}
    job = UnclaimedJob(args.seeds, args.rules, args.model, args.batch_size, args.cache or "", settings)
    tally = Tally()
    try:
        with open_engine(engine_params) as engine:
            outcomes = engine.map(job, items, progress="unclaimed" if sys.stderr.isatty() else None)
            n = write_atomically(args.out, lambda fh: write_unclaimed(stream_rows(outcomes, tally), fh))
    except (LoadError, EngineError) as exc:  # a broken rule file, a cluster that cannot be reached
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    skipped = [doc for doc, _ in tally.failures]
    for doc, problem in tally.failures:
        print(f"error: {doc}: {problem}; skipped", file=sys.stderr)
    print(
        f"unclaimed: {n} number(s) without a mention in {len(paths_in) - len(skipped)} article(s) written to "
        f"{args.out} ({tally.hits} unchanged, from the cache"
        + (f"; {len(skipped)} skipped: {', '.join(skipped)})" if skipped else ")")
    )
    return 1 if skipped and len(skipped) == len(paths_in) else 0


if __name__ == "__main__":
    # through the importable module: an engine ships pipeline.unclaimed's job to its workers, which cannot
    # import a class of __main__
    from pipeline.unclaimed import main as stage_main

    sys.exit(stage_main())
