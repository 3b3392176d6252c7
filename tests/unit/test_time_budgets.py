"""Every AWS call's attempts fit inside the function's timeout (issue 12, item 2)."""

import pytest

from local_stack.template import DEFAULT_TEMPLATE, load_template
from segmentation.data import aws_timeouts
from segmentation.data.aws_timeouts import AWS_CALL_BUDGET, MARGIN_SHARE, call_budget
from segmentation.data.exports import s3_client
from segmentation.data.models import HistoryItem, SegmentItem
from tests.support.template import raw_template


@pytest.mark.parametrize("timeout", [1, 3, 10, 29, 55, 900])
def test_the_worst_case_of_all_attempts_fits_with_a_margin(timeout: float) -> None:
    budget = call_budget(timeout)
    assert budget.max_attempts >= 1
    assert budget.worst_case_seconds <= timeout * (1 - MARGIN_SHARE) + 1e-9
    assert budget.read_timeout_seconds >= aws_timeouts.MIN_ATTEMPT_SECONDS / 2


def test_the_api_timeout_keeps_three_attempts() -> None:
    budget = call_budget(10)
    assert (budget.max_attempts, budget.connect_timeout_seconds) == (3, 0.5)
    assert budget.read_timeout_seconds == pytest.approx(1.0)


def test_a_timeout_too_short_for_one_call_is_refused() -> None:
    with pytest.raises(ValueError, match="no time for one AWS call"):
        call_budget(0.2)


def test_models_and_the_s3_client_use_the_budget() -> None:
    for model in (SegmentItem, HistoryItem):
        assert model.Meta.connect_timeout_seconds == AWS_CALL_BUDGET.connect_timeout_seconds
        assert model.Meta.read_timeout_seconds == AWS_CALL_BUDGET.read_timeout_seconds
        assert model.Meta.max_retry_attempts == AWS_CALL_BUDGET.max_attempts - 1
    config = s3_client.__wrapped__().meta.config
    assert config.connect_timeout == AWS_CALL_BUDGET.connect_timeout_seconds
    assert config.read_timeout == AWS_CALL_BUDGET.read_timeout_seconds
    assert config.retries == {
        "mode": "standard",
        "total_max_attempts": AWS_CALL_BUDGET.max_attempts,
    }


def test_the_template_drives_the_budget_from_the_shortest_timeout() -> None:
    """The variable the code reads is the Globals' timeout, and no function is shorter."""
    raw = raw_template()
    shortest = raw["Parameters"]["FunctionTimeoutSeconds"]["Default"]
    template = load_template(DEFAULT_TEMPLATE)
    assert template.environment()["FUNCTION_TIMEOUT_SECONDS"] == str(shortest)
    timeouts = {spec.logical_id: spec.timeout_seconds for spec in template.functions().values()}
    assert min(timeouts.values()) == shortest
    assert timeouts["RegisterFunction"] == shortest


def test_transactions_share_one_connection() -> None:
    """A new connection is a new botocore client, which loads and parses the DynamoDB
    service model (tens of ms of CPU): a transaction per user of a bulk job cannot pay it."""
    first = aws_timeouts.budgeted_connection("us-east-1")
    assert aws_timeouts.budgeted_connection("us-east-1") is first
    assert first.client is aws_timeouts.budgeted_connection("us-east-1").client
