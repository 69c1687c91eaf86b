"""The mail server email subscriptions are delivered through: the configuration's ``smtp:`` section, or an
``smtp://`` / ``smtps://`` URL given some other way (the ``TRAILGUARD_SMTP_URL`` environment variable).

    smtp:
      url: smtp://alerts@mail.example.com:587   # smtp:// (STARTTLS when the server offers it) or smtps://
      from: trailguard@example.com              # optional: "Security alerts <trailguard@example.com>" works too
      passwordEnv: MAIL_PASSWORD                # optional: the environment variable holding the password

The password is never part of the file or the URL: it is read, when a message is sent, from the variable
``passwordEnv`` names, else from ``TRAILGUARD_SMTP_PASSWORD``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Final
from urllib.parse import unquote, urlsplit

from trailguard.model.nodes import Node
from trailguard.model.validation import Checker, key_path, quote

__all__ = ["SmtpServer", "SmtpSettings", "parse_smtp_section", "parse_smtp_url", "redacted_url"]

SMTP_PORT: Final = 25
SMTPS_PORT: Final = 465
_KEYS: Final = ("url", "from", "passwordEnv")
_ENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ADDRESS: Final = re.compile(r"[^@\s]+@[^@\s]+\Z")


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where to connect: ``tls`` True for smtps:// (TLS from the first byte); smtp:// upgrades with STARTTLS when
    the server offers it."""

    host: str
    port: int
    tls: bool
    username: str | None = None

    @property
    def url(self) -> str:
        scheme = "smtps" if self.tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """The ``smtp:`` section: the server, the sender, and which environment variable holds the password."""

    server: SmtpServer | None = None
    from_address: str | None = None
    password_env: str | None = None


def redacted_url(text: str) -> str:
    """``text`` with any password in its user part replaced by ``***`` (for messages about a bad URL)."""
    return re.sub(r"(//[^/@:]*):[^/@]*@", r"\1:***@", text)


def parse_smtp_url(text: str) -> tuple[SmtpServer | None, str | None]:
    """``(server, None)`` or ``(None, why it is not a usable smtp:// or smtps:// URL)``; the message never
    repeats a password that the URL held."""
    shown = quote(redacted_url(text))
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None, f"{shown} is not a URL; allowed: smtp://[user@]host[:port] or smtps://[user@]host[:port]"
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        return None, f"{shown} is not valid; allowed: smtp://[user@]host[:port] or smtps://[user@]host[:port]"
    if parts.password is not None:
        return None, (
            f"{shown} holds a password; allowed: no password in the URL (set TRAILGUARD_SMTP_PASSWORD, or name "
            "another environment variable with passwordEnv)"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None, f"{shown} has a path or query; allowed: smtp://[user@]host[:port]"
    tls = parts.scheme == "smtps"
    username = unquote(parts.username) if parts.username else None
    return SmtpServer(parts.hostname, port or (SMTPS_PORT if tls else SMTP_PORT), tls, username), None


def parse_smtp_section(checker: Checker, node: Node, path: str) -> SmtpSettings | None:
    """Validate the ``smtp:`` section; ``None`` if it has errors (all of them reported)."""
    if checker.mapping(node, path, "with url, from and passwordEnv") is None:
        return None
    errors_before = len(checker.errors)
    if "password" in node.value:
        checker.error(
            key_path(path, "password"),
            "a password is never read from the configuration file; allowed: passwordEnv, the name of the "
            "environment variable that holds it (or set TRAILGUARD_SMTP_PASSWORD)",
            line=node.key_lines.get("password", node.line),
        )
    checker.unknown_keys(node, path, _KEYS, ignored=("password",))

    server: SmtpServer | None = None
    url_node = checker.optional(node, "url")
    if url_node is not None:
        text = checker.string(url_node, key_path(path, "url"))
        if text is not None:
            server, problem = parse_smtp_url(text)
            if problem is not None:
                checker.error(key_path(path, "url"), problem, url_node)

    from_address: str | None = None
    from_node = checker.optional(node, "from")
    if from_node is not None:
        text = checker.string(from_node, key_path(path, "from"))
        if text is not None:
            _, address = parseaddr(text)
            if not _ADDRESS.match(address) or any(ch in text for ch in "\r\n"):
                checker.error(
                    key_path(path, "from"),
                    f"{quote(text)} is not an email address; allowed: name@example.com or Name <name@example.com>",
                    from_node,
                )
            else:
                from_address = text

    password_env: str | None = None
    env_node = checker.optional(node, "passwordEnv")
    if env_node is not None:
        text = checker.string(env_node, key_path(path, "passwordEnv"))
        if text is not None:
            if _ENV_NAME.match(text):
                password_env = text
            else:
                checker.error(
                    key_path(path, "passwordEnv"),
                    f"{quote(text)} is not an environment variable name; allowed: letters, digits and _",
                    env_node,
                )
    if len(checker.errors) > errors_before:
        return None
    return SmtpSettings(server, from_address, password_env)
