"""An AWS endpoint that refuses chosen calls: a real HTTP proxy on 127.0.0.1 in front of a moto server.

It can also add a fixed delay to every forwarded request (``latency``), so benchmarks can show how the
inventory behaves with a network round trip like AWS's instead of loopback's.

moto does not enforce IAM in the shared test server, and cannot fail one call on purpose. This proxy
forwards every request to moto unchanged, except the calls matching a :class:`Refusal`, which it answers
itself with an AWS error in the wire format of the service's protocol (JSON: ``__type``/``message``; query:
``<ErrorResponse>``; EC2: ``<Response><Errors>``), exactly as botocore parses AWS's own. It recognises a
call from the request itself: the service and region from the SigV4 ``Authorization`` credential scope, the
operation from ``X-Amz-Target`` (JSON protocols) or the ``Action`` form field (query protocols).
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit
from xml.sax.saxutils import escape

import orjson

__all__ = ["Refusal", "RefusingEndpoint"]

# SigV4 signing names that differ from the boto3 client name.
_SERVICE_BY_SIGNING_NAME = {"monitoring": "cloudwatch"}
_QUERY_NAMESPACES = {
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
}
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")


@dataclass(frozen=True)
class Refusal:
    """Which calls to refuse, and with what.

    ``action`` is ``service:Operation`` with the boto3 client name (``"logs:DescribeMetricFilters"``), or
    ``"*"`` for every call. ``region`` limits it to one region; ``resource`` to requests whose body contains
    that text (a log group name, a topic ARN); ``times`` to the first N matching calls (later ones pass).
    """

    action: str
    code: str = "AccessDenied"
    message: str | None = None
    region: str | None = None
    resource: str | None = None
    status: int = 400
    times: int | None = None


@dataclass(frozen=True)
class _Call:
    service: str
    operation: str
    region: str


class RefusingEndpoint:
    """``with RefusingEndpoint(moto_url, [Refusal(...)]) as endpoint: ... endpoint.url ...``"""

    def __init__(self, upstream: str, refusals: list[Refusal], latency: float = 0.0) -> None:
        parts = urlsplit(upstream)
        self.latency = latency
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.refusals = refusals
        self.refused: Counter[str] = Counter()  # action -> calls refused
        self.forwarded: Counter[str] = Counter()  # action -> calls passed to moto
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> RefusingEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _refusal_for(self, call: _Call, body: bytes) -> Refusal | None:
        action = f"{call.service}:{call.operation}"
        with self._lock:
            for refusal in self.refusals:
                if refusal.action not in ("*", action):
                    continue
                if refusal.region is not None and refusal.region != call.region:
                    continue
                if refusal.resource is not None and refusal.resource.encode() not in _decoded(body):
                    continue
                if refusal.times is not None and self.refused[action] >= refusal.times:
                    continue
                self.refused[action] += 1
                return refusal
            self.forwarded[action] += 1
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                call = _identify(self.headers, body)
                refusal = endpoint._refusal_for(call, body) if call else None
                if call is not None and refusal is not None:
                    self._answer(*_error_response(call, refusal))
                    return
                if endpoint.latency:
                    time.sleep(endpoint.latency)
                connection = http.client.HTTPConnection(*endpoint._upstream, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    payload = response.read()
                    relayed = [
                        (k, v)
                        for k, v in response.getheaders()
                        if k.lower() not in ("connection", "transfer-encoding", "content-length")
                    ]
                    self._answer(response.status, relayed, payload)
                finally:
                    connection.close()

            def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

        return Handler


def _decoded(body: bytes) -> bytes:
    # Query-protocol bodies percent-encode ARNs (":" as %3A); compare against the decoded text too.
    return body + b"\n" + unquote_to_bytes(body.replace(b"+", b" "))


def _identify(headers: Any, body: bytes) -> _Call | None:
    match = _CREDENTIAL_SCOPE.search(headers.get("Authorization", ""))
    if match is None:
        return None
    service = _SERVICE_BY_SIGNING_NAME.get(match["service"], match["service"])
    target = headers.get("X-Amz-Target")
    if target:
        operation = target.rsplit(".", 1)[-1]
    else:
        form = parse_qs(body.decode("utf-8", "replace"))
        operation = (form.get("Action") or [""])[0]
    if not operation:
        return None
    return _Call(service, operation, match["region"])


def _error_response(call: _Call, refusal: Refusal) -> tuple[int, list[tuple[str, str]], bytes]:
    message = refusal.message or (
        f"User: arn:aws:sts::123456789012:assumed-role/audit/trailguard is not authorized to perform: "
        f"{call.service}:{call.operation} because no identity-based policy allows the "
        f"{call.service}:{call.operation} action"
    )
    request_id = str(uuid.uuid4())
    if call.service in ("cloudtrail", "logs", "cloudwatch"):
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)]
        if call.service == "cloudwatch":  # awsQueryCompatible: botocore takes the code from this header
            headers.append(("x-amzn-query-error", f"{refusal.code};Sender"))
        return refusal.status, headers, orjson.dumps({"__type": refusal.code, "message": message})
    if call.service == "ec2":
        xml = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{escape(refusal.code)}</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        return refusal.status, [("Content-Type", "text/xml")], xml.encode()
    namespace = _QUERY_NAMESPACES.get(call.service, "")
    xml = (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{escape(refusal.code)}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return refusal.status, [("Content-Type", "text/xml")], xml.encode()
