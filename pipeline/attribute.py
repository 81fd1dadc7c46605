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

import dataclasses
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from pipeline.attribution.entities import AnaphorRule, EntityResolver, Resolved
from pipeline.attribution.measures import coordinated_items, measure_words
from pipeline.attribution.names import DocNames, KnownEntity, NameFinder, NameRules
from pipeline.attribution.years import Timeline, YearCue, YearReader, bind_year, opens_sentence
from pipeline.linkage.measures import is_generic
from pipeline.ruleio import StrictModel, check_unique_ids, load_rules
from pipeline.safety.ruleregex import RulePattern, compile_rule_regex
from pipeline.sentences import split_sentences

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


class Expansion(StrictModel):
    short: str
    long: list[str] = Field(min_length=1)


class MeasuresFile(StrictModel):
    drop_modifiers: list[str]
    #: words of change ("growth of", "increase in"): the aspect says a figure is a change, not the measure
    change_words: list[str] = Field(default_factory=list)
    #: spelled-out forms written as their abbreviation ("research and development" -> "R&D")
    expansions: list[Expansion] = Field(default_factory=list)
    #: what a place's growth measures when nothing else is named ("Songshan Lake grew 11%")
    place_measure: str = "GDP"
    #: counted nouns that only count ("5.1 million people"): what the subject names is the measure
    classifiers: list[str] = Field(default_factory=list)
    #: collective nouns a "respectively" list replaces by its items ("the three main entities")
    collectives: list[str] = Field(default_factory=list)
    #: participles that locate a counted set without restricting it ("talents based in the city")
    not_restrictions: list[str] = Field(default_factory=list)
    #: phrases that change what is measured ("at constant prices", "per capita"): kept with the measure
    qualifiers: list[str] = Field(default_factory=list)
    synonyms: list[MeasureRule]


class RelativeYears(StrictModel):
    words: list[str] = Field(min_length=1)
    offset: int


class YearCues(StrictModel):
    present_words: list[str]
    relative: list[RelativeYears]
    not_as_of_before: list[str]
    baseline_fillers: list[str]
    binding_words: list[str]
    generic_words: list[str]
    founding_verbs: list[str]
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


class AttributionExpect(StrictModel):
    entity: str | None = None
    year: int | None = None
    year_source: str | None = None
    aspect: str | None = None
    measure: str | None = None


class AttributionExample(StrictModel):
    """An invented article (paragraphs split by blank lines), its date, the quote of one of its figures,
    and what attribution must say about that figure."""

    text: str
    published: str = ""
    quote: str
    expect: AttributionExpect
    xfail: str | None = None


class AttributionFile(StrictModel):
    years: YearCues
    aspects: list[AspectCue]
    anaphora: list[Anaphor]
    names: NameRules
    examples: list[AttributionExample] = Field(min_length=1)


def _words_regex(words: Sequence[str]) -> re.Pattern[str]:
    alternatives = sorted({re.escape(w.lower()) for w in words}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class AttributionRules:
    entities: EntitiesFile
    measures: MeasuresFile
    cues: AttributionFile
    paths: tuple[Path, ...] = ()

    def year_reader(self, published: int | None) -> YearReader:
        """Year cues read against an article's publication year."""
        return YearReader(
            self.present_regex,
            self.relative_regexes,
            self.not_as_of_regex,
            self.event_year_regex,
            self.binding_regex,
            _words_regex(self.cues.years.founding_verbs),
            published,
        )

    @cached_property
    def measure_qualifier_regex(self) -> re.Pattern[str]:
        return _words_regex(self.measures.qualifiers)

    @cached_property
    def generic_regex(self) -> re.Pattern[str]:
        return _words_regex(self.cues.years.generic_words)

    @cached_property
    def binding_regex(self) -> re.Pattern[str]:
        words = "|".join(sorted((re.escape(w) for w in self.cues.years.binding_words), key=len, reverse=True))
        return re.compile(r"[\s,)]*(?:(?:" + words + r")\s+)*", re.IGNORECASE)

    @cached_property
    def name_finder(self) -> NameFinder:
        known = [KnownEntity(e.name, e.type, tuple(e.aliases)) for e in self.entities.entities]
        return NameFinder(self.cues.names, known)

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
                table.setdefault(_normalize_phrase(form, self.phrase_rules), rule)
        return table

    @cached_property
    def measure_parts(self) -> list[tuple[re.Pattern[str], MeasureRule]]:
        """Synonym forms of more than one word, to replace inside a longer measure ("enterprise R&D spending"),
        longest first."""
        forms = [
            (form, rule)
            for form, rule in self.measure_forms.items()
            if form != _normalize_phrase(rule.canonical, self.phrase_rules)
        ]
        forms.sort(key=lambda fr: (-len(fr[0]), fr[0]))
        return [(re.compile(r"(?<![\w&-])" + re.escape(form) + r"(?![\w&-])"), rule) for form, rule in forms]

    @cached_property
    def phrase_rules(self) -> PhraseRules:
        m = self.measures
        expansions = [
            (
                re.compile(
                    r"\b" + re.escape(long).replace(r"\ ", r"\s+") + r"\b(?:\s*\(\s*" + re.escape(e.short) + r"\s*\))?",
                    re.IGNORECASE,
                ),
                e.short,
            )
            for e in m.expansions
            for long in e.long
        ]
        return PhraseRules(
            frozenset(d.lower() for d in m.drop_modifiers),
            _words_regex(m.change_words) if m.change_words else None,
            expansions,
        )

    @cached_property
    def present_regex(self) -> re.Pattern[str]:
        return _words_regex(self.cues.years.present_words)

    @cached_property
    def relative_regexes(self) -> list[tuple[re.Pattern[str], int]]:
        return [(_words_regex(r.words), r.offset) for r in self.cues.years.relative]

    @cached_property
    def not_as_of_regex(self) -> re.Pattern[str]:
        words = sorted({re.escape(w) for w in self.cues.years.not_as_of_before}, key=len, reverse=True)
        fillers = "|".join(re.escape(w) for w in self.cues.years.baseline_fillers)
        return re.compile(r"\b(?:" + "|".join(words) + r")\s+(?:(?:" + fillers + r")\s+){0,4}$", re.IGNORECASE)

    @cached_property
    def event_year_regex(self) -> RulePattern:
        return compile_rule_regex(self.cues.years.event_year_pattern)

    @cached_property
    def aspect_regexes(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(cue.aspect, _words_regex(cue.words)) for cue in self.cues.aspects]

    @cached_property
    def anaphora_regexes(self) -> list[tuple[re.Pattern[str], list[str]]]:
        return [(_words_regex(a.words), a.types) for a in self.cues.anaphora]

    @cached_property
    def anaphor_rules(self) -> list[AnaphorRule]:
        return [AnaphorRule(_words_regex(a.words), tuple(a.types)) for a in self.cues.anaphora]

    @cached_property
    def scope_regex(self) -> re.Pattern[str]:
        cues = "|".join(sorted((re.escape(w) for w in self.cues.names.scope_cues), key=len, reverse=True))
        return re.compile(
            r"(?:\b(?:" + cues + r")\b[^,.;:()]{0,30}?\b(?:in|among|across|of)|\bamong|\bthan(?: that of)?|\bas)"
            r"\s+(?:the\s+|all\s+)?$",
            re.IGNORECASE,
        )

    @cached_property
    def source_regex(self) -> re.Pattern[str]:
        cues = "|".join(sorted((re.escape(w) for w in self.cues.names.source_cues), key=len, reverse=True))
        return re.compile(r"\b(?:" + cues + r")\s+(?:the\s+)?(?:[\w’'-]+\s+){0,2}$", re.IGNORECASE)


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


@dataclass(frozen=True)
class PhraseRules:
    """What measures.yml says about normalizing a measure phrase."""

    drop: frozenset[str]
    change: re.Pattern[str] | None
    expansions: list[tuple[re.Pattern[str], str]]


_PLACE_POSSESSOR = re.compile(
    r"\b(?:city|country|province|zone|park|county|district|region|area|nation|municipality|state|world)[’']s\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    r"\b(?:(?:19|20)\d\d|\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"twenty|thirty|forty|fifty|hundred|thousand|million|billion|trillion)\b"
)


def _normalize_phrase(phrase: str, rules: PhraseRules) -> str:
    """Lower case, singular, no articles, numbers, years or words of change; abbreviations applied; "A of B"
    and "A by B" read as "B A" ("R&D expenditure of enterprises" -> "enterprise R&D expenditure")."""
    for regex, short in rules.expansions:
        phrase = regex.sub(short, phrase)
    phrase = re.sub(
        r"\(\s*([\w&]+)\s*\)", lambda m: "" if m.group(1) in phrase.replace(m.group(0), "") else m.group(0), phrase
    )
    if rules.change is not None:
        phrase = rules.change.sub(" ", phrase)
    text = re.sub(_PLACE_POSSESSOR, " ", phrase)  # "the county's output": whose, not what
    text = re.sub(r"[“”\"‘’']s\b", "", text)  # possessive 's
    text = re.sub(r"(?<=s)[’']\B", "", text)  # plural possessive: "enterprises' R&D"
    text = re.sub(r"[“”\"‘’(),;:]", " ", text)
    text = re.sub(r"\b(?:the|a|an|this|these|those|its|their|his|her|our|of various types?)\b", " ", text, flags=re.I)
    text = re.sub(r"\b(?:in|of|for|by|since)\s+(?:19|20)\d\d\b", " ", text, flags=re.I)
    text = re.sub(_NUMBER_WORDS, " ", text, flags=re.I)
    words = [w for w in text.split() if w.lower() not in rules.drop]
    text = " ".join(words)
    text = re.sub(r"^(?:(?:of|in|on|for|to|by|and|or|rate)\s+)+|(?:\s+(?:of|in|on|for|to|by|and|or))+$", "", text)
    text = re.sub(r"\b(\S+)(?:\s+\1\b)+", r"\1", _invert(text), flags=re.I)  # "R&D R&D expenditure"
    # possessor words left by "the city's" etc.
    text = re.sub(r"^(?:city|country|province)\s+", "", text, flags=re.I)
    out = []
    for w in text.split():
        keep_case = w.isupper() or "&" in w
        w = _singular(w)
        out.append(w if keep_case else w.lower())
    return " ".join(out).strip()


def _invert(text: str) -> str:
    """ "added value of emerging industries" -> "emerging industries added value"; "spending by companies"
    -> "companies spending"; "the number of X" -> "X". Only short, simple phrases are turned around."""
    match = re.match(r"^(.*?)\s+(of|by)\s+(.+)$", text)
    if match is None:
        return text
    head, rest = match.group(1), match.group(3)
    if head.lower() in _DROP_HEADS:
        return rest
    simple = len(head.split()) <= 3 and len(rest.split()) <= 4 and not re.search(r"\b(?:of|to|by|in|on|for)\b", rest)
    if head.lower() in _INVERT_HEADS or (simple and head.lower() not in _KEEP_ORDER):
        return f"{rest} {head}"
    return text


#: heads whose "of" complement is a base, not an owner: "share of GDP" stays as it is
_KEEP_ORDER = frozenset({"share", "proportion", "ratio", "percentage", "contribution", "top", "one", "part"})


_MAX_MEASURE_WORDS = 8
#: possessors that are places, never part of a measure ("the city's GDP")
_PLACE_WORDS = frozenset(
    {
        "city",
        "region",
        "country",
        "province",
        "zone",
        "district",
        "park",
        "area",
        "nation",
        "municipality",
        "world",
        "state",
        "county",
    }
)
#: the base of a share that is the whole of the numerator's own measure ("12.4 percent of the national total")
_WHOLE_OF_SAME = frozenset(
    {
        "",
        "national",
        "national figure",
        "figure",
        "country",
        "nation",
        "whole country",
        "city",
        "province",
        "region",
        "zone",
        "district",
        "park",
    }
)
_GROWTH_VERBS = frozenset({"grow", "rise", "increase", "expand", "climb", "jump", "surge", "gain"})


def canonical_measure(phrase: str, rules: AttributionRules) -> tuple[str, str]:
    """(canonical measure, id of the measures.yml rule that mapped it, or ``""``).

    Who the claim is about is the entity's business: "funding in China" measures "funding". A phrase
    longer than a measure can be (a garbled sentence read as a noun phrase) keeps its last words.
    """
    phrase = re.sub(r"\s*\b(?:in|of|for|from)\s+(?:the\s+)?(?:" + rules.entity_regex.pattern + r")", " ", phrase)
    phrase = rules.entity_regex.sub(" ", phrase) if rules.entity_regex.fullmatch(phrase.strip()) is None else phrase
    normalized = _normalize_phrase(phrase, rules.phrase_rules)
    words = normalized.split()
    if len(words) > _MAX_MEASURE_WORDS:
        normalized = " ".join(words[-3:])
    rule = rules.measure_forms.get(normalized)
    if rule is not None:
        return rule.canonical, rule.id
    fired = []
    for form, part_rule in rules.measure_parts:
        replaced = form.sub(part_rule.canonical, normalized)
        if replaced != normalized:
            normalized = replaced
            fired.append(part_rule.id)
    rule = rules.measure_forms.get(normalized)
    if rule is not None:
        return rule.canonical, rule.id
    return normalized, "+".join(dict.fromkeys(fired))


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
    names: DocNames = field(default_factory=lambda: DocNames([], frozenset()))

    @classmethod
    def build(cls, doc: NormalizedDoc, rules: AttributionRules) -> DocContext:
        ctx = cls(doc, rules)
        text = doc.text
        ctx.paragraph_starts = [0] + [m.end() for m in re.finditer(r"\n+", text)]
        ctx.names = DocNames.build(rules.name_finder, text, doc.title, _lead_end(text, doc.title))
        if ctx.names.main is not None:
            ctx.main_entity = ctx.names.main.canonical
            ctx.main_entity_why = f"document's main entity '{ctx.main_entity}' ({ctx.names.main_weight} mentions)"
        if doc.published_source == "inferred":
            years = {int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", text)}
            if len(years) == 1 and doc.published_year == next(iter(years)) + 1:
                ctx.single_year = next(iter(years))
        return ctx

    def heading_name(self, pos: int) -> str:
        """The entity a section heading names, when the heading is (mostly) that name, not a topic."""
        section = self.doc.section_at(pos)
        if section is None:
            return ""
        inside = self.names.within(section.heading_start, section.heading_end)
        best = max(inside, key=lambda n: n.end - n.start, default=None)
        if best is None or (best.end - best.start) < 0.6 * len(section.heading.strip()):
            return ""
        return best.canonical

    def paragraph_of(self, pos: int) -> int:
        k = 0
        for i, start in enumerate(self.paragraph_starts):
            if start <= pos:
                k = i
        return k


def _listed_runs(text: str, quantities: Sequence[Quantity]) -> list[list[int]]:
    """Runs of two or more figures of one kind separated only by commas or "and" ("3, 4 and 5 percent")."""
    runs: list[list[int]] = []
    current: list[int] = []
    for k, q in enumerate(quantities):
        joined = (
            current
            and quantities[current[-1]].kind == q.kind
            and re.fullmatch(r"\s*(?:,|、|and|,\s*and)\s*", text[quantities[current[-1]].end : q.start])
        )
        if joined:
            current.append(k)
            continue
        if len(current) >= 2:
            runs.append(current)
        current = [k]
    if len(current) >= 2:
        runs.append(current)
    return runs


def _parsed_names(sent: SentenceInput) -> list[tuple[int, int, str, str]]:
    """The parser's named entities of one sentence, in document offsets, and its proper-noun subjects
    (label ``SUBJECT``: "Zibo ranks first ...", a name the text capitalizes only where it opens a sentence)."""
    found = [(sent.start + e.start_char, sent.start + e.end_char, e.text, e.label_) for e in sent.parse.ents]
    for tok in sent.parse:
        if tok.dep_ in ("nsubj", "nsubjpass") and tok.tag_ == "NNP" and tok.is_title and tok.ent_type_ != "DATE":
            first = min([tok, *(c for c in tok.lefts if c.dep_ == "compound" and c.tag_ == "NNP")], key=lambda t: t.i)
            start, end = sent.start + first.idx, sent.start + tok.idx + len(tok.text)
            found.append((start, end, sent.parse.text[first.idx : tok.idx + len(tok.text)], "SUBJECT"))
    return found


def _lead_end(text: str, title: str) -> int:
    """Where the lead ends: the end of the first paragraph after the title (at most 800 characters in)."""
    start = text.find(title) + len(title) if title and title in text else 0
    body = re.search(r"\S", text[start:])
    if body is None:
        return len(text)
    first = start + body.start()
    end = text.find("\n", first)
    return min(end if end > 0 else len(text), first + 800)


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


def _restriction(noun: Token | None, not_restrictions: Collection[str]) -> str:
    """The participle or relative clause that restricts a counted set, with its complement: "companies
    selected into the list", "projects that received support", "enterprises listed among the Fortune
    500": a subset, not the whole count. Location participles ("based in") restrict nothing."""
    if noun is None:
        return ""
    for child in noun.children:
        if child.lower_ in not_restrictions:
            continue
        relative = child.dep_ == "relcl" and any(c.lower_ in ("that", "which", "who") for c in child.children)
        if (child.dep_ == "acl" and child.tag_ == "VBN") or relative:
            return _with_complement(child)
    verb = noun.head
    if noun.dep_ == "nsubjpass" and verb.lower_ not in not_restrictions:
        # "620 companies have been selected into the list": chosen into a set, not all companies
        into = [p for p in verb.children if p.dep_ == "prep" and p.lower_ in ("into", "among", "onto", "on", "as")]
        if into and not any(c.pos_ == "PROPN" for p in into for c in p.children):
            return _with_complement(verb)
    return ""


def _with_complement(verb: Token) -> str:
    """ "led by Nobel laureates", "listed among Fortune 500": the verb, its first preposition and that
    preposition's object noun (or the verb's object)."""
    words = [verb.lower_]
    for child in verb.children:
        if child.dep_ in ("prep", "agent") and child.i > verb.i:
            objects = [c for c in child.children if c.dep_ == "pobj"]
            if objects:
                words += [child.lower_, objects[0].lower_]
            break
        if child.dep_ == "dobj":
            words.append(child.lower_)
            break
    return " ".join(words)


def _present_tense(parse: Doc) -> bool:
    """Whether the sentence's main verb speaks of the present: the simple present ("is", "has", "accounts
    for"), a present passive ("are based in") or an ongoing present perfect ("has been receiving")."""
    for tok in parse:
        if tok.dep_ == "ROOT":
            aux = [c for c in tok.children if c.dep_ in ("aux", "auxpass")]
            if tok.tag_ in ("VBZ", "VBP"):
                return not any(c.tag_ == "VBN" for c in aux)
            if tok.tag_ == "VBG" and [a.lower_ for a in aux][-2:] in (["has", "been"], ["have", "been"]):
                return True
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


class _Attributor:
    def __init__(self, ctx: DocContext) -> None:
        self.ctx = ctx
        self.rules = ctx.rules
        self.state = _State()
        self.years = ctx.rules.year_reader(ctx.doc.published_year)
        self.timeline = Timeline([], [])
        finder = ctx.rules.name_finder
        self.resolver = EntityResolver(
            ctx.doc.text,
            ctx.names,
            ctx.rules.anaphor_rules,
            ctx.rules.scope_regex,
            ctx.rules.source_regex,
            lambda pos: ctx.paragraph_starts[ctx.paragraph_of(pos)],
            ctx.heading_name,
            lambda name: finder.type_of(name),
        )

    # --- years ----------------------------------------------------------------------------

    def _year(self, sent: SentenceInput, q: Quantity, cues: list[YearCue]) -> tuple[int | None, str, str, float]:
        """The as-of year: a cue of the quantity's own sentence, an event's year plus an interval, the
        year the text stated last (the timeline), else the publication year."""
        doc = self.ctx.doc
        spans = [(x.start, x.end) for x in sent.quantities]
        bound = bind_year(q.start, q.end, cues, spans, self.years, doc.text)
        if bound is not None:
            return self._from_cue(bound, "in the sentence")
        sentence = doc.text[sent.start : sent.end]
        since = re.search(r"\b(?:since|ever since)\b", sentence, re.I)
        if since is not None and doc.published_year is not None:  # "since 2018, ... has": as of now
            return doc.published_year, "published", f"'{since.group()}' -> publication year ({self._date_how})", 0.1
        after_event = self._after_event(sent, q)
        if after_event is not None:
            return after_event
        if self.ctx.single_year is not None:
            why = f"the only year the article speaks of ({self.ctx.single_year}); its date is inferred"
            return self.ctx.single_year, "context", why, 0.25
        carried = self._carried_year(sent)
        if carried is not None:
            return carried
        if doc.published_year is not None:
            penalty = 0.2 if doc.published_source == "stated" else 0.35
            why = f"no year in the text: publication year ({self._date_how})"
            return doc.published_year, "published", why, penalty
        return None, "unknown", "no year in the text and no publication date", 0.4

    def _carried_year(self, sent: SentenceInput) -> tuple[int | None, str, str, float] | None:
        """A year the paragraph states (for a present-tense statement only when the sentence before it
        states it and this one refers back: "It is home to ..."), else the last lead cue of the section."""
        ctx = self.ctx
        paragraph = ctx.paragraph_of(sent.start)
        p_start = ctx.paragraph_starts[paragraph]
        p_end = ctx.paragraph_starts[paragraph + 1] if paragraph + 1 < len(ctx.paragraph_starts) else len(ctx.doc.text)
        present = _present_tense(sent.parse)
        if present:
            previous = self._previous_sentence_cue(sent, p_start)
            if previous is not None:
                why = f"year {previous.year} from '{previous.text}' in the sentence before"
                return previous.year, "context", why, 0.15
        else:
            nearest = self.timeline.nearest_in(p_start, p_end, sent.start, (sent.start, sent.end))
            if nearest is not None and nearest.source != "present":
                return nearest.year, "context", f"year {nearest.year} from '{nearest.text}' in the paragraph", 0.15
        section = ctx.doc.section_at(sent.start)
        lead = self.timeline.lead_before(sent.start, section.start if section is not None else 0)
        if lead is None:
            return None
        if lead.source == "present" or present:
            return self._from_cue(lead, "earlier in the article") if lead.source == "present" else None
        return lead.year, "context", f"year {lead.year} from '{lead.text}' earlier in the article", 0.2

    def _previous_sentence_cue(self, sent: SentenceInput, p_start: int) -> YearCue | None:
        """The year the sentence before states, which a present-tense statement continuing it shares
        ("Its output in 2016 hit ... It is home to ..."), unless the statement is generic ("on average")."""
        text = self.ctx.doc.text
        if self.rules.generic_regex.search(text[sent.start : sent.end]):
            return None
        cue = self.timeline.nearest_in(p_start, sent.start, sent.start, (sent.start, sent.end))
        if cue is None or cue.source == "present" or cue.founding:
            return None
        between = text[cue.end : sent.start]
        return cue if len(re.findall(r"[.!?](?:\s|$)", between)) <= 1 else None

    @property
    def _date_how(self) -> str:
        doc = self.ctx.doc
        return f"{doc.published_source} date {doc.published}"

    def _from_cue(self, cue: YearCue, where: str) -> tuple[int | None, str, str, float]:
        if cue.source == "present":
            return cue.year, "published", f"'{cue.text}' -> publication year ({self._date_how})", 0.1
        source = "explicit" if cue.source == "event" else cue.source
        return cue.year, source, f"year from '{cue.text}' {where} ({source})", 0.0

    def _after_event(self, sent: SentenceInput, q: Quantity) -> tuple[int | None, str, str, float] | None:
        """ "in three years after" an event whose year the paragraph stated."""
        doc = self.ctx.doc
        sentence = doc.text[sent.start : sent.end]
        after_event = re.search(r"\b(?:in|within) (\w+) years? (?:after|of|since)\b", sentence, re.I)
        if not after_event:
            return None
        paragraph = doc.text[self.ctx.paragraph_starts[self.ctx.paragraph_of(q.start)] : sent.start]
        event = re.findall(r"\b(?:in|since)\s+(?:[A-Z][a-z]+\s+)?((?:19|20)\d\d)\b", paragraph)
        span_years = _small_number(after_event.group(1))
        if not event or span_years is None:
            return None
        year = int(event[-1]) + span_years
        return year, "context", f"'{after_event.group()}' the event of {event[-1]} -> {year}", 0.15

    # --- entities ---------------------------------------------------------------------------

    def _entity(
        self, sent: SentenceInput, span: Span, number: Token, unit: Token | None, previous: Resolved | None
    ) -> tuple[str, str, float, str]:
        """(entity, why, penalty, type): from the quantity's phrases, the sentence, the paragraph, the document."""
        resolver = self.resolver
        q_start, q_end = sent.start + span.start_char, sent.start + span.end_char
        carried = self.state.last_entity.get(self.ctx.paragraph_of(q_start))
        last = Resolved(carried[0], carried[1], "", 0.0) if carried else None
        found = resolver.resolve(sent.start, sent.end, span, number, unit, last) or resolver.fallback(
            sent.start, sent.end, q_start, q_end, previous
        )
        if found is None and last is not None:
            found = Resolved(last.name, last.type, f"entity carried from the paragraph ('{last.name}')", 0.25)
        found = found or resolver.main()
        if found is None:
            return "", "no entity found", 0.5, ""
        return found.name, found.why, found.penalty, found.type

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
            tail = text[q.number_end : q.unit_end if q.unit_end > q.number_end else q.end]
            tail = re.sub(r"^[\s\-–]*(?:(?:thousand|million|billion|ten thousand)\b)?[\s\-–]*", "", tail, flags=re.I)
            tail_words = tail.split()
            if tail_words and tail_words[-1].lower().startswith(q.unit.lower()) and " " not in q.unit:
                tail = " ".join([*tail_words[:-1], q.unit])  # "TEUs" -> "TEU": the counted noun as the unit names it
            if classifier := (q.unit.lower() in self.rules.measures.classifiers):
                words_, how_ = self._subject_measure(sent, q, span, verb)
                if not words_:
                    words_, how_ = self._noun_before(sent, span), "the noun before the figure"
                if words_:  # "talents exceed 5.1 million people": people count the talents
                    return canon(words_, how_)
            if tail.strip() and not classifier:
                measure, _unit, why, penalty = canon(tail, "the counted noun")
                restriction = _restriction(unit, self.rules.measures.not_restrictions)
                if restriction:  # "25 enterprises listed among the Fortune 500": a subset, not all enterprises
                    measure, why = f"{measure} {restriction}", f"{why}, restricted by '{restriction}'"
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
            pronoun = [c for c in verb.children if c.dep_ in ("dobj", "nsubjpass") and c.lower_ in ("it", "them")]
            if pronoun and previous_measure:  # "it took three years to raise it to 3 trillion yuan"
                return previous_measure, "", f"measure of what '{pronoun[0].text}' refers to", 0.1
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
            words, how = self._subject_measure(sent, q, span, verb)
            if words:
                return canon(words, how)
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
            subject_text, subject_how = self._subject_measure(sent, q, span, verb)
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
                if numerator and base in _WHOLE_OF_SAME:  # "12.4 percent of the national total": of national GDP
                    base, numerator = numerator, ""
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
            owner = _owner_noun(unit or number)
            if owner is not None and owner.lower_ not in ("share", "proportion", "percentage", "ratio"):
                words = self._np(owner, span, sent)  # "a GDP growth of 8%": the growth of GDP
                measure, rule_id = canonical_measure(words, rules)
                if not is_generic(measure):
                    return measure, "", f"measure from '{words[:40]} of ...'" + (f" ({rule_id})" if rule_id else ""), 0
            if subject_text:
                return canon(subject_text, subject_how)
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
        words, how = self._subject_measure(sent, q, span, verb)
        if words:
            return canon(words, how, 0.15)
        return (q.unit or q.kind), "", "measure: the unit itself", 0.25

    def _noun_before(self, sent: SentenceInput, span: Span) -> str:
        """The plural noun just before the figure's verb ("the total of talents exceeds 5.1 million people")."""
        for tok in reversed(sent.parse[max(0, span.start - 4) : span.start]):
            if tok.is_punct:
                return ""
            if tok.pos_ == "NOUN" and tok.tag_ == "NNS":
                return self._np(tok, span, sent)
        return ""

    def _measure_qualifier(self, sent: SentenceInput, q: Quantity, lower: int) -> str:
        """A phrase that changes what is measured ("at constant prices"), in the quantity's own clause or
        before it with no other quantity between."""
        text = self.ctx.doc.text
        clause_end = re.search(r"[,;]|$", text[q.end : sent.end])
        window = text[max(lower, sent.start) : q.end + (clause_end.start() if clause_end else 0)]
        found = self.rules.measure_qualifier_regex.search(window) if self.rules.measures.qualifiers else None
        return found.group().lower() if found else ""

    def _np(self, head: Token, span: Span, sent: SentenceInput) -> str:
        """The measure words of the noun phrase headed by ``head``: no names, places, numbers, the quantity."""
        names = self.ctx.names

        def is_name(tok: Token) -> bool:
            found = names.at(sent.start + tok.idx, sent.start + tok.idx + 1)
            return found is not None and found.type not in ("document", "product")

        return measure_words(head, set(range(span.start, span.end)), is_name, _PLACE_WORDS)

    def _subject_measure(self, sent: SentenceInput, q: Quantity, span: Span, verb: Token) -> tuple[str, str]:
        """(measure words, how) from the clause: its subject, else the noun the quantity modifies, else a
        place's economy when the place itself grew ("Songshan Lake grew 11%")."""
        subject = _subject_of(verb)
        if subject is not None and not (span.start <= subject.i < span.end) and subject.lower_ not in _PLACE_WORDS:
            heads = [subject, *(c for c in subject.children if c.dep_ == "appos" and c.pos_ == "NOUN")]
            for head in heads:  # a name with a noun in apposition ("the Ministry ..., the total investment in")
                words = self._np(head, span, sent)
                if words and words.lower() not in ("which", "that", "it", "they", "who"):
                    return words, f"the subject '{words[:40]}'"
        anchor = span[-1]
        if anchor.head.i not in range(span.start, span.end) and anchor.dep_ in ("compound", "nmod", "amod"):
            words = self._np(anchor.head, span, sent)
            if words:
                return words, f"the noun it modifies '{words[:40]}'"
        place = subject is not None and (
            self.ctx.names.at(sent.start + subject.idx, sent.start + subject.idx + 1) is not None
            or subject.lower_ in _PLACE_WORDS
        )
        if subject is not None and place and q.kind == "percent" and _verb_lemma(verb) in _GROWTH_VERBS:
            return self.rules.measures.place_measure, f"the growth of '{subject.text}'"
        return "", ""

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
        reached = re.search(
            r"\b(?:to|from)\s*(?:about|around|nearly|over|more than|almost)?\s*$", text[window_start : q.start]
        )
        if reached is not None:  # "grew 10.1 percent to 3.07 trillion yuan": the level reached
            return "level", reached.group().strip()
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
                    if right_limit < sent.end and re.fullmatch(r"[\s\w]{0,12}", text[match.end() : right_limit]):
                        continue  # "12.6 trillion, an increase of 2.4 trillion": the cue of the next figure
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
        text = self.ctx.doc.text
        spans = {(x.start, x.end): x.quantities for x in sentences}
        cues_by_sentence: dict[int, list[YearCue]] = {}
        every: list[YearCue] = []
        leads: list[YearCue] = []
        lead_end = _lead_end(text, self.ctx.doc.title)
        for start, end in split_sentences(text):
            quantities = spans.get((start, end), ())
            found = self.years.cues(text[start:end], start, [(q.start, q.end) for q in quantities])
            cues_by_sentence[start] = found
            every.extend(found)
            leads.extend(
                c
                for c in found
                if c.source == "present" or start < lead_end or opens_sentence(c, text[start:end], start)
            )
        self.timeline = Timeline(every, leads)
        results: list[list[Attribution]] = []
        previous_parse: Doc | None = None
        last_paragraph_parse = -1
        previous: tuple[str, str] | None = None
        last_paragraph = -1
        for sent in sentences:
            stated = cues_by_sentence.get(sent.start) or self.years.cues(
                text[sent.start : sent.end], sent.start, [(q.start, q.end) for q in sent.quantities]
            )
            paragraph = self.ctx.paragraph_of(sent.start)
            if paragraph != last_paragraph:
                previous, last_paragraph = None, paragraph
                previous_measure: str | None = None
                previous_money: str | None = None
            out: list[Attribution] = []
            ordered = sorted(sent.quantities, key=lambda q: q.start)
            in_sentence: Resolved | None = None
            sentence_measure: dict[str, str] = {}
            if paragraph != last_paragraph_parse:
                previous_parse, last_paragraph_parse = None, paragraph
            self.ctx.names.add_parsed(self.rules.name_finder, self.ctx.doc.text, _parsed_names(sent))
            for k, q in enumerate(ordered):
                span = _span_tokens(sent.parse, q.start - sent.start, q.end - sent.start)
                if span is None or len(span) == 0:
                    out.append(Attribution("", "", None, "unknown", "", 0.3, "quantity not aligned with tokens"))
                    continue
                number = _number_token(span)
                unit = _unit_token(span, number)
                entity, entity_why, entity_pen, entity_type = self._entity(sent, span, number, unit, in_sentence)
                year, year_source, year_why, year_pen = self._year(sent, q, stated)
                measure, unit_override, measure_why, measure_pen = self._measure(
                    sent, q, span, number, unit, previous, previous_measure, previous_money, entity
                )
                adds_to = sentence_measure.get(q.kind) or (sentence_measure.get("any") if q.kind == "percent" else None)
                if is_generic(measure) and adds_to:
                    # "... reached 1.1 billion yuan, an increase of 8.5%": the clause it adds to
                    measure, measure_why = adds_to, "measure of the clause this figure adds to"
                plain_measure = measure
                qualifier = self._measure_qualifier(sent, q, ordered[k - 1].end if k else sent.start)
                if qualifier and qualifier not in measure:
                    measure, measure_why = f"{measure} {qualifier}", f"{measure_why}; '{qualifier}'"
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
                    self.state.last_entity[paragraph] = (entity, entity_type)
                if not is_generic(plain_measure) and q.kind in ("money", "percent", "count") and aspect != "share":
                    sentence_measure[q.kind] = sentence_measure["any"] = plain_measure
                if entity and entity_pen <= 0.1:  # read from the quantity's own phrases: later ones may share it
                    in_sentence = Resolved(entity, entity_type, "", 0.0)
                if measure and q.kind in ("count", "money"):
                    previous = (measure, unit_override or q.unit)
                if measure and aspect != "share" and q.kind in ("count", "money", "percent", "area"):
                    previous_measure = measure
                if measure and q.kind == "money":
                    previous_money = measure
            self._respectively(sent, ordered, out, previous_parse)
            previous_parse = sent.parse
            results.append(out)
        return results

    def _respectively(
        self, sent: SentenceInput, ordered: list[Quantity], out: list[Attribution], previous: Doc | None
    ) -> None:
        """ "X, Y and Z were 3, 4 and 5 respectively": each figure measures its own item of the list (in this
        sentence before the figures, else in the sentence before), not the list's collective noun."""
        text = self.ctx.doc.text
        if not re.search(r"\brespectively\b", text[sent.start : sent.end]):
            return
        for run in _listed_runs(text, ordered):
            first = ordered[run[0]]
            spans = [(q.start, q.end) for q in ordered]
            before = [
                t
                for t in sent.parse
                if sent.start + t.idx < first.start and not any(a <= sent.start + t.idx < b for a, b in spans)
            ]
            items = coordinated_items(before, len(run)) or (
                coordinated_items(list(previous), len(run)) if previous is not None else None
            )
            if items is None:
                continue
            listed = {_singular(t.text).lower() for t in items} | {t.lower_ for t in items}
            for k, item in zip(run, items, strict=True):
                a = out[k]
                words = [
                    w
                    for w in a.measure.split()
                    if w.lower() not in self.rules.measures.collectives and w.lower() not in listed
                ]
                name = "".join(
                    t.text_with_ws for t in item.doc[item.left_edge.i : item.i + 1] if t.dep_ != "det"
                ).strip()
                measure, _rule = canonical_measure(f"{name} {' '.join(words)}", self.rules)
                out[k] = dataclasses.replace(a, measure=measure, why=f"{a.why}; measure of '{name}' (respectively)")


def attribute_document(ctx: DocContext, sentences: Sequence[SentenceInput]) -> list[list[Attribution]]:
    """Attribute every quantity of a document; one list per sentence, in the order of its quantities
    sorted by start offset. Sentences must be given in text order."""
    return _Attributor(ctx).run(sentences)
