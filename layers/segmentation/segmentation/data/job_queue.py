"""SQS work queues of the background jobs (reports, bulk changes): sending in batches of
ten and reading the bodies of an SQS event, shared so each job only defines its tasks."""

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from segmentation.data.aws_timeouts import budgeted_config
from segmentation.settings import SETTINGS

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SendMessageBatch takes up to 10 messages.
BATCH = 10


@cache
def sqs_client() -> "SQSClient":
    return boto3.client("sqs", region_name=SETTINGS.region, config=budgeted_config())


def send_messages(queue_url: str, bodies: Sequence[str]) -> None:
    """Sends every body, ten per SendMessageBatch; raises if SQS refused any."""
    for start in range(0, len(bodies), BATCH):
        sent = sqs_client().send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(n), "MessageBody": body}
                for n, body in enumerate(bodies[start : start + BATCH])
            ],
        )
        if sent.get("Failed"):
            raise RuntimeError(f"SQS refused messages: {sent['Failed']}")


def event_bodies(event: dict[str, Any]) -> list[str]:
    """The message bodies of an SQS event (Lambda's event source delivers `Records`)."""
    return [str(record["body"]) for record in event["Records"]]
