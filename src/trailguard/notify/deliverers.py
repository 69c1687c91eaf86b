"""The deliverers of every protocol, built from one set of options (what ``replay --notify`` and the live
runner hand an :class:`~trailguard.notify.outbox.Outbox`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from trailguard.model.smtp import SmtpSettings
from trailguard.notify.aws import AwsDeliverer
from trailguard.notify.base import Deliverer
from trailguard.notify.chat import ChatDeliverer
from trailguard.notify.email import EmailDeliverer
from trailguard.notify.http import HttpDeliverer
from trailguard.notify.local import LocalDeliverer

__all__ = ["default_deliverers"]


def default_deliverers(
    *,
    smtp: SmtpSettings | None = None,
    environ: Mapping[str, str] | None = None,
    aws_endpoint_url: str | None = None,
    aws_profile: str | None = None,
    stdout: TextIO | None = None,
) -> list[Deliverer]:
    """One deliverer per protocol family: email/email-json, http/https, sqs/sns, slack/webhook, file/stdout.
    (``sms``, ``lambda``, ``firehose`` and ``application`` have none: their rows go to the dead-letter list.)"""
    return [
        EmailDeliverer(smtp, environ=environ),
        HttpDeliverer(),
        AwsDeliverer(endpoint_url=aws_endpoint_url, profile=aws_profile),
        ChatDeliverer(),
        LocalDeliverer(stdout=stdout),
    ]
