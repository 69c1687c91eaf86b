"""Notifications as people read them: the body of an ``email`` subscription, and the short summary that
Slack, webhooks and standard output show.

The email body is what CloudWatch alarm notifications look like in a mailbox. CloudWatch publishes a separate
text for email subscribers: "You are receiving this email because your Amazon CloudWatch Alarm ... has entered
the ALARM state, because ..." followed by "Alarm Details", "Threshold", "Monitored Metric" and "State Change
Actions" sections; email-json, HTTP/S and SQS subscribers get the JSON message instead. SNS then appends its
footer (a ``--`` line, the unsubscribe link and "Please do not reply directly to this email..."). Both layouts
are taken from alarm emails as received (the project's docs/compatibility.md, "Notifications", lists what is
reproduced). trailguard's context block goes between CloudWatch's text and SNS's footer.

A message that is not a CloudWatch alarm document (something else published to the topic) is sent as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

from trailguard.java_text import java_double
from trailguard.model import parse_arn
from trailguard.notify.base import Delivery
from trailguard.notify.envelope import sns_host

__all__ = ["AlarmMessage", "alarm_message", "clean_subject", "email_body", "readable_summary"]

_LABEL_WIDTH: Final = 30  # "- Reason for State Change:    "
_METRIC_LABEL_WIDTH: Final = 39  # "- MetricNamespace:                     "
_STATISTICS: Final = {
    "SUM": "Sum",
    "AVERAGE": "Average",
    "MINIMUM": "Minimum",
    "MAXIMUM": "Maximum",
    "SAMPLE_COUNT": "SampleCount",
}


def clean_subject(subject: str) -> str:
    """The subject with line breaks and other control characters replaced by spaces. SNS refuses subjects that
    hold them ("Publish", Amazon SNS API Reference); here they would break a mail or HTTP header."""
    return "".join(" " if ord(ch) < 32 or ord(ch) == 127 else ch for ch in subject)


class AlarmMessage:
    """The parts of a CloudWatch alarm message that the texts use (read from its JSON)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.name = str(data.get("AlarmName", ""))
        self.description = data.get("AlarmDescription")
        self.old_state = str(data.get("OldStateValue", ""))
        self.new_state = str(data.get("NewStateValue", ""))
        self.reason = str(data.get("NewStateReason", ""))
        self.region_name = str(data.get("Region", ""))
        self.account_id = str(data.get("AWSAccountId", ""))
        self.alarm_arn = str(data.get("AlarmArn", ""))
        arn = parse_arn(self.alarm_arn)
        self.region = arn.region if arn else ""
        self.partition = arn.partition if arn else "aws"
        self.change_ms = _parse_state_time(data.get("StateChangeTime"))
        trigger = data.get("Trigger")
        self.trigger: Mapping[str, Any] = trigger if isinstance(trigger, Mapping) else {}

    @property
    def change_time_words(self) -> str:
        """``Sunday 15 June, 2025 12:07:17 UTC``."""
        if self.change_ms is None:
            return str(self.data.get("StateChangeTime", ""))
        moment = datetime.fromtimestamp(self.change_ms // 1000, UTC)
        return moment.strftime("%A %d %B, %Y %H:%M:%S UTC")

    def console_url(self) -> str:
        host = {"aws-cn": "console.amazonaws.cn", "aws-us-gov": "console.amazonaws-us-gov.com"}.get(
            self.partition, "console.aws.amazon.com"
        )
        region = self.region or "us-east-1"
        return (
            f"https://{region}.{host}/cloudwatch/deeplink.js?region={region}#alarmsV2:alarm/{quote(self.name, safe='')}"
        )


def alarm_message(message: str) -> AlarmMessage | None:
    """The message as a CloudWatch alarm document, or None when it is not one."""
    try:
        data = json.loads(message)
    except ValueError:
        return None
    if not isinstance(data, dict) or "AlarmName" not in data or "NewStateValue" not in data:
        return None
    return AlarmMessage(data)


def _parse_state_time(value: Any) -> int | None:
    """``2022-08-26T03:46:29.897+0000`` -> epoch ms."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None
    return int(moment.timestamp() * 1000)


def _line(label: str, value: str, width: int = _LABEL_WIDTH) -> str:
    return f"- {label}:".ljust(width) + value if value else f"- {label}:"


def _number(value: Any) -> str:
    return java_double(float(value)) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def cloudwatch_email_text(alarm: AlarmMessage) -> str:
    """CloudWatch's text for email subscribers (without SNS's footer)."""
    trigger = alarm.trigger
    lines = [
        f'You are receiving this email because your Amazon CloudWatch Alarm "{alarm.name}" in the '
        f'{alarm.region_name} region has entered the {alarm.new_state} state, because "{alarm.reason}" at '
        f'"{alarm.change_time_words}".',
        "",
        "View this alarm in the AWS Management Console:",
        alarm.console_url(),
        "",
        "Alarm Details:",
        _line("Name", alarm.name),
        _line("Description", str(alarm.description) if alarm.description else ""),
        _line("State Change", f"{alarm.old_state} -> {alarm.new_state}"),
        _line("Reason for State Change", alarm.reason),
        _line("Timestamp", alarm.change_time_words),
        _line("AWS Account", alarm.account_id),
        _line("Alarm Arn", alarm.alarm_arn),
    ]
    if trigger:
        evaluation_periods = trigger.get("EvaluationPeriods", 1)
        datapoints = trigger.get("DatapointsToAlarm", evaluation_periods)
        statistic = trigger.get("ExtendedStatistic") or _STATISTICS.get(
            str(trigger.get("Statistic")), str(trigger.get("Statistic"))
        )
        dimensions = trigger.get("Dimensions") or []
        shown_dimensions = " ".join(
            f"[{d.get('name')} = {d.get('value')}]" for d in dimensions if isinstance(d, Mapping)
        )
        lines += [
            "",
            "Threshold:",
            f"- The alarm is in the ALARM state when the metric is {trigger.get('ComparisonOperator')} "
            f"{_number(trigger.get('Threshold'))} for at least {datapoints} of the last {evaluation_periods} "
            f"period(s) of {trigger.get('Period')} seconds.",
            "",
            "Monitored Metric:",
            _line("MetricNamespace", str(trigger.get("Namespace", "")), _METRIC_LABEL_WIDTH),
            _line("MetricName", str(trigger.get("MetricName", "")), _METRIC_LABEL_WIDTH),
            _line("Dimensions", shown_dimensions, _METRIC_LABEL_WIDTH),
            _line("Period", f"{trigger.get('Period')} seconds", _METRIC_LABEL_WIDTH),
            _line("Statistic", str(statistic), _METRIC_LABEL_WIDTH),
            _line("Unit", str(trigger.get("Unit") or "not specified"), _METRIC_LABEL_WIDTH),
            _line("TreatMissingData", str(trigger.get("TreatMissingData") or "missing"), _METRIC_LABEL_WIDTH),
        ]
    lines += ["", "", "State Change Actions:"]
    for state, key in (
        ("OK", "OKActions"),
        ("ALARM", "AlarmActions"),
        ("INSUFFICIENT_DATA", "InsufficientDataActions"),
    ):
        actions = alarm.data.get(key) or []
        lines.append(f"- {state}:" + ("".join(f" [{a}]" for a in actions) if actions else ""))
    return "\n".join(lines)


def sns_email_footer(delivery: Delivery) -> str:
    """SNS's footer under every email notification."""
    link = (
        f"https://{sns_host(delivery.topic_arn)}/unsubscribe.html?SubscriptionArn={delivery.subscription_arn}"
        f"&Endpoint={delivery.endpoint}"
    )
    return (
        "--\n"
        "If you wish to stop receiving notifications from this topic, please click or visit the link below to "
        f"unsubscribe:\n{link}\n\n"
        "Please do not reply directly to this email. If you have any questions or comments regarding this email, "
        "please contact us at https://aws.amazon.com/support"
    )


def _context_block(delivery: Delivery) -> list[str]:
    if delivery.context is None:
        return []
    return ["Events behind this notification (trailguard):", *delivery.context.text_lines()]


def email_body(delivery: Delivery) -> str:
    """The plain-text body of an ``email`` subscription's message."""
    alarm = alarm_message(delivery.message)
    parts = [cloudwatch_email_text(alarm) if alarm is not None else delivery.message]
    block = _context_block(delivery)
    if block:
        parts.append("\n".join(block))
    parts.append(sns_email_footer(delivery))
    return "\n\n\n".join(parts) + "\n"


def readable_summary(delivery: Delivery) -> tuple[str, list[tuple[str, str]]]:
    """(headline, [(label, value)]) for a message read at a glance: alarm name, old -> new state, reason, time,
    region, account, then the context block."""
    alarm = alarm_message(delivery.message)
    headline = clean_subject(delivery.subject) or "Notification"
    facts: list[tuple[str, str]] = []
    if alarm is None:
        facts.append(("Message", delivery.message))
    else:
        facts += [
            ("Alarm", alarm.name),
            ("State", f"{alarm.old_state} → {alarm.new_state}"),
            ("Reason", alarm.reason),
            ("Time", alarm.change_time_words),
            ("Region", alarm.region_name),
            ("Account", alarm.account_id),
        ]
        if alarm.description:
            facts.append(("Description", str(alarm.description)))
    context = delivery.context
    if context is not None:
        facts.append(("Matching events", str(context.event_count)))
        first, last = context.to_json_dict()["firstEventTime"], context.to_json_dict()["lastEventTime"]
        if first is not None:
            facts.append(("Events between", f"{first} and {last}"))
        for key, label in (
            ("sourceIPAddresses", "Source IPs"),
            ("userIdentities", "Users"),
            ("userIdentityTypes", "Identity types"),
            ("userAgents", "User agents"),
            ("eventNames", "Events"),
        ):
            shown = context.top(key)
            if shown:
                text = ", ".join(f"{v.value} ({v.count})" for v in shown)
                other = context.others.get(key, 0)
                facts.append((label, text + (f", {other} other" if other else "")))
    return headline, facts


def summary_text(delivery: Delivery) -> str:
    """The readable summary as plain text lines."""
    headline, facts = readable_summary(delivery)
    return "\n".join([headline, *(f"  {label}: {value}" for label, value in facts)])
