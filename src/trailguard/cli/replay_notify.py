"""``trailguard replay --notify``: deliver the replay's notifications through the configuration's subscriptions
and print what happened."""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

import click

from trailguard.cli.options import fail
from trailguard.engine.replay import ReplayResult
from trailguard.model import Configuration
from trailguard.notify import Outbox, OutboxError, default_deliverers
from trailguard.notify.evidence import ReplayEvidence
from trailguard.notify.replay import ReplayDelivery, deliver_replay

__all__ = ["check_notify_options", "notify_after_replay"]

# The summary below reports every dead letter; the package's own warnings would repeat them on stderr.
logging.getLogger("trailguard.notify").addHandler(logging.NullHandler())


def check_notify_options(config: Configuration, output_format: str) -> None:
    """Refuse, before the replay runs, what cannot work: stdout subscriptions would mix with a JSON report."""
    if output_format != "json":
        return
    for topic in config.topics:
        if any(s.protocol == "stdout" for s in topic.subscriptions):
            fail(
                f"topic {topic.topic_arn} has a stdout subscription, whose messages would mix with the JSON report "
                "on standard output; use --output text, or a file subscription"
            )


def notify_after_replay(
    result: ReplayResult,
    config: Configuration,
    *,
    evidence: ReplayEvidence | None,
    state_path: str | None,
    output_format: str,
    endpoint_url: str | None,
    profile: str | None,
) -> int:
    """Deliver, print the summary (stderr when the report is JSON), and return the exit status: 0 when every
    notification was delivered, 2 when some went to the dead-letter list."""
    deliverers = default_deliverers(smtp=config.smtp, aws_endpoint_url=endpoint_url, aws_profile=profile)
    with tempfile.TemporaryDirectory(prefix="trailguard-notify-") as scratch:
        path = Path(state_path) if state_path is not None else Path(scratch) / "outbox.sqlite"
        try:
            with Outbox(path, deliverers=deliverers) as outbox:
                report = deliver_replay(result, config, outbox, evidence=evidence)
        except OutboxError as error:
            fail(str(error))
    _print_report(report, state_path, err=output_format == "json")
    return 2 if report.dead else 0


def _print_report(report: ReplayDelivery, state_path: str | None, *, err: bool) -> None:
    def say(text: str) -> None:
        click.echo(text, err=err)

    sys.stdout.flush()
    delivered, dead = report.delivered, report.dead
    say(f"notifications: {len(delivered)} delivered, {len(dead)} in the dead-letter list")
    for entry in delivered:
        retries = f" after {entry.attempts} attempts" if entry.attempts > 1 else ""
        say(f"  delivered  {entry.alarm_name}: {entry.subscription.protocol} {entry.subscription.endpoint}{retries}")
    for entry in dead:
        say(
            f"  dead       {entry.alarm_name}: {entry.subscription.protocol} {entry.subscription.endpoint} "
            f"(id {entry.id}, {entry.attempts} attempts): {entry.last_error}"
        )
    for alarm_name, topic_arn in report.undefined_topics:
        say(f"  no topic   {alarm_name}: {topic_arn} is not defined under topics; nobody receives it")
    for alarm_name, _topic_arn, subscription in report.filtered:
        say(f"  filtered   {alarm_name}: {subscription.protocol} {subscription.endpoint} (its FilterPolicy refuses it)")
    if dead and state_path is None:
        say("  (the outbox was temporary: give --state FILE to keep dead letters for a later retry)")
