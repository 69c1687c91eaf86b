"""SNS's side of a delivery: message and subscription identifiers, the JSON notification envelope that HTTP/S,
SQS and email-json subscribers receive, and the HTTP headers SNS posts it with.

"Amazon SNS message and JSON formats", Amazon SNS Developer Guide,
https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html: the envelope's keys are Type,
MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion, Signature, SigningCertURL and UnsubscribeURL
(in that order); a retried delivery keeps its MessageId; the POST carries ``x-amz-sns-message-type``,
``x-amz-sns-message-id``, ``x-amz-sns-topic-arn`` and ``x-amz-sns-subscription-arn``, Content-Type
``text/plain; charset=UTF-8`` and User-Agent ``Amazon Simple Notification Service Agent``; with raw message
delivery the body is the bare message and ``x-amz-sns-rawdelivery: true`` is added.

trailguard is not SNS and holds no key AWS would vouch for, so it does not sign: Signature and SigningCertURL are
empty strings (the keys stay, for code that reads the envelope's shape). A receiver that verifies SNS signatures
therefore refuses these messages, as it should refuse anything that does not come from AWS
(docs/compatibility.md, "Notifications").
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Final
from urllib.parse import quote

from trailguard.model import Subscription, parse_arn
from trailguard.notify.base import Delivery
from trailguard.utc_text import iso_millis

__all__ = [
    "USER_AGENT",
    "envelope",
    "envelope_json",
    "http_headers",
    "message_id_for",
    "sns_host",
    "subscription_arn_for",
    "unsubscribe_url",
]

USER_AGENT: Final = "Amazon Simple Notification Service Agent"
# Fixed namespace of trailguard's name-based (version 5) UUIDs: the same alarm, transition time and topic give the
# same MessageId in every run, which is what lets a restarted run recognise what it already queued.
_NAMESPACE: Final = uuid.UUID("5f2b6a4e-8f1c-5d57-9a7e-3c2d1b0a9e81")


def message_id_for(alarm_name: str, at_ms: int, topic_arn: str) -> str:
    """The SNS MessageId of an alarm's notification to one topic: a UUID derived from alarm name, state change
    time and topic (every subscription of the topic receives the same MessageId, as from one SNS Publish)."""
    return str(uuid.uuid5(_NAMESPACE, f"message\n{alarm_name}\n{at_ms}\n{topic_arn}"))


def subscription_arn_for(topic_arn: str, subscription: Subscription) -> str:
    """A subscription ARN in SNS's form (``<topic ARN>:<uuid>``), derived from protocol and endpoint."""
    suffix = uuid.uuid5(_NAMESPACE, f"subscription\n{topic_arn}\n{subscription.protocol}\n{subscription.endpoint}")
    return f"{topic_arn}:{suffix}"


def sns_host(topic_arn: str) -> str:
    """SNS's endpoint host for the topic's region and partition."""
    arn = parse_arn(topic_arn)
    region = arn.region if arn else "us-east-1"
    suffix = "amazonaws.com.cn" if arn is not None and arn.partition == "aws-cn" else "amazonaws.com"
    return f"sns.{region}.{suffix}"


def unsubscribe_url(delivery: Delivery) -> str:
    """The UnsubscribeURL SNS would give. It leads to AWS, where a subscription that exists only in a trailguard
    configuration is unknown: to unsubscribe, remove it from the configuration."""
    return (
        f"https://{sns_host(delivery.topic_arn)}/?Action=Unsubscribe&SubscriptionArn="
        f"{quote(delivery.subscription_arn, safe=':')}"
    )


def sns_timestamp(ms: int) -> str:
    """``2012-05-02T00:54:06.655Z``."""
    return iso_millis(ms)


def envelope(delivery: Delivery, *, with_context: bool = True) -> dict[str, Any]:
    """The notification envelope as a dict in SNS's key order; the ``trailguard`` context block is an extra
    key after SNS's own (absent when the delivery has no context or ``with_context`` is false)."""
    data: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": delivery.message_id,
        "TopicArn": delivery.topic_arn,
    }
    if delivery.subject:
        data["Subject"] = delivery.subject
    data["Message"] = delivery.message
    data["Timestamp"] = sns_timestamp(delivery.published_ms)
    data["SignatureVersion"] = "1"
    data["Signature"] = ""
    data["SigningCertURL"] = ""
    data["UnsubscribeURL"] = unsubscribe_url(delivery)
    if with_context and delivery.context is not None:
        data["trailguard"] = delivery.context.to_json_dict()
    return data


def envelope_json(delivery: Delivery, *, with_context: bool = True, compact: bool = False) -> str:
    """The envelope as text: SNS's own layout (two-space indent, ``"Key" : value``) or one compact line."""
    data = envelope(delivery, with_context=with_context)
    if compact:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(data, ensure_ascii=False, indent=2, separators=(",", " : "))


def http_headers(delivery: Delivery, *, content_type: str, raw: bool) -> dict[str, str]:
    """The headers of SNS's POST to an HTTP/S endpoint."""
    headers = {
        "x-amz-sns-message-type": "Notification",
        "x-amz-sns-message-id": delivery.message_id,
        "x-amz-sns-topic-arn": delivery.topic_arn,
        "x-amz-sns-subscription-arn": delivery.subscription_arn,
        "Content-Type": content_type,
        "User-Agent": USER_AGENT,
    }
    if raw:
        headers["x-amz-sns-rawdelivery"] = "true"
    return headers
