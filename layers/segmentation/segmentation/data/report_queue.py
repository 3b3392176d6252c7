"""The report jobs' work queue (SQS): one message per task, handled by the report worker."""

import json
from dataclasses import asdict, dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from segmentation.data.aws_timeouts import budgeted_config
from segmentation.settings import SETTINGS

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SendMessageBatch takes up to 10 messages.
BATCH = 10


@dataclass(frozen=True)
class Task:
    job_id: str
    kind: str  # "plan", "piece" or "assemble"
    piece: int | None = None
    attempt: str = ""  # the job attempt it belongs to (JobRecord.attempt)


@cache
def sqs_client() -> "SQSClient":
    return boto3.client("sqs", region_name=SETTINGS.region, config=budgeted_config())


def send_tasks(tasks: list[Task]) -> None:
    for start in range(0, len(tasks), BATCH):
        batch = tasks[start : start + BATCH]
        sent = sqs_client().send_message_batch(
            QueueUrl=SETTINGS.reports_queue_url,
            Entries=[
                {"Id": str(n), "MessageBody": json.dumps(asdict(task))}
                for n, task in enumerate(batch)
            ],
        )
        if sent.get("Failed"):
            raise RuntimeError(f"SQS refused report tasks: {sent['Failed']}")


def parse_task(body: str) -> Task:
    fields: dict[str, Any] = json.loads(body)
    return Task(
        str(fields["job_id"]), str(fields["kind"]), fields.get("piece"), fields.get("attempt", "")
    )


def event_tasks(event: dict[str, Any]) -> list[Task]:
    """The tasks of an SQS event (Lambda's event source delivers them as `Records`)."""
    return [parse_task(record["body"]) for record in event["Records"]]
