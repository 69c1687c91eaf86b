"""From the audit's evidence to a plan: change only what is missing or broken, reuse what works.

For each control and audited region the audit's chains (trail → log group → metric filter → alarm → topic →
subscription, :mod:`trailguard.audit.chains`) decide:

* **PASS** — every link of the complete chain is kept; nothing is added.
* **ERROR** / **MANUAL** — the evidence is incomplete or needs a person: the control is left alone (an ERROR is a
  blocker: the plan cannot be trusted until the failed read is allowed).
* **FAIL** — the plan targets the log group of a trail the audit accepts (multi-region, logging, recording every
  required event); it never puts a filter on a log group no trail writes to. If no trail delivers to CloudWatch
  Logs, the plan attaches one (log group, the role CloudTrail assumes, ``UpdateTrail``), applied only with
  ``--integrate-trail``; the rest is then planned as if it were attached. On the target:

  - a filter that counts every required event (equivalent or covering, publishing a positive value, without
    dimensions) is reused; otherwise the catalog's filter is added;
  - an alarm on the reused filter's metric that the simulation says fires, with a topic CloudWatch can publish to,
    is reused; otherwise the catalog's alarm is added on the filter's metric;
  - the topic is ``--topic-arn``, else a working topic already on the region's CIS chains (with a confirmed
    subscriber), else ``cis-alarms`` (created, or reused when it works);
  - ``--notify`` endpoints missing from the topic are subscribed.

Names are deterministic: the control's (``CIS-4.6-ConsoleAuthenticationFailures`` for filter, metric and alarm).
When that name is taken by a resource that does not work, the plan never overwrites it silently: it uses
``<name>-trailguard`` instead, or with ``--replace`` the control's own name, replacing the broken resource and
saying so. Existing resources are recognised by meaning (the audit's judgement), not by name, so a second run of
an applied plan plans nothing.

:func:`evidence_needed` lists what the plan must know beyond the audit's inventory (the topic it would create or
reuse, the log group and role trail integration would create, their region's alarms); the caller reads them
(:func:`trailguard.aws.inventory.read_resources`) and passes them in :class:`Evidence`, so planning itself never
calls AWS. :func:`plan_from_catalog` plans without any account (``trailguard export``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from trailguard.audit.chains import Chain, ChainContext, Link, chains_for, trail_link
from trailguard.audit.findings import chain_status, control_context, control_status
from trailguard.audit.topics import topic_delivery
from trailguard.aws.snapshot import AlarmRegionRecord, LogGroupRecord, LogGroupRef, Snapshot, TopicRecord, TrailRecord
from trailguard.catalog import CisControl
from trailguard.model import DEFAULT_LOG_GROUP_NAME, Subscription
from trailguard.model.common import MetricId, parse_arn, sns_topic_arn
from trailguard.remediate.plan import Action, Blocker, InputSpec, Plan, Resource
from trailguard.remediate.request import ALT_SUFFIX, RemediationRequest
from trailguard.remediate.resources import (
    ORDER,
    Place,
    control_logical_id,
    create_log_group,
    create_role,
    create_topic,
    kept,
    put_metric_alarm,
    put_metric_filter,
    put_role_policy,
    set_topic_policy,
    subscribe,
    update_trail,
)
from trailguard.remediate.values import ACCOUNT_ID, PARTITION, REGION, Attr, Var

__all__ = [
    "Evidence",
    "EvidenceRequest",
    "evidence_needed",
    "integration_role_name",
    "plan_from_catalog",
    "plan_from_evidence",
    "with_evidence",
]

_PENDING_PROTOCOLS = ("email", "email-json", "http", "https")


@dataclass(frozen=True)
class EvidenceRequest:
    """What to read beyond the inventory: log groups by ARN, alarms of (account, region) places, topics by ARN,
    IAM roles by name."""

    log_groups: tuple[LogGroupRef, ...] = ()
    alarm_places: tuple[tuple[str, str], ...] = ()
    topics: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """The inventory snapshot (with the extra records of :func:`with_evidence`) and the IAM roles read:
    ``roles[name]`` is GetRole's ``Role``, ``None`` when the role does not exist; an absent name was not read."""

    snapshot: Snapshot
    roles: Mapping[str, dict[str, Any] | None] = field(default_factory=dict)


def integration_role_name(trail: TrailRecord) -> str:
    """The role trail integration creates for ``trail`` (IAM role names: at most 64 characters)."""
    return ("CloudTrailToCloudWatchLogs-" + trail.name)[:64]


def evidence_needed(snapshot: Snapshot, request: RemediationRequest) -> EvidenceRequest:
    """What :func:`plan_from_evidence` needs read beyond ``snapshot`` (only what the snapshot lacks)."""
    own = snapshot.account_id
    places = {(group.account_id, group.region) for group in snapshot.log_groups if group.account_id == own}
    log_groups: list[LogGroupRef] = []
    roles: list[str] = []
    for trail in snapshot.trails:
        if trail.account_id != own or trail.log_group is not None:
            continue
        ref = LogGroupRef(snapshot.partition, trail.home_region, own, request.log_group_name)
        if snapshot.log_group(ref) is None and ref not in log_groups:
            log_groups.append(ref)
        places.add((own, trail.home_region))
        roles.append(integration_role_name(trail))
    topics: list[str] = []
    for account, region in sorted(places):
        for name in (request.topic_name, request.topic_name + ALT_SUFFIX):
            topics.append(sns_topic_arn(region, account, name, snapshot.partition))
    if request.topic_arn is not None:
        topics.append(request.topic_arn)
    return EvidenceRequest(
        log_groups=tuple(log_groups),
        alarm_places=tuple(place for place in sorted(places) if snapshot.alarms(*place) is None),
        topics=tuple(arn for arn in dict.fromkeys(topics) if snapshot.topic(arn) is None),
        roles=tuple(dict.fromkeys(roles)),
    )


def with_evidence(
    snapshot: Snapshot,
    log_groups: Iterable[LogGroupRecord] = (),
    alarm_regions: Iterable[AlarmRegionRecord] = (),
    topics: Iterable[TopicRecord] = (),
) -> Snapshot:
    """``snapshot`` with extra records (those already in it win)."""
    groups = {group.arn: group for group in log_groups}
    groups.update({group.arn: group for group in snapshot.log_groups})
    alarms = {(a.account_id, a.region): a for a in alarm_regions}
    alarms.update({(a.account_id, a.region): a for a in snapshot.alarm_regions})
    topic_records = {topic.arn: topic for topic in topics}
    topic_records.update({topic.arn: topic for topic in snapshot.topics})
    return replace(
        snapshot,
        log_groups=tuple(groups.values()),
        alarm_regions=tuple(alarms.values()),
        topics=tuple(topic_records.values()),
    )


def plan_from_evidence(evidence: Evidence, request: RemediationRequest) -> Plan:
    """The plan for the account ``evidence`` describes (see the module docstring)."""
    return _EvidencePlanner(evidence, request).plan()


# ---------------------------------------------------------------- shared bookkeeping


class _Builder:
    """Actions by resource (one action per resource, serving every control that needs it), inputs, bindings,
    blockers and notes."""

    def __init__(self) -> None:
        self.actions: dict[tuple[str, str, str], Action] = {}
        self.blockers: list[Blocker] = []
        self.notes: list[str] = []
        self.inputs: dict[str, InputSpec] = {}
        self.bindings: dict[str, str] = {}
        self._logical_ids: dict[str, tuple[str, str, str]] = {}

    def add(self, action: Action) -> Action:
        key = (action.operation, str(action.region), _identity(action))
        existing = self.actions.get(key)
        if existing is not None:
            controls = tuple(dict.fromkeys(existing.controls + action.controls))
            merged = replace(existing, controls=controls)
            self.actions[key] = merged
            return merged
        self.actions[key] = action
        return action

    def logical_id(self, wanted: str, key: tuple[str, str, str]) -> str:
        """``wanted``, or ``wanted2``, ``wanted3``... when another resource has it."""
        candidate, number = wanted, 1
        while candidate in self._logical_ids and self._logical_ids[candidate] != key:
            number += 1
            candidate = f"{wanted}{number}"
        self._logical_ids[candidate] = key
        return candidate

    def input(self, name: str, default: str, description: str) -> Var:
        self.inputs.setdefault(name, InputSpec(name, default, description))
        self.bindings.setdefault(name, default)
        return Var(name)

    def endpoint(self, subscription: Subscription) -> Var:
        for spec in self.inputs.values():
            if spec.name.startswith("NotifyEndpoint") and spec.default == subscription.endpoint:
                return Var(spec.name)
        number = 1 + sum(1 for name in self.inputs if name.startswith("NotifyEndpoint"))
        return self.input(
            f"NotifyEndpoint{number}",
            subscription.endpoint,
            f"{subscription.protocol} endpoint the CIS alarms notify",
        )

    def block(self, blocker: Blocker) -> None:
        if blocker not in self.blockers:
            self.blockers.append(blocker)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def ordered(self) -> tuple[Action, ...]:
        actions = list(self.actions.values())
        return tuple(sorted(actions, key=lambda action: ORDER.get(action.operation, 99)))


def _identity(action: Action) -> str:
    name = action.resource.name
    arn = action.resource.arn
    parts = [action.resource.kind, str(name), str(arn) if arn is not None else ""]
    if action.operation == "PutMetricFilter":
        parts.append(str(action.parameters.get("logGroupName")))
    return "|".join(parts)


# ---------------------------------------------------------------- the account's plan


@dataclass
class _TopicChoice:
    """The topic new alarms of one (account, region) notify."""

    value: Attr | str
    name: str
    record: TopicRecord | None  # as it exists, or None when the plan creates it
    created: bool


@dataclass
class _Integration:
    trail: TrailRecord
    ref: LogGroupRef
    create_log_group: bool  # the log group does not exist yet
    attach: bool  # the trail delivers to no log group: role, policy, UpdateTrail
    controls: list[str] = field(default_factory=list)


class _EvidencePlanner:
    def __init__(self, evidence: Evidence, request: RemediationRequest) -> None:
        self.snapshot = evidence.snapshot
        self.roles = evidence.roles
        self.request = request
        self.account = self.snapshot.account_id
        self.out = _Builder()
        self.out.bindings.update(AccountId=self.account, Partition=self.snapshot.partition)
        self.log_group_names: dict[str, Var | Attr] = {}
        self.topics: dict[tuple[str, str], _TopicChoice | None] = {}
        self.subscribed: set[str] = set()
        self.integrations: dict[str, _Integration] = {}
        self.targets: dict[str, str] = {}  # region -> log group ARN chosen for an earlier control

    # --- the run ---------------------------------------------------------------------------------------

    def plan(self) -> Plan:
        contexts = {control.id: control_context(self.snapshot, control) for control in self.request.controls}
        failing: list[tuple[CisControl, str]] = []
        for control in self.request.controls:
            for region in self.snapshot.regions:
                chains = chains_for(contexts[control.id], region)
                status = control_status(chains)
                if status == "PASS":
                    complete = next(chain for chain in chains if chain_status(chain) == "complete")
                    self._keep_chain(control, complete)
                elif status == "ERROR":
                    self._evidence_error(control, region, chains)
                elif status == "MANUAL":
                    texts = [text for chain in chains for link in chain for text in link.manual if text]
                    self.out.note(
                        f"cis-{control.id} in {region} needs a person (left unchanged): "
                        + (texts[0] if texts else "see trailguard audit")
                    )
                else:
                    failing.append((control, region))
        for control, region in failing:
            self._find_integration(contexts[control.id], region)
        simulated = self._simulated_snapshot()
        for control, region in failing:
            context = replace(contexts[control.id], snapshot=simulated)
            self._plan_control(context, region)
        return Plan(
            cis_version=self.request.cis_version,
            controls=self.request.control_ids,
            actions=self.out.ordered(),
            inputs=tuple(self.out.inputs.values()),
            bindings=dict(self.out.bindings),
            blockers=tuple(self.out.blockers),
            notes=tuple(self.out.notes),
            account_id=self.account,
        )

    def _place(self, region: str) -> Place:
        return Place(self.snapshot.partition, region, self.account)

    def _evidence_error(self, control: CisControl, region: str, chains: Sequence[Chain]) -> None:
        stop = next(
            link for chain in chains if chain_status(chain) == "error" for link in chain if link.state == "error"
        )
        calls = sorted({error.iam_action for error in stop.errors}) or ["the calls named by trailguard audit"]
        self.out.block(
            Blocker(
                f"cis-{control.id}",
                region,
                f"the evidence is incomplete: {stop.problem}",
                f"grant the credentials {', '.join(calls)} and run remediate again (nothing is planned on "
                "evidence trailguard could not read)",
            )
        )

    # --- PASS: keep the whole chain --------------------------------------------------------------------

    def _keep_chain(self, control: CisControl, chain: Chain) -> None:
        controls = (f"cis-{control.id}",)
        _, group, metric_filter, alarm, topic, subscription = chain[:6]
        self._keep_filter(control, metric_filter, group, controls)
        self._keep_alarm(alarm, controls)
        self._keep_topic(topic.id, controls, "CloudWatch can publish to it")
        self._keep_subscription(topic.id, subscription, controls)

    def _keep_filter(self, control: CisControl, link: Link, group: Link, controls: tuple[str, ...]) -> None:
        details = link.details
        parameters = {
            "logGroupName": details.get("logGroupName"),
            "filterName": link.id,
            "filterPattern": details.get("pattern"),
        }
        resource = Resource("metricFilter", self._lid(control_logical_id(control, "MetricFilter"), link.id), link.id)
        why = (
            f"filter {link.id} on log group {details.get('logGroupName')} counts every event cis-{control.id} "
            f"requires ({details.get('verdict')})"
        )
        self.out.add(kept("logs", "PutMetricFilter", link.region, parameters, resource, why, controls))

    def _keep_alarm(self, link: Link, controls: tuple[str, ...]) -> None:
        details = link.details
        name = str(details.get("name"))
        seconds = details.get("firedAfterSeconds")
        when = f" within {seconds:g} s" if isinstance(seconds, int | float) else ""
        why = f"alarm {name} fires on one required event{when} and notifies an SNS topic"
        resource = Resource("alarm", self._lid(control_logical_id_from(controls, "Alarm"), name), name, link.id)
        self.out.add(kept("cloudwatch", "PutMetricAlarm", link.region, {"AlarmName": name}, resource, why, controls))

    def _keep_topic(self, arn: str, controls: tuple[str, ...], state: str) -> None:
        name = arn.rsplit(":", 1)[-1]
        resource = Resource("topic", self._lid("AlarmTopic", arn), name, arn)
        why = f"topic {name} exists and {state}"
        self.out.add(kept("sns", "CreateTopic", _arn_region(arn), {"Name": name}, resource, why, controls))

    def _keep_subscription(self, topic_arn: str, link: Link, controls: tuple[str, ...]) -> None:
        protocol = str(link.details.get("protocol"))
        endpoint = str(link.details.get("endpoint"))
        resource = Resource(
            "subscription", self._lid("AlarmTopicSubscription", topic_arn + endpoint), f"{protocol}:{endpoint}"
        )
        why = f"{protocol} {endpoint} is subscribed to {topic_arn.rsplit(':', 1)[-1]} and confirmed"
        parameters = {"TopicArn": topic_arn, "Protocol": protocol, "Endpoint": endpoint}
        self.out.add(kept("sns", "Subscribe", _arn_region(topic_arn), parameters, resource, why, controls))

    def _lid(self, wanted: str, identity: str) -> str:
        return self.out.logical_id(wanted, ("", "", identity))

    # --- trail integration -----------------------------------------------------------------------------

    def _find_integration(self, context: ChainContext, region: str) -> None:
        """Record the integration a failing control needs when no trail of ``region`` delivers to a log group
        that exists."""
        listing = next((item for item in self.snapshot.listings if item.region == region), None)
        trails = [t for arn in (listing.trail_arns if listing else ()) if (t := self.snapshot.trail(arn))]
        accepted = [t for t in trails if trail_link(context, t, region).ok]
        for trail in accepted:
            record = self.snapshot.log_group(trail.log_group) if trail.log_group else None
            if record is not None and record.exists is not False:
                return  # a trail delivers to a log group that exists (or that the audit could not read)
        control = f"cis-{context.control.id}"
        for trail in accepted:  # the trail names a log group that does not exist
            if trail.account_id == self.account and trail.log_group and trail.log_group.account_id == self.account:
                entry = self.integrations.setdefault(
                    trail.arn, _Integration(trail, trail.log_group, create_log_group=True, attach=False)
                )
                entry.controls.append(control)
                return
        for trail in sorted(trails, key=lambda t: (not t.is_multi_region, t.arn)):
            if trail.log_group is not None or trail.account_id != self.account:
                continue
            ref = LogGroupRef(self.snapshot.partition, trail.home_region, self.account, self.request.log_group_name)
            if trail_link(context, _attached(trail, ref, None), region).ok:
                existing = self.snapshot.log_group(ref)
                entry = self.integrations.setdefault(
                    trail.arn,
                    _Integration(trail, ref, create_log_group=not (existing and existing.exists), attach=True),
                )
                entry.controls.append(control)
                return

    def _simulated_snapshot(self) -> Snapshot:
        """The snapshot as it will be once the integrations are applied: each trail delivers to its log group,
        which exists (with the filters it already has), and its region's alarms are known."""
        if not self.integrations:
            return self.snapshot
        trails = {trail.arn: trail for trail in self.snapshot.trails}
        groups = {group.arn: group for group in self.snapshot.log_groups}
        alarms = {(a.account_id, a.region): a for a in self.snapshot.alarm_regions}
        for integration in self.integrations.values():
            ref = integration.ref
            role = self._place(ref.region).role_arn(integration_role_name(integration.trail))
            if integration.attach:
                trails[integration.trail.arn] = _attached(integration.trail, ref, str(role))
            existing = groups.get(ref.arn)
            if existing is None or not existing.exists or existing.metric_filters is None:
                groups[ref.arn] = LogGroupRecord(ref, True, {"logGroupName": ref.name}, (), self.account)
            alarms.setdefault(
                (ref.account_id, ref.region), AlarmRegionRecord(ref.account_id, ref.region, (), (), self.account)
            )
        return replace(
            self.snapshot,
            trails=tuple(trails.values()),
            log_groups=tuple(groups.values()),
            alarm_regions=tuple(alarms.values()),
        )

    def _integration_actions(self, integration: _Integration) -> Var | Attr:
        """The integration's actions; returns the log group name as the filters refer to it."""
        trail, ref = integration.trail, integration.ref
        place = self._place(ref.region)
        controls = tuple(dict.fromkeys(integration.controls))
        variable = self._log_group_var(ref)
        name: Var | Attr = variable
        if integration.create_log_group:
            why = (
                f"trail {trail.name} names log group {ref.name}, which does not exist, so CloudTrail delivers nothing"
                if not integration.attach
                else f"trail {trail.name} delivers to no CloudWatch Logs log group; create {ref.name} for it"
            )
            action, name_ref = create_log_group(place, variable, "TrailLogGroup", why, controls)
            self.out.add(action)
            name = name_ref
            self.log_group_names[ref.arn] = name_ref
        else:
            self.out.note(f"log group {ref.name} exists already in {ref.region}; trail {trail.name} is attached to it")
        if not integration.attach:
            self.out.note(
                f"trail {trail.name} delivers with role {trail.cloudwatch_logs_role_arn}: it must allow "
                f"logs:CreateLogStream and logs:PutLogEvents on {ref.name}"
            )
            return name
        role_name = integration_role_name(trail)
        role_logical = self.out.logical_id("TrailDeliveryRole", ("role", "", role_name))
        existing_role = self.roles.get(role_name)
        role_value: Attr | str
        if existing_role is not None:
            trust = str(existing_role.get("AssumeRolePolicyDocument", ""))
            if "cloudtrail.amazonaws.com" not in trust:
                self.out.block(
                    Blocker(
                        ",".join(controls),
                        ref.region,
                        f"role {role_name} exists but does not trust cloudtrail.amazonaws.com",
                        f"let cloudtrail.amazonaws.com assume role {role_name}, or delete it, and run remediate again",
                        stops_apply=True,
                    )
                )
            role_value = str(existing_role.get("Arn") or place.role_arn(role_name))
            resource = Resource("role", role_logical, role_name, role_value)
            self.out.add(
                kept(
                    "iam",
                    "CreateRole",
                    ref.region,
                    {"RoleName": role_name},
                    resource,
                    f"role {role_name} exists",
                    controls,
                )
            )
        else:
            if role_name not in self.roles:
                self.out.note(
                    f"role {role_name} could not be read (iam:GetRole): CreateRole fails if it exists already"
                )
            why = f"CloudTrail needs a role it can assume to write trail {trail.name}'s events to {ref.name}"
            action, role_value = create_role(place, role_name, role_logical, why, controls)
            self.out.add(action)
        why = f"let the role create log streams in {ref.name} and put the trail's events in them (and nothing else)"
        role_ref = role_value if isinstance(role_value, Attr) else None
        self.out.add(put_role_policy(place, role_name, name, "TrailDeliveryRolePolicy", why, controls, role_ref))
        why = f"make trail {trail.name} deliver its events to {ref.name}, where the metric filters count them"
        self.out.add(
            update_trail(
                Place(self.snapshot.partition, trail.home_region, self.account),
                trail.arn,
                trail.name,
                name,
                role_value,
                why,
                controls,
            )
        )
        return name

    def _log_group_var(self, ref: LogGroupRef) -> Var:
        existing = [name for name in self.out.inputs if name.startswith("LogGroupName")]
        for name in existing:
            if self.out.inputs[name].default == ref.name:
                return Var(name)
        name = "LogGroupName" if not existing else f"LogGroupName{len(existing) + 1}"
        return self.out.input(name, ref.name, "the CloudWatch Logs log group the trail delivers to")

    # --- FAIL: plan one control --------------------------------------------------------------------------

    def _plan_control(self, context: ChainContext, region: str) -> None:
        control = context.control
        snapshot = context.snapshot
        chains = chains_for(context, region)
        usable = [chain for chain in chains if len(chain) > 1 and chain[0].ok and chain[1].ok]
        if not usable:
            self._no_target(control, region, chains)
            return
        by_trail: dict[str, list[Chain]] = {}
        for chain in usable:
            by_trail.setdefault(chain[0].id, []).append(chain)
        chosen_group = self.targets.get(region)

        def score(arn: str) -> tuple[int, int, str]:
            furthest = max(sum(1 for link in chain if link.ok) for chain in by_trail[arn])
            same = int(by_trail[arn][0][1].id == chosen_group)
            return (-same, -furthest, arn)

        trail_arn = min(by_trail, key=score)
        trail = snapshot.trail(trail_arn)
        group_link = by_trail[trail_arn][0][1]
        record = snapshot.log_group(group_link.id)
        assert trail is not None and record is not None
        self.targets.setdefault(region, record.arn)
        if record.account_id != self.account:
            self.out.block(
                Blocker(
                    f"cis-{control.id}",
                    region,
                    f"trail {trail.name} delivers to log group {record.name} of account {record.account_id}",
                    f"run remediate with credentials of account {record.account_id} (--role-arn)",
                )
            )
            return
        log_group: Var | Attr = self.log_group_names.get(record.arn) or self._log_group_var(record.ref)
        integration = self.integrations.get(trail_arn)
        integrate = integration is not None and integration.ref.arn == record.arn
        if integration is not None and integrate and record.arn not in self.log_group_names:
            log_group = self._integration_actions(integration)
            self.log_group_names[record.arn] = log_group
        self._plan_on(context, region, trail, record, log_group, by_trail[trail_arn])

    def _no_target(self, control: CisControl, region: str, chains: Sequence[Chain]) -> None:
        stop = max(chains, key=lambda chain: sum(1 for link in chain if link.ok))
        broken = next((link for link in stop if not link.ok), None)
        problem = broken.problem if broken is not None else "no trail delivers this region's events to a log group"
        self.out.block(
            Blocker(
                f"cis-{control.id}",
                region,
                problem or "no usable trail",
                "trailguard does not create trails or change what they record: use a multi-region trail that is "
                "logging and records all management events (read and write), then run remediate again "
                "(--integrate-trail attaches such a trail to a log group)",
            )
        )

    def _plan_on(
        self,
        context: ChainContext,
        region: str,
        trail: TrailRecord,
        record: LogGroupRecord,
        log_group: Var | Attr,
        chains: Sequence[Chain],
    ) -> None:
        control = context.control
        controls = (f"cis-{control.id}",)
        place = self._place(record.region)
        filters = [chain[2] for chain in chains if len(chain) > 2]
        reusable = [link for link in filters if link.ok and not link.details.get("metric", {}).get("dimensions")]
        reusable.sort(key=lambda link: (link.details.get("verdict") != "equivalent", link.id != control.name, link.id))
        # A reused filter whose alarm fires and notifies a topic CloudWatch can publish to: keep all three.
        for link in reusable:
            for chain in chains:
                if len(chain) > 4 and chain[2].id == link.id and chain[3].ok and chain[4].ok:
                    self._keep_filter(control, link, chain[1], controls)
                    self._keep_alarm(chain[3], controls)
                    self._keep_topic(chain[4].id, controls, "CloudWatch can publish to it")
                    topic = self.snapshot.topic(chain[4].id) or context.snapshot.topic(chain[4].id)
                    self._subscribers(
                        _TopicChoice(chain[4].id, chain[4].id.rsplit(":", 1)[-1], topic, False), controls, region
                    )
                    return
        broken_filters = _real(filters)
        if reusable:
            metric_filter = reusable[0]
            self._keep_filter(control, metric_filter, chains[0][1], controls)
            metric = metric_filter.details.get("metric", {})
            metric_id = MetricId(str(metric.get("namespace")), str(metric.get("name")))
            broken_alarms = [chain[3] for chain in chains if len(chain) > 3 and chain[2].id == metric_filter.id]
            broken_alarms += [chain[4] for chain in chains if len(chain) > 4 and chain[2].id == metric_filter.id]
            self._new_alarm(context, region, record, metric_id, broken_alarms)
            return
        name, replaces, why = self._filter_name(control, record, broken_filters)
        logical = self.out.logical_id(control_logical_id(control, "MetricFilter"), ("filter", record.arn, name))
        self.out.add(
            put_metric_filter(control, place, log_group, name, self.request.namespace, logical, why, replaces=replaces)
        )
        self._new_alarm(context, region, record, MetricId(self.request.namespace, name), [])

    def _filter_name(
        self, control: CisControl, record: LogGroupRecord, broken: Sequence[Link]
    ) -> tuple[str, bool, str]:
        entries = record.metric_filters or ()
        names = {str(entry.get("filterName")) for entry in entries}
        metrics = {
            (str(t.get("metricNamespace")), str(t.get("metricName")))
            for entry in entries
            for t in entry.get("metricTransformations") or ()
        }

        def taken(name: str) -> bool:
            return name in names or (self.request.namespace, name) in metrics

        problems = "; ".join(f"filter {link.id} {_after_name(link)}" for link in broken[:3])
        left = f" ({problems}; left as it is)" if problems else ""
        base = f"log group {record.name} has no metric filter counting every event cis-{control.id} requires{left}"
        name, replaces, reason = self._choose_name(control.name, taken, "filter")
        return name, replaces, base + reason

    def _choose_name(self, base: str, taken: Any, kind: str) -> tuple[str, bool, str]:
        alt = base + ALT_SUFFIX
        if not taken(base):
            return base, False, ""
        if self.request.replace:
            return base, True, f"; replaces the {kind} named {base} (--replace)"
        if not taken(alt):
            return alt, False, f"; the name {base} is taken, so this one is {alt} (--replace would use {base})"
        return alt, True, f"; replaces {alt}, a name trailguard reserves for its own {kind}s"

    def _new_alarm(
        self,
        context: ChainContext,
        region: str,
        record: LogGroupRecord,
        metric: MetricId,
        broken: Sequence[Link],
    ) -> None:
        control = context.control
        controls = (f"cis-{control.id}",)
        topic = self._region_topic(record.account_id, record.region, control)
        if topic is None:
            return
        alarms = context.snapshot.alarms(record.account_id, record.region)
        names = {str(raw.get("AlarmName")) for raw in (alarms.metric_alarms or ())} if alarms else set()
        names |= {str(raw.get("AlarmName")) for raw in (alarms.composite_alarms or ())} if alarms else set()
        name, replaces, reason = self._choose_name(control.name, lambda n: n in names, "alarm")
        problems = "; ".join(f"{link.kind} {_short(link.id)} {_after_name(link)}" for link in _real(broken))
        left = f" ({problems}; left as it is)" if problems else ""
        why = f"no alarm on {metric} fires on one event and notifies a topic CloudWatch can publish to{left}{reason}"
        logical = self.out.logical_id(control_logical_id(control, "Alarm"), ("alarm", record.region, name))
        place = self._place(record.region)
        self.out.add(put_metric_alarm(control, place, name, metric, topic.value, logical, why, replaces=replaces))
        self._subscribers(topic, controls, region)

    # --- topics and subscriptions --------------------------------------------------------------------------

    def _region_topic(self, account: str, region: str, control: CisControl) -> _TopicChoice | None:
        key = (account, region)
        if key not in self.topics:
            self.topics[key] = self._choose_topic(account, region, control)
        choice = self.topics[key]
        if choice is not None:
            self._merge_controls(choice, f"cis-{control.id}")
        return choice

    def _merge_controls(self, choice: _TopicChoice, control: str) -> None:
        for key, action in list(self.out.actions.items()):
            if action.operation in ("CreateTopic", "SetTopicAttributes") and action.resource.name == choice.name:
                self.out.actions[key] = replace(action, controls=tuple(dict.fromkeys((*action.controls, control))))

    def _healthy(self, record: TopicRecord | None, region: str, control: CisControl) -> tuple[bool | None, str]:
        """True: CloudWatch can publish to it; False: it exists but cannot (why); None: it does not exist."""
        if record is None or record.attributes is None:
            if record is not None and not any(e.code in ("NotFound", "NotFoundException") for e in record.errors):
                return False, f"its attributes could not be read ({record.errors[0] if record.errors else 'unknown'})"
            return None, "it does not exist"
        alarm = f"arn:{self.snapshot.partition}:cloudwatch:{region}:{self.account}:alarm:{control.name}"
        delivery = topic_delivery(record.attributes, account_id=self.account, alarm_arns=[alarm])
        if delivery.allowed and not delivery.manual:
            return True, "CloudWatch can publish to it"
        return False, delivery.problem or "CloudWatch may not be able to publish to it"

    def _choose_topic(self, account: str, region: str, control: CisControl) -> _TopicChoice | None:
        place = self._place(region)
        controls = (f"cis-{control.id}",)
        request = self.request
        if request.topic_arn is not None:
            arn = request.topic_arn
            parsed = parse_arn(arn)
            name = arn.rsplit(":", 1)[-1]
            if parsed is None or parsed.region != region:
                self.out.block(
                    Blocker(
                        ",".join(request.control_ids),
                        region,
                        f"--topic-arn {arn} is not in {region}, where the alarms are",
                        f"give a topic of {region} (an alarm notifies topics of its own region)",
                        stops_apply=True,
                    )
                )
                return None
            record = self.snapshot.topic(arn)
            healthy, why = self._healthy(record, region, control)
            if healthy:
                self._keep_topic(arn, controls, why + " (--topic-arn)")
                return _TopicChoice(arn, name, record, False)
            if healthy is None and parsed.account == account:
                return self._create_topic(
                    place, name, controls, f"--topic-arn names topic {name}, which does not exist"
                )
            self.out.block(
                Blocker(
                    ",".join(request.control_ids),
                    region,
                    f"--topic-arn {arn}: {why}",
                    "fix the topic's access policy (or encryption key) so that cloudwatch.amazonaws.com may publish, "
                    "or give another topic",
                    stops_apply=True,
                )
            )
            return None
        for arn in self._working_chain_topics(region):
            self._keep_topic(arn, controls, "CloudWatch can publish to it and it has a confirmed subscriber")
            return _TopicChoice(arn, arn.rsplit(":", 1)[-1], self.snapshot.topic(arn), False)
        base = request.topic_name
        problems: list[str] = []
        for name in (base, base + ALT_SUFFIX):
            arn = sns_topic_arn(region, account, name, self.snapshot.partition)
            record = self.snapshot.topic(arn)
            healthy, why = self._healthy(record, region, control)
            if healthy:
                self._keep_topic(arn, controls, why)
                return _TopicChoice(arn, name, record, False)
            if healthy is None:
                reason = "no working SNS topic for the CIS alarms" if name == base else f"topic {base} does not work"
                return self._create_topic(place, name, controls, f"{reason} in {region}: create {name}")
            fixable = record is not None and record.attributes is not None and not _aws_managed_key(record)
            if fixable and (name != base or request.replace):
                assert record is not None
                return self._fix_topic_policy(place, arn, name, record, controls, why)
            problems.append(f"topic {name}: {why}")
        self.out.block(
            Blocker(
                ",".join(request.control_ids),
                region,
                "; ".join(problems),
                "give a topic CloudWatch can publish to with --topic-arn (a topic encrypted with the AWS managed key "
                "alias/aws/sns cannot be fixed by its access policy)",
                stops_apply=True,
            )
        )
        return None

    def _working_chain_topics(self, region: str) -> list[str]:
        """Topics already on the CIS chains of ``region`` that CloudWatch can publish to and that have a confirmed
        subscriber, the default name first."""
        found: list[str] = []
        for topic in self.snapshot.topics:
            if topic.region != region or topic.account_id != self.account or topic.attributes is None:
                continue
            confirmed = any(str(s.get("SubscriptionArn", "")).startswith("arn:") for s in topic.subscriptions or ())
            if not confirmed:
                continue
            alarm_arns = [f"arn:{self.snapshot.partition}:cloudwatch:{region}:{self.account}:alarm:x"]
            delivery = topic_delivery(topic.attributes, account_id=self.account, alarm_arns=alarm_arns)
            if delivery.allowed and not delivery.manual and self._on_chain(topic.arn):
                found.append(topic.arn)
        found.sort(key=lambda arn: (arn.rsplit(":", 1)[-1] != self.request.topic_name, arn))
        return found

    def _on_chain(self, topic_arn: str) -> bool:
        for alarms in self.snapshot.alarm_regions:
            for raw in alarms.metric_alarms or ():
                if topic_arn in (raw.get("AlarmActions") or ()):
                    return True
        return False

    def _create_topic(self, place: Place, name: str, controls: tuple[str, ...], why: str) -> _TopicChoice:
        logical = self.out.logical_id("AlarmTopic", ("topic", str(place.region), name))
        action, arn = create_topic(place, name, logical, why, controls)
        self.out.add(action)
        policy_why = (
            f"let CloudWatch alarms of account {self.account} publish to {name} (a topic CloudWatch cannot publish to "
            "silently drops every alarm)"
        )
        self.out.add(set_topic_policy(place, arn, name, logical + "Policy", policy_why, controls))
        return _TopicChoice(arn, name, None, True)

    def _fix_topic_policy(
        self, place: Place, arn: str, name: str, record: TopicRecord, controls: tuple[str, ...], problem: str
    ) -> _TopicChoice:
        logical = self.out.logical_id("AlarmTopic", ("topic", str(place.region), name))
        self._keep_topic(arn, controls, "is reused once its access policy is replaced")
        why = f"topic {name}: {problem}; replaces its access policy with one that lets CloudWatch alarms publish"
        self.out.add(set_topic_policy(place, arn, name, logical + "Policy", why, controls, replaces=True))
        return _TopicChoice(arn, name, record, False)

    def _subscribers(self, topic: _TopicChoice, controls: tuple[str, ...], region: str) -> None:
        """Subscribe the --notify endpoints the topic lacks; block when no one would be notified."""
        arn_text = str(topic.value if isinstance(topic.value, str) else topic.value.template)
        existing: dict[tuple[str, str], bool] = {}
        for entry in (topic.record.subscriptions or ()) if topic.record else ():
            key = (str(entry.get("Protocol")), str(entry.get("Endpoint")))
            existing[key] = existing.get(key, False) or str(entry.get("SubscriptionArn", "")).startswith("arn:")
        place = self._place(_arn_region(arn_text) or region)
        for subscription in self.request.notify:
            key = (subscription.protocol, subscription.endpoint)
            endpoint = self.out.endpoint(subscription)
            logical = self.out.logical_id(f"{_camel(topic.name)}Subscription", ("sub", arn_text, "|".join(key)))
            if key in existing:
                confirmed = existing[key]
                resource = Resource("subscription", logical, f"{subscription.protocol}:{subscription.endpoint}")
                state = "confirmed" if confirmed else "waiting for confirmation"
                note = None if confirmed else f"{subscription.endpoint} must confirm the subscription SNS sent"
                parameters = {"TopicArn": topic.value, "Protocol": subscription.protocol, "Endpoint": endpoint}
                why = f"{subscription.protocol} {subscription.endpoint} is subscribed to {topic.name} ({state})"
                self.out.add(kept("sns", "Subscribe", str(place.region), parameters, resource, why, controls, note))
                continue
            why = f"notify {subscription.protocol} {subscription.endpoint} through topic {topic.name} (--notify)"
            if subscription.protocol in _PENDING_PROTOCOLS:
                why += "; it stays pending, receiving nothing, until someone confirms it from the message SNS sends"
            elif subscription.protocol == "sqs":
                why += "; the queue's access policy must let sns.amazonaws.com send messages from this topic"
            self.out.add(subscribe(place, topic.value, subscription, endpoint, logical, why, controls))
        if self.request.notify or arn_text in self.subscribed:
            return
        self.subscribed.add(arn_text)
        if any(existing.values()):
            return
        if existing:
            self.out.note(f"topic {topic.name}'s subscriptions wait for confirmation; until then no one is notified")
            return
        self.out.block(
            Blocker(
                ",".join(controls),
                region,
                f"topic {topic.name} has no subscription, so its alarms would notify no one",
                "give --notify PROTOCOL:ENDPOINT (for example --notify email:security@example.com)",
                stops_apply=True,
            )
        )


def control_logical_id_from(controls: tuple[str, ...], suffix: str) -> str:
    return "Cis" + controls[0].removeprefix("cis-").replace(".", "") + suffix


def _attached(trail: TrailRecord, ref: LogGroupRef, role_arn: str | None) -> TrailRecord:
    description = {**trail.description, "CloudWatchLogsLogGroupArn": ref.arn + ":*"}
    if role_arn:
        description["CloudWatchLogsRoleArn"] = role_arn
    return replace(trail, description=description)


def _aws_managed_key(record: TopicRecord) -> bool:
    key = str((record.attributes or {}).get("KmsMasterKeyId") or "")
    return key == "alias/aws/sns" or key.endswith(":alias/aws/sns")


def _after_name(link: Link) -> str:
    """A link's problem in a few words: without its leading ``<kind> <name>`` and without the detail after the
    first colon (a witness event, the simulation's reasoning: the audit shows those)."""
    problem = (link.problem or "does not work").split(": ", 1)[0]
    for prefix in (f"filter {link.id} ", f"alarm {link.details.get('name')} ", f"topic {link.id} "):
        if problem.startswith(prefix):
            return problem[len(prefix) :]
    return problem


def _real(links: Iterable[Link]) -> list[Link]:
    """Links of resources that exist (not the audit's "no filter" / "no alarm" placeholders), not ok."""
    return [link for link in links if link.details and not link.ok]


def _short(identifier: str) -> str:
    return identifier.rsplit(":", 1)[-1]


def _arn_region(arn: str) -> str:
    parsed = parse_arn(arn)
    return parsed.region if parsed else ""


def _camel(name: str) -> str:
    words = [word for word in name.replace("_", "-").split("-") if word]
    return "".join(word[:1].upper() + word[1:] for word in words) or "Topic"


# ---------------------------------------------------------------- the catalog's plan (no account)


def plan_from_catalog(request: RemediationRequest, log_group_name: str = DEFAULT_LOG_GROUP_NAME) -> Plan:
    """Every resource of ``request.controls`` as calls to make, for deployment by the user's own tooling: the
    topic (or ``request.topic_arn``), its policy and subscriptions, and each control's filter and alarm on
    ``log_group_name``. Account, region and partition stay variables; nothing is read from AWS."""
    out = _Builder()
    place = Place(PARTITION, REGION, ACCOUNT_ID)
    controls = request.control_ids
    log_group = out.input(
        "LogGroupName", log_group_name, "the CloudWatch Logs log group the CloudTrail trail delivers to"
    )
    topic: Attr | str
    if request.topic_arn is not None:
        topic = request.topic_arn
        topic_name = topic.rsplit(":", 1)[-1]
        out.note(f"the alarms notify {topic} (--topic-arn), which must let CloudWatch publish")
    else:
        topic_name = request.topic_name
        action, topic = create_topic(place, topic_name, "AlarmTopic", "the SNS topic the CIS alarms notify", controls)
        out.add(action)
        why = "let CloudWatch alarms of the account publish to the topic (without it every alarm is dropped)"
        out.add(set_topic_policy(place, topic, topic_name, "AlarmTopicPolicy", why, controls))
    for number, subscription in enumerate(request.notify, start=1):
        why = f"notify {subscription.protocol} {subscription.endpoint} (--notify)"
        if subscription.protocol in _PENDING_PROTOCOLS:
            why += "; it stays pending until someone confirms it from the message SNS sends"
        logical = f"AlarmTopicSubscription{number}"
        out.add(subscribe(place, topic, subscription, out.endpoint(subscription), logical, why, controls))
    if not request.notify:
        out.note(
            f"no --notify given: topic {topic_name} gets no subscription, so the alarms notify no one until someone "
            "subscribes and confirms (CIS requires a confirmed subscription)"
        )
    for control in request.controls:
        name = control.name
        why = f"count the events of cis-{control.id} ({control.short_title}) on the trail's log group"
        logical = control_logical_id(control, "MetricFilter")
        out.add(put_metric_filter(control, place, log_group, name, request.namespace, logical, why))
        why = f"go to ALARM on one cis-{control.id} event in 5 minutes and notify topic {topic_name}"
        metric = MetricId(request.namespace, name)
        out.add(put_metric_alarm(control, place, name, metric, topic, control_logical_id(control, "Alarm"), why))
    return Plan(
        cis_version=request.cis_version,
        controls=controls,
        actions=out.ordered(),
        inputs=tuple(out.inputs.values()),
        bindings=dict(out.bindings),
        notes=tuple(out.notes),
        offline=True,
    )
