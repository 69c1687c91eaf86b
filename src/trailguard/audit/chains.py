"""The chains of one control in one region: trail → log group → metric filter → alarm → topic → subscription.

Every candidate chain is followed link by link through the inventory snapshot, joined by ARN (never by name), each
link judged the way its purpose demands: the trail by what it records of the control's required events, the
filter by the meaning of its pattern (:mod:`trailguard.audit.meaning`) and what it publishes, the alarm by
simulating it on those events (:mod:`trailguard.audit.firing`), the topic by whether CloudWatch can publish to it
(:mod:`trailguard.audit.topics`), the subscription by its confirmation. A chain stops at its first link that is
not ``ok``; a link's ``state`` says why it stopped it:

* ``broken`` — the link is wrong, and the account fails the control through this chain;
* ``error`` — a call needed to judge the link failed (AccessDenied ...): nothing is known past it;
* ``manual`` — only a person can judge it (a log group in an account trailguard has no credentials for, a
  metric-math alarm it cannot simulate, a KMS key policy); the chain continues when the rest can still be read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from trailguard.audit.firing import FiringResult, simulate_alarm
from trailguard.audit.meaning import FilterMeaning, shared_terms
from trailguard.audit.selectors import management_coverage, records_event
from trailguard.audit.topics import topic_delivery
from trailguard.aws.snapshot import NOT_ATTEMPTED, CallError, LogGroupRecord, Snapshot, TopicRecord, TrailRecord
from trailguard.catalog import CisControl
from trailguard.engine.metrics import compile_filter
from trailguard.model import Alarm, ConfigError, MetricFilter
from trailguard.model.common import is_sns_topic_arn
from trailguard.pattern import LogEvent, PatternError, compile_pattern

__all__ = ["Chain", "ChainContext", "Link", "LinkKind", "LinkState", "chains_for", "trail_link"]

LinkState = Literal["ok", "broken", "error", "manual"]
LinkKind = Literal["trail", "logGroup", "metricFilter", "alarm", "topic", "subscription"]


@dataclass(frozen=True)
class Link:
    """One link of a chain, as the audit document shows it (docs/audit-document.md)."""

    kind: LinkKind
    id: str
    region: str
    state: LinkState
    problem: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    errors: tuple[CallError, ...] = ()
    manual: tuple[str, ...] = ()  # what a person must check, when state is "manual" (or a note on an ok link)
    remedy: str | None = None  # a remedy specific to this problem (else the kind's general one)

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "region": self.region,
            "ok": self.ok,
            "state": self.state,
            "problem": self.problem,
            "details": self.details,
        }


Chain = tuple[Link, ...]


@dataclass
class ChainContext:
    """What the chains of one control share: the snapshot, the control, its required events, and caches so that
    each filter pattern is judged once and each (alarm, filter) simulated once per run."""

    snapshot: Snapshot
    control: CisControl
    required_events: Sequence[dict[str, Any]]
    judge: Callable[[str], FilterMeaning]
    _simulations: dict[tuple[str, str, str], list[FiringResult]] = field(default_factory=dict)

    def simulate(self, alarm: Alarm, alarm_key: str, metric_filter: MetricFilter, region: str) -> list[FiringResult]:
        """The simulation for each required event. Events the filter publishes identically (same series, same
        value: most branches of a pattern publish ``1``) make the alarm behave identically, so each distinct
        publication is simulated once."""
        key = (alarm_key, metric_filter.log_group_name + "\0" + metric_filter.filter_name, region)
        results = self._simulations.get(key)
        if results is None:
            account = self.snapshot.account_id
            by_publication: dict[object, FiringResult] = {}
            results = []
            for event in self.required_events:
                publication = _publication(metric_filter, event, account)
                result = by_publication.get(publication)
                if result is None:
                    result = simulate_alarm(alarm, metric_filter, event, account_id=account, region=region)
                    by_publication[publication] = result
                results.append(result)
            self._simulations[key] = results
        return results


def _publication(metric_filter: MetricFilter, event: dict[str, Any], account_id: str) -> object:
    """What the filter publishes for ``event``: (matched, series, value) — the only thing the alarm sees."""
    compiled = compile_filter(metric_filter, account_id=account_id, region="us-east-1")
    published: list[tuple[Any, float]] = []
    compiled.publish(LogEvent(orjson.dumps(event).decode(), parsed=event), 0, _pair_collector(published), None)
    return (compiled.counters.matched, tuple(published))


def _pair_collector(into: list[tuple[Any, float]]) -> Callable[[Any, int, float], None]:
    return lambda series, _minute, value: into.append((series, value))


def chains_for(context: ChainContext, region: str) -> list[Chain]:
    """Every candidate chain of the control for events of ``region``, each ending at its first non-ok link."""
    listing = next((item for item in context.snapshot.listings if item.region == region), None)
    if listing is None or listing.errors:
        errors = listing.errors if listing is not None else ()
        problem = "the trails of this region could not be listed" + (f": {errors[0]}" if errors else "")
        return [(Link("trail", f"DescribeTrails in {region}", region, "error", problem, errors=tuple(errors)),)]
    trails = [trail for arn in listing.trail_arns if (trail := context.snapshot.trail(arn)) is not None]
    if not trails:
        return [(Link("trail", f"no trail in {region}", region, "broken", "no trail records this region's events"),)]
    chains: list[Chain] = []
    for trail in trails:
        head = trail_link(context, trail, region)
        if not head.ok:
            chains.append((head,))
            continue
        chains.extend((head, *rest) for rest in _from_log_group(context, trail))
    return chains


# ---------------------------------------------------------------- trail


def trail_link(context: ChainContext, trail: TrailRecord, region: str) -> Link:
    """The trail's link: ok when it is multi-region, logging, records every required event, and delivers to a
    CloudWatch Logs log group."""
    coverage = management_coverage(trail.selectors) if trail.selectors is not None else (None, None, ())
    details = {
        "name": trail.name,
        "homeRegion": trail.home_region,
        "isMultiRegionTrail": trail.is_multi_region,
        "isOrganizationTrail": trail.is_organization_trail,
        "isLogging": trail.is_logging,
        "managementEvents": coverage[0],
        "selectorKind": coverage[1],
        "excludedEventSources": list(coverage[2]),
        "logGroupArn": trail.log_group_arn,
    }

    def link(
        state: LinkState, problem: str | None = None, errors: Sequence[CallError] = (), remedy: str | None = None
    ) -> Link:
        return Link("trail", trail.arn, trail.home_region, state, problem, details, tuple(errors), remedy=remedy)

    where = f"--name {trail.arn} --region {trail.home_region}"
    if not trail.is_multi_region:
        return link(
            "broken",
            f"trail {trail.name} is not multi-region (the control requires a multi-region trail)",
            remedy=f"make the trail multi-region: aws cloudtrail update-trail {where} --is-multi-region-trail",
        )
    if trail.is_logging is None:
        return link("error", f"the logging status of trail {trail.name} could not be read", _errors(trail, "Status"))
    if not trail.is_logging:
        return link(
            "broken",
            f"trail {trail.name} is not logging (StopLogging was called)",
            remedy=f"start it again: aws cloudtrail start-logging {where}",
        )
    if trail.selectors is None:
        return link("error", f"the event selectors of trail {trail.name} could not be read", _errors(trail, "Selec"))
    if coverage[0] != "All":
        what = {"ReadOnly": "only read-only", "WriteOnly": "only write", "None": "no"}[str(coverage[0])]
        return link(
            "broken",
            f"trail {trail.name} records {what} management events (the control requires all, read and write)",
            remedy=(
                f"record all management events: aws cloudtrail put-event-selectors {where} --event-selectors "
                '\'[{"ReadWriteType": "All", "IncludeManagementEvents": true}]\' (keeping its data-event '
                "selectors)"
            ),
        )
    for event in context.required_events:
        recording = records_event(trail.selectors, event)
        if not recording.recorded:
            return link(
                "broken",
                f"trail {trail.name} does not record {event.get('eventSource')} {event.get('eventName')}: "
                f"{recording.why}",
                remedy=(
                    f"stop excluding {event.get('eventSource')} management events from trail {trail.name}'s event "
                    "selectors (ExcludeManagementEventSources, or an advanced selector's eventSource NotEquals)"
                ),
            )
    if trail.log_group is None:
        return link("broken", f"trail {trail.name} delivers to no CloudWatch Logs log group")
    return link("ok")


def _errors(record: Any, operation_part: str) -> tuple[CallError, ...]:
    return tuple(error for error in record.errors if operation_part in error.operation) or tuple(record.errors)


# ---------------------------------------------------------------- log group and metric filters


def _from_log_group(context: ChainContext, trail: TrailRecord) -> Iterator[Chain]:
    ref = trail.log_group
    assert ref is not None
    record = context.snapshot.log_group(ref)
    details = {"name": ref.name, "account": ref.account_id, "region": ref.region}

    def link(state: LinkState, problem: str | None = None, **extra: Any) -> Link:
        return Link("logGroup", ref.arn, ref.region, state, problem, details, **extra)

    if record is None or (record.metric_filters is None and _not_attempted(record)):
        yield (
            link(
                "manual",
                f"log group {ref.name} belongs to account {ref.account_id}, which trailguard has no credentials for",
                manual=(
                    f"re-run with --assume-role arn:aws:iam::{ref.account_id}:role/<audit role> to follow the chain "
                    f"into account {ref.account_id}, or check there that log group {ref.name} ({ref.region}) has a "
                    f"metric filter for {context.control.pattern} with an alarm that notifies a confirmed "
                    "subscriber",
                ),
            ),
        )
        return
    if record.exists is False:
        yield (link("broken", f"log group {ref.name} does not exist in {ref.account_id} {ref.region}"),)
        return
    if record.metric_filters is None:
        yield (link("error", f"the metric filters of log group {ref.name} could not be read", errors=record.errors),)
        return
    head = link("ok")
    if not record.metric_filters:
        yield (head, _no_filter(record))
        return
    for entry in record.metric_filters:
        filter_link, metric_filter = _filter_link(context, record, entry)
        if not filter_link.ok or metric_filter is None:
            yield (head, filter_link)
            continue
        for rest in _from_alarms(context, record, metric_filter, filter_link):
            yield (head, *rest)


def _not_attempted(record: LogGroupRecord) -> bool:
    return record.read_as is None or any(error.code == NOT_ATTEMPTED for error in record.errors)


def _no_filter(record: LogGroupRecord) -> Link:
    return Link(
        "metricFilter",
        f"no metric filter on {record.name}",
        record.region,
        "broken",
        f"log group {record.name} has no metric filter",
    )


def _filter_link(
    context: ChainContext, record: LogGroupRecord, entry: Mapping[str, Any]
) -> tuple[Link, MetricFilter | None]:
    name = str(entry.get("filterName", "?"))
    pattern = str(entry.get("filterPattern", ""))
    transformations = entry.get("metricTransformations") or [{}]
    transformation = transformations[0] if isinstance(transformations, list) and transformations else {}
    meaning = context.judge(pattern)
    decisive = meaning.decisive
    details: dict[str, Any] = {
        "logGroupName": record.name,
        "pattern": pattern,
        "verdict": str(meaning.verdict),
        "method": str(decisive.method),
        "proven": decisive.proven,
        "explanation": decisive.explanation,
        "missedExample": decisive.missed_example,
        "extraExample": decisive.extra_example,
        "metric": {
            "namespace": transformation.get("metricNamespace"),
            "name": transformation.get("metricName"),
            "value": transformation.get("metricValue"),
            "dimensions": transformation.get("dimensions") or {},
        },
    }
    if meaning.alternative is not None:
        details["acceptedAs"] = "the benchmark's alternative pattern " + meaning.alternative.reference

    def link(state: LinkState, problem: str | None = None) -> Link:
        return Link("metricFilter", name, record.region, state, problem, details)

    details["countsRequired"] = _counted_required(context, pattern)
    details["sharedTerms"] = shared_terms(pattern, context.control)
    if not meaning.accepted:
        return link("broken", f"filter {name} {_verdict_words(meaning)}"), None
    try:
        metric_filter = MetricFilter.from_api_dict({**entry, "logGroupName": record.name})
    except ConfigError as error:
        return link("broken", f"filter {name} cannot be read: {error.problems[0]}"), None
    published = _published_values(context, metric_filter)
    details["publishesPositive"] = all(value is not None and value > 0 for value in published)
    if not details["publishesPositive"]:
        shown = ", ".join("nothing" if value is None else f"{value:g}" for value in published)
        return (
            link(
                "broken",
                f"filter {name} counts the required events but publishes {shown} for them (metricValue "
                f"{metric_filter.metric_transformation.metric_value}), so no alarm on its metric can see them",
            ),
            None,
        )
    return link("ok"), metric_filter


def _counted_required(context: ChainContext, pattern: str) -> int:
    """How many of the control's required events the pattern counts (0 for an invalid pattern)."""
    try:
        compiled = compile_pattern(pattern)
    except PatternError:
        return 0
    return sum(
        1
        for event in context.required_events
        if compiled.test_event(LogEvent(orjson.dumps(event).decode(), parsed=event))
    )


def _published_values(context: ChainContext, metric_filter: MetricFilter) -> list[float | None]:
    """The value the filter publishes for each required event as a match (None: nothing)."""
    values: list[float | None] = []
    for event in context.required_events:
        compiled = compile_filter(metric_filter, account_id=context.snapshot.account_id, region="us-east-1")
        published: list[float] = []
        sink = _collector(published)
        compiled.publish(LogEvent(orjson.dumps(event).decode(), parsed=event), 0, sink, None)
        values.append(published[0] if published and compiled.counters.matched else None)
    return values


def _collector(into: list[float]) -> Callable[[Any, int, float], None]:
    return lambda _series, _minute, value: into.append(value)


def _verdict_words(meaning: FilterMeaning) -> str:
    decisive = meaning.decisive
    verdict = str(meaning.verdict)
    if verdict == "invalid":
        return f"has an invalid pattern ({decisive.explanation})"
    return f"misses events the control requires: {decisive.explanation}"


# ---------------------------------------------------------------- alarms


def _from_alarms(
    context: ChainContext, record: LogGroupRecord, metric_filter: MetricFilter, filter_link: Link
) -> Iterator[tuple[Link, ...]]:
    metric = metric_filter.metric
    alarms = context.snapshot.alarms(record.account_id, record.region)
    if alarms is None or alarms.metric_alarms is None:
        errors = alarms.errors if alarms is not None else ()
        problem = f"the alarms of {record.account_id} {record.region} could not be read"
        yield (filter_link, Link("alarm", f"alarms in {record.region}", record.region, "error", problem, errors=errors))
        return
    candidates = [raw for raw in alarms.metric_alarms if _watches(raw, metric.namespace, metric.name)]
    if not candidates:
        problem = f"no alarm in {record.region} watches metric {metric.namespace}/{metric.name}"
        yield (filter_link, Link("alarm", f"no alarm on {metric}", record.region, "broken", problem))
        return
    composites = alarms.composite_alarms or ()
    for raw in candidates:
        alarm_link, actions = _alarm_link(context, record, metric_filter, raw, composites)
        if not alarm_link.ok and alarm_link.state != "manual":
            yield (filter_link, alarm_link)
            continue
        for rest in _from_topics(context, alarm_link, actions):
            yield (filter_link, *rest)


def _watches(raw: Mapping[str, Any], namespace: str, name: str) -> bool:
    if raw.get("MetricName") == name and raw.get("Namespace") == namespace:
        return True
    for query in raw.get("Metrics") or []:
        stat = (query.get("MetricStat") or {}).get("Metric") or {}
        if stat.get("MetricName") == name and stat.get("Namespace") == namespace:
            return True
    return False


def _single_metric_form(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """A metric-math alarm whose only query is one MetricStat, rewritten as the plain alarm it is; None when it
    computes an expression."""
    queries = raw.get("Metrics") or []
    if len(queries) != 1 or "MetricStat" not in queries[0]:
        return None
    stat = queries[0]["MetricStat"]
    metric = stat.get("Metric") or {}
    plain = {k: v for k, v in raw.items() if k not in ("Metrics", "ThresholdMetricId")}
    plain.update(
        {
            "MetricName": metric.get("MetricName"),
            "Namespace": metric.get("Namespace"),
            "Dimensions": metric.get("Dimensions") or [],
            "Period": stat.get("Period"),
            "Statistic": stat.get("Stat"),
        }
    )
    if stat.get("Unit"):
        plain["Unit"] = stat["Unit"]
    return plain


def _alarm_link(
    context: ChainContext,
    record: LogGroupRecord,
    metric_filter: MetricFilter,
    raw: Mapping[str, Any],
    composites: Sequence[Mapping[str, Any]],
) -> tuple[Link, tuple[str, ...]]:
    name = str(raw.get("AlarmName", "?"))
    arn = str(raw.get("AlarmArn") or f"arn:aws:cloudwatch:{record.region}:{record.account_id}:alarm:{name}")
    actions = tuple(str(a) for a in raw.get("AlarmActions") or ())
    details: dict[str, Any] = {
        "name": name,
        "actionsEnabled": raw.get("ActionsEnabled", True),
        "statistic": raw.get("Statistic") or raw.get("ExtendedStatistic"),
        "period": raw.get("Period"),
        "threshold": raw.get("Threshold"),
        "comparisonOperator": raw.get("ComparisonOperator"),
        "evaluationPeriods": raw.get("EvaluationPeriods"),
        "datapointsToAlarm": raw.get("DatapointsToAlarm"),
        "treatMissingData": raw.get("TreatMissingData"),
        "fires": None,
        "firedAfterSeconds": None,
        "stateReason": None,
        "alarmActions": list(actions),
    }

    def link(state: LinkState, problem: str | None = None, manual: tuple[str, ...] = ()) -> Link:
        return Link("alarm", arn, record.region, state, problem, details, manual=manual)

    definition = dict(raw)
    if raw.get("Metrics"):
        single = _single_metric_form(raw)
        if single is None:
            expressions = [q.get("Expression") for q in raw["Metrics"] if q.get("Expression")]
            return link(
                "manual",
                f"alarm {name} evaluates a metric math expression ({'; '.join(map(str, expressions))})",
                (
                    f"check that alarm {name}'s expression goes to ALARM on a single {metric_filter.metric} datapoint "
                    "of 1 (trailguard simulates alarms on one metric only)",
                ),
            ), ()
        definition = single
        details.update(statistic=single.get("Statistic"), period=single.get("Period"))
    if raw.get("ActionsEnabled") is False:
        problem = f"alarm {name} has its actions disabled, so it notifies no one"
        remedy = f"enable them: aws cloudwatch enable-alarm-actions --alarm-names '{name}' --region {record.region}"
        return Link("alarm", arn, record.region, "broken", problem, details, remedy=remedy), ()
    try:
        alarm = Alarm.from_api_dict(definition)
    except ConfigError as error:
        return link("broken", f"alarm {name} cannot be simulated: {error.problems[0]}"), ()
    results = context.simulate(alarm, arn, metric_filter, record.region)
    failed = next((r for r in results if not r.fires), None)
    fired = [r for r in results if r.fires]
    if fired:
        details.update(
            fires=failed is None,
            firedAfterSeconds=max(r.fired_after_seconds or 0 for r in fired),
            stateReason=fired[0].state_reason,
        )
    if failed is not None:
        details["fires"] = False
        return link("broken", f"alarm {name} does not fire on a required event: {failed.problem}"), ()
    topics = tuple(a for a in actions if is_sns_topic_arn(a))
    if not topics:
        composite = _composite_actions(name, arn, composites)
        if composite is not None:
            composite_name, composite_topics = composite
            details["compositeAlarm"] = composite_name
            topics = composite_topics
    if not topics:
        return link("broken", f"alarm {name} has no SNS topic among its alarm actions"), ()
    return link("ok"), topics


def _composite_actions(
    name: str, arn: str, composites: Sequence[Mapping[str, Any]]
) -> tuple[str, tuple[str, ...]] | None:
    """A composite alarm that goes to ALARM whenever this one does (its rule an OR of ALARM(...) states naming
    it), with its SNS actions; None when there is none."""
    for composite in composites:
        rule = str(composite.get("AlarmRule", ""))
        named = re.findall(r"ALARM\(\s*\"?([^\")]+?)\"?\s*\)", rule)
        if not (name in named or arn in named):
            continue
        if re.search(r"\b(AND|NOT)\b", rule) or re.search(r"\b(OK|INSUFFICIENT_DATA)\(", rule):
            continue
        if composite.get("ActionsEnabled") is False:
            continue
        topics = tuple(str(a) for a in composite.get("AlarmActions") or () if is_sns_topic_arn(str(a)))
        if topics:
            return str(composite.get("AlarmName")), topics
    return None


# ---------------------------------------------------------------- topics and subscriptions


def _from_topics(context: ChainContext, alarm_link: Link, topics: Sequence[str]) -> Iterator[tuple[Link, ...]]:
    if alarm_link.state == "manual":
        yield (alarm_link,)
        return
    for arn in topics:
        topic = context.snapshot.topic(arn)
        topic_link = _topic_link(context, arn, topic, alarm_link.id)
        if topic_link.state in ("broken", "error") or topic is None:
            yield (alarm_link, topic_link)
            continue
        yield (alarm_link, topic_link, _subscription_link(topic))


def _topic_link(context: ChainContext, arn: str, topic: TopicRecord | None, alarm_arn: str) -> Link:
    region = arn.split(":")[3] if arn.count(":") >= 5 else ""
    details: dict[str, Any] = {"exists": None, "owner": None, "policyAllowsCloudWatch": None, "kmsMasterKeyId": None}

    def link(state: LinkState, problem: str | None = None, **extra: Any) -> Link:
        return Link("topic", arn, region, state, problem, details, **extra)

    if topic is None:
        return link("error", f"topic {arn} was not read")
    if topic.attributes is None:
        if any(error.code in ("NotFound", "NotFoundException") for error in topic.errors):
            details["exists"] = False
            return link("broken", f"topic {arn} does not exist", errors=topic.errors)
        return link("error", f"the attributes of topic {arn} could not be read", errors=topic.errors)
    details.update(
        exists=True,
        owner=topic.attributes.get("Owner"),
        kmsMasterKeyId=topic.attributes.get("KmsMasterKeyId"),
    )
    alarm_account = alarm_arn.split(":")[4] if alarm_arn.count(":") >= 5 else context.snapshot.account_id
    delivery = topic_delivery(topic.attributes, account_id=alarm_account, alarm_arns=[alarm_arn])
    details["policyAllowsCloudWatch"] = delivery.allowed
    if delivery.allowed is False:
        return link("broken", delivery.problem)
    if delivery.manual:
        return link("manual", delivery.problem, manual=(delivery.problem or "",))
    return link("ok")


def _subscription_link(topic: TopicRecord) -> Link:
    if topic.subscriptions is None:
        return Link(
            "subscription",
            f"subscriptions of {topic.name}",
            topic.region,
            "error",
            f"the subscriptions of topic {topic.arn} could not be listed",
            errors=topic.errors,
        )
    confirmed = [s for s in topic.subscriptions if str(s.get("SubscriptionArn", "")).startswith("arn:")]
    pending = [s for s in topic.subscriptions if s not in confirmed]
    if confirmed:
        chosen = confirmed[0]
        details = {"protocol": chosen.get("Protocol"), "endpoint": chosen.get("Endpoint"), "confirmed": True}
        return Link("subscription", str(chosen["SubscriptionArn"]), topic.region, "ok", None, details)
    if pending:
        first = pending[0]
        details = {"protocol": first.get("Protocol"), "endpoint": first.get("Endpoint"), "confirmed": False}
        return Link(
            "subscription",
            str(first.get("SubscriptionArn", "PendingConfirmation")),
            topic.region,
            "broken",
            f"topic {topic.name} has {len(pending)} subscription(s), none confirmed: a pending subscription "
            "receives nothing until someone confirms it",
            details,
        )
    return Link(
        "subscription",
        f"no subscription to {topic.name}",
        topic.region,
        "broken",
        f"topic {topic.name} has no subscription: its notifications reach no one",
    )
