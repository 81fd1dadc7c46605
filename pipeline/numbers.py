"""Numbers as text -> :class:`~decimal.Decimal`: pure, typed, no spaCy.

What it reads (vocabulary in ``rules/numerals.yml`` and ``rules/scales.yml``):

- digit groups and decimals: ``2,243``, ``11230``, ``4.13``, ``.001``, negatives ``-5``, ``minus 130``, a
  spaced minus only on a line of its own (``- 1,200,000``); powers ``1e10``, ``2.48×10−5``, ``1.1^23``;
- word numbers: ``Twelve``, ``one hundred and twenty-three``, ``a dozen``, ``a couple``, spoken
  ``one twenty two`` (122), ``1 point 1``, ``point 77`` (at a line start);
- scales after a number: ``4.99 billion``, ``3.6bn``, ``5 mn``, ``100K``, ``.0012G``, ``1.2b`` (after
  decimals), ``2.33 k`` (spaced, after decimals or groups, no word after), Indian ``12 lkhs``,
  ``three hundred Cr``, and, after a currency only, ``$5m``; digits and words mixed:
  ``4 thousand 3 hundred and 21``, ``6 crore and two hundred``, ``3 million and a half``;
- Chinese calques: ``510 Ten thousand`` is 510 x 10,000 (510万), because a number followed by a word
  phrase that is itself a power of ten (``Ten thousand``, ``hundred million``) multiplies;
- fractions: ``2 1/2``, ``½``, ``2½``, ``three quarters``, ``a third``, ``one and a half``,
  ``twenty and three fifths``, ``two thirds of a million``; the whole number before a fraction word is its
  numerator (``a hundred trillionths`` = 10^-10) and a tens word before a unit ordinal joins the
  denominator when a numerator precedes (``one twenty-fifth`` = 1/25); ordinal fractions that may be
  ranks (``millionth``, ``fiftieth``) count only in the plural or before ``of`` / at the phrase end;
- vague plurals: ``hundreds of billions`` reads as 100 x 10^9 and is flagged ``vague``;
- ordinals for ranks: ``second``, ``21st``, ``twenty-first`` (not a number: ``the twenty-first century``).

:func:`find_numerals` scans a text for number phrases (character spans, half-open) and returns their
values; :func:`parse_number` reads one phrase. Both use the same grammar, so a span the scanner
returns always parses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import Field, model_validator

from pipeline.ruleexamples import RuleExample
from pipeline.ruleio import StrictModel, load_rules

__all__ = [
    "MAX_DIGITS",
    "MAX_SPACED_GROUPS",
    "NumberVocab",
    "Numeral",
    "UnreadableNumber",
    "NumeralsFile",
    "Scale",
    "ScalesFile",
    "default_vocab",
    "find_numerals",
    "is_year_like",
    "load_vocab",
    "parse_number",
    "parse_ordinal",
    "plural_forms",
    "within_bounds",
]

#: the most significant digits a value may have (decimal's default precision: arithmetic stays exact)
MAX_DIGITS = 28
#: the most digit groups after the first in a space-grouped number ("1 234 567 890 123")
MAX_SPACED_GROUPS = 4
#: a space-grouped number: at most MAX_SPACED_GROUPS groups, no digit group right before or after it
_SPACED = (
    rf"(?<!\d[ \u00a0\u2009\u202f])\d{{1,3}}(?:[ \u00a0\u2009\u202f]\d{{3}}){{1,{MAX_SPACED_GROUPS}}}"
    r"(?![\d\-‐‑–]|[ \u00a0\u2009\u202f]\d)"
)


class UnreadableNumber(ArithmeticError):
    """A number phrase at ``[start, end)`` whose value is out of bounds or cannot be computed."""

    def __init__(self, start: int, end: int, reason: str) -> None:
        super().__init__(f"unreadable number at [{start}, {end}): {reason}")
        self.start = start
        self.end = end
        self.reason = reason


def within_bounds(value: Decimal) -> bool:
    """True when ``value`` is finite, has at most MAX_DIGITS significant digits and its magnitude is
    below 10**MAX_DIGITS and, unless zero, at least 10**-MAX_DIGITS."""
    if not value.is_finite():
        return False
    if value.is_zero():
        return True
    digits = value.as_tuple().digits
    significant = len(digits) - (len(digits) - len("".join(map(str, digits)).rstrip("0")))
    return -MAX_DIGITS <= value.adjusted() < MAX_DIGITS and significant <= MAX_DIGITS


#: the integer part of a digit number: groups of three split by commas ("1,234,567") or by a space or a
#: narrow/no-break space ("40 000"; see _SPACED); the Indian grouping, pairs before the last three
#: ("1,40,000" is 140,000; "12,34,56,789"); or plain digits. Tried in that order: "12,345" is never read as Indian
DIGIT_GROUPS = (
    r"(?:\d{1,3}(?:,\d{3})+(?!\d)"
    rf"|{_SPACED}"
    r"|\d{1,2}(?:,\d{2})+,\d{3}(?!\d)"
    r"|\d+)"
)


# ---------------------------------------------------------------------------------------------
# rule files


class NumeralsFile(StrictModel):
    """``rules/numerals.yml``."""

    cardinals: dict[str, int]
    articles: list[str] = Field(default_factory=list)
    collectives: dict[str, int] = Field(default_factory=dict)
    fractions: dict[str, int] = Field(default_factory=dict)
    ordinal_fractions: dict[str, int] = Field(default_factory=dict)
    compound_ordinals: list[str] = Field(default_factory=list)
    vulgar_fractions: dict[str, str] = Field(default_factory=dict)
    negatives: list[str] = Field(default_factory=list)
    ordinals: dict[str, int] = Field(default_factory=dict)
    examples: list[RuleExample] = Field(min_length=1)  #: each group of words shown in use

    @model_validator(mode="after")
    def _compound_ordinals_are_ordinals(self) -> NumeralsFile:
        for word in self.compound_ordinals:
            stem = word[:-1] if word.endswith("s") and word[:-1] in self.ordinals else word
            if stem not in self.ordinals or self.ordinals[stem] >= 10:
                raise ValueError(f"{word!r} is not a unit ordinal (first..ninth) listed in ordinals")
        return self


class Scale(StrictModel):
    value: Decimal
    words: list[str] = Field(default_factory=list)
    abbreviations: list[str] = Field(default_factory=list)
    glued: list[str] = Field(default_factory=list)
    money_abbreviations: list[str] = Field(default_factory=list)
    count_abbreviations: list[str] = Field(default_factory=list)
    decimal_glued: list[str] = Field(default_factory=list)
    spaced: list[str] = Field(default_factory=list)
    not_before_names: list[str] = Field(default_factory=list)


class ScalesFile(StrictModel):
    """``rules/scales.yml``."""

    scales: dict[str, Scale]
    examples: list[RuleExample] = Field(min_length=1)  #: every scale shown in use


def plural_forms(word: str) -> set[str]:
    """The word and its regular English plurals (``half`` -> ``halves``, ``city`` -> ``cities``)."""
    forms = {word}
    if word.endswith("f"):
        forms.add(word[:-1] + "ves")
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        forms.add(word[:-1] + "ies")
    elif word.endswith(("s", "x", "z", "ch", "sh")):
        forms.add(word + "es")
    else:
        forms.add(word + "s")
    return forms


def _fraction_value(text: str) -> Decimal:
    if "/" in text:
        num, den = text.split("/", 1)
        return Decimal(int(num)) / Decimal(int(den))
    return Decimal(text)


class NumberVocab:
    """Lookup tables built from the two vocabulary files; every key is lower case except symbols."""

    def __init__(self, numerals: NumeralsFile, scales: ScalesFile) -> None:
        self.cardinals: dict[str, Decimal] = {w.lower(): Decimal(v) for w, v in numerals.cardinals.items()}
        self.articles: frozenset[str] = frozenset(w.lower() for w in numerals.articles)
        self.collectives: dict[str, Decimal] = {}
        for w, v in numerals.collectives.items():
            for form in plural_forms(w.lower()):
                self.collectives[form] = Decimal(v)
        self.fractions: dict[str, Decimal] = {}
        for word, den in numerals.fractions.items():
            for form in plural_forms(word.lower()):
                self.fractions[form] = Decimal(den)
        #: singular fraction words that need "of" or the phrase end after them ("a millionth of")
        self.strict_fractions: frozenset[str] = frozenset(w.lower() for w in numerals.ordinal_fractions)
        #: singular forms of every fraction word; the rest of ``fractions`` are plurals
        self.singular_fractions: frozenset[str] = frozenset(
            w.lower() for w in (*numerals.fractions, *numerals.ordinal_fractions)
        )
        for word, den in numerals.ordinal_fractions.items():
            for form in plural_forms(word.lower()):
                self.fractions[form] = Decimal(den)
        #: ordinals that only end a compound denominator ("three twenty-firsts"), with their value
        self.compound_ordinals: dict[str, Decimal] = {}
        for word in numerals.compound_ordinals:
            base = word.lower()
            stem = base[:-1] if base.endswith("s") and base[:-1] in numerals.ordinals else base
            self.compound_ordinals[base] = Decimal(numerals.ordinals[stem])
        self.vulgar: dict[str, Decimal] = {c: _fraction_value(v) for c, v in numerals.vulgar_fractions.items()}
        self.negatives: frozenset[str] = frozenset(w.lower() for w in numerals.negatives)
        self.ordinals: dict[str, int] = {w.lower(): v for w, v in numerals.ordinals.items()}
        self.hundred: dict[str, Decimal] = {}
        self.scale_words: dict[str, Decimal] = {}
        self.abbreviations: dict[str, Decimal] = {}
        self.money_abbreviations: dict[str, Decimal] = {}
        self.count_abbreviations: dict[str, Decimal] = {}
        self.glued: dict[str, Decimal] = {}
        self.decimal_glued: dict[str, Decimal] = {}
        self.spaced: dict[str, Decimal] = {}
        self.titles: frozenset[str] = frozenset(w.lower() for s in scales.scales.values() for w in s.not_before_names)
        self.plural_scales: dict[str, Decimal] = {}
        for scale in scales.scales.values():
            for word in scale.words:
                target = self.hundred if scale.value < 1000 else self.scale_words
                target[word.lower()] = scale.value
                self.plural_scales[word.lower() + "s"] = scale.value
            for abbr in scale.abbreviations:
                self.abbreviations[abbr.lower()] = scale.value
            for abbr in scale.money_abbreviations:
                self.money_abbreviations[abbr] = scale.value
            for abbr in scale.count_abbreviations:
                self.count_abbreviations[abbr] = scale.value
            for abbr in scale.glued:
                self.glued[abbr] = scale.value
            for abbr in scale.decimal_glued:
                self.decimal_glued[abbr] = scale.value
            for abbr in scale.spaced:
                self.spaced[abbr] = scale.value
        # vague plurals of small numbers: "tens of thousands", "dozens of"
        self.plural_scales.setdefault("tens", Decimal(10))
        for word, value in self.collectives.items():
            if value >= 10:
                self.plural_scales.setdefault(word + "s", value)
        self._build_regexes()

    # words that can sit inside a word-number phrase
    def _phrase_words(self) -> set[str]:
        return (
            set(self.cardinals)
            | set(self.hundred)
            | set(self.scale_words)
            | set(self.collectives)
            | set(self.fractions)
            | set(self.articles)
            | {"and"}
        )

    def _build_regexes(self) -> None:
        def alt(words: Iterable[str]) -> str:
            return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))

        vulgar = "".join(re.escape(c) for c in self.vulgar)
        abbreviations = alt(self.abbreviations)
        money_abbr = alt(self.money_abbreviations)
        glued = alt(self.glued)
        self.glued_re = re.compile(rf"(?:{glued})(?![A-Za-z0-9])") if glued else None
        decimal_glued = alt(self.decimal_glued)
        self.decimal_glued_re = re.compile(rf"(?:{decimal_glued})(?![A-Za-z0-9])") if decimal_glued else None
        spaced = alt(self.spaced)
        # no word after the letter: "2.33 k." but not "1.5 M NaCl"
        self.spaced_re = (
            re.compile(rf"[ \t]+(?:{spaced})(?![A-Za-z0-9])(?![ \t]*[-‐‑]?[A-Za-z0-9])") if spaced else None
        )
        self.vulgar_class = f"[{vulgar}]" if vulgar else "(?!)"
        # a digit number: grouped or plain, optional decimals; never the tail of a longer token
        # groups of three split by a space or a narrow/no-break space: "40 000", "1 234 567.89"
        self.digits_re = re.compile(rf"(?>{DIGIT_GROUPS}(?:\.\d+)?)(?![.,]\d)|(?>\.\d+)(?![.,]\d)")
        self.abbr_re = re.compile(rf"\s?(?:{abbreviations})(?![A-Za-z0-9])", re.IGNORECASE) if abbreviations else None
        self.money_abbr_re = re.compile(rf"(?:{money_abbr})(?![A-Za-z0-9])") if money_abbr else None
        # "35m devices", "1.2m tons", "35m of its devices": glued, then "of" or a plural word
        count_abbr = alt(self.count_abbreviations)
        self.count_abbr_re = (
            re.compile(
                rf"(?:{count_abbr})(?=[ \t]+(?:of[ \t]|people\b|"
                rf"(?!(?:this|does|goes|plus|thus|versus|was|has|its|is|as)\b)[A-Za-z]+[a-rt-z]s\b))"
            )
            if count_abbr
            else None
        )
        self.word_re = re.compile(r"[A-Za-z]+")
        self.phrase_words = self._phrase_words()
        # cheap test: can this text hold a number at all? (digits, number words, vulgar fractions)
        words = set(self.cardinals) | set(self.hundred) | set(self.scale_words) | set(self.collectives)
        words |= set(self.plural_scales)
        lead = set(self.hundred) | set(self.scale_words) | set(self.collectives) | set(self.fractions)
        # "half a million", "quarter million", "half a dozen": a fraction word opening a scale
        big = set(self.scale_words) | set(self.collectives)
        fraction_lead = rf"\b(?:{alt(self.fractions)})[ \t]+(?:an?[ \t]+)?(?=(?:{alt(big)})\b)"
        # "a twenty-first", "an eighty-fifth": an article opening a compound denominator
        tens = [w for w, v in self.cardinals.items() if 20 <= v < 100 and v % 10 == 0]
        units = [w for w, v in self.fractions.items() if v < 10] + list(self.compound_ordinals)
        compound_lead = rf"\b(?:{alt(self.articles)})[ \t]+(?=(?:{alt(tens)})(?:{_SEP.pattern})(?:{alt(units)})\b)"
        self.words_re = re.compile(
            rf"{self.vulgar_class}|\b(?:{alt(words)})\b|\b(?:{alt(self.articles)})[ \t]+(?=(?:{alt(lead)})\b)"
            rf"|{fraction_lead}|{compound_lead}",
            re.IGNORECASE,
        )
        #: what may stand before a spoken decimal point that opens a number ("point 77"): a line start, a
        #: bracket, a sign word ("minus point 5")
        self.point_opens_re = re.compile(rf"(?:^|[\n(]|\b(?:{alt(self.negatives)}))[ \t]*$", re.IGNORECASE)
        # "point 77": a spoken decimal point before digits (the scanner decides whether it opens a number)
        self.any_number_re = re.compile(
            rf"\d|{self.vulgar_class}|\b(?:{alt(words)})\b|\b(?:{alt(self.articles)})[ \t]+(?=(?:{alt(lead)})\b)"
            rf"|{fraction_lead}|{compound_lead}|\bpoint(?=[ \t]+\d)",
            re.IGNORECASE,
        )


def load_vocab(rules_dir: str | Path = "rules") -> NumberVocab:
    """Read ``numerals.yml`` and ``scales.yml`` from ``rules_dir`` (RuleError when broken)."""
    rules_dir = Path(rules_dir)
    return NumberVocab(
        load_rules(rules_dir / "numerals.yml", NumeralsFile), load_rules(rules_dir / "scales.yml", ScalesFile)
    )


_VOCABS: dict[str, NumberVocab] = {}


def default_vocab(rules_dir: str | Path = "rules") -> NumberVocab:
    """The vocabulary in ``rules_dir``, loaded once per process."""
    key = str(Path(rules_dir).resolve())
    if key not in _VOCABS:
        _VOCABS[key] = load_vocab(rules_dir)
    return _VOCABS[key]


# ---------------------------------------------------------------------------------------------
# reading one phrase

_ATOM = re.compile(
    r"(?P<frac>\d+/\d+)"
    rf"|(?P<num>{DIGIT_GROUPS}(?:\.\d+)?|\.\d+)"
    r"|(?P<word>[A-Za-z]+)"
    r"|(?P<other>[^\s\-‐‑–—])"
)
_MINUS = "-−–"


def _words_value(words: list[str], vocab: NumberVocab, after_digits: bool = False) -> tuple[Decimal, bool] | None:
    """Value of a word-number phrase (lower-case words), and whether it is vague; None if not one."""
    if not words:
        return None
    # vague plurals: "hundreds of billions", "tens of thousands", "millions"
    if len(words) == 1 and words[0][:-1] in vocab.scale_words and words[0].endswith("s") and after_digits:
        return vocab.scale_words[words[0][:-1]], False
    if len(words) == 1 and after_digits and _singular_scale(words[0], vocab) in vocab.collectives:
        return vocab.collectives[_singular_scale(words[0], vocab)], False  # "3 dozens" is 36, not vague
    if words[0] in vocab.plural_scales and (words[0] not in vocab.collectives or len(words) == 1 or words[1] == "of"):
        value = Decimal(1)
        for w in words:
            if w == "of":
                continue
            scale = vocab.plural_scales.get(w) or vocab.scale_words.get(w) or vocab.hundred.get(w)
            if scale is None:
                return None
            value *= scale
        return value, True
    if not after_digits and (words[0] in vocab.scale_words or words[0] in vocab.hundred):
        return None  # a bare "million" is a word, not a number
    # "three billions", "two hundred dozens": a plural scale after a number is the scale
    words = [words[0]] + [_singular_scale(w, vocab) for w in words[1:]]
    if "point" in words[1:]:
        return _point_value(words, vocab)
    spoken = _spoken_hundreds(words, vocab)
    if spoken is not None:
        return spoken, False
    # "two thirds of a million" reads like "half a million"
    words = [w for k, w in enumerate(words) if not (w == "of" and k > 0 and words[k - 1] in vocab.fractions)]
    base = Decimal(0)  # what an "and" set aside: "one hundred and | three quarters"
    total = Decimal(0)
    group = Decimal(0)
    top_scale = Decimal(0)
    segment = 0  # number words since the phrase start or the last "and" that set a whole aside
    seen = False
    i = 0
    while i < len(words):
        w = words[i]
        if w == "and":
            tail = words[i + 1 :]
            if (
                i > 0
                and words[i - 1] in vocab.scale_words
                and len(tail) == 2
                and (tail[0] in vocab.articles or tail[0] in vocab.cardinals)
                and tail[1] in vocab.fractions
            ):
                # "one million and a half", "five billion and three quarters": a fraction of the scale
                share = (vocab.cardinals.get(tail[0]) or Decimal(1)) / vocab.fractions[tail[1]]
                return base + total + group + share * vocab.scale_words[words[i - 1]], False
            # "one and a half": and + article + fraction adds 1/d
            if i + 2 < len(words) and words[i + 1] in vocab.articles and words[i + 2] in vocab.fractions:
                group += Decimal(1) / vocab.fractions[words[i + 2]]
                i += 3
                continue
            # what came before "and" is never part of a fraction's numerator ("one billion and three
            # quarters million"); without a scale after it, "and" ends the whole number ("one hundred and
            # three quarters", "twenty and three fifths")
            base += total
            total = Decimal(0)
            if not any(x in vocab.scale_words for x in tail):
                base += group
                group = top_scale = Decimal(0)
                segment = 0
            i += 1
            continue
        if w.startswith("#"):  # digits inside a mixed phrase: "3 hundred and 21"
            group += Decimal(w[1:])
        elif w in vocab.articles:
            if i + 1 >= len(words):
                return None
            if i > 0 and words[i - 1] in vocab.fractions:
                i += 1  # "half a dozen": the article reads as "of a"
                continue
            group += 1
        elif w in vocab.cardinals:
            group += vocab.cardinals[w]
        elif w in vocab.hundred:
            group = (group or Decimal(1)) * vocab.hundred[w]
        elif w in vocab.scale_words:
            scale = vocab.scale_words[w]
            if total and scale > top_scale:
                total = (total + group) * scale  # "three thousand million" is three billion
            else:
                total += (group or Decimal(1)) * scale
            top_scale = max(top_scale, scale)
            group = Decimal(0)
        elif w in vocab.collectives:
            group = (group or Decimal(1)) * vocab.collectives[w]
        elif w in vocab.fractions or w in vocab.compound_ordinals:
            # the whole number before the fraction word is its numerator ("a hundred thousand trillionths"
            # = 100,000 / 10^12); a tens word just before a unit ordinal, with a numerator before it, is
            # part of the denominator ("one twenty-fifth" = 1/25, "one hundred thirty-fifths" = 100/35)
            denominator = vocab.fractions.get(w) or vocab.compound_ordinals[w]
            numerator = total + group
            tens = vocab.cardinals.get(words[i - 1], Decimal(0)) if i > 0 else Decimal(0)
            if segment >= 2 and denominator < 10 and 20 <= tens < 100 and tens % 10 == 0:
                denominator += tens
                numerator -= tens
            elif w not in vocab.fractions:
                return None  # "twenty first" alone is a rank
            group = (numerator or Decimal(1)) / denominator
            total = Decimal(0)
        else:
            return None
        seen = True
        segment += 1
        i += 1
    if not seen:
        return None
    return base + total + group, False


def _spoken_hundreds(words: list[str], vocab: NumberVocab) -> Decimal | None:
    """ "one twenty two" = 122: a digit word, a tens word and a unit word, as numbers are read aloud."""
    if len(words) != 3 or any(w not in vocab.cardinals for w in words):
        return None
    hundreds, tens, units = (vocab.cardinals[w] for w in words)
    if 1 <= hundreds <= 9 and 20 <= tens <= 90 and tens % 10 == 0 and 1 <= units <= 9:
        return hundreds * 100 + tens + units
    return None


def _singular_scale(word: str, vocab: NumberVocab) -> str:
    if word.endswith("s"):
        stem = word[:-1]
        if stem in vocab.scale_words or stem in vocab.hundred or stem in vocab.collectives:
            return stem
    return word


def _point_value(words: list[str], vocab: NumberVocab) -> tuple[Decimal, bool] | None:
    """ "two hundred point zero three" = 200.03, "nine point nought four" = 9.04, "point seventy-one"
    = .71, "two point two million" = 2,200,000: digits after "point" until a scale word."""
    k = words.index("point")
    whole = _words_value(words[:k], vocab) if k else (Decimal(0), False)
    if whole is None:
        return None
    tail = words[k + 1 :]
    scale_at = next((j for j, w in enumerate(tail) if w in vocab.scale_words), len(tail))
    digits, scale = tail[:scale_at], tail[scale_at:]
    if not digits or any(w not in vocab.cardinals for w in digits):
        return None
    values = [vocab.cardinals[w] for w in digits]
    # single digits are read one by one; "point seventy-one" as a whole
    decimals = "".join(str(int(v)) for v in values) if all(v < 10 for v in values) else str(int(sum(values)))
    value = whole[0] + Decimal("0." + decimals)
    for w in scale:
        if w not in vocab.scale_words:
            return None
        value *= vocab.scale_words[w]
    return value, False


def _is_power_of_ten(value: Decimal) -> bool:
    if value < 10 or value != value.to_integral_value():
        return False
    digits = str(int(value))
    return digits[0] == "1" and set(digits[1:]) <= {"0"}


def parse_number_ex(text: str, vocab: NumberVocab | None = None) -> tuple[Decimal, bool] | None:
    """Like :func:`parse_number`, plus whether the amount is vague (``hundreds of``)."""
    vocab = vocab or default_vocab()
    s = text.strip()
    negative = False
    if s[:1] in _MINUS:
        negative, s = True, s[1:].lstrip()
    elif s[:1] == "+":
        s = s[1:].lstrip()
    atoms = [(m.lastgroup or "", m.group()) for m in _ATOM.finditer(s)]
    if atoms and atoms[0][0] == "word" and atoms[0][1].lower() in vocab.negatives:
        negative = True
        atoms = atoms[1:]
    if not atoms:
        return None
    value: Decimal | None = None
    vague = False
    kind, first = atoms[0]
    rest = atoms[1:]
    if kind == "num":
        value = _literal(first)
        # glued or spaced scale abbreviation, or a money abbreviation the scanner accepted
        if rest and rest[0][0] == "word":
            word = rest[0][1]
            scale = (
                vocab.abbreviations.get(word.lower())
                or vocab.glued.get(word)
                or vocab.money_abbreviations.get(word)
                or vocab.count_abbreviations.get(word)
                or (vocab.decimal_glued.get(word) if "." in first else None)
                or (vocab.spaced.get(word) if any(c in first for c in ".,") or " " in first.strip() else None)
            )
            if scale is not None:
                value *= scale
                rest = rest[1:]
        if rest and rest[0][0] == "other" and rest[0][1] in vocab.vulgar:
            value += vocab.vulgar[rest[0][1]]
            rest = rest[1:]
        elif rest and rest[0][0] == "frac":
            value += _fraction_value(rest[0][1])
            rest = rest[1:]
        if rest and [k for k, _ in rest] == ["word", "num"] and rest[0][1].lower() == "point":
            # "1 point 1": a spoken decimal point between two plain integers
            if not (first.isdigit() and rest[1][1].isdigit()):
                return None
            value = Decimal(f"{first}.{rest[1][1]}")
            rest = []
        if any(k == "num" for k, _ in rest) or any(k == "word" and w.lower() == "and" for k, w in rest[1:]):
            # "3 hundred and 21", "4 thousand 3 hundred", "3 million and a half", "6 crore and two hundred":
            # digits and words in one phrase, read as words with the digits standing for their value
            if any(k not in ("word", "num") for k, _ in rest) or value != value.to_integral_value():
                return None
            mixed = [f"#{value}"] + [w.lower() if k == "word" else "#" + w for k, w in rest]
            if any(w.startswith("#") and not w[1:].isdigit() for w in mixed):
                return None
            parsed_mixed = _words_value(mixed, vocab, after_digits=True)
            if parsed_mixed is None:
                return None
            value, vague = parsed_mixed
            rest = []
        if rest:
            if any(k != "word" for k, _ in rest):
                return None
            words = [w.lower() for _, w in rest]
            if words[0] == "and":  # "2 and a half"
                tail = _words_value(["zero", *words], vocab)
                if tail is None:
                    return None
                value += tail[0]
            else:
                scaled = _words_value(words, vocab, after_digits=True)
                if scaled is None:
                    return None
                factor, vague = scaled
                if not (_is_power_of_ten(factor) or _singular_scale(words[-1], vocab) in vocab.collectives):
                    return None
                value *= factor
    elif kind == "frac":
        if rest:
            return None
        value = _fraction_value(first)
    elif kind == "other" and first in vocab.vulgar:
        if rest:
            return None
        value = vocab.vulgar[first]
    elif kind == "word" and first.lower() == "point" and [k for k, _ in rest] == ["num"] and rest[0][1].isdigit():
        value = Decimal(f"0.{rest[0][1]}")  # "point 77"
    elif kind == "word":
        if any(k != "word" for k, _ in rest):
            return None
        parsed = _words_value([first.lower()] + [w.lower() for _, w in rest], vocab)
        if parsed is None:
            return None
        value, vague = parsed
    if value is None:
        return None
    return (-value if negative else value), vague


def parse_number(text: str, vocab: NumberVocab | None = None) -> Decimal | None:
    """The value of one number phrase, or None when the text is not a number.

    >>> parse_number("510 Ten thousand")
    Decimal('5100000')
    """
    try:
        parsed = parse_number_ex(text, vocab)
    except (ArithmeticError, ValueError):  # out of bounds, 3/0, digits past int()'s limit
        return None
    if parsed is None:
        return None
    try:
        return _tidy(parsed[0])
    except ArithmeticError:
        return None


class _OutOfBounds(ArithmeticError):
    """A value outside the bounds of :func:`within_bounds`."""


def _why(exc: Exception) -> str:
    """Why a number could not be read, in words (the ``rule`` of its unclaimed row)."""
    if isinstance(exc, _OutOfBounds):
        return str(exc)
    if isinstance(exc, ZeroDivisionError | InvalidOperation):
        return "no value: division by zero or an undefined operation"
    return f"no value: {exc}" if str(exc) else "no value"


def _literal(digits: str) -> Decimal:
    """The exact value of a digit string (separators removed); out of bounds raises before any
    arithmetic could round it."""
    value = Decimal(re.sub(r"[,\s\u00a0\u2009\u202f]", "", digits))
    if not within_bounds(value):
        raise _OutOfBounds(f"out of bounds: more than {MAX_DIGITS} significant digits or magnitude 10^{MAX_DIGITS}")
    return value


def _tidy(value: Decimal) -> Decimal:
    """Drop exponent noise (``4.99E+9`` -> ``4990000000``) while keeping the exact value; a value
    out of bounds raises."""
    if not within_bounds(value):
        raise _OutOfBounds(f"out of bounds: more than {MAX_DIGITS} significant digits or magnitude 10^{MAX_DIGITS}")
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


_DIGIT_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.IGNORECASE)


def parse_ordinal(text: str, vocab: NumberVocab | None = None) -> int | None:
    """``second`` -> 2, ``21st`` -> 21, ``twenty-first`` -> 21; None if not an ordinal."""
    vocab = vocab or default_vocab()
    s = text.strip().lower()
    m = _DIGIT_ORDINAL.match(s)
    if m:
        return int(m.group(1))
    if s in vocab.ordinals:
        return vocab.ordinals[s]
    parts = [p for p in re.split(r"[\s\-]+", s) if p]
    if len(parts) == 2 and parts[0] in vocab.cardinals and parts[1] in vocab.ordinals:
        tens = vocab.cardinals[parts[0]]
        if tens >= 20 and tens % 10 == 0:
            return int(tens) + vocab.ordinals[parts[1]]
    return None


def is_year_like(text: str) -> bool:
    """A bare four-digit number that reads as a year (1800-2199), written without separators."""
    s = text.strip()
    return len(s) == 4 and s.isdigit() and 1800 <= int(s) <= 2199


# ---------------------------------------------------------------------------------------------
# scanning a text for number phrases


@dataclass(frozen=True, slots=True)
class Numeral:
    """A number phrase in a text: half-open character span, its value, and how it was written."""

    start: int
    end: int
    value: Decimal
    text: str
    words: bool  #: written (partly) in words: "Twelve", "510 Ten thousand"
    vague: bool = False  #: "hundreds of billions"


_OF = re.compile(r"[ \t]+of[ \t]+")
_SEP = re.compile(r"[ \t]*[-‐‑][ \t]*|[ \t]+")


def _word_kind(word: str, vocab: NumberVocab) -> str:
    w = word.lower()
    if w in vocab.cardinals:
        return "cardinal"
    if w in vocab.hundred or w in vocab.scale_words:
        return "scale"
    if w in vocab.collectives:
        return "collective"
    if w in vocab.fractions:
        return "fraction"
    if w in vocab.articles:
        return "article"
    if w == "and":
        return "and"
    if w == "point":
        return "point"
    if w in vocab.compound_ordinals:
        return "ordinal"
    if w in vocab.plural_scales:
        return "plural"
    return ""


def find_numerals(
    text: str,
    vocab: NumberVocab | None = None,
    glued_prefixes: Iterable[str] = (),
    money_before: re.Pattern[str] | None = None,
    unreadable: list[UnreadableNumber] | None = None,
) -> list[Numeral]:
    """Every number phrase in ``text``, left to right, non-overlapping.

    A number phrase that cannot be read (out of bounds, ``3 9/0``) is skipped, never raised; with an
    ``unreadable`` list, it is appended there (its span and the reason).

    ``glued_prefixes`` are currency codes that may be written against the digits (``CNY4.99``); the
    digits after them still count as a number. ``money_before`` matches the text just before a number
    when a currency precedes it (``$``, ``US$ ``): only then is ``5m`` five million.
    Ordinal digits (``19th``) are not numbers here; they are ranks or parts of names.
    """
    vocab = vocab or default_vocab()
    out: list[Numeral] = []
    prefixes = tuple(glued_prefixes)
    pos = 0
    n = len(text)
    while pos < n:
        m = vocab.any_number_re.search(text, pos)
        if m is None:
            break
        start = m.start()
        try:
            found = _numeral_at(text, start, vocab, prefixes, money_before)
            if found is not None:
                found = _ratio_phrase(text, found, vocab, prefixes, money_before)
        except UnreadableNumber as exc:
            if unreadable is not None:
                unreadable.append(exc)
            pos = max(exc.end, start + 1)
            continue
        if found is None:
            # skip the rest of this token
            pos = m.end()
            while pos < n and (text[pos].isalnum() or text[pos] in ".,"):
                pos += 1
            continue
        out.append(found)
        pos = found.end
    return out


_RATIO = re.compile(r"[ \t]+(over|out of)[ \t]+", re.IGNORECASE)


def _ratio_phrase(
    text: str,
    left: Numeral,
    vocab: NumberVocab,
    prefixes: tuple[str, ...],
    money_before: re.Pattern[str] | None,
) -> Numeral:
    """ "one out of three", "1 over 20": a fraction, when both sides are whole and the left is smaller."""
    m = _RATIO.match(text, left.end)
    if m is None or left.value != left.value.to_integral_value():
        return left
    try:
        right = _numeral_at(text, m.end(), vocab, prefixes, money_before)
    except UnreadableNumber:
        return left  # the right side is read (and reported) on its own
    if right is None or right.value == 0 or right.value != right.value.to_integral_value():
        return left
    if not abs(left.value) < right.value:
        return left
    try:
        ratio = _tidy(left.value / right.value)
    except ArithmeticError:
        return left
    return Numeral(left.start, right.end, ratio, text[left.start : right.end], True)


def _digit_start_ok(text: str, start: int, prefixes: tuple[str, ...]) -> bool:
    """Digits begin a number unless they are the tail of a word, a code or another number."""
    if start == 0:
        return True
    before = text[start - 1]
    if before.isdigit() or before in ".,":
        return False
    if before.isalpha() or before == "_":
        return any(text.endswith(p, 0, start) for p in prefixes)
    return True


#: what may stand before a minus sign that belongs to the number ("-5", "(-5", "$-50.8bn", "€-3")
_BEFORE_SIGN = " \t\n([$€£¥"

_EXPONENT = re.compile(r"(?:[eE]|\s?[×x]\s?(?:10\^?|(?P<radix>[2-9])\^))(?P<power>[-+−]?\d{1,3})(?![\w.])")
#: a power written with a caret: "1.1^23", "2.5^-1", "1.1^--23" (signs of the power multiply)
_CARET = re.compile(r"\^(?P<signs>[-+−]{0,2})(?P<power>\d{1,3})(?![\w.])")
_FRACTION = re.compile(r"(\d{1,2})[/⁄](\d{1,3})(?![\d/⁄])")  # "1/16", "1⁄32" (fraction slash)


def _numeral_at(
    text: str,
    start: int,
    vocab: NumberVocab,
    prefixes: tuple[str, ...],
    money_before: re.Pattern[str] | None,
) -> Numeral | None:
    ch = text[start]
    if ch.isdigit() and start > 0 and text[start - 1] == "." and (start < 2 or text[start - 2] in " \t\n($-−"):
        start -= 1  # ".001 per cent"
        ch = "."
    if ch.isdigit() or ch == ".":
        if not _digit_start_ok(text, start, prefixes):
            return None
        frac = _FRACTION.match(text, start)
        if frac and 0 < int(frac.group(1)) < int(frac.group(2)):
            value = Decimal(int(frac.group(1))) / Decimal(int(frac.group(2)))
            begin = start
            if start > 0 and text[start - 1] in _MINUS and (start < 2 or text[start - 2] in " \t\n(["):
                begin, value = start - 1, -value
            return Numeral(begin, frac.end(), _tidy(value), text[begin : frac.end()], False)
        m = vocab.digits_re.match(text, start)
        if m is None:
            return None
        end = m.end()
        exponent = _EXPONENT.match(text, end) or _CARET.match(text, end)
        if exponent:
            sign = -1 if start > 0 and text[start - 1] in _MINUS and (start < 2 or text[start - 2] in " \t\n([") else 1
            begin = start - 1 if sign < 0 else start
            try:
                base = _literal(m.group())
                power = int(exponent.group("power").replace("−", "-").replace("+", ""))
                if "signs" in exponent.groupdict():
                    if sum(c in _MINUS for c in exponent.group("signs")) % 2:
                        power = -power
                    value = base**power
                else:
                    value = base * (Decimal(exponent.group("radix") or 10) ** power)
                value = _tidy(sign * value)
            except (ArithmeticError, ValueError) as exc:
                raise UnreadableNumber(begin, exponent.end(), _why(exc)) from None
            return Numeral(begin, exponent.end(), value, text[begin : exponent.end()], False)
        after = text[end : end + 3]
        # ordinal digits (19th, 2nd) and digits glued into a longer alphanumeric code are not numbers
        if re.match(r"(?:st|nd|rd|th|s)\b", after, re.IGNORECASE):
            return None  # ordinals (19th) and decades (1990s) are not amounts
        sign_start = start
        if start > 0 and text[start - 1] in _MINUS and (start < 2 or text[start - 2] in _BEFORE_SIGN):
            sign_start = start - 1
        elif start > 0:
            neg = re.search(r"\b(?:minus|negative)[ \t-]+$", text[max(0, start - 12) : start], re.IGNORECASE)
            if neg:
                sign_start = start - (len(neg.group()))
        words = False
        # glued vulgar fraction, mixed fraction, scale abbreviation
        if end < len(text) and text[end] in vocab.vulgar:
            end += 1
        else:
            mixed = re.match(r"[ \t]+\d+/\d+(?![\d/])", text[end:])
            if mixed and "." not in m.group():
                end += mixed.end()
        abbr = vocab.abbr_re.match(text, end) if vocab.abbr_re else None
        if abbr is not None and _is_title(text, abbr.end(), abbr.group().strip(), vocab):
            abbr = None
        glued_scale = vocab.glued_re.match(text, end) if vocab.glued_re else None
        decimals_or_groups = any(c in m.group() for c in ".,\u00a0\u2009\u202f") or " " in m.group()
        if abbr:
            end = abbr.end()
        elif glued_scale:
            end = glued_scale.end()
        elif (
            "." in m.group() and vocab.decimal_glued_re and (after_decimals := vocab.decimal_glued_re.match(text, end))
        ):
            end = after_decimals.end()  # "1.2b"
        elif decimals_or_groups and vocab.spaced_re and (spaced_scale := vocab.spaced_re.match(text, end)):
            end = spaced_scale.end()  # "2.33 k", "1,674.5 G"
        elif (
            vocab.money_abbr_re is not None
            and money_before is not None
            and (
                (glued := vocab.money_abbr_re.match(text, end))
                and money_before.search(text, max(0, sign_start - 12), sign_start)
            )
        ):
            end = glued.end()
        elif vocab.count_abbr_re is not None and (counted := vocab.count_abbr_re.match(text, end)):
            end = counted.end()
        # scale words after the digits: "4.99 billion", "510 Ten thousand", "3 dozen"
        scale_end = _word_tail(text, end, vocab, after_digits=True)
        if scale_end > end:
            end, words = scale_end, True
        if sign_start == start and _alone_on_line(text, start, end):
            # "- 1,200,000" as a whole line (a table cell): a spaced minus is the sign; a hyphen opening a
            # line of prose ("- 3 new centres opened") is a list bullet
            line_start = text.rfind("\n", 0, start) + 1
            lead = _SPACED_SIGN.fullmatch(text, line_start, start)
            if lead is not None:
                sign_start = lead.start("sign")
        value_text = text[sign_start:end]
        try:
            parsed = parse_number_ex(_strip_sign_words(value_text), vocab)
            if parsed is None:
                return None
            value = parsed[0]
            if sign_start < start and text[sign_start] not in _MINUS:
                value = -abs(value)
            value = _tidy(value)
        except (ArithmeticError, ValueError) as exc:
            raise UnreadableNumber(sign_start, end, _why(exc)) from None
        return Numeral(sign_start, end, value, text[sign_start:end], words, parsed[1])
    if ch in vocab.vulgar:
        if start > 0 and text[start - 1].isalnum():
            return None
        return Numeral(start, start + 1, _tidy(vocab.vulgar[ch]), ch, False)
    # a word number
    if start > 0 and (text[start - 1].isalnum()):
        return None
    end = _word_tail(text, start, vocab, after_digits=False)
    if end <= start:
        return None
    phrase = text[start:end]
    try:
        parsed = parse_number_ex(phrase, vocab)
        if parsed is None:
            return None
        value = _tidy(parsed[0])
    except (ArithmeticError, ValueError) as exc:
        raise UnreadableNumber(start, end, _why(exc)) from None
    neg = re.search(r"\b(?:minus|negative)[ \t-]+$", text[max(0, start - 12) : start], re.IGNORECASE)
    if neg:
        start, value = start - len(neg.group()), -value
    return Numeral(start, end, value, text[start:end], True, parsed[1])


_SPACED_SIGN = re.compile(r"[ \t]*(?P<sign>[-−])[ \t]+")


def _alone_on_line(text: str, start: int, end: int) -> bool:
    """Nothing but blanks after ``end`` on its line, and the line opens with a sign ("- 1 4/5")."""
    line_end = text.find("\n", end)
    return text[end : len(text) if line_end < 0 else line_end].strip() == "" and (
        start > 0 and text[start - 1] in " \t"
    )


def _strip_sign_words(text: str) -> str:
    return re.sub(r"^(?:minus|negative)[ \t-]+", "-", text, flags=re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Token:
    """One word, or one small integer, of a number phrase being scanned."""

    start: int
    end: int
    lower: str
    kind: str  #: a :func:`_word_kind`, or "int" for digits
    hyphen: bool  #: joined to the token before by a hyphen ("twenty-first")


#: a plain integer inside a word phrase ("3 hundred and 21"): not a decimal, a code, an ordinal or a fraction
_INT_TOKEN = re.compile(r"\d+(?![\w/⁄^]|[.,]\d)")
#: after a singular ordinal fraction: "of" or no further word ("a millionth of a second", "a trillionth")
_FRACTION_CLOSE = re.compile(r"[ \t]+of\b|(?![ \t]*[-‐‑]?[ \t]*[A-Za-z0-9])", re.IGNORECASE)


def _token_at(text: str, pos: int, vocab: NumberVocab, first: bool = False) -> _Token | None:
    """The token at ``pos`` (``first``) or after the separator at ``pos``; None when there is none."""
    hyphen = False
    gap_end = pos
    if not first:
        sep = _SEP.match(text, pos)
        if sep is None:
            return None
        gap_end = sep.end()
        hyphen = sep.group().strip(" \t") != ""
    wm = vocab.word_re.match(text, gap_end)
    if wm is not None:
        kind = "" if _is_title(text, wm.end(), wm.group(), vocab) else _word_kind(wm.group(), vocab)
        return _Token(gap_end, wm.end(), wm.group().lower(), kind, hyphen)
    dm = _INT_TOKEN.match(text, gap_end)
    if dm is not None:
        return _Token(gap_end, dm.end(), dm.group(), "int", hyphen)
    return None


_BEFORE_NAME = re.compile(r"[ \t]+[A-Z][a-z]")


def _is_title(text: str, end: int, word: str, vocab: NumberVocab) -> bool:
    """ "Cr Smith": a scale form that is a title before a capitalized name."""
    return word.lower() in vocab.titles and _BEFORE_NAME.match(text, end) is not None


def _tokens_after(text: str, pos: int, vocab: NumberVocab, n: int) -> list[_Token]:
    out: list[_Token] = []
    while len(out) < n:
        tok = _token_at(text, pos, vocab)
        if tok is None:
            break
        out.append(tok)
        pos = tok.end
    return out


def _denominator(tok: _Token, vocab: NumberVocab) -> Decimal | None:
    """The denominator a fraction word or a compound-ending ordinal stands for."""
    if tok.kind == "fraction":
        return vocab.fractions[tok.lower]
    if tok.kind == "ordinal":
        return vocab.compound_ordinals[tok.lower]
    return None


def _fraction_ok(text: str, tok: _Token, vocab: NumberVocab, strict: bool) -> bool:
    """May ``tok`` end a fraction? A plural always may; a singular ordinal fraction ("millionth", a
    compound's "fifth", any fraction after "hundred" or a scale) only before "of" or at the phrase end."""
    plural = tok.lower not in vocab.singular_fractions and tok.lower not in vocab.ordinals
    if plural:
        return True
    if strict or tok.lower in vocab.strict_fractions or tok.kind == "ordinal":
        return _FRACTION_CLOSE.match(text, tok.end) is not None
    return True


def _compound_ahead(text: str, tens: _Token, vocab: NumberVocab) -> bool:
    """After a numerator: does the tens word ``tens`` open a compound denominator ("one twenty-fifth")?"""
    nxt = _token_at(text, tens.end, vocab)
    if nxt is None or nxt.kind not in ("fraction", "ordinal"):
        return False
    den = _denominator(nxt, vocab)
    return den is not None and den < 10 and _fraction_ok(text, nxt, vocab, strict=True)


def _fraction_phrase_ahead(text: str, pos: int, vocab: NumberVocab) -> bool:
    """After "and": a fraction follows ("twenty and three fifths", "one hundred and three and two thirds")."""
    prev: _Token | None = None
    for count, tok in enumerate(_tokens_after(text, pos, vocab, 6)):
        if tok.kind in ("fraction", "ordinal"):
            if count == 0 or prev is None:
                return False
            den = _denominator(tok, vocab)
            tens = vocab.cardinals.get(prev.lower, Decimal(0))
            compound = count >= 2 and den is not None and den < 10 and 20 <= tens < 100 and tens % 10 == 0
            if tok.kind == "ordinal" and not compound:
                return False
            return _fraction_ok(text, tok, vocab, strict=compound or prev.kind == "scale")
        if tok.kind not in ("cardinal", "scale"):
            return False
        if tok.kind == "scale" and tok.lower not in vocab.hundred:
            return False  # "and three million": a new number, not a fraction
        prev = tok
    return False


def _word_tail(text: str, pos: int, vocab: NumberVocab, after_digits: bool) -> int:
    """End of the word-number phrase starting at ``pos`` (``pos`` itself when there is none).

    After digits only scale words, collectives, "and a half", "point" and digits ("1 point 1"), and the
    continuations of a digit-and-scale phrase ("3 hundred and 21", "4 thousand 3 hundred", "6 crore and
    two hundred") may follow. Articles count only in front of a scale, collective or fraction; "and" only
    after a scale ("hundred and five"), before "a half" or before a fraction ("twenty and three fifths");
    fractions only after a number or article ("three quarters", not "the second half"), and ordinal
    fractions only where no rank can be meant ("a millionth of", not "a fiftieth anniversary").
    """
    end = pos
    cursor = pos
    prev = "digits" if after_digits else ""
    digit_mode = after_digits  # until an "and" hands the phrase over to the word grammar
    after_hundred_and = False  # "3 hundred and" may go on with digits
    last_scale = Decimal(0)
    segment = 0  # number words since the phrase start or the last "and"
    prev_value = Decimal(0)  # value of the last cardinal
    spoken = False  # "one twenty two": the unit word ends the phrase
    first = True
    while True:
        tok = _token_at(text, cursor, vocab, first=first and not after_digits)
        if tok is None:
            break
        word = tok.lower
        kind = tok.kind
        if kind == "collective" and prev == "" and word in vocab.plural_scales:
            kind = "plural"  # "Dozens of people"
        nxt = _peek_word(text, tok.end, vocab)
        ok = False
        stop = False  # accept this token and end the phrase
        if kind == "plural" and prev in ("digits", "cardinal", "cardinal_tens", "hundred", "scale"):
            stem = word[:-1]
            if stem in vocab.scale_words or stem in vocab.hundred:
                kind = "scale"  # "three billions", "three hundred crores"
            elif stem in vocab.collectives:
                kind = "collective"  # "two hundred dozens"
        if kind == "plural":
            # vague plurals: "hundreds of billions", "tens of thousands", "millions of"
            if after_digits or prev != "":
                break
            end = cursor = tok.end
            while True:
                of = _OF.match(text, cursor)
                after = vocab.word_re.match(text, of.end()) if of else None
                if after is None:
                    break
                after_kind = _word_kind(after.group(), vocab)
                if after_kind not in ("plural", "scale") or after.group().lower() in vocab.hundred:
                    break
                end = cursor = after.end()
                if after_kind == "scale":
                    break
            break
        elif kind == "int":
            ahead = _tokens_after(text, tok.end, vocab, 1)
            nxt_scale = vocab.hundred.get(ahead[0].lower) or vocab.scale_words.get(ahead[0].lower) if ahead else None
            if prev == "and" and after_hundred_and:
                ok = stop = int(word) < 100  # "3 hundred and 21"
            elif digit_mode and prev == "scale" and nxt_scale is not None and nxt_scale < last_scale:
                ok = True  # "4 thousand 3 hundred"
                kind = "digits"
            elif prev == "point" and digit_mode:
                ok = stop = True  # "1 point 1"
        elif digit_mode:
            if kind == "plural" and prev == "digits" and word[:-1] in vocab.scale_words:
                kind = "scale"  # "12 lakhs", "5 millions"
            if kind == "scale" or (kind == "collective" and prev == "digits"):
                ok = True
            elif kind == "cardinal" and prev == "digits":
                # calque: "510 Ten thousand" only when a scale follows the cardinal
                ok = nxt == "scale"
            elif kind == "point":
                # "1 point 1": the first digits, "point", digits
                ahead = _tokens_after(text, tok.end, vocab, 1)
                ok = prev == "digits" and first and word == "point" and bool(ahead) and ahead[0].kind == "int"
            elif kind == "and" and prev in ("digits", "scale", "hundred"):
                ahead = _tokens_after(text, tok.end, vocab, 2)
                kinds = [a.kind for a in ahead]
                if kinds == ["article", "fraction"]:
                    ok = _fraction_ok(text, ahead[1], vocab, strict=False)  # "2 and a half", "3 million and a half"
                elif prev == "hundred" and kinds[:1] == ["int"]:
                    ok = after_hundred_and = True  # "3 hundred and 21"
                elif prev == "hundred" and kinds[:1] == ["cardinal"]:
                    ok = vocab.cardinals[ahead[0].lower] < 100  # "3 hundred and one"
                elif prev == "scale" and kinds == ["cardinal", "scale"]:
                    smaller = vocab.hundred.get(ahead[1].lower) or vocab.scale_words.get(ahead[1].lower)
                    ok = smaller is not None and smaller < last_scale  # "6 crore and two hundred"
                if ok:
                    digit_mode = False
        else:
            if kind == "cardinal":
                ok = prev in ("", "scale", "and", "hundred", "point", "point_digit") or (
                    prev == "cardinal_tens" and vocab.cardinals[word] < 10
                )
                value = vocab.cardinals[word]
                is_tens = 20 <= value < 100 and value % 10 == 0
                if not ok and is_tens and prev in ("cardinal", "cardinal_tens", "article"):
                    # "one twenty-fifth", "twenty twenty fifths", "a twenty-first": a compound denominator
                    ok = _compound_ahead(text, tok, vocab)
                    if not ok and prev == "cardinal" and segment == 1 and 1 <= prev_value <= 9:
                        ok = spoken = _spoken_unit_ahead(text, tok, vocab)  # "one twenty two" = 122
                elif ok and spoken:
                    stop = True
                if ok and is_tens and not (segment > 0 and _compound_ahead(text, tok, vocab)):
                    # "the twenty-first century", "its one hundred twenty-fifth session": a rank, no number
                    ordinal = _token_at(text, tok.end, vocab)
                    if (
                        ordinal is not None
                        and ordinal.hyphen
                        and ordinal.kind in ("fraction", "ordinal")
                        and (ordinal.lower in vocab.singular_fractions or ordinal.lower in vocab.ordinals)
                        and (_denominator(ordinal, vocab) or Decimal(10)) < 10
                    ):
                        return pos
            elif kind == "scale":
                ok = prev in ("", "cardinal", "cardinal_tens", "article", "scale", "hundred", "fraction", "point_digit")
                if prev == "" and word in vocab.scale_words:
                    ok = False  # a bare "million" is not a number
                if prev == "" and word in vocab.hundred:
                    ok = False
            elif kind == "collective":
                ok = prev in ("article", "cardinal", "cardinal_tens", "hundred")
            elif kind in ("fraction", "ordinal"):
                den = _denominator(tok, vocab) or Decimal(0)
                compound = prev == "cardinal_tens" and segment >= 2 and den < 10
                if kind == "ordinal":
                    ok = compound  # "three twenty-firsts"
                else:
                    ok = prev in ("article", "cardinal", "cardinal_tens", "and_a", "hundred", "scale")
                ok = ok and _fraction_ok(text, tok, vocab, strict=compound or prev in ("hundred", "scale"))
                # "half a million", "half a dozen", "quarter million"
                ok = ok or (
                    kind == "fraction"
                    and prev == ""
                    and nxt in ("scale", "article")
                    and _fraction_of_scale(text, tok.end, vocab)
                )
                kind = "fraction"
            elif kind == "point":
                ok = prev in ("", "cardinal", "cardinal_tens", "hundred", "scale") and nxt == "cardinal"
                if prev == "":
                    # a bare "point" opens a number only as a spoken decimal point before digits, at a line
                    # start or after a sign ("point 77"); "at this point 77 people" stays 77
                    ahead = _tokens_after(text, tok.end, vocab, 1)
                    ok = (
                        text[tok.start : tok.end] == "point"
                        and bool(ahead)
                        and ahead[0].kind == "int"
                        and vocab.point_opens_re.search(text, 0, tok.start) is not None
                    )
                    if ok:
                        end = cursor = ahead[0].end
                        break
            elif kind == "article":
                ok = prev in ("", "and", "fraction") and (
                    nxt in ("scale", "collective", "fraction")
                    or (nxt == "cardinal" and _article_compound(text, tok, vocab))
                )
                if prev == "and":
                    ok = nxt == "fraction"
                    if ok:
                        kind = "and_a"
            elif kind == "and":
                ok = (
                    (prev in ("scale", "hundred") and nxt == "cardinal")
                    or (prev in ("cardinal", "cardinal_tens", "scale", "hundred") and nxt == "article")
                    or (
                        prev in ("cardinal", "cardinal_tens", "hundred")
                        and _fraction_phrase_ahead(text, tok.end, vocab)
                    )
                )
            elif word == "of" and prev == "fraction":
                # "two thirds of a million": "of a" before a scale reads like "half a million"
                ahead = _tokens_after(text, tok.end, vocab, 2)
                if (
                    len(ahead) == 2
                    and ahead[0].kind == "article"
                    and (ahead[1].kind == "collective" or ahead[1].lower in vocab.scale_words)
                ):
                    cursor = tok.end
                    first = False
                    continue
        if not ok:
            break
        if kind == "cardinal":
            value = prev_value = vocab.cardinals[word]
            if prev in ("point", "point_digit"):
                kind = "point_digit"  # digits after "point" go on ("point zero three")
            else:
                kind = "cardinal_tens" if value >= 20 and value % 10 == 0 else "cardinal"
        if kind == "scale" and word in vocab.hundred:
            kind = "hundred"
        if kind == "scale":
            last_scale = vocab.scale_words.get(word) or vocab.scale_words.get(word[:-1]) or last_scale
        if kind == "and":
            segment = 0
        elif kind not in ("point", "point_digit"):
            segment += 1
        prev = kind
        if kind not in ("and", "article", "and_a"):
            end = tok.end
        cursor = tok.end
        first = False
        if stop:
            break
    return end


def _spoken_unit_ahead(text: str, tens: _Token, vocab: NumberVocab) -> bool:
    """After "one twenty": a unit word follows and nothing more of a number ("one twenty two" = 122)."""
    ahead = _tokens_after(text, tens.end, vocab, 2)
    if not ahead or ahead[0].kind != "cardinal" or not 1 <= vocab.cardinals[ahead[0].lower] <= 9:
        return False
    return len(ahead) == 1 or ahead[1].kind in ("", "int")


def _article_compound(text: str, article: _Token, vocab: NumberVocab) -> bool:
    """ "a twenty-first", "an eighty-fifth of": an article before a compound denominator."""
    tens = _token_at(text, article.end, vocab)
    if tens is None or tens.kind != "cardinal":
        return False
    value = vocab.cardinals[tens.lower]
    return 20 <= value < 100 and value % 10 == 0 and _compound_ahead(text, tens, vocab)


def _fraction_of_scale(text: str, pos: int, vocab: NumberVocab) -> bool:
    """After a lone fraction word: is it "half million" / "half a million" / "half a dozen"?"""
    m = re.match(r"[ \t]+(?:an?[ \t]+)?([A-Za-z]+)", text[pos:])
    return m is not None and _word_kind(m.group(1), vocab) in ("scale", "collective")


def _peek_word(text: str, pos: int, vocab: NumberVocab) -> str:
    sep = _SEP.match(text, pos)
    if sep is None:
        return ""
    wm = vocab.word_re.match(text, sep.end())
    return _word_kind(wm.group(), vocab) if wm else ""
