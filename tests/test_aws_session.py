"""trailguard.aws.session against moto over HTTP: endpoints, regions, credentials, role chains, retries, errors."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from aws_builders import MotoAccount, random_account_id
from refusing_endpoint import Refusal, RefusingEndpoint
from trailguard.aws import SERVICES, AwsError, AwsOptions, AwsSession, CallRecorder
from trailguard.aws.session import endpoint_url_problem

# One cheap read per service, to prove each one reaches the endpoint.
PROBES = {
    "cloudtrail": ("DescribeTrails", {}),
    "logs": ("DescribeLogGroups", {}),
    "cloudwatch": ("DescribeAlarms", {}),
    "sns": ("ListTopics", {}),
    "sts": ("GetCallerIdentity", {}),
    "iam": ("ListRoles", {}),
    "ec2": ("DescribeRegions", {}),
    "s3": ("ListBuckets", {}),
}


def netloc(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_probes_cover_every_service() -> None:
    assert set(PROBES) == set(SERVICES)


@pytest.mark.parametrize("how", ["option", "AWS_ENDPOINT_URL"])
def test_every_service_reaches_the_endpoint(aws_environment: str, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    if how == "option":
        options = AwsOptions(region="eu-west-1", endpoint_url=aws_environment)
    else:
        monkeypatch.setenv("AWS_ENDPOINT_URL", aws_environment)
        options = AwsOptions(region="eu-west-1")
    recorder = CallRecorder()
    session = AwsSession(options, recorder=recorder)
    for service, (operation, params) in PROBES.items():
        session.call(service, operation, **params)
    assert {(call.service, call.operation) for call in recorder.calls} == {
        (service, operation) for service, (operation, _) in PROBES.items()
    }
    sent_to = {(send.service, send.endpoint) for send in recorder.sends}
    assert sent_to == {(service, netloc(aws_environment)) for service in SERVICES}


def test_service_specific_endpoint_variable_wins_over_the_generic_one(
    aws_environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore's own precedence: AWS_ENDPOINT_URL_<SERVICE> over AWS_ENDPOINT_URL.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", aws_environment)
    recorder = CallRecorder()
    session = AwsSession(AwsOptions(region="us-east-1"), recorder=recorder)
    assert session.identity().account_id == "123456789012"
    assert {send.endpoint for send in recorder.sends} == {netloc(aws_environment)}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("not-a-url", "is not a URL"),
        ("ftp://127.0.0.1:21", "is not a URL"),
        ("http://", "is not a URL"),
        ("http://127.0.0.1:99999", "Port out of range"),
        ("http://127.0.0.1:5000/?x=1", "query"),
        (" http://127.0.0.1:5000", "blanks"),
    ],
)
def test_malformed_endpoint_urls_are_refused(url: str, problem: str) -> None:
    found = endpoint_url_problem(url)
    assert found is not None and problem in found


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:5000", "https://vpce-1.logs.eu-west-1.vpce.amazonaws.com", "http://[::1]:4566/"]
)
def test_endpoint_urls_accepted(url: str) -> None:
    assert endpoint_url_problem(url) is None


def test_not_a_url_endpoint_option_is_a_clear_error(aws_environment: str) -> None:
    with pytest.raises(AwsError) as raised:
        AwsSession(AwsOptions(region="us-east-1", endpoint_url="not-a-url"))
    assert raised.value.kind == "endpoint" and raised.value.fatal
    assert str(raised.value).startswith("endpoint URL 'not-a-url' is not a URL")


def test_not_a_url_endpoint_variable_is_named(aws_environment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", "not-a-url")
    with pytest.raises(AwsError) as raised:
        AwsSession(AwsOptions(region="us-east-1"))
    assert str(raised.value).startswith("environment variable AWS_ENDPOINT_URL_CLOUDTRAIL='not-a-url' is not a URL")


def test_no_region_names_what_to_set(aws_environment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AwsError) as raised:
        AwsSession(AwsOptions(endpoint_url=aws_environment))
    assert raised.value.kind == "region"
    assert str(raised.value) == (
        "no AWS region configured: pass --region, set AWS_DEFAULT_REGION, "
        "or set region in profile 'default' of the AWS config file"
    )
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    with pytest.raises(AwsError, match=r"AWS_REGION is set, but boto3 reads AWS_DEFAULT_REGION"):
        AwsSession(AwsOptions(endpoint_url=aws_environment))


def test_region_from_the_standard_chain(aws_environment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    assert AwsSession(AwsOptions(endpoint_url=aws_environment)).region == "ap-southeast-2"
    assert AwsSession(AwsOptions(region="sa-east-1", endpoint_url=aws_environment)).region == "sa-east-1"


@pytest.mark.parametrize("region", ["EU-WEST-1", "eu west 1", "euwest", "eu-west-1 "])
def test_malformed_region_is_refused(aws_environment: str, region: str) -> None:
    with pytest.raises(AwsError, match="is not an AWS region name") as raised:
        AwsSession(AwsOptions(region=region, endpoint_url=aws_environment))
    assert raised.value.kind == "region"


def test_no_credentials_is_a_clear_error(aws_environment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(AwsError) as raised:
        AwsSession(AwsOptions(region="us-east-1", endpoint_url=aws_environment, max_attempts=1))
    assert raised.value.kind == "credentials"
    assert str(raised.value).startswith("no AWS credentials found")
    assert "AWS_PROFILE" in str(raised.value)


def write_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config").write_text("[profile audit]\nregion = eu-north-1\n[profile other]\nregion = us-west-2\n")
    (tmp_path / "credentials").write_text(
        "[audit]\naws_access_key_id = AKIAAUDIT\naws_secret_access_key = s3cr3t-audit-key\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")


def test_profile_gives_credentials_and_region(
    aws_environment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(tmp_path, monkeypatch)
    session = AwsSession(AwsOptions(profile="audit", endpoint_url=aws_environment))
    assert session.region == "eu-north-1"
    assert session.credentials_source == "profile 'audit' of the shared credentials file"
    assert session.identity().account_id == "123456789012"


def test_unknown_profile_lists_the_known_ones(
    aws_environment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(tmp_path, monkeypatch)
    with pytest.raises(AwsError) as raised:
        AwsSession(AwsOptions(profile="audti", endpoint_url=aws_environment))
    assert raised.value.kind == "credentials"
    assert str(raised.value) == (
        "AWS profile 'audti' not found in the shared config or credentials file; profiles found: audit, other"
    )
    monkeypatch.setenv("AWS_PROFILE", "nope")
    with pytest.raises(AwsError, match="AWS profile 'nope' not found"):
        AwsSession(AwsOptions(endpoint_url=aws_environment))


def test_profile_without_credentials_says_so(
    aws_environment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(tmp_path, monkeypatch)
    with pytest.raises(AwsError, match=r"no AWS credentials found .* profile 'other'"):
        AwsSession(AwsOptions(profile="other", endpoint_url=aws_environment, max_attempts=1))


def test_access_denied_names_the_call_region_and_credentials(aws_environment: str, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value-123")
    refusal = Refusal("cloudtrail:DescribeTrails", code="AccessDeniedException", region="eu-west-1")
    with RefusingEndpoint(aws_environment, [refusal]) as endpoint:
        session = AwsSession(AwsOptions(region="us-east-1", endpoint_url=endpoint.url))
        session.call("cloudtrail", "DescribeTrails", "us-east-1")  # another region is allowed
        with pytest.raises(AwsError) as raised:
            session.call("cloudtrail", "DescribeTrails", "eu-west-1", includeShadowTrails=True)
    error = raised.value
    assert (error.kind, error.fatal, error.code) == ("denied", False, "AccessDeniedException")
    assert (error.service, error.operation, error.region) == ("cloudtrail", "DescribeTrails", "eu-west-1")
    text = str(error)
    assert text.startswith("AccessDeniedException on cloudtrail:DescribeTrails in eu-west-1: User: ")
    assert text.endswith("(credentials: environment variables (AWS_ACCESS_KEY_ID))")
    assert "\n" not in text and "very-secret-value-123" not in text and "Traceback" not in text


def test_rejected_credentials_are_fatal(aws_environment: str) -> None:
    refusal = Refusal(
        "*", code="UnrecognizedClientException", message="The security token included in the request is invalid."
    )
    with RefusingEndpoint(aws_environment, [refusal]) as endpoint:
        session = AwsSession(AwsOptions(region="us-east-1", endpoint_url=endpoint.url))
        with pytest.raises(AwsError) as raised:
            session.call("logs", "DescribeMetricFilters", "eu-west-1", logGroupName="x")
    assert raised.value.kind == "credentials" and raised.value.fatal
    assert str(raised.value).startswith(
        "UnrecognizedClientException on logs:DescribeMetricFilters in eu-west-1: The security token"
    )


@pytest.mark.parametrize(
    ("service", "operation", "code"),
    [
        ("sns", "GetTopicAttributes", "AuthorizationError"),
        ("ec2", "DescribeRegions", "UnauthorizedOperation"),
        ("cloudwatch", "DescribeAlarms", "AccessDenied"),
        ("sts", "GetCallerIdentity", "AccessDenied"),
    ],
)
def test_denied_codes_of_every_protocol(aws_environment: str, service: str, operation: str, code: str) -> None:
    with RefusingEndpoint(aws_environment, [Refusal(f"{service}:{operation}", code=code)]) as endpoint:
        session = AwsSession(AwsOptions(region="us-east-1", endpoint_url=endpoint.url))
        params = {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t"} if service == "sns" else {}
        with pytest.raises(AwsError) as raised:
            session.call(service, operation, **params)
    assert (raised.value.kind, raised.value.code) == ("denied", code)


def test_unreachable_endpoint_is_fatal_and_named(aws_environment: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    session = AwsSession(AwsOptions(region="us-east-1", endpoint_url=url, max_attempts=1))
    with pytest.raises(AwsError) as raised:
        session.call("cloudtrail", "DescribeTrails")
    assert raised.value.kind == "connection" and raised.value.fatal
    assert str(raised.value).startswith(f"cannot reach cloudtrail:DescribeTrails in us-east-1 at {url}")


def test_throttling_is_retried_in_adaptive_mode(aws_environment: str) -> None:
    refusal = Refusal("cloudtrail:DescribeTrails", code="ThrottlingException", message="Rate exceeded", times=1)
    recorder = CallRecorder()
    with RefusingEndpoint(aws_environment, [refusal]) as endpoint:
        session = AwsSession(AwsOptions(region="us-east-1", endpoint_url=endpoint.url), recorder=recorder)
        assert session.client("cloudtrail").meta.config.retries["mode"] == "adaptive"
        session.call("cloudtrail", "DescribeTrails")
        assert endpoint.refused["cloudtrail:DescribeTrails"] == 1
    assert len(recorder.calls) == 1 and len(recorder.sends) == 2


def test_other_errors_are_failed_calls_not_fatal(aws_environment: str) -> None:
    session = AwsSession(AwsOptions(region="us-east-1", endpoint_url=aws_environment))
    with pytest.raises(AwsError) as raised:
        session.call("sns", "GetTopicAttributes", "eu-west-1", TopicArn="arn:aws:sns:eu-west-1:123456789012:absent")
    assert (raised.value.kind, raised.value.fatal, raised.value.code) == ("failed", False, "NotFound")
    assert str(raised.value).startswith("NotFound on sns:GetTopicAttributes in eu-west-1: ")


def test_clients_are_cached_per_service_and_region(aws_environment: str) -> None:
    session = AwsSession(AwsOptions(region="us-east-1", endpoint_url=aws_environment))
    made: list[object] = []
    threads = [threading.Thread(target=lambda: made.append(session.client("logs", "eu-west-1"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in made}) == 1
    assert session.client("logs", "eu-west-1") is made[0]
    assert session.client("logs") is not made[0]
    assert session.client("logs") is session.client("logs", "us-east-1")
    assert session.client("cloudwatch", "eu-west-1") is not made[0]


def test_role_chain_is_assumed_in_order(aws_environment: str) -> None:
    first, second = random_account_id(), random_account_id()
    roles = (f"arn:aws:iam::{first}:role/hop", f"arn:aws:iam::{second}:role/audit")
    recorder = CallRecorder()
    session = AwsSession(
        AwsOptions(region="us-east-1", endpoint_url=aws_environment, assume_roles=roles), recorder=recorder
    )
    identity = session.identity()
    assert identity.account_id == second
    assert identity.arn == f"arn:aws:sts::{second}:assumed-role/audit/trailguard"
    assert session.credentials_source == (
        f"role {roles[1]} assumed with role {roles[0]} assumed with environment variables (AWS_ACCESS_KEY_ID)"
    )
    assert [call.operation for call in recorder.calls] == ["AssumeRole", "AssumeRole", "GetCallerIdentity"]
    derived = session.assume(f"arn:aws:iam::{first}:role/back")
    assert derived.identity().account_id == first
    assert session.identity().account_id == second


def test_assumed_credentials_are_refreshed(aws_environment: str) -> None:
    # 900 s credentials are inside botocore's 15-minute refresh window from the start, so every use refreshes.
    account = random_account_id()
    recorder = CallRecorder()
    options = AwsOptions(
        region="us-east-1",
        endpoint_url=aws_environment,
        assume_roles=(f"arn:aws:iam::{account}:role/audit",),
        role_duration_seconds=900,
    )
    session = AwsSession(options, recorder=recorder)
    session.call("cloudtrail", "DescribeTrails")
    session.call("cloudtrail", "DescribeTrails")
    assert [call.operation for call in recorder.calls].count("AssumeRole") >= 2
    assert session.identity().account_id == account


def test_a_role_that_cannot_be_assumed_is_a_credentials_error(aws_environment: str) -> None:
    role = f"arn:aws:iam::{random_account_id()}:role/audit"
    refusal = Refusal("sts:AssumeRole", code="AccessDenied")
    with RefusingEndpoint(aws_environment, [refusal]) as endpoint, pytest.raises(AwsError) as raised:
        AwsSession(AwsOptions(region="us-east-1", endpoint_url=endpoint.url, assume_roles=(role,)))
    assert raised.value.kind == "credentials" and raised.value.fatal
    assert str(raised.value).startswith(
        f"cannot assume role {role} with environment variables (AWS_ACCESS_KEY_ID): AccessDenied: User: "
    )


@pytest.mark.parametrize("role", ["audit", "arn:aws:iam::12345:role/x", "arn:aws:iam::123456789012:user/x"])
def test_role_arns_are_checked(aws_environment: str, role: str) -> None:
    with pytest.raises(AwsError, match="is not an IAM role ARN") as raised:
        AwsSession(AwsOptions(region="us-east-1", endpoint_url=aws_environment, assume_roles=(role,)))
    assert raised.value.kind == "usage"


def test_read_refuses_anything_but_read_actions(aws_environment: str) -> None:
    session = AwsSession(AwsOptions(region="us-east-1", endpoint_url=aws_environment))
    with pytest.raises(AwsError, match="not a read-only action"):
        session.read("cloudtrail:DeleteTrail")  # type: ignore[arg-type]


def test_builder_accounts_are_isolated(aws_environment: str) -> None:
    first = MotoAccount.create(aws_environment)
    second = MotoAccount.create(aws_environment)
    first.create_log_group("shared-name", "us-east-1")
    assert second.client("logs", "us-east-1").describe_log_groups()["logGroups"] == []
    assert first.client("sts", "us-east-1").get_caller_identity()["Account"] == first.account_id
