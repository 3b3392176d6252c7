"""A fault injector for the AWS calls moto answers in-process: throttling, 5xx, timeouts,
transaction conflicts and lost replies.

Faults are injected at botocore's `before-send` hook, where moto answers in-process: the
injector answers (or raises) instead of moto for the chosen attempts, so a failed attempt
never reaches the tables, exactly like a throttled or failed request to AWS; a "lost
reply" lets moto apply the request and then drops the answer. botocore's own retry logic
runs unchanged; only its sleep between attempts is skipped (and recorded).
"""

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

from segmentation.data.aws_timeouts import AWS_CALL_BUDGET

# PynamoDB's clients: the attempts of segmentation/data/aws_timeouts.py, in botocore's
# standard mode.
DYNAMODB_ATTEMPTS = AWS_CALL_BUDGET.max_attempts
TABLES = ("SegmentsTable", "HistoryTable")

Fault = Callable[[AWSPreparedRequest, Callable[[], AWSResponse | None]], AWSResponse | None]


def _dynamodb_error(status: int, code: str) -> Fault:
    def fault(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": code})
        return AWSResponse(
            request.url,
            status,
            {"x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.0"},
            MockRawResponse(body),
        )

    return fault


def _s3_error(status: int, code: str) -> Fault:
    def fault(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
        body = f"<Error><Code>{code}</Code><Message>{code}</Message></Error>"
        return AWSResponse(
            request.url, status, {"Content-Type": "application/xml"}, MockRawResponse(body)
        )

    return fault


def read_timeout(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
    raise ReadTimeoutError(endpoint_url=request.url)


def connect_timeout(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
    raise ConnectTimeoutError(endpoint_url=request.url)


def lost_reply(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
    """The request lands, its answer never arrives: the retry meets the write's own trace."""
    apply()
    raise ReadTimeoutError(endpoint_url=request.url)


def transaction_conflict(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
    """DynamoDB cancels a transaction that overlaps another one in flight."""
    items = json.loads(request.body or b"{}").get("TransactItems", [])
    reasons = [{"Code": "TransactionConflict", "Message": "conflict"} for _ in items]
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": "Transaction cancelled [TransactionConflict]",
            "CancellationReasons": reasons,
        }
    )
    return AWSResponse(
        request.url,
        400,
        {"x-amzn-ErrorType": "TransactionCanceledException"},
        MockRawResponse(body),
    )


THROTTLED = _dynamodb_error(400, "ProvisionedThroughputExceededException")
THROTTLING = _dynamodb_error(400, "ThrottlingException")
SERVER_ERROR = _dynamodb_error(500, "InternalServerError")
S3_SERVER_ERROR = _s3_error(500, "InternalError")
S3_SLOW_DOWN = _s3_error(503, "SlowDown")


@dataclass
class Rule:
    event: str  # "before-send.dynamodb.Query"
    fault: Fault
    times: int | None  # attempts to spoil; None: all of them
    spoiled: int = 0


@dataclass
class FaultInjector:
    rules: list[Rule] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    sleeps: list[float] = field(default_factory=list)

    def inject(
        self, operation: str, fault: Fault, times: int | None = None, service: str = "dynamodb"
    ) -> None:
        if not self.rules:  # count the attempts of the call under test only
            self.attempts.clear()
        self.rules.append(Rule(f"before-send.{service}.{operation}", fault, times))

    def clear(self) -> None:
        self.rules.clear()
        self.attempts.clear()

    def answer(self, event_name: str, request: AWSPreparedRequest, moto: Callable[[], Any]) -> Any:
        self.attempts[event_name] += 1
        for rule in self.rules:
            if rule.event == event_name and (rule.times is None or rule.spoiled < rule.times):
                rule.spoiled += 1
                return rule.fault(request, moto)
        return moto()


def install_fault_injector(monkeypatch: pytest.MonkeyPatch) -> FaultInjector:
    """Routes every answer of moto through a new injector until the test ends."""
    injector = FaultInjector()
    moto_answer = BotocoreStubber.__call__

    def answer(
        self: BotocoreStubber, event_name: str, request: AWSPreparedRequest, **kw: Any
    ) -> Any:
        return injector.answer(
            event_name, request, lambda: moto_answer(self, event_name, request, **kw)
        )

    monkeypatch.setattr(BotocoreStubber, "__call__", answer)
    # botocore's backoff between attempts: recorded, not slept.
    fake_time = SimpleNamespace(sleep=injector.sleeps.append)
    monkeypatch.setattr(botocore.endpoint, "time", fake_time)
    return injector
