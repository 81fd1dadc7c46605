"""Rule regular expressions that cannot hang a run.

A rule file's ``pattern`` / ``regex`` is compiled by :func:`compile_rule_regex`:

1. with RE2 (``google-re2``), whose matching time is linear in the text, whatever the pattern: a pattern
   with nested quantifiers (``(a+)+$``) runs in linear time too. RE2's syntax is Python's, less
   look-around assertions and backreferences. Translated here so a pattern means what it means in
   Python: ``\\Z`` (RE2's ``\\z``), and ``\\d``, ``\\w``, ``\\s`` and their negations as Unicode classes
   (RE2's own are ASCII; a negated class inside brackets, ``[^\\W]``, stays ASCII). ``\\b`` is ASCII in
   RE2 and cannot be translated: a word boundary next to a non-ASCII letter differs;
2. a pattern RE2 refuses because it uses a look-around assertion or a backreference runs on Python's
   ``re`` only when it has no nested quantifier: no ``*``, ``+``, ``{m,n}`` (n > 1) applied to a
   sub-pattern that itself holds one, unless a *separator* pins each repetition (a literal character
   every repetition matches and nothing repeated inside can, as the comma of ``(?:,\\s+\\w+)+``).
   Catastrophic (exponential) backtracking needs nesting without such a separator, so these patterns
   backtrack at worst polynomially in the length of what they scan;
3. anything else is refused with a :class:`ValueError` whose message says why; the rule-file models turn
   it into a :class:`pipeline.ruleio.RuleError` naming the file, the rule id and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _constants as _c  # type: ignore[attr-defined]  # the node kinds of re's own parser
from typing import Any, Protocol

import re2

__all__ = ["RulePattern", "compile_rule_regex", "nested_quantifier"]


class RulePattern(Protocol):
    """What the stages use of a compiled rule pattern (``re.Pattern`` and RE2's pattern both have it)."""

    @property
    def pattern(self) -> str: ...

    @property
    def groupindex(self) -> Any: ...

    def search(self, text: str, pos: int = ..., endpos: int = ...) -> Any: ...

    def match(self, text: str, pos: int = ..., endpos: int = ...) -> Any: ...

    def fullmatch(self, text: str, pos: int = ..., endpos: int = ...) -> Any: ...

    def finditer(self, text: str, pos: int = ..., endpos: int = ...) -> Iterator[Any]: ...


#: RE2's complaints that mean "a backtracking feature": look-arounds and backreferences
_BACKTRACKING_ONLY = ("invalid perl operator: (?<", "invalid perl operator: (?=", "invalid perl operator: (?!")
_BACKREFERENCE = re.compile(r"invalid escape sequence: \\[1-9]")
_PYTHON_Z = re.compile(r"(?<!\\)((?:\\\\)*)\\Z")


#: Python's Unicode classes, spelt for RE2 (whose own \d \w \s are ASCII): outside and inside brackets
_OUTSIDE = {
    "d": r"\p{Nd}",
    "D": r"\P{Nd}",
    "w": r"[\p{L}\p{N}_]",
    "W": r"[^\p{L}\p{N}_]",
    "s": r"[\t\n\x{0b}\f\r\x{1c}-\x{1f}\x{85}\p{Z}]",
    "S": r"[^\t\n\x{0b}\f\r\x{1c}-\x{1f}\x{85}\p{Z}]",
}
_INSIDE = {"d": r"\p{Nd}", "w": r"\p{L}\p{N}_", "s": r"\t\n\x{0b}\f\r\x{1c}-\x{1f}\x{85}\p{Z}"}


def _unicode_classes(pattern: str) -> str:
    """``\\d``, ``\\w``, ``\\s`` (and their negations outside brackets) as Python reads them in a str
    pattern: Unicode digits, letters, spaces. A negation inside brackets (``[^\\W\\d]``) stays ASCII."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            letter = pattern[i + 1]
            table = _INSIDE if in_class else _OUTSIDE
            out.append(table.get(letter, ch + letter))
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            i += 1
            # a "]" right after "[" or "[^" is a member, not the end
            if pattern[i : i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i : i + 1] == "]":
                out.append("]")
                i += 1
            continue
        if ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


def _quiet() -> re2.Options:
    """RE2 options that do not log a refused pattern to stderr (the ValueError says why)."""
    options = re2.Options()
    options.log_errors = False
    return options


def compile_rule_regex(pattern: str, flags: int = 0) -> RulePattern:
    """Compile a rule's pattern for linear-time matching (see the module docstring); ``flags`` are
    ``re.MULTILINE`` and ``re.IGNORECASE`` at most. Raise ValueError with the reason when refused."""
    try:
        python = re.compile(pattern, flags)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    inline = ("m" if flags & re.MULTILINE else "") + ("i" if flags & re.IGNORECASE else "")
    translated = _unicode_classes(_PYTHON_Z.sub(r"\1\\z", pattern))
    try:
        return re2.compile(f"(?{inline}){translated}" if inline else translated, _quiet())  # type: ignore[no-any-return]
    except re2.error as exc:
        first = exc.args[0] if exc.args else ""
        reason = first.decode("utf-8", "replace") if isinstance(first, bytes) else str(first)
    backtracking = any(reason.startswith(p) for p in _BACKTRACKING_ONLY) or bool(_BACKREFERENCE.search(reason))
    backtracking |= reason.startswith("invalid perl operator: (?P") and "(?P=" in pattern  # (?P=name)
    if not backtracking:
        raise ValueError(f"not supported by the linear-time engine (RE2): {reason}")
    nested = nested_quantifier(pattern, flags)
    if nested:
        raise ValueError(
            f"uses a look-around or a backreference (backtracking engine) and nests quantifiers ({nested}): "
            "it could take exponential time; drop the nesting or the look-around"
        )
    return python


def nested_quantifier(pattern: str, flags: int = 0) -> str:
    """The first quantifier applied to a sub-pattern that holds another quantifier (``(a+)+``), as text
    for a message; ``""`` when there is none. ``?`` (at most once) does not count as a quantifier, and
    neither does nesting under a *separator*: a repeated group with a character every repetition must
    match and no quantifier inside it can (``(?:,\\s+\\w+)+``: the commas fix where each repetition
    starts, so the ways to split a text cannot multiply)."""
    from re import _parser  # type: ignore[attr-defined]  # the parser re itself uses

    return _find_nested(_parser.parse(pattern, flags), inside=False)


def _repeat(op: Any, arg: Any) -> tuple[int, Any, Any] | None:
    """(low, high, body) of a quantifier node, else None."""
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        low, high, body = arg
        return low, high, body
    return None


def _repeats(high: Any) -> bool:
    return bool(high is _c.MAXREPEAT or high > 1)


def _children(op: Any, arg: Any) -> list[Any]:
    """The sub-patterns directly inside a node (its branches, its group body ...)."""
    if op is _c.SUBPATTERN:
        return [arg[-1]]
    if op is _c.BRANCH:
        return list(arg[1])
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        return [arg[1]]
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return [arg]
    if op is _c.GROUPREF_EXISTS:
        return [branch for branch in arg[1:] if branch is not None]
    repeat = _repeat(op, arg)
    return [repeat[2]] if repeat else []


def _find_nested(items: Any, inside: bool) -> str:
    for op, arg in items:
        repeat = _repeat(op, arg)
        if repeat is not None and _repeats(repeat[1]):
            low, high, body = repeat
            if inside:
                return f"a quantifier {{{low},{'' if high is _c.MAXREPEAT else high}}} inside another"
            if _separated(body):
                continue  # its inner quantifiers are checked as top-level ones
            found = _find_nested(body, True)
        else:
            found = next((f for child in _children(op, arg) if (f := _find_nested(child, inside))), "")
        if found:
            return found
    return _find_separated_inner(items) if not inside else ""


def _find_separated_inner(items: Any) -> str:
    """Nesting below a separated repetition: each inner quantifier is checked as if on its own."""
    for op, arg in items:
        repeat = _repeat(op, arg)
        if repeat is not None and _repeats(repeat[1]) and _separated(repeat[2]):
            for child_op, child_arg in repeat[2]:
                inner = _repeat(child_op, child_arg)
                bodies = [inner[2]] if inner is not None else _children(child_op, child_arg)
                for body in bodies:
                    found = _find_nested(body, inner is not None and _repeats(inner[1]))
                    if found:
                        return found
        else:
            for child in _children(op, arg):
                found = _find_separated_inner(child)
                if found:
                    return found
    return ""


def _separated(body: Any) -> bool:
    """A literal character every repetition of ``body`` matches, that no quantifier inside can match."""
    literals = [chr(arg) for op, arg in body if op is _c.LITERAL]
    return any(not _any_repeat_matches(body, ch) for ch in literals)


def _any_repeat_matches(items: Any, ch: str, repeated: bool = False) -> bool:
    """Whether something repeated (under a quantifier, within ``items``) can match the character ``ch``."""
    return any(_node_repeat_matches(op, arg, ch, repeated) for op, arg in items)


def _node_repeat_matches(op: Any, arg: Any, ch: str, repeated: bool) -> bool:
    repeat = _repeat(op, arg)
    if repeat is not None:
        return _any_repeat_matches(repeat[2], ch, repeated or _repeats(repeat[1]))
    if op in (_c.GROUPREF, _c.GROUPREF_EXISTS) and repeated:
        return True  # what a backreference matches is not known here
    if op in (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN):
        return repeated and _atom_matches(op, arg, ch)
    return any(_any_repeat_matches(child, ch, repeated) for child in _children(op, arg))


def _atom_matches(op: Any, arg: Any, ch: str) -> bool:
    """Whether one character atom can match ``ch`` (``IGNORECASE`` and locales not considered: an atom
    the check cannot read counts as matching)."""
    if op is _c.LITERAL:
        return chr(arg) == ch
    if op is _c.NOT_LITERAL:
        return chr(arg) != ch
    if op is _c.ANY:
        return True
    negate = any(item_op is _c.NEGATE for item_op, _ in arg)
    hit = False
    for item_op, item_arg in arg:
        if item_op is _c.LITERAL:
            hit |= chr(item_arg) == ch
        elif item_op is _c.RANGE:
            hit |= item_arg[0] <= ord(ch) <= item_arg[1]
        elif item_op is _c.CATEGORY:
            hit |= bool(re.fullmatch(_CATEGORIES.get(item_arg, "(?s:.)"), ch))
        elif item_op is not _c.NEGATE:
            hit = True  # an item the check does not read: assume it matches
    return hit != negate


_CATEGORIES = {
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
}
