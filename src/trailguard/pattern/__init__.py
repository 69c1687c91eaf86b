"""The CloudWatch Logs filter pattern language: terms, space-delimited, JSON and regex patterns.

    from trailguard.pattern import compile_pattern, PatternError
    p = compile_pattern('{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }')
    m = p.match(message)          # Match | None
    m.extracted_values            # dict[str, str], as TestMetricFilter reports them
    print(p.explain(message))     # which clause held, which failed, and why

Several patterns over one event share its parsed JSON through ``LogEvent``::

    event = LogEvent(message)
    hits = [p for p in patterns if p.test_event(event)]
"""

from trailguard.pattern.compiled import CompiledPattern, Match, compile_pattern
from trailguard.pattern.errors import PatternError
from trailguard.pattern.event import LogEvent
from trailguard.pattern.parser import MAX_PATTERN_LENGTH, parse
from trailguard.pattern.pattern_set import PatternSet

__all__ = [
    "MAX_PATTERN_LENGTH",
    "CompiledPattern",
    "LogEvent",
    "Match",
    "PatternError",
    "PatternSet",
    "compile_pattern",
    "parse",
]
