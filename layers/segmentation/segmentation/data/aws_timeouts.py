"""Connect/read timeouts and attempts of every AWS call, derived from the functions' timeout.

botocore's and PynamoDB's defaults (connect 15 s / read 30 s or 60 s, several attempts)
outlast a 10 s Lambda: a DynamoDB or S3 endpoint that accepts and never answers would get
the function killed instead of the API's `503` + `Retry-After`. Here one number,
`FUNCTION_TIMEOUT_SECONDS` (the template sets it from the `FunctionTimeoutSeconds`
parameter, which is also the Globals' `Timeout`, the shortest of any function), drives
all of it: every attempt, and the backoff between them, of one call fits in
`1 - MARGIN_SHARE` of it; the rest is kept for the cold start and the answer.
"""

import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.config import Config
from pynamodb.connection import Connection

# Share of the function's timeout that no AWS call may use.
MARGIN_SHARE = 0.25
MAX_ATTEMPTS = 3
# Below this per attempt, a fault-free DynamoDB or S3 call might not finish: fewer attempts.
MIN_ATTEMPT_SECONDS = 0.25
# In-region TCP and TLS set-up takes milliseconds; a stalled connect fails fast.
MAX_CONNECT_SECONDS = 0.5
DEFAULT_FUNCTION_TIMEOUT_SECONDS = 10


def backoff_ceiling_seconds(attempts: int) -> float:
    """botocore's standard retry mode waits up to 2**i s (throttling) before retry i+1."""
    return float(sum(2**i for i in range(attempts - 1)))


@dataclass(frozen=True)
class CallBudget:
    connect_timeout_seconds: float
    read_timeout_seconds: float
    max_attempts: int

    @property
    def max_retry_attempts(self) -> int:
        """PynamoDB's name: attempts after the first."""
        return self.max_attempts - 1

    @property
    def worst_case_seconds(self) -> float:
        per_attempt = self.connect_timeout_seconds + self.read_timeout_seconds
        return self.max_attempts * per_attempt + backoff_ceiling_seconds(self.max_attempts)


def call_budget(function_timeout_seconds: float) -> CallBudget:
    """The most attempts (up to MAX_ATTEMPTS) whose worst case fits the usable time."""
    usable = function_timeout_seconds * (1 - MARGIN_SHARE)
    for attempts in range(MAX_ATTEMPTS, 0, -1):
        per_attempt = (usable - backoff_ceiling_seconds(attempts)) / attempts
        if per_attempt >= MIN_ATTEMPT_SECONDS:
            connect = min(MAX_CONNECT_SECONDS, per_attempt / 2)
            return CallBudget(connect, per_attempt - connect, attempts)
    raise ValueError(
        f"a function timeout of {function_timeout_seconds} s leaves no time for one AWS call"
    )


def _function_timeout_seconds() -> float:
    text = os.environ.get("FUNCTION_TIMEOUT_SECONDS", str(DEFAULT_FUNCTION_TIMEOUT_SECONDS))
    try:
        return float(text)
    except ValueError:
        raise ValueError(
            f"FUNCTION_TIMEOUT_SECONDS must be a number of seconds: {text!r}"
        ) from None


AWS_CALL_BUDGET = call_budget(_function_timeout_seconds())


@cache
def budgeted_connection(region: str | None) -> Connection:
    """The PynamoDB connection for transactions (models take the budget from their Meta).
    One per process: a new one is a new botocore client, which parses the service model
    again (tens of ms of CPU per transaction). Botocore clients are thread-safe."""
    return Connection(
        region=region,
        connect_timeout_seconds=AWS_CALL_BUDGET.connect_timeout_seconds,
        read_timeout_seconds=AWS_CALL_BUDGET.read_timeout_seconds,
        max_retry_attempts=AWS_CALL_BUDGET.max_retry_attempts,
    )


def budgeted_config(**options: Any) -> Config:
    """A botocore client config (S3, SQS, the low-level DynamoDB client) on the same budget."""
    return Config(
        connect_timeout=AWS_CALL_BUDGET.connect_timeout_seconds,
        read_timeout=AWS_CALL_BUDGET.read_timeout_seconds,
        retries={"mode": "standard", "total_max_attempts": AWS_CALL_BUDGET.max_attempts},
        **options,
    )
