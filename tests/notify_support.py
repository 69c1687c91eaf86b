"""Notifications, topics and deliveries for the notify tests, built with the real engine and model."""

from __future__ import annotations

from typing import Any

from trailguard.engine.notifications import Notification, build_notification
from trailguard.model import Alarm, Subscription, Topic
from trailguard.notify import Delivery, NotificationContext, context_from_records, message_id_for
from trailguard.notify.envelope import subscription_arn_for

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:security-alerts"
AT_MS = 1_795_165_980_000  # 2026-11-20T09:13:00Z


def alarm(name: str = "ConsoleSigninFailures", **overrides: Any) -> Alarm:
    data: dict[str, Any] = {
        "AlarmName": name,
        "MetricName": "ConsoleSigninFailures",
        "Namespace": "CISBenchmark",
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 3,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "AlarmActions": [TOPIC_ARN],
    }
    data.update(overrides)
    return Alarm.from_api_dict(data)


def notification(name: str = "ConsoleSigninFailures", at_ms: int = AT_MS, **overrides: Any) -> Notification:
    return build_notification(
        alarm(name, **overrides),
        region="us-east-1",
        account_id="123456789012",
        old_state="INSUFFICIENT_DATA",
        new_state="ALARM",
        reason="Threshold Crossed: 1 datapoint [5.0 (20/11/26 09:08:00)] was greater than or equal to the "
        "threshold (3.0).",
        at_ms=at_ms,
        configuration_updated_ms=at_ms - 600_000,
        topic_arns=(TOPIC_ARN,),
    )


def failed_login(user: str = "alice", ip: str = "203.0.113.42", time: str = "2026-11-20T09:12:07Z") -> dict[str, Any]:
    return {
        "eventTime": time,
        "eventName": "ConsoleLogin",
        "eventSource": "signin.amazonaws.com",
        "sourceIPAddress": ip,
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "userIdentity": {"type": "IAMUser", "userName": user, "accountId": "123456789012"},
        "errorMessage": "Failed authentication",
    }


def context() -> NotificationContext:
    return context_from_records(
        [failed_login(), failed_login("bob", time="2026-11-20T09:12:30Z"), failed_login(time="2026-11-20T09:13:49Z")]
    )


def topic(*subscriptions: Subscription, attributes: tuple[tuple[str, str], ...] = ()) -> Topic:
    return Topic(TOPIC_ARN, subscriptions, attributes)


def delivery(
    subscription: Subscription, *, note: Notification | None = None, with_context: bool = True, **extra: Any
) -> Delivery:
    note = note or notification()
    return Delivery(
        message_id=message_id_for("ConsoleSigninFailures", note.at_ms, TOPIC_ARN),
        topic_arn=TOPIC_ARN,
        subscription_arn=subscription_arn_for(TOPIC_ARN, subscription),
        subscription=subscription,
        subject=note.subject,
        message=note.message,
        published_ms=note.at_ms,
        context=context() if with_context else None,
        **extra,
    )


class FakeClock:
    """Time in epoch ms that only moves when ``sleep`` is called: retries never wait real seconds."""

    def __init__(self, start_ms: int = AT_MS) -> None:
        self.now_ms = start_ms
        self.sleeps: list[float] = []

    def __call__(self) -> int:
        return self.now_ms

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_ms += round(seconds * 1000)
