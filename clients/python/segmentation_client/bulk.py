"""Bulk jobs in the client: start one (ids inline or a file to upload), upload the file,
poll it. Mixed into `SegmentationClient`."""

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests


@dataclass(frozen=True)
class InvalidLine:
    line: int
    reason: str


@dataclass(frozen=True)
class InvalidLines:
    count: int
    lines: list[InvalidLine]


@dataclass(frozen=True)
class BulkJob:
    """A bulk job: `status` pending (an upload job waits for its file), running, done or
    failed (with error); `changed` counts users whose membership really changed."""

    id: str
    status: str
    slug: str
    action: str
    expires_at: str | None
    total: int | None
    done: int
    changed: int
    invalid: InvalidLines
    error: str | None
    upload_url: str | None
    upload_url_expires_at: str | None

    @classmethod
    def from_json(cls, body: Any) -> "BulkJob":
        invalid = body.get("invalid") or {"count": 0, "lines": []}
        return cls(
            id=str(body["id"]),
            status=str(body["status"]),
            slug=str(body["slug"]),
            action=str(body["action"]),
            expires_at=body.get("expires_at"),
            total=body.get("total"),
            done=int(body["done"]),
            changed=int(body["changed"]),
            invalid=InvalidLines(
                int(invalid["count"]),
                [InvalidLine(int(i["line"]), str(i["reason"])) for i in invalid["lines"]],
            ),
            error=body.get("error"),
            upload_url=body.get("upload_url"),
            upload_url_expires_at=body.get("upload_url_expires_at"),
        )

    @property
    def finished(self) -> bool:
        return self.status in {"done", "failed"}


class BulkMethods:
    """The bulk operations; `_call` is SegmentationClient's."""

    def _call(
        self,
        operation: str,
        body: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        **path_parameters: Any,
    ) -> Any:
        raise NotImplementedError

    def start_bulk(
        self,
        slug: str,
        action: str,
        user_ids: Sequence[int] | None = None,
        *,
        ttl_seconds: int | None = None,
        expires_at: datetime | None = None,
    ) -> BulkJob:
        """Adds ("add") or removes ("remove") the segment for `user_ids` (up to 10,000);
        without ids, the job waits for a file: see `upload_bulk_file`."""
        body: dict[str, Any] = {"action": action}
        if user_ids is None:
            body["upload"] = True
        else:
            body["user_ids"] = list(user_ids)
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        if expires_at is not None:
            body["expires_at"] = expires_at.isoformat()
        return BulkJob.from_json(self._call("start_bulk", body, slug=slug))

    def bulk_status(self, job_id: str) -> BulkJob:
        return BulkJob.from_json(self._call("bulk_status", job_id=job_id))

    def upload_bulk_file(self, job: BulkJob, lines: Iterable[str] | bytes) -> None:
        """PUTs the job's file of ids (one per line) to its presigned link."""
        if job.upload_url is None:
            raise ValueError(f"bulk job {job.id} takes no file")
        body = lines if isinstance(lines, bytes) else "".join(f"{line}\n" for line in lines)
        requests.put(job.upload_url, data=body, timeout=300).raise_for_status()

    def wait_for_bulk(
        self, job_id: str, wait_seconds: float = 3600.0, poll_seconds: float = 1.0
    ) -> BulkJob:
        """Polls the job until it is done or failed; TimeoutError after `wait_seconds`."""
        deadline = time.monotonic() + wait_seconds
        while not (job := self.bulk_status(job_id)).finished:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"bulk job {job_id} is still {job.status}")
            time.sleep(poll_seconds)
        return job
