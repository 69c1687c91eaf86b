"""Replays at scale: the fast exact feed on one core (``feed``), every core of a machine (``local``), and a Ray
cluster (``ray_run``), all giving exactly the results of the plain sequential replay.

    from trailguard.scale import ReplayPlan, run_replay

The sources layer reads (``trailguard.sources.fastfeed``), the engine aggregates (``Replay``); this package
decides which reader each input gets, splits inputs into chunks, runs chunks in worker processes or Ray tasks,
and merges their exact aggregates, quarantine entries and counts back in input order (``merge``).
"""

from trailguard.scale.feed import Feeder, fast_reader_for
from trailguard.scale.plan import ReplayPlan
from trailguard.scale.run import RunOutcome, run_replay

__all__ = ["Feeder", "ReplayPlan", "RunOutcome", "fast_reader_for", "run_replay"]
