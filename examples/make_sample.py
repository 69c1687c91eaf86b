"""Regenerate the synthetic sample data in this folder (deterministic: same seed, same records).

    python examples/make_sample.py              # rewrites examples/cloudtrail/ and console-login-messages.log
    python examples/make_sample.py OUT_FOLDER   # writes them under OUT_FOLDER instead

Everything is invented: account 123456789012, documentation IP ranges (RFC 5737), made-up users, keys and
IDs. Record shapes follow what CloudTrail writes (field order included), but no real record was copied.

The story, on 2026-11-20 (UTC), in us-east-1:

- 09:00-09:40  routine API traffic: alice (console), bob (CLI), the ci-deploy role (GitHub Actions);
- 09:01, 09:21 successful console sign-ins with MFA (alice, dana);
- 09:12-09:14  from 203.0.113.42, five console sign-in failures "Failed authentication" (alice x3, bob,
               root), then one "No username found in supplied account" (which the CIS filter does not count);
- 09:14-09:40  quiet routine traffic again, so a "Sum over 300 s >= 1" alarm goes to ALARM and comes back;
- also: bob attaches AdministratorAccess to a user (09:24), a root sign-in without MFA and a root API call
  (09:27), bob opens port 22 to 0.0.0.0/0 (09:31), ci-deploy gets AccessDenied (09:34) and
  Client.UnauthorizedOperation (09:35).

Records are delivered in one gzip file per 5 minutes, named and laid out as CloudTrail does in S3.
"""

from __future__ import annotations

import gzip
import json
import random
import string
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 20261120
ACCOUNT = "123456789012"
REGION = "us-east-1"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
MINUTES = 40
DELIVERY_MINUTES = 5
ATTACKER_IP = "203.0.113.42"

CONSOLE_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
ATTACKER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CLI_UA = (
    "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-49-generic md/arch#x86_64 lang/python#3.12.6 "
    "md/pyimpl#CPython"
)
BOTO_UA = (
    "Boto3/1.35.66 md/Botocore#1.35.66 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.7 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.66"
)


class Sample:
    """Builds the records; every random choice comes from one seeded generator, in a fixed order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.alice = self.iam_user("alice", "192.0.2.10", CONSOLE_UA, console=True)
        self.bob = self.iam_user("bob", "198.51.100.20", CLI_UA, console=False)
        self.dana = self.iam_user("dana", "192.0.2.11", CONSOLE_UA, console=True)
        self.ci = self.assumed_role("ci-deploy", "GitHubActions-4711", "198.51.100.77", BOTO_UA)

    # --- identifiers --------------------------------------------------------------------------------------

    def chars(self, alphabet: str, length: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def key_id(self, prefix: str, length: int = 16) -> str:
        """An access key (AKIA/ASIA + 16) or unique ID (AIDA/AROA + 17) in IAM's alphabet."""
        return prefix + self.chars(string.ascii_uppercase + "234567", length)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # --- principals ---------------------------------------------------------------------------------------

    def iam_user(self, name: str, ip: str, agent: str, *, console: bool) -> dict[str, Any]:
        identity: dict[str, Any] = {
            "type": "IAMUser",
            "principalId": self.key_id("AIDA", 17),
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
            "accountId": ACCOUNT,
            "accessKeyId": self.key_id("ASIA" if console else "AKIA"),
            "userName": name,
        }
        if console:
            identity["sessionContext"] = {
                "sessionIssuer": {},
                "webIdFederationData": {},
                "attributes": {"creationDate": "2026-11-20T08:58:41Z", "mfaAuthenticated": "true"},
            }
        return {"identity": identity, "ip": ip, "agent": agent, "console": console}

    def assumed_role(self, role: str, session: str, ip: str, agent: str) -> dict[str, Any]:
        role_id = self.key_id("AROA", 17)
        identity = {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
            "accountId": ACCOUNT,
            "accessKeyId": self.key_id("ASIA"),
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                    "accountId": ACCOUNT,
                    "userName": role,
                },
                "webIdFederationData": {
                    "federatedProvider": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
                    "attributes": {},
                },
                "attributes": {"creationDate": "2026-11-20T08:59:02Z", "mfaAuthenticated": "false"},
            },
        }
        return {"identity": identity, "ip": ip, "agent": agent, "console": False}

    # --- records --------------------------------------------------------------------------------------------

    def api_call(
        self,
        when: datetime,
        actor: dict[str, Any],
        source: str,
        name: str,
        *,
        read_only: bool,
        request: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None,
        error: tuple[str, str] | None = None,
        resources: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "eventVersion": "1.10",
            "userIdentity": actor["identity"],
            "eventTime": iso(when),
            "eventSource": source,
            "eventName": name,
            "awsRegion": REGION,
            "sourceIPAddress": actor["ip"],
            "userAgent": actor["agent"],
        }
        if error is not None:
            record["errorCode"], record["errorMessage"] = error
        record["requestParameters"] = request
        record["responseElements"] = response
        record["requestID"] = self.uuid()
        record["eventID"] = self.uuid()
        record["readOnly"] = read_only
        if resources is not None:
            record["resources"] = resources
        record["eventType"] = "AwsApiCall"
        record["managementEvent"] = True
        record["recipientAccountId"] = ACCOUNT
        record["eventCategory"] = "Management"
        record["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            # IAM is global; the other services are called at their regional endpoint.
            "clientProvidedHostHeader": source
            if source == "iam.amazonaws.com"
            else source.replace(".amazonaws.com", f".{REGION}.amazonaws.com"),
        }
        if actor["console"]:
            record["sessionCredentialFromConsole"] = "true"
        return record

    def console_login(
        self,
        when: datetime,
        identity: dict[str, Any],
        ip: str,
        agent: str,
        *,
        success: bool,
        mfa: bool,
        error_message: str = "Failed authentication",
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "eventVersion": "1.10",
            "userIdentity": identity,
            "eventTime": iso(when),
            "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin",
            "awsRegion": REGION,
            "sourceIPAddress": ip,
            "userAgent": agent,
        }
        if not success:
            record["errorMessage"] = error_message
        record["requestParameters"] = None
        record["responseElements"] = {"ConsoleLogin": "Success" if success else "Failure"}
        record["additionalEventData"] = {
            "LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_"
            + self.chars("0123456789abcdef", 16),
            "MobileVersion": "No",
            "MFAUsed": "Yes" if mfa else "No",
        }
        if success and mfa:
            record["additionalEventData"]["MFAIdentifier"] = (
                f"arn:aws:iam::{ACCOUNT}:mfa/{identity.get('userName', 'root')}-phone"
            )
        record["eventID"] = self.uuid()
        record["readOnly"] = False
        record["eventType"] = "AwsConsoleSignIn"
        record["managementEvent"] = True
        record["recipientAccountId"] = ACCOUNT
        record["eventCategory"] = "Management"
        record["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "signin.aws.amazon.com",
        }
        return record

    def sign_in_identity(self, user: dict[str, Any] | None, *, success: bool) -> dict[str, Any]:
        """The userIdentity of a sign-in attempt (user None: root). As CloudTrail writes them: an IAM user's
        success has an arn and no access key; a failure has an empty access key and no arn; root has both."""
        if user is None:
            return {
                "type": "Root",
                "principalId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:root",
                "accountId": ACCOUNT,
                "accessKeyId": "",
            }
        base = user["identity"]
        if success:
            return {key: base[key] for key in ("type", "principalId", "arn", "accountId", "userName")}
        return {
            "type": "IAMUser",
            "principalId": base["principalId"],
            "accountId": ACCOUNT,
            "accessKeyId": "",
            "userName": base["userName"],
        }

    def routine(self, when: datetime) -> dict[str, Any]:
        """One ordinary read-mostly call by one of the usual principals."""
        actor = self.rng.choice([self.alice, self.alice, self.bob, self.bob, self.ci])
        choice = self.rng.randrange(10)
        if choice == 0:
            return self.api_call(
                when,
                actor,
                "ec2.amazonaws.com",
                "DescribeInstances",
                read_only=True,
                request={"instancesSet": {}, "filterSet": {}},
            )
        if choice == 1:
            return self.api_call(
                when,
                actor,
                "ec2.amazonaws.com",
                "DescribeSecurityGroups",
                read_only=True,
                request={"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
            )
        if choice == 2:
            bucket = self.rng.choice(["example-app-assets", "example-build-artifacts"])
            return self.api_call(
                when,
                actor,
                "s3.amazonaws.com",
                "GetBucketAcl",
                read_only=True,
                request={"bucketName": bucket, "Host": f"{bucket}.s3.{REGION}.amazonaws.com", "acl": ""},
                resources=[{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}],
            )
        if choice == 3:
            return self.api_call(when, actor, "iam.amazonaws.com", "ListUsers", read_only=True)
        if choice == 4:
            return self.api_call(when, actor, "sts.amazonaws.com", "GetCallerIdentity", read_only=True)
        if choice == 5:
            return self.api_call(
                when, actor, "monitoring.amazonaws.com", "DescribeAlarms", read_only=True, request={"maxRecords": 100}
            )
        if choice == 6:
            return self.api_call(
                when, actor, "logs.amazonaws.com", "DescribeLogGroups", read_only=True, request={"limit": 50}
            )
        if choice == 7:
            return self.api_call(
                when, actor, "lambda.amazonaws.com", "ListFunctions20150331", read_only=True, request={"maxItems": 50}
            )
        if choice == 8:
            name = self.rng.choice(["/app/prod/db-host", "/app/prod/feature-flags", "/app/staging/db-host"])
            return self.api_call(
                when,
                actor,
                "ssm.amazonaws.com",
                "GetParameter",
                read_only=True,
                request={"name": name, "withDecryption": False},
            )
        return self.api_call(
            when, actor, "cloudtrail.amazonaws.com", "LookupEvents", read_only=True, request={"maxResults": 50}
        )

    # --- the story --------------------------------------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for minute in range(MINUTES):
            for _ in range(self.rng.randint(4, 8)):
                records.append(self.routine(START + timedelta(minutes=minute, seconds=self.rng.randrange(60))))

        at = START.replace
        records.append(
            self.console_login(
                at(minute=1, second=15),
                self.sign_in_identity(self.alice, success=True),
                self.alice["ip"],
                CONSOLE_UA,
                success=True,
                mfa=True,
            )
        )
        records.append(
            self.console_login(
                at(minute=21, second=30),
                self.sign_in_identity(self.dana, success=True),
                self.dana["ip"],
                CONSOLE_UA,
                success=True,
                mfa=True,
            )
        )

        # The attack: password guessing from one address, within two minutes.
        for (minute, second), user in zip(
            [(12, 7), (12, 31), (12, 58), (13, 26), (13, 49)],
            [self.alice, self.alice, self.bob, None, self.alice],
            strict=True,
        ):
            records.append(
                self.console_login(
                    at(minute=minute, second=second),
                    self.sign_in_identity(user, success=False),
                    ATTACKER_IP,
                    ATTACKER_UA,
                    success=False,
                    mfa=False,
                )
            )
        unknown = {
            "type": "IAMUser",
            "accountId": ACCOUNT,
            "accessKeyId": "",
            "userName": "HIDDEN_DUE_TO_SECURITY_REASONS",
        }
        records.append(
            self.console_login(
                at(minute=14, second=10),
                unknown,
                ATTACKER_IP,
                ATTACKER_UA,
                success=False,
                mfa=False,
                error_message="No username found in supplied account",
            )
        )

        # Other events the CIS monitoring controls look for.
        records.append(
            self.api_call(
                at(minute=24, second=2),
                self.bob,
                "iam.amazonaws.com",
                "AttachUserPolicy",
                read_only=False,
                request={"userName": "dana", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            )
        )
        root_login = self.console_login(
            at(minute=27, second=40),
            self.sign_in_identity(None, success=True),
            "198.51.100.23",
            CONSOLE_UA,
            success=True,
            mfa=False,
        )
        records.append(root_login)
        root = {
            "identity": {
                "type": "Root",
                "principalId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:root",
                "accountId": ACCOUNT,
                "accessKeyId": self.key_id("ASIA"),
                "sessionContext": {
                    "sessionIssuer": {},
                    "webIdFederationData": {},
                    "attributes": {"creationDate": "2026-11-20T09:27:40Z", "mfaAuthenticated": "false"},
                },
            },
            "ip": "198.51.100.23",
            "agent": CONSOLE_UA,
            "console": True,
        }
        records.append(
            self.api_call(at(minute=27, second=58), root, "iam.amazonaws.com", "ListAccessKeys", read_only=True)
        )
        records.append(
            self.api_call(
                at(minute=31, second=5),
                self.bob,
                "ec2.amazonaws.com",
                "AuthorizeSecurityGroupIngress",
                read_only=False,
                request={
                    "groupId": "sg-0a1b2c3d4e5f67890",
                    "ipPermissions": {
                        "items": [
                            {
                                "ipProtocol": "tcp",
                                "fromPort": 22,
                                "toPort": 22,
                                "groups": {},
                                "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                                "ipv6Ranges": {},
                                "prefixListIds": {},
                            }
                        ]
                    },
                },
                response={"requestId": self.uuid(), "_return": True},
            )
        )
        records.append(
            self.api_call(
                at(minute=34, second=20),
                self.ci,
                "iam.amazonaws.com",
                "CreateUser",
                read_only=False,
                request={"userName": "deploy-helper"},
                error=(
                    "AccessDenied",
                    f"User: {self.ci['identity']['arn']} is not authorized to perform: "
                    f"iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/deploy-helper because no "
                    "identity-based policy allows the iam:CreateUser action",
                ),
            )
        )
        records.append(
            self.api_call(
                at(minute=35, second=0),
                self.ci,
                "ec2.amazonaws.com",
                "RunInstances",
                read_only=False,
                request={
                    "instancesSet": {"items": [{"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 1}]},
                    "instanceType": "p5.48xlarge",
                },
                error=(
                    "Client.UnauthorizedOperation",
                    "You are not authorized to perform this operation. "
                    "User: " + self.ci["identity"]["arn"] + " is not authorized to perform: ec2:RunInstances",
                ),
            )
        )
        records.sort(key=lambda record: record["eventTime"])
        return records


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def delivery_files(sample: Sample, records: list[dict[str, Any]]) -> dict[str, bytes]:
    """CloudTrail's S3 layout: one compact {"Records": [...]} gzip object per 5-minute delivery."""
    files: dict[str, bytes] = {}
    batches: dict[datetime, list[dict[str, Any]]] = {}
    for record in records:
        moment = datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        delivered = moment.replace(minute=moment.minute - moment.minute % DELIVERY_MINUTES, second=0) + timedelta(
            minutes=DELIVERY_MINUTES
        )
        batches.setdefault(delivered, []).append(record)
    for delivered, batch in sorted(batches.items()):
        folder = f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{delivered:%Y/%m/%d}"
        suffix = sample.chars(string.ascii_letters + string.digits, 16)
        name = f"{ACCOUNT}_CloudTrail_{REGION}_{delivered:%Y%m%dT%H%MZ}_{suffix}.json.gz"
        body = json.dumps({"Records": batch}, separators=(",", ":"), ensure_ascii=False).encode()
        files[f"{folder}/{name}"] = gzip.compress(body, compresslevel=9, mtime=0)  # mtime=0: same bytes every run
    return files


def console_messages(records: list[dict[str, Any]]) -> list[str]:
    """Sign-in messages one per line, as CloudWatch Logs holds them, with one line that is not JSON."""
    lines = [
        json.dumps(record, separators=(",", ":"), ensure_ascii=False)
        for record in records
        if record["eventName"] == "ConsoleLogin"
    ]
    lines.insert(4, f"2026-11-20T09:13:00Z WARN signin rate limit approached for {ATTACKER_IP}")
    return lines


def main(out: Path) -> None:
    sample = Sample(SEED)
    records = sample.records()
    target = out / "cloudtrail"
    for old in sorted(target.rglob("*.json.gz")):
        old.unlink()
    for relative, data in delivery_files(sample, records).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (out / "console-login-messages.log").write_text("\n".join(console_messages(records)) + "\n", encoding="utf-8")
    print(f"{len(records)} records written under {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
