"""Speed of deciding filter-pattern containment by meaning, and how often the decision is symbolic.

    python bench/containment_bench.py [--version 7.0.0] [--random-pairs 2000] [--seed 1] [--repeat 3]

1. Each of the 15 CIS controls against its own pattern and a dozen spellings (quotes, order, '||' for '&&',
   a narrowing clause, a dropped clause, a term pattern, ...): milliseconds per comparison (best of
   ``--repeat``) and the verdict, through ``trailguard.audit.meaning.judge_filter``.
2. An audit-sized load: every control against every filter of the list above (all controls' spellings
   together, as one log group holding them all), total wall time.
3. Random JSON pattern pairs from a small grammar (related pairs: one an edit of the other): how many were
   decided symbolically and how many by sampling, and the time per comparison.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable

from trailguard.audit.meaning import judge_filter
from trailguard.catalog import CisControl, cis_controls
from trailguard.pattern import PatternError, compile_pattern
from trailguard.pattern.containment import compare_patterns


def spellings(control: CisControl) -> dict[str, str]:
    """Ways people write the control's filter, by name."""
    reference = control.pattern
    body = reference.strip()[1:-1].strip()
    out = {
        "own": reference,
        "no spaces": re.sub(r"\s*(\(|\)|&&|\|\||!=|=)\s*", r"\1", reference),
        "quoted values": re.sub(r"= ([A-Za-z][\w.]*)", r'= "\1"', reference),
        "extra parentheses": "{ (" + body + ") }",
        "narrowing clause": "{ (" + body + ") && ($.sourceIPAddress = 1.2.3.4) }",
        "or for and": reference.replace("&&", "||") if "&&" in reference else "{ (" + body + ") || ($.a = 1) }",
        "all of it or any event": "{ (" + body + ") || ($.eventName = *) }",
        "first clause dropped": "{ " + re.sub(r"^\(?\(\$[^)]*\)\s*(\|\||&&)\s*", "", body) + " }",
        "name wildcard": re.sub(r"eventName ?= ?\"?([A-Z][a-z]+)[A-Za-z]*\"?", r"eventName = \1*", reference, count=1),
        "terms": " ".join(re.findall(r"eventName ?= ?\"?([A-Za-z]+)", reference)[:1]) or "ERROR",
    }
    for variant in control.variants:
        out[variant.kind] = variant.pattern
    return out


def best_of(repeat: int, action: Callable[[], object]) -> float:
    """The best CPU time of ``repeat`` runs (patterns compile once and stay cached, as in an audit)."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return min(times)


def bench_controls(version: str, repeat: int) -> list[str]:
    print(f"## 1. Each control against its own pattern and its spellings (CIS v{version}, CPU, best of {repeat})\n")
    print(f"{'control':8} {'spelling':24} {'ms':>7}  verdict (method)")
    filters = []
    per_control: dict[str, list[float]] = {}
    for control in cis_controls(version):
        for name, pattern in spellings(control).items():
            filters.append(pattern)
            seconds = best_of(repeat, lambda p=pattern, c=control: judge_filter(p, c))
            result = judge_filter(pattern, control)
            per_control.setdefault(control.id, []).append(seconds)
            decisive = result.decisive
            print(f"{control.id:8} {name:24} {seconds * 1000:7.2f}  {decisive.verdict.value} ({decisive.method.value})")
    print()
    print(f"{'control':8} {'median ms':>10} {'max ms':>8}")
    for control_id, times in per_control.items():
        print(f"{control_id:8} {statistics.median(times) * 1000:10.2f} {max(times) * 1000:8.2f}")
    everything = [t for times in per_control.values() for t in times]
    print(f"{'all':8} {statistics.median(everything) * 1000:10.2f} {max(everything) * 1000:8.2f}\n")
    return filters


def bench_audit_load(version: str, filters: list[str]) -> None:
    # Wall time counts other processes on a shared machine; CPU time is this process's own work.
    controls = cis_controls(version)
    pairs = len(controls) * len(filters)
    print(f"## 2. Audit load: {len(controls)} controls x {len(filters)} filters = {pairs} comparisons")
    wall, cpu = time.perf_counter(), time.process_time()
    for control in controls:
        for pattern in filters:
            judge_filter(pattern, control)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"total {wall:.2f} s wall, {cpu:.2f} s CPU; {cpu / pairs * 1000:.2f} ms CPU per comparison")
    own = [control.pattern for control in controls]
    cpu = time.process_time()
    for control in controls:
        for pattern in own:
            judge_filter(pattern, control)
    cpu = time.process_time() - cpu
    print(f"a log group holding the {len(own)} CIS filters: {len(own) * len(controls)} comparisons, {cpu:.2f} s CPU\n")


# ---------------------------------------------------------------- random pairs

_PATHS = ["$.a", "$.b", "$.a.c", "$.a[0]", "$.a[1]", "$.a[*]", "$.b.*", "$.a[*].c"]
_VALUES = ["1", "2", "-1", "1.0", "1.5", "0", "+1", "x", "xy", '"x y"', "x*", "*x", "*", '"1"', "%x%", "%^x$%"]


def _leaf(rng: random.Random) -> str:
    path = rng.choice(_PATHS)
    roll = rng.random()
    if roll < 0.55:
        return f"{path} {rng.choice(['=', '=', '!='])} {rng.choice(_VALUES)}"
    if roll < 0.7:
        return f"{path} {rng.choice(['<', '<=', '>', '>='])} {rng.choice(['1', '2', '-1', '1.5'])}"
    if roll < 0.85:
        return f"{path} IS {rng.choice(['TRUE', 'FALSE', 'NULL'])}"
    return f"{path} NOT EXISTS"


def _expression(rng: random.Random, depth: int = 0) -> str:
    if depth > 2 or rng.random() < 0.35:
        return _leaf(rng)
    return f"({_expression(rng, depth + 1)}) {rng.choice(['&&', '||'])} ({_expression(rng, depth + 1)})"


def _edit(rng: random.Random, pattern: str) -> str:
    roll = rng.random()
    if roll < 0.2 and "&&" in pattern:
        return pattern.replace("&&", "||", 1)
    if roll < 0.4 and "||" in pattern:
        return pattern.replace("||", "&&", 1)
    if roll < 0.6:
        return pattern[:-1] + f" {rng.choice(['&&', '||'])} {_leaf(rng)} }}"
    if roll < 0.75:
        return "{ " + _expression(rng) + " }"
    return pattern


def bench_random_pairs(count: int, seed: int) -> None:
    rng = random.Random(seed)
    methods: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    times = []
    regex_pairs = 0
    while sum(methods.values()) < count:
        reference = "{ " + _expression(rng) + " }"
        candidate = _edit(rng, reference)
        try:
            compile_pattern(reference)
            compile_pattern(candidate)
        except PatternError:
            continue
        start = time.process_time()
        result = compare_patterns(candidate, reference)
        times.append(time.process_time() - start)
        methods[result.method.value] += 1
        verdicts[result.verdict.value] += 1
        regex_pairs += "%^" in candidate + reference
    print(f"## 3. Random JSON pattern pairs (seed {seed})")
    print(f"{count} pairs ({regex_pairs} with a regex that is not a plain literal)")
    print("method:  " + ", ".join(f"{name} {n}" for name, n in methods.most_common()))
    print("verdict: " + ", ".join(f"{name} {n}" for name, n in verdicts.most_common()))
    ordered = sorted(times)
    print(
        f"ms CPU per comparison: median {statistics.median(times) * 1000:.2f}, "
        f"p99 {ordered[int(len(ordered) * 0.99)] * 1000:.2f}, max {ordered[-1] * 1000:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", default="7.0.0")
    parser.add_argument("--random-pairs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    filters = bench_controls(args.version, args.repeat)
    bench_audit_load(args.version, filters)
    bench_random_pairs(args.random_pairs, args.seed)


if __name__ == "__main__":
    main()
