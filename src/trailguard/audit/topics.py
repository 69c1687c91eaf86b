"""Can CloudWatch deliver an alarm's notification through this SNS topic? Its access policy and its encryption.

An alarm publishes to its SNS actions through the CloudWatch service principal, on behalf of the alarm's account
("Using Amazon CloudWatch alarms", CloudWatch User Guide; "Amazon SNS security best practices" and "Encrypting
Amazon SNS topics", SNS Developer Guide). Two things silently stop it, and the CIS audit procedure checks neither
(a published remediation created a topic CloudWatch could not publish to):

* a topic access policy that no longer allows the account's own principals or ``cloudwatch.amazonaws.com`` to
  ``sns:Publish`` (the default policy allows the owner account through ``AWS:SourceOwner``), or denies them;
* server-side encryption with the AWS managed key ``alias/aws/sns``, whose key policy does not let CloudWatch use
  it — a customer managed key works only if its key policy lets ``cloudwatch.amazonaws.com`` call
  ``kms:Decrypt`` and ``kms:GenerateDataKey*``, which the inventory does not read (a MANUAL check).

The policy is evaluated conservatively: an Allow counts only when its principal, action and conditions clearly
admit CloudWatch publishing for the alarm's account; a Deny counts when it could apply. Anything the evaluation
cannot decide is reported as undecided (``None``), not as a pass.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["AWS_MANAGED_SNS_KEY", "Delivery", "topic_delivery"]

AWS_MANAGED_SNS_KEY: Final = "alias/aws/sns"
_SERVICE: Final = "cloudwatch.amazonaws.com"
# Condition keys whose values tie a publish to an account or alarm, and which CloudWatch's publish satisfies when
# the value names the alarm's account (or matches its ARN).
_ACCOUNT_KEYS: Final = frozenset(("aws:sourceowner", "aws:sourceaccount", "aws:principalaccount"))
_ARN_KEYS: Final = frozenset(("aws:sourcearn",))


@dataclass(frozen=True)
class Delivery:
    """``allowed``: True / False / None (undecided); ``problem`` says what blocks delivery (or what a person
    must check), ``manual`` is True when only a person can settle it."""

    allowed: bool | None
    problem: str | None = None
    manual: bool = False


def topic_delivery(attributes: Mapping[str, Any], *, account_id: str, alarm_arns: Sequence[str]) -> Delivery:
    """Whether CloudWatch alarms of ``account_id`` (``alarm_arns``) can publish to a topic with these
    GetTopicAttributes ``attributes``."""
    key = str(attributes.get("KmsMasterKeyId") or "")
    policy_text = attributes.get("Policy")
    policy = _policy_verdict(str(policy_text), account_id, alarm_arns) if policy_text else Delivery(True)
    if policy.allowed is False:
        return policy
    if key:
        if key == AWS_MANAGED_SNS_KEY or key.endswith(":" + AWS_MANAGED_SNS_KEY):
            return Delivery(
                False,
                "the topic is encrypted with the AWS managed key alias/aws/sns, whose key policy does not let "
                "CloudWatch use it, so alarm notifications are never delivered",
            )
        return Delivery(
            None if policy.allowed is None else True,
            f"the topic is encrypted with {key}: its key policy must let cloudwatch.amazonaws.com use the key "
            "(kms:Decrypt and kms:GenerateDataKey*)",
            manual=True,
        )
    return policy


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _actions_cover_publish(statement: Mapping[str, Any]) -> bool:
    actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
    if "NotAction" in statement:
        return not any(fnmatch.fnmatchcase("sns:publish", str(a).lower()) for a in _as_list(statement["NotAction"]))
    return any(fnmatch.fnmatchcase("sns:publish", action) for action in actions)


def _principal_admits(statement: Mapping[str, Any], account_id: str) -> bool | None:
    """True: the principal includes CloudWatch publishing for the account; False: it does not; None: unclear."""
    if "NotPrincipal" in statement:
        return None
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    services = [str(s) for s in _as_list(principal.get("Service"))]
    if _SERVICE in services:
        return True
    aws = [str(a) for a in _as_list(principal.get("AWS"))]
    own = {account_id, f"arn:aws:iam::{account_id}:root"}
    return "*" in aws or bool(own & set(aws))


def _conditions_admit(statement: Mapping[str, Any], account_id: str, alarm_arns: Sequence[str]) -> bool | None:
    conditions = statement.get("Condition") or {}
    if not isinstance(conditions, Mapping):
        return None
    for operator, entries in conditions.items():
        if not isinstance(entries, Mapping):
            return None
        for key, values in entries.items():
            key_lower = str(key).lower()
            wanted = [str(v) for v in _as_list(values)]
            if key_lower in _ACCOUNT_KEYS and str(operator) in ("StringEquals", "StringLike", "ArnLike", "ArnEquals"):
                if not any(fnmatch.fnmatchcase(account_id, v) for v in wanted):
                    return False
            elif key_lower in _ARN_KEYS and str(operator) in ("ArnLike", "ArnEquals", "StringEquals", "StringLike"):
                if not alarm_arns or not all(any(fnmatch.fnmatchcase(a, v) for v in wanted) for a in alarm_arns):
                    return False
            else:
                return None  # a condition trailguard does not evaluate
    return True


def _policy_verdict(text: str, account_id: str, alarm_arns: Sequence[str]) -> Delivery:
    try:
        document = json.loads(text)
    except ValueError:
        return Delivery(None, "the topic's access policy is not valid JSON", manual=True)
    statements = _as_list(document.get("Statement")) if isinstance(document, Mapping) else []
    allowed: bool | None = False
    undecided: list[str] = []
    for statement in statements:
        if not isinstance(statement, Mapping) or not _actions_cover_publish(statement):
            continue
        principal = _principal_admits(statement, account_id)
        conditions = _conditions_admit(statement, account_id, alarm_arns)
        sid = statement.get("Sid") or "a statement"
        if statement.get("Effect") == "Deny":
            if principal is not False and conditions is not False:
                if principal and conditions:
                    return Delivery(False, f"the topic's access policy denies sns:Publish to CloudWatch ({sid})")
                undecided.append(f"{sid} may deny CloudWatch's sns:Publish")
            continue
        if principal and conditions:
            allowed = True
        elif principal is not False and conditions is not False:
            undecided.append(f"{sid} may allow CloudWatch's sns:Publish under conditions trailguard does not evaluate")
    if allowed and not undecided:
        return Delivery(True)
    if undecided:
        return Delivery(None, "; ".join(undecided), manual=True)
    return Delivery(
        False,
        "the topic's access policy lets neither this account nor cloudwatch.amazonaws.com call sns:Publish, so "
        "alarm notifications are refused",
    )
