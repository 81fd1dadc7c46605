"""Explain what the extract stage does with one sentence: what a rule author runs first.

``python -m pipeline.explain "The reservoir holds 42 tmcft of water." [--published 2022]`` prints, for
each sentence of the (normalized) text:

- whether the sentence filter lets it through (sentences it stops are never parsed);
- the tokens: text, part of speech, tag, dependency and head, and the marks the quantity components
  put on them (``numeral=B`` / ``I`` with its value, ``year``, ``unit=...``, ``ordinal=...``);
- the rules that fired (``Doc._.rule_hits``), every number an exclusion vetoed and by which rule, and
  every candidate span a rule proposed (rule id, quote, value, unit, kind, priority) with what became
  of it (kept, vetoed, lost to another);
- the model's numeric entities (they propose candidates too, as ``ner.*``);
- the resulting mentions with every field (value, unit, qualifier, kind, measure, entity, year and
  how it was resolved, aspect, confidence, rule, why), exactly as ``output/mentions.csv`` would hold
  them for this text.

The pipeline is the extract stage's (model from ``params.yaml`` ``extract.model``, rules from
``paths.rules``); nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.tokens import Doc

from pipeline.extract import PHASE2, Extractor, extract_text
from pipeline.normalize import normalize_text
from pipeline.params import load_params
from pipeline.quantities import DEFAULT_MODEL, NER_LABELS
from pipeline.ruleio import RuleError
from pipeline.sentences import split_sentences
from pipeline.types import Mention, Quantity, format_decimal
from pipeline.unclaimed import classify_cheaply

__all__ = ["CandidateView", "analyse_sentence", "explain", "main"]


@dataclass(frozen=True, slots=True)
class CandidateView:
    """A candidate span as the finder proposed it, before the final choice."""

    rule: str
    start: int  #: sentence character offsets
    end: int
    value: str
    unit: str
    kind: str
    priority: int
    vetoed_by: str  #: the exclusion rule id that vetoes it, "" if none


@dataclass(frozen=True, slots=True)
class SentenceAnalysis:
    doc: Doc  #: fully analysed (tags, parse, entities), with ``_.quantities``
    rule_hits: tuple[str, ...]
    vetoes: tuple[tuple[int, str], ...]  #: (token index, exclusion rule id)
    candidates: tuple[CandidateView, ...]


def analyse_sentence(extractor: Extractor, text: str) -> SentenceAnalysis:
    """Run the extract stage's two phases on one sentence, keeping the proposal that phase 2 consumes.

    Unlike the stage, phase 2 (parser, lemmatizer, NER) always runs, so every token shows its parse.
    """
    nlp = extractor.nlp
    finder = nlp.get_pipe("quantity_finder")
    doc = nlp.make_doc(text)
    phase2 = []
    for name, proc in nlp.pipeline:
        if name == "quantity_finder":
            continue
        if name in PHASE2:
            phase2.append(proc)
        else:
            doc = proc(doc)
    finder.propose(doc)  # type: ignore[attr-defined]
    candidates, vetoed, _ = doc._.proposal
    spared_units = finder.unit_kinds  # type: ignore[attr-defined]
    views = []
    for c in candidates:
        start, end = c.quote_char or (doc[c.start].idx, doc[c.end - 1].idx + len(doc[c.end - 1]))
        veto = ""
        for i in range(c.numeral[0], c.numeral[1]):
            rule = vetoed.get(i)
            if rule is None:
                continue
            if rule.rule.keep_if_unit and c.unit and c.unit in spared_units:
                continue  # the exclusion spares numbers with a real unit
            veto = rule.rule.id
            break
        views.append(CandidateView(c.rule_id, start, end, format_decimal(c.value), c.unit, c.kind, c.priority, veto))
    hits = tuple(sorted(doc._.rule_hits or ()))
    vetoes = tuple(sorted((i, rule.rule.id) for i, rule in vetoed.items()))
    for proc in phase2:
        doc = proc(doc)
    finder.finalize(doc)  # type: ignore[attr-defined]
    views.sort(key=lambda v: (v.start, v.end, -v.priority, v.rule))
    return SentenceAnalysis(doc, hits, vetoes, tuple(views))


def _marks(doc: Doc, i: int) -> str:
    tok = doc[i]
    marks = []
    if tok._.numeral:
        mark = f"numeral={tok._.numeral}"
        if tok._.numeral == "B":
            value = tok._.numeral_value
            mark += f" value={int(value) if float(value).is_integer() else value}"
            if tok._.year_like:
                mark += " year"
            if tok._.numeral_words:
                mark += " words"
        marks.append(mark)
    if tok._.unit:
        side = "before" if tok._.unit_before else "after"
        marks.append(f"unit={tok._.unit} ({tok._.unit_kind}, {side})")
    if tok._.ordinal:
        marks.append(f"ordinal={tok._.ordinal}")
    return "  ".join(marks)


def _fate(view: CandidateView, quantities: Sequence[Quantity]) -> str:
    if view.vetoed_by:
        return f"vetoed by {view.vetoed_by}"
    for q in quantities:
        if view.rule in q.rule.split("+") and q.start < view.end and view.start < q.end:
            return "kept"
    return "not kept (another candidate won, or a lone number word)"


def _mention_lines(m: Mention) -> list[str]:
    year = "" if m.year is None else str(m.year)
    return [
        f"  {m.quote!r}",
        f"    value={format_decimal(m.value)}  unit={m.unit or '-'}  qualifier={m.qualifier}  kind={m.kind}",
        f"    measure={m.measure or '-'}  entity={m.entity or '-'}  year={year or '-'} ({m.year_source or '-'})"
        f"  aspect={m.aspect or '-'}",
        f"    rule={m.rule}  confidence={m.confidence:.2f}",
        f"    why: {m.why or '-'}",
    ]


def explain(text: str, extractor: Extractor, published: str | None = None) -> str:
    """The plain-text explanation of every sentence of ``text`` (see the module docstring)."""
    mentions = extract_text(text, published, extractor=extractor)
    clean = normalize_text(text, "explain").text
    out: list[str] = []
    if clean != text.strip():
        out += ["normalized text:", f"  {clean}", ""]
    out.append(f"published: {published or 'not given (years fall back to what the text says)'}")
    for s, e in split_sentences(clean):
        sentence = clean[s:e]
        out += ["", f"sentence: {sentence}"]
        if not extractor.may_hold_quantity(sentence):
            out.append("filter: skipped (no number the stage would parse: none, or only bare years and ordinals)")
            continue
        out.append("filter: parsed")
        analysis = analyse_sentence(extractor, sentence)
        doc = analysis.doc
        out += ["", "tokens:", f"  {'#':>3}  {'text':<18} {'pos':<6} {'tag':<5} {'dep':<10} {'head':>4}  marks"]
        for tok in doc:
            out.append(
                f"  {tok.i:>3}  {tok.text:<18} {tok.pos_:<6} {tok.tag_:<5} {tok.dep_:<10} {tok.head.i:>4}  "
                f"{_marks(doc, tok.i)}".rstrip()
            )
        out += ["", "rules fired: " + (", ".join(analysis.rule_hits) or "none")]
        out.append("excluded:")
        if not analysis.vetoes:
            out.append("  nothing")
        for i, rule_id in analysis.vetoes:
            out.append(f"  token {i} {doc[i].text!r} vetoed by {rule_id}")
        covered = {i for i, _ in analysis.vetoes}
        for v in analysis.candidates:
            covered |= {t.i for t in doc if v.start <= t.idx < v.end}
        lonely = [t for t in doc if t._.numeral == "B" and t.i not in covered]
        if lonely:
            out.append("numbers no rule looked at:")
        for t in lonely:
            reason = classify_cheaply(sentence, t.idx, t.idx + len(t.text))
            out.append(f"  token {t.i} {t.text!r}: {reason}")
        out.append("candidates:")
        if not analysis.candidates:
            out.append("  none")
        quantities = doc._.quantities or []
        for v in analysis.candidates:
            out.append(
                f"  {v.rule:<28} {sentence[v.start : v.end]!r}  value={v.value} unit={v.unit or '-'} "
                f"kind={v.kind or '-'} priority={v.priority}  -> {_fate(v, quantities)}"
            )
        ents = [ent for ent in doc.ents if ent.label_ in NER_LABELS]
        out.append("model entities: " + (", ".join(f"{e.label_} {e.text!r}" for e in ents) or "none"))
        found = [m for m in mentions if m.sentence == sentence]
        out.append("mentions:" if found else "mentions: none")
        for m in found:
            out += _mention_lines(m)
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    params = load_params()
    paths = params.get("paths", {})
    settings = params.get("extract") or {}
    parser = argparse.ArgumentParser(prog="python -m pipeline.explain", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("text", nargs="?", help="the sentence (or short text); read from stdin when omitted")
    parser.add_argument("--published", default=None, help="publication date of the text (YYYY or YYYY-MM-DD)")
    parser.add_argument("--rules", default=paths.get("rules", "rules"), help="rules folder")
    parser.add_argument("--model", default=settings.get("model", DEFAULT_MODEL), help="spaCy model")
    args = parser.parse_args(argv)
    text = args.text if args.text is not None else sys.stdin.read()
    if not text.strip():
        print("error: no text to explain", file=sys.stderr)
        return 2
    try:
        extractor = Extractor(args.model, args.rules)
    except RuleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(explain(text, extractor, args.published))
    return 0


if __name__ == "__main__":
    sys.exit(main())
