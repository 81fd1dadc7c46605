"""Names of entities, found in the text itself and made canonical by general rules.

A place the rules never named must still come out right: :class:`NameFinder` reads proper-name runs
from the clean text (capitalized words joined by connectors such as ``of``/``and``, hyphenated parts,
the machine-translation spellings ``hi tech``/``high tech``), gives each a canonical form (articles and
possessives dropped, case and spelling variants unified: ``chengdu High -tech Zone`` and ``Chengdu hi tech
Zone`` are both ``Chengdu Hi-tech Zone``), a comparison key (administrative suffixes dropped: ``Guangdong
Province`` is ``Guangdong``) and a type from the name's head word (``... Zone`` is a zone), which is what
anaphors such as ``the zone`` can refer to. ``rules/entities.yml`` only adds aliases (``SIAT``) and the
canonical spelling of names the text writes otherwise.

:class:`DocNames` is one document's registry: every name with its clean-text span, shorter names
resolved to the longer name of the same document they abbreviate (``the Materials Laboratory`` ->
``Songshan Lake Materials Laboratory``), and the document's main entity (weighted by title and lead).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import Field

from pipeline.ruleio import StrictModel

__all__ = [
    "DocNames",
    "Name",
    "NameExample",
    "NameFinder",
    "NameRules",
    "NameSpelling",
]


class NameSpelling(StrictModel):
    """A spelling variant inside names: every match of ``pattern`` is written ``replace``."""

    pattern: str
    replace: str


class NameExample(StrictModel):
    text: str
    expect: list[str]  #: canonical names found, in text order
    xfail: str | None = None


class NameRules(StrictModel):
    #: type -> head words (lower case) that end a name of that type ("zone", "science park")
    heads: dict[str, list[str]]
    #: types that are never what a claim is about by default (sources, documents, media)
    not_subjects: list[str]
    #: lower-case words that may join two capitalized words inside a name
    connectors: list[str]
    #: capitalized words that open sentences, not names ("In", "According", "Currently")
    not_starts: list[str]
    #: words that may be written in lower case inside a name (MT spellings), as regular expressions
    lowercase_parts: list[str]
    spellings: list[NameSpelling]
    #: trailing words that do not change what a name refers to ("Shenzhen city" is Shenzhen)
    drop_suffixes: list[str]
    #: capitalized words and acronyms that are common nouns, not names ("GDP", "R&D")
    not_names: list[str]
    #: titles that mark the name next to them as a person's ("mayor", "director")
    person_titles: list[str]
    #: common nouns that are places of their own ("the world")
    place_words: list[str] = Field(default_factory=list)
    #: verbs after a name that make it a person's ("Liang said")
    speech_verbs: list[str]
    scope_cues: list[str]
    source_cues: list[str]
    examples: list[NameExample] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Name:
    """One name in a document: its clean-text span and what it canonically is."""

    start: int
    end: int
    surface: str
    canonical: str
    key: str
    type: str
    known: bool = False  #: named by rules/entities.yml


@dataclass(frozen=True, slots=True)
class KnownEntity:
    """An entity of ``rules/entities.yml``: canonical name, type and surface forms."""

    name: str
    type: str
    aliases: tuple[str, ...]


_PREPOSITIONS = frozenset({"of", "for", "on"})
_WORD = r"[A-Za-z0-9][\w&’'.-]*[\w&]|[A-Za-z0-9&]"
_POSSESSIVE = re.compile(r"[’']s?$")


@dataclass
class NameFinder:
    """Finds and canonicalizes names; built once from the rules and reused for every document."""

    rules: NameRules
    known: Sequence[KnownEntity] = ()
    _lower_parts: re.Pattern[str] = field(init=False, repr=False)
    _token: re.Pattern[str] = field(init=False, repr=False)
    _not_names: frozenset[str] = field(init=False, repr=False)
    _titles: frozenset[str] = field(init=False, repr=False)
    _head_words: frozenset[str] = field(init=False, repr=False)
    _speech: frozenset[str] = field(init=False, repr=False)
    _spellings: list[tuple[re.Pattern[str], str]] = field(init=False, repr=False)
    _heads: list[tuple[tuple[str, ...], str]] = field(init=False, repr=False)
    _known_by_key: dict[str, KnownEntity] = field(init=False, repr=False)
    _known_regex: re.Pattern[str] | None = field(init=False, repr=False)
    _not_starts: frozenset[str] = field(init=False, repr=False)
    _connectors: frozenset[str] = field(init=False, repr=False)
    _suffixes: list[tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rules = self.rules
        parts = "|".join(rules.lowercase_parts)
        self._lower_parts = re.compile(r"(?:" + parts + r")\Z", re.IGNORECASE)
        self._token = re.compile(r"(?i:\b(?:" + parts + r")\b)|" + _WORD)
        self._not_names = frozenset(w.lower() for w in rules.not_names)
        self._titles = frozenset(w.lower() for w in rules.person_titles)
        self._spellings = [(re.compile(s.pattern, re.IGNORECASE), s.replace) for s in rules.spellings]
        heads = [(tuple(h.lower().split()), kind) for kind, words in rules.heads.items() for h in words]
        self._heads = sorted(heads, key=lambda h: -len(h[0]))
        self._head_words = frozenset(h[-1] for h, _kind in heads)
        self._speech = frozenset(w.lower() for w in rules.speech_verbs)
        self._not_starts = frozenset(w.lower() for w in rules.not_starts)
        self._connectors = frozenset(w.lower() for w in rules.connectors)
        self._suffixes = sorted((tuple(s.lower().split()) for s in rules.drop_suffixes), key=len, reverse=True)
        self._known_by_key = {}
        for entity in self.known:
            for alias in (entity.name, *entity.aliases):
                self._known_by_key.setdefault(self.key(alias), entity)
        aliases = sorted({re.escape(a) for e in self.known for a in (e.name, *e.aliases)}, key=len, reverse=True)
        self._known_regex = (
            re.compile(r"(?<![\w-])(?:" + "|".join(aliases) + r")(?![\w-])", re.IGNORECASE) if aliases else None
        )

    # --- canonical forms ------------------------------------------------------------------

    def canonical(self, surface: str) -> str:
        """The display form of a name: no article or possessive, spelling and case unified."""
        text = " ".join(surface.replace("\u00a0", " ").split())
        text = re.sub(r"\s*-\s*", "-", text)
        text = _POSSESSIVE.sub("", text)
        text = re.sub(r"^(?:the|The|THE)\s+", "", text)
        for regex, replace in self._spellings:
            text = regex.sub(replace, text)
        words = [
            w if w[:1].isupper() or w.lower() in self._connectors or not w[:1].isalpha() else w[:1].upper() + w[1:]
            for w in text.split(" ")
        ]
        known = self.known_entity(" ".join(words))
        return known.name if known is not None else " ".join(words)

    def key(self, name: str) -> str:
        """The comparison key: case, articles, plurals, spelling and administrative suffixes folded."""
        text = name.lower().replace("’", "'")
        for regex, replace in self._spellings:
            text = regex.sub(replace.lower(), text)
        words = [w for w in re.findall(r"[0-9a-z&]+", re.sub(r"'s\b", "", text)) if w != "the"]
        for suffix in self._suffixes:
            if len(words) > len(suffix) and tuple(words[-len(suffix) :]) == suffix:
                words = words[: -len(suffix)]
                break
        return " ".join(_fold_plural(w) for w in words)

    def type_of(self, canonical: str) -> str:
        known = self.known_entity(canonical)
        if known is not None:
            return known.type
        words = tuple(canonical.lower().replace("-", " ").split())
        for k, word in enumerate(words[1:], start=1):
            if word in ("of", "on", "for"):  # "Bureau of Statistics", "Report on ...": the head comes first
                words = words[:k]
                break
        for head, kind in self._heads:
            if len(words) >= len(head) and words[-len(head) :] == head:
                return kind
        return "name"

    def known_entity(self, name: str) -> KnownEntity | None:
        """The entities.yml entity a name is, by its key or as the tail of a longer known name
        ("the Spallation Neutron Source" is the China Spallation Neutron Source)."""
        key = self.key(name)
        known = self._known_by_key.get(key)
        if known is not None or key.count(" ") < 1:
            return known
        tails = {e.name: e for k, e in self._known_by_key.items() if k.endswith(" " + key)}
        return next(iter(tails.values())) if len(tails) == 1 else None

    # --- finding names ----------------------------------------------------------------------

    def find(self, text: str) -> list[Name]:
        """Every name in ``text``: proper-name runs and the aliases of ``rules/entities.yml``."""
        tokens = [(m.start(), m.end()) for m in self._token.finditer(text)]
        runs = [
            part
            for run in self._runs(text, tokens)
            if not self._defined_term(text, run[-1][1])
            for part in self._split_lists(text, run)
            if part
        ]
        # a sentence-initial word is a name only if the text also writes it capitalized on its own elsewhere
        capitalized_elsewhere = {
            _POSSESSIVE.sub("", text[run[0][0] : run[0][1]])
            for run in runs
            if len(run) == 1 and not _sentence_start(text, run[0][0])
        }
        names = [n for n in (self._name(text, run, capitalized_elsewhere) for run in runs) if n is not None]
        names = self._extend_lowercase_starts(text, tokens, names)
        names.extend(self._place_words(text))
        names.extend(self._places_in_authorities(names))
        known = self._known_mentions(text, names)
        names = [n for n in names if not any(k.start <= n.start and n.end <= k.end for k in known)] + known
        unique = {(n.start, n.end): n for n in sorted(names, key=lambda n: (n.start, n.end, not n.known))}
        return sorted(unique.values(), key=lambda n: (n.start, n.end))

    def _is_head(self, word: str) -> bool:
        return word.lower() in self._head_words

    def _is_name_word(self, word: str) -> bool:
        return word[:1].isupper() or self._lower_parts.match(word) is not None

    def _runs(self, text: str, tokens: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
        """Maximal runs of name words, joined by single spaces or connectors."""
        runs: list[list[tuple[int, int]]] = []
        current: list[tuple[int, int]] = []
        k = 0
        while k < len(tokens):
            start, end = tokens[k]
            word = text[start:end]
            joined = current and _only_spaces(text, current[-1][1], start)
            if self._is_name_word(word) and (joined or not current):
                current.append((start, end))
                k += 1
                if _POSSESSIVE.search(word):
                    runs.append(current)
                    current = []
                continue
            if (
                current
                and joined
                and word.lower() in self._connectors
                and (
                    word.lower() not in _PREPOSITIONS
                    or self._is_head(text[current[-1][0] : current[-1][1]])
                    or self._is_head(text[current[0][0] : current[0][1]])
                )
                and k + 1 < len(tokens)
                and _only_spaces(text, end, tokens[k + 1][0])
                and self._is_name_word(text[tokens[k + 1][0] : tokens[k + 1][1]])
            ):
                current.append((start, end))
                k += 1
                continue
            if current:
                runs.append(current)
                current = []
            if not self._is_name_word(word):
                k += 1
        if current:
            runs.append(current)
        return runs

    def _name(self, text: str, run: list[tuple[int, int]], capitalized_elsewhere: set[str]) -> Name | None:
        while run and (
            text[run[0][0] : run[0][1]].lower() in self._not_starts
            or _is_connector_or_digit(text[run[0][0] : run[0][1]], self._connectors)
        ):
            run = run[1:]
        while run and text[run[-1][0] : run[-1][1]].lower() in self._connectors:
            run = run[:-1]
        if not any(text[s:e][:1].isupper() for s, e in run):
            return None
        first = _POSSESSIVE.sub("", text[run[0][0] : run[0][1]])
        lone_opener = len(run) == 1 and _sentence_start(text, run[0][0])
        possessive = _POSSESSIVE.search(text[run[0][0] : run[0][1]]) is not None  # "Hangzhou's output"
        if lone_opener and first not in capitalized_elsewhere and not first.isupper() and not possessive:
            return None
        start, end = run[0][0], run[-1][1]
        surface = _POSSESSIVE.sub("", text[start:end])
        if not any(ch.isalpha() for ch in surface) or (len(run) == 1 and len(first) == 1):
            return None
        if self.key(surface) in self._not_names or text[end : end + 1] in "$€£¥":
            return None  # a common noun, or a currency prefix ("US$1.35 trillion")
        following = re.match(r" ([a-z][a-z-]+)\b", text[end : end + 24])
        if following and self.known_entity(text[start:end] + following.group()) is not None:
            end += following.end()  # "the SZ-HK-GZ cluster": the alias includes its lower-case head
        name = self.make(start, end, text[start:end])
        kind = self._kind_after(text, end) or ("person" if self._is_person(text, start, end) else "")
        if kind and not name.known:
            name = Name(name.start, name.end, name.surface, name.canonical, name.key, kind, name.known)
        return name

    def _defined_term(self, text: str, end: int) -> bool:
        """ "Research and Experimental Development (R&D)": a term an acronym of a common noun abbreviates."""
        defined = re.match(r"\s*\(([^()]{1,12})\)", text[end : end + 16])
        return defined is not None and self.key(defined.group(1)) in self._not_names

    def _kind_after(self, text: str, end: int) -> str:
        """ "the Peacock program", "the Torch plan": a lower-case head after the name says it is a document
        (or an authority, a medium)."""
        if re.match(r"\s\d+[A-Za-z]*\s+[A-Z]", text[end : end + 24]):
            return "product"  # a model number inside a product name: "Dawn 6000 Supercomputer", "Mate 60 Pro"
        after = re.match(r"\s([a-z]+)\b", text[end : end + 20])
        if after is None:
            return ""
        kind = self.type_of("X " + after.group(1))
        return kind if kind in self.rules.not_subjects else ""

    def _is_person(self, text: str, start: int, end: int) -> bool:
        """A name next to a personal title ("mayor Xu Qin", "Zhang Lin, Director of ...") is a person."""
        before = re.findall(r"[\w’'-]+", text[max(0, start - 40) : start])
        after = re.findall(r"[\w’'-]+", text[end : end + 40])
        if before and before[-1].lower() in self._titles:
            return True
        if after and after[0].lower() in self._speech and re.match(r",?\s", text[end : end + 2]):
            return True
        return bool(after and after[0].lower() in self._titles and re.match(r",\s", text[end : end + 2]))

    def _split_lists(self, text: str, run: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
        """ "Huawei and Tencent" are two names; "Development and Reform Commission" is one."""
        words = [text[s:e].lower() for s, e in run]
        if "and" not in words or any(w in ("of", "for", "on") for w in words[: words.index("and")]):
            return [run]
        if self.type_of(" ".join(words)) != "name":
            return [run]
        k = words.index("and")
        return [run[:k], *self._split_lists(text, run[k + 1 :])]

    def make(self, start: int, end: int, surface: str, known: bool = False) -> Name:
        canonical = self.canonical(surface)
        is_known = known or self.known_entity(canonical) is not None
        return Name(start, end, surface, canonical, self.key(canonical), self.type_of(canonical), is_known)

    def _extend_lowercase_starts(self, text: str, tokens: list[tuple[int, int]], names: list[Name]) -> list[Name]:
        """``chengdu High-tech Zone``: a lower-case word the document writes capitalized opens the name."""
        firsts = {n.canonical.split(" ")[0].split("-")[0] for n in names}
        starts = {s: k for k, (s, _e) in enumerate(tokens)}
        out = []
        for name in names:
            k = starts.get(name.start)
            if k and k > 0:
                s, e = tokens[k - 1]
                word = text[s:e]
                if word.islower() and word.capitalize() in firsts and _only_spaces(text, e, name.start):
                    name = self.make(s, name.end, text[s : name.end])
            out.append(name)
        return out

    def _known_mentions(self, text: str, names: Sequence[Name]) -> list[Name]:
        """Aliases of rules/entities.yml, wherever they are not part of a longer name."""
        if self._known_regex is None:
            return []
        found = []
        for match in self._known_regex.finditer(text):
            if not any(n.start <= match.start() and match.end() <= n.end for n in names):
                found.append(self.make(match.start(), match.end(), match.group(), known=True))
        return found

    def _places_in_authorities(self, names: Sequence[Name]) -> list[Name]:
        """ "the Anhui Provincial Bureau of Statistics" also names the province Anhui."""
        found = []
        for n in names:
            if n.type != "authority":
                continue
            match = re.match(r"((?:[A-Z][\w'-]+ ){1,2}?)(Provincial|Municipal|City|County|District)\b", n.surface)
            if match:
                kind = {"Provincial": "province", "Municipal": "city", "City": "city"}.get(match.group(2), "district")
                place = match.group(1).strip()
                found.append(Name(n.start, n.start + len(place), place, self.canonical(place), self.key(place), kind))
        return found

    def _place_words(self, text: str) -> list[Name]:
        """Common nouns that name a place of their own ("in the world")."""
        if not self.rules.place_words:
            return []
        words = "|".join(re.escape(w) for w in self.rules.place_words)
        found = []
        for m in re.finditer(r"\bthe\s+(" + words + r")\b", text):
            found.append(Name(m.start(1), m.end(1), m.group(1), m.group(1), m.group(1), "region", False))
        return found

    def inner_known(self, text: str) -> list[Name]:
        """Every alias of rules/entities.yml in ``text``, inside longer names too (a title such as
        "Greater Bay Area Development Report" is about the Greater Bay Area)."""
        if self._known_regex is None:
            return []
        return [self.make(m.start(), m.end(), m.group(), known=True) for m in self._known_regex.finditer(text)]


def _fold_plural(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _only_spaces(text: str, start: int, end: int) -> bool:
    gap = text[start:end]
    return 0 < len(gap) <= 2 and gap.strip(" \u00a0") == ""


def _is_connector_or_digit(word: str, connectors: frozenset[str]) -> bool:
    return word.lower() in connectors or word[:1].isdigit()


def _sentence_start(text: str, pos: int) -> bool:
    before = text[max(0, pos - 3) : pos].rstrip(" \"“‘'(")
    return not before or before[-1] in ".!?\n"


# ---------------------------------------------------------------------------------------------
# one document's names


@dataclass
class DocNames:
    """The names of one document, each resolved to the fullest name it stands for."""

    names: list[Name]
    not_subjects: frozenset[str]
    main: Name | None = None
    main_weight: int = 0

    @classmethod
    def build(cls, finder: NameFinder, text: str, title: str = "", lead_end: int = 0) -> DocNames:
        names = _resolve_abbreviations(finder.find(text), text)
        doc = cls(names, frozenset(finder.rules.not_subjects))
        title_names = [n for n in finder.find(title) if n.type not in doc.not_subjects] if title else []
        title_names += [
            n for n in finder.inner_known(title) if (n.start, n.end) not in {(t.start, t.end) for t in title_names}
        ]
        doc.main, doc.main_weight = doc._main_entity(title_names, lead_end)
        return doc

    def add_parsed(self, finder: NameFinder, text: str, found: Iterable[tuple[int, int, str, str]]) -> None:
        """Entities the parser labelled in one sentence (absolute start, end, text, label): a person
        marks the names it covers; a place or organization no rule found becomes a name."""
        for start, end, surface, label in found:
            if label == "PERSON" and " " not in surface:
                continue  # the small model calls many a one-word Chinese place a person ("Zibo", "Kaifeng")
            if label == "PERSON":
                self.names = [
                    Name(n.start, n.end, n.surface, n.canonical, n.key, "person", n.known)
                    if start <= n.start and n.end <= end and not n.known and n.type == "name"
                    else n
                    for n in self.names
                ]
            elif (
                label in ("GPE", "LOC", "FAC", "ORG", "SUBJECT")
                and surface[:1].isupper()
                and (" " in surface or label in ("GPE", "LOC", "SUBJECT") or not _sentence_start(text, start))
                and not any(n.start < end and start < n.end for n in self.names)
            ):
                name = finder.make(start, end, surface)
                if name.key and name.key not in finder._not_names:
                    self.names = sorted([*self.names, name], key=lambda n: (n.start, n.end))

    def first(self, fits: Mapping[str, int]) -> Name | None:
        """The first subject name of a fitting type anywhere in the document."""
        return next((n for n in self.subjects() if n.type in fits), None)

    def subjects(self) -> Iterable[Name]:
        return (n for n in self.names if n.type not in self.not_subjects)

    def within(self, start: int, end: int) -> list[Name]:
        """Names whose span lies inside ``[start, end)``, in text order."""
        return [n for n in self.names if start <= n.start and n.end <= end]

    def at(self, start: int, end: int) -> Name | None:
        """The name covering ``[start, end)`` (or most of it), if any."""
        covering = [n for n in self.names if n.start <= start and end <= n.end or start <= n.start < n.end <= end]
        return max(covering, key=lambda n: n.end - n.start, default=None)

    def nearest_before(self, pos: int, fits: Mapping[str, int], lower: int = 0) -> Name | None:
        """The last subject name before ``pos`` (not before ``lower``) whose type ``fits``."""
        found = None
        for n in self.names:
            if n.end > pos:
                break
            if n.start >= lower and n.type in fits and n.type not in self.not_subjects:
                found = n
        return found

    def _main_entity(self, title_names: Sequence[Name], lead_end: int) -> tuple[Name | None, int]:
        weights: Counter[str] = Counter()
        first: dict[str, Name] = {}
        for n in self.subjects():
            weights[n.canonical] += 2 if n.start < lead_end else 1
            first.setdefault(n.canonical, n)
        for n in title_names:
            if n.type not in self.not_subjects:
                weights[n.canonical] += 3
                first.setdefault(n.canonical, n)
        if not weights:
            return None, 0
        name, weight = sorted(weights.items(), key=lambda kv: (-kv[1], first[kv[0]].start, kv[0]))[0]
        return first[name], weight


def _resolve_abbreviations(names: list[Name], text: str = "") -> list[Name]:
    """A name stands for a longer name of the same document when its key ends that name ("the Materials
    Laboratory"), is that name before its "of" ("Optics Valley" of "Optics Valley of China"), or when the
    text says it is another name ("A, also known as B"; "A (B)")."""
    fullest: dict[str, Name] = {}
    for n in names:
        words = n.key.split()
        for other in names:
            longer = other.key.split()
            if n.known or len(longer) <= len(words):
                continue
            tail = longer[-len(words) :] == words
            head = len(words) >= 2 and longer[: len(words) + 1] == [*words, "of"]
            if tail or head:
                best = fullest.get(n.key)
                if best is None or len(other.key) > len(best.key):
                    fullest[n.key] = other
    for first, second in _also_known_as(names, text):
        if not second.known:
            fullest[second.key] = first
    out = []
    for n in names:
        full, seen = fullest.get(n.key), {n.key}
        while full is not None and full.key in fullest and full.key not in seen:  # A aka B, B abbreviated C
            seen.add(full.key)
            full = fullest[full.key]
        if full is not None and full.key != n.key:
            n = Name(n.start, n.end, n.surface, full.canonical, full.key, full.type, full.known)
        out.append(n)
    return out


def _also_known_as(names: list[Name], text: str) -> list[tuple[Name, Name]]:
    """(name, the other name the text gives it): "A, also known as B", "A, or B", "A (B)"."""
    pairs = []
    for a, b in zip(names, names[1:], strict=False):
        between = text[a.end : b.start]
        aka = re.fullmatch(r"\s*(?:,\s*)?(?:also |commonly |often )?(?:known|called|referred to) as (?:the )?", between)
        acronym = re.fullmatch(r"\s*\(\s*", between) and b.surface.isupper() and text[b.end : b.end + 1] == ")"
        if aka or acronym:
            pairs.append((a, b))
    return pairs
