"""Does a trail record an event? CloudTrail's event selectors, basic and advanced, applied to one management event.

The CIS audit procedure asks for "at least one selector with IncludeManagementEvents=true and ReadWriteType=All"
and says nothing of advanced selectors; peers ignore advanced selectors or ``ExcludeManagementEventSources``
(which is how a trail stops recording KMS events, the very events control 4.7 watches). trailguard asks the
question the control needs answered: would this trail record the events the control requires? Each required
event is a CloudTrail management event; the selectors are evaluated on its ``eventSource``, ``eventName`` and
``readOnly``, as CloudTrail evaluates them:

* basic selectors ("Logging management events", CloudTrail User Guide): an event is recorded when some selector
  has ``IncludeManagementEvents`` true, a ``ReadWriteType`` of ``All`` or the event's kind (``ReadOnly`` for a
  read-only event, ``WriteOnly`` otherwise), and does not list the event's source in
  ``ExcludeManagementEventSources``;
* advanced selectors ("Filtering data events by using advanced event selectors", and AdvancedFieldSelector in the
  CloudTrail API Reference): an event is recorded when some selector's field conditions all hold; a field
  condition holds when every one of its operators holds (``Equals``/``StartsWith``/``EndsWith``: any value;
  ``NotEquals``/``NotStartsWith``/``NotEndsWith``: no value). A selector must select management events
  (``eventCategory`` = ``Management``); the fields that apply to management events are ``eventCategory``,
  ``readOnly``, ``eventSource`` and ``eventName``; a selector on any other field (``resources.type`` ...) is a
  data-event selector and records no management event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["Recording", "management_coverage", "records_event"]

_MANAGEMENT_FIELDS: Final = frozenset(("eventCategory", "readOnly", "eventSource", "eventName"))


@dataclass(frozen=True)
class Recording:
    """Whether the trail records an event, and which selector decided (for the evidence)."""

    recorded: bool
    why: str


def _event_fields(event: Mapping[str, Any]) -> dict[str, str]:
    read_only = event.get("readOnly")
    return {
        "eventCategory": "Management",
        "readOnly": "true" if read_only is True else "false",
        "eventSource": str(event.get("eventSource", "")),
        "eventName": str(event.get("eventName", "")),
    }


def _basic(selectors: Sequence[Mapping[str, Any]], event: Mapping[str, Any]) -> Recording:
    fields = _event_fields(event)
    kind = "ReadOnly" if fields["readOnly"] == "true" else "WriteOnly"
    for index, selector in enumerate(selectors):
        if selector.get("IncludeManagementEvents", True) is not True:
            continue
        if selector.get("ReadWriteType", "All") not in ("All", kind):
            continue
        if fields["eventSource"] in (selector.get("ExcludeManagementEventSources") or ()):
            continue
        return Recording(True, f"event selector {index + 1} records {kind.lower()} management events")
    excluded = [s for s in selectors if fields["eventSource"] in (s.get("ExcludeManagementEventSources") or ())]
    if excluded:
        return Recording(False, f"the event selectors exclude {fields['eventSource']} management events")
    if any(s.get("IncludeManagementEvents", True) is True for s in selectors):
        return Recording(False, f"no event selector records {kind.lower()} management events")
    return Recording(False, "no event selector records management events")


def _condition_holds(condition: Mapping[str, Any], value: str) -> bool:
    def test(operator: str, values: Any) -> bool:
        if operator.endswith("Equals"):
            return any(value == str(v) for v in values)
        if operator.endswith("StartsWith"):
            return any(value.startswith(str(v)) for v in values)
        return any(value.endswith(str(v)) for v in values)

    for operator in ("Equals", "StartsWith", "EndsWith"):
        values = condition.get(operator)
        if values is not None and not test(operator, values):
            return False
    for operator in ("NotEquals", "NotStartsWith", "NotEndsWith"):
        values = condition.get(operator)
        if values is not None and test(operator, values):
            return False
    return True


def _advanced(selectors: Sequence[Mapping[str, Any]], event: Mapping[str, Any]) -> Recording:
    fields = _event_fields(event)
    for index, selector in enumerate(selectors):
        conditions = selector.get("FieldSelectors") or []
        names = {str(c.get("Field")) for c in conditions}
        if not names <= _MANAGEMENT_FIELDS or "eventCategory" not in names:
            continue  # a data-event (or other) selector
        if all(_condition_holds(c, fields[str(c.get("Field"))]) for c in conditions):
            label = selector.get("Name") or f"advanced event selector {index + 1}"
            return Recording(True, f"{label} records this management event")
    return Recording(
        False,
        f"no advanced event selector records {fields['eventSource']} {fields['eventName']} "
        f"({'read-only' if fields['readOnly'] == 'true' else 'write'} management event)",
    )


def records_event(selectors_response: Mapping[str, Any], event: Mapping[str, Any]) -> Recording:
    """Whether a trail with this GetEventSelectors response records ``event`` (a management event)."""
    advanced = selectors_response.get("AdvancedEventSelectors")
    if advanced:
        return _advanced(advanced, event)
    return _basic(selectors_response.get("EventSelectors") or [], event)


def management_coverage(selectors_response: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    """For the evidence: (``All``/``ReadOnly``/``WriteOnly``/``None``, ``basic``/``advanced``, excluded sources),
    as recorded for an ordinary event source."""
    probe = {"eventSource": "trailguard.example.amazonaws.com", "eventName": "Probe"}
    read = records_event(selectors_response, {**probe, "readOnly": True}).recorded
    write = records_event(selectors_response, {**probe, "readOnly": False}).recorded
    coverage = "All" if read and write else "ReadOnly" if read else "WriteOnly" if write else "None"
    advanced = bool(selectors_response.get("AdvancedEventSelectors"))
    excluded: list[str] = []
    for selector in selectors_response.get("EventSelectors") or []:
        excluded.extend(str(s) for s in selector.get("ExcludeManagementEventSources") or ())
    for selector in selectors_response.get("AdvancedEventSelectors") or []:
        for condition in selector.get("FieldSelectors") or []:
            if condition.get("Field") == "eventSource":
                excluded.extend(str(s) for s in condition.get("NotEquals") or ())
    return coverage, "advanced" if advanced else "basic", tuple(dict.fromkeys(excluded))
