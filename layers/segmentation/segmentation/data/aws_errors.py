"""The DynamoDB error code behind a PynamoDB exception, for every kind of cause.

PynamoDB's own `cause_response_code` raises AttributeError when the cause is a timeout
(botocore's ReadTimeoutError carries `response = None`): a timeout would become a 500
instead of the 503 the API answers for faults that outlived botocore's retries.
"""

from botocore.exceptions import ClientError
from pynamodb.exceptions import PynamoDBException


def error_code(error: PynamoDBException) -> str | None:
    """The code DynamoDB answered (ConditionalCheckFailedException...); None for timeouts
    and connection errors, which carry no answer."""
    if isinstance(error.cause, ClientError):
        return error.cause.response.get("Error", {}).get("Code")
    return None
