"""AWS faults that outlived botocore's retries: 503 with Retry-After, never a bare 500.

botocore already retries throttling, 5xx answers and timeouts with backoff; what still
fails is an outage of more than a few seconds, and the caller may simply retry. Nothing
is half-done when this answers: every write of the service is one conditional request or
one transaction. Any other AWS error is a bug and stays a 500, so that it gets seen.
"""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from pynamodb.exceptions import PynamoDBException

from segmentation.api.schemas import ErrorResponse, json_text
from segmentation.observability import LOGGER

RETRY_AFTER_SECONDS = 1
UNAVAILABLE_MESSAGE = "the service is briefly overloaded or unavailable; retry shortly"

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


def unavailable_response(message: str = UNAVAILABLE_MESSAGE) -> Response[str]:
    """503: nothing was changed, and the same call is likely to succeed in a moment."""
    return Response(
        status_code=503,
        content_type=content_types.APPLICATION_JSON,
        body=json_text(ErrorResponse(message=message)),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def register_fault_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler([PynamoDBException, ClientError, BotoCoreError])
    def aws_fault(error: Exception) -> Response[str]:
        if not is_transient(error):
            raise error
        LOGGER.warning("AWS call failed after botocore's retries", exc_info=error)
        return unavailable_response()
