"""Each protocol's deliverer against a real receiver: aiosmtpd, a local http.server, moto's SQS and SNS,
files on disk."""

from __future__ import annotations

import email
import email.policy
import io
import json
import logging
import os
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_servers import HttpSink, SmtpInbox
from notify_support import TOPIC_ARN, delivery, notification
from trailguard.model import Subscription
from trailguard.model.smtp import SmtpSettings, parse_smtp_url
from trailguard.notify import DeliveryError
from trailguard.notify.aws import AwsDeliverer
from trailguard.notify.chat import ChatDeliverer
from trailguard.notify.email import EmailDeliverer
from trailguard.notify.http import HttpDeliverer
from trailguard.notify.local import LocalDeliverer

EMAIL = Subscription("email", "secops@example.com")


def smtp_settings(host: str, port: int, user: str | None = None, **kwargs: Any) -> SmtpSettings:
    server, problem = parse_smtp_url(f"smtp://{user + '@' if user else ''}{host}:{port}")
    assert server is not None, problem
    return SmtpSettings(server, **kwargs)


def received(inbox: SmtpInbox) -> list[EmailMessage]:
    return [
        email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
        for _, _, raw in inbox.messages
    ]


# -- email ----------------------------------------------------------------------------------------------------


def test_email_body_is_cloudwatchs_text_then_the_context_then_snss_footer(
    smtp_server: tuple[str, int, SmtpInbox],
) -> None:
    host, port, inbox = smtp_server
    deliverer = EmailDeliverer(smtp_settings(host, port, from_address="alerts@example.com"), environ={})
    item = delivery(EMAIL)
    deliverer.deliver(item)
    ((sender, recipients, _),) = inbox.messages
    assert sender == "alerts@example.com" and recipients == ["secops@example.com"]
    (message,) = received(inbox)
    assert message["Subject"] == 'ALARM: "ConsoleSigninFailures" in US East (N. Virginia)'
    assert message["To"] == "secops@example.com"
    assert message["Message-ID"].startswith(f"<{item.message_id}.")
    body = message.get_content().replace("\r\n", "\n")
    assert body.startswith(
        'You are receiving this email because your Amazon CloudWatch Alarm "ConsoleSigninFailures" in the US East '
        '(N. Virginia) region has entered the ALARM state, because "Threshold Crossed: 1 datapoint [5.0 (20/11/26 '
        '09:08:00)] was greater than or equal to the threshold (3.0)." at "Friday 20 November, 2026 09:13:00 UTC".\n'
        "\nView this alarm in the AWS Management Console:\n"
        "https://us-east-1.console.aws.amazon.com/cloudwatch/deeplink.js?region=us-east-1"
        "#alarmsV2:alarm/ConsoleSigninFailures\n\nAlarm Details:\n"
        "- Name:                       ConsoleSigninFailures\n"
        "- Description:\n"
        "- State Change:               INSUFFICIENT_DATA -> ALARM\n"
    )
    assert (
        "- The alarm is in the ALARM state when the metric is GreaterThanOrEqualToThreshold 3.0 for at least 1 of "
        "the last 1 period(s) of 300 seconds." in body
    )
    assert "- MetricNamespace:                     CISBenchmark\n" in body
    assert "- Statistic:                           Sum\n" in body
    assert "- ALARM: [arn:aws:sns:us-east-1:123456789012:security-alerts]\n- INSUFFICIENT_DATA:" in body
    assert "- Source IPs:                 203.0.113.42 (3)" in body
    assert "- Users:                      alice (2), bob (1)" in body
    assert body.index("Events behind this notification (trailguard):") < body.index("\n--\nIf you wish")
    assert body.endswith(
        "\n\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link "
        f"below to unsubscribe:\nhttps://sns.us-east-1.amazonaws.com/unsubscribe.html?SubscriptionArn="
        f"{item.subscription_arn}&Endpoint=secops@example.com\n\nPlease do not reply directly to this email. If you "
        "have any questions or comments regarding this email, please contact us at https://aws.amazon.com/support\n"
    )


def test_email_json_carries_the_envelope_and_the_topic_display_name_names_the_sender(
    smtp_server: tuple[str, int, SmtpInbox],
) -> None:
    host, port, inbox = smtp_server
    deliverer = EmailDeliverer(smtp_settings(host, port, from_address="alerts@example.com"), environ={})
    item = delivery(Subscription("email-json", "soc@example.com"), topic_display_name="Security alerts")
    deliverer.deliver(item)
    (message,) = received(inbox)
    assert message["From"] == "Security alerts <alerts@example.com>"
    document = json.loads(message.get_content())
    assert document["Type"] == "Notification" and document["MessageId"] == item.message_id
    assert json.loads(document["Message"])["AlarmName"] == "ConsoleSigninFailures"
    assert document["trailguard"]["sourceIPAddresses"] == [{"value": "203.0.113.42", "count": 3}]


def test_hostile_alarm_names_and_subjects_cannot_break_the_mail_headers(
    smtp_server: tuple[str, int, SmtpInbox],
) -> None:
    host, port, inbox = smtp_server
    deliverer = EmailDeliverer(smtp_settings(host, port), environ={})
    note = notification(name="<script>alert(1)</script>")
    item = delivery(EMAIL, note=note)
    hostile = type(item)(**{**{f: getattr(item, f) for f in item.__slots__}, "subject": "ALARM\r\nBcc: x@evil.test"})
    deliverer.deliver(hostile)
    ((_, recipients, raw),) = inbox.messages
    assert recipients == ["secops@example.com"]
    (message,) = received(inbox)
    assert message["Subject"] == "ALARM  Bcc: x@evil.test" and message["Bcc"] is None
    assert b"\r\nBcc:" not in raw.split(b"\r\n\r\n", 1)[0]
    assert "<script>alert(1)</script>" in message.get_content()


def test_email_login_uses_the_password_from_the_environment_and_never_shows_it(
    smtp_server: tuple[str, int, SmtpInbox], caplog: pytest.LogCaptureFixture
) -> None:
    host, port, inbox = smtp_server
    caplog.set_level(logging.DEBUG)
    good = EmailDeliverer(
        smtp_settings(host, port, user="alerts", password_env="MAIL_PW"), environ={"MAIL_PW": inbox.password}
    )
    good.deliver(delivery(EMAIL))
    assert inbox.logins == [("alerts", True)] and len(inbox.messages) == 1

    wrong = "wrong-Pa55word"
    bad = EmailDeliverer(smtp_settings(host, port, user="alerts"), environ={"TRAILGUARD_SMTP_PASSWORD": wrong})
    with pytest.raises(DeliveryError) as failure:
        bad.deliver(delivery(EMAIL))
    assert failure.value.permanent and "refused the login of 'alerts'" in str(failure.value)
    texts = [str(failure.value), repr(failure.value), *(r.getMessage() for r in caplog.records), caplog.text]
    for text in texts:
        assert wrong not in text and inbox.password not in text
    assert len(inbox.messages) == 1

    missing = EmailDeliverer(smtp_settings(host, port, user="alerts", password_env="NOT_SET"), environ={})
    with pytest.raises(DeliveryError, match="NOT_SET"):
        missing.deliver(delivery(EMAIL))


def test_the_smtp_url_variable_wins_and_a_missing_server_is_a_final_failure(
    smtp_server: tuple[str, int, SmtpInbox],
) -> None:
    host, port, inbox = smtp_server
    EmailDeliverer(None, environ={"TRAILGUARD_SMTP_URL": f"smtp://{host}:{port}"}).deliver(delivery(EMAIL))
    assert len(inbox.messages) == 1
    with pytest.raises(DeliveryError, match="no SMTP server") as failure:
        EmailDeliverer(None, environ={}).deliver(delivery(EMAIL))
    assert failure.value.permanent
    with pytest.raises(DeliveryError) as bad_url:
        EmailDeliverer(None, environ={"TRAILGUARD_SMTP_URL": "smtp://u:hunter2@mail.example.com"}).deliver(
            delivery(EMAIL)
        )
    assert "hunter2" not in str(bad_url.value) and "holds a password" in str(bad_url.value)


def test_an_unreachable_smtp_server_is_a_failure_worth_retrying() -> None:
    from local_servers import free_port

    deliverer = EmailDeliverer(smtp_settings("127.0.0.1", free_port()), environ={}, timeout=5)
    with pytest.raises(DeliveryError) as failure:
        deliverer.deliver(delivery(EMAIL))
    assert not failure.value.permanent


# -- http/https -----------------------------------------------------------------------------------------------


def test_http_posts_snss_envelope_with_its_headers(http_server: HttpSink) -> None:
    subscription = Subscription("http", http_server.url)
    item = delivery(subscription)
    HttpDeliverer().deliver(item)
    ((path, headers, body),) = http_server.requests
    assert path == "/hook"
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == item.message_id
    assert headers["x-amz-sns-topic-arn"] == TOPIC_ARN
    assert headers["x-amz-sns-subscription-arn"] == item.subscription_arn
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
    assert "x-amz-sns-rawdelivery" not in headers
    text = body.decode()
    assert text.startswith('{\n  "Type" : "Notification",\n  "MessageId" : "')
    document = json.loads(text)
    assert list(document)[:10] == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
    ]
    assert document["Timestamp"] == "2026-11-20T09:13:00.000Z"
    assert document["Message"] == notification().message  # CloudWatch's own text, untouched
    assert document["trailguard"]["eventCount"] == 3


def test_raw_message_delivery_posts_the_bare_message_and_a_delivery_policy_sets_the_content_type(
    http_server: HttpSink,
) -> None:
    subscription = Subscription(
        "http",
        http_server.url,
        (
            ("RawMessageDelivery", "true"),
            ("DeliveryPolicy", '{"requestPolicy":{"headerContentType":"application/json"}}'),
        ),
    )
    HttpDeliverer().deliver(delivery(subscription))
    ((_, headers, body),) = http_server.requests
    assert body.decode() == notification().message
    assert headers["x-amz-sns-rawdelivery"] == "true" and headers["content-type"] == "application/json"


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (503, False), (429, False), (404, True), (400, True)])
def test_http_failures_say_whether_a_retry_can_help(http_server: HttpSink, status: int, permanent: bool) -> None:
    http_server.status = status
    with pytest.raises(DeliveryError) as failure:
        HttpDeliverer().deliver(delivery(Subscription("http", http_server.url)))
    assert failure.value.permanent is permanent and f"HTTP {status}" in str(failure.value)


# -- slack and webhook ----------------------------------------------------------------------------------------


def test_slack_gets_a_readable_message_with_values_escaped(http_server: HttpSink) -> None:
    note = notification(name="<script>x</script> & co")
    ChatDeliverer().deliver(delivery(Subscription("slack", http_server.url), note=note))
    ((_, headers, body),) = http_server.requests
    assert headers["content-type"].startswith("application/json")
    text = json.loads(body)["text"]
    assert "*Alarm:* &lt;script&gt;x&lt;/script&gt; &amp; co" in text
    assert "<script>" not in text
    assert "*State:* INSUFFICIENT_DATA → ALARM" in text
    assert "*Source IPs:* 203.0.113.42 (3)" in text
    assert "*Time:* Friday 20 November, 2026 09:13:00 UTC" in text


def test_webhook_gets_a_message_card_and_the_plain_values(http_server: HttpSink) -> None:
    ChatDeliverer().deliver(delivery(Subscription("webhook", http_server.url)))
    ((_, _, body),) = http_server.requests
    card = json.loads(body)
    assert card["@type"] == "MessageCard" and card["themeColor"] == "D13212"
    facts = {fact["name"]: fact["value"] for fact in card["sections"][0]["facts"]}
    assert facts["Alarm"] == "ConsoleSigninFailures" and facts["Source IPs"] == "203.0.113.42 (3)"
    assert card["alarm"]["newState"] == "ALARM" and card["alarm"]["region"] == "US East (N. Virginia)"
    assert card["trailguard"]["userIdentities"][0] == {"value": "alice", "count": 2}


# -- file and stdout ------------------------------------------------------------------------------------------


def test_file_appends_one_json_line_per_delivery(tmp_path: Path) -> None:
    target = tmp_path / "alerts.jsonl"
    deliverer = LocalDeliverer()
    first = delivery(Subscription("file", str(target)))
    deliverer.deliver(first)
    deliverer.deliver(first)
    lines = target.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["MessageId"] == first.message_id for line in lines)
    with pytest.raises(DeliveryError, match="cannot append"):
        deliverer.deliver(delivery(Subscription("file", str(tmp_path / "missing" / "x.jsonl"))))


def test_stdout_prints_the_readable_summary() -> None:
    stream = io.StringIO()
    LocalDeliverer(stdout=stream).deliver(delivery(Subscription("stdout", "-")))
    assert stream.getvalue().startswith('ALARM: "ConsoleSigninFailures" in US East (N. Virginia)\n  Alarm: ')
    assert "  Source IPs: 203.0.113.42 (3)\n" in stream.getvalue()


# -- sqs and sns ----------------------------------------------------------------------------------------------


def _aws(service: str, endpoint: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="t", aws_secret_access_key="t"
    )


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def test_sqs_receives_the_envelope_or_the_raw_message(moto_server: str, aws_credentials: None) -> None:
    sqs = _aws("sqs", moto_server)
    name = f"alerts-{os.urandom(4).hex()}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = f"arn:aws:sqs:us-east-1:123456789012:{name}"
    deliverer = AwsDeliverer(endpoint_url=moto_server)
    item = delivery(Subscription("sqs", queue_arn))
    deliverer.deliver(item)
    deliverer.deliver(delivery(Subscription("sqs", queue_arn, (("RawMessageDelivery", "true"),))))
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    enveloped = [json.loads(b) for b in bodies if b.startswith('{\n  "Type"')]
    assert len(bodies) == 2 and len(enveloped) == 1
    assert enveloped[0]["MessageId"] == item.message_id and enveloped[0]["trailguard"]["eventCount"] == 3
    assert notification().message in bodies

    with pytest.raises(DeliveryError) as missing:
        deliverer.deliver(delivery(Subscription("sqs", "arn:aws:sqs:us-east-1:123456789012:no-such-queue-x")))
    assert missing.value.permanent


def test_sns_republishes_subject_and_message(moto_server: str, aws_credentials: None) -> None:
    sns, sqs = _aws("sns", moto_server), _aws("sqs", moto_server)
    suffix = os.urandom(4).hex()
    topic_arn = sns.create_topic(Name=f"forward-{suffix}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"sink-{suffix}")["QueueUrl"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:us-east-1:123456789012:sink-{suffix}")
    AwsDeliverer(endpoint_url=moto_server).deliver(delivery(Subscription("sns", topic_arn)))
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    forwarded = json.loads(message["Body"])
    assert forwarded["TopicArn"] == topic_arn
    assert forwarded["Subject"] == 'ALARM: "ConsoleSigninFailures" in US East (N. Virginia)'
    assert forwarded["Message"] == notification().message


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_smtp_upgrades_with_starttls_when_offered_and_verifies_the_certificate(tmp_path: Path) -> None:
    import ssl

    from aiosmtpd.controller import Controller

    from local_servers import free_port

    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    inbox = SmtpInbox()
    port = free_port()
    # require_starttls: the server refuses MAIL FROM on a plain connection, so a delivery proves the upgrade.
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_context, require_starttls=True)
    controller.start()
    try:
        trusting = ssl.create_default_context(cafile=str(cert))
        EmailDeliverer(smtp_settings("127.0.0.1", port), environ={}, tls_context=trusting).deliver(delivery(EMAIL))
        assert len(inbox.messages) == 1
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            EmailDeliverer(smtp_settings("127.0.0.1", port), environ={}).deliver(delivery(EMAIL))
        assert len(inbox.messages) == 1
    finally:
        controller.stop()
