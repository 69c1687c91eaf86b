"""What a replay is, in a form that travels to worker processes and Ray tasks (``ReplayPlan``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from trailguard.engine.replay import Replay
from trailguard.model import Alarm, MetricFilter

__all__ = ["PARTITION_FIELDS", "ReplayPlan"]

# --by-account / --by-region: the record fields that name the account and the region an event belongs to (in an
# organization trail, recipientAccountId is the member account whose activity the record describes).
PARTITION_FIELDS: Final = {"account": "recipientAccountId", "region": "awsRegion"}


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """The filters, alarms and window of a replay, and how to read its inputs.

    ``fast`` lets inputs be read by the fast reader where it applies (``trailguard.sources.fastfeed``);
    ``partition_by`` names the partitions (``"account"``, ``"region"``) a replay is split into, each with its own
    metrics and alarms; ``evidence`` asks workers to send back the events behind alarms (``replay --notify``).
    """

    filters: tuple[MetricFilter, ...]
    alarms: tuple[Alarm, ...]
    region: str
    account_id: str
    start_ms: int | None = None
    end_ms: int | None = None
    fast: bool = True
    partition_by: tuple[str, ...] = ()
    evidence: bool = False

    @property
    def partition_fields(self) -> tuple[str, ...]:
        return tuple(PARTITION_FIELDS[name] for name in self.partition_by)

    def new_replay(self) -> Replay:
        return Replay(
            self.filters,
            self.alarms,
            region=self.region,
            account_id=self.account_id,
            start_ms=self.start_ms,
            end_ms=self.end_ms,
        )
