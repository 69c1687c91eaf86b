"""Reading a configuration file named on the command line: every way it can fail becomes one message.

The model (``trailguard.model.load_config``) reports what is wrong inside a configuration with its line; this
module adds what the command line must guarantee around it on hostile files: a size cap, and no traceback
for what the parsers underneath let through.
"""

from __future__ import annotations

import os
from typing import Final

import yaml

from trailguard.model import ConfigError, Configuration, load_config

__all__ = ["MAX_CONFIG_BYTES", "TOO_DEEP", "ConfigFileProblem", "read_config"]

# Configuration files are parsed whole by a pure-Python YAML parser (tens to hundreds of KB a second) and
# every value is kept with its position: a file of megabytes would take minutes and hundreds of MB. A
# configuration at AWS's own limits (100 metric filters per log group, a few log groups, their alarms and
# topics) is some hundred KB; the CIS catalog's 15 monitors are 10 KB.
MAX_CONFIG_BYTES: Final = 1024 * 1024

# The pattern parser recurses per parenthesis: a pattern within AWS's 1,024 characters can hold some 500
# nested ones, past Python's recursion limit; PyYAML's composer recurses per level too.
TOO_DEEP: Final = (
    "nested too deeply to parse (deep YAML or JSON, or a filter pattern with hundreds of nested parentheses)"
)


class ConfigFileProblem(Exception):
    """A configuration file that cannot be used. ``unreadable`` is True when it could not be read at all
    (missing, a folder, over the size cap) rather than read and found wrong."""

    def __init__(self, message: str, *, unreadable: bool = False) -> None:
        super().__init__(message)
        self.unreadable = unreadable


def read_config(path: str) -> Configuration:
    """The configuration in ``path``; ``ConfigFileProblem`` with a message naming the file otherwise."""
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0  # reading it says why
    if size > MAX_CONFIG_BYTES:
        message = f"{path}: {size:,} bytes; configuration files are read up to {MAX_CONFIG_BYTES:,} bytes"
        raise ConfigFileProblem(message, unreadable=True)
    try:
        return load_config(path)
    except ConfigError as error:
        raise ConfigFileProblem(str(error)) from None
    except OSError as error:
        raise ConfigFileProblem(f"cannot read {path}: {error.strerror or error}", unreadable=True) from None
    except RecursionError:
        raise ConfigFileProblem(f"{path}: {TOO_DEEP}") from None
    except (ValueError, yaml.YAMLError) as error:
        # What the parsers underneath let through: a YAML integer of over 4,300 digits (Python's int() limit),
        # a character YAML does not allow (NUL). Still the file's fault, so a message, not a traceback.
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigFileProblem(f"{path}: cannot be parsed: {first_line}") from None
