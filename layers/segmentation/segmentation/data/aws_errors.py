"""What a DynamoDB error means, for every kind of cause.

PynamoDB's own `cause_response_code` raises AttributeError when the cause is a timeout
(botocore's ReadTimeoutError carries `response = None`): a timeout would become a 500
instead of the 503 the API answers for faults that outlived botocore's retries.
"""

from botocore.exceptions import ClientError
from pynamodb.exceptions import PynamoDBException, TransactWriteError

CONDITION_FAILED = "ConditionalCheckFailed"


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


def failed_conditions(error: TransactWriteError) -> list[int]:
    """Positions of the transaction's items whose condition did not hold."""
    return [
        position
        for position, reason in enumerate(error.cancellation_reasons)
        if reason is not None and reason.code == CONDITION_FAILED
    ]


def is_cancelled(error: PynamoDBException) -> bool:
    return error_code(error) == "TransactionCanceledException"
