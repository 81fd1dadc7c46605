"""Attribution: what each quantity counts (measure), whom it is about (entity), when (year), and how
(aspect). Used by the extract stage after quantities are found.

Inputs: a normalized document (:class:`pipeline.normalize.NormalizedDoc`: clean text, publication
date and how it is known, sections) and, for every sentence holding quantities, its spaCy parse and
its :class:`pipeline.types.Quantity` list. Output: one :class:`Attribution` per quantity.

Resolution order, each step recorded in ``why`` and reflected in ``confidence``:

- entity: an entity named in the phrase the number belongs to (possessor, subject, the noun a
  participle modifies, ``in``/``for``/``by`` + place), an anaphor (``the city``, ``the institute``,
  ``it``) resolved to the section heading or the nearest fitting antecedent, else the document's
  main entity. Names are canonical through ``rules/entities.yml`` (the longest alias wins).
- year: a year stated in the sentence (``in 2020``, ``as of the end of 2021``; not ``since 2016``
  or ``the number in 2015``) -> ``explicit``; ``last year``/``this year`` against the publication
  date (never today) -> ``relative``; ``now``/``currently``/``so far`` -> the publication year
  (``published``); a year stated by another claim of the same paragraph -> ``context``; in an
  article whose date is only inferred from the one past year it speaks of, that year (``context``);
  else the publication year (``published``), or nothing (``unknown``).
- measure: the counted noun with its modifiers, the thing spent or invested, numerator and base
  of a share, the thing that grew, canonical through ``rules/measures.yml``.
- aspect: the cue word nearest the number (``rules/attribution.yml``): target / share / change /
  level; ranks are ``rank``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from pipeline.ruleio import StrictModel, check_unique_ids, load_rules
from pipeline.safety.ruleregex import RulePattern, compile_rule_regex

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

    from pipeline.normalize import NormalizedDoc
    from pipeline.types import Quantity

__all__ = [
    "Attribution",
    "AttributionRules",
    "DocContext",
    "SentenceInput",
    "attribute_document",
    "canonical_measure",
    "load_attribution_rules",
]

# ---------------------------------------------------------------------------------------------
# rule files

_ID = r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"


class EntityExample(StrictModel):
    text: str
    expect: str
    context: str = ""  #: a section heading the sentence sits under
    xfail: str | None = None


class EntityRule(StrictModel):
    id: str = Field(pattern=_ID)
    name: str
    type: str
    aliases: list[str] = Field(min_length=1)
    examples: list[EntityExample] = Field(min_length=1)


class EntitiesFile(StrictModel):
    entities: list[EntityRule]


class MeasureExample(StrictModel):
    text: str
    expect: str
    xfail: str | None = None


class MeasureRule(StrictModel):
    id: str = Field(pattern=_ID)
    canonical: str
    forms: list[str] = Field(min_length=1)
    examples: list[MeasureExample] = Field(min_length=1)


class MeasuresFile(StrictModel):
    drop_modifiers: list[str]
    synonyms: list[MeasureRule]


class RelativeYears(StrictModel):
    words: list[str] = Field(min_length=1)
    offset: int


class YearCues(StrictModel):
    present_words: list[str]
    relative: list[RelativeYears]
    not_as_of_before: list[str]
    event_year_pattern: str

    @field_validator("event_year_pattern")
    @classmethod
    def _linear_time(cls, value: str) -> str:
        compile_rule_regex(value)  # ValueError (-> RuleError naming the field) when refused
        return value


class AspectCue(StrictModel):
    aspect: Literal["target", "share", "change", "level"]
    words: list[str] = Field(min_length=1)


class Anaphor(StrictModel):
    words: list[str] = Field(min_length=1)
    types: list[str] = Field(min_length=1)


class AttributionFile(StrictModel):
    years: YearCues
    aspects: list[AspectCue]
    anaphora: list[Anaphor]


def _words_regex(words: Sequence[str]) -> re.Pattern[str]:
    alternatives = sorted({re.escape(w.lower()) for w in words}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class AttributionRules:
    entities: EntitiesFile
    measures: MeasuresFile
    cues: AttributionFile
    paths: tuple[Path, ...] = ()

    @cached_property
    def entity_regex(self) -> re.Pattern[str]:
        return _words_regex([alias for e in self.entities.entities for alias in [e.name, *e.aliases]])

    @cached_property
    def entity_by_alias(self) -> dict[str, EntityRule]:
        table: dict[str, EntityRule] = {}
        for rule in self.entities.entities:
            for alias in [rule.name, *rule.aliases]:
                table.setdefault(alias.lower(), rule)
        return table

    @cached_property
    def measure_forms(self) -> dict[str, MeasureRule]:
        table: dict[str, MeasureRule] = {}
        for rule in self.measures.synonyms:
            for form in [rule.canonical, *rule.forms]:
                table.setdefault(_normalize_phrase(form, self.measures.drop_modifiers), rule)
        return table

    @cached_property
    def present_regex(self) -> re.Pattern[str]:
        return _words_regex(self.cues.years.present_words)

    @cached_property
    def relative_regexes(self) -> list[tuple[re.Pattern[str], int]]:
        return [(_words_regex(r.words), r.offset) for r in self.cues.years.relative]

    @cached_property
    def not_as_of_regex(self) -> re.Pattern[str]:
        words = sorted({re.escape(w) for w in self.cues.years.not_as_of_before}, key=len, reverse=True)
        return re.compile(r"\b(?:" + "|".join(words) + r")\s+(?:[\w’'-]+\s+){0,20}?$", re.IGNORECASE)

    @cached_property
    def event_year_regex(self) -> RulePattern:
        return compile_rule_regex(self.cues.years.event_year_pattern)

    @cached_property
    def aspect_regexes(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(cue.aspect, _words_regex(cue.words)) for cue in self.cues.aspects]

    @cached_property
    def anaphora_regexes(self) -> list[tuple[re.Pattern[str], list[str]]]:
        return [(_words_regex(a.words), a.types) for a in self.cues.anaphora]


def load_attribution_rules(rules_dir: str | Path = "rules") -> AttributionRules:
    rules_dir = Path(rules_dir)
    paths = (rules_dir / "entities.yml", rules_dir / "measures.yml", rules_dir / "attribution.yml")
    entities = load_rules(paths[0], EntitiesFile)
    measures = load_rules(paths[1], MeasuresFile)
    cues = load_rules(paths[2], AttributionFile)
    seen: dict[str, str] = {}
    check_unique_ids(paths[0], [e.id for e in entities.entities], seen)
    check_unique_ids(paths[1], [m.id for m in measures.synonyms], seen)
    return AttributionRules(entities, measures, cues, paths)


# ---------------------------------------------------------------------------------------------
# measures: pure phrase normalization

_IRREGULAR_SINGULAR = {"people": "people", "series": "series", "news": "news", "species": "species", "data": "data"}
_KEEP_S = ("ss", "us", "is", "ics")
_INVERT_HEADS = {"added value", "value added", "output value", "number", "total amount", "amount", "total number"}
_DROP_HEADS = {"number", "total amount", "amount", "total number"}


def _singular(word: str) -> str:
    lower = word.lower()
    if lower in _IRREGULAR_SINGULAR or len(lower) <= 3 or not lower.endswith("s") or lower.endswith(_KEEP_S):
        return word
    if lower.endswith("ies"):
        return word[:-3] + "y"
    if lower.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1]


def _normalize_phrase(phrase: str, drop: Sequence[str]) -> str:
    text = re.sub(r"[“”\"‘’']s\b", "", phrase)  # possessive 's
    text = re.sub(r"[“”\"‘’()]", " ", text)
    text = re.sub(r"\b(?:the|a|an|this|these|those|its|their|his|her|our|of various types?)\b", " ", text, flags=re.I)
    text = re.sub(r"\b(?:city|country|province|zone|park)'s\b", " ", text, flags=re.I)
    words = [w for w in text.split() if w.lower() not in {d.lower() for d in drop}]
    text = " ".join(words)
    match = re.match(r"^(.*?)\s+of\s+(.+)$", text)
    if match and match.group(1).lower() in _INVERT_HEADS:
        head, rest = match.group(1), match.group(2)
        text = rest if head.lower() in _DROP_HEADS else f"{rest} {head}"
    # possessor words left by "the city's" etc.
    text = re.sub(r"^(?:city|country|province)\s+", "", text, flags=re.I)
    out = []
    for w in text.split():
        keep_case = w.isupper() or "&" in w
        w = _singular(w)
        out.append(w if keep_case else w.lower())
    return " ".join(out).strip()


_MAX_MEASURE_WORDS = 8


def canonical_measure(phrase: str, rules: AttributionRules) -> tuple[str, str]:
    """(canonical measure, id of the measures.yml rule that mapped it, or ``""``).

    Who the claim is about is the entity's business: "funding in China" measures "funding". A phrase
    longer than a measure can be (a garbled sentence read as a noun phrase) keeps its last words.
    """
    phrase = re.sub(r"\s*\b(?:in|of|for|from)\s+(?:the\s+)?(?:" + rules.entity_regex.pattern + r")", " ", phrase)
    phrase = rules.entity_regex.sub(" ", phrase) if rules.entity_regex.fullmatch(phrase.strip()) is None else phrase
    normalized = _normalize_phrase(phrase, rules.measures.drop_modifiers)
    words = normalized.split()
    if len(words) > _MAX_MEASURE_WORDS:
        normalized = " ".join(words[-3:])
    rule = rules.measure_forms.get(normalized)
    if rule is not None:
        return rule.canonical, rule.id
    return normalized, ""


# ---------------------------------------------------------------------------------------------
# inputs and outputs


@dataclass(frozen=True, slots=True)
class SentenceInput:
    """One sentence holding quantities: clean-text span, its parse, its quantities (clean offsets)."""

    start: int
    end: int
    parse: Doc
    quantities: Sequence[Quantity]


@dataclass(frozen=True, slots=True)
class Attribution:
    measure: str
    entity: str
    year: int | None
    year_source: str
    aspect: str
    confidence: float
    why: str
    unit: str = ""  #: filled when the quantity had no counted noun and took its antecedent's


@dataclass
class DocContext:
    """What attribution knows about the whole document."""

    doc: NormalizedDoc
    rules: AttributionRules
    main_entity: str = ""
    main_entity_why: str = ""
    single_year: int | None = None  #: the one past year an inferred-date article speaks of
    paragraph_starts: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, doc: NormalizedDoc, rules: AttributionRules) -> DocContext:
        ctx = cls(doc, rules)
        text = doc.text
        ctx.paragraph_starts = [0] + [m.end() for m in re.finditer(r"\n+", text)]
        counts: Counter[str] = Counter()
        for match in rules.entity_regex.finditer(text):
            before = text[max(0, match.start() - 2) : match.start()]
            if _inside_longer_name(text, match.start(), match.end()):
                continue
            initial = match.start() == 0 or before in (". ", "\n") or before.endswith("\n")
            counts[rules.entity_by_alias[match.group().lower()].name] += 3 if initial else 1
        if doc.title:
            for match in rules.entity_regex.finditer(doc.title):
                counts[rules.entity_by_alias[match.group().lower()].name] += 3
        if counts:
            name, n = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            ctx.main_entity, ctx.main_entity_why = name, f"document's main entity '{name}' ({n} mentions)"
        if doc.published_source == "inferred":
            years = {int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", text)}
            if len(years) == 1 and doc.published_year == next(iter(years)) + 1:
                ctx.single_year = next(iter(years))
        return ctx

    def paragraph_of(self, pos: int) -> int:
        k = 0
        for i, start in enumerate(self.paragraph_starts):
            if start <= pos:
                k = i
        return k


# ---------------------------------------------------------------------------------------------
# spaCy helpers

_SUBJ = {"nsubj", "nsubjpass", "csubj", "csubjpass"}


def _span_tokens(parse: Doc, start: int, end: int) -> Span | None:
    return parse.char_span(start, end, alignment_mode="expand")


def _number_token(span: Span) -> Token:
    for tok in span:
        if tok.like_num or any(ch.isdigit() for ch in tok.text):
            return tok
    return span[0]


def _unit_token(span: Span, number: Token) -> Token | None:
    nouns = [t for t in span if t.i > number.i and t.pos_ in ("NOUN", "PROPN") and not t.like_num]
    return nouns[-1] if nouns else None


def _clause_verb(tok: Token) -> Token:
    node = tok
    while node.head.i != node.i:
        if node.pos_ in ("VERB", "AUX") and node.dep_ not in ("amod",):
            return node
        node = node.head
    return node


def _subject_of(verb: Token) -> Token | None:
    node: Token | None = verb
    while node is not None:
        for child in node.children:
            if child.dep_ in _SUBJ:
                return child
        # a conjoined or relative verb shares its head's subject
        if node.dep_ in ("conj", "xcomp", "advcl") and node.head.i != node.i:
            node = node.head
            continue
        if node.dep_ in ("relcl", "acl") and node.head.i != node.i:
            return node.head
        node = None
    return None


_SMALL_NUMBERS = {
    w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"])
}


def _small_number(word: str) -> int | None:
    """ "three" -> 3, "10" -> 10 (the spans of time attribution reads: "in three years after")."""
    if word.isdigit():
        return int(word)
    return _SMALL_NUMBERS.get(word.lower())


def _owner_noun(anchor: Token) -> Token | None:
    """The noun an amount belongs to: "investment of 1.23 billion", "transactions worth 868 million"."""
    head = anchor.head
    if anchor.dep_ == "pobj" and head.lower_ in ("of", "at") and head.head.pos_ in ("NOUN", "PROPN"):
        return head.head
    if head.lower_ == "worth" and head.head.pos_ in ("NOUN", "PROPN"):
        return head.head
    if anchor.dep_ == "npadvmod" and head.lower_ == "worth" and head.head.pos_ in ("NOUN", "PROPN"):
        return head.head
    return None


def _noun_chunk(noun: Token) -> str:
    """A noun with its left compound/adjective modifiers: "total investment", "industrial space"."""
    left = [
        c
        for c in noun.lefts
        if c.dep_ in ("compound", "amod", "nmod")
        and c.i == noun.i - 1 - sum(1 for x in noun.lefts if x.i > c.i and x.dep_ in ("compound", "amod", "nmod"))
    ]
    start = min([c.i for c in left], default=noun.i)
    return noun.doc[start : noun.i + 1].text


_IRREGULAR_VERBS = {"spent": "spend", "spends": "spend", "spending": "spend", "raised": "raise", "raising": "raise"}


def _verb_lemma(verb: Token) -> str:
    """The verb's lemma; the stage does not run spaCy's lemmatizer, so regular forms are undone here."""
    if verb.lemma_:
        return verb.lemma_.lower()
    word = verb.lower_
    if word in _IRREGULAR_VERBS:
        return _IRREGULAR_VERBS[word]
    for suffix, repl in (("ated", "ate"), ("ating", "ate"), ("ed", ""), ("ing", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    return word


def _present_tense(parse: Doc) -> bool:
    """Whether the sentence's main verb is in the simple present ("is", "has", "accounts for")."""
    for tok in parse:
        if tok.dep_ == "ROOT":
            if tok.tag_ in ("VBZ", "VBP"):
                return not any(c.dep_ in ("aux", "auxpass") and c.tag_ == "VBN" for c in tok.children)
            aux = [c for c in tok.children if c.dep_ in ("aux", "auxpass")]
            # "are based in": a passive in the present
            return tok.tag_ == "VBN" and bool(aux) and all(a.lower_ in ("is", "are") for a in aux)
    return False


def _phrase(tok: Token) -> str:
    return tok.doc[tok.left_edge.i : tok.right_edge.i + 1].text


# ---------------------------------------------------------------------------------------------
# the core


@dataclass
class _State:
    """Carried through a document: the last entity resolved, per paragraph."""

    last_entity: dict[int, tuple[str, str]] = field(default_factory=dict)  # paragraph -> (name, type)
    last_any_entity: tuple[str, str] | None = None


def _inside_longer_name(text: str, start: int, end: int) -> bool:
    """ "China Hi-Tech Fair", "New China": the alias is part of a longer proper name."""
    if re.match(r"\s[A-Z(]", text[end : end + 2]):
        return True
    before = re.search(r"([A-Z][a-z]*)\s$", text[max(0, start - 14) : start])
    return before is not None and before.group(1) not in _FUNCTION_WORDS


_FUNCTION_WORDS = frozenset(
    [
        "The",
        "A",
        "An",
        "In",
        "By",
        "For",
        "Of",
        "At",
        "On",
        "And",
        "As",
        "Since",
        "From",
        "To",
        "With",
        "While",
        "During",
        "Currently",
        "Last",
        "This",
        "That",
        "These",
        "Its",
        "Their",
        "Both",
        "Among",
        "Across",
        "Under",
        "Over",
        "Within",
        "Including",
    ]
)


def _entity_in(text: str, rules: AttributionRules) -> EntityRule | None:
    best: tuple[int, int, EntityRule] | None = None
    for match in rules.entity_regex.finditer(text):
        if _inside_longer_name(text, match.start(), match.end()):
            continue
        rule = rules.entity_by_alias[match.group().lower()]
        key = (len(match.group()), -match.start())
        if best is None or key > best[:2]:
            best = (key[0], key[1], rule)
    return best[2] if best else None


def _heading_entity(heading: str, rules: AttributionRules) -> EntityRule | None:
    """The entity a section heading names, when the heading is (mostly) that name, not a topic."""
    best: tuple[int, EntityRule] | None = None
    for match in rules.entity_regex.finditer(heading):
        if best is None or len(match.group()) > best[0]:
            best = (len(match.group()), rules.entity_by_alias[match.group().lower()])
    if best is None or best[0] < 0.6 * len(heading.strip()):
        return None
    return best[1]


def _anaphor_types(text: str, rules: AttributionRules) -> list[str] | None:
    lowered = text.lower().strip()
    for regex, types in rules.anaphora_regexes:
        if regex.match(lowered) or regex.search(lowered[:20]):
            return types
    return None


class _Attributor:
    def __init__(self, ctx: DocContext) -> None:
        self.ctx = ctx
        self.rules = ctx.rules
        self.state = _State()
        self.paragraph_years: dict[int, list[tuple[int, int, str]]] = {}  # paragraph -> (pos, year, source)

    # --- years ----------------------------------------------------------------------------

    def _stated_years(self, text: str, base: int) -> list[tuple[int, int, str, str]]:
        """(pos, year, source, cue) stated in a sentence, positions absolute."""
        found: list[tuple[int, int, str, str]] = []
        events = [m.span() for m in self.rules.event_year_regex.finditer(text)]
        for match in re.finditer(r"(?<![\d.,-])((?:19|20)\d\d)(?![\d%-]|\s*[-–]\s*\d)", text):
            if any(a <= match.start() < b for a, b in events):
                continue
            before = text[max(0, match.start() - 160) : match.start()]
            if self.rules.not_as_of_regex.search(before):
                continue
            found.append((base + match.start(), int(match.group(1)), "explicit", match.group(1)))
        published = self.ctx.doc.published_year
        if published is not None:
            for regex, offset in self.rules.relative_regexes:
                for match in regex.finditer(text):
                    found.append((base + match.start(), published + offset, "relative", match.group()))
        return found

    def _year(
        self, sent: SentenceInput, q: Quantity, stated: list[tuple[int, int, str, str]]
    ) -> tuple[int | None, str, str, float]:
        doc = self.ctx.doc
        sentence = doc.text[sent.start : sent.end]
        presents = list(self.rules.present_regex.finditer(sentence))
        present = min(presents, key=lambda m: abs(sent.start + m.start() - q.start)) if presents else None
        if stated:
            pos, year, source, cue = min(stated, key=lambda s: abs(s[0] - q.start))
            # "Currently there are 11,230 ..., while 3,193 of them were set up last year": the nearer cue wins
            if present is None or abs(pos - q.start) <= abs(sent.start + present.start() - q.start):
                return year, source, f"year from '{cue}' in the sentence ({source})", 0.0
        if present is None and re.search(r"\b(?:since|ever since)\b", sentence, re.I):
            present = re.search(r"\b(?:since|ever since)\b", sentence, re.I)  # "since 2018, ... has": as of now
        if present and doc.published_year is not None:
            how = "inferred" if doc.published_source == "inferred" else "stated"
            penalty = 0.1 if doc.published_source == "stated" else 0.25
            return (
                doc.published_year,
                "published",
                f"'{present.group()}' -> publication year ({how} date {doc.published})",
                penalty,
            )
        after_event = re.search(r"\b(?:in|within) (\w+) years? (?:after|of|since)\b", sentence, re.I)
        if after_event:
            paragraph_start = self.ctx.paragraph_starts[self.ctx.paragraph_of(q.start)]
            event = re.findall(
                r"\b(?:in|since)\s+(?:[A-Z][a-z]+\s+)?((?:19|20)\d\d)\b", doc.text[paragraph_start : sent.start]
            )
            span_years = _small_number(after_event.group(1))
            if event and span_years is not None:
                year = int(event[-1]) + span_years
                return year, "context", f"'{after_event.group()}' the event of {event[-1]} -> {year}", 0.15
        if self.ctx.single_year is not None:
            return (
                self.ctx.single_year,
                "context",
                f"the only year the article speaks of ({self.ctx.single_year}); its date is inferred",
                0.25,
            )
        paragraph = self.ctx.paragraph_of(q.start)
        carried = self.paragraph_years.get(paragraph, [])
        if carried and not _present_tense(sent.parse):
            pos, year, _source = min(carried, key=lambda c: abs(c[0] - q.start))
            return year, "context", f"year {year} stated by another claim in the paragraph", 0.15
        if doc.published_year is not None:
            how = "inferred" if doc.published_source == "inferred" else "stated"
            penalty = 0.2 if doc.published_source == "stated" else 0.35
            return (
                doc.published_year,
                "published",
                f"no year in the text: publication year ({how} {doc.published})",
                penalty,
            )
        return None, "unknown", "no year in the text and no publication date", 0.4

    # --- entities ---------------------------------------------------------------------------

    def _resolve_anaphor(self, types: list[str], paragraph: int, sent_start: int) -> tuple[str, str] | None:
        section = self.ctx.doc.section_at(sent_start)
        heading_rule = _heading_entity(section.heading, self.rules) if section is not None else None
        if section is not None and heading_rule is not None and ("any" in types or heading_rule.type in types):
            return heading_rule.name, f"section heading '{section.heading}'"
        nearest = self._nearest_named_before(sent_start, types)
        if nearest is not None:
            return nearest.name, f"nearest antecedent '{nearest.name}'"
        last = self.state.last_entity.get(paragraph)
        if last is not None and ("any" in types or last[1] in types):
            return last[0], f"nearest antecedent '{last[0]}'"
        if heading_rule is not None and "any" not in types:
            return None
        for rule in self.rules.entities.entities:
            if rule.name == self.ctx.main_entity and ("any" in types or rule.type in types):
                return rule.name, f"document's main entity '{rule.name}'"
        return None

    def _nearest_named_before(self, pos: int, types: list[str]) -> EntityRule | None:
        """The last entity named in the paragraph before ``pos`` that an anaphor of ``types`` fits."""
        paragraph_start = self.ctx.paragraph_starts[self.ctx.paragraph_of(pos)]
        found: EntityRule | None = None
        for match in self.rules.entity_regex.finditer(self.ctx.doc.text, paragraph_start, pos):
            rule = self.rules.entity_by_alias[match.group().lower()]
            if "any" in types or rule.type in types:
                found = rule
        return found

    def _entity(self, sent: SentenceInput, span: Span, number: Token, unit: Token | None) -> tuple[str, str, float]:
        rules = self.rules
        anchor = unit or number
        paragraph = self.ctx.paragraph_of(sent.start + span.start_char)
        candidates: list[tuple[str, Token | None, str]] = []
        for child in anchor.children:
            if child.dep_ == "poss":
                candidates.append(("possessor", child, _phrase(child)))
        verb = _clause_verb(anchor)
        subject = _subject_of(verb) if verb.i != anchor.i else None
        if anchor.dep_ in ("acl", "relcl") or verb.dep_ in ("acl",):
            owner = verb.head
            candidates.append(("noun the phrase describes", owner, _phrase(owner) if owner.i != verb.i else owner.text))
        if subject is not None and subject.lower_ in ("that", "which", "who") and verb.dep_ == "relcl":
            # "... Greater Bay Area, a city cluster that comprises nine cities": the clause's noun, and
            # the name it stands in apposition to
            owner = verb.head
            candidates.append(("noun the clause describes", owner, owner.text))
            if owner.dep_ == "appos":
                candidates.append(("name in apposition", owner.head, _phrase(owner.head)))
        elif subject is not None and not (span.start <= subject.i < span.end):
            candidates.append(("subject", subject, _phrase(subject)))
        holders = [verb, anchor] + [c for c in anchor.children if c.dep_ in ("acl", "relcl")]
        for tok in holders:
            for child in tok.children:
                if (
                    child.dep_ in ("prep", "agent", "dative")
                    and child.lower_ in ("in", "for", "by", "of", "to")
                    and child.i not in range(span.start, span.end)
                ):
                    candidates.append((f"'{child.text} ...'", child, _phrase(child)))
        sentence_text = self.ctx.doc.text[sent.start : sent.end]
        if re.search(r"\bhere\b", sentence_text):
            # "here": the place the previous sentence is about (its most specific name)
            paragraph_start = self.ctx.paragraph_starts[paragraph]
            nearest = _entity_in(self.ctx.doc.text[paragraph_start : sent.start], rules)
            if nearest is not None:
                candidates.insert(0, ("'here'", None, nearest.name))
        for how, _tok, text in candidates:
            rule = _entity_in(text, rules)
            if rule is not None:
                return rule.name, f"entity from {how} '{text.strip()[:60]}'", 0.0
            types = _anaphor_types(text, rules)
            if types is not None:
                resolved = self._resolve_anaphor(types, paragraph, sent.start + span.start_char)
                if resolved is not None:
                    return resolved[0], f"entity from anaphor '{text.strip()[:30]}' -> {resolved[1]}", 0.1
        for how, named_tok, _text in candidates:
            if named_tok is not None and named_tok.ent_type_ in ("GPE", "ORG", "FAC", "LOC") and how != "subject":
                words = [t.text for t in named_tok.subtree if t.ent_type_]
                name = re.sub(r"^the\s+", "", " ".join(words), flags=re.I)
                if name:
                    return name, f"entity from {how}: named entity '{name}'", 0.2
        # the sentence names an entity before the number (a list of claims about one subject)
        before = self.ctx.doc.text[sent.start : sent.start + span.start_char]
        rule = _entity_in(before, rules)
        if rule is not None:
            return rule.name, f"entity named earlier in the sentence '{rule.name}'", 0.15
        in_after = re.search(r"\b(?:in|to|for)\s+(.{2,80})", self.ctx.doc.text[sent.start + span.end_char : sent.end])
        rule = _entity_in(in_after.group(1), rules) if in_after else None
        if rule is not None:
            return rule.name, f"entity named later in the sentence '{rule.name}'", 0.15
        section = self.ctx.doc.section_at(sent.start + span.start_char)
        if section is not None:
            rule = _heading_entity(section.heading, rules)
            if rule is not None:
                return rule.name, f"entity from section heading '{section.heading}'", 0.15
        last = self.state.last_entity.get(paragraph)
        if last is not None:
            return last[0], f"entity carried from the paragraph ('{last[0]}')", 0.25
        if self.ctx.main_entity:
            return self.ctx.main_entity, f"no subject: {self.ctx.main_entity_why}", 0.3
        return "", "no entity found", 0.5

    # --- measure ----------------------------------------------------------------------------

    def _measure(
        self,
        sent: SentenceInput,
        q: Quantity,
        span: Span,
        number: Token,
        unit: Token | None,
        previous: tuple[str, str] | None,
        previous_measure: str | None = None,
        previous_money: str | None = None,
        entity: str = "",
    ) -> tuple[str, str, str, float]:
        """(measure, unit override, why, penalty)."""
        text = self.ctx.doc.text
        rules = self.rules
        after = text[q.end : sent.end]
        before = text[sent.start : q.start]
        verb = _clause_verb(unit or number)

        def canon(phrase: str, how: str, penalty: float = 0.0) -> tuple[str, str, str, float]:
            measure, rule_id = canonical_measure(phrase, rules)
            why = f"measure from {how}" + (f" ({rule_id})" if rule_id else "")
            return measure, "", why, penalty

        subset = re.match(r"\s*(?:were|was|are|is) for ([a-z-]+?)s?\b", after)
        if previous is not None and subset and re.search(r"\b(?:among|of) (?:which|them|whom)\s+\S*\s*\S*$", before):
            unit_word = previous[1] or previous[0].split()[-1]
            return f"{subset.group(1)} {unit_word}", unit_word, "measure: the subset named after the number", 0.1
        if q.kind in ("count",) and q.unit and q.number_end > 0 and q.end > q.number_end:
            tail = text[q.number_end : q.end]
            tail = re.sub(r"^\s*(?:thousand|million|billion|ten thousand)\b", "", tail, flags=re.I)
            if tail.strip():
                measure, _unit, why, penalty = canon(tail, "the counted noun")
                # "6 universities in Hong Kong" said of the park: a narrower set than "universities"
                place = re.match(r"\s+(?:in|from)\s+((?:the\s+)?[A-Z][\w-]+(?:\s+[A-Z][\w-]+)*)", after)
                named = _entity_in(place.group(1), rules) if place else None
                if named is not None and named.name != entity:
                    return f"{measure} in {named.name}", "", f"{why}, restricted to {named.name}", penalty
                return measure, _unit, why, penalty
        if q.kind == "count" and (not q.unit or q.end <= q.number_end):
            if previous is not None and (
                re.match(r"\s*of (?:them|which|whom)\b", after)
                or re.search(r"(?:total(?:ing|ling)?|a total of)\s*$", before)
            ):
                return previous[0], previous[1], "measure and unit from the quantity this one refers back to", 0.1
            subject = _subject_of(verb)
            if subject is not None:
                m = re.match(r"(?:the\s+)?(?:total\s+)?number of (.+?)(?:\s+in\s+.*)?$", _phrase(subject), re.I)
                if m:
                    measure, _unit_why, why, pen = canon(m.group(1), "'the number of ...'")
                    return measure, _singular(m.group(1).split()[-1]).lower(), why, pen
            if previous is not None:
                return previous[0], previous[1], "measure and unit from the previous quantity", 0.2
        if q.kind == "money" and previous_money is not None and re.search(r"\(\s*$", before):
            return previous_money, "", "measure of the amount this one restates in another currency", 0.05
        if q.kind in ("money", "area"):
            owner = _owner_noun(unit or number)
            if owner is not None:
                return canon(_noun_chunk(owner), f"'{_noun_chunk(owner)} {owner.doc[owner.i + 1].text} ...'")
        if q.kind == "area":
            return "area", "", "measure: area", 0.05
        if q.kind in ("duration", "age"):
            return q.kind, "", f"measure: {q.kind}", 0.1
        if q.kind == "money":
            m = re.match(
                r"\s*(?:\(\S.*?\)\s*)?of\s+((?:[\w&-]+\s+){0,4}?[\w&-]+?)(?=\s+(?:for|to|in|on|from|have|has|were|was|is|are)\b|[,.;]|$)",
                after,
            )
            if m:
                return canon(m.group(1), f"'of {m.group(1)}'")
            lemma = _verb_lemma(verb)
            nouns = {"invest": "investment", "spend": "spending", "allocate": "allocation", "raise": "fund raised"}
            if lemma in nouns:
                obj = re.match(
                    r"\s*(?:\(.*?\)\s*)?(?:in|on)\s+(?:such\s+)?((?:(?!in\b|on\b|for\b|to\b|which\b|by\b)[\w&-]+\s*){1,4})",
                    after,
                )
                target = obj.group(1).strip() if obj else ""
                base = f"{target} {nouns[lemma]}" if target else nouns[lemma]
                if re.search(r"research and development|r&d", target, re.I):
                    base = f"investment in {target}"
                return canon(base, f"the verb '{verb.text}'")
            subject = _subject_of(verb)
            if subject is not None and not (span.start <= subject.i < span.end):
                return canon(_phrase(subject), f"the subject '{_phrase(subject)[:40]}'")
        if q.kind == "percent":
            if re.search(r"\btop\s*$", before):  # "the top 1% of ...": a percentile, not a share
                return "top percentile", "", "measure: 'top N%' is a percentile rank", 0.1
            if (
                re.search(r"\bof (?:whom|which|them)\s+(?:over|more than|about|nearly|around)?\s*$", before)
                and previous
            ):
                return f"share of {previous[0]}", "", "measure: share of the quantity referred back to", 0.1
            share = re.match(
                r"\s*of\s+((?:[\w&’'-]+\s+){0,5}?[\w&-]+?)(?=\s+(?:on|in|for|from|and|which|the|to)\b|[,.;]|$)", after
            )
            subject = _subject_of(verb)
            subject_text = _phrase(subject) if subject is not None and not (span.start <= subject.i < span.end) else ""
            if share and (
                re.search(r"account|proportion|share", before[-40:], re.I) or subject_text.lower() in ("which", "")
            ):
                numerator = previous_measure or ""
                if subject_text and subject_text.lower() not in ("which", "that", "it") and not previous_measure:
                    numerator = canonical_measure(subject_text, rules)[0]
                if (
                    subject_text
                    and subject_text.lower() not in ("which", "that", "it")
                    and re.search(r"account", before[-40:], re.I)
                    and not re.search(r",\s*(?:which\s+)?account", before[-40:], re.I)
                ):
                    numerator = canonical_measure(subject_text, rules)[0]
                base = canonical_measure(share.group(1), rules)[0]
                return (
                    f"{numerator} / {base}" if numerator else f"share of {base}",
                    "",
                    "measure: numerator / base of a share",
                    0.05,
                )
            if subject_text and re.search(r"\bproportion of\b", subject_text, re.I):
                base = re.sub(r".*\bproportion of\s+", "", subject_text, flags=re.I)
                numerator = previous_measure or ""
                base_c = canonical_measure(base, rules)[0]
                return (
                    f"{numerator} / {base_c}" if numerator else f"share of {base_c}",
                    "",
                    "measure: share ('proportion of')",
                    0.1,
                )
            if share:
                return f"share of {canonical_measure(share.group(1), rules)[0]}", "", "measure: 'N% of ...'", 0.1
            if subject_text and subject_text.lower() not in ("which", "that", "it", "they"):
                return canon(subject_text, f"the subject '{subject_text[:40]}'")
        if q.kind == "rank":
            clause = re.split(r"[,;:]|\band\b(?=\s+the\b)", before)[-1]
            clause = re.sub(
                r"\b(?:has|have|had|was|were|is|are|been|ranking|ranked|ranks|rank|among them)\b",
                " ",
                clause,
                flags=re.I,
            )
            clause = rules.entity_regex.sub(" ", clause)
            clause = re.sub(r"\b(?:certified|in|as|on|at|by|since|for|(?:19|20)\d\d)\b", " ", clause, flags=re.I)
            if re.search(r"[a-z]{3}", clause):
                measure, _rule_id = canonical_measure(clause, rules)
                return f"{measure} rank", "", "measure: what is ranked, from the clause", 0.1
        if q.kind in ("ratio", "rank") and previous is not None:
            suffix = "multiple" if q.kind == "ratio" else "rank"
            return f"{previous[0]} {suffix}", "", f"measure: {suffix} of the previous quantity", 0.15
        if q.kind == "rate":
            return q.unit, "", "measure: the rate's unit", 0.1
        subject = _subject_of(verb)
        if subject is not None and not (span.start <= subject.i < span.end):
            return canon(_phrase(subject), f"the subject '{_phrase(subject)[:40]}'", 0.15)
        return (q.unit or q.kind), "", "measure: the unit itself", 0.25

    # --- aspect -----------------------------------------------------------------------------

    def _aspect(
        self, sent: SentenceInput, q: Quantity, left_limit: int, right_limit: int, measure: str, verb: Token | None
    ) -> tuple[str, str]:
        if q.kind == "rank":
            return "rank", "rank"
        text = self.ctx.doc.text
        window_start = max(left_limit, q.start - 80)
        window_end = min(right_limit, q.end + 40)
        if re.match(r"\s*of them\b.{0,30}\b(?:set up|established|added|founded|built)\b", text[q.end : right_limit]):
            return "change", "of them ... set up"
        if " / " in measure or measure.startswith("share of "):
            return "share", "a share's numerator and base"
        best: tuple[int, int, str, str] | None = None
        for priority, (aspect, regex) in enumerate(self.rules.aspect_regexes):
            if aspect == "share" and q.kind != "percent":
                continue
            for match in regex.finditer(text, window_start, window_end):
                if q.number_start <= match.start() < q.number_end:
                    continue
                if match.end() <= q.start:
                    distance = q.start - match.end()
                elif match.start() >= q.end:
                    distance = (match.start() - q.end) * 2  # cues before the number count more
                else:
                    distance = 0
                key = (distance, priority)
                if best is None or key < best[:2]:
                    best = (distance, priority, aspect, match.group())
        if verb is not None:
            # the clause's verb ("Twelve academicians ... were introduced last year") when no cue is nearer
            phrase = " ".join(t.text for t in [verb, *[c for c in verb.children if c.dep_ == "prt"]])
            for priority, (aspect, regex) in enumerate(self.rules.aspect_regexes):
                if aspect in ("change", "level") and regex.fullmatch(phrase.lower()) and (best is None or best[0] > 30):
                    best = (30, priority, aspect, phrase)
        if best is None:
            return "level", ""
        return best[2], best[3]

    # --- a whole document -------------------------------------------------------------------

    def run(self, sentences: Sequence[SentenceInput]) -> list[list[Attribution]]:
        # first pass: years stated by claim sentences, per paragraph (for context carry-over)
        stated_by_sentence: list[list[tuple[int, int, str, str]]] = []
        for sent in sentences:
            stated = self._stated_years(self.ctx.doc.text[sent.start : sent.end], sent.start)
            stated_by_sentence.append(stated)
            for pos, stated_year, source, _cue in stated:
                self.paragraph_years.setdefault(self.ctx.paragraph_of(sent.start), []).append(
                    (pos, stated_year, source)
                )
        results: list[list[Attribution]] = []
        previous: tuple[str, str] | None = None
        last_paragraph = -1
        for sent, stated in zip(sentences, stated_by_sentence, strict=True):
            paragraph = self.ctx.paragraph_of(sent.start)
            if paragraph != last_paragraph:
                previous, last_paragraph = None, paragraph
                previous_measure: str | None = None
                previous_money: str | None = None
            out: list[Attribution] = []
            ordered = sorted(sent.quantities, key=lambda q: q.start)
            for k, q in enumerate(ordered):
                span = _span_tokens(sent.parse, q.start - sent.start, q.end - sent.start)
                if span is None or len(span) == 0:
                    out.append(Attribution("", "", None, "unknown", "", 0.3, "quantity not aligned with tokens"))
                    continue
                number = _number_token(span)
                unit = _unit_token(span, number)
                entity, entity_why, entity_pen = self._entity(sent, span, number, unit)
                year, year_source, year_why, year_pen = self._year(sent, q, stated)
                measure, unit_override, measure_why, measure_pen = self._measure(
                    sent, q, span, number, unit, previous, previous_measure, previous_money, entity
                )
                left = ordered[k - 1].end if k else sent.start
                right = ordered[k + 1].start if k + 1 < len(ordered) else sent.end
                aspect, aspect_cue = self._aspect(sent, q, left, right, measure, _clause_verb(unit or number))
                confidence = round(max(0.05, 1.0 - entity_pen - year_pen - measure_pen), 2)
                why = "; ".join(
                    part
                    for part in (
                        entity_why,
                        year_why,
                        measure_why,
                        f"aspect {aspect} from '{aspect_cue}'" if aspect_cue else "",
                    )
                    if part
                )
                out.append(Attribution(measure, entity, year, year_source, aspect, confidence, why, unit_override))
                if entity:
                    types = [r.type for r in self.rules.entities.entities if r.name == entity] or ["other"]
                    self.state.last_entity[paragraph] = (entity, types[0])
                if measure and q.kind in ("count", "money"):
                    previous = (measure, unit_override or q.unit)
                if measure and aspect != "share" and q.kind in ("count", "money", "percent"):
                    previous_measure = measure
                if measure and q.kind == "money":
                    previous_money = measure
            results.append(out)
        return results


def attribute_document(ctx: DocContext, sentences: Sequence[SentenceInput]) -> list[list[Attribution]]:
    """Attribute every quantity of a document; one list per sentence, in the order of its quantities
    sorted by start offset. Sentences must be given in text order."""
    return _Attributor(ctx).run(sentences)
