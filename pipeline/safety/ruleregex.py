"""Rule regular expressions that cannot hang a run.

A rule file's ``pattern`` / ``regex`` is compiled by :func:`compile_rule_regex`:

1. with RE2 (``google-re2``), whose matching time is linear in the text, whatever the pattern: a pattern
   with nested quantifiers (``(a+)+$``) runs in linear time too. RE2's syntax is Python's, less
   look-around assertions and backreferences; ``\\Z`` is written ``\\z`` for it (translated here), and
   ``\\d``, ``\\w``, ``\\s``, ``\\b`` are ASCII (the text is normalized English);
2. a pattern RE2 refuses because it uses a look-around assertion or a backreference runs on Python's
   ``re`` only when it has no nested quantifier: no ``*``, ``+``, ``{m,n}`` (n > 1) applied to a
   sub-pattern that itself holds one. Catastrophic (exponential) backtracking needs such nesting, so
   these patterns backtrack at worst polynomially in the length of what they scan;
3. anything else is refused with a :class:`ValueError` whose message says why; the rule-file models turn
   it into a :class:`pipeline.ruleio.RuleError` naming the file, the rule id and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
    translated = _PYTHON_Z.sub(r"\1\\z", pattern)
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
    for a message; ``""`` when there is none. ``?`` (at most once) does not count as a quantifier."""
    from re import _parser  # type: ignore[attr-defined]  # the parser re itself uses

    return _find_nested(_parser.parse(pattern, flags), _parser, inside=False)


def _find_nested(items: Any, parser: Any, inside: bool) -> str:
    constants = parser
    for op, arg in items:
        if op in (constants.MAX_REPEAT, constants.MIN_REPEAT, getattr(constants, "POSSESSIVE_REPEAT", None)):
            low, high, body = arg
            repeats = high is constants.MAXREPEAT or high > 1
            if repeats and inside:
                return f"a quantifier {{{low},{'' if high is constants.MAXREPEAT else high}}} inside another"
            found = _find_nested(body, parser, inside or repeats)
            if found:
                return found
        elif op is constants.SUBPATTERN:
            found = _find_nested(arg[-1], parser, inside)
            if found:
                return found
        elif op is constants.BRANCH:
            for branch in arg[1]:
                found = _find_nested(branch, parser, inside)
                if found:
                    return found
        elif op in (constants.ASSERT, constants.ASSERT_NOT):
            found = _find_nested(arg[1], parser, inside)
            if found:
                return found
        elif op is getattr(constants, "ATOMIC_GROUP", None):
            found = _find_nested(arg, parser, inside)
            if found:
                return found
        elif op is constants.GROUPREF_EXISTS:
            for branch in arg[1:]:
                if branch is not None:
                    found = _find_nested(branch, parser, inside)
                    if found:
                        return found
    return ""
