"""DynamoDB stream of the history table (batches): keeps the segments' member counts.

A failure raises: Lambda retries the same batch, whose chunks already applied are
skipped (exactly once); after MaximumRetryAttempts the batch's description goes to the
OnFailure queue (docs/members.md, "When a batch fails").
"""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from segmentation.domain.segment_counts import apply_stream_event
from segmentation.observability import LOGGER, observed


def run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    applied = asdict(apply_stream_event(event))
    LOGGER.info("count batch", extra=applied)
    return applied


lambda_handler = observed(run)
