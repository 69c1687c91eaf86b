"""`trailguard audit`: every link of the CIS chain, judged by meaning and by simulation.

Most cases audit snapshots written by tests/aws_builders.build_snapshot (the responses AWS would give, for states
moto cannot build: pending subscriptions, denied calls, composite alarms, other accounts); the end-to-end cases
build real accounts in moto's HTTP server and run the CLI as a process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aws_builders import AccountSpec, SubscriptionSpec, build_account, build_snapshot
from trailguard.audit.findings import audit_document
from trailguard.catalog import resolve_controls

FAILED_LOGIN_PATTERN = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'


def audit(spec: AccountSpec, controls: str = "4.6", **snapshot: Any) -> dict[str, Any]:
    document = audit_document(build_snapshot(spec, **snapshot), resolve_controls(controls))
    return document


def only(document: dict[str, Any]) -> dict[str, Any]:
    (finding,) = document["controls"]
    return finding


def links(finding: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {link["kind"]: link for link in finding["evidence"]["chain"]}


# ---------------------------------------------------------------- passing accounts


def test_a_compliant_account_passes_with_its_whole_chain() -> None:
    finding = only(audit(AccountSpec()))
    assert finding["status"] == "PASS" and finding["brokenLink"] is None and finding["remedy"] is None
    chain = links(finding)
    assert list(chain) == ["trail", "logGroup", "metricFilter", "alarm", "topic", "subscription"]
    assert chain["metricFilter"]["details"]["verdict"] == "equivalent"
    assert chain["alarm"]["details"]["fires"] is True and chain["subscription"]["details"]["confirmed"] is True
    assert chain["logGroup"]["id"] == "arn:aws:logs:us-east-1:123456789012:log-group:CloudTrail/DefaultLogGroup"
    assert "fires" in finding["reason"]


@pytest.mark.parametrize(
    "pattern",
    [
        '{($.eventName=ConsoleLogin)&&($.errorMessage="Failed authentication")}',  # Security Hub's spelling
        '{ ($.errorMessage = "Failed authentication") && ($.eventName = "ConsoleLogin") }',  # reordered, quoted
        '{ $.eventName = ConsoleLogin && $.errorMessage = "Failed authentication" && $.eventSource = * }',
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed*") }',  # wider: covers
        '{ ($.eventName = Console*) && ($.errorMessage = "Failed authentication") }',  # wider: covers
        '{ ($.eventName = ConsoleLogin) || ($.errorMessage = "Failed authentication") }',  # over-matches: covers
    ],
)
def test_other_spellings_that_count_every_failed_login_pass(pattern: str) -> None:
    finding = only(audit(AccountSpec().with_monitor(0, pattern=pattern)))
    assert finding["status"] == "PASS", finding["reason"]
    verdict = links(finding)["metricFilter"]["details"]["verdict"]
    assert verdict in ("equivalent", "covers")


def test_all_fifteen_controls_of_every_version_pass_on_their_remediation() -> None:
    for version in ("1.2.0", "1.4.0", "7.0.0"):
        document = audit(AccountSpec.for_controls(cis_version=version), controls="all")
        document = audit_document(
            build_snapshot(AccountSpec.for_controls(cis_version=version)), resolve_controls("all", version)
        )
        assert document["summary"]["PASS"] == len(document["controls"]), [
            (c["id"], c["reason"]) for c in document["controls"] if c["status"] != "PASS"
        ]


def test_premature_alarm_rule_passes_a_two_of_three_alarm() -> None:
    # DatapointsToAlarm 2 of 3 with missing data left as missing still fires on one event (premature alarm).
    spec = AccountSpec().with_monitor(0, evaluation_periods=3, datapoints_to_alarm=2)
    assert only(audit(spec))["status"] == "PASS"


def test_composite_alarm_carries_the_notification() -> None:
    spec = AccountSpec().with_monitor(0, composite=True)
    finding = only(audit(spec))
    assert finding["status"] == "PASS"
    assert "compositeAlarm" in links(finding)["alarm"]["details"]


# ---------------------------------------------------------------- every way a link breaks


@pytest.mark.parametrize(
    ("spec", "broken", "words"),
    [
        (AccountSpec(multi_region=False), "trail", "not multi-region"),
        (AccountSpec(logging=False), "trail", "not logging"),
        (AccountSpec(selectors="basic-write-only"), "trail", "only write management events"),
        (AccountSpec(selectors="basic-read-only"), "trail", "only read-only"),
        (AccountSpec(selectors="basic-data-only"), "trail", "no management events"),
        (AccountSpec(cloudwatch_logs=False), "trail", "delivers to no CloudWatch Logs log group"),
        (AccountSpec(create_log_group=False), "logGroup", "does not exist"),
        (AccountSpec().with_monitor(0, filter=False), "metricFilter", "has no metric filter"),
        (
            AccountSpec().with_monitor(0, pattern=FAILED_LOGIN_PATTERN[:-2] + " && ($.sourceIPAddress = 1.2.3.4) }"),
            "metricFilter",
            "misses events the control requires",
        ),
        (
            AccountSpec().with_monitor(0, pattern="{ $.eventName = ConsoleLogin && $.errorCode = * }"),
            "metricFilter",
            "misses",
        ),
        (AccountSpec().with_monitor(0, metric_value="0"), "metricFilter", "publishes 0"),
        (AccountSpec().with_monitor(0, alarm=False), "alarm", "no alarm"),
        (AccountSpec().with_monitor(0, alarm_namespace="CloudTrailMetrics"), "alarm", "no alarm"),
        (AccountSpec().with_monitor(0, actions_enabled=False), "alarm", "actions disabled"),
        (AccountSpec().with_monitor(0, sns_action=False), "alarm", "no SNS topic"),
        (AccountSpec().with_monitor(0, threshold=3.0), "alarm", "never goes to ALARM"),
        (AccountSpec().with_monitor(0, alarm_dimensions=(("User", "root"),)), "alarm", "the alarm watches"),
        (AccountSpec().with_monitor(0, treat_missing_data="breaching"), "alarm", "in ALARM before"),
        (AccountSpec(topic=False), "topic", "does not exist"),
        (AccountSpec(topic_kms_key="alias/aws/sns"), "topic", "AWS managed key"),
        (AccountSpec(subscriptions=()), "subscription", "no subscription"),
        (AccountSpec(subscriptions=(SubscriptionSpec(confirmed=False),)), "subscription", "none confirmed"),
    ],
)
def test_each_broken_link_fails_the_control_with_its_reason_and_remedy(
    spec: AccountSpec, broken: str, words: str
) -> None:
    finding = only(audit(spec))
    assert finding["status"] == "FAIL", finding["reason"]
    assert finding["brokenLink"] == broken
    assert words in finding["reason"]
    assert finding["remedy"]


def test_a_missed_filter_shows_a_concrete_event_the_control_requires() -> None:
    narrowed = FAILED_LOGIN_PATTERN[:-2] + " && ($.userIdentity.type = IAMUser) }"
    finding = only(audit(AccountSpec().with_monitor(0, pattern=narrowed)))
    missed = links(finding)["metricFilter"]["details"]["missedExample"]
    assert missed["eventName"] == "ConsoleLogin" and missed["errorMessage"] == "Failed authentication"
    assert missed["userIdentity"]["type"] != "IAMUser"


def test_a_trail_excluding_kms_events_fails_the_cmk_control_only() -> None:
    spec = AccountSpec.for_controls("4.6", "4.7", selectors="basic-exclude-kms")
    document = audit(spec, controls="4.6,4.7")
    by_id = {c["id"]: c for c in document["controls"]}
    assert by_id["cis-4.6"]["status"] == "PASS"
    assert by_id["cis-4.7"]["status"] == "FAIL" and "kms.amazonaws.com" in by_id["cis-4.7"]["reason"]


def test_policy_that_lets_no_one_publish_fails_the_topic() -> None:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sns:Publish"}
            ],
        }
    )
    finding = only(audit(AccountSpec(topic_policy=policy)))
    assert finding["status"] == "FAIL" and finding["brokenLink"] == "topic"


# ---------------------------------------------------------------- MANUAL and ERROR


def test_a_customer_managed_key_needs_a_person_to_check_its_policy() -> None:
    finding = only(audit(AccountSpec(topic_kms_key="arn:aws:kms:us-east-1:123456789012:key/abcd")))
    assert finding["status"] == "MANUAL" and finding["brokenLink"] == "topic"
    assert any("key policy" in text for text in finding["evidence"]["manual"])


def test_a_metric_math_expression_needs_a_person() -> None:
    finding = only(audit(AccountSpec().with_monitor(0, metric_math=True)))
    assert finding["status"] == "MANUAL" and finding["brokenLink"] == "alarm"


def test_a_log_group_in_another_account_is_manual_unless_followed() -> None:
    spec = AccountSpec(log_group_account="111122223333")
    finding = only(audit(spec))
    assert finding["status"] == "MANUAL" and finding["brokenLink"] == "logGroup"
    assert any("--assume-role arn:aws:iam::111122223333" in text for text in finding["evidence"]["manual"])
    followed = only(audit(spec, followed_accounts=["111122223333"]))
    assert followed["status"] == "PASS", followed["reason"]


def test_access_denied_makes_the_control_error_with_the_call_named() -> None:
    finding = only(audit(AccountSpec(denied=("logs:DescribeMetricFilters",))))
    assert finding["status"] == "ERROR" and finding["brokenLink"] == "logGroup"
    assert "logs:DescribeMetricFilters" in finding["remedy"]
    assert finding["evidence"]["errors"][0]["operation"] == "DescribeMetricFilters"


def test_several_regions_and_the_summary() -> None:
    document = audit(AccountSpec(), regions=["us-east-1", "eu-west-1"])
    assert [c["region"] for c in document["controls"]] == ["eu-west-1", "us-east-1"]
    assert document["summary"] == {"PASS": 2, "FAIL": 0, "MANUAL": 0, "ERROR": 0}


# ---------------------------------------------------------------- the CLI against moto


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailguard", "audit", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
    )


@pytest.fixture
def cli_env(aws_environment: str) -> dict[str, str]:
    """The test process's environment with dummy AWS keys only (see the aws_environment fixture)."""
    return dict(os.environ)


def test_cli_audits_a_moto_account_end_to_end(moto_server: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    account = build_account(moto_server, AccountSpec.for_controls("4.6", "4.3"))
    base = ["--endpoint-url", moto_server, "--role-arn", account.role_arn, "--region", "us-east-1"]
    result = run_cli(*base, "--controls", "4.6,cis-4.3,5.1", "--output", "json", env=cli_env)
    assert result.returncode == 3, result.stderr  # 4.1 (5.1 in v7.0.0) has no filter in this account
    document = json.loads(result.stdout)
    status = {c["id"]: c["status"] for c in document["controls"]}
    assert status == {"cis-4.6": "PASS", "cis-4.3": "PASS", "cis-4.1": "FAIL"}
    assert document["account"] == account.account_id
    passing = run_cli(*base, "--controls", "4.6", "--save-snapshot", str(tmp_path / "s.json"), env=cli_env)
    assert passing.returncode == 0 and "cis-4.6" in passing.stdout and "PASS" in passing.stdout
    # The saved snapshot audits again with no AWS at all, in every format.
    for fmt in ("csv", "junit", "sarif", "ocsf", "asff", "json"):
        offline = run_cli("--snapshot", str(tmp_path / "s.json"), "--controls", "4.6", "--output", fmt, env=cli_env)
        assert offline.returncode == 0 and offline.stdout, (fmt, offline.stderr)


def test_cli_usage_and_credential_errors_exit_2(moto_server: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    bad_control = run_cli("--snapshot", str(tmp_path / "none.json"), "--controls", "4.99", env=cli_env)
    assert bad_control.returncode == 2 and "unknown CIS control" in bad_control.stderr
    missing = run_cli("--snapshot", str(tmp_path / "none.json"), env=cli_env)
    assert missing.returncode == 2 and "none.json" in missing.stderr and "Traceback" not in missing.stderr
    no_credentials = {k: v for k, v in cli_env.items() if not k.startswith("AWS_")}
    no_credentials["AWS_CONFIG_FILE"] = no_credentials["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "nothing")
    result = run_cli("--endpoint-url", moto_server, "--region", "us-east-1", env=no_credentials)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "credentials" in result.stderr.lower()
    bad_endpoint = run_cli("--endpoint-url", "not-a-url", "--region", "us-east-1", env=cli_env)
    assert bad_endpoint.returncode == 2 and "not-a-url" in bad_endpoint.stderr


def test_cli_prints_the_minimal_iam_policy(cli_env: dict[str, str]) -> None:
    from trailguard.aws.permissions import minimal_iam_policy

    result = run_cli("--iam-policy", env=cli_env)
    assert result.returncode == 0 and json.loads(result.stdout) == minimal_iam_policy()


def test_a_failing_control_shows_its_own_near_miss_filter_not_another_controls() -> None:
    narrowed = FAILED_LOGIN_PATTERN[:-2] + " && ($.userIdentity.type = IAMUser) }"
    spec = AccountSpec.for_controls("4.1", "4.3", "4.6").with_monitor(2, pattern=narrowed)
    document = audit(spec, controls="4.6")
    finding = only(document)
    assert finding["status"] == "FAIL" and finding["brokenLink"] == "metricFilter"
    assert links(finding)["metricFilter"]["id"] == "CIS-4.6-ConsoleAuthenticationFailures"
    assert "userIdentity" in finding["reason"]


def test_a_filter_sharing_the_references_terms_is_the_near_miss_even_when_it_counts_none() -> None:
    # Root usage: a filter for root *sign-ins* counts none of the required events (its example is a root API
    # call) but tests $.userIdentity.type = "Root" as the reference does; 4.1's and 4.6's filters test nothing
    # the reference tests, though they too share some events with it (a root sign-in failure, say).
    root_sign_ins = '{ $.userIdentity.type = "Root" && $.eventName = "ConsoleLogin" }'
    spec = AccountSpec.for_controls("4.6", "4.1", "4.3").with_monitor(2, pattern=root_sign_ins)
    finding = only(audit(spec, controls="4.3"))
    chosen = links(finding)["metricFilter"]
    assert finding["brokenLink"] == "metricFilter" and chosen["id"] == "CIS-4.3-RootAccountUsage"
    assert chosen["details"]["sharedTerms"] == 1 and "ConsoleLogin" in finding["reason"]
    others = {chain[2]["id"]: chain[2]["details"] for chain in finding["evidence"]["otherChains"]}
    assert others["CIS-4.6-ConsoleAuthenticationFailures"]["sharedTerms"] == 0


def test_when_every_filter_is_another_controls_the_chain_ends_in_no_filter_for_this_control() -> None:
    finding = only(audit(AccountSpec.for_controls("4.1", "4.6"), controls="4.5"))
    chosen = links(finding)["metricFilter"]
    assert finding["status"] == "FAIL" and finding["brokenLink"] == "metricFilter"
    assert chosen["id"] == "no metric filter for this control on CloudTrail/DefaultLogGroup"
    assert chosen["details"] == {"logGroupName": "CloudTrail/DefaultLogGroup", "filters": 2}
    assert finding["reason"].startswith("none of the 2 metric filters on log group CloudTrail/DefaultLogGroup")
    assert "CreateTrail" in finding["remedy"]
    assert sorted(chain[2]["id"] for chain in finding["evidence"]["otherChains"]) == [
        "CIS-4.1-UnauthorizedAPICalls",
        "CIS-4.6-ConsoleAuthenticationFailures",
    ]


def test_the_example_account_snapshot_audits_as_its_readme_says(cli_env: dict[str, str]) -> None:
    snapshot = Path(__file__).resolve().parents[1] / "examples" / "account-snapshot.json"
    result = run_cli("--snapshot", str(snapshot), "--output", "json", env=cli_env)
    assert result.returncode == 3, result.stderr
    findings = {f["canonicalId"]: f for f in json.loads(result.stdout)["controls"]}
    broken = {control: finding["brokenLink"] for control, finding in findings.items()}
    assert findings["4.6"]["status"] == "PASS"
    assert {c: broken[c] for c in ("4.1", "4.2", "4.3", "4.4", "4.10")} == {
        "4.1": "alarm",
        "4.2": "subscription",
        "4.3": "metricFilter",
        "4.4": "metricFilter",
        "4.10": "alarm",
    }
    assert "AttachGroupPolicy" in findings["4.4"]["reason"] and "Threshold 5" in findings["4.10"]["reason"]
    for control in ("4.5", "4.7", "4.8", "4.9", "4.11", "4.12", "4.13", "4.14"):
        assert findings[control]["reason"].startswith("none of the 6 metric filters"), control


@pytest.mark.parametrize(
    ("spec", "command"),
    [
        (AccountSpec(logging=False), "aws cloudtrail start-logging"),
        (AccountSpec(multi_region=False), "--is-multi-region-trail"),
        (AccountSpec().with_monitor(0, actions_enabled=False), "aws cloudwatch enable-alarm-actions"),
    ],
)
def test_remedies_name_the_command_that_fixes_the_link(spec: AccountSpec, command: str) -> None:
    assert command in only(audit(spec))["remedy"]
