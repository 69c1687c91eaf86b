"""Replays at scale: the fast exact feed on one core, every core of a machine, and a Ray cluster, all giving
exactly the results of the plain sequential replay.

    from trailguard.scale import ReplayPlan, run_replay

The sources layer reads (``trailguard.sources.fastfeed``), the engine aggregates (``Replay``); this package
decides which reader each input gets and feeds the replays (``feed``), holds what every task of a run needs
(``plan``), splits inputs into chunks, runs them in worker processes and merges their exact aggregates,
quarantine entries and counts back in input order (``run``), and runs the same chunks as Ray tasks
(``ray_run``, imported only for ``replay --ray``).
"""

from trailguard.scale.feed import Feeder, fast_reader_for
from trailguard.scale.plan import ReplayPlan
from trailguard.scale.run import RunOutcome, run_replay

__all__ = ["Feeder", "ReplayPlan", "RunOutcome", "fast_reader_for", "run_replay"]
