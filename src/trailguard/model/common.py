"""Small value types shared by the model: metric identity and ARNs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["Arn", "MetricId", "is_sns_topic_arn", "parse_arn", "sns_topic_arn", "topic_name_problem"]


class MetricId(NamedTuple):
    """A CloudWatch metric as a filter publishes it and an alarm watches it."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


_ARN = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
    r"(?P<account>[^:]*):(?P<resource>.+)\Z",
    re.DOTALL,
)
_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}\Z")


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(text: str) -> Arn | None:
    """The parts of ``arn:partition:service:region:account:resource``, or ``None`` if it is not one."""
    match = _ARN.match(text)
    if match is None:
        return None
    return Arn(match["partition"], match["service"], match["region"], match["account"], match["resource"])


def is_sns_topic_arn(text: str) -> bool:
    """``arn:<partition>:sns:<region>:<12-digit account>:<topic name>``."""
    arn = parse_arn(text)
    return (
        arn is not None
        and arn.service == "sns"
        and bool(arn.region)
        and bool(re.fullmatch(r"\d{12}", arn.account))
        and ":" not in arn.resource
        and "/" not in arn.resource
    )


def topic_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid SNS topic name (CreateTopic constraints), or ``None``."""
    base = name[: -len(".fifo")] if name.endswith(".fifo") else name
    if not base:
        return "must not be empty; allowed: 1 to 256 letters, digits, '-' and '_' (plus '.fifo' for FIFO topics)"
    if len(name) > 256:
        return f"is {len(name)} characters long; allowed: at most 256"
    if not _TOPIC_NAME.match(base):
        bad = next(ch for ch in base if not (ch.isascii() and (ch.isalnum() or ch in "-_")))
        return (
            f"contains {bad!r}; allowed: ASCII letters, digits, '-' and '_' "
            "(and a '.fifo' suffix for FIFO topics), 1 to 256 characters"
        )
    return None


def sns_topic_arn(region: str, account_id: str, name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:sns:{region}:{account_id}:{name}"
