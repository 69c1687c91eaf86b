"""``sqs`` and ``sns`` subscriptions: publish to real AWS through boto3.

Credentials come from boto3's standard chain (environment, shared files, SSO, instance roles ...); the region is
the one in the endpoint's ARN; the endpoint URL is the ``endpoint_url`` given (``--endpoint-url``), else boto3's
own ``AWS_ENDPOINT_URL`` handling.

- ``sqs`` (an SNS protocol): SendMessage of the JSON envelope SNS puts on a queue, or of the bare message with
  RawMessageDelivery. A FIFO queue gets the topic name as MessageGroupId and the MessageId as deduplication id.
- ``sns`` (trailguard's own): Publish of Subject and Message to another topic, unchanged.

Throttling, AWS's 5xx answers and network failures are retried; other refusals (a missing queue, denied access)
go to the dead-letter list, from which they can be retried once fixed.
"""

from __future__ import annotations

import logging
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from trailguard.model import parse_arn
from trailguard.notify.base import Delivery, DeliveryError
from trailguard.notify.envelope import envelope_json
from trailguard.notify.text import clean_subject

__all__ = ["AwsDeliverer"]

_log = logging.getLogger("trailguard.notify.aws")
_RETRYABLE_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestThrottled", "ServiceUnavailable", "InternalError", "InternalFailure"}
)


class AwsDeliverer:
    """Delivers ``sqs`` and ``sns`` subscriptions; one boto3 client per (service, region), made on first use."""

    protocols: tuple[str, ...] = ("sqs", "sns")

    def __init__(self, *, endpoint_url: str | None = None, profile: str | None = None) -> None:
        self._endpoint_url = endpoint_url
        self._profile = profile
        self._session: boto3.Session | None = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._queue_urls: dict[str, str] = {}

    def _client(self, service: str, region: str) -> Any:
        key = (service, region)
        client = self._clients.get(key)
        if client is None:
            if self._session is None:
                self._session = boto3.Session(profile_name=self._profile)
            # One attempt per call: retries are the outbox's business, on its own schedule.
            config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30)
            session: Any = self._session  # boto3-stubs types client() per literal service name
            client = session.client(service, region_name=region, endpoint_url=self._endpoint_url, config=config)
            self._clients[key] = client
        return client

    def deliver(self, delivery: Delivery) -> None:
        arn = parse_arn(delivery.endpoint)
        if arn is None or not arn.region:
            raise DeliveryError(f"{delivery.endpoint!r} is not an ARN with a region", permanent=True)
        try:
            if delivery.protocol == "sqs":
                self._send_to_queue(delivery, arn.region, arn.account, arn.resource)
            else:
                self._client("sns", arn.region).publish(
                    TopicArn=delivery.endpoint, Subject=clean_subject(delivery.subject), Message=delivery.message
                )
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            raise DeliveryError(
                f"{delivery.protocol} {delivery.endpoint}: {code or 'error'}: "
                f"{error.response.get('Error', {}).get('Message', '')}",
                permanent=not (code in _RETRYABLE_CODES or status >= 500),
            ) from None
        except BotoCoreError as error:
            # No credentials, no region, an unreachable endpoint: the next attempt may find them.
            raise DeliveryError(f"{delivery.protocol} {delivery.endpoint}: {error}") from None
        _log.info("notification %s sent to %s", delivery.message_id, delivery.endpoint)

    def _send_to_queue(self, delivery: Delivery, region: str, account: str, queue: str) -> None:
        client = self._client("sqs", region)
        url = self._queue_urls.get(delivery.endpoint)
        if url is None:
            url = client.get_queue_url(QueueName=queue, QueueOwnerAWSAccountId=account)["QueueUrl"]
            self._queue_urls[delivery.endpoint] = url
        body = delivery.message if delivery.subscription.raw_message_delivery else envelope_json(delivery)
        request: dict[str, Any] = {"QueueUrl": url, "MessageBody": body}
        if queue.endswith(".fifo"):
            request["MessageGroupId"] = delivery.topic_arn.rsplit(":", 1)[-1]
            request["MessageDeduplicationId"] = delivery.message_id
        client.send_message(**request)
