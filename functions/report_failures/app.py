"""SQS (ReportsDeadLetterQueue): a report task that failed every attempt fails its job,
which says why, and leaves no file, pending upload or piece behind."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from segmentation.data.report_queue import event_tasks
from segmentation.domain.report_pieces import give_up
from segmentation.observability import LOGGER, observed


def run(event: dict[str, Any], context: LambdaContext) -> None:
    for task in event_tasks(event):
        LOGGER.warning("report task gave up", extra={"job_id": task.job_id, "kind": task.kind})
        give_up(task)


lambda_handler = observed(run)
