"""``email`` and ``email-json`` subscriptions, delivered over SMTP (smtplib).

The server comes from ``TRAILGUARD_SMTP_URL`` when that is set, else from the configuration's ``smtp:`` section
(:mod:`trailguard.model.smtp`). ``smtps://`` speaks TLS from the first byte; ``smtp://`` upgrades with STARTTLS
whenever the server offers it, and then verifies the server's certificate. The password is read when a message
is sent, from the environment variable the section's ``passwordEnv`` names, else from
``TRAILGUARD_SMTP_PASSWORD``; it is never logged and never part of an error message.

``email`` sends the text CloudWatch sends email subscribers (:func:`trailguard.notify.text.email_body`);
``email-json`` sends the JSON envelope. The Subject is the notification's subject with control characters
replaced by spaces; the sender's display name is the topic's DisplayName, as with SNS. A retry sends the same
Message-ID header, so a mail system can tell a repeat from a new message.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Final

from trailguard.model.smtp import SmtpServer, SmtpSettings, parse_smtp_url
from trailguard.notify.base import Delivery, DeliveryError
from trailguard.notify.envelope import envelope_json
from trailguard.notify.text import clean_subject, email_body

__all__ = ["PASSWORD_VARIABLE", "URL_VARIABLE", "EmailDeliverer"]

URL_VARIABLE: Final = "TRAILGUARD_SMTP_URL"
PASSWORD_VARIABLE: Final = "TRAILGUARD_SMTP_PASSWORD"
FROM_VARIABLE: Final = "TRAILGUARD_SMTP_FROM"
_log = logging.getLogger("trailguard.notify.email")


class EmailDeliverer:
    """Delivers ``email`` and ``email-json`` subscriptions through one SMTP server, one connection per message."""

    protocols: tuple[str, ...] = ("email", "email-json")

    def __init__(
        self,
        settings: SmtpSettings | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._settings = settings or SmtpSettings()
        self._environ = os.environ if environ is None else environ
        self._timeout = timeout
        self._tls_context = tls_context

    def server(self) -> SmtpServer:
        """The server to use; raises a permanent DeliveryError when none is configured or the URL is bad."""
        url = self._environ.get(URL_VARIABLE)
        if url:
            server, problem = parse_smtp_url(url)
            if server is None:
                raise DeliveryError(f"{URL_VARIABLE}: {problem}", permanent=True)
            return server
        if self._settings.server is not None:
            return self._settings.server
        raise DeliveryError(
            f"no SMTP server: set {URL_VARIABLE} (smtp://[user@]host:port) or add an smtp: section with url to the "
            "configuration",
            permanent=True,
        )

    def _password(self) -> str | None:
        variable = self._settings.password_env
        if variable is not None:
            if variable not in self._environ:
                raise DeliveryError(
                    f"the environment variable {variable} (smtp.passwordEnv) is not set", permanent=True
                )
            return self._environ[variable]
        return self._environ.get(PASSWORD_VARIABLE)

    def _sender(self, delivery: Delivery) -> tuple[str, str]:
        """(From header, envelope sender address)."""
        configured = self._settings.from_address or self._environ.get(FROM_VARIABLE)
        if not configured:
            configured = f"trailguard@{socket.getfqdn() or 'localhost'}"
        name, address = parseaddr(configured)
        display = delivery.topic_display_name or name
        return (formataddr((display, address)) if display else address), address

    def build_message(self, delivery: Delivery) -> tuple[EmailMessage, str]:
        """The message and its envelope sender."""
        header_from, sender = self._sender(delivery)
        message = EmailMessage()
        message["From"] = header_from
        message["To"] = delivery.endpoint
        message["Subject"] = clean_subject(delivery.subject)
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = f"<{delivery.message_id}.{delivery.subscription_arn.rsplit(':', 1)[-1]}@trailguard>"
        body = envelope_json(delivery) + "\n" if delivery.protocol == "email-json" else email_body(delivery)
        message.set_content(body, charset="utf-8")
        return message, sender

    def deliver(self, delivery: Delivery) -> None:
        server = self.server()
        message, sender = self.build_message(delivery)
        password = self._password() if server.username else None
        if server.username and password is None:
            raise DeliveryError(
                f"SMTP user {server.username!r} needs a password: set {PASSWORD_VARIABLE} or the variable "
                "smtp.passwordEnv names",
                permanent=True,
            )
        where = f"{server.host}:{server.port}"
        try:
            with self._connect(server) as smtp:
                if server.username and password is not None:
                    smtp.login(server.username, password)
                refused = smtp.send_message(message, from_addr=sender, to_addrs=[delivery.endpoint])
        except smtplib.SMTPAuthenticationError as error:
            # The server's reply is left out: it is the one part of this exchange that could quote a credential.
            raise DeliveryError(
                f"SMTP server {where} refused the login of {server.username!r} (code {error.smtp_code})",
                permanent=True,
            ) from None
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(f"SMTP server {where} refused {_refusals(error.recipients)}", permanent=True) from None
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(
                f"SMTP server {where} answered {error.smtp_code} {_reply(error.smtp_error)}",
                permanent=error.smtp_code >= 500,
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP server {where}: {error}") from None
        if refused:
            raise DeliveryError(f"SMTP server {where} refused {_refusals(refused)}", permanent=True)
        _log.info("email %s delivered to %s through %s", delivery.message_id, delivery.endpoint, where)

    def _connect(self, server: SmtpServer) -> smtplib.SMTP:
        context = self._tls_context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if server.tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=self._timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self._timeout)
        try:
            smtp.ehlo()
            if not server.tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp


def _reply(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:200]


def _refusals(recipients: Mapping[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{address} ({code} {_reply(reply)})" for address, (code, reply) in recipients.items())
