"""Scheduled (EventBridge, every minute): expires memberships and finishes deleted segments.

Stops with a reserve of its time budget left; whatever remains, the next run picks up.
"""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from segmentation.domain.maintenance import run_maintenance
from segmentation.observability import LOGGER, observed


def run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = asdict(run_maintenance(time_left_ms=context.get_remaining_time_in_millis))
    LOGGER.info("maintenance run", extra={"scheduled_at": event.get("time"), **summary})
    return summary


lambda_handler = observed(run)
