"""What an AWS error means (a failed condition, a cancelled transaction, a fault worth
retrying), for every kind of cause: the one place that reads error codes.

PynamoDB's own `cause_response_code` raises AttributeError when the cause is a timeout
(botocore's ReadTimeoutError carries `response = None`): a timeout would become a 500
instead of the 503 the API answers for faults that outlived botocore's retries.
"""

from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from pynamodb.exceptions import PynamoDBException, TransactWriteError

CONDITION_FAILED = "ConditionalCheckFailed"
# Every error an AWS call of the service can raise (PynamoDB wraps botocore's).
AWS_ERRORS: tuple[type[Exception], ...] = (PynamoDBException, ClientError, BotoCoreError)


class WriteConflict(Exception):
    """Another call changed the same items first; re-read and try again."""


def error_code(error: PynamoDBException) -> str | None:
    """The code DynamoDB answered (ConditionalCheckFailedException...); None for timeouts
    and connection errors, which carry no answer."""
    if isinstance(error.cause, ClientError):
        return error.cause.response.get("Error", {}).get("Code")
    return None


def condition_failed(error: PynamoDBException) -> bool:
    """A condition of a single write, or of any item of a transaction, did not hold."""
    if isinstance(error, TransactWriteError):
        return bool(failed_conditions(error))
    return error_code(error) == "ConditionalCheckFailedException"


def conditionally(write: Callable[[], object]) -> bool:
    """Runs one conditional write (or transaction); False when a condition did not hold,
    so nothing was written. Any other error is raised."""
    try:
        write()
    except PynamoDBException as error:
        if condition_failed(error):
            return False
        raise
    return True


def failed_conditions(error: TransactWriteError) -> list[int]:
    """Positions of the transaction's items whose condition did not hold."""
    return [
        position
        for position, reason in enumerate(error.cancellation_reasons)
        if reason is not None and reason.code == CONDITION_FAILED
    ]


def is_cancelled(error: PynamoDBException) -> bool:
    return error_code(error) == "TransactionCanceledException"


# Error codes DynamoDB and S3 use for "try again": throttling, server faults, conflicts
# with a transaction in flight.
_TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
# Reasons in a TransactionCanceledException that mean "retry", not "condition failed".
_TRANSIENT_CANCELLATIONS = frozenset({"TransactionConflict", "ThrottlingError"})


def _transient_client_error(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "TransactionCanceledException":
        reasons = {r.get("Code") for r in error.response.get("CancellationReasons", [])}
        return bool(reasons & _TRANSIENT_CANCELLATIONS) and reasons <= {
            "None",
            *_TRANSIENT_CANCELLATIONS,
        }
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    return code in _TRANSIENT_CODES or status >= 500


def _lacks_reasons(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    return code == "TransactionCanceledException" and "CancellationReasons" not in error.response


def is_transient(error: BaseException) -> bool:
    """Whether botocore's error behind `error` (PynamoDB wraps it) says "try again"."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, HTTPClientError | BotocoreConnectionError):
            return True  # timeouts, dropped and refused connections
        # PynamoDB re-raises botocore's error without the cancellation reasons: read them
        # from the original, its __cause__.
        if isinstance(current, ClientError) and not _lacks_reasons(current):
            return _transient_client_error(current)
        causes = (getattr(current, "cause", None), current.__cause__, current.__context__)
        pending.extend(cause for cause in causes if isinstance(cause, BaseException))
    return False
