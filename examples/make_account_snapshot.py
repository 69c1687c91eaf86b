"""Regenerate examples/account-snapshot.json: what `trailguard audit` reads from a small, half-monitored account.

    .venv/bin/python examples/make_account_snapshot.py   # needs the test tools: pip install -e '.[test]'

The account is built in moto's AWS server on 127.0.0.1 (nothing leaves the machine), then read by
`trailguard audit --endpoint-url ... --save-snapshot`, so the file is exactly what an audit of a real account
saves. `trailguard audit --snapshot examples/account-snapshot.json` audits it again without any AWS call.

The account (123456789012, us-east-1) is the kind an audit meets in practice:

- a multi-region trail `management-events` delivering to the log group CloudTrail/DefaultLogGroup;
- CIS 4.6 (console authentication failures): Security Hub's spelling of the filter, an alarm on the topic
  `security-alerts`, an email subscriber. Complete.
- CIS 4.3 (root account use): a filter that counts root *console sign-ins* only, so a root API call is missed.
- CIS 4.4 (IAM policy changes): the usual filter, but without AttachGroupPolicy and DetachGroupPolicy.
- CIS 4.10 (security groups): the right filter, but its alarm waits for 5 changes in 5 minutes.
- CIS 4.1 (unauthorized API calls): the right filter and alarm, but the alarm has no action.
- CIS 4.2 (console sign-in without MFA): the right filter and alarm, on the topic `ops-alerts` that nobody
  subscribes to.
- every other control: nothing at all.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
LOG_GROUP = "CloudTrail/DefaultLogGroup"
NAMESPACE = "CISBenchmark"
OUT = Path(__file__).resolve().parent / "account-snapshot.json"

ROOT_SIGN_INS = '{ $.userIdentity.type = "Root" && $.eventName = "ConsoleLogin" }'
IAM_POLICY_CHANGES = (
    "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||"
    "($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||"
    "($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||"
    "($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||"
    "($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)}"
)
SECURITY_GROUP_CHANGES = (
    "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || "
    "($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || "
    "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || "
    "($.eventName = ModifySecurityGroupRules) }"
)
UNAUTHORIZED_CALLS = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && '
    '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }'
)
SIGN_IN_WITHOUT_MFA = (
    '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
    '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'
)
FAILED_CONSOLE_LOGINS = '{($.eventName=ConsoleLogin)&&($.errorMessage="Failed authentication")}'


def build(endpoint: str) -> None:
    def client(service: str):  # type: ignore[no-untyped-def]
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint)

    s3, logs, trail, cloudwatch, sns, iam = (
        client(name) for name in ("s3", "logs", "cloudtrail", "cloudwatch", "sns", "iam")
    )
    s3.create_bucket(Bucket="example-cloudtrail")
    logs.create_log_group(logGroupName=LOG_GROUP)
    role = iam.create_role(RoleName="CloudTrail_CloudWatchLogs_Role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    trail.create_trail(
        Name="management-events",
        S3BucketName="example-cloudtrail",
        IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:123456789012:log-group:{LOG_GROUP}:*",
        CloudWatchLogsRoleArn=role,
    )
    trail.put_event_selectors(
        TrailName="management-events",
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    trail.start_logging(Name="management-events")

    alerts = sns.create_topic(Name="security-alerts")["TopicArn"]
    sns.subscribe(TopicArn=alerts, Protocol="email", Endpoint="secops@example.com")
    unsubscribed = sns.create_topic(Name="ops-alerts")["TopicArn"]

    def monitor(name: str, pattern: str, actions: list[str], threshold: float = 1) -> None:
        logs.put_metric_filter(
            logGroupName=LOG_GROUP,
            filterName=name,
            filterPattern=pattern,
            metricTransformations=[{"metricName": name, "metricNamespace": NAMESPACE, "metricValue": "1"}],
        )
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName=name,
            Namespace=NAMESPACE,
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=threshold,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=actions,
        )

    monitor("ConsoleLoginFailures", FAILED_CONSOLE_LOGINS, [alerts])
    monitor("RootSignIns", ROOT_SIGN_INS, [alerts])
    monitor("IAMPolicyChanges", IAM_POLICY_CHANGES, [alerts])
    monitor("SecurityGroupChanges", SECURITY_GROUP_CHANGES, [alerts], threshold=5)
    monitor("UnauthorizedAPICalls", UNAUTHORIZED_CALLS, [])
    monitor("ConsoleSignInWithoutMFA", SIGN_IN_WITHOUT_MFA, [unsubscribed])


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the test server's request log is noise here
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        build(endpoint)
        audit = [sys.executable, "-m", "trailguard", "audit", "--endpoint-url", endpoint, "--region", REGION]
        done = subprocess.run(
            [*audit, "--save-snapshot", str(OUT), "--output", "json"], capture_output=True, check=False
        )
        if done.returncode not in (0, 3):
            sys.stderr.write(done.stderr.decode())
            return done.returncode
    finally:
        server.stop()
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
