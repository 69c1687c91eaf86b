"""Term patterns evaluated: ``ERROR``, ``"two words"``, ``?optional``, ``-excluded`` against a message.

The rules ("Filter pattern syntax", CloudWatch Logs User Guide; recorded TestMetricFilter results): a term is a
case-sensitive substring test; required terms are ANDed; an excluded term must be absent; optional (``?``) terms
form an OR when they are the only terms, and are ignored when the pattern has required or excluded terms.
:class:`TermMatcher` holds those rules once; the compiled matcher and ``explain`` both use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trailguard.pattern.ast import TermKind, TermPattern

__all__ = ["TermMatcher", "TermVerdict"]

Role = Literal["required", "excluded", "optional", "ignored"]


@dataclass(frozen=True, slots=True)
class TermVerdict:
    """One term against one message: its role, whether it is in the message, and whether that satisfies it."""

    text: str
    role: Role
    present: bool
    satisfied: bool | None  # None for an ignored optional term


class TermMatcher:
    """Matches one term pattern; immutable after construction."""

    __slots__ = ("_excluded", "_optional", "_optional_only", "_required", "terms")

    def __init__(self, tree: TermPattern) -> None:
        self.terms = tree.terms
        self._required = tuple(t.text for t in tree.terms if t.kind is TermKind.REQUIRED)
        self._excluded = tuple(t.text for t in tree.terms if t.kind is TermKind.EXCLUDED)
        self._optional = tuple(t.text for t in tree.terms if t.kind is TermKind.OPTIONAL)
        # Optional terms count only when nothing else is there to decide.
        self._optional_only = not self._required and not self._excluded

    def test(self, message: str) -> bool:
        if self._optional_only:
            return any(term in message for term in self._optional)
        for term in self._required:
            if term not in message:
                return False
        for term in self._excluded:
            if term in message:
                return False
        return True

    def verdicts(self, message: str) -> list[TermVerdict]:
        """Each term's part in the decision, in pattern order (for explanations)."""
        out: list[TermVerdict] = []
        for term in self.terms:
            present = term.text in message
            if term.kind is TermKind.REQUIRED:
                out.append(TermVerdict(term.text, "required", present, present))
            elif term.kind is TermKind.EXCLUDED:
                out.append(TermVerdict(term.text, "excluded", present, not present))
            elif self._optional_only:
                out.append(TermVerdict(term.text, "optional", present, present))
            else:
                out.append(TermVerdict(term.text, "ignored", present, None))
        return out
