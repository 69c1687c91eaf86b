"""A monitor: one metric filter, the alarm on its metric, and the topics that alarm notifies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trailguard.model.alarm import Alarm
from trailguard.model.metric_filter import MetricFilter
from trailguard.model.topic import Topic

__all__ = ["Monitor"]


@dataclass(frozen=True)
class Monitor:
    """The unit that audit and remediation work on.

    ``topics`` are the SNS topics named by the alarm's actions, in action order, with their subscriptions
    when the configuration defines them (a topic it does not define appears without subscriptions).
    ``control_id`` (canonical CIS id such as ``"4.6"``) and ``benchmark`` (``"CIS AWS Foundations
    Benchmark v7.0.0 5.6"``) are set for monitors that come from the CIS catalog.
    """

    metric_filter: MetricFilter
    alarm: Alarm
    topics: tuple[Topic, ...] = ()
    control_id: str | None = None
    benchmark: str | None = None

    def __post_init__(self) -> None:
        if self.alarm.metric != self.metric_filter.metric:
            raise ValueError(
                f"alarm {self.alarm.alarm_name!r} watches {self.alarm.metric}, "
                f"but filter {self.metric_filter.filter_name!r} publishes {self.metric_filter.metric}"
            )

    @property
    def name(self) -> str:
        return self.alarm.alarm_name

    def to_config_dict(self) -> dict[str, Any]:
        """This monitor as a configuration document (``metricFilters``, ``alarms``, ``topics``)."""
        return {
            "metricFilters": [self.metric_filter.to_api_dict()],
            "alarms": [self.alarm.to_api_dict()],
            "topics": [topic.to_config_dict() for topic in self.topics],
        }
