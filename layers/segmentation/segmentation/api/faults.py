"""AWS faults that outlived botocore's retries: 503 with Retry-After, never a bare 500.

botocore already retries throttling, 5xx answers and timeouts with backoff; what still
fails is an outage of more than a few seconds, and the caller may simply retry. Nothing
is half-done when this answers: every write of the service is one conditional request or
one transaction. Any other AWS error is a bug and stays a 500, so that it gets seen.
"""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from segmentation.api.schemas import ErrorResponse, json_text
from segmentation.data.aws_errors import AWS_ERRORS, is_transient
from segmentation.observability import LOGGER

RETRY_AFTER_SECONDS = 1
UNAVAILABLE_MESSAGE = "the service is briefly overloaded or unavailable; retry shortly"


def unavailable_response(message: str = UNAVAILABLE_MESSAGE) -> Response[str]:
    """503: nothing was changed, and the same call is likely to succeed in a moment."""
    return Response(
        status_code=503,
        content_type=content_types.APPLICATION_JSON,
        body=json_text(ErrorResponse(message=message)),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def register_fault_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(list(AWS_ERRORS))
    def aws_fault(error: Exception) -> Response[str]:
        if not is_transient(error):
            raise error
        LOGGER.warning("AWS call failed after botocore's retries", exc_info=error)
        return unavailable_response()
