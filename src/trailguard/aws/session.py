"""Sessions and clients for every AWS service trailguard uses, made in one place.

:class:`AwsOptions` says where and as whom (profile, region, endpoint URL, a chain of roles to assume);
:class:`AwsSession` turns it into cached, thread-safe clients with botocore's adaptive retries, and turns
every botocore failure into one :class:`~trailguard.aws.errors.AwsError` with a one-line message naming the
credentials, the region and the call.

Resolution follows boto3's standard chain and nothing else: credentials from the environment, the shared
config/credentials files (``--profile`` / ``AWS_PROFILE``), SSO, container or instance roles; region from
``--region``, ``AWS_DEFAULT_REGION`` or the profile (boto3 does not read ``AWS_REGION``). ``endpoint_url``
overrides every service's endpoint; without it botocore itself honours ``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_<SERVICE>`` ("Service-specific endpoints", AWS SDKs and Tools Reference Guide,
https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html). Nothing secret is ever put in a
message: credentials are named by where they came from, never by key.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import boto3
import botocore
import botocore.config
import botocore.credentials
import botocore.exceptions
import botocore.loaders
import botocore.session

from trailguard.aws.errors import (
    CREDENTIAL_ERROR_CODES,
    DENIED_ERROR_CODES,
    AwsError,
    client_error_code,
    client_error_message,
)
from trailguard.aws.permissions import (
    GET_CALLER_IDENTITY,
    READ_ONLY_OPERATION,
    REMEDIATION_WRITE_ACTIONS,
    ReadAction,
    WriteAction,
)
from trailguard.aws.recorder import CallRecorder
from trailguard.model.common import parse_arn

__all__ = ["SERVICES", "AwsOptions", "AwsSession", "CallerIdentity", "check_region_name", "endpoint_url_problem"]

#: The boto3 client names trailguard's features use.
SERVICES: Final = ("cloudtrail", "logs", "cloudwatch", "sns", "sts", "iam", "ec2", "s3")

# Lower-case letters and digits in dash-separated words, ending in a number: every AWS region name
# (us-east-1, us-gov-west-1, cn-north-1, eusc-de-east-1) and the names emulators accept.
_REGION_NAME: Final = re.compile(r"[a-z]+(-[a-z0-9]+)*-\d+\Z")
_ROLE_ARN: Final = re.compile(r"arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]+\Z")
_ROLE_SESSION_NAME: Final = re.compile(r"[\w+=,.@-]{2,64}\Z")


@dataclass(frozen=True, slots=True)
class AwsOptions:
    """Where and as whom to call AWS. Fields left ``None`` defer to boto3's usual resolution.

    - ``region``: the default region (calls about a resource go to the region its ARN names regardless).
    - ``profile``: a named profile of the shared config/credentials files.
    - ``endpoint_url``: one endpoint for every service (an emulator such as ``http://127.0.0.1:5000`` or a
      proxy); without it ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>`` apply as botocore reads them.
    - ``assume_roles``: role ARNs assumed in order, each with the credentials of the one before (role
      chaining); the last one is the identity every client uses. Its credentials refresh before they expire.
    - ``role_session_name``: the session name shown in the assumed roles' CloudTrail records;
      ``role_duration_seconds`` how long each assumed role's credentials last (900 to the role's maximum;
      botocore refreshes them 15 minutes before they expire).
    - ``max_attempts``: botocore's adaptive retry mode, total attempts per call (throttling and transient
      errors are retried with backoff and client-side rate limiting).
    - ``max_pool_connections``: HTTP connections per client; at least the number of threads sharing it.
    """

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    assume_roles: tuple[str, ...] = ()
    role_session_name: str = "trailguard"
    role_duration_seconds: int = 3600
    max_attempts: int = 6
    max_pool_connections: int = 16
    connect_timeout: float = 10.0
    read_timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class CallerIdentity:
    """``sts:GetCallerIdentity``: the account the credentials belong to, their ARN, and its partition."""

    account_id: str
    arn: str
    partition: str


def endpoint_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an endpoint URL (``scheme://host[:port][/path]``, http or https), or ``None``."""
    if url != url.strip() or any(ch.isspace() for ch in url):
        return "contains blanks"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"is not a URL ({error})"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "is not a URL: expected http://HOST[:PORT] or https://HOST[:PORT], such as http://127.0.0.1:5000"
    if not parts.hostname:
        return "has no host name"
    if port == 0:
        return "has port 0"
    if parts.query or parts.fragment:
        return "must not have a query (?...) or fragment (#...)"
    return None


def _check_options(options: AwsOptions) -> None:
    if options.endpoint_url is not None:
        problem = endpoint_url_problem(options.endpoint_url)
        if problem:
            raise AwsError(f"endpoint URL {options.endpoint_url!r} {problem}", kind="endpoint")
    elif os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() != "true":
        # botocore would only say "Invalid endpoint: ..." without naming where the value came from.
        for name in sorted(os.environ):
            if name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_"):
                problem = endpoint_url_problem(os.environ[name])
                if problem:
                    raise AwsError(
                        f"environment variable {name}={os.environ[name]!r} {problem}",
                        kind="endpoint",
                    )
    if options.region is not None:
        check_region_name(options.region, "region")
    for index, role in enumerate(options.assume_roles, 1):
        if not _ROLE_ARN.match(role):
            raise AwsError(
                f"role to assume #{index} {role!r} is not an IAM role ARN "
                "(arn:aws:iam::<12-digit account>:role/<name>)",
                kind="usage",
            )
    if not _ROLE_SESSION_NAME.match(options.role_session_name):
        raise AwsError(
            f"role session name {options.role_session_name!r} must be 2 to 64 letters, digits or +=,.@_-",
            kind="usage",
        )
    if not 900 <= options.role_duration_seconds <= 43200:
        raise AwsError(
            f"role duration {options.role_duration_seconds} s is outside 900 to 43200 s (AssumeRole's limits)",
            kind="usage",
        )
    if options.max_attempts < 1 or options.max_pool_connections < 1:
        raise AwsError("max_attempts and max_pool_connections must be at least 1", kind="usage")


def check_region_name(region: str, what: str = "region") -> None:
    """Raise :class:`AwsError` (``kind`` ``region``) unless ``region`` looks like a region name."""
    if not _REGION_NAME.match(region):
        raise AwsError(f"{what} {region!r} is not an AWS region name such as eu-west-1", kind="region")


# botocore parses each service's model once per loader; every session made here shares one, so the
# sessions of a role chain (and of --assume-role into other accounts) do not parse the models again.
_LOADER_LOCK: Final = threading.Lock()
_loader: botocore.loaders.Loader | None = None


def _botocore_session(profile: str | None) -> botocore.session.Session:
    global _loader
    core = botocore.session.Session(profile=profile)
    with _LOADER_LOCK:
        if _loader is None:
            _loader = core.get_component("data_loader")
        else:
            core.register_component("data_loader", _loader)
    return core


class _FixedCredentialProvider(botocore.credentials.CredentialProvider):
    """Hands botocore credentials we already hold (the assumed role's, which refresh themselves)."""

    METHOD = "trailguard-assume-role"
    CANONICAL_NAME = "trailguard-assume-role"

    def __init__(self, credentials: botocore.credentials.Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> botocore.credentials.Credentials:
        return self._credentials


class AwsSession:
    """Clients for :data:`SERVICES`, one per (service, region), shared by threads.

    Construction resolves credentials and the default region at once, so a missing profile, no credentials
    or no region fail here with an :class:`AwsError` (``kind`` ``credentials`` or ``region``), and so does
    assuming each role of ``options.assume_roles``. Pass a :class:`CallRecorder` to record every call made
    through this session (and sessions derived from it with :meth:`assume`).
    """

    def __init__(self, options: AwsOptions | None = None, *, recorder: CallRecorder | None = None) -> None:
        self._setup(options or AwsOptions(), recorder, parent=None)

    def _setup(self, options: AwsOptions, recorder: CallRecorder | None, parent: AwsSession | None) -> None:
        _check_options(options)
        self.options = options
        self.recorder = recorder
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._identity: CallerIdentity | None = None
        self._config = botocore.config.Config(
            retries={"mode": "adaptive", "max_attempts": options.max_attempts},
            max_pool_connections=options.max_pool_connections,
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            user_agent_extra="trailguard",
        )
        if parent is None:
            base = self._base_session(options)
            self.region: str = self._default_region(base, options)
            self.credentials_source: str = self._describe_base_credentials(base, options)
            self._session = base
            roles = options.assume_roles
        else:
            self.region = parent.region
            self.credentials_source = parent.credentials_source
            self._session = parent._session
            roles = options.assume_roles[len(parent.options.assume_roles) :]
        for role in roles:
            self._session = self._assume(role)
            self.credentials_source = f"role {role} assumed with {self.credentials_source}"

    # --- set-up -------------------------------------------------------------------------------------

    @staticmethod
    def _base_session(options: AwsOptions) -> boto3.Session:
        try:
            core = _botocore_session(options.profile)
            core.get_scoped_config()  # reads the profile now, so a missing one is reported here
            return boto3.Session(botocore_session=core, profile_name=options.profile, region_name=options.region)
        except botocore.exceptions.ProfileNotFound:
            name = options.profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
            try:
                known = sorted(botocore.session.Session().available_profiles)
            except botocore.exceptions.BotoCoreError:
                known = []
            hint = f"; profiles found: {', '.join(known)}" if known else ""
            raise AwsError(
                f"AWS profile {name!r} not found in the shared config or credentials file{hint}",
                kind="credentials",
            ) from None
        except botocore.exceptions.BotoCoreError as error:
            raise AwsError(f"cannot read the AWS configuration: {error}", kind="credentials") from None

    @staticmethod
    def _profile_name(session: boto3.Session, options: AwsOptions) -> str:
        return options.profile or session.profile_name or "default"

    def _default_region(self, session: boto3.Session, options: AwsOptions) -> str:
        try:
            region = options.region or session.region_name
        except botocore.exceptions.BotoCoreError as error:  # a profile that vanished between steps
            raise AwsError(f"cannot read the AWS configuration: {error}", kind="credentials") from None
        if not region:
            profile = self._profile_name(session, options)
            # boto3 reads AWS_DEFAULT_REGION only; AWS_REGION is the AWS CLI v2's and other SDKs' name.
            hint = " (AWS_REGION is set, but boto3 reads AWS_DEFAULT_REGION)" if os.environ.get("AWS_REGION") else ""
            raise AwsError(
                f"no AWS region configured: pass --region, set AWS_DEFAULT_REGION{hint}, "
                f"or set region in profile {profile!r} of the AWS config file",
                kind="region",
            )
        check_region_name(region, "region")
        return region

    def _describe_base_credentials(self, session: boto3.Session, options: AwsOptions) -> str:
        profile = self._profile_name(session, options)
        try:
            credentials = session.get_credentials()
        except botocore.exceptions.ProfileNotFound:
            raise AwsError(f"AWS profile {profile!r} not found", kind="credentials") from None
        except botocore.exceptions.BotoCoreError as error:
            raise AwsError(f"cannot load AWS credentials of profile {profile!r}: {error}", kind="credentials") from None
        if credentials is None:
            raise AwsError(
                "no AWS credentials found (looked in environment variables, the shared credentials and config "
                f"files for profile {profile!r}, SSO, container and instance roles): pass --profile, set "
                "AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                kind="credentials",
            )
        method = getattr(credentials, "method", "") or ""
        return {
            "env": "environment variables (AWS_ACCESS_KEY_ID)",
            "explicit": "explicitly given keys",
            "shared-credentials-file": f"profile {profile!r} of the shared credentials file",
            "config-file": f"profile {profile!r} of the config file",
            "sso": f"SSO profile {profile!r}",
            "login": f"console login of profile {profile!r}",
            "assume-role": f"the role of profile {profile!r}",
            "custom-process": f"credential_process of profile {profile!r}",
            "assume-role-with-web-identity": "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)",
            "container-role": "the container's role",
            "iam-role": "the EC2 instance's role",
        }.get(method, f"profile {profile!r} ({method or 'unknown source'})")

    def _new_client(self, session: boto3.Session, service: str, region: str) -> Any:
        make_client: Any = session.client  # clients are untyped: the per-service stubs are optional
        try:
            client = make_client(
                service, region_name=region, endpoint_url=self.options.endpoint_url, config=self._config
            )
        except botocore.exceptions.UnknownServiceError:
            raise AwsError(f"unknown AWS service {service!r}", kind="usage") from None
        except ValueError as error:  # botocore: "Invalid endpoint: ..." from the config file
            raise AwsError(
                f"invalid endpoint URL for {service} from the AWS configuration ({error})", kind="endpoint"
            ) from None
        except botocore.exceptions.BotoCoreError as error:
            raise AwsError(f"cannot make a {service} client in {region}: {error}", kind="usage") from None
        if self.recorder is not None:
            self.recorder.attach(client, service, region)
        return client

    def _assume(self, role_arn: str) -> boto3.Session:
        """A session whose credentials are ``role_arn`` assumed with the current session's credentials."""
        sts = self._new_client(self._session, "sts", self.region)
        using = self.credentials_source

        def fetch() -> dict[str, str]:
            try:
                response = sts.assume_role(
                    RoleArn=role_arn,
                    RoleSessionName=self.options.role_session_name,
                    DurationSeconds=self.options.role_duration_seconds,
                )
            except Exception as error:
                raise self._translate(error, "sts", "AssumeRole", self.region, kind="credentials") from None
            credentials = response["Credentials"]
            expiration: datetime = credentials["Expiration"]
            return {
                "access_key": credentials["AccessKeyId"],
                "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"],
                "expiry_time": expiration.astimezone(UTC).isoformat(),
            }

        try:
            metadata = fetch()
        except AwsError as error:
            raise AwsError(
                f"cannot assume role {role_arn} with {using}: {error.code or error.kind}: "
                f"{error.aws_message or error.message}",
                kind="credentials",
                service="sts",
                operation="AssumeRole",
                region=self.region,
                code=error.code,
                aws_message=error.aws_message,
            ) from None
        credentials = botocore.credentials.RefreshableCredentials.create_from_metadata(
            metadata, refresh_using=fetch, method="trailguard-assume-role"
        )
        core = _botocore_session(self.options.profile)
        resolver = core.get_component("credential_provider")
        resolver.providers.insert(0, _FixedCredentialProvider(credentials))
        return boto3.Session(botocore_session=core, region_name=self.region)

    # --- public API ---------------------------------------------------------------------------------

    def assume(self, role_arn: str) -> AwsSession:
        """A session for ``role_arn`` assumed with this session's credentials (one more link of the chain).

        It shares this session's recorder; its clients are its own.
        """
        derived = AwsSession.__new__(AwsSession)
        derived._setup(
            replace(self.options, assume_roles=(*self.options.assume_roles, role_arn)), self.recorder, parent=self
        )
        return derived

    def client(self, service: str, region: str | None = None) -> Any:
        """The boto3 client for ``service`` in ``region`` (default: the session's region), made once."""
        region = region or self.region
        check_region_name(region, "region")
        key = (service, region)
        with self._lock:  # boto3 sessions are not thread-safe; clients are
            client = self._clients.get(key)
            if client is None:
                client = self._new_client(self._session, service, region)
                self._clients[key] = client
            return client

    def call(self, service: str, operation: str, region: str | None = None, **params: Any) -> dict[str, Any]:
        """Call ``operation`` (``"DescribeTrails"``) and return the response without ``ResponseMetadata``.

        Every failure is an :class:`AwsError` naming the call, the region and the credentials.
        """
        region = region or self.region
        client = self.client(service, region)
        method = getattr(client, botocore.xform_name(operation), None)
        if method is None:
            raise AwsError(f"{service} has no operation {operation}", kind="usage")
        try:
            response: dict[str, Any] = method(**params)
        except Exception as error:
            raise self._translate(error, service, operation, region) from None
        response.pop("ResponseMetadata", None)
        return response

    def read(self, action: ReadAction, region: str | None = None, **params: Any) -> dict[str, Any]:
        """:meth:`call` for a read-only action of :mod:`trailguard.aws.permissions`, and nothing else."""
        if not isinstance(action, ReadAction) or not READ_ONLY_OPERATION.match(action.operation):
            raise AwsError(f"{action!r} is not a read-only action", kind="usage")
        return self.call(action.service, action.operation, region, **params)

    def write(self, action: WriteAction, region: str | None = None, **params: Any) -> dict[str, Any]:
        """:meth:`call` for a write of the remediation table (:data:`REMEDIATION_WRITE_ACTIONS`), and nothing else."""
        if action not in REMEDIATION_WRITE_ACTIONS:
            raise AwsError(f"{action!r} is not a remediation write action", kind="usage")
        return self.call(action.service, action.operation, region, **params)

    def identity(self) -> CallerIdentity:
        """``sts:GetCallerIdentity`` of these credentials, asked once."""
        if self._identity is None:
            response = self.read(GET_CALLER_IDENTITY)
            arn = str(response.get("Arn", ""))
            parsed = parse_arn(arn)
            self._identity = CallerIdentity(str(response["Account"]), arn, parsed.partition if parsed else "aws")
        return self._identity

    def describe_error(self, error: Exception, service: str, operation: str, region: str) -> AwsError:
        """``error``, raised by a call to ``service:operation`` in ``region``, as an :class:`AwsError`."""
        return self._translate(error, service, operation, region)

    def _translate(
        self, error: Exception, service: str, operation: str, region: str, *, kind: str | None = None
    ) -> AwsError:
        if isinstance(error, AwsError):
            return error
        call = f"{service}:{operation} in {region}"
        who = f"credentials: {self.credentials_source}"
        if isinstance(error, botocore.exceptions.ClientError):
            code = client_error_code(error)
            message = client_error_message(error) or str(error)
            failed_operation = getattr(error, "operation_name", operation)
            if failed_operation == "AssumeRole" and operation != "AssumeRole":
                # A refresh of an assumed role's credentials failed while making another call.
                call = f"sts:AssumeRole (refreshing credentials for {call})"
                error_kind = "credentials"
            elif code in CREDENTIAL_ERROR_CODES:
                error_kind = "credentials"
            elif code in DENIED_ERROR_CODES:
                error_kind = "denied"
            else:
                error_kind = "failed"
            return AwsError(
                f"{code} on {call}: {message} ({who})",
                kind=kind or error_kind,  # type: ignore[arg-type]
                service=service,
                operation=operation,
                region=region,
                code=code,
                aws_message=message,
            )
        details = dict(service=service, operation=operation, region=region)
        if isinstance(error, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError):
            return AwsError(f"no usable AWS credentials for {call}: {error}", kind="credentials", **details)
        if isinstance(
            error,
            botocore.exceptions.CredentialRetrievalError
            | botocore.exceptions.SSOError
            | botocore.exceptions.TokenRetrievalError,
        ):
            return AwsError(f"cannot load AWS credentials for {call}: {error} ({who})", kind="credentials", **details)
        if isinstance(error, botocore.exceptions.NoRegionError | botocore.exceptions.InvalidRegionError):
            return AwsError(f"bad region for {call}: {error}", kind="region", **details)
        if isinstance(error, botocore.exceptions.ReadTimeoutError):
            return AwsError(f"no answer in time from {call}: {error}", kind="failed", **details)
        if isinstance(error, botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError):
            where = self.options.endpoint_url or "its AWS endpoint"
            return AwsError(f"cannot reach {call} at {where}: {error}", kind="connection", **details)
        if isinstance(error, botocore.exceptions.ParamValidationError):
            text = " ".join(str(error).split())
            return AwsError(f"invalid request for {call}: {text}", kind="usage", **details)
        if isinstance(error, botocore.exceptions.BotoCoreError):
            return AwsError(f"{call} failed: {error}", kind="usage", **details)
        raise error
