"""Who a quantity is about, read from its sentence's parse and the document's names.

Resolution order (the first that yields a name wins; ``why`` says which):

1. a name right before the bracket the quantity stands in (``Shanghai (2.49 trillion yuan)``);
2. the phrases the quantity belongs to, nearest first: the possessor of its noun (``Shenzhen's GDP``),
   the noun that owns the amount (``investment of ...``), the noun a participle describes, the clause's
   subject, then ``in``/``for``/``by``/``of``/``to`` phrases of the quantity, its owner and its verb. In a
   phrase, the name its head word belongs to wins, else the last name in it (``the R&D expenditure of 9
   cities in the Pearl River Delta in the Greater Bay Area`` -> ``Greater Bay Area``); a phrase without a
   name may be an anaphor (``the city``, ``its``), resolved to the nearest earlier name of a fitting type,
   else the document's main entity;
3. ``here``: the most specific name earlier in the paragraph;
4. a name earlier in the sentence, then one after ``in``/``to``/``for`` later in it;
5. the section heading when it is a name; the entity carried in the paragraph; the main entity.

Names that only set a comparison scope (``first in China``, ``13th in the world``, ``among Chinese
cities``) or a source (``according to the Bureau``) are never the entity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.attribution.names import DocNames, Name

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

__all__ = ["AnaphorRule", "EntityResolver", "Resolved"]

_SUBJ = {"nsubj", "nsubjpass", "csubj", "csubjpass"}
_PREPS = ("in", "for", "by", "of", "to", "within", "across")
#: participles that make a counted set the members of a group ("cities involved in the Bay Area")
_MEMBERSHIP = frozenset({"involved", "included", "belonging", "participating"})
#: types an anaphor for a place may also take when the name's own type is unknown
_PLACE_LIKE = "name"


@dataclass(frozen=True, slots=True)
class Resolved:
    name: str
    type: str
    why: str
    penalty: float


@dataclass(frozen=True, slots=True)
class AnaphorRule:
    regex: re.Pattern[str]
    types: tuple[str, ...]


@dataclass
class EntityResolver:
    """Resolves entities for one document; ``last`` carries the paragraph's entity between calls."""

    text: str
    names: DocNames
    anaphora: Sequence[AnaphorRule]
    scope: re.Pattern[str]  #: matches the words before a name that make it a comparison scope
    source: re.Pattern[str]  #: matches the words before a name that make it a source
    paragraph_start: Callable[[int], int]
    heading_at: Callable[[int], str]
    types_of: Callable[[str], str]

    def resolve(
        self, sent_start: int, sent_end: int, parse_span: Span, number: Token, unit: Token | None, last: Resolved | None
    ) -> Resolved | None:
        """The entity of the quantity ``parse_span`` (tokens of a sentence parse starting at ``sent_start``);
        ``last`` is the entity the paragraph spoke of last (what ``it`` refers to)."""
        q_start = sent_start + parse_span.start_char
        q_end = sent_start + parse_span.end_char
        found = self._here(sent_start, sent_end) or self._bracketed(q_start, sent_start)
        if found is not None:
            return found
        anchor = unit or number
        for how, token in _candidates(anchor, parse_span):
            found = self._from_phrase(how, token, sent_start, q_start, q_end, last)
            if found is not None:
                return found
        return None

    def _here(self, sent_start: int, sent_end: int) -> Resolved | None:
        """ "here": the place the sentence before is about (its first place), else the paragraph's last."""
        if not re.search(r"\bhere\b", self.text[sent_start:sent_end]):
            return None
        previous = [n for n in self._previous_sentence_names(sent_start) if n.type in _PLACES]
        nearest = previous[:1] or self._places(self.paragraph_start(sent_start), sent_start)[-1:]
        if not nearest:
            return None
        return Resolved(nearest[0].canonical, nearest[0].type, f"entity from 'here' ('{nearest[0].canonical}')", 0.1)

    def _named_before(self, pos: int) -> Name | None:
        """A name the sentence before introduces ("a platform known as the Civil Embassy"): what "it" means."""
        names = self._previous_sentence_names(pos)
        for n in reversed(names):
            if _NAMING.search(self.text[max(0, n.start - 24) : n.start]):
                return n
        return None

    def _previous_sentence_names(self, pos: int) -> list[Name]:
        """Usable names of the sentence before the one at ``pos``, within its paragraph."""
        lower = self.paragraph_start(pos)
        head = self.text[lower:pos]
        ends = [m.end() for m in re.finditer(r"[.!?][\"”’)]*\s+", head)]
        this_start = lower + (ends[-1] if ends and ends[-1] <= len(head) else 0)
        if ends and ends[-1] >= len(head.rstrip()):  # pos is at a sentence start
            this_start = pos
        before = self.text[lower:this_start]
        starts = [m.end() for m in re.finditer(r"[.!?][\"”’)]*\s+", before.rstrip())]
        prev_start = lower + (starts[-1] if starts else 0)
        return [n for n in self.names.within(prev_start, this_start) if self._usable_name(n)]

    def fallback(
        self, sent_start: int, sent_end: int, q_start: int, q_end: int, previous: Resolved | None = None
    ) -> Resolved | None:
        """The entity of the previous quantity of the sentence, a place named elsewhere in it, then the
        section heading, when no phrase of the quantity names an entity."""
        if previous is not None:
            return Resolved(previous.name, previous.type, f"entity of the previous quantity ('{previous.name}')", 0.15)
        member = re.search(r"\bone of(?: the| its| their)?\s*$", self.text[sent_start:q_start]) is not None
        before = [] if member else self._places(sent_start, q_start)  # "X is one of the 60 projects": a member
        if before:
            n = before[-1]
            return Resolved(n.canonical, n.type, f"entity named earlier in the sentence '{n.canonical}'", 0.15)
        after = re.search(r"\b(?:in|to|for)\s+(?:the\s+)?", self.text[q_end:sent_end])
        if after is not None:
            later = [n for n in self._places(q_end + after.end(), sent_end) if n.start == q_end + after.end()]
            if later:
                n = later[0]
                return Resolved(n.canonical, n.type, f"entity named later in the sentence '{n.canonical}'", 0.15)
        heading = self.heading_at(q_start)
        if heading:
            return Resolved(heading, self.types_of(heading), f"entity from section heading '{heading}'", 0.15)
        return None

    def main(self) -> Resolved | None:
        main = self.names.main
        if main is None:
            return None
        why = f"no subject: document's main entity '{main.canonical}' ({self.names.main_weight} mentions)"
        return Resolved(main.canonical, main.type, why, 0.3)

    # --- the phrases of a quantity ------------------------------------------------------------

    def _bracketed(self, q_start: int, sent_start: int) -> Resolved | None:
        before = self.text[sent_start:q_start]
        bracket = re.search(r"([^\s(])\s*\(\s*(?:about|around|over|nearly|some)?\s*$", before)
        if bracket is None:
            return None
        end = sent_start + bracket.end(1)
        # the name heading the noun phrase right before the bracket ("OECD countries (2.7%)")
        phrase = re.search(r"[^,;:()]{0,30}$", self.text[sent_start:end])
        lower = end - (len(phrase.group()) if phrase else 0)
        named = [n for n in self.names.within(lower, end) if self._usable_name(n)]
        if not named:
            return None
        n = named[-1]
        return Resolved(n.canonical, n.type, f"entity from the name before the bracket '{n.canonical}'", 0.05)

    def _from_phrase(
        self, how: str, token: Token, sent_start: int, q_start: int, q_end: int, last: Resolved | None
    ) -> Resolved | None:
        """The name a phrase is about: its head's own name, its possessor, else the name nearest its head."""
        phrase = _core(token)
        start = sent_start + min(t.idx for t in phrase)
        end = sent_start + max(t.idx + len(t.text) for t in phrase)
        shown = self.text[start:end].strip()[:60]
        if token.dep_ == "prep" and self.scope.search(self.text[max(0, start - 48) : start] + token.text + " "):
            return None  # "also first in the municipality": a comparison's scope
        head_name = self._name_at(sent_start + token.idx, q_start, q_end)
        if head_name is not None:
            return Resolved(head_name.canonical, head_name.type, f"entity from {how} '{shown}'", 0.0)
        if token.text.islower() and token.lower_ in _DESCRIPTIONS:
            # "Dongguan's premier tech district": a description of a place named elsewhere, not its owner
            resolved = self._anaphor(f"the {token.lower_}", start, last)
            if resolved is not None:
                return Resolved(resolved.name, resolved.type, f"entity from anaphor '{shown}' -> {resolved.why}", 0.1)
        for owner in (c for c in token.children if c.dep_ == "poss"):
            found = self._from_phrase(f"the possessor in {how}", owner, sent_start, q_start, q_end, last)
            if found is not None:
                return found
        head_named = self.names.at(sent_start + token.idx, sent_start + token.idx + 1)
        if head_named is not None and head_named.type in self.names.not_subjects:
            return None  # "the center's Dawn 6000 Supercomputer System": a product's own name parts are no owner
        by_depth = sorted(
            (
                (depth, -t.i, n)
                for t, depth in phrase.items()
                if (n := self._name_at(sent_start + t.idx, q_start, q_end))
            ),
            key=lambda x: (x[0], x[1]),
        )
        if by_depth:
            n = by_depth[0][2]
            return Resolved(n.canonical, n.type, f"entity from {how} '{shown}'", 0.0)
        text = self.text[start : min(end, q_start) if start < q_start else end]
        resolved = self._anaphor(text, start, last)
        if resolved is not None:
            why = f"entity from anaphor '{text.strip()[:30]}' -> {resolved.why}"
            return Resolved(resolved.name, resolved.type, why, 0.1)
        return None

    def _name_at(self, pos: int, q_start: int, q_end: int) -> Name | None:
        name = self.names.at(pos, pos + 1)
        if name is None or q_start <= name.start < q_end or not self._usable_name(name):
            return None
        return name

    def _anaphor(self, phrase: str, pos: int, last: Resolved | None) -> Resolved | None:
        lowered = phrase.lower().strip()
        for rule in self.anaphora:
            if rule.regex.match(lowered) or rule.regex.search(lowered[:24]):
                return self._antecedent(rule.types, pos, last)
        return None

    def _antecedent(self, types: Sequence[str], pos: int, last: Resolved | None) -> Resolved | None:
        """A typed anaphor ("the zone") takes the section heading or the nearest name of its type; "it"
        takes what the paragraph spoke of last, else the nearest place."""
        heading = self.heading_at(pos)
        if heading and "any" not in types and self.types_of(heading) in types:
            return Resolved(heading, self.types_of(heading), f"section heading '{heading}'", 0.1)
        if "any" in types:
            named = self._named_before(pos)
            if named is not None:
                return Resolved(
                    named.canonical, named.type, f"the name the sentence before gives ('{named.canonical}')", 0.1
                )
            if last is not None:
                return Resolved(last.name, last.type, f"what the paragraph spoke of ('{last.name}')", 0.1)
            places = self._places(self.paragraph_start(pos), pos)
            if places:
                return Resolved(places[-1].canonical, places[-1].type, f"nearest place '{places[-1].canonical}'", 0.1)
        else:
            fits = dict.fromkeys(types, 1)
            nearest = (
                self.names.nearest_before(pos, fits, self.paragraph_start(pos))
                or self.names.nearest_before(pos, fits)
                or self.names.first(fits)
            )
            if nearest is not None:
                return Resolved(nearest.canonical, nearest.type, f"nearest antecedent '{nearest.canonical}'", 0.1)
        main = self.names.main
        if main is not None and ("any" in types or main.type in types or main.type == _PLACE_LIKE):
            return Resolved(main.canonical, main.type, f"document's main entity '{main.canonical}'", 0.15)
        return None

    # --- which names may be an entity ---------------------------------------------------------

    def _usable_name(self, n: Name) -> bool:
        return n.type not in self.names.not_subjects and not self._scope_or_source(n) and not self._quoted(n)

    def _places(self, start: int, end: int) -> list[Name]:
        """Usable names of places (not organizations or facilities) in ``[start, end)``."""
        return [n for n in self.names.within(start, end) if n.type in _PLACES and self._usable_name(n)]

    def _quoted(self, n: Name) -> bool:
        """A name in quotes is a title or a slogan, unless it is what something is called ("known as")."""
        if self.text[max(0, n.start - 1) : n.start] not in ('"', "“", "'", "‘"):
            return False
        return _NAMING.search(self.text[max(0, n.start - 24) : n.start]) is None

    def _scope_or_source(self, n: Name) -> bool:
        before = self.text[max(0, n.start - 48) : n.start]
        return self.scope.search(before) is not None or self.source.search(before) is not None


#: what introduces a name ("a platform known as the "Civil Embassy"")
_NAMING = re.compile(r"\b(?:known as|called|named|dubbed)\s+(?:the\s+)?[\"“‘']?$")
#: head nouns that describe a place rather than own a figure ("the city's premier tech district")
_DESCRIPTIONS = frozenset({"city", "district", "zone", "park", "region", "province", "country", "nation"})
#: types a sentence-level fallback may take: places, not the organizations listed beside a quantity
_PLACES = frozenset(
    {"name", "city", "province", "region", "zone", "district", "park", "country", "cluster", "group", "partnership"}
)
#: dependencies that stay inside a noun phrase's core (no conjuncts, clauses or appositions)
_CORE_DEPS = frozenset({"compound", "amod", "nmod", "poss", "prep", "pobj", "det", "case", "punct", "npadvmod"})


def _core(head: Token, limit: int = 4) -> dict[Token, int]:
    """The tokens of a noun phrase's core with their distance from ``head``: modifiers and prepositional
    complements, not conjuncts or clauses (a list of items is not the item's owner). A complement other
    than ``of``/``in``/``at`` (``for Hong Kong``) counts as farther away."""
    found: dict[Token, int] = {head: 0}
    frontier = [head]
    while frontier:
        token = frontier.pop(0)
        for child in token.children:
            if child.dep_ not in _CORE_DEPS or child in found:
                continue
            step = 2 if child.dep_ == "prep" and child.lower_ not in ("of", "in", "at", "within") else 1
            if found[token] + step <= limit:
                found[child] = found[token] + step
                frontier.append(child)
    return found


class _Any(dict[str, int]):
    """Fits every type (for ``it``, ``its``, ``here``)."""

    def __contains__(self, key: object) -> bool:
        return True


_ANY = _Any()


def _candidates(anchor: Token, span: Span) -> list[tuple[str, Token]]:
    """The tokens heading the phrases a quantity belongs to, nearest first."""
    out: list[tuple[str, Token]] = [("possessor", c) for c in anchor.children if c.dep_ == "poss"]
    owner = _owner_noun(anchor)
    if owner is not None:
        out.extend(("possessor of the owner", c) for c in owner.children if c.dep_ == "poss")
        out.append(("the noun owning the amount", owner))
    verb = _clause_verb(anchor)
    for acl in (c for c in anchor.children if c.dep_ == "acl" and c.lower_ in _MEMBERSHIP):
        # "nine cities of Guangdong involved in the Greater Bay Area": the group the set belongs to
        out.extend(("the group it belongs to", p) for p in acl.children if p.dep_ == "prep")
    if anchor.dep_ in ("acl", "relcl") or verb.dep_ == "acl":
        described = verb.head
        if described.dep_ == "attr":  # "X is the city's largest facility, involving ...": X
            out.extend(("the subject the phrase describes", c) for c in described.head.children if c.dep_ in _SUBJ)
        out.append(("the noun the phrase describes", described))
    subject = _subject_of(verb) if verb.i != anchor.i else None
    if subject is not None and subject.lower_ in ("that", "which", "who") and verb.dep_ == "relcl":
        if verb.head.dep_ == "appos":  # "the GBA, a city cluster in southern China that comprises ...": the GBA
            out.append(("the name in apposition", verb.head.head))
        out.append(("the noun the clause describes", verb.head))
    elif (
        subject is not None
        and not (subject.left_edge.i <= span.start and span.end <= subject.right_edge.i + 1)
        and not _member_of(span)
    ):
        out.append(("subject", subject))
    holders = [anchor, *([owner] if owner is not None else []), verb]
    holders += [c for c in anchor.children if c.dep_ in ("acl", "relcl")]
    share = anchor.lower_ in ("percent", "%", "percentage", "pct")
    for holder in holders:
        for child in holder.children:
            if child.dep_ not in ("prep", "agent", "dative") or child.lower_ not in _PREPS:
                continue
            if child.i in range(span.start, span.end) or (share and holder is anchor and child.lower_ == "of"):
                continue  # "4.9 percent of the population of China": the base, not the entity
            out.append((f"'{child.text} ...'", child))
    return out


def _member_of(span: Span) -> bool:
    """ "Royole is one of the 60 projects": the subject is one member of the set counted, not its owner."""
    before = span.doc[max(0, span.start - 3) : span.start].text.lower()
    return re.search(r"\bone of(?: the| its| their)?$", before) is not None


def _owner_noun(anchor: Token) -> Token | None:
    """The noun an amount belongs to: "investment of 1.23 billion", "transactions worth 868 million"."""
    head = anchor.head
    if anchor.dep_ == "pobj" and head.lower_ in ("of", "at") and head.head.pos_ in ("NOUN", "PROPN"):
        return head.head
    if head.lower_ == "worth" and head.head.pos_ in ("NOUN", "PROPN"):
        return head.head
    return None


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
        if node.dep_ in ("conj", "xcomp", "advcl") and node.head.i != node.i:
            node = node.head
            continue
        if node.dep_ in ("relcl", "acl") and node.head.i != node.i:
            return node.head
        node = None
    return None
