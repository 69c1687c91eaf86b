"""Realistic CloudTrail records, one per CIS monitoring control, and what every CloudTrail record holds.

Witness events for the audit are built from these records: the comparison changes only the fields a
pattern needs, so an example reads like the event an auditor would meet. The records are written by
hand from the field list in the AWS CloudTrail User Guide ("CloudTrail record contents for management,
data, and network activity events", https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html)
and the per-service event examples there; account ids, keys and addresses are documentation values
(111122223333, 198.51.100.0/24, 203.0.113.0/24).

``CLOUDTRAIL_UNIVERSE`` is a JSON pattern every record satisfies (the fields the User Guide lists as
always present), so a candidate filter that merely repeats them is not said to miss anything, and
``CLOUDTRAIL_HINTS`` lists real values per field, tried first when a witness needs a different value.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from trailguard.pattern.json_eval import MISSING

__all__ = ["CLOUDTRAIL_HINTS", "CLOUDTRAIL_UNIVERSE", "USER_IDENTITY_TYPES", "shared_template", "template_for"]

ACCOUNT: Final = "111122223333"

#: Fields present in every CloudTrail record, as strings.
CLOUDTRAIL_UNIVERSE: Final = (
    "{ ($.eventVersion = *) && ($.eventTime = *) && ($.eventSource = *) && ($.eventName = *) && "
    "($.awsRegion = *) && ($.eventID = *) && ($.eventType = *) }"
)

_IAM_USER: Final[dict[str, Any]] = {
    "type": "IAMUser",
    "principalId": "AIDACKCEVSQ6C2EXAMPLE",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "accountId": ACCOUNT,
    "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
    "userName": "alice",
}
_ASSUMED_ROLE: Final[dict[str, Any]] = {
    "type": "AssumedRole",
    "principalId": "AROAJ45Q7YFFAREXAMPLE:bob",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/bob",
    "accountId": ACCOUNT,
    "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
    "sessionContext": {
        "sessionIssuer": {
            "type": "Role",
            "principalId": "AROAJ45Q7YFFAREXAMPLE",
            "arn": f"arn:aws:iam::{ACCOUNT}:role/Admin",
            "accountId": ACCOUNT,
            "userName": "Admin",
        },
        "attributes": {"creationDate": "2024-05-14T09:02:11Z", "mfaAuthenticated": "false"},
    },
}
_ROOT: Final[dict[str, Any]] = {
    "type": "Root",
    "principalId": ACCOUNT,
    "arn": f"arn:aws:iam::{ACCOUNT}:root",
    "accountId": ACCOUNT,
    "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
}

#: Every ``userIdentity.type`` the User Guide documents ("CloudTrail userIdentity element").
USER_IDENTITY_TYPES: Final = (
    "Root",
    "IAMUser",
    "AssumedRole",
    "Role",
    "FederatedUser",
    "Directory",
    "AWSAccount",
    "AWSService",
    "IdentityCenterUser",
    "Unknown",
)


def _api_call(
    identity: dict[str, Any],
    source: str,
    name: str,
    request: dict[str, Any] | None,
    response: dict[str, Any] | None,
    *,
    event_id: str,
    agent: str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023",
    region: str = "us-east-1",
) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": "2024-05-14T09:15:42Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.24",
        "userAgent": agent,
        "requestParameters": request,
        "responseElements": response,
        "requestID": "9f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b",
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
        },
    }


def _unauthorized() -> dict[str, Any]:
    record = _api_call(
        _ASSUMED_ROLE,
        "ec2.amazonaws.com",
        "RunInstances",
        {"instanceType": "t3.micro", "minCount": 1, "maxCount": 1},
        None,
        event_id="0d3f1a20-1c4e-4d5b-9a61-5f0e7b3c2a01",
    )
    record["errorCode"] = "Client.UnauthorizedOperation"
    record["errorMessage"] = "You are not authorized to perform this operation. User: arn:aws:sts::" + (
        f"{ACCOUNT}:assumed-role/Admin/bob is not authorized to perform: ec2:RunInstances"
    )
    return record


def _console_login(*, failed: bool) -> dict[str, Any]:
    identity = {"type": "IAMUser", "principalId": "AIDACKCEVSQ6C2EXAMPLE", "accountId": ACCOUNT, "userName": "alice"}
    if not failed:
        identity["arn"] = f"arn:aws:iam::{ACCOUNT}:user/alice"
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": "2024-05-14T07:58:03Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.77",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0",
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Failure" if failed else "Success"},
        "additionalEventData": {
            "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
            "MobileVersion": "No",
            "MFAUsed": "No",
        },
        "eventID": "5a7e3c1b-8d2f-4e6a-b0c9-1f2e3d4c5b6a" if failed else "2c4e6a8b-0d1f-4a3c-9e5b-7d6c5b4a3f2e",
        "readOnly": False,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    if failed:
        record["errorMessage"] = "Failed authentication"
    return record


def _root_usage() -> dict[str, Any]:
    return _api_call(
        _ROOT,
        "iam.amazonaws.com",
        "CreateAccessKey",
        {},
        {
            "accessKey": {
                "accessKeyId": "AKIAI44QH8DHBEXAMPLE",
                "status": "Active",
                "createDate": "May 14, 2024 9:15:42 AM",
            }
        },
        event_id="7b1e0c4d-2a3f-4b5c-8d6e-9f0a1b2c3d4e",
        agent="AWS Internal",
    )


_TEMPLATES: Final[dict[str, dict[str, Any]]] = {
    "4.1": _unauthorized(),
    "4.2": _console_login(failed=False),
    "4.3": _root_usage(),
    "4.4": _api_call(
        _IAM_USER,
        "iam.amazonaws.com",
        "PutUserPolicy",
        {
            "userName": "deploy",
            "policyName": "inline-s3",
            "policyDocument": (
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
            ),
        },
        None,
        event_id="3e5f7a9b-1c2d-4e3f-a5b6-c7d8e9f0a1b2",
    ),
    "4.5": _api_call(
        _ASSUMED_ROLE,
        "cloudtrail.amazonaws.com",
        "StopLogging",
        {"name": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/management-events"},
        None,
        event_id="8c0d2e4f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
    ),
    "4.6": _console_login(failed=True),
    "4.7": _api_call(
        _ASSUMED_ROLE,
        "kms.amazonaws.com",
        "ScheduleKeyDeletion",
        {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "pendingWindowInDays": 7},
        {
            "keyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "deletionDate": "May 21, 2024, 12:00:00 AM",
            "keyState": "PendingDeletion",
            "pendingWindowInDays": 7,
        },
        event_id="4d6f8a0b-2c3d-4e5f-a6b7-c8d9e0f1a2b3",
    ),
    "4.8": _api_call(
        _IAM_USER,
        "s3.amazonaws.com",
        "PutBucketPolicy",
        {
            "bucketName": "example-reports",
            "Host": "example-reports.s3.us-east-1.amazonaws.com",
            "bucketPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*"}]},
            "policy": "",
        },
        None,
        event_id="6f8a0b2c-4d5e-4f6a-b7c8-d9e0f1a2b3c4",
    ),
    "4.9": _api_call(
        _ASSUMED_ROLE,
        "config.amazonaws.com",
        "StopConfigurationRecorder",
        {"configurationRecorderName": "default"},
        None,
        event_id="9a1b3c5d-7e8f-4a0b-8c1d-2e3f4a5b6c7d",
    ),
    "4.10": _api_call(
        _IAM_USER,
        "ec2.amazonaws.com",
        "AuthorizeSecurityGroupIngress",
        {
            "groupId": "sg-0123456789abcdef0",
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": 22,
                        "toPort": 22,
                        "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                    }
                ]
            },
        },
        {"requestId": "1b3d5f7a-9c0e-4a2b-8d4f-6a8c0e2a4c6e", "_return": True},
        event_id="1b3d5f7a-9c0e-4a2b-8d4f-6a8c0e2a4c6e",
    ),
    "4.11": _api_call(
        _IAM_USER,
        "ec2.amazonaws.com",
        "CreateNetworkAclEntry",
        {
            "networkAclId": "acl-0a1b2c3d4e5f67890",
            "ruleNumber": 100,
            "egress": False,
            "ruleAction": "allow",
            "icmpTypeCode": {},
            "portRange": {"from": 3389, "to": 3389},
            "aclProtocol": "6",
            "cidrBlock": "0.0.0.0/0",
        },
        {"requestId": "2c4e6a8c-0e2a-4c6e-8a0c-2e4a6c8e0a2c", "_return": True},
        event_id="2c4e6a8c-0e2a-4c6e-8a0c-2e4a6c8e0a2c",
    ),
    "4.12": _api_call(
        _ASSUMED_ROLE,
        "ec2.amazonaws.com",
        "AttachInternetGateway",
        {"internetGatewayId": "igw-0a1b2c3d4e5f67890", "vpcId": "vpc-0a1b2c3d4e5f67890"},
        {"requestId": "3d5f7a9b-1c3e-4d5f-9a1b-3c5e7a9b1c3d", "_return": True},
        event_id="3d5f7a9b-1c3e-4d5f-9a1b-3c5e7a9b1c3d",
    ),
    "4.13": _api_call(
        _ASSUMED_ROLE,
        "ec2.amazonaws.com",
        "CreateRoute",
        {
            "routeTableId": "rtb-0a1b2c3d4e5f67890",
            "destinationCidrBlock": "0.0.0.0/0",
            "gatewayId": "igw-0a1b2c3d4e5f67890",
        },
        {"requestId": "4e6a8c0e-2a4c-4e6a-8c0e-4a6c8e0a2c4e", "_return": True},
        event_id="4e6a8c0e-2a4c-4e6a-8c0e-4a6c8e0a2c4e",
    ),
    "4.14": _api_call(
        _IAM_USER,
        "ec2.amazonaws.com",
        "CreateVpc",
        {"cidrBlock": "10.20.0.0/16", "instanceTenancy": "default", "amazonProvidedIpv6CidrBlock": False},
        {
            "requestId": "5f7b9d1f-3b5d-4f7b-9d1f-5b7d9f1b3d5f",
            "vpc": {"vpcId": "vpc-0f1e2d3c4b5a69788", "state": "pending", "cidrBlock": "10.20.0.0/16"},
        },
        event_id="5f7b9d1f-3b5d-4f7b-9d1f-5b7d9f1b3d5f",
    ),
    "4.15": _api_call(
        _ASSUMED_ROLE,
        "organizations.amazonaws.com",
        "AttachPolicy",
        {"policyId": "p-examplepolicyid111", "targetId": "ou-examplerootid111-exampleouid111"},
        None,
        event_id="6a8c0e2a-4c6e-4a8c-8e2a-6c8e0a2c4e6a",
    ),
}


def template_for(control_id: str) -> dict[str, Any]:
    """A fresh copy of the realistic record for a canonical control id (``"4.6"``); KeyError when unknown."""
    return copy.deepcopy(_TEMPLATES[control_id])


def shared_template(control_id: str) -> Mapping[str, Any]:
    """The record itself, not a copy: for readers that never change it (the comparison only reads templates)."""
    return _TEMPLATES[control_id]


#: Real values per field, tried first when a witness needs a value other than the template's (MISSING: the
#: field left out, as in a call that succeeded).
CLOUDTRAIL_HINTS: Final[dict[str, tuple[Any, ...]]] = {
    "$.eventName": ("DescribeInstances", "GetCallerIdentity", "ListBuckets", "CheckMfa", "AssumeRole"),
    # Services sharing event names with the CIS lists first: API Gateway (CreateRoute), IAM and Organizations
    # (CreatePolicy, DeletePolicy).
    "$.eventSource": (
        "apigateway.amazonaws.com",
        "iam.amazonaws.com",
        "organizations.amazonaws.com",
        "sts.amazonaws.com",
        "ec2.amazonaws.com",
    ),
    "$.errorCode": (
        MISSING,
        "AccessDenied",
        "Client.UnauthorizedOperation",
        "ThrottlingException",
        "ValidationException",
    ),
    "$.errorMessage": (
        "Failed authentication",
        "No username found in supplied account",
        "Rate exceeded",
    ),
    "$.sourceIPAddress": ("203.0.113.50", "delivery.logs.amazonaws.com", "cloudformation.amazonaws.com"),
    "$.eventType": ("AwsApiCall", "AwsServiceEvent", "AwsConsoleSignIn", "AwsConsoleAction"),
    "$.userIdentity.type": USER_IDENTITY_TYPES,
    "$.userIdentity.invokedBy": ("cloudformation.amazonaws.com", "AWS Internal"),
    "$.additionalEventData.MFAUsed": ("Yes", "No"),
    "$.responseElements.ConsoleLogin": ("Success", "Failure"),
}
