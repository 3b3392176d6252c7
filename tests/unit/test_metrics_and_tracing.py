"""EMF metrics flushed by the handler wrapper, and tracing only where an X-Ray daemon is."""

from typing import Any

import pytest

from local_stack.events import LambdaContext
from segmentation import observability
from segmentation.data.history import HistoryOperation, HistoryReason
from tests.support.logs import emf_lines, json_lines


def test_membership_changes_are_counted_per_reason(capfd: pytest.CaptureFixture[str]) -> None:
    class Change:
        def __init__(self, operation: HistoryOperation, reason: HistoryReason) -> None:
            self.operation = operation
            self.reason = reason

    observability.count_segment_created()
    observability.count_rows_exported(42)
    observability.count_membership_changes(
        [
            Change(HistoryOperation.INSERT, HistoryReason.MANUAL),
            Change(HistoryOperation.INSERT, HistoryReason.MANUAL),
            Change(HistoryOperation.DELETE, HistoryReason.TTL),
            Change(HistoryOperation.INSERT, HistoryReason.AUTO),
        ]
    )
    observability.flush_metrics()
    blobs = emf_lines(json_lines(capfd.readouterr().out))

    plain = next(blob for blob in blobs if "reason" not in blob)
    assert plain["SegmentsCreated"] == [1.0]
    assert plain["RowsExported"] == [42.0]
    assert plain["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Segmentation"

    by_reason = {blob["reason"]: blob for blob in blobs if "reason" in blob}
    assert set(by_reason) == {"manual", "ttl", "auto"}
    assert by_reason["manual"]["MembershipsAdded"] == [2.0]
    assert "MembershipsRemoved" not in by_reason["manual"]
    assert by_reason["ttl"]["MembershipsRemoved"] == [1.0]
    assert by_reason["ttl"]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["reason", "service"]]


def test_the_handler_wrapper_flushes_metrics(capfd: pytest.CaptureFixture[str]) -> None:
    def handler(event: dict[str, Any], context: Any) -> str:
        observability.count_segment_created()
        return "done"

    wrapped = observability.observed(handler)
    assert wrapped({}, LambdaContext("probe")) == "done"
    blobs = emf_lines(json_lines(capfd.readouterr().out))
    assert [blob for blob in blobs if "SegmentsCreated" in blob]
    observability.flush_metrics()
    assert emf_lines(json_lines(capfd.readouterr().out)) == []  # nothing left over


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, False),  # outside Lambda: no X-Ray daemon to talk to
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
    ],
)
def test_tracing_only_inside_lambda_unless_disabled(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: bool
) -> None:
    for name in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert observability.tracing_enabled() is expected
