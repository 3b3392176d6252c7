"""HTTP for the client: requests with urllib3's retries, and SigV4 by botocore's signer."""

import re

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

# API Gateway's default host: <api id>.execute-api.<region>.amazonaws.com
_EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")
# Only these are signed: hop-by-hop headers that requests adds may change on the way.
_SIGNED_HEADERS = {"content-type"}
# 503: the service's "transient, nothing changed, retry"; 429: API Gateway's throttle.
RETRIED_STATUSES = frozenset({429, 503})


def region_of(url: str) -> str | None:
    """The region in an execute-api URL; None for a custom domain."""
    match = _EXECUTE_API_HOST.search(url)
    return match.group(1) if match else None


class SigV4(requests.auth.AuthBase):
    """Signs each request for API Gateway (`execute-api`) with botocore's own signer."""

    def __init__(self, credentials: Credentials, region: str) -> None:
        self._signer = SigV4Auth(credentials, "execute-api", region)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        headers = {k: v for k, v in request.headers.items() if k.lower() in _SIGNED_HEADERS}
        signed = AWSRequest(
            method=request.method, url=request.url, data=request.body, headers=headers
        )
        self._signer.add_auth(signed)
        request.headers.update(dict(signed.headers.items()))
        return request


class CappedRetry(Retry):
    """urllib3's Retry, with `Retry-After` capped at `backoff_max`: a server asking for an
    hour would otherwise hold the caller an hour."""

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.backoff_max)


def http_session(retries: int, max_wait_seconds: float) -> requests.Session:
    """A session that retries refused connections and 429/503 answers (honouring
    `Retry-After`) up to `retries` times, any verb: the service changes nothing when it
    answers 503. A request that may have reached it (a read timeout) is not repeated."""
    retry = CappedRetry(
        total=retries,
        connect=retries,
        read=0,
        status=retries,
        status_forcelist=RETRIED_STATUSES,
        allowed_methods=None,
        respect_retry_after_header=True,
        backoff_factor=0.2,
        backoff_max=max_wait_seconds,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
