"""Regex filter patterns on RE2 against the previous engine (Python's backtracking ``re``).

    python bench/regex_bench.py [--corpus ../shared/data/cloudtrail] [--repeat 3]

(a) Realistic regex filter patterns over the CloudTrail corpus (skipped when it is absent): events/s
    with the RE2 engine and with the regexes handed to Python's ``re`` instead (the previous
    translation, written out by hand for these patterns), everything else in the matcher unchanged.
(b) Cost of one ``search`` call on short texts, RE2 engine vs ``re``.
(c) The backtracking traps ``%A+B%`` and ``%a*a*a*a*a*a*a*a*b%`` at growing input sizes: RE2 grows
    linearly; ``re`` grows with the square of the length and exponentially respectively (``re`` is
    only run on sizes where it finishes in seconds).
(d) The worst case the repetition budget allows (``.{2000}``) on hostile 256 KB texts.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import trailguard.pattern.regex as regex_module
from trailguard.pattern import CompiledPattern, LogEvent, compile_pattern
from trailguard.pattern.regex import compile_regex
from trailguard.sources import Quarantine, read_paths

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cloudtrail"

# Filter patterns as deployed. The previous engine ran each regex through Python's re (ASCII mode),
# translated with the same text for all of these (only `%`-quoting and flags differed).
REALISTIC: list[str] = [
    "%AccessDenied|UnauthorizedOperation%",
    "%[Ee]rror|[Ff]ail%",
    "{ $.errorCode = %AccessDenied|Unauthorized% }",
    "{ $.sourceIPAddress = %^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$% }",
    "{ $.eventName = %^Delete|^Put|^Create% }",
    "{ $.userIdentity.arn = %arn:aws:iam::\\d{12}:root% }",
    "{ $.eventName = %[Dd]elete[A-Za-z]*Bucket% }",
    "%eventName\\W+Delete\\w+%",
]


@contextmanager
def python_re_engine() -> Iterator[None]:
    """Hand the matcher Python ``re`` objects instead of RE2 ones (the previous engine).

    The regexes of ``REALISTIC`` mean the same in Python's re as in CloudWatch, so their source is
    their previous translation.
    """
    original = regex_module.compile_regex

    def compile_with_re(source: str, pattern: str, position: int) -> Any:
        return re.compile(source, re.ASCII)

    patched = [m for m in list(sys.modules.values()) if getattr(m, "compile_regex", None) is original]
    for module in patched:
        module.compile_regex = compile_with_re  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in patched:
            module.compile_regex = original  # type: ignore[attr-defined]


def best_time(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def corpus_part(corpus: Path, repeat: int) -> bool:
    quarantine = Quarantine()
    folders = sorted(str(p) for p in corpus.iterdir() if p.is_dir())
    events = [LogEvent(e.message) for e in read_paths(folders, quarantine, require_event_time=False)]
    print(f"(a) {len(events):,} CloudTrail records from {corpus}; best of {repeat} runs\n")
    print(f"  {'filter pattern':62} {'RE2 ev/s':>11} {'re ev/s':>11} {'RE2/re':>7} {'matches':>8}")
    agree = True
    for text in REALISTIC:
        for event in events:  # parse JSON once up front: both engines see parsed events alike
            _ = event.json

        def count(pattern: Any) -> int:
            return sum(1 for event in events if pattern.test_event(event))

        with_re2 = compile_pattern(text)
        re2_time, re2_hits = best_time(lambda p=with_re2: count(p), repeat)
        with python_re_engine():
            with_re = CompiledPattern(text)  # not compile_pattern: it caches by text
        re_time, re_hits = best_time(lambda p=with_re: count(p), repeat)
        agree &= re2_hits == re_hits
        shown = text if len(text) <= 62 else text[:59] + "..."
        print(
            f"  {shown:62} {len(events) / re2_time:11,.0f} {len(events) / re_time:11,.0f}"
            f" {re_time / re2_time:6.2f}x {re2_hits:8}{'' if re2_hits == re_hits else '  RESULTS DIFFER'}"
        )
    return agree


def per_call_part() -> None:
    print("\n(b) one search call (ns), best of 5 x 100,000 calls")
    long_text = (
        '{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","errorMessage":"Failed authentication"}'
    )
    cases = [
        ("Failed auth[a-z]+", long_text, "RE2 (hit)"),
        ("\\d{12}", "ConsoleLogin", "RE2 (miss, no literal)"),
        ("NoSuch[0-9]+Thing", long_text, "literal test only (miss)"),
        ("ConsoleLogin|AssumeRole", long_text, "plain text, str.find"),
    ]
    print(f"  {'regex':26} {'text':>6} {'RE2 engine':>11} {'re':>8}  path")
    for source, text, path in cases:
        engine = compile_regex(source, f"%{source}%", 0)
        python = re.compile(source, re.ASCII)
        calls = 100_000
        engine_time = min(_timed(engine.search, text, calls) for _ in range(5)) / calls
        python_time = min(_timed(python.search, text, calls) for _ in range(5)) / calls
        print(f"  {source:26} {len(text):6} {engine_time * 1e9:11.0f} {python_time * 1e9:8.0f}  {path}")


def _timed(search: Callable[[str], Any], text: str, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        search(text)
    return time.perf_counter() - started


def trap_part() -> None:
    print("\n(c) backtracking traps: seconds for one search (no match)")
    traps = [
        ("A+B", "A", [10_000, 20_000, 40_000], [10_000, 100_000, 1_000_000, 10_000_000]),
        # With b the text cannot match without a b, and the literal test answers; [bc] makes RE2 run.
        ("a*a*a*a*a*a*a*a*b", "a", [10, 15, 20, 25], [50, 10_000, 1_000_000, 10_000_000]),
        ("a*a*a*a*a*a*a*a*[bc]", "a", [], [50, 10_000, 1_000_000, 10_000_000]),
    ]
    for source, letter, re_sizes, re2_sizes in traps:
        engine = compile_regex(source, f"%{source}%", 0)
        python = re.compile(source, re.ASCII)
        print(f"  %{source}%")
        for size in re2_sizes:
            text = letter * size
            elapsed, found = best_time(lambda t=text, e=engine: e.search(t), 3)
            per_char = elapsed / size * 1e9
            print(f"    RE2 engine  n={size:>10,}  {elapsed:10.6f} s  {per_char:6.2f} ns/char  match={bool(found)}")
        for size in re_sizes:
            text = letter * size
            elapsed, found = best_time(lambda t=text, p=python: p.search(t), 1)
            print(f"    Python re   n={size:>10,}  {elapsed:10.6f} s  match={found is not None}")


def budget_part() -> None:
    print("\n(d) the repetition budget's worst case on 256 KB texts: seconds for one search")
    size = 262_144
    for source in (".{2000}", "\\w{1000}[ -]\\w{999}", ".{2000}$"):
        engine = compile_regex(source, f"%{source}%", 0)
        for label, text in (
            ("one line", "a" * size),
            ("lines of 1999", ("a" * 1999 + "\n") * (size // 2000)),
            ("lines of 1000", ("a" * 999 + "\n") * (size // 1000)),
            ("ends with \\n", "a" * (size - 1) + "\n"),
        ):
            elapsed, found = best_time(lambda t=text, e=engine: e.search(t), 1)
            print(f"  %{source}%  {label:14} {elapsed:8.3f} s  match={found is not None}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    agree = True
    if args.corpus.exists():
        agree = corpus_part(args.corpus, args.repeat)
    else:
        print(f"(a) skipped: corpus not found at {args.corpus}")
    per_call_part()
    trap_part()
    budget_part()
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
