"""A report job's files in the exports bucket: its pieces, and the one file they make.

Each piece is its own object (`reports/pieces/<job>/<index>`), written whole by the
worker that ran it, so a retried piece simply replaces its object. Assembly then writes
the pieces, in index order, as the parts of one multipart upload. S3 refuses parts under
5 MiB except the last, so a piece of 5 MiB or more is copied server-side (UploadPartCopy,
no bytes through Lambda) while smaller ones are gathered into a part of at least 5 MiB
(`plan_parts`).
Nothing is visible at the file's key until CompleteMultipartUpload; a failure aborts.
"""

import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from segmentation.data.exports import MIN_PART_BYTES, SPOOL_BYTES, s3_client
from segmentation.data.keys import piece_key, piece_prefix

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

# Parts sent at once while assembling (each a server-side copy or a gathered 5 MiB).
ASSEMBLY_THREADS = 8


@dataclass(frozen=True)
class FileSpec:
    bucket: str
    key: str
    content_type: str
    content_disposition: str


def spooled_file() -> "tempfile.SpooledTemporaryFile[bytes]":
    """Where a piece is written before upload: memory first, then Lambda's /tmp."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)


def put_piece(bucket: str, job_id: str, index: int, body: IO[bytes]) -> None:
    body.seek(0)
    s3_client().put_object(Bucket=bucket, Key=piece_key(job_id, index), Body=body)


def _pieces(bucket: str, job_id: str) -> Iterator[tuple[str, int]]:
    """(key, size) of the job's pieces in index order (S3 lists keys in UTF-8 order)."""
    paginator = s3_client().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=piece_prefix(job_id)):
        for entry in page.get("Contents", []):
            yield entry["Key"], entry["Size"]


def plan_parts(pieces: list[tuple[str, int]]) -> list[list[str]]:
    """The pieces (key, size), in order, grouped into parts: a piece of 5 MiB or more on
    its own is a part (copied server-side); smaller ones are joined until the part
    reaches 5 MiB. Only the last part may stay under it, as S3 requires."""
    parts: list[list[str]] = []
    gathering: list[str] = []
    gathered = 0
    for key, size in pieces:
        if size >= MIN_PART_BYTES and not gathering:
            parts.append([key])
            continue
        gathering.append(key)
        gathered += size
        if gathered >= MIN_PART_BYTES:
            parts.append(gathering)
            gathering, gathered = [], 0
    if gathering or not parts:
        parts.append(gathering)
    return parts


def _send_part(spec: FileSpec, upload_id: str, number: int, keys: list[str]) -> str:
    """Uploads part `number` made of the piece objects `keys`; returns its ETag."""
    client = s3_client()
    if len(keys) == 1:
        copied = client.upload_part_copy(
            Bucket=spec.bucket,
            Key=spec.key,
            UploadId=upload_id,
            PartNumber=number,
            CopySource={"Bucket": spec.bucket, "Key": keys[0]},
        )
        return copied["CopyPartResult"]["ETag"]
    with spooled_file() as body:
        for key in keys:  # streamed: a large piece joining small ones spills to /tmp
            shutil.copyfileobj(client.get_object(Bucket=spec.bucket, Key=key)["Body"], body)
        body.seek(0)
        uploaded = client.upload_part(
            Bucket=spec.bucket, Key=spec.key, UploadId=upload_id, PartNumber=number, Body=body
        )
        return uploaded["ETag"]


def assemble_pieces(spec: FileSpec, job_id: str, pieces: int) -> None:
    """Publishes the job's `pieces` piece objects, in order, as the one file `spec`.
    Parts go up in parallel (a month of large pieces is mostly server-side copies)."""
    found = list(_pieces(spec.bucket, job_id))
    if len(found) != pieces:
        raise RuntimeError(f"{len(found)} of {pieces} pieces are in the bucket")
    client = s3_client()
    upload_id = client.create_multipart_upload(
        Bucket=spec.bucket,
        Key=spec.key,
        ContentType=spec.content_type,
        ContentDisposition=spec.content_disposition,
    )["UploadId"]
    parts = plan_parts(found)
    try:
        with ThreadPoolExecutor(ASSEMBLY_THREADS, thread_name_prefix="report-part") as pool:
            etags = list(
                pool.map(
                    lambda numbered: _send_part(spec, upload_id, numbered[0], numbered[1]),
                    enumerate(parts, start=1),
                )
            )
        completed: list[CompletedPartTypeDef] = [
            {"PartNumber": number, "ETag": etag} for number, etag in enumerate(etags, start=1)
        ]
        client.complete_multipart_upload(
            Bucket=spec.bucket,
            Key=spec.key,
            UploadId=upload_id,
            MultipartUpload={"Parts": completed},
        )
    except BaseException:
        client.abort_multipart_upload(Bucket=spec.bucket, Key=spec.key, UploadId=upload_id)
        raise


def abort_uploads(bucket: str, key: str) -> int:
    """Aborts every unfinished upload to `key` (one a killed assembly left); returns how many."""
    client = s3_client()
    listed = client.list_multipart_uploads(Bucket=bucket, Prefix=key)
    uploads = [u for u in listed.get("Uploads", []) if u["Key"] == key]
    for upload in uploads:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
    return len(uploads)


def delete_pieces(bucket: str, job_id: str) -> None:
    keys = [key for key, _ in _pieces(bucket, job_id)]
    for start in range(0, len(keys), 1000):  # DeleteObjects takes up to 1,000 keys
        s3_client().delete_objects(
            Bucket=bucket,
            Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]], "Quiet": True},
        )
