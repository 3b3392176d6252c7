"""`SegmentationClient`: one typed method per operation of the service's /openapi.json."""

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Self
from urllib.parse import quote

import botocore.session
import requests

from segmentation_client.bulk import BulkMethods
from segmentation_client.errors import ReportFailed, error_for
from segmentation_client.models import (
    ActiveSegments,
    ChangeResult,
    ExportLink,
    IdResponse,
    MembersPage,
    ReportJob,
    Segment,
    SegmentList,
    SegmentMember,
    SegmentWithCount,
    StatusResponse,
    TimedGrant,
    UserSegments,
)
from segmentation_client.transport import SigV4, http_session, region_of

LOCAL_URL = "http://localhost:8000"


@dataclass(frozen=True)
class Route:
    method: str
    path: str


# Keyed by the spec's operationId, which is also the method's name; a unit test keeps this
# table, the methods and /openapi.json in step. A new endpoint: one line here, one method below.
ROUTES: Final[Mapping[str, Route]] = {
    "register": Route("POST", "/auth/register"),
    "create_segment": Route("POST", "/api/segments"),
    "list_segments": Route("GET", "/api/segments"),
    "update_segment": Route("PATCH", "/api/segments/{slug}"),
    "delete_segment": Route("DELETE", "/api/segments/{slug}"),
    "get_segment": Route("GET", "/api/segments/{slug}"),
    "list_segment_members": Route("GET", "/api/segments/{slug}/members"),
    "add_to_segment": Route("POST", "/api/users/{id}/add_to_segment"),
    "delete_from_segment": Route("DELETE", "/api/users/{id}/delete_from_segment"),
    "change_segments": Route("PATCH", "/api/users/{id}/segments"),
    "show_active_segments": Route("GET", "/api/users/{id}/show_active_segments"),
    "get_user_segments": Route("GET", "/api/users/{id}/segments"),
    "show_segments_history": Route("GET", "/api/users/show_segments_history/{year}/{month}"),
    "start_report": Route("POST", "/api/reports"),
    "report_status": Route("GET", "/api/reports/{job_id}"),
    "start_bulk": Route("POST", "/api/segments/{slug}/bulk"),
    "bulk_status": Route("GET", "/api/bulk/{job_id}"),
}

Grant = str | TimedGrant


def _grants(slugs: Sequence[Grant]) -> list[Any]:
    return [slug.to_json() if isinstance(slug, TimedGrant) else slug for slug in slugs]


class SegmentationClient(BulkMethods):
    """Calls the service; raises `segmentation_client.errors.ApiError` subclasses on errors.

    `deployed()` signs with the caller's AWS credentials; `local()` (and the constructor
    without `auth`) sends unsigned requests, as `make run` and an AuthMode=none stack take.
    """

    def __init__(
        self,
        base_url: str = LOCAL_URL,
        *,
        auth: requests.auth.AuthBase | None = None,
        retries: int = 3,
        max_wait_seconds: float = 20.0,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.session = http_session(retries, max_wait_seconds)
        self.session.auth = auth

    @classmethod
    def local(cls, base_url: str = LOCAL_URL, **options: Any) -> Self:
        return cls(base_url, **options)

    @classmethod
    def deployed(
        cls,
        api_url: str,
        *,
        aws: botocore.session.Session | None = None,
        region: str | None = None,
        **options: Any,
    ) -> Self:
        """`api_url` is the stack's `ApiUrl` output; credentials and region come from the
        botocore session (the usual environment, profile or role chain) unless given."""
        aws = aws or botocore.session.get_session()
        credentials = aws.get_credentials()
        if credentials is None:
            raise ValueError("no AWS credentials found to sign requests with")
        region = region or region_of(api_url) or aws.get_config_variable("region")
        if not region:
            raise ValueError("cannot tell the API's region: pass region=")
        return cls(api_url, auth=SigV4(credentials, region), **options)

    # -- plumbing -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | str | None = None,
    ) -> requests.Response:
        """One raw call (signed and retried like the others, but any answer is returned):
        for sending what the typed methods would not, such as malformed input."""
        return self.session.request(
            method,
            self.base_url + path,
            json=body,
            data=data,
            params=params,
            headers=headers,
            timeout=self.timeout_seconds,
        )

    def _call(
        self,
        operation: str,
        body: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        **path_parameters: Any,
    ) -> Any:
        route = ROUTES[operation]
        path = route.path.format_map(
            {name: quote(str(value), safe="") for name, value in path_parameters.items()}
        )
        reply = self.request(
            route.method, path, body, params=params, headers={"Accept": "application/json"}
        )
        try:
            answer = reply.json()
        except ValueError:
            answer = None
        if reply.status_code >= 400:
            raise error_for(reply.status_code, answer, reply.reason)
        return answer

    def _pages(
        self, operation: str, items_key: str, params: Mapping[str, Any], **path_parameters: Any
    ) -> Iterator[Any]:
        """Every item of a cursor-paginated list: `{items_key: [...], "cursor": next|null}`,
        the next page asked for with `?cursor=`."""
        query = dict(params)
        while True:
            page = self._call(operation, params=query, **path_parameters)
            yield from page[items_key]
            if not page.get("cursor"):
                return
            query["cursor"] = page["cursor"]

    def download(self, url: str) -> bytes:
        """The file behind a presigned link (already signed: sent as it is)."""
        reply = requests.get(url, timeout=self.timeout_seconds)
        if reply.status_code >= 400:
            raise error_for(reply.status_code, None, reply.reason)
        return reply.content

    # -- users ----------------------------------------------------------------------------

    def register(self) -> IdResponse:
        return IdResponse.from_json(self._call("register"))

    def add_to_segment(self, user_id: int, slugs: Sequence[Grant]) -> StatusResponse:
        return StatusResponse.from_json(self._call("add_to_segment", _grants(slugs), id=user_id))

    def delete_from_segment(self, user_id: int, slugs: Sequence[str]) -> StatusResponse:
        return StatusResponse.from_json(self._call("delete_from_segment", list(slugs), id=user_id))

    def change_segments(
        self, user_id: int, add: Sequence[Grant] = (), remove: Sequence[str] = ()
    ) -> ChangeResult:
        body = {"add": _grants(add), "remove": list(remove)}
        return ChangeResult.from_json(self._call("change_segments", body, id=user_id))

    def show_active_segments(self, user_id: int) -> ActiveSegments:
        return ActiveSegments.from_json(self._call("show_active_segments", id=user_id))

    def get_user_segments(self, user_id: int) -> UserSegments:
        return UserSegments.from_json(self._call("get_user_segments", id=user_id))

    # -- segments -------------------------------------------------------------------------

    def create_segment(
        self, slug: str, *, description: str | None = None, percent: float | None = None
    ) -> IdResponse:
        body: dict[str, Any] = {"slug": slug}
        if description is not None:
            body["description"] = description
        if percent is not None:
            body["percent"] = percent
        return IdResponse.from_json(self._call("create_segment", body))

    def list_segments(self) -> SegmentList:
        return SegmentList.from_json(self._call("list_segments"))

    def update_segment(self, slug: str, percent: float) -> Segment:
        body = {"percent": percent}
        return Segment.from_json(self._call("update_segment", body, slug=slug))

    def delete_segment(self, slug: str) -> StatusResponse:
        return StatusResponse.from_json(self._call("delete_segment", slug=slug))

    def get_segment(self, slug: str) -> SegmentWithCount:
        return SegmentWithCount.from_json(self._call("get_segment", slug=slug))

    def list_segment_members(
        self, slug: str, *, limit: int | None = None, cursor: str | None = None
    ) -> MembersPage:
        """One page; pass its `cursor` for the next (None: it was the last)."""
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if cursor is not None:
            params["cursor"] = cursor
        return MembersPage.from_json(self._call("list_segment_members", params=params, slug=slug))

    def all_segment_members(self, slug: str, *, limit: int = 1000) -> Iterator[SegmentMember]:
        """Every active member, page after page until the cursor is null."""
        for item in self._pages("list_segment_members", "members", {"limit": limit}, slug=slug):
            yield SegmentMember.from_json(item)

    # -- history --------------------------------------------------------------------------

    def show_segments_history(
        self, year: int, month: int, *, user_id: int | None = None, wait_seconds: float = 900.0
    ) -> ExportLink:
        """The month's file; a month too large for one request answers with a report job,
        which this waits for (up to `wait_seconds`)."""
        params = {} if user_id is None else {"user_id": user_id}
        answer = self._call("show_segments_history", params=params, year=year, month=month)
        if "status" in answer:  # 202: the report is being built as a job
            job = self.wait_for_report(ReportJob.from_json(answer).id, wait_seconds)
            answer = {"url": job.url, "expires_at": job.expires_at, "rows": job.rows}
        return ExportLink.from_json(answer)

    def start_report(
        self,
        year: int,
        month: int,
        *,
        user_id: int | None = None,
        compression: str | None = None,
    ) -> ReportJob:
        body: dict[str, Any] = {"year": year, "month": month}
        if user_id is not None:
            body["user_id"] = user_id
        if compression is not None:
            body["compression"] = compression
        return ReportJob.from_json(self._call("start_report", body))

    def report_status(self, job_id: str) -> ReportJob:
        return ReportJob.from_json(self._call("report_status", job_id=job_id))

    def wait_for_report(
        self, job_id: str, wait_seconds: float = 900.0, poll_seconds: float = 1.0
    ) -> ReportJob:
        """Polls the job until it is done; raises ReportFailed if it failed, TimeoutError
        if it is still running after `wait_seconds`."""
        deadline = time.monotonic() + wait_seconds
        while True:
            job = self.report_status(job_id)
            if job.status == "failed":
                raise ReportFailed(200, job.error or "the report failed", job)
            if job.status == "done":
                return job
            if time.monotonic() >= deadline:
                raise TimeoutError(f"report {job_id} is still {job.status}")
            time.sleep(poll_seconds)
