"""SQS (BulkQueue, one message at a time): a bulk job's batch or split task, or S3's
notification that a job's file was uploaded.

A failure raises: the message becomes visible again and SQS retries it; after the
queue's maxReceiveCount it moves to the dead-letter queue (see bulk_failures).
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from segmentation.data.bulk_queue import parse_message
from segmentation.data.job_queue import event_bodies
from segmentation.domain.bulk_tasks import run_task
from segmentation.observability import LOGGER, observed


def run(event: dict[str, Any], context: LambdaContext) -> None:
    for body in event_bodies(event):
        for task in parse_message(body):
            LOGGER.info("bulk task", extra={"job_id": task.job_id, "kind": task.kind})
            run_task(task)


lambda_handler = observed(run)
