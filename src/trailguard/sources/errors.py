"""The one exception the sources raise: input the user named that cannot be used at all."""

from __future__ import annotations

__all__ = ["SourceError"]


class SourceError(ValueError):
    """A source given by the user is missing, unreadable or malformed (a usage error; the CLI exits 2).

    Bad content *inside* a readable source is never raised: it goes to the quarantine and the run goes on.
    The message always names the offending source.
    """
