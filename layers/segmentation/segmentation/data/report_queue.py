"""The report jobs' work queue (SQS): one message per task, handled by the report worker."""

import json
from dataclasses import asdict, dataclass
from typing import Any

from segmentation.data.job_queue import event_bodies, send_messages
from segmentation.settings import SETTINGS


@dataclass(frozen=True)
class Task:
    job_id: str
    kind: str  # "plan", "piece" or "assemble"
    piece: int | None = None
    attempt: str = ""  # the job attempt it belongs to (JobRecord.attempt)


def send_tasks(tasks: list[Task]) -> None:
    send_messages(SETTINGS.reports_queue_url, [json.dumps(asdict(task)) for task in tasks])


def parse_task(body: str) -> Task:
    fields: dict[str, Any] = json.loads(body)
    return Task(
        str(fields["job_id"]), str(fields["kind"]), fields.get("piece"), fields.get("attempt", "")
    )


def event_tasks(event: dict[str, Any]) -> list[Task]:
    """The tasks of an SQS event (Lambda's event source delivers them as `Records`)."""
    return [parse_task(body) for body in event_bodies(event)]
