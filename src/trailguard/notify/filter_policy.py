"""Whether a subscription's FilterPolicy lets an alarm notification through.

"Amazon SNS message filtering", Amazon SNS Developer Guide,
https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html: a subscription without a policy receives
everything. ``FilterPolicyScope: MessageAttributes`` (the default) tests message attributes, which CloudWatch
alarm notifications do not carry, so such a policy lets none through. ``MessageBody`` tests the message's JSON:
every key of the policy must match (nested keys follow nested objects), a key matches when any of its conditions
does, and an array in the message matches when any element does; ``$or`` holds a list of alternative policies.

Conditions: a string or number (equality), ``null``, ``{"prefix"}``, ``{"suffix"}``, ``{"equals-ignore-case"}``,
``{"anything-but": value | [values] | {"prefix"} | {"suffix"}}``, ``{"numeric": [op, n, (op, n)]}``,
``{"exists": bool}``, ``{"wildcard"}`` and ``{"cidr"}``.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import operator
from collections.abc import Callable, Mapping
from typing import Any, Final

from trailguard.model import Subscription

__all__ = ["accepts", "body_matches"]

_MISSING: Final = object()
_NUMERIC: Final[dict[str, Callable[[float, float], bool]]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def accepts(subscription: Subscription, message: str) -> bool:
    """Whether SNS would deliver ``message`` (published without message attributes) to ``subscription``."""
    attributes = subscription.attribute_map
    text = attributes.get("FilterPolicy")
    if not text:
        return True
    if attributes.get("FilterPolicyScope", "MessageAttributes") != "MessageBody":
        return False
    try:
        policy = json.loads(text)
        body = json.loads(message)
    except ValueError:
        return False
    return isinstance(policy, dict) and isinstance(body, dict) and body_matches(policy, body)


def body_matches(policy: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    for key, rule in policy.items():
        if key == "$or":
            if not any(isinstance(p, Mapping) and body_matches(p, body) for p in rule):
                return False
            continue
        value = body.get(key, _MISSING) if isinstance(body, Mapping) else _MISSING
        if isinstance(rule, Mapping):
            if not isinstance(value, Mapping) or not body_matches(rule, value):
                return False
        elif isinstance(rule, list):
            if not any(_condition(condition, value) for condition in rule):
                return False
        else:
            return False
    return True


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition(condition: Any, value: Any) -> bool:
    if isinstance(condition, Mapping):
        if "exists" in condition:
            return (value is not _MISSING) == bool(condition["exists"])
        if value is _MISSING:
            return False
        return any(_operator(condition, v) for v in _values(value))
    if value is _MISSING:
        return False
    return any(_equal(condition, v) for v in _values(value))


def _equal(condition: Any, value: Any) -> bool:
    if condition is None:
        return value is None
    if isinstance(condition, bool) or isinstance(value, bool):
        return condition is value
    if isinstance(condition, int | float) and isinstance(value, int | float):
        return float(condition) == float(value)
    return isinstance(condition, str) and isinstance(value, str) and condition == value


def _operator(condition: Mapping[str, Any], value: Any) -> bool:
    if "prefix" in condition:
        return isinstance(value, str) and value.startswith(str(condition["prefix"]))
    if "suffix" in condition:
        return isinstance(value, str) and value.endswith(str(condition["suffix"]))
    if "equals-ignore-case" in condition:
        return isinstance(value, str) and value.casefold() == str(condition["equals-ignore-case"]).casefold()
    if "wildcard" in condition:
        return isinstance(value, str) and fnmatch.fnmatchcase(value, str(condition["wildcard"]).replace("[", "[[]"))
    if "anything-but" in condition:
        excluded = condition["anything-but"]
        if isinstance(excluded, Mapping):
            return not _operator(excluded, value)
        return not any(_equal(e, value) for e in _values(excluded))
    if "numeric" in condition:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        terms = condition["numeric"]
        pairs = zip(terms[::2], terms[1::2], strict=False)
        return all(op in _NUMERIC and _NUMERIC[op](float(value), float(bound)) for op, bound in pairs)
    if "cidr" in condition:
        try:
            return isinstance(value, str) and ipaddress.ip_address(value) in ipaddress.ip_network(
                str(condition["cidr"]), strict=False
            )
        except ValueError:
            return False
    return False
