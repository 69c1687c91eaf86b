"""Pattern matching speed over the real CloudTrail corpus, against hand-written baselines.

    python bench/pattern_bench.py [--corpus ../shared/data/cloudtrail] [--repeat 5]

Prints events/second for (a) the CIS console-authentication-failure pattern and (b) all 15 CIS
monitoring patterns evaluated together on each event, each against two baselines written by hand in
the same run: plain dict comparisons implementing the same conditions, after parsing with the standard
library's ``json.loads`` and — the strongest simple baseline, the parser trailguard itself uses — with
``orjson.loads``. Every side starts from the event's message text, as CloudWatch Logs delivers it, so
every side pays for parsing once per event. Without the shared corpus, the bundled sample
(examples/cloudtrail, 255 synthetic records) is used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeGuard

import orjson

from trailguard.catalog import cis_controls
from trailguard.pattern import LogEvent, PatternSet, compile_pattern
from trailguard.sources import Quarantine, read_paths

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "cloudtrail"
BUNDLED_SAMPLE = REPO / "examples" / "cloudtrail"
CIS_VERSION = "7.0.0"

# ---------------------------------------------------------------- the hand-written baseline

IAM_POLICY = {
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
}
CLOUDTRAIL = {"CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"}
KMS = {"DisableKey", "ScheduleKeyDeletion"}
S3_POLICY = {
    "PutBucketAcl",
    "PutBucketPolicy",
    "PutBucketCors",
    "PutBucketLifecycle",
    "PutBucketReplication",
    "DeleteBucketPolicy",
    "DeleteBucketCors",
    "DeleteBucketLifecycle",
    "DeleteBucketReplication",
}
CONFIG = {"StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"}
SECURITY_GROUPS = {
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
    "ModifySecurityGroupRules",
}
NACL = {
    "CreateNetworkAcl",
    "CreateNetworkAclEntry",
    "DeleteNetworkAcl",
    "DeleteNetworkAclEntry",
    "ReplaceNetworkAclEntry",
    "ReplaceNetworkAclAssociation",
}
GATEWAYS = {
    "CreateCustomerGateway",
    "DeleteCustomerGateway",
    "AttachInternetGateway",
    "CreateInternetGateway",
    "DeleteInternetGateway",
    "DetachInternetGateway",
}
ROUTES = {
    "CreateRoute",
    "CreateRouteTable",
    "ReplaceRoute",
    "ReplaceRouteTableAssociation",
    "DeleteRouteTable",
    "DeleteRoute",
    "DisassociateRouteTable",
}
VPC = {
    "CreateVpc",
    "DeleteVpc",
    "ModifyVpcAttribute",
    "AcceptVpcPeeringConnection",
    "CreateVpcPeeringConnection",
    "DeleteVpcPeeringConnection",
    "RejectVpcPeeringConnection",
    "AttachClassicLinkVpc",
    "DetachClassicLinkVpc",
    "DisableVpcClassicLink",
    "EnableVpcClassicLink",
}
ORGANIZATIONS = {
    "AcceptHandshake",
    "AttachPolicy",
    "CreateAccount",
    "CreateOrganizationalUnit",
    "CreatePolicy",
    "DeclineHandshake",
    "DeleteOrganization",
    "DeleteOrganizationalUnit",
    "DeletePolicy",
    "DetachPolicy",
    "DisablePolicyType",
    "EnablePolicyType",
    "InviteAccountToOrganization",
    "LeaveOrganization",
    "MoveAccount",
    "RemoveAccountFromOrganization",
    "UpdatePolicy",
    "UpdateOrganizationalUnit",
}


def _text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str)


def console_auth_failure(r: dict[str, Any]) -> bool:
    return r.get("eventName") == "ConsoleLogin" and r.get("errorMessage") == "Failed authentication"


def hand_written_15(r: dict[str, Any]) -> list[bool]:
    name = r.get("eventName")
    source = r.get("eventSource")
    error = r.get("errorCode")
    identity = r.get("userIdentity")
    identity = identity if isinstance(identity, dict) else {}
    extra = r.get("additionalEventData")
    mfa = extra.get("MFAUsed") if isinstance(extra, dict) else None
    ip = r.get("sourceIPAddress")
    event_type = r.get("eventType")
    return [
        (_text(error) and error.endswith("UnauthorizedOperation"))
        or (
            _text(error)
            and error.startswith("AccessDenied")
            and _text(ip)
            and ip != "delivery.logs.amazonaws.com"
            and _text(name)
            and name != "HeadBucket"
        ),
        name == "ConsoleLogin" and _text(mfa) and mfa != "Yes",
        identity.get("type") == "Root"
        and "invokedBy" not in identity
        and _text(event_type)
        and event_type != "AwsServiceEvent",
        name in IAM_POLICY,
        name in CLOUDTRAIL,
        console_auth_failure(r),
        source == "kms.amazonaws.com" and name in KMS,
        source == "s3.amazonaws.com" and name in S3_POLICY,
        source == "config.amazonaws.com" and name in CONFIG,
        name in SECURITY_GROUPS,
        name in NACL,
        name in GATEWAYS,
        name in ROUTES,
        name in VPC,
        source == "organizations.amazonaws.com" and name in ORGANIZATIONS,
    ]


# ---------------------------------------------------------------- runs


def best_rate(run: Callable[[], Any], events: int, repeat: int) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return events / best, result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    corpus = args.corpus
    if not corpus.exists():
        print(f"corpus not found: {corpus}; using the bundled sample {BUNDLED_SAMPLE}", file=sys.stderr)
        corpus = BUNDLED_SAMPLE

    quarantine = Quarantine()
    # The source folders; the corpus's own MANIFEST.json and console-login-variants.json are not events.
    folders = sorted(str(p) for p in corpus.iterdir() if p.is_dir())
    messages = [e.message for e in read_paths(folders, quarantine, require_event_time=False)]
    print(f"corpus: {len(messages):,} CloudTrail records from {corpus} ({quarantine.count} set aside)")
    print(f"best of {args.repeat} runs each; CIS patterns of version {CIS_VERSION}\n")

    console = compile_pattern(cis_controls(CIS_VERSION)[5].pattern)
    patterns = [compile_pattern(control.pattern) for control in cis_controls(CIS_VERSION)]
    assert len(patterns) == 15

    def compiled_console() -> int:
        return sum(1 for m in messages if console.test_event(LogEvent(m)))

    def baseline_console() -> int:
        return sum(1 for m in messages if console_auth_failure(json.loads(m)))

    def orjson_console() -> int:
        return sum(1 for m in messages if console_auth_failure(orjson.loads(m)))

    pattern_set = PatternSet(patterns)

    def compiled_all() -> list[int]:
        counts = [0] * 15
        for m in messages:
            for i in pattern_set.matches(LogEvent(m)):
                counts[i] += 1
        return counts

    def baseline_all() -> list[int]:
        counts = [0] * 15
        for m in messages:
            for i, hit in enumerate(hand_written_15(json.loads(m))):
                if hit:
                    counts[i] += 1
        return counts

    def orjson_all() -> list[int]:
        counts = [0] * 15
        for m in messages:
            for i, hit in enumerate(hand_written_15(orjson.loads(m))):
                if hit:
                    counts[i] += 1
        return counts

    failures = 0
    for label, compiled, baseline, strongest in (
        ("(a) CIS console-authentication-failure pattern", compiled_console, baseline_console, orjson_console),
        ("(b) all 15 CIS patterns on each event", compiled_all, baseline_all, orjson_all),
    ):
        compiled_rate, compiled_hits = best_rate(compiled, len(messages), args.repeat)
        baseline_rate, baseline_hits = best_rate(baseline, len(messages), args.repeat)
        strongest_rate, strongest_hits = best_rate(strongest, len(messages), args.repeat)
        agree = compiled_hits == baseline_hits == strongest_hits
        failures += not agree
        print(label)
        sides = (
            ("trailguard compiled matcher", compiled_rate),
            ("hand-written json.loads + dict", baseline_rate),
            ("hand-written orjson + dict", strongest_rate),
        )
        for name, rate in sides:
            ratio = "" if name.startswith("trailguard") else f"   trailguard / this: {compiled_rate / rate:.2f}x"
            print(f"  {name:31s}: {rate:12,.0f} events/s{ratio}")
        print(f"  {'all sides agree on every match' if agree else 'RESULTS DIFFER'}\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
