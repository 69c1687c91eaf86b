"""The syntax tree of a filter pattern.

Nodes are immutable and compare by value; ``render()`` prints the canonical text of a node, and
parsing that text gives an equal tree (a property the test suite checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias

__all__ = [
    "And",
    "Check",
    "Comparison",
    "Condition",
    "DelimitedPattern",
    "Entry",
    "FieldAnd",
    "FieldComparison",
    "FieldOr",
    "Index",
    "IsCheck",
    "JsonExpr",
    "JsonPattern",
    "Key",
    "MatchAll",
    "NotExists",
    "NumberValue",
    "Operator",
    "Or",
    "Pattern",
    "Regex",
    "RegexPattern",
    "Selector",
    "Step",
    "StringValue",
    "Term",
    "TermKind",
    "TermPattern",
    "Value",
    "Wildcard",
    "count_regexes",
    "quote",
]


def quote(text: str) -> str:
    """A quoted string literal whose parse gives back ``text``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Operator(Enum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    @property
    def is_ordering(self) -> bool:
        return self not in (Operator.EQ, Operator.NE)


# ---------------------------------------------------------------- shared leaves


@dataclass(frozen=True, slots=True)
class Regex:
    """A ``%...%`` regular expression; ``source`` is the text between the percent signs."""

    source: str

    def render(self) -> str:
        return f"%{self.source}%"


@dataclass(frozen=True, slots=True)
class StringValue:
    """A string literal; ``quoted`` records how it was written (it decides number handling)."""

    text: str
    quoted: bool

    def render(self) -> str:
        return quote(self.text) if self.quoted else self.text


@dataclass(frozen=True, slots=True)
class NumberValue:
    """An unquoted numeric literal, kept as written (``+1``, ``1.0``, ``1e-3``)."""

    text: str

    def render(self) -> str:
        return self.text


Value: TypeAlias = StringValue | NumberValue | Regex


# ---------------------------------------------------------------- whole-pattern forms


@dataclass(frozen=True, slots=True)
class MatchAll:
    """The empty (or whitespace-only) pattern."""

    def render(self) -> str:
        return ""


@dataclass(frozen=True, slots=True)
class RegexPattern:
    regex: Regex

    def render(self) -> str:
        return self.regex.render()


class TermKind(Enum):
    REQUIRED = ""
    OPTIONAL = "?"
    EXCLUDED = "-"


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    kind: TermKind
    quoted: bool

    def render(self) -> str:
        return self.kind.value + (quote(self.text) if self.quoted else self.text)


@dataclass(frozen=True, slots=True)
class TermPattern:
    terms: tuple[Term, ...]

    def render(self) -> str:
        return " ".join(term.render() for term in self.terms)


# ---------------------------------------------------------------- JSON patterns


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    bracketed: bool  # written as ['name'] (needed for names with dots or other characters)

    def render(self) -> str:
        return f".['{self.name}']" if self.bracketed else f".{self.name}"


@dataclass(frozen=True, slots=True)
class Index:
    index: int

    def render(self) -> str:
        return f"[{self.index}]"


@dataclass(frozen=True, slots=True)
class Wildcard:
    bracketed: bool  # [*] rather than .*

    def render(self) -> str:
        return "[*]" if self.bracketed else ".*"


Step: TypeAlias = Key | Index | Wildcard


@dataclass(frozen=True, slots=True)
class Selector:
    steps: tuple[Step, ...]

    def render(self) -> str:
        return "$" + "".join(step.render() for step in self.steps)

    @property
    def wildcard_count(self) -> int:
        return sum(1 for step in self.steps if isinstance(step, Wildcard))


@dataclass(frozen=True, slots=True)
class Comparison:
    selector: Selector
    operator: Operator
    value: Value

    def render(self) -> str:
        return f"{self.selector.render()} {self.operator.value} {self.value.render()}"


class Check(Enum):
    TRUE = "TRUE"
    FALSE = "FALSE"
    NULL = "NULL"


@dataclass(frozen=True, slots=True)
class IsCheck:
    selector: Selector
    check: Check

    def render(self) -> str:
        return f"{self.selector.render()} IS {self.check.value}"


@dataclass(frozen=True, slots=True)
class NotExists:
    selector: Selector

    def render(self) -> str:
        return f"{self.selector.render()} NOT EXISTS"


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[JsonExpr, ...]

    def render(self) -> str:
        return " && ".join(_render_operand(op) for op in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[JsonExpr, ...]

    def render(self) -> str:
        return " || ".join(_render_operand(op) for op in self.operands)


JsonExpr: TypeAlias = Comparison | IsCheck | NotExists | And | Or


def _render_operand(node: JsonExpr) -> str:
    # Every compound operand is parenthesised, so the printed form re-parses to the same tree.
    return f"({node.render()})" if isinstance(node, And | Or) else node.render()


@dataclass(frozen=True, slots=True)
class JsonPattern:
    expression: JsonExpr

    def render(self) -> str:
        return "{ " + self.expression.render() + " }"


# ---------------------------------------------------------------- space-delimited patterns


@dataclass(frozen=True, slots=True)
class FieldComparison:
    name: str
    operator: Operator
    value: Value

    def render(self) -> str:
        return f"{self.name} {self.operator.value} {self.value.render()}"


@dataclass(frozen=True, slots=True)
class FieldAnd:
    operands: tuple[Condition, ...]

    def render(self) -> str:
        return " && ".join(op.render() for op in self.operands)


@dataclass(frozen=True, slots=True)
class FieldOr:
    operands: tuple[Condition, ...]

    def render(self) -> str:
        return " || ".join(op.render() for op in self.operands)


Condition: TypeAlias = FieldComparison | FieldAnd | FieldOr


@dataclass(frozen=True, slots=True)
class Entry:
    """One comma-separated entry: a named field (maybe with a condition), an unnamed field, or ``...``."""

    name: str | None
    condition: Condition | None = None
    ellipsis: bool = False

    def render(self) -> str:
        if self.ellipsis:
            return "..."
        if self.condition is not None:
            return self.condition.render()
        return self.name or ""


@dataclass(frozen=True, slots=True)
class DelimitedPattern:
    entries: tuple[Entry, ...]

    def render(self) -> str:
        return "[" + ", ".join(entry.render() for entry in self.entries) + "]"


Pattern: TypeAlias = MatchAll | RegexPattern | TermPattern | JsonPattern | DelimitedPattern


def count_regexes(tree: Pattern) -> int:
    """How many ``%regex%`` a pattern holds (AWS allows 2 per pattern, and 5 regex patterns per log group)."""
    if isinstance(tree, RegexPattern):
        return 1
    if isinstance(tree, JsonPattern):
        return _count_json(tree.expression)
    if isinstance(tree, DelimitedPattern):
        return sum(_count_condition(e.condition) for e in tree.entries if e.condition is not None)
    return 0


def _count_json(node: JsonExpr) -> int:
    if isinstance(node, And | Or):
        return sum(_count_json(op) for op in node.operands)
    value = getattr(node, "value", None)
    return 1 if isinstance(value, Regex) else 0


def _count_condition(condition: Condition) -> int:
    if isinstance(condition, FieldAnd | FieldOr):
        return sum(_count_condition(op) for op in condition.operands)
    return 1 if isinstance(condition.value, Regex) else 0
