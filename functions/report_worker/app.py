"""SQS (ReportsQueue, one message at a time): runs one report-job task.

A failure raises: the message becomes visible again and SQS retries it; after the
queue's maxReceiveCount it moves to the dead-letter queue (see report_failures).
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from segmentation.data.report_queue import event_tasks
from segmentation.domain.report_pieces import run_task
from segmentation.observability import LOGGER, observed


def run(event: dict[str, Any], context: LambdaContext) -> None:
    for task in event_tasks(event):
        LOGGER.info("report task", extra={"job_id": task.job_id, "kind": task.kind})
        run_task(task)


lambda_handler = observed(run)
