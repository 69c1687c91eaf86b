"""The one exception the AWS layer raises, and how botocore's errors are sorted into it.

Every failure of a call to AWS becomes an :class:`AwsError` whose ``str()`` is one line a user can act on:
which credentials were used, which region, which call, what AWS said. A ``kind`` says whether the whole
run must stop (credentials, region, endpoint, connection, usage) or only the one call failed (``denied``,
``failed``), which the inventory records against the resource and goes on.
"""

from __future__ import annotations

from typing import Any, Final, Literal

__all__ = [
    "CREDENTIAL_ERROR_CODES",
    "DENIED_ERROR_CODES",
    "AwsError",
    "AwsErrorKind",
    "client_error_code",
    "client_error_message",
]

AwsErrorKind = Literal["credentials", "region", "endpoint", "connection", "usage", "denied", "failed"]

#: Error codes meaning the credentials themselves are unusable (not that one action is forbidden): the run
#: cannot go on in any region. STS/IAM/query APIs say InvalidClientTokenId, JSON APIs
#: UnrecognizedClientException, EC2 AuthFailure; an opt-in region that is not enabled answers the same.
CREDENTIAL_ERROR_CODES: Final = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidToken",
        "TokenRefreshRequired",
    }
)

#: Error codes meaning "this identity may not make this call" (IAM or a resource policy said no). SNS says
#: AuthorizationError, EC2 UnauthorizedOperation, the JSON services AccessDeniedException.
DENIED_ERROR_CODES: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "AuthorizationError", "UnauthorizedOperation", "Forbidden"}
)

_FATAL_KINDS: Final = frozenset({"credentials", "region", "endpoint", "connection", "usage"})


class AwsError(Exception):
    """A call to AWS (or getting ready to make one) failed; ``str(error)`` is the one-line explanation.

    ``kind`` sorts it: ``credentials`` (none found, profile unknown, rejected, role not assumable),
    ``region`` (none configured, or not a region name), ``endpoint`` (endpoint URL malformed),
    ``connection`` (endpoint unreachable), ``usage`` (a request botocore refused to send), ``denied``
    (AccessDenied on this call), ``failed`` (any other error AWS returned for this call). ``service``,
    ``operation``, ``region`` and ``code`` are set when the error belongs to a call.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: AwsErrorKind,
        service: str | None = None,
        operation: str | None = None,
        region: str | None = None,
        code: str | None = None,
        aws_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind: AwsErrorKind = kind
        self.service = service
        self.operation = operation
        self.region = region
        self.code = code
        self.aws_message = aws_message

    @property
    def fatal(self) -> bool:
        """True when no further call can succeed either (the run must stop and the CLI exits 2)."""
        return self.kind in _FATAL_KINDS

    def __str__(self) -> str:
        return self.message


def client_error_code(error: Exception) -> str:
    """The AWS error code of a botocore ``ClientError`` (``"AccessDenied"``), or ``""``."""
    response: Any = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status:
            return f"HTTP{status}"
    return ""


def client_error_message(error: Exception) -> str:
    """AWS's own message of a ``ClientError`` on one line (``""`` when AWS sent none)."""
    response: Any = getattr(error, "response", None)
    if isinstance(response, dict):
        message = response.get("Error", {}).get("Message")
        if message:
            return " ".join(str(message).split())
    return ""
