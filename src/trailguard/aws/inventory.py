"""Read once, read-only, everything the CIS monitoring audit needs from an account into a :class:`Snapshot`.

The links are followed by ARN, into the region and account each ARN names:

1. ``sts:GetCallerIdentity`` — the audited account and partition.
2. ``cloudtrail:DescribeTrails(includeShadowTrails=True)`` in every audited region. A multi-region or
   organization trail is listed in every region (a "shadow trail"); trails are kept once, by ``TrailARN``.
3. ``GetTrailStatus`` and ``GetEventSelectors`` for each trail, by ARN, in the trail's home region (where
   the trail is defined: "Viewing CloudTrail trails", AWS CloudTrail User Guide), whichever region listed it.
4. For each log group named by a trail's ``CloudWatchLogsLogGroupArn``, in the region and account that ARN
   names (never by name alone): ``logs:DescribeLogGroups`` (does it exist) and
   ``logs:DescribeMetricFilters(logGroupName=...)``, every page.
5. ``cloudwatch:DescribeAlarms`` (every page, metric and composite alarms) in every (account, region) holding
   such a log group: a metric filter publishes in its log group's region, and an alarm must be in its
   metric's region.
6. For every SNS topic in the ``AlarmActions`` of an alarm that could be on a chain (one watching, directly
   or in metric math, a metric some of those filters publish, or a composite alarm whose rule names one):
   ``sns:GetTopicAttributes`` and ``sns:ListSubscriptionsByTopic`` (every page), in the topic ARN's region.

Every response is fetched once per run and shared. Calls run on a bounded thread pool, regions and
resources concurrently. A call that fails (AccessDenied, NotFound, throttling after retries...) is recorded
against its resource and the inventory goes on; only credential, region, endpoint and connection problems
(:attr:`AwsError.fatal`) stop it. Resources of another account are read with that account's session when
one is given (``follow``), otherwise log groups and alarms there are recorded as not attempted (reading
them with the audited account's credentials would read a same-named resource of the wrong account); trails
and topics, which the APIs address by ARN, are still attempted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from trailguard.aws.errors import AwsError
from trailguard.aws.paging import read_all_pages
from trailguard.aws.permissions import (
    DESCRIBE_ALARMS,
    DESCRIBE_LOG_GROUPS,
    DESCRIBE_METRIC_FILTERS,
    DESCRIBE_TRAILS,
    GET_EVENT_SELECTORS,
    GET_TOPIC_ATTRIBUTES,
    GET_TRAIL_STATUS,
    LIST_SUBSCRIPTIONS_BY_TOPIC,
    ReadAction,
)
from trailguard.aws.regions import enabled_regions
from trailguard.aws.session import AwsSession, check_region_name
from trailguard.aws.snapshot import (
    NOT_ATTEMPTED,
    AlarmRegionRecord,
    CallError,
    LogGroupRecord,
    LogGroupRef,
    RegionListing,
    Snapshot,
    TopicRecord,
    TrailRecord,
    parse_log_group_arn,
    plain_response,
)
from trailguard.model.common import parse_arn

__all__ = ["DEFAULT_WORKERS", "collect_inventory", "read_resources", "relevant_topic_arns"]

#: Threads reading at once. AWS's read APIs allow several requests per second per region and account;
#: the adaptive retry mode slows a client down if one is throttled.
DEFAULT_WORKERS = 16

_T = TypeVar("_T")


def collect_inventory(
    session: AwsSession,
    *,
    regions: Sequence[str] | None = None,
    all_regions: bool = False,
    follow: Iterable[AwsSession] = (),
    max_workers: int = DEFAULT_WORKERS,
    now: datetime | None = None,
) -> Snapshot:
    """Read the account of ``session`` into a :class:`Snapshot`.

    ``regions`` are the regions to audit (default: the session's region); ``all_regions`` audits every
    region enabled for the account instead. ``follow`` are sessions for other accounts (an organization's
    management account, a central logging account) whose resources the chains may lead to. Raises
    :class:`AwsError` only for fatal problems; every other failure is recorded in the snapshot.
    """
    if max_workers < 1:
        raise AwsError("max_workers must be at least 1", kind="usage")
    if all_regions and regions:
        raise AwsError("give regions or all_regions, not both", kind="usage")
    started = (now or datetime.now(UTC)).astimezone(UTC)
    identity = session.identity()
    others: dict[str, AwsSession] = {}
    for other in follow:
        account = other.identity().account_id
        if account != identity.account_id:
            others[account] = other
    notes: list[str] = []
    if all_regions:
        listed = enabled_regions(session, identity.partition)
        audited, source = listed.regions, listed.source
        if listed.note:
            notes.append(listed.note)
    elif regions:
        for region in regions:
            check_region_name(region)
        audited, source = tuple(sorted(set(regions))), "requested"
    else:
        audited, source = (session.region,), "default"
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="trailguard-inventory") as pool:
        run = _Run(session, identity.account_id, others, pool, notes)
        listings, trails, log_groups, alarm_regions, topics = run.collect(audited)
    return Snapshot(
        account_id=identity.account_id,
        caller_arn=identity.arn,
        partition=identity.partition,
        generated=started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        regions=audited,
        region_source=source,
        notes=tuple(notes),
        followed_accounts=tuple(sorted(others)),
        listings=listings,
        trails=trails,
        log_groups=log_groups,
        alarm_regions=alarm_regions,
        topics=topics,
    )


def read_resources(
    session: AwsSession,
    *,
    log_groups: Iterable[LogGroupRef] = (),
    alarm_places: Iterable[tuple[str, str]] = (),
    topics: Iterable[str] = (),
    max_workers: int = DEFAULT_WORKERS,
) -> tuple[tuple[LogGroupRecord, ...], tuple[AlarmRegionRecord, ...], tuple[TopicRecord, ...]]:
    """Read, as the inventory would, resources no trail or alarm led it to: log groups (existence and metric
    filters), the alarms of (account, region) places, and SNS topics by ARN. Remediation reads the log group it
    would attach a trail to and the topic it would notify, so that a plan recognises what already exists.

    Failed calls are recorded in the records; fatal problems raise :class:`AwsError`.
    """
    identity = session.identity()
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="trailguard-inventory") as pool:
        run = _Run(session, identity.account_id, {}, pool, [])
        groups = tuple(run._all([partial(run._log_group, ref) for ref in dict.fromkeys(log_groups)]))
        alarms = run._alarms_at(sorted(set(alarm_places)))
        topic_records = tuple(run._all([partial(run._topic, arn) for arn in sorted(set(topics))]))
    return groups, alarms, topic_records


def relevant_topic_arns(
    metric_alarms: Iterable[Mapping[str, Any]],
    composite_alarms: Iterable[Mapping[str, Any]],
    metrics: set[tuple[str, str]],
) -> set[str]:
    """SNS topic ARNs in the ``AlarmActions`` of alarms that could be on a chain.

    An alarm qualifies when it watches one of ``metrics`` ((namespace, metric name) pairs some metric filter
    publishes), directly or as a ``MetricStat`` of its metric math; a composite alarm when its rule names a
    qualifying alarm (by name or ARN, composite alarms nesting). Dimensions are not compared: the audit
    decides that, and reading a topic too many costs one call, missing one costs a wrong verdict.
    """
    names: set[str] = set()
    topics: set[str] = set()

    def take(alarm: Mapping[str, Any]) -> None:
        names.update(str(alarm.get(key)) for key in ("AlarmName", "AlarmArn") if alarm.get(key))
        for action in alarm.get("AlarmActions") or ():
            arn = parse_arn(str(action))
            if arn is not None and arn.service == "sns":
                topics.add(str(action))

    for alarm in metric_alarms:
        watched = {(str(alarm.get("Namespace")), str(alarm.get("MetricName")))}
        for query in alarm.get("Metrics") or ():
            metric = (query.get("MetricStat") or {}).get("Metric") or {}
            watched.add((str(metric.get("Namespace")), str(metric.get("MetricName"))))
        if watched & metrics:
            take(alarm)
    pending = list(composite_alarms)
    while names and pending:
        found = [alarm for alarm in pending if any(name in str(alarm.get("AlarmRule", "")) for name in names)]
        if not found:
            break
        for alarm in found:
            take(alarm)
        pending = [alarm for alarm in pending if alarm not in found]
    return topics


@dataclass
class _TrailState:
    arn: str
    home_region: str
    description: dict[str, Any]
    listed_in: set[str] = field(default_factory=set)
    status: dict[str, Any] | None = None
    selectors: dict[str, Any] | None = None
    read_as: str | None = None
    errors: list[CallError] = field(default_factory=list)


class _Run:
    """One inventory run: the sessions, the pool, and what has been read so far."""

    def __init__(
        self,
        session: AwsSession,
        account_id: str,
        others: Mapping[str, AwsSession],
        pool: ThreadPoolExecutor,
        notes: list[str],
    ) -> None:
        self.session = session
        self.account_id = account_id
        self.others = others
        self.pool = pool
        self.notes = notes
        self._lock = threading.Lock()  # guards notes and the trail states two tasks fill in

    # --- plumbing -----------------------------------------------------------------------------------

    def _all(self, tasks: Sequence[Callable[[], _T]]) -> list[_T]:
        """Run ``tasks`` on the pool; results in order. The first fatal error cancels the rest and is raised."""
        futures: list[Future[_T]] = [self.pool.submit(task) for task in tasks]
        wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            failure = future.exception() if future.done() and not future.cancelled() else None
            if failure is not None:
                for other in futures:
                    other.cancel()
                wait(futures)
                raise failure
        return [future.result() for future in futures]

    def _session_for(self, account_id: str) -> AwsSession | None:
        if account_id == self.account_id:
            return self.session
        return self.others.get(account_id)

    def _note_repeat(self, action: ReadAction, region: str, resource: str) -> Callable[[str], None]:
        def note(token: str) -> None:
            with self._lock:
                self.notes.append(
                    f"{action.service}:{action.operation} in {region} for {resource or 'the region'} returned a "
                    "pagination token it had already returned; paging stopped there (results may be incomplete)"
                )

        return note

    @staticmethod
    def _recorded(error: AwsError, action: ReadAction, region: str, account_id: str | None, resource: str) -> CallError:
        """``error`` as a :class:`CallError` to keep in the snapshot; a fatal one is raised instead."""
        if error.fatal:
            raise error
        return CallError(
            service=action.service,
            operation=action.operation,
            region=region,
            account_id=account_id,
            resource=resource,
            code=error.code or error.kind,
            message=error.aws_message or error.message,
        )

    def _pages(
        self,
        session: AwsSession,
        action: ReadAction,
        region: str,
        resource: str,
        token_key: str,
        params: dict[str, Any],
        until: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        def page(token: str | None) -> dict[str, Any]:
            return session.read(action, region, **params, **({token_key: token} if token else {}))

        return read_all_pages(
            page, token_key, on_repeated_token=self._note_repeat(action, region, resource), until=until
        )

    # --- the run ------------------------------------------------------------------------------------

    def collect(
        self, regions: Sequence[str]
    ) -> tuple[
        tuple[RegionListing, ...],
        tuple[TrailRecord, ...],
        tuple[LogGroupRecord, ...],
        tuple[AlarmRegionRecord, ...],
        tuple[TopicRecord, ...],
    ]:
        listings, trails = self._trails(regions)
        log_groups = self._log_groups(trails)
        alarm_regions = self._alarms(log_groups)
        topics = self._topics(log_groups, alarm_regions)
        trail_records = tuple(
            TrailRecord(
                arn=state.arn,
                home_region=state.home_region,
                listed_in=tuple(sorted(state.listed_in)),
                description=state.description,
                status=state.status,
                selectors=state.selectors,
                read_as=state.read_as,
                errors=tuple(state.errors),
            )
            for state in sorted(trails.values(), key=lambda state: state.arn)
        )
        return listings, trail_records, log_groups, alarm_regions, topics

    def _trails(self, regions: Sequence[str]) -> tuple[tuple[RegionListing, ...], dict[str, _TrailState]]:
        def list_region(region: str) -> tuple[RegionListing, list[dict[str, Any]]]:
            try:
                response = self.session.read(DESCRIBE_TRAILS, region, includeShadowTrails=True)
            except AwsError as error:
                failure = self._recorded(error, DESCRIBE_TRAILS, region, self.account_id, "")
                return RegionListing(region, (), (failure,)), []
            described = [plain_response(trail) for trail in response.get("trailList", [])]
            return RegionListing(region, tuple(str(trail.get("TrailARN", "")) for trail in described)), described

        results = self._all([partial(list_region, region) for region in regions])
        trails: dict[str, _TrailState] = {}
        for (listing, described), region in zip(results, regions, strict=True):
            for description in described:
                arn = str(description.get("TrailARN") or "")
                if not arn:
                    continue
                home = str(description.get("HomeRegion") or _arn_region(arn) or region)
                state = trails.get(arn)
                if state is None:
                    state = trails[arn] = _TrailState(arn, home, description)
                elif region == home:  # the home region's listing is the trail itself, not a shadow
                    state.description = description
                state.listed_in.add(listing.region)
        self._all(
            [
                partial(self._trail_detail, state, action)
                for state in trails.values()
                for action in (GET_TRAIL_STATUS, GET_EVENT_SELECTORS)
            ]
        )
        return tuple(listing for listing, _ in results), trails

    def _trail_detail(self, state: _TrailState, action: ReadAction) -> None:
        owner = _arn_account(state.arn)
        # An organization trail is owned by the management account; member accounts may still read its
        # status, so the audited credentials try when there are none for the owner.
        session = self._session_for(owner) or self.session
        parameter = "Name" if action is GET_TRAIL_STATUS else "TrailName"
        try:
            response = plain_response(session.read(action, state.home_region, **{parameter: state.arn}))
        except AwsError as error:
            failure = self._recorded(error, action, state.home_region, owner, state.arn)
            with self._lock:
                state.errors.append(failure)
            return
        reader = session.identity().account_id
        with self._lock:
            if action is GET_TRAIL_STATUS:
                state.status = response
            else:
                state.selectors = response
            state.read_as = reader

    def _log_groups(self, trails: Mapping[str, _TrailState]) -> tuple[LogGroupRecord, ...]:
        refs: dict[str, LogGroupRef] = {}
        for state in trails.values():
            arn = state.description.get("CloudWatchLogsLogGroupArn")
            if not arn:
                continue
            ref = parse_log_group_arn(str(arn))
            if ref is None:
                state.errors.append(
                    CallError(
                        service="logs",
                        operation="DescribeMetricFilters",
                        region=state.home_region,
                        account_id=_arn_account(state.arn),
                        resource=str(arn),
                        code=NOT_ATTEMPTED,
                        message="CloudWatchLogsLogGroupArn is not a log group ARN "
                        "(arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*)",
                    )
                )
                continue
            refs.setdefault(ref.arn, ref)
        ordered = [refs[arn] for arn in sorted(refs)]
        return tuple(self._all([partial(self._log_group, ref) for ref in ordered]))

    def _log_group(self, ref: LogGroupRef) -> LogGroupRecord:
        session = self._session_for(ref.account_id)
        if session is None:
            why = self._foreign(ref.account_id, "log group")
            skipped = tuple(
                CallError(a.service, a.operation, ref.region, ref.account_id, ref.arn, NOT_ATTEMPTED, why)
                for a in (DESCRIBE_LOG_GROUPS, DESCRIBE_METRIC_FILTERS)
            )
            return LogGroupRecord(ref, None, None, None, None, skipped)
        errors: list[CallError] = []

        def describe() -> dict[str, Any] | None:
            def found(page: dict[str, Any]) -> bool:
                return any(group.get("logGroupName") == ref.name for group in page.get("logGroups", []))

            pages = self._pages(
                session,
                DESCRIBE_LOG_GROUPS,
                ref.region,
                ref.arn,
                "nextToken",
                {"logGroupNamePrefix": ref.name},
                until=found,
            )
            for page in pages:
                for group in page.get("logGroups", []):
                    if group.get("logGroupName") == ref.name:
                        return dict(plain_response(group))
            return None

        def filters() -> list[dict[str, Any]]:
            pages = self._pages(
                session, DESCRIBE_METRIC_FILTERS, ref.region, ref.arn, "nextToken", {"logGroupName": ref.name}
            )
            return [plain_response(item) for page in pages for item in page.get("metricFilters", [])]

        exists: bool | None = None
        description: dict[str, Any] | None = None
        try:
            description = describe()
            exists = description is not None
        except AwsError as error:
            errors.append(self._recorded(error, DESCRIBE_LOG_GROUPS, ref.region, ref.account_id, ref.arn))
        metric_filters: tuple[dict[str, Any], ...] | None = None
        try:
            metric_filters = tuple(filters())
        except AwsError as error:
            errors.append(self._recorded(error, DESCRIBE_METRIC_FILTERS, ref.region, ref.account_id, ref.arn))
        return LogGroupRecord(ref, exists, description, metric_filters, session.identity().account_id, tuple(errors))

    def _alarms(self, log_groups: Sequence[LogGroupRecord]) -> tuple[AlarmRegionRecord, ...]:
        return self._alarms_at(sorted({(group.account_id, group.region) for group in log_groups}))

    def _alarms_at(self, places: Sequence[tuple[str, str]]) -> tuple[AlarmRegionRecord, ...]:

        def read(account_id: str, region: str) -> AlarmRegionRecord:
            session = self._session_for(account_id)
            if session is None:
                why = self._foreign(account_id, "alarms")
                skipped = CallError(
                    DESCRIBE_ALARMS.service, DESCRIBE_ALARMS.operation, region, account_id, "", NOT_ATTEMPTED, why
                )
                return AlarmRegionRecord(account_id, region, None, None, None, (skipped,))
            try:
                pages = self._pages(
                    session,
                    DESCRIBE_ALARMS,
                    region,
                    "",
                    "NextToken",
                    # Without AlarmTypes, DescribeAlarms returns metric alarms only ("DescribeAlarms",
                    # Amazon CloudWatch API Reference).
                    {"AlarmTypes": ["MetricAlarm", "CompositeAlarm"], "MaxRecords": 100},
                )
            except AwsError as error:
                failure = self._recorded(error, DESCRIBE_ALARMS, region, account_id, "")
                return AlarmRegionRecord(account_id, region, None, None, session.identity().account_id, (failure,))
            metric = tuple(plain_response(alarm) for page in pages for alarm in page.get("MetricAlarms", []))
            composite = tuple(plain_response(alarm) for page in pages for alarm in page.get("CompositeAlarms", []))
            return AlarmRegionRecord(account_id, region, metric, composite, session.identity().account_id)

        return tuple(self._all([partial(read, *place) for place in places]))

    def _topics(
        self, log_groups: Sequence[LogGroupRecord], alarm_regions: Sequence[AlarmRegionRecord]
    ) -> tuple[TopicRecord, ...]:
        metrics: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for group in log_groups:
            published = metrics.setdefault((group.account_id, group.region), set())
            for metric_filter in group.metric_filters or ():
                for transformation in metric_filter.get("metricTransformations") or ():
                    published.add((str(transformation.get("metricNamespace")), str(transformation.get("metricName"))))
        arns: set[str] = set()
        for alarms in alarm_regions:
            arns |= relevant_topic_arns(
                alarms.metric_alarms or (),
                alarms.composite_alarms or (),
                metrics.get((alarms.account_id, alarms.region), set()),
            )
        return tuple(self._all([partial(self._topic, arn) for arn in sorted(arns)]))

    def _topic(self, arn: str) -> TopicRecord:
        parsed = parse_arn(arn)
        account_id = parsed.account if parsed else ""
        region = parsed.region if parsed else ""
        name = parsed.resource if parsed else arn
        # GetTopicAttributes takes the ARN, and the topic's policy may let other accounts read it.
        session = self._session_for(account_id) or self.session
        errors: list[CallError] = []
        attributes: dict[str, Any] | None = None
        subscriptions: tuple[dict[str, Any], ...] | None = None
        try:
            response = session.read(GET_TOPIC_ATTRIBUTES, region, TopicArn=arn)
            attributes = dict(plain_response(response.get("Attributes", {})))
        except AwsError as error:
            errors.append(self._recorded(error, GET_TOPIC_ATTRIBUTES, region, account_id, arn))
        try:
            pages = self._pages(session, LIST_SUBSCRIPTIONS_BY_TOPIC, region, arn, "NextToken", {"TopicArn": arn})
            subscriptions = tuple(plain_response(item) for page in pages for item in page.get("Subscriptions", []))
        except AwsError as error:
            errors.append(self._recorded(error, LIST_SUBSCRIPTIONS_BY_TOPIC, region, account_id, arn))
        return TopicRecord(
            arn, account_id, region, name, attributes, subscriptions, session.identity().account_id, tuple(errors)
        )

    def _foreign(self, account_id: str, what: str) -> str:
        return (
            f"the {what} belong to account {account_id}, not the audited account {self.account_id}, and no "
            f"credentials for {account_id} were given (assume a role in {account_id} to read them); reading "
            "with the audited account's credentials would find a same-named resource of the wrong account"
        )


def _arn_account(arn: str) -> str:
    parsed = parse_arn(arn)
    return parsed.account if parsed else ""


def _arn_region(arn: str) -> str:
    parsed = parse_arn(arn)
    return parsed.region if parsed else ""
