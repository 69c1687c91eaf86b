"""How error messages name the type of a parsed JSON value ("expected a list, found an object")."""

from __future__ import annotations

__all__ = ["type_phrase"]


def type_phrase(value: object) -> str:
    """``null``, ``a boolean``, ``a number``, ``a string``, ``a list`` or ``an object``: the words the messages
    about saved documents (audit snapshots, replay and audit documents) use for what they found."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before numbers: bool is an int in Python, not in JSON
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"
