"""The bulk jobs' work queue (SQS): batch tasks (the user ids of one batch), split tasks
(go on reading an uploaded file from a byte offset) and S3's ObjectCreated notifications
of uploaded files, which S3 itself sends to the same queue."""

import json
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from segmentation.data.job_queue import send_messages
from segmentation.data.keys import bulk_job_of_upload
from segmentation.settings import SETTINGS


@dataclass(frozen=True)
class BulkTask:
    job_id: str
    kind: str  # "batch" or "split"
    attempt: str  # the job attempt it belongs to (BulkJobRecord.attempt)
    batch: int = 0
    user_ids: list[int] = field(default_factory=list)
    offset: int = 0  # split: the byte to go on from
    etag: str = ""  # split: the file version being read


def send_tasks(tasks: list[BulkTask]) -> None:
    send_messages(SETTINGS.bulk_queue_url, [json.dumps(asdict(task)) for task in tasks])


def parse_message(body: str) -> list[BulkTask]:
    """A queue message as tasks: itself, or a split from the start for each uploaded
    file an S3 notification names (its test event and other keys give none)."""
    fields: dict[str, Any] = json.loads(body)
    if "Records" not in fields:
        if "job_id" not in fields:
            return []  # s3:TestEvent, sent when the notification is configured
        return [
            BulkTask(
                str(fields["job_id"]),
                str(fields["kind"]),
                str(fields["attempt"]),
                int(fields.get("batch", 0)),
                [int(user) for user in fields.get("user_ids", [])],
                int(fields.get("offset", 0)),
                str(fields.get("etag", "")),
            )
        ]
    tasks = []
    for record in fields["Records"]:
        s3 = record.get("s3", {})
        job_id = bulk_job_of_upload(unquote_plus(s3.get("object", {}).get("key", "")))
        if job_id is not None and str(record.get("eventName", "")).startswith("ObjectCreated"):
            etag = str(s3["object"].get("eTag", ""))
            tasks.append(BulkTask(job_id, "upload", "", etag=etag))
    return tasks
