"""``slack`` and ``webhook`` subscriptions (trailguard's own): a message a person reads at a glance — alarm
name, old → new state, reason, time, region, account and the context block.

- ``slack``: a Slack incoming webhook (``{"text": ...}`` in Slack's mrkdwn; ``&``, ``<`` and ``>`` escaped as
  Slack requires, so no value can turn into a link or a mention).
- ``webhook``: a JSON POST shaped as an Office 365 connector MessageCard (what Microsoft Teams incoming webhooks
  take: ``summary``, ``title``, ``themeColor`` and ``sections[].facts``, values HTML-escaped), plus the plain
  values under ``alarm`` and, when there is one, the context block under ``trailguard``, for any other receiver.

Both are sent with :func:`trailguard.notify.http.post` and follow the non-HTTP retry policy.
"""

from __future__ import annotations

import html
import json
import logging
import ssl
from typing import Any, Final

from trailguard.notify.base import Delivery
from trailguard.notify.http import DEFAULT_TIMEOUT, post
from trailguard.notify.text import alarm_message, readable_summary

__all__ = ["ChatDeliverer", "slack_payload", "webhook_payload"]

_log = logging.getLogger("trailguard.notify.chat")
_COLOURS: Final = {"ALARM": "D13212", "OK": "2EB886", "INSUFFICIENT_DATA": "A0A0A0"}
_EMOJI: Final = {"ALARM": ":rotating_light:", "OK": ":white_check_mark:", "INSUFFICIENT_DATA": ":grey_question:"}
_JSON_HEADERS: Final = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "trailguard"}


def _slack_escape(text: str) -> str:
    # https://api.slack.com/reference/surfaces/formatting#escaping
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(delivery: Delivery) -> dict[str, Any]:
    headline, facts = readable_summary(delivery)
    alarm = alarm_message(delivery.message)
    emoji = _EMOJI.get(alarm.new_state, "") if alarm is not None else ""
    lines = [f"{emoji} *{_slack_escape(headline)}*".strip()]
    lines += [f"*{label}:* {_slack_escape(value)}" for label, value in facts]
    return {"text": "\n".join(lines)}


def webhook_payload(delivery: Delivery) -> dict[str, Any]:
    headline, facts = readable_summary(delivery)
    alarm = alarm_message(delivery.message)
    payload: dict[str, Any] = {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": html.escape(headline),
        "title": html.escape(headline),
        "themeColor": _COLOURS.get(alarm.new_state, "0076D7") if alarm is not None else "0076D7",
        "sections": [{"facts": [{"name": label, "value": html.escape(value)} for label, value in facts]}],
        "messageId": delivery.message_id,
        "topicArn": delivery.topic_arn,
        "subject": delivery.subject,
    }
    if alarm is not None:
        payload["alarm"] = {
            "name": alarm.name,
            "description": alarm.description,
            "oldState": alarm.old_state,
            "newState": alarm.new_state,
            "reason": alarm.reason,
            "time": alarm.data.get("StateChangeTime"),
            "region": alarm.region_name,
            "accountId": alarm.account_id,
            "alarmArn": alarm.alarm_arn,
        }
    else:
        payload["message"] = delivery.message
    if delivery.context is not None:
        payload["trailguard"] = delivery.context.to_json_dict()
    return payload


class ChatDeliverer:
    """Delivers ``slack`` and ``webhook`` subscriptions."""

    protocols: tuple[str, ...] = ("slack", "webhook")

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, tls_context: ssl.SSLContext | None = None) -> None:
        self._timeout = timeout
        self._tls_context = tls_context

    def deliver(self, delivery: Delivery) -> None:
        payload = slack_payload(delivery) if delivery.protocol == "slack" else webhook_payload(delivery)
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        post(delivery.endpoint, body, _JSON_HEADERS, timeout=self._timeout, tls_context=self._tls_context)
        _log.info("notification %s posted to a %s subscription", delivery.message_id, delivery.protocol)
