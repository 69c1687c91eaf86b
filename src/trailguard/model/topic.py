"""SNS topics and their subscriptions (CreateTopic / Subscribe requests, Amazon SNS API
Reference; docs/semantics.md "SNS")."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from trailguard.model.common import is_sns_topic_arn, parse_arn, sns_topic_arn, topic_name_problem
from trailguard.model.constants import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    SNS_PROTOCOLS,
    SUBSCRIPTION_PROTOCOLS,
    TRAILGUARD_PROTOCOLS,
)
from trailguard.model.delivery_policy import DeliveryPolicyError, parse_delivery_policy
from trailguard.model.nodes import Node
from trailguard.model.validation import Checker, item_path, key_path, quote, suggestion, validated

__all__ = ["STDOUT_ENDPOINTS", "Subscription", "Topic", "endpoint_problem", "is_sns_protocol", "parse_topic"]

_TOPIC_KEYS = ("TopicArn", "Name", "Subscriptions", "Attributes")
_TOPIC_ALIASES = {"subscriptions": "Subscriptions", "attributes": "Attributes"}
_SUBSCRIPTION_KEYS = ("Protocol", "Endpoint", "Attributes")
_SUBSCRIPTION_ALIASES = {"protocol": "Protocol", "endpoint": "Endpoint", "attributes": "Attributes"}
# list-subscriptions-by-topic output fields: accepted and ignored.
_SUBSCRIPTION_OUTPUT_KEYS = ("SubscriptionArn", "Owner", "TopicArn")

_SUBSCRIPTION_ATTRIBUTES = (
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
)
_JSON_ATTRIBUTES = ("DeliveryPolicy", "FilterPolicy", "RedrivePolicy", "ReplayPolicy", "Policy", "DataProtectionPolicy")
_TOPIC_ATTRIBUTES = (
    "DisplayName",
    "Policy",
    "DeliveryPolicy",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "FifoTopic",
    "ContentBasedDeduplication",
    "FifoThroughputScope",
    "ArchivePolicy",
    "MaximumMessageSize",
    "DataProtectionPolicy",
)
_RAW_DELIVERY_PROTOCOLS = ("http", "https", "sqs", "firehose")

#: The endpoints of a ``stdout`` subscription.
STDOUT_ENDPOINTS = ("-", "stdout")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+\Z")
_E164 = re.compile(r"\+[1-9]\d{1,14}\Z")


def _arn_problem(endpoint: str, service: str, resource: str, example: str) -> str | None:
    arn = parse_arn(endpoint)
    if arn is None or arn.service != service or not arn.region or not re.fullmatch(r"\d{12}", arn.account):
        return f"{quote(endpoint)} is not {example}"
    if not re.match(resource, arn.resource):
        return f"{quote(endpoint)} is not {example}"
    return None


def is_sns_protocol(protocol: str) -> bool:
    """Whether SNS itself has this subscription protocol (``aws sns subscribe`` accepts it); trailguard's own
    protocols (:data:`~trailguard.model.constants.TRAILGUARD_PROTOCOLS`) deliver only locally."""
    return protocol in SNS_PROTOCOLS


def _url_problem(endpoint: str, what: str) -> str | None:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{quote(endpoint)} is not {what} (an http:// or https:// URL)"
    return None


def _trailguard_endpoint_problem(protocol: str, endpoint: str) -> str | None:
    if protocol == "sns":
        if is_sns_topic_arn(endpoint):
            return None
        return f"{quote(endpoint)} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)"
    if protocol == "slack":
        return _url_problem(endpoint, "a Slack incoming-webhook URL")
    if protocol == "webhook":
        return _url_problem(endpoint, "a webhook URL")
    if protocol == "file":
        if not endpoint.strip() or any(ord(ch) < 32 for ch in endpoint):
            return f"{quote(endpoint)} is not a file path"
        return None
    if protocol == "stdout":
        if endpoint in STDOUT_ENDPOINTS:
            return None
        return f"{quote(endpoint)} is not valid for standard output; allowed: {', '.join(STDOUT_ENDPOINTS)}"
    return None


def endpoint_problem(protocol: str, endpoint: str) -> str | None:
    """Why ``endpoint`` cannot be a ``protocol`` subscription endpoint, or ``None``."""
    if protocol in TRAILGUARD_PROTOCOLS:
        return _trailguard_endpoint_problem(protocol, endpoint)
    if protocol in ("http", "https"):
        parts = urlsplit(endpoint)
        if parts.scheme != protocol or not parts.hostname:
            return f"{quote(endpoint)} is not an {protocol}:// URL"
        return None
    if protocol in ("email", "email-json"):
        return None if _EMAIL.match(endpoint) else f"{quote(endpoint)} is not an email address"
    if protocol == "sms":
        if _E164.match(endpoint):
            return None
        return f"{quote(endpoint)} is not an E.164 phone number (a '+', the country code and up to 15 digits)"
    if protocol == "sqs":
        return _arn_problem(
            endpoint,
            "sqs",
            r"[A-Za-z0-9_-]{1,80}(\.fifo)?\Z",
            "an SQS queue ARN (arn:aws:sqs:<region>:<account>:<queue>)",
        )
    if protocol == "lambda":
        return _arn_problem(
            endpoint,
            "lambda",
            r"function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?\Z",
            "a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)",
        )
    if protocol == "firehose":
        return _arn_problem(
            endpoint,
            "firehose",
            r"deliverystream/[A-Za-z0-9_.-]{1,64}\Z",
            "a Firehose delivery stream ARN (arn:aws:firehose:<region>:<account>:deliverystream/<name>)",
        )
    if protocol == "application":
        return _arn_problem(
            endpoint,
            "sns",
            r"endpoint/[^/]+/[^/]+/[^/]+\Z",
            "a mobile platform endpoint ARN (arn:aws:sns:<region>:<account>:endpoint/<platform>/<app>/<id>)",
        )
    return None


@dataclass(frozen=True)
class Subscription:
    """One subscription of a topic (the Subscribe request without its TopicArn)."""

    protocol: str
    endpoint: str
    attributes: tuple[tuple[str, str], ...] = ()

    @property
    def attribute_map(self) -> dict[str, str]:
        return dict(self.attributes)

    @property
    def raw_message_delivery(self) -> bool:
        return self.attribute_map.get("RawMessageDelivery", "false").lower() == "true"

    @property
    def sns_compatible(self) -> bool:
        """Whether SNS has this protocol: remediation and export must refuse a subscription that is not."""
        return is_sns_protocol(self.protocol)

    def to_api_dict(self, topic_arn: str) -> dict[str, Any]:
        """The Subscribe request for this subscription on ``topic_arn``."""
        data: dict[str, Any] = {"TopicArn": topic_arn, "Protocol": self.protocol, "Endpoint": self.endpoint}
        if self.attributes:
            data["Attributes"] = dict(self.attributes)
        return data


@dataclass(frozen=True)
class Topic:
    """An SNS topic, by ARN, with the subscriptions it delivers to."""

    topic_arn: str
    subscriptions: tuple[Subscription, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.topic_arn.rsplit(":", 1)[-1]

    @property
    def region(self) -> str:
        arn = parse_arn(self.topic_arn)
        return arn.region if arn else ""

    @property
    def account_id(self) -> str:
        arn = parse_arn(self.topic_arn)
        return arn.account if arn else ""

    @property
    def attribute_map(self) -> dict[str, str]:
        return dict(self.attributes)

    def to_api_dict(self) -> dict[str, Any]:
        """The CreateTopic request (its subscriptions: ``[s.to_api_dict(t.topic_arn) for s in t.subscriptions]``)."""
        data: dict[str, Any] = {"Name": self.name}
        if self.attributes:
            data["Attributes"] = dict(self.attributes)
        return data

    def to_config_dict(self) -> dict[str, Any]:
        """This topic as a ``topics`` entry of a configuration file."""
        data: dict[str, Any] = {"TopicArn": self.topic_arn}
        if self.attributes:
            data["Attributes"] = dict(self.attributes)
        subscriptions: list[dict[str, Any]] = []
        for subscription in self.subscriptions:
            entry: dict[str, Any] = {"Protocol": subscription.protocol, "Endpoint": subscription.endpoint}
            if subscription.attributes:
                entry["Attributes"] = dict(subscription.attributes)
            subscriptions.append(entry)
        data["Subscriptions"] = subscriptions
        return data

    @classmethod
    def from_api_dict(
        cls, data: Mapping[str, Any], *, region: str = DEFAULT_REGION, account_id: str = DEFAULT_ACCOUNT_ID
    ) -> Topic:
        """Validate a ``topics`` entry ({TopicArn or Name, Subscriptions, Attributes}); raises ConfigError."""
        return validated(lambda checker, node, path: parse_topic(checker, node, path, region, account_id), data)


def _aliased(checker: Checker, node: Node, path: str, aliases: Mapping[str, str]) -> None:
    """Accept lower-case spellings of a few keys (as the project brief writes them); AWS's own casing wins."""
    entries: dict[str, Node] = node.value
    for alias, canonical in aliases.items():
        if alias not in entries:
            continue
        if canonical in entries:
            checker.error(
                key_path(path, alias),
                f"both {alias!r} and {canonical!r} are given; allowed: one of them",
                line=node.key_lines.get(alias, node.line),
            )
            del entries[alias]
            continue
        entries[canonical] = entries.pop(alias)
        node.key_lines.setdefault(canonical, node.key_lines.get(alias, node.line or 0))


def parse_topic(checker: Checker, node: Node, path: str, region: str, account_id: str) -> Topic | None:
    """Validate one ``topics`` entry; ``None`` if it has errors (all of them reported)."""
    if checker.mapping(node, path, "a topic with TopicArn or Name, and Subscriptions") is None:
        return None
    errors_before = len(checker.errors)
    _aliased(checker, node, path, _TOPIC_ALIASES)
    checker.unknown_keys(node, path, _TOPIC_KEYS)

    topic_arn = _topic_arn(checker, node, path, region, account_id)
    attributes = _attributes(checker, node, path, _TOPIC_ATTRIBUTES, "topic", protocol=None)

    subscriptions: list[Subscription] = []
    subs_node = checker.optional(node, "Subscriptions")
    if subs_node is not None:
        subs_path = key_path(path, "Subscriptions")
        items = checker.sequence(subs_node, subs_path, "of {Protocol, Endpoint, Attributes}")
        for index, item in enumerate(items or ()):
            subscription = _subscription(checker, item, item_path(subs_path, index))
            if subscription is None:
                continue
            if subscription in subscriptions:
                checker.warn(
                    item_path(subs_path, index),
                    f"duplicate subscription {subscription.protocol} {quote(subscription.endpoint)}; "
                    "SNS keeps one subscription per protocol and endpoint",
                    item,
                )
                continue
            subscriptions.append(subscription)

    if len(checker.errors) > errors_before:
        return None
    assert topic_arn is not None
    if not subscriptions:
        checker.warn(
            path,
            f"topic {topic_arn} has no subscriptions; its notifications reach no one "
            "(CIS requires at least one confirmed subscription)",
            node,
        )
    return Topic(topic_arn, tuple(subscriptions), attributes)


def _topic_arn(checker: Checker, node: Node, path: str, region: str, account_id: str) -> str | None:
    arn_node = checker.optional(node, "TopicArn")
    name_node = checker.optional(node, "Name")
    if arn_node is None and name_node is None:
        checker.error(key_path(path, "TopicArn"), "is required (or Name)", line=node.line)
        return None
    name: str | None = None
    if name_node is not None:
        name = checker.string(name_node, key_path(path, "Name"))
        if name is not None:
            problem = topic_name_problem(name)
            if problem is not None:
                checker.error(key_path(path, "Name"), problem, name_node)
                return None
    if arn_node is None:
        return sns_topic_arn(region, account_id, name) if name is not None else None
    arn_path = key_path(path, "TopicArn")
    text = checker.string(arn_node, arn_path)
    if text is None:
        return None
    arn = parse_arn(text)
    if arn is None or not is_sns_topic_arn(text):
        checker.error(
            arn_path, f"{quote(text)} is not an SNS topic ARN; allowed: arn:aws:sns:<region>:<account>:<name>", arn_node
        )
        return None
    problem = topic_name_problem(arn.resource)
    if problem is not None:
        checker.error(arn_path, f"topic name {problem}", arn_node)
        return None
    if name is not None and name != arn.resource:
        checker.error(
            key_path(path, "Name"),
            f"{quote(name)} does not match the name in TopicArn ({quote(arn.resource)}); allowed: the same name",
            name_node,
        )
        return None
    return text


def _subscription(checker: Checker, node: Node, path: str) -> Subscription | None:
    if checker.mapping(node, path, "a subscription with Protocol and Endpoint") is None:
        return None
    errors_before = len(checker.errors)
    _aliased(checker, node, path, _SUBSCRIPTION_ALIASES)
    checker.unknown_keys(node, path, _SUBSCRIPTION_KEYS, ignored=_SUBSCRIPTION_OUTPUT_KEYS)

    protocol: str | None = None
    protocol_node = checker.required(node, "Protocol", path, hint=f"; allowed: {', '.join(SUBSCRIPTION_PROTOCOLS)}")
    if protocol_node is not None:
        protocol = checker.string(protocol_node, key_path(path, "Protocol"))
        if protocol is not None and not checker.choice(
            protocol, SUBSCRIPTION_PROTOCOLS, key_path(path, "Protocol"), protocol_node, "protocol"
        ):
            protocol = None

    endpoint: str | None = None
    endpoint_node = checker.required(node, "Endpoint", path)
    if endpoint_node is not None:
        endpoint = checker.string(endpoint_node, key_path(path, "Endpoint"))
        if endpoint is not None and protocol is not None:
            problem = endpoint_problem(protocol, endpoint)
            if problem is not None:
                checker.error(key_path(path, "Endpoint"), f"{problem}, as the {protocol} protocol needs", endpoint_node)

    attributes = _attributes(checker, node, path, _SUBSCRIPTION_ATTRIBUTES, "subscription", protocol=protocol)
    if protocol == "firehose" and "SubscriptionRoleArn" not in dict(attributes):
        checker.error(
            key_path(path, "Attributes"),
            "SubscriptionRoleArn is required for firehose subscriptions; allowed: an IAM role ARN",
            line=node.line,
        )
    attribute_map = dict(attributes)
    if "FilterPolicy" in attribute_map and attribute_map.get("FilterPolicyScope", "MessageAttributes") == (
        "MessageAttributes"
    ):
        # CloudWatch alarm notifications carry no message attributes, so a policy on attributes (the
        # default scope) can never match them [inferred; see docs/compatibility.md, "SNS"].
        checker.warn(
            key_path(key_path(path, "Attributes"), "FilterPolicy"),
            "filters on message attributes, which CloudWatch alarm notifications do not carry, so this "
            "subscription would receive no alarm; set FilterPolicyScope: MessageBody to filter on the alarm JSON",
            node.value["Attributes"],
        )
    if len(checker.errors) > errors_before or protocol is None or endpoint is None:
        return None
    return Subscription(protocol, endpoint, attributes)


def _attributes(
    checker: Checker,
    node: Node,
    path: str,
    known: tuple[str, ...],
    owner: str,
    *,
    protocol: str | None,
) -> tuple[tuple[str, str], ...]:
    attrs_node = checker.optional(node, "Attributes")
    if attrs_node is None:
        return ()
    attrs_path = key_path(path, "Attributes")
    entries = checker.mapping(attrs_node, attrs_path, f"of {owner} attribute names to values")
    if entries is None:
        return ()
    result: list[tuple[str, str]] = []
    for name, value_node in entries.items():
        attr_path = key_path(attrs_path, name)
        if name not in known:
            message = f"unknown {owner} attribute{suggestion(name, known)}; allowed: {', '.join(known)}"
            if owner == "subscription":
                checker.error(attr_path, message, value_node)
                continue
            checker.warn(attr_path, message, value_node)
        value = _attribute_text(checker, value_node, attr_path, name)
        if value is None:
            continue
        if owner == "subscription" and not _subscription_attribute_ok(
            checker, name, value, protocol, attr_path, value_node
        ):
            continue
        if owner == "topic" and name == "DeliveryPolicy":
            try:
                parse_delivery_policy(None, value)
            except DeliveryPolicyError as error:
                checker.error(attr_path, str(error), value_node)
                continue
        result.append((name, value))
    return tuple(result)


def _attribute_text(checker: Checker, node: Node, path: str, name: str) -> str | None:
    """SNS attributes are strings; mappings (policies written as YAML) become compact JSON, booleans
    ``"true"``/``"false"``."""
    if node.kind in ("map", "seq"):
        return json.dumps(_plain(node), separators=(",", ":"))
    if node.kind == "scalar" and isinstance(node.value, bool):
        return "true" if node.value else "false"
    text = checker.string(node, path)
    if text is None:
        return None
    if name in _JSON_ATTRIBUTES:
        try:
            parsed = json.loads(text)
        except ValueError as error:
            checker.error(path, f"must be a JSON object; the text is not JSON ({error})", node)
            return None
        if not isinstance(parsed, dict):
            checker.error(path, "must be a JSON object", node)
            return None
    return text


def _plain(node: Node) -> Any:
    if node.kind == "map":
        return {key: _plain(value) for key, value in node.value.items()}
    if node.kind == "seq":
        return [_plain(item) for item in node.value]
    return node.value


def _subscription_attribute_ok(
    checker: Checker, name: str, value: str, protocol: str | None, path: str, node: Node
) -> bool:
    if name == "RawMessageDelivery":
        if value not in ("true", "false"):
            checker.error(path, f"{quote(value)} is not valid; allowed: true, false", node)
            return False
        if value == "true" and protocol is not None and protocol not in _RAW_DELIVERY_PROTOCOLS:
            checker.error(
                path,
                f"raw message delivery is not available for {protocol}; allowed: {', '.join(_RAW_DELIVERY_PROTOCOLS)}",
                node,
            )
            return False
    elif name == "FilterPolicyScope":
        return checker.choice(value, ("MessageAttributes", "MessageBody"), path, node, "filter policy scope")
    elif name == "DeliveryPolicy":
        if protocol is not None and protocol not in ("http", "https"):
            checker.error(path, f"delivery policies apply only to http and https subscriptions, not {protocol}", node)
            return False
        try:
            parse_delivery_policy(value)
        except DeliveryPolicyError as error:
            checker.error(path, str(error), node)
            return False
    elif name == "SubscriptionRoleArn":
        arn = parse_arn(value)
        if arn is None or arn.service != "iam" or not arn.resource.startswith("role/"):
            checker.error(path, f"{quote(value)} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", node)
            return False
    elif name == "RedrivePolicy":
        target = json.loads(value).get("deadLetterTargetArn")
        arn = parse_arn(target) if isinstance(target, str) else None
        if arn is None or arn.service != "sqs":
            checker.error(path, "must name an SQS queue ARN in deadLetterTargetArn", node)
            return False
    return True
