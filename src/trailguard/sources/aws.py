"""AWS connection options shared by the S3 and CloudWatch Logs sources (boto3's standard credential chain)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trailguard.sources.errors import SourceError

__all__ = ["AwsOptions", "aws_error_text"]


@dataclass(frozen=True, slots=True)
class AwsOptions:
    """Where and as whom to call AWS. Every field left None defers to boto3's usual resolution
    (environment variables, shared config and credentials files, instance or container roles).

    ``endpoint_url`` points both services at an emulator or a VPC endpoint (e.g. ``http://127.0.0.1:5000``).
    """

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None

    def check(self) -> None:
        """Raise ``SourceError`` now for an endpoint URL botocore would refuse when the first client is made
        (it raises a bare ValueError there): a usage error found before anything is read."""
        if self.endpoint_url is None:
            return
        from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

        if not (is_valid_endpoint_url(self.endpoint_url) or is_valid_ipv6_endpoint_url(self.endpoint_url)):
            raise SourceError(
                f"invalid endpoint URL {self.endpoint_url!r}: expected http:// or https:// and a host, "
                "such as http://127.0.0.1:5000"
            )

    # Clients are typed Any: the per-service stubs (mypy-boto3-s3/-logs) are optional and not always
    # installable at boto3's version, and the calls made here are few and covered by tests against moto.
    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` ("s3", "logs"); ``SourceError`` if the profile or region is unusable."""
        # Imported here: boto3 takes a noticeable time to import and file-only runs never need it.
        import boto3
        import botocore.config
        import botocore.exceptions

        try:
            session = boto3.Session(profile_name=self.profile, region_name=self.region)
            make_client: Any = session.client  # untyped on purpose: see the comment above
            return make_client(
                service,
                endpoint_url=self.endpoint_url,
                config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 5}),
            )
        except (botocore.exceptions.BotoCoreError, ValueError) as error:
            # ValueError: botocore's own check of the endpoint URL (see ``check``).
            raise SourceError(f"cannot connect to AWS {service}: {error}") from None


def aws_error_text(error: Exception) -> str:
    """A one-line description of a boto3/botocore error: the AWS error code and message when there is one."""
    response: Any = getattr(error, "response", None)
    if isinstance(response, dict):
        details = response.get("Error", {})
        code, message = details.get("Code"), details.get("Message")
        if code and message:
            return f"{code}: {message}"
        if code:
            return str(code)
    return str(error)
