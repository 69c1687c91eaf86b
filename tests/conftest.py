"""Shared fixtures: a local moto server for AWS tests, the shared CloudTrail corpus, and local SMTP (aiosmtpd) and
HTTP (http.server) receivers for notification delivery."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from local_servers import HttpSink, SmtpInbox, free_port

# Property tests measure correctness, not speed: a per-example deadline only makes them flaky on a busy
# or slower machine (CI shares this one with nothing, but makes no promise about its speed).
settings.register_profile("trailguard", deadline=None)
settings.load_profile("trailguard")

# CI clones the repository into another folder, with shared/ beside it.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CLOUDTRAIL_CORPUS = SHARED / "data" / "cloudtrail"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint URL of a moto server on 127.0.0.1 (real HTTP, a free port), for the whole session.

    Tests share its state, so give buckets and log groups unique names. boto3 still wants (dummy)
    credentials and a region to sign requests with.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_environment(moto_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The moto endpoint, with boto3's environment reduced to dummy keys: no profile, region, endpoint or
    config file of the machine running the tests, and no instance metadata lookups."""
    machine_settings = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION")
    for name in list(os.environ):
        if name in machine_settings or name.startswith(("AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return moto_server


@pytest.fixture
def aws_env(moto_server: str, tmp_path: Path) -> dict[str, str]:
    """The environment for a trailguard child process reading AWS sources from the moto server: dummy keys,
    no profile, configuration file or instance metadata of the machine running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@pytest.fixture(scope="session")
def cloudtrail_corpus() -> Path:
    """The shared real CloudTrail corpus (34,108 records in six source folders); skips when absent."""
    if not CLOUDTRAIL_CORPUS.is_dir():
        pytest.skip(f"shared CloudTrail corpus not found at {CLOUDTRAIL_CORPUS}")
    return CLOUDTRAIL_CORPUS


# -- local servers for notification delivery (their classes live in local_servers.py) ------------------------------


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, SmtpInbox]]:
    """(host, port, inbox) of an aiosmtpd server on 127.0.0.1 that accepts any mail, and logins with
    ``inbox.password`` (over plain SMTP, which only a loopback test server may allow)."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield "127.0.0.1", port, inbox
    finally:
        controller.stop()


@pytest.fixture
def http_server() -> Iterator[HttpSink]:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    sink = HttpSink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            sink.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if sink.failures > 0:
                sink.failures -= 1
                status = sink.failure_status
            else:
                status = sink.status
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
