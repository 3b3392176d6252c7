"""Powertools Logger, Metrics and Tracer, set up once per container.

Logs carry ids and slugs only, never request or response bodies. Metrics are CloudWatch
EMF lines on stdout, flushed by `observed` at the end of every invocation. The X-Ray SDK
costs most of a second of import time, so the Tracer is only created where it will trace:
inside Lambda, with POWERTOOLS_TRACE_DISABLED unset (the same rule Powertools applies).
"""

import functools
import os
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "segmentation")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Segmentation")

LOGGER = Logger(service=SERVICE)
METRICS = Metrics(namespace=NAMESPACE, service=SERVICE)

SEGMENTS_CREATED = "SegmentsCreated"
MEMBERSHIPS_ADDED = "MembershipsAdded"
MEMBERSHIPS_REMOVED = "MembershipsRemoved"
ROWS_EXPORTED = "RowsExported"

# (metric, reason) -> count. A dimension applies to a whole EMF line, so each reason gets
# its own line at flush time.
_by_reason: Counter[tuple[str, str]] = Counter()

Event = dict[str, Any]
Result = TypeVar("Result")
Handler = Callable[[Event, LambdaContext], Result]


class MembershipChange(Protocol):
    """What a history event says about a membership (data.history.HistoryEvent fits)."""

    @property
    def operation(self) -> str: ...  # INSERT or DELETE

    @property
    def reason(self) -> str: ...  # manual, ttl, auto, segment_deleted


def count_segment_created() -> None:
    METRICS.add_metric(name=SEGMENTS_CREATED, unit=MetricUnit.Count, value=1)


def count_rows_exported(rows: int) -> None:
    METRICS.add_metric(name=ROWS_EXPORTED, unit=MetricUnit.Count, value=rows)


def count_membership_changes(changes: Iterable[MembershipChange]) -> None:
    """Call once the changes are written (after the transaction commits)."""
    for change in changes:
        metric = MEMBERSHIPS_ADDED if change.operation == "INSERT" else MEMBERSHIPS_REMOVED
        _by_reason[metric, str(change.reason)] += 1


def flush_metrics() -> None:
    if METRICS.metric_set:
        METRICS.flush_metrics()
    reasons = sorted({reason for _, reason in _by_reason})
    for reason in reasons:
        METRICS.add_dimension(name="reason", value=reason)
        for metric in (MEMBERSHIPS_ADDED, MEMBERSHIPS_REMOVED):
            if count := _by_reason.get((metric, reason)):
                METRICS.add_metric(name=metric, unit=MetricUnit.Count, value=count)
        METRICS.flush_metrics()  # also clears the reason dimension
    _by_reason.clear()


def tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in {"1", "true"}
    in_lambda = "LAMBDA_TASK_ROOT" in os.environ and "AWS_SAM_LOCAL" not in os.environ
    return in_lambda and not disabled


def observed(handler: Handler[Result], correlation_id_path: str | None = None) -> Handler[Result]:
    """The handler with JSON logs (cold start, request id as correlation id), metrics
    flushed after every call, and an X-Ray segment when tracing is on."""

    @functools.wraps(handler)
    def flushing(event: Event, context: LambdaContext) -> Result:
        try:
            return handler(event, context)
        finally:
            flush_metrics()

    wrapped: Handler[Result] = LOGGER.inject_lambda_context(
        flushing, correlation_id_path=correlation_id_path, clear_state=True
    )
    if tracing_enabled():
        from aws_lambda_powertools import Tracer  # imports the X-Ray SDK: only when tracing

        wrapped = Tracer(service=SERVICE).capture_lambda_handler(wrapped, capture_response=False)
    return wrapped
