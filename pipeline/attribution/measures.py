"""What a figure measures, read from the noun phrase that owns it.

:func:`measure_words` keeps the words of a noun phrase that say *what* is measured and drops those that
say *whose* or *when* (those are the entity and the year): determiners, possessive pronouns, names and
place descriptions as possessors (``Shenzhen's``, ``the city's``), numbers and years, the quantity itself,
and the conjuncts of the head (``A, B and C were established``: a list of items is not one measure).
Common-noun possessors stay (``enterprises' R&D spending`` is not ``total R&D spending``), as do
prepositional complements (``expenditure on science and technology``). The caller turns the words into a
canonical measure with :func:`pipeline.attribute.canonical_measure` (lemmas, synonyms).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Token

__all__ = ["coordinated_items", "measure_words"]

#: dependencies that keep a word inside the measure phrase
_KEEP = frozenset({"compound", "amod", "nmod", "poss", "prep", "pobj", "npadvmod", "case", "punct", "acomp"})
#: prepositions whose complement can be part of a measure ("expenditure on R&D", "share of GDP")
_PREPS = frozenset({"of", "on", "for", "in", "from", "by", "to"})
_PRONOUNS = frozenset(
    {
        "its",
        "their",
        "his",
        "her",
        "our",
        "my",
        "your",
        "it",
        "they",
        "this",
        "that",
        "these",
        "those",
        "he",
        "she",
        "we",
        "you",
        "i",
        "them",
        "him",
        "us",
        "which",
        "who",
        "what",
    }
)


def measure_words(
    head: Token,
    skip: Collection[int],
    is_name: Callable[[Token], bool],
    places: Collection[str] = (),
) -> str:
    """The measure words of the noun phrase headed by ``head`` (token indexes in ``skip`` excluded)."""
    kept: dict[int, Token] = {}
    frontier = [(head, 0)]
    while frontier:
        token, depth = frontier.pop(0)
        if token.i in skip or _drop(token, is_name, places):
            continue
        kept[token.i] = token
        for child in token.children:
            if _follows(child, depth):
                frontier.append((child, depth + 1))
    words = [kept[i] for i in sorted(kept)]
    words = [t for t in words if not _dangling(t, kept)]
    out = ""
    for k, token in enumerate(words):
        out += token.text
        joined = k + 1 < len(words) and words[k + 1].i == token.i + 1 and not token.whitespace_
        out += "" if joined else " "
    return out.strip(" ,-")


def _follows(child: Token, depth: int) -> bool:
    if child.dep_ in ("conj", "cc"):
        # "research and development investment", "expenditure on science and technology" are one measure;
        # conjuncts of the head itself ("A, B and C were established") are a list
        return depth >= 1 and child.head.dep_ != "ROOT"
    if child.dep_ == "prep":
        return child.lower_ in _PREPS
    return child.dep_ in _KEEP


def _drop(token: Token, is_name: Callable[[Token], bool], places: Collection[str]) -> bool:
    if token.dep_ in ("det", "predet") or token.lower_ in _PRONOUNS:
        return True
    if token.like_num or token.pos_ == "NUM":
        return True
    if token.dep_ == "case" or (token.dep_ == "punct" and token.text != "-"):
        return True
    if token.dep_ == "poss" and (is_name(token) or token.lower_ in places or token.pos_ == "PRON"):
        return True
    if token.dep_ == "pobj" and token.lower_ in places and token.head.lower_ in ("in", "across", "within"):
        return True  # "R&D spending in the province": where, not what
    return is_name(token)


def _dangling(token: Token, kept: dict[int, Token]) -> bool:
    """A preposition whose complement was dropped ("R&D investment in [China]")."""
    return token.dep_ == "prep" and not any(c.i in kept for c in token.children)


def coordinated_items(tokens: Sequence[Token], count: int) -> list[Token] | None:
    """The heads of a coordinated list of ``count`` nouns among ``tokens`` (the last such list):
    "enterprises, research institutions and universities" -> [enterprises, institutions, universities],
    what the figures of a "respectively" sentence are about, in order."""
    found = None
    for token in tokens:
        if token.pos_ not in ("NOUN", "PROPN") or token.dep_ == "conj":
            continue
        chain = [token]
        while True:
            nxt = [c for c in chain[-1].children if c.dep_ == "conj" and c.pos_ in ("NOUN", "PROPN")]
            if not nxt:
                break
            chain.append(nxt[0])
        if len(chain) == count:
            found = chain
    return found
