"""Classes behind the local-server fixtures of tests/conftest.py (a free port, an SMTP inbox, an HTTP sink), in a
module of their own so tests can import them by a name no other conftest shadows."""

from __future__ import annotations

from typing import Any


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpInbox:
    """Messages a real aiosmtpd server on 127.0.0.1 received: (envelope sender, recipients, raw message bytes)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[str, bool]] = []
        self.password = "s3cr3t-Pa55"

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def authenticate(self, server: object, session: object, envelope: object, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == self.password
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False)


class HttpSink:
    """Requests a real local HTTP server received; it answers ``failures`` 5xx first (or ``status`` always)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.failures = 0
        self.failure_status = 500
        self.status = 200
        self.url = ""
