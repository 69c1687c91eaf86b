"""What the user asks a remediation for: controls, who to notify, which topic and names, and what it may change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from trailguard.catalog import CIS_NAMESPACE, DEFAULT_CIS_TOPIC_NAME, CisControl
from trailguard.model import DEFAULT_LOG_GROUP_NAME, Subscription
from trailguard.model.common import is_sns_topic_arn, topic_name_problem
from trailguard.model.constants import SNS_PROTOCOLS, TRAILGUARD_PROTOCOLS
from trailguard.model.topic import endpoint_problem, is_sns_protocol

__all__ = ["ALT_SUFFIX", "RemediationError", "RemediationRequest", "parse_notify"]

#: Suffix of the names trailguard gives its own resources when the control's name is taken by a broken one.
ALT_SUFFIX: Final = "-trailguard"


class RemediationError(ValueError):
    """A request remediation cannot carry out as given (the message says which option and why)."""


def parse_notify(value: str) -> Subscription:
    """``email:ops@example.com``, ``https:https://hooks.example.com/x`` (or just the URL), ``sqs:arn:aws:sqs:...``
    → a subscription SNS can deliver to; trailguard-only protocols (slack, webhook, file, stdout) are refused:
    SNS cannot deliver to them, so an alarm would notify no one."""
    text = value.strip()
    protocol, separator, endpoint = text.partition(":")
    if separator and endpoint.startswith("//") and protocol in ("http", "https"):
        endpoint = text  # a bare URL: its scheme is the protocol
    if not separator or not protocol or not endpoint:
        raise RemediationError(
            f"--notify {value!r} is not PROTOCOL:ENDPOINT (for example email:ops@example.com or "
            "https:https://hooks.example.com/alarm)"
        )
    if protocol in TRAILGUARD_PROTOCOLS and not is_sns_protocol(protocol):
        raise RemediationError(
            f"--notify {value!r}: {protocol} is delivered by trailguard itself (replay, live), not by Amazon SNS, "
            f"so an AWS alarm cannot notify it; use one of SNS's protocols: {', '.join(SNS_PROTOCOLS)}"
        )
    if not is_sns_protocol(protocol):
        raise RemediationError(
            f"--notify {value!r}: unknown protocol {protocol!r}; SNS's protocols are {', '.join(SNS_PROTOCOLS)}"
        )
    problem = endpoint_problem(protocol, endpoint)
    if problem is not None:
        raise RemediationError(f"--notify {value!r}: {problem}")
    if protocol == "firehose":
        raise RemediationError(
            f"--notify {value!r}: firehose subscriptions need a SubscriptionRoleArn; subscribe it yourself and pass "
            "its topic with --topic-arn"
        )
    return Subscription(protocol, endpoint)


@dataclass(frozen=True)
class RemediationRequest:
    """One remediation's inputs.

    - ``controls``: the CIS controls to make compliant (all of one benchmark version).
    - ``notify``: subscriptions the alarms' topic must have (``--notify``).
    - ``topic_arn``: the topic to notify (``--topic-arn``); otherwise an existing working one is reused, or
      ``topic_name`` is created.
    - ``namespace``: the namespace of new metric filters' metrics.
    - ``integrate_trail``: apply may attach a trail to a log group (create it, the role, update the trail).
    - ``replace``: new filters and alarms take the control's own names even where resources of those names exist
      and are broken, replacing them; without it such a conflict gives the name ``<name>-trailguard``.
    - ``log_group_name``: the log group trail integration creates (or reuses).
    """

    controls: tuple[CisControl, ...]
    notify: tuple[Subscription, ...] = ()
    topic_arn: str | None = None
    topic_name: str = DEFAULT_CIS_TOPIC_NAME
    namespace: str = CIS_NAMESPACE
    integrate_trail: bool = False
    replace: bool = False
    log_group_name: str = DEFAULT_LOG_GROUP_NAME

    def __post_init__(self) -> None:
        if not self.controls:
            raise RemediationError("no controls to remediate")
        if len({control.version for control in self.controls}) > 1:
            raise RemediationError("controls of one CIS version at a time")
        if self.topic_arn is not None and not is_sns_topic_arn(self.topic_arn):
            raise RemediationError(
                f"--topic-arn {self.topic_arn!r} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
            )
        problem = topic_name_problem(self.topic_name)
        if problem is not None:
            raise RemediationError(f"topic name {self.topic_name!r} {problem}")
        if not self.namespace or len(self.namespace) > 255 or self.namespace.startswith("AWS/"):
            raise RemediationError(
                f"--namespace {self.namespace!r}: a metric namespace is 1 to 255 characters and must not start "
                "with 'AWS/' (reserved for AWS services)"
            )

    @property
    def cis_version(self) -> str:
        return self.controls[0].version

    @property
    def control_ids(self) -> tuple[str, ...]:
        return tuple(f"cis-{control.id}" for control in self.controls)

    @classmethod
    def build(cls, controls: Sequence[CisControl], notify: Sequence[str] = (), **options: object) -> RemediationRequest:
        """A request from command-line text (``--notify`` values parsed; duplicates dropped)."""
        subscriptions = tuple(dict.fromkeys(parse_notify(value) for value in notify))
        return cls(tuple(controls), subscriptions, **options)  # type: ignore[arg-type]
