"""The exports bucket and history rows for the report tests on moto."""

from typing import Any

import requests

from segmentation.data.exports import s3_client
from segmentation.data.history import HistoryEvent, HistoryOperation, HistoryReason, history_item
from segmentation.data.models import HistoryItem
from segmentation.settings import SETTINGS

BUCKET = SETTINGS.exports_bucket


def event(
    user_id: int,
    slug: str,
    at: str,
    operation: HistoryOperation = HistoryOperation.INSERT,
    reason: HistoryReason = HistoryReason.MANUAL,
) -> HistoryEvent:
    return HistoryEvent(user_id, slug, 1, operation, reason, at)


def store(events: list[HistoryEvent]) -> None:
    with HistoryItem.batch_write() as batch:
        for item in events:
            batch.save(history_item(item))


def download(url: str) -> requests.Response:
    """GET the presigned URL (moto answers it inside mock_aws)."""
    reply = requests.get(url, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply


def objects() -> list[str]:
    return [o["Key"] for o in s3_client().list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def open_uploads() -> list[Any]:
    return list(s3_client().list_multipart_uploads(Bucket=BUCKET).get("Uploads", []))


BOUNDARY_EVENTS = [
    event(7, "AVITO_B", "2023-12-31T23:59:59.999999Z"),  # December
    event(7, "AVITO_A", "2024-01-01T00:00:00.000000Z"),  # first instant of January
    event(3, "AVITO_A", "2024-01-15T12:00:00.000000Z", HistoryOperation.DELETE),
    event(3, "AVITO_B", "2024-01-15T12:00:00.000000Z", reason=HistoryReason.TTL),
    event(2, "AVITO_B", "2024-01-15T12:00:00.000000Z", reason=HistoryReason.AUTO),
    event(
        9,
        "AVITO_A",
        "2024-01-31T23:59:59.999999Z",  # last instant of January
        HistoryOperation.DELETE,
        HistoryReason.SEGMENT_DELETED,
    ),
    event(9, "AVITO_C", "2024-02-01T00:00:00.000000Z"),  # February
]
