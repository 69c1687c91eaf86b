"""The replay as one self-contained HTML page: per alarm a timeline and its transitions, per metric filter its
matches over time, and what was read.

Long replays are summarised, never listed whole: each timeline has a fixed number of columns (peaks kept, see
:func:`trailguard.report.timeline.envelope`), the busiest periods get close-ups at full resolution, and the
transition tables are capped with a note saying how many are left out (the JSON document keeps every one). A
75-day replay of the 15 CIS controls (33,410 transitions) stays a page of a few MB; ``bench/report_bench.py``
measures it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from trailguard.model.constants import COMPARISONS
from trailguard.report.charts import BarChart, TimelineChart, bar_chart, timeline_chart
from trailguard.report.environment import render_page
from trailguard.report.formats import alarm_sentence, bucket_name, format_time, format_value
from trailguard.report.replay_view import (
    AlarmDefinition,
    AlarmRecord,
    FilterRecord,
    MetricSeries,
    NotificationRecord,
    ReplayDocument,
    TransitionRecord,
    read_replay_document,
)
from trailguard.report.timeline import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    BusyPeriod,
    MinuteAggregate,
    alarm_view,
    busiest_periods,
    computable_statistic,
    histogram,
    histogram_bucket_ms,
    merge_minutes,
    state_bands,
    time_in_state,
)

__all__ = ["render_replay_html"]

#: Transitions listed per alarm before the table is cut (the rest are counted in a note).
MAX_TRANSITION_ROWS: Final = 100
#: Notification bodies included per alarm (each is about 1.5 kB); the others show their subject.
MAX_MESSAGE_BODIES: Final = 10
#: Close-ups of the busiest periods per alarm, for replays long enough that the overview is coarse.
CLOSE_UPS: Final = 3
#: A replay longer than this gets close-ups (an overview column is then wider than about 3 minutes).
CLOSE_UP_ABOVE_MS: Final = DAY_MS


@dataclass(frozen=True, slots=True)
class TransitionRow:
    transition: TransitionRecord
    notification: NotificationRecord | None
    show_message: bool


@dataclass(frozen=True, slots=True)
class CloseUp:
    period: BusyPeriod
    chart: TimelineChart


@dataclass(slots=True)
class AlarmSection:
    anchor: str
    record: AlarmRecord
    sentence: str
    statistic_note: str | None
    series_note: str | None
    chart: TimelineChart | None
    close_ups: list[CloseUp]
    busiest: list[BusyPeriod]
    peak: float | None
    rows: list[TransitionRow]
    rows_left_out: int
    messages_left_out: int
    to_alarm: int
    time_in_alarm_ms: int


@dataclass(slots=True)
class FilterSection:
    record: FilterRecord
    chart: BarChart | None
    bucket: str  # minute, 5 minutes, ..., hour, day or week
    total: float
    shared_with: list[str]  # other filters publishing to the same metric


@dataclass(frozen=True, slots=True)
class SeriesRow:
    series: MetricSeries
    minutes: int
    total: float
    busiest: MinuteAggregate | None


def render_replay_html(document: Mapping[str, Any]) -> str:
    """The replay document (``trailguard replay --output json``) as one HTML page.

    Raises :class:`~trailguard.report.document.DocumentError` when a field the page needs is missing or of the
    wrong type.
    """
    replay = read_replay_document(document)
    start_ms, end_ms = _span(replay)
    alarms = [_alarm_section(index, alarm, replay, start_ms, end_ms) for index, alarm in enumerate(replay.alarms)]
    return render_page(
        "replay.html.j2",
        replay=replay,
        start_ms=start_ms,
        end_ms=end_ms,
        alarms=alarms,
        filters=[_filter_section(f, replay, start_ms, end_ms) for f in replay.filters],
        series=[_series_row(series) for series in replay.metrics],
        limits={"rows": MAX_TRANSITION_ROWS, "messages": MAX_MESSAGE_BODIES},
    )


def _span(replay: ReplayDocument) -> tuple[int | None, int | None]:
    """The replay's window; a document without one (no event, no --from) spans its events, if any."""
    start = replay.window_start_ms
    if start is None:
        created = [alarm.created_ms for alarm in replay.alarms if alarm.created_ms is not None]
        start = min(created) if created else replay.input.first_event_ms
    end = replay.window_end_ms if replay.window_end_ms is not None else replay.input.last_event_ms
    if start is not None and (end is None or end <= start):
        end = start + MINUTE_MS
    return start, end


def _alarm_series(alarm: AlarmRecord, metrics: Sequence[MetricSeries]) -> list[MinuteAggregate]:
    """The minutes the alarm reads: its metric with exactly its dimensions, of its unit (or of every unit)."""
    definition = alarm.definition
    dimensions = definition.dimensions if definition is not None else {}
    unit = definition.unit if definition is not None else None
    points: list[MinuteAggregate] = []
    for series in metrics:
        if (series.namespace, series.name) != (alarm.namespace, alarm.metric_name) or series.dimensions != dimensions:
            continue
        if unit is not None and series.unit != unit:
            continue
        points.extend(series.points)
    return merge_minutes(points)


def _alarm_section(
    index: int, alarm: AlarmRecord, replay: ReplayDocument, start_ms: int | None, end_ms: int | None
) -> AlarmSection:
    definition = alarm.definition
    statistic = definition.statistic if definition is not None else "Sum"
    period_s = definition.period_s if definition is not None else 60
    drawn = computable_statistic(statistic)
    statistic_note = None
    if drawn != statistic:
        statistic_note = (
            f"{statistic} cannot be computed from the per-minute aggregates the document keeps; the line shows the "
            f"Maximum, which no {statistic} can exceed."
        )
    series_note = None
    if definition is None:
        series_note = "The document has no definition for this alarm (no ConfigurationUpdate in its history)."
    points = _alarm_series(alarm, replay.metrics)
    segments = alarm_view(points, statistic, period_s)
    busiest = busiest_periods(segments, period_s, CLOSE_UPS)
    if not points and series_note is None:
        series_note = "No datapoint was published to the metric this alarm reads."
    created = alarm.created_ms if alarm.created_ms is not None else start_ms
    chart: TimelineChart | None = None
    close_ups: list[CloseUp] = []
    time_in_alarm = 0
    if created is not None and end_ms is not None:
        bands = state_bands(created, end_ms, ((t.at_ms, t.new_state) for t in alarm.transitions))
        time_in_alarm = time_in_state(bands)
        notifications = [(n.at_ms, n.subject) for n in alarm.notifications]
        threshold = definition.threshold if definition is not None else None
        threshold_label = "" if definition is None or threshold is None else _threshold_label(definition)

        def chart_of(label: str, lo: int, hi: int) -> TimelineChart:
            return timeline_chart(
                label=label,
                alarm_name=alarm.name,
                start_ms=lo,
                end_ms=hi,
                segments=segments,
                bands=bands,
                notifications=notifications,
                threshold=threshold,
                threshold_label=threshold_label,
                statistic=drawn,
            )

        chart = chart_of(f"Timeline of {alarm.name}", created, end_ms)
        if end_ms - created > CLOSE_UP_ABOVE_MS:
            span = max(2 * HOUR_MS, 12 * period_s * 1000)
            for period in busiest:
                middle = (period.start_ms + period.end_ms) // 2
                lo = max(created, middle - span // 2)
                hi = min(end_ms, lo + span)
                label = f"{alarm.name} around {format_time(period.start_ms, seconds=False)}"
                close_ups.append(CloseUp(period, chart_of(label, lo, hi)))
    notifications_at = {n.at_ms: n for n in alarm.notifications}
    rows: list[TransitionRow] = []
    messages = 0
    for transition in alarm.transitions[:MAX_TRANSITION_ROWS]:
        notification = notifications_at.get(transition.at_ms)
        show = notification is not None and messages < MAX_MESSAGE_BODIES
        messages += show
        rows.append(TransitionRow(transition, notification, show))
    return AlarmSection(
        anchor=f"alarm-{index + 1}",
        record=alarm,
        sentence=_sentence(alarm, definition),
        statistic_note=statistic_note,
        series_note=series_note,
        chart=chart,
        close_ups=close_ups,
        busiest=busiest,
        peak=max((s.value for s in segments), default=None),
        rows=rows,
        rows_left_out=max(0, len(alarm.transitions) - MAX_TRANSITION_ROWS),
        messages_left_out=len(alarm.notifications) - messages,
        to_alarm=sum(1 for t in alarm.transitions if t.new_state == "ALARM"),
        time_in_alarm_ms=time_in_alarm,
    )


def _sentence(alarm: AlarmRecord, definition: AlarmDefinition | None) -> str:
    if definition is None:
        return f"reads {alarm.namespace}/{alarm.metric_name}"
    return alarm_sentence(
        definition.statistic,
        alarm.namespace,
        alarm.metric_name,
        definition.period_s,
        definition.comparison,
        definition.threshold,
        definition.datapoints_to_alarm,
        definition.evaluation_periods,
    )


def _threshold_label(definition: AlarmDefinition) -> str:
    known = COMPARISONS.get(definition.comparison)
    words = ["threshold", known.sign if known is not None else "", format_value(definition.threshold or 0.0)]
    return " ".join(word for word in words if word)


def _filter_section(
    record: FilterRecord, replay: ReplayDocument, start_ms: int | None, end_ms: int | None
) -> FilterSection:
    counts: list[tuple[int, float]] = []
    for series in replay.metrics:
        if (series.namespace, series.name) == (record.namespace, record.metric_name):
            counts.extend((point.minute_ms, point.count) for point in series.points)
    shared = [
        other.name
        for other in replay.filters
        if other is not record and (other.namespace, other.metric_name) == (record.namespace, record.metric_name)
    ]
    total = sum(count for _, count in counts)
    if start_ms is None or end_ms is None:
        return FilterSection(record, None, "hour", total, shared)
    bucket_ms = histogram_bucket_ms(start_ms, end_ms)
    bucket = bucket_name(bucket_ms)
    chart = bar_chart(
        label=f"Values published by {record.name} per {bucket}",
        start_ms=start_ms,
        bucket_ms=bucket_ms,
        counts=histogram(counts, start_ms, end_ms, bucket_ms),
        unit_name=bucket,
    )
    return FilterSection(record, chart, bucket, total, shared)


def _series_row(series: MetricSeries) -> SeriesRow:
    busiest = max(series.points, key=lambda point: point.sum, default=None)
    return SeriesRow(series, len(series.points), sum(point.sum for point in series.points), busiest)
