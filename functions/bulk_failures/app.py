"""SQS (BulkDeadLetterQueue): a bulk task that failed every attempt fails its job, which
says why."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from segmentation.data.bulk_queue import parse_message
from segmentation.data.job_queue import event_bodies
from segmentation.domain.bulk_tasks import give_up
from segmentation.observability import LOGGER, observed


def run(event: dict[str, Any], context: LambdaContext) -> None:
    for body in event_bodies(event):
        for task in parse_message(body):
            LOGGER.warning("bulk task gave up", extra={"job_id": task.job_id, "kind": task.kind})
            give_up(task)


lambda_handler = observed(run)
