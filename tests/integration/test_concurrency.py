"""Many parallel add/remove calls on one user and slug, over HTTP: every call succeeds (the
service's optimistic-concurrency retries absorb the contention), and the history alternates
and agrees with the final state."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

from tests.support.client import Client

CALLS = 40


def history_operations(stack: Any, user_id: int, slug: str) -> list[str]:
    table = boto3.resource("dynamodb", endpoint_url=stack.aws_endpoint_url).Table("HistoryTable")
    items = table.query(KeyConditionExpression=Key("user_id").eq(user_id), ConsistentRead=True)[
        "Items"
    ]
    return [str(item["operation"]) for item in items if item["slug"] == slug]


def test_parallel_adds_and_removes_keep_history_in_step(client: Client, stack: Any) -> None:
    slug = client.new_slug("RACE")
    user_id = client.new_user()

    def toggle(i: int) -> int:
        if i % 2 == 0:
            return client.request(
                "POST", f"/api/users/{user_id}/add_to_segment", [slug]
            ).status_code
        return client.request(
            "DELETE", f"/api/users/{user_id}/delete_from_segment", [slug]
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(toggle, range(CALLS)))
    assert set(statuses) <= {200, 201}, statuses

    operations = history_operations(stack, user_id, slug)
    assert operations, "at least the first add lands"
    assert operations == ["INSERT", "DELETE"] * (len(operations) // 2) + ["INSERT"] * (
        len(operations) % 2
    )
    final_has_it = slug in client.slugs(user_id)
    assert final_has_it == (operations[-1] == "INSERT")
